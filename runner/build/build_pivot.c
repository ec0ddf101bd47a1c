/*
 * build_pivot.c: pivot targets: the long rows of a need turned into one wide
 * row per key, in SQL both engines read (ROW_NUMBER() windows and conditional
 * aggregates; the engine's where they differ). A full build fills a shadow
 * and swaps it in; an incremental one recomputes the keys touched since the
 * last build (long rows stamped since, and keys of long rows removed since,
 * from the delete log) and upserts them, removing keys left without rows.
 */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "recipe.h"
#include "util.h"

/* the long column holding values of type, or NULL */
static const char *
value_column(const struct pivot *p, const char *type)
{
	for (size_t i = 0; i < p->nvalues; i++)
		if (!strcmp(p->values[i].type, type))
			return p->values[i].column;
	return NULL;
}

/* "a, b" of cols, each prefixed with alias (or none) */
static void
add_idents(struct db *d, struct buf *b, const struct strlist *cols, const char *alias,
           const char *sep)
{
	for (size_t i = 0; i < cols->n; i++) {
		char *id = db_ident(d, cols->v[i]);

		buf_addf(b, "%s%s%s", i ? sep : "", alias, id);
		free(id);
	}
}

/*
 * the ORDER BY list of one attribute's rows (alias a: "l." or "r."): rows
 * without an order last, then by order and the long key, descending for latest
 */
static void
add_order(struct db *d, struct buf *b, const struct pivot *p, const struct target *from,
          const char *a, bool desc)
{
	const char *dir = desc ? " DESC" : "";

	if (p->order) {
		char *o = db_ident(d, p->order);

		buf_addf(b, "CASE WHEN %s%s IS NULL THEN 1 ELSE 0 END, %s%s%s", a, o, a, o, dir);
		free(o);
	} else {
		buf_adds(b, "0");
	}
	for (size_t i = 0; i < from->key.n; i++) {
		char *id = db_ident(d, from->key.v[i]);

		buf_addf(b, ", %s%s%s", a, id, dir);
		free(id);
	}
}

/* "a.k1 = b.k1 AND ..." of the pivot's key */
static void
add_same_key(struct db *d, struct buf *b, const struct pivot *p, const char *a, const char *o)
{
	for (size_t i = 0; i < p->key.n; i++) {
		char *id = db_ident(d, p->key.v[i]);

		buf_addf(b, "%s%s%s = %s%s", i ? " AND " : "", a, id, o, id);
		free(id);
	}
}

/*
 * the condition on long rows l that they count: not voided, of a mapped
 * attribute, with a key (an obs outside any group has no obs_group_id)
 */
static void
add_counted(struct db *d, struct buf *b, const struct pivot *p)
{
	char *attr = db_ident(d, p->attribute);

	for (size_t i = 0; i < p->key.n; i++) {
		char *k = db_ident(d, p->key.v[i]);

		buf_addf(b, "l.%s IS NOT NULL AND ", k);
		free(k);
	}
	buf_addf(b, "l.%s IN (", attr);
	for (size_t i = 0; i < p->ncolumns; i++) {
		char *q = db_quote(d, p->columns[i].attribute);

		buf_addf(b, "%s%s", i ? ", " : "", q);
		free(q);
	}
	buf_adds(b, ")");
	if (p->voided) {
		char *v = db_ident(d, p->voided), *expr = xasprintf("l.%s", v);
		char *falsy = db_sql_falsy(d, expr);

		buf_addf(b, " AND %s", falsy);
		free(v);
		free(expr);
		free(falsy);
	}
	free(attr);
}

/*
 * the long rows that count, numbered in their key and attribute both ways;
 * only those of the keys in table stage when stage is set
 */
static char *
counted_rows(struct db *d, const struct pivot *p, const struct target *from, const char *stage)
{
	char *lt = db_ident(d, from->name), *attr = db_ident(d, p->attribute);
	struct buf b;

	buf_init(&b);
	for (int latest = 1; latest >= 0; latest--) {
		buf_adds(&b, latest ? "SELECT l.*, ROW_NUMBER() OVER (PARTITION BY " :
		         ", ROW_NUMBER() OVER (PARTITION BY ");
		add_idents(d, &b, &p->key, "l.", ", ");
		buf_addf(&b, ", l.%s ORDER BY ", attr);
		add_order(d, &b, p, from, "l.", latest);
		buf_addf(&b, ") AS %s", latest ? "chacc_latest" : "chacc_first");
	}
	/* the stage (one row a key) drives: the long rows found by the key's index */
	if (stage) {
		char *is = db_ident(d, stage);

		buf_addf(&b, " FROM %s s JOIN %s l ON ", is, lt);
		add_same_key(d, &b, p, "s.", "l.");
		buf_adds(&b, " WHERE ");
		free(is);
	} else
		buf_addf(&b, " FROM %s l WHERE ", lt);
	add_counted(d, &b, p);
	free(lt);
	free(attr);
	return buf_detach(&b);
}

