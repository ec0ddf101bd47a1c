/* db_mariadb_table.c: the MariaDB engine's table operations, clock and advisory locks */
#include "db_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* the change stamp's column definition */
#define STAMP_DDL "`" DB_STAMP "` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
/* a DATETIME(6) as text */
#define TS_FORMAT "'%Y-%m-%d %H:%i:%s.%f'"

/* `a`, `b` with prefix before each name */
static char *
names_list(const struct db_names *c, const char *prefix)
{
	return db_names_sql(c, prefix, mdb_ident);
}

/* a.c1 <=> b.c1 AND ...: null-safe equality of each column, byte for byte when binary */
static char *
same_expr(const struct db_names *c, const char *a, const char *b, bool binary)
{
	struct buf bb;
	size_t i;

	buf_init(&bb);
	for (i = 0; i < c->n; i++) {
		char *id = mdb_ident(c->v[i]);

		if (binary)
			buf_addf(&bb, "%sCAST(%s.%s AS BINARY) <=> CAST(%s.%s AS BINARY)",
			         i ? " AND " : "", a, id, b, id);
		else
			buf_addf(&bb, "%s%s.%s <=> %s.%s", i ? " AND " : "", a, id, b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, "1");
	return buf_detach(&bb);
}

/* the first value of sql as a malloc'ed string; 0 or -1 */
static int
value_of(struct db *d, const char *sql, char **out)
{
	return db_value(d, out, "%s", sql) < 0 ? -1 : 0;
}

int
mdb_read_committed(struct db *d)
{
	return db_exec(d, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

int
mdb_use(struct db *d, const char *database)
{
	char *id = mdb_ident(database);
	int rc = db_execf(d, "USE %s", id);

	free(id);
	return rc;
}

int
mdb_now(struct db *d, char **out)
{
	if (db_value(d, out, "SELECT DATE_FORMAT(NOW(6), %s)", TS_FORMAT) <= 0 || !*out)
		return -1;
	return 0;
}

int
mdb_ts_minus(struct db *d, const char *ts, double seconds, char **out)
{
	char *q = db_quote(d, ts);
	int rc = db_value(d, out, "SELECT DATE_FORMAT(CAST(%s AS DATETIME(6)) - INTERVAL %.6f SECOND,"
	                  " %s)", q, seconds, TS_FORMAT);

	free(q);
	return rc > 0 && *out ? 0 : -1;
}

int
mdb_ts_after(struct db *d, const char *ts, const char *at, double seconds)
{
	char *qt = db_quote(d, ts), *qa = db_quote(d, at), *v = NULL;
	int rc = db_value(d, &v, "SELECT %s > %s - INTERVAL %.6f SECOND", qt, qa, seconds);

	if (rc >= 0)
		rc = v && atoi(v) != 0;
	free(v);
	free(qt);
	free(qa);
	return rc;
}

int
mdb_lock(struct db *d, const char *name, double timeout)
{
	char *q = db_quote(d, name), *got = NULL;
	int rc = db_value(d, &got, "SELECT GET_LOCK(%s, %g)", q, timeout);

	if (rc >= 0)
		rc = got && strcmp(got, "1") == 0;
	free(got);
	free(q);
	return rc;
}

int
mdb_unlock(struct db *d, const char *name)
{
	char *q = db_quote(d, name);
	int rc = db_execf(d, "DO RELEASE_LOCK(%s)", q);

	free(q);
	return rc;
}

int
mdb_locks_used(struct db *d, const char *const *names, size_t n, bool *used)
{
	return db_locks_held(d, names, n, "IS_USED_LOCK(%s) IS NOT NULL", "1", used);
}

bool
mdb_table_exists(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT 1 FROM information_schema.tables"
	                  " WHERE table_schema = DATABASE() AND table_name = %s", q);

	free(q);
	free(v);
	return rc > 0;
}

int
mdb_table_columns(struct db *d, const char *table, struct db_names *out)
{
	struct dbres *res;
	char *q = db_quote(d, table);

	out->v = NULL;
	out->n = 0;
	res = db_queryf(d, "SELECT column_name FROM information_schema.columns"
	                " WHERE table_schema = DATABASE() AND table_name = %s"
	                " ORDER BY ordinal_position", q);
	free(q);
	if (!res)
		return -1;
	while (dbres_next(res)) {
		if (strcmp(dbres_get(res, 0), DB_STAMP) == 0 ||
		    strcmp(dbres_get(res, 0), DB_ROWID) == 0)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(dbres_get(res, 0));
	}
	dbres_free(res);
	return 0;
}

char *
mdb_primary_key(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index"
	                  " SEPARATOR ',') FROM information_schema.statistics"
	                  " WHERE table_schema = DATABASE() AND table_name = %s"
	                  " AND index_name = 'PRIMARY'", q);

	free(q);
	if (rc < 0)
		return NULL;
	return v ? v : xstrdup("");
}

int
mdb_drop_table(struct db *d, const char *table, bool temporary)
{
	char *id = mdb_ident(table);
	int rc = db_execf(d, "DROP %sTABLE IF EXISTS %s", temporary ? "TEMPORARY " : "", id);

	free(id);
	return rc;
}

int
mdb_create_like(struct db *d, const char *table, const char *like, bool temporary)
{
	char *it = mdb_ident(table), *il = mdb_ident(like);
	int rc = db_execf(d, "CREATE %sTABLE %s LIKE %s", temporary ? "TEMPORARY " : "", it, il);

	free(it);
	free(il);
	return rc;
}

int
mdb_create_from_query(struct db *d, const char *table, const char *select_sql)
{
	char *id = mdb_ident(table);
	int rc = db_execf(d, "CREATE TABLE %s AS SELECT * FROM (%s) AS q LIMIT 0", id, select_sql);

	free(id);
	return rc;
}

int
mdb_add_stamp(struct db *d, const char *table)
{
	char *id = mdb_ident(table);
	int rc = db_execf(d, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS " STAMP_DDL, id);

	free(id);
	return rc;
}

int
mdb_add_row_id(struct db *d, const char *table)
{
	char *id = mdb_ident(table);
	int rc = db_execf(d, "ALTER TABLE %s ADD COLUMN `" DB_ROWID "` BIGINT UNSIGNED NOT NULL"
	                  " AUTO_INCREMENT INVISIBLE FIRST, ADD PRIMARY KEY (`" DB_ROWID "`)", id);

	free(id);
	return rc;
}

int
mdb_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	struct buf b;
	char *id = mdb_ident(table);
	size_t i;
	int rc;

	buf_init(&b);
	buf_addf(&b, "ALTER TABLE %s", id);
	for (i = 0; i < n; i++) {
		char *c = names_list(&index[i], "");

		buf_addf(&b, "%s ADD INDEX (%s)", i ? "," : "", c);
		free(c);
	}
	rc = db_exec(d, b.s);
	buf_release(&b);
	free(id);
	return rc;
}

int
mdb_swap(struct db *d, const char *table, const char *shadow, const char *old)
{
	char *is = mdb_ident(shadow), *io = mdb_ident(old), *it = mdb_ident(table);
	int rc = 0;

	if (mdb_table_exists(d, table)) {
		if (db_execf(d, "DROP TABLE IF EXISTS %s", io) < 0 ||
		    db_execf(d, "RENAME TABLE %s TO %s, %s TO %s", it, io, is, it) < 0 ||
		    db_execf(d, "DROP TABLE %s", io) < 0)
			rc = -1;
	} else if (db_execf(d, "RENAME TABLE %s TO %s", is, it) < 0)
		rc = -1;
	free(is);
	free(io);
	free(it);
	return rc;
}

int
mdb_checksum(struct db *d, const char *table, char **out)
{
	struct dbres *res;
	char *id = mdb_ident(table);

	*out = NULL;
	res = db_queryf(d, "CHECKSUM TABLE %s", id);
	free(id);
	if (!res)
		return -1;
	if (dbres_next(res) && dbres_get(res, 1))
		*out = xstrdup(dbres_get(res, 1));
	dbres_free(res);
	if (!*out)
		*out = xstrdup("");
	return 0;
}

int
mdb_digest(struct db *d, const char *table, const struct db_names *cols, char **out)
{
	struct buf expr;
	char *id = mdb_ident(table);
	size_t i;
	int rc;

	*out = NULL;
	buf_init(&expr);
	buf_adds(&expr, "SELECT CONCAT(COUNT(*), '/', SUM(CAST(CONV(LEFT(MD5(CONCAT_WS(','");
	for (i = 0; i < cols->n; i++) {
		char *c = mdb_ident(cols->v[i]);

		buf_addf(&expr, ", QUOTE(%s)", c);
		free(c);
	}
	buf_addf(&expr, ")), 15), 16, 10) AS DECIMAL(65,0)))) FROM %s", id);
	rc = value_of(d, expr.s, out);
	buf_release(&expr);
	free(id);
	return rc;
}

int
mdb_keep_stamps(struct db *d, const char *shadow, const char *table, const struct db_names *key,
                const struct db_names *cols, long long *kept)
{
	char *on = same_expr(key, "s", "o", false), *same = same_expr(cols, "s", "o", true);
	char *is = mdb_ident(shadow), *io = mdb_ident(table);
	int rc;

	rc = db_execf(d, "UPDATE %s s JOIN %s o ON %s SET s.`" DB_STAMP "` = o.`" DB_STAMP "`"
	              " WHERE %s", is, io, on, same);
	*kept = rc < 0 ? 0 : db_affected(d);
	free(on);
	free(same);
	free(is);
	free(io);
	return rc;
}

int
mdb_upsert(struct db *d, const char *table, const struct db_names *cols, const char *select_sql,
           struct db_upsert *out)
{
	struct mdb *m = mdb(d);
	struct buf b;
	char *it = mdb_ident(table), *cl = names_list(cols, "");
	long long affected;
	size_t i;
	int rc;

	buf_init(&b);
	/* target columns are qualified: the select may carry the same names */
	buf_addf(&b, "INSERT INTO %s (%s) SELECT * FROM (%s) AS _chacc_rows"
	         " ON DUPLICATE KEY UPDATE %s.`" DB_STAMP "` = IF(", it, cl, select_sql, it);
	for (i = 0; i < cols->n; i++) {
		char *id = mdb_ident(cols->v[i]);

		buf_addf(&b, "%sCAST(%s.%s AS BINARY) <=> CAST(VALUES(%s) AS BINARY)",
		         i ? " AND " : "", it, id, id);
		free(id);
	}
	buf_addf(&b, ", %s.`" DB_STAMP "`, NOW(6))", it);
	for (i = 0; i < cols->n; i++) {
		char *id = mdb_ident(cols->v[i]);

		buf_addf(&b, ", %s.%s = VALUES(%s)", it, id, id);
		free(id);
	}
	out->changed = out->inserted = 0;
	rc = db_exec(d, b.s);
	if (rc == 0) {
		/*
		 * an upsert counts 1 affected row per insert and 2 per changed
		 * update; Duplicates counts the changed updates (unchanged rows
		 * count nowhere)
		 */
		affected = m->affected;
		out->inserted = m->records < 0 || m->duplicates < 0 ? -1 :
		                affected - 2 * m->duplicates;
		out->changed = out->inserted < 0 ? affected :
		               out->inserted + (affected - out->inserted) / 2;
	}
	buf_release(&b);
	free(it);
	free(cl);
	return rc;
}

/* JSON_OBJECT arguments 'c1', t.c1, ... of cols */
static char *
json_pairs(struct db *d, const struct db_names *cols)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < cols->n; i++) {
		char *id = mdb_ident(cols->v[i]), *name = db_quote(d, cols->v[i]);

		buf_addf(&b, "%s%s, t.%s", i ? ", " : "", name, id);
		free(id);
		free(name);
	}
	return buf_detach(&b);
}

