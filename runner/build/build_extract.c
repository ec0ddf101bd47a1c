/* build_extract.c: extract targets: rows from another connection into a table (DESIGN §5) */
#include "build_impl.h"
#include "extract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

static int
copy_progress(void *arg, long long rows)
{
	struct build *b = arg;

	b->res->live.moved = rows;
	bops_fault_point("during-copy", b->t->name);
	return b->req->stop && atomic_load(b->req->stop);
}

/*
 * on one server, with the source's database the default one: INSERT ...
 * SELECT into table of the target's database tdb, then back to tdb
 */
static int
load_pushed(struct extract *x, const char *select, const char *table, const char *tdb,
            long long *rows, enum copy_fail *why)
{
	struct db *tgt = x->tgt;
	char *idb = db_ident(tgt, tdb), *it = db_ident(tgt, table);
	struct db_names qc = { 0 };
	struct buf cl;
	int rc = -1;

	buf_init(&cl);
	*why = COPY_QUERY;
	if (db_result_columns(tgt, select, &qc) == 0) {
		for (size_t i = 0; i < qc.n; i++) {
			char *id = db_ident(tgt, qc.v[i]);

			buf_addf(&cl, "%s%s", i ? ", " : "", id);
			free(id);
		}
		if (db_execf(tgt, "INSERT INTO %s.%s (%s) SELECT * FROM (%s) AS q", idb, it,
		             cl.s ? cl.s : "", select) == 0) {
			*rows = db_affected(tgt);
			rc = 0;
		}
	}
	if (db_use(tgt, tdb) < 0 && rc == 0) {
		*why = COPY_BACK;
		rc = -1;
	}
	db_names_release(&qc);
	buf_release(&cl);
	free(idb);
	free(it);
	return rc;
}

int
extract_copy(struct extract *x, const char *select, const char *table, long long *rows,
             db_progress_fn progress, void *arg, enum copy_fail *why)
{
	struct db *errside = NULL;

	*rows = 0;
	if (x->same) {
		/* the target's database, asked before db_use changes it */
		char *tdb = xstrdup(db_name(x->tgt));
		int rc;

		/* the target user cannot read the source database: stream instead */
		if (db_use(x->tgt, db_name(x->src)) == 0) {
			rc = load_pushed(x, select, table, tdb, rows, why);
			free(tdb);
			return rc;
		}
		free(tdb);
	}
	if (db_copy(x->src, select, x->tgt, table, rows, progress, arg, &errside) < 0) {
		*why = errside == x->src ? COPY_READ : COPY_LOAD;
		return -1;
	}
	return 0;
}

/*
 * run select on the source and put its rows into table on the target: pushed
 * down as INSERT ... SELECT when both are one server, else streamed
 */
static int
load(struct extract *x, const char *select, const char *table)
{
	struct build *b = x->b;
	enum copy_fail why;
	long long rows = 0;

	if (extract_copy(x, select, table, &rows, copy_progress, b, &why) < 0) {
		if (why == COPY_QUERY)
			return bops_fail(b, x->tgt, "target '%s': query '%s' failed", b->t->name,
			                 b->t->query);
		if (why == COPY_BACK)
			return bops_fail(b, x->tgt, "target '%s'", b->t->name);
		return bops_fail(b, why == COPY_READ ? x->src : x->tgt, "target '%s': %s", b->t->name,
		                 why == COPY_READ ? "reading the source failed" : "loading rows failed");
	}
	b->res->live.moved = rows;
	return 0;
}

/* the source clock */
static int
source_now(struct extract *x, char **out)
{
	if (db_now(x->src, out) < 0)
		return bops_fail(x->b, x->src, "target '%s': cannot read the source clock", x->b->t->name);
	return 0;
}

/* watermark of the rows in table and whether the lookback window is open */
static int
watermark(struct build *b, const char *table, const char *read_at, char **wm, bool *open)
{
	const struct target *t = b->t;
	char *it = db_ident(b->tgt, table), *ic = db_ident(b->tgt, t->incr.column);
	int rc;

	*wm = NULL;
	*open = false;
	rc = db_value(b->tgt, wm, "SELECT MAX(%s) FROM %s", ic, it);
	free(it);
	free(ic);
	if (rc < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot read the watermark", t->name);
	if (!*wm && b->req->watermark)
		*wm = xstrdup(b->req->watermark);
	if (*wm)
		*open = db_ts_after(b->tgt, *wm, read_at, t->incr.lookback) > 0;
	return 0;
}

char *
extract_select(struct extract *x, const char *since, bool incremental)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	char *sql = bops_subst(b->c->r, t->query_sql, t->name, since, b->req->run_id);
	char *body = bops_query_body(b->c->r, t, sql), *out;

	/* no watermark yet (the source was empty): everything is new */
	if (incremental && !strstr(t->query_sql, "${since}") && strcmp(since, "NULL") != 0) {
		char *ic = db_ident(x->src, t->incr.column);

		out = xasprintf("SELECT * FROM (%s) AS q WHERE q.%s >= %s", body, ic, since);
		free(ic);
		free(body);
	} else
		out = body;
	free(sql);
	if (x->site) {
		char *s = db_sql_site_select(x->src, SITE_COLUMN, x->site, out);

		free(out);
		out = s;
	}
	return out;
}

