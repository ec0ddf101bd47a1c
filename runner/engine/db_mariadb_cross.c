/*
 * db_mariadb_cross.c: the MariaDB side of copies between engines: a result's
 * columns in neutral terms (struct db_col), the CREATE TABLE of neutral
 * columns, and a streaming reader of a query's rows in the neutral forms
 */
#include "db_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* charsetnr of binary strings */
#define BINARY_CHARSET 63
/* the longest VARCHAR of utf8mb4 characters */
#define VARCHAR_MAX 16383

/* bytes per character of a result charset */
static unsigned
charset_mb(unsigned nr)
{
	const MARIADB_CHARSET_INFO *cs = mariadb_get_charset_by_nr(nr);

	return cs && cs->char_maxlen ? cs->char_maxlen : 4;
}

/* the extended metadata of f (MariaDB 10.5 and newer): its data type or format name, or "" */
static char *
field_attr(const MYSQL_FIELD *f, enum mariadb_field_attr_t which)
{
	MARIADB_CONST_STRING s = { 0 };

	if (mariadb_field_attr(&s, f, which) || !s.str)
		return xstrdup("");
	return xstrndup(s.str, s.length);
}

/* how a string or blob field crosses: text, bytes, JSON, UUID, an enum or a set */
static void
string_col(struct db_col *c, const MYSQL_FIELD *f, bool lob)
{
	bool bin = f->charsetnr == BINARY_CHARSET;
	unsigned long n = bin ? f->length : f->length / charset_mb(f->charsetnr);
	char *format = field_attr(f, MARIADB_FIELD_ATTR_FORMAT_NAME);
	char *dtype = field_attr(f, MARIADB_FIELD_ATTR_DATA_TYPE_NAME);

	c->t.kind = bin ? DB_T_BINARY : DB_T_STRING;
	c->t.fixed = f->type == MYSQL_TYPE_STRING;
	c->t.len = lob || n > 0xffffff ? 0 : (unsigned)n;
	c->native = xstrdup(bin ? (lob ? "BLOB" : c->t.fixed ? "BINARY" : "VARBINARY") :
	                    (lob ? "TEXT" : c->t.fixed ? "CHAR" : "VARCHAR"));
	if (f->flags & ENUM_FLAG || f->type == MYSQL_TYPE_ENUM)
		c->t.kind = DB_T_ENUM;
	else if (f->flags & SET_FLAG || f->type == MYSQL_TYPE_SET)
		c->t.kind = DB_T_SET;
	else if (strcmp(format, "json") == 0 || f->type == MYSQL_TYPE_JSON)
		c->t.kind = DB_T_JSON;
	else if (strcmp(dtype, "uuid") == 0)
		c->t.kind = DB_T_UUID;
	else if (*dtype)
		c->t.kind = DB_T_STRING; /* INET4, INET6: their text */
	if (*dtype || c->t.kind == DB_T_JSON || c->t.kind == DB_T_ENUM || c->t.kind == DB_T_SET) {
		free(c->native);
		c->native = xstrdup(*dtype ? dtype : c->t.kind == DB_T_JSON ? "JSON" :
		                    c->t.kind == DB_T_ENUM ? "ENUM" : "SET");
	}
	if (c->t.kind != DB_T_STRING && c->t.kind != DB_T_BINARY)
		c->t.fixed = false;
	free(format);
	free(dtype);
}