/* the value of column c of one key's rows r */
static void
add_column(struct db *d, struct buf *b, const struct pivot *p, const struct target *from,
           const struct pivot_col *c)
{
	char *attr = db_ident(d, p->attribute), *q = db_quote(d, c->attribute);
	char *name = db_ident(d, c->name);

	if (c->rule == PIVOT_COUNT) {
		buf_addf(b, ", COUNT(CASE WHEN r.%s = %s THEN 1 END) AS %s", attr, q, name);
	} else {
		char *v = db_ident(d, value_column(p, c->type)), *expr, *agg;
		struct buf order;

		buf_init(&order);
		if (c->rule == PIVOT_ALL) {
			expr = xasprintf("CASE WHEN r.%s = %s THEN r.%s END", attr, q, v);
			add_order(d, &order, p, from, "r.", false);
			agg = db_aggregate(d, DB_AGG_JOIN, expr, order.s);
		} else {
			expr = xasprintf("CASE WHEN r.%s = %s AND r.%s = 1 THEN r.%s END", attr, q,
			                 c->rule == PIVOT_FIRST ? "chacc_first" : "chacc_latest", v);
			agg = db_aggregate(d, strcmp(c->type, "boolean") ? DB_AGG_MAX : DB_AGG_MAX_BOOL,
			                   expr, NULL);
		}
		buf_addf(b, ", %s AS %s", agg, name);
		buf_release(&order);
		free(expr);
		free(agg);
		free(v);
	}
	free(attr);
	free(q);
	free(name);
}

/* the SELECT of the wide rows, of the keys in table stage only when stage is set */
static char *
pivot_select(struct db *d, const struct recipe *r, const struct target *t, const char *stage)
{
	const struct pivot *p = t->pivot;
	const struct target *from = recipe_target(r, p->from);
	char *rows = counted_rows(d, p, from, stage);
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "SELECT ");
	add_idents(d, &b, &p->key, "r.", ", ");
	for (size_t i = 0; i < p->keep.n; i++) {
		char *id = db_ident(d, p->keep.v[i]);

		buf_addf(&b, ", MAX(r.%s) AS %s", id, id);
		free(id);
	}
	for (size_t i = 0; i < p->ncolumns; i++)
		add_column(d, &b, p, from, &p->columns[i]);
	buf_addf(&b, " FROM (%s) r GROUP BY ", rows);
	add_idents(d, &b, &p->key, "r.", ", ");
	free(rows);
	return buf_detach(&b);
}

char *
build_pivot_select(struct db *d, const struct recipe *r, const struct target *t)
{
	return pivot_select(d, r, t, NULL);
}

/*
 * a column no long row fills (a concept of the map that the data does not
 * have, or a mistyped uuid) is NULL in every row: say which, after a full
 * build, from one read of the new table
 */
static void
warn_unmatched(struct build *b, const char *table)
{
	const struct pivot *p = b->t->pivot;
	char *it = db_ident(b->tgt, table);
	struct dbres *res;
	struct buf q;

	if (p->ncolumns == 0 || b->res->rows <= 0) {
		free(it);
		return;
	}
	buf_init(&q);
	buf_adds(&q, "SELECT ");
	for (size_t i = 0; i < p->ncolumns; i++) {
		char *c = db_ident(b->tgt, p->columns[i].name);

		if (p->columns[i].rule == PIVOT_COUNT)
			buf_addf(&q, "%sCOUNT(NULLIF(%s, 0))", i ? ", " : "", c);
		else
			buf_addf(&q, "%sCOUNT(%s)", i ? ", " : "", c);
		free(c);
	}
	buf_addf(&q, " FROM %s", it);
	if ((res = db_query(b->tgt, q.s)) && dbres_next(res))
		for (size_t i = 0; i < p->ncolumns; i++) {
			const struct pivot_col *c = &p->columns[i];
			const char *n = dbres_get(res, i);

			if (n && strcmp(n, "0") == 0)
				log_event(LOG_WARN, "pivot", b->t->name, b->req->run_id,
				          "target '%s': no row of '%s' has %s '%s' (column '%s', %s:%d):"
				          " the column is NULL", b->t->name, p->from, p->attribute,
				          c->attribute, c->name, c->file ? c->file : b->t->file, c->line);
		}
	dbres_free(res);
	buf_release(&q);
	free(it);
}

