/* check_sqlsplit.c: tests for the statement splitter */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "splittest.h"
#include "sqlsplit.h"
#include "util.h"

#define FIXTURES "tests/fixtures/sql/"
/* third-party dumps kept beside the repository, read relative to its root */
#define OPENMRS "../shared/data/openmrs/"

static void
split(const char *text, struct sqlscript *s)
{
	split_as(SQL_MARIADB, text, s);
}

/* the helpers of splittest.h in MariaDB's dialect */
static void
expect(const char *text, const char *const *want)
{
	expect_as(SQL_MARIADB, text, want);
}

static void
expect_lines(const char *text, const int *want)
{
	expect_lines_as(SQL_MARIADB, text, want);
}

static void
expect_error(const char *text, const char *msg)
{
	expect_error_as(SQL_MARIADB, text, msg);
}

static size_t
count_prefix(const struct sqlscript *s, const char *prefix)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nstmts; i++)
		if (strstarts(s->stmts[i].sql, prefix))
			n++;
	return n;
}

static const struct sqlstmt *
find_prefix(const struct sqlscript *s, const char *prefix)
{
	for (size_t i = 0; i < s->nstmts; i++)
		if (strstarts(s->stmts[i].sql, prefix))
			return &s->stmts[i];
	return NULL;
}

static char *
load(const char *path, size_t *len)
{
	char *text = readfile(path, len);

	ck_assert_msg(text != NULL, "cannot read %s", path);
	return text;
}

static void
load_split(const char *path, struct sqlscript *s)
{
	size_t len;
	char *err = NULL;
	char *text = load(path, &len);

	ck_assert_msg(sqlsplit(text, len, SQL_MARIADB, s, &err) == 0, "%s: %s", path, err ? err : "");
	free(text);
}

