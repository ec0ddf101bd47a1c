/* check_db.c: the MariaDB driver against two real servers (see tests/run) */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "db.h"
#include "testutil.h"
#include "util.h"

#define PASSWORD_WRONG "Sekr1t-xyz"
#define BIG_VALUE (5 * 1024 * 1024)

static const char *src_socket, *src_port, *tgt_socket, *tgt_port, *user, *password;
static int dbcount;

static struct db_params
mkconn(const char *name, const char *sock, const char *port, const char *database)
{
	struct db_params c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.driver = "mariadb";
	c.socket = sock;
	c.port = port ? (unsigned)atoi(port) : 0;
	c.user = user;
	c.password = password;
	c.database = database;
	return c;
}

static struct db *
open_db(const char *name, const char *sock, const char *database)
{
	struct db_params c = mkconn(name, sock, NULL, database);
	char *err = NULL;
	struct db *d = db_connect(&c, &err, NULL);

	ck_assert_msg(d != NULL, "connect: %s", err ? err : "?");
	return d;
}

static struct db *
src_db(const char *database)
{
	return open_db("source", src_socket, database);
}

static struct db *
tgt_db(const char *database)
{
	return open_db("target", tgt_socket, database);
}

static void
exec_ok(struct db *d, const char *sql)
{
	ck_assert_msg(db_exec(d, sql) == 0, "%s: %s", sql, db_error(d));
}

/* a fresh database on d, with a name unique to this process and test */
static char *
fresh_db(struct db *d, const char *tag)
{
	char *name = xasprintf("chk_%ld_%d_%s", (long)getpid(), ++dbcount, tag);

	ck_assert_int_eq(db_execf(d, "DROP DATABASE IF EXISTS `%s`", name), 0);
	ck_assert_msg(db_execf(d, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", name) == 0, "%s",
	              db_error(d));
	return name;
}

static char *
value(struct db *d, const char *sql)
{
	char *v = NULL;

	ck_assert_msg(db_value(d, &v, "%s", sql) >= 0, "%s: %s", sql, db_error(d));
	return v;
}

static void
assert_value(struct db *d, const char *sql, const char *want)
{
	char *v = value(d, sql);

	ck_assert_msg(v && strcmp(v, want) == 0, "%s: got '%s', want '%s'", sql, v ? v : "(null)",
	              want);
	free(v);
}

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

START_TEST(test_connect_error)
{
	struct db_params c = mkconn("source", src_socket, NULL, NULL);
	char *err = NULL;

	c.password = PASSWORD_WRONG;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "connection 'source'"), "%s", err);
	ck_assert_msg(strstr(err, src_socket), "%s", err);
	ck_assert_msg(strstr(err, "'chacc'"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);

	/* over TCP: the message names host and port */
	c = mkconn("target", NULL, tgt_port, NULL);
	c.host = "127.0.0.1";
	c.password = PASSWORD_WRONG;
	err = NULL;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "connection 'target'"), "%s", err);
	ck_assert_msg(strstr(err, tgt_port) && strstr(err, "127.0.0.1"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);

	/* nothing listens: still named, still no password */
	c = mkconn("nowhere", "/nonexistent/mysqld.sock", NULL, NULL);
	c.password = PASSWORD_WRONG;
	err = NULL;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "connection 'nowhere'"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);
}
END_TEST

START_TEST(test_exec_query_value)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "q"), *v, *q, *id;
	struct dbres *r;
	const char *nasty = "it's a \"test\" \\ with\nnewline\ttab \xF0\x9F\x98\x80 `tick`";

	ck_assert_str_eq(db_name(d), "");
	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	ck_assert_str_eq(db_conn_name(d), "source");
	exec_ok(d, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
	exec_ok(d, "INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'three')");
	ck_assert_int_eq(db_affected(d), 3);
	ck_assert_int_eq(db_execf(d, "UPDATE t SET v = '%s' WHERE id >= %d", "x", 2), 0);
	ck_assert_int_eq(db_affected(d), 2);

	r = db_queryf(d, "SELECT id, v AS value FROM t WHERE id < %d ORDER BY id", 10);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 2);
	ck_assert_uint_eq(dbres_nrows(r), 3);
	ck_assert_str_eq(dbres_colname(r, 1), "value");
	ck_assert(dbres_next(r));
	ck_assert_str_eq(dbres_get(r, 0), "1");
	ck_assert_str_eq(dbres_get(r, 1), "one");
	ck_assert_ptr_null(dbres_get(r, 2));
	ck_assert(dbres_next(r));
	ck_assert(dbres_next(r));
	ck_assert(!dbres_next(r));
	dbres_free(r);

	/* a statement without a result set gives an empty one */
	r = db_query(d, "DO 1");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 0);
	ck_assert(!dbres_next(r));
	dbres_free(r);

	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = %d", 1), 1);
	ck_assert_str_eq(v, "one");
	free(v);
	exec_ok(d, "UPDATE t SET v = NULL WHERE id = 2");
	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = 2"), 1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = 99"), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_value(d, &v, "SELECT nothing FROM t"), -1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_errno(d), 1054);

	/* quoting and identifiers round-trip */
	q = db_quote(d, nasty);
	ck_assert_int_eq(db_value(d, &v, "SELECT %s", q), 1);
	ck_assert_str_eq(v, nasty);
	free(v);
	free(q);
	q = db_quote(NULL, nasty);
	ck_assert_int_eq(db_value(d, &v, "SELECT %s", q), 1);
	ck_assert_str_eq(v, nasty);
	free(v);
	free(q);
	ck_assert_ptr_null(db_quote(d, NULL));
	id = db_ident(d, "we`ird");
	ck_assert_str_eq(id, "`we``ird`");
	ck_assert_int_eq(db_execf(d, "CREATE TABLE %s (x INT)", id), 0);
	assert_value(d, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'we`ird'"
	                " AND table_schema = DATABASE()", "1");
	free(id);

	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);

	d = src_db("mysql");
	ck_assert_str_eq(db_name(d), "mysql");
	db_close(d);
}
END_TEST

