/*
 * db_postgres_rows.c: the PostgreSQL engine compares, merges and removes
 * rows: checksums, digests, kept stamps, upserts, logged deletes. Values are
 * compared as their text (byte for byte, as the MariaDB engine compares
 * them as binary): 1.50 and 1.5 differ, and json compares too.
 */
#include "db_postgres.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* a bigint from the first 60 bits of the md5 of text expression e */
#define MD5_60(e) "('x' || left(md5(" e "), 15))::bit(60)::bigint"

/* a.c1 = b.c1 AND ...: the key columns, equal as the index compares them */
static char *
key_expr(const struct db_names *key, const char *a, const char *b)
{
	struct buf bb;

	buf_init(&bb);
	for (size_t i = 0; i < key->n; i++) {
		char *id = pdb_ident(key->v[i]);

		buf_addf(&bb, "%s%s.%s = %s.%s", i ? " AND " : "", a, id, b, id);
		free(id);
	}
	if (key->n == 0)
		buf_adds(&bb, "true");
	return buf_detach(&bb);
}

/* CAST(a.c1 AS text) <op> CAST(b.c1 AS text) for each column, joined by join */
static char *
text_compare(const struct db_names *c, const char *a, const char *b, const char *op,
             const char *join, const char *none)
{
	struct buf bb;

	buf_init(&bb);
	for (size_t i = 0; i < c->n; i++) {
		char *id = pdb_ident(c->v[i]);

		buf_addf(&bb, "%sCAST(%s.%s AS text) %s CAST(%s.%s AS text)", i ? join : "", a, id, op,
		         b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, none);
	return buf_detach(&bb);
}

int
pdb_checksum(struct db *d, const char *table, char **out)
{
	char *id;
	int rc;

	*out = NULL;
	if (!pdb_table_exists(d, table)) {
		*out = xstrdup("");
		return 0;
	}
	/* the rows' values without the change stamp, in any order */
	id = pdb_ident(table);
	rc = db_value(d, out, "SELECT count(*) || '/' || coalesce(sum("
	              MD5_60("(to_jsonb(t) - '" DB_STAMP "')::text") "), 0) FROM %s AS t", id);
	free(id);
	return rc > 0 && *out ? 0 : -1;
}

int
pdb_digest(struct db *d, const char *table, const struct db_names *cols, char **out)
{
	char *id = pdb_ident(table);
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b);
	/* an array, not arguments: a function takes at most 100 of those */
	buf_adds(&b, "array_to_string(ARRAY[");
	for (size_t i = 0; i < cols->n; i++) {
		char *c = pdb_ident(cols->v[i]);

		buf_addf(&b, "%squote_nullable(t.%s)", i ? ", " : "", c);
		free(c);
	}
	buf_adds(&b, "]::text[], ',')");
	rc = db_value(d, out, "SELECT count(*) || '/' || coalesce(sum(" MD5_60("%s") "), 0)"
	              " FROM %s AS t", b.s, id);
	buf_release(&b);
	free(id);
	return rc > 0 && *out ? 0 : -1;
}

int
pdb_keep_stamps(struct db *d, const char *shadow, const char *table, const struct db_names *key,
                const struct db_names *cols, long long *kept)
{
	char *on = key_expr(key, "s", "o");
	char *same = text_compare(cols, "s", "o", "IS NOT DISTINCT FROM", " AND ", "true");
	char *is = pdb_ident(shadow), *io = pdb_ident(table);
	int rc;

	rc = db_execf(d, "UPDATE %s AS s SET \"" DB_STAMP "\" = o.\"" DB_STAMP "\" FROM %s AS o"
	              " WHERE %s AND %s", is, io, on, same);
	*kept = rc < 0 ? 0 : db_affected(d);
	free(on);
	free(same);
	free(is);
	free(io);
	return rc;
}

/* ON CONFLICT (key) DO UPDATE ... of an upsert into table's columns cols */
static void
on_conflict(struct buf *b, const char *key, const struct db_names *cols)
{
	char *differ = text_compare(cols, "_chacc_t", "EXCLUDED", "IS DISTINCT FROM", " OR ", "false");

	buf_adds(b, " ON CONFLICT (");
	for (const char *k = key; *k;) {
		size_t n = strcspn(k, ",");
		char *name = xstrndup(k, n), *id = pdb_ident(name);

		buf_addf(b, "%s%s", k == key ? "" : ", ", id);
		free(name);
		free(id);
		k += n + (k[n] == ',');
	}
	buf_adds(b, ") DO UPDATE SET ");
	for (size_t i = 0; i < cols->n; i++) {
		char *id = pdb_ident(cols->v[i]);

		buf_addf(b, "%s = EXCLUDED.%s, ", id, id);
		free(id);
	}
	/* a row with the same values is left alone: its stamp stays */
	buf_addf(b, "\"" DB_STAMP "\" = statement_timestamp() WHERE %s", differ);
	free(differ);
}