START_TEST(test_basic)
{
	expect("SELECT 1; SELECT 2;", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect("  SELECT 1 ;\n\n\tSELECT\n  2\t\n;\n", (const char *[]){"SELECT 1", "SELECT\n  2", NULL});
	/* the last statement needs no delimiter */
	expect("SELECT 1;\nSELECT 2", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	expect("SELECT 1;\r\nSELECT 2;\r\n", (const char *[]){"SELECT 1", "SELECT 2", NULL});
}
END_TEST

START_TEST(test_empty)
{
	expect("", (const char *[]){NULL});
	expect(" \n\t\r\n", (const char *[]){NULL});
	expect(";", (const char *[]){NULL});
	expect(";;  ;\n;\n", (const char *[]){NULL});
	expect("SELECT 1;;;SELECT 2;  ;", (const char *[]){"SELECT 1", "SELECT 2", NULL});
}
END_TEST

START_TEST(test_length)
{
	struct sqlscript s;
	const char *text = "SELECT 1; SELECT 2";

	/* only len bytes are read, and no NUL is needed */
	ck_assert_int_eq(sqlsplit(text, 9, SQL_MARIADB, &s, NULL), 0);
	ck_assert_uint_eq(s.nstmts, 1);
	ck_assert_str_eq(s.stmts[0].sql, "SELECT 1");
	sqlscript_release(&s);
	ck_assert_ptr_null(s.stmts);
	ck_assert_uint_eq(s.nstmts, 0);
	sqlscript_release(&s);

	ck_assert_int_eq(sqlsplit(text, 14, SQL_MARIADB, &s, NULL), 0);
	ck_assert_uint_eq(s.nstmts, 2);
	ck_assert_str_eq(s.stmts[1].sql, "SELE");
	sqlscript_release(&s);
}
END_TEST

START_TEST(test_comments_dropped)
{
	expect("-- just a comment\n", (const char *[]){NULL});
	expect("-- a\n# b\n/* c */;\n/* d */ ; -- e", (const char *[]){NULL});
	expect("--\n", (const char *[]){NULL});
	expect("-- no newline at the end", (const char *[]){NULL});
	expect("/* multi\nline; comment */", (const char *[]){NULL});
	expect("#;\nSELECT 1;", (const char *[]){"SELECT 1", NULL});
	/* like the client, "--" opening a statement is a comment even without a blank */
	expect("--no blank; still a comment\nSELECT 1;", (const char *[]){"SELECT 1", NULL});
}
END_TEST

START_TEST(test_comments_in_statements)
{
	/* leading and trailing comments go, inner ones stay as written */
	expect("/* lead */ SELECT 1 /* trail */;", (const char *[]){"SELECT 1", NULL});
	expect("SELECT 1 -- trailing; comment\n;", (const char *[]){"SELECT 1", NULL});
	expect("SELECT 1 # trailing; comment\n, 2;",
	    (const char *[]){"SELECT 1 # trailing; comment\n, 2", NULL});
	expect("SELECT /* a; b */ 1;", (const char *[]){"SELECT /* a; b */ 1", NULL});
	expect("SELECT 1 -- ; no split\n+ 1;", (const char *[]){"SELECT 1 -- ; no split\n+ 1", NULL});
	expect("SELECT 1 --\t;\n+ 1;", (const char *[]){"SELECT 1 --\t;\n+ 1", NULL});
	expect("SELECT 1 /*; */; SELECT 2", (const char *[]){"SELECT 1", "SELECT 2", NULL});
	/* "--" without a blank inside a statement is two minus signs */
	expect("SELECT 1--1;SELECT 2", (const char *[]){"SELECT 1--1", "SELECT 2", NULL});
	/* a slash right after the opening star does not close the comment */
	expect("SELECT /*/ ; */ 1;", (const char *[]){"SELECT /*/ ; */ 1", NULL});
	/* comment markers in strings are text */
	expect("SELECT '-- x;', \"# y;\", '/* z;', `*/;`;",
	    (const char *[]){"SELECT '-- x;', \"# y;\", '/* z;', `*/;`", NULL});
	/* quotes in comments are text */
	expect("SELECT 1; -- don't\nSELECT 2; /* \" */ SELECT 3; # `\nSELECT 4;",
	    (const char *[]){"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", NULL});
}
END_TEST

START_TEST(test_quotes)
{
	expect("SELECT 'a;b'; SELECT \"c;d\"; SELECT `e;f`;",
	    (const char *[]){"SELECT 'a;b'", "SELECT \"c;d\"", "SELECT `e;f`", NULL});
	/* doubled quotes */
	expect("SELECT 'it''s;'; SELECT \"a\"\"b;\"; SELECT `x``y;`;",
	    (const char *[]){"SELECT 'it''s;'", "SELECT \"a\"\"b;\"", "SELECT `x``y;`", NULL});
	/* backslash escapes */
	expect("SELECT 'a\\'b;'; SELECT \"a\\\"b;\";",
	    (const char *[]){"SELECT 'a\\'b;'", "SELECT \"a\\\"b;\"", NULL});
	/* an escaped backslash does not escape the quote after it */
	expect("SELECT 'a\\\\'; SELECT 2;", (const char *[]){"SELECT 'a\\\\'", "SELECT 2", NULL});
	expect("SELECT '\\\\\\'';", (const char *[]){"SELECT '\\\\\\''", NULL});
	/* no escapes in identifiers */
	expect("SELECT `a\\`; SELECT 2;", (const char *[]){"SELECT `a\\`", "SELECT 2", NULL});
	/* the other quotes are plain text inside a string */
	expect("SELECT 'say \"hi\"; `x`'; SELECT \"it's; ok\";",
	    (const char *[]){"SELECT 'say \"hi\"; `x`'", "SELECT \"it's; ok\"", NULL});
	/* adjacent strings and empty strings */
	expect("SELECT '', \"\", 'a' 'b';", (const char *[]){"SELECT '', \"\", 'a' 'b'", NULL});
	/* a statement may start with a quote */
	expect("'x;y';", (const char *[]){"'x;y'", NULL});
	/* strings span lines */
	expect("SELECT 'a\n;\nb';", (const char *[]){"SELECT 'a\n;\nb'", NULL});
}
END_TEST

START_TEST(test_version_comments)
{
	expect("/*!40101 SET NAMES utf8 */;\n/*!40103 SET TIME_ZONE='+00:00' */;\n",
	    (const char *[]){"/*!40101 SET NAMES utf8 */", "/*!40103 SET TIME_ZONE='+00:00' */", NULL});
	/* "*" + "/" after the comment, then the delimiter, as mysqldump writes */
	expect("/*!50003 SET sql_mode = @saved_sql_mode */ ;\n",
	    (const char *[]){"/*!50003 SET sql_mode = @saved_sql_mode */", NULL});
	/* a delimiter inside does not split */
	expect("/*!50003 SELECT 1; SELECT 2 */;SELECT 3;",
	    (const char *[]){"/*!50003 SELECT 1; SELECT 2 */", "SELECT 3", NULL});
	/* neither does a comment end inside a string in it */
	expect("/*!40101 SET @x='*/;' */;", (const char *[]){"/*!40101 SET @x='*/;' */", NULL});
	/* comments inside are SQL comments: their quotes and comment ends do not count */
	expect("/*!50003 SELECT 1 -- don't */;\n, 2 */;",
	    (const char *[]){"/*!50003 SELECT 1 -- don't */;\n, 2 */", NULL});
	expect("/*!50003 SELECT 1 /* it's; */ , 2 */;",
	    (const char *[]){"/*!50003 SELECT 1 /* it's; */ , 2 */", NULL});
	/* kept inside statements, and MariaDB's M! form too */
	expect("SELECT /*!STRAIGHT_JOIN*/ a FROM t;\n/*M!100100 SET @x = 1 */;",
	    (const char *[]){"SELECT /*!STRAIGHT_JOIN*/ a FROM t", "/*M!100100 SET @x = 1 */", NULL});
	/* an empty version comment is still a statement the server runs */
	expect("/*!*/;", (const char *[]){"/*!*/", NULL});
	/* mariadb-dump's sandbox line runs on no server: a plain comment */
	expect_lines("/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET NAMES utf8mb4 */;\n",
	    (const int[]){2, 0});
	expect("/*M!999999\\- enable the sandbox mode */ \n/*!40101 SET NAMES utf8mb4 */;\n",
	    (const char *[]){"/*!40101 SET NAMES utf8mb4 */", NULL});
}
END_TEST

START_TEST(test_delimiter)
{
	expect("DELIMITER $$\nSELECT 1; SELECT 2$$\nDELIMITER ;\nSELECT 3;",
	    (const char *[]){"SELECT 1; SELECT 2", "SELECT 3", NULL});
	expect("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //\nDELIMITER ;\n",
	    (const char *[]){"CREATE PROCEDURE p() BEGIN SELECT 1; END", NULL});
	expect("DELIMITER ;;\nSELECT 1;\nSELECT 2;;\nDELIMITER ;\n",
	    (const char *[]){"SELECT 1;\nSELECT 2", NULL});
	/* case-insensitive, indented, rest of the line ignored */
	expect("delimiter $$\nSELECT 1$$\n  \tDeLiMiTeR ; whatever follows\nSELECT 2;",
	    (const char *[]){"SELECT 1", "SELECT 2", NULL});
	/* a quoted argument, and a longer delimiter */
	expect("DELIMITER '$$'\nSELECT 1$$DELIMITER \"END_OF\"\nSELECT 2 END_OF",
	    (const char *[]){"SELECT 1", "DELIMITER \"END_OF\"\nSELECT 2 END_OF", NULL});
	expect("DELIMITER END_OF\nSELECT 'END_OF' END_OF SELECT 2 END_OF",
	    (const char *[]){"SELECT 'END_OF'", "SELECT 2", NULL});
	/* the old delimiter no longer splits, nor does a partial new one */
	expect("DELIMITER $$\nSELECT '$', 1 $ 2; 3$$",
	    (const char *[]){"SELECT '$', 1 $ 2; 3", NULL});
	/* the new delimiter does not split inside strings and comments */
	expect("DELIMITER $$\nSELECT '$$', `$$` /* $$ */ -- $$\n, 1$$",
	    (const char *[]){"SELECT '$$', `$$` /* $$ */ -- $$\n, 1", NULL});
	/* after comments, and with CRLF line ends */
	expect("-- set it\r\n/* here */\r\nDELIMITER $$\r\nSELECT 1$$\r\nDELIMITER ;\r\nSELECT 2;\r\n",
	    (const char *[]){"SELECT 1", "SELECT 2", NULL});
	/* the directive may end the text */
	expect("SELECT 1;\nDELIMITER $$", (const char *[]){"SELECT 1", NULL});
	/* only at the start of a line */
	expect("SELECT 1; DELIMITER $$\n;", (const char *[]){"SELECT 1", "DELIMITER $$", NULL});
	/* and only between statements, like the client */
	expect("SELECT\ndelimiter FROM t;", (const char *[]){"SELECT\ndelimiter FROM t", NULL});
	/* a longer word is not the directive */
	expect("DELIMITERS;", (const char *[]){"DELIMITERS", NULL});
	/* the DELIMITER line is no statement */
	expect("DELIMITER $$\nDELIMITER ;\n", (const char *[]){NULL});
}
END_TEST

START_TEST(test_delimiter_errors)
{
	expect_error("SELECT 1;\nDELIMITER\nSELECT 2;",
	    "DELIMITER must be followed by a delimiter at line 2");
	expect_error("DELIMITER   \n", "DELIMITER must be followed by a delimiter at line 1");
	expect_error("DELIMITER ''\n", "DELIMITER must be followed by a delimiter at line 1");
	expect_error("\n\nDELIMITER \\\\\n", "DELIMITER cannot contain a backslash at line 3");
}
END_TEST

START_TEST(test_procedures_inline)
{
	const char *text =
	    "DROP PROCEDURE IF EXISTS p;\n"
	    "DELIMITER $$\n"
	    "CREATE PROCEDURE p(IN x INT)\n"
	    "BEGIN\n"
	    "\tDECLARE y INT DEFAULT 0;\n"
	    "\tIF x > 0 THEN\n"
	    "\t\tSET y = x; -- positive\n"
	    "\tEND IF;\n"
	    "\tSELECT y;\n"
	    "END$$\n"
	    "DELIMITER ;\n"
	    "CALL p(1);\n";

	expect(text, (const char *[]){
	    "DROP PROCEDURE IF EXISTS p",
	    "CREATE PROCEDURE p(IN x INT)\nBEGIN\n\tDECLARE y INT DEFAULT 0;\n"
	    "\tIF x > 0 THEN\n\t\tSET y = x; -- positive\n\tEND IF;\n\tSELECT y;\nEND",
	    "CALL p(1)", NULL});
	expect_lines(text, (const int[]){1, 3, 12, 0});
}
END_TEST

START_TEST(test_lines)
{
	expect_lines("SELECT 1;\nSELECT 2;\n\n\nSELECT 3;", (const int[]){1, 2, 5, 0});
	/* the first significant character, not the blanks or comments before it */
	expect_lines("\n\n   SELECT 1;", (const int[]){3, 0});
	expect_lines("-- c\n# c\n/* c\n c */\n\n  SELECT 1;", (const int[]){6, 0});
	expect_lines("/* c */ SELECT 1; /* c\n */ SELECT 2;", (const int[]){1, 2, 0});
	expect_lines("SELECT 1;SELECT 2;\nSELECT 3", (const int[]){1, 1, 2, 0});
	/* newlines in strings, comments and version comments count */
	expect_lines("SELECT 'a\nb\nc', \"d\ne\", `f\ng`;\nSELECT /* \n */ 2;\n/*!40101 SET\n@x=1 */;\nSELECT 4;",
	    (const int[]){1, 6, 8, 10, 0});
	/* an escaped newline in a string too */
	expect_lines("SELECT 'a\\\nb';\nSELECT 2;", (const int[]){1, 3, 0});
	/* DELIMITER lines count as lines */
	expect_lines("DELIMITER $$\nSELECT 1$$\nDELIMITER ;\n\nSELECT 2;", (const int[]){2, 5, 0});
	/* statements starting with a quote or a version comment */
	expect_lines("\n'x';\n\n/*!40101 SET x=1 */;", (const int[]){2, 4, 0});
	/* CR alone is not a line end */
	expect_lines("SELECT 1;\r\n\r\nSELECT 2;", (const int[]){1, 3, 0});
}
END_TEST

/* a NUL byte would end a statement early: it is an error at its line */
START_TEST(test_nul_byte)
{
	static const char text[] = "SELECT 1;\nSELECT 'a\0b';\nDROP TABLE t;\n";
	struct sqlscript s;
	char *err = NULL;

	ck_assert_int_eq(sqlsplit(text, sizeof(text) - 1, SQL_MARIADB, &s, &err), -1);
	ck_assert_str_eq(err, "NUL byte at line 2: the script is not text");
	ck_assert_ptr_null(s.stmts);
	ck_assert_uint_eq(s.nstmts, 0);
	free(err);
}
END_TEST

START_TEST(test_unterminated)
{
	expect_error("SELECT 1;\nSELECT 'abc;\n\n", "unterminated string starting at line 2");
	expect_error("\n\n\nSELECT \"abc\\\";", "unterminated string starting at line 4");
	expect_error("SELECT 'it''s", "unterminated string starting at line 1");
	expect_error("SELECT 'abc\\", "unterminated string starting at line 1");
	expect_error("SELECT 1;\n\nSELECT `abc;", "unterminated quoted identifier starting at line 3");
	expect_error("SELECT 1;\n/* open\n;\n", "unterminated comment starting at line 2");
	expect_error("SELECT 1 /*/;", "unterminated comment starting at line 1");
	expect_error("\n/*!40101 SET NAMES utf8 ;\n", "unterminated comment starting at line 2");
	expect_error("/*!40101 SET x = 1 /* inner */;\n", "unterminated comment starting at line 1");
	expect_error("/*!40101 SET x = '*/;\n", "unterminated string starting at line 1");
	expect_error("DELIMITER $$\nSELECT '$$\n", "unterminated string starting at line 2");
	/* but not in a comment or a string */
	expect("-- 'open\nSELECT '/* open';", (const char *[]){"SELECT '/* open'", NULL});
}
END_TEST

START_TEST(test_large)
{
	/* a linear splitter handles these in well under the test timeout */
	size_t n = 500000, i;
	struct buf b;
	struct sqlscript s;
	char *err = NULL;

	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_adds(&b, "INSERT INTO t VALUES (1,'a;b');\n");
	ck_assert_int_eq(sqlsplit(b.s, b.len, SQL_MARIADB, &s, &err), 0);
	ck_assert_uint_eq(s.nstmts, n);
	ck_assert_str_eq(s.stmts[n - 1].sql, "INSERT INTO t VALUES (1,'a;b')");
	ck_assert_int_eq(s.stmts[n - 1].line, (int)n);
	sqlscript_release(&s);
	buf_release(&b);

	/* one huge statement, as mysqldump's extended INSERTs are */
	buf_adds(&b, "INSERT INTO t VALUES ");
	for (i = 0; i < n; i++)
		buf_adds(&b, "(1,'O\\'Brien; \"x\"',NULL),");
	buf_adds(&b, "(0,'',NULL);");
	ck_assert_int_eq(sqlsplit(b.s, b.len, SQL_MARIADB, &s, &err), 0);
	ck_assert_uint_eq(s.nstmts, 1);
	ck_assert_uint_eq(strlen(s.stmts[0].sql), b.len - 1);
	sqlscript_release(&s);
	buf_release(&b);
}
END_TEST

START_TEST(test_release)
{
	struct sqlscript s = {NULL, 0};

	sqlscript_release(&s);
	sqlscript_release(NULL);
	split("SELECT 1;", &s);
	sqlscript_release(&s);
	sqlscript_release(&s);
	ck_assert_ptr_null(s.stmts);
}
END_TEST

START_TEST(test_fixture_procedures)
{
	struct sqlscript s;
	const struct sqlstmt *st;

	/* the mariadb client runs this file as 11 statements */
	load_split(FIXTURES "procedures.sql", &s);
	ck_assert_uint_eq(s.nstmts, 11);
	ck_assert_int_eq(s.stmts[0].line, 4);
	ck_assert(strstarts(s.stmts[0].sql, "CREATE TABLE IF NOT EXISTS visit (\n"));
	ck_assert(strstr(s.stmts[0].sql, ") COMMENT 'visits; one per stay'") != NULL);
	ck_assert_int_eq(s.stmts[1].line, 10);
	ck_assert_uint_eq(count_prefix(&s, "CREATE TABLE"), 4);
	ck_assert_str_eq(s.stmts[4].sql, "DROP PROCEDURE IF EXISTS refresh_patient_summary");
	ck_assert_int_eq(s.stmts[4].line, 14);
	ck_assert_str_eq(s.stmts[6].sql, "DROP TRIGGER IF EXISTS obs_bi");

	st = &s.stmts[7];
	ck_assert_int_eq(st->line, 21);
	ck_assert(strstarts(st->sql, "CREATE PROCEDURE refresh_patient_summary(IN since DATE)\nBEGIN\n"));
	ck_assert_ptr_nonnull(strstr(st->sql, "\tDECLARE n INT DEFAULT 0; -- counter; unused\n"));
	ck_assert_ptr_nonnull(strstr(st->sql, "\t# hash comment with a quote: don't split here;\n"));
	ck_assert_ptr_nonnull(strstr(st->sql, "CONCAT('visit; ', \"it\\\"s\", ' it''s')"));
	ck_assert(strstr(st->sql, "AS `result;col`;\nEND") + strlen("AS `result;col`;\nEND") ==
	    st->sql + strlen(st->sql));

	st = &s.stmts[8];
	ck_assert_int_eq(st->line, 34);
	ck_assert_str_eq(st->sql,
	    "CREATE PROCEDURE note_visit(IN pid INT, IN note VARCHAR(255))\n"
	    "\tCOMMENT 'writes one note; see ''notes'' table'\n"
	    "BEGIN\n"
	    "\tINSERT INTO notes (patient_id, body) VALUES (pid, note);\n"
	    "END");

	ck_assert_str_eq(s.stmts[9].sql, "CALL note_visit(1, 'first; note')");
	ck_assert_int_eq(s.stmts[9].line, 42);

	st = &s.stmts[10];
	ck_assert_int_eq(st->line, 45);
	ck_assert_str_eq(st->sql,
	    "CREATE TRIGGER obs_bi BEFORE INSERT ON obs FOR EACH ROW\n"
	    "BEGIN\n"
	    "\tIF NEW.value_text = '' THEN\n"
	    "\t\tSET NEW.value_text = 'empty;;not really';\n"
	    "\tEND IF;\n"
	    "END");
	ck_assert_uint_eq(count_prefix(&s, "DELIMITER"), 0);
	ck_assert_uint_eq(count_prefix(&s, "delimiter"), 0);
	sqlscript_release(&s);
}
END_TEST

START_TEST(test_mariadb_dump_format)
{
	/* mariadb-dump 10.11 puts the sandbox line first and ends bodies on a line of their own */
	const char *text =
	    "/*M!999999\\- enable the sandbox mode */ \n"
	    "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n"
	    "--\n"
	    "\n"
	    "/*!40101 SET NAMES utf8mb4 */;\n"
	    "DELIMITER ;;\n"
	    "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` "
	    "BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n"
	    "  SET NEW.a = 'x;y';\n"
	    "END \n"
	    "*/;;\n"
	    "DELIMITER ;\n"
	    "/*!50001 CREATE ALGORITHM=UNDEFINED */\n"
	    "/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
	    "/*!50001 VIEW `v` AS select `t`.`a` AS `a`,';' AS `s` from `t` */;\n"
	    "DELIMITER ;;\n"
	    "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\n"
	    "BEGIN\n"
	    "  SELECT 1;\n"
	    "END\n"
	    ";;\n"
	    "DELIMITER ;\n"
	    "-- Dump completed on 2026-01-01  0:00:00\n";

	expect(text, (const char *[]){
	    "/*!40101 SET NAMES utf8mb4 */",
	    "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` "
	    "BEFORE INSERT ON `t` FOR EACH ROW BEGIN\n  SET NEW.a = 'x;y';\nEND \n*/",
	    "/*!50001 CREATE ALGORITHM=UNDEFINED */\n"
	    "/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n"
	    "/*!50001 VIEW `v` AS select `t`.`a` AS `a`,';' AS `s` from `t` */",
	    "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nBEGIN\n  SELECT 1;\nEND",
	    NULL});
	expect_lines(text, (const int[]){5, 7, 12, 16, 0});
}
END_TEST

START_TEST(test_fixture_dump)
{
	struct sqlscript s;
	const struct sqlstmt *st;

	load_split(FIXTURES "dump.sql", &s);
	ck_assert_uint_eq(s.nstmts, 64);
	ck_assert_str_eq(s.stmts[0].sql, "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */");
	ck_assert_int_eq(s.stmts[0].line, 7);
	ck_assert_str_eq(s.stmts[10].sql, "DROP TABLE IF EXISTS `patient`");
	ck_assert_int_eq(s.stmts[10].line, 22);
	ck_assert_str_eq(s.stmts[63].sql, "/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */");
	ck_assert_uint_eq(count_prefix(&s, "CREATE TABLE"), 2);
	ck_assert_uint_eq(count_prefix(&s, "DROP TABLE IF EXISTS"), 2);
	ck_assert_uint_eq(count_prefix(&s, "LOCK TABLES"), 2);
	ck_assert_uint_eq(count_prefix(&s, "UNLOCK TABLES"), 2);
	ck_assert_uint_eq(count_prefix(&s, "INSERT INTO"), 1);
	ck_assert_uint_eq(count_prefix(&s, "/*!"), 54);
	ck_assert_uint_eq(count_prefix(&s, "DELIMITER"), 0);
	ck_assert_uint_eq(count_prefix(&s, "--"), 0);

	st = find_prefix(&s, "CREATE TABLE `patient`");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->line, 25);
	ck_assert_ptr_nonnull(strstr(st->sql, "COMMENT 'surname; as registered',\n"));
	ck_assert_ptr_nonnull(strstr(st->sql, "  `odd``name` int(11) DEFAULT NULL,\n"));
	ck_assert(strstr(st->sql, ") ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 "
	    "COMMENT='patients; one row each'") != NULL);

	st = find_prefix(&s, "INSERT INTO");
	ck_assert_int_eq(st->line, 42);
	ck_assert_str_eq(st->sql, "INSERT INTO `patient` VALUES "
	    "(1,'O\\'Brien','a;b',NULL,'2017-05-02 10:00:00'),"
	    "(2,'Smith','line one\\nline two; \\\"quoted\\\"',7,'2017-05-02 10:05:00'),"
	    "(3,'Back\\\\slash','ends with backslash\\\\',NULL,'2017-05-03 09:00:00'),"
	    "(4,'Nguy?n','-- not a comment /* nor this */ # nor this',NULL,'2017-05-04 11:30:00')");

	/* the trigger, one statement of version comments */
	st = find_prefix(&s, "/*!50003 CREATE*/");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->line, 54);
	ck_assert_str_eq(st->sql,
	    "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `patient_bi` "
	    "BEFORE INSERT ON `patient` FOR EACH ROW BEGIN\n"
	    "  IF NEW.note IS NULL THEN\n"
	    "    SET NEW.note = 'none; yet';\n"
	    "  END IF;\n"
	    "  SET NEW.family_name = TRIM(NEW.family_name);\n"
	    "END */");
	ck_assert_str_eq((st + 1)->sql, "/*!50003 SET sql_mode              = @saved_sql_mode */");
	ck_assert_str_eq((st - 1)->sql, "/*!50003 SET sql_mode              = "
	    "'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
	    "ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */");

	/* the routine */
	st = find_prefix(&s, "CREATE DEFINER");
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->line, 105);
	ck_assert_str_eq(st->sql,
	    "CREATE DEFINER=`root`@`localhost` PROCEDURE `count_visits`(IN pid INT, OUT n INT)\n"
	    "BEGIN\n"
	    "  SELECT COUNT(*) INTO n FROM visit WHERE patient_id = pid;\n"
	    "END");
	ck_assert_str_eq((st - 9)->sql, "/*!50003 DROP PROCEDURE IF EXISTS `count_visits` */");
	sqlscript_release(&s);
}
END_TEST

