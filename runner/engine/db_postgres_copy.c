/*
 * db_postgres_copy.c: the PostgreSQL engine's streaming copies: rows of
 * another engine's reader into COPY ... FROM STDIN, a reader of COPY (query)
 * TO STDOUT giving the neutral forms of struct db_col, and both piped into
 * each other between two PostgreSQL servers
 */
#include "db_postgres.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* bytes of COPY data handed to libpq at once */
#define CHUNK (1 << 20)
/* rows between progress callbacks of a copy between two PostgreSQL servers */
#define PROGRESS_ROWS 10000

/* the settings a reading session needs for text the other side reads back */
static const char *const out_settings[][2] = {
	{ "DateStyle", "ISO, YMD" },
	{ "IntervalStyle", "postgres" },
	{ "extra_float_digits", "3" },
	{ "bytea_output", "hex" },
};

/* set out_settings on p, their old values in saved[]; 0 or -1 */
static int
settings_push(struct pdb *p, char **saved)
{
	for (size_t i = 0; i < LEN(out_settings); i++) {
		char *name = pdb_literal(out_settings[i][0]), *val = pdb_literal(out_settings[i][1]);
		int rc = db_value(&p->base, &saved[i], "SELECT current_setting(%s)", name);

		if (rc >= 0)
			rc = db_execf(&p->base, "SELECT set_config(%s, %s, false)", name, val);
		free(name);
		free(val);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* put back what settings_push changed, keeping p's last error */
static void
settings_pop(struct pdb *p, char **saved)
{
	for (size_t i = 0; i < LEN(out_settings); i++) {
		char *name = pdb_literal(out_settings[i][0]), *val = pdb_literal(saved[i]), *sql;

		if (saved[i]) {
			sql = xasprintf("SELECT set_config(%s, %s, false)", name, val);
			pdb_run_quiet(p, sql);
			free(sql);
		}
		free(name);
		free(val);
		free(saved[i]);
		saved[i] = NULL;
	}
}

/* record the error of a COPY on p: its message and where it was, the column when the server says */
static int
copy_error(struct pdb *p, const PGresult *res)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	char *msg;

	pdb_error(p, res);
	if (!primary)
		return -1;
	msg = ctx ? xasprintf("%s (%s)", primary, ctx) : xstrdup(primary);
	db_scrub(&msg, p->p.password);
	db_set_error(&p->base, p->base.errnum, "%s", msg);
	free(msg);
	return -1;
}

/* the outcome of the COPY that just ended on p: 0 or -1; reads every result */
static int
copy_result(struct pdb *p, bool keep_error)
{
	PGresult *res;
	int rc = 0;

	while ((res = PQgetResult(p->pg))) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			p->affected = atoll(PQcmdTuples(res));
		else if (rc == 0) {
			rc = -1;
			if (!keep_error)
				copy_error(p, res);
		}
		PQclear(res);
	}
	return rc;
}

