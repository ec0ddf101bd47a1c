/* check_sqlnormal.c: tests for the normal form of SQL: what the server reads, nothing else */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "sqlsplit.h"
#include "util.h"

/* the normal form of text in dialect d, which must scan */
static void
normal_is_as(enum sql_dialect d, const char *text, const char *want)
{
	char *err = NULL, *got = sqlnormal(text, strlen(text), d, &err);

	ck_assert_msg(got != NULL, "sqlnormal failed on \"%s\": %s", text, err ? err : "");
	ck_assert_msg(strcmp(got, want) == 0, "sqlnormal(\"%s\"):\n  got  \"%s\"\n  want \"%s\"",
	    text, got, want);
	free(got);
}

static void
normal_is(const char *text, const char *want)
{
	normal_is_as(SQL_MARIADB, text, want);
}

/* whether a and b have the same normal form in dialect d */
static bool
normal_eq(enum sql_dialect d, const char *a, const char *b)
{
	char *na = sqlnormal(a, strlen(a), d, NULL);
	char *nb = sqlnormal(b, strlen(b), d, NULL);
	bool eq;

	ck_assert_msg(na && nb, "\"%s\" or \"%s\" does not scan", a, b);
	eq = strcmp(na, nb) == 0;
	free(na);
	free(nb);
	return eq;
}

/* two spellings with the same normal form */
static void
same_normal(const char *a, const char *b)
{
	ck_assert_msg(normal_eq(SQL_MARIADB, a, b), "\"%s\" and \"%s\" differ", a, b);
}

static void
other_normal(const char *a, const char *b)
{
	ck_assert_msg(!normal_eq(SQL_MARIADB, a, b), "\"%s\" and \"%s\" read the same", a, b);
}

START_TEST(test_normal_comments_and_space)
{
	normal_is("SELECT a,\n       b -- the b column\n  FROM t  # trailing\n",
	    "SELECT a,b FROM t");
	normal_is("/* header\n * block */\nSELECT 1 /* inner */ + 2;\n\n", "SELECT 1 + 2;");
	normal_is("-- only a comment\n", "");
	normal_is("", "");
	/* a dropped comment still separates what it stood between */
	normal_is("SELECT a/* x */FROM t", "SELECT a FROM t");
	/* statements end their line with their delimiter */
	normal_is("SELECT 1 ;  SELECT 2 ;\n", "SELECT 1;\nSELECT 2;");
	same_normal("SELECT a, b\nFROM t\nWHERE x = 1\n",
	    "-- counts per clinic\nSELECT a,   b   FROM t\r\n\tWHERE x = 1 /* today */");
	/* "--" without a blank inside a statement is two minus signs: not dropped */
	normal_is("SELECT 1--1", "SELECT 1--1");
	other_normal("SELECT 1--1", "SELECT 1");
	/* a change of code is a change */
	other_normal("SELECT a FROM t", "SELECT b FROM t");
	other_normal("SELECT a FROM t", "SELECT a FROM t WHERE 0");
	other_normal("SELECT ab", "SELECT a b");
	/* no space next to ',' or inside parentheses; before '(' one stays */
	normal_is("CREATE TABLE t (\n  id INT ,\n  name TEXT\n)", "CREATE TABLE t (id INT,name TEXT)");
	same_normal("SELECT COUNT(*), MAX(x) FROM t", "SELECT COUNT( * ),\n       MAX(x)\nFROM t");
	other_normal("SELECT SUM(x)", "SELECT SUM (x)");
}
END_TEST

START_TEST(test_normal_keeps_what_the_server_reads)
{
	/* quoted text is kept byte for byte, comment markers and blanks in it too */
	normal_is("SELECT 'a  -- b',  \"c\n  # d\",  `e  /* f */`",
	    "SELECT 'a  -- b',\"c\n  # d\",`e  /* f */`");
	other_normal("SELECT 'a b'", "SELECT 'a  b'");
	other_normal("SELECT `a b`", "SELECT `a  b`");
	/* version comments and optimizer hints are executed: kept, and edits to them count */
	normal_is("/*!40101 SET NAMES utf8 */;\nSELECT /*+ MAX_EXECUTION_TIME(1000) */  1",
	    "/*!40101 SET NAMES utf8 */;\nSELECT /*+ MAX_EXECUTION_TIME(1000) */ 1");
	normal_is("SELECT /*M!100100 1 + */ 2", "SELECT /*M!100100 1 + */ 2");
	other_normal("SELECT /*+ NO_INDEX(t) */ a FROM t", "SELECT a FROM t");
	other_normal("/*!40101 SET NAMES utf8 */", "/*!40101 SET NAMES latin1 */");
	other_normal("SELECT /*+ BKA(t) */ 1", "SELECT /*+ NO_BKA(t) */ 1");
}
END_TEST

