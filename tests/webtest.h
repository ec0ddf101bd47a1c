/* webtest.h: helpers of the web suites: a clinic project in git, chacc serve, HTTP */
#ifndef CHACC_WEBTEST_H
#define CHACC_WEBTEST_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "itest.h"

/* the database password of the web projects: it must never reach a client */
#define SECRET "Zq9-web-Secret-pw"

static const char recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 1, retry_delay: 100ms }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: ../sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: voided, lookback: 1s }\n"
	"  - name: visits\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: ../sql/visits.sql\n"
	"    key: [id]\n"
	"  - name: people_visits\n"
	"    kind: table\n"
	"    needs: [people, visits]\n"
	"    query: ../sql/people_visits.sql\n"
	"    key: [visit_id]\n"
	"  - name: visit_counts\n"
	"    kind: table\n"
	"    needs: [people_visits]\n"
	"    query: ../sql/visit_counts.sql\n"
	"    key: [name]\n";

static const char slow_recipe[] =
	"chacc: 1\n"
	"name: slow\n"
	"connections:\n"
	"  - name: target\n"
	"    socket: ${TARGET_DB_SOCKET}\n"
	"    user: ${TARGET_DB_USER}\n"
	"    password: ${TARGET_DB_PASSWORD}\n"
	"    database: ${TARGET_DB_NAME}\n"
	"target: target\n"
	"targets:\n"
	"  - name: slow\n"
	"    kind: table\n"
	"    query: ../sql/slow.sql\n";

