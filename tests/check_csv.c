/* check_csv.c: tests for data files (CSV, JSON) and the rows of file targets: parsing, types, errors */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "datafile.h"
#include "diag.h"
#include "plan.h"
#include "recipe.h"
#include "seed.h"
#include "util.h"

static void
csv_ok(const char *text, struct dfile *f)
{
	struct dferr e = { 0 };

	ck_assert_msg(dfile_csv(text, strlen(text), f, &e) == 0, "%d:%d: %s", e.line, e.col, e.msg);
}

/* the text of a CSV that must not parse, and where it fails */
static void
csv_bad(const char *text, int line, int col, const char *msg)
{
	struct dferr e = { 0 };
	struct dfile f;

	ck_assert_int_eq(dfile_csv(text, strlen(text), &f, &e), -1);
	ck_assert_msg(e.line == line && e.col == col, "%s: at %d:%d, want %d:%d", text, e.line,
	              e.col, line, col);
	ck_assert_msg(strstr(e.msg, msg), "'%s' lacks '%s'", e.msg, msg);
}

START_TEST(test_csv_rfc4180)
{
	struct dfile f;

	csv_ok("id,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",x\n3,,\"\"", &f);
	ck_assert_int_eq(f.head.n, 3);
	ck_assert_str_eq(f.head.v[1].text, "name");
	ck_assert_int_eq(f.nrows, 3);
	ck_assert_str_eq(f.rows[0].v[1].text, "a, b");
	ck_assert_str_eq(f.rows[0].v[2].text, "say \"hi\"");
	ck_assert_str_eq(f.rows[1].v[1].text, "two\nlines");
	/* the row after a newline inside quotes starts on the right line */
	ck_assert_int_eq(f.rows[1].line, 3);
	ck_assert_int_eq(f.rows[2].line, 5);
	ck_assert_int_eq(f.rows[1].v[2].line, 4);
	ck_assert_int_eq(f.rows[1].v[2].col, 8);
	/* empty unquoted: NULL; quoted empty: the empty string */
	ck_assert_int_eq(f.rows[2].v[1].kind, DCELL_NULL);
	ck_assert_ptr_null(f.rows[2].v[1].text);
	ck_assert_int_eq(f.rows[2].v[2].kind, DCELL_TEXT);
	ck_assert_str_eq(f.rows[2].v[2].text, "");
	dfile_release(&f);
	/* a byte order mark, blank lines and a last line without newline */
	csv_ok("\xEF\xBB\xBF" "a,b\n\n1,2\n\n", &f);
	ck_assert_str_eq(f.head.v[0].text, "a");
	ck_assert_int_eq(f.nrows, 1);
	ck_assert_int_eq(f.rows[0].line, 3);
	dfile_release(&f);
	/* columns count characters, not bytes */
	csv_ok("a,b\n\xC3\xA9t\xC3\xA9,x\n", &f);
	ck_assert_int_eq(f.rows[0].v[1].col, 5);
	dfile_release(&f);
}
END_TEST

START_TEST(test_csv_errors)
{
	csv_bad("a,b\n1,\"open\n2,3\n", 2, 3, "unclosed quote");
	csv_bad("a,b\n1,\"x\"y\n", 2, 6, "after a closing quote");
	csv_bad("a,b\n1,x\"y\n", 2, 4, "quote inside an unquoted field");
	csv_bad("", 1, 1, "header row");
	{
		struct dferr e = { 0 };
		struct dfile f;

		ck_assert_int_eq(dfile_csv("a,b\n1,\0\n", 7, &f, &e), -1);
		ck_assert_int_eq(e.line, 2);
		ck_assert_int_eq(e.col, 3);
		ck_assert_str_eq(e.msg, "NUL byte: a data file is text");
	}
}
END_TEST

