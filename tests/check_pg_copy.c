/*
 * check_pg_copy.c: copies between engines: MariaDB to PostgreSQL and back
 * with every type, PostgreSQL's own types, what cannot cross, big copies,
 * stops and failures
 */
#include "dbtest.h"
#include "pgtest.h"

/* the MariaDB columns, the PostgreSQL type each becomes, and how to compare it after the round trip */
static const struct {
	const char *name, *type, *pg, *cmp;
} cols[] = {
	{"ti", "TINYINT", "smallint", NULL},
	{"tiu", "TINYINT UNSIGNED", "smallint", NULL},
	{"si", "SMALLINT", "smallint", NULL},
	{"siu", "SMALLINT UNSIGNED", "integer", NULL},
	{"mi", "MEDIUMINT", "integer", NULL},
	{"miu", "MEDIUMINT UNSIGNED", "integer", NULL},
	{"i", "INT", "integer", NULL},
	{"iu", "INT UNSIGNED", "bigint", NULL},
	{"bi", "BIGINT", "bigint", NULL},
	{"biu", "BIGINT UNSIGNED", "numeric(20,0)", NULL},
	{"dec1", "DECIMAL(65,30)", "numeric(65,30)", NULL},
	{"dec2", "DECIMAL(10,2) UNSIGNED", "numeric(10,2)", NULL},
	{"f", "FLOAT", "real", "CAST(%s AS DOUBLE)"},
	{"d", "DOUBLE", "double precision", NULL},
	{"dt", "DATE", "date", "IF(YEAR(%1$s) = 0 OR MONTH(%1$s) = 0 OR DAY(%1$s) = 0, NULL, %1$s)"},
	{"tm", "TIME(6)", "interval(6)", NULL},
	{"dtm", "DATETIME(6)", "timestamp(6) without time zone",
	 "IF(YEAR(%1$s) = 0 OR MONTH(%1$s) = 0 OR DAY(%1$s) = 0, NULL, %1$s)"},
	{"ts", "TIMESTAMP(3) NULL", "timestamp(3) without time zone",
	 "IF(YEAR(%1$s) = 0 OR MONTH(%1$s) = 0 OR DAY(%1$s) = 0, NULL, %1$s)"},
	{"yr", "YEAR", "smallint", "%s + 0"},
	{"ch", "CHAR(10)", "character varying(10)", "HEX(%s)"},
	{"vc", "VARCHAR(300)", "character varying(300)", "HEX(%s)"},
	{"tx", "TEXT", "text", "HEX(%s)"},
	{"lt", "LONGTEXT", "text", "MD5(%s)"},
	{"bn", "BINARY(4)", "bytea", "HEX(%s)"},
	{"vb", "VARBINARY(300)", "bytea", "HEX(%s)"},
	{"bl", "BLOB", "bytea", "HEX(%s)"},
	{"js", "JSON", "jsonb", "JSON_COMPACT(%s)"},
	{"en", "ENUM('a','b c','\xC3\xBC')", "text", "HEX(%s)"},
	{"st", "SET('x','y','z')", "text", "HEX(%s)"},
	{"b1", "BIT(1)", "boolean", "%s + 0"},
	{"b5", "BIT(5)", "bit(5)", "HEX(%s)"},
	{"b64", "BIT(64)", "bit(64)", "HEX(%s)"},
	{"nn", "INT NOT NULL DEFAULT 7", "integer", NULL},
};

static const char *pg_socket;

