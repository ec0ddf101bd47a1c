/*
 * db_mariadb_rowimg.c: the row images of MariaDB's binary log, read by the
 * table map's column types and metadata (as a replica reads them; the
 * layout is that of MariaDB's sql/log_event*.cc and field.cc). Connector/C
 * 3.3's mariadb_rpl_extract_rows cannot read CHAR columns, which every
 * OpenMRS table has (uuid), so chacc reads the images itself: the values
 * of the columns asked, each as the text of a SQL literal; the others are
 * only stepped over.
 */
#include "db_mariadb.h"
#include "db_mariadb_rowimg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* little-endian integers of n bytes */
static uint64_t
le(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* big-endian */
static uint64_t
be(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* bytes of a DECIMAL(prec, scale) in its binary form */
static unsigned
decimal_size(unsigned prec, unsigned scale)
{
	static const unsigned dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
	unsigned intg = prec - scale;

	return (intg / 9) * 4 + dig2bytes[intg % 9] + (scale / 9) * 4 + dig2bytes[scale % 9];
}

int
rowimg_map(const unsigned char *types, size_t ntypes, const unsigned char *meta, size_t nmeta,
           struct rowimg_cols *out)
{
	size_t m = 0;

	out->n = (unsigned)ntypes;
	out->type = xcalloc(ntypes + 1, sizeof(*out->type));
	out->meta = xcalloc(ntypes + 1, sizeof(*out->meta));
	for (size_t i = 0; i < ntypes; i++) {
		unsigned t = types[i], need;

		out->type[i] = (uint8_t)t;
		switch (t) {
		case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_DOUBLE: case MYSQL_TYPE_BLOB:
		case MYSQL_TYPE_GEOMETRY: case MYSQL_TYPE_JSON: case MYSQL_TYPE_TIME2:
		case MYSQL_TYPE_DATETIME2: case MYSQL_TYPE_TIMESTAMP2:
			need = 1;
			break;
		case MYSQL_TYPE_VARCHAR: case MYSQL_TYPE_VAR_STRING: case MYSQL_TYPE_BIT:
		case MYSQL_TYPE_NEWDECIMAL: case MYSQL_TYPE_STRING: case MYSQL_TYPE_ENUM:
		case MYSQL_TYPE_SET:
			need = 2;
			break;
		default:
			need = 0;
		}
		if (m + need > nmeta)
			return -1;
		if (need == 1)
			out->meta[i] = meta[m];
		else if (need == 2 && (t == MYSQL_TYPE_VARCHAR || t == MYSQL_TYPE_VAR_STRING))
			out->meta[i] = (uint16_t)le(meta + m, 2);
		else if (need == 2)
			/* first byte, second byte: as the master wrote them */
			out->meta[i] = (uint16_t)(meta[m] << 8 | meta[m + 1]);
		m += need;
	}
	return 0;
}

void
rowimg_cols_release(struct rowimg_cols *c)
{
	free(c->type);
	free(c->meta);
	memset(c, 0, sizeof(*c));
}

/* a STRING column's real type and its most bytes, from its metadata */
static void
string_meta(unsigned meta, unsigned *real, unsigned *max)
{
	unsigned b0 = meta >> 8, b1 = meta & 0xff;

	if ((b0 & 0x30) != 0x30) {
		/* a long CHAR: two more bits of its length hide in the type byte */
		*max = (((b0 & 0x30) ^ 0x30) << 4) | b1;
		*real = b0 | 0x30;
	} else {
		*real = b0;
		*max = b1;
	}
}

/* the bytes of column i's value at p (end: the image's end); 0 when unreadable */
static size_t
value_size(const struct rowimg_cols *c, unsigned i, const unsigned char *p, const unsigned char *end)
{
	unsigned meta = c->meta[i], real, max;
	size_t avail = (size_t)(end - p);

	switch (c->type[i]) {
	case MYSQL_TYPE_TINY: case MYSQL_TYPE_YEAR: return 1;
	case MYSQL_TYPE_SHORT: return 2;
	case MYSQL_TYPE_INT24: case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE: case MYSQL_TYPE_TIME:
		return 3;
	case MYSQL_TYPE_LONG: case MYSQL_TYPE_FLOAT: case MYSQL_TYPE_TIMESTAMP: return 4;
	case MYSQL_TYPE_LONGLONG: case MYSQL_TYPE_DOUBLE: case MYSQL_TYPE_DATETIME: return 8;
	case MYSQL_TYPE_TIMESTAMP2: return 4 + (meta + 1) / 2;
	case MYSQL_TYPE_DATETIME2: return 5 + (meta + 1) / 2;
	case MYSQL_TYPE_TIME2: return 3 + (meta + 1) / 2;
	case MYSQL_TYPE_NEWDECIMAL: return decimal_size(meta >> 8, meta & 0xff);
	case MYSQL_TYPE_BIT: return (meta & 0xff) + ((meta >> 8) ? 1 : 0);
	case MYSQL_TYPE_VARCHAR: case MYSQL_TYPE_VAR_STRING:
		if (meta < 256)
			return avail < 1 ? 0 : 1 + p[0];
		return avail < 2 ? 0 : 2 + le(p, 2);
	case MYSQL_TYPE_BLOB: case MYSQL_TYPE_GEOMETRY: case MYSQL_TYPE_JSON:
		return meta < 1 || meta > 4 || avail < meta ? 0 : meta + le(p, meta);
	case MYSQL_TYPE_STRING: case MYSQL_TYPE_ENUM: case MYSQL_TYPE_SET:
		string_meta(meta, &real, &max);
		if (real == MYSQL_TYPE_ENUM || real == MYSQL_TYPE_SET)
			return max;
		if (max < 256)
			return avail < 1 ? 0 : 1 + p[0];
		return avail < 2 ? 0 : 2 + le(p, 2);
	default:
		return 0;
	}
}

/* the digits of a binary DECIMAL(prec, scale) at p, into b */
static void
decimal_text(const unsigned char *p, unsigned prec, unsigned scale, struct buf *b)
{
	static const unsigned dig2bytes[10] = { 0, 1, 1, 2, 2, 3, 3, 4, 4, 4 };
	unsigned intg = prec - scale, size = decimal_size(prec, scale);
	unsigned char *d = xmalloc(size + 1);
	bool neg = !(p[0] & 0x80), lead = true;
	size_t at = 0;

	memcpy(d, p, size);
	d[0] ^= 0x80;
	if (neg)
		for (unsigned i = 0; i < size; i++)
			d[i] = (unsigned char)~d[i];
	if (neg)
		buf_addc(b, '-');
	/* the integer part: a short group first, then groups of nine digits */
	if (intg % 9) {
		unsigned n = dig2bytes[intg % 9];
		uint64_t v = be(d + at, n);

		at += n;
		if (v) {
			buf_addf(b, "%" PRIu64, v);
			lead = false;
		}
	}
	for (unsigned g = 0; g < intg / 9; g++, at += 4) {
		uint64_t v = be(d + at, 4);

		if (lead && v) {
			buf_addf(b, "%" PRIu64, v);
			lead = false;
		} else if (!lead)
			buf_addf(b, "%09" PRIu64, v);
	}
	if (lead)
		buf_addc(b, '0');
	if (scale) {
		buf_addc(b, '.');
		for (unsigned g = 0; g < scale / 9; g++, at += 4)
			buf_addf(b, "%09" PRIu64, be(d + at, 4));
		if (scale % 9)
			buf_addf(b, "%0*" PRIu64, (int)(scale % 9), be(d + at, dig2bytes[scale % 9]));
	}
	free(d);
}

/* the fraction of a second of a temporal column of fsp digits at p, as ".ffffff" */
static void
fraction(const unsigned char *p, unsigned fsp, struct buf *b)
{
	uint64_t f;

	if (!fsp)
		return;
	f = be(p, (fsp + 1) / 2);
	if (fsp <= 2)
		f *= 10000;
	else if (fsp <= 4)
		f *= 100;
	buf_addf(b, ".%06" PRIu64, f);
}

/* value of column i at p (size bytes) as the text of a SQL literal into b; -1 when not readable */
static int
value_text(const struct rowimg_cols *c, unsigned i, const unsigned char *p, size_t size,
           bool is_unsigned, struct buf *b)
{
	unsigned meta = c->meta[i], real, max;
	uint64_t v;

	switch (c->type[i]) {
	case MYSQL_TYPE_TINY: case MYSQL_TYPE_SHORT: case MYSQL_TYPE_INT24: case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
		v = le(p, (unsigned)size);
		if (is_unsigned)
			buf_addf(b, "%" PRIu64, v);
		else if (size < 8 && (v >> (size * 8 - 1)) & 1)
			buf_addf(b, "%" PRId64, (int64_t)(v | ~((UINT64_C(1) << (size * 8)) - 1)));
		else
			buf_addf(b, "%" PRId64, (int64_t)v);
		return 0;
	case MYSQL_TYPE_YEAR:
		buf_addf(b, "%u", p[0] ? 1900u + p[0] : 0u);
		return 0;
	case MYSQL_TYPE_FLOAT: {
		float f;

		memcpy(&f, p, 4);
		buf_addf(b, "%.9g", (double)f);
		return 0;
	}
	case MYSQL_TYPE_DOUBLE: {
		double d;

		memcpy(&d, p, 8);
		buf_addf(b, "%.17g", d);
		return 0;
	}
	case MYSQL_TYPE_NEWDECIMAL:
		decimal_text(p, meta >> 8, meta & 0xff, b);
		return 0;
	case MYSQL_TYPE_DATE: case MYSQL_TYPE_NEWDATE:
		v = le(p, 3);
		buf_addf(b, "%04u-%02u-%02u", (unsigned)(v >> 9), (unsigned)(v >> 5 & 15),
		         (unsigned)(v & 31));
		return 0;
	case MYSQL_TYPE_DATETIME2: {
		uint64_t packed = be(p, 5) - UINT64_C(0x8000000000);
		uint64_t ym = packed >> 22 & 0x1ffff, ymd = packed >> 17, hms = packed & 0x1ffff;

		buf_addf(b, "%04u-%02u-%02u %02u:%02u:%02u", (unsigned)(ym / 13), (unsigned)(ym % 13),
		         (unsigned)(ymd & 31), (unsigned)(hms >> 12), (unsigned)(hms >> 6 & 63),
		         (unsigned)(hms & 63));
		fraction(p + 5, meta, b);
		return 0;
	}
	case MYSQL_TYPE_TIMESTAMP2:
		/* an instant: seconds since the epoch, which FROM_UNIXTIME reads back */
		buf_addf(b, "%" PRIu64, be(p, 4));
		fraction(p + 4, meta, b);
		return 0;
	case MYSQL_TYPE_VARCHAR: case MYSQL_TYPE_VAR_STRING:
		buf_add(b, (const char *)p + (meta < 256 ? 1 : 2), size - (meta < 256 ? 1 : 2));
		return 0;
	case MYSQL_TYPE_BLOB: case MYSQL_TYPE_JSON:
		buf_add(b, (const char *)p + meta, size - meta);
		return 0;
	case MYSQL_TYPE_STRING: case MYSQL_TYPE_ENUM: case MYSQL_TYPE_SET:
		string_meta(meta, &real, &max);
		if (real == MYSQL_TYPE_ENUM || real == MYSQL_TYPE_SET) {
			/* the index of the value (ENUM) or its bits (SET): a number it compares to */
			buf_addf(b, "%" PRIu64, le(p, (unsigned)size));
			return 0;
		}
		buf_add(b, (const char *)p + (max < 256 ? 1 : 2), size - (max < 256 ? 1 : 2));
		return 0;
	default:
		return -1;
	}
}

/* the number of bits set in the first n bits of bitmap */
static unsigned
bits_set(const unsigned char *bitmap, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += bitmap[i / 8] >> (i % 8) & 1;
	return k;
}

/*
 * one image at *pp of the columns present in bitmap: the values asked
 * (want[k] the column of the k-th, NULL when SQL NULL) into vals; -1 when
 * the image cannot be read
 */
static int
image(const struct rowimg_cols *c, const unsigned char *bitmap, const unsigned char **pp,
      const unsigned char *end, const struct rowimg_want *w, struct buf *bufs, const char **vals)
{
	const unsigned char *p = *pp, *nulls = p;
	unsigned present = bits_set(bitmap, c->n), seen = 0;

	p += (present + 7) / 8;
	if (p > end)
		return -1;
	for (size_t k = 0; k < w->n; k++)
		vals[k] = NULL;
	for (unsigned i = 0; i < c->n; i++) {
		size_t size;

		if (!(bitmap[i / 8] >> (i % 8) & 1))
			continue;
		if (nulls[seen / 8] >> (seen % 8) & 1) {
			seen++;
			continue;
		}
		seen++;
		if (!(size = value_size(c, i, p, end)) || p + size > end)
			return -1;
		for (size_t k = 0; k < w->n; k++) {
			if (w->column[k] != i)
				continue;
			buf_release(&bufs[k]);
			buf_init(&bufs[k]);
			buf_adds(&bufs[k], "");
			if (value_text(c, i, p, size, w->is_unsigned[k], &bufs[k]) < 0)
				return -1;
			vals[k] = bufs[k].s;
		}
		p += size;
	}
	*pp = p;
	return 0;
}

int
rowimg_rows(const struct rowimg_cols *c, const unsigned char *data, size_t len,
            const unsigned char *bitmap, const unsigned char *after_bitmap,
            const struct rowimg_want *w, int (*fn)(void *arg, const char *const *vals), void *arg)
{
	const unsigned char *p = data, *end = data + len;
	struct buf *bufs = xcalloc(w->n + 1, sizeof(*bufs));
	const char **vals = xcalloc(w->n + 1, sizeof(*vals));
	int rc = 0;

	while (rc == 0 && p < end) {
		if (image(c, bitmap, &p, end, w, bufs, vals) < 0) {
			rc = -1;
			break;
		}
		if ((rc = fn(arg, vals)) != 0)
			break;
		/* an update: the row after it */
		if (after_bitmap) {
			if (image(c, after_bitmap, &p, end, w, bufs, vals) < 0) {
				rc = -1;
				break;
			}
			rc = fn(arg, vals);
		}
	}
	for (size_t k = 0; k < w->n; k++)
		buf_release(&bufs[k]);
	free(bufs);
	free(vals);
	return rc;
}