START_TEST(test_errors)
{
	struct db *a = src_db(NULL), *b = src_db(NULL);
	char *name = fresh_db(a, "err");

	ck_assert_int_eq(db_exec(a, "SELEC 1"), -1);
	ck_assert_uint_eq(db_errno(a), 1064);
	ck_assert_msg(strstr(db_error(a), "syntax"), "%s", db_error(a));
	ck_assert(!db_error_transient(a));
	ck_assert(!db_error_killed(a));
	/* the connection goes on after an error */
	assert_value(a, "SELECT 1 + 1", "2");

	/* a lock wait timeout can pass on retry */
	ck_assert_int_eq(db_execf(a, "CREATE TABLE `%s`.t (id INT PRIMARY KEY) ENGINE=InnoDB", name), 0);
	ck_assert_int_eq(db_execf(a, "INSERT INTO `%s`.t VALUES (1)", name), 0);
	exec_ok(a, "START TRANSACTION");
	ck_assert_int_eq(db_execf(a, "UPDATE `%s`.t SET id = 1 WHERE id = 1", name), 0);
	exec_ok(b, "SET SESSION innodb_lock_wait_timeout = 1");
	ck_assert_int_eq(db_execf(b, "UPDATE `%s`.t SET id = 2 WHERE id = 1", name), -1);
	ck_assert_uint_eq(db_errno(b), 1205);
	ck_assert(db_error_transient(b));
	exec_ok(a, "ROLLBACK");

	/* a server cannot read client files outside db_copy */
	ck_assert_int_eq(db_execf(a, "CREATE TABLE `%s`.f (x TEXT)", name), 0);
	ck_assert_int_eq(db_execf(a, "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE `%s`.f", name),
	                 -1);
	ck_assert_msg(strstr(db_error(a), "refused"), "%s", db_error(a));
	assert_value(a, "SELECT 'usable'", "usable");

	/* a duplicate key is an SQL error */
	ck_assert_int_eq(db_execf(a, "INSERT INTO `%s`.t VALUES (1)", name), -1);
	ck_assert_uint_eq(db_errno(a), 1062);
	ck_assert(!db_error_transient(a));

	db_execf(a, "DROP DATABASE `%s`", name);
	free(name);
	db_close(a);
	db_close(b);
}
END_TEST

struct sleeper {
	struct db *d;
	int rc;
};

static void *
sleeper_run(void *arg)
{
	struct sleeper *s = arg;

	s->rc = db_exec(s->d, "SELECT SLEEP(30)");
	return NULL;
}

START_TEST(test_kill_query)
{
	struct sleeper s = {src_db(NULL), 1};
	struct db *watch = src_db(NULL);
	struct db_params kp = mkconn("source", src_socket, NULL, NULL);
	pthread_t t;
	char *v;
	int i, seen = 0;
	double t0 = now_seconds();

	ck_assert_int_eq(pthread_create(&t, NULL, sleeper_run, &s), 0);
	for (i = 0; i < 100 && !seen; i++) {
		v = NULL;
		ck_assert_int_ge(db_value(watch, &v, "SELECT COUNT(*) FROM information_schema.processlist"
		                                     " WHERE id = %lu AND info LIKE 'SELECT SLEEP%%'",
		                          db_thread_id(s.d)), 0);
		seen = v && strcmp(v, "1") == 0;
		free(v);
		usleep(50000);
	}
	ck_assert_msg(seen, "the query never showed up");
	ck_assert_int_eq(db_kill_query(&kp, db_thread_id(s.d)), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_msg(db_error_killed(s.d), "%u %s", db_errno(s.d), db_error(s.d));
	ck_assert_int_eq(db_error_class(s.d), DB_ERR_KILLED);
	ck_assert(!db_error_transient(s.d));
	ck_assert(now_seconds() - t0 < 20);
	/* the connection survives a killed query */
	assert_value(s.d, "SELECT 'alive'", "alive");
	/* killing what is not running is fine */
	ck_assert_int_eq(db_kill_query(&kp, db_thread_id(s.d)), 0);
	assert_value(s.d, "SELECT 'still'", "still");
	db_close(s.d);
	db_close(watch);
}
END_TEST

START_TEST(test_lost_connection)
{
	struct db *a = src_db(NULL), *b = src_db(NULL);
	unsigned long id = db_thread_id(a);

	ck_assert_int_eq(db_execf(b, "KILL CONNECTION %lu", id), 0);
	ck_assert_int_eq(db_exec(a, "SELECT 1"), -1);
	ck_assert_msg(db_error_transient(a), "%u %s", db_errno(a), db_error(a));
	ck_assert_int_eq(db_reconnect(a), 0);
	ck_assert_uint_ne(db_thread_id(a), id);
	assert_value(a, "SELECT 'back'", "back");
	db_close(a);
	db_close(b);
}
END_TEST

START_TEST(test_call)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "call");
	struct dbres *r;

	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	exec_ok(d, "CREATE PROCEDURE p() BEGIN SELECT 1 AS a; SELECT 2, 3; END");
	exec_ok(d, "CREATE PROCEDURE bad() BEGIN SELECT 1; SIGNAL SQLSTATE '45000' SET "
	           "MESSAGE_TEXT = 'bad thing'; END");
	exec_ok(d, "CALL p()");
	assert_value(d, "SELECT 'usable'", "usable");
	r = db_query(d, "CALL p()");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 1);
	ck_assert(dbres_next(r));
	ck_assert_str_eq(dbres_get(r, 0), "1");
	ck_assert(!dbres_next(r));
	dbres_free(r);
	assert_value(d, "SELECT 'usable'", "usable");
	ck_assert_int_eq(db_exec(d, "CALL bad()"), -1);
	ck_assert_msg(strstr(db_error(d), "bad thing"), "%s", db_error(d));
	assert_value(d, "SELECT 'usable'", "usable");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_same_server)
{
	struct db *a = src_db(NULL), *b, *t = tgt_db(NULL);
	struct db_params c = mkconn("tcp", NULL, src_port, NULL);
	char *err = NULL;

	c.host = "127.0.0.1";
	b = db_connect(&c, &err, NULL);
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert(db_same_server(a, b));
	ck_assert(db_same_server(a, a));
	ck_assert(!db_same_server(a, t));
	ck_assert(!db_same_server(t, b));
	db_close(a);
	db_close(b);
	db_close(t);
}
END_TEST