/* the neutral type of result field f */
static void
field_col(struct db_col *c, const MYSQL_FIELD *f)
{
	static const struct { enum enum_field_types type; enum db_tkind kind; unsigned bits;
	                      const char *name; } simple[] = {
		{ MYSQL_TYPE_TINY, DB_T_INT, 8, "TINYINT" },
		{ MYSQL_TYPE_SHORT, DB_T_INT, 16, "SMALLINT" },
		{ MYSQL_TYPE_INT24, DB_T_INT, 24, "MEDIUMINT" },
		{ MYSQL_TYPE_LONG, DB_T_INT, 32, "INT" },
		{ MYSQL_TYPE_LONGLONG, DB_T_INT, 64, "BIGINT" },
		{ MYSQL_TYPE_FLOAT, DB_T_FLOAT, 32, "FLOAT" },
		{ MYSQL_TYPE_DOUBLE, DB_T_FLOAT, 64, "DOUBLE" },
		{ MYSQL_TYPE_DATE, DB_T_DATE, 0, "DATE" },
		{ MYSQL_TYPE_NEWDATE, DB_T_DATE, 0, "DATE" },
		{ MYSQL_TYPE_TIME, DB_T_TIME, 0, "TIME" },
		{ MYSQL_TYPE_TIME2, DB_T_TIME, 0, "TIME" },
		{ MYSQL_TYPE_DATETIME, DB_T_DATETIME, 0, "DATETIME" },
		{ MYSQL_TYPE_DATETIME2, DB_T_DATETIME, 0, "DATETIME" },
		{ MYSQL_TYPE_TIMESTAMP, DB_T_DATETIME, 0, "TIMESTAMP" },
		{ MYSQL_TYPE_TIMESTAMP2, DB_T_DATETIME, 0, "TIMESTAMP" },
		{ MYSQL_TYPE_YEAR, DB_T_YEAR, 0, "YEAR" },
		{ MYSQL_TYPE_BIT, DB_T_BIT, 0, "BIT" },
		{ MYSQL_TYPE_NULL, DB_T_STRING, 0, "NULL" },
		{ MYSQL_TYPE_GEOMETRY, DB_T_OTHER, 0, "GEOMETRY" },
	};

	c->name = xstrdup(f->name);
	/* a zero date crosses as NULL: such a column may hold NULLs there */
	c->not_null = f->flags & NOT_NULL_FLAG && f->type != MYSQL_TYPE_DATE &&
	              f->type != MYSQL_TYPE_NEWDATE && f->type != MYSQL_TYPE_DATETIME &&
	              f->type != MYSQL_TYPE_DATETIME2 && f->type != MYSQL_TYPE_TIMESTAMP &&
	              f->type != MYSQL_TYPE_TIMESTAMP2;
	for (size_t i = 0; i < LEN(simple); i++) {
		if (simple[i].type != f->type)
			continue;
		c->t.kind = simple[i].kind;
		c->t.bits = simple[i].bits;
		c->t.is_unsigned = f->flags & UNSIGNED_FLAG;
		c->t.scale = f->decimals > 6 ? 6 : f->decimals;
		if (f->type == MYSQL_TYPE_BIT)
			c->t.bits = f->length < 1 ? 1 : f->length > 64 ? 64 : (unsigned)f->length;
		if (c->t.kind == DB_T_INT || c->t.kind == DB_T_FLOAT)
			c->t.scale = 0;
		c->native = f->type == MYSQL_TYPE_GEOMETRY ?
		            field_attr(f, MARIADB_FIELD_ATTR_DATA_TYPE_NAME) : xstrdup(simple[i].name);
		if (!*c->native) {
			free(c->native);
			c->native = xstrdup(simple[i].name);
		}
		return;
	}
	switch (f->type) {
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL: {
		long scale = f->decimals > 38 ? 38 : f->decimals;
		long prec = (long)f->length - (scale > 0) - !(f->flags & UNSIGNED_FLAG);

		c->t.kind = DB_T_DECIMAL;
		c->t.scale = (unsigned)scale;
		c->t.prec = (unsigned)(prec > 65 ? 65 : prec < scale ? scale : prec < 1 ? 1 : prec);
		c->t.is_unsigned = f->flags & UNSIGNED_FLAG;
		c->native = xstrdup("DECIMAL");
		return;
	}
	case MYSQL_TYPE_JSON:
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		string_col(c, f, true);
		return;
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
		string_col(c, f, false);
		return;
	default:
		c->t.kind = DB_T_OTHER;
		c->native = xasprintf("type %d", (int)f->type);
		return;
	}
}

int
mdb_result_types(struct db *d, const char *select_sql, struct db_cols *out)
{
	MYSQL_RES *res;
	MYSQL_FIELD *f;

	if (!(res = mdb_probe(mdb(d), select_sql)))
		return -1;
	f = mysql_fetch_fields(res);
	out->n = mysql_num_fields(res);
	out->v = xcalloc(out->n ? out->n : 1, sizeof(*out->v));
	for (size_t i = 0; i < out->n; i++)
		field_col(&out->v[i], &f[i]);
	mysql_free_result(res);
	return 0;
}

/* 'label' with quotes and backslashes escaped */
static void
add_label(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	mdb_add_escaped(b, s, strlen(s), mdb_sql_esc);
	buf_addc(b, '\'');
}

