/* web.c: the HTTP server of 'chacc serve': routes, tokens, CSRF, assets */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <git2.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "cmd.h"
#include "recipe.h"
#include "session.h"
#include "util.h"

static struct {
	struct MHD_Daemon *d;
	char *recipe;
	char *token;                 /* NULL: none asked (loopback) */
	char csrf[65];
} srv;

/* what a connection has read of a request */
struct reqstate {
	struct buf body;
	bool too_big;
};

static const struct route {
	const char *path;            /* exact, or a prefix ending in '/' */
	const char *method;
	web_handler fn;
} routes[] = {
	{ "/api/targets", "GET", api_targets },
	{ "/api/targets/", "GET", api_target },
	{ "/api/status", "GET", api_status },
	{ "/api/plan", "GET", api_plan },
	{ "/api/graph", "GET", api_graph },
	{ "/api/runs", "GET", api_runs },
	{ "/api/runs", "POST", api_runs_start },
	{ "/api/runs/", "GET", api_run },
	{ "/api/runs/", "POST", api_run_cancel },
	{ "/api/runs/", "DELETE", api_run_cancel },
	{ "/api/jobs", "GET", api_jobs },
	{ "/api/events", "GET", api_events },
	{ "/api/files", "GET", api_files },
	{ "/api/files/", "GET", api_file },
	{ "/api/files/", "POST", api_file_propose },
	{ "/api/reviews", "GET", api_reviews },
	{ "/api/reviews/", "GET", api_review },
	{ "/api/reviews/", "POST", api_review_decide },
	{ "/metrics", "GET", api_metrics },
};

bool
web_needs_token(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) != 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_LOOPBACK(a))
			return false;
		return !(IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return true;
}

/* equal strings, in a time that does not tell how much of them matched */
static bool
secret_eq(const char *a, const char *b)
{
	size_t na, nb;
	unsigned char d;

	if (!a || !b)
		return false;
	na = strlen(a);
	nb = strlen(b);
	d = na != nb;
	for (size_t i = 0; i < na; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (nb ? nb : 1)];
	return d == 0;
}

const char *
web_arg(struct web_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *
header(struct web_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *
web_messages(struct web_req *rq)
{
	const char *r;
	char *w;

	free(rq->clean);
	rq->clean = NULL;
	if (!rq->msgs || fflush(rq->msgs) != 0 || !rq->msgbuf)
		return "";
	/* each line without the program's name before it */
	rq->clean = w = xmalloc(rq->msglen + 1);
	for (r = rq->msgbuf; r < rq->msgbuf + rq->msglen;) {
		if ((r == rq->msgbuf || r[-1] == '\n') && strncmp(r, "chacc: ", 7) == 0)
			r += 7;
		else
			*w++ = *r++;
	}
	while (w > rq->clean && (w[-1] == '\n' || w[-1] == ' '))
		w--;
	*w = '\0';
	return rq->clean;
}

void
web_text(struct web_reply *rp, int status, const char *type, const char *text, size_t len)
{
	free(rp->body);
	rp->status = status;
	rp->type = type;
	rp->body = xmalloc(len + 1);
	memcpy(rp->body, text, len);
	rp->body[len] = '\0';
	rp->len = len;
}

void
web_json(struct web_reply *rp, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));

	json_decref(j);
	free(rp->body);
	rp->status = status;
	rp->type = "application/json";
	rp->body = xasprintf("%s\n", s ? s : "null");
	rp->len = strlen(rp->body);
	free(s);
}

void
web_error(struct web_reply *rp, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	web_json(rp, status, json_pack("{s:s}", "error", msg));
	free(msg);
}

