/* check_build.c: chacc build against real servers: rebuilds, failures, retries, increments, hooks */
#include "buildtest.h"

START_TEST(test_build_then_nothing_to_do)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "noop");
	r = chacc(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM people");
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM people_visits");
	assert_val(p.tgt, "ada=2,bob=1", "SELECT GROUP_CONCAT(name, '=', n ORDER BY name) FROM visit_counts");
	assert_val(p.tgt, "PRIMARY,name", "SELECT GROUP_CONCAT(DISTINCT index_name ORDER BY BINARY index_name)"
	           " FROM information_schema.statistics WHERE table_schema = DATABASE()"
	           " AND table_name = 'people'");
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_metadata WHERE status = 'ok'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name LIKE '\\_chacc%%'");
	/* right after a successful build: nothing to do, and it says so */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	/* and leaves a run that says so; a dry run leaves none */
	assert_val(p.tgt, "2 incremental nothing to do", "SELECT CONCAT(COUNT(*), ' ',"
	           " MAX(CASE WHEN run_id = (SELECT MAX(run_id) FROM etl_runs) THEN"
	           " CONCAT(mode, ' ', result) END)) FROM etl_runs WHERE ended_at IS NOT NULL");
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_runs");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	/* forcing an extract that reads the same rows changes nothing downstream */
	r = chacc(&p, "build", "-B", "visits");
	assert_ok(&r);
	result_free(&r);
	{
		char *o = last_outcome(&p, "visits");

		ck_assert_str_eq(o, "built");
		free(o);
	}
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_definition_change_rebuilds_exactly_dependents)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "defchg");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, UPPER(p.name) AS name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	r = chacc(&p, "plan", "--json", "people_visits", "visit_counts", "lonely", "people");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"people_visits\",\n    \"reason\": \"definition changed\""),
	              "%s", r.out);
	ck_assert_msg(strstr(r.out, "\"target\": \"visit_counts\",\n    \"reason\": \"needs changed\""),
	              "%s", r.out);
	ck_assert_msg(!strstr(r.out, "lonely") && !strstr(r.out, "\"people\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "people_visits", "visit_counts", "lonely", "people");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "ADA=2,BOB=1",
	           "SELECT GROUP_CONCAT(name, '=', n ORDER BY name) FROM visit_counts");
	assert_val(p.tgt, "people_visits,visit_counts",
	           "SELECT GROUP_CONCAT(target ORDER BY target) FROM etl_run_targets WHERE run_id ="
	           " (SELECT MAX(run_id) FROM etl_runs) AND outcome = 'built'");
	proj_free(&p);
}
END_TEST

START_TEST(test_restat_prunes_unchanged)
{
	struct proj p;
	struct result r;
	char *o;

	proj_clinic(&p, "restat");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* a new definition with the same result: rebuilt, nothing changed, users pruned */
	write_file(&p, "sql/people_visits.sql",
	           "-- same rows, written differently\n"
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits AS v JOIN people AS p ON v.person_id = p.id\n");
	r = chacc(&p, "build", "visit_counts");
	assert_ok(&r);
	result_free(&r);
	o = last_outcome(&p, "people_visits");
	ck_assert_str_eq(o, "built");
	free(o);
	o = last_outcome(&p, "visit_counts");
	ck_assert_str_eq(o, "pruned");
	free(o);
	proj_free(&p);
}
END_TEST

START_TEST(test_failure_stops_dependents_and_keep_going)
{
	struct proj p;
	struct result r;
	char *o;

	proj_clinic(&p, "fail");
	write_file(&p, "sql/people_visits.sql", "SELECT no_such_column FROM visits\n");
	r = chacc(&p, "build");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "people_visits") && strstr(r.err, "no_such_column"), "%s", r.err);
	result_free(&r);
	o = last_outcome(&p, "visit_counts");
	ck_assert_str_eq(o, "skipped");
	free(o);
	assert_val(p.tgt, "failed", "SELECT status FROM etl_metadata WHERE target = 'people_visits'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = 'visit_counts'");
	r = chacc(&p, "build", "-k");
	ck_assert_int_eq(r.status, 1);
	result_free(&r);
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM lonely");
	o = last_outcome(&p, "visit_counts");
	ck_assert_str_eq(o, "skipped");
	free(o);
	r = chacc(&p, "status", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"state\": \"failed\""), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* kill the connection running a slow query once; chacc retries and succeeds */