/* a column of text or bytes: its row bytes, negative when it could become a TEXT or BLOB */
static long
varlen_type(struct buf *b, const struct db_type *t, bool lob)
{
	bool bin = t->kind == DB_T_BINARY;
	unsigned mb = bin ? 1 : 4;
	const char *cs = bin ? "" : " CHARACTER SET utf8mb4";

	if (t->len && t->fixed && t->len <= 255) {
		buf_addf(b, "%s(%u)%s", bin ? "BINARY" : "CHAR", t->len, cs);
		return (long)(t->len * mb);
	}
	if (t->len && !lob && t->len <= (bin ? 65532 : VARCHAR_MAX)) {
		buf_addf(b, "%s(%u)%s", bin ? "VARBINARY" : "VARCHAR", t->len, cs);
		return -(long)(t->len * mb + 2);
	}
	if (t->len && t->len * mb <= 65535)
		buf_addf(b, "%s%s", bin ? "BLOB" : "TEXT", cs);
	else if (t->len && t->len * mb <= 16777215)
		buf_addf(b, "%s%s", bin ? "MEDIUMBLOB" : "MEDIUMTEXT", cs);
	else
		buf_addf(b, "%s%s", bin ? "LONGBLOB" : "LONGTEXT", cs);
	return 12;
}

/* the enum or set of labels; a TEXT when they are not known */
static void
labels_type(struct buf *b, const struct db_type *t)
{
	if (!t->nvalues) {
		buf_adds(b, "LONGTEXT CHARACTER SET utf8mb4");
		return;
	}
	buf_adds(b, t->kind == DB_T_ENUM ? "ENUM(" : "SET(");
	for (size_t i = 0; i < t->nvalues; i++) {
		if (i)
			buf_addc(b, ',');
		add_label(b, t->values[i]);
	}
	buf_adds(b, ") CHARACTER SET utf8mb4");
}

/* the MariaDB type of c into b: its row bytes as varlen_type says, or -1 with *err */
static long
col_type(struct buf *b, struct mdb *m, const struct db_col *c, bool lob, char **err)
{
	static const char *const ints[] = { "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT" };
	const struct db_type *t = &c->t;
	unsigned i;

	switch (t->kind) {
	case DB_T_INT:
		i = t->bits <= 8 ? 0 : t->bits <= 16 ? 1 : t->bits <= 24 ? 2 : t->bits <= 32 ? 3 : 4;
		buf_addf(b, "%s%s", ints[i], t->is_unsigned ? " UNSIGNED" : "");
		return 8;
	case DB_T_BOOL:
		buf_adds(b, "TINYINT(1)");
		return 1;
	case DB_T_DECIMAL:
		if (!t->prec) {
			buf_adds(b, "DECIMAL(65,30)");
			return 30;
		}
		if (t->prec > 65 || t->scale > 38 || t->scale > t->prec)
			break;
		buf_addf(b, "DECIMAL(%u,%u)", t->prec, t->scale);
		return 30;
	case DB_T_FLOAT:
		buf_adds(b, t->bits == 32 ? "FLOAT" : "DOUBLE");
		return 8;
	case DB_T_DATE:
		buf_adds(b, "DATE");
		return 3;
	case DB_T_DATETIME:
	case DB_T_TIMESTAMP:
	case DB_T_TIME:
		buf_adds(b, t->kind == DB_T_TIME ? "TIME" : "DATETIME");
		if (t->scale)
			buf_addf(b, "(%u)", t->scale > 6 ? 6 : t->scale);
		return 8;
	case DB_T_STRING:
	case DB_T_BINARY:
		return varlen_type(b, t, lob);
	case DB_T_JSON:
		buf_adds(b, "JSON");
		return 12;
	case DB_T_ENUM:
	case DB_T_SET:
		labels_type(b, t);
		return 12;
	case DB_T_BIT:
		if (t->bits < 1 || t->bits > 64)
			break;
		buf_addf(b, "BIT(%u)", t->bits);
		return 8;
	case DB_T_YEAR:
		buf_adds(b, "YEAR");
		return 1;
	case DB_T_UUID:
		/* not MariaDB's UUID: LOAD DATA ... CHARACTER SET binary would read its text as bytes */
		buf_adds(b, "CHAR(36) CHARACTER SET ascii");
		return 36;
	case DB_T_OTHER:
		break;
	}
	*err = xasprintf("column '%s' has type %s, which MariaDB has no type for (cast it in the query)",
	                 c->name, c->native ? c->native : "?");
	return -1;
}

/* what col_size reads */
struct col_sizes {
	struct mdb *m;
	const struct db_cols *cols;
	char **err;
};

