/* check_cli.c: what an operator runs: status with a source down, tables chacc did not make, dry runs */
#include "itest.h"

#include <ctype.h>
#include <jansson.h>

static const char recipe[] =
	"chacc: 1\n"
	"name: ward\n"
	TEST_CONNECTIONS
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: beds\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/beds.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, lookback: 1s }\n"
	"  - name: wards\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/wards.sql\n"
	"    key: [ward]\n"
	"  - name: bed_runs\n"
	"    kind: table\n"
	"    needs: [beds]\n"
	"    query: sql/bed_runs.sql\n"
	"    key: [id]\n"
	"    incremental: true\n"
	"  - name: " "a_target_name_long_enough_that_its_shadow_table_name_must_be_cut" "\n"
	"    kind: table\n"
	"    needs: [wards]\n"
	"    query: sql/long.sql\n"
	"    key: [ward]\n";

#define LONG_NAME "a_target_name_long_enough_that_its_shadow_table_name_must_be_cut"

static void
proj_ward(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE beds (id INT PRIMARY KEY, ward VARCHAR(20) NOT NULL,"
	    " updated_at DATETIME NOT NULL)");
	sql(p->src, "INSERT INTO beds VALUES (1, 'north', NOW() - INTERVAL 1 DAY),"
	    " (2, 'north', NOW() - INTERVAL 1 DAY), (3, 'south', NOW() - INTERVAL 1 DAY)");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/beds.sql", "SELECT id, ward, updated_at FROM beds\n");
	write_file(p, "sql/wards.sql", "SELECT DISTINCT ward FROM beds\n");
	/* the runtime placeholders, as a build fills them in */
	write_file(p, "sql/bed_runs.sql",
	           "SELECT id, ward, ${run_id} AS run_id, '${conn.source.database}' AS src\n"
	           "FROM beds WHERE ${since} IS NULL OR _chacc_changed_at > ${since}\n");
	write_file(p, "sql/long.sql", "SELECT ward, CHAR_LENGTH(ward) AS len FROM wards\n");
}

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

/* the targets the newest run built, by name */
static char *
built_last(struct proj *p)
{
	return val(p->tgt, "SELECT GROUP_CONCAT(target ORDER BY BINARY target) FROM etl_run_targets"
	           " WHERE outcome = 'built' AND run_id = (SELECT MAX(run_id) FROM etl_runs)");
}

#define assert_built(p, want) do { \
	char *got_ = built_last(p); \
	ck_assert_msg(strcmp(got_, (want)) == 0, "built %s, want %s", got_, (want)); \
	free(got_); \
} while (0)

#define assert_usage(r, want) do { \
	ck_assert_msg((r)->status == 2 && strstr((r)->err, (want)), "exit %d, want 2 and \"%s\":" \
	              " %s", (r)->status, (want), (r)->err); \
} while (0)

