/* vcstest.h: helpers of the git suites: the clinic project in git, git and chacc in it */
#ifndef CHACC_VCSTEST_H
#define CHACC_VCSTEST_H

#include <jansson.h>

#include "itest.h"
#include "vcs.h"

static inline char *
read_file(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *text = readfile(path, NULL);

	free(path);
	return text ? text : xstrdup("(missing)");
}

/* run git in the project; its output, trimmed */
static inline char * __attribute__((format(printf, 2, 3)))
git(struct proj *p, const char *fmt, ...)
{
	va_list ap;
	char *args, *cmd, buf[4096];
	struct buf out;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	args = xvasprintf(fmt, ap);
	va_end(ap);
	cmd = xasprintf("cd '%s' && git %s 2>&1", p->dir, args);
	f = popen(cmd, "r");
	ck_assert(f != NULL);
	buf_init(&out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		buf_add(&out, buf, n);
	st = pclose(f);
	buf_addc(&out, '\0');
	ck_assert_msg(st == 0, "git %s: %s", args, out.s);
	free(args);
	free(cmd);
	strtrim(out.s);
	return buf_detach(&out);
}

#define GIT(p, ...) free(git(p, __VA_ARGS__))

static const char recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 2, retry_delay: 100ms }\n"
	"include: [more/*.yml]\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: voided, lookback: 1s }\n"
	"  - name: visits\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/visits.sql\n"
	"    key: [id]\n"
	"  - name: people_visits\n"
	"    kind: table\n"
	"    needs: [people, visits]\n"
	"    query: sql/people_visits.sql\n"
	"    key: [visit_id]\n"
	"  - name: visit_counts\n"
	"    kind: table\n"
	"    needs: [people_visits]\n"
	"    query: sql/visit_counts.sql\n"
	"    key: [name]\n"
	"  - name: lonely\n"
	"    kind: table\n"
	"    query: sql/lonely.sql\n";

static const char beta[] =
	"targets:\n"
	"  - name: beta\n"
	"    kind: table\n"
	"    needs: [lonely]\n"
	"    query: sql/beta.sql\n";

