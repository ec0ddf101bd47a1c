/* check_sqlcheck.c: chacc validate --sql: the servers parse every query and create file, nothing runs */
#include "itest.h"

#include <libgen.h>

static char root[PATH_MAX];

static const char recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: patients\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/patients.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at }\n"
	"  - name: counts\n"
	"    kind: script\n"
	"    needs: [patients]\n"
	"    script: sql/counts.sql\n"
	"    call: CALL make_counts('${this}')\n"
	"  - name: flat\n"
	"    kind: table\n"
	"    needs: [patients]\n"
	"    query: sql/flat.sql\n"
	"    create: sql/flat_create.sql\n"
	"    key: [id]\n"
	"  - name: summary\n"
	"    kind: table\n"
	"    needs: [counts, flat]\n"
	"    query: sql/summary.sql\n";

/* reads patients, an extract not built yet: its columns come from its query */
static const char flat_sql[] =
	"-- one row per patient\n"
	"SELECT p.id,\n"
	"       p.name\n"
	"FROM patients AS p\n"
	"WHERE ${since} IS NULL OR p." DB_STAMP " > ${since}\n";

static void
proj_clinic(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), updated_at DATETIME)");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/patients.sql", "SELECT id, name, updated_at\nFROM people\n");
	/* a script is not prepared: this would not parse as one statement */
	write_file(p, "sql/counts.sql", "DELIMITER //\nCREATE PROCEDURE make_counts(IN t TEXT)\n"
	           "BEGIN\n  SELECT 1;\nEND //\nDELIMITER ;\n");
	write_file(p, "sql/flat.sql", flat_sql);
	/* a script's table, which only a build makes: its name is known, its columns are not */
	write_file(p, "sql/summary.sql", "SELECT c.n, f.id FROM counts AS c, flat AS f\n");
	write_file(p, "sql/flat_create.sql", "CREATE TABLE ${this} (id INT PRIMARY KEY,"
	           " name VARCHAR(40), n BIGINT)\n");
}

/* the target database holds no table at all */
static void
assert_no_tables(struct proj *p)
{
	assert_val(p->tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema ="
	           " DATABASE()");
}

START_TEST(test_good_sql_passes_and_nothing_is_built)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "sqlok");
	r = chacc(&p, "validate", "--sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "recipe 'clinic' is valid"), "%s", r.out);
	/* patients' query, flat's create and query, summary's query; not the script */
	ck_assert_msg(strstr(r.out, "4 statements prepared, none run"), "%s", r.out);
	assert_no_tables(&p);
	free(r.out);
	free(r.err);
	proj_free(&p);
}
END_TEST

START_TEST(test_problems_at_file_line)
{
	struct proj p;
	struct result r;
	char *s;

	proj_clinic(&p, "sqlbad");
	/* a typo'd column of an upstream target not built yet: line 3 of the file */
	s = str_replace(flat_sql, "p.name", "p.nme");
	write_file(&p, "sql/flat.sql", s);
	free(s);
	/* a syntax error on the second line of an extract's query, checked on the source */
	write_file(&p, "sql/patients.sql", "SELECT id, name, updated_at\nFROM people WHER id > 0\n");
	r = chacc(&p, "validate", "--sql");
	ck_assert_msg(r.status == 1, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "sql/patients.sql:2: target 'patients': syntax error near 'id > 0"),
	              "%s", r.err);
	/* patients was refused: flat's query reads it as a table of the recipe, unchecked */
	ck_assert_msg(!strstr(r.err, "sql/flat.sql"), "%s", r.err);
	free(r.out);
	free(r.err);

	write_file(&p, "sql/patients.sql", "SELECT id, name, updated_at\nFROM people\n");
	r = chacc(&p, "validate", "--sql");
	ck_assert_msg(r.status == 1, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "sql/flat.sql:3: target 'flat': Unknown column 'p.nme'"), "%s",
	              r.err);
	ck_assert_msg(!strstr(r.err, "patients.sql"), "%s", r.err);
	free(r.out);
	free(r.err);

	/* an unknown table; a create file that does not parse; a key the query lacks */
	write_file(&p, "sql/flat.sql", "SELECT p.id AS pid\nFROM patients AS p\nJOIN wards AS w"
	           " ON w.id = p.id\n");
	write_file(&p, "sql/flat_create.sql", "CREATE TABLE ${this} (id INT PRIMARY KEY,\n"
	           "  name VARCHAR(40)\n");
	r = chacc(&p, "validate", "--sql");
	ck_assert_msg(r.status == 1, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "sql/flat.sql:3: target 'flat': Table '") &&
	              strstr(r.err, ".wards' doesn't exist"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "sql/flat_create.sql:2: target 'flat': syntax error"), "%s",
	              r.err);
	free(r.out);
	free(r.err);
	write_file(&p, "sql/flat.sql", "SELECT p.id AS pid\nFROM patients AS p\n");
	r = chacc(&p, "validate", "--sql");
	ck_assert_msg(strstr(r.err, "sql/flat.sql:1: target 'flat': key column 'id' is not a column"),
	              "%s", r.err);
	free(r.out);
	free(r.err);

	/* plain validate connects to nothing: the same recipe is valid */
	r = chacc(&p, "validate");
	assert_ok(&r);
	free(r.out);
	free(r.err);
	assert_no_tables(&p);
	proj_free(&p);
}
END_TEST

