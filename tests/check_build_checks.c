/*
 * check_build_checks.c: write, audit, publish on real servers (MariaDB and
 * PostgreSQL targets): a failing check keeps the live table, warnings
 * publish, what needs a failed target waits, chacc test and chacc profile
 */
#include <check.h>

#include "itest.h"

static const char *const engines[] = { "mariadb", "postgres" };

/* people on the source, an extract of it with checks, and a table that needs it */
static const char recipe_fmt[] =
	"chacc: 1\n"
	"name: wap\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, lookback: 0s }\n"
	"    checks:\n"
	"      - not_null: [name]\n"
	"      - range: { column: age, min: 0, max: 120 }\n"
	"        severity: %s\n"
	"      - unique: [id]\n"
	"  - name: adults\n"
	"    kind: table\n"
	"    needs: [people]\n"
	"    query: sql/adults.sql\n"
	"    key: [id]\n"
	"    checks:\n"
	"      - row_count: { min: 1 }\n"
	"      - relationships: { column: id, to: people.id }\n";

static void
wap_project(struct proj *p, const char *name, int engine, const char *severity)
{
	char *recipe = xasprintf(recipe_fmt, severity);

	proj_new_on(p, name, engines[engine]);
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, age, updated_at FROM people\n");
	write_file(p, "sql/adults.sql", "SELECT id, name FROM people WHERE age >= 18\n");
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), age INT,"
	    " updated_at DATETIME(6) NOT NULL)");
	sql(p->src, "INSERT INTO people VALUES (1, 'Ama', 34, NOW(6) - INTERVAL 1 HOUR),"
	    " (2, 'Kofi', 12, NOW(6) - INTERVAL 1 HOUR), (3, 'Esi', 61, NOW(6) - INTERVAL 1 HOUR)");
	free(recipe);
}

static char *
people_digest(struct proj *p)
{
	return rows_digest(p->tgt, "id, name, age, updated_at", "people ORDER BY id");
}

/* a row of etl_checks of the newest run for target's check: "status:failing:samples" */
static char *
check_row(struct proj *p, const char *target, const char *check)
{
	static const char *const cols[] = { "status", "failing_rows", "sample_keys" };
	char *v[3], *out;

	for (int i = 0; i < 3; i++)
		v[i] = val(p->tgt, "SELECT %s FROM etl_checks WHERE target = '%s' AND"
		           " check_name = '%s' ORDER BY id DESC LIMIT 1", cols[i], target, check);
	out = xasprintf("%s:%s:%s", v[0], *v[1] ? v[1] : "-", *v[2] ? v[2] : "-");
	for (int i = 0; i < 3; i++)
		free(v[i]);
	return out;
}

START_TEST(test_failed_check_keeps_table_and_stays_incremental)
{
	struct proj p;
	struct result r;
	char *before, *after, *v;

	wap_project(&p, _i ? "wappg" : "wapmy", _i, "error");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	before = people_digest(&p);
	/* an incremental build reads a bad row: the range check stops it */
	sql(p.src, "INSERT INTO people VALUES (4, 'Yaw', 200, NOW(6))");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d\n%s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "check range(age) failed: 1 row"), "%s", r.err);
	result_free(&r);
	after = people_digest(&p);
	ck_assert_str_eq(before, after);
	free(after);
	assert_val(p.tgt, "check failed", "SELECT status FROM etl_metadata WHERE target = 'people'");
	v = last_outcome(&p, "adults");
	ck_assert_str_eq(v, "skipped");
	free(v);
	v = check_row(&p, "people", "range(age)");
	ck_assert_msg(strncmp(v, "fail:1:", 7) == 0 && strstr(v, "\"4\""), "%s", v);
	free(v);
	v = check_row(&p, "people", "not_null(name)");
	ck_assert_str_eq(v, "pass:0:-");
	free(v);
	/* the plan says why, and the next build stays incremental */
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"failed\"") &&
	              strstr(r.out, "\"mode\": \"incremental\"") &&
	              strstr(r.out, "failed its checks last time"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "status");
	ck_assert_msg(strstr(r.out, "failed") && strstr(r.out, "1 fail"), "%s", r.out);
	result_free(&r);
	/* fixed at the source: the next build publishes it, incrementally */
	sql(p.src, "UPDATE people SET age = 20, updated_at = NOW(6) WHERE id = 4");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "incremental", "SELECT mode FROM etl_run_targets WHERE target = 'people'"
	           " ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM people");
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM adults");
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'people'");
	/* a full build with a bad row keeps the table too */
	before = (free(before), people_digest(&p));
	sql(p.src, "UPDATE people SET name = NULL, updated_at = NOW(6) WHERE id = 1");
	r = chacc(&p, "build", "--full-refresh", "people");
	ck_assert_msg(r.status == 1, "exit %d\n%s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "check not_null(name) failed: 1 row"), "%s", r.err);
	result_free(&r);
	after = people_digest(&p);
	ck_assert_str_eq(before, after);
	free(after);
	free(before);
	proj_free(&p);
}
END_TEST

