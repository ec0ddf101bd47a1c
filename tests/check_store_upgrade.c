/*
 * check_store_upgrade.c: the etl_ tables of older versions of chacc, read as
 * they are and migrated by a build; foreign and newer tables refused
 */
#include "sqlsplit.h"
#include "storetest.h"

/* upgrades */

/* the target databases of the clinic as older versions of chacc left them */
#define UPGRADE_FIXTURE "tests/fixtures/upgrade/v1.sql"
#define UPGRADE_FIXTURE_2 "tests/fixtures/upgrade/v2.sql"
#define UPGRADE_FIXTURE_3 "tests/fixtures/upgrade/v3.sql"

/* run every statement of a dump on d */
static void
load_dump(struct db *d, const char *path)
{
	size_t len;
	char *text = readfile(path, &len), *err = NULL;
	struct sqlscript s = { 0 };

	ck_assert_msg(text != NULL, "cannot read %s", path);
	ck_assert_msg(sqlsplit(text, len, SQL_MARIADB, &s, &err) == 0, "%s: %s", path, err);
	for (size_t i = 0; i < s.nstmts; i++)
		ck_assert_msg(db_exec(d, s.stmts[i].sql) == 0, "%s:%d: %s", path, s.stmts[i].line,
		              db_error(d));
	sqlscript_release(&s);
	free(text);
}

static char *
column_type(struct proj *p, const char *table, const char *column)
{
	return val(p->tgt, "SELECT column_type FROM information_schema.columns WHERE"
	           " table_schema = DATABASE() AND table_name = '%s' AND column_name = '%s'",
	           table, column);
}

/*
 * CHACC_UPGRADE_FIXTURE=PATH with CHACC_OLD_BIN=BIN (a chacc of an older
 * commit) writes the fixture instead of testing: the clinic built by BIN,
 * dumped with mariadb-dump
 */
static void
make_upgrade_fixture(struct proj *p, const char *out)
{
	const char *old = getenv("CHACC_OLD_BIN");
	char *cmd;

	ck_assert_msg(old != NULL, "CHACC_UPGRADE_FIXTURE needs CHACC_OLD_BIN");
	bin = old;
	build_ok(p, NULL);
	cmd = xasprintf("mariadb-dump --socket='%s' --user='%s' --password='%s' --skip-comments"
	                " --skip-dump-date --skip-tz-utc --compact --skip-extended-insert '%s' >'%s'",
	                getenv("CHACC_TEST_TGT_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), p->tgtdb, out);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

START_TEST(test_upgrade_from_version_1)
{
	struct proj p;
	struct result r;
	char *t, *h;

	/* the same names as when the fixture was made: the source's name is hashed */
	proj_clinic(&p, "upgrade");
	if (getenv("CHACC_UPGRADE_FIXTURE")) {
		make_upgrade_fixture(&p, getenv("CHACC_UPGRADE_FIXTURE"));
		proj_free(&p);
		return;
	}
	load_dump(p.tgt, UPGRADE_FIXTURE);
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "char(64)");
	free(t);
	ck_assert(!has_table(&p, "etl_schema"));
	/* reading commands read version 1 as it is and change nothing */
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "people_visits");
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "missing"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "success");
	result_free(&r);
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "clean", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "prune", "-n", "--removed");
	assert_ok(&r);
	result_free(&r);
	ck_assert(!has_table(&p, "etl_schema"));
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "char(64)");
	free(t);
	/* a build migrates the tables and rebuilds nothing */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do: all 5 targets are up to date");
	ck_assert_has(r.err, "from version 1 to 4");
	result_free(&r);
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "varchar(80)");
	free(t);
	assert_val(p.tgt, "2,3,4", "SELECT GROUP_CONCAT(version ORDER BY version) FROM etl_schema");
	ck_assert(has_table(&p, "etl_checks") && has_table(&p, "etl_profiles"));
	ck_assert(has_table(&p, "etl_sites"));
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_metadata WHERE definition_hash LIKE '%:%'");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	/* a target built again takes the new format; the others keep theirs */
	sql(p.src, "INSERT INTO people VALUES (4, 'di', '2020-01-04 10:00:00', 0)");
	build_ok(&p, NULL);
	assert_val(p.tgt, "people,people_visits", "SELECT GROUP_CONCAT(target ORDER BY target)"
	           " FROM etl_metadata WHERE definition_hash LIKE '3:%'");
	h = val(p.tgt, "SELECT definition_hash FROM etl_metadata WHERE target = 'lonely'");
	ck_assert_uint_eq(strlen(h), 64);
	free(h);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM people");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	result_free(&r);
	/* a definition hashed in the old format still changes */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_has(r.out, "\"target\": \"lonely\",\n    \"reason\": \"definition changed\"");
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* the columns of index name of table, in order */
static char *
index_columns(struct proj *p, const char *table, const char *name)
{
	return val(p->tgt, "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)"
	           " FROM information_schema.statistics WHERE table_schema = DATABASE()"
	           " AND table_name = '%s' AND index_name = '%s'", table, name);
}

