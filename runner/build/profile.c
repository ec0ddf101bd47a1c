/*
 * profile.c: a table's profile in a few engine-neutral queries: one scan for
 * the counts, distinct counts, minimums, maximums and sums of every column,
 * one GROUP BY per column for its most common values, and one more scan for
 * the histograms of every number and date column, whose bucket boundaries
 * are computed here from the minimum and maximum.
 *
 * Distinct counts stay exact (COUNT(DISTINCT)) at any size: it costs a
 * hash or sort per column in the first scan, which a 1M-row table affords,
 * and no engine-specific estimate is needed; distinct_approx is always false.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "profile.h"
#include "util.h"

/* values (top, min, max) are kept to this many bytes */
#define VALUE_MAX 200
#define DAY_US (86400LL * 1000000)

/* what is computed of a column */
enum {
	CAP_DISTINCT = 1,        /* COUNT(DISTINCT) */
	CAP_TOP = 2,             /* most common values */
	CAP_MINMAX = 4,
	CAP_SUM = 8,             /* the mean */
};

/* how its histogram boundaries are computed */
enum unit {
	UNIT_NONE,
	UNIT_SCALED,             /* an integer of scale digits after the point (int, decimal, year) */
	UNIT_DOUBLE,             /* floats, decimals of no known scale */
	UNIT_MICRO,              /* dates and times as microseconds */
};

struct pcol {
	const struct db_col *c;
	char *id;                /* the quoted name */
	unsigned caps;
	enum unit unit;
	unsigned scale;          /* UNIT_SCALED */
	/* result columns of the first scan, or -1 */
	int at_count, at_distinct, at_min, at_max, at_sum;
	/* the histogram boundaries (as SQL) */
	char *bound[PROFILE_BUCKETS - 1];
};

static const char *const kind_names[] = {
	[DB_T_OTHER] = "other", [DB_T_INT] = "int", [DB_T_BOOL] = "bool",
	[DB_T_DECIMAL] = "decimal", [DB_T_FLOAT] = "float", [DB_T_DATE] = "date",
	[DB_T_DATETIME] = "datetime", [DB_T_STRING] = "string", [DB_T_TIME] = "time",
	[DB_T_TIMESTAMP] = "timestamp", [DB_T_BINARY] = "binary", [DB_T_JSON] = "json",
	[DB_T_ENUM] = "enum", [DB_T_SET] = "set", [DB_T_BIT] = "bit", [DB_T_YEAR] = "year",
	[DB_T_UUID] = "uuid",
};

static void
pcol_setup(struct pcol *p, struct db *d, const struct db_col *c)
{
	const struct db_type *t = &c->t;

	memset(p, 0, sizeof(*p));
	p->c = c;
	p->id = db_ident(d, c->name);
	p->at_count = p->at_distinct = p->at_min = p->at_max = p->at_sum = -1;
	switch (t->kind) {
	case DB_T_INT:
	case DB_T_YEAR:
		p->caps = CAP_DISTINCT | CAP_TOP | CAP_MINMAX | (t->kind == DB_T_INT ? CAP_SUM : 0);
		p->unit = UNIT_SCALED;
		break;
	case DB_T_DECIMAL:
		p->caps = CAP_DISTINCT | CAP_TOP | CAP_MINMAX | CAP_SUM;
		/* an unconstrained NUMERIC has no fixed scale: its boundaries are doubles */
		p->unit = t->prec && t->scale <= 17 ? UNIT_SCALED : UNIT_DOUBLE;
		p->scale = t->scale;
		break;
	case DB_T_FLOAT:
		p->caps = CAP_DISTINCT | CAP_TOP | CAP_MINMAX | CAP_SUM;
		p->unit = UNIT_DOUBLE;
		break;
	case DB_T_DATE:
	case DB_T_DATETIME:
	case DB_T_TIMESTAMP:
	case DB_T_TIME:
		p->caps = CAP_DISTINCT | CAP_TOP | CAP_MINMAX;
		p->unit = UNIT_MICRO;
		break;
	case DB_T_STRING:
		p->caps = CAP_DISTINCT | CAP_TOP | CAP_MINMAX;
		break;
	case DB_T_BOOL:
	case DB_T_ENUM:
	case DB_T_SET:
	case DB_T_UUID:
		p->caps = CAP_DISTINCT | CAP_TOP;
		break;
	case DB_T_BINARY:
	case DB_T_BIT:
		p->caps = CAP_DISTINCT; /* bytes: no value to show */
		break;
	case DB_T_JSON:
	case DB_T_OTHER:
		break; /* values that may not compare: counted only */
	}
}