/* build, plan, status, graph and clean take selectors as dbt does */
START_TEST(test_selectors)
{
	struct proj p;
	struct result r;
	char *tagged, *before, *after;

	proj_ward(&p, "select");
	tagged = str_replace(recipe, "    incremental: { column: updated_at, lookback: 1s }\n",
	                     "    incremental: { column: updated_at, lookback: 1s }\n"
	                     "    tags: [raw, nightly]\n");
	write_file(&p, "chacc.yml", tagged);
	free(tagged);

	/* a target and, by make's rule, what it needs: not the rest */
	r = chacc(&p, "build", "bed_runs");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, "bed_runs,beds");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables"
	           " WHERE table_schema = DATABASE() AND table_name = 'wards'");
	/* a glob: the long target, and wards because it needs it */
	r = chacc(&p, "plan", "--json", "a_*");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"wards\"") &&
	              !strstr(r.out, "\"beds\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--exclude", "tag:raw");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME ",wards");

	/* -B and --full-refresh force the selected targets only */
	r = chacc(&p, "plan", "--json", "-B", LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"forced\"") &&
	              !strstr(r.out, "\"wards\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan", "--json", "--full-refresh", "+" LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"wards\"") &&
	              !strstr(r.out, "\"beds\""), "%s", r.out);
	result_free(&r);
	before = val(p.tgt, "SELECT built_at FROM etl_metadata WHERE target = 'wards'");
	sleep(1);
	r = chacc(&p, "build", "--full-refresh", LONG_NAME);
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME);
	after = val(p.tgt, "SELECT built_at FROM etl_metadata WHERE target = 'wards'");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	r = chacc(&p, "build", "-B", "wards+");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME ",wards");

	/* status shows the selection, not what it needs */
	r = chacc(&p, "status", "--json", "tag:nightly+");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\"") && strstr(r.out, "\"bed_runs\"") &&
	              !strstr(r.out, "\"wards\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "status", LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, LONG_NAME) && !strstr(r.out, "wards "), "%s", r.out);
	result_free(&r);

	/* graph draws the selection and the edges inside it */
	r = chacc(&p, "graph", "+bed_runs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\" -> \"bed_runs\";") && !strstr(r.out, "wards"),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "graph", "beds+", "wards", "--exclude", "bed_runs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\" [") && strstr(r.out, "\"wards\" [") &&
	              !strstr(r.out, "bed_runs") && !strstr(r.out, "->"), "%s", r.out);
	result_free(&r);

	/* clean: the selection only */
	r = chacc(&p, "clean", "-n", "wards+");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "would drop wards") && strstr(r.out, "would drop " LONG_NAME) &&
	              !strstr(r.out, "beds"), "%s", r.out);
	result_free(&r);

	/* a selector that selects nothing is a usage error, with the nearest name */
	r = chacc(&p, "build", "bed_run");
	assert_usage(&r, "unknown target 'bed_run' in recipe 'chacc.yml': did you mean 'bed_runs'?");
	result_free(&r);
	r = chacc(&p, "plan", "x_*");
	assert_usage(&r, "selector 'x_*' matches no target");
	result_free(&r);
	r = chacc(&p, "status", "tag:nigthly");
	assert_usage(&r, "did you mean 'tag:nightly'?");
	result_free(&r);
	r = chacc(&p, "graph", "wards", "--exclude", "wards");
	assert_usage(&r, "nothing selected");
	result_free(&r);
	r = chacc(&p, "clean", "-n", "bedz");
	assert_usage(&r, "did you mean 'beds'?");
	result_free(&r);
	r = chacc(&p, "build", "--adopt", "ward");
	assert_usage(&r, "cannot adopt 'ward': no such target in recipe 'chacc.yml': did you mean");
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* options belong to their command; mistyped commands and options get a guess */
START_TEST(test_options_belong_to_their_command)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "options");
	r = chacc(&p, "status", "--svg");
	assert_usage(&r, "'status' takes no option '--svg' (see 'chacc status --help')");
	result_free(&r);
	r = chacc(&p, "history", "-n", "1");
	assert_usage(&r, "'history' takes no option '-n' (see 'chacc history --help')");
	result_free(&r);
	r = chacc(&p, "graph", "-B");
	assert_usage(&r, "'graph' takes no option '-B'");
	result_free(&r);
	r = chacc(&p, "validate", "--jobs", "2");
	assert_usage(&r, "'validate' takes no option '--jobs'");
	result_free(&r);
	r = chacc(&p, "build", "--forse");
	assert_usage(&r, "unknown option '--forse': did you mean '--force'? (see 'chacc build --help')");
	result_free(&r);
	r = chacc(&p, "build", "--exlude", "beds");
	assert_usage(&r, "did you mean '--exclude'?");
	result_free(&r);
	r = chacc(&p, "status", "--zzzzzz");
	assert_usage(&r, "unknown option '--zzzzzz' (see 'chacc status --help')");
	result_free(&r);
	r = chacc(&p, "biuld");
	assert_usage(&r, "unknown command 'biuld': did you mean 'build'?");
	result_free(&r);
	r = chacc(&p, "--json", "status");
	assert_usage(&r, "option '--json' goes after the command");
	result_free(&r);
	r = chacc(&p, "history", "--limit", "none");
	assert_usage(&r, "invalid count 'none' for --limit");
	result_free(&r);

	/* history's count is -l N or --limit N */
	for (int i = 0; i < 3; i++) {
		r = chacc(&p, "build", "-B", "wards");
		assert_ok(&r);
		result_free(&r);
	}
	r = chacc(&p, "history", "--json", "--limit", "2");
	assert_ok(&r);
	{
		size_t n = 0;

		for (const char *s = r.out; (s = strstr(s, "\"run_id\"")); s++)
			n++;
		ck_assert_msg(n == 2, "%zu runs: %s", n, r.out);
	}
	result_free(&r);
	r = chacc(&p, "history", "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "-l, --limit N") && !strstr(r.out, "-n"),
	              "%s", r.out);
	result_free(&r);

	/* every exit code in the help; test hooks in none */
	r = chacc(&p, "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "130") && strstr(r.out, "75") &&
	              strstr(r.out, "tag:TAG") && !strstr(r.out, "CHACC_FAULT"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "--exclude") && !strstr(r.out, "CHACC_FAULT") &&
	              !strstr(r.out, "CHACC_PAUSE"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* the line of out that starts with prefix and a space (heads: "TARGET"), or NULL */
static const char *
line_of(const char *out, const char *prefix)
{
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *at = l + strspn(l, " ");

		if (strncmp(at, prefix, strlen(prefix)) == 0 && at[strlen(prefix)] == ' ')
			return l;
	}
	return NULL;
}

/* the column of head word col (0-based) in the heads line */
static size_t
head_at(const char *heads, const char *word)
{
	const char *at = strstr(heads, word);

	ck_assert_msg(at, "no head %s in %s", word, heads);
	return (size_t)(at - heads);
}

/* in line, a cell starts (left) or ends (right, at end) at that column */
static void
assert_cell_at(const char *line, size_t at, bool right, const char *want)
{
	size_t n = strcspn(line, "\n");
	const char *cell = right ? line + at - strlen(want) : line + at;

	ck_assert_msg(at <= n && cell >= line && strncmp(cell, want, strlen(want)) == 0 &&
	              (cell == line || cell[-1] == ' '), "'%s' not at column %zu: %.*s", want, at,
	              (int)n, line);
}

/* no "HH:MM:SS.f" in text: timestamps are cut to the second */
static bool
has_fraction(const char *s)
{
	for (; *s; s++)
		if (s[0] == ':' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		    s[3] == '.' && isdigit((unsigned char)s[4]))
			return true;
	return false;
}

/* a shell command in the project's directory; its exit status */
static int
system_in(struct proj *p, const char *cmd)
{
	char *line = xasprintf("cd '%s' && { %s; } >/dev/null 2>&1", p->dir, cmd);
	int rc = system(line);

	free(line);
	return rc;
}

/* run chacc on a terminal (a pty) with env (or NULL): what it printed there */
static char *
chacc_tty(struct proj *p, const char *env, char *const args[])
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	struct buf b;
	char tmp[4096];
	ssize_t n;
	pid_t pid;

	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *argv[16] = { (char *)bin };
		int slave, i = 1;

		setsid();
		if ((slave = open(ptsname(master), O_RDWR)) < 0 || chdir(p->dir) < 0)
			_exit(127);
		dup2(slave, 1);
		dup2(slave, 2);
		unsetenv("NO_COLOR");
		setenv("TERM", "xterm", 1);
		if (env)
			putenv((char *)env);
		for (int j = 0; args[j] && i < 15; j++)
			argv[i++] = args[j];
		argv[i] = NULL;
		execv(bin, argv);
		_exit(127);
	}
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = read(master, tmp, sizeof(tmp))) > 0)   /* EIO once the child is gone */
		buf_add(&b, tmp, (size_t)n);
	ck_assert_int_eq(wait_status(pid), 0);
	close(master);
	return buf_detach(&b);
}

