/* plan.c: which targets are out of date, and why (DESIGN §3) */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "recipe.h"
#include "seed.h"
#include "sqlsplit.h"
#include "util.h"

static const char *reasons[] = {
	[REASON_NONE] = "up to date",
	[REASON_FORCED] = "forced",
	[REASON_MISSING] = "missing",
	[REASON_DEFINITION] = "definition changed",
	[REASON_FAILED] = "failed",
	[REASON_NEEDS] = "needs changed",
	[REASON_SOURCE] = "source",
};

const char *
reason_name(enum reason r)
{
	return reasons[r];
}

/* text hashed as SQL: format 2 drops trailing white space (a final newline is no change) */
static size_t
sql_len(const char *value, int format)
{
	size_t n = value ? strlen(value) : 0;

	while (format >= 2 && n > 0 && strchr(" \t\r\n", value[n - 1]))
		n--;
	return n;
}

static void
hash_text(struct buf *b, const char *name, const char *value, size_t n)
{
	/* length-prefixed so that no two definitions hash the same text */
	buf_addf(b, "%s:%zu:%.*s\n", name, n, (int)n, value ? value : "");
}

static void
hash_field(struct buf *b, const char *name, const char *value, int format)
{
	hash_text(b, name, value, sql_len(value, format));
}

/*
 * SQL in format 3: its normal form (sqlnormal, in dialect d: where it runs), so
 * that comments and white space are no change, marked '=' apart from text that
 * does not scan (a recipe loads none), which is hashed as format 2 has it
 */
static void
hash_sql(struct buf *b, const char *name, const char *value, int format, enum sql_dialect d)
{
	char *norm;

	if (format < 3 || !value || !(norm = sqlnormal(value, strlen(value), d, NULL))) {
		hash_field(b, name, value, format);
		return;
	}
	buf_addc(b, '=');
	hash_text(b, name, norm, strlen(norm));
	free(norm);
}

static void
hash_list(struct buf *b, const char *name, const struct strlist *l)
{
	size_t i;

	buf_addf(b, "%s:%zu", name, l->n);
	for (i = 0; i < l->n; i++)
		buf_addf(b, ":%zu:%s", strlen(l->v[i]), l->v[i]);
	buf_addc(b, '\n');
}

/*
 * a file target's rows and declared columns: hashed for file targets only, so
 * that the digests of the other kinds stay what they were
 */
static void
hash_file(struct buf *b, const struct target *t)
{
	hash_text(b, "data", t->seed ? t->seed->text : NULL, t->seed ? t->seed->len : 0);
	buf_addf(b, "columns:%zu\n", t->ncolumns);
	for (size_t i = 0; i < t->ncolumns; i++) {
		hash_field(b, "column", t->columns[i].name, 1);
		hash_field(b, "type", t->columns[i].type, 1);
	}
}

/* a pivot's fields: a column added, removed or changed is a definition change */
static void
hash_pivot(struct buf *b, const struct pivot *p)
{
	hash_field(b, "pivot.from", p->from, 1);
	hash_list(b, "pivot.key", &p->key);
	hash_field(b, "pivot.attribute", p->attribute, 1);
	for (size_t i = 0; i < p->nvalues; i++) {
		hash_field(b, "pivot.value.type", p->values[i].type, 1);
		hash_field(b, "pivot.value.column", p->values[i].column, 1);
	}
	hash_field(b, "pivot.order", p->order, 1);
	hash_field(b, "pivot.voided", p->voided, 1);
	hash_list(b, "pivot.keep", &p->keep);
	for (size_t i = 0; i < p->ncolumns; i++) {
		hash_field(b, "pivot.column", p->columns[i].name, 1);
		hash_field(b, "attribute", p->columns[i].attribute, 1);
		hash_field(b, "type", p->columns[i].type, 1);
		hash_field(b, "rule", pivot_rule_name(p->columns[i].rule), 1);
	}
}