int
pdb_upsert(struct db *d, const char *table, const struct db_names *cols, const char *select_sql,
           struct db_upsert *out)
{
	char *it = pdb_ident(table), *cl = pdb_names_list(cols, ""), *key = pdb_primary_key(d, table);
	struct dbres *r = NULL;
	struct buf b;

	out->changed = out->inserted = 0;
	if (!key) {
		free(it);
		free(cl);
		return -1;
	}
	buf_init(&b);
	buf_addf(&b, "WITH _chacc_done AS (INSERT INTO %s AS _chacc_t (%s)"
	         " SELECT * FROM (%s) AS _chacc_rows", it, cl, select_sql);
	if (*key)
		on_conflict(&b, key, cols);
	/* xmax is 0 on a row this statement inserted, set on one it updated */
	buf_adds(&b, " RETURNING (_chacc_t.xmax = 0) AS inserted)"
	         " SELECT count(*), count(*) FILTER (WHERE inserted) FROM _chacc_done");
	if ((r = db_query(d, b.s)) && dbres_next(r)) {
		out->changed = atoll(dbres_get(r, 0));
		out->inserted = atoll(dbres_get(r, 1));
	}
	buf_release(&b);
	free(it);
	free(cl);
	free(key);
	if (!r)
		return -1;
	dbres_free(r);
	return 0;
}

/*
 * a json object of the columns cols of the row g, in their order (an
 * aggregate: json_build_object takes at most 50 pairs)
 */
static char *
json_row(const struct db_names *cols)
{
	struct buf b;

	if (cols->n == 0)
		return xstrdup("'{}'::json");
	buf_init(&b);
	buf_adds(&b, "(SELECT json_object_agg(_k, _v ORDER BY _n) FROM (VALUES ");
	for (size_t i = 0; i < cols->n; i++) {
		char *id = pdb_ident(cols->v[i]), *name = pdb_literal(cols->v[i]);

		buf_addf(&b, "%s(%zu, %s, to_json(g.%s))", i ? ", " : "", i, name, id);
		free(id);
		free(name);
	}
	buf_adds(&b, ") AS _o(_n, _k, _v))");
	return buf_detach(&b);
}

/*
 * remove the rows of del->table that "USING ... WHERE ..." (the table
 * aliased t) finds, and log them in del->log, in one statement
 */
static int
delete_logged(struct db *d, const struct db_delete *del, const char *using_where,
              long long *removed)
{
	char *it = pdb_ident(del->table), *il = pdb_ident(del->log), *qt = pdb_literal(del->table);
	char *keyobj = json_row(del->key), *rowobj = json_row(del->cols);
	int rc;

	rc = db_execf(d, "WITH _chacc_gone AS (DELETE FROM %s AS t %s RETURNING t.*)"
	              " INSERT INTO %s (target, key_json, row_json, run_id, deleted_at)"
	              " SELECT %s, %s, %s, %lld,"
	              " statement_timestamp() FROM _chacc_gone AS g", it, using_where, il, qt, keyobj,
	              rowobj, del->run_id);
	*removed = rc == 0 ? db_affected(d) : 0;
	free(it);
	free(il);
	free(qt);
	free(keyobj);
	free(rowobj);
	return rc;
}

int
pdb_follow_deletes(struct db *d, const struct db_delete *del, const char *need, const char *since,
                   long long *removed)
{
	char *it = pdb_ident(del->table), *il = pdb_ident(del->log), *qn = pdb_literal(need);
	char *on = key_expr(del->key, "t", "k"), *uw;
	struct buf paths;
	int rc;

	buf_init(&paths);
	for (size_t i = 0; i < del->key->n; i++) {
		char *q = pdb_literal(del->key->v[i]);

		buf_addf(&paths, "%s%s", i ? ", " : "", q);
		free(q);
	}
	/* a logged key read as a row of the table: its values take the columns' types */
	uw = xasprintf("USING %s AS d CROSS JOIN LATERAL jsonb_populate_record(NULL::%s,"
	               " d.key_json::jsonb) AS k WHERE d.target = %s AND d.deleted_at > %s"
	               " AND d.key_json::jsonb ?& ARRAY[%s]::text[] AND %s", il, it, qn, since,
	               paths.s ? paths.s : "", on);
	rc = delete_logged(d, del, uw, removed);
	buf_release(&paths);
	free(uw);
	free(on);
	free(it);
	free(il);
	free(qn);
	return rc;
}

