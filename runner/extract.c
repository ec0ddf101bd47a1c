/* extract.c: rows from another connection into a table (DESIGN §5) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "db.h"
#include "marker.h"
#include "store.h"
#include "recipe.h"
#include "util.h"

static int
copy_progress(void *arg, long long rows)
{
	struct build_job *job = arg;

	job->moved = rows;
	fault_point("during-copy", job->t->name);
	return job->stop && atomic_load(job->stop);
}

/*
 * run select on the source and put its rows into table on the target: pushed
 * down as INSERT ... SELECT when both are one server, else streamed
 */
static int
load(struct conns *c, struct db *src, struct build_job *job, const char *select,
     const char *table, bool same)
{
	struct db *tgt = c->tgt;
	struct db *errside = NULL;
	long long rows = 0;

	if (same) {
		char *sdb = db_ident(db_name(src)), *tdb = db_ident(db_name(tgt));
		char *it = db_ident(table);
		struct cols qc = { 0 };
		int rc = -1;

		if (db_execf(tgt, "USE %s", sdb) == 0) {
			if (query_cols(tgt, select, &qc) < 0)
				fail(job, tgt, "target '%s': query '%s' failed", job->t->name,
				     job->t->query);
			else {
				char *cl = col_list(&qc, "");

				if (db_execf(tgt, "INSERT INTO %s.%s (%s) SELECT * FROM (%s) AS q",
				             tdb, it, cl, select) < 0)
					fail(job, tgt, "target '%s': query '%s' failed",
					     job->t->name, job->t->query);
				else {
					job->moved = db_affected(tgt);
					rc = 0;
				}
				free(cl);
			}
			cols_release(&qc);
			if (db_execf(tgt, "USE %s", tdb) < 0 && rc == 0)
				rc = fail(job, tgt, "target '%s'", job->t->name);
			free(sdb);
			free(tdb);
			free(it);
			return rc;
		}
		/* the target user cannot read the source database: stream instead */
		free(sdb);
		free(tdb);
		free(it);
	}
	if (db_copy(src, select, tgt, table, &rows, copy_progress, job, &errside) < 0)
		return fail(job, errside, "target '%s': %s", job->t->name,
		            errside == src ? "reading the source failed" : "loading rows failed");
	job->moved = rows;
	return 0;
}

/* the source clock as "YYYY-MM-DD HH:MM:SS.ffffff" */
static int
source_now(struct db *src, struct build_job *job, char **out)
{
	if (db_value(src, out, "SELECT DATE_FORMAT(NOW(6), '%%Y-%%m-%%d %%H:%%i:%%s.%%f')") <= 0)
		return fail(job, src, "target '%s': cannot read the source clock", job->t->name);
	return 0;
}

/* watermark of the rows in table and whether the lookback window is open */
static int
watermark(struct db *tgt, struct build_job *job, const char *table, const char *read_at,
          char **wm, bool *open)
{
	const struct target *t = job->t;
	char *it = db_ident(table), *ic = db_ident(t->incr.column), *v = NULL, *qr, *qw;

	*wm = NULL;
	*open = false;
	if (db_value(tgt, wm, "SELECT MAX(%s) FROM %s", ic, it) < 0) {
		free(it);
		free(ic);
		return fail(job, tgt, "target '%s': cannot read the watermark", t->name);
	}
	free(it);
	free(ic);
	if (!*wm && job->watermark)
		*wm = xstrdup(job->watermark);
	if (!*wm)
		return 0;
	qr = db_quote(tgt, read_at);
	qw = db_quote(tgt, *wm);
	if (db_value(tgt, &v, "SELECT %s > %s - INTERVAL %.6f SECOND", qw, qr,
	             t->incr.lookback) > 0 && v)
		*open = atoi(v) != 0;
	free(v);
	free(qr);
	free(qw);
	return 0;
}

/* the SELECT an extract runs, for since (SQL literal) */
static char *
extract_select(struct conns *c, struct build_job *job, const char *since, bool incremental)
{
	const struct target *t = job->t;
	char *sql = sql_subst(c->r, t->query_sql, t->name, since, job->run_id);
	char *body = query_body(sql), *out;

	/* no watermark yet (the source was empty): everything is new */
	if (incremental && !strstr(t->query_sql, "${since}") && strcmp(since, "NULL") != 0) {
		char *ic = db_ident(t->incr.column);

		out = xasprintf("SELECT * FROM (%s) AS q WHERE q.%s >= %s", body, ic, since);
		free(ic);
		free(body);
	} else
		out = body;
	free(sql);
	return out;
}