int
target_hash_format(const struct recipe *r, const struct target *t, int format, char out[65])
{
	struct buf b;
	struct conn *c;
	const struct site_group *g;
	enum sql_dialect tgt = recipe_conn_dialect(r, r->target_conn);
	enum sql_dialect qd = target_query_dialect(r, t);
	size_t i;

	if (format < 1 || format > HASH_FORMAT)
		return -1;
	buf_init(&b);
	/* a format's digests never equal another's */
	if (format >= 2)
		buf_addf(&b, "chacc definition:%d\n", format);
	hash_field(&b, "kind", kind_name(t->kind), 1);
	hash_field(&b, "from", t->from, 1);
	c = t->from ? recipe_conn(r, t->from) : NULL;
	hash_field(&b, "from.database", c ? c->database : NULL, 1);
	/* a group of sites by its name and driver: which sites it lists is no definition */
	if ((g = target_sites(r, t)))
		hash_field(&b, "from.driver", g->driver, 1);
	hash_list(&b, "key", &t->key);
	for (i = 0; i < t->nindexes; i++)
		hash_list(&b, "index", &t->indexes[i]);
	hash_sql(&b, "create", t->create_sql, format, tgt);
	hash_sql(&b, "query", t->query_sql, format, qd);
	hash_sql(&b, "script", t->script_sql, format, tgt);
	hash_sql(&b, "call", t->call, format, tgt);
	buf_addf(&b, "incremental:%d\n", t->incr.enabled);
	hash_field(&b, "column", t->incr.column, 1);
	hash_field(&b, "deleted", t->incr.deleted, 1);
	hash_sql(&b, "probe", t->incr.probe_sql, format, qd);
	/* which source changes touch which keys: a table missed before would leave rows stale */
	for (i = 0; t->incr.changes && i < t->incr.ntables; i++) {
		const struct change_table *ct = &t->incr.tables[i];
		struct strlist cols = { ct->columns, ct->ncolumns };

		hash_field(&b, "changes.table", ct->table, 1);
		hash_list(&b, "changes.columns", &cols);
		hash_sql(&b, "changes.sql", ct->sql, format, qd);
	}
	if (t->kind == KIND_FILE)
		hash_file(&b, t);
	if (t->pivot)
		hash_pivot(&b, t->pivot);
	sha256_hex(b.s ? b.s : "", b.len, out);
	buf_release(&b);
	return 0;
}

void
target_hash(const struct recipe *r, const struct target *t, char out[65])
{
	target_hash_format(r, t, HASH_FORMAT, out);
}

static bool
forced(const struct plan_opts *o, const struct target *t)
{
	size_t i;

	if (o->force_all || o->full_refresh)
		return true;
	for (i = 0; i < o->nforce; i++)
		if (strcmp(o->force[i], t->name) == 0)
			return true;
	return false;
}

/* a need was or will be fully rebuilt after this target's last build */
static bool
need_full(struct plan_state *ps, struct node *n)
{
	const struct marker *m = &ps->markers[n->id];
	size_t i;

	for (i = 0; i < n->nneeds; i++) {
		struct node *d = n->needs[i];

		if (ps->pending && ps->pending[d->id] && ps->pending_full && ps->pending_full[d->id])
			return true;
		if (strcmp(ps->markers[d->id].full_at, m->built_at) > 0)
			return true;
	}
	return false;
}

/* a need changed since this target's last build (not counting needs planned in this run) */
static bool
needs_changed_since(struct plan_state *ps, struct node *n)
{
	const struct marker *m = &ps->markers[n->id];
	size_t i;

	for (i = 0; i < n->nneeds; i++)
		if (strcmp(ps->markers[n->needs[i]->id].changed_at, m->inputs_at) > 0)
			return true;
	return false;
}

static bool
needs_pending(const struct plan_state *ps, struct node *n)
{
	size_t i;

	for (i = 0; ps->pending && i < n->nneeds; i++)
		if (ps->pending[n->needs[i]->id])
			return true;
	return false;
}

