/*
 * web_conn.c: the connections of 'chacc serve'. One libmicrohttpd polling
 * thread reads every request (epoll, with a connection limit and an idle
 * timeout); what its headers decide (refusals, pages, assets) is answered
 * there and then, before any body is read. A request for the API is handed,
 * its connection suspended, to a pool of WEB_WORKERS threads, which may take
 * their time (a database, git); the answer is queued when the connection
 * resumes. Event streams wait suspended (web_events.c): no client holds a
 * thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <git2.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "util.h"
#include "web.h"

/* threads that answer API requests */
#define WEB_WORKERS 16
/* the most connections at once; fewer when the descriptor limit is low */
#define WEB_MAX_CONNS 1024
/* descriptors kept for database connections, git and the log */
#define FD_RESERVE 256

/* one request, from its headers to its answer */
struct reqstate {
	struct MHD_Connection *conn;
	const char *url, *method;    /* MHD's, valid until the request completes */
	struct buf body;
	bool too_big;
	web_handler fn;              /* the route's handler, run by a worker; NULL once answered */
	const char *rest;
	char client[64];
	const struct web_user *user; /* who asks (named users), or NULL */
	struct web_reply rp;
	atomic_bool answered;        /* rp holds the answer: queue it on resume */
	struct reqstate *next;       /* in the work queue */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct reqstate *head, *tail;
	bool closing;
	pthread_t th[WEB_WORKERS];
	size_t nth;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false, { 0 }, 0 };

static struct MHD_Daemon *httpd;
static unsigned max_clients;

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
	if (rp->allow[0])
		MHD_add_response_header(r, "Allow", rp->allow);
	if (rp->location)
		MHD_add_response_header(r, "Location", rp->location);
	if (rp->type && !rp->raw)
		MHD_add_response_header(r, "Content-Type", rp->type);
	if (!rp->raw)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* queue rp on c and free what it holds */
static enum MHD_Result
respond(struct MHD_Connection *c, struct web_reply *rp)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;
	char *cookie;

	if (rp->raw)
		r = rp->raw;
	else if (rp->fixed)
		r = MHD_create_response_from_buffer(rp->len, rp->body, MHD_RESPMEM_PERSISTENT);
	else {
		r = MHD_create_response_from_buffer(rp->len, rp->body ? rp->body : (char *)"",
		                                    rp->body ? MHD_RESPMEM_MUST_FREE :
		                                    MHD_RESPMEM_PERSISTENT);
		if (r)
			rp->body = NULL;
	}
	rp->raw = NULL;
	if (r) {
		add_headers(r, rp);
		/* a request without the token learns nothing, the CSRF token neither */
		if (rp->authorised) {
			cookie = xasprintf("chacc_csrf=%s; Path=/; SameSite=Strict", web_csrf());
			MHD_add_response_header(r, "Set-Cookie", cookie);
			free(cookie);
		}
		if (rp->token_cookie) {
			cookie = xasprintf("chacc_token=%s; Path=/; HttpOnly; SameSite=Strict",
			                   rp->token_cookie);
			MHD_add_response_header(r, "Set-Cookie", cookie);
			free(cookie);
		}
		ret = MHD_queue_response(c, (unsigned)rp->status, r);
		MHD_destroy_response(r);
	}
	if (!rp->fixed)
		free(rp->body);
	rp->body = NULL;
	free(rp->location);
	rp->location = NULL;
	free(rp->token_cookie);
	rp->token_cookie = NULL;
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

/* run a request's handler; in a worker */
static void
handle(struct reqstate *st)
{
	struct web_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.conn = st->conn;
	rq.method = st->method;
	rq.path = st->url;
	rq.rest = st->rest;
	buf_addc(&st->body, '\0');
	rq.body = st->body.s;
	rq.len = st->body.len - 1;
	snprintf(rq.client, sizeof(rq.client), "%s", st->client);
	rq.user = st->user;
	diags_init(&rq.diags);
	st->fn(&rq, &st->rp);
	diags_release(&rq.diags);
	free(rq.text);
}

static void *
worker(void *arg)
{
	for (;;) {
		struct reqstate *st;
		bool closing;

		pthread_mutex_lock(&pool.mu);
		while (!pool.head && !pool.closing)
			pthread_cond_wait(&pool.cond, &pool.mu);
		if (!(st = pool.head)) {
			pthread_mutex_unlock(&pool.mu);
			return NULL;
		}
		pool.head = st->next;
		if (!pool.head)
			pool.tail = NULL;
		closing = pool.closing;
		pthread_mutex_unlock(&pool.mu);
		if (closing)
			web_error(&st->rp, 503, "the server is shutting down");
		else
			handle(st);
		/* the polling thread queues the answer once the connection is back */
		atomic_store(&st->answered, true);
		MHD_resume_connection(st->conn);
	}
}

/* hand st to a worker and suspend its connection; false when the server is closing */
static bool
pool_submit(struct reqstate *st)
{
	pthread_mutex_lock(&pool.mu);
	if (pool.closing) {
		pthread_mutex_unlock(&pool.mu);
		return false;
	}
	/* suspended before a worker can resume it */
	MHD_suspend_connection(st->conn);
	st->next = NULL;
	if (pool.tail)
		pool.tail->next = st;
	else
		pool.head = st;
	pool.tail = st;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.mu);
	return true;
}