json_t *
web_body_json(struct web_req *rq, struct web_reply *rp)
{
	json_error_t e;
	json_t *j;

	if (rq->len == 0)
		return json_object();
	j = json_loadb(rq->body, rq->len, 0, &e);
	if (!j) {
		web_error(rp, 400, "malformed JSON at line %d, column %d: %s", e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		web_error(rp, 400, "expected a JSON object");
		return NULL;
	}
	return j;
}

const char *
web_recipe(void)
{
	return srv.recipe;
}

int
web_session(struct web_req *rq, struct web_reply *rp, struct session *s, bool connect)
{
	struct opts o = { .file = srv.recipe };
	int rc = open_session(s, &o, connect);

	if (rc == EXIT_OK)
		return 0;
	if (rc == EXIT_USAGE)
		web_error(rp, 422, "%s", *web_messages(rq) ? web_messages(rq) :
		          "the recipe does not load");
	else
		web_error(rp, 503, "%s", *web_messages(rq) ? web_messages(rq) :
		          "the target database cannot be reached");
	session_release(s);
	return -1;
}

/* "127.0.0.1:5000", "localhost", "[::1]:80": a name that only this machine answers to */
static bool
loopback_host(const char *host)
{
	char name[256];
	const char *end;
	size_t n;
	struct in_addr a4;
	struct in6_addr a6;

	if (!host)
		return true;
	if (*host == '[') {
		if (!(end = strchr(host, ']')))
			return false;
		n = (size_t)(end - host - 1);
		if (n >= sizeof(name))
			return false;
		memcpy(name, host + 1, n);
		name[n] = '\0';
		return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	end = strchr(host, ':');
	n = end ? (size_t)(end - host) : strlen(host);
	if (n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (strcasecmp(name, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* the token the request carries: a header, or the cookie the login set */
static const char *
request_token(struct web_req *rq)
{
	const char *v = header(rq, "Authorization");

	if (v && strncasecmp(v, "Bearer ", 7) == 0)
		return v + 7;
	if ((v = header(rq, "X-Chacc-Token")))
		return v;
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, "chacc_token");
}

static const struct web_asset *
asset(const char *path)
{
	for (size_t i = 0; i < web_nassets; i++)
		if (strcmp(web_assets[i].path, path) == 0)
			return &web_assets[i];
	return NULL;
}

/* replace every "{{name}}" in text by value */
static void
subst(struct buf *b, const char *text, size_t len, const char *const *names,
      const char *const *values, size_t n)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *q = memchr(p, '{', (size_t)(end - p));
		size_t i;

		if (!q || q + 1 >= end) {
			buf_add(b, p, (size_t)(end - p));
			break;
		}
		buf_add(b, p, (size_t)(q - p));
		p = q;
		for (i = 0; i < n; i++) {
			size_t k = strlen(names[i]);

			if ((size_t)(end - p) >= k + 4 && strncmp(p, "{{", 2) == 0 &&
			    strncmp(p + 2, names[i], k) == 0 && strncmp(p + 2 + k, "}}", 2) == 0) {
				buf_adds(b, values[i]);
				p += k + 4;
				break;
			}
		}
		if (i == n)
			buf_addc(b, *p++);
	}
}

/* the page of the single-page UI, with the CSRF token and the editor's files */
static void
page(struct web_reply *rp, const char *name)
{
	const struct web_asset *a = asset(name);
	static const char *const names[] = { "csrf", "editor" };
	const char *values[2];
	struct buf b, ed;

	if (!a) {
		web_error(rp, 404, "no page '%s'", name);
		return;
	}
	buf_init(&ed);
	buf_adds(&ed, "");
	for (size_t i = 0; i < web_nassets; i++) {
		const char *p = web_assets[i].path;

		if (!strstarts(p, "/assets/cm/"))
			continue;
		if (strlen(p) > 4 && strcmp(p + strlen(p) - 4, ".css") == 0)
			buf_addf(&ed, "<link rel=\"stylesheet\" href=\"%s\">\n", p);
		else if (strlen(p) > 3 && strcmp(p + strlen(p) - 3, ".js") == 0)
			buf_addf(&ed, "<script src=\"%s\"></script>\n", p);
	}
	values[0] = srv.csrf;
	values[1] = ed.s;
	buf_init(&b);
	subst(&b, (const char *)a->data, a->len, names, values, LEN(names));
	free(rp->body);
	rp->status = 200;
	rp->type = a->type;
	rp->len = b.len;
	rp->body = buf_detach(&b);
	buf_release(&ed);
}

static void
serve_asset(struct web_req *rq, struct web_reply *rp)
{
	const struct web_asset *a = asset(rq->path);

	if (!a || strcmp(rq->path, "/assets/index.html") == 0 ||
	    strcmp(rq->path, "/assets/login.html") == 0) {
		web_error(rp, 404, "no such file '%s'", rq->path);
		return;
	}
	web_text(rp, 200, a->type, (const char *)a->data, a->len);
}

/* the token check; false after replying (login page, 401 or a redirect) */
static bool
authorised(struct web_req *rq, struct web_reply *rp)
{
	const char *given;

	if (!srv.token)
		return true;
	given = web_arg(rq, "token");
	if (given && strcmp(rq->path, "/") == 0 && secret_eq(given, srv.token)) {
		rp->status = 303;
		rp->location = xstrdup("/");
		rp->type = "text/plain";
		return false;
	}
	if (secret_eq(request_token(rq), srv.token) || strstarts(rq->path, "/assets/"))
		return true;
	if (strcmp(rq->path, "/") == 0) {
		page(rp, "/assets/login.html");
		rp->status = 401;
	} else
		web_error(rp, 401, "this server asks for a token: an 'Authorization: Bearer TOKEN'"
		          " header, or open /?token=TOKEN in a browser");
	return false;
}

static bool
state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static void
dispatch(struct web_req *rq, struct web_reply *rp)
{
	const struct route *match = NULL;
	bool path_known = false;
	static char allow[64];
	const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;

	if (!srv.token && !loopback_host(header(rq, "Host"))) {
		web_error(rp, 403, "this server answers to loopback names only"
		          " (start it with --token to serve other names)");
		return;
	}
	if (!authorised(rq, rp))
		return;
	if (state_changing(method) &&
	    !secret_eq(header(rq, "X-CSRF-Token"), srv.csrf)) {
		web_error(rp, 403, "missing or wrong X-CSRF-Token header (GET /api/csrf gives it)");
		return;
	}
	if (strcmp(rq->path, "/") == 0 || strcmp(rq->path, "/index.html") == 0) {
		if (strcmp(method, "GET") != 0) {
			rp->allow = "GET, HEAD";
			web_error(rp, 405, "method %s not allowed here", rq->method);
		} else
			page(rp, "/assets/index.html");
		return;
	}
	if (strcmp(rq->path, "/api/csrf") == 0) {
		web_json(rp, 200, json_pack("{s:s}", "csrf", srv.csrf));
		return;
	}
	if (strstarts(rq->path, "/assets/")) {
		if (strcmp(method, "GET") != 0) {
			rp->allow = "GET, HEAD";
			web_error(rp, 405, "method %s not allowed here", rq->method);
		} else
			serve_asset(rq, rp);
		return;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < LEN(routes); i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		bool prefix = r->path[n - 1] == '/';

		if (prefix ? !(strncmp(rq->path, r->path, n) == 0 && rq->path[n]) :
		    strcmp(rq->path, r->path) != 0)
			continue;
		path_known = true;
		if (strlen(allow) + strlen(r->method) + 3 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			         *allow ? ", " : "", r->method);
		if (strcmp(r->method, method) == 0 && !match) {
			match = r;
			rq->rest = prefix ? rq->path + n : "";
		}
	}
	if (match)
		match->fn(rq, rp);
	else if (path_known) {
		rp->allow = allow;
		web_error(rp, 405, "method %s not allowed here (allowed: %s)", rq->method, allow);
	} else
		web_error(rp, 404, "no such page '%s'", rq->path);
}

static void
add_headers(struct MHD_Response *r, const struct web_reply *rp)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
	                        " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"
	                        " base-uri 'none'; form-action 'self'");
	if (rp->allow)
		MHD_add_response_header(r, "Allow", rp->allow);
	if (rp->location)
		MHD_add_response_header(r, "Location", rp->location);
	if (rp->type && !rp->raw)
		MHD_add_response_header(r, "Content-Type", rp->type);
	if (!rp->raw)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result
respond(struct MHD_Connection *c, struct web_reply *rp, const char *token_cookie)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *cookie;

	if (rp->raw)
		r = rp->raw;
	else {
		r = MHD_create_response_from_buffer(rp->len, rp->body ? rp->body : (char *)"",
		                                    rp->body ? MHD_RESPMEM_MUST_FREE :
		                                    MHD_RESPMEM_PERSISTENT);
		rp->body = NULL;
	}
	if (!r)
		return MHD_NO;
	add_headers(r, rp);
	cookie = xasprintf("chacc_csrf=%s; Path=/; SameSite=Strict", srv.csrf);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	free(cookie);
	if (token_cookie) {
		cookie = xasprintf("chacc_token=%s; Path=/; HttpOnly; SameSite=Strict", token_cookie);
		MHD_add_response_header(r, "Set-Cookie", cookie);
		free(cookie);
	}
	ret = MHD_queue_response(c, (unsigned)rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
client_name(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *data, size_t *size, void **ptr)
{
	struct reqstate *st = *ptr;
	struct web_req rq;
	struct web_reply rp = { .status = 500 };
	enum MHD_Result ret;
	bool login;

	if (!st) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

		st = xcalloc(1, sizeof(*st));
		buf_init(&st->body);
		*ptr = st;
		/* far too big: answer now, before reading it */
		if (cl && strtoull(cl, NULL, 10) > 8ull * WEB_MAX_BODY) {
			web_error(&rp, 413, "request body over %d bytes", WEB_MAX_BODY);
			return respond(c, &rp, NULL);
		}
		return MHD_YES;
	}
	if (*size) {
		if (st->body.len + *size > WEB_MAX_BODY)
			st->too_big = true;
		else
			buf_add(&st->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (st->too_big) {
		web_error(&rp, 413, "request body over %d bytes", WEB_MAX_BODY);
		return respond(c, &rp, NULL);
	}
	memset(&rq, 0, sizeof(rq));
	rq.conn = c;
	rq.method = method;
	rq.path = url;
	rq.rest = "";
	buf_addc(&st->body, '\0');
	rq.body = st->body.s;
	rq.len = st->body.len - 1;
	client_name(c, rq.client, sizeof(rq.client));
	rq.msgs = open_memstream(&rq.msgbuf, &rq.msglen);
	warn_to(rq.msgs);
	recipe_errors_to(rq.msgs);
	dispatch(&rq, &rp);
	warn_to(NULL);
	recipe_errors_to(NULL);
	if (rq.msgs)
		fclose(rq.msgs);
	free(rq.msgbuf);
	free(rq.clean);
	login = rp.status == 303 && srv.token;
	ret = respond(c, &rp, login ? srv.token : NULL);
	free(rp.body);
	free(rp.location);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ptr, enum MHD_RequestTerminationCode toe)
{
	struct reqstate *st = *ptr;

	if (st) {
		buf_release(&st->body);
		free(st);
		*ptr = NULL;
	}
}

static int
random_hex(char *out, size_t nbytes)
{
	unsigned char b[64];
	size_t got = 0;

	if (nbytes > sizeof(b))
		return -1;
	while (got < nbytes) {
		ssize_t n = getrandom(b + got, nbytes - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int
web_start(const struct web_config *c, char **err)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	uint16_t port;

	if (web_needs_token(c->addr) && (!c->token || !*c->token)) {
		*err = xstrdup("serving off loopback needs a token: give --token TOKEN or set"
		               " CHACC_UI_TOKEN");
		return -1;
	}
	if (random_hex(srv.csrf, 32) < 0) {
		*err = xasprintf("cannot make a CSRF token: %s", strerror(errno));
		return -1;
	}
	srv.recipe = xstrdup(c->recipe ? c->recipe : "chacc.yml");
	srv.token = c->token && *c->token ? xstrdup(c->token) : NULL;
	env_load_dotenv(".");
	/* libgit2 stays initialised while request threads use it: its per-thread state is freed as they end */
	git_libgit2_init();
	jobs_init();
	if (c->addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	port = c->addr->sa_family == AF_INET6 ?
	       ntohs(((const struct sockaddr_in6 *)c->addr)->sin6_port) :
	       ntohs(((const struct sockaddr_in *)c->addr)->sin_port);
	errno = 0;
	srv.d = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL,
	                         MHD_OPTION_SOCK_ADDR, c->addr,
	                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	                         MHD_OPTION_END);
	if (!srv.d) {
		*err = xasprintf("cannot listen on port %u%s%s", port, errno ? ": " : "",
		                 errno ? strerror(errno) : "");
		jobs_shutdown();
		git_libgit2_shutdown();
		return -1;
	}
	return 0;
}

int
web_port(void)
{
	const union MHD_DaemonInfo *i = srv.d ? MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT) :
	                                NULL;

	return i ? i->port : -1;
}

void
web_stop(void)
{
	jobs_shutdown();
	if (srv.d)
		MHD_stop_daemon(srv.d);
	srv.d = NULL;
	git_libgit2_shutdown();
	free(srv.recipe);
	free(srv.token);
	srv.recipe = srv.token = NULL;
}