static bool
needs_changed(struct plan_state *ps, struct node *n)
{
	return needs_pending(ps, n) || needs_changed_since(ps, n);
}

static int
probe(struct plan_state *ps, struct node *n)
{
	int answer;

	if (ps->probed && ps->probed[n->id] != -2)
		return ps->probed[n->id];
	answer = ps->probe ? ps->probe(ps->probe_arg, n) : 1;
	if (ps->probed)
		ps->probed[n->id] = (signed char)answer;
	return answer;
}

/* the marker's hash is the definition's, in the marker's format */
static bool
same_definition(struct plan_state *ps, struct node *n, const struct marker *m)
{
	char old[65];

	if (m->hash_format == HASH_FORMAT || m->hash_format == 0)
		return strcmp(ps->hashes[n->id], m->hash) == 0;
	if (target_hash_format(ps->g->r, n->t, m->hash_format, old) < 0)
		return false;  /* made by a newer chacc: rebuild in the format known here */
	return strcmp(old, m->hash) == 0;
}

/*
 * whether t's source is asked if it has rows to read: an incremental
 * extract, or one from a group of sites (whether a site came, went or failed)
 */
static bool
asks_source(const struct plan_state *ps, const struct target *t)
{
	return t->kind == KIND_EXTRACT && (t->incr.enabled || target_sites(ps->g->r, t));
}

/*
 * whether n, an incremental table or script built incrementally because its
 * needs changed, asks how large a share of them did: only once those needs
 * are built (none pending in this run), from the target database (not
 * offline), and after a build that read inputs
 */
static bool
asks_share(const struct plan_state *ps, struct node *n)
{
	const struct target *t = n->t;

	return (t->kind == KIND_TABLE || t->kind == KIND_SCRIPT) && t->incr.enabled &&
	       !ps->offline && *ps->markers[n->id].inputs_at && !needs_pending(ps, n);
}

/* needs changed: an incremental build, unless the share of its needs that changed says full */
static int
plan_needs(struct plan_state *ps, struct node *n, bool *full)
{
	int p;

	if (*full || !asks_share(ps, n))
		return 0;
	if ((p = probe(ps, n)) < 0)
		return -1;
	if (p == PROBE_FULL)
		*full = true;
	return 0;
}

static int
plan_one(struct plan_state *ps, struct node *n, enum reason *reason, bool *full, bool *unchecked)
{
	const struct marker *m = &ps->markers[n->id];
	const struct target *t = n->t;

	*full = true;
	*unchecked = false;
	if (forced(ps->opts, t))
		*reason = REASON_FORCED;
	else if (!m->present || !m->table_exists)
		*reason = REASON_MISSING;
	else if (!same_definition(ps, n, m))
		*reason = REASON_DEFINITION;
	else if (!marker_intact(m))
		*reason = REASON_FAILED;
	else if (strcmp(m->status, MARKER_CHECK_FAILED) == 0) {
		/* the live table is the last good build's: built again as it would be */
		*full = !t->incr.enabled || need_full(ps, n);
		*reason = REASON_FAILED;
	} else {
		*full = !t->incr.enabled || need_full(ps, n);
		if (needs_changed(ps, n)) {
			*reason = REASON_NEEDS;
			if (plan_needs(ps, n, full) < 0)
				return -1;
		} else if (t->kind == KIND_EXTRACT && t->incr.enabled && ps->opts->have_since)
			*reason = REASON_SOURCE;
		else if (asks_source(ps, t) && ps->offline) {
			*reason = REASON_NONE;
			*unchecked = true;
		} else if (asks_source(ps, t)) {
			int p = probe(ps, n);

			if (p < 0)
				return -1;
			*reason = p ? REASON_SOURCE : REASON_NONE;
			if (p == PROBE_FULL)
				*full = true;
		} else
			*reason = REASON_NONE;
	}
	return 0;
}

