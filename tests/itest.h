/* itest.h: helpers of the integration suites: projects, SQL, running chacc */
#ifndef CHACC_ITEST_H
#define CHACC_ITEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "pgtest.h"
#include "recipe.h"
#include "testutil.h"
#include "util.h"

static const char *bin, *tmpdir;

/* a recipe's lines for the test servers: connections source and target (from .env), target: target */
#define TEST_CONNECTIONS \
	"connections:\n" \
	"  - name: source\n" \
	"    socket: ${SOURCE_DB_SOCKET}\n" \
	"    user: ${SOURCE_DB_USER}\n" \
	"    password: ${SOURCE_DB_PASSWORD}\n" \
	"    database: ${SOURCE_DB_NAME}\n" \
	"  - name: target\n" \
	"    driver: ${TARGET_DB_DRIVER:-mariadb}\n" \
	"    socket: ${TARGET_DB_SOCKET}\n" \
	"    user: ${TARGET_DB_USER}\n" \
	"    password: ${TARGET_DB_PASSWORD}\n" \
	"    database: ${TARGET_DB_NAME}\n" \
	"target: target\n"

struct proj {
	char dir[PATH_MAX];
	char name[32];
	char srcdb[64], tgtdb[64];
	struct db *src, *tgt;
	struct db_params srcc, tgtc;
};

static inline struct db *
connect_to(struct db_params *c, const char *sock, const char *db)
{
	struct db *d;
	char *err = NULL;

	memset(c, 0, sizeof(*c));
	c->name = "test";
	c->socket = sock;
	c->user = getenv("CHACC_TEST_USER");
	c->password = getenv("CHACC_TEST_PASSWORD");
	c->database = db;
	d = db_connect(c, &err, NULL);
	ck_assert_msg(d != NULL, "connect: %s", err ? err : "?");
	return d;
}

static inline void
sql(struct db *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	ck_assert_msg(db_exec(d, s) == 0, "%s: %s", s, db_error(d));
	free(s);
}

/* first column of the first row, "" for NULL, "(none)" without a row */
static inline char *
val(struct db *d, const char *fmt, ...)
{
	va_list ap;
	char *s, *v = NULL;
	int rc;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	rc = db_value(d, &v, "%s", s);
	ck_assert_msg(rc >= 0, "%s: %s", s, db_error(d));
	free(s);
	if (rc == 0)
		return xstrdup("(none)");
	return v ? v : xstrdup("");
}

static inline void
assert_val(struct db *d, const char *want, const char *query)
{
	char *v = val(d, "%s", query);

	ck_assert_msg(strcmp(v, want) == 0, "%s: got '%s', want '%s'", query, v, want);
	free(v);
}