START_TEST(test_retry_after_lost_connection)
{
	struct proj p;
	struct result r;
	int o, e;
	pid_t pid;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	char *id = NULL, *attempts;

	proj_clinic(&p, "retry");
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(2) AS x\n");
	pid = chacc_start(&p, NULL, &o, &e, args);
	for (int i = 0; i < 100 && !id; i++) {
		char *v = val(p.tgt, "SELECT id FROM information_schema.processlist"
		              " WHERE info LIKE '%%SLEEP(2)%%' AND info NOT LIKE '%%processlist%%' LIMIT 1");

		if (strcmp(v, "(none)") != 0)
			id = v;
		else {
			free(v);
			usleep(50000);
		}
	}
	ck_assert_msg(id != NULL, "the slow query never showed up");
	sql(p.tgt, "KILL CONNECTION %s", id);
	free(id);
	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "retrying"), "%s", r.err);
	result_free(&r);
	attempts = val(p.tgt, "SELECT attempts FROM etl_run_targets WHERE target = 'lonely'");
	ck_assert_str_eq(attempts, "2");
	free(attempts);
	proj_free(&p);
}
END_TEST

START_TEST(test_kill_during_full_build_keeps_old_table)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "crash");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, CONCAT(p.name, '!') AS name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	r = chacc_env(&p, "CHACC_FAULT=after-load:people_visits", "build", (char *)NULL);
	ck_assert_int_eq(r.status, 128 + SIGKILL);
	result_free(&r);
	assert_val(p.tgt, "ada,ada,bob", "SELECT GROUP_CONCAT(name ORDER BY visit_id) FROM people_visits");
	r = chacc_env(&p, "CHACC_FAULT=after-swap:people_visits", "build", (char *)NULL);
	ck_assert_int_eq(r.status, 128 + SIGKILL);
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	/* the crash left the old marker: the new definition is still to be built */
	ck_assert_msg(strstr(r.out, "people_visits") && strstr(r.out, "definition changed"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "ada!,ada!,bob!", "SELECT GROUP_CONCAT(name ORDER BY visit_id) FROM people_visits");
	assert_val(p.tgt, "ada!=2,bob!=1", "SELECT GROUP_CONCAT(name, '=', n ORDER BY name) FROM visit_counts");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name LIKE '\\_chacc%%'");
	proj_free(&p);
}
END_TEST

START_TEST(test_concurrent_builds_build_each_target_once)
{
	struct proj p;
	char *args[] = { (char *)"build", (char *)"-j", (char *)"2", NULL };
	int o1, e1, o2, e2, s1, s2;
	pid_t a, b;
	char *out1, *out2, *err1, *err2;

	/* on both engines (_i): the tables' queries sleep in their dialects */
	if (_i == 0) {
		proj_clinic(&p, "concur");
		write_file(&p, "sql/lonely.sql", "SELECT SLEEP(1) AS x\n");
		write_file(&p, "sql/visit_counts.sql", "SELECT name, COUNT(*) AS n, MAX(SLEEP(0.5)) AS s"
		           " FROM people_visits GROUP BY name\n");
	} else {
		proj_clinic_on(&p, "concur_pg", "postgres");
		write_file(&p, "sql/lonely.sql", "SELECT 1 AS x FROM pg_sleep(1)\n");
		write_file(&p, "sql/visit_counts.sql", "SELECT name, COUNT(*) AS n, 0 AS s"
		           " FROM people_visits CROSS JOIN pg_sleep(0.5) GROUP BY name\n");
	}
	a = chacc_start(&p, NULL, &o1, &e1, args);
	b = chacc_start(&p, NULL, &o2, &e2, args);
	s1 = wait_status(a);
	s2 = wait_status(b);
	out1 = slurp_fd(o1);
	out2 = slurp_fd(o2);
	err1 = slurp_fd(e1);
	err2 = slurp_fd(e2);
	ck_assert_msg(s1 == 0 && s2 == 0, "exit %d %d\n%s\n%s\n%s\n%s", s1, s2, out1, err1, out2, err2);
	assert_val(p.tgt, "1", "SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM etl_run_targets"
	           " WHERE outcome = 'built' GROUP BY target) AS x");
	assert_val(p.tgt, "5", "SELECT COUNT(DISTINCT target) FROM etl_run_targets WHERE outcome = 'built'");
	free(out1);
	free(out2);
	free(err1);
	free(err2);
	proj_free(&p);
}
END_TEST

