/* build_table.c: table targets: a query over the target database, in full (shadow, swap) or incremental (upsert) */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "recipe.h"
#include "util.h"

/*
 * remove rows whose key a need deleted since the last build, recording them
 * in the delete log so that targets downstream follow
 */
static int
follow_deletes(struct build *b, const struct db_names *cols, const char *since)
{
	const struct target *t = b->t;
	struct db_names key = bops_names(&t->key);
	struct db_delete del = {
		.log = DELETE_LOG, .table = t->name, .key = &key, .cols = cols,
		.run_id = b->req->run_id,
	};

	for (size_t i = 0; i < t->needs.n; i++) {
		long long removed = 0;

		if (db_follow_deletes(b->tgt, &del, t->needs.v[i], since, &removed) < 0)
			return bops_fail(b, b->tgt, "target '%s': cannot follow the deletes of '%s'",
			                 t->name, t->needs.v[i]);
		b->res->changed += removed;
		b->res->deleted += removed;
	}
	return 0;
}

/* create the shadow from the recipe's DDL, or shaped like the query's result */
static int
create_shadow(struct build *b, const char *shadow, const char *body)
{
	const struct target *t = b->t;
	int rc = 0;

	if (t->create_sql) {
		char *ddl = bops_subst(b->c->r, t->create_sql, shadow, "NULL", b->req->run_id);

		if (db_exec(b->tgt, ddl) < 0)
			rc = bops_fail(b, b->tgt, "target '%s': create '%s' failed", t->name, t->create);
		free(ddl);
	} else if (db_create_from_query(b->tgt, shadow, body) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': query '%s' failed", t->name, t->query);
	return rc;
}

static int
table_full(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name);
	char *sql = bops_subst(b->c->r, t->query_sql, shadow, "NULL", b->req->run_id);
	char *body = bops_query_body(b->c->r, t, sql);
	struct db_names qc = { 0 };
	long long rows = 0;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (create_shadow(b, shadow, body) < 0 || bops_shape_shadow(b, shadow) < 0)
		goto out;
	if (db_result_columns(tgt, body, &qc) < 0 ||
	    bops_insert_rows(tgt, shadow, &qc, body, &rows) < 0) {
		bops_fail(b, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	b->res->live.moved = b->res->rows = rows;
	bops_fault_point("after-load", t->name);
	if (bops_restat(b, shadow, rows) < 0 || bops_add_indexes(b, shadow) < 0 ||
	    bops_checks(b, shadow, NULL, false) < 0 || bops_swap(b, shadow) < 0 ||
	    bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	db_names_release(&qc);
	free(shadow);
	free(sql);
	free(body);
	return rc;
}

static int
table_incremental(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *since = db_ts_literal(tgt, b->req->prev_inputs_at);
	char *sql = bops_subst(b->c->r, t->query_sql, t->name, since, b->req->run_id);
	char *body = bops_query_body(b->c->r, t, sql), *select = NULL, *t0 = NULL;
	struct db_names qc = { 0 };
	int rc = -1;

	if (db_result_columns(tgt, body, &qc) < 0) {
		bops_fail(b, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	select = xasprintf("SELECT * FROM (%s) AS q", body);
	if (db_begin(tgt) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	/* the rows this build changes are those stamped from now on */
	if (bops_audits(b) && !(t0 = bops_now_literal(b))) {
		bops_fail(b, tgt, "target '%s': cannot read the clock", t->name);
		goto rollback;
	}
	if (follow_deletes(b, &qc, since) < 0 || bops_upsert(b, t->name, &qc, select) < 0)
		goto rollback;
	b->res->live.moved = b->res->changed;
	bops_fault_point("before-commit", t->name);
	if ((b->res->rows = bops_rows_after_upsert(b, t->name)) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (bops_checks(b, t->name, t0, true) < 0 || bops_finish(b) < 0)
		goto rollback;
	if (db_commit(tgt) < 0) {
		bops_fail(b, tgt, "target '%s': commit failed", t->name);
		goto out;
	}
	rc = 0;
	goto out;
rollback:
	db_rollback(tgt);
out:
	db_names_release(&qc);
	free(since);
	free(sql);
	free(body);
	free(select);
	free(t0);
	return rc;
}

int
build_table(struct build *b)
{
	return b->full ? table_full(b) : table_incremental(b);
}
