/*
 * check_profile.c: profiles of a table on MariaDB and PostgreSQL, checked
 * against figures this suite computes itself from the rows it inserts; the
 * JSON form and its round trip; drift between two profiles
 */
#include <math.h>

#include "dbtest.h"
#include "pgtest.h"
#include "profile.h"

#define NROWS 50
#define NCOLS 8

static const char *const engines[] = { "mariadb", "postgres" };
static const char *const statuses[] = { "closed", "done", "new", "open" }; /* in text order */

/* a column of the known table: its values in units the suite can count with */
struct known {
	const char *name;
	long long v[NROWS];
	bool null[NROWS];
	bool minmax, mean, hist, top;
	char *(*text)(long long v, bool pg);
};

static char *
text_int(long long v, bool pg)
{
	return xasprintf("%lld", v);
}

static char *
text_cents(long long v, bool pg)
{
	return xasprintf("%lld.%02lld", v / 100, v % 100);
}

static char *
text_status(long long v, bool pg)
{
	return xstrdup(statuses[v]);
}

static char *
text_secs(long long v, bool pg)
{
	time_t t = (time_t)v;
	struct tm tm;

	gmtime_r(&t, &tm);
	return xasprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static char *
text_day(long long v, bool pg)
{
	char *s = text_secs(v * 86400, pg);

	s[10] = '\0';
	return s;
}

static char *
text_flag(long long v, bool pg)
{
	return pg ? xstrdup(v ? "true" : "false") : xasprintf("%lld", v);
}

/* 2024-01-01 as days since 1970-01-01, and 2024-03-01 00:00 in seconds */
#define DAY0 19723LL
#define AT0 1709251200LL

/* the rows of the known table, column by column (id is 1..50) */
static void
known_cols(struct known *k, bool pg)
{
	memset(k, 0, sizeof(*k) * NCOLS);
	k[0] = (struct known){ .name = "id", .minmax = true, .mean = true, .hist = true, .top = true,
	                       .text = text_int };
	k[1] = (struct known){ .name = "n", .minmax = true, .mean = true, .hist = true, .top = true,
	                       .text = text_int };
	k[2] = (struct known){ .name = "grp", .minmax = true, .mean = true, .hist = true, .top = true,
	                       .text = text_int };
	k[3] = (struct known){ .name = "amount", .minmax = true, .mean = true, .hist = true, .top = true,
	                       .text = text_cents };
	k[4] = (struct known){ .name = "status", .minmax = true, .top = true, .text = text_status };
	k[5] = (struct known){ .name = "day", .minmax = true, .hist = true, .top = true,
	                       .text = text_day };
	k[6] = (struct known){ .name = "at", .minmax = true, .hist = true, .top = true,
	                       .text = text_secs };
	/* BOOLEAN is TINYINT(1) on MariaDB: a number there */
	k[7] = (struct known){ .name = "flag", .minmax = !pg, .mean = !pg, .hist = !pg, .top = true,
	                       .text = text_flag };
	for (int r = 0; r < NROWS; r++) {
		long long i = r + 1;

		k[0].v[r] = i;
		k[1].v[r] = i * 37 % 101, k[1].null[r] = i % 7 == 0;
		k[2].v[r] = i * i % 7, k[2].null[r] = i % 5 == 0;
		k[3].v[r] = i * 1234 % 10000, k[3].null[r] = i % 10 == 3;
		k[4].v[r] = i % 10 <= 3 ? 3 : i % 10 <= 6 ? 1 : i % 10 == 7 ? 2 : 0;
		k[4].null[r] = i % 10 == 9;
		k[5].v[r] = DAY0 + i * 13 % 60, k[5].null[r] = i % 9 == 0;
		k[6].v[r] = AT0 + i * (7 * 3600 + 61), k[6].null[r] = i % 11 == 0;
		k[7].v[r] = i % 3 == 0, k[7].null[r] = i % 13 == 0;
	}
}

/* the literal of row r of column k for an INSERT */
static char *
literal(const struct known *k, int r, bool pg)
{
	char *t, *s;

	if (k->null[r])
		return xstrdup("NULL");
	if (k->text == text_flag)
		return xstrdup(k->v[r] ? "TRUE" : "FALSE");
	t = k->text(k->v[r], pg);
	s = k->text == text_int || k->text == text_cents ? xstrdup(t) : xasprintf("'%s'", t);
	free(t);
	return s;
}

/* a connection to a fresh database of the engine, named after tag */
static struct db *
fresh(bool pg, const char *tag)
{
	struct db *d;

	if (pg) {
		struct db_params c;
		char *name = xasprintf("chkprofile_%s", tag);

		pg_fresh_database(name);
		d = pg_connect_to(&c, name, NULL);
		free(name);
	} else {
		char *name;

		d = tgt_db(NULL);
		name = fresh_db(d, tag);
		ck_assert_int_eq(db_use(d, name), 0);
		free(name);
	}
	return d;
}

/* the known table t (and an empty copy e, with the change stamp too) */
static void
known_table(struct db *d, bool pg, const struct known *k)
{
	struct buf q;

	exec_ok(d, pg ? "CREATE TABLE t (id INT PRIMARY KEY, n INT, grp SMALLINT,"
	                " amount DECIMAL(8,2), status VARCHAR(10), day DATE, at TIMESTAMP, flag BOOLEAN)"
	              : "CREATE TABLE t (id INT PRIMARY KEY, n INT, grp SMALLINT,"
	                " amount DECIMAL(8,2), status VARCHAR(10), day DATE, at DATETIME, flag BOOLEAN)");
	buf_init(&q);
	buf_adds(&q, "INSERT INTO t VALUES ");
	for (int r = 0; r < NROWS; r++) {
		buf_adds(&q, r ? ", (" : "(");
		for (int c = 0; c < NCOLS; c++) {
			char *l = literal(&k[c], r, pg);

			buf_addf(&q, "%s%s", c ? ", " : "", l);
			free(l);
		}
		buf_addc(&q, ')');
	}
	exec_ok(d, q.s);
	buf_release(&q);
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_create_like(d, "e", "t", false), 0);
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* the figures of column k, computed here, against the profile's column c */
static void
assert_col(const struct known *k, const struct profile_col *c, bool pg)
{
	long long vals[NROWS], uniq[NROWS], count[NROWS], nonnull = 0, nuniq = 0, sum = 0;
	long long hist[PROFILE_BUCKETS] = { 0 }, lo, hi;
	size_t ntop = 0;
	char *s;

	for (int r = 0; r < NROWS; r++)
		if (!k->null[r])
			vals[nonnull++] = k->v[r], sum += k->v[r];
	qsort(vals, (size_t)nonnull, sizeof(*vals), cmp_ll);
	for (long long i = 0; i < nonnull; i++) {
		if (!nuniq || uniq[nuniq - 1] != vals[i]) {
			uniq[nuniq] = vals[i];
			count[nuniq++] = 0;
		}
		count[nuniq - 1]++;
	}
	ck_assert_str_eq(c->name, k->name);
	ck_assert_int_eq(c->nulls, NROWS - nonnull);
	ck_assert_msg(fabs(c->null_fraction - (double)(NROWS - nonnull) / NROWS) < 1e-12, "%s: %g",
	              k->name, c->null_fraction);
	ck_assert_int_eq(c->distinct, nuniq);
	ck_assert(!c->distinct_approx);
	lo = vals[0], hi = vals[nonnull - 1];
	if (k->minmax) {
		s = k->text(lo, pg);
		ck_assert_msg(c->min && strcmp(c->min, s) == 0, "%s: min %s, want %s", k->name, c->min, s);
		free(s);
		s = k->text(hi, pg);
		ck_assert_msg(c->max && strcmp(c->max, s) == 0, "%s: max %s, want %s", k->name, c->max, s);
		free(s);
	} else {
		ck_assert_ptr_null(c->min);
		ck_assert_ptr_null(c->max);
	}
	ck_assert_int_eq(c->has_mean, k->mean);
	if (k->mean) {
		double want = (double)sum / (double)nonnull / (k->text == text_cents ? 100 : 1);

		ck_assert_msg(fabs(c->mean - want) < 1e-9, "%s: mean %.12g, want %.12g", k->name, c->mean,
		              want);
	}
	/* the most common values: by count, then by value; none when every value differs */
	for (bool taken[NROWS] = { false }; (nuniq < nonnull || nonnull <= PROFILE_TOP) &&
	     ntop < PROFILE_TOP && ntop < (size_t)nuniq; ntop++) {
		long long best = -1;

		for (long long u = 0; u < nuniq; u++)
			if (!taken[u] && (best < 0 || count[u] > count[best]))
				best = u;
		taken[best] = true;
		ck_assert_uint_gt(c->ntop, ntop);
		s = k->text(uniq[best], pg);
		ck_assert_msg(strcmp(c->top[ntop].value, s) == 0 && c->top[ntop].count == count[best],
		              "%s: top %zu is '%s' %lld, want '%s' %lld", k->name, ntop,
		              c->top[ntop].value, c->top[ntop].count, s, count[best]);
		free(s);
	}
	ck_assert_uint_eq(c->ntop, ntop);
	/* value v is in bucket b when v >= lo + b * (hi - lo) / 20 (exact, in whole numbers) */
	ck_assert_int_eq(c->has_hist, k->hist);
	if (!k->hist)
		return;
	for (long long i = 0; i < nonnull; i++) {
		int b = 0;

		while (b < PROFILE_BUCKETS - 1 && vals[i] * 20 >= lo * 20 + (b + 1) * (hi - lo))
			b++;
		hist[b]++;
	}
	ck_assert_int_gt(hist[0], 0);
	ck_assert_int_gt(hist[PROFILE_BUCKETS - 1], 0);
	for (int b = 0; b < PROFILE_BUCKETS; b++)
		ck_assert_msg(c->hist[b] == hist[b], "%s: bucket %d holds %lld, want %lld", k->name, b,
		              c->hist[b], hist[b]);
}

static void
assert_known(const struct profile *p, const struct known *k, bool pg)
{
	static const char *const types[] = { "int", "int", "int", "decimal", "string", "date",
	                                     "datetime", "bool" };

	ck_assert_str_eq(p->table, "t");
	ck_assert_int_eq(p->rows, NROWS);
	ck_assert_uint_eq(p->ncols, NCOLS); /* not the change stamp */
	for (int i = 0; i < NCOLS; i++) {
		const char *type = i == 7 && !pg ? "int" : types[i];

		ck_assert_msg(strcmp(p->cols[i].type, type) == 0, "%s: type %s", k[i].name,
		              p->cols[i].type);
		assert_col(&k[i], &p->cols[i], pg);
	}
}

/* every figure of the known table, against this suite's own arithmetic */
START_TEST(test_known_table)
{
	bool pg = _i == 1;
	struct known k[NCOLS];
	struct db *d = fresh(pg, "known");
	struct profile p;
	long long sum = 0;

	known_cols(k, pg);
	known_table(d, pg, k);
	ck_assert_msg(profile_table(d, "t", &p) == 0, "%s: %s", engines[_i], db_error(d));
	assert_known(&p, k, pg);
	/* a few figures by hand: status has 5 NULLs, open most (20), closed and new tie at 5 */
	ck_assert_int_eq(p.cols[4].nulls, 5);
	ck_assert_str_eq(p.cols[4].top[0].value, "open");
	ck_assert_int_eq(p.cols[4].top[0].count, 20);
	ck_assert_str_eq(p.cols[4].top[2].value, "closed");
	ck_assert_str_eq(p.cols[4].top[3].value, "new");
	/* id 1..50: 1 to 3 in the first bucket (below 1 + 49/20), 48 to 50 in the last */
	ck_assert_int_eq(p.cols[0].hist[0], 3);
	ck_assert_int_eq(p.cols[0].hist[PROFILE_BUCKETS - 1], 3);
	for (int b = 0; b < PROFILE_BUCKETS; b++)
		sum += p.cols[0].hist[b];
	ck_assert_int_eq(sum, NROWS);
	ck_assert_int_eq(p.cols[0].ntop, 0);
	profile_clear(&p);
	db_close(d);
}
END_TEST

/* an empty table: counts of zero, no minimum, mean or histogram */
START_TEST(test_empty_table)
{
	bool pg = _i == 1;
	struct known k[NCOLS];
	struct db *d = fresh(pg, "empty");
	struct profile p;
	char *json;

	known_cols(k, pg);
	known_table(d, pg, k);
	ck_assert_msg(profile_table(d, "e", &p) == 0, "%s: %s", engines[_i], db_error(d));
	ck_assert_int_eq(p.rows, 0);
	ck_assert_uint_eq(p.ncols, NCOLS);
	for (int i = 0; i < NCOLS; i++) {
		const struct profile_col *c = &p.cols[i];

		ck_assert_str_eq(c->name, k[i].name);
		ck_assert_int_eq(c->nulls, 0);
		ck_assert(c->null_fraction == 0);
		ck_assert_int_eq(c->distinct, 0);
		ck_assert_ptr_null(c->min);
		ck_assert_ptr_null(c->max);
		ck_assert(!c->has_mean && !c->has_hist && c->ntop == 0);
	}
	json = profile_to_json(&p);
	ck_assert_msg(strstr(json, "\"rows\":0") && !strstr(json, "histogram") &&
	              !strstr(json, "mean") && strstr(json, "\"min\":null"), "%s", json);
	free(json);
	profile_clear(&p);
	/* no such table: an error */
	ck_assert_int_eq(profile_table(d, "nope", &p), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	db_close(d);
}
END_TEST

/* one value: every row in the first bucket; a table of all NULLs: no histogram */
START_TEST(test_one_value)
{
	bool pg = _i == 1;
	struct db *d = fresh(pg, "one");
	struct profile p;

	exec_ok(d, "CREATE TABLE o (x INT, y DATE, z INT)");
	exec_ok(d, "INSERT INTO o VALUES (7, '2024-05-01', NULL), (7, '2024-05-01', NULL),"
	           " (NULL, NULL, NULL)");
	ck_assert_msg(profile_table(d, "o", &p) == 0, "%s", db_error(d));
	ck_assert(p.cols[0].has_hist && p.cols[0].hist[0] == 2 && p.cols[1].hist[0] == 2);
	ck_assert_str_eq(p.cols[1].min, "2024-05-01");
	ck_assert(p.cols[0].ntop == 1 && p.cols[0].top[0].count == 2);
	ck_assert(fabs(p.cols[0].mean - 7) < 1e-12);
	ck_assert(!p.cols[2].has_hist && !p.cols[2].has_mean && p.cols[2].nulls == 3);
	ck_assert(fabs(p.cols[2].null_fraction - 1) < 1e-12);
	profile_clear(&p);
	db_close(d);
}
END_TEST

/* other types: each profiles, with its type's name; numbers and times get histograms */
START_TEST(test_types)
{
	static const char *const mariadb_types[] = { "float", "time", "datetime", "json", "binary",
	                                             "string", "enum", "year", "decimal" };
	static const char *const pg_types[] = { "float", "time", "timestamp", "json", "binary",
	                                        "string", "uuid", "json", "decimal" };
	bool pg = _i == 1;
	struct db *d = fresh(pg, "types");
	struct profile p;
	struct buf q;

	exec_ok(d, pg ? "CREATE TABLE y (f DOUBLE PRECISION, tm TIME, ts TIMESTAMPTZ, j JSON, b BYTEA,"
	                " s TEXT, u UUID, jb JSONB, x NUMERIC)"
	              : "CREATE TABLE y (f DOUBLE, tm TIME, ts TIMESTAMP NULL, j JSON, b BLOB, s TEXT,"
	                " u ENUM('a','b'), jb YEAR, x DECIMAL(30,25))");
	buf_init(&q);
	buf_adds(&q, "INSERT INTO y VALUES ");
	for (int i = 0; i < 30; i++)
		buf_addf(&q, "%s(%d.25, '%02d:00:00', '2024-06-%02d 10:00:00', '{\"a\": %d}', %s, '%c',"
		         " %s, %s, %.1f)", i ? ", " : "", i * 3, i % 24, i + 1, i % 3,
		         pg ? "'\\x00ff'" : "x'00ff'", 'a' + i % 5,
		         pg ? (i % 2 ? "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'" : "NULL")
		            : (i % 2 ? "'a'" : "'b'"),
		         pg ? "'{\"b\": 1}'" : i % 2 ? "2001" : "2010", i - 14.5);
	exec_ok(d, q.s);
	buf_release(&q);
	ck_assert_msg(profile_table(d, "y", &p) == 0, "%s", db_error(d));
	ck_assert_int_eq(p.rows, 30);
	for (size_t i = 0; i < p.ncols; i++) {
		const struct profile_col *c = &p.cols[i];
		long long sum = 0;

		ck_assert_msg(strcmp(c->type, (pg ? pg_types : mariadb_types)[i]) == 0, "%s: %s", c->name,
		              c->type);
		for (int b = 0; b < PROFILE_BUCKETS; b++)
			sum += c->hist[b];
		if (c->has_hist)
			ck_assert_msg(sum == 30 - c->nulls && c->hist[0] > 0 && c->hist[19] > 0, "%s", c->name);
	}
	/*
	 * f: 0.25 to 87.25; tm: 0 to 23 h (buckets of 1.15 h: 0, 0, 1, 1 h in the first);
	 * ts: June 1 to 30 (buckets of 1.45 days); x: -14.5 to 14.5 (0.5 in bucket 10)
	 */
	ck_assert(p.cols[0].has_hist && p.cols[0].has_mean && fabs(p.cols[0].mean - 43.75) < 1e-9);
	ck_assert(p.cols[1].has_hist && p.cols[1].hist[0] == 4 && p.cols[1].hist[19] == 2);
	ck_assert(p.cols[2].has_hist && p.cols[2].hist[0] == 2 && p.cols[2].hist[19] == 2);
	ck_assert(p.cols[8].has_hist && fabs(p.cols[8].mean) < 1e-9 && p.cols[8].hist[10] == 1);
	ck_assert_int_eq(p.cols[3].distinct, -1); /* json does not compare */
	ck_assert(p.cols[4].distinct == 1 && p.cols[4].ntop == 0); /* bytes: counted, not shown */
	ck_assert(p.cols[5].ntop == 5 && p.cols[5].top[0].count == 6);
	ck_assert_str_eq(p.cols[5].top[0].value, "a");
	ck_assert_int_eq(p.cols[6].nulls, pg ? 15 : 0);
	profile_clear(&p);
	db_close(d);
}
END_TEST

/* the JSON of a real profile reads back to the same profile */
START_TEST(test_json_round_trip)
{
	bool pg = _i == 1;
	struct known k[NCOLS];
	struct db *d = fresh(pg, "json");
	struct profile p, back;
	char *json, *again;

	known_cols(k, pg);
	known_table(d, pg, k);
	ck_assert_msg(profile_table(d, "t", &p) == 0, "%s", db_error(d));
	json = profile_to_json(&p);
	ck_assert_msg(strstr(json, "{\"table\":\"t\",\"rows\":50,\"columns\":[{\"name\":\"id\","
	                           "\"type\":\"int\",\"nulls\":0,\"null_fraction\":0.0,"
	                           "\"distinct\":50,\"distinct_approx\":false,\"min\":\"1\","
	                           "\"max\":\"50\",\"mean\":25.5,\"top\":[],\"histogram\":[3,"),
	              "%s", json);
	ck_assert_int_eq(profile_from_json(json, &back), 0);
	assert_known(&back, k, pg);
	for (size_t i = 0; i < p.ncols; i++) {
		ck_assert_int_eq(back.cols[i].numeric, p.cols[i].numeric);
		ck_assert_int_eq(back.cols[i].temporal, p.cols[i].temporal);
	}
	again = profile_to_json(&back);
	ck_assert_str_eq(again, json);
	free(again);
	free(json);
	profile_clear(&back);
	profile_clear(&p);
	db_close(d);
}
END_TEST

START_TEST(test_json_refused)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}", "{\"table\":\"t\",\"rows\":1}",
		"{\"table\":\"t\",\"rows\":-1,\"columns\":[]}",
		"{\"table\":\"t\",\"rows\":1,\"columns\":[{\"name\":\"a\"}]}",
		"{\"table\":\"t\",\"rows\":1,\"columns\":[{\"name\":\"a\",\"type\":\"int\",\"nulls\":0,"
		"\"null_fraction\":0,\"distinct\":1,\"distinct_approx\":false,\"min\":\"1\",\"max\":\"1\","
		"\"top\":[],\"histogram\":[1,2]}]}",
	};
	struct profile p;

	for (size_t i = 0; i < LEN(bad); i++)
		ck_assert_msg(profile_from_json(bad[i], &p) == -1, "took %s", bad[i]);
	ck_assert_int_eq(profile_from_json("{\"table\":\"t\",\"rows\":1,\"columns\":[{\"name\":\"a\","
	                                   "\"type\":\"json\",\"nulls\":1,\"null_fraction\":1,"
	                                   "\"distinct\":null,\"distinct_approx\":false,\"min\":null,"
	                                   "\"max\":null,\"top\":[]}]}", &p), 0);
	ck_assert(p.ncols == 1 && p.cols[0].distinct == -1 && !p.cols[0].has_hist);
	profile_clear(&p);
}
END_TEST

