/*
 * build_pivot.c: pivot targets: the long rows of a need turned into one wide
 * row per key, built into a shadow and swapped in, in SQL both engines read
 * (ROW_NUMBER() windows and conditional aggregates)
 */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
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
 * ORDER BY of one attribute's rows: rows without an order last, then by
 * order and the long key, descending for latest
 */
static void
add_order(struct db *d, struct buf *b, const struct pivot *p, const struct target *from,
          bool desc)
{
	const char *dir = desc ? " DESC" : "";

	buf_adds(b, " ORDER BY ");
	if (p->order) {
		char *o = db_ident(d, p->order);

		buf_addf(b, "CASE WHEN l.%s IS NULL THEN 1 ELSE 0 END, l.%s%s", o, o, dir);
		free(o);
	} else {
		buf_adds(b, "0");
	}
	for (size_t i = 0; i < from->key.n; i++) {
		char *id = db_ident(d, from->key.v[i]);

		buf_addf(b, ", l.%s%s", id, dir);
		free(id);
	}
}

/* the long rows that count: not voided, of a mapped attribute */
static char *
counted_rows(struct db *d, const struct pivot *p, const struct target *from)
{
	char *lt = db_ident(d, from->name), *attr = db_ident(d, p->attribute);
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "SELECT l.*, ROW_NUMBER() OVER (PARTITION BY ");
	add_idents(d, &b, &p->key, "l.", ", ");
	buf_addf(&b, ", l.%s", attr);
	add_order(d, &b, p, from, true);
	buf_adds(&b, ") AS chacc_latest, ROW_NUMBER() OVER (PARTITION BY ");
	add_idents(d, &b, &p->key, "l.", ", ");
	buf_addf(&b, ", l.%s", attr);
	add_order(d, &b, p, from, false);
	buf_addf(&b, ") AS chacc_first FROM %s l WHERE l.%s IN (", lt, attr);
	for (size_t i = 0; i < p->ncolumns; i++) {
		char *q = db_quote(d, p->columns[i].attribute);

		buf_addf(&b, "%s%s", i ? ", " : "", q);
		free(q);
	}
	buf_adds(&b, ")");
	if (p->voided) {
		char *v = db_ident(d, p->voided), *expr = xasprintf("l.%s", v);
		char *falsy = db_sql_falsy(d, expr);

		buf_addf(&b, " AND %s", falsy);
		free(v);
		free(expr);
		free(falsy);
	}
	free(lt);
	free(attr);
	return buf_detach(&b);
}

/* the value of column c of one key's rows r */
static void
add_column(struct db *d, struct buf *b, const struct pivot *p, const struct pivot_col *c)
{
	char *attr = db_ident(d, p->attribute), *q = db_quote(d, c->attribute);
	char *name = db_ident(d, c->name);

	if (c->rule == PIVOT_COUNT) {
		buf_addf(b, ", COUNT(CASE WHEN r.%s = %s THEN 1 END) AS %s", attr, q, name);
	} else {
		char *v = db_ident(d, value_column(p, c->type));

		buf_addf(b, ", MAX(CASE WHEN r.%s = %s AND r.%s = 1 THEN r.%s END) AS %s", attr, q,
		         c->rule == PIVOT_FIRST ? "chacc_first" : "chacc_latest", v, name);
		free(v);
	}
	free(attr);
	free(q);
	free(name);
}

char *
build_pivot_select(struct db *d, const struct recipe *r, const struct target *t)
{
	const struct pivot *p = t->pivot;
	const struct target *from = recipe_target(r, p->from);
	char *rows = counted_rows(d, p, from);
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
		add_column(d, &b, p, &p->columns[i]);
	buf_addf(&b, " FROM (%s) r GROUP BY ", rows);
	add_idents(d, &b, &p->key, "r.", ", ");
	free(rows);
	return buf_detach(&b);
}

/* INSERT the rows of body into table's columns cols; sets *rows */
static int
insert_rows(struct db *d, const char *table, const struct db_names *cols, const char *body,
            long long *rows)
{
	char *it = db_ident(d, table);
	struct buf cl;
	int rc;

	buf_init(&cl);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = db_ident(d, cols->v[i]);

		buf_addf(&cl, "%s%s", i ? ", " : "", id);
		free(id);
	}
	rc = db_execf(d, "INSERT INTO %s (%s) SELECT * FROM (%s) AS q", it, cl.s ? cl.s : "", body);
	*rows = rc < 0 ? 0 : db_affected(d);
	buf_release(&cl);
	free(it);
	return rc;
}

int
build_pivot(struct build *b)
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
	if (db_result_columns(tgt, body, &qc) < 0 || insert_rows(tgt, shadow, &qc, body, &rows) < 0) {
		bops_fail(b, tgt, "target '%s': cannot pivot '%s'", t->name, t->pivot->from);
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
	free(body);
	return rc;
}