/* the request's headers are in: route it, answering now what needs no handler */
static enum MHD_Result
request_start(struct reqstate *st)
{
	const char *cl = MHD_lookup_connection_value(st->conn, MHD_HEADER_KIND, "Content-Length");
	struct web_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.conn = st->conn;
	rq.method = st->method;
	rq.path = st->url;
	rq.rest = "";
	rq.body = (char *)"";
	client_name(st->conn, st->client, sizeof(st->client));
	/* who may ask, and for what, is known from the headers: refuse before reading a body */
	if (!(st->fn = web_route(&rq, &st->rp)))
		return respond(st->conn, &st->rp);
	st->rest = rq.rest;
	st->user = rq.user;
	/* far too big: answer now, before reading it */
	if (cl && strtoull(cl, NULL, 10) > 8ull * WEB_MAX_BODY) {
		st->fn = NULL;
		web_error(&st->rp, 413, "request body over %d bytes", WEB_MAX_BODY);
		return respond(st->conn, &st->rp);
	}
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *data, size_t *size, void **ptr)
{
	struct reqstate *st = *ptr;

	if (!st) {
		st = xcalloc(1, sizeof(*st));
		buf_init(&st->body);
		st->conn = c;
		st->url = url;
		st->method = method;
		st->rp.status = 500;
		atomic_init(&st->answered, false);
		*ptr = st;
		return request_start(st);
	}
	if (atomic_load(&st->answered))
		return respond(c, &st->rp);
	if (!st->fn) {
		/* answered from its headers: the body is not read */
		*size = 0;
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
		web_error(&st->rp, 413, "request body over %d bytes", WEB_MAX_BODY);
		return respond(c, &st->rp);
	}
	if (!pool_submit(st)) {
		web_error(&st->rp, 503, "the server is shutting down");
		return respond(c, &st->rp);
	}
	return MHD_YES;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ptr, enum MHD_RequestTerminationCode toe)
{
	struct reqstate *st = *ptr;

	if (st) {
		buf_release(&st->body);
		if (st->rp.raw)
			MHD_destroy_response(st->rp.raw);
		if (!st->rp.fixed)
			free(st->rp.body);
		free(st->rp.location);
		free(st->rp.token_cookie);
		free(st);
		*ptr = NULL;
	}
}

/* raise the soft descriptor limit to the hard one; the clients it leaves room for */
static unsigned
client_limit(void)
{
	struct rlimit rl;
	rlim_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || rl.rlim_cur < rl.rlim_max)) {
		struct rlimit want = { rl.rlim_max, rl.rlim_max };

		/* an unlimited hard limit: ask for plenty, not infinity */
		if (want.rlim_cur == RLIM_INFINITY)
			want.rlim_cur = 65536;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl.rlim_cur = want.rlim_cur;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= WEB_MAX_CONNS + FD_RESERVE)
		return WEB_MAX_CONNS;
	room = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : rl.rlim_cur / 2;
	return room < 16 ? 16 : (unsigned)room;
}

static void
pool_close(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.closing = true;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.mu);
}

static void
pool_join(void)
{
	for (size_t i = 0; i < pool.nth; i++)
		pthread_join(pool.th[i], NULL);
	pool.nth = 0;
}

int
web_start(const struct web_config *c, char **err)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
	uint16_t port;

	if (web_needs_token(c->addr) && !c->users && (!c->token || !*c->token)) {
		*err = xstrdup("serving off loopback needs a token: give --token TOKEN or set"
		               " CHACC_UI_TOKEN, or name users with --users FILE");
		return -1;
	}
	if (web_setup(c, err) < 0)
		return -1;
	max_clients = client_limit();
	if (max_clients < WEB_MAX_CONNS)
		warning("serving at most %u clients at once: the limit of open files is low",
		        max_clients);
	/* libgit2 stays initialised while request threads use it: its per-thread state is freed as they end */
	git_libgit2_init();
	jobs_init();
	events_init();
	pool.closing = false;
	for (pool.nth = 0; pool.nth < WEB_WORKERS; pool.nth++)
		if (pthread_create(&pool.th[pool.nth], NULL, worker, NULL) != 0)
			break;
	if (c->addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	port = c->addr->sa_family == AF_INET6 ?
	       ntohs(((const struct sockaddr_in6 *)c->addr)->sin6_port) :
	       ntohs(((const struct sockaddr_in *)c->addr)->sin_port);
	errno = 0;
	if (pool.nth > 0)
		httpd = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL,
		                           MHD_OPTION_SOCK_ADDR, c->addr,
		                           MHD_OPTION_CONNECTION_LIMIT, max_clients,
		                           MHD_OPTION_CONNECTION_TIMEOUT,
		                           c->timeout ? c->timeout : (unsigned)WEB_TIMEOUT,
		                           MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		                           MHD_OPTION_END);
	if (!httpd) {
		*err = pool.nth == 0 ? xstrdup("cannot start the request threads") :
		       xasprintf("cannot listen on port %u%s%s", port, errno ? ": " : "",
		                 errno ? strerror(errno) : "");
		pool_close();
		pool_join();
		jobs_cancel();
		jobs_shutdown();
		events_shutdown();
		git_libgit2_shutdown();
		web_teardown();
		return -1;
	}
	return 0;
}

int
web_port(void)
{
	const union MHD_DaemonInfo *i = httpd ? MHD_get_daemon_info(httpd,
	                                                             MHD_DAEMON_INFO_BIND_PORT) :
	                                NULL;

	return i ? i->port : -1;
}

void
web_stop(void)
{
	/* no new request starts; builds are cancelled, so requests waiting on them end */
	pool_close();
	jobs_cancel();
	pool_join();
	jobs_shutdown();
	events_shutdown();
	if (httpd)
		MHD_stop_daemon(httpd);
	httpd = NULL;
	git_libgit2_shutdown();
	web_teardown();
}
