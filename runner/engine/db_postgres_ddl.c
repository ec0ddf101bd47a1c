/*
 * db_postgres_ddl.c: the PostgreSQL engine's table shapes (columns, keys,
 * indexes, the change stamp) and the swap of a shadow into place. Names are
 * unqualified: they mean what the session's search_path finds (a session's
 * temporary table first, then the connection's schema).
 */
#include "db_postgres.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* the change stamp's column definition: existing rows get the time it is added */
#define STAMP_DDL "\"" DB_STAMP "\" timestamptz NOT NULL DEFAULT statement_timestamp()"

char *
pdb_regclass(const char *table)
{
	char *id = pdb_ident(table), *lit = pdb_literal(id), *out;

	out = xasprintf("to_regclass(%s)", lit);
	free(id);
	free(lit);
	return out;
}

char *
pdb_names_list(const struct db_names *c, const char *prefix)
{
	return db_names_sql(c, prefix, pdb_ident);
}

bool
pdb_table_exists(struct db *d, const char *table)
{
	char *rc = pdb_regclass(table), *schema = pdb_literal(db_name(d)), *v = NULL;
	int found = db_value(d, &v, "SELECT 1 FROM pg_catalog.pg_class c"
	                     " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	                     " WHERE c.oid = %s AND (n.nspname = %s OR n.oid = pg_my_temp_schema())",
	                     rc, schema);

	free(rc);
	free(schema);
	free(v);
	return found > 0;
}

int
pdb_table_columns(struct db *d, const char *table, struct db_names *out)
{
	char *rc = pdb_regclass(table);
	char *sql = xasprintf("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s"
	                      " AND attnum > 0 AND NOT attisdropped AND attname <> '" DB_STAMP "'"
	                      " ORDER BY attnum", rc);
	int res;

	out->v = NULL;
	out->n = 0;
	res = db_names_query(d, sql, out);
	free(sql);
	free(rc);
	return res;
}

/* the columns of table's indexes (the primary key's only, with primary), each "a,b" */
static int
index_columns(struct db *d, const char *table, bool primary, struct db_names *out)
{
	char *rc = pdb_regclass(table);
	char *sql = xasprintf("SELECT string_agg(a.attname, ',' ORDER BY k.n)"
	                      " FROM pg_catalog.pg_index i"
	                      " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)"
	                      " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid"
	                      " AND a.attnum = k.attnum"
	                      " WHERE i.indrelid = %s%s GROUP BY i.indexrelid"
	                      " HAVING bool_and(k.attnum > 0)",
	                      rc, primary ? " AND i.indisprimary" : "");
	int res = db_names_query(d, sql, out);

	free(sql);
	free(rc);
	return res;
}

char *
pdb_primary_key(struct db *d, const char *table)
{
	struct db_names pk = { 0 };
	char *out;

	if (index_columns(d, table, true, &pk) < 0)
		return NULL;
	out = xstrdup(pk.n ? pk.v[0] : "");
	db_names_release(&pk);
	return out;
}

int
pdb_drop_table(struct db *d, const char *table, bool temporary)
{
	char *id = pdb_ident(table), *schema = pdb_ident(temporary ? "pg_temp" : db_name(d));
	int rc;

	/* qualified: a temporary table never drops the schema's one of the same name, nor back */
	rc = db_execf(d, "DROP TABLE IF EXISTS %s.%s", schema, id);
	free(id);
	free(schema);
	return rc;
}

int
pdb_create_like(struct db *d, const char *table, const char *like, bool temporary)
{
	char *it = pdb_ident(table), *il = pdb_ident(like);
	int rc = db_execf(d, "CREATE %sTABLE %s (LIKE %s INCLUDING ALL)",
	                  temporary ? "TEMPORARY " : "", it, il);

	free(it);
	free(il);
	return rc;
}

int
pdb_create_from_query(struct db *d, const char *table, const char *select_sql)
{
	char *id = pdb_ident(table);
	int rc = db_execf(d, "CREATE TABLE %s AS SELECT * FROM (%s) AS q WITH NO DATA", id,
	                  select_sql);

	free(id);
	return rc;
}

int
pdb_add_stamp(struct db *d, const char *table)
{
	char *id = pdb_ident(table);
	int rc = db_execf(d, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS " STAMP_DDL, id);

	free(id);
	return rc;
}

int
pdb_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	char *id = pdb_ident(table);
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		char *c = pdb_names_list(&index[i], "");

		rc = db_execf(d, "CREATE INDEX ON %s (%s)", id, c);
		free(c);
	}
	free(id);
	return rc;
}

int
pdb_add_missing_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	struct db_names have = { 0 };
	struct db_names *add = xcalloc(n + 1, sizeof(*add));
	size_t nadd = 0;
	int rc = -1;

	if (index_columns(d, table, false, &have) < 0)
		goto out;
	nadd = db_missing_indexes(&have, index, n, add);
	rc = nadd ? pdb_add_indexes(d, table, add, nadd) : 0;
out:
	db_names_release(&have);
	free(add);
	return rc;
}