/* aligned columns, '-' for the unknown, seconds in text, numbers in JSON, colour on a terminal */
START_TEST(test_output_people_can_read)
{
	struct proj p;
	struct result r;
	const char *l;
	json_t *j, *o;
	char *out, *rev, *run;
	size_t rows_end, state_at;

	proj_ward(&p, "readable");
	/* an empty database: no runs yet, and that is no error */
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "no runs yet\n");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	/* never built: no row count, '-' in its column */
	r = chacc(&p, "status");
	assert_ok(&r);
	rows_end = head_at(r.out, "ROWS") + strlen("ROWS");
	state_at = head_at(r.out, "STATE");
	ck_assert_msg((l = line_of(r.out, LONG_NAME)), "%s", r.out);
	assert_cell_at(l, state_at, false, "missing");
	assert_cell_at(l, rows_end, true, "-");
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, state_at, false, "missing");
	assert_cell_at(l, rows_end, true, "-");
	ck_assert_msg(!strchr(r.out, '\033'), "colour in a pipe: %s", r.out);
	result_free(&r);
	r = chacc(&p, "status", "--json", "beds");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	ck_assert_msg(json_is_null(json_object_get(json_array_get(j, 0), "rows")), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* a git repository whose SQL differs from its commit: the run is dirty */
	ck_assert_int_eq(system_in(&p, "git init -q && git add -A && git -c user.name=T"
	                 " -c user.email=t@example.org commit -qm first"), 0);
	write_file(&p, "sql/wards.sql", "SELECT DISTINCT ward FROM beds WHERE ward <> ''\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	rev = val(p.tgt, "SELECT config_rev FROM etl_runs");
	run = val(p.tgt, "SELECT run_id FROM etl_runs");
	assert_val(p.tgt, "1", "SELECT config_dirty FROM etl_runs");

	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	rows_end = head_at(r.out, "ROWS") + strlen("ROWS");
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, head_at(r.out, "STATE"), false, "ok");
	assert_cell_at(l, rows_end, true, "3");
	ck_assert_msg((l = line_of(r.out, LONG_NAME)), "%s", r.out);
	assert_cell_at(l, rows_end, true, "2");
	result_free(&r);
	/* JSON keeps the full precision, and numbers are numbers */
	r = chacc(&p, "status", "--json", "beds");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	o = json_array_get(j, 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "rows")), "%s", r.out);
	ck_assert_msg(strchr(json_string_value(json_object_get(o, "built_at")), '.'), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* history: aligned, to the second, the revision with +dirty */
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	ck_assert_msg((l = line_of(r.out, run)), "%s", r.out);
	{
		char *want = xasprintf("%.10s+dirty", rev);

		assert_cell_at(l, head_at(r.out, "REVISION"), false, want);
		free(want);
	}
	assert_cell_at(l, head_at(r.out, "RESULT"), false, "success");
	assert_cell_at(l, head_at(r.out, "RUN") + 3, true, run);
	result_free(&r);
	r = chacc(&p, "history", run);
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, head_at(r.out, "OUTCOME"), false, "built");
	assert_cell_at(l, head_at(r.out, "ROWS") + 4, true, "3");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	o = json_array_get(j, 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "run_id")) &&
	              json_is_number(json_object_get(o, "seconds")) &&
	              json_integer_value(json_object_get(o, "config_dirty")) == 1 &&
	              strchr(json_string_value(json_object_get(o, "started_at")), '.'), "%s", r.out);
	json_decref(j);
	result_free(&r);
	r = chacc(&p, "history", "--json", run);
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	ck_assert_msg(json_integer_value(json_object_get(j, "run_id")) == atoll(run), "%s", r.out);
	o = json_array_get(json_object_get(j, "targets"), 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "rows")) &&
	              json_is_integer(json_object_get(o, "attempts")), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* colour on a terminal, none with NO_COLOR */
	out = chacc_tty(&p, NULL, (char *[]){ "status", NULL });
	ck_assert_msg(strstr(out, "\033[32mok\033[0m"), "%s", out);
	free(out);
	out = chacc_tty(&p, "NO_COLOR=1", (char *[]){ "history", NULL });
	ck_assert_msg(strstr(out, "success") && !strchr(out, '\033'), "%s", out);
	free(out);
	free(rev);
	free(run);
	proj_free(&p);
}
END_TEST