/* the column definitions of the all-types table, and how to compare each exactly */
static const struct {
	const char *name, *type, *want, *cmp;
} cols[] = {
	{"ti", "TINYINT", "tinyint(4)", NULL},
	{"tiu", "TINYINT UNSIGNED", "tinyint(3) unsigned", NULL},
	{"si", "SMALLINT", "smallint(6)", NULL},
	{"siu", "SMALLINT UNSIGNED", "smallint(5) unsigned", NULL},
	{"mi", "MEDIUMINT", "mediumint(9)", NULL},
	{"miu", "MEDIUMINT UNSIGNED", "mediumint(8) unsigned", NULL},
	{"i", "INT", "int(11)", NULL},
	{"iu", "INT UNSIGNED", "int(10) unsigned", NULL},
	{"bi", "BIGINT", "bigint(20)", NULL},
	{"biu", "BIGINT UNSIGNED", "bigint(20) unsigned", NULL},
	{"b1", "TINYINT(1)", "tinyint(1)", NULL},
	{"zf", "INT(6) UNSIGNED ZEROFILL", "int(6) unsigned zerofill", NULL},
	{"dec1", "DECIMAL(65,30)", "decimal(65,30)", NULL},
	{"dec2", "DECIMAL(10,0) UNSIGNED", "decimal(10,0) unsigned", NULL},
	{"dec3", "DECIMAL(5,5)", "decimal(5,5)", NULL},
	{"f", "FLOAT", "float", "CAST(%s AS DOUBLE)"},
	{"d", "DOUBLE", "double", NULL},
	{"bit1", "BIT(1)", "bit(1)", "HEX(%s)"},
	{"bit64", "BIT(64)", "bit(64)", "HEX(%s)"},
	{"dt", "DATE", "date", NULL},
	{"tm", "TIME(6)", "time(6)", NULL},
	{"dtm", "DATETIME(6)", "datetime(6)", NULL},
	{"ts", "TIMESTAMP(6) NULL", "datetime(6)", NULL},
	{"yr", "YEAR", "year(4)", NULL},
	{"ch", "CHAR(10)", "char(10)", "HEX(%s)"},
	{"chb", "CHAR(10) COLLATE utf8mb4_bin", "char(10)", "HEX(%s)"},
	{"vc", "VARCHAR(300)", "varchar(300)", "HEX(%s)"},
	{"tt", "TINYTEXT", "tinytext", "HEX(%s)"},
	{"tx", "TEXT", "text", "HEX(%s)"},
	{"mt", "MEDIUMTEXT", "mediumtext", "HEX(%s)"},
	{"lt", "LONGTEXT", "longtext", "MD5(%s)"},
	{"lat", "VARCHAR(20) CHARACTER SET latin1", "varchar(20)", "HEX(CONVERT(%s USING utf8mb4))"},
	{"bn", "BINARY(16)", "binary(16)", "HEX(%s)"},
	{"vb", "VARBINARY(256)", "varbinary(256)", "HEX(%s)"},
	{"tb", "TINYBLOB", "tinyblob", "HEX(%s)"},
	{"bl", "BLOB", "blob", "HEX(%s)"},
	{"mb", "MEDIUMBLOB", "mediumblob", "HEX(%s)"},
	{"lb", "LONGBLOB", "longblob", "MD5(%s)"},
	{"en", "ENUM('a','b c','ü')", "varchar(3)", "HEX(%s)"},
	{"st", "SET('x','y','z')", "varchar(5)", "HEX(%s)"},
	{"js", "JSON", "longtext", "HEX(%s)"},
	{"nn", "INT NOT NULL DEFAULT 7", "int(11)", NULL},
	{"nnv", "VARCHAR(5) NOT NULL DEFAULT ''", "varchar(5)", "HEX(%s)"},
};

static void
make_types_table(struct db *d, const char *name)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	buf_addf(&b, "CREATE TABLE `%s`.types (id INT PRIMARY KEY", name);
	for (i = 0; i < LEN(cols); i++)
		buf_addf(&b, ", `%s` %s", cols[i].name, cols[i].type);
	buf_adds(&b, ") CHARACTER SET utf8mb4");
	exec_ok(d, b.s);
	buf_release(&b);
	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	exec_ok(d, "SET SESSION time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION'");
	/* minimums */
	exec_ok(d, "INSERT INTO types (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, b1, zf, dec1,"
	           " dec2, dec3, f, d, bit1, bit64, dt, tm, dtm, ts, yr, ch, chb, vc, tt, tx, mt, lt,"
	           " lat, bn, vb, tb, bl, mb, lb, en, st, js, nn, nnv) VALUES (1, -128, 0, -32768, 0,"
	           " -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, 0,"
	           " -99999999999999999999999999999999999.999999999999999999999999999999, 0,"
	           " -0.99999, -3.40282346638528859811704183484516925440e+38,"
	           " -1.7976931348623157e308, b'0', b'0', '1000-01-01', '-838:59:59.000000',"
	           " '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', 1901, '', '', '',"
	           " '', '', '', '', '', '', '', '', '', '', '', 'a', '', '{}', -1, '')");
	/* maximums */
	exec_ok(d, "INSERT INTO types (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, b1, zf, dec1,"
	           " dec2, dec3, f, d, bit1, bit64, dt, tm, dtm, ts, yr, ch, chb, vc, en, st, js, nn,"
	           " nnv) VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647,"
	           " 4294967295, 9223372036854775807, 18446744073709551615, 1, 999999,"
	           " 99999999999999999999999999999999999.999999999999999999999999999999, 9999999999,"
	           " 0.99999, 3.40282346638528859811704183484516925440e+38, 1.7976931348623157e308,"
	           " b'1', 0xFFFFFFFFFFFFFFFF, '9999-12-31', '838:59:59.000000',"
	           " '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155,"
	           " 'abcdefghij', 'ABCDEFGHIJ', REPEAT('\xF0\x9F\x98\x80', 300), 'ü', 'x,y,z',"
	           " '{\"a\": [1, 2.5, \"x\\\\ty\"]}', 2147483647, 'zzzzz')");
	/* zero dates and odd numbers */
	exec_ok(d, "INSERT INTO types (id, f, d, dec1, bit64, dt, tm, dtm, ts, yr, nn, nnv) VALUES (3,"
	           " 1/3, 1/3, 0.000000000000000000000000000001, 0x00FF00FF00FF0000, '0000-00-00',"
	           " '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 0, 0, '')");
	exec_ok(d, "INSERT INTO types (id, f, d, dt, dtm, nn) VALUES (4, 1.17549435e-38, 4.9e-324,"
	           " '2024-02-29', '2024-02-29 12:34:56.000001', 0),"
	           " (5, 0.1, 0.1, '2000-01-00', '2000-00-00 00:00:00', 0)");
	/* strings that LOAD DATA must not misread */
	exec_ok(d, "INSERT INTO types (id, ch, vc, tt, tx, mt, lt, lat, vb, en, st, nn, nnv) VALUES"
	           " (6, 'a\\tb\\nc', 'tab\\there\\nnl\\\\back\\0nul\\rcr', '\\\\N', '\\N',"
	           " 'NULL', '\\\\', 'caf\xC3\xA9 \\t', 'x\\0y', 'b c', 'x,z', 0, '\\n'),"
	           " (7, 'x  ', '\xF0\x9F\x98\x80 \xC3\xBC" "n\xC3\xAF" "c\xC3\xB8" "d\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC',"
	           " '\\\\0', '\\\\\\\\', ' trailing ', '\\t', '', '', 'a', 'y', 0, '\\\\')");
	/* every byte value */
	exec_ok(d, "SET @bytes = (SELECT GROUP_CONCAT(CHAR(seq) ORDER BY seq SEPARATOR '')"
	           " FROM seq_0_to_255)");
	exec_ok(d, "INSERT INTO types (id, bn, vb, tb, bl, mb, lb, nn) VALUES (8, UNHEX("
	           "'00FF005C090A0D000000000000000000'), @bytes, REVERSE(@bytes), REPEAT(@bytes, 3),"
	           " REPEAT(@bytes, 4), @bytes, 0)");
	/* NULL in every nullable column */
	exec_ok(d, "INSERT INTO types (id, nn, nnv) VALUES (9, 0, '')");
	/* 5 MB values */
	ck_assert_int_eq(db_execf(d, "INSERT INTO types (id, lt, lb, mt, nn) VALUES (10,"
	                             " REPEAT('\xF0\x9F\x98\x80 a\\tb\\n\\\\', %d),"
	                             " REPEAT(@bytes, %d), REPEAT('m', 1000000), 0)",
	                          BIG_VALUE / 10, BIG_VALUE / 256), 0);
	exec_ok(d, "SET SESSION sql_mode = DEFAULT");
	assert_value(d, "SELECT COUNT(*) FROM types", "10");
	assert_value(d, "SELECT LENGTH(lt) > 5000000 AND LENGTH(lb) >= 5000000 FROM types WHERE id = 10",
	             "1");
}