/*
 * refuse to replace table while views read it: they would follow the old
 * table, which cannot be dropped. -1 with a message naming them (schema.view)
 */
static int
no_dependent_views(struct db *d, const char *table)
{
	char *rc = pdb_regclass(table);
	char *sql = xasprintf("SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(v.relname)"
	                      " FROM pg_catalog.pg_depend dep"
	                      " JOIN pg_catalog.pg_rewrite r ON r.oid = dep.objid"
	                      " JOIN pg_catalog.pg_class v ON v.oid = r.ev_class"
	                      " JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace"
	                      " WHERE dep.classid = 'pg_catalog.pg_rewrite'::regclass"
	                      " AND dep.refclassid = 'pg_catalog.pg_class'::regclass"
	                      " AND dep.refobjid = %s AND v.oid <> dep.refobjid ORDER BY 1", rc);
	struct db_names views = { 0 };
	struct buf b;
	int res = db_names_query(d, sql, &views);

	free(sql);
	free(rc);
	if (res < 0 || views.n == 0)
		return res;
	buf_init(&b);
	for (size_t i = 0; i < views.n; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", views.v[i]);
	res = db_set_error(d, PDB_STATE("2BP01"),
	                   "table '%s' cannot be replaced: %s %s read%s it (drop %s, build, and"
	                   " create %s again)", table, views.n > 1 ? "views" : "view", b.s,
	                   views.n > 1 ? "" : "s", views.n > 1 ? "them" : "it",
	                   views.n > 1 ? "them" : "it");
	buf_release(&b);
	db_names_release(&views);
	return res;
}

/*
 * give shadow the grants table has (of the table and of its columns that
 * shadow has too), but those of the owners, who hold theirs anyway
 */
static int
copy_grants(struct db *d, const char *table, const char *shadow)
{
	char *rt = pdb_regclass(table), *rs = pdb_regclass(shadow);
	char *is = pdb_ident(shadow), *lis = pdb_literal(is), *sql;
	struct db_names grants = { 0 };
	int rc;

	sql = xasprintf("SELECT format('GRANT %%s%%s ON TABLE %%s TO %%s%%s', a.privilege_type,"
	                " CASE WHEN col IS NULL THEN '' ELSE format(' (%%I)', col) END, %s,"
	                " CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
	                " ELSE quote_ident(pg_get_userbyid(a.grantee)) END,"
	                " CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)"
	                " FROM (SELECT NULL::name AS col, c.relacl AS acl FROM pg_catalog.pg_class c"
	                " WHERE c.oid = %s"
	                " UNION ALL SELECT o.attname, o.attacl FROM pg_catalog.pg_attribute o"
	                " JOIN pg_catalog.pg_attribute s ON s.attrelid = %s AND s.attname = o.attname"
	                " AND s.attnum > 0 AND NOT s.attisdropped"
	                " WHERE o.attrelid = %s AND o.attnum > 0 AND NOT o.attisdropped"
	                " AND o.attacl IS NOT NULL) g"
	                " CROSS JOIN LATERAL aclexplode(g.acl) a"
	                " WHERE a.grantee NOT IN (SELECT relowner FROM pg_catalog.pg_class"
	                " WHERE oid IN (%s, %s))", lis, rt, rs, rt, rt, rs);
	rc = db_names_query(d, sql, &grants);
	for (size_t i = 0; rc == 0 && i < grants.n; i++)
		rc = db_exec(d, grants.v[i]);
	db_names_release(&grants);
	free(sql);
	free(rt);
	free(rs);
	free(is);
	free(lis);
	return rc;
}

/* the renames of a swap, in the transaction the caller holds */
static int
swap_renames(struct db *d, const char *table, const char *shadow, const char *old)
{
	char *is = pdb_ident(shadow), *io = pdb_ident(old), *it = pdb_ident(table);
	int rc;

	if (pdb_table_exists(d, table))
		rc = copy_grants(d, table, shadow) < 0 || db_execf(d, "DROP TABLE IF EXISTS %s", io) < 0 ||
		     db_execf(d, "ALTER TABLE %s RENAME TO %s", it, io) < 0 ||
		     db_execf(d, "ALTER TABLE %s RENAME TO %s", is, it) < 0 ||
		     db_execf(d, "DROP TABLE %s", io) < 0 ? -1 : 0;
	else
		rc = db_execf(d, "ALTER TABLE %s RENAME TO %s", is, it);
	free(is);
	free(io);
	free(it);
	return rc;
}

int
pdb_swap(struct db *d, const char *table, const char *shadow, const char *old)
{
	struct pdb *p = pdb(d);
	/* in a caller's transaction, its commit makes the swap visible */
	bool own = PQtransactionStatus(p->pg) == PQTRANS_IDLE;
	int rc;

	if (no_dependent_views(d, table) < 0)
		return -1;
	if (own && db_exec(d, "BEGIN") < 0)
		return -1;
	rc = swap_renames(d, table, shadow, old);
	if (own && rc == 0)
		rc = db_exec(d, "COMMIT");
	else if (own)
		pdb_run_quiet(p, "ROLLBACK");
	return rc;
}
