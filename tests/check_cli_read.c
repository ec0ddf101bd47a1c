/* check_cli_read.c: commands that only read: no table made, no credentials needed, the lookback window */
#include "itest.h"

static const char recipe[] =
	"chacc: 1\n"
	"name: ward\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: beds\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/beds.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, lookback: 1h }\n"
	"  - name: bed_count\n"
	"    kind: table\n"
	"    needs: [beds]\n"
	"    query: sql/bed_count.sql\n";

static void
proj_ward(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE beds (id INT PRIMARY KEY, ward VARCHAR(20) NOT NULL,"
	    " updated_at DATETIME NOT NULL)");
	sql(p->src, "INSERT INTO beds VALUES (1, 'north', NOW()), (2, 'south', NOW())");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/beds.sql", "SELECT id, ward, updated_at FROM beds\n");
	write_file(p, "sql/bed_count.sql", "SELECT ward, COUNT(*) AS beds FROM beds GROUP BY ward\n");
}

/* run a shell command in the project; it must succeed */
static void
shell(struct proj *p, const char *cmd)
{
	char *line = xasprintf("cd '%s' && %s >/dev/null 2>&1", p->dir, cmd);

	ck_assert_msg(system(line) == 0, "%s", cmd);
	free(line);
}

/* chacc with the connection variables unset and no .env: what CI without secrets has */
static struct result
chacc_bare(struct proj *p, char *const args[])
{
	static const char *const unset[] = {
		"SOURCE_DB_SOCKET", "SOURCE_DB_USER", "SOURCE_DB_PASSWORD", "SOURCE_DB_NAME",
		"TARGET_DB_SOCKET", "TARGET_DB_USER", "TARGET_DB_PASSWORD", "TARGET_DB_NAME", NULL,
	};
	struct result r;
	int o, e;
	pid_t pid = chacc_start_envs(p, unset, &o, &e, args);

	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	return r;
}

#define bare(p, ...) chacc_bare(p, (char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_reading_an_empty_database_makes_no_table)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "empty");
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "2 of 2 targets never built ('chacc build' builds them)"),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "status", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"state\": \"missing\"") && !strstr(r.out, "out of date"),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"missing\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "no runs yet"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	assert_val(p.tgt, "(none)", "SHOW TABLES");

	/* after a build nothing is counted as never built */
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "never built"), "%s", r.out);
	result_free(&r);
	/* a table dropped by hand is missing, but it was built */
	sql(p.tgt, "DROP TABLE bed_count");
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "missing") && !strstr(r.out, "never built"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_git_and_graph_need_no_credentials)
{
	struct proj p;
	struct result r;
	char *path;

	proj_ward(&p, "nocreds");
	shell(&p, "git init -q -b main && git add chacc.yml sql &&"
	      " git -c user.name=T -c user.email=t@example.org commit -q -m 'the ward'");
	write_file(&p, "sql/bed_count.sql", "SELECT ward, COUNT(*) AS n FROM beds GROUP BY ward\n");
	path = xasprintf("%s/.env", p.dir);
	ck_assert_int_eq(unlink(path), 0);
	free(path);

	r = bare(&p, "graph");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\" -> \"bed_count\""), "%s", r.out);
	result_free(&r);
	r = bare(&p, "graph", "bed_count");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "bed_count") && !strstr(r.out, "->"), "%s", r.out);
	result_free(&r);
	r = bare(&p, "config", "log");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "the ward") && strstr(r.out, "bed_count"), "%s", r.out);
	result_free(&r);
	r = bare(&p, "config", "log", "beds");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "the ward"), "%s", r.out);
	result_free(&r);
	r = bare(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target bed_count: definition changed") &&
	              strstr(r.out, "bed_count") && strstr(r.out, "definition changed"),
	              "%s%s", r.out, r.err);
	ck_assert_msg(!strstr(r.err, "unset variable"), "%s", r.err);
	result_free(&r);
	r = bare(&p, "config", "diff", "--json");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "_error"), "%s", r.out);
	result_free(&r);
	r = bare(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "no reviews"), "%s", r.out);
	result_free(&r);

	/* a mistyped target gets the nearest name, as everywhere */
	r = bare(&p, "config", "log", "bedz");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "unknown target 'bedz'") &&
	              strstr(r.err, "did you mean 'beds'?"), "%s", r.err);
	result_free(&r);
	r = bare(&p, "config", "log", "zzzzzzzz");
	ck_assert_msg(r.status == 2 && strstr(r.err, "unknown target 'zzzzzzzz'") &&
	              !strstr(r.err, "did you mean"), "exit %d: %s", r.status, r.err);
	result_free(&r);

	/* validate still reports what is unset; what connects needs it */
	r = bare(&p, "validate");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "unset variable 'TARGET_DB_PASSWORD'"), "%s", r.err);
	result_free(&r);
	r = bare(&p, "status");
	ck_assert_msg(r.status == 2 && strstr(r.err, "unset variable 'TARGET_DB_USER'"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "(none)", "SHOW TABLES");
	proj_free(&p);
}
END_TEST