START_TEST(test_unreachable_and_help)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "sqldown");
	r = chacc_env(&p, "TARGET_DB_SOCKET=/nonexistent/mysqld.sock", "validate", "--sql",
	              (char *)NULL);
	ck_assert_msg(r.status == 3, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "cannot check the SQL"), "%s", r.err);
	free(r.out);
	free(r.err);
	r = chacc_env(&p, "TARGET_DB_SOCKET=/nonexistent/mysqld.sock", "validate", (char *)NULL);
	assert_ok(&r);
	free(r.out);
	free(r.err);
	r = chacc_env(&p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", "validate", "--sql",
	              (char *)NULL);
	ck_assert_msg(r.status == 1, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "connection 'source'"), "%s", r.err);
	free(r.out);
	free(r.err);
	r = chacc(&p, "validate", "--help");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "--sql"), "%s", r.out);
	free(r.out);
	free(r.err);
	/* the option is validate's */
	r = chacc(&p, "status", "--sql");
	ck_assert_int_eq(r.status, 2);
	free(r.out);
	free(r.err);
	proj_free(&p);
}
END_TEST

/* the shipped OpenMRS recipe on the generator's schema, never built: its SQL passes as it is */
START_TEST(test_openmrs_recipe_passes)
{
	struct proj p;
	struct result r;
	char *cmd, *recipe_path = xasprintf("%s/recipes/openmrs.yml", root);

	proj_new(&p, "sqlom");
	cmd = xasprintf("(echo 'SET @patients = 5;'; cat '%s/contrib/openmrs-schema.sql')"
	                " | '%s' sql '%s/src' '%s' >/dev/null", root,
	                getenv("CHACC_TEST_MARIADB_LOCAL"), getenv("CHACC_TEST_DIR"), p.srcdb);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
	r = chacc(&p, "-f", recipe_path, "validate", "--sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "statements prepared, none run"), "%s", r.out);
	free(r.out);
	free(r.err);
	assert_no_tables(&p);
	/* built: every statement meets the real tables, etl_deletes too, and still passes */
	r = chacc(&p, "-f", recipe_path, "build");
	assert_ok(&r);
	free(r.out);
	free(r.err);
	r = chacc(&p, "-f", recipe_path, "validate", "--sql");
	assert_ok(&r);
	free(r.out);
	free(r.err);
	free(recipe_path);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sqlcheck");
	char dir[PATH_MAX];

	if (itest_setup("sqlcheck") < 0)
		return EXIT_SUCCESS;
	snprintf(dir, sizeof(dir), "%s", bin);
	snprintf(root, sizeof(root), "%s", dirname(dir));
	add_case(s, "good_sql_passes_and_nothing_is_built", test_good_sql_passes_and_nothing_is_built);
	add_case(s, "problems_at_file_line", test_problems_at_file_line);
	add_case(s, "unreachable_and_help", test_unreachable_and_help);
	add_case(s, "openmrs_recipe_passes", test_openmrs_recipe_passes);
	return run_suite(s);
}