/* the clinic of check_build with an include, committed on main when in git */
static inline void
vcs_proj_new(struct proj *p, const char *name, bool in_git)
{
	char *env;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->dir, sizeof(p->dir), "%s/vcs-%s-XXXXXX", tmpdir, name);
	ck_assert(mkdtemp(p->dir) != NULL);
	snprintf(p->srcdb, sizeof(p->srcdb), "src_vcs_%s", name);
	snprintf(p->tgtdb, sizeof(p->tgtdb), "tgt_vcs_%s", name);
	p->src = connect_to(&p->srcc, getenv("CHACC_TEST_SRC_SOCKET"), NULL);
	p->tgt = connect_to(&p->tgtc, getenv("CHACC_TEST_TGT_SOCKET"), NULL);
	sql(p->src, "DROP DATABASE IF EXISTS %s", p->srcdb);
	sql(p->src, "CREATE DATABASE %s", p->srcdb);
	sql(p->tgt, "DROP DATABASE IF EXISTS %s", p->tgtdb);
	sql(p->tgt, "CREATE DATABASE %s", p->tgtdb);
	sql(p->src, "USE %s", p->srcdb);
	sql(p->tgt, "USE %s", p->tgtdb);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', NOW() - INTERVAL 1 DAY, 0),"
	    " (2, 'bob', NOW() - INTERVAL 1 DAY, 0), (3, 'cy', NOW() - INTERVAL 1 DAY, 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2026-01-01'), (11, 1, '2026-01-02'),"
	    " (12, 2, '2026-01-03')");
	/* secrets stay out of git: .env is in the working directory only */
	env = xasprintf("SOURCE_DB_SOCKET=%s\nSOURCE_DB_USER=%s\nSOURCE_DB_PASSWORD=%s\n"
	                "SOURCE_DB_NAME=%s\nTARGET_DB_SOCKET=%s\nTARGET_DB_USER=%s\n"
	                "TARGET_DB_PASSWORD=%s\nTARGET_DB_NAME=%s\n",
	                getenv("CHACC_TEST_SRC_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), p->srcdb, getenv("CHACC_TEST_TGT_SOCKET"),
	                getenv("CHACC_TEST_USER"), getenv("CHACC_TEST_PASSWORD"), p->tgtdb);
	write_file(p, ".env", env);
	free(env);
	write_file(p, "chacc.yml", recipe);
	write_file(p, "more/alpha.yml",
	           "targets:\n  - name: alpha\n    kind: table\n    query: sql/alpha.sql\n");
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits;\n");
	write_file(p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	write_file(p, "sql/visit_counts.sql",
	           "SELECT name, COUNT(*) AS n FROM people_visits GROUP BY name\n");
	write_file(p, "sql/lonely.sql", "SELECT 1 AS x\n");
	write_file(p, "sql/alpha.sql", "SELECT 'a' AS v\n");
	write_file(p, "sql/beta.sql", "SELECT x + 10 AS y FROM lonely\n");
	write_file(p, "README.txt", "the clinic's analytics\n");
	if (!in_git)
		return;
	GIT(p, "init -q -b main");
	GIT(p, "config user.name 'Test Maintainer'");
	GIT(p, "config user.email maintainer@example.org");
	GIT(p, "add chacc.yml more sql README.txt");
	GIT(p, "commit -q -m 'the clinic'");
}

/* run chacc in the project; env: NAME=VALUE to set, NAME to unset, NULL-terminated */
static inline struct result
run(struct proj *p, const char *const *env, char *const args[])
{
	struct result r;
	int o, e;
	pid_t pid = chacc_start_envs(p, env, &o, &e, args);

	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	return r;
}

#define vchacc(p, ...) run(p, NULL, (char *const[]){ __VA_ARGS__, NULL })
#define vchacc_env(p, env, ...) run(p, env, (char *const[]){ __VA_ARGS__, NULL })

static inline void
assert_exit(struct result *r, int status, const char *in_err)
{
	ck_assert_msg(r->status == status, "exit %d, want %d\nstdout: %s\nstderr: %s", r->status,
	              status, r->out, r->err);
	ck_assert_msg(!in_err || strstr(r->err, in_err), "stderr lacks \"%s\": %s", in_err, r->err);
}

/* run chacc, expect success, free the result */
#define OK(p, ...) do { \
	struct result r_ = vchacc(p, __VA_ARGS__); \
	assert_ok(&r_); \
	result_free(&r_); \
} while (0)

static inline int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* the "targets" of a config log entry, one "target change" a line */
static inline char *
changes(json_t *entry)
{
	struct buf b;
	size_t i;
	json_t *it;

	buf_init(&b);
	json_array_foreach(json_object_get(entry, "targets"), i, it)
		buf_addf(&b, "%s %s\n", json_string_value(json_object_get(it, "target")),
		         json_string_value(json_object_get(it, "change")));
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

static inline json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "bad JSON (%s): %s", e.text, text);
	return j;
}

/* replace rel in the project by a symbolic link to target */
static inline void
link_file(struct proj *p, const char *target, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel);

	unlink(path);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
	free(path);
}

/* the environment of a git suite: the test servers, and no git identity but the test
 * repositories' own; -1 when there are no test servers (the suite is skipped) */
static inline int
vcs_setup(const char *suite)
{
	char *home;

	bin = getenv("CHACC_BIN");
	tmpdir = getenv("CHACC_TEST_DIR");
	if (!getenv("CHACC_TEST_TGT_SOCKET") || !bin || !tmpdir) {
		printf("%s: skipping: no test servers (run it through 'make check')\n", suite);
		return -1;
	}
	home = xasprintf("%s/%s-home", tmpdir, suite);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	free(home);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("GIT_AUTHOR_NAME");
	unsetenv("GIT_AUTHOR_EMAIL");
	unsetenv("GIT_COMMITTER_NAME");
	unsetenv("GIT_COMMITTER_EMAIL");
	unsetenv("CHACC_AUTHOR");
	return 0;
}

#endif