/* one MD5 per row and column of table on d, in id order, as text */
static char *
fingerprint(struct db *d, const char *table)
{
	struct buf q, out;
	struct dbres *r;
	size_t i;

	buf_init(&q);
	buf_adds(&q, "SELECT id");
	for (i = 0; i < LEN(cols); i++) {
		char *e = xasprintf(cols[i].cmp ? cols[i].cmp : "CAST(%s AS CHAR)", cols[i].name);

		buf_addf(&q, ", IFNULL(MD5(%s), 'null')", e);
		free(e);
	}
	buf_addf(&q, " FROM %s ORDER BY id", table);
	exec_ok(d, "SET SESSION time_zone = '+00:00'");
	r = db_query(d, q.s);
	ck_assert_msg(r != NULL, "%s", db_error(d));
	buf_release(&q);
	buf_init(&out);
	while (dbres_next(r))
		for (i = 0; i <= LEN(cols); i++)
			buf_addf(&out, "row %s %s: %s\n", dbres_get(r, 0), i ? cols[i - 1].name : "id",
			         dbres_get(r, i));
	dbres_free(r);
	return buf_detach(&out);
}

static void
assert_same(const char *want, const char *got)
{
	const char *w = want, *g = got;

	while (*w && *w == *g)
		w++, g++;
	if (*w || *g) {
		while (w > want && w[-1] != '\n')
			w--;
		while (g > got && g[-1] != '\n')
			g--;
		ck_abort_msg("tables differ: source '%.*s', target '%.*s'", (int)strcspn(w, "\n"), w,
		             (int)strcspn(g, "\n"), g);
	}
}