START_TEST(test_warning_publishes)
{
	struct proj p;
	struct result r;
	char *v;

	wap_project(&p, _i ? "warnpg" : "warnmy", _i, "warn");
	sql(p.src, "INSERT INTO people VALUES (4, 'Yaw', 200, NOW(6) - INTERVAL 1 HOUR)");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "range(age) warns: 1 row"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM people");
	v = check_row(&p, "people", "range(age)");
	ck_assert_msg(strncmp(v, "warn:1:", 7) == 0, "%s", v);
	free(v);
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'people'");
	proj_free(&p);
}
END_TEST

START_TEST(test_chacc_test_on_live_tables)
{
	struct proj p;
	struct result r;

	wap_project(&p, _i ? "testpg" : "testmy", _i, "error");
	r = chacc(&p, "test");
	ck_assert_msg(r.status == 0 && strstr(r.err, "does not exist yet"), "exit %d\n%s%s",
	              r.status, r.out, r.err);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "test");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "5 passed, 0 warned, 0 failed"), "%s", r.out);
	result_free(&r);
	/* a hand edit of the live table: chacc test finds it, exit 1 */
	sql(p.tgt, "UPDATE people SET name = NULL WHERE id = 2");
	r = chacc(&p, "test", "people");
	ck_assert_msg(r.status == 1, "exit %d\n%s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.out, "not_null(name)") && strstr(r.out, "1 failed"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "test", "--json", "people");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "\"status\": \"fail\"") && strstr(r.out, "\"failing\": 1"),
	              "%s", r.out);
	result_free(&r);
	/* the run of mode test is in the history, with its checks */
	assert_val(p.tgt, "failed", "SELECT result FROM etl_runs WHERE mode = 'test'"
	           " ORDER BY run_id DESC LIMIT 1");
	proj_free(&p);
}
END_TEST

START_TEST(test_profile_and_drift)
{
	struct proj p;
	struct result r;

	wap_project(&p, _i ? "profpg" : "profmy", _i, "error");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "profile", "people");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "people: 3 rows") && strstr(r.out, "no earlier profile"),
	              "%s", r.out);
	result_free(&r);
	/* two of three rows go: the next profile reports the drop */
	sql(p.tgt, "DELETE FROM people WHERE id > 1");
	r = chacc(&p, "profile", "--json", "people");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"rows\": 1") && strstr(r.out, "rows fell from 3 to 1"),
	              "%s", r.out);
	result_free(&r);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_profiles WHERE target = 'people'");
	proj_free(&p);
}
END_TEST


/* a script with an error-severity check: its incremental builds check a copy */
static const char script_targets[] =
	"  - name: ages\n"
	"    kind: script\n"
	"    needs: [people]\n"
	"    script: sql/ages.sql\n"
	"    incremental: true\n"
	"    profile: true\n"
	"    checks:\n"
	"      - expression: \"n >= 0\"\n"
	"        name: no_negative_ages\n";

START_TEST(test_script_copy_and_profile)
{
	struct proj p;
	struct result r;
	char *base = xasprintf(recipe_fmt, "warn"), *recipe, *before, *after;

	wap_project(&p, _i ? "scrpg" : "scrmy", _i, "warn");
	recipe = xasprintf("%s%s", base, script_targets);
	write_file(&p, "chacc.yml", recipe);
	free(recipe);
	free(base);
	write_file(&p, "sql/ages.sql",
	           "CREATE TABLE IF NOT EXISTS ${this} (id INT PRIMARY KEY, n INT);\n"
	           "DELETE FROM ${this};\n"
	           "INSERT INTO ${this} (id, n) SELECT id, age FROM people;\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM etl_profiles WHERE target = 'ages'");
	before = rows_digest(p.tgt, "id, n", "ages ORDER BY id");
	/* a negative age passes people (a warning) but not ages: its old table stays */
	sql(p.src, "INSERT INTO people VALUES (4, 'Yaw', -5, NOW(6))");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d\n%s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "check no_negative_ages failed: 1 row"), "%s", r.err);
	result_free(&r);
	after = rows_digest(p.tgt, "id, n", "ages ORDER BY id");
	ck_assert_str_eq(before, after);
	free(after);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM people");
	assert_val(p.tgt, "check failed", "SELECT status FROM etl_metadata WHERE target = 'ages'");
	/* no profile of a build that was not published */
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM etl_profiles WHERE target = 'ages'");
	/* fixed: published, with a profile that drifted (two of four rows go) */
	sql(p.src, "DELETE FROM people WHERE id > 2");
	r = chacc(&p, "build", "--full-refresh");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "target 'ages': drift: rows fell from 3 to 2"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_profiles WHERE target = 'ages'");
	free(before);
	proj_free(&p);
}
END_TEST

