/*
 * build_script.c: script targets: a SQL script and its call write ${this}, a
 * shadow table swapped in, or with in_place the table itself
 */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "db.h"
#include "recipe.h"
#include "sqlsplit.h"
#include "util.h"

/* run a script's statements, then its call, with ${this} naming table */
static int
run_script(struct build *b, const char *table, const char *since)
{
	const struct target *t = b->t;
	char *sql = bops_subst(b->c->r, t->script_sql, table, since, b->req->run_id);
	struct sqlscript s = { 0 };
	char *err = NULL;
	int rc = 0;

	if (sqlsplit(sql, strlen(sql), recipe_conn_dialect(b->c->r, b->c->r->target_conn), &s,
	             &err) < 0) {
		rc = bops_fail(b, NULL, "target '%s': script '%s': %s", t->name, t->script, err);
		free(err);
	}
	for (size_t i = 0; rc == 0 && i < s.nstmts; i++)
		if (db_exec(b->tgt, s.stmts[i].sql) < 0)
			rc = bops_fail(b, b->tgt, "target '%s': %s:%d", t->name, t->script,
			               s.stmts[i].line);
	if (rc == 0 && t->call) {
		char *call = bops_subst(b->c->r, t->call, table, since, b->req->run_id);

		if (db_exec(b->tgt, call) < 0)
			rc = bops_fail(b, b->tgt, "target '%s': call failed", t->name);
		free(call);
	}
	sqlscript_release(&s);
	free(sql);
	return rc;
}

static int
script_full(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name), *before = NULL, *after = NULL;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (run_script(b, shadow, "NULL") < 0)
		goto out;
	if (!db_table_exists(tgt, shadow)) {
		bops_fail(b, NULL, "target '%s': script '%s' did not create its table (${this})",
		     t->name, t->script);
		goto out;
	}
	bops_fault_point("after-load", t->name);
	b->res->live.moved = b->res->rows = db_count_rows(tgt, shadow);
	b->res->changed = b->res->rows > 0 ? b->res->rows : 1;
	if (db_table_exists(tgt, t->name)) {
		if (db_checksum(tgt, shadow, &after) < 0 || db_checksum(tgt, t->name, &before) < 0) {
			bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
			goto out;
		}
		if (strcmp(before, after) == 0 && db_count_rows(tgt, t->name) == b->res->rows)
			b->res->changed = 0;
	}
	if (bops_add_indexes(b, shadow) < 0 || bops_checks(b, shadow, NULL, false) < 0 ||
	    bops_swap(b, shadow) < 0 || bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(shadow);
	free(before);
	free(after);
	return rc;
}

/*
 * in_place: the script replaces the live table with its own statements (a
 * procedure writing a fixed name); no shadow, no swap. The table's checksum
 * before and after tells whether it changed.
 */
static int
script_in_place(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *before = NULL, *after = NULL;
	long long oldrows = -1;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (db_table_exists(tgt, t->name) && bops_cluster_keyed(b, t->name) < 0)
		goto out;
	if (db_table_exists(tgt, t->name) &&
	    (db_checksum(tgt, t->name, &before) < 0 || (oldrows = db_count_rows(tgt, t->name)) < 0)) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	if (run_script(b, t->name, "NULL") < 0)
		goto out;
	if (!db_table_exists(tgt, t->name)) {
		bops_fail(b, NULL, "target '%s': script '%s' did not create its table '%s'"
		          " (in_place: it writes the table itself)", t->name, t->script, t->name);
		goto out;
	}
	bops_fault_point("after-load", t->name);
	if (bops_cluster_keyed(b, t->name) < 0)
		goto out;
	if (db_checksum(tgt, t->name, &after) < 0) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	b->res->live.moved = b->res->rows = db_count_rows(tgt, t->name);
	b->res->changed = b->res->rows > 0 ? b->res->rows : 1;
	if (before && strcmp(before, after) == 0 && oldrows == b->res->rows)
		b->res->changed = 0;
	if (bops_add_indexes(b, t->name) < 0 || bops_checks(b, t->name, NULL, false) < 0 ||
	    bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	free(before);
	free(after);
	return rc;
}

static int
script_incremental(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *since = db_ts_literal(tgt, b->req->prev_inputs_at), *before = NULL, *after = NULL;
	int rc = -1;

	if (db_checksum(tgt, t->name, &before) < 0) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	if (run_script(b, t->name, since) < 0)
		goto out;
	if (db_checksum(tgt, t->name, &after) < 0) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	b->res->live.moved = b->res->rows = db_count_rows(tgt, t->name);
	b->res->changed = strcmp(before, after) != 0;
	/* warnings only: checks that could stop it run on a shadow (script_audited) */
	if (bops_checks(b, t->name, NULL, false) < 0 || bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	free(since);
	free(before);
	free(after);
	return rc;
}

/* a copy of the live table as a new shadow; 0 or -1 */
static int
copy_live(struct build *b, const char *shadow)
{
	struct db *tgt = b->tgt;
	char *is = db_ident(tgt, shadow), *il = db_ident(tgt, b->t->name);
	int rc = 0;

	if (db_create_like(tgt, shadow, b->t->name, false) < 0 ||
	    db_execf(tgt, "INSERT INTO %s SELECT * FROM %s", is, il) < 0)
		rc = bops_fail(b, tgt, "target '%s': cannot copy its table", b->t->name);
	free(is);
	free(il);
	return rc;
}

/*
 * an incremental build of a script with checks that can stop it: its SQL
 * may commit on its own, so it updates a copy of the live table, which is
 * checked, then swapped in (write, audit, publish)
 */
static int
script_audited(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *since = db_ts_literal(tgt, b->req->prev_inputs_at);
	char *shadow = build_shadow_name(t->name), *before = NULL, *after = NULL;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (db_checksum(tgt, t->name, &before) < 0) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	if (copy_live(b, shadow) < 0 || run_script(b, shadow, since) < 0)
		goto out;
	bops_fault_point("after-load", t->name);
	if (db_checksum(tgt, shadow, &after) < 0) {
		bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	b->res->live.moved = b->res->rows = db_count_rows(tgt, shadow);
	b->res->changed = strcmp(before, after) != 0;
	if (bops_checks(b, shadow, NULL, false) < 0 || bops_swap(b, shadow) < 0 ||
	    bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(since);
	free(shadow);
	free(before);
	free(after);
	return rc;
}

int
build_script(struct build *b)
{
	if (!b->full && !b->t->in_place && checks_any_error(b->t))
		return script_audited(b);
	if (!b->full)
		return script_incremental(b);
	return b->t->in_place ? script_in_place(b) : script_full(b);
}