START_TEST(test_incremental_extract_upserts_and_deletes)
{
	struct proj p;
	struct result r;
	char *o;

	proj_clinic(&p, "incr");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	sql(p.src, "UPDATE people SET name = 'bobby', updated_at = NOW() - INTERVAL 2 SECOND WHERE id = 2");
	sql(p.src, "UPDATE people SET voided = 1, updated_at = NOW() - INTERVAL 2 SECOND WHERE id = 3");
	sql(p.src, "INSERT INTO people VALUES (4, 'dee', NOW() - INTERVAL 2 SECOND, 0)");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "people ") && strstr(r.out, "source") && strstr(r.out, "incremental"),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "people");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "ada,bobby,dee", "SELECT GROUP_CONCAT(name ORDER BY id) FROM people");
	assert_val(p.tgt, "{\"id\": 3}", "SELECT key_json FROM etl_deletes WHERE target = 'people'");
	o = last_outcome(&p, "people");
	ck_assert_str_eq(o, "built");
	free(o);
	assert_val(p.tgt, "incremental", "SELECT mode FROM etl_run_targets WHERE target = 'people'"
	           " ORDER BY run_id DESC LIMIT 1");
	/* once the lookback window has closed, nothing more to do */
	sleep(2);
	r = chacc(&p, "build", "people");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "build", "people");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_exit_codes)
{
	struct proj p;
	struct result r;
	struct store *st;

	proj_clinic(&p, "exits");
	r = chacc(&p, "build", "nosuch");
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "unknown target 'nosuch'"), "%s", r.err);
	result_free(&r);
	r = chacc(&p, "frobnicate");
	ck_assert_int_eq(r.status, 2);
	result_free(&r);
	r = chacc(&p, "build", "--since", "yesterday");
	ck_assert_int_eq(r.status, 2);
	result_free(&r);
	r = chacc_env(&p, "TARGET_DB_SOCKET=/nonexistent/sock", "build", (char *)NULL);
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(!strstr(r.err, getenv("CHACC_TEST_PASSWORD")) || strlen(getenv("CHACC_TEST_PASSWORD")) < 6,
	              "%s", r.err);
	result_free(&r);
	/* another scheduled run holds the run-wide lock */
	st = store_open(p.tgt, "clinic");
	ck_assert_int_eq(store_lock_scheduled(st), 1);
	r = chacc(&p, "build", "--scheduled");
	ck_assert_int_eq(r.status, 75);
	result_free(&r);
	store_unlock_scheduled(st);
	store_close(st);
	r = chacc(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_timeout_kills_query)
{
	struct proj p;
	struct result r;
	time_t t0 = time(NULL);
	char *v;

	proj_clinic(&p, "timeout");
	write_file(&p, "chacc.yml",
	           "chacc: 1\nname: slow\nconnections:\n"
	           "  - name: target\n    socket: ${TARGET_DB_SOCKET}\n    user: ${TARGET_DB_USER}\n"
	           "    password: ${TARGET_DB_PASSWORD}\n    database: ${TARGET_DB_NAME}\n"
	           "target: target\ntargets:\n"
	           "  - name: slow\n    kind: table\n    query: sql/slow.sql\n    timeout: 1s\n");
	write_file(&p, "sql/slow.sql", "SELECT SLEEP(30) AS x\n");
	r = chacc(&p, "build");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "timed out"), "%s", r.err);
	ck_assert_msg(time(NULL) - t0 < 20, "the query was not killed");
	result_free(&r);
	v = val(p.tgt, "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%%SLEEP(30)%%'"
	        " AND info NOT LIKE '%%processlist%%'");
	ck_assert_str_eq(v, "0");
	free(v);
	proj_free(&p);
}
END_TEST