static int
pivot_full(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name);
	char *body = build_pivot_select(tgt, b->c->r, t);
	struct db_names qc = { 0 };
	long long rows = 0;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (db_create_from_query(tgt, shadow, body) < 0) {
		bops_fail(b, tgt, "target '%s': cannot pivot '%s'", t->name, t->pivot->from);
		goto out;
	}
	if (bops_shape_shadow(b, shadow) < 0)
		goto out;
	if (db_result_columns(tgt, body, &qc) < 0 ||
	    bops_insert_rows(tgt, shadow, &qc, body, &rows) < 0) {
		bops_fail(b, tgt, "target '%s': cannot pivot '%s'", t->name, t->pivot->from);
		goto out;
	}
	b->res->live.moved = b->res->rows = rows;
	bops_fault_point("after-load", t->name);
	warn_unmatched(b, shadow);
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
	free(body);
	return rc;
}

/*
 * fill stage with the keys touched since the last build: those of long rows
 * stamped since, and of long rows the delete log holds since; chacc_gone is
 * 1 on a key left without a row that counts
 */
static int
stage_touched(struct build *b, const char *stage, const char *since)
{
	const struct pivot *p = b->t->pivot;
	const struct target *from = recipe_target(b->c->r, p->from);
	struct db *d = b->tgt;
	struct db_names key = bops_names(&p->key), cols = { 0 };
	char *lt = db_ident(d, from->name), *logged = db_logged_rows(d, DELETE_LOG, from->name, &key,
	                                                             since);
	char *shape;
	struct buf q;
	long long n = 0;
	int rc;

	buf_init(&q);
	buf_adds(&q, "SELECT ");
	add_idents(d, &q, &p->key, "l.", ", ");
	buf_addf(&q, ", 1 AS chacc_gone FROM %s l", lt);
	shape = buf_detach(&q);
	buf_init(&q);
	buf_adds(&q, "SELECT ");
	add_idents(d, &q, &p->key, "k.", ", ");
	buf_addf(&q, ", CASE WHEN EXISTS (SELECT 1 FROM %s l WHERE ", lt);
	add_same_key(d, &q, p, "l.", "k.");
	buf_adds(&q, " AND ");
	add_counted(d, &q, p);
	buf_adds(&q, ") THEN 0 ELSE 1 END AS chacc_gone FROM (SELECT ");
	add_idents(d, &q, &p->key, "l.", ", ");
	buf_addf(&q, " FROM %s l WHERE l.%s > %s UNION %s) k", lt, DB_STAMP, since, logged);
	cols.v = xcalloc(key.n + 1, sizeof(*cols.v));
	for (size_t i = 0; i < key.n; i++)
		cols.v[cols.n++] = key.v[i];
	cols.v[cols.n++] = "chacc_gone";
	/* indexed on the key: the pivot and the removal join the long rows by it */
	rc = db_create_from_query(d, stage, shape) < 0 ||
	     bops_insert_rows(d, stage, &cols, q.s, &n) < 0 ||
	     db_add_indexes(d, stage, &key, 1) < 0 ? -1 : 0;
	buf_release(&q);
	free(cols.v);
	free(shape);
	free(lt);
	free(logged);
	return rc;
}

/* remove the rows of the keys stage flags gone, logged for the targets downstream */
static int
remove_gone(struct build *b, const char *stage, const struct db_names *cols)
{
	const struct target *t = b->t;
	struct db_names key = bops_names(&t->key);
	struct db_delete del = {
		.log = DELETE_LOG, .table = t->name, .key = &key, .cols = cols,
		.run_id = b->req->run_id,
	};
	long long removed = 0;

	if (db_delete_flagged(b->tgt, &del, stage, "chacc_gone", &removed) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot remove keys without rows", t->name);
	b->res->changed += removed;
	b->res->deleted += removed;
	return 0;
}

/* recompute the keys touched since the last build, in one transaction */
static int
pivot_incremental(struct build *b)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *since = db_ts_literal(tgt, b->req->prev_inputs_at);
	char *stage = build_shadow_name(t->name), *body = NULL, *select = NULL, *t0 = NULL;
	struct db_names qc = { 0 };
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (stage_touched(b, stage, since) < 0) {
		bops_fail(b, tgt, "target '%s': cannot find the keys of '%s' touched since %s",
		          t->name, t->pivot->from, since);
		goto out;
	}
	body = pivot_select(tgt, b->c->r, t, stage);
	if (db_result_columns(tgt, body, &qc) < 0) {
		bops_fail(b, tgt, "target '%s': cannot pivot '%s'", t->name, t->pivot->from);
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
	if (remove_gone(b, stage, &qc) < 0 || bops_upsert(b, t->name, &qc, select) < 0)
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
	build_cleanup(tgt, t);
	db_names_release(&qc);
	free(since);
	free(stage);
	free(body);
	free(select);
	free(t0);
	return rc;
}

int
build_pivot(struct build *b)
{
	return b->full ? pivot_full(b) : pivot_incremental(b);
}