static inline void
git(struct proj *p, const char *args)
{
	char *cmd = xasprintf("cd '%s' && git %s >/dev/null 2>&1", p->dir, args);

	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

/* a project whose connections use a user with a password worth stealing, in git */
static inline void
proj_web(struct proj *p, const char *name, bool slow)
{
	char *env;

	proj_new(p, name);
	for (int i = 0; i < 2; i++) {
		struct db *d = i ? p->tgt : p->src;

		sql(d, "CREATE USER IF NOT EXISTS 'webu'@'%%' IDENTIFIED BY '" SECRET "'");
		sql(d, "CREATE USER IF NOT EXISTS 'webu'@'localhost' IDENTIFIED BY '" SECRET "'");
		sql(d, "GRANT ALL PRIVILEGES ON *.* TO 'webu'@'%%'");
		sql(d, "GRANT ALL PRIVILEGES ON *.* TO 'webu'@'localhost'");
	}
	env = xasprintf("SOURCE_DB_SOCKET=%s\nSOURCE_DB_USER=webu\nSOURCE_DB_PASSWORD=" SECRET "\n"
	                "SOURCE_DB_NAME=%s\nTARGET_DB_SOCKET=%s\nTARGET_DB_USER=webu\n"
	                "TARGET_DB_PASSWORD=" SECRET "\nTARGET_DB_NAME=%s\n",
	                getenv("CHACC_TEST_SRC_SOCKET"), p->srcdb, getenv("CHACC_TEST_TGT_SOCKET"),
	                p->tgtdb);
	write_file(p, ".env", env);
	free(env);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', NOW() - INTERVAL 1 DAY, 0),"
	    " (2, 'bob', NOW() - INTERVAL 1 DAY, 0), (3, 'cy', NOW() - INTERVAL 1 DAY, 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2026-01-01'), (11, 1, '2026-01-02'),"
	    " (12, 2, '2026-01-03')");
	write_file(p, "recipes/clinic.yml", slow ? slow_recipe : recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits\n");
	write_file(p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	write_file(p, "sql/visit_counts.sql",
	           "SELECT name, COUNT(*) AS n FROM people_visits GROUP BY name\n");
	write_file(p, "sql/slow.sql", "SELECT SLEEP(30) AS x\n");
	write_file(p, ".gitignore", ".env\nstate/\n");
	git(p, "init -q -b main .");
	git(p, "config user.name 'Web Tester'");
	git(p, "config user.email web@example.org");
	git(p, "add -A");
	git(p, "commit -q -m 'the clinic'");
}

struct server {
	pid_t pid;
	int port;
	int outfd, errfd;
	char host[64];
};

/* start chacc serve with args after the recipe; NULL env for none */
static inline void
server_start(struct server *s, struct proj *p, const char *env, const char *bind, const char *token)
{
	char *args[16];
	int i = 0;
	double until = now_seconds() + 15;

	memset(s, 0, sizeof(*s));
	args[i++] = (char *)"-f";
	args[i++] = (char *)"recipes/clinic.yml";
	args[i++] = (char *)"serve";
	args[i++] = (char *)"--port";
	args[i++] = (char *)"0";
	args[i++] = (char *)"--bind";
	args[i++] = (char *)(bind ? bind : "127.0.0.1");
	if (token) {
		args[i++] = (char *)"--token";
		args[i++] = (char *)token;
	}
	args[i] = NULL;
	snprintf(s->host, sizeof(s->host), "%s", bind ? bind : "127.0.0.1");
	s->pid = chacc_start(p, env, &s->outfd, &s->errfd, args);
	while (now_seconds() < until) {
		char *out = fd_text(s->outfd), *at = strstr(out, "serving on http://");

		if (at && (at = strchr(at + 18, ':')) && strchr(at, '/')) {
			s->port = atoi(at + 1);
			free(out);
			return;
		}
		free(out);
		ck_assert_msg(waitpid(s->pid, NULL, WNOHANG) == 0, "chacc serve exited: %s",
		              fd_text(s->errfd));
		sleep_interruptible(0.05, NULL);
	}
	ck_abort_msg("chacc serve did not start: %s", fd_text(s->errfd));
}

static inline void
server_stop(struct server *s)
{
	int st;

	kill(s->pid, SIGTERM);
	st = wait_status(s->pid);
	ck_assert_msg(st == 0, "chacc serve exited %d: %s", st, fd_text(s->errfd));
	close(s->outfd);
	close(s->errfd);
}

struct resp {
	int status;
	char *head;              /* status line and headers */
	char *body;
};

/* strings no answer and no event may hold, besides SECRET */
static const char *forbidden[16];
static size_t nforbidden;
/* the address requests come from (a loopback address), or NULL for the kernel's choice */
static const char *client_src;

static inline void
assert_clean(const char *what, const char *text)
{
	ck_assert_msg(!strstr(text, SECRET), "%s gave away the password: %s", what, text);
	for (size_t i = 0; i < nforbidden; i++)
		ck_assert_msg(!strstr(text, forbidden[i]), "%s gave away '%s': %s", what, forbidden[i],
		              text);
}

/* a socket connected to the server (from client_src when set) */
static inline int
server_socket(struct server *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	if (client_src) {
		struct sockaddr_in me = { .sin_family = AF_INET };

		inet_pton(AF_INET, client_src, &me.sin_addr);
		ck_assert_msg(bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0, "bind %s: %s",
		              client_src, strerror(errno));
	}
	inet_pton(AF_INET, s->host, &sa.sin_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect to %s:%d: %s",
	              s->host, s->port, strerror(errno));
	return fd;
}

static inline void
resp_free(struct resp *r)
{
	free(r->head);
	free(r->body);
}

/* send raw bytes, read the reply until the server closes (or timeout seconds) */
static inline struct resp
http_raw(struct server *s, const char *req, size_t len, double timeout)
{
	struct resp r = { 0 };
	struct buf b;
	char tmp[8192], *sep, *what;
	int fd = server_socket(s);
	double until = now_seconds() + timeout;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf_init(&b);
	buf_adds(&b, "");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)((until - now_seconds()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		if ((n = recv(fd, tmp, sizeof(tmp), 0)) <= 0)
			break;
		buf_add(&b, tmp, (size_t)n);
	}
	close(fd);
	sep = strstr(b.s, "\r\n\r\n");
	r.status = strstarts(b.s, "HTTP/1.") ? atoi(b.s + 9) : 0;
	r.head = sep ? xstrndup(b.s, (size_t)(sep - b.s)) : xstrdup(b.s);
	r.body = xstrdup(sep ? sep + 4 : "");
	buf_release(&b);
	/* every answer: no secret in it */
	what = xstrndup(req, strcspn(req, "\r\n"));
	assert_clean(what, r.head);
	assert_clean(what, r.body);
	free(what);
	return r;
}

/* one request; headers are extra "Name: value\r\n" lines */
static inline struct resp
http(struct server *s, const char *method, const char *path, const char *headers, const char *body)
{
	char *req = xasprintf("%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s"
	                      "Content-Length: %zu\r\n\r\n%s", method, path, s->host, s->port,
	                      headers ? headers : "", body ? strlen(body) : 0, body ? body : "");
	struct resp r = http_raw(s, req, strlen(req), 30);

	free(req);
	return r;
}

static inline struct resp
get(struct server *s, const char *path)
{
	return http(s, "GET", path, NULL, NULL);
}

static inline json_t *
body_json(struct resp *r)
{
	json_error_t e;
	json_t *j = json_loads(r->body, JSON_DECODE_ANY, &e);

	ck_assert_msg(j != NULL, "not JSON (%s): %s", e.text, r->body);
	return j;
}

#define assert_status(r, want) \
	ck_assert_msg((r).status == (want), "status %d, want %d: %s", (r).status, (want), (r).body)

/* GET path: status 200 and its JSON */
static inline json_t *
get_json(struct server *s, const char *path)
{
	struct resp r = get(s, path);
	json_t *j;

	assert_status(r, 200);
	j = body_json(&r);
	resp_free(&r);
	return j;
}

static inline char *
csrf_headers(struct server *s)
{
	json_t *j = get_json(s, "/api/csrf");
	char *h = xasprintf("X-CSRF-Token: %s\r\nContent-Type: application/json\r\n",
	                    json_string_value(json_object_get(j, "csrf")));

	json_decref(j);
	return h;
}

static inline struct resp
post(struct server *s, const char *path, const char *body)
{
	char *h = csrf_headers(s);
	struct resp r = http(s, "POST", path, h, body);

	free(h);
	return r;
}

/* wait until run id is over; its JSON */
static inline json_t *
wait_run(struct server *s, long long id)
{
	char *path = xasprintf("/api/runs/%lld", id);
	double until = now_seconds() + 90;

	for (;;) {
		json_t *j = get_json(s, path);
		const char *res = json_string_value(json_object_get(j, "result"));

		if (strcmp(res, "running") != 0 || now_seconds() > until) {
			free(path);
			return j;
		}
		json_decref(j);
		sleep_interruptible(0.1, NULL);
	}
}

static inline const char *
jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "(null)";
}

#include <openssl/evp.h>

/* the hex SHA-256 of a token, as a users file holds it (malloc'ed) */
static inline char *
token_sha256(const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *hex = xcalloc(65, 1);

	ck_assert(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) && n == 32);
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

/* users.yml in the project: n users of {name, email, token, role} */
static inline void
write_users(struct proj *p, const char *const (*users)[4], size_t n)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "# who may use the web UI\n");
	for (size_t i = 0; i < n; i++) {
		char *h = token_sha256(users[i][2]);

		buf_addf(&b, "- name: %s\n  email: %s\n  token_sha256: %s\n  role: %s\n",
		         users[i][0], users[i][1], h, users[i][3]);
		free(h);
	}
	write_file(p, "users.yml", b.s);
	buf_release(&b);
}

