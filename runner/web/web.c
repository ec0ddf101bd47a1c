/* web.c: the HTTP server of 'chacc serve': routes, tokens, CSRF, assets, replies */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "run.h"
#include "recipe.h"
#include "session.h"
#include "util.h"
#include "web_users.h"

static struct {
	char *recipe;
	char *token;                 /* NULL: none asked (loopback) */
	const struct web_users *users; /* named users, each with a token, or NULL */
	char csrf[65];
} srv;

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
	free(rq->text);
	rq->text = diags_text(&rq->diags);
	return rq->text;
}

json_t *
web_diags_json(const struct diags *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		json_t *o = json_pack("{s:s}", "severity", diag_severity_name(g->severity));

		if (g->file) {
			char *norm = web_path_norm(NULL, g->file);

			json_object_set_new(o, "file", web_jstr(norm));
			free(norm);
		}
		if (g->line > 0)
			json_object_set_new(o, "line", json_integer(g->line));
		if (g->line > 0 && g->column > 0)
			json_object_set_new(o, "column", json_integer(g->column));
		if (g->target)
			json_object_set_new(o, "target", web_jstr(g->target));
		json_object_set_new(o, "message", web_jstr(g->message));
		json_array_append_new(arr, o);
	}
	return arr;
}

void
web_diag_error(struct web_reply *rp, int status, const char *what, const struct diags *d,
               const char *fallback)
{
	char *text = diags_text(d), *msg;

	if (!*text)
		msg = what ? xasprintf("%s: %s", what, fallback) : xstrdup(fallback);
	else
		msg = what ? xasprintf("%s: %s", what, text) : xstrdup(text);
	web_json(rp, status, json_pack("{s:o, s:o}", "error", web_jstr(msg), "diagnostics",
	                               web_diags_json(d)));
	free(msg);
	free(text);
}

static void
reply_body(struct web_reply *rp, int status, const char *type, char *body, size_t len)
{
	if (!rp->fixed)
		free(rp->body);
	rp->fixed = false;
	rp->status = status;
	rp->type = type;
	rp->body = body;
	rp->len = len;
}

void
web_text(struct web_reply *rp, int status, const char *type, const char *text, size_t len)
{
	size_t n;
	char *s = scrub_textn(text, len, &n);

	reply_body(rp, status, type, s, n);
}

void
web_json(struct web_reply *rp, int status, json_t *j)
{
	char *s;

	if (!j) {
		/* a json_pack() refused its strings: say so, never "null" */
		status = 500;
		j = json_pack("{s:s}", "error", "the answer could not be encoded as JSON");
	}
	scrub_json(j);
	s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
	json_decref(j);
	if (!s) {
		status = 500;
		s = xstrdup("{\"error\": \"the answer could not be encoded as JSON\"}");
	}
	reply_body(rp, status, "application/json", xasprintf("%s\n", s), strlen(s) + 1);
	free(s);
}

void
web_error(struct web_reply *rp, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	json_t *j = json_object();

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/* a message may quote what a client sent: a path, a name, not always UTF-8 */
	json_object_set_new(j, "error", web_jstr(msg));
	web_json(rp, status, j);
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

bool
web_named_users(void)
{
	return srv.users != NULL;
}

const char *
web_csrf(void)
{
	return srv.csrf;
}

int
web_session(struct web_req *rq, struct web_reply *rp, struct session *s, bool connect)
{
	struct run_request req = { .recipe = srv.recipe, .diags = &rq->diags };
	enum outcome rc = session_open(s, &req, connect);

	/* before any message of a failed connection reaches the client */
	scrub_add_recipe(s->r);
	if (rc == OUTCOME_OK)
		return 0;
	if (rc == OUTCOME_BAD_REQUEST)
		web_diag_error(rp, 422, NULL, &rq->diags, "the recipe does not load");
	else
		web_diag_error(rp, 503, NULL, &rq->diags, "the target database cannot be reached");
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
	static const char *const names[] = { "csrf", "editor", "login" };
	const char *values[3];
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
	values[2] = srv.users ? "This server knows its users: give your own token." :
	            "This server asks for its token (<code>--token</code> or"
	            " <code>CHACC_UI_TOKEN</code>).";
	buf_init(&b);
	subst(&b, (const char *)a->data, a->len, names, values, LEN(names));
	reply_body(rp, 200, a->type, b.s, b.len);
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
	/* served as it is: no copy, nothing to scrub */
	reply_body(rp, 200, a->type, (char *)a->data, a->len);
	rp->fixed = true;
}

static void
index_page(struct web_req *rq, struct web_reply *rp)
{
	(void)rq;
	page(rp, "/assets/index.html");
}

static void
csrf_page(struct web_req *rq, struct web_reply *rp)
{
	(void)rq;
	web_json(rp, 200, json_pack("{s:s}", "csrf", srv.csrf));
}

/* who asks: the user and role (named false and role approver in the single-token mode) */
static void
me_page(struct web_req *rq, struct web_reply *rp)
{
	const struct web_user *u = rq->user;

	web_json(rp, 200, json_pack("{s:b, s:o, s:o, s:s}", "named", srv.users != NULL, "user",
	                            web_jstr(u ? u->name : NULL), "email",
	                            web_jstr(u ? u->email : NULL), "role",
	                            web_role_name(u ? u->role : ROLE_APPROVER)));
}

/* the token given is right: the server's, or with named users one of theirs (*user) */
static bool
token_ok(const char *given, const struct web_user **user)
{
	*user = NULL;
	if (srv.users)
		return (*user = web_users_find(srv.users, given)) != NULL;
	return secret_eq(given, srv.token);
}

/* the token check; false after replying (login page, 401 or a redirect) */
static bool
authorised(struct web_req *rq, struct web_reply *rp)
{
	const char *given;

	if (!srv.token && !srv.users)
		return true;
	given = web_arg(rq, "token");
	if (given && strcmp(rq->path, "/") == 0 && token_ok(given, &rq->user)) {
		rp->status = 303;
		rp->location = xstrdup("/");
		rp->type = "text/plain";
		rp->authorised = true;
		rp->token_cookie = xstrdup(given);
		return false;
	}
	if (token_ok(request_token(rq), &rq->user) || strstarts(rq->path, "/assets/"))
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

/* a page answered by the server itself (not a route of the table), or NULL */
static web_handler
page_handler(const char *path)
{
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		return index_page;
	if (strcmp(path, "/api/csrf") == 0)
		return csrf_page;
	if (strcmp(path, "/api/me") == 0)
		return me_page;
	if (strstarts(path, "/assets/"))
		return serve_asset;
	return NULL;
}

/* add a method to an Allow list (GET brings HEAD) */
static void
allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);

	if (!strstr(allow, method))
		snprintf(allow + len, size - len, "%s%s%s", len ? ", " : "", method,
		         strcmp(method, "GET") == 0 ? ", HEAD" : "");
}

