/* check_cli.c: what an operator runs: status with a source down, foreign tables, dry runs, scripts */
#include "clitest.h"

START_TEST(test_status_without_the_source)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "nosrc");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);

	/* the source is unreachable: status reads the target database only */
	r = chacc_env(&p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", "status", (char *)NULL);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "beds") && strstr(r.out, "source not checked"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "failed") && !strstr(r.out, "missing"), "%s", r.out);
	result_free(&r);
	r = chacc_env(&p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", "status", "--json",
	              (char *)NULL);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"detail\": \"source not checked\""), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "out of date"), "%s", r.out);
	result_free(&r);
	/* plan must ask the source: it says which and fails, without a crash */
	r = chacc_env(&p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", "plan", (char *)NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "'beds'") && strstr(r.err, "source"), "%s", r.err);
	result_free(&r);

	/* a probe that fails (a column renamed in the source) */
	sql(p.src, "ALTER TABLE beds RENAME COLUMN updated_at TO changed_on");
	r = chacc(&p, "status", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\"") && strstr(r.out, "\"state\": \"ok\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan", "--json");
	ck_assert_msg(r.status == 1, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "target 'beds': probing source 'source' failed"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "updated_at"), "%s", r.err);
	result_free(&r);
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d: %s%s", r.status, r.out, r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_foreign_table_is_refused_then_adopted)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "foreign");
	/* made by hand, or by another tool, before chacc ever ran */
	sql(p.tgt, "CREATE TABLE beds (id INT, note VARCHAR(20))");
	sql(p.tgt, "INSERT INTO beds VALUES (7, 'keep me'), (8, 'and me')");

	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "chacc did not make it"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "table 'beds'") && strstr(r.err, "was not made by chacc") &&
	              strstr(r.err, "--adopt beds"), "%s", r.err);
	result_free(&r);
	/* its rows are as they were, and what needs it was not built */
	assert_val(p.tgt, "7:keep me,8:and me",
	           "SELECT GROUP_CONCAT(id, ':', note ORDER BY id) FROM beds");
	assert_val(p.tgt, "(none)", "SELECT 1 FROM etl_metadata WHERE target = 'beds'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = 'bed_runs'");

	/* adoption: unknown names and absent tables are usage errors */
	r = chacc(&p, "build", "--adopt", "nosuch");
	ck_assert_msg(r.status == 2 && strstr(r.err, "'nosuch'"), "exit %d: %s", r.status, r.err);
	result_free(&r);
	r = chacc(&p, "build", "--adopt", "bed_runs");
	ck_assert_msg(r.status == 2 && strstr(r.err, "no table 'bed_runs'"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	/* a dry run shows the plan and writes nothing */
	r = chacc(&p, "build", "-n", "--adopt", "beds");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "beds") && strstr(r.out, "definition changed"), "%s", r.out);
	result_free(&r);
	assert_val(p.tgt, "(none)", "SELECT 1 FROM etl_metadata WHERE target = 'beds'");
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM beds");

	r = chacc(&p, "build", "--adopt", "beds");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1,2,3", "SELECT GROUP_CONCAT(id ORDER BY id) FROM beds");
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'beds'");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);

	/* a table another recipe built is not this one's either */
	sql(p.tgt, "UPDATE etl_metadata SET recipe = 'pharmacy' WHERE target = 'wards'");
	r = chacc(&p, "build", "-B", "wards");
	ck_assert_msg(r.status == 1 && strstr(r.err, "belongs to recipe 'pharmacy'"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_dropped_primary_key_rebuilds_in_full)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "pk");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* by hand: the key goes, then rows change in the source */
	sql(p.tgt, "ALTER TABLE beds DROP PRIMARY KEY");
	sql(p.src, "UPDATE beds SET ward = 'east', updated_at = NOW() WHERE id = 2");
	sql(p.src, "INSERT INTO beds VALUES (4, 'east', NOW())");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "target 'beds': the primary key of its table is missing"),
	              "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "1:north,2:east,3:south,4:east",
	           "SELECT GROUP_CONCAT(id, ':', ward ORDER BY id) FROM beds");
	/* a key changed by hand downstream, while its need builds incrementally */
	sql(p.tgt, "ALTER TABLE bed_runs DROP PRIMARY KEY, ADD PRIMARY KEY (id, ward)");
	sql(p.src, "UPDATE beds SET ward = 'west', updated_at = NOW() + INTERVAL 1 SECOND"
	    " WHERE id = 3");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "target 'bed_runs': the primary key of its table is (id,ward)"),
	              "%s", r.err);
	ck_assert_msg(!strstr(r.err, "target 'beds': the primary key"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "1:north,2:east,3:west,4:east",
	           "SELECT GROUP_CONCAT(id, ':', ward ORDER BY id) FROM beds");
	assert_val(p.tgt, "1:north,2:east,3:west,4:east",
	           "SELECT GROUP_CONCAT(id, ':', ward ORDER BY id) FROM bed_runs");
	assert_val(p.tgt, "id", "SELECT GROUP_CONCAT(column_name) FROM information_schema.statistics"
	           " WHERE table_schema = DATABASE() AND table_name = 'bed_runs'"
	           " AND index_name = 'PRIMARY'");
	proj_free(&p);
}
END_TEST