START_TEST(test_normal_delimiter)
{
	/* a directive stays on its own line: the rest of its line is no statement */
	normal_is("DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1; -- one\n  SELECT 2;\nEND //\n"
	    "DELIMITER ;\nCALL p();\n",
	    "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\n"
	    "CALL p();");
	other_normal("DELIMITER // SELECT 1\n", "DELIMITER //\nSELECT 1\n");
	same_normal("DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n",
	    "DELIMITER $$\n\n-- the procedure\nCREATE PROCEDURE p()\nBEGIN\n    SELECT 1;\nEND\n$$\n");
}
END_TEST

START_TEST(test_normal_errors)
{
	char *err = NULL;

	ck_assert_ptr_null(sqlnormal("SELECT 'open", 12, SQL_MARIADB, &err));
	ck_assert_str_eq(err, "unterminated string starting at line 1");
	free(err);
	err = NULL;
	ck_assert_ptr_null(sqlnormal("SELECT 1 /* open", 16, SQL_MARIADB, &err));
	ck_assert_str_eq(err, "unterminated comment starting at line 1");
	free(err);
	ck_assert_ptr_null(sqlnormal("SELECT 1\0", 9, SQL_MARIADB, NULL));
}
END_TEST

/* PostgreSQL's normal form: what psql sends, in one spelling */
START_TEST(test_normal_postgres)
{
	const char *fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
	                 "BEGIN\n  RETURN 1; -- one\nEND;\n$$;\n";

	/* a dollar-quoted body is kept byte for byte, comments in it too */
	normal_is_as(SQL_POSTGRES, fn, "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
	             "BEGIN\n  RETURN 1; -- one\nEND;\n$$;");
	ck_assert(!normal_eq(SQL_POSTGRES, fn, "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql "
	                     "AS $$ BEGIN RETURN 1; END; $$;"));
	ck_assert(normal_eq(SQL_POSTGRES, fn, "-- the function\nCREATE FUNCTION f()\n  RETURNS int\n"
	                    "  LANGUAGE plpgsql\nAS $$\nBEGIN\n  RETURN 1; -- one\nEND;\n$$ ;"));
	/* "--" is always a comment, nested C comments go whole, '#' is an operator */
	normal_is_as(SQL_POSTGRES, "SELECT 1--1\n", "SELECT 1");
	normal_is_as(SQL_POSTGRES, "SELECT /* a /* b */ c */ 1 # 2", "SELECT 1 # 2");
	ck_assert(!normal_eq(SQL_POSTGRES, "SELECT 5 # 3", "SELECT 5"));
	/* strings, E strings and identifiers are kept as written */
	normal_is_as(SQL_POSTGRES, "SELECT  E'a\\'  b',  '\\',  \"x  y\"",
	             "SELECT E'a\\'  b','\\',\"x  y\"");
	ck_assert(!normal_eq(SQL_POSTGRES, "SELECT E'a'", "SELECT e'a'"));
	/* hints stay; a ';' in parentheses does not end the line */
	normal_is_as(SQL_POSTGRES, "/*+ SeqScan(t) */ SELECT 1 ;", "/*+ SeqScan(t) */ SELECT 1;");
	normal_is_as(SQL_POSTGRES, "CREATE RULE r AS ON INSERT TO t DO ALSO ( NOTIFY a ; NOTIFY b ) ;",
	             "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a ; NOTIFY b);");
	/* the dialects differ where their rules do */
	ck_assert(normal_eq(SQL_POSTGRES, "SELECT 1--1", "SELECT 1"));
	ck_assert(!normal_eq(SQL_MARIADB, "SELECT 1--1", "SELECT 1"));
}
END_TEST

START_TEST(test_normal_postgres_errors)
{
	char *err = NULL;
	const char *text = "SELECT 1;\nDO $x$ BEGIN NULL; END $$;";

	ck_assert_ptr_null(sqlnormal(text, strlen(text), SQL_POSTGRES, &err));
	ck_assert_str_eq(err, "unterminated dollar-quoted string $x$ starting at line 2");
	free(err);
}
END_TEST

static Suite *
sqlnormal_suite(void)
{
	Suite *s = suite_create("sqlnormal");
	TCase *tc = tcase_create("normal");

	tcase_add_test(tc, test_normal_comments_and_space);
	tcase_add_test(tc, test_normal_keeps_what_the_server_reads);
	tcase_add_test(tc, test_normal_delimiter);
	tcase_add_test(tc, test_normal_errors);
	tcase_add_test(tc, test_normal_postgres);
	tcase_add_test(tc, test_normal_postgres_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(sqlnormal_suite());
}