/* a hand-made profile of one column with these top values */
static void
mkprofile(struct profile *p, long long rows, double nulls, const char *const *top, size_t ntop,
          long long distinct)
{
	struct profile_col *c;

	memset(p, 0, sizeof(*p));
	p->table = xstrdup("t");
	p->rows = rows;
	p->ncols = 1;
	p->cols = c = xcalloc(1, sizeof(*c));
	c->name = xstrdup("status");
	c->type = xstrdup("string");
	c->null_fraction = nulls;
	c->nulls = (long long)(nulls * (double)rows);
	c->distinct = distinct;
	for (size_t i = 0; i < ntop; i++) {
		c->top[i].value = xstrdup(top[i]);
		c->top[i].count = 1;
	}
	c->ntop = ntop;
}

/* the sentences of profile_drift, joined by '|' */
static char *
drift(const struct profile *a, const struct profile *b, double rows, double nulls, bool values)
{
	struct drift_opts o = { rows, nulls, values };
	char **v;
	size_t n = profile_drift(a, b, &o, &v);
	struct buf s;

	buf_init(&s);
	buf_adds(&s, "");
	for (size_t i = 0; i < n; i++) {
		buf_addf(&s, "%s%s", i ? "|" : "", v[i]);
		free(v[i]);
	}
	free(v);
	return buf_detach(&s);
}