int
plan_node(struct plan_state *ps, struct node *n, enum reason *reason, bool *full)
{
	bool unchecked = false;

	return plan_one(ps, n, reason, full, &unchecked);
}

long
plan_all(struct plan_state *ps, struct node **order, size_t norder, struct plan_item *items)
{
	long count = 0;
	size_t i;

	for (i = 0; i < norder; i++)
		items[i] = (struct plan_item){ .n = order[i], .reason = REASON_NONE };
	for (i = 0; i < norder; i++) {
		struct plan_item *it = &items[i];

		if (plan_one(ps, it->n, &it->reason, &it->full, &it->unchecked) < 0) {
			it->reason = REASON_NONE;
			return -1;
		}
		if (it->reason == REASON_NONE) {
			/* up to date, and its probe still had a word: change capture unavailable */
			if (ps->notes && ps->notes[it->n->id]) {
				it->detail = DETAIL_PROBE;
				it->note = ps->notes[it->n->id];
			}
			continue;
		}
		if (it->reason == REASON_NEEDS && !needs_changed_since(ps, it->n))
			it->detail = DETAIL_IF_NEEDS_CHANGE;
		else if (it->reason == REASON_FAILED &&
		         strcmp(ps->markers[it->n->id].status, MARKER_CHECK_FAILED) == 0)
			it->detail = DETAIL_CHECKS_FAILED;
		else if (ps->notes && ps->notes[it->n->id]) {
			it->detail = DETAIL_PROBE;
			it->note = ps->notes[it->n->id];
		} else if (it->n->t->in_place)
			it->detail = DETAIL_NOT_ATOMIC;
		else if (it->n->t->kind == KIND_FILE && it->n->t->seed)
			it->detail = DETAIL_FILE_COLUMNS;
		count++;
		if (ps->pending)
			ps->pending[it->n->id] = true;
		if (ps->pending_full)
			ps->pending_full[it->n->id] = it->full;
	}
	return count;
}

const char *
plan_detail_text(enum plan_detail d)
{
	switch (d) {
	case DETAIL_NONE:
		return NULL;
	case DETAIL_FOREIGN_TABLE:
		return "its table exists but chacc did not make it: a build refuses to replace it"
		       " (see --adopt)";
	case DETAIL_ADOPTED:
		return "adopted: its first build replaces the table in full";
	case DETAIL_WINDOW_OPEN:
		return "lookback window open";
	case DETAIL_WINDOW_CLOSED:
		return "lookback window closed: its last rows are read once more";
	case DETAIL_IF_NEEDS_CHANGE:
		return "built only if what it needs changes rows in this run";
	case DETAIL_NOT_ATOMIC:
		return "not atomic: its script writes the table in place";
	case DETAIL_FILE_COLUMNS:
		return "columns and types of its file";
	case DETAIL_CHECKS_FAILED:
		return "failed its checks last time: the table before that build is still live";
	case DETAIL_PROBE:
		return "its source changed";
	}
	return NULL;
}

const char *
plan_item_detail(const struct plan_item *it, char *buf, size_t size)
{
	if (it->n && it->n->t->in_place && it->detail != DETAIL_NONE &&
	    it->detail != DETAIL_NOT_ATOMIC)
		snprintf(buf, size, "%s; not atomic", plan_detail_text(it->detail));
	else if (it->detail == DETAIL_WINDOW_OPEN && *it->window)
		snprintf(buf, size, "lookback window open until %s", it->window);
	else if (it->detail == DETAIL_WINDOW_CLOSED && *it->window)
		snprintf(buf, size, "lookback window closed at %s: its last rows are read once more",
		         it->window);
	else if (it->detail == DETAIL_FILE_COLUMNS && it->n && it->n->t->seed)
		return it->n->t->seed->summary;
	else if (it->detail == DETAIL_PROBE && it->note)
		return it->note;
	else
		return plan_detail_text(it->detail);
	return buf;
}