/* count lines starting with prefix, and note the first line of each in lines */
static size_t
count_lines(const char *text, size_t len, const char *prefix, char *lines, size_t nlines)
{
	size_t n = 0, plen = strlen(prefix), line = 1;
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if ((size_t)(end - p) >= plen && memcmp(p, prefix, plen) == 0) {
			n++;
			if (line < nlines)
				lines[line] = 1;
		}
		if (!nl)
			break;
		p = nl + 1;
		line++;
	}
	return n;
}

static size_t
count_newlines(const char *text, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* split a real mysqldump and check its tables and inserts against its lines */
static void
check_real_dump(const char *path, size_t mintables)
{
	static const char *const prefixes[] = {"CREATE TABLE", "INSERT INTO", "DROP TABLE", "LOCK TABLES"};
	struct sqlscript s;
	size_t len, nlines, i, j;
	char *text, *err = NULL;

	text = load(path, &len);
	ck_assert_msg(sqlsplit(text, len, SQL_MARIADB, &s, &err) == 0, "%s: %s", path, err ? err : "");
	nlines = count_newlines(text, len) + 2;
	for (i = 0; i < LEN(prefixes); i++) {
		char *lines = xcalloc(nlines, 1);
		size_t want = count_lines(text, len, prefixes[i], lines, nlines);

		ck_assert_msg(count_prefix(&s, prefixes[i]) == want, "%s: %zu statements start with %s, %zu lines",
		    path, count_prefix(&s, prefixes[i]), prefixes[i], want);
		/* and each statement starts on such a line */
		for (j = 0; j < s.nstmts; j++)
			if (strstarts(s.stmts[j].sql, prefixes[i]))
				ck_assert_msg(s.stmts[j].line > 0 && (size_t)s.stmts[j].line < nlines &&
				    lines[s.stmts[j].line], "%s: %s at line %d", path, prefixes[i], s.stmts[j].line);
		free(lines);
	}
	ck_assert_uint_ge(count_prefix(&s, "CREATE TABLE"), mintables);
	ck_assert_uint_eq(count_prefix(&s, "--"), 0);
	ck_assert_uint_eq(count_prefix(&s, "/*!"), count_lines(text, len, "/*!", NULL, 0));
	for (j = 0; j < s.nstmts; j++)
		ck_assert_msg(s.stmts[j].sql[0] != '\0', "%s: empty statement at line %d", path, s.stmts[j].line);
	sqlscript_release(&s);
	free(text);
}

START_TEST(test_real_demo_dump)
{
	/* openmrs demo data: mysqldump of MySQL 5.5, 148 tables, no routines */
	check_real_dump(OPENMRS "demo-db-2.6.0.sql", 148);
}
END_TEST

START_TEST(test_real_fhir_dump)
{
	/* fhir-data-pipes setup: mysqldump of MySQL 5.6, 164 tables, no routines either */
	check_real_dump(OPENMRS "fhir-data-pipes_a_openmrs_sql_setup.sql", 164);
}
END_TEST

static Suite *
sqlsplit_suite(void)
{
	Suite *s = suite_create("sqlsplit");
	TCase *tc = tcase_create("split");
	TCase *big = tcase_create("big");

	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_comments_dropped);
	tcase_add_test(tc, test_comments_in_statements);
	tcase_add_test(tc, test_quotes);
	tcase_add_test(tc, test_version_comments);
	tcase_add_test(tc, test_delimiter);
	tcase_add_test(tc, test_delimiter_errors);
	tcase_add_test(tc, test_procedures_inline);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_unterminated);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_release);
	tcase_add_test(tc, test_fixture_procedures);
	tcase_add_test(tc, test_fixture_dump);
	tcase_add_test(tc, test_mariadb_dump_format);
	suite_add_tcase(s, tc);

	tcase_set_timeout(big, 60);
	tcase_add_test(big, test_large);
	if (need_shared("check_sqlsplit", "test_real_demo_dump", OPENMRS "demo-db-2.6.0.sql"))
		tcase_add_test(big, test_real_demo_dump);
	if (need_shared("check_sqlsplit", "test_real_fhir_dump",
	    OPENMRS "fhir-data-pipes_a_openmrs_sql_setup.sql"))
		tcase_add_test(big, test_real_fhir_dump);
	suite_add_tcase(s, big);
	return s;
}

int
main(void)
{
	return run_suite(sqlsplit_suite());
}