#define ASSERT_DRIFT(a, b, rows, nulls, values, want) do { \
	char *got_ = drift(a, b, rows, nulls, values); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

START_TEST(test_drift)
{
	static const char *const ab[] = { "a", "b" }, *const abx[] = { "X", "a", "b" };
	static const char *const many[] = { "a", "1", "2", "3", "4", "5", "6", "7" };
	struct profile prev, cur, same, wide, lots;

	ck_assert(drift_defaults.row_count_drop == 0.10 && drift_defaults.null_increase == 0.05 &&
	          drift_defaults.new_values);
	mkprofile(&prev, 1200, 0, ab, 2, 2);
	mkprofile(&cur, 900, 0.125, abx, 3, 3);
	mkprofile(&same, 1200, 0, ab, 2, 2);
	/* rows: 25% fell */
	ASSERT_DRIFT(&prev, &cur, 0.10, -1, false, "rows fell from 1200 to 900 (25%)");
	ASSERT_DRIFT(&prev, &cur, 0.24, -1, false, "rows fell from 1200 to 900 (25%)");
	ASSERT_DRIFT(&prev, &cur, 0.26, -1, false, "");
	ASSERT_DRIFT(&prev, &cur, -1, -1, false, "");
	ASSERT_DRIFT(&cur, &prev, 0, -1, false, ""); /* rows rose */
	/* nulls: 0 to 12.5% */
	ASSERT_DRIFT(&prev, &cur, -1, 0.05, false, "column 'status': nulls rose from 0.0% to 12.5%");
	ASSERT_DRIFT(&prev, &cur, -1, 0.12, false, "column 'status': nulls rose from 0.0% to 12.5%");
	ASSERT_DRIFT(&prev, &cur, -1, 0.13, false, "");
	ASSERT_DRIFT(&prev, &cur, -1, -0.5, false, "");
	ASSERT_DRIFT(&cur, &prev, -1, 0, false, ""); /* nulls fell */
	/* new values */
	ASSERT_DRIFT(&prev, &cur, -1, -1, true, "column 'status': new value 'X'");
	ASSERT_DRIFT(&prev, &same, -1, -1, true, "");
	ASSERT_DRIFT(&cur, &prev, -1, -1, true, ""); /* a value gone is no new value */
	/* all three, in order, with the defaults */
	ASSERT_DRIFT(&prev, &cur, 0.10, 0.05, true, "rows fell from 1200 to 900 (25%)|"
	             "column 'status': nulls rose from 0.0% to 12.5%|column 'status': new value 'X'");
	/* a column of more values than the top list holds: its new values are not known */
	mkprofile(&wide, 1200, 0, ab, 2, PROFILE_TOP + 1);
	ASSERT_DRIFT(&wide, &cur, -1, -1, true, "");
	/* at most 5 new values of a column */
	mkprofile(&lots, 1200, 0, many, 8, 8);
	ASSERT_DRIFT(&prev, &lots, -1, -1, true, "column 'status': new value '1'|"
	             "column 'status': new value '2'|column 'status': new value '3'|"
	             "column 'status': new value '4'|column 'status': new value '5'");
	profile_clear(&prev);
	profile_clear(&cur);
	profile_clear(&same);
	profile_clear(&wide);
	profile_clear(&lots);
}
END_TEST

