/*
 * db_postgres_result.c: the PostgreSQL engine's result columns: described
 * without running the query (a prepared statement), as a CREATE TABLE of
 * this engine, in neutral terms (struct db_col), and neutral columns as a
 * PostgreSQL CREATE TABLE
 */
#include "db_postgres.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* the oids of the built-in types chacc maps (pg_type.dat; they never change) */
enum {
	OID_BOOL = 16, OID_BYTEA = 17, OID_CHAR = 18, OID_NAME = 19, OID_INT8 = 20, OID_INT2 = 21,
	OID_INT4 = 23, OID_TEXT = 25, OID_OID = 26, OID_JSON = 114, OID_XML = 142, OID_CIDR = 650,
	OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_MACADDR8 = 774, OID_MACADDR = 829, OID_INET = 869,
	OID_BPCHAR = 1042, OID_VARCHAR = 1043, OID_DATE = 1082, OID_TIME = 1083,
	OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_INTERVAL = 1186, OID_BIT = 1560,
	OID_VARBIT = 1562, OID_NUMERIC = 1700, OID_UUID = 2950, OID_JSONB = 3802,
};

/* the oid, type modifier and name of each column of sql's result, without running it */
int
pdb_describe(struct pdb *p, const char *sql, PGresult **out)
{
	PGresult *res;
	char *q = pdb_trim_sql(sql);

	*out = NULL;
	log_statement(p->p.name, q);
	res = PQprepare(p->pg, "", q, 0, NULL);
	free(q);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pdb_error(p, res);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	res = PQdescribePrepared(p->pg, "");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pdb_error(p, res);
		PQclear(res);
		return -1;
	}
	if (PQnfields(res) == 0) {
		PQclear(res);
		return db_set_error(&p->base, 0, "query returns no result set");
	}
	*out = res;
	return 0;
}

char *
pdb_trim_sql(const char *sql)
{
	size_t n = strlen(sql);

	while (n > 0 && strchr(" \t\r\n;", sql[n - 1]))
		n--;
	return xstrndup(sql, n);
}

/* "table", or table as written when the caller quoted it already */
char *
pdb_table_ident(const char *table)
{
	return strchr(table, '"') ? xstrdup(table) : pdb_ident(table);
}

char *
pdb_result_ddl(struct db *d, const char *select_sql, const char *table)
{
	PGresult *desc;
	struct dbres *r;
	struct buf q, b;
	char *id;
	int n;

	if (pdb_describe(pdb(d), select_sql, &desc) < 0)
		return NULL;
	n = PQnfields(desc);
	buf_init(&q);
	buf_adds(&q, "SELECT ");
	for (int i = 0; i < n; i++)
		buf_addf(&q, "%sformat_type(%u, %d)", i ? ", " : "", PQftype(desc, i), PQfmod(desc, i));
	if (!(r = db_query(d, q.s)) || !dbres_next(r)) {
		dbres_free(r);
		buf_release(&q);
		PQclear(desc);
		return NULL;
	}
	buf_init(&b);
	id = pdb_table_ident(table);
	buf_addf(&b, "CREATE TABLE %s (", id);
	free(id);
	for (int i = 0; i < n; i++) {
		id = pdb_ident(PQfname(desc, i));
		buf_addf(&b, "%s%s %s", i ? ", " : "", id, dbres_get(r, (size_t)i));
		free(id);
	}
	buf_addc(&b, ')');
	dbres_free(r);
	buf_release(&q);
	PQclear(desc);
	return buf_detach(&b);
}

/* the fraction digits of a time, timestamp or interval modifier */
static unsigned
time_scale(int oid, int mod)
{
	if (mod < 0)
		return 6;
	if (oid == OID_INTERVAL)
		mod &= 0xffff;
	return mod > 6 ? 6 : (unsigned)mod;
}

