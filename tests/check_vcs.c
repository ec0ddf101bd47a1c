/* check_vcs.c: configs in git: builds from a revision, config log and diff, reviews */
#include <jansson.h>

#include "itest.h"
#include "vcs.h"


static void __attribute__((format(printf, 3, 4)))
assert_valf(struct db *d, const char *want, const char *fmt, ...)
{
	va_list ap;
	char *q, *v;

	va_start(ap, fmt);
	q = xvasprintf(fmt, ap);
	va_end(ap);
	v = val(d, "%s", q);
	ck_assert_msg(strcmp(v, want) == 0, "%s: got '%s', want '%s'", q, v, want);
	free(v);
	free(q);
}

static char *
read_file(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *text = readfile(path, NULL);

	free(path);
	return text ? text : xstrdup("(missing)");
}

/* run git in the project; its output, trimmed */
static char * __attribute__((format(printf, 2, 3)))
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
static void
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
static struct result
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

static void
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

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

/* the (target, reason, mode) triples of a JSON array, one per line */
static char *
triples(json_t *arr)
{
	struct buf b;
	size_t i;
	json_t *it;

	ck_assert_msg(json_is_array(arr), "not a JSON array");
	buf_init(&b);
	json_array_foreach(arr, i, it)
		buf_addf(&b, "%s %s %s\n", json_string_value(json_object_get(it, "target")),
		         json_string_value(json_object_get(it, "reason")),
		         json_string_value(json_object_get(it, "mode")));
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

/* the "targets" of a config log entry, one "target change" a line */
static char *
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

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "bad JSON (%s): %s", e.text, text);
	return j;
}

static char *
newest_run(struct proj *p, const char *col)
{
	return val(p->tgt, "SELECT %s FROM etl_runs ORDER BY run_id DESC LIMIT 1", col);
}

START_TEST(test_rev_reads_the_commit)
{
	struct proj p;
	struct result r;
	char *head, *v;

	vcs_proj_new(&p, "rev", true);
	head = git(&p, "rev-parse HEAD");
	r = vchacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.err, "not in a git repository"), "%s", r.err);
	result_free(&r);
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "6", "SELECT COUNT(*) FROM etl_metadata WHERE config_rev = '%s'"
	           " AND config_dirty = 0", head);

	/* uncommitted: a changed query and a new included file */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "more/beta.yml", beta);
	r = vchacc(&p, "plan", "--json", "--rev", "HEAD");
	assert_ok(&r);
	ck_assert_msg(strcmp(strtrim(r.out), "[]") == 0, "--rev HEAD plans: %s", r.out);
	result_free(&r);
	r = vchacc(&p, "build", "--rev", "HEAD");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "status", "--json", "--rev", "main");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "beta"), "%s", r.out);
	result_free(&r);

	/* the working tree is dirty: built, and recorded so */
	OK(&p, "build");
	assert_valf(p.tgt, "2", "SELECT x FROM lonely");
	assert_valf(p.tgt, "12", "SELECT y FROM beta");
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT config_dirty FROM etl_metadata WHERE target = 'lonely'");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_metadata WHERE target = 'people'");

	/* back to the commit: its definition, not dirty */
	OK(&p, "build", "--rev", "HEAD");
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_metadata WHERE target = 'lonely'");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_metadata WHERE target = 'lonely'");
	v = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(v, "SELECT 2 AS x\n");
	free(v);
	free(head);
	proj_free(&p);
}
END_TEST