static void
pcol_release(struct pcol *p)
{
	free(p->id);
	for (size_t i = 0; i < LEN(p->bound); i++)
		free(p->bound[i]);
}

/* a value as kept: valid UTF-8 (a bad byte becomes '?'), at most VALUE_MAX bytes */
static char *
value_text(const char *s)
{
	struct buf b;
	const unsigned char *u = (const unsigned char *)s;

	buf_init(&b);
	buf_adds(&b, "");
	while (*u) {
		size_t n = *u < 0x80 ? 1 : (*u & 0xe0) == 0xc0 ? 2 : (*u & 0xf0) == 0xe0 ? 3 :
		           (*u & 0xf8) == 0xf0 ? 4 : 0;
		size_t k = 1;

		while (n && k < n && (u[k] & 0xc0) == 0x80)
			k++;
		if (!n || k < n || (n == 2 && *u < 0xc2) || (n == 4 && *u > 0xf4))
			n = 0;
		if (b.len + (n ? n : 1) > VALUE_MAX)
			break;
		if (n)
			buf_add(&b, (const char *)u, n);
		else
			buf_addc(&b, '?');
		u += n ? n : 1;
	}
	return buf_detach(&b);
}

static char *
value_dup(const char *s)
{
	return s ? value_text(s) : NULL;
}

static long long
to_ll(const char *s)
{
	return s ? strtoll(s, NULL, 10) : 0;
}

/*
 * the units of text s: a decimal number as an integer of scale digits after
 * the point; a date, datetime or time as microseconds. 0, or -1 when it does
 * not read (a zero date, "infinity", a number too large)
 */
static int
scaled_parse(const char *s, unsigned scale, long long *out)
{
	bool neg = *s == '-';
	long long v = 0;
	unsigned frac = 0;
	bool point = false, digit = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; *s; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		digit = true;
		if (point && frac == scale) {
			if (*s != '0')
				return -1; /* more digits than the scale */
			continue;
		}
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -1;
		frac += point;
	}
	for (; frac < scale; frac++)
		if (__builtin_mul_overflow(v, 10, &v))
			return -1;
	*out = neg ? -v : v;
	return digit ? 0 : -1;
}

/* ".ffffff" (up to 6 digits) at *s into microseconds */
static long long
micro_part(const char **s)
{
	long long us = 0;
	int n = 0;

	if (**s != '.')
		return 0;
	for ((*s)++; **s >= '0' && **s <= '9'; (*s)++)
		if (n++ < 6)
			us = us * 10 + (**s - '0');
	for (; n < 6; n++)
		us *= 10;
	return us;
}

static int
micro_parse(enum db_tkind kind, const char *s, long long *out)
{
	struct tm tm = { 0 };
	int h = 0, mi = 0, sec = 0, used = 0;
	long long us;

	if (kind == DB_T_TIME) {
		bool neg = *s == '-';

		if (sscanf(s + neg, "%d:%d:%d%n", &h, &mi, &sec, &used) != 3 || h < 0)
			return -1;
		s += neg + used;
		us = ((long long)h * 3600 + mi * 60 + sec) * 1000000 + micro_part(&s);
		*out = neg ? -us : us;
		return *s ? -1 : 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used) != 3 ||
	    tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_year < 1)
		return -1;
	s += used;
	if ((*s == ' ' || *s == 'T') && sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &used) == 3)
		s += 1 + used;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	us = (long long)timegm(&tm) * 1000000 + micro_part(&s);
	if (*s == '+' || *s == '-') { /* a time zone offset: +HH[:MM[:SS]] */
		int oh = 0, om = 0, os = 0, sign = *s == '-' ? -1 : 1;

		if (sscanf(s + 1, "%d:%d:%d", &oh, &om, &os) < 1)
			return -1;
		us -= sign * ((long long)oh * 3600 + om * 60 + os) * 1000000;
		s += strlen(s);
	}
	*out = us;
	return *s ? -1 : 0;
}

