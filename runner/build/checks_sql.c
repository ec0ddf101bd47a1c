/*
 * checks_sql.c: the SQL of each kind of check, the same on every engine
 * (names and literals through db.h). A row kind counts the rows that fail
 * it and lists the keys of some of them; row_count counts, freshness takes
 * the newest value.
 */
#include "checks_impl.h"

#include <stdlib.h>
#include <string.h>

#include "build_impl.h"
#include "db.h"
#include "recipe.h"
#include "sqlsplit.h"
#include "util.h"

/* alias of a derived table, and of the table a relationships check looks in */
#define DERIVED "_chacc_f"
#define TO_ALIAS "_chacc_to"

char *
check_sql_subst(const struct check_ctx *x, const char *text)
{
	char *this = db_ident(x->d, x->table), *out;

	out = bops_subst(x->r, text, this, x->changed_since ? x->changed_since : "NULL", 0);
	free(this);
	return out;
}

const char *
check_sql_to_table(const struct check_ctx *x, const struct check *c)
{
	const char *to = x->table_of ? x->table_of(x->arg, c->to_target) : NULL;

	return to ? to : c->to_target;
}

void
check_sql_release(struct check_sql *s)
{
	free(s->count);
	free(s->samples);
	*s = (struct check_sql){ 0 };
}

/* a quoted list "a, b" of names */
static void
add_names(struct buf *b, struct db *d, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *id = db_ident(d, v[i]);

		buf_addf(b, "%s%s", i ? ", " : "", id);
		free(id);
	}
}

/*
 * " WHERE ..." of the rows checked that fail cond (NULL: every row): where
 * holds and, when the kind allows it (changed), they changed since
 * x->changed_since; out->changed_only says whether that limit applies
 */
static void
add_filter(struct buf *b, const struct check_ctx *x, const struct check *c, const char *cond,
           bool changed, struct check_sql *out)
{
	const char *sep = " WHERE ";

	if (cond) {
		buf_addf(b, "%s(%s)", sep, cond);
		sep = " AND ";
	}
	if (c->where && *c->where) {
		char *w = check_sql_subst(x, c->where);

		buf_addf(b, "%s(%s)", sep, w);
		free(w);
		sep = " AND ";
	}
	if (changed && x->changed_since) {
		char *stamp = db_ident(x->d, DB_STAMP);

		buf_addf(b, "%s%s >= %s", sep, stamp, x->changed_since);
		free(stamp);
		out->changed_only = true;
	}
}

/* the columns a sample lists: the target's key, else those of the check (NULL: none) */
static const struct strlist *
sample_cols(const struct check_ctx *x, const struct strlist *own)
{
	if (x->t && x->t->key.n)
		return &x->t->key;
	return own && own->n ? own : NULL;
}

/*
 * count and samples of the rows of from (a table or a derived table; NULL:
 * the table checked) where cond holds
 */
static void
rows_where_in(const struct check_ctx *x, const struct check *c, const char *from,
              const char *cond, bool changed, const struct strlist *own, struct check_sql *out)
{
	const struct strlist *keys = sample_cols(x, own);
	char *table = from ? xstrdup(from) : db_ident(x->d, x->table);
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "SELECT COUNT(*) FROM %s", table);
	add_filter(&b, x, c, cond, changed, out);
	out->count = buf_detach(&b);
	if (keys) {
		buf_adds(&b, "SELECT ");
		add_names(&b, x->d, keys->v, keys->n);
		buf_addf(&b, " FROM %s", table);
		add_filter(&b, x, c, cond, changed, out);
		buf_adds(&b, " ORDER BY ");
		add_names(&b, x->d, keys->v, keys->n);
		buf_addf(&b, " LIMIT %d", CHECK_SAMPLES);
		out->samples = buf_detach(&b);
	}
	free(table);
}

static void
rows_where(const struct check_ctx *x, const struct check *c, const char *cond, bool changed,
           const struct strlist *own, struct check_sql *out)
{
	rows_where_in(x, c, NULL, cond, changed, own, out);
}

/* "(a IS NULL OR b IS NULL)" or "(a IS NOT NULL AND b IS NOT NULL)": op and glue */
static char *
null_test(struct db *d, const struct strlist *cols, const char *op, const char *glue)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = db_ident(d, cols->v[i]);

		buf_addf(&b, "%s%s %s", i ? glue : "", id, op);
		free(id);
	}
	return buf_detach(&b);
}

static int
sql_not_null(const struct check_ctx *x, const struct check *c, struct check_sql *out, char **err)
{
	char *cond;

	if (!c->columns.n) {
		*err = xstrdup("not_null names no column");
		return -1;
	}
	cond = null_test(x->d, &c->columns, "IS NULL", " OR ");
	rows_where(x, c, cond, true, &c->columns, out);
	free(cond);
	return 0;
}

