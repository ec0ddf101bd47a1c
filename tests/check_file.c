/*
 * check_file.c: file targets against MariaDB and PostgreSQL: rows of a CSV or
 * JSON file built, rebuilt, refused
 */
#include "itest.h"

static const char file_recipe[] =
	"chacc: 1\n"
	"name: seeds\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: codes\n"
	"    kind: file\n"
	"    file: data/codes.csv\n"
	"    key: [code]\n"
	"    columns: [{name: n, type: INT}]\n"
	"  - name: code_total\n"
	"    kind: table\n"
	"    needs: [codes]\n"
	"    query: sql/code_total.sql\n";

static const char codes_csv[] =
	"code,label,n,since\r\n"
	"a,\"Alpha, first\",1,2024-01-05\r\n"
	"b,,2,\r\n"
	"c,\"\",3,2023-12-31\r\n";

static void
proj_seeds(struct proj *p, const char *name)
{
	proj_new(p, name);
	write_file(p, "chacc.yml", file_recipe);
	write_file(p, "data/codes.csv", codes_csv);
	write_file(p, "sql/code_total.sql", "SELECT SUM(n) AS total, COUNT(*) AS k FROM codes\n");
}

/* the type of column col of table, as information_schema has it */
static char *
coltype(struct proj *p, const char *table, const char *col)
{
	return val(p->tgt, "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
	           " DATABASE() AND TABLE_NAME = '%s' AND COLUMN_NAME = '%s'", table, col);
}

static void
assert_coltype(struct proj *p, const char *table, const char *col, const char *want)
{
	char *got = coltype(p, table, col);

	ck_assert_msg(strcmp(got, want) == 0, "%s.%s: %s, want %s", table, col, got, want);
	free(got);
}

