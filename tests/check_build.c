/* check_build.c: chacc build against two real MariaDB servers (source and target) */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "build.h"
#include "itest.h"
#include "store.h"

static const char recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 2, retry_delay: 100ms }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    indexes: [[name]]\n"
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

/* the standard clinic: people and visits in the source, the recipe above */
static void
proj_clinic(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', NOW() - INTERVAL 1 DAY, 0),"
	    " (2, 'bob', NOW() - INTERVAL 1 DAY, 0), (3, 'cy', NOW() - INTERVAL 1 DAY, 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2026-01-01'), (11, 1, '2026-01-02'),"
	    " (12, 2, '2026-01-03')");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits;\n");
	write_file(p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n"
	           "WHERE ${since} IS NULL OR v._chacc_changed_at > ${since}"
	           " OR p._chacc_changed_at > ${since}\n");
	write_file(p, "sql/visit_counts.sql",
	           "SELECT name, COUNT(*) AS n FROM people_visits GROUP BY name\n");
	write_file(p, "sql/lonely.sql", "SELECT 1 AS x\n");
}

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

	proj_clinic(&p, "concur");
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(1) AS x\n");
	write_file(&p, "sql/visit_counts.sql",
	           "SELECT name, COUNT(*) AS n, MAX(SLEEP(0.5)) AS s FROM people_visits GROUP BY name\n");
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

START_TEST(test_sigterm_records_interrupted)
{
	struct proj p;
	struct result r;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	int o, e;
	pid_t pid;
	char *v = NULL;

	proj_clinic(&p, "sigterm");
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(30) AS x\n");
	pid = chacc_start(&p, NULL, &o, &e, args);
	for (int i = 0; i < 100; i++) {
		free(v);
		v = val(p.tgt, "SELECT COUNT(*) FROM information_schema.processlist"
		        " WHERE info LIKE '%%SLEEP(30)%%' AND info NOT LIKE '%%processlist%%'");
		if (strcmp(v, "1") == 0)
			break;
		usleep(50000);
	}
	free(v);
	kill(pid, SIGTERM);
	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	ck_assert_msg(r.status == 130, "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "interrupted", "SELECT status FROM etl_metadata WHERE target = 'lonely'");
	assert_val(p.tgt, "interrupted", "SELECT result FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.processlist"
	           " WHERE info LIKE '%SLEEP(30)%' AND info NOT LIKE '%processlist%'");
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

/* all that fd (a file) holds so far, leaving it open */
static char *
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

/* wait up to secs for fd's text to hold needle */
static bool
wait_text(int fd, const char *needle, double secs)
{
	double until = mono_seconds() + secs;

	for (;;) {
		char *t = fd_text(fd);
		bool found = strstr(t, needle) != NULL;

		free(t);
		if (found || mono_seconds() > until)
			return found;
		usleep(20000);
	}
}

/* a build paused by CHACC_PAUSE=point: its pid, once it waits there */
struct paused {
	pid_t pid;
	int out, err;
	char file[PATH_MAX + 16];
	char pause[128], pause_file[PATH_MAX + 48];
};

static void
start_paused(struct proj *p, struct paused *b, const char *point, char *const args[])
{
	const char *env[3];
	double until = mono_seconds() + 60;

	snprintf(b->file, sizeof(b->file), "%s/paused", p->dir);
	snprintf(b->pause, sizeof(b->pause), "CHACC_PAUSE=%s", point);
	snprintf(b->pause_file, sizeof(b->pause_file), "CHACC_PAUSE_FILE=%s", b->file);
	env[0] = b->pause;
	env[1] = b->pause_file;
	env[2] = NULL;
	b->pid = chacc_start_envs(p, env, &b->out, &b->err, args);
	while (access(b->file, F_OK) != 0) {
		char *err = fd_text(b->err);

		ck_assert_msg(waitpid(b->pid, NULL, WNOHANG) == 0, "the build ended: %s", err);
		ck_assert_msg(mono_seconds() < until, "the build never paused at '%s': %s", point, err);
		free(err);
		usleep(20000);
	}
}

/* go on from the pause; the build's exit status, stdout and stderr */
static struct result
resume(struct paused *b)
{
	struct result r;

	unlink(b->file);
	r.status = wait_status(b->pid);
	r.out = slurp_fd(b->out);
	r.err = slurp_fd(b->err);
	return r;
}

/*
 * what a stop must leave: only people ever started, every other target is
 * recorded skipped without a start, the run is interrupted
 */
static void
assert_stopped_before(struct proj *p, const struct result *r, long long run)
{
	char *q;

	ck_assert_msg(r->status == 130, "exit %d\n%s\n%s", r->status, r->out, r->err);
	ck_assert_msg(!strstr(r->out, "visits") && !strstr(r->out, "lonely"),
	              "a target started after the stop:\n%s", r->out);
	q = xasprintf("SELECT COUNT(*) FROM etl_run_targets WHERE run_id = %lld"
	              " AND target <> 'people' AND (attempts > 0 OR started_at IS NOT NULL)", run);
	assert_val(p->tgt, "0", q);
	free(q);
	q = xasprintf("SELECT GROUP_CONCAT(target ORDER BY BINARY target) FROM etl_run_targets"
	              " WHERE run_id = %lld AND outcome = 'skipped'", run);
	assert_val(p->tgt, "lonely,people_visits,visit_counts,visits", q);
	free(q);
	q = xasprintf("SELECT result FROM etl_runs WHERE run_id = %lld", run);
	assert_val(p->tgt, "interrupted", q);
	free(q);
	assert_val(p->tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name IN ('visits', 'lonely')");
}

/* a signal while the first target builds: nothing else starts (-j 1 has more ready) */
static void
signal_stops(int sig, const char *name)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"-j", (char *)"1", NULL };

	proj_clinic(&p, name);
	start_paused(&p, &b, "begin:people", args);
	kill(b.pid, sig);
	ck_assert_msg(wait_text(b.err, "interrupted", 10), "no word of the stop");
	r = resume(&b);
	assert_stopped_before(&p, &r, 1);
	result_free(&r);
	proj_free(&p);
}

START_TEST(test_sigint_starts_nothing)
{
	signal_stops(SIGINT, "sigint");
}
END_TEST

START_TEST(test_sigterm_starts_nothing)
{
	signal_stops(SIGTERM, "sigterm2");
}
END_TEST

/* one HTTP request to chacc serve on port; the reply's body, or NULL */
static char *
http_req(int port, const char *method, const char *path, const char *headers, const char *body)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *req, tmp[4096], *sep, *out;
	struct buf b;
	ssize_t n;

	ck_assert(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect to %d", port);
	req = xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
	                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                method, path, port, headers ? headers : "", body ? strlen(body) : 0,
	                body ? body : "");
	ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	free(req);
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = recv(fd, tmp, sizeof(tmp), 0)) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	sep = strstr(b.s, "\r\n\r\n");
	out = sep ? xstrdup(sep + 4) : NULL;
	buf_release(&b);
	return out;
}

