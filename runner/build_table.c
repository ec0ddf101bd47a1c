/* build_table.c: the table operations of a build (shadows, restat, swaps, upserts) and table targets */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "marker.h"
#include "store.h"
#include "recipe.h"
#include "util.h"
void
cols_release(struct cols *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

bool
cols_has(const struct cols *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->v[i], name) == 0)
			return true;
	return false;
}

/* the data columns of a table (all but the change stamp), in order; -1 on error */
int
table_cols(struct db *d, const char *table, struct cols *out)
{
	struct dbres *res;
	char *q = db_quote(d, table);

	res = db_queryf(d, "SELECT column_name FROM information_schema.columns"
	                " WHERE table_schema = DATABASE() AND table_name = %s"
	                " ORDER BY ordinal_position", q);
	free(q);
	if (!res)
		return -1;
	out->v = NULL;
	out->n = 0;
	while (dbres_next(res)) {
		if (strcmp(dbres_get(res, 0), STAMP) == 0)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(dbres_get(res, 0));
	}
	dbres_free(res);
	return 0;
}

/* the column names a query returns; -1 on error */
int
query_cols(struct db *d, const char *body, struct cols *out)
{
	struct dbres *res = db_queryf(d, "SELECT * FROM (%s) AS q LIMIT 0", body);
	size_t i;

	if (!res)
		return -1;
	out->n = dbres_ncols(res);
	out->v = xcalloc(out->n, sizeof(*out->v));
	for (i = 0; i < out->n; i++)
		out->v[i] = xstrdup(dbres_colname(res, i));
	dbres_free(res);
	return 0;
}

/* `a`, `b`, `c` with an optional prefix before each name */
char *
col_list(const struct cols *c, const char *prefix)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, "%s%s%s", i ? ", " : "", prefix, id);
		free(id);
	}
	return buf_detach(&b);
}

char *
strlist_cols(const struct strlist *l)
{
	struct cols c = { l->v, l->n };

	return col_list(&c, "");
}

char *
match_expr(const struct cols *c, const char *a, const char *b)
{
	struct buf bb;
	size_t i;

	buf_init(&bb);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&bb, "%s%s.%s <=> %s.%s", i ? " AND " : "", a, id, b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, "1");
	return buf_detach(&bb);
}

char *
same_values_expr(const struct cols *c, const char *a, const char *b)
{
	struct buf bb;
	size_t i;

	buf_init(&bb);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&bb, "%sCAST(%s.%s AS BINARY) <=> CAST(%s.%s AS BINARY)", i ? " AND " : "",
		         a, id, b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, "1");
	return buf_detach(&bb);
}

long long
count_rows(struct db *d, const char *table)
{
	char *v = NULL, *id = db_ident(table);
	long long n = -1;

	if (db_value(d, &v, "SELECT COUNT(*) FROM %s", id) > 0 && v)
		n = atoll(v);
	free(v);
	free(id);
	return n;
}

bool
table_exists(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT 1 FROM information_schema.tables"
	                  " WHERE table_schema = DATABASE() AND table_name = %s", q);

	free(q);
	free(v);
	return rc > 0;
}

static bool
has_primary_key(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT 1 FROM information_schema.table_constraints"
	                  " WHERE table_schema = DATABASE() AND table_name = %s"
	                  " AND constraint_type = 'PRIMARY KEY'", q);

	free(q);
	free(v);
	return rc > 0;
}

int
build_cleanup(struct db *tgt, const struct target *t)
{
	char *s = shadow_name(t->name), *o = old_name(t->name);
	char *is = db_ident(s), *io = db_ident(o);
	int rc;

	rc = db_execf(tgt, "DROP TABLE IF EXISTS %s, %s", is, io);
	free(s);
	free(o);
	free(is);
	free(io);
	return rc;
}

/*
 * give the shadow its change stamp and primary key, after the DDL or the
 * result shape created it
 */