/* the MariaDB table of every type, in database name on d */
static void
make_types(struct db *d, const char *name)
{
	struct buf b;

	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	buf_init(&b);
	buf_adds(&b, "CREATE TABLE types (id INT PRIMARY KEY");
	for (size_t i = 0; i < LEN(cols); i++)
		buf_addf(&b, ", `%s` %s", cols[i].name, cols[i].type);
	buf_adds(&b, ") CHARACTER SET utf8mb4");
	exec_ok(d, b.s);
	buf_release(&b);
	exec_ok(d, "SET SESSION time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION'");
	exec_ok(d, "INSERT INTO types VALUES (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0,"
	           " -9223372036854775808, 0,"
	           " -99999999999999999999999999999999999.999999999999999999999999999999, 0,"
	           " -3.40282346638528859811704183484516925440e+38, -1.7976931348623157e308,"
	           " '1000-01-01', '-838:59:59.000000', '1000-01-01 00:00:00.000000',"
	           " '1970-01-01 00:00:01.000', 1901, '', '', '', '', '', '', '', '[]', 'a', '',"
	           " b'0', b'0', b'0', -1)");
	exec_ok(d, "INSERT INTO types VALUES (2, 127, 255, 32767, 65535, 8388607, 16777215,"
	           " 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,"
	           " 99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99,"
	           " 3.40282346638528859811704183484516925440e+38, 1.7976931348623157e308,"
	           " '9999-12-31', '838:59:59.999999', '9999-12-31 23:59:59.999999',"
	           " '2038-01-19 03:14:07.999', 2155, 'abcdefghij', REPEAT('\xF0\x9F\x98\x80', 300),"
	           " 'tab\\there\\nnl\\\\back\\rcr \"q\" ''s', REPEAT('\xC3\xA9\\t', 100000),"
	           " UNHEX('00FF5C09'), UNHEX('000A0D5C4E00'), REPEAT(UNHEX('00010203FF'), 100),"
	           " '{\"a\": [1, 2.5, \"x\\\\ty\", null, true]}', '\xC3\xBC', 'x,z', b'1', b'10101',"
	           " 0xFFFFFFFFFFFFFFFF, 2147483647)");
	/* zero dates, a span past 24 hours, odd floats */
	exec_ok(d, "INSERT INTO types (id, f, d, dt, tm, dtm, ts, yr, b5, nn) VALUES"
	           " (3, 1e0/3, 1e0/3, '0000-00-00', '100:00:00.5', '0000-00-00 00:00:00',"
	           " '0000-00-00 00:00:00', 0, b'00011', 0),"
	           " (4, 1.17549435e-38, 4.9e-324, '2024-02-29', '-00:00:01', '2000-00-00 00:00:00', NULL,"
	           " 2024, NULL, 0), (5, 0.1, 0.1, '2000-01-00', '00:00:00', '2024-02-29 12:34:56.000001',"
	           " NULL, NULL, NULL, 0)");
	/* NULL in every nullable column, and strings COPY must not misread */
	exec_ok(d, "INSERT INTO types (id, ch, vc, tx, nn) VALUES (6, NULL, NULL, NULL, 0),"
	           " (7, '\\\\N', '\\\\.', 'NULL', 0), (8, 'x  ', '\\\\', '\\n', 0)");
	exec_ok(d, "SET SESSION sql_mode = DEFAULT");
}

/* one MD5 per row and column of table on d (MariaDB), in id order */
static char *
fingerprint(struct db *d, const char *table)
{
	struct buf q, out;
	struct dbres *r;

	buf_init(&q);
	buf_adds(&q, "SELECT id");
	for (size_t i = 0; i < LEN(cols); i++) {
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
		for (size_t i = 0; i <= LEN(cols); i++)
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
		ck_abort_msg("tables differ: source '%.*s', back '%.*s'", (int)strcspn(w, "\n"), w,
		             (int)strcspn(g, "\n"), g);
	}
}

/* create table on dst shaped like sql's result on src, and copy the rows; the rows copied */
static long long
copy_into(struct db *src, const char *sql, struct db *dst, const char *table)
{
	char *ddl = db_result_ddl(src, sql, dst, table);
	struct db *side = NULL;
	long long rows = -1;

	ck_assert_msg(ddl != NULL, "%s", db_error(src));
	ck_assert_msg(db_exec(dst, ddl) == 0, "%s: %s", ddl, db_error(dst));
	free(ddl);
	ck_assert_msg(db_copy(src, sql, dst, table, &rows, NULL, NULL, &side) == 0, "%s: %s",
	              side ? db_conn_name(side) : "?", side ? db_error(side) : "?");
	return rows;
}

static struct db *
pg_db(const char *database)
{
	struct db_params c;

	return pg_connect_to(&c, database, NULL);
}