/* the neutral type of a built-in type oid with modifier mod; false when it has none */
static bool
builtin_type(struct db_type *t, unsigned oid, int mod)
{
	switch (oid) {
	case OID_BOOL: t->kind = DB_T_BOOL; break;
	case OID_BYTEA: t->kind = DB_T_BINARY; break;
	case OID_CHAR: t->kind = DB_T_STRING, t->len = 1; break;
	case OID_NAME: t->kind = DB_T_STRING, t->len = 63; break;
	case OID_INT2: t->kind = DB_T_INT, t->bits = 16; break;
	case OID_INT4: t->kind = DB_T_INT, t->bits = 32; break;
	case OID_INT8: t->kind = DB_T_INT, t->bits = 64; break;
	case OID_OID: t->kind = DB_T_INT, t->bits = 32, t->is_unsigned = true; break;
	case OID_TEXT: case OID_XML: case OID_CIDR: case OID_INET: case OID_MACADDR:
	case OID_MACADDR8:
		t->kind = DB_T_STRING;
		break;
	case OID_BPCHAR: case OID_VARCHAR:
		t->kind = DB_T_STRING;
		t->len = mod > 4 ? (unsigned)(mod - 4) : 0;
		t->fixed = oid == OID_BPCHAR && t->len;
		break;
	case OID_JSON: case OID_JSONB: t->kind = DB_T_JSON; break;
	case OID_FLOAT4: t->kind = DB_T_FLOAT, t->bits = 32; break;
	case OID_FLOAT8: t->kind = DB_T_FLOAT, t->bits = 64; break;
	case OID_DATE: t->kind = DB_T_DATE; break;
	case OID_TIME: case OID_INTERVAL: t->kind = DB_T_TIME; break;
	case OID_TIMESTAMP: t->kind = DB_T_DATETIME; break;
	case OID_TIMESTAMPTZ: t->kind = DB_T_TIMESTAMP; break;
	case OID_BIT: case OID_VARBIT:
		if (mod < 1 || mod > 64)
			return false;
		t->kind = DB_T_BIT, t->bits = (unsigned)mod;
		break;
	case OID_NUMERIC:
		t->kind = DB_T_DECIMAL;
		if (mod >= 4) {
			t->prec = (unsigned)((mod - 4) >> 16) & 0xffff;
			t->scale = (unsigned)(mod - 4) & 0xffff;
			if (t->scale > t->prec)
				return false; /* a negative scale, or one past the precision */
		}
		break;
	case OID_UUID: t->kind = DB_T_UUID; break;
	default:
		return false;
	}
	if (t->kind == DB_T_TIME || t->kind == DB_T_DATETIME || t->kind == DB_T_TIMESTAMP)
		t->scale = time_scale((int)oid, mod);
	return true;
}

/* the labels of enum type oid into t */
static int
enum_labels(struct pdb *p, unsigned oid, struct db_type *t)
{
	struct dbres *r = db_queryf(&p->base, "SELECT enumlabel FROM pg_enum WHERE enumtypid = %u"
	                            " ORDER BY enumsortorder", oid);

	if (!r)
		return -1;
	t->kind = DB_T_ENUM;
	t->values = xcalloc(dbres_nrows(r) + 1, sizeof(*t->values));
	while (dbres_next(r))
		t->values[t->nvalues++] = xstrdup(dbres_get(r, 0) ? dbres_get(r, 0) : "");
	dbres_free(r);
	return 0;
}

/* the neutral type of column c, of type oid with modifier mod: domains by their base type */
static int
col_type(struct pdb *p, struct db_col *c, unsigned oid, int mod)
{
	for (int depth = 0; depth < 8; depth++) {
		struct dbres *r;
		char typtype = 0, category = 0;

		if (builtin_type(&c->t, oid, mod))
			return 0;
		if (!(r = db_queryf(&p->base, "SELECT typtype, typbasetype, typtypmod, typcategory"
		                    " FROM pg_type WHERE oid = %u", oid)))
			return -1;
		if (dbres_next(r)) {
			typtype = *dbres_get(r, 0);
			category = *dbres_get(r, 3);
		}
		if (typtype == 'd') {
			oid = (unsigned)strtoul(dbres_get(r, 1), NULL, 10);
			if (mod < 0)
				mod = atoi(dbres_get(r, 2));
		}
		dbres_free(r);
		if (typtype == 'd')
			continue;
		if (typtype == 'e')
			return enum_labels(p, oid, &c->t);
		/* a string type of an extension (citext): its text */
		if (typtype == 'b' && category == 'S') {
			c->t.kind = DB_T_STRING;
			return 0;
		}
		break;
	}
	memset(&c->t, 0, sizeof(c->t));
	return 0;
}