static inline void
write_file(struct proj *p, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *slash;
	FILE *f;

	for (slash = strchr(path + strlen(p->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	free(path);
}

static inline void
proj_new(struct proj *p, const char *name)
{
	char *env;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->dir, sizeof(p->dir), "%s/proj-%s-XXXXXX", tmpdir, name);
	ck_assert(mkdtemp(p->dir) != NULL);
	snprintf(p->srcdb, sizeof(p->srcdb), "src_%s", name);
	snprintf(p->tgtdb, sizeof(p->tgtdb), "tgt_%s", name);
	p->src = connect_to(&p->srcc, getenv("CHACC_TEST_SRC_SOCKET"), NULL);
	p->tgt = connect_to(&p->tgtc, getenv("CHACC_TEST_TGT_SOCKET"), NULL);
	sql(p->src, "DROP DATABASE IF EXISTS %s", p->srcdb);
	sql(p->src, "CREATE DATABASE %s", p->srcdb);
	sql(p->tgt, "DROP DATABASE IF EXISTS %s", p->tgtdb);
	sql(p->tgt, "CREATE DATABASE %s", p->tgtdb);
	sql(p->src, "USE %s", p->srcdb);
	sql(p->tgt, "USE %s", p->tgtdb);
	env = xasprintf("SOURCE_DB_SOCKET=%s\nSOURCE_DB_USER=%s\nSOURCE_DB_PASSWORD=%s\n"
	                "SOURCE_DB_NAME=%s\nTARGET_DB_SOCKET=%s\nTARGET_DB_USER=%s\n"
	                "TARGET_DB_PASSWORD=%s\nTARGET_DB_NAME=%s\n",
	                getenv("CHACC_TEST_SRC_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), p->srcdb, getenv("CHACC_TEST_TGT_SOCKET"),
	                getenv("CHACC_TEST_USER"), getenv("CHACC_TEST_PASSWORD"), p->tgtdb);
	write_file(p, ".env", env);
	free(env);
}

/*
 * proj_new with the target on the PostgreSQL test server: database tgt_NAME
 * (schema public), TARGET_DB_DRIVER=postgres in .env; the source stays MariaDB
 */
static inline void
proj_new_pg(struct proj *p, const char *name)
{
	char *env;

	proj_new(p, name);
	db_close(p->tgt);
	pg_fresh_database(p->tgtdb);
	p->tgt = pg_connect_to(&p->tgtc, p->tgtdb, NULL);
	env = xasprintf("SOURCE_DB_SOCKET=%s\nSOURCE_DB_USER=%s\nSOURCE_DB_PASSWORD=%s\n"
	                "SOURCE_DB_NAME=%s\nTARGET_DB_DRIVER=postgres\nTARGET_DB_SOCKET=%s\n"
	                "TARGET_DB_USER=%s\nTARGET_DB_PASSWORD=%s\nTARGET_DB_NAME=%s\n",
	                getenv("CHACC_TEST_SRC_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), p->srcdb, getenv("CHACC_TEST_PG_SOCKET"),
	                getenv("CHACC_TEST_USER"), getenv("CHACC_TEST_PASSWORD"), p->tgtdb);
	write_file(p, ".env", env);
	free(env);
}

/* proj_new or proj_new_pg by engine ("mariadb" or "postgres") */
static inline void
proj_new_on(struct proj *p, const char *name, const char *engine)
{
	if (strcmp(engine, "postgres") == 0)
		proj_new_pg(p, name);
	else
		proj_new(p, name);
}

static inline void
proj_free(struct proj *p)
{
	db_close(p->src);
	db_close(p->tgt);
}

struct result {
	int status;              /* exit code, or 128 + signal */
	char *out, *err;
};

static inline void
result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

static inline char *
slurp_fd(int fd)
{
	struct buf b;
	char tmp[4096];
	ssize_t n;

	buf_init(&b);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	return buf_detach(&b);
}

/* start chacc in the project with extra environment (NAME=VALUE or NULL) */
/*
 * start chacc in the project; env lists NAME=VALUE to set and NAME to unset,
 * NULL-terminated (or NULL)
 */
static inline pid_t
chacc_start_envs(struct proj *p, const char *const *env, int *outfd, int *errfd,
                 char *const args[])
{
	char outpath[PATH_MAX], errpath[PATH_MAX];
	pid_t pid;

	snprintf(outpath, sizeof(outpath), "%s/out.XXXXXX", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/err.XXXXXX", tmpdir);
	*outfd = mkstemp(outpath);
	*errfd = mkstemp(errpath);
	unlink(outpath);
	unlink(errpath);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *argv[32];
		int i = 0;

		argv[i++] = (char *)bin;
		for (int j = 0; args[j] && i < 31; j++)
			argv[i++] = args[j];
		argv[i] = NULL;
		dup2(*outfd, 1);
		dup2(*errfd, 2);
		if (chdir(p->dir) < 0)
			_exit(127);
		for (int j = 0; env && env[j]; j++) {
			if (strchr(env[j], '='))
				putenv((char *)env[j]);
			else
				unsetenv(env[j]);
		}
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

/* start chacc with one extra NAME=VALUE (or NULL) in its environment */
static inline pid_t
chacc_start(struct proj *p, const char *env, int *outfd, int *errfd, char *const args[])
{
	const char *envs[] = { env, NULL };

	return chacc_start_envs(p, envs, outfd, errfd, args);
}

static inline int
wait_status(pid_t pid)
{
	int st;

	ck_assert(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static inline struct result
chacc_env(struct proj *p, const char *env, ...)
{
	char *args[32];
	va_list ap;
	int i = 0, o, e;
	struct result r;
	pid_t pid;

	va_start(ap, env);
	while (i < 31 && (args[i] = va_arg(ap, char *)))
		i++;
	args[i] = NULL;
	va_end(ap);
	pid = chacc_start(p, env, &o, &e, args);
	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	return r;
}

#define chacc(p, ...) chacc_env(p, NULL, __VA_ARGS__, (char *)NULL)

static inline void
assert_ok(struct result *r)
{
	ck_assert_msg(r->status == 0, "exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
}

/* the outcome of target in the newest run */
static inline char *
last_outcome(struct proj *p, const char *target)
{
	return val(p->tgt, "SELECT outcome FROM etl_run_targets WHERE target = '%s'"
	           " ORDER BY run_id DESC LIMIT 1", target);
}

/* malloc'ed copy of s with the first "from" replaced by "to" */
static inline char *
str_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	ck_assert_msg(at != NULL, "'%s' not found", from);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* all that fd (a file) holds so far, leaving it open */
static inline char *
fd_text(int fd)
{
	struct buf b;
	char tmp[4096];
	ssize_t n;
	off_t off = 0;

	buf_init(&b);
	buf_adds(&b, "");
	while ((n = pread(fd, tmp, sizeof(tmp), off)) > 0) {
		buf_add(&b, tmp, (size_t)n);
		off += n;
	}
	return buf_detach(&b);
}

/* each test in its own case, so that CK_RUN_CASE=name runs one */
static inline void
add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

/* a loop test in its own case: _i runs from 0 to n - 1 */
static inline void
add_loop_case(Suite *s, const char *name, const TTest *test, int n)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test, 0, n);
	suite_add_tcase(s, tc);
}

/*
 * "count:sum" of a hash of each row's values in cols (comma-separated) of
 * from, in C: the same on any engine when the values read the same
 */
static inline char *
rows_digest(struct db *d, const char *cols, const char *from)
{
	struct dbres *r = db_queryf(d, "SELECT %s FROM %s", cols, from);
	unsigned long long sum = 0, n = 0;

	ck_assert_msg(r != NULL, "SELECT %s FROM %s: %s", cols, from, db_error(d));
	while (dbres_next(r)) {
		unsigned long long h = 1469598103934665603ULL;

		for (size_t i = 0; i < dbres_ncols(r); i++) {
			const char *v = dbres_get(r, i);

			for (const char *c = v ? v : "\x01NULL"; *c; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211ULL;
			h = (h ^ 0x1f) * 1099511628211ULL;
		}
		sum += h;
		n++;
	}
	dbres_free(r);
	return xasprintf("%llu:%llu", n, sum);
}

/* the servers and the chacc binary from tests/run, or skip the suite */
static inline int
itest_setup(const char *suite)
{
	bin = getenv("CHACC_BIN");
	tmpdir = getenv("CHACC_TEST_DIR");
	if (!getenv("CHACC_TEST_TGT_SOCKET") || !getenv("CHACC_TEST_SRC_SOCKET") || !bin || !tmpdir) {
		printf("%s: skipping: no test servers (run it through 'make check')\n", suite);
		return -1;
	}
	return 0;
}

#endif