/* chacc -f recipes/clinic.yml serve --port 0 --users users.yml, on 127.0.0.1 */
static inline void
server_start_users(struct server *s, struct proj *p)
{
	char *const args[] = { "-f", "recipes/clinic.yml", "serve", "--port", "0", "--users",
	                       "users.yml", NULL };
	double until = now_seconds() + 15;

	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "127.0.0.1");
	s->pid = chacc_start(p, NULL, &s->outfd, &s->errfd, args);
	while (now_seconds() < until) {
		char *out = fd_text(s->outfd), *at = strstr(out, "serving on http://");

		if (at && (at = strchr(at + 18, ':')) && strchr(at, '/')) {
			s->port = atoi(at + 1);
			free(out);
			return;
		}
		free(out);
		ck_assert_msg(waitpid(s->pid, NULL, WNOHANG) == 0, "chacc serve exited: %s",
		              fd_text(s->errfd));
		sleep_interruptible(0.05, NULL);
	}
	ck_abort_msg("chacc serve did not start: %s", fd_text(s->errfd));
}

/*
 * a recipe of n tables in layers of 25 (a layer's targets need one to three
 * of the layers below, some far below), each tagged with its domain and
 * some 'nightly' too, written over recipes/clinic.yml: a graph to find in
 */
static inline void
proj_many_targets(struct proj *p, int n)
{
	static const char *dom[] = { "clinic", "lab", "pharmacy", "billing", "staff", "admissions" };
	static const char *stage[] = { "src", "stg", "int", "fct", "dim", "rpt" };
	struct buf b;
	unsigned seed = 11;
	char **names = xcalloc((size_t)n, sizeof(*names));

	buf_init(&b);
	buf_adds(&b, "chacc: 1\nname: many\n" TEST_CONNECTIONS "targets:\n");
	for (int i = 0; i < n; i++) {
		int layer = i / 25, d = (i * 7 + layer) % 6;

		names[i] = xasprintf("%s_%s_%s%d_%02d", stage[layer % 6], dom[d],
		                     i % 3 ? "" : "daily_summary_", layer, i % 25);
		buf_addf(&b, "  - name: %s\n    kind: table\n    query: ../sql/many.sql\n"
		         "    tags: [%s%s]\n", names[i], dom[d], i % 4 ? "" : ", nightly");
		if (layer == 0)
			continue;
		buf_addf(&b, "    needs: [%s", names[(layer - 1) * 25 + (i * 7 + 3) % 25]);
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 3)
			buf_addf(&b, ", %s", names[(layer - 1) * 25 + (i * 11 + 5) % 25]);
		if (layer > 2 && i % 4 == 1)
			buf_addf(&b, ", %s", names[(int)((seed >> 8) % (unsigned)(layer - 1)) * 25 + i % 25]);
		buf_adds(&b, "]\n");
	}
	write_file(p, "recipes/clinic.yml", b.s);
	write_file(p, "sql/many.sql", "SELECT 1 AS x\n");
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_release(&b);
}