static long long
floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* the SQL literal of units v of column p */
static char *
units_sql(struct db *d, const struct pcol *p, long long v)
{
	enum db_tkind kind = p->c->t.kind;
	long long secs = floor_div(v, 1000000), us = v - secs * 1000000;
	char text[80], frac[16] = "";
	struct tm tm;
	time_t t = (time_t)secs;

	if (p->unit == UNIT_SCALED) {
		unsigned long long a = v < 0 ? -(unsigned long long)v : (unsigned long long)v, f = 1;

		for (unsigned i = 0; i < p->scale; i++)
			f *= 10;
		if (!p->scale)
			return xasprintf("%lld", v);
		return xasprintf("%s%llu.%0*llu", v < 0 ? "-" : "", a / f, (int)p->scale, a % f);
	}
	if (kind == DB_T_TIME) {
		long long a = v < 0 ? -v : v;

		if (a % 1000000)
			snprintf(frac, sizeof(frac), ".%06lld", a % 1000000);
		snprintf(text, sizeof(text), "%s%lld:%02lld:%02lld%s", v < 0 ? "-" : "",
		         a / 3600000000LL, a / 60000000 % 60, a / 1000000 % 60, frac);
	} else {
		if (us)
			snprintf(frac, sizeof(frac), ".%06lld", us);
		gmtime_r(&t, &tm);
		if (kind == DB_T_DATE)
			snprintf(text, sizeof(text), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			         tm.tm_mday);
		else
			snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d%s%s",
			         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			         tm.tm_sec, frac, kind == DB_T_TIMESTAMP ? "+00" : "");
	}
	return db_quote(d, text);
}

/* the units of text s of column p; 0 or -1 */
static int
units_parse(const struct pcol *p, const char *s, long long *out)
{
	if (p->unit == UNIT_SCALED)
		return scaled_parse(s, p->scale, out);
	return micro_parse(p->c->t.kind, s, out);
}

/*
 * the boundaries of exact units: bucket k holds min + k*span/20 <= v <
 * min + (k+1)*span/20; as every value is a whole unit, v < x is v <
 * ceil(x), the boundary. A date's is rounded up to a whole day. 0 or -1
 */
static int
bounds_exact(struct db *d, struct pcol *p, const char *min, const char *max)
{
	long long lo, hi, span, q, r;

	if (units_parse(p, min, &lo) < 0 || units_parse(p, max, &hi) < 0 || hi <= lo ||
	    __builtin_sub_overflow(hi, lo, &span))
		return -1;
	q = span / PROFILE_BUCKETS;
	r = span % PROFILE_BUCKETS;
	for (int k = 1; k < PROFILE_BUCKETS; k++) {
		long long b = lo + k * q + (k * r + PROFILE_BUCKETS - 1) / PROFILE_BUCKETS;

		if (p->c->t.kind == DB_T_DATE)
			b = -floor_div(-b, DAY_US) * DAY_US;
		p->bound[k - 1] = units_sql(d, p, b);
	}
	return 0;
}

/* the boundaries of doubles: min + k*(max - min)/20, as literals that read back the same */
static int
bounds_double(struct pcol *p, const char *min, const char *max)
{
	char *end1, *end2;
	double lo = strtod(min, &end1), hi = strtod(max, &end2);

	if (*end1 || *end2 || !isfinite(lo) || !isfinite(hi) || !isfinite(hi - lo) || hi <= lo)
		return -1;
	for (int k = 1; k < PROFILE_BUCKETS; k++)
		p->bound[k - 1] = xasprintf("%.17g", lo + k * ((hi - lo) / PROFILE_BUCKETS));
	return 0;
}

/* the columns of table with their types, DB_STAMP moved last; *ndata: the others */
static int
table_cols(struct db *d, const char *id, struct db_cols *out, size_t *ndata)
{
	char *sql = xasprintf("SELECT * FROM %s", id);
	int rc = db_result_types(d, sql, out);

	free(sql);
	if (rc < 0)
		return -1;
	*ndata = out->n;
	for (size_t i = 0; i < *ndata; i++)
		if (strcmp(out->v[i].name, DB_STAMP) == 0) {
			struct db_col stamp = out->v[i];

			memmove(&out->v[i], &out->v[i + 1], (out->n - i - 1) * sizeof(*out->v));
			out->v[out->n - 1] = stamp;
			(*ndata)--;
			i--;
		}
	return 0;
}