/* create the shadow from the recipe's DDL or shaped like the source's result */
static int
create_shadow(struct extract *x, const char *shadow, const char *select)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	char *ddl;
	int rc = 0;

	if (t->create_sql)
		ddl = bops_subst(b->c->r, t->create_sql, shadow, "NULL", b->req->run_id);
	else if (!(ddl = db_result_ddl(x->src, select, b->tgt, shadow)))
		return bops_fail(b, x->src, "target '%s': query '%s' failed", t->name, t->query);
	if (db_exec(b->tgt, ddl) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': %s failed", t->name,
		               t->create ? t->create : "creating the table");
	free(ddl);
	return rc;
}

char *
extract_not_deleted(struct extract *x, char *select)
{
	char *id = db_ident(x->src, x->b->t->incr.deleted), *col = xasprintf("d.%s", id);
	char *cond = db_sql_falsy(x->src, col);
	char *s = xasprintf("SELECT * FROM (%s) AS d WHERE %s", select, cond);

	free(select);
	free(id);
	free(col);
	free(cond);
	return s;
}

int
extract_full(struct extract *x)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name), *read_at = NULL, *wm = NULL, *pos = NULL;
	char *select = extract_select(x, "NULL", false);
	bool open = false, snapshot = false;
	int rc = -1;

	if (t->incr.deleted)
		select = extract_not_deleted(x, select);
	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (source_now(x, &read_at) < 0 || create_shadow(x, shadow, select) < 0 ||
	    bops_shape_shadow(b, shadow) < 0 || changes_position(x, &pos, &snapshot) < 0 ||
	    load(x, select, shadow) < 0)
		goto out;
	/* the snapshot the rows were read in ends */
	if (snapshot && db_commit(x->src) < 0) {
		bops_fail(b, x->src, "target '%s'", t->name);
		goto out;
	}
	snapshot = false;
	bops_fault_point("after-load", t->name);
	b->res->rows = b->res->live.moved;
	if (bops_restat(b, shadow, b->res->rows) < 0 || bops_add_indexes(b, shadow) < 0)
		goto out;
	if (t->incr.column && !pos && watermark(b, shadow, read_at, &wm, &open) < 0)
		goto out;
	if (bops_checks(b, shadow, NULL, false) < 0 || bops_swap(b, shadow) < 0)
		goto out;
	if ((pos || t->incr.column) &&
	    store_watermark_set(b->c->store, t->name, t->from, pos ? MARKER_LOG_POSITION :
	                        t->incr.column, pos ? pos : wm, open) < 0) {
		bops_fail(b, tgt, "target '%s': cannot record the watermark", t->name);
		goto out;
	}
	if (bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	if (snapshot)
		db_rollback(x->src);
	free(shadow);
	free(read_at);
	free(wm);
	free(pos);
	free(select);
	return rc;
}

char *
extract_since(struct extract *x, const char *watermark)
{
	const struct build_req *q = x->b->req;
	char *v = NULL, *qw, *lit;

	if (q->since)
		return db_quote(x->src, q->since);
	if (!watermark)
		return xstrdup("NULL");
	qw = db_quote(x->src, watermark);
	if (strspn(watermark, "0123456789-") == strlen(watermark) && !strchr(watermark + 1, '-'))
		return qw;
	if (db_ts_minus(x->src, watermark, x->b->t->incr.lookback, &v) == 0)
		lit = db_quote(x->src, v);
	else
		lit = xstrdup(qw);
	free(v);
	free(qw);
	return lit;
}