/* duplicated groups of the columns (all non-NULL): rows in them, and their values */
static int
sql_unique(const struct check_ctx *x, const struct check *c, struct check_sql *out, char **err)
{
	char *table = db_ident(x->d, x->table), *cond;
	struct buf groups, b;

	if (!c->columns.n) {
		free(table);
		*err = xstrdup("unique names no column");
		return -1;
	}
	cond = null_test(x->d, &c->columns, "IS NOT NULL", " AND ");
	buf_init(&groups);
	buf_addf(&groups, " FROM %s", table);
	add_filter(&groups, x, c, cond, false, out);
	buf_adds(&groups, " GROUP BY ");
	add_names(&groups, x->d, c->columns.v, c->columns.n);
	buf_adds(&groups, " HAVING COUNT(*) > 1");
	buf_init(&b);
	buf_addf(&b, "SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n%s) AS %s", groups.s,
	         DERIVED);
	out->count = buf_detach(&b);
	buf_adds(&b, "SELECT ");
	add_names(&b, x->d, c->columns.v, c->columns.n);
	buf_addf(&b, "%s ORDER BY ", groups.s);
	add_names(&b, x->d, c->columns.v, c->columns.n);
	buf_addf(&b, " LIMIT %d", CHECK_SAMPLES);
	out->samples = buf_detach(&b);
	buf_release(&groups);
	free(cond);
	free(table);
	return 0;
}

static int
sql_accepted(const struct check_ctx *x, const struct check *c, struct check_sql *out, char **err)
{
	struct strlist own = { (char **)&c->column, 1 };
	char *col;
	struct buf b;

	if (!c->column) {
		*err = xstrdup("accepted_values names no column");
		return -1;
	}
	col = db_ident(x->d, c->column);
	buf_init(&b);
	buf_addf(&b, "%s IS NOT NULL", col);
	if (c->values.n) {
		buf_addf(&b, " AND %s NOT IN (", col);
		for (size_t i = 0; i < c->values.n; i++) {
			char *q = db_quote(x->d, c->values.v[i]);

			buf_addf(&b, "%s%s", i ? ", " : "", q);
			free(q);
		}
		buf_addc(&b, ')');
	}
	rows_where(x, c, b.s, true, &own, out);
	buf_release(&b);
	free(col);
	return 0;
}

/*
 * whether a relationships check may look at the rows changed and at those
 * the deletes of its to-target left: an incremental build, of a target that
 * needs the to-target, whose key is the column named, and which logs its
 * deletes (extracts, tables, pivots) in its own table
 */
static bool
follows_deletes(const struct check_ctx *x, const struct check *c)
{
	const struct target *to;
	bool needed = false;

	if (!x->changed_since || !x->deletes_since || !x->delete_log || !x->t || !x->r ||
	    strcmp(check_sql_to_table(x, c), c->to_target) != 0 ||
	    !(to = recipe_target(x->r, c->to_target)))
		return false;
	for (size_t i = 0; i < x->t->needs.n; i++)
		needed |= strcmp(x->t->needs.v[i], to->name) == 0;
	return needed && to->key.n == 1 && strcmp(to->key.v[0], c->to_column) == 0 &&
	       (to->kind == KIND_EXTRACT || to->kind == KIND_TABLE || to->kind == KIND_PIVOT);
}

/*
 * the rows of the table changed since changed_since, and those whose column
 * holds a key the to-target removed since deletes_since, as a derived table
 * named as the table
 */
static char *
changed_or_orphaned(const struct check_ctx *x, const struct check *c)
{
	char *table = db_ident(x->d, x->table), *col = db_ident(x->d, c->column);
	char *stamp = db_ident(x->d, DB_STAMP), *tocol = db_ident(x->d, c->to_column), *out;
	struct db_names key = { (char **)&c->to_column, 1 };
	char *logged = db_logged_rows(x->d, x->delete_log, c->to_target, &key, x->deletes_since);

	/* two sets apart: no row is in both, none to compare with another */
	out = xasprintf("(SELECT * FROM %s WHERE %s >= %s UNION ALL SELECT * FROM %s WHERE %s < %s"
	                " AND %s IN (SELECT %s FROM (%s) AS %s)) AS %s", table, stamp,
	                x->changed_since, table, stamp, x->changed_since, col, tocol, logged, DERIVED,
	                table);
	free(logged);
	free(table);
	free(col);
	free(stamp);
	free(tocol);
	return out;
}

/* non-NULL values of column with no row of the to-table holding them in to_column */
static int
sql_relationships(const struct check_ctx *x, const struct check *c, struct check_sql *out,
                  char **err)
{
	struct strlist own = { (char **)&c->column, 1 };
	char *col, *table, *to, *tocol, *cond, *from = NULL;

	if (!c->column || !c->to_target || !c->to_column) {
		*err = xstrdup("relationships needs a column and to: TARGET.column");
		return -1;
	}
	col = db_ident(x->d, c->column);
	table = db_ident(x->d, x->table);
	to = db_ident(x->d, check_sql_to_table(x, c));
	tocol = db_ident(x->d, c->to_column);
	cond = xasprintf("%s.%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s AS %s WHERE %s.%s = %s.%s)",
	                 table, col, to, TO_ALIAS, TO_ALIAS, tocol, table, col);
	if (follows_deletes(x, c)) {
		from = changed_or_orphaned(x, c);
		out->changed_only = true;
	}
	rows_where_in(x, c, from, cond, false, &own, out);
	free(from);
	free(cond);
	free(tocol);
	free(to);
	free(table);
	free(col);
	return 0;
}