int
shape_shadow(struct db *tgt, struct build_job *job, const char *shadow)
{
	const struct target *t = job->t;
	struct cols have = { 0 };
	char *id = db_ident(shadow);
	int rc = 0;

	if (db_execf(tgt, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS " STAMP_DDL, id) < 0)
		rc = fail(job, tgt, "target '%s': cannot add the change stamp", t->name);
	if (rc == 0 && t->key.n > 0 && !has_primary_key(tgt, shadow)) {
		char *k = strlist_cols(&t->key);

		if (table_cols(tgt, shadow, &have) < 0)
			rc = fail(job, tgt, "target '%s'", t->name);
		for (size_t i = 0; rc == 0 && i < t->key.n; i++)
			if (!cols_has(&have, t->key.v[i]))
				rc = fail(job, NULL, "target '%s': key column '%s' is not in the result",
				          t->name, t->key.v[i]);
		if (rc == 0 && db_execf(tgt, "ALTER TABLE %s ADD PRIMARY KEY (%s)", id, k) < 0)
			rc = fail(job, tgt, "target '%s': cannot make (%s) the primary key",
			          t->name, k);
		free(k);
		cols_release(&have);
	}
	free(id);
	return rc;
}

int
add_indexes(struct db *tgt, struct build_job *job, const char *table)
{
	const struct target *t = job->t;
	struct buf b;
	char *id;
	size_t i;
	int rc = 0;

	if (t->nindexes == 0)
		return 0;
	id = db_ident(table);
	buf_init(&b);
	buf_addf(&b, "ALTER TABLE %s", id);
	for (i = 0; i < t->nindexes; i++) {
		char *c = strlist_cols(&t->indexes[i]);

		buf_addf(&b, "%s ADD INDEX (%s)", i ? "," : "", c);
		free(c);
	}
	if (db_exec(tgt, b.s) < 0)
		rc = fail(job, tgt, "target '%s': cannot add indexes", t->name);
	buf_release(&b);
	free(id);
	return rc;
}

/*
 * compare the new shadow with the live table: keep the change stamp of rows
 * whose values did not change, and count the rows that did (restat)
 */
int
restat(struct db *tgt, struct build_job *job, const char *shadow, long long newrows)
{
	const struct target *t = job->t;
	struct cols oldc = { 0 }, newc = { 0 };
	long long oldrows;
	int rc = 0;

	job->changed = newrows > 0 ? newrows : 1;
	if (job->no_restat || !table_exists(tgt, t->name))
		return 0;
	if (table_cols(tgt, t->name, &oldc) < 0 || table_cols(tgt, shadow, &newc) < 0) {
		rc = fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (oldc.n != newc.n)
		goto out;
	for (size_t i = 0; i < newc.n; i++)
		if (strcasecmp(oldc.v[i], newc.v[i]) != 0)
			goto out;
	oldrows = count_rows(tgt, t->name);
	if (oldrows < 0) {
		rc = fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (t->key.n > 0) {
		struct cols key = { t->key.v, t->key.n };
		char *on = match_expr(&key, "s", "o"), *same = same_values_expr(&newc, "s", "o");
		char *is = db_ident(shadow), *io = db_ident(t->name);
		long long kept;

		rc = db_execf(tgt, "UPDATE %s s JOIN %s o ON %s SET s.`" STAMP "` = o.`" STAMP "`"
		              " WHERE %s", is, io, on, same);
		kept = db_affected(tgt);
		if (rc < 0)
			fail(job, tgt, "target '%s': cannot compare with the live table", t->name);
		else
			job->changed = newrows + oldrows - 2 * kept;
		free(on);
		free(same);
		free(is);
		free(io);
	} else {
		char *sn = NULL, *so = NULL;
		char *cl = col_list(&newc, "");
		struct buf expr;

		buf_init(&expr);
		buf_adds(&expr, "CONCAT(COUNT(*), '/', SUM(CAST(CONV(LEFT(MD5(CONCAT_WS(','");
		for (size_t i = 0; i < newc.n; i++) {
			char *id = db_ident(newc.v[i]);

			buf_addf(&expr, ", QUOTE(%s)", id);
			free(id);
		}
		buf_adds(&expr, ")), 15), 16, 10) AS DECIMAL(65,0))))");
		if (db_value(tgt, &sn, "SELECT %s FROM `%s`", expr.s, shadow) < 0 ||
		    db_value(tgt, &so, "SELECT %s FROM `%s`", expr.s, t->name) < 0)
			rc = fail(job, tgt, "target '%s': cannot checksum", t->name);
		else if (sn && so && strcmp(sn, so) == 0)
			job->changed = 0;
		free(sn);
		free(so);
		free(cl);
		buf_release(&expr);
	}
out:
	cols_release(&oldc);
	cols_release(&newc);
	return rc;
}

/* swap the shadow in with one atomic RENAME TABLE */
int
swap(struct db *tgt, struct build_job *job, const char *shadow)
{
	const struct target *t = job->t;
	char *old = old_name(t->name);
	char *is = db_ident(shadow), *io = db_ident(old), *it = db_ident(t->name);
	int rc = 0;

	fault_point("before-swap", t->name);
	if (table_exists(tgt, t->name)) {
		if (db_execf(tgt, "DROP TABLE IF EXISTS %s", io) < 0 ||
		    db_execf(tgt, "RENAME TABLE %s TO %s, %s TO %s", it, io, is, it) < 0 ||
		    db_execf(tgt, "DROP TABLE %s", io) < 0)
			rc = fail(job, tgt, "target '%s': cannot swap in the new table", t->name);
	} else if (db_execf(tgt, "RENAME TABLE %s TO %s", is, it) < 0)
		rc = fail(job, tgt, "target '%s': cannot swap in the new table", t->name);
	fault_point("after-swap", t->name);
	free(old);
	free(is);
	free(io);
	free(it);
	return rc;
}

int
finish(struct db *tgt, struct build_job *job, double started)
{
	const struct target *t = job->t;

	/*
	 * after an unfinished build the live table may hold rows that no
	 * consumer has seen yet: never prune them
	 */
	if (!job->prev_ok && job->changed == 0)
		job->changed = 1;
	if (store_marker_finish(job->store, t->name, job->run_id, job->hash,
	                        job->inputs_at, job->full, job->changed, job->rows,
	                        mono_seconds() - started, job->rev, job->dirty) < 0)
		return fail(job, tgt, "target '%s': cannot record the marker", t->name);
	return 0;
}


long long
rows_after_upsert(struct db *d, struct build_job *job, const char *table)
{
	/* COUNT(*) of a large InnoDB table takes seconds: add up what changed */
	if (job->prev_rows >= 0 && job->inserted >= 0)
		return job->prev_rows + job->inserted - job->deleted;
	return count_rows(d, table);
}

int
upsert(struct db *d, struct build_job *job, const char *table, const struct cols *c,
       const char *select_sql)
{
	struct buf b;
	char *it = db_ident(table), *cl = col_list(c, "");
	size_t i;
	int rc = 0;

	buf_init(&b);
	/* target columns are qualified: the select may carry the same names */
	buf_addf(&b, "INSERT INTO %s (%s) SELECT * FROM (%s) AS _chacc_rows"
	         " ON DUPLICATE KEY UPDATE %s.`" STAMP "` = IF(", it, cl, select_sql, it);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, "%sCAST(%s.%s AS BINARY) <=> CAST(VALUES(%s) AS BINARY)",
		         i ? " AND " : "", it, id, id);
		free(id);
	}
	buf_addf(&b, ", %s.`" STAMP "`, NOW(6))", it);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, ", %s.%s = VALUES(%s)", it, id, id);
		free(id);
	}
	if (db_exec(d, b.s) < 0)
		rc = fail(job, d, "target '%s': cannot upsert into '%s'", job->t->name, table);
	else {
		long long n = db_inserted(d), affected = db_affected(d);

		/* affected rows count 1 per insert and 2 per changed update */
		job->changed += n < 0 ? affected : n + (affected - n) / 2;
		job->inserted = n < 0 || job->inserted < 0 ? -1 : job->inserted + n;
	}
	buf_release(&b);
	free(it);
	free(cl);
	return rc;
}

