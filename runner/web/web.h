/* web.h: the web UI and REST API of 'chacc serve' (DESIGN §8) */
#ifndef CHACC_WEB_H
#define CHACC_WEB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "diag.h"

struct json_t;
struct recipe;
struct session;
struct vcs;
struct vcs_review;
struct web_user;
struct web_users;
struct MHD_Connection;
struct MHD_Response;

/* the largest request body the server reads, uploads included */
#define WEB_MAX_BODY (1024 * 1024)

/* how the server was started */
struct web_config {
	const char *recipe;          /* -f RECIPE, or NULL for chacc.yml */
	const struct sockaddr *addr; /* address to listen on */
	socklen_t addrlen;
	const char *token;           /* asked of every request, or NULL on loopback */
	const struct web_users *users; /* named users (--users), each with a token, or NULL;
	                                  kept, not copied, until web_stop() */
	unsigned timeout;            /* seconds a client may stay idle (0: WEB_TIMEOUT) */
};

/* seconds an idle client keeps its connection, unless CHACC_UI_TIMEOUT says otherwise */
#define WEB_TIMEOUT 30

/* the address is not loopback (127.0.0.0/8, ::1, ::ffff:127.x): serving there needs a token */
bool web_needs_token(const struct sockaddr *sa);
/* listen and serve in background threads; 0 or -1 with *err (web_conn.c) */
int web_start(const struct web_config *c, char **err);
/* the port the server listens on (the one chosen for port 0), or -1 */
int web_port(void);
/* cancel running builds, end event streams, stop listening */
void web_stop(void);

/* inside the server: one request and its reply (web.c) */
struct web_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;            /* the URL path */
	const char *rest;            /* what follows the route's prefix */
	char *body;                  /* request body, NUL-terminated ("" when none) */
	size_t len;
	char client[64];             /* peer address */
	struct diags diags;          /* the problems its work found (diag.h) */
	char *text;                  /* what web_messages() last gave */
	const struct web_user *user; /* who asks, with --users; NULL in the single-token mode */
};

struct web_reply {
	int status;
	const char *type;            /* Content-Type */
	char *body;                  /* malloc'ed */
	size_t len;
	bool fixed;                  /* body is static data (an asset), not malloc'ed */
	char allow[64];              /* Allow header of a 405, or "" */
	char *location;              /* Location header of a redirect, malloc'ed */
	struct MHD_Response *raw;    /* a response made by the handler (event stream) */
	bool authorised;             /* the request passed the token check: it gets the CSRF cookie */
	char *token_cookie;          /* the token cookie a login sets, malloc'ed */
};

typedef void (*web_handler)(struct web_req *rq, struct web_reply *rp);

/* web.c: the server's settings (recipe, token, CSRF token); 0 or -1 with *err */
int web_setup(const struct web_config *c, char **err);
void web_teardown(void);
/* the CSRF token state-changing requests must show */
const char *web_csrf(void);
/*
 * what a request's headers decide, before its body is read: the handler of
 * its route, or NULL after replying (a refusal, a page, an asset, 404, 405)
 */
web_handler web_route(struct web_req *rq, struct web_reply *rp);

/* a query-string argument, or NULL */
const char *web_arg(struct web_req *rq, const char *name);
/* the problems this request's work found, as text, one a line ("" when none) */
const char *web_messages(struct web_req *rq);
/* diagnostics as a JSON array of {file, line, column, target, message, severity} (known fields) */
struct json_t *web_diags_json(const struct diags *d);
/*
 * reply {"error": text, "diagnostics": [...]}: the text is what (when not
 * NULL), ": " and the diagnostics', or what and fallback when there are none
 */
void web_diag_error(struct web_reply *rp, int status, const char *what, const struct diags *d,
                    const char *fallback);