START_TEST(test_missing_privilege_is_named)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "privs");
	sql(p.tgt, "DROP USER IF EXISTS 'weak'@'localhost'");
	sql(p.tgt, "CREATE USER 'weak'@'localhost' IDENTIFIED BY 'weakpw'");
	sql(p.tgt, "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER ON %s.* TO 'weak'@'localhost'",
	    p.tgtdb);
	r = chacc_env(&p, "TARGET_DB_USER=weak", "build", "lonely", (char *)NULL);
	ck_assert_int_eq(r.status, 3);  /* wrong password: .env has the test password */
	result_free(&r);
	write_file(&p, ".env.weak", "");
	{
		char *env = xasprintf("TARGET_DB_PASSWORD=weakpw");

		setenv("TARGET_DB_USER", "weak", 1);
		r = chacc_env(&p, env, "build", "lonely", (char *)NULL);
		unsetenv("TARGET_DB_USER");
		free(env);
	}
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "INDEX") && !strstr(r.err, "weakpw"), "%s", r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_same_server_extract_and_script)
{
	struct proj p;
	struct result r;

	proj_new(&p, "same");
	sql(p.tgt, "CREATE DATABASE IF NOT EXISTS ops_same");
	sql(p.tgt, "CREATE OR REPLACE TABLE ops_same.items (id INT PRIMARY KEY, v VARCHAR(10))");
	sql(p.tgt, "INSERT INTO ops_same.items VALUES (1, 'a'), (2, 'b')");
	write_file(&p, "chacc.yml",
	           "chacc: 1\nname: same\nconnections:\n"
	           "  - name: ops\n    socket: ${TARGET_DB_SOCKET}\n    user: ${TARGET_DB_USER}\n"
	           "    password: ${TARGET_DB_PASSWORD}\n    database: ops_same\n"
	           "  - name: target\n    socket: ${TARGET_DB_SOCKET}\n    user: ${TARGET_DB_USER}\n"
	           "    password: ${TARGET_DB_PASSWORD}\n    database: ${TARGET_DB_NAME}\n"
	           "target: target\ntargets:\n"
	           "  - name: items\n    kind: extract\n    from: ops\n    query: sql/items.sql\n"
	           "    key: [id]\n"
	           "  - name: summary\n    kind: script\n    needs: [items]\n"
	           "    script: sql/summary.sql\n    call: CALL make_summary('${this}')\n");
	write_file(&p, "sql/items.sql", "SELECT id, v FROM items\n");
	write_file(&p, "sql/summary.sql",
	           "DROP PROCEDURE IF EXISTS make_summary;\n"
	           "DELIMITER $$\n"
	           "CREATE PROCEDURE make_summary(IN t VARCHAR(64))\n"
	           "BEGIN\n"
	           "  SET @s = CONCAT('CREATE OR REPLACE TABLE `', t, '` AS SELECT COUNT(*) AS n,"
	           " GROUP_CONCAT(v ORDER BY id) AS vs FROM items');\n"
	           "  PREPARE st FROM @s; EXECUTE st; DEALLOCATE PREPARE st;\n"
	           "END$$\n"
	           "DELIMITER ;\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "2:a,b", "SELECT CONCAT(n, ':', vs) FROM summary");
	sql(p.tgt, "INSERT INTO ops_same.items VALUES (3, 'c')");
	/* items is not incremental: only a forced build reads new rows */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "-B", "items", "summary");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "3:a,b,c", "SELECT CONCAT(n, ':', vs) FROM summary");
	sql(p.tgt, "DROP DATABASE ops_same");
	proj_free(&p);
}
END_TEST

START_TEST(test_clean_and_history)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "clean");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "success"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "clean", "lonely");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = 'lonely'");
	r = chacc(&p, "plan", "--json", "lonely");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"missing\""), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* the on_failure hook of a scheduled run gets the run, the failures and the recipe */