/* SQL literal of a timestamp string, or NULL */
char *
ts_literal(struct db *d, const char *ts)
{
	return ts && *ts ? db_quote(d, ts) : xstrdup("NULL");
}

/*
 * remove rows whose key a need deleted since the last build, recording them
 * in etl_deletes so that targets downstream follow
 */
static int
follow_deletes(struct db *tgt, struct build_job *job, const struct cols *c, const char *since)
{
	const struct target *t = job->t;
	struct buf on, paths, keyobj, rowobj;
	char *it = db_ident(t->name), *qt = db_quote(tgt, t->name);
	size_t i;
	int rc = 0;

	buf_init(&on);
	buf_init(&paths);
	buf_init(&keyobj);
	buf_init(&rowobj);
	for (i = 0; i < t->key.n; i++) {
		char *id = db_ident(t->key.v[i]), *name = db_quote(tgt, t->key.v[i]);
		char *path = xasprintf("$.%s", t->key.v[i]), *qp = db_quote(tgt, path);

		buf_addf(&on, " AND t.%s = JSON_VALUE(d.key_json, %s)", id, qp);
		buf_addf(&paths, ", %s", qp);
		buf_addf(&keyobj, "%s%s, t.%s", i ? ", " : "", name, id);
		free(id);
		free(name);
		free(path);
		free(qp);
	}
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]), *name = db_quote(tgt, c->v[i]);

		buf_addf(&rowobj, "%s%s, t.%s", i ? ", " : "", name, id);
		free(id);
		free(name);
	}
	for (i = 0; rc == 0 && i < t->needs.n; i++) {
		char *qn = db_quote(tgt, t->needs.v[i]);
		char *from = xasprintf("FROM %s t JOIN etl_deletes d ON d.target = %s"
		                       " AND d.deleted_at > %s AND JSON_CONTAINS_PATH(d.key_json,"
		                       " 'all'%s)%s", it, qn, since, paths.s, on.s);

		if (db_execf(tgt, "INSERT INTO etl_deletes (target, key_json, row_json, run_id,"
		             " deleted_at) SELECT DISTINCT %s, JSON_OBJECT(%s), JSON_OBJECT(%s),"
		             " %lld, NOW(6) %s", qt, keyobj.s, rowobj.s, job->run_id, from) < 0 ||
		    db_execf(tgt, "DELETE t %s", from) < 0)
			rc = fail(job, tgt, "target '%s': cannot follow the deletes of '%s'",
			          t->name, t->needs.v[i]);
		else {
			job->changed += db_affected(tgt);
			job->deleted += db_affected(tgt);
		}
		free(qn);
		free(from);
	}
	buf_release(&on);
	buf_release(&paths);
	buf_release(&keyobj);
	buf_release(&rowobj);
	free(it);
	free(qt);
	return rc;
}