START_TEST(test_types_round_trip)
{
	struct db *m = src_db(NULL), *back = tgt_db(NULL), *pg;
	char *sname = fresh_db(m, "types"), *bname = fresh_db(back, "types"), *want, *got;
	struct buf b;

	pg_fresh_database("chk_pgcopy_types");
	pg = pg_db("chk_pgcopy_types");
	make_types(m, sname);
	ck_assert_int_eq(db_execf(back, "USE `%s`", bname), 0);
	ck_assert_int_eq(copy_into(m, "SELECT * FROM types", pg, "types"), 8);

	/* the PostgreSQL types */
	buf_init(&b);
	buf_adds(&b, "id integer");
	for (size_t i = 0; i < LEN(cols); i++)
		buf_addf(&b, ",%s %s", cols[i].name, cols[i].pg);
	assert_value(pg, "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ','"
	                 " ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'types'::regclass"
	                 " AND attnum > 0", b.s);
	buf_release(&b);
	assert_value(pg, "SELECT attnotnull::text FROM pg_attribute WHERE attrelid = 'types'::regclass"
	                 " AND attname = 'nn'", "true");
	/* the values as PostgreSQL reads them */
	assert_value(pg, "SELECT concat_ws('|', biu, tiu, iu, dec2, tm, b1::text, b5, b64, encode(bn, 'hex'),"
	                 " js->'a'->>2, yr, ts) FROM types WHERE id = 2",
	             "18446744073709551615|255|4294967295|99999999.99|838:59:59.999999|true|10101|"
	             "1111111111111111111111111111111111111111111111111111111111111111|00ff5c09|x\ty|"
	             "2155|2038-01-19 03:14:07.999");
	assert_value(pg, "SELECT concat_ws('|', (tx = E'tab\\there\\nnl\\\\back\\rcr \"q\" ''s')::text,"
	                 " length(vc), length(lt), encode(vb, 'hex'), st, en) FROM types WHERE id = 2",
	             "true|300|200000|000a0d5c4e00|x,z|\xC3\xBC");
	assert_value(pg, "SELECT concat_ws('|', dt IS NULL, dtm IS NULL, ts IS NULL, tm, yr, b5,"
	                 " f = real '0.33333334', d = 1::float8 / 3) FROM types WHERE id = 3",
	             "t|t|t|100:00:00.5|0|00011|t|t");
	assert_value(pg, "SELECT concat_ws('|', dt IS NULL, dtm, tm, f::text, d::text)"
	                 " FROM types WHERE id = 5", "t|2024-02-29 12:34:56.000001|00:00:00|0.1|0.1");
	assert_value(pg, "SELECT concat_ws('|', ch, vc, tx) FROM types WHERE id = 7", "\\N|\\.|NULL");
	assert_value(pg, "SELECT count(*) FROM types WHERE ch IS NULL AND vc IS NULL AND tx IS NULL"
	                 " AND b1 IS NULL AND js IS NULL", "4");

	/* and back: every value as it was, zero dates NULL */
	ck_assert_int_eq(copy_into(pg, "SELECT * FROM types", back, "types"), 8);
	want = fingerprint(m, "types");
	got = fingerprint(back, "types");
	assert_same(want, got);
	free(want);
	free(got);
	assert_value(back, "SELECT CONCAT_WS('|', tm, tiu, b1, yr) FROM types WHERE id = 1",
	             "-838:59:59.000000|0|0|1901");

	db_execf(m, "DROP DATABASE `%s`", sname);
	db_execf(back, "DROP DATABASE `%s`", bname);
	free(sname);
	free(bname);
	db_close(pg);
	db_close(m);
	db_close(back);
}
END_TEST

/* the COLUMN_TYPE of each column of table on MariaDB d, comma-separated */
static char *
column_types(struct db *d, const char *table)
{
	char *q = xasprintf("SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ' ', COLUMN_TYPE) ORDER BY"
	                    " ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
	                    " DATABASE() AND TABLE_NAME = '%s'", table);
	char *v = value(d, q);

	free(q);
	return v;
}