/* the end of the window as plan shows it: the newest row's time plus lookback, to the second */
static char *
window_end(struct proj *p, const char *lookback)
{
	return val(p->src, "SELECT IF(DATE(MAX(updated_at) + INTERVAL %s) = CURDATE(),"
	           " DATE_FORMAT(MAX(updated_at) + INTERVAL %s, '%%H:%%i:%%s'),"
	           " DATE_FORMAT(MAX(updated_at) + INTERVAL %s, '%%Y-%%m-%%d %%H:%%i:%%s'))"
	           " FROM beds", lookback, lookback, lookback);
}

START_TEST(test_lookback_window_is_not_out_of_date)
{
	struct proj p;
	struct result r;
	char *end, *want;

	proj_ward(&p, "window");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1", "SELECT window_open FROM etl_watermarks WHERE target = 'beds'");

	/* right after the build: ok everywhere status is told */
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "out of date") && strstr(r.out, "beds       ok"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "status", "--json");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "\"reason\""), "%s", r.out);
	result_free(&r);

	/* plan says why the extract is read again: its window, until when */
	end = window_end(&p, "1 HOUR");
	want = xasprintf("\"target\": \"beds\",\n    \"reason\": \"source\",\n"
	                 "    \"mode\": \"incremental\",\n    \"kind\": \"extract\",\n"
	                 "    \"detail\": \"lookback window open until %s\"", end);
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, want), "want %s\n%s", want, r.out);
	result_free(&r);
	free(want);
	want = xasprintf("# lookback window open until %s\n", end);
	r = chacc(&p, "plan", "beds");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, want), "want %s\n%s", want, r.out);
	result_free(&r);
	free(want);
	free(end);

	/* a window that has closed since: read once more, then nothing to do */
	sql(p.src, "UPDATE beds SET updated_at = NOW() - INTERVAL 2 HOUR");
	sql(p.tgt, "UPDATE etl_watermarks SET last_value = NOW() - INTERVAL 2 HOUR");
	end = window_end(&p, "1 HOUR");
	want = xasprintf("lookback window closed at %s: its last rows are read once more", end);
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, want), "want %s\n%s", want, r.out);
	result_free(&r);
	free(want);
	free(end);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT window_open FROM etl_watermarks WHERE target = 'beds'");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	/* --since re-reads for its own reason: no window named */
	r = chacc(&p, "plan", "--json", "--since", "2020-01-01");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"source\"") && !strstr(r.out, "lookback"), "%s",
	              r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cli_read");

	if (itest_setup("cli_read") < 0)
		return EXIT_SUCCESS;
	add_case(s, "reading_an_empty_database_makes_no_table",
	         test_reading_an_empty_database_makes_no_table);
	add_case(s, "git_and_graph_need_no_credentials", test_git_and_graph_need_no_credentials);
	add_case(s, "lookback_window_is_not_out_of_date", test_lookback_window_is_not_out_of_date);
	return run_suite(s);
}