START_TEST(test_scheduled_builds_main)
{
	struct proj p;
	struct result r;
	char *mainid, *release, *mode;

	vcs_proj_new(&p, "sched", true);
	/* a release branch, then main names it as the revision cron builds */
	GIT(&p, "checkout -q -b release");
	write_file(&p, "sql/lonely.sql", "SELECT 7 AS x\n");
	GIT(&p, "commit -q -am 'seven for the release'");
	release = git(&p, "rev-parse HEAD");
	GIT(&p, "checkout -q main");
	mainid = git(&p, "rev-parse HEAD");
	/* work in progress on another branch, committed and not */
	GIT(&p, "checkout -q -b work");
	write_file(&p, "sql/lonely.sql", "SELECT 3 AS x\n");
	GIT(&p, "commit -q -am three");
	write_file(&p, "sql/lonely.sql", "SELECT 4 AS x\n");

	OK(&p, "build");
	assert_valf(p.tgt, "4", "SELECT x FROM lonely");
	r = vchacc(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_msg(strcmp(r.out, "") == 0, "--scheduled is quiet on success: %s", r.out);
	result_free(&r);
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	mode = newest_run(&p, "mode");
	ck_assert_str_eq(mode, "scheduled");
	free(mode);
	assert_valf(p.tgt, mainid, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, mainid, "SELECT config_rev FROM etl_metadata WHERE target = 'lonely'");

	/* scheduled_rev: in main's recipe */
	/* the uncommitted edit set aside, put back below */
	GIT(&p, "checkout -q -- sql/lonely.sql");
	GIT(&p, "checkout -q main");
	{
		char *text = xasprintf("%s%s", recipe, "scheduled_rev: release\n");

		write_file(&p, "chacc.yml", text);
		free(text);
	}
	GIT(&p, "commit -q -am 'cron builds the release'");
	GIT(&p, "checkout -q work");
	write_file(&p, "sql/lonely.sql", "SELECT 4 AS x\n");
	OK(&p, "build", "--scheduled");
	assert_valf(p.tgt, "7", "SELECT x FROM lonely");
	assert_valf(p.tgt, release, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	free(mainid);
	free(release);
	proj_free(&p);
}
END_TEST

START_TEST(test_diff_impact_is_the_plan_after_approval)
{
	struct proj p;
	struct result r;
	json_t *j;
	char *diff_impact, *show_impact, *plan, *range_impact, *text;

	vcs_proj_new(&p, "impact", true);
	OK(&p, "build");
	write_file(&p, "sql/people.sql",
	           "SELECT id, name, updated_at, voided FROM people WHERE id > 0\n");
	write_file(&p, "more/beta.yml", beta);

	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people: definition changed"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "target beta: added"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "-SELECT id, name, updated_at, voided FROM people\n"
	                     "+SELECT id, name, updated_at, voided FROM people WHERE id > 0\n"),
	              "%s", r.out);
	ck_assert_msg(strstr(r.out, "+  - name: beta\n"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "target lonely"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "diff", "--json");
	assert_ok(&r);
	j = parse(r.out);
	diff_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(diff_impact,
	                 "people definition changed full\n"
	                 "people_visits needs changed full\n"
	                 "visit_counts needs changed full\n"
	                 "beta missing full\n");

	/* a new file is proposed when named */
	r = vchacc(&p, "review", "propose", "-m", "People with an id; a beta table", "sql/people.sql",
	           "more/beta.yml");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "proposed review 1 on branch 'review/1-people-with-an-id-a-beta"),
	              "%s", r.out);
	result_free(&r);
	/* the working tree keeps the edits; drop them so that approval checks main out */
	GIT(&p, "checkout -- sql/people.sql");
	GIT(&p, "clean -q -f more");
	r = vchacc(&p, "review", "show", "--json", "1");
	assert_ok(&r);
	j = parse(r.out);
	show_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(show_impact, diff_impact);

	r = vchacc(&p, "review", "approve", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "fast-forwarded") && strstr(r.out, "working tree is up to date"),
	              "%s", r.out);
	result_free(&r);
	text = read_file(&p, "more/beta.yml");
	ck_assert_str_eq(text, beta);
	free(text);

	r = vchacc(&p, "plan", "--json");
	assert_ok(&r);
	j = parse(r.out);
	plan = triples(j);
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(plan, diff_impact);
	r = vchacc(&p, "config", "diff", "--json", "HEAD~1", "HEAD");
	assert_ok(&r);
	j = parse(r.out);
	range_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(range_impact, plan);

	free(diff_impact);
	free(show_impact);
	free(plan);
	free(range_impact);
	proj_free(&p);
}
END_TEST