static void
json_bad(const char *text, int line, int col, const char *msg)
{
	struct dferr e = { 0 };
	struct dfile f;

	ck_assert_int_eq(dfile_json(text, strlen(text), &f, &e), -1);
	ck_assert_msg(e.line == line && e.col == col, "%s: at %d:%d, want %d:%d (%s)", text, e.line,
	              e.col, line, col, e.msg);
	ck_assert_msg(strstr(e.msg, msg), "'%s' lacks '%s'", e.msg, msg);
}

START_TEST(test_json_rows)
{
	const char *text = "[\n {\"id\": 1, \"name\": \"a\\u00e9\\n\", \"ok\": true, \"x\": null},\n"
	                   " {\"id\": -2.5e1, \"ok\": false}\n]\n";
	struct dferr e = { 0 };
	struct dfile f;

	ck_assert_int_eq(dfile_json(text, strlen(text), &f, &e), 0);
	ck_assert(f.objects);
	ck_assert_int_eq(f.nrows, 2);
	ck_assert_str_eq(f.rows[0].v[0].key, "id");
	ck_assert_int_eq(f.rows[0].v[0].kind, DCELL_NUMBER);
	ck_assert_str_eq(f.rows[0].v[1].text, "a\xC3\xA9\n");
	ck_assert_int_eq(f.rows[0].v[2].kind, DCELL_BOOL);
	ck_assert_str_eq(f.rows[0].v[2].text, "1");
	ck_assert_int_eq(f.rows[0].v[3].kind, DCELL_NULL);
	ck_assert_str_eq(f.rows[1].v[0].text, "-2.5e1");
	ck_assert_str_eq(f.rows[1].v[1].text, "0");
	ck_assert_int_eq(f.rows[1].v[0].line, 3);
	ck_assert_int_eq(f.rows[1].v[0].col, 9);
	dfile_release(&f);
	ck_assert_int_eq(dfile_json("[[1, \"x\"], []]", 14, &f, &e), 0);
	ck_assert(!f.objects);
	ck_assert_int_eq(f.rows[0].n, 2);
	ck_assert_int_eq(f.rows[1].n, 0);
	dfile_release(&f);
}
END_TEST

START_TEST(test_json_errors)
{
	json_bad("{\"a\": 1}", 1, 1, "is an array");
	json_bad("[{\"a\": 1}, [1]]", 1, 12, "among rows that are objects");
	json_bad("[{\"a\": {\"b\": 1}}]", 1, 8, "nested object");
	json_bad("[{\"a\": 1, \"a\": 2}]", 1, 11, "duplicate key");
	json_bad("[\n[1,\n 01]]", 3, 3, "expected ',' or ']'");
	json_bad("[[\"x]]", 1, 3, "unclosed string");
	json_bad("[[1]] x", 1, 7, "more after the array");
	json_bad("[[1,]]", 1, 5, "expected a value");
}
END_TEST

/* the seed of text (file name) with declared columns; NULL and the messages in *msgs on error */
static struct seed *
seed_of(const char *name, const char *text, const struct colspec *decl, size_t n, char **msgs)
{
	struct diags ds;
	struct seed *s;

	diags_init(&ds);
	s = seed_read(name, xstrdup(text), strlen(text), decl, n, "mariadb", "t", &ds);
	if (msgs)
		*msgs = diags_text(&ds);
	diags_release(&ds);
	return s;
}

static const char *
col_type(const struct seed *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i].name, name))
			return s->cols[i].type;
	ck_abort_msg("no column '%s'", name);
	return NULL;
}

