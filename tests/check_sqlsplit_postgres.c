/* check_sqlsplit_postgres.c: tests for the statement splitter in PostgreSQL's dialect, as psql */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "splittest.h"
#include "sqlsplit.h"
#include "util.h"

#define PG SQL_POSTGRES

START_TEST(test_pg_basic)
{
	expect_as(PG, "SELECT 1; SELECT 2;", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect_as(PG, "  SELECT 1 ;\n\n\tSELECT\n  2\t\n;\n", (const char *[]){"SELECT 1", "SELECT\n  2", NULL});
	expect_as(PG, "SELECT 1;;; SELECT 2", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect_as(PG, "", (const char *[]){NULL});
	expect_as(PG, "-- only\n/* comments */;", (const char *[]){NULL});
	ck_assert_int_eq(sql_dialect_of("postgres"), SQL_POSTGRES);
	ck_assert_int_eq(sql_dialect_of("mariadb"), SQL_MARIADB);
	ck_assert_int_eq(sql_dialect_of(NULL), SQL_MARIADB);
}
END_TEST

/* a PL/pgSQL body is one dollar-quoted string: its ';' and quotes are text */
START_TEST(test_pg_dollar_quotes)
{
	const char *fn =
	    "CREATE OR REPLACE FUNCTION refresh(t text) RETURNS void LANGUAGE plpgsql AS $$\n"
	    "BEGIN\n"
	    "  -- don't stop here;\n"
	    "  EXECUTE format('DELETE FROM %I', t);\n"
	    "END;\n"
	    "$$;\n"
	    "SELECT refresh('x');\n";

	expect_as(PG, fn, (const char *[]){
	    "CREATE OR REPLACE FUNCTION refresh(t text) RETURNS void LANGUAGE plpgsql AS $$\n"
	    "BEGIN\n  -- don't stop here;\n  EXECUTE format('DELETE FROM %I', t);\nEND;\n$$",
	    "SELECT refresh('x')", NULL});
	expect_lines_as(PG, fn, (const int[]){1, 7, 0});
	/* tagged; another tag or $$ inside is text */
	expect_as(PG, "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$; SELECT 2",
	    (const char *[]){"DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$", "SELECT 2", NULL});
	expect_as(PG, "SELECT $b$ x; $a$ y; $a$ z; $$ ; $b$; SELECT 2",
	    (const char *[]){"SELECT $b$ x; $a$ y; $a$ z; $$ ; $b$", "SELECT 2", NULL});
	/* the closing tag must match exactly: $bb$ and $B$ do not close $b$ */
	expect_as(PG, "SELECT $b$ $bb$; $B$; x$b$; SELECT 2",
	    (const char *[]){"SELECT $b$ $bb$; $B$; x$b$", "SELECT 2", NULL});
	/* quotes and comment markers inside are text, and a dollar quote inside a string is none */
	expect_as(PG, "SELECT $$ ' \" /* -- $$, '$$;'; SELECT 2",
	    (const char *[]){"SELECT $$ ' \" /* -- $$, '$$;'", "SELECT 2", NULL});
	/* tags with digits, underscores, non-ASCII letters */
	expect_as(PG, "SELECT $a_1$;$a_1$, $\xc3\xa9$;$\xc3\xa9$; SELECT 2",
	    (const char *[]){"SELECT $a_1$;$a_1$, $\xc3\xa9$;$\xc3\xa9$", "SELECT 2", NULL});
	/* lines inside count */
	expect_lines_as(PG, "SELECT $$\n;\n$$;\nSELECT 2;", (const int[]){1, 4, 0});
}
END_TEST

/* a '$' that opens no quote: parameters, identifiers holding '$' */
START_TEST(test_pg_dollar_not_quotes)
{
	expect_as(PG, "PREPARE p(int, int) AS SELECT $1, $2; EXECUTE p(1, 2);",
	    (const char *[]){"PREPARE p(int, int) AS SELECT $1, $2", "EXECUTE p(1, 2)", NULL});
	expect_as(PG, "SELECT a$b$c FROM t; SELECT x$$ FROM t$1$; SELECT 3",
	    (const char *[]){"SELECT a$b$c FROM t", "SELECT x$$ FROM t$1$", "SELECT 3", NULL});
	/* $1 followed by $$ opens one, as in the server */
	expect_as(PG, "SELECT $1$$;$$; SELECT 2",
	    (const char *[]){"SELECT $1$$;$$", "SELECT 2", NULL});
	/* a placeholder the build replaces is no quote either */
	expect_as(PG, "INSERT INTO ${this} SELECT 1; SELECT '${since}'",
	    (const char *[]){"INSERT INTO ${this} SELECT 1", "SELECT '${since}'", NULL});
	expect_as(PG, "SELECT 1 $ 2; SELECT $", (const char *[]){"SELECT 1 $ 2", "SELECT $", NULL});
}
END_TEST

START_TEST(test_pg_strings)
{
	/* standard-conforming: a backslash is text, quotes double */
	expect_as(PG, "SELECT '\\'; SELECT 2;", (const char *[]){"SELECT '\\'", "SELECT 2", NULL});
	expect_as(PG, "SELECT 'it''s; ok'; SELECT 2",
	    (const char *[]){"SELECT 'it''s; ok'", "SELECT 2", NULL});
	/* E'...' takes backslash escapes, in either case, and doubled quotes */
	expect_as(PG, "SELECT E'\\''; SELECT e'a\\'; b'; SELECT E'x''y;'; SELECT 4",
	    (const char *[]){"SELECT E'\\''", "SELECT e'a\\'; b'", "SELECT E'x''y;'", "SELECT 4", NULL});
	expect_as(PG, "SELECT E'\\\\'; SELECT 2", (const char *[]){"SELECT E'\\\\'", "SELECT 2", NULL});
	/* only a lone E prefixes: a word ending in e does not */
	expect_as(PG, "SELECT 1 AS the'\\'; SELECT 2",
	    (const char *[]){"SELECT 1 AS the'\\'", "SELECT 2", NULL});
	/* U&, B and X strings are standard */
	expect_as(PG, "SELECT U&'\\0041', B'101', X'1F'; SELECT 2",
	    (const char *[]){"SELECT U&'\\0041', B'101', X'1F'", "SELECT 2", NULL});
	/* "identifiers" double their quotes; a backslash is text; no backticks */
	expect_as(PG, "SELECT \"a;\"\"b\", \"c\\\"; SELECT `x;y`",
	    (const char *[]){"SELECT \"a;\"\"b\", \"c\\\"", "SELECT `x", "y`", NULL});
	expect_lines_as(PG, "SELECT 'a\nb', E'c\\\nd', \"e\nf\";\nSELECT 2;", (const int[]){1, 5, 0});
}
END_TEST

START_TEST(test_pg_comments)
{
	/* "--" is a comment wherever it stands; '#' is an operator */
	expect_as(PG, "SELECT 1--1;\nSELECT 2", (const char *[]){"SELECT 1--1;\nSELECT 2", NULL});
	expect_as(PG, "SELECT 5 # 3; SELECT 2 -- two\n;", (const char *[]){"SELECT 5 # 3", "SELECT 2", NULL});
	/* C comments nest */
	expect_as(PG, "/* a /* b; */ c; */ SELECT 1; SELECT /* x /* y */ ; */ 2",
	    (const char *[]){"SELECT 1", "SELECT /* x /* y */ ; */ 2", NULL});
	/* an optimizer hint (pg_hint_plan) is read first in the statement: it stays */
	expect_as(PG, "/*+ SeqScan(t) */ SELECT * FROM t; /* plain */ SELECT 2",
	    (const char *[]){"/*+ SeqScan(t) */ SELECT * FROM t", "SELECT 2", NULL});
	/* MariaDB's version comments are comments here */
	expect_as(PG, "/*!40101 SET NAMES utf8 */; SELECT 1", (const char *[]){"SELECT 1", NULL});
	/* no DELIMITER directive */
	expect_as(PG, "DELIMITER //\nSELECT 1//\n", (const char *[]){"DELIMITER //\nSELECT 1//", NULL});
	expect_lines_as(PG, "/* a\n/* b\n*/\n*/ SELECT 1;", (const int[]){4, 0});
}
END_TEST

/* psql's ';' inside parentheses, and in the BEGIN ... END body of a SQL function */
START_TEST(test_pg_bodies)
{
	expect_as(PG, "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
	    "INSERT INTO b VALUES (2)); SELECT 1",
	    (const char *[]){"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
	    "INSERT INTO b VALUES (2))", "SELECT 1", NULL});
	expect_as(PG, "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n"
	    "  SELECT CASE WHEN true THEN 1 END;\nEND;\nSELECT f();",
	    (const char *[]){"CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n"
	    "  SELECT CASE WHEN true THEN 1 END;\nEND", "SELECT f()", NULL});
	expect_as(PG, "create or replace procedure p() language sql begin atomic insert into t "
	    "values (1); end; call p();",
	    (const char *[]){"create or replace procedure p() language sql begin atomic insert into t "
	    "values (1); end", "call p()", NULL});
	/* a transaction's BEGIN and END are statements of their own */
	expect_as(PG, "BEGIN; SELECT 1; END; CREATE TABLE t (begin int); SELECT 2",
	    (const char *[]){"BEGIN", "SELECT 1", "END", "CREATE TABLE t (begin int)", "SELECT 2", NULL});
	/* a ')' too many does not hold the next ';' */
	expect_as(PG, "SELECT 1); SELECT 2", (const char *[]){"SELECT 1)", "SELECT 2", NULL});
}
END_TEST

START_TEST(test_pg_unterminated)
{
	expect_error_as(PG, "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1;\n",
	    "unterminated dollar-quoted string $body$ starting at line 2");
	expect_error_as(PG, "\n\nDO $$ BEGIN NULL; END $a$;", "unterminated dollar-quoted string $$ starting at line 3");
	expect_error_as(PG, "SELECT $a$ x $A$", "unterminated dollar-quoted string $a$ starting at line 1");
	expect_error_as(PG, "SELECT E'\\';\n", "unterminated string starting at line 1");
	expect_error_as(PG, "SELECT 1;\nSELECT 'it''s;", "unterminated string starting at line 2");
	expect_error_as(PG, "SELECT \"abc;", "unterminated quoted identifier starting at line 1");
	expect_error_as(PG, "/* a /* b */ SELECT 1;", "unterminated comment starting at line 1");
	/* MariaDB's rules read the same text otherwise */
	expect_error_as(SQL_MARIADB, "SELECT '\\'; SELECT 2;", "unterminated string starting at line 1");
	expect_as(SQL_MARIADB, "DO $$ SELECT 1; $$", (const char *[]){"DO $$ SELECT 1", "$$", NULL});
}
END_TEST

/* the PL/pgSQL scripts of recipes/openmrs-postgres.yml: each is one statement, its procedure */
START_TEST(test_pg_openmrs_scripts)
{
	static const char *const names[] = { "patient", "observation", "location" };
	struct sqlscript s;
	char *err = NULL, *path, *text, *want;
	size_t len;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		path = xasprintf("sql/openmrs-postgres/summary/%s_summary.sql", names[i]);
		want = xasprintf("CREATE OR REPLACE PROCEDURE chacc_openmrs_%s_summary(", names[i]);
		text = readfile(path, &len);
		ck_assert_msg(text != NULL, "cannot read %s", path);
		ck_assert_msg(sqlsplit(text, len, PG, &s, &err) == 0, "%s: %s", path, err);
		ck_assert_msg(s.nstmts == 1, "%s: %zu statements", path, s.nstmts);
		ck_assert_msg(strstarts(s.stmts[0].sql, want), "%s: %.60s", path, s.stmts[0].sql);
		ck_assert_msg(strstr(s.stmts[0].sql, "END;\n$$"), "%s: its body is cut", path);
		sqlscript_release(&s);
		/* MariaDB's rules would cut the body at each ';' */
		ck_assert_int_eq(sqlsplit(text, len, SQL_MARIADB, &s, &err), 0);
		ck_assert_uint_gt(s.nstmts, 5);
		sqlscript_release(&s);
		free(text);
		free(want);
		free(path);
	}
}
END_TEST

static Suite *
sqlsplit_postgres_suite(void)
{
	Suite *s = suite_create("sqlsplit_postgres");
	TCase *tc = tcase_create("postgres");

	tcase_add_test(tc, test_pg_basic);
	tcase_add_test(tc, test_pg_dollar_quotes);
	tcase_add_test(tc, test_pg_dollar_not_quotes);
	tcase_add_test(tc, test_pg_strings);
	tcase_add_test(tc, test_pg_comments);
	tcase_add_test(tc, test_pg_bodies);
	tcase_add_test(tc, test_pg_unterminated);
	tcase_add_test(tc, test_pg_openmrs_scripts);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(sqlsplit_postgres_suite());
}