static int
sql_range(const struct check_ctx *x, const struct check *c, struct check_sql *out, char **err)
{
	struct strlist own = { (char **)&c->column, 1 };
	char *col, *lo, *hi;
	struct buf b;

	if (!c->column || (!c->min && !c->max)) {
		*err = xstrdup("range needs a column and a min or a max");
		return -1;
	}
	col = db_ident(x->d, c->column);
	lo = db_quote(x->d, c->min);
	hi = db_quote(x->d, c->max);
	buf_init(&b);
	if (lo)
		buf_addf(&b, "%s < %s", col, lo);
	if (hi)
		buf_addf(&b, "%s%s > %s", lo ? " OR " : "", col, hi);
	rows_where(x, c, b.s, true, &own, out);
	buf_release(&b);
	free(lo);
	free(hi);
	free(col);
	return 0;
}

static int
sql_expression(const struct check_ctx *x, const struct check *c, struct check_sql *out,
               char **err)
{
	char *e, *cond;

	if (!c->expr || !*c->expr) {
		*err = xstrdup("expression is empty");
		return -1;
	}
	e = check_sql_subst(x, c->expr);
	cond = xasprintf("(%s) IS NOT TRUE", e);
	rows_where(x, c, cond, true, NULL, out);
	free(cond);
	free(e);
	return 0;
}

/* row_count: the rows checked; freshness: the newest value of the column */
static int
sql_aggregate(const struct check_ctx *x, const struct check *c, struct check_sql *out,
              char **err)
{
	char *table = db_ident(x->d, x->table), *col = NULL;
	struct buf b;

	if (c->kind == CHECK_FRESHNESS && !c->column) {
		free(table);
		*err = xstrdup("freshness names no column");
		return -1;
	}
	buf_init(&b);
	if (c->kind == CHECK_FRESHNESS) {
		col = db_ident(x->d, c->column);
		buf_addf(&b, "SELECT MAX(%s) FROM %s", col, table);
	} else
		buf_addf(&b, "SELECT COUNT(*) FROM %s", table);
	add_filter(&b, x, c, NULL, false, out);
	out->count = buf_detach(&b);
	free(col);
	free(table);
	return 0;
}

/* the file's one statement, ${this} replaced, as a derived table's body */
static char *
sql_body(const struct check_ctx *x, const char *text)
{
	char *sql = check_sql_subst(x, text), *err = NULL, *out;
	struct sqlscript s = { 0 };

	if (sqlsplit(sql, strlen(sql), sql_dialect_of(x->d->engine->driver), &s, &err) == 0 &&
	    s.nstmts == 1)
		out = xasprintf("%s\n", s.stmts[0].sql);
	else
		out = xasprintf("%s\n", sql);
	free(err);
	sqlscript_release(&s);
	free(sql);
	return out;
}

/* sql: the rows the query returns fail (where, when given, limits them) */
static int
sql_file(const struct check_ctx *x, const struct check *c, struct check_sql *out, char **err)
{
	char *body;
	struct buf b;

	if (!c->sql_text || !*c->sql_text) {
		*err = xasprintf("sql file '%s' is empty", c->sql ? c->sql : "");
		return -1;
	}
	body = sql_body(x, c->sql_text);
	buf_init(&b);
	buf_addf(&b, "SELECT COUNT(*) FROM (%s) AS %s", body, DERIVED);
	add_filter(&b, x, c, NULL, false, out);
	out->count = buf_detach(&b);
	buf_addf(&b, "SELECT * FROM (%s) AS %s", body, DERIVED);
	add_filter(&b, x, c, NULL, false, out);
	buf_addf(&b, " ORDER BY 1 LIMIT %d", CHECK_SAMPLES);
	out->samples = buf_detach(&b);
	free(body);
	return 0;
}

int
check_sql_make(const struct check_ctx *x, const struct check *c, struct check_sql *out,
               char **err)
{
	*out = (struct check_sql){ 0 };
	*err = NULL;
	switch (c->kind) {
	case CHECK_NOT_NULL:
		return sql_not_null(x, c, out, err);
	case CHECK_UNIQUE:
		return sql_unique(x, c, out, err);
	case CHECK_ACCEPTED_VALUES:
		return sql_accepted(x, c, out, err);
	case CHECK_RELATIONSHIPS:
		return sql_relationships(x, c, out, err);
	case CHECK_RANGE:
		return sql_range(x, c, out, err);
	case CHECK_EXPRESSION:
		return sql_expression(x, c, out, err);
	case CHECK_ROW_COUNT:
	case CHECK_FRESHNESS:
		return sql_aggregate(x, c, out, err);
	case CHECK_SQL:
		return sql_file(x, c, out, err);
	case CHECK_DRIFT:
		break;
	}
	*err = xstrdup("a drift check has no SQL of its own");
	return -1;
}