/* reply with JSON (steals j); its strings pass scrub_json() */
void web_json(struct web_reply *rp, int status, struct json_t *j);
/* reply {"error": message}; the message passes scrub_json() */
void web_error(struct web_reply *rp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* reply with text of a type (copied, scrubbed) */
void web_text(struct web_reply *rp, int status, const char *type, const char *text, size_t len);
/* the request body as a JSON object; replies 400 and returns NULL when it is not one */
struct json_t *web_body_json(struct web_req *rq, struct web_reply *rp);
/* the recipe path the server reads */
const char *web_recipe(void);
/* the server has named users (serve --users) */
bool web_named_users(void);
/* load the recipe (and connect); on failure replies 422 or 503 with the reason and returns -1 */
int web_session(struct web_req *rq, struct web_reply *rp, struct session *s, bool connect);

/*
 * web_scrub.c: text bound for a client. scrub_json() replaces, in every
 * string of an answer or event, the values scrub_init() and scrub_add*()
 * registered (by the variable's name, "${NAME}", or "(hidden)") and the
 * user@host, host and socket words of server messages. Secrets of 8 bytes
 * or more are hidden wherever they appear; shorter ones, users, hosts and
 * sockets as whole words, unless the UI shows that word anyway (the
 * program's name, a recipe, connection, site or target name). The text of
 * config files (members "content" and "text") is left as written: see
 * web_file_refusal().
 */
/* the server's environment and .env: values of variables named like a password, secret or token (and in .env a user, host or socket) */
void scrub_init(const char *recipedir);
/* a value to hide (secret: wherever it appears; else as a whole word), shown as label or "(hidden)" */
void scrub_add(const char *value, const char *label, bool secret);
/* the passwords, users, hosts and sockets of r's connections; its names stay shown */
void scrub_add_recipe(const struct recipe *r);
/* s[0..n) scrubbed, malloc'ed, its length in *outlen */
char *scrub_textn(const char *s, size_t n, size_t *outlen);
/* s[0..n) holds a secret */
bool scrub_has_secret(const char *s, size_t n);
/* every string of j scrubbed, in place */
void scrub_json(struct json_t *j);
/* s[0..n) is valid UTF-8 (as JSON strings must be) */
bool web_utf8(const char *s, size_t n);
/* a JSON string of outside text: bytes that are not UTF-8 become U+FFFD; JSON null for NULL */
struct json_t *web_jstrn(const char *s, size_t n);
struct json_t *web_jstr(const char *s);

/* web_api.c: targets, status, plan, graph, runs, metrics */
void api_targets(struct web_req *rq, struct web_reply *rp);
void api_target(struct web_req *rq, struct web_reply *rp);
void api_status(struct web_req *rq, struct web_reply *rp);
void api_plan(struct web_req *rq, struct web_reply *rp);
void api_graph(struct web_req *rq, struct web_reply *rp);
void api_runs(struct web_req *rq, struct web_reply *rp);
void api_run(struct web_req *rq, struct web_reply *rp);
void api_metrics(struct web_req *rq, struct web_reply *rp);
/*
 * web_quality.c: GET /api/targets/NAME/checks (the latest result of each
 * check) and /api/targets/NAME/profile (the newest profile, 404 when none):
 * whether rq->rest was NAME/SOMETHING, replied to (404 for other pages)
 */
bool api_target_quality(struct web_req *rq, struct web_reply *rp);
/*
 * web_sites.c: /api/targets/NAME/sites (the sites of a target that reads a
 * group, report.h's report_sites; [] for none): whether rq->rest was
 * NAME/sites, replied to
 */
bool api_target_sites(struct web_req *rq, struct web_reply *rp);

/* web_jobs.c: builds in background threads */
void jobs_init(void);
/* cancel every build and refuse new ones */
void jobs_cancel(void);
/* wait for every build and forget them (after jobs_cancel, once no request runs) */
void jobs_shutdown(void);
void api_runs_start(struct web_req *rq, struct web_reply *rp);
void api_run_cancel(struct web_req *rq, struct web_reply *rp);
void api_jobs(struct web_req *rq, struct web_reply *rp);

/*
 * web_events.c: the event stream (server-sent events). A stream waits
 * without a thread: its connection is suspended until an event or the
 * keep-alive (every EVENTS_KEEPALIVE seconds) resumes it.
 */
#define EVENTS_KEEPALIVE 15
void events_init(void);
/* add an event (steals j; scrubbed); it gets its id */
void events_push(struct json_t *j);
/* end every stream */
void events_shutdown(void);
void api_events(struct web_req *rq, struct web_reply *rp);

/*
 * web_live.c: every run of the recipe, wherever started, followed in the
 * target database while a client listens on /api/events (a read every
 * LIVE_EVERY seconds): its changes as "run" and "target" events
 */
#define LIVE_EVERY 1
void live_start(void);
void live_stop(void);
/* a client starts (1) or stops (-1) listening */
void live_listen(int delta);
/* the "live" "down" event (JSON, scrubbed) while the database does not answer, else NULL */
char *live_down_event(void);

/* web_files.c: config files, their validation and reviews */
/*
 * the file a client names, checked: relative, under recipes/ or sql/, no
 * "." or ".." parts, a .sql, .yml, .yaml or .json name, and no symlink
 * leading out of its directory. must_exist: an existing regular file; else
 * it may be new in an existing directory. Returns the path (malloc'ed, as
 * given) or NULL with *err and an HTTP status in *status.
 */
char *web_path_check(const char *rel, bool must_exist, int *status, char **err);
/* rel (relative to dir) relative to the working directory, "." and ".." parts resolved; malloc'ed */
char *web_path_norm(const char *dir, const char *rel);
/* why the editor may not have a file's text (not UTF-8, holds a secret), or NULL */
const char *web_file_refusal(const char *text, size_t len);
void api_files(struct web_req *rq, struct web_reply *rp);
void api_file(struct web_req *rq, struct web_reply *rp);
void api_file_propose(struct web_req *rq, struct web_reply *rp);
/* held while a proposal's text is in the working tree and while reviews change */
extern pthread_mutex_t web_files_mu;
/* a review as JSON: id, branch, state, newest commit */
struct json_t *web_review_json(const struct vcs_review *rv);
void api_reviews(struct web_req *rq, struct web_reply *rp);
void api_review(struct web_req *rq, struct web_reply *rp);
void api_review_decide(struct web_req *rq, struct web_reply *rp);
/*
 * vcs_open() of the server's recipe; with named users what it commits is
 * authored by the request's user. 0, 1 outside git, or -1 with *err
 */
int web_vcs_open(struct web_req *rq, struct vcs **v, char **err);

/* web_assets.c (generated from web/ by web/embed): the files the browser loads */
struct web_asset {
	const char *path;            /* "/assets/app.js" */
	const char *type;
	const unsigned char *data;
	size_t len;
};
extern const struct web_asset web_assets[];
extern const size_t web_nassets;

#endif