START_TEST(test_upgrade_from_version_2)
{
	struct proj p;
	struct result r;
	char *t;

	proj_clinic(&p, "upgrade2");
	if (getenv("CHACC_UPGRADE_FIXTURE")) {
		make_upgrade_fixture(&p, getenv("CHACC_UPGRADE_FIXTURE"));
		proj_free(&p);
		return;
	}
	load_dump(p.tgt, UPGRADE_FIXTURE_2);
	assert_val(p.tgt, "2 created", "SELECT GROUP_CONCAT(version, ' ', note) FROM etl_schema");
	/* reading commands read version 2 as it is: no check results, no profiles */
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "people_visits");
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "missing"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "success");
	result_free(&r);
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "would delete 0 check results and 0 profiles older than ");
	result_free(&r);
	ck_assert(!has_table(&p, "etl_checks") && !has_table(&p, "etl_profiles"));
	assert_val(p.tgt, "2", "SELECT MAX(version) FROM etl_schema");
	/* a build creates the two tables and rebuilds nothing */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do: all 5 targets are up to date");
	ck_assert_has(r.err, "from version 2 to 4");
	result_free(&r);
	assert_val(p.tgt, "2 created,3 etl_checks and etl_profiles,4 etl_sites",
	           "SELECT GROUP_CONCAT(version, ' ', note ORDER BY version) FROM etl_schema");
	t = index_columns(&p, "etl_checks", "etl_checks_latest");
	ck_assert_str_eq(t, "recipe,target,check_name,id");
	free(t);
	t = index_columns(&p, "etl_profiles", "etl_profiles_latest");
	ck_assert_str_eq(t, "recipe,target,id");
	free(t);
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 0 check results and 0 profiles older than ");
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_upgrade_from_version_3)
{
	struct proj p;
	struct result r;
	char *t;

	proj_clinic(&p, "upgrade3");
	if (getenv("CHACC_UPGRADE_FIXTURE")) {
		make_upgrade_fixture(&p, getenv("CHACC_UPGRADE_FIXTURE"));
		proj_free(&p);
		return;
	}
	load_dump(p.tgt, UPGRADE_FIXTURE_3);
	assert_val(p.tgt, "3 created", "SELECT GROUP_CONCAT(version, ' ', note) FROM etl_schema");
	/* reading commands read version 3 as it is: no sites */
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "people_visits");
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "missing"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "success");
	result_free(&r);
	r = chacc(&p, "clean", "-n", "staff");
	assert_ok(&r);
	ck_assert_has(r.out, "staff");
	result_free(&r);
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	result_free(&r);
	ck_assert(!has_table(&p, "etl_sites"));
	assert_val(p.tgt, "3", "SELECT MAX(version) FROM etl_schema");
	/* a build creates etl_sites and rebuilds nothing */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do: all 5 targets are up to date");
	ck_assert_has(r.err, "from version 3 to 4");
	result_free(&r);
	assert_val(p.tgt, "3 created,4 etl_sites",
	           "SELECT GROUP_CONCAT(version, ' ', note ORDER BY version) FROM etl_schema");
	t = index_columns(&p, "etl_sites", "PRIMARY");
	ck_assert_str_eq(t, "recipe,target,site");
	free(t);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_sites");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	/* clean forgets a target on the new tables as on the old */
	r = chacc(&p, "clean", "staff");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_metadata WHERE target = 'staff'");
	proj_free(&p);
}
END_TEST

START_TEST(test_reading_creates_no_table)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "readonly");
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "missing");
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "5 of 5 targets to build");
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "no runs yet");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "clean", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to clean");
	result_free(&r);
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables"
	           " WHERE table_schema = DATABASE()");
	/* a build creates the tables at the current version, quietly */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "4 created", "SELECT GROUP_CONCAT(version, ' ', note) FROM etl_schema");
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_metadata WHERE definition_hash LIKE '3:%'");
	proj_free(&p);
}
END_TEST

START_TEST(test_foreign_and_newer_tables_are_refused)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "foreign");
	/* the Luigi pipeline's etl_metadata */
	sql(p.tgt, "CREATE TABLE etl_metadata (table_name VARCHAR(64) PRIMARY KEY,"
	    " last_updated DATETIME)");
	r = chacc(&p, "build");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "table 'etl_metadata' in database");
	ck_assert_has(r.err, "exists with another shape");
	result_free(&r);
	r = chacc(&p, "status");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "table 'etl_metadata' in database");
	result_free(&r);
	assert_val(p.tgt, "table_name,last_updated", "SELECT GROUP_CONCAT(column_name ORDER BY"
	           " ordinal_position) FROM information_schema.columns WHERE table_schema ="
	           " DATABASE() AND table_name = 'etl_metadata'");
	/* tables a newer chacc migrated are not written by this one */
	sql(p.tgt, "DROP TABLE etl_metadata");
	build_ok(&p, NULL);
	sql(p.tgt, "INSERT INTO etl_schema VALUES (99, NOW(6), 'from the future')");
	r = chacc(&p, "build", "-B");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "are at version 99, newer than this chacc knows (4): upgrade chacc");
	result_free(&r);
	r = chacc(&p, "status");
	assert_ok(&r);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_upgrade");
	int fd;

	if (itest_setup("check_store_upgrade") < 0)
		return 0;
	/* no terminal to ask on */
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, STDIN_FILENO) < 0) {
		perror("check_store_upgrade: /dev/null");
		return 1;
	}
	close(fd);
	add_case(s, "upgrade_from_version_1", test_upgrade_from_version_1);
	add_case(s, "upgrade_from_version_2", test_upgrade_from_version_2);
	add_case(s, "upgrade_from_version_3", test_upgrade_from_version_3);
	add_case(s, "reading_creates_no_table", test_reading_creates_no_table);
	add_case(s, "foreign_and_newer_tables_are_refused", test_foreign_and_newer_tables_are_refused);
	return run_suite(s);
}