START_TEST(test_dry_run_placeholders_long_names_history)
{
	struct proj p;
	struct result r;
	char *run, *q;

	proj_ward(&p, "dry");
	/* -n prints the plan and touches nothing: no table, no run */
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "4 of 4 targets to build") && strstr(r.out, LONG_NAME),
	              "%s", r.out);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name NOT LIKE 'etl\\_%'");
	/* nor the etl_ tables: a dry run records no run */
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE()");

	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	run = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	q = xasprintf("SELECT CONCAT(MIN(run_id), ':', MAX(run_id), ':', MIN(src)) FROM bed_runs");
	{
		char *want = xasprintf("%s:%s:%s", run, run, p.srcdb);

		assert_val(p.tgt, want, q);
		free(want);
	}
	/* a 64-character target: its shadow and old tables get shorter names */
	assert_val(p.tgt, "north:5,south:5",
	           "SELECT GROUP_CONCAT(ward, ':', len ORDER BY ward) FROM " LONG_NAME);
	r = chacc(&p, "build", "-B", LONG_NAME);
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "", "SELECT COALESCE(GROUP_CONCAT(table_name), '') FROM"
	           " information_schema.tables WHERE table_schema = DATABASE()"
	           " AND table_name LIKE '\\_chacc%'");

	/* history in JSON: the runs, then one run's targets */
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"run_id\"") && strstr(r.out, "\"result\": \"success\""),
	              "%s", r.out);
	ck_assert_msg(r.out[0] == '[', "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history", "--json", run);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"bed_runs\"") &&
	              strstr(r.out, "\"outcome\": \"built\""), "%s", r.out);
	result_free(&r);
	free(run);
	free(q);
	proj_free(&p);
}
END_TEST

static const char script_recipe[] =
	"chacc: 1\n"
	"name: ledger\n"
	TEST_CONNECTIONS
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: entries\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/entries.sql\n"
	"    key: [id]\n"
	"    incremental: { column: id, probe: sql/entries_probe.sql, lookback: 0s }\n"
	"  - name: totals\n"
	"    kind: script\n"
	"    needs: [entries]\n"
	"    script: sql/totals.sql\n"
	"    call: CALL ledger_totals('${this}')\n";

static const char totals_sql[] =
	"DROP PROCEDURE IF EXISTS ledger_totals;\n"
	"DELIMITER //\n"
	"CREATE PROCEDURE ledger_totals(IN t VARCHAR(64))\n"
	"BEGIN\n"
	"  SET @s = CONCAT('CREATE TABLE `', t, '` AS SELECT COUNT(*) AS n,"
	" SUM(amount) AS total FROM entries');\n"
	"  PREPARE st FROM @s; EXECUTE st; DEALLOCATE PREPARE st;\n"
	"END //\n"
	"DELIMITER ;\n";

/* a script's failures name the target and where; the live table stays */
START_TEST(test_script_failures_keep_the_table)
{
	struct proj p;
	struct result r;

	proj_new(&p, "script");
	sql(p.src, "CREATE TABLE entries (id INT PRIMARY KEY, amount INT NOT NULL)");
	sql(p.src, "INSERT INTO entries VALUES (1, 10), (2, 20)");
	write_file(&p, "chacc.yml", script_recipe);
	write_file(&p, "sql/entries.sql", "SELECT id, amount FROM entries\n");
	write_file(&p, "sql/entries_probe.sql", "SELECT MAX(id) FROM entries\n");
	write_file(&p, "sql/totals.sql", totals_sql);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "2:30", "SELECT CONCAT(n, ':', total) FROM totals");

	/* a statement of the script fails: its file and line are named */
	write_file(&p, "sql/totals.sql", "DROP PROCEDURE IF EXISTS ledger_totals;\n"
	           "SELECT 1;\nSELEC nonsense;\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1 && strstr(r.err, "target 'totals': sql/totals.sql:3"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "2:30", "SELECT CONCAT(n, ':', total) FROM totals");
	/* the call fails */
	write_file(&p, "sql/totals.sql", "DROP PROCEDURE IF EXISTS ledger_totals;\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1 && strstr(r.err, "target 'totals': call failed") &&
	              strstr(r.err, "ledger_totals"), "exit %d: %s", r.status, r.err);
	result_free(&r);
	/* the script runs but never writes ${this} */
	write_file(&p, "sql/totals.sql", totals_sql);
	{
		char *text = str_replace(script_recipe, "CALL ledger_totals('${this}')", "DO 1");

		write_file(&p, "chacc.yml", text);
		free(text);
	}
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1 && strstr(r.err, "did not create its table (${this})"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "2:30", "SELECT CONCAT(n, ':', total) FROM totals");
	assert_val(p.tgt, "failed", "SELECT status FROM etl_metadata WHERE target = 'totals'");
	proj_free(&p);
}
END_TEST