int
pdb_result_types(struct db *d, const char *select_sql, struct db_cols *out)
{
	struct pdb *p = pdb(d);
	PGresult *desc;
	struct buf q;
	struct dbres *r;
	int n;

	if (pdb_describe(p, select_sql, &desc) < 0)
		return -1;
	n = PQnfields(desc);
	out->n = (size_t)n;
	out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
	buf_init(&q);
	buf_adds(&q, "SELECT ");
	for (int i = 0; i < n; i++) {
		out->v[i].name = xstrdup(PQfname(desc, i));
		buf_addf(&q, "%sformat_type(%u, %d)", i ? ", " : "", PQftype(desc, i), PQfmod(desc, i));
	}
	if (!(r = db_query(d, q.s)) || !dbres_next(r)) {
		dbres_free(r);
		buf_release(&q);
		PQclear(desc);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		out->v[i].native = xstrdup(dbres_get(r, (size_t)i));
		if (col_type(p, &out->v[i], PQftype(desc, i), PQfmod(desc, i)) < 0) {
			dbres_free(r);
			buf_release(&q);
			PQclear(desc);
			return -1;
		}
	}
	dbres_free(r);
	buf_release(&q);
	PQclear(desc);
	return 0;
}

/* the PostgreSQL type of c into b; -1 with *err when it has none */
static int
col_sql(struct buf *b, const struct db_col *c, char **err)
{
	const struct db_type *t = &c->t;

	switch (t->kind) {
	case DB_T_INT:
		buf_adds(b, t->bits <= 8 || (t->bits <= 16 && !t->is_unsigned) ? "smallint" :
		            t->bits <= 24 || (t->bits <= 32 && !t->is_unsigned) ? "integer" :
		            t->bits <= 32 || !t->is_unsigned ? "bigint" : "numeric(20,0)");
		return 0;
	case DB_T_BOOL: buf_adds(b, "boolean"); return 0;
	case DB_T_DECIMAL:
		if (t->prec)
			buf_addf(b, "numeric(%u,%u)", t->prec, t->scale);
		else
			buf_adds(b, "numeric");
		return 0;
	case DB_T_FLOAT: buf_adds(b, t->bits == 32 ? "real" : "double precision"); return 0;
	case DB_T_DATE: buf_adds(b, "date"); return 0;
	case DB_T_DATETIME: buf_addf(b, "timestamp(%u)", t->scale); return 0;
	case DB_T_TIMESTAMP: buf_addf(b, "timestamp(%u) with time zone", t->scale); return 0;
	/* a MariaDB TIME may be negative or past 24 hours: an interval holds it */
	case DB_T_TIME: buf_addf(b, "interval(%u)", t->scale); return 0;
	case DB_T_STRING:
		if (t->len && t->len <= 10485760)
			buf_addf(b, "varchar(%u)", t->len);
		else
			buf_adds(b, "text");
		return 0;
	case DB_T_BINARY: buf_adds(b, "bytea"); return 0;
	case DB_T_JSON: buf_adds(b, "jsonb"); return 0;
	case DB_T_ENUM: case DB_T_SET: buf_adds(b, "text"); return 0;
	case DB_T_BIT:
		if (t->bits == 1)
			buf_adds(b, "boolean");
		else
			buf_addf(b, "bit(%u)", t->bits);
		return 0;
	case DB_T_YEAR: buf_adds(b, "smallint"); return 0;
	case DB_T_UUID: buf_adds(b, "uuid"); return 0;
	case DB_T_OTHER:
		break;
	}
	*err = xasprintf("column '%s' has type %s, which PostgreSQL has no type for (cast it in the "
	                 "query)", c->name, c->native ? c->native : "?");
	return -1;
}

char *
pdb_cols_ddl(struct db *d, const char *table, const struct db_cols *cols, char **err)
{
	struct buf b;
	char *id = pdb_table_ident(table);

	buf_init(&b);
	buf_addf(&b, "CREATE TABLE %s (", id);
	free(id);
	for (size_t i = 0; i < cols->n; i++) {
		id = pdb_ident(cols->v[i].name);
		buf_addf(&b, "%s%s ", i ? ", " : "", id);
		free(id);
		if (col_sql(&b, &cols->v[i], err) < 0) {
			buf_release(&b);
			return NULL;
		}
		if (cols->v[i].not_null)
			buf_adds(&b, " NOT NULL");
	}
	buf_addc(&b, ')');
	return buf_detach(&b);
}