/* the first scan: rows, and per column its counts, minimum, maximum and sum */
static int
scan_aggregates(struct db *d, const char *id, struct pcol *pc, struct profile *out)
{
	struct buf q;
	struct dbres *r;
	int at = 1;

	buf_init(&q);
	buf_adds(&q, "SELECT COUNT(*)");
	for (size_t i = 0; i < out->ncols; i++) {
		struct pcol *p = &pc[i];

		buf_addf(&q, ", COUNT(%s)", p->id);
		p->at_count = at++;
		if (p->caps & CAP_DISTINCT) {
			buf_addf(&q, ", COUNT(DISTINCT %s)", p->id);
			p->at_distinct = at++;
		}
		if (p->caps & CAP_MINMAX) {
			buf_addf(&q, ", MIN(%s), MAX(%s)", p->id, p->id);
			p->at_min = at++;
			p->at_max = at++;
		}
		if (p->caps & CAP_SUM) {
			buf_addf(&q, ", SUM(%s)", p->id);
			p->at_sum = at++;
		}
	}
	buf_addf(&q, " FROM %s", id);
	r = db_query(d, q.s);
	buf_release(&q);
	if (!r)
		return -1;
	if (!dbres_next(r)) {
		dbres_free(r);
		return db_set_error(d, 0, "profile of %s: no row of counts", id);
	}
	out->rows = to_ll(dbres_get(r, 0));
	for (size_t i = 0; i < out->ncols; i++) {
		struct pcol *p = &pc[i];
		struct profile_col *c = &out->cols[i];
		long long nonnull = to_ll(dbres_get(r, (size_t)p->at_count));
		const char *sum;

		c->nulls = out->rows - nonnull;
		c->null_fraction = out->rows ? (double)c->nulls / (double)out->rows : 0;
		c->distinct = p->at_distinct < 0 ? -1 : to_ll(dbres_get(r, (size_t)p->at_distinct));
		if (p->at_min >= 0) {
			c->min = value_dup(dbres_get(r, (size_t)p->at_min));
			c->max = value_dup(dbres_get(r, (size_t)p->at_max));
		}
		if (p->at_sum >= 0 && nonnull && (sum = dbres_get(r, (size_t)p->at_sum))) {
			c->mean = strtod(sum, NULL) / (double)nonnull;
			c->has_mean = isfinite(c->mean);
		}
	}
	dbres_free(r);
	return 0;
}

/* the most common values of column i; a column of all different values has none */
static int
scan_top(struct db *d, const char *id, const struct pcol *p, struct profile *out, size_t i)
{
	struct profile_col *c = &out->cols[i];
	long long nonnull = out->rows - c->nulls;
	struct dbres *r;

	if (!(p->caps & CAP_TOP) || !nonnull || (c->distinct == nonnull && nonnull > PROFILE_TOP))
		return 0;
	r = db_queryf(d, "SELECT %s, COUNT(*) FROM %s WHERE %s IS NOT NULL GROUP BY %s"
	              " ORDER BY 2 DESC, 1 LIMIT %d", p->id, id, p->id, p->id, PROFILE_TOP);
	if (!r)
		return -1;
	while (dbres_next(r) && c->ntop < PROFILE_TOP) {
		const char *v = dbres_get(r, 0);

		if (p->c->t.kind == DB_T_BOOL && v)
			v = strcmp(v, "t") == 0 || strcmp(v, "1") == 0 ? "true" : "false";
		c->top[c->ntop].value = value_dup(v);
		c->top[c->ntop++].count = to_ll(dbres_get(r, 1));
	}
	dbres_free(r);
	return 0;
}

/* the bucket of column p's value in buckets lo..hi, by halves (about 5 comparisons) */
static void
bucket_sql(struct buf *q, const struct pcol *p, int lo, int hi)
{
	int mid = (lo + hi + 1) / 2;

	if (lo == hi) {
		buf_addf(q, "%d", lo);
		return;
	}
	buf_addf(q, "CASE WHEN %s < %s THEN ", p->id, p->bound[mid - 1]);
	bucket_sql(q, p, lo, mid - 1);
	buf_adds(q, " ELSE ");
	bucket_sql(q, p, mid, hi);
	buf_adds(q, " END");
}

/*
 * the second scan, of every histogram column at once: each row's bucket per
 * column (NULL for NULL), then counted by column and bucket through a list
 * of the columns' numbers:
 *
 *   SELECT p.c, CASE p.c WHEN 0 THEN x.b0 WHEN 1 THEN x.b1 END, COUNT(*)
 *   FROM (SELECT CASE WHEN a IS NULL THEN NULL ELSE <bucket of a> END AS b0, ...
 *         FROM t) x CROSS JOIN (SELECT 0 AS c UNION ALL SELECT 1) p GROUP BY 1, 2
 *
 * Measured on 1M rows and 7 such columns, this takes a third of the time of
 * 19 conditional counts per column on MariaDB, and less on PostgreSQL too.
 */