/* start COPY sql on p, expecting st (PGRES_COPY_IN or PGRES_COPY_OUT); 0 or -1 */
static int
copy_start(struct pdb *p, const char *sql, ExecStatusType st)
{
	PGresult *res;

	log_statement(p->p.name, sql);
	res = PQexec(p->pg, sql);
	if (PQresultStatus(res) != st) {
		copy_error(p, res);
		PQclear(res);
		copy_result(p, true);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* stop a COPY TO STDOUT that was not read to its end, and discard the rest */
static void
copy_out_cancel(struct pdb *p)
{
	PGcancel *c = PQgetCancel(p->pg);
	char err[256];
	char *row;
	int n;

	if (c) {
		PQcancel(c, err, sizeof(err));
		PQfreeCancel(c);
	}
	while ((n = PQgetCopyData(p->pg, &row, 0)) >= 0)
		PQfreemem(row);
	copy_result(p, true);
}

/* the COPY FROM STDIN of table's columns cols */
static char *
copy_in_sql(const char *table, const struct db_cols *cols)
{
	struct buf b;
	char *id = pdb_table_ident(table);

	buf_init(&b);
	buf_addf(&b, "COPY %s (", id);
	free(id);
	for (size_t i = 0; i < cols->n; i++) {
		id = pdb_ident(cols->v[i].name);
		buf_addf(&b, "%s%s", i ? ", " : "", id);
		free(id);
	}
	buf_adds(&b, ") FROM STDIN");
	return buf_detach(&b);
}

/* room for n more bytes (and a NUL) in b */
static void
reserve(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 64;
	b->s = xrealloc(b->s, b->cap);
}

/* escapes of COPY's text format */
static const char copy_esc[256] = {
	['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', ['\\'] = '\\',
};

static void
add_escaped(struct buf *b, const char *s, size_t n)
{
	char *w;

	reserve(b, 2 * n + 1);
	w = b->s + b->len;
	for (const char *end = s + n; s < end; s++) {
		char e = copy_esc[(unsigned char)*s];

		if (e) {
			*w++ = '\\';
			*w++ = e;
		} else {
			*w++ = *s;
		}
	}
	b->len = (size_t)(w - b->s);
	b->s[b->len] = '\0';
}

/* bytes as bytea's hex input, its backslash escaped for COPY */
static void
add_bytea(struct buf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *w;

	reserve(b, 2 * n + 4);
	w = b->s + b->len;
	*w++ = '\\';
	*w++ = '\\';
	*w++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*w++ = hex[s[i] >> 4];
		*w++ = hex[s[i] & 15];
	}
	b->len = (size_t)(w - b->s);
	b->s[b->len] = '\0';
}

/* a BIT(bits) value (big-endian bytes) as a bit string, or a boolean for one bit */
static void
add_bits(struct buf *b, const unsigned char *s, size_t n, unsigned bits)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | s[i];
	if (bits == 1) {
		buf_addc(b, v ? 't' : 'f');
		return;
	}
	for (unsigned i = bits; i > 0; i--)
		buf_addc(b, (v >> (i - 1)) & 1 ? '1' : '0');
}

/* the current row of r in COPY's text format */
static void
add_row(struct buf *b, const struct db_reader *r)
{
	for (size_t i = 0; i < r->cols->n; i++) {
		const struct db_type *t = &r->cols->v[i].t;
		const char *v = r->v[i];

		if (i)
			buf_addc(b, '\t');
		if (!v)
			buf_add(b, "\\N", 2);
		else if (t->kind == DB_T_BINARY)
			add_bytea(b, (const unsigned char *)v, r->len[i]);
		else if (t->kind == DB_T_BIT)
			add_bits(b, (const unsigned char *)v, r->len[i], t->bits);
		else
			add_escaped(b, v, r->len[i]);
	}
	buf_addc(b, '\n');
}

/* hand b to the COPY on p and empty it; 0 or -1 */
static int
put(struct pdb *p, struct buf *b)
{
	if (b->len && PQputCopyData(p->pg, b->s, (int)b->len) != 1)
		return pdb_error(p, NULL);
	b->len = 0;
	return 0;
}

/* end the COPY on p: a failure when why is set; 0 or -1 */
static int
put_end(struct pdb *p, const char *why)
{
	if (PQputCopyEnd(p->pg, why) != 1) {
		pdb_error(p, NULL);
		copy_result(p, true);
		return -1;
	}
	return copy_result(p, why != NULL);
}

int
pdb_write_rows(struct db *d, const char *table, struct db_reader *r, struct db **errside)
{
	struct pdb *p = pdb(d);
	char *sql = copy_in_sql(table, r->cols);
	struct buf b;
	int rc = 0, more;

	*errside = NULL;
	if (copy_start(p, sql, PGRES_COPY_IN) < 0) {
		free(sql);
		*errside = d;
		return -1;
	}
	free(sql);
	buf_init(&b);
	reserve(&b, CHUNK + 4096);
	while ((more = db_reader_next(r)) > 0) {
		add_row(&b, r);
		if (b.len >= CHUNK && (rc = put(p, &b)) < 0)
			break;
	}
	if (rc < 0) {
		put_end(p, "chacc: sending rows failed");
		*errside = d;
	} else if (more < 0) {
		put_end(p, r->stopped ? "chacc: copy stopped" : "chacc: reading the source failed");
		if (r->stopped)
			db_set_error(d, PDB_STATE("57014"), "copy stopped after %lld rows", r->rows);
		*errside = r->stopped ? d : r->db;
		rc = -1;
	} else if (put(p, &b) < 0 || put_end(p, NULL) < 0) {
		*errside = d;
		rc = -1;
	}
	buf_release(&b);
	return rc;
}

/* a reader of COPY (query) TO STDOUT */
struct preader {
	struct db_reader base;
	struct pdb *p;
	char *saved[LEN(out_settings)];
	bool done;
	char *row;               /* the last row libpq gave, decoded in place */
	char (*tmp)[48];         /* a converted value of each column */
};

/* what a column's value needs after COPY's text: PostgreSQL's form to the neutral one */
enum conv { CONV_NONE, CONV_BOOL, CONV_BYTEA, CONV_BIT, CONV_EPOCH };

static enum conv
conv_of(const struct db_col *c)
{
	switch (c->t.kind) {
	case DB_T_BOOL: return CONV_BOOL;
	case DB_T_BINARY: return CONV_BYTEA;
	case DB_T_BIT: return CONV_BIT;
	case DB_T_TIME: return strncmp(c->native, "interval", 8) == 0 ? CONV_EPOCH : CONV_NONE;
	default: return CONV_NONE;
	}
}

/* the query COPY runs: intervals as seconds, instants in UTC, reals as doubles; q's columns by position */
static char *
copy_out_sql(const char *select_sql, const struct db_cols *cols)
{
	struct buf b;
	char *q = pdb_trim_sql(select_sql);

	buf_init(&b);
	buf_adds(&b, "COPY (SELECT ");
	for (size_t i = 0; i < cols->n; i++) {
		const char *sep = i ? ", " : "";

		if (conv_of(&cols->v[i]) == CONV_EPOCH)
			buf_addf(&b, "%sEXTRACT(EPOCH FROM q.c%zu)", sep, i);
		else if (cols->v[i].t.kind == DB_T_FLOAT && cols->v[i].t.bits == 32)
			/* the shortest text of a real's edge overflows MariaDB's FLOAT; its exact double does not */
			buf_addf(&b, "%sCAST(q.c%zu AS double precision)", sep, i);
		else if (cols->v[i].t.kind == DB_T_TIMESTAMP)
			buf_addf(&b, "%sq.c%zu AT TIME ZONE 'UTC'", sep, i);
		else
			buf_addf(&b, "%sq.c%zu", sep, i);
	}
	buf_addf(&b, " FROM (%s) AS q(", q);
	for (size_t i = 0; i < cols->n; i++)
		buf_addf(&b, "%sc%zu", i ? ", " : "", i);
	buf_adds(&b, ")) TO STDOUT");
	free(q);
	return buf_detach(&b);
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* one field of COPY's text from s (up to a tab or the end) decoded in place at w; past it */
static char *
decode_field(char *s, char *end, char **w)
{
	char *o = *w;

	while (s < end && *s != '\t') {
		if (*s != '\\' || s + 1 >= end) {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': *o++ = '\b', s++; break;
		case 'f': *o++ = '\f', s++; break;
		case 'n': *o++ = '\n', s++; break;
		case 'r': *o++ = '\r', s++; break;
		case 't': *o++ = '\t', s++; break;
		case 'v': *o++ = '\v', s++; break;
		case 'x':
			if (s + 1 < end && hexval(s[1]) >= 0) {
				int v = hexval(*++s);

				if (s + 1 < end && hexval(s[1]) >= 0)
					v = v * 16 + hexval(*++s);
				*o++ = (char)v;
				s++;
				break;
			}
			*o++ = *s++;
			break;
		default:
			if (*s >= '0' && *s <= '7') {
				int v = 0;

				for (int k = 0; k < 3 && s < end && *s >= '0' && *s <= '7'; k++)
					v = v * 8 + (*s++ - '0');
				*o++ = (char)v;
			} else {
				*o++ = *s++;
			}
		}
	}
	*w = o;
	return s;
}

/* seconds ("-93784.5") as a MariaDB time ("-26:03:04.500000"); false when it does not read */
static bool
epoch_time(const char *s, char *out, size_t size)
{
	const char *neg = *s == '-' ? "-" : "";
	unsigned long long sec = 0;
	char frac[7] = "000000";
	size_t k = 0;

	s += *neg ? 1 : 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (sec > 1000000000000ULL)
			return false;
		sec = sec * 10 + (unsigned)(*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (k < 6)
				frac[k++] = *s;
	if (*s)
		return false;
	snprintf(out, size, "%s%llu:%02llu:%02llu%s%s", neg, sec / 3600, sec / 60 % 60, sec % 60,
	         k ? "." : "", k ? frac : "");
	return true;
}

/* value i of the row (len bytes at v) in its neutral form: in place, or in tmp */
static void
convert(struct preader *pr, size_t i, char *v, size_t *len)
{
	struct db_reader *r = &pr->base;
	const struct db_col *c = &r->cols->v[i];
	char *tmp = pr->tmp[i];
	uint64_t bits = 0;
	size_t n = 0;

	switch (conv_of(c)) {
	case CONV_BOOL:
		v[0] = v[0] == 't' ? '1' : '0';
		*len = 1;
		break;
	case CONV_BYTEA:
		if (*len >= 2 && v[0] == '\\' && v[1] == 'x') {
			for (size_t k = 2; k + 1 < *len; k += 2)
				v[n++] = (char)(hexval(v[k]) * 16 + hexval(v[k + 1]));
			*len = n;
		}
		break;
	case CONV_BIT:
		for (size_t k = 0; k < *len; k++)
			bits = bits << 1 | (v[k] == '1');
		n = (c->t.bits + 7) / 8;
		for (size_t k = 0; k < n; k++)
			tmp[k] = (char)(bits >> (8 * (n - 1 - k)));
		r->v[i] = tmp;
		*len = n;
		break;
	case CONV_EPOCH:
		if (epoch_time(v, tmp, sizeof(pr->tmp[i]))) {
			r->v[i] = tmp;
			*len = strlen(tmp);
		}
		break;
	case CONV_NONE:
		break;
	}
}

/* split and decode the row of n bytes libpq gave into r->v and r->len */
static int
decode_row(struct preader *pr, char *s, int n)
{
	struct db_reader *r = &pr->base;
	char *end = s + n, *w;

	if (n > 0 && end[-1] == '\n')
		end--;
	for (size_t i = 0; i < r->cols->n; i++) {
		if (i && (s >= end || *s++ != '\t'))
			return db_set_error(r->db, 0, "COPY sent a row of %zu values, not %zu", i,
			                    r->cols->n);
		if (end - s >= 2 && s[0] == '\\' && s[1] == 'N' && (end - s == 2 || s[2] == '\t')) {
			r->v[i] = NULL;
			r->len[i] = 0;
			s += 2;
			continue;
		}
		w = s;
		r->v[i] = s;
		s = decode_field(s, end, &w);
		r->len[i] = (size_t)(w - r->v[i]);
	}
	/* every separator read: each value may end with a NUL now */
	for (size_t i = 0; i < r->cols->n; i++) {
		if (!r->v[i])
			continue;
		((char *)r->v[i])[r->len[i]] = '\0';
		convert(pr, i, (char *)r->v[i], &r->len[i]);
	}
	return 1;
}

static int
preader_next(struct db_reader *r)
{
	struct preader *pr = (struct preader *)r;
	int n;

	if (pr->row) {
		PQfreemem(pr->row);
		pr->row = NULL;
	}
	if (pr->done)
		return 0;
	n = PQgetCopyData(pr->p->pg, &pr->row, 0);
	if (n >= 0)
		return decode_row(pr, pr->row, n);
	pr->done = true;
	if (n == -2)
		return pdb_error(pr->p, NULL);
	return copy_result(pr->p, false);
}

static void
preader_close(struct db_reader *r)
{
	struct preader *pr = (struct preader *)r;

	if (pr->row)
		PQfreemem(pr->row);
	if (!pr->done)
		copy_out_cancel(pr->p);
	settings_pop(pr->p, pr->saved);
	free(pr->tmp);
	free(r->v);
	free(r->len);
	free(pr);
}

struct db_reader *
pdb_open_reader(struct db *src, const char *select_sql, const struct db_cols *cols)
{
	struct preader *pr = xcalloc(1, sizeof(*pr));
	char *sql;

	pr->p = pdb(src);
	if (settings_push(pr->p, pr->saved) < 0) {
		settings_pop(pr->p, pr->saved);
		free(pr);
		return NULL;
	}
	sql = copy_out_sql(select_sql, cols);
	if (copy_start(pr->p, sql, PGRES_COPY_OUT) < 0) {
		free(sql);
		settings_pop(pr->p, pr->saved);
		free(pr);
		return NULL;
	}
	free(sql);
	pr->base.db = src;
	pr->base.cols = cols;
	pr->base.v = xcalloc(cols->n + 1, sizeof(*pr->base.v));
	pr->base.len = xcalloc(cols->n + 1, sizeof(*pr->base.len));
	pr->tmp = xcalloc(cols->n + 1, sizeof(*pr->tmp));
	pr->base.next = preader_next;
	pr->base.close = preader_close;
	return &pr->base;
}

/* rows of COPY TO STDOUT on src into the COPY FROM STDIN on dst, as they come */
static int
pipe_rows(struct pdb *src, struct pdb *dst, long long *rows, db_progress_fn progress, void *arg,
          struct db **errside)
{
	char *row;
	int n;

	while ((n = PQgetCopyData(src->pg, &row, 0)) >= 0) {
		int ok = PQputCopyData(dst->pg, row, n);

		PQfreemem(row);
		(*rows)++;
		if (ok != 1) {
			pdb_error(dst, NULL);
			*errside = &dst->base;
			break;
		}
		if (progress && *rows % PROGRESS_ROWS == 0 && progress(arg, *rows)) {
			db_set_error(&dst->base, PDB_STATE("57014"), "copy stopped after %lld rows", *rows);
			*errside = &dst->base;
			break;
		}
	}
	if (*errside) {
		copy_out_cancel(src);
		put_end(dst, "chacc: copy stopped");
		return -1;
	}
	if ((n == -2 ? pdb_error(src, NULL) : copy_result(src, false)) < 0) {
		*errside = &src->base;
		put_end(dst, "chacc: reading the source failed");
		return -1;
	}
	if (put_end(dst, NULL) < 0) {
		*errside = &dst->base;
		return -1;
	}
	return 0;
}

int
pdb_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
         long long *rows, db_progress_fn progress, void *arg, struct db **errside)
{
	struct db_cols cols;
	char *saved[LEN(out_settings)] = { 0 };
	char *in, *q, *out;
	int rc = -1;

	*rows = 0;
	*errside = src;
	if (pdb_result_types(src, select_sql, &cols) < 0)
		return -1;
	in = copy_in_sql(table, &cols);
	q = pdb_trim_sql(select_sql);
	out = xasprintf("COPY (%s) TO STDOUT", q);
	if (settings_push(pdb(src), saved) == 0 && copy_start(pdb(src), out, PGRES_COPY_OUT) == 0) {
		if (copy_start(pdb(dst), in, PGRES_COPY_IN) < 0) {
			copy_out_cancel(pdb(src));
			*errside = dst;
		} else {
			*errside = NULL;
			rc = pipe_rows(pdb(src), pdb(dst), rows, progress, arg, errside);
		}
	}
	settings_pop(pdb(src), saved);
	db_cols_release(&cols);
	free(in);
	free(q);
	free(out);
	return rc;
}