/* a POST with the server's CSRF token; the reply as JSON */
static json_t *
web_post(int port, const char *path, const char *body)
{
	char *csrf = http_req(port, "GET", "/api/csrf", NULL, NULL), *h, *reply;
	json_t *j = csrf ? json_loads(csrf, 0, NULL) : NULL;

	ck_assert_msg(j && json_string_value(json_object_get(j, "csrf")), "/api/csrf: %s", csrf);
	h = xasprintf("X-CSRF-Token: %s\r\n", json_string_value(json_object_get(j, "csrf")));
	json_decref(j);
	free(csrf);
	reply = http_req(port, "POST", path, h, body);
	free(h);
	j = reply ? json_loads(reply, 0, NULL) : NULL;
	ck_assert_msg(j != NULL, "POST %s: %s", path, reply ? reply : "(no reply)");
	free(reply);
	return j;
}

/* wait until run id of the project's database has ended; its result */
static char *
wait_run_end(struct proj *p, long long id)
{
	double until = mono_seconds() + 60;

	for (;;) {
		char *v = val(p->tgt, "SELECT result FROM etl_runs WHERE run_id = %lld", id);

		if (strcmp(v, "running") != 0 || mono_seconds() > until)
			return v;
		free(v);
		usleep(50000);
	}
}

/*
 * the web's Cancel stops the run as a signal does; and runs of one server
 * keep their own quiet: a scheduled run does not silence another, nor does
 * another make it speak
 */