/* a comment or white-space edit of a target's SQL is shown, and rebuilds nothing */
START_TEST(test_diff_comments_only)
{
	struct proj p;
	struct result r;
	json_t *j, *t;

	vcs_proj_new(&p, "comments", true);
	write_file(&p, "sql/people_visits.sql",
	           "-- one row per visit, with the person's name\n"
	           "SELECT v.id AS visit_id,\n       p.name,   v.at   /* when */\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people_visits: comments only, no rebuild\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "+-- one row per visit, with the person's name\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "impact: nothing to rebuild"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "definition changed"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "diff", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "targets")), 1);
	t = json_array_get(json_object_get(j, "targets"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t, "change")), "comments only, no rebuild");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "impact")), 0);
	json_decref(j);
	result_free(&r);
	/* a real edit beside it is a change, and only it rebuilds */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people_visits: comments only, no rebuild\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "target lonely: definition changed\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "impact: 1 target to rebuild"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_review_propose_list_show_approve_reject)
{
	static const char *const grace[] = { "GIT_AUTHOR_NAME=Grace Hopper",
	                                     "GIT_AUTHOR_EMAIL=grace@example.org", NULL };
	static const char *const lin[] = { "CHACC_AUTHOR=Lin Chen <lin@example.org>", NULL };
	struct proj p;
	struct result r;
	char *status0, *status1, *head0, *head1, *mainid, *s;
	json_t *j;

	vcs_proj_new(&p, "review", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "sql/visits.sql", "SELECT id, person_id, at FROM visits WHERE id > 0\n");
	write_file(&p, "README.txt", "not a config file\n");
	status0 = git(&p, "status --porcelain");
	head0 = git(&p, "rev-parse HEAD");

	/* named files, author from the environment */
	r = vchacc_env(&p, grace, "review", "propose", "-m", "Two for lonely", "sql/lonely.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "review 1 on branch 'review/1-two-for-lonely'"), "%s", r.out);
	result_free(&r);
	status1 = git(&p, "status --porcelain");
	head1 = git(&p, "rev-parse --abbrev-ref HEAD");
	ck_assert_str_eq(status1, status0);
	ck_assert_str_eq(head1, "main");
	free(status1);
	free(head1);
	head1 = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(head1, head0);
	free(head1);
	s = git(&p, "show --format=%%an%%n%%P --name-only review/1-two-for-lonely");
	ck_assert_msg(strstr(s, "Grace Hopper") && strstr(s, head0) && strstr(s, "sql/lonely.sql") &&
	              !strstr(s, "visits") && !strstr(s, "README"), "%s", s);
	free(s);

	/* every changed config file by default; author from CHACC_AUTHOR */
	r = vchacc_env(&p, lin, "review", "propose", "-m", "Visits with an id");
	assert_ok(&r);
	result_free(&r);
	s = git(&p, "show --format=%%an --name-only review/2-visits-with-an-id");
	ck_assert_msg(strstr(s, "Lin Chen") && strstr(s, "sql/visits.sql") &&
	              strstr(s, "sql/lonely.sql") && !strstr(s, "README"), "%s", s);
	free(s);

	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "review/1-two-for-lonely") && strstr(r.out, "Grace Hopper") &&
	              count(r.out, " open ") == 2, "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "review", "show", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target lonely: definition changed") &&
	              strstr(r.out, "-SELECT 1 AS x\n+SELECT 2 AS x\n") &&
	              strstr(r.out, "lonely                           definition changed full"),
	              "%s", r.out);
	result_free(&r);

	/*
	 * fast-forward; the working tree holds the proposed edit, so it follows
	 * main (the index too) and keeps the edit of visits
	 */
	r = vchacc(&p, "review", "approve", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "fast-forwarded") && strstr(r.out, "the working tree is up to date"),
	              "%s", r.out);
	ck_assert_msg(!strstr(r.err, "note"), "%s", r.err);
	result_free(&r);
	mainid = git(&p, "rev-parse main");
	s = git(&p, "rev-parse review/1-two-for-lonely");
	ck_assert_str_eq(mainid, s);
	free(s);
	free(mainid);
	s = git(&p, "show :sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* review 2 forked before 1 was merged: a merge commit, the clean working tree follows */
	GIT(&p, "reset -q --hard");
	GIT(&p, "checkout -q -- .");
	r = vchacc(&p, "review", "approve", "review/2-visits-with-an-id");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "merged into 'main'") && strstr(r.out, "up to date"), "%s",
	              r.out);
	result_free(&r);
	s = git(&p, "rev-list --parents -n 1 main");
	ck_assert_msg(count(s, " ") == 2, "a merge has two parents: %s", s);
	free(s);
	s = read_file(&p, "sql/visits.sql");
	ck_assert_str_eq(s, "SELECT id, person_id, at FROM visits WHERE id > 0\n");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no");
	ck_assert_str_eq(s, "");
	free(s);
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 1, "approved already");
	result_free(&r);

	/* a third, rejected */
	write_file(&p, "sql/alpha.sql", "SELECT 'b' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha b");
	GIT(&p, "checkout -q -- .");
	r = vchacc(&p, "review", "reject", "3");
	assert_ok(&r);
	result_free(&r);
	r = vchacc(&p, "review", "list", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "status")),
	                 "approved");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 1), "status")),
	                 "approved");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "status")),
	                 "rejected");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "branch")),
	                 "review/3-alpha-b");
	json_decref(j);
	result_free(&r);
	s = git(&p, "branch --list 'review/3*'");
	ck_assert_str_eq(s, "");
	free(s);
	GIT(&p, "show-ref -q refs/chacc/rejected/3-alpha-b");
	r = vchacc(&p, "review", "approve", "3");
	assert_exit(&r, 1, "rejected");
	result_free(&r);
	r = vchacc(&p, "review", "show", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "status: rejected") && strstr(r.out, "+SELECT 'b' AS v"), "%s",
	              r.out);
	result_free(&r);

	/* the next id follows the rejected one; main not checked out: the branch only */
	write_file(&p, "sql/alpha.sql", "SELECT 'c' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha c", "sql/alpha.sql");
	GIT(&p, "checkout -q -- .");
	GIT(&p, "checkout -q -b elsewhere");
	r = vchacc(&p, "review", "approve", "4");
	assert_exit(&r, 0, "'main' is not checked out");
	result_free(&r);
	s = git(&p, "show main:sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'c' AS v");
	free(s);
	s = read_file(&p, "sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'a' AS v\n");
	free(s);

	free(status0);
	free(head0);
	proj_free(&p);
}
END_TEST

START_TEST(test_conflicts_are_refused)
{
	struct proj p;
	struct result r;
	char *before, *after;

	vcs_proj_new(&p, "conflict", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	OK(&p, "review", "propose", "-m", "two");
	write_file(&p, "sql/lonely.sql", "SELECT 3 AS x\n");
	OK(&p, "review", "propose", "-m", "three");
	GIT(&p, "checkout -q -- .");
	OK(&p, "review", "approve", "1");
	before = git(&p, "rev-parse main");
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 1, "review 2 conflicts with 'main' in 'sql/lonely.sql'");
	result_free(&r);
	after = git(&p, "rev-parse main");
	ck_assert_str_eq(after, before);
	r = vchacc(&p, "review", "show", "2");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "conflicts with 'main' in: sql/lonely.sql") &&
	              strstr(r.out, "+SELECT 3 AS x"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "open") && strstr(r.out, "approved"), "%s", r.out);
	result_free(&r);
	free(before);
	free(after);
	proj_free(&p);
}
END_TEST