/* log the rows of "FROM ..." (table aliased t) in del->log, then remove them */
static int
log_and_delete(struct db *d, const struct db_delete *del, const char *from, bool distinct,
               long long *removed)
{
	char *il = mdb_ident(del->log), *qt = db_quote(d, del->table);
	char *keyobj = json_pairs(d, del->key), *rowobj = json_pairs(d, del->cols);
	int rc;

	rc = db_execf(d, "INSERT INTO %s (target, key_json, row_json, run_id, deleted_at)"
	              " SELECT %s%s, JSON_OBJECT(%s), JSON_OBJECT(%s), %lld, NOW(6) %s", il,
	              distinct ? "DISTINCT " : "", qt, keyobj, rowobj, del->run_id, from);
	if (rc == 0)
		rc = db_execf(d, "DELETE t %s", from);
	*removed = rc == 0 ? db_affected(d) : 0;
	free(il);
	free(qt);
	free(keyobj);
	free(rowobj);
	return rc;
}

int
mdb_follow_deletes(struct db *d, const struct db_delete *del, const char *need, const char *since,
                   long long *removed)
{
	struct buf on, paths;
	char *it = mdb_ident(del->table), *il = mdb_ident(del->log), *qn = db_quote(d, need);
	char *from;
	size_t i;
	int rc;

	buf_init(&on);
	buf_init(&paths);
	for (i = 0; i < del->key->n; i++) {
		char *id = mdb_ident(del->key->v[i]);
		char *path = xasprintf("$.%s", del->key->v[i]), *qp = db_quote(d, path);

		buf_addf(&on, " AND t.%s = JSON_VALUE(d.key_json, %s)", id, qp);
		buf_addf(&paths, ", %s", qp);
		free(id);
		free(path);
		free(qp);
	}
	from = xasprintf("FROM %s t JOIN %s d ON d.target = %s AND d.deleted_at > %s"
	                 " AND JSON_CONTAINS_PATH(d.key_json, 'all'%s)%s", it, il, qn, since,
	                 paths.s ? paths.s : "", on.s ? on.s : "");
	rc = log_and_delete(d, del, from, true, removed);
	buf_release(&on);
	buf_release(&paths);
	free(from);
	free(it);
	free(il);
	free(qn);
	return rc;
}