/* node tests/browser/SCRIPT URL SCREENSHOTS PROJECT against s; fails with its output */
static inline void
browser_scenario(struct server *s, struct proj *p, const char *script)
{
	char *root = xstrdup(bin), *cmd, *slash = strrchr(root, '/'), *log;
	int st;

	*slash = '\0';
	log = xasprintf("%s/%s.log", tmpdir, script);
	cmd = xasprintf("cd '%s/tests/browser' && node %s http://127.0.0.1:%d/ '%s/state/screenshots'"
	                " '%s' >'%s' 2>&1", root, script, s->port, root, p->dir, log);
	st = system(cmd);
	if (st != 0) {
		char *text = readfile(log, NULL);

		ck_abort_msg("%s: exit %d\n%s", cmd, st, text ? text : "");
	}
	free(log);
	free(cmd);
	free(root);
}

#include "store.h"

/* the clinic with obs read from a group of two sites, whose servers' words must stay hidden */
#define SITE_HOST "10.9.8.7"
#define SITE_USER "kisumu_reader"
#define SITE_SECRET "Kx7-site-Secret-pw"

static const char sites_recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"sites:\n"
	"  - name: facilities\n"
	"    user: " SITE_USER "\n"
	"    password: ${SITE_DB_PASSWORD}\n"
	"    list:\n"
	"      - { name: kisumu, host: " SITE_HOST ", database: openmrs_kisumu }\n"
	"      - { name: eldoret, host: eldoret-db.example.org, database: openmrs_eldoret }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: ../sql/people.sql\n"
	"    key: [id]\n"
	"  - name: obs\n"
	"    kind: extract\n"
	"    from: facilities\n"
	"    query: ../sql/people.sql\n"
	"    key: [id]\n";

/* how a build records the read of a site of obs: ok, or failed with error */
static inline void
site_record(struct store *st, const char *site, const char *error)
{
	struct store_site x = { .target = (char *)"obs", .site = (char *)site, .rows = 3,
	                        .watermark = (char *)"2026-12-01 10:00:00", .lag = -1 };

	snprintf(x.status, sizeof(x.status), "%s", error ? "failed" : "ok");
	x.error = (char *)error;
	ck_assert_msg(store_site_record(st, &x) == 0, "%s", store_error(st));
}

/* the web project of the sites: obs read once from both, then kisumu failed */
static inline void
proj_sites(struct proj *p)
{
	char *path = xasprintf("%s/.env", p->dir), *env = readfile(path, NULL), *more;
	char *err = NULL, *note = NULL;
	struct store *st;

	ck_assert(env);
	more = xasprintf("%sSITE_DB_PASSWORD=" SITE_SECRET "\n", env);
	write_file(p, ".env", more);
	write_file(p, "recipes/clinic.yml", sites_recipe);
	git(p, "commit -q -am 'sites'");
	st = store_open(p->tgt, "clinic");
	ck_assert_msg(store_schema_upgrade(st, &err, &note) >= 0, "%s", err);
	site_record(st, "eldoret", NULL);
	site_record(st, "kisumu", NULL);
	site_record(st, "kisumu", "Access denied for user '" SITE_USER "'@'" SITE_HOST "' (using"
	            " password: YES) reading openmrs_kisumu on " SITE_HOST ":3306 as " SITE_USER
	            " with " SITE_SECRET);
	store_close(st);
	free(env);
	free(more);
	free(note);
	free(path);
}

#endif