/* db_result_ddl on src, create it on tgt, db_copy; both must read the same */
static void
roundtrip(struct db *s, struct db *t, const char *tname, bool check_types)
{
	char *ddl, *a, *b;
	long long rows = -1;
	struct db *side = NULL;
	size_t i;

	ddl = db_result_ddl(s, "SELECT * FROM types;\n", "types");
	ck_assert_msg(ddl != NULL, "%s", db_error(s));
	ck_assert_msg(db_exec(t, ddl) == 0, "%s: %s", ddl, db_error(t));
	free(ddl);
	exec_ok(t, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE'");
	exec_ok(s, "SET SESSION time_zone = '+00:00'");
	ck_assert_msg(db_copy(s, "SELECT * FROM types", t, "types", &rows, NULL, NULL, &side) == 0,
	              "copy: %s", side ? db_error(side) : "?");
	ck_assert_int_eq(rows, 10);
	/* the session's sql_mode is back */
	assert_value(t, "SELECT @@SESSION.sql_mode", "STRICT_ALL_TABLES,NO_ZERO_DATE");
	exec_ok(t, "SET SESSION sql_mode = DEFAULT");
	if (check_types)
		for (i = 0; i < LEN(cols); i++) {
			char *sql = xasprintf("SELECT CONCAT(COLUMN_TYPE, ' ', IS_NULLABLE)"
			                      " FROM information_schema.columns WHERE table_schema = '%s'"
			                      " AND table_name = 'types' AND column_name = '%s'",
			                      tname, cols[i].name);
			char *want = xasprintf("%s %s", cols[i].want,
			                       strstr(cols[i].type, "NOT NULL") ? "NO" : "YES");

			assert_value(t, sql, want);
			free(sql);
			free(want);
		}
	a = fingerprint(s, "types");
	b = fingerprint(t, "types");
	assert_same(a, b);
	free(a);
	free(b);
}

START_TEST(test_copy_all_types)
{
	struct db *s = src_db(NULL), *t = tgt_db(NULL);
	char *sname = fresh_db(s, "types"), *tname = fresh_db(t, "types");

	make_types_table(s, sname);
	ck_assert_int_eq(db_execf(t, "USE `%s`", tname), 0);
	roundtrip(s, t, tname, true);
	/* _bin collations are kept */
	assert_value(t, "SELECT COLLATION_NAME FROM information_schema.columns WHERE"
	                " table_schema = DATABASE() AND table_name = 'types' AND column_name = 'chb'",
	             "utf8mb4_bin");
	db_execf(s, "DROP DATABASE `%s`", sname);
	db_execf(t, "DROP DATABASE `%s`", tname);
	free(sname);
	free(tname);
	db_close(s);
	db_close(t);
}
END_TEST

START_TEST(test_copy_insert_fallback)
{
	struct db *s = src_db(NULL), *t = tgt_db(NULL);
	char *sname = fresh_db(s, "fb"), *tname = fresh_db(t, "fb");
	char *v;

	make_types_table(s, sname);
	ck_assert_int_eq(db_execf(t, "USE `%s`", tname), 0);
	exec_ok(t, "SET GLOBAL local_infile = 0");
	v = value(t, "SELECT @@GLOBAL.local_infile");
	ck_assert_str_eq(v, "0");
	free(v);
	roundtrip(s, t, tname, false);
	exec_ok(t, "SET GLOBAL local_infile = 1");
	db_execf(s, "DROP DATABASE `%s`", sname);
	db_execf(t, "DROP DATABASE `%s`", tname);
	free(sname);
	free(tname);
	db_close(s);
	db_close(t);
}
END_TEST

START_TEST(test_copy_expressions)
{
	struct db *s = src_db(NULL), *t = tgt_db(NULL);
	char *sname = fresh_db(s, "expr"), *tname = fresh_db(t, "expr");
	struct buf b;
	char *ddl, *v;
	long long rows;
	struct db *side = NULL;
	int i;
	const char *sql = "SELECT k, COUNT(*) AS n, SUM(x) AS total, AVG(x) AS mean,"
	                  " MAX(CONCAT(k, '-', x)) AS label, CAST(MIN(x) AS DATE) AS day,"
	                  " NULL AS nothing, '' AS empty"
	                  " FROM src GROUP BY k -- trailing comment\n";

	ck_assert_int_eq(db_execf(s, "USE `%s`", sname), 0);
	ck_assert_int_eq(db_execf(t, "USE `%s`", tname), 0);
	exec_ok(s, "CREATE TABLE src (k VARCHAR(10) NOT NULL, x INT)");
	exec_ok(s, "INSERT INTO src VALUES ('a', 20240101), ('a', 20240102), ('', NULL), ('b', 1)");
	ddl = db_result_ddl(s, sql, "agg");
	ck_assert_msg(ddl != NULL, "%s", db_error(s));
	ck_assert_msg(db_exec(t, ddl) == 0, "%s: %s", ddl, db_error(t));
	free(ddl);
	ck_assert_msg(db_copy(s, sql, t, "agg", &rows, NULL, NULL, &side) == 0, "%s",
	              db_error(side));
	ck_assert_int_eq(rows, 3);
	assert_value(t, "SELECT GROUP_CONCAT(CONCAT_WS('|', k, n, IFNULL(total, 'N'),"
	                " IFNULL(mean, 'N'), IFNULL(label, 'N'), IFNULL(day, 'N'),"
	                " IFNULL(nothing, 'N'), empty) ORDER BY k) FROM agg",
	             "|1|N|N|N|N|N|,a|2|40480203|20240101.5000|a-20240102|2024-01-01|N|,"
	             "b|1|1|1.0000|b-1|N|N|");

	/* one column: empty lines must load as empty strings */
	exec_ok(s, "CREATE TABLE one (v VARCHAR(5))");
	exec_ok(s, "INSERT INTO one VALUES (''), (NULL), ('\\\\N'), (''), ('x')");
	ddl = db_result_ddl(s, "SELECT v FROM one", "one");
	ck_assert_int_eq(db_exec(t, ddl), 0);
	free(ddl);
	ck_assert_msg(db_copy(s, "SELECT v FROM one", t, "one", &rows, NULL, NULL, &side) == 0, "%s",
	              db_error(side));
	assert_value(t, "SELECT GROUP_CONCAT(h ORDER BY h) FROM (SELECT IFNULL(HEX(v), 'null') AS h"
	                " FROM one) q", ",,5C4E,78,null");

	/* a wide table of long VARCHARs must still fit a row */
	buf_init(&b);
	buf_adds(&b, "CREATE TABLE wide (id INT");
	for (i = 0; i < 80; i++)
		buf_addf(&b, ", c%d VARCHAR(255)", i);
	/* latin1 fits the source; the same columns in utf8mb4 would not */
	buf_adds(&b, ") CHARACTER SET latin1");
	exec_ok(s, "SET SESSION innodb_strict_mode = 0");
	ck_assert_msg(db_exec(s, b.s) == 0, "%s", db_error(s));
	buf_release(&b);
	exec_ok(s, "INSERT INTO wide (id, c0, c79) VALUES (1, 'first', 'last')");
	ddl = db_result_ddl(s, "SELECT * FROM wide", "wide");
	ck_assert_msg(ddl && db_exec(t, ddl) == 0, "%s", db_error(t));
	free(ddl);
	ck_assert_msg(db_copy(s, "SELECT * FROM wide", t, "wide", &rows, NULL, NULL, &side) == 0,
	              "%s", db_error(side));
	v = value(t, "SELECT CONCAT(c0, c79) FROM wide");
	ck_assert_str_eq(v, "firstlast");
	free(v);

	db_execf(s, "DROP DATABASE `%s`", sname);
	db_execf(t, "DROP DATABASE `%s`", tname);
	free(sname);
	free(tname);
	db_close(s);
	db_close(t);
}
END_TEST

static int
count_progress(void *arg, long long rows)
{
	long long *last = arg;

	ck_assert_int_gt(rows, *last);
	*last = rows;
	return 0;
}

START_TEST(test_copy_big)
{
	struct db *s = src_db(NULL), *t = tgt_db(NULL);
	char *sname = fresh_db(s, "big"), *tname = fresh_db(t, "big"), *ddl, *a, *b;
	const char *sql = "SELECT seq AS id, MD5(seq) AS h, REPEAT(CHAR(65 + seq % 26), 100) AS pad,"
	                  " seq * 1.25 AS amount, '2024-01-01' + INTERVAL (seq % 1000) DAY AS day,"
	                  " IF(seq % 7 = 0, NULL, seq % 1000) AS maybe FROM seq_1_to_200000";
	long long rows = 0, last = 0;
	struct db *side = NULL;
	long before, after;
	double t0, secs;

	ck_assert_int_eq(db_execf(s, "USE `%s`", sname), 0);
	ck_assert_int_eq(db_execf(t, "USE `%s`", tname), 0);
	ddl = db_result_ddl(s, sql, "big");
	ck_assert_msg(ddl && db_exec(t, ddl) == 0, "%s", db_error(t));
	free(ddl);
	before = rss_kb();
	t0 = now_seconds();
	ck_assert_msg(db_copy(s, sql, t, "big", &rows, count_progress, &last, &side) == 0, "%s",
	              db_error(side));
	secs = now_seconds() - t0;
	after = rss_kb();
	ck_assert_int_eq(rows, 200000);
	ck_assert_int_eq(last, 200000);
	printf("check_db: copied %lld rows in %.2fs (%.0f rows/s), RSS %ld kB -> %ld kB\n", rows,
	       secs, rows / secs, before, after);
	fflush(stdout);
	ck_assert_msg(after - before < 64 * 1024, "RSS grew by %ld kB", after - before);
	a = value(s, "SELECT SUM(CRC32(CONCAT_WS(',', id, h, pad, amount, day, IFNULL(maybe, 'n'))))"
	             " FROM (SELECT seq AS id, MD5(seq) AS h, REPEAT(CHAR(65 + seq % 26), 100) AS pad,"
	             " seq * 1.25 AS amount, '2024-01-01' + INTERVAL (seq % 1000) DAY AS day,"
	             " IF(seq % 7 = 0, NULL, seq % 1000) AS maybe FROM seq_1_to_200000) q");
	b = value(t, "SELECT SUM(CRC32(CONCAT_WS(',', id, h, pad, amount, day, IFNULL(maybe, 'n'))))"
	             " FROM big");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	db_execf(s, "DROP DATABASE `%s`", sname);
	db_execf(t, "DROP DATABASE `%s`", tname);
	free(sname);
	free(tname);
	db_close(s);
	db_close(t);
}
END_TEST

static int
stop_progress(void *arg, long long rows)
{
	return 1;
}

/* kill the source query at the first progress report */
static int
kill_progress(void *arg, long long rows)
{
	struct db *src = arg;
	struct db_params kp = mkconn("source", src_socket, NULL, NULL);

	if (rows == 10000)
		ck_assert_int_eq(db_kill_query(&kp, db_thread_id(src)), 0);
	return 0;
}

START_TEST(test_copy_failures)
{
	struct db *s = src_db(NULL), *t = tgt_db(NULL);
	char *sname = fresh_db(s, "fail"), *tname = fresh_db(t, "fail");
	long long rows = -1;
	struct db *side = NULL;
	double t0;

	ck_assert_int_eq(db_execf(s, "USE `%s`", sname), 0);
	ck_assert_int_eq(db_execf(t, "USE `%s`", tname), 0);
	exec_ok(s, "CREATE TABLE long_values (v VARCHAR(300))");
	exec_ok(s, "INSERT INTO long_values VALUES ('short'), (REPEAT('x', 300))");
	exec_ok(t, "CREATE TABLE narrow (v VARCHAR(10))");

	/* a value that does not fit fails the copy */
	ck_assert_int_eq(db_copy(s, "SELECT v FROM long_values", t, "narrow", &rows, NULL, NULL, &side),
	                 -1);
	ck_assert_ptr_eq(side, t);
	ck_assert_msg(strstr(db_error(t), "'v'"), "%s", db_error(t));
	assert_value(s, "SELECT 'source usable'", "source usable");
	assert_value(t, "SELECT 'target usable'", "target usable");

	/* a bad query fails on the source */
	side = NULL;
	ck_assert_int_eq(db_copy(s, "SELECT nope FROM long_values", t, "narrow", &rows, NULL, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, s);
	ck_assert_msg(strstr(db_error(s), "nope"), "%s", db_error(s));

	/* a missing table fails on the target, and the source stays usable */
	side = NULL;
	ck_assert_int_eq(db_copy(s, "SELECT v FROM long_values", t, "missing", &rows, NULL, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, t);
	ck_assert_uint_eq(db_errno(t), 1146);
	assert_value(s, "SELECT 'source usable'", "source usable");

	/* a progress callback stops a copy; the rest of the source is not read */
	exec_ok(t, "CREATE TABLE ids (id BIGINT)");
	side = NULL;
	t0 = now_seconds();
	ck_assert_int_eq(db_copy(s, "SELECT seq AS id FROM seq_1_to_50000000", t, "ids", &rows,
	                         stop_progress, NULL, &side), -1);
	ck_assert_ptr_nonnull(side);
	ck_assert_msg(strstr(db_error(side), "copy stopped"), "%s", db_error(side));
	ck_assert(db_error_killed(side));
	ck_assert_int_eq(rows, 10000);
	ck_assert_msg(now_seconds() - t0 < 15, "stopping took %.1fs", now_seconds() - t0);
	assert_value(s, "SELECT 'source usable'", "source usable");
	assert_value(t, "SELECT 'target usable'", "target usable");

	/* a source query killed halfway fails the copy on the source side */
	side = NULL;
	t0 = now_seconds();
	ck_assert_int_eq(db_copy(s, "SELECT seq AS id FROM seq_1_to_50000000", t, "ids", &rows,
	                         kill_progress, s, &side), -1);
	ck_assert_ptr_eq(side, s);
	ck_assert_msg(db_error_killed(s), "%u %s", db_errno(s), db_error(s));
	ck_assert_int_lt(rows, 50000000);
	ck_assert_msg(now_seconds() - t0 < 15, "killing took %.1fs", now_seconds() - t0);
	assert_value(s, "SELECT 'source usable'", "source usable");
	assert_value(t, "SELECT 'target usable'", "target usable");

	db_execf(s, "DROP DATABASE `%s`", sname);
	db_execf(t, "DROP DATABASE `%s`", tname);
	free(sname);
	free(tname);
	db_close(s);
	db_close(t);
}
END_TEST

START_TEST(test_engine_lookup)
{
	struct db_params c = mkconn("pg", src_socket, NULL, NULL);
	enum db_err why = DB_ERR_NONE;
	char *err = NULL;

	ck_assert_ptr_eq(db_engine_find("mariadb", NULL), &db_mariadb);
	ck_assert_ptr_eq(db_engine_find(NULL, NULL), &db_mariadb);
	ck_assert_ptr_eq(db_engine_find("", NULL), &db_mariadb);
	ck_assert_ptr_null(db_engine_find("postgres", &err));
	ck_assert_msg(strstr(err, "unknown driver 'postgres'"), "%s", err);
	free(err);
	err = NULL;
	/* a connection names its driver: the message says which, and whose */
	c.driver = "oracle";
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_msg(strstr(err, "connection 'pg'") && strstr(err, "'oracle'"), "%s", err);
	ck_assert_int_eq(why, DB_ERR_OTHER);
	free(err);
}
END_TEST

/* a tiny table t (id, v) in a fresh database on d */
static char *
small_table(struct db *d, const char *tag, const char *name, const char *rows)
{
	char *db = fresh_db(d, tag);

	ck_assert_int_eq(db_execf(d, "USE `%s`", db), 0);
	ck_assert_int_eq(db_execf(d, "CREATE TABLE `%s` (id INT PRIMARY KEY, v VARCHAR(20))", name), 0);
	if (rows)
		ck_assert_int_eq(db_execf(d, "INSERT INTO `%s` VALUES %s", name, rows), 0);
	return db;
}

struct reader {
	struct db *d;
	atomic_int done;
	int reads, missing, other;
};

static void *
reader_run(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&r->done)) {
		char *v = NULL;

		if (db_value(r->d, &v, "SELECT COUNT(*) FROM t") < 0) {
			if (db_error_class(r->d) == DB_ERR_NO_TABLE)
				r->missing++;
			else
				r->other++;
		}
		r->reads++;
		free(v);
	}
	return NULL;
}

START_TEST(test_table_ops)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "ops", "t", "(1, 'one'), (2, 'two')"), *v = NULL, *a, *b;
	struct db_names have = { 0 };
	struct reader r = { 0 };
	pthread_t th;

	ck_assert(db_table_exists(d, "t"));
	ck_assert(!db_table_exists(d, "nope"));
	v = db_primary_key(d, "t");
	ck_assert_str_eq(v, "id");
	free(v);
	/* the stamp: added once, not listed among the data columns */
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_table_columns(d, "t", &have), 0);
	ck_assert_uint_eq(have.n, 2);
	ck_assert_str_eq(have.v[0], "id");
	ck_assert_str_eq(have.v[1], "v");
	ck_assert_int_eq(db_count_rows(d, "t"), 2);
	ck_assert_int_eq(db_count_rows(d, "nope"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);

	/* a content digest ignores row order, sees values; a checksum of nothing is "" */
	ck_assert_int_eq(db_create_like(d, "u", "t", false), 0);
	exec_ok(d, "INSERT INTO u (id, v) VALUES (2, 'two'), (1, 'one')");
	ck_assert_int_eq(db_digest(d, "t", &have, &a), 0);
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_eq(a, b);
	free(b);
	exec_ok(d, "UPDATE u SET v = 'One' WHERE id = 1");
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	ck_assert_int_eq(db_checksum(d, "nope", &a), 0);
	ck_assert_str_eq(a, "");
	free(a);

	/* swaps are atomic: a reader never finds the table missing, and no old table stays */
	r.d = tgt_db(name);
	ck_assert_int_eq(pthread_create(&th, NULL, reader_run, &r), 0);
	for (int i = 0; i < 30; i++) {
		ck_assert_int_eq(db_drop_table(d, "shadow", false), 0);
		ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
		ck_assert_int_eq(db_execf(d, "INSERT INTO shadow (id, v) VALUES (%d, 'x')", i), 0);
		ck_assert_msg(db_swap(d, "t", "shadow", "old_t") == 0, "%s", db_error(d));
		ck_assert(!db_table_exists(d, "shadow"));
		ck_assert(!db_table_exists(d, "old_t"));
	}
	atomic_store(&r.done, 1);
	pthread_join(th, NULL);
	ck_assert_int_gt(r.reads, 0);
	ck_assert_msg(r.missing == 0 && r.other == 0, "%d reads of %d found no table, %d failed",
	              r.missing, r.reads, r.other);
	assert_value(d, "SELECT CONCAT(COUNT(*), ':', MAX(id)) FROM t", "1:29");
	/* a swap also puts a shadow in place of a table that does not exist */
	ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
	ck_assert_int_eq(db_swap(d, "fresh", "shadow", "old_fresh"), 0);
	ck_assert(db_table_exists(d, "fresh") && !db_table_exists(d, "shadow"));

	/* temporary tables come and go */
	ck_assert_int_eq(db_create_like(d, "stage", "t", true), 0);
	ck_assert_int_eq(db_count_rows(d, "stage"), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_count_rows(d, "stage"), -1);

	db_names_release(&have);
	db_close(r.d);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_shapes_and_use)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "shape", "t", "(1, 'one')"), *other = fresh_db(d, "other"), *v;
	struct db_names qc = { 0 }, key = { 0 }, ix[2];
	char *k1[] = { "v" }, *k2[] = { "v", "n" };

	/* a table shaped like a query's result, keyed and indexed afterwards */
	ck_assert_int_eq(db_result_columns(d, "SELECT id AS n, v FROM t", &qc), 0);
	ck_assert_uint_eq(qc.n, 2);
	ck_assert_str_eq(qc.v[0], "n");
	ck_assert_int_eq(db_create_from_query(d, "q", "SELECT id AS n, v FROM t"), 0);
	ck_assert_int_eq(db_count_rows(d, "q"), 0);
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "");
	free(v);
	key.v = qc.v;
	key.n = 1;
	ck_assert_int_eq(db_add_primary_key(d, "q", &key), 0);
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "n");
	free(v);
	ix[0] = (struct db_names){ k1, 1 };
	ix[1] = (struct db_names){ k2, 2 };
	ck_assert_msg(db_add_indexes(d, "q", ix, 2) == 0, "%s", db_error(d));
	assert_value(d, "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics"
	                " WHERE table_schema = DATABASE() AND table_name = 'q'", "3");

	/* the default database changes, and a name that is not there is refused */
	ck_assert_int_eq(db_use(d, other), 0);
	ck_assert(!db_table_exists(d, "t"));
	ck_assert_int_eq(db_use(d, name), 0);
	ck_assert(db_table_exists(d, "t"));
	ck_assert_int_eq(db_use(d, "chk_no_such_db"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_ACCESS);

	db_names_release(&qc);
	db_execf(d, "DROP DATABASE `%s`", name);
	db_execf(d, "DROP DATABASE `%s`", other);
	free(name);
	free(other);
	db_close(d);
}
END_TEST