int
mdb_delete_flagged(struct db *d, const struct db_delete *del, const char *stage, const char *flag,
                   long long *removed)
{
	char *it = mdb_ident(del->table), *is = mdb_ident(stage), *iflag = mdb_ident(flag);
	char *on = same_expr(del->key, "t", "s", false), *from;
	int rc;

	from = xasprintf("FROM %s t JOIN %s s ON %s WHERE COALESCE(s.%s, 0)", it, is, on, iflag);
	rc = log_and_delete(d, del, from, false, removed);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM %s WHERE COALESCE(%s, 0)", is, iflag);
	free(from);
	free(on);
	free(it);
	free(is);
	free(iflag);
	return rc;
}

int
mdb_delete_absent(struct db *d, const struct db_delete *del, const char *column, const char *value,
                  const char *stage, long long *removed)
{
	char *it = mdb_ident(del->table), *ic = mdb_ident(column), *from;
	int rc;

	if (stage) {
		char *is = mdb_ident(stage), *on = same_expr(del->key, "t", "s", false);
		char *k0 = mdb_ident(del->key->v[0]);

		from = xasprintf("FROM %s t LEFT JOIN %s s ON %s WHERE t.%s = %s AND s.%s IS NULL", it,
		                 is, on, ic, value, k0);
		free(is);
		free(on);
		free(k0);
	} else
		from = xasprintf("FROM %s t WHERE t.%s = %s", it, ic, value);
	rc = log_and_delete(d, del, from, false, removed);
	free(from);
	free(it);
	free(ic);
	return rc;
}