/*
 * the route of the table for the request's path and method (its rest set),
 * or NULL with rp->allow listing the methods the path takes ("" for an
 * unknown path)
 */
static const struct route *
find_route(struct web_req *rq, struct web_reply *rp, const char *method)
{
	const struct route *match = NULL;

	rp->allow[0] = '\0';
	for (size_t i = 0; i < LEN(routes); i++) {
		const struct route *r = &routes[i];
		size_t n = strlen(r->path);
		bool prefix = r->path[n - 1] == '/';

		if (prefix ? !(strncmp(rq->path, r->path, n) == 0 && rq->path[n]) :
		    strcmp(rq->path, r->path) != 0)
			continue;
		allow_add(rp->allow, sizeof(rp->allow), r->method);
		if (strcmp(r->method, method) == 0 && !match) {
			match = r;
			rq->rest = prefix ? rq->path + n : "";
		}
	}
	return match;
}

/*
 * a wrong method is 405 with an Allow header, whether or not the request
 * carries the CSRF token (nothing is done either way); a state change that
 * the path takes needs the CSRF token
 */
web_handler
web_route(struct web_req *rq, struct web_reply *rp)
{
	const struct route *match = NULL;
	const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
	web_handler own;

	if (!srv.token && !srv.users && !loopback_host(header(rq, "Host"))) {
		web_error(rp, 403, "this server answers to loopback names only"
		          " (start it with --token to serve other names)");
		return NULL;
	}
	if (!authorised(rq, rp))
		return NULL;
	rp->authorised = true;
	if ((own = page_handler(rq->path))) {
		if (strcmp(method, "GET") == 0) {
			own(rq, rp);
			return NULL;
		}
		snprintf(rp->allow, sizeof(rp->allow), "GET, HEAD");
	} else if ((match = find_route(rq, rp, method)) == NULL && !rp->allow[0]) {
		web_error(rp, 404, "no such page '%s'", rq->path);
		return NULL;
	}
	if (!match) {
		web_error(rp, 405, "method %s not allowed here (allowed: %s)", rq->method, rp->allow);
		return NULL;
	}
	rp->allow[0] = '\0';
	if (state_changing(method) && !secret_eq(header(rq, "X-CSRF-Token"), srv.csrf)) {
		web_error(rp, 403, "missing or wrong X-CSRF-Token header (GET /api/csrf gives it)");
		return NULL;
	}
	if (rq->user && rq->user->role < web_role_needed(method, rq->path)) {
		web_error(rp, 403, "%s may not do this: %s %s needs the role %s, and %s is %s %s",
		          rq->user->name, rq->method, rq->path,
		          web_role_name(web_role_needed(method, rq->path)), rq->user->name,
		          rq->user->role == ROLE_APPROVER ? "an" : "a", web_role_name(rq->user->role));
		return NULL;
	}
	return match->fn;
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
web_setup(const struct web_config *c, char **err)
{
	if (random_hex(srv.csrf, 32) < 0) {
		*err = xasprintf("cannot make a CSRF token: %s", strerror(errno));
		return -1;
	}
	srv.recipe = xstrdup(c->recipe ? c->recipe : "chacc.yml");
	srv.users = c->users;
	/* with named users each has a token: no other is asked */
	srv.token = !c->users && c->token && *c->token ? xstrdup(c->token) : NULL;
	{
		char *dir = path_dir(srv.recipe);

		env_load_dotenvs(".", dir);
		scrub_init(dir);
		free(dir);
	}
	if (srv.token)
		scrub_add(srv.token, NULL, true);
	return 0;
}

void
web_teardown(void)
{
	free(srv.recipe);
	free(srv.token);
	srv.recipe = srv.token = NULL;
	srv.users = NULL;
}