START_TEST(test_on_failure_hook)
{
	struct proj p;
	struct result r;
	char *path, *text, *want, *run;

	proj_clinic(&p, "hook");
	{
		char *y = str_replace(recipe, "target: target\n", "target: target\non_failure:"
		                      " env | grep -E '^CHACC_(RUN_ID|FAILED|RECIPE)=' | sort > hook.out\n");

		write_file(&p, "chacc.yml", y);
		free(y);
	}
	write_file(&p, "sql/lonely.sql", "SELECT no_such_column FROM no_such_table\n");
	r = chacc(&p, "build", "--scheduled", "lonely");
	ck_assert_int_eq(r.status, 1);
	result_free(&r);
	run = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	path = xasprintf("%s/hook.out", p.dir);
	text = readfile(path, NULL);
	ck_assert_msg(text != NULL, "the hook did not run");
	want = xasprintf("CHACC_FAILED=lonely\nCHACC_RECIPE=clinic\nCHACC_RUN_ID=%s\n", run);
	ck_assert_str_eq(text, want);
	free(want);
	free(text);
	free(run);
	/* two failures: both names, space-separated, in the order they ran */
	write_file(&p, "sql/visit_counts.sql", "SELECT nope FROM people_visits\n");
	r = chacc(&p, "build", "--scheduled", "-k", "-j", "1");
	ck_assert_int_eq(r.status, 1);
	result_free(&r);
	run = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	text = readfile(path, NULL);
	want = xasprintf("CHACC_FAILED=visit_counts lonely\nCHACC_RECIPE=clinic\n"
	                 "CHACC_RUN_ID=%s\n", run);
	if (strstr(text, "CHACC_FAILED=lonely visit_counts")) {
		char *w = str_replace(want, "visit_counts lonely", "lonely visit_counts");

		free(want);
		want = w;
	}
	ck_assert_str_eq(text, want);
	free(want);
	free(text);
	free(path);
	free(run);
	proj_free(&p);
}
END_TEST

/*
 * cron: a scheduled run with nothing to do is recorded, quiet, exit 0; the
 * note that revisions are not recorded (no git here) comes once, not nightly
 */
START_TEST(test_scheduled_nothing_to_do)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "cronnoop");
	r = chacc(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "revisions are not recorded"), "%s", r.err);
	result_free(&r);
	for (int i = 0; i < 2; i++) {
		r = chacc(&p, "build", "--scheduled");
		assert_ok(&r);
		ck_assert_str_eq(r.out, "");
		ck_assert_str_eq(r.err, "");
		result_free(&r);
	}
	assert_val(p.tgt, "success,nothing to do,nothing to do",
	           "SELECT GROUP_CONCAT(result ORDER BY run_id) FROM etl_runs WHERE mode = 'scheduled'"
	           " AND started_by LIKE '%%(scheduled)' AND ended_at >= started_at");
	/* a build from the command line still says it */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "revisions are not recorded"), "%s", r.err);
	result_free(&r);
	/* history shows them */
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"nothing to do\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* graph --svg renders through dot(1), which contrib/install-deps installs (graphviz) */
START_TEST(test_graph_svg)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "svg");
	r = chacc(&p, "graph", "--svg");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "<svg") && strstr(r.out, "people_visits"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("build");
	TCase *tc = tcase_create("build");
	int rc;

	if (itest_setup("check_build") < 0)
		return 0;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_build_then_nothing_to_do);
	tcase_add_test(tc, test_definition_change_rebuilds_exactly_dependents);
	tcase_add_test(tc, test_restat_prunes_unchanged);
	tcase_add_test(tc, test_failure_stops_dependents_and_keep_going);
	tcase_add_test(tc, test_retry_after_lost_connection);
	tcase_add_test(tc, test_kill_during_full_build_keeps_old_table);
	tcase_add_loop_test(tc, test_concurrent_builds_build_each_target_once, 0, 2);
	tcase_add_test(tc, test_incremental_extract_upserts_and_deletes);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_timeout_kills_query);
	tcase_add_test(tc, test_missing_privilege_is_named);
	tcase_add_test(tc, test_same_server_extract_and_script);
	tcase_add_test(tc, test_clean_and_history);
	tcase_add_test(tc, test_on_failure_hook);
	tcase_add_test(tc, test_scheduled_nothing_to_do);
	tcase_add_test(tc, test_graph_svg);
	suite_add_tcase(s, tc);
	rc = run_suite(s);
	return rc;
}