/* the condition "flag is true" on alias a (a boolean or a number): not db_sql_falsy */
static char *
flag_true(struct db *d, const char *flag, const char *a)
{
	char *iflag = pdb_ident(flag), *expr = xasprintf("%s%s", a, iflag);
	char *falsy = db_sql_falsy(d, expr), *out = xasprintf("NOT (%s)", falsy);

	free(iflag);
	free(expr);
	free(falsy);
	return out;
}

int
pdb_delete_flagged(struct db *d, const struct db_delete *del, const char *stage, const char *flag,
                   long long *removed)
{
	char *is = pdb_ident(stage), *on = key_expr(del->key, "t", "s");
	char *cond = flag_true(d, flag, "s."), *bare = flag_true(d, flag, "");
	char *uw = xasprintf("USING %s AS s WHERE %s AND %s", is, on, cond);
	int rc;

	rc = delete_logged(d, del, uw, removed);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM %s WHERE %s", is, bare);
	free(uw);
	free(cond);
	free(bare);
	free(on);
	free(is);
	return rc;
}

int
pdb_delete_absent(struct db *d, const struct db_delete *del, const char *column, const char *value,
                  const char *stage, long long *removed)
{
	char *ic = pdb_ident(column), *uw;
	int rc;

	if (stage) {
		char *is = pdb_ident(stage), *on = key_expr(del->key, "t", "s");

		uw = xasprintf("WHERE t.%s = %s AND NOT EXISTS (SELECT 1 FROM %s AS s WHERE %s)", ic,
		               value, is, on);
		free(is);
		free(on);
	} else
		uw = xasprintf("WHERE t.%s = %s", ic, value);
	rc = delete_logged(d, del, uw, removed);
	free(uw);
	free(ic);
	return rc;
}

int
pdb_delete_missing(struct db *d, const struct db_delete *del, const char *keys, const char *stage,
                   long long *removed)
{
	char *ik = pdb_ident(keys), *is = pdb_ident(stage);
	char *onk = key_expr(del->key, "t", "k"), *ons = key_expr(del->key, "t", "s");
	char *uw = xasprintf("WHERE EXISTS (SELECT 1 FROM %s AS k WHERE %s) AND NOT EXISTS"
	                     " (SELECT 1 FROM %s AS s WHERE %s)", ik, onk, is, ons);
	int rc = delete_logged(d, del, uw, removed);

	free(ik);
	free(is);
	free(onk);
	free(ons);
	free(uw);
	return rc;
}

char *
pdb_site_select(struct db *d, const char *column, const char *site, const char *select_sql)
{
	char *q = pdb_literal(site), *ic = pdb_ident(column), *out;

	(void)d;
	out = xasprintf("SELECT CAST(%s AS varchar(%d)) AS %s, q.* FROM (%s) AS q", q, DB_SITE_NAME_MAX,
	                ic, select_sql);
	free(q);
	free(ic);
	return out;
}

char *
pdb_logged_rows(struct db *d, const char *log, const char *need, const struct db_names *cols,
                const char *since)
{
	char *il = pdb_ident(log), *in = pdb_ident(need), *qn = pdb_literal(need), *out;
	struct buf sel, where;

	(void)d;
	buf_init(&sel);
	buf_init(&where);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = pdb_ident(cols->v[i]);

		buf_addf(&sel, "%sk.%s", i ? ", " : "", id);
		buf_addf(&where, " AND k.%s IS NOT NULL", id);
		free(id);
	}
	/* a logged row read as a row of need: its values take the columns' types */
	out = xasprintf("SELECT %s FROM %s AS d CROSS JOIN LATERAL jsonb_populate_record(NULL::%s,"
	                " d.row_json::jsonb) AS k WHERE d.target = %s AND d.deleted_at > %s%s",
	                sel.s ? sel.s : "", il, in, qn, since, where.s ? where.s : "");
	buf_release(&sel);
	buf_release(&where);
	free(il);
	free(in);
	free(qn);
	return out;
}

char *
pdb_aggregate(enum db_agg how, const char *expr, const char *order_by)
{
	switch (how) {
	case DB_AGG_JOIN:
		return xasprintf("string_agg(CAST(%s AS text), ', ' ORDER BY %s)", expr, order_by);
	case DB_AGG_MAX_BOOL:
		/* no MAX(boolean): booleans, and 0/1 numbers, by way of integer */
		return xasprintf("bool_or(CAST(CAST(%s AS integer) AS boolean))", expr);
	case DB_AGG_MAX:
	default:
		return xasprintf("MAX(%s)", expr);
	}
}