int
mdb_delete_missing(struct db *d, const struct db_delete *del, const char *keys, const char *stage,
                   long long *removed)
{
	char *it = mdb_ident(del->table), *ik = mdb_ident(keys), *is = mdb_ident(stage);
	char *onk = same_expr(del->key, "t", "k", false), *ons = same_expr(del->key, "t", "s", false);
	char *k0 = mdb_ident(del->key->v[0]);
	/* DISTINCT: a key listed twice is one row */
	char *from = xasprintf("FROM %s t JOIN (SELECT DISTINCT * FROM %s) k ON %s LEFT JOIN %s s ON %s"
	                       " WHERE s.%s IS NULL", it, ik, onk, is, ons, k0);
	int rc = log_and_delete(d, del, from, false, removed);

	free(it);
	free(ik);
	free(is);
	free(onk);
	free(ons);
	free(k0);
	free(from);
	return rc;
}

char *
mdb_site_select(struct db *d, const char *column, const char *site, const char *select_sql)
{
	char *q = db_quote(d, site), *ic = mdb_ident(column), *out;

	out = xasprintf("SELECT CAST(%s AS CHAR(%d)) AS %s, q.* FROM (%s) AS q", q, DB_SITE_NAME_MAX, ic,
	                select_sql);
	free(q);
	free(ic);
	return out;
}

char *
mdb_logged_rows(struct db *d, const char *log, const char *need, const struct db_names *cols,
                const char *since)
{
	char *il = mdb_ident(log), *qn = db_quote(d, need), *out;
	struct buf sel, where;

	buf_init(&sel);
	buf_init(&where);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = mdb_ident(cols->v[i]);
		char *path = xasprintf("$.%s", cols->v[i]), *qp = db_quote(d, path);

		/* text here: an INSERT into a column of need's type converts it */
		buf_addf(&sel, "%sJSON_VALUE(d.row_json, %s) AS %s", i ? ", " : "", qp, id);
		buf_addf(&where, " AND JSON_VALUE(d.row_json, %s) IS NOT NULL", qp);
		free(id);
		free(path);
		free(qp);
	}
	out = xasprintf("SELECT %s FROM %s d WHERE d.target = %s AND d.deleted_at > %s%s",
	                sel.s ? sel.s : "", il, qn, since, where.s ? where.s : "");
	buf_release(&sel);
	buf_release(&where);
	free(il);
	free(qn);
	return out;
}

char *
mdb_aggregate(enum db_agg how, const char *expr, const char *order_by)
{
	if (how == DB_AGG_JOIN)
		return xasprintf("GROUP_CONCAT(%s ORDER BY %s SEPARATOR ', ')", expr, order_by);
	return xasprintf("MAX(%s)", expr);
}