/* an extract whose watermark is an integer id, asked through its own probe file */
START_TEST(test_probe_file_and_integer_watermark)
{
	struct proj p;
	struct result r;

	proj_new(&p, "probe");
	sql(p.src, "CREATE TABLE entries (id INT PRIMARY KEY, amount INT NOT NULL)");
	sql(p.src, "INSERT INTO entries VALUES (1, 10), (2, 20), (10, 5)");
	write_file(&p, "chacc.yml", script_recipe);
	write_file(&p, "sql/entries.sql", "SELECT id, amount FROM entries\n");
	write_file(&p, "sql/entries_probe.sql", "-- the newest id, from the primary key\n"
	           "SELECT MAX(id) FROM entries\n");
	write_file(&p, "sql/totals.sql", totals_sql);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "10", "SELECT last_value FROM etl_watermarks WHERE target = 'entries'");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	/* a row past the watermark: the probe sees it, the build reads from id 10 on */
	sql(p.src, "INSERT INTO entries VALUES (11, 7)");
	sql(p.src, "UPDATE entries SET amount = 99 WHERE id = 1");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"entries\"") &&
	              strstr(r.out, "\"reason\": \"source\"") &&
	              strstr(r.out, "\"mode\": \"incremental\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* the change below the watermark is not read: an id watermark only sees new rows */
	assert_val(p.tgt, "1:10,2:20,10:5,11:7",
	           "SELECT GROUP_CONCAT(id, ':', amount ORDER BY id) FROM entries");
	assert_val(p.tgt, "4:42", "SELECT CONCAT(n, ':', total) FROM totals");
	assert_val(p.tgt, "11", "SELECT last_value FROM etl_watermarks WHERE target = 'entries'");
	/* a probe that fails (its column renamed in the source) names its target */
	sql(p.src, "ALTER TABLE entries RENAME COLUMN id TO entry_id");
	r = chacc(&p, "plan");
	ck_assert_msg(r.status == 1 && strstr(r.err, "target 'entries': probing source 'source'") &&
	              strstr(r.err, "'id'"), "exit %d: %s", r.status, r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* graph, -C, help, history's limit and unknown options */
START_TEST(test_graph_directory_help_and_usage)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "usage");
	r = chacc(&p, "graph");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "digraph") && strstr(r.out, "\"beds\" -> \"bed_runs\""),
	              "%s", r.out);
	result_free(&r);
	/* -C: the project from elsewhere */
	r = chacc(&p, "-C", "/", "validate");
	ck_assert_msg(r.status == 2 && strstr(r.err, "no recipe 'chacc.yml'"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	r = chacc(&p, "-C", p.dir, "validate");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "recipe 'ward' is valid: 4 targets"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "-C", "/nonexistent", "validate");
	ck_assert_msg(r.status == 2 && strstr(r.err, "'/nonexistent'"), "exit %d: %s", r.status,
	              r.err);
	result_free(&r);
	r = chacc(&p, "build", "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "usage: chacc build"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--no-such-option");
	ck_assert_msg(r.status == 2 && strstr(r.err, "'--no-such-option'"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	r = chacc(&p, "build", "-j", "0");
	ck_assert_msg(r.status == 2 && strstr(r.err, "invalid worker count '0'"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	r = chacc(&p, "frobnicate");
	ck_assert_msg(r.status == 2 && strstr(r.err, "unknown command 'frobnicate'"), "%s", r.err);
	result_free(&r);
	/* two runs; a limit of one shows the newest */
	for (int i = 0; i < 2; i++) {
		r = chacc(&p, "build", "-B", "wards");
		assert_ok(&r);
		result_free(&r);
	}
	r = chacc(&p, "history", "-l", "1");
	assert_ok(&r);
	{
		char *newest = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
		const char *row = strchr(r.out, '\n');

		/* the heads, then one row: the newest run */
		ck_assert_msg(row && strchr(row + 1, '\n') == r.out + strlen(r.out) - 1, "%s", r.out);
		row += strspn(row, "\n ");
		ck_assert_msg(strncmp(row, newest, strlen(newest)) == 0 && row[strlen(newest)] == ' ',
		              "%s", r.out);
		free(newest);
	}
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cli");

	if (itest_setup("cli") < 0)
		return EXIT_SUCCESS;
	add_case(s, "status_without_the_source", test_status_without_the_source);
	add_case(s, "foreign_table_is_refused_then_adopted", test_foreign_table_is_refused_then_adopted);
	add_case(s, "dropped_primary_key_rebuilds_in_full", test_dropped_primary_key_rebuilds_in_full);
	add_case(s, "dry_run_placeholders_long_names_history",
	         test_dry_run_placeholders_long_names_history);
	add_case(s, "script_failures_keep_the_table", test_script_failures_keep_the_table);
	add_case(s, "probe_file_and_integer_watermark", test_probe_file_and_integer_watermark);
	add_case(s, "graph_directory_help_and_usage", test_graph_directory_help_and_usage);
	return run_suite(s);
}