static bool
col_size(void *arg, size_t i, bool lob, long *bytes)
{
	struct col_sizes *a = arg;
	struct buf scratch;

	buf_init(&scratch);
	*bytes = col_type(&scratch, a->m, &a->cols->v[i], lob, a->err);
	buf_release(&scratch);
	return *bytes != -1;
}

char *
mdb_cols_ddl(struct db *d, const char *table, const struct db_cols *cols, char **err)
{
	struct col_sizes sizes = { mdb(d), cols, err };
	bool *lob = mdb_fit_row(cols->n, col_size, &sizes);
	struct buf b;
	size_t i;
	char *id;

	if (!lob)
		return NULL;
	buf_init(&b);
	id = strchr(table, '`') ? xstrdup(table) : mdb_ident(table);
	buf_addf(&b, "CREATE TABLE %s (", id);
	free(id);
	for (i = 0; i < cols->n; i++) {
		id = mdb_ident(cols->v[i].name);
		buf_addf(&b, "%s%s ", i ? ", " : "", id);
		free(id);
		col_type(&b, mdb(d), &cols->v[i], lob[i], err);
		if (cols->v[i].not_null)
			buf_adds(&b, " NOT NULL");
	}
	buf_adds(&b, ") DEFAULT CHARSET=utf8mb4");
	free(lob);
	return buf_detach(&b);
}

/* a reader of a MariaDB query's rows, unbuffered */
struct mreader {
	struct db_reader base;
	struct mdb *m;
	MYSQL_RES *res;
	bool done;
	bool *dates;              /* columns whose zero dates become NULL */
};

/* a date or datetime with a zero part (0000-00-00, 2024-00-10): PostgreSQL has none */
static bool
zero_date(const char *v, size_t n)
{
	return n >= 10 && (strncmp(v, "0000", 4) == 0 || strncmp(v + 5, "00", 2) == 0 ||
	                   strncmp(v + 8, "00", 2) == 0);
}

static int
mreader_next(struct db_reader *r)
{
	struct mreader *mr = (struct mreader *)r;
	MYSQL_ROW row;
	unsigned long *lens;

	if (mr->done)
		return 0;
	if (!(row = mysql_fetch_row(mr->res))) {
		mr->done = true;
		return mysql_errno(mr->m->my) ? mdb_error(mr->m) : 0;
	}
	lens = mysql_fetch_lengths(mr->res);
	for (size_t i = 0; i < r->cols->n; i++) {
		r->v[i] = row[i];
		r->len[i] = lens[i];
		if (row[i] && mr->dates[i] && zero_date(row[i], lens[i]))
			r->v[i] = NULL;
	}
	return 1;
}

static void
mreader_close(struct db_reader *r)
{
	struct mreader *mr = (struct mreader *)r;

	if (mr->res) {
		if (!mr->done)
			db_kill_query(&mr->m->p, atomic_load(&mr->m->thread_id));
		mysql_free_result(mr->res);
		mdb_drain(mr->m);
	}
	free(mr->dates);
	free(r->v);
	free(r->len);
	free(mr);
}

struct db_reader *
mdb_open_reader(struct db *src, const char *select_sql, const struct db_cols *cols)
{
	struct mdb *m = mdb(src);
	struct mreader *mr;
	char *names = NULL, *sql;
	MYSQL_RES *res;

	if (!(sql = mdb_stream_sql(m, select_sql, &names)))
		return NULL;
	free(names);
	log_statement(m->p.name, sql);
	if (mysql_real_query(m->my, sql, strlen(sql)) || !(res = mysql_use_result(m->my))) {
		if (mysql_errno(m->my))
			mdb_error(m);
		else
			db_set_error(src, 0, "query returns no result set");
		free(sql);
		return NULL;
	}
	free(sql);
	if (mysql_num_fields(res) != cols->n) {
		mysql_free_result(res);
		db_set_error(src, 0, "the query's columns changed while copying");
		return NULL;
	}
	mr = xcalloc(1, sizeof(*mr));
	mr->m = m;
	mr->res = res;
	mr->base.db = src;
	mr->base.cols = cols;
	mr->base.v = xcalloc(cols->n + 1, sizeof(*mr->base.v));
	mr->base.len = xcalloc(cols->n + 1, sizeof(*mr->base.len));
	mr->dates = xcalloc(cols->n + 1, sizeof(*mr->dates));
	for (size_t i = 0; i < cols->n; i++)
		mr->dates[i] = cols->v[i].t.kind == DB_T_DATE || cols->v[i].t.kind == DB_T_DATETIME;
	mr->base.next = mreader_next;
	mr->base.close = mreader_close;
	return &mr->base;
}