int
extract_remove_flagged(struct build *b, const char *stage, const struct db_names *tc)
{
	const struct target *t = b->t;
	struct db_names key = { xcalloc(tc->n + 1, sizeof(char *)), 0 };
	struct db_names tkey = bops_names(&t->key);
	struct db_delete del = {
		.log = DELETE_LOG, .table = t->name, .key = &key, .cols = tc,
		.run_id = b->req->run_id,
	};
	long long removed = 0;
	int rc = 0;

	/* the key in the table's column order, as the log has always held it */
	for (size_t i = 0; i < tc->n; i++)
		if (db_names_has(&tkey, tc->v[i]))
			key.v[key.n++] = tc->v[i];
	if (db_delete_flagged(b->tgt, &del, stage, t->incr.deleted, &removed) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot remove deleted rows", t->name);
	else {
		b->res->changed += removed;
		b->res->deleted += removed;
	}
	free(key.v);
	return rc;
}

/* move the stage's rows into the table with the marker, in one transaction */
static int
commit_stage(struct build *b, const char *stage, const struct db_names *tc, const char *wm,
             bool open)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *from_stage = bops_select_cols(tgt, stage, tc), *t0 = NULL;
	if (db_begin(tgt) < 0) {
		free(from_stage);
		return bops_fail(b, tgt, "target '%s'", t->name);
	}
	/* the rows this build changes are those stamped from now on */
	if (bops_audits(b) && !(t0 = bops_now_literal(b))) {
		bops_fail(b, tgt, "target '%s': cannot read the clock", t->name);
		goto rollback;
	}
	if (t->incr.deleted && extract_remove_flagged(b, stage, tc) < 0)
		goto rollback;
	if (bops_upsert(b, t->name, tc, from_stage) < 0)
		goto rollback;
	bops_fault_point("before-commit", t->name);
	if ((b->res->rows = bops_rows_after_upsert(b, t->name)) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (store_watermark_set(b->c->store, t->name, t->from, t->incr.column, wm, open) < 0) {
		bops_fail(b, tgt, "target '%s': cannot record the watermark", t->name);
		goto rollback;
	}
	if (bops_checks(b, t->name, t0, true) < 0 || bops_finish(b) < 0)
		goto rollback;
	free(from_stage);
	free(t0);
	if (db_commit(tgt) < 0)
		return bops_fail(b, tgt, "target '%s': commit failed", t->name);
	return 0;
rollback:
	db_rollback(tgt);
	free(from_stage);
	free(t0);
	return -1;
}

int
extract_by_watermark(struct extract *x)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *stage = xasprintf("_chacc_stage_%.40s", t->name);
	char *since = extract_since(x, x->b->req->watermark), *select = NULL, *read_at = NULL, *wm = NULL;
	struct db_names tc = { 0 };
	bool open = false;
	int rc = -1;

	select = extract_select(x, since, true);
	if (source_now(x, &read_at) < 0)
		goto out;
	if (db_drop_table(tgt, stage, true) < 0 || db_create_like(tgt, stage, t->name, true) < 0) {
		bops_fail(b, tgt, "target '%s': cannot create a staging table", t->name);
		goto out;
	}
	if (load(x, select, stage) < 0)
		goto out;
	bops_fault_point("after-load", t->name);
	if (db_table_columns(tgt, t->name, &tc) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (watermark(b, stage, read_at, &wm, &open) < 0)
		goto out;
	rc = commit_stage(b, stage, &tc, wm, open);
out:
	db_drop_table(tgt, stage, true);
	db_names_release(&tc);
	free(stage);
	free(since);
	free(select);
	free(read_at);
	free(wm);
	return rc;
}

int
build_extract(struct build *b)
{
	struct extract x = { .b = b, .tgt = b->tgt };
	char *err = NULL;
	enum db_err why;

	if (target_sites(b->c->r, b->t))
		return build_sites(b);
	x.src = conns_get(b->c, b->t->from, &err, &why);
	if (!x.src) {
		b->res->error = xasprintf("target '%s': %s", b->t->name, err);
		/* a refused or lost connection can pass; a wrong password cannot */
		b->res->transient = why == DB_ERR_TRANSIENT;
		free(err);
		return -1;
	}
	bops_publish(b, 1, x.src);
	x.same = db_same_server(x.src, b->tgt);
	if (b->full)
		return extract_full(&x);
	if (b->t->incr.changes)
		return changes_incremental(&x);
	return extract_by_watermark(&x);
}

int
extract_probe(const struct recipe *r, struct db *src, const struct target *t, const char *watermark)
{
	char *qw, *sql, *body, *v = NULL, *ic;
	int rc;

	qw = watermark ? db_quote(src, watermark) : xstrdup("NULL");
	ic = db_ident(src, t->incr.column);
	if (!watermark) {
		/* the source was empty at the last build: has any row come? */
		sql = bops_subst(r, t->query_sql, t->name, "NULL", 0);
		body = bops_query_body(r, t, sql);
		free(sql);
		rc = db_value(src, &v, "SELECT 1 FROM (%s) AS q LIMIT 1", body);
	} else if (t->incr.probe_sql) {
		body = bops_query_body(r, t, t->incr.probe_sql);
		rc = db_value(src, &v, "SELECT (%s) > %s", body, qw);
		if (rc > 0)
			rc = v && (atoi(v) != 0 || strcmp(v, "t") == 0);
	} else {
		sql = bops_subst(r, t->query_sql, t->name, qw, 0);
		body = bops_query_body(r, t, sql);
		free(sql);
		rc = db_value(src, &v, "SELECT 1 FROM (%s) AS q WHERE q.%s > %s LIMIT 1", body, ic, qw);
	}
	free(v);
	free(body);
	free(qw);
	free(ic);
	return rc;
}

int
build_probe(struct conns *c, const struct target *t, const struct marker *m, char **note,
            char **err)
{
	struct db *src;
	int rc;

	*note = NULL;
	if (target_sites(c->r, t))
		return sites_probe(c, t, note, err);
	if (t->incr.changes)
		return changes_probe(c, t, m, note, err);
	if (m->window_open || !m->has_watermark)
		return 1;
	if (!(src = conns_get(c, t->from, err, NULL))) {
		char *why = *err;

		*err = xasprintf("target '%s': cannot reach source '%s': %s", t->name, t->from, why);
		free(why);
		return -1;
	}
	if ((rc = extract_probe(c->r, src, t, m->watermark)) < 0)
		*err = xasprintf("target '%s': probing source '%s' failed: %s", t->name, t->from,
		                 db_error(src));
	return rc;
}