START_TEST(test_seed_infers_types)
{
	struct seed *s = seed_of("x.csv",
	    "i,d,f,day,at,b,code,s,e,big\n"
	    "1,1.5,1e3,2024-02-29,2024-01-05 10:00:00,true,007,ab,,12345678901234567890\n"
	    "-20,-12.25,2.5,2023-12-31,2024-01-05T10:00:00.25,FALSE,010,abcd,,1\n", NULL, 0, NULL);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(col_type(s, "i"), "BIGINT");
	ck_assert_str_eq(col_type(s, "d"), "DECIMAL(4,2)");
	ck_assert_str_eq(col_type(s, "f"), "DOUBLE");
	ck_assert_str_eq(col_type(s, "day"), "DATE");
	ck_assert_str_eq(col_type(s, "at"), "DATETIME(2)");
	ck_assert_str_eq(col_type(s, "b"), "TINYINT");
	ck_assert_str_eq(col_type(s, "code"), "VARCHAR(3)");
	ck_assert_str_eq(col_type(s, "s"), "VARCHAR(4)");
	ck_assert_str_eq(col_type(s, "e"), "VARCHAR(255)");
	ck_assert_str_eq(col_type(s, "big"), "DECIMAL(20,0)");
	/* booleans load as 1 and 0; NULL stays NULL */
	ck_assert_str_eq(s->values[5], "1");
	ck_assert_str_eq(s->values[10 + 5], "0");
	ck_assert_ptr_null(s->values[8]);
	ck_assert_int_eq(s->lines[1], 3);
	ck_assert_str_eq(s->summary, "columns i BIGINT, d DECIMAL(4,2), f DOUBLE, day DATE, "
	                 "at DATETIME(2), b TINYINT, code VARCHAR(3), s VARCHAR(4), e VARCHAR(255), "
	                 "big DECIMAL(20,0); 2 rows");
	seed_free(s);
	/* JSON: strings are text even when they look like numbers; booleans TINYINT */
	s = seed_of("x.json", "[{\"n\": 1, \"z\": \"12\", \"ok\": true, \"t\": \"2024-01-05\"},"
	            " {\"n\": 2, \"ok\": false}]", NULL, 0, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(col_type(s, "n"), "BIGINT");
	ck_assert_str_eq(col_type(s, "z"), "VARCHAR(2)");
	ck_assert_str_eq(col_type(s, "ok"), "TINYINT");
	ck_assert_str_eq(col_type(s, "t"), "DATE");
	/* a key missing from an object is NULL */
	ck_assert_ptr_null(s->values[4 + 1]);
	seed_free(s);
}
END_TEST

START_TEST(test_seed_declared_columns)
{
	struct colspec decl[] = { { (char *)"id", (char *)"SMALLINT UNSIGNED" },
	                          { (char *)"name", NULL } };
	struct colspec arr[] = { { (char *)"a", NULL }, { (char *)"b", (char *)"varchar(2)" } };
	struct seed *s;
	char *msgs;

	s = seed_of("x.csv", "id,name\n7,ann\n", decl, 2, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(col_type(s, "id"), "SMALLINT UNSIGNED");
	ck_assert(!s->cols[0].inferred);
	ck_assert_str_eq(col_type(s, "name"), "VARCHAR(3)");
	seed_free(s);
	/* arrays take their names from 'columns' */
	s = seed_of("x.json", "[[1, \"xy\"], [2, null]]", arr, 2, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(col_type(s, "a"), "BIGINT");
	ck_assert_str_eq(col_type(s, "b"), "varchar(2)");
	seed_free(s);
	ck_assert_ptr_null(seed_of("x.json", "[[1, 2]]", NULL, 0, &msgs));
	ck_assert_msg(strstr(msgs, "x.json:1:1: target 't': rows that are arrays need 'columns'"),
	              "%s", msgs);
	free(msgs);
	ck_assert_ptr_null(seed_of("x.csv", "id,name\n1,a\n", arr, 2, &msgs));
	ck_assert_msg(strstr(msgs, "'columns' names 'a', a column the file does not have"), "%s",
	              msgs);
	free(msgs);
}
END_TEST

START_TEST(test_seed_bad_rows)
{
	struct colspec decl[] = { { (char *)"id", (char *)"INT" }, { (char *)"d", (char *)"DATE" },
	                          { (char *)"s", (char *)"VARCHAR(3)" },
	                          { (char *)"t", (char *)"TINYINT" } };
	char *msgs;

	ck_assert_ptr_null(seed_of("data/x.csv", "id,d,s,t\n1,2024-01-01,abc,1\nabc,2024-02-30,"
	                           "abcd,300\n2,,x\n", decl, 4, &msgs));
	ck_assert_msg(strstr(msgs, "data/x.csv:3:1: target 't': value 'abc' of column 'id' does "
	                     "not fit INT: not a whole number"), "%s", msgs);
	ck_assert_msg(strstr(msgs, "data/x.csv:3:5: target 't': value '2024-02-30' of column 'd'"),
	              "%s", msgs);
	ck_assert_msg(strstr(msgs, "data/x.csv:3:16: target 't': value 'abcd' of column 's' does "
	                     "not fit VARCHAR(3): too long"), "%s", msgs);
	ck_assert_msg(strstr(msgs, "data/x.csv:3:21: target 't': value '300' of column 't' does "
	                     "not fit TINYINT: out of range"), "%s", msgs);
	ck_assert_msg(strstr(msgs, "data/x.csv:4:5: target 't': 3 values in a row of 4 columns"),
	              "%s", msgs);
	free(msgs);
	ck_assert_ptr_null(seed_of("x.csv", "a,A,\n1,2,3\n", NULL, 0, &msgs));
	ck_assert_msg(strstr(msgs, "x.csv:1:3: target 't': column 'A' named twice"), "%s", msgs);
	ck_assert_msg(strstr(msgs, "x.csv:1:5: target 't': empty column name"), "%s", msgs);
	free(msgs);
	ck_assert_ptr_null(seed_of("x.csv", "a,_chacc_changed_at\n", NULL, 0, &msgs));
	ck_assert_msg(strstr(msgs, "is chacc's own"), "%s", msgs);
	free(msgs);
}
END_TEST

START_TEST(test_seed_declared_types_parse)
{
	struct db_type t;

	db_type_parse("mariadb", "int(11) unsigned", &t);
	ck_assert_int_eq(t.kind, DB_T_INT);
	ck_assert_int_eq(t.bits, 32);
	ck_assert(t.is_unsigned);
	db_type_parse("mariadb", "DECIMAL(8, 3)", &t);
	ck_assert_int_eq(t.kind, DB_T_DECIMAL);
	ck_assert_int_eq(t.prec, 8);
	ck_assert_int_eq(t.scale, 3);
	db_type_parse("mariadb", "double precision", &t);
	ck_assert_int_eq(t.kind, DB_T_FLOAT);
	db_type_parse("mariadb", "CHAR", &t);
	ck_assert_int_eq(t.kind, DB_T_STRING);
	ck_assert_int_eq(t.len, 1);
	db_type_parse("mariadb", "ENUM('a','b')", &t);
	ck_assert_int_eq(t.kind, DB_T_OTHER);
	ck_assert_int_eq(db_type_parse("nosuch", "INT", &t), -1);
}
END_TEST


/* the hash of a table target as chacc hashed it before file targets: no rebuild of existing ones */
START_TEST(test_hash_of_other_kinds_unchanged)
{
	struct recipe r = { 0 };
	char *k[] = { (char *)"id" };
	struct target t = { .name = (char *)"t", .kind = KIND_TABLE,
	                    .query_sql = (char *)"SELECT id FROM x", .key = { k, 1 } };
	char h[65];

	target_hash(&r, &t, h);
	ck_assert_str_eq(h, "dea4c17f0379ff0c1374008bc6848d244db475748f6b3840972659430a6b450e");
}
END_TEST

/* a recipe with one file target in a fresh directory; the messages in *err */
static struct recipe *
load_file_target(const char *entry, const char *data, char **err)
{
	char dir[] = "/tmp/check_csv.XXXXXX", *path, *yml;
	struct diags ds;
	struct recipe *r;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/data.csv", dir);
	f = fopen(path, "w");
	fputs(data, f);
	fclose(f);
	free(path);
	yml = xasprintf("%s/chacc.yml", dir);
	f = fopen(yml, "w");
	fprintf(f, "name: x\nconnections: [{name: t, database: d}]\ntarget: t\ntargets:\n"
	        "  - name: seeds\n%s", entry);
	fclose(f);
	diags_init(&ds);
	r = recipe_load(yml, "/nonexistent", NULL, &ds);
	*err = diags_text(&ds);
	diags_release(&ds);
	unlink(yml);
	free(yml);
	path = xasprintf("%s/data.csv", dir);
	unlink(path);
	free(path);
	rmdir(dir);
	return r;
}

START_TEST(test_recipe_file_kind)
{
	struct recipe *r;
	char *err, h1[65], h2[65], h3[65];

	r = load_file_target("    kind: file\n    file: data.csv\n    columns: [id, {name: n, type: INT}]\n",
	                     "id,n\n1,2\n", &err);
	ck_assert_msg(r != NULL, "%s", err);
	free(err);
	ck_assert_int_eq(r->targets[0].kind, KIND_FILE);
	ck_assert_str_eq(kind_name(KIND_FILE), "file");
	ck_assert_str_eq(r->targets[0].data, "data.csv");
	ck_assert_int_eq(r->targets[0].ncolumns, 2);
	ck_assert_ptr_null(r->targets[0].columns[0].type);
	ck_assert_str_eq(r->targets[0].columns[1].type, "INT");
	ck_assert_str_eq(r->targets[0].seed->summary, "columns id BIGINT, n INT; 1 row");
	target_hash(r, &r->targets[0], h1);
	recipe_free(r);
	/* the file's content and the columns are part of the definition */
	r = load_file_target("    kind: file\n    file: data.csv\n    columns: [id, {name: n, type: INT}]\n",
	                     "id,n\n1,3\n", &err);
	ck_assert_ptr_nonnull(r);
	free(err);
	target_hash(r, &r->targets[0], h2);
	ck_assert_str_ne(h1, h2);
	recipe_free(r);
	r = load_file_target("    kind: file\n    file: data.csv\n    columns: [id, {name: n, type: BIGINT}]\n",
	                     "id,n\n1,2\n", &err);
	ck_assert_ptr_nonnull(r);
	free(err);
	target_hash(r, &r->targets[0], h3);
	ck_assert_str_ne(h1, h3);
	recipe_free(r);
	/* what a file target needs and refuses */
	r = load_file_target("    kind: file\n    query: q.sql\n    incremental: true\n", "a\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "a file target needs 'file'"), "%s", err);
	ck_assert_msg(strstr(err, "'query' is not for file targets"), "%s", err);
	ck_assert_msg(strstr(err, "a file target is not incremental"), "%s", err);
	free(err);
	r = load_file_target("    kind: table\n    query: data.csv\n    file: data.csv\n", "a\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "'file' is only for file targets, not table"), "%s", err);
	free(err);
	r = load_file_target("    kind: fil\n", "a\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "invalid kind 'fil': did you mean 'file'?"), "%s", err);
	free(err);
	r = load_file_target("    kind: file\n    file: data.csv\n    columns: [{name: a, typ: INT}]\n",
	                     "a\n1\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "unknown key 'typ' in column: did you mean 'type'?"), "%s", err);
	free(err);
	r = load_file_target("    kind: file\n    file: ../data.csv\n", "a\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "file '../data.csv' leaves the project's directory"), "%s", err);
	free(err);
	r = load_file_target("    kind: file\n    file: data.csv\n", "a\nx\n1,2\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "/data.csv:3:3: target 'seeds': 2 values in a row of 1 columns"),
	              "%s", err);
	free(err);
}
END_TEST

static Suite *
csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");

	tcase_add_test(tc, test_csv_rfc4180);
	tcase_add_test(tc, test_csv_errors);
	tcase_add_test(tc, test_json_rows);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_seed_infers_types);
	tcase_add_test(tc, test_seed_declared_columns);
	tcase_add_test(tc, test_seed_bad_rows);
	tcase_add_test(tc, test_seed_declared_types_parse);
	tcase_add_test(tc, test_hash_of_other_kinds_unchanged);
	tcase_add_test(tc, test_recipe_file_kind);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(csv_suite());
}