/* bash completion: commands, a command's options from its --help, the recipe's targets */
START_TEST(test_bash_completion)
{
	struct proj p;
	char chacc_path[PATH_MAX], script[PATH_MAX], *cmd, *out;
	FILE *f;
	struct buf b;
	char tmp[4096];
	size_t n;

	ck_assert_msg(realpath(bin, chacc_path) && realpath("contrib/completion/chacc.bash", script),
	              "no chacc or completion script");
	proj_ward(&p, "complete");
	*strrchr(chacc_path, '/') = '\0';
	cmd = xasprintf("cd '%s' && PATH='%s':\"$PATH\" bash -c '"
	                "source \"%s\"; compopt() { :; }; "
	                "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
	                "COMPREPLY=(); _chacc; echo \"$*: ${COMPREPLY[*]}\"; }; "
	                "t chacc st; t chacc build be; t chacc build --k; t chacc history -; "
	                "t chacc status --exclude wa; t chacc review \"\"'",
	                p.dir, chacc_path, script);
	ck_assert((f = popen(cmd, "r")) != NULL);
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	ck_assert_int_eq(pclose(f), 0);
	out = buf_detach(&b);
	ck_assert_msg(strstr(out, "chacc st: status\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc build be: beds bed_runs\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc build --k: --keep-going\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc history -: --help --json --limit -l"), "%s", out);
	ck_assert_msg(strstr(out, "chacc status --exclude wa: wards\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc review : propose list show approve reject\n"), "%s", out);
	free(out);
	free(cmd);
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
	add_case(s, "selectors", test_selectors);
	add_case(s, "options_belong_to_their_command", test_options_belong_to_their_command);
	add_case(s, "output_people_can_read", test_output_people_can_read);
	add_case(s, "bash_completion", test_bash_completion);
	return run_suite(s);
}