START_TEST(test_config_log_per_target)
{
	struct proj p;
	struct result r;
	char *c1, *c2, *c3, *c4, *c5, *s;
	json_t *j;

	vcs_proj_new(&p, "log", true);
	c1 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	GIT(&p, "commit -q -am 'lonely two'");
	c2 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people -- all\n");
	{
		/* visits gets an index: its recipe entry changes */
		char *text = xstrdup(recipe), *at = strstr(text, "    query: sql/visits.sql\n"
		                                                  "    key: [id]\n");
		char *edited;

		at += strlen("    query: sql/visits.sql\n    key: [id]\n");
		edited = xasprintf("%.*s    indexes: [[person_id]]\n%s", (int)(at - text), text, at);
		write_file(&p, "chacc.yml", edited);
		free(edited);
		free(text);
	}
	GIT(&p, "commit -q -am 'people comment, visits index'");
	c3 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "README.txt", "not config\n");
	GIT(&p, "commit -q -am readme");
	c4 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "more/beta.yml", beta);
	GIT(&p, "add more/beta.yml");
	GIT(&p, "commit -q -m beta");
	c5 = git(&p, "rev-parse --short=10 HEAD");

	r = vchacc(&p, "config", "log", "lonely");
	assert_ok(&r);
	ck_assert_msg(count(r.out, "\n") == 2 && strstr(r.out, c2) && strstr(r.out, c1), "%s", r.out);
	ck_assert_msg(strstr(r.out, "definition changed") && strstr(r.out, "added"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "log", "--json", "visits");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 2);
	ck_assert(strncmp(json_string_value(json_object_get(json_array_get(j, 0), "commit")), c3, 10)
	          == 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "message")),
	                 "people comment, visits index");
	json_decref(j);
	result_free(&r);

	r = vchacc(&p, "config", "log");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, c5) && strstr(r.out, c3) && strstr(r.out, c2) &&
	              strstr(r.out, c1) && !strstr(r.out, c4), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "log", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 4);
	s = changes(json_array_get(j, 0));
	ck_assert_str_eq(s, "beta added\n");
	free(s);
	s = changes(json_array_get(j, 1));
	/* a comment in people's SQL is shown, and is no definition change */
	ck_assert_str_eq(s, "people comments only, no rebuild\nvisits definition changed\n");
	free(s);
	s = changes(json_array_get(j, 2));
	ck_assert_str_eq(s, "lonely definition changed\n");
	free(s);
	s = changes(json_array_get(j, 3));
	ck_assert_str_eq(s, "people added\nvisits added\npeople_visits added\nvisit_counts added\n"
	                 "lonely added\nalpha added\n");
	free(s);
	json_decref(j);
	result_free(&r);
	r = vchacc(&p, "config", "log", "nosuch");
	assert_exit(&r, 2, "unknown target 'nosuch'");
	result_free(&r);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	free(c5);
	proj_free(&p);
}
END_TEST

START_TEST(test_outside_git_says_once)
{
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "nogit", false);
	r = vchacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(count(r.err, "not in a git repository") == 1 &&
	              count(r.err, "revisions are not recorded") == 1 && count(r.err, "\n") == 1,
	              "%s", r.err);
	result_free(&r);
	assert_valf(p.tgt, "", "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	r = vchacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(count(r.err, "not in a git repository") == 1, "%s", r.err);
	result_free(&r);
	r = vchacc(&p, "build", "--rev", "HEAD");
	assert_exit(&r, 2, "not in a git repository");
	result_free(&r);
	r = vchacc(&p, "config", "log");
	assert_exit(&r, 2, "not in a git repository");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_recipe_through_a_symlink)
{
	struct proj p;
	struct result r;
	char *link, *recipe_path;

	vcs_proj_new(&p, "symlink", true);
	link = xasprintf("%s-link", p.dir);
	unlink(link);
	ck_assert_int_eq(symlink(p.dir, link), 0);
	recipe_path = xasprintf("%s/chacc.yml", link);
	r = vchacc(&p, "-f", recipe_path, "validate", "--rev", "main");
	assert_ok(&r);
	result_free(&r);
	r = vchacc(&p, "-f", recipe_path, "build", "--scheduled");
	assert_ok(&r);
	result_free(&r);
	assert_valf(p.tgt, "1", "SELECT config_rev IS NOT NULL FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	unlink(link);
	free(link);
	free(recipe_path);
	proj_free(&p);
}
END_TEST

/* replace rel in the project by a symbolic link to target */
static void
link_file(struct proj *p, const char *target, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel);

	unlink(path);
	ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
	free(path);
}