/* visits of people, incremental, checked against people: a relationships check */
static const char visits_recipe[] =
	"chacc: 1\n"
	"name: rel\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: gone, lookback: 0s }\n"
	"  - name: visits\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/visits.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, lookback: 0s }\n"
	"  - name: visit_people\n"
	"    kind: table\n"
	"    needs: [people, visits]\n"
	"    query: sql/visit_people.sql\n"
	"    key: [id]\n"
	"    incremental: true\n"
	"    checks:\n"
	"      - relationships: { column: person_id, to: people.id }\n";

#define REL "relationships(person_id -> people.id)"

/* a build that fails on n orphans (its detail), key among their samples */
static void
expect_orphans(struct proj *p, const char *detail, int n, const char *key)
{
	struct result r = chacc(p, "build");
	char *v;

	ck_assert_msg(r.status == 1 && strstr(r.err, REL " failed: ") && strstr(r.err, detail),
	              "exit %d\n%s%s", r.status, r.out, r.err);
	result_free(&r);
	v = check_row(p, "visit_people", REL);
	ck_assert_msg(atoi(v + 5) == n && strncmp(v, "fail:", 5) == 0 && strstr(v, key), "%s", v);
	free(v);
}

/*
 * an incremental build checks the rows it changed and the rows a delete of
 * the need left without a match, not every row: both orphans are caught
 */
START_TEST(test_relationships_incremental)
{
	struct proj p;
	struct result r;

	proj_new_on(&p, _i ? "relpg" : "relmy", engines[_i]);
	write_file(&p, "chacc.yml", visits_recipe);
	write_file(&p, "sql/people.sql", "SELECT id, name, gone, updated_at FROM people\n");
	write_file(&p, "sql/visits.sql", "SELECT id, person_id, updated_at FROM visits\n");
	write_file(&p, "sql/visit_people.sql", "SELECT id, person_id FROM visits\n"
	           "WHERE ${since} IS NULL OR _chacc_changed_at > ${since}\n");
	sql(p.src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), gone INT NOT NULL,"
	    " updated_at DATETIME(6) NOT NULL)");
	sql(p.src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT,"
	    " updated_at DATETIME(6) NOT NULL)");
	sql(p.src, "INSERT INTO people SELECT seq, CONCAT('p', seq), 0, NOW(6) - INTERVAL 1 HOUR"
	    " FROM seq_1_to_50");
	sql(p.src, "INSERT INTO visits SELECT seq, 1 + seq %% 50, NOW(6) - INTERVAL 1 HOUR"
	    " FROM seq_1_to_200");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);

	/* person 7 goes: their 4 visits, unchanged, lose their match */
	sql(p.src, "UPDATE people SET gone = 1, updated_at = NOW(6) WHERE id = 7");
	expect_orphans(&p, "4 rows", 4, "\"6\"");

	/* back again: the rows pass; then a new visit of nobody fails on its own */
	sql(p.src, "UPDATE people SET gone = 0, updated_at = NOW(6) WHERE id = 7");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/*
	 * an orphan an old build left (here by hand) is neither changed nor
	 * touched by a delete: the incremental build does not look at it, chacc
	 * test (every row) finds it
	 */
	sql(p.tgt, "INSERT INTO visit_people VALUES (500, 77, '2020-01-01 00:00:00')");
	sql(p.src, "UPDATE people SET name = 'renamed', updated_at = NOW(6) WHERE id = 8");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "test", "visit_people");
	ck_assert_msg(r.status == 1 && strstr(r.out, "1 failed"), "exit %d\n%s%s", r.status, r.out,
	              r.err);
	result_free(&r);
	sql(p.tgt, "DELETE FROM visit_people WHERE id = 500");
	sql(p.src, "INSERT INTO visits VALUES (201, 99, NOW(6))");
	expect_orphans(&p, "1 row", 1, "\"201\"");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("build_checks");

	if (itest_setup("check_build_checks") < 0)
		return 0;
	add_loop_case(s, "failed_check", test_failed_check_keeps_table_and_stays_incremental, 2);
	add_loop_case(s, "warning", test_warning_publishes, 2);
	add_loop_case(s, "test", test_chacc_test_on_live_tables, 2);
	add_loop_case(s, "profile", test_profile_and_drift, 2);
	add_loop_case(s, "script", test_script_copy_and_profile, 2);
	add_loop_case(s, "relationships", test_relationships_incremental, 2);
	return run_suite(s);
}