START_TEST(test_file_builds_and_plan_shows_types)
{
	struct proj p;
	struct result r;

	proj_seeds(&p, "fbuild");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"detail\": \"columns code VARCHAR(1), label VARCHAR(12),"
	                     " n INT, since DATE; 3 rows\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "codes") && strstr(r.out, "file") &&
	              strstr(r.out, "# columns code VARCHAR(1)"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM codes");
	assert_val(p.tgt, "Alpha, first", "SELECT label FROM codes WHERE code = 'a'");
	/* empty unquoted: NULL; quoted empty: the empty string */
	assert_val(p.tgt, "1", "SELECT label IS NULL FROM codes WHERE code = 'b'");
	assert_val(p.tgt, "1", "SELECT label = '' FROM codes WHERE code = 'c'");
	assert_val(p.tgt, "1", "SELECT since IS NULL FROM codes WHERE code = 'b'");
	assert_val(p.tgt, "2024-01-05", "SELECT since FROM codes WHERE code = 'a'");
	assert_coltype(&p, "codes", "n", "int(11)");
	assert_coltype(&p, "codes", "since", "date");
	assert_coltype(&p, "codes", "label", "varchar(12)");
	assert_val(p.tgt, "code", "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
	           " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'codes'"
	           " AND CONSTRAINT_NAME = 'PRIMARY'");
	assert_val(p.tgt, "6", "SELECT total FROM code_total");
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'codes'");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_file_edit_rebuilds_it_and_what_needs_it)
{
	struct proj p;
	struct result r;

	proj_seeds(&p, "fedit");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* the same rows written otherwise: a change of the file, none of the table's rows */
	write_file(&p, "data/codes.csv", "code,label,n,since\na,\"Alpha, first\",1,2024-01-05\n"
	           "b,,2,\nc,\"\",3,2023-12-31\nd,delta,10,2024-03-01\n");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"codes\",\n    \"reason\": \"definition changed\""),
	              "%s", r.out);
	ck_assert_msg(strstr(r.out, "\"target\": \"code_total\",\n    \"reason\": \"needs changed\""),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM codes");
	assert_val(p.tgt, "16", "SELECT total FROM code_total");
	proj_free(&p);
}
END_TEST

START_TEST(test_file_bad_row_keeps_the_live_table)
{
	struct proj p;
	struct result r;
	char *enum_recipe;

	proj_seeds(&p, "fbad");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* refused before the database: the recipe names the file, line and column */
	write_file(&p, "data/codes.csv", "code,label,n,since\na,x,1,2024-01-05\nb,y,abc,\n"
	           "c,z,3\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "data/codes.csv:3:5: target 'codes': value 'abc' of column 'n'"
	                     " does not fit INT: not a whole number"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "data/codes.csv:4:6: target 'codes': 3 values in a row of 4"
	                     " columns"), "%s", r.err);
	result_free(&r);
	r = chacc(&p, "validate");
	ck_assert_msg(r.status == 2 && strstr(r.err, "data/codes.csv:3:5:"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM codes");
	/* refused by the server (a type chacc does not check): the row's line, the live table kept */
	enum_recipe = str_replace(file_recipe, "type: INT", "type: \"ENUM('1','2','3')\"");
	write_file(&p, "chacc.yml", enum_recipe);
	free(enum_recipe);
	write_file(&p, "data/codes.csv", "code,label,n,since\na,x,1,2024-01-05\nb,y,2,\nc,z,7,\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "target 'codes': file 'data/codes.csv' line 4:"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM codes");
	assert_val(p.tgt, "Alpha, first", "SELECT label FROM codes WHERE code = 'a'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA ="
	           " DATABASE() AND TABLE_NAME LIKE '\\_chacc\\_%'");
	assert_val(p.tgt, "6", "SELECT total FROM code_total");
	proj_free(&p);
}
END_TEST

START_TEST(test_file_json)
{
	struct proj p;
	struct result r;

	proj_new(&p, "fjson");
	write_file(&p, "chacc.yml",
	           "chacc: 1\nname: seeds\n" TEST_CONNECTIONS "targets:\n"
	           "  - name: places\n    kind: file\n    file: data/places.json\n    key: [id]\n"
	           "  - name: pairs\n    kind: file\n    file: data/pairs.json\n"
	           "    columns: [a, {name: b, type: \"DECIMAL(6,2)\"}]\n");
	write_file(&p, "data/places.json",
	           "[\n  {\"id\": 1, \"name\": \"K\\u00f6ln\", \"open\": true, \"at\": \"2024-01-05 10:00:00\"},\n"
	           "  {\"id\": 2, \"name\": \"Bonn\", \"open\": false, \"area\": 141.06}\n]\n");
	write_file(&p, "data/pairs.json", "[[\"x\", 1.5], [\"y\", null]]\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "K\xC3\xB6ln", "SELECT name FROM places WHERE id = 1");
	assert_val(p.tgt, "1", "SELECT `open` FROM places WHERE id = 1");
	assert_val(p.tgt, "0", "SELECT `open` FROM places WHERE id = 2");
	assert_val(p.tgt, "1", "SELECT area IS NULL FROM places WHERE id = 1");
	assert_coltype(&p, "places", "id", "bigint(20)");
	assert_coltype(&p, "places", "open", "tinyint(4)");
	assert_coltype(&p, "places", "at", "datetime");
	assert_coltype(&p, "places", "area", "decimal(5,2)");
	assert_val(p.tgt, "1.50", "SELECT b FROM pairs WHERE a = 'x'");
	assert_val(p.tgt, "1", "SELECT b IS NULL FROM pairs WHERE a = 'y'");
	proj_free(&p);
}
END_TEST

START_TEST(test_file_rev_reads_the_commit)
{
	struct proj p;
	struct result r;
	char *cmd;

	proj_seeds(&p, "frev");
	cmd = xasprintf("cd '%s' && git init -q -b main && git add chacc.yml data sql && "
	                "git -c user.name=t -c user.email=t@t commit -qm seeds", p.dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	write_file(&p, "data/codes.csv", "code,label,n,since\nz,zed,100,\n");
	r = chacc(&p, "build", "--rev", "HEAD");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM codes");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "zed", "SELECT label FROM codes");
	assert_val(p.tgt, "1", "SELECT config_dirty FROM etl_metadata WHERE target = 'codes'");
	proj_free(&p);
}
END_TEST

/* file targets on a PostgreSQL target: a CSV with declared types, a JSON with inferred ones */
static const char pg_recipe[] =
	"chacc: 1\n"
	"name: seeds\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: kinds\n"
	"    kind: file\n"
	"    file: data/kinds.csv\n"
	"    key: [id]\n"
	"    columns: [{name: small, type: smallint}, {name: big, type: \"numeric(20,0)\"},\n"
	"              {name: flag, type: boolean}, {name: price, type: \"numeric(6,2)\"},\n"
	"              {name: day, type: date}, {name: at, type: \"timestamp(0)\"},\n"
	"              {name: label, type: \"varchar(12)\"}]\n"
	"  - name: places\n"
	"    kind: file\n"
	"    file: data/places.json\n"
	"    key: [id]\n"
	"  - name: kinds_total\n"
	"    kind: table\n"
	"    needs: [kinds]\n"
	"    query: sql/kinds_total.sql\n";

static const char kinds_csv[] =
	"id,small,big,flag,price,day,at,label,neg\r\n"
	"1,-32768,18446744073709551615,true,12.50,2024-01-05,2024-01-05 10:00:00,\"Alpha, first\","
	"-9223372036854775808\r\n"
	"2,32767,0,0,,2024-02-29,,,5\r\n"
	"3,,42,false,-0.99,,2023-12-31 23:59:59,\"\",\r\n";

static void
proj_pg_seeds(struct proj *p, const char *name)
{
	proj_new_pg(p, name);
	write_file(p, "chacc.yml", pg_recipe);
	write_file(p, "data/kinds.csv", kinds_csv);
	write_file(p, "data/places.json",
	           "[{\"id\": 1, \"name\": \"K\\u00f6ln\", \"open\": true, \"area\": 141.06,"
	           " \"at\": \"2024-01-05 10:00:00\"},\n"
	           " {\"id\": 2, \"name\": \"Bonn\", \"open\": false, \"area\": null}]\n");
	write_file(p, "sql/kinds_total.sql", "SELECT count(*) AS n, sum(price) AS total FROM kinds\n");
}

/* the values of column col of the rows of table on PostgreSQL, by id: "1=a,2=NULL" */
static void
assert_pg_column(struct proj *p, const char *table, const char *col, const char *want)
{
	char *q = xasprintf("SELECT string_agg(id || '=' || coalesce(%s::text, 'NULL'), ','"
	                    " ORDER BY id) FROM %s", col, table);

	assert_val(p->tgt, want, q);
	free(q);
}

/* the type of column col of table on PostgreSQL, as format_type spells it */
static void
assert_pg_type(struct proj *p, const char *table, const char *col, const char *want)
{
	char *q = xasprintf("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
	                    " WHERE attrelid = '%s'::regclass AND attname = '%s'", table, col);

	assert_val(p->tgt, want, q);
	free(q);
}

START_TEST(test_file_postgres)
{
	struct proj p;
	struct result r;

	proj_pg_seeds(&p, "fpg");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_pg_column(&p, "kinds", "small", "1=-32768,2=32767,3=NULL");
	assert_pg_column(&p, "kinds", "big", "1=18446744073709551615,2=0,3=42");
	assert_pg_column(&p, "kinds", "neg", "1=-9223372036854775808,2=5,3=NULL");
	assert_pg_column(&p, "kinds", "flag", "1=true,2=false,3=false");
	assert_pg_column(&p, "kinds", "price", "1=12.50,2=NULL,3=-0.99");
	assert_pg_column(&p, "kinds", "day", "1=2024-01-05,2=2024-02-29,3=NULL");
	assert_pg_column(&p, "kinds", "at", "1=2024-01-05 10:00:00,2=NULL,3=2023-12-31 23:59:59");
	/* empty unquoted: NULL; quoted empty: the empty string */
	assert_pg_column(&p, "kinds", "label", "1=Alpha, first,2=NULL,3=");
	assert_pg_type(&p, "kinds", "big", "numeric(20,0)");
	assert_pg_type(&p, "kinds", "at", "timestamp(0) without time zone");
	assert_pg_type(&p, "kinds", "neg", "bigint");
	assert_pg_type(&p, "kinds", "label", "character varying(12)");
	assert_val(p.tgt, "id", "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON"
	           " a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
	           " WHERE i.indrelid = 'kinds'::regclass AND i.indisprimary");
	/* JSON: types inferred and spelled for PostgreSQL */
	assert_pg_column(&p, "places", "name", "1=K\xC3\xB6ln,2=Bonn");
	assert_pg_column(&p, "places", "open", "1=true,2=false");
	assert_pg_column(&p, "places", "area", "1=141.06,2=NULL");
	assert_pg_type(&p, "places", "open", "boolean");
	assert_pg_type(&p, "places", "area", "numeric(5,2)");
	assert_pg_type(&p, "places", "at", "timestamp(0) without time zone");
	assert_pg_type(&p, "places", "name", "character varying(4)");
	assert_val(p.tgt, "3:11.51", "SELECT n || ':' || total FROM kinds_total");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_file_postgres_bad_and_edit)
{
	struct proj p;
	struct result r;
	char *recipe;

	proj_pg_seeds(&p, "fpgbad");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* refused before the database, naming the file, line and column */
	write_file(&p, "data/kinds.csv", "id,small,big,flag,price,day,at,label,neg\n"
	           "1,1,1,true,1,,,,\n2,40000,1,true,1,,,,\n3,1,-1,maybe,1,,,,\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "data/kinds.csv:3:3: target 'kinds': value '40000' of column"
	                     " 'small' does not fit smallint: out of range"), "%s", r.err);
	ck_assert_msg(strstr(r.err, "data/kinds.csv:4:8: target 'kinds': value 'maybe' of column"
	                     " 'flag' does not fit boolean"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT count(*) FROM kinds");
	/* refused by the server (a type chacc does not check): the row's line, the live table kept */
	recipe = str_replace(pg_recipe, "{name: label, type: \"varchar(12)\"}",
	                     "{name: label, type: inet}");
	write_file(&p, "chacc.yml", recipe);
	free(recipe);
	write_file(&p, "data/kinds.csv", "id,small,big,flag,price,day,at,label,neg\n"
	           "1,1,1,true,1,,,10.0.0.1,\n2,1,1,true,1,,,10.0.0.2,\n3,1,1,true,1,,,nowhere,\n");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "target 'kinds': file 'data/kinds.csv' line 4:"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT count(*) FROM kinds");
	assert_pg_column(&p, "kinds", "label", "1=Alpha, first,2=NULL,3=");
	assert_val(p.tgt, "0", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
	           " AND tablename LIKE '\\_chacc\\_%'");
	assert_val(p.tgt, "3:11.51", "SELECT n || ':' || total FROM kinds_total");
	/* the file as it was: built again (it failed last), then up to date */
	write_file(&p, "chacc.yml", pg_recipe);
	write_file(&p, "data/kinds.csv", kinds_csv);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	/* a change of the file rebuilds it and what needs it */
	write_file(&p, "data/kinds.csv", "id,small,big,flag,price,day,at,label,neg\n"
	           "1,-32768,18446744073709551615,true,12.50,2024-01-05,2024-01-05 10:00:00,"
	           "\"Alpha, first\",-9223372036854775808\n2,32767,0,0,,2024-02-29,,,5\n"
	           "3,,42,false,-0.99,,2023-12-31 23:59:59,\"\",\n4,7,7,true,100.01,,,d,\n");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"kinds\",\n    \"reason\": \"definition changed\""),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "4:111.52", "SELECT n || ':' || total FROM kinds_total");
	assert_pg_column(&p, "kinds", "label", "1=Alpha, first,2=NULL,3=,4=d");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("file");

	if (itest_setup("check_file") < 0)
		return 0;
	add_case(s, "build", test_file_builds_and_plan_shows_types);
	add_case(s, "edit", test_file_edit_rebuilds_it_and_what_needs_it);
	add_case(s, "bad_row", test_file_bad_row_keeps_the_live_table);
	add_case(s, "json", test_file_json);
	add_case(s, "rev", test_file_rev_reads_the_commit);
	add_case(s, "postgres", test_file_postgres);
	add_case(s, "postgres_bad_and_edit", test_file_postgres_bad_and_edit);
	return run_suite(s);
}