/* every row the clinic's targets hold, one table a line */
static char *
all_rows(struct proj *p)
{
	static const char *const q[] = {
		"SELECT GROUP_CONCAT(id, name ORDER BY id) FROM people",
		"SELECT GROUP_CONCAT(visit_id, name ORDER BY visit_id) FROM people_visits",
		"SELECT GROUP_CONCAT(x ORDER BY x) FROM lonely",
		"SELECT GROUP_CONCAT(v ORDER BY v) FROM alpha",
	};
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < LEN(q); i++) {
		char *v = val(p->tgt, "%s", q[i]);

		buf_addf(&b, "%s\n", v);
		free(v);
	}
	return buf_detach(&b);
}

START_TEST(test_symlinks_read_through_from_git)
{
	struct proj p;
	struct result r;
	char *wt, *rev, *sched, *top, real[PATH_MAX];

	vcs_proj_new(&p, "links", true);
	ck_assert(realpath(p.dir, real) != NULL);
	/* a chain of relative links; an absolute link into the working tree */
	write_file(&p, "sql/real/lonely.sql", "SELECT 5 AS x UNION ALL SELECT 6\n");
	link_file(&p, "lonely2.sql", "sql/lonely.sql");
	link_file(&p, "real/lonely.sql", "sql/lonely2.sql");
	write_file(&p, "sql/real/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	top = xasprintf("%s/sql/real/people.sql", real);
	link_file(&p, top, "sql/people.sql");
	free(top);
	/* an included recipe linked from elsewhere, its query through a linked directory */
	write_file(&p, "shared/alpha.yml",
	           "targets:\n  - name: alpha\n    kind: table\n    query: sql/viadir/alpha.sql\n");
	link_file(&p, "../shared/alpha.yml", "more/alpha.yml");
	link_file(&p, "real", "sql/viadir");
	write_file(&p, "sql/real/alpha.sql", "SELECT 'z' AS v UNION ALL SELECT 'y'\n");
	GIT(&p, "add -A chacc.yml more sql shared");
	GIT(&p, "commit -q -m 'links'");

	OK(&p, "build");
	wt = all_rows(&p);
	ck_assert_str_eq(wt, "1ada,2bob,3cy\n10ada,11ada,12bob\n5,6\ny,z\n");
	/* the commit defines every target as the working tree does */
	r = vchacc(&p, "plan", "--json", "--rev", "main");
	assert_ok(&r);
	ck_assert_msg(strcmp(strtrim(r.out), "[]") == 0, "--rev main plans: %s\n%s", r.out, r.err);
	result_free(&r);
	OK(&p, "build", "--rev", "main", "--full-refresh");
	rev = all_rows(&p);
	ck_assert_str_eq(rev, wt);
	OK(&p, "build", "--scheduled", "--full-refresh");
	sched = all_rows(&p);
	ck_assert_str_eq(sched, wt);
	assert_valf(p.tgt, "0", "SELECT COUNT(*) FROM etl_runs WHERE result <> 'success'");

	/* links that leave the repository or loop: refused, naming the link */
	link_file(&p, "../../outside.sql", "sql/visits.sql");
	link_file(&p, "loop2.sql", "sql/alpha2.sql");
	link_file(&p, "alpha2.sql", "sql/loop2.sql");
	write_file(&p, "shared/alpha.yml",
	           "targets:\n  - name: alpha\n    kind: table\n    query: sql/alpha2.sql\n");
	GIT(&p, "add -A sql shared");
	GIT(&p, "commit -q -m 'bad links'");
	r = vchacc(&p, "validate", "--rev", "main");
	assert_exit(&r, 2, "symbolic link 'sql/visits.sql' leads out of the repository");
	ck_assert_msg(strstr(r.err, "'sql/alpha2.sql' is part of a loop") ||
	              strstr(r.err, "'sql/loop2.sql' is part of a loop"), "%s", r.err);
	result_free(&r);
	r = vchacc(&p, "build", "--scheduled");
	assert_exit(&r, 2, "symbolic link 'sql/visits.sql' leads out of the repository");
	result_free(&r);
	free(wt);
	free(rev);
	free(sched);
	proj_free(&p);
}
END_TEST

/* every file of the working tree but .git: path, type, mode, size, mtime, link and content */
static char *
snapshot(struct proj *p)
{
	char *cmd = xasprintf("cd '%s' && find . -path ./.git -prune -o -printf '%%p %%y %%m %%s %%T@"
	                      " %%l\\n' | sort && find . -path ./.git -prune -o -type f -print0 |"
	                      " sort -z | xargs -0 sha256sum", p->dir);
	FILE *f = popen(cmd, "r");
	char buf[4096];
	struct buf out;
	size_t n;

	ck_assert(f != NULL);
	buf_init(&out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		buf_add(&out, buf, n);
	ck_assert_int_eq(pclose(f), 0);
	buf_addc(&out, '\0');
	ck_assert_msg(strstr(out.s, "./sql/"), "%s", out.s);
	free(cmd);
	return buf_detach(&out);
}

/* a proposal made in memory: through links, with modes, never writing a file */
START_TEST(test_propose_text_writes_no_file)
{
	struct proj p;
	struct vcs *v = NULL;
	struct vcs_review rv;
	char *err = NULL, *before, *after, *status0, *status1, *head0, *head1, *s, cwd[PATH_MAX];

	vcs_proj_new(&p, "memory", true);
	write_file(&p, "sql/run.sql", "SELECT 'run' AS r\n");
	write_file(&p, "sql/real/linked.sql", "SELECT 'linked' AS l\n");
	link_file(&p, "real/linked.sql", "sql/link.sql");
	link_file(&p, "real", "sql/viadir");
	link_file(&p, "../../elsewhere.sql", "sql/out.sql");
	GIT(&p, "add sql");
	GIT(&p, "update-index --chmod=+x sql/run.sql");
	GIT(&p, "commit -q -m 'an executable and links'");
	GIT(&p, "checkout -q -- sql/run.sql");
	write_file(&p, "sql/lonely.sql", "SELECT 9 AS x\n");
	before = snapshot(&p);
	status0 = git(&p, "status --porcelain");
	head0 = git(&p, "rev-parse HEAD");
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	ck_assert_int_eq(chdir(p.dir), 0);
	ck_assert_msg(vcs_open(&v, "chacc.yml", ".", &err) == 0, "%s", err);

	/* the lock file a proposal killed while creating its branch left does not block it */
	write_file(&p, ".git/refs/heads/review/1-run-two.lock", "");
	/* an executable stays one */
	ck_assert_msg(vcs_review_propose_text(v, "run two", "sql/run.sql", "SELECT 'run2' AS r\n", 19,
	                                      &rv, &err) == 0, "%s", err);
	ck_assert(access(".git/refs/heads/review/1-run-two.lock", F_OK) < 0);
	ck_assert_int_eq(rv.id, 1);
	ck_assert_str_eq(rv.branch, "review/1-run-two");
	vcs_review_release(&rv);
	s = git(&p, "ls-tree review/1-run-two sql/run.sql");
	ck_assert_msg(strstarts(s, "100755 blob"), "%s", s);
	free(s);
	s = git(&p, "show review/1-run-two:sql/run.sql");
	ck_assert_str_eq(s, "SELECT 'run2' AS r");
	free(s);
	/* only the edit: the working tree's other change is not in it */
	s = git(&p, "diff --name-only main review/1-run-two");
	ck_assert_str_eq(s, "sql/run.sql");
	free(s);

	/* through a link: its target changes, the link stays */
	ck_assert_msg(vcs_review_propose_text(v, "linked", "sql/link.sql", "SELECT 'l2' AS l\n", 17,
	                                      &rv, &err) == 0, "%s", err);
	ck_assert_int_eq(rv.id, 2);
	vcs_review_release(&rv);
	s = git(&p, "ls-tree review/2-linked sql/link.sql");
	ck_assert_msg(strstarts(s, "120000 blob"), "%s", s);
	free(s);
	s = git(&p, "cat-file -p review/2-linked:sql/link.sql");
	ck_assert_str_eq(s, "real/linked.sql");
	free(s);
	s = git(&p, "show review/2-linked:sql/real/linked.sql");
	ck_assert_str_eq(s, "SELECT 'l2' AS l");
	free(s);

	/* a new file in a linked directory: in the directory the link leads to */
	ck_assert_msg(vcs_review_propose_text(v, "new", "sql/viadir/new.sql", "SELECT 3 AS n\n", 14,
	                                      &rv, &err) == 0, "%s", err);
	vcs_review_release(&rv);
	s = git(&p, "ls-tree -r review/3-new sql");
	ck_assert_msg(strstr(s, "100644 blob") && strstr(s, "\tsql/real/new.sql") &&
	              strstr(s, "120000 blob") && !strstr(s, "sql/viadir/new.sql"), "%s", s);
	free(s);

	/* refused: out of the repository, unchanged, no message */
	ck_assert_int_eq(vcs_review_propose_text(v, "out", "sql/out.sql", "SELECT 1\n", 9, &rv, &err),
	                 -1);
	ck_assert_msg(strstr(err, "'sql/out.sql'") && strstr(err, "leads out of the repository"), "%s",
	              err);
	free(err);
	err = NULL;
	ck_assert_int_eq(vcs_review_propose_text(v, "same", "sql/lonely.sql", "SELECT 1 AS x\n", 14,
	                                         &rv, &err), -1);
	ck_assert_msg(strstr(err, "nothing to propose"), "%s", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(vcs_review_propose_text(v, "", "sql/lonely.sql", "SELECT 2\n", 9, &rv, &err),
	                 -1);
	free(err);
	err = NULL;
	vcs_free(v);
	ck_assert_int_eq(chdir(cwd), 0);

	/* the working tree, index and HEAD are as they were */
	after = snapshot(&p);
	ck_assert_str_eq(after, before);
	status1 = git(&p, "status --porcelain");
	ck_assert_str_eq(status1, status0);
	head1 = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(head1, head0);
	s = git(&p, "branch --list 'review/*'");
	ck_assert_int_eq(count(s, "review/"), 3);
	free(s);

	/* the command line commits a link of the working tree as a link */
	write_file(&p, "sql/real/lonely.sql", "SELECT 4 AS x\n");
	link_file(&p, "real/lonely.sql", "sql/lonely.sql");
	OK(&p, "review", "propose", "-m", "lonely linked", "sql/lonely.sql", "sql/real/lonely.sql");
	s = git(&p, "ls-tree -r review/4-lonely-linked sql");
	ck_assert_msg(strstr(s, "120000 blob") && strstr(s, "\tsql/lonely.sql\n"), "%s", s);
	free(s);
	free(before);
	free(after);
	free(status0);
	free(status1);
	free(head0);
	free(head1);
	proj_free(&p);
}
END_TEST

/* proposals made at the same moment each get a number of their own */
START_TEST(test_concurrent_proposals_get_distinct_numbers)
{
	enum { N = 12 };
	struct proj p;
	struct result r;
	pid_t pids[N];
	int outs[N], errs[N];
	char msgs[N][32];
	json_t *j, *it;
	size_t i;
	bool seen[N + 1] = { false };

	vcs_proj_new(&p, "race", true);
	/* a history of rejected reviews, so that numbering one has something to read */
	GIT(&p, "rev-parse HEAD | awk '{ for (i = 1; i <= 400; i++)"
	    " printf \"create refs/chacc/rejected/%%d-old %%s\\n\", i, $1 }' | git update-ref --stdin");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	for (i = 0; i < N; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "change %zu", i);
		pids[i] = chacc_start_envs(&p, NULL, &outs[i], &errs[i],
		                           (char *const[]){ "review", "propose", "-m", msgs[i],
		                                            "sql/lonely.sql", NULL });
	}
	for (i = 0; i < N; i++) {
		int st = wait_status(pids[i]);
		char *out = slurp_fd(outs[i]), *e = slurp_fd(errs[i]);

		ck_assert_msg(st == 0, "proposal %zu: exit %d: %s", i, st, e);
		free(out);
		free(e);
	}
	r = vchacc(&p, "review", "list", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), N + 400);
	json_array_foreach(j, i, it) {
		json_int_t id = json_integer_value(json_object_get(it, "id")) - 400;

		if (id < 1)
			continue;
		ck_assert_msg(id <= N && !seen[id], "review %lld twice", (long long)id + 400);
		seen[id] = true;
	}
	json_decref(j);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_bad_revision)
{
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "badrev", true);
	r = vchacc(&p, "build", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	ck_assert_int_eq(count(r.err, "\n"), 1);
	result_free(&r);
	r = vchacc(&p, "plan", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "config", "diff", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "config", "log", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "review", "show", "99");
	assert_exit(&r, 2, "unknown review '99'");
	result_free(&r);
	assert_valf(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = 'etl_runs'");
	proj_free(&p);
}
END_TEST

START_TEST(test_propose_needs_an_author)
{
	static const char *const nobody[] = { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "CHACC_AUTHOR",
	                                      NULL };
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "author", true);
	GIT(&p, "config --unset user.name");
	GIT(&p, "config --unset user.email");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = vchacc_env(&p, nobody, "review", "propose", "-m", "anonymous");
	assert_exit(&r, 1, "no author");
	result_free(&r);
	r = vchacc(&p, "review", "propose", "sql/lonely.sql");
	assert_exit(&r, 2, "-m MESSAGE");
	result_free(&r);
	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "no reviews"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_propose_prints_files_and_leaves_untracked_out)
{
	struct proj p;
	struct result r;
	char *s, *before, *after;

	vcs_proj_new(&p, "untracked", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "sql/extra.sql", "SELECT 'scratch' AS s\n");
	r = vchacc(&p, "review", "propose", "-m", "two");
	assert_exit(&r, 0, "left out 'sql/extra.sql': git does not track it");
	ck_assert_msg(strstr(r.out, "  M sql/lonely.sql\n") && !strstr(r.out, "extra"), "%s", r.out);
	result_free(&r);
	s = git(&p, "show --format= --name-status review/1-two");
	ck_assert_str_eq(s, "M\tsql/lonely.sql");
	free(s);

	/* named, it goes in; --json lists the files too */
	r = vchacc(&p, "review", "propose", "--json", "-m", "extra", "sql/extra.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"status\": \"A\"") && strstr(r.out, "\"sql/extra.sql\""),
	              "%s", r.out);
	result_free(&r);

	/* the working tree loads (sql/gamma.sql is there) but the proposed commit does not */
	write_file(&p, "sql/gamma.sql", "SELECT 3 AS g\n");
	write_file(&p, "more/gamma.yml",
	           "targets:\n  - name: gamma\n    kind: table\n    query: sql/gamma.sql\n");
	OK(&p, "validate");
	before = git(&p, "for-each-ref refs/heads/review");
	r = vchacc(&p, "review", "propose", "-m", "gamma", "more/gamma.yml");
	assert_exit(&r, 2, "does not load at the proposed commit");
	ck_assert_msg(strstr(r.err, "sql/gamma.sql") && strstr(r.err, "--force"), "%s", r.err);
	result_free(&r);
	after = git(&p, "for-each-ref refs/heads/review");
	ck_assert_str_eq(after, before);
	free(after);
	r = vchacc(&p, "review", "propose", "-m", "gamma", "more/gamma.yml", "sql/gamma.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "A more/gamma.yml") && strstr(r.out, "A sql/gamma.sql"), "%s",
	              r.out);
	result_free(&r);
	r = vchacc(&p, "review", "propose", "--force", "-m", "gamma alone", "more/gamma.yml");
	assert_ok(&r);
	result_free(&r);
	free(before);
	proj_free(&p);
}
END_TEST