START_TEST(test_web_cancel_starts_nothing)
{
	struct proj p;
	struct paused b;
	struct result r = { 130, NULL, NULL };
	char *args[] = { (char *)"serve", (char *)"--port", (char *)"0", NULL };
	char *out, *at, *path, *res;
	const char *env[3];
	json_t *j;
	long long id, quiet_id, loud_id;
	size_t seen;
	int port, st;

	proj_clinic(&p, "webcancel");
	/* the server's first build pauses there */
	snprintf(b.file, sizeof(b.file), "%s/paused", p.dir);
	snprintf(b.pause, sizeof(b.pause), "CHACC_PAUSE=begin:people");
	snprintf(b.pause_file, sizeof(b.pause_file), "CHACC_PAUSE_FILE=%s", b.file);
	env[0] = b.pause;
	env[1] = b.pause_file;
	env[2] = NULL;
	b.pid = chacc_start_envs(&p, env, &b.out, &b.err, args);
	ck_assert_msg(wait_text(b.out, "serving on http://", 20), "chacc serve did not start");
	out = fd_text(b.out);
	at = strrchr(strstr(out, "serving on http://"), ':');
	port = atoi(at + 1);
	free(out);
	j = web_post(port, "/api/runs", "{\"jobs\": 1}");
	id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	ck_assert_msg(id > 0, "no run id");
	for (int i = 0; i < 3000 && access(b.file, F_OK) != 0; i++)
		usleep(20000);
	ck_assert_msg(access(b.file, F_OK) == 0, "the build never paused");
	path = xasprintf("/api/runs/%lld/cancel", id);
	j = web_post(port, path, NULL);
	free(path);
	ck_assert_msg(json_is_true(json_object_get(j, "cancelling")), "cancel refused");
	json_decref(j);
	ck_assert_msg(wait_text(b.err, "interrupted", 10), "no word of the cancel");
	unlink(b.file);
	res = wait_run_end(&p, id);
	ck_assert_str_eq(res, "interrupted");
	free(res);
	r.out = fd_text(b.out);
	r.err = fd_text(b.err);
	assert_stopped_before(&p, &r, id);
	seen = strlen(r.out);
	result_free(&r);

	/* a scheduled run, and an incremental run that starts while it builds */
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(2) AS x\n");
	j = web_post(port, "/api/runs",
	             "{\"mode\": \"scheduled\", \"force\": true, \"targets\": [\"lonely\"]}");
	quiet_id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	j = web_post(port, "/api/runs", "{\"force\": true, \"targets\": [\"visits\"]}");
	loud_id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	ck_assert_msg(quiet_id > 0 && loud_id > 0, "no run ids");
	res = wait_run_end(&p, quiet_id);
	ck_assert_str_eq(res, "success");
	free(res);
	res = wait_run_end(&p, loud_id);
	ck_assert_str_eq(res, "success");
	free(res);
	kill(b.pid, SIGTERM);
	st = wait_status(b.pid);
	out = slurp_fd(b.out);
	r.err = slurp_fd(b.err);
	ck_assert_msg(st == 0, "chacc serve exited %d: %s", st, r.err);
	ck_assert_msg(strstr(out + seen, "extract visits") && strstr(out + seen, "done, 1 built"),
	              "the incremental run was silenced:\n%s", out + seen);
	ck_assert_msg(!strstr(out + seen, "lonely"), "the scheduled run was not quiet:\n%s",
	              out + seen);
	free(out);
	free(r.err);
	proj_free(&p);
}
END_TEST

/* the state of target in 'status --json' */
static char *
state_of(struct proj *p, const char *target, json_t **obj)
{
	struct result r = chacc(p, "status", "--json");
	json_t *arr = json_loads(r.out, 0, NULL), *o;
	size_t i;
	char *state = NULL;

	ck_assert_msg(r.status == 0 && arr, "exit %d: %s%s", r.status, r.out, r.err);
	json_array_foreach(arr, i, o)
		if (strcmp(json_string_value(json_object_get(o, "target")), target) == 0) {
			state = xstrdup(json_string_value(json_object_get(o, "state")));
			if (obj)
				*obj = json_incref(o);
		}
	json_decref(arr);
	result_free(&r);
	ck_assert_msg(state != NULL, "no target '%s' in the status", target);
	return state;
}