START_TEST(test_postgres_types)
{
	struct db *m = tgt_db(NULL), *pg;
	char *name = fresh_db(m, "pgtypes"), *types;
	struct db *side = NULL;
	char *ddl;

	pg_fresh_database("chk_pgcopy_pgtypes");
	pg = pg_db("chk_pgcopy_pgtypes");
	ck_assert_int_eq(db_execf(m, "USE `%s`", name), 0);
	exec_ok(pg, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'it''s fine')");
	exec_ok(pg, "CREATE DOMAIN short_text AS varchar(5)");
	exec_ok(pg, "CREATE TABLE p (id int PRIMARY KEY, b boolean, u uuid, j jsonb, jt json,"
	            " tz timestamptz(3), ba bytea, n numeric(20,5), na numeric, r real,"
	            " dp double precision, s smallint, bg bigint, vc varchar(20), c char(3), t text,"
	            " d date, tm time(3), tsn timestamp, iv interval, bt bit(3), vb varbit(10),"
	            " mo mood, ip inet, dom short_text)");
	exec_ok(pg, "SET TimeZone TO 'Europe/Paris'");
	exec_ok(pg, "INSERT INTO p VALUES (1, true, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
	            " '{\"k\": [1, \"v\\tw\"]}', '{\"a\" : 1}', '2024-07-01 12:00:00.123+02',"
	            " '\\x00ff005c0a'::bytea, 123456789012345.12345, 1.0000000001, 0.1, 0.1, -32768,"
	            " 9223372036854775807, E'a\\tb\\nc\\\\d', 'xy', E'caf\\u00e9 \\u65e5 \"\\'',"
	            " '2024-02-29', '23:59:59.999', '2024-01-01 00:00:00.5', '1 day 02:03:04.5',"
	            " B'101', B'1', 'it''s fine', '10.0.0.1/8', 'abc'),"
	            " (2, false, NULL, 'null', '[]', '1970-01-01 00:00:00Z', ''::bytea, -0.00001, -5,"
	            " 1.5, 1e300, 0, -1, '', 'a', '', '0001-01-01', '00:00:00',"
	            " '1000-01-01 00:00:00', '-5 hours', B'000', B'', 'sad', '::1', ''),"
	            " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	            " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
	exec_ok(pg, "RESET TimeZone");
	ck_assert_int_eq(copy_into(pg, "SELECT * FROM p", m, "p"), 3);
	types = column_types(m, "p");
	ck_assert_str_eq(types, "id int(11),b tinyint(1),u char(36),j longtext,jt longtext,tz datetime(3),"
	                        "ba longblob,n decimal(20,5),na decimal(65,30),r float,dp double,"
	                        "s smallint(6),bg bigint(20),vc varchar(20),c char(3),t longtext,"
	                        "d date,tm time(3),tsn datetime(6),iv time(6),bt bit(3),vb bit(10),"
	                        "mo enum('sad','ok','it''s fine'),ip longtext,dom varchar(5)");
	free(types);
	assert_value(m, "SELECT CONCAT_WS('|', b, u, j, jt, tz, HEX(ba), n, na, r, dp, s, bg, HEX(vc),"
	                " c, HEX(t), d, tm, tsn, iv, bt + 0, vb + 0, mo, ip, dom) FROM p WHERE id = 1",
	             "1|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"k\": [1, \"v\\tw\"]}|{\"a\" : 1}|"
	             "2024-07-01 10:00:00.123|00FF005C0A|123456789012345.12345|"
	             "1.000000000100000000000000000000|0.1|0.1|-32768|9223372036854775807|"
	             "6109620A635C64|xy|636166C3A920E697A5202227|2024-02-29|23:59:59.999|"
	             "2024-01-01 00:00:00.500000|26:03:04.500000|5|1|it's fine|10.0.0.1/8|abc");
	assert_value(m, "SELECT CONCAT_WS('|', b, u IS NULL, j, jt, tz, HEX(ba), n, na, r, dp, vc, c,"
	                " t, d, tm, iv, bt + 0, vb + 0, mo, ip, dom) FROM p WHERE id = 2",
	             "0|1|null|[]|1970-01-01 00:00:00.000||-0.00001|-5.000000000000000000000000000000|"
	             "1.5|1e300||a||0001-01-01|00:00:00.000|-05:00:00.000000|0|0|sad|::1|");
	assert_value(m, "SELECT COUNT(*) FROM p WHERE id = 3 AND COALESCE(b, u, j, jt, tz, ba, n, na,"
	                " r, dp, s, bg, vc, c, t, d, tm, tsn, iv, bt, vb, mo, ip, dom) IS NULL", "1");

	/* an extension's string type */
	exec_ok(pg, "CREATE EXTENSION IF NOT EXISTS citext");
	exec_ok(pg, "CREATE TABLE ci AS SELECT 'AbC'::citext AS c");
	ck_assert_int_eq(copy_into(pg, "SELECT c FROM ci", m, "ci"), 1);
	types = column_types(m, "ci");
	ck_assert_str_eq(types, "c longtext");
	free(types);
	assert_value(m, "SELECT c FROM ci", "AbC");

	/* what MariaDB has no type for: named with its column and connection */
	exec_ok(pg, "CREATE TABLE arr (id int, tags text[], span int4range)");
	ck_assert_ptr_null(db_result_ddl(pg, "SELECT id, tags FROM arr", m, "arr"));
	ck_assert_msg(strstr(db_error(pg), "column 'tags' has type text[]") &&
	              strstr(db_error(pg), "connection 'pgtest'") &&
	              strstr(db_error(pg), "connection 'target'"), "%s", db_error(pg));
	ck_assert_ptr_null(db_result_ddl(pg, "SELECT span FROM arr", m, "arr"));
	ck_assert_msg(strstr(db_error(pg), "'span' has type int4range"), "%s", db_error(pg));
	/* an interval past MariaDB's TIME: the copy fails naming the column */
	exec_ok(m, "CREATE TABLE spans (iv TIME)");
	ck_assert_int_eq(db_copy(pg, "SELECT interval '900 hours' AS iv", m, "spans", &(long long){0},
	                         NULL, NULL, &side), -1);
	ck_assert_ptr_eq(side, m);
	ck_assert_msg(strstr(db_error(m), "iv"), "%s", db_error(m));
	assert_value(pg, "SELECT 'source usable'", "source usable");
	assert_value(pg, "SHOW IntervalStyle", "postgres");

	/* and the other way: MariaDB's GEOMETRY */
	exec_ok(m, "CREATE TABLE geo (id INT, g POINT)");
	ddl = db_result_ddl(m, "SELECT id, g FROM geo", pg, "geo");
	ck_assert_ptr_null(ddl);
	ck_assert_msg(strstr(db_error(m), "column 'g' has type point") &&
	              strstr(db_error(m), "PostgreSQL has no type") &&
	              strstr(db_error(m), "connection 'target'"), "%s", db_error(m));

	db_execf(m, "DROP DATABASE `%s`", name);
	free(name);
	db_close(pg);
	db_close(m);
}
END_TEST

static int
stop_progress(void *arg, long long rows)
{
	return 1;
}

/* "count md5" of the rows of (id, label, x) in id order */
static char *
digest(struct db *d, bool pg, const char *table)
{
	char *v = NULL;

	if (pg)
		ck_assert_int_ge(db_value(d, &v, "SELECT count(*) || ' ' || md5(string_agg(id || ':' ||"
		                            " label || ':' || x, ',' ORDER BY id)) FROM %s", table), 0);
	else {
		exec_ok(d, "SET SESSION group_concat_max_len = 100000000");
		ck_assert_int_ge(db_value(d, &v, "SELECT CONCAT(COUNT(*), ' ', MD5(GROUP_CONCAT(id, ':',"
		                            " label, ':', x ORDER BY id SEPARATOR ','))) FROM %s", table),
		                 0);
	}
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(test_big_copies)
{
	struct db *m = src_db(NULL), *back = tgt_db(NULL), *pg, *pg2, *side = NULL;
	char *sname = fresh_db(m, "big"), *bname = fresh_db(back, "big"), *want, *got;
	const char *sql = "SELECT seq AS id, CONCAT('row\\t', seq, '\\\\') AS label, seq * 1.5 AS x"
	                  " FROM seq_1_to_200000";
	long long rows = 0;

	pg_fresh_database("chk_pgcopy_big");
	pg_fresh_database("chk_pgcopy_big2");
	pg = pg_db("chk_pgcopy_big");
	pg2 = pg_db("chk_pgcopy_big2");
	ck_assert_int_eq(db_execf(m, "USE `%s`", sname), 0);
	ck_assert_int_eq(db_execf(back, "USE `%s`", bname), 0);
	exec_ok(m, "CREATE TABLE big AS SELECT seq AS id, CONCAT('row\\t', seq, '\\\\') AS label,"
	           " seq * 1.5 AS x FROM seq_1_to_200000");
	want = digest(m, false, "big");

	/* MariaDB to PostgreSQL, to another PostgreSQL database, and back to MariaDB */
	ck_assert_int_eq(copy_into(m, sql, pg, "big"), 200000);
	got = digest(pg, true, "big");
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert(!db_same_server(pg, pg2));
	ck_assert_int_eq(copy_into(pg, "SELECT * FROM big", pg2, "big"), 200000);
	got = digest(pg2, true, "big");
	ck_assert_str_eq(got, want);
	free(got);
	ck_assert_int_eq(copy_into(pg2, "SELECT * FROM big;", back, "big"), 200000);
	got = digest(back, false, "big");
	ck_assert_str_eq(got, want);
	free(got);

	/* a progress callback stops each kind of copy, and both sides stay usable */
	ck_assert_int_eq(db_copy(m, sql, pg, "big", &rows, stop_progress, NULL, &side), -1);
	ck_assert_ptr_eq(side, pg);
	ck_assert_int_eq(rows, 10000);
	ck_assert_msg(db_error_killed(pg) && strstr(db_error(pg), "copy stopped"), "%s",
	              db_error(pg));
	ck_assert_int_eq(db_copy(pg, "SELECT * FROM big", back, "big", &rows, stop_progress, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, back);
	ck_assert_int_eq(rows, 10000);
	ck_assert(db_error_killed(back));
	ck_assert_int_eq(db_copy(pg, "SELECT * FROM big", pg2, "big", &rows, stop_progress, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, pg2);
	ck_assert(db_error_killed(pg2));
	assert_value(m, "SELECT COUNT(*) FROM big", "200000");
	assert_value(pg, "SELECT count(*) FROM big", "200000");
	assert_value(pg2, "SELECT count(*) FROM big", "200000");
	/* (LOAD DATA keeps what it read before the stop: a build loads a shadow table) */
	assert_value(back, "SELECT 'target usable'", "target usable");
	free(want);

	db_execf(m, "DROP DATABASE `%s`", sname);
	db_execf(back, "DROP DATABASE `%s`", bname);
	free(sname);
	free(bname);
	db_close(pg);
	db_close(pg2);
	db_close(m);
	db_close(back);
}
END_TEST

START_TEST(test_copy_failures)
{
	struct db *m = src_db(NULL), *pg, *side = NULL;
	char *name = fresh_db(m, "fail");
	long long rows = 0;

	pg_fresh_database("chk_pgcopy_fail");
	pg = pg_db("chk_pgcopy_fail");
	ck_assert_int_eq(db_execf(m, "USE `%s`", name), 0);
	exec_ok(m, "CREATE TABLE long_values (id INT, v VARCHAR(300))");
	exec_ok(m, "INSERT INTO long_values VALUES (1, 'short'), (2, REPEAT('x', 300))");
	exec_ok(pg, "CREATE TABLE narrow (id int, v varchar(10))");

	/* a value that does not fit: the target's error names the column */
	ck_assert_int_eq(db_copy(m, "SELECT id, v FROM long_values", pg, "narrow", &rows, NULL, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, pg);
	ck_assert_msg(strstr(db_error(pg), "column v"), "%s", db_error(pg));
	assert_value(pg, "SELECT count(*) FROM narrow", "0");
	assert_value(m, "SELECT 'source usable'", "source usable");

	/* a bad source query fails on the source; a missing table on the target */
	ck_assert_int_eq(db_copy(m, "SELECT nope FROM long_values", pg, "narrow", &rows, NULL, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, m);
	ck_assert_msg(strstr(db_error(m), "nope"), "%s", db_error(m));
	ck_assert_int_eq(db_copy(m, "SELECT id FROM long_values", pg, "missing", &rows, NULL, NULL,
	                         &side), -1);
	ck_assert_ptr_eq(side, pg);
	ck_assert_int_eq(db_error_class(pg), DB_ERR_NO_TABLE);
	ck_assert_int_eq(db_copy(pg, "SELECT nope", m, "long_values", &rows, NULL, NULL, &side), -1);
	ck_assert_ptr_eq(side, pg);
	ck_assert_msg(strstr(db_error(pg), "nope"), "%s", db_error(pg));
	assert_value(pg, "SELECT 'target usable'", "target usable");
	assert_value(m, "SELECT 'source usable'", "source usable");

	db_execf(m, "DROP DATABASE `%s`", name);
	free(name);
	db_close(pg);
	db_close(m);
}
END_TEST

static Suite *
pg_copy_suite(void)
{
	Suite *s = suite_create("pg_copy");
	TCase *tc = tcase_create("across");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_types_round_trip);
	tcase_add_test(tc, test_postgres_types);
	tcase_add_test(tc, test_big_copies);
	tcase_add_test(tc, test_copy_failures);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if ((rc = dbtest_setup("check_pg_copy")) != 0)
		return rc < 0 ? 0 : 1;
	pg_socket = getenv("CHACC_TEST_PG_SOCKET");
	if (!pg_socket || !*pg_socket) {
		printf("check_pg_copy: CHACC_TEST_PG_SOCKET is not set, skipping\n");
		return 0;
	}
	rc = run_suite(pg_copy_suite());
	mysql_library_end();
	return rc;
}