/* run the git commands a note gives, after its marker, in the project */
static void
run_note(struct proj *p, const char *err, const char *marker)
{
	const char *cmd = strstr(err, marker);
	char *line, *nl;

	ck_assert_msg(cmd != NULL, "no '%s' in: %s", marker, err);
	line = xstrdup(cmd + strlen(marker));
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	ck_assert_msg(strstarts(line, "git "), "not a git command: %s", line);
	/* git() runs "git ARGS" through the shell: the rest of a && list runs too */
	free(git(p, "%s", line + 4));
	free(line);
}

START_TEST(test_approve_note_gives_commands_that_work)
{
	static const char base[] = "SELECT 1 AS x\n-- one\n-- two\n-- three\n-- four\n";
	struct proj p;
	struct result r;
	char *s, *mainid;

	vcs_proj_new(&p, "follow", true);
	write_file(&p, "sql/lonely.sql", base);
	GIT(&p, "commit -q -am 'longer lonely'");

	/* the file holds more than the proposal: main moves, the note says how to follow */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- four\n");
	OK(&p, "review", "propose", "-m", "two", "sql/lonely.sql");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	r = vchacc(&p, "review", "approve", "1");
	assert_exit(&r, 0, "edits of its own in 'sql/lonely.sql'");
	ck_assert_msg(!strstr(r.out, "up to date"), "%s", r.out);
	s = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	free(s);
	run_note(&p, r.err, "merging your edits: ");
	result_free(&r);
	s = git(&p, "rev-parse --abbrev-ref HEAD");
	ck_assert_str_eq(s, "main");
	free(s);
	s = git(&p, "diff --cached --name-only");
	ck_assert_str_eq(s, "");
	free(s);
	s = git(&p, "show HEAD:sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- four");
	free(s);
	s = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	free(s);

	/* on another branch: the note's command switches to main, keeping the edits */
	GIT(&p, "checkout -q -- .");
	write_file(&p, "sql/alpha.sql", "SELECT 'b' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha b", "sql/alpha.sql");
	GIT(&p, "checkout -q -- .");
	GIT(&p, "checkout -q -b elsewhere");
	write_file(&p, "sql/visits.sql", "SELECT id FROM visits\n");
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 0, "'main' is not checked out here ('elsewhere' is)");
	run_note(&p, r.err, "keeping your edits: ");
	result_free(&r);
	mainid = git(&p, "rev-parse main");
	s = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(s, mainid);
	free(s);
	free(mainid);
	s = read_file(&p, "sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'b' AS v\n");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* a new file proposed by name and left in place: approving takes it into the index */
	write_file(&p, "sql/delta.sql", "SELECT 4 AS d\n");
	OK(&p, "review", "propose", "-m", "delta", "sql/delta.sql");
	r = vchacc(&p, "review", "approve", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "the working tree is up to date") && !*r.err, "%s%s", r.out,
	              r.err);
	result_free(&r);
	s = git(&p, "status --porcelain -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* who approved, in show and --json */
	r = vchacc(&p, "review", "show", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "approved by: Test Maintainer <maintainer@example.org>"), "%s",
	              r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vcs");
	TCase *tc = tcase_create("vcs");
	char *home;

	bin = getenv("CHACC_BIN");
	tmpdir = getenv("CHACC_TEST_DIR");
	if (!getenv("CHACC_TEST_TGT_SOCKET") || !bin || !tmpdir) {
		printf("check_vcs: skipping: no test servers (run it through 'make check')\n");
		return 0;
	}
	/* no git identity but the test repositories' own */
	home = xasprintf("%s/vcs-home", tmpdir);
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
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rev_reads_the_commit);
	tcase_add_test(tc, test_scheduled_builds_main);
	tcase_add_test(tc, test_diff_impact_is_the_plan_after_approval);
	tcase_add_test(tc, test_diff_comments_only);
	tcase_add_test(tc, test_review_propose_list_show_approve_reject);
	tcase_add_test(tc, test_conflicts_are_refused);
	tcase_add_test(tc, test_config_log_per_target);
	tcase_add_test(tc, test_outside_git_says_once);
	tcase_add_test(tc, test_bad_revision);
	tcase_add_test(tc, test_recipe_through_a_symlink);
	tcase_add_test(tc, test_symlinks_read_through_from_git);
	tcase_add_test(tc, test_propose_text_writes_no_file);
	tcase_add_test(tc, test_concurrent_proposals_get_distinct_numbers);
	tcase_add_test(tc, test_propose_needs_an_author);
	tcase_add_test(tc, test_propose_prints_files_and_leaves_untracked_out);
	tcase_add_test(tc, test_approve_note_gives_commands_that_work);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