static int
extract_full(struct conns *c, struct db *src, struct build_job *job, double started, bool same)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *shadow = shadow_name(t->name), *read_at = NULL, *wm = NULL, *ddl = NULL;
	char *select = extract_select(c, job, "NULL", false);
	bool open = false;
	int rc = -1;

	if (t->incr.deleted) {
		char *id = db_ident(t->incr.deleted);
		char *s = xasprintf("SELECT * FROM (%s) AS d WHERE NOT COALESCE(d.%s, 0)", select, id);

		free(select);
		free(id);
		select = s;
	}
	if (build_cleanup(tgt, t) < 0) {
		fail(job, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (source_now(src, job, &read_at) < 0)
		goto out;
	if (t->create_sql)
		ddl = sql_subst(c->r, t->create_sql, shadow, "NULL", job->run_id);
	else if (!(ddl = db_result_ddl(src, select, shadow))) {
		fail(job, src, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	if (db_exec(tgt, ddl) < 0) {
		fail(job, tgt, "target '%s': %s failed", t->name,
		     t->create ? t->create : "creating the table");
		goto out;
	}
	if (shape_shadow(tgt, job, shadow) < 0 || load(c, src, job, select, shadow, same) < 0)
		goto out;
	fault_point("after-load", t->name);
	job->rows = job->moved;
	if (restat(tgt, job, shadow, job->rows) < 0 || add_indexes(tgt, job, shadow) < 0)
		goto out;
	if (t->incr.enabled && watermark(tgt, job, shadow, read_at, &wm, &open) < 0)
		goto out;
	if (swap(tgt, job, shadow) < 0)
		goto out;
	if (t->incr.enabled && store_watermark_set(job->store, t->name, t->from,
	                                           t->incr.column, wm, open) < 0) {
		fail(job, tgt, "target '%s': cannot record the watermark", t->name);
		goto out;
	}
	if (finish(tgt, job, started) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(shadow);
	free(read_at);
	free(wm);
	free(ddl);
	free(select);
	return rc;
}

/* the lower bound of an incremental read: --since, or watermark minus lookback */
static char *
since_literal(struct db *src, struct build_job *job)
{
	const struct target *t = job->t;
	char *v = NULL, *qw, *lit;

	if (job->since)
		return db_quote(src, job->since);
	if (!job->watermark)
		return xstrdup("NULL");
	qw = db_quote(src, job->watermark);
	if (strspn(job->watermark, "0123456789-") == strlen(job->watermark) &&
	    !strchr(job->watermark + 1, '-'))
		return qw;
	if (db_value(src, &v, "SELECT DATE_FORMAT(CAST(%s AS DATETIME(6)) - INTERVAL %.6f SECOND,"
	             " '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", qw, t->incr.lookback) > 0 && v)
		lit = db_quote(src, v);
	else
		lit = xstrdup(qw);
	free(v);
	free(qw);
	return lit;
}

static int
extract_incremental(struct conns *c, struct db *src, struct build_job *job, double started,
                    bool same)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *stage = xasprintf("_chacc_stage_%.40s", t->name);
	char *is = db_ident(stage), *it = db_ident(t->name);
	char *since = since_literal(src, job), *select = NULL, *read_at = NULL, *wm = NULL;
	char *from_stage = NULL, *cl = NULL;
	struct cols tc = { 0 };
	bool open = false;
	int rc = -1;

	select = extract_select(c, job, since, true);
	if (source_now(src, job, &read_at) < 0)
		goto out;
	if (db_execf(tgt, "DROP TEMPORARY TABLE IF EXISTS %s", is) < 0 ||
	    db_execf(tgt, "CREATE TEMPORARY TABLE %s LIKE %s", is, it) < 0) {
		fail(job, tgt, "target '%s': cannot create a staging table", t->name);
		goto out;
	}
	if (load(c, src, job, select, stage, same) < 0)
		goto out;
	fault_point("after-load", t->name);
	if (table_cols(tgt, t->name, &tc) < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (watermark(tgt, job, stage, read_at, &wm, &open) < 0)
		goto out;
	if (db_exec(tgt, "START TRANSACTION") < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (t->incr.deleted) {
		struct cols key = { t->key.v, t->key.n };
		char *on = match_expr(&key, "t", "s"), *del = db_ident(t->incr.deleted);
		struct buf keyobj, rowobj;

		buf_init(&keyobj);
		buf_init(&rowobj);
		for (size_t i = 0; i < tc.n; i++) {
			char *id = db_ident(tc.v[i]), *name = db_quote(tgt, tc.v[i]);

			buf_addf(&rowobj, "%s%s, t.%s", i ? ", " : "", name, id);
			if (cols_has(&key, tc.v[i]))
				buf_addf(&keyobj, "%s%s, t.%s", keyobj.len ? ", " : "", name, id);
			free(id);
			free(name);
		}
		if (db_execf(tgt, "INSERT INTO etl_deletes (target, key_json, row_json, run_id,"
		             " deleted_at) SELECT '%s', JSON_OBJECT(%s), JSON_OBJECT(%s), %lld,"
		             " NOW(6) FROM %s t JOIN %s s ON %s WHERE COALESCE(s.%s, 0)",
		             t->name, keyobj.s, rowobj.s, job->run_id, it, is, on, del) < 0 ||
		    db_execf(tgt, "DELETE t FROM %s t JOIN %s s ON %s WHERE COALESCE(s.%s, 0)",
		             it, is, on, del) < 0)
			fail(job, tgt, "target '%s': cannot remove deleted rows", t->name);
		else {
			job->changed += db_affected(tgt);
			job->deleted += db_affected(tgt);
		}
		if (!job->error && db_execf(tgt, "DELETE FROM %s WHERE COALESCE(%s, 0)", is, del) < 0)
			fail(job, tgt, "target '%s'", t->name);
		buf_release(&keyobj);
		buf_release(&rowobj);
		free(on);
		free(del);
		if (job->error)
			goto rollback;
	}
	cl = col_list(&tc, "");
	from_stage = xasprintf("SELECT %s FROM %s", cl, is);
	if (upsert(tgt, job, t->name, &tc, from_stage) < 0)
		goto rollback;
	fault_point("before-commit", t->name);
	if ((job->rows = rows_after_upsert(tgt, job, t->name)) < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (store_watermark_set(job->store, t->name, t->from, t->incr.column, wm, open) < 0) {
		fail(job, tgt, "target '%s': cannot record the watermark", t->name);
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
	db_execf(tgt, "DROP TEMPORARY TABLE IF EXISTS %s", is);
	cols_release(&tc);
	free(stage);
	free(is);
	free(it);
	free(since);
	free(select);
	free(read_at);
	free(wm);
	free(from_stage);
	free(cl);
	return rc;
}

int
build_extract(struct conns *c, struct build_job *job, double started)
{
	struct db *src;
	char *err = NULL;
	bool same;

	src = conns_get(c, job->t->from, &err);
	if (!src) {
		job->error = xasprintf("target '%s': %s", job->t->name, err);
		/* a refused or lost connection can pass; a wrong password cannot */
		job->transient = !strstr(err, "Access denied") && !strstr(err, "Unknown database");
		free(err);
		return -1;
	}
	job_publish(job, 1, src);
	same = db_same_server(src, c->tgt);
	if (job->full)
		return extract_full(c, src, job, started, same);
	return extract_incremental(c, src, job, started, same);
}

int
build_probe(struct conns *c, const struct target *t, const struct marker *m, char **err)
{
	struct db *src;
	char *qw, *sql, *body, *v = NULL, *ic;
	int rc;

	if (m->window_open || !m->has_watermark)
		return 1;
	if (!(src = conns_get(c, t->from, err))) {
		char *why = *err;

		*err = xasprintf("target '%s': cannot reach source '%s': %s", t->name, t->from, why);
		free(why);
		return -1;
	}
	qw = m->watermark ? db_quote(src, m->watermark) : xstrdup("NULL");
	ic = db_ident(t->incr.column);
	if (!m->watermark) {
		/* the source was empty at the last build: has any row come? */
		sql = sql_subst(c->r, t->query_sql, t->name, "NULL", 0);
		body = query_body(sql);
		free(sql);
		rc = db_value(src, &v, "SELECT 1 FROM (%s) AS q LIMIT 1", body);
	} else if (t->incr.probe_sql) {
		body = query_body(t->incr.probe_sql);
		rc = db_value(src, &v, "SELECT (%s) > %s", body, qw);
		if (rc > 0)
			rc = v && atoi(v) != 0;
	} else {
		sql = sql_subst(c->r, t->query_sql, t->name, qw, 0);
		body = query_body(sql);
		free(sql);
		rc = db_value(src, &v, "SELECT 1 FROM (%s) AS q WHERE q.%s > %s LIMIT 1", body, ic, qw);
	}
	if (rc < 0)
		*err = xasprintf("target '%s': probing source '%s' failed: %s", t->name, t->from,
		                 db_error(src));
	free(v);
	free(body);
	free(qw);
	free(ic);
	return rc;
}