START_TEST(test_upsert_and_stamps)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "ups", "s", "(1, 'one'), (2, 'two'), (4, 'four'), (6, 'a')");
	struct db_names tc = { 0 }, key = { 0 };
	struct db_upsert u = { -1, -1 };
	long long kept = -1;

	ck_assert_int_eq(db_add_stamp(d, "s"), 0);
	exec_ok(d, "UPDATE s SET " DB_STAMP " = '2000-01-01'");
	ck_assert_int_eq(db_table_columns(d, "s", &tc), 0);
	/* one new row, two changed ('a' to 'A' is a change), one the same */
	ck_assert_msg(db_upsert(d, "s", &tc, "SELECT 1 AS id, 'one' AS v UNION ALL SELECT 2, 'deux'"
	                        " UNION ALL SELECT 5, 'five' UNION ALL SELECT 6, 'A'", &u) == 0, "%s",
	              db_error(d));
	ck_assert_int_eq(u.inserted, 1);
	ck_assert_int_eq(u.changed, 3);
	assert_value(d, "SELECT GROUP_CONCAT(CONCAT(id, v, " DB_STAMP " > '2000-01-01') ORDER BY id)"
	                " FROM s", "1one0,2deux1,4four0,5five1,6A1");

	/* unchanged rows of a shadow keep the live table's stamps */
	ck_assert_int_eq(db_create_like(d, "n", "s", false), 0);
	exec_ok(d, "INSERT INTO n (id, v) VALUES (1, 'one'), (2, 'zwei'), (7, 'seven')");
	key.v = tc.v;
	key.n = 1;
	ck_assert_int_eq(db_keep_stamps(d, "n", "s", &key, &tc, &kept), 0);
	ck_assert_int_eq(kept, 1);
	assert_value(d, "SELECT GROUP_CONCAT(CONCAT(id, " DB_STAMP " > '2000-01-01') ORDER BY id)"
	                " FROM n", "10,21,71");

	db_names_release(&tc);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_deletes_logged)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "del", "t", "(1, 'one'), (2, 'two'), (3, 'three')");
	struct db_names tc = { 0 }, key = { 0 };
	struct db_delete del = { .log = "dlog", .table = "t", .key = &key, .cols = &tc, .run_id = 7 };
	long long removed = -1;

	exec_ok(d, "CREATE TABLE dlog (id INT AUTO_INCREMENT PRIMARY KEY, target VARCHAR(64),"
	           " key_json TEXT, row_json TEXT, run_id BIGINT, deleted_at DATETIME(6))");
	ck_assert_int_eq(db_table_columns(d, "t", &tc), 0);
	key.v = tc.v;
	key.n = 1;
	/* what the need "up" deleted after the since literal goes here too */
	exec_ok(d, "INSERT INTO dlog (target, key_json, run_id, deleted_at) VALUES"
	           " ('up', '{\"id\": 1}', 1, '2024-01-02'), ('up', '{\"id\": 2}', 1, '2023-12-31'),"
	           " ('other', '{\"id\": 3}', 1, '2024-01-02')");
	ck_assert_msg(db_follow_deletes(d, &del, "up", "'2024-01-01'", &removed) == 0, "%s",
	              db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", "2,3");
	assert_value(d, "SELECT CONCAT(run_id, ' ', JSON_VALUE(key_json, '$.id'), ' ',"
	                " JSON_VALUE(row_json, '$.v')) FROM dlog WHERE target = 't'", "7 1 one");

	/* rows a stage flags as deleted go, from the table and from the stage */
	exec_ok(d, "CREATE TABLE stage (id INT PRIMARY KEY, v VARCHAR(20), gone INT)");
	exec_ok(d, "INSERT INTO stage VALUES (2, 'two', 1), (3, 'drei', 0), (9, 'nine', NULL)");
	ck_assert_msg(db_delete_flagged(d, &del, "stage", "gone", &removed) == 0, "%s", db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", "3");
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM stage", "3,9");
	assert_value(d, "SELECT COUNT(*) FROM dlog WHERE target = 't'", "2");

	db_names_release(&tc);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_locks_and_clock)
{
	struct db *a = tgt_db(NULL), *b = tgt_db(NULL);
	const char *names[] = { "chk/one", "chk/two" };
	bool used[2] = { true, true };
	char *now = NULL, *earlier = NULL;

	ck_assert_int_eq(db_locks_used(b, names, 2, used), 0);
	ck_assert(!used[0] && !used[1]);
	ck_assert_int_eq(db_lock(a, "chk/one", 0), 1);
	ck_assert_int_eq(db_lock(b, "chk/one", 0), 0);
	ck_assert_int_eq(db_locks_used(b, names, 2, used), 0);
	ck_assert(used[0] && !used[1]);
	ck_assert_int_eq(db_unlock(a, "chk/one"), 0);
	ck_assert_int_eq(db_lock(b, "chk/one", 1), 1);
	ck_assert_int_eq(db_unlock(b, "chk/one"), 0);

	ck_assert_int_eq(db_now(a, &now), 0);
	ck_assert_uint_eq(strlen(now), 26);
	ck_assert_int_eq(db_ts_minus(a, "2024-03-01 00:00:00", 86400.5, &earlier), 0);
	ck_assert_str_eq(earlier, "2024-02-28 23:59:59.500000");
	ck_assert_int_eq(db_ts_after(a, "2024-02-29 12:00:00", "2024-03-01", 86400), 1);
	ck_assert_int_eq(db_ts_after(a, "2024-02-27 12:00:00", "2024-03-01", 86400), 0);
	free(now);
	free(earlier);
	db_close(a);
	db_close(b);
}
END_TEST

START_TEST(test_error_classes)
{
	struct db *d = tgt_db(NULL), *weak;
	char *name = fresh_db(d, "cls"), *err = NULL;
	struct db_params c = mkconn("target", tgt_socket, NULL, NULL);
	enum db_err why = DB_ERR_NONE;

	ck_assert_int_eq(db_error_class(d), DB_ERR_NONE);
	ck_assert_int_eq(db_execf(d, "SELECT * FROM `%s`.nope", name), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	ck_assert_int_eq(db_exec(d, "SELEC 1"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_OTHER);

	/* a wrong password is refused for good; a server that is not there may come back */
	c.password = PASSWORD_WRONG;
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_ACCESS);
	free(err);
	c = mkconn("nowhere", "/nonexistent/mysqld.sock", NULL, NULL);
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_TRANSIENT);
	free(err);

	/* a user without a privilege is denied: not transient */
	exec_ok(d, "DROP USER IF EXISTS 'chk_ro'@'localhost'");
	exec_ok(d, "CREATE USER 'chk_ro'@'localhost' IDENTIFIED BY 'ro-pass'");
	ck_assert_int_eq(db_execf(d, "GRANT SELECT ON `%s`.* TO 'chk_ro'@'localhost'", name), 0);
	c = mkconn("weak", tgt_socket, NULL, name);
	c.user = "chk_ro";
	c.password = "ro-pass";
	weak = db_connect(&c, &err, NULL);
	ck_assert_msg(weak != NULL, "%s", err);
	ck_assert_int_eq(db_exec(weak, "CREATE TABLE t (x INT)"), -1);
	ck_assert_msg(db_error_class(weak) == DB_ERR_ACCESS, "%u %s", db_errno(weak), db_error(weak));
	ck_assert(!db_error_transient(weak));
	ck_assert_int_eq(db_check_privileges(weak, false, &err), -1);
	ck_assert_msg(strstr(err, "INSERT") && !strstr(err, "SELECT"), "%s", err);
	free(err);
	ck_assert_int_eq(db_check_privileges(d, true, &err), 0);
	db_close(weak);
	exec_ok(d, "DROP USER 'chk_ro'@'localhost'");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

/* db_prepare_check: the server parses and resolves, never runs; where a refusal points */
START_TEST(test_prepare_check)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "prep");
	struct db_prep p;

	ck_assert_int_eq(db_use(d, name), 0);
	exec_ok(d, "CREATE TABLE t (id INT PRIMARY KEY, label VARCHAR(20))");
	exec_ok(d, "INSERT INTO t VALUES (1, 'a')");

	/* accepted: the result's columns, and nothing run */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, label AS name FROM t", NULL, &p), 0);
	ck_assert_uint_eq(p.cols.n, 2);
	ck_assert_str_eq(p.cols.v[1], "name");
	ck_assert_ptr_null(p.table_ddl);
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "DELETE FROM t", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT COUNT(*) FROM t", "1");

	/* a syntax error: where, the line of the statement it is on */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id,\n  label\nFROM t WHER id = 1", NULL, &p), 1);
	ck_assert_uint_eq(db_errno(d), 1064);
	ck_assert_int_eq(p.line, 3);
	ck_assert_msg(strstr(db_error(d), "syntax error near 'id = 1'") == db_error(d), "%s",
	              db_error(d));
	ck_assert_ptr_null(strstr(db_error(d), "manual"));
	db_prep_release(&p);

	/* an unknown column and an unknown table: named, no line from the server */
	ck_assert_int_eq(db_prepare_check(d, "SELECT q.id, q.lable FROM t AS q", NULL, &p), 1);
	ck_assert_uint_eq(db_errno(d), 1054);
	ck_assert_int_eq(p.line, 0);
	ck_assert_str_eq(p.name, "q.lable");
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "SELECT * FROM nosuch", NULL, &p), 1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	ck_assert_msg(p.name && strstr(p.name, "nosuch"), "%s", p.name ? p.name : "(null)");
	db_prep_release(&p);

	/* as_table: a temporary empty table with the result's columns and the stamp */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, label FROM t", "later", &p), 0);
	ck_assert_ptr_nonnull(p.table_ddl);
	exec_ok(d, p.table_ddl);
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "SELECT label, " DB_STAMP " FROM later", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT COUNT(*) FROM later", "0");

	/* the connection goes on */
	assert_value(d, "SELECT 1 + 1", "2");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("mariadb");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_connect_error);
	tcase_add_test(tc, test_exec_query_value);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_kill_query);
	tcase_add_test(tc, test_lost_connection);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_same_server);
	tcase_add_test(tc, test_copy_all_types);
	tcase_add_test(tc, test_copy_expressions);
	tcase_add_test(tc, test_copy_big);
	tcase_add_test(tc, test_copy_failures);
	tcase_add_test(tc, test_engine_lookup);
	tcase_add_test(tc, test_table_ops);
	tcase_add_test(tc, test_shapes_and_use);
	tcase_add_test(tc, test_upsert_and_stamps);
	tcase_add_test(tc, test_deletes_logged);
	tcase_add_test(tc, test_locks_and_clock);
	tcase_add_test(tc, test_error_classes);
	tcase_add_test(tc, test_prepare_check);
	/* last: it turns LOAD DATA LOCAL off on the target while it runs */
	tcase_add_test(tc, test_copy_insert_fallback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	src_socket = getenv("CHACC_TEST_SRC_SOCKET");
	if (!src_socket || !*src_socket) {
		printf("check_db: CHACC_TEST_SRC_SOCKET is not set, skipping (run it through tests/run)\n");
		return 0;
	}
	src_port = getenv("CHACC_TEST_SRC_PORT");
	tgt_socket = getenv("CHACC_TEST_TGT_SOCKET");
	tgt_port = getenv("CHACC_TEST_TGT_PORT");
	user = getenv("CHACC_TEST_USER") ? getenv("CHACC_TEST_USER") : "chacc";
	password = getenv("CHACC_TEST_PASSWORD") ? getenv("CHACC_TEST_PASSWORD") : "chacc";
	if (!src_port || !tgt_socket || !tgt_port) {
		fprintf(stderr, "check_db: CHACC_TEST_SRC_PORT, CHACC_TEST_TGT_SOCKET and"
		                " CHACC_TEST_TGT_PORT must be set too\n");
		return 1;
	}
	rc = run_suite(db_suite());
	mysql_library_end();
	return rc;
}