/* drift between two real profiles: fewer rows, more NULLs, a new status */
START_TEST(test_drift_tables)
{
	bool pg = _i == 1;
	struct known k[NCOLS];
	struct db *d = fresh(pg, "drift");
	struct profile a, b;
	char *got;

	known_cols(k, pg);
	known_table(d, pg, k);
	ck_assert_int_eq(profile_table(d, "t", &a), 0);
	/* 10 rows of 50 gone (20%), status NULL in 10 of 40 (25%, from 10%), a status 'lost' */
	exec_ok(d, "DELETE FROM t WHERE id > 40");
	exec_ok(d, "UPDATE t SET status = NULL WHERE id IN (1, 2, 3, 4, 5, 6)");
	exec_ok(d, "UPDATE t SET status = 'lost' WHERE id = 10");
	ck_assert_int_eq(profile_table(d, "t", &b), 0);
	got = drift(&a, &b, 0.10, 0.05, true);
	ck_assert_str_eq(got, "rows fell from 50 to 40 (20%)|"
	                 "column 'status': nulls rose from 10.0% to 25.0%|"
	                 "column 'status': new value 'lost'");
	free(got);
	got = drift(&a, &b, 0.20, 0.16, true);
	ck_assert_str_eq(got, "column 'status': new value 'lost'");
	free(got);
	profile_clear(&a);
	profile_clear(&b);
	db_close(d);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_known_table, 0, 2);
	tcase_add_loop_test(tc, test_empty_table, 0, 2);
	tcase_add_loop_test(tc, test_one_value, 0, 2);
	tcase_add_loop_test(tc, test_types, 0, 2);
	tcase_add_loop_test(tc, test_json_round_trip, 0, 2);
	tcase_add_test(tc, test_json_refused);
	tcase_add_test(tc, test_drift);
	tcase_add_loop_test(tc, test_drift_tables, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if ((rc = dbtest_setup("check_profile")) != 0)
		return rc < 0 ? 0 : 1;
	if (!getenv("CHACC_TEST_PG_SOCKET")) {
		fprintf(stderr, "check_profile: CHACC_TEST_PG_SOCKET must be set too\n");
		return 1;
	}
	rc = run_suite(profile_suite());
	mysql_library_end();
	return rc;
}