int
table_full(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *shadow = shadow_name(t->name), *is = db_ident(shadow);
	char *sql = sql_subst(c->r, t->query_sql, shadow, "NULL", job->run_id);
	char *body = query_body(sql);
	struct cols qc = { 0 };
	char *cl = NULL;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		fail(job, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (t->create_sql) {
		char *ddl = sql_subst(c->r, t->create_sql, shadow, "NULL", job->run_id);

		if (db_exec(tgt, ddl) < 0)
			fail(job, tgt, "target '%s': create '%s' failed", t->name, t->create);
		free(ddl);
	} else if (db_execf(tgt, "CREATE TABLE %s AS SELECT * FROM (%s) AS q LIMIT 0", is, body) < 0)
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
	if (job->error || shape_shadow(tgt, job, shadow) < 0)
		goto out;
	if (query_cols(tgt, body, &qc) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	cl = col_list(&qc, "");
	if (db_execf(tgt, "INSERT INTO %s (%s) SELECT * FROM (%s) AS q", is, cl, body) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	job->moved = job->rows = db_affected(tgt);
	fault_point("after-load", t->name);
	if (restat(tgt, job, shadow, job->rows) < 0 || add_indexes(tgt, job, shadow) < 0 ||
	    swap(tgt, job, shadow) < 0 || finish(tgt, job, started) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	cols_release(&qc);
	free(cl);
	free(shadow);
	free(is);
	free(sql);
	free(body);
	return rc;
}

int
table_incremental(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *since = ts_literal(tgt, job->prev_inputs_at);
	char *sql = sql_subst(c->r, t->query_sql, t->name, since, job->run_id);
	char *body = query_body(sql), *select = NULL;
	struct cols qc = { 0 };
	int rc = -1;

	if (query_cols(tgt, body, &qc) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	select = xasprintf("SELECT * FROM (%s) AS q", body);
	if (db_exec(tgt, "START TRANSACTION") < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (follow_deletes(tgt, job, &qc, since) < 0 || upsert(tgt, job, t->name, &qc, select) < 0)
		goto rollback;
	job->moved = job->changed;
	fault_point("before-commit", t->name);
	if ((job->rows = rows_after_upsert(tgt, job, t->name)) < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (finish(tgt, job, started) < 0)
		goto rollback;
	if (db_exec(tgt, "COMMIT") < 0) {
		fail(job, tgt, "target '%s': commit failed", t->name);
		goto out;
	}
	rc = 0;
	goto out;
rollback:
	db_exec(tgt, "ROLLBACK");
out:
	cols_release(&qc);
	free(since);
	free(sql);
	free(body);
	free(select);
	return rc;
}