static int
scan_histograms(struct db *d, const char *id, struct pcol *pc, struct profile *out)
{
	struct buf q, sel, pivot;
	struct dbres *r;
	int n = 0;

	buf_init(&q);
	buf_init(&sel);
	buf_init(&pivot);
	for (size_t i = 0; i < out->ncols; i++) {
		struct pcol *p = &pc[i];

		if (!p->bound[0])
			continue;
		buf_addf(&q, "%sCASE WHEN %s IS NULL THEN NULL ELSE ", n ? ", " : "", p->id);
		bucket_sql(&q, p, 0, PROFILE_BUCKETS - 1);
		buf_addf(&q, " END AS b%d", n);
		buf_addf(&sel, " WHEN %d THEN x.b%d", n, n);
		buf_addf(&pivot, "%sSELECT %d AS c", n ? " UNION ALL " : "", n);
		out->cols[i].has_hist = true;
		n++;
	}
	r = !n ? NULL : db_queryf(d, "SELECT p.c, CASE p.c%s END, COUNT(*) FROM (SELECT %s FROM %s) x"
	                          " CROSS JOIN (%s) p GROUP BY 1, 2", sel.s, q.s, id, pivot.s);
	buf_release(&q);
	buf_release(&sel);
	buf_release(&pivot);
	if (!n)
		return 0;
	if (!r)
		return -1;
	while (dbres_next(r)) {
		const char *bucket = dbres_get(r, 1);
		long long c = to_ll(dbres_get(r, 0)), k = to_ll(bucket);

		if (!bucket || c < 0 || c >= n || k < 0 || k >= PROFILE_BUCKETS)
			continue; /* the NULLs */
		for (size_t i = 0; i < out->ncols; i++)
			if (pc[i].bound[0] && c-- == 0) {
				out->cols[i].hist[k] = to_ll(dbres_get(r, 2));
				break;
			}
	}
	dbres_free(r);
	return 0;
}

/* the histogram boundaries of each number and date column (those with two values) */
static void
histogram_bounds(struct db *d, struct pcol *pc, struct profile *out)
{
	for (size_t i = 0; i < out->ncols; i++) {
		struct pcol *p = &pc[i];
		struct profile_col *c = &out->cols[i];
		int rc = -1;

		if (p->unit == UNIT_NONE || !c->min || !c->max)
			continue;
		if (strcmp(c->min, c->max) == 0) { /* one value: all in the first bucket */
			c->has_hist = true;
			c->hist[0] = out->rows - c->nulls;
			continue;
		}
		if (p->unit != UNIT_DOUBLE)
			rc = bounds_exact(d, p, c->min, c->max);
		if (rc < 0 && p->unit != UNIT_MICRO) /* a number too large for its units */
			rc = bounds_double(p, c->min, c->max);
		if (rc < 0)
			for (size_t k = 0; k < LEN(p->bound); k++) {
				free(p->bound[k]);
				p->bound[k] = NULL;
			}
	}
}

int
profile_table(struct db *d, const char *table, struct profile *out)
{
	struct db_cols cols = { 0 };
	struct pcol *pc;
	char *id = db_ident(d, table);
	size_t n;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (table_cols(d, id, &cols, &n) < 0) {
		free(id);
		return -1;
	}
	out->table = xstrdup(table);
	out->ncols = n;
	out->cols = xcalloc(n + 1, sizeof(*out->cols));
	pc = xcalloc(n + 1, sizeof(*pc));
	for (size_t i = 0; i < n; i++) {
		struct profile_col *c = &out->cols[i];
		enum db_tkind kind = cols.v[i].t.kind;

		pcol_setup(&pc[i], d, &cols.v[i]);
		c->name = xstrdup(cols.v[i].name);
		c->type = xstrdup(kind < LEN(kind_names) && kind_names[kind] ? kind_names[kind] : "other");
		c->numeric = kind == DB_T_INT || kind == DB_T_DECIMAL || kind == DB_T_FLOAT;
		c->temporal = pc[i].unit == UNIT_MICRO || kind == DB_T_YEAR;
	}
	rc = scan_aggregates(d, id, pc, out);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = scan_top(d, id, &pc[i], out, i);
	if (rc == 0) {
		histogram_bounds(d, pc, out);
		rc = scan_histograms(d, id, pc, out);
	}
	for (size_t i = 0; i < n; i++)
		pcol_release(&pc[i]);
	free(pc);
	db_cols_release(&cols);
	free(id);
	if (rc < 0)
		profile_clear(out);
	return rc;
}