/* a build in progress shows as building; a dead runner's as interrupted, and its run is closed */
START_TEST(test_building_then_dead_runner)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	char *state, *run;
	json_t *o = NULL;
	double until;

	proj_clinic(&p, "building");
	start_paused(&p, &b, "begin:lonely", args);
	run = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	state = state_of(&p, "lonely", &o);
	ck_assert_str_eq(state, "building");
	free(state);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "run_id")), atoll(run));
	ck_assert_msg(json_string_value(json_object_get(o, "since")), "no 'since'");
	json_decref(o);
	state = state_of(&p, "people", NULL);
	ck_assert_str_eq(state, "missing");
	free(state);
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "building") && strstr(r.out, "building in run"), "%s", r.out);
	result_free(&r);

	/* the runner dies: its lock goes with its connection */
	kill(b.pid, SIGKILL);
	wait_status(b.pid);
	close(b.out);
	close(b.err);
	unlink(b.file);
	until = mono_seconds() + 20;
	for (;;) {
		state = state_of(&p, "lonely", NULL);
		if (strcmp(state, "building") != 0 || mono_seconds() > until)
			break;
		free(state);
		usleep(100000);
	}
	ck_assert_str_eq(state, "interrupted");
	free(state);
	/* status changes nothing; the next build closes the dead run */
	assert_val(p.tgt, "running", "SELECT result FROM etl_runs ORDER BY run_id LIMIT 1");
	r = chacc(&p, "build", "lonely");
	assert_ok(&r);
	result_free(&r);
	{
		char *q = xasprintf("SELECT CONCAT(result, ',', ended_at IS NOT NULL) FROM etl_runs"
		                    " WHERE run_id = %s", run);

		assert_val(p.tgt, "interrupted,1", q);
		free(q);
		q = xasprintf("SELECT outcome FROM etl_run_targets WHERE run_id = %s", run);
		assert_val(p.tgt, "interrupted", q);
		free(q);
	}
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "interrupted") && !strstr(r.out, "running"), "%s", r.out);
	result_free(&r);
	state = state_of(&p, "lonely", NULL);
	ck_assert_str_eq(state, "ok");
	free(state);
	free(run);
	proj_free(&p);
}
END_TEST

/* a runner that waited while another built its target says so, not "built" */
START_TEST(test_other_runner_is_not_built)
{
	struct proj p;
	struct paused a;
	struct result ra, rb;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	int o, e;
	pid_t pid;

	proj_clinic(&p, "tworunners");
	start_paused(&p, &a, "begin:lonely", args);
	pid = chacc_start(&p, NULL, &o, &e, args);
	ck_assert_msg(wait_text(o, "another runner is building 'lonely'", 20), "no wait");
	ra = resume(&a);
	rb.status = wait_status(pid);
	rb.out = slurp_fd(o);
	rb.err = slurp_fd(e);
	assert_ok(&ra);
	assert_ok(&rb);
	ck_assert_msg(strstr(ra.out, "done, 1 built"), "%s", ra.out);
	ck_assert_msg(strstr(rb.out, "done, 1 up to date, built by another runner") &&
	              !strstr(rb.out, "1 built"), "%s", rb.out);
	assert_val(p.tgt, "built,up to date", "SELECT GROUP_CONCAT(outcome ORDER BY run_id)"
	           " FROM etl_run_targets WHERE target = 'lonely'");
	assert_val(p.tgt, "success,success", "SELECT GROUP_CONCAT(result ORDER BY run_id) FROM etl_runs");
	result_free(&ra);
	result_free(&rb);
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
	tcase_add_test(tc, test_concurrent_builds_build_each_target_once);
	tcase_add_test(tc, test_incremental_extract_upserts_and_deletes);
	tcase_add_test(tc, test_exit_codes);
	tcase_add_test(tc, test_timeout_kills_query);
	tcase_add_test(tc, test_sigterm_records_interrupted);
	tcase_add_test(tc, test_missing_privilege_is_named);
	tcase_add_test(tc, test_same_server_extract_and_script);
	tcase_add_test(tc, test_clean_and_history);
	tcase_add_test(tc, test_sigint_starts_nothing);
	tcase_add_test(tc, test_sigterm_starts_nothing);
	tcase_add_test(tc, test_web_cancel_starts_nothing);
	tcase_add_test(tc, test_building_then_dead_runner);
	tcase_add_test(tc, test_other_runner_is_not_built);
	tcase_add_test(tc, test_on_failure_hook);
	tcase_add_test(tc, test_scheduled_nothing_to_do);
	tcase_add_test(tc, test_graph_svg);
	suite_add_tcase(s, tc);
	rc = run_suite(s);
	return rc;
}
