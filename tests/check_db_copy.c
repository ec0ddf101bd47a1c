/* check_db_copy.c: the MariaDB driver's copies between servers: every type, big tables, failures */
#include "dbtest.h"

#define BIG_VALUE (5 * 1024 * 1024)

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

	ddl = db_result_ddl(s, "SELECT * FROM types;\n", t, "types");
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
	ddl = db_result_ddl(s, sql, t, "agg");
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
	ddl = db_result_ddl(s, "SELECT v FROM one", t, "one");
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
	ddl = db_result_ddl(s, "SELECT * FROM wide", t, "wide");
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
	ddl = db_result_ddl(s, sql, t, "big");
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

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db_copy");
	TCase *tc = tcase_create("mariadb");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_copy_all_types);
	tcase_add_test(tc, test_copy_expressions);
	tcase_add_test(tc, test_copy_big);
	tcase_add_test(tc, test_copy_failures);
	/* last: it turns LOAD DATA LOCAL off on the target while it runs */
	tcase_add_test(tc, test_copy_insert_fallback);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if ((rc = dbtest_setup("check_db_copy")) != 0)
		return rc < 0 ? 0 : 1;
	rc = run_suite(db_suite());
	mysql_library_end();
	return rc;
}
