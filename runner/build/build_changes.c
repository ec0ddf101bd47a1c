/*
 * build_changes.c: extracts that capture changes (incremental: {changes:
 * binlog}). A build reads the source's binary log from the position the
 * last build committed, collects the keys its changed rows touch (a
 * column of the row, or a SQL file run with the row's values), re-runs the
 * extract's query for those keys only, in batches, and publishes in one
 * transaction: the rows upserted, the keys the query no longer returns
 * removed (logged in etl_deletes), the new position and the marker. A
 * crash before the commit reads the same changes again next time.
 */
#include "build_impl.h"
#include "extract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "marker.h"
#include "plan.h"
#include "recipe.h"
#include "store.h"
#include "strset.h"
#include "util.h"

/* keys re-read per query of the source */
#define BATCH 1000
/* a share of the table's rows past which one full read is cheaper than the keys */
#define FULL_SHARE 0.3
/* ... when the table has at least so many rows */
#define FULL_MIN_ROWS 1000

/* separates the values of a key of several columns, and a row's values */
#define SEP '\x1f'

/* what the log said: the keys touched, and the rows a SQL file maps to keys */
struct touched {
	const struct target *t;
	struct strset keys;
	struct strset *rows;     /* per table with a file: its changed rows, distinct */
	char ***params;          /* per table with a file: the ${row.X} names */
	size_t *nparams;
	bool any;                /* the probe's question: did anything change? */
	bool probe;
};

/* the ${row.NAME} names of sql, into *out; their count */
static size_t
row_params(const char *sql, char ***out)
{
	const char *p = sql;
	size_t n = 0;

	*out = NULL;
	while (p && (p = strstr(p, "${row."))) {
		const char *name = p + 6, *end = strchr(name, '}');
		bool seen = false;

		if (!end)
			break;
		for (size_t i = 0; i < n; i++)
			seen |= strlen((*out)[i]) == (size_t)(end - name) &&
			        !strncmp((*out)[i], name, (size_t)(end - name));
		if (!seen) {
			*out = xreallocarray(*out, n + 2, sizeof(**out));
			(*out)[n++] = xstrndup(name, (size_t)(end - name));
			(*out)[n] = NULL;
		}
		p = end + 1;
	}
	return n;
}

/* join n values (none NULL) with SEP into a buffer */
static void
joined(struct buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(b, SEP);
		buf_adds(b, v[i] ? v[i] : "");
	}
}

static int
on_row(void *arg, size_t table, const char *const *values)
{
	struct touched *tc = arg;
	const struct change_table *ct = &tc->t->incr.tables[table];
	size_t n = ct->file ? tc->nparams[table] : ct->ncolumns;
	struct buf b;

	tc->any = true;
	if (tc->probe)
		return 1;
	for (size_t i = 0; !ct->file && i < n; i++)
		if (!values[i])
			return 0;  /* a row that names no key */
	buf_init(&b);
	joined(&b, values, n);
	if (ct->file) {
		/* a NULL is not "": mark which values were NULL */
		for (size_t i = 0; i < n; i++)
			buf_addc(&b, values[i] ? '1' : '0');
		strset_add(&tc->rows[table], b.s ? b.s : "", b.len);
	} else
		strset_add(&tc->keys, b.s ? b.s : "", b.len);
	buf_release(&b);
	return 0;
}

/* the tables to follow, as the engine asks them */
static struct db_log_table *
log_tables(struct touched *tc)
{
	const struct incr *in = &tc->t->incr;
	struct db_log_table *lt = xcalloc(in->ntables + 1, sizeof(*lt));

	tc->rows = xcalloc(in->ntables + 1, sizeof(*tc->rows));
	tc->params = xcalloc(in->ntables + 1, sizeof(*tc->params));
	tc->nparams = xcalloc(in->ntables + 1, sizeof(*tc->nparams));
	for (size_t i = 0; i < in->ntables; i++) {
		const struct change_table *ct = &in->tables[i];

		lt[i].name = ct->table;
		if (ct->file) {
			tc->nparams[i] = row_params(ct->sql, &tc->params[i]);
			lt[i].columns = tc->params[i];
			lt[i].ncolumns = tc->probe ? 0 : tc->nparams[i];
		} else {
			lt[i].columns = ct->columns;
			lt[i].ncolumns = tc->probe ? 0 : ct->ncolumns;
		}
	}
	return lt;
}

static void
touched_release(struct touched *tc)
{
	for (size_t i = 0; tc->rows && i < tc->t->incr.ntables; i++) {
		strset_release(&tc->rows[i]);
		for (size_t j = 0; j < tc->nparams[i]; j++)
			free(tc->params[i][j]);
		free(tc->params[i]);
	}
	free(tc->rows);
	free(tc->params);
	free(tc->nparams);
	strset_release(&tc->keys);
}

/* v as a literal of src: a whole number as it is (an index on a number column serves it) */
static char *
literal(struct db *src, const char *v)
{
	size_t digits = strspn(v + (*v == '-'), "0123456789");

	if (digits && digits < 19 && v[(*v == '-') + digits] == '\0' && !(v[*v == '-'] == '0' && digits > 1))
		return xstrdup(v);
	return db_quote(src, v);
}

/* the SQL of table i's file with the changed row r's values in its ${row.X} */
static char *
file_sql(struct db *src, const struct touched *tc, size_t i, const char *r, size_t len)
{
	const struct change_table *ct = &tc->t->incr.tables[i];
	size_t n = tc->nparams[i];
	const char *flags = r + len - n;
	char **vals = xcalloc(n + 1, sizeof(*vals));
	const char *p = r;
	struct buf out;

	for (size_t k = 0; k < n; k++) {
		const char *e = memchr(p, k + 1 < n ? SEP : '\0', (size_t)(flags - p));

		if (!e)
			e = flags;
		vals[k] = xstrndup(p, (size_t)(e - p));
		p = e + 1;
	}
	buf_init(&out);
	for (const char *s = ct->sql; *s;) {
		const char *ph = strstr(s, "${row.");
		size_t k;

		if (!ph) {
			buf_adds(&out, s);
			break;
		}
		buf_add(&out, s, (size_t)(ph - s));
		s = strchr(ph, '}') + 1;
		for (k = 0; k < n; k++)
			if (strlen(tc->params[i][k]) == (size_t)(s - 1 - (ph + 6)) &&
			    !strncmp(ph + 6, tc->params[i][k], (size_t)(s - 1 - (ph + 6))))
				break;
		if (k < n && flags[k] == '1') {
			char *lit = literal(src, vals[k]);

			buf_adds(&out, lit);
			free(lit);
		} else
			buf_adds(&out, "NULL");
	}
	for (size_t k = 0; k < n; k++)
		free(vals[k]);
	free(vals);
	return buf_detach(&out);
}

/* the keys a query returned (its first columns; a row with a NULL in them names none); res freed */
static void
add_keys(struct touched *tc, struct dbres *res)
{
	size_t n = tc->t->key.n;
	const char **v = xcalloc(n + 1, sizeof(*v));

	while (dbres_next(res)) {
		struct buf k;
		bool null = dbres_ncols(res) < n;

		for (size_t c = 0; c < n && !null; c++)
			null |= !(v[c] = dbres_get(res, c));
		if (null)
			continue;
		buf_init(&k);
		joined(&k, v, n);
		strset_add(&tc->keys, k.s ? k.s : "", k.len);
		buf_release(&k);
	}
	dbres_free(res);
	free(v);
}

/* the keys each changed row of a table with a file maps to, run on src */
static int
map_rows(struct build *b, struct db *src, struct touched *tc)
{
	const struct target *t = b->t;

	for (size_t i = 0; i < t->incr.ntables; i++)
		for (size_t r = 0; r < tc->rows[i].n; r++) {
			const char *row = tc->rows[i].v[r];
			char *sql = file_sql(src, tc, i, row, strlen(row));
			struct dbres *res = db_query(src, sql);

			free(sql);
			if (!res)
				return bops_fail(b, src, "target '%s': incremental.tables file '%s' failed",
				                 t->name, t->incr.tables[i].file);
			add_keys(tc, res);
		}
	return 0;
}

/* "a.k1, a.k2": t's key columns in src's quoting, each after prefix a. */
static void
add_key_cols(struct buf *b, struct db *src, const struct target *t, const char *prefix)
{
	for (size_t i = 0; i < t->key.n; i++) {
		char *id = db_ident(src, t->key.v[i]);

		buf_addf(b, "%s%s%s", i ? ", " : "", prefix, id);
		free(id);
	}
}

/* --since DATE: the keys of the rows changed since DATE by the watermark column, too */
static int
since_keys(struct extract *x, struct touched *tc)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	char *since = extract_since(x, NULL), *sel = extract_select(x, since, true);
	struct dbres *res;
	struct buf cols;

	buf_init(&cols);
	add_key_cols(&cols, x->src, t, "s.");
	res = db_queryf(x->src, "SELECT %s FROM (%s) AS s", cols.s, sel);
	free(since);
	free(sel);
	buf_release(&cols);
	if (!res)
		return bops_fail(b, x->src, "target '%s': query '%s' failed", t->name, t->query);
	add_keys(tc, res);
	return 0;
}

/* "q.k IN (...)" or "(q.a, q.b) IN ((...), ...)" for keys [from, to) */
static char *
key_filter(struct db *src, const struct target *t, const struct strset *keys, size_t from, size_t to)
{
	struct buf b;

	buf_init(&b);
	if (t->key.n > 1)
		buf_addc(&b, '(');
	add_key_cols(&b, src, t, "q.");
	buf_adds(&b, t->key.n > 1 ? ") IN (" : " IN (");
	for (size_t k = from; k < to; k++) {
		const char *p = keys->v[k];

		buf_adds(&b, k > from ? ", " : "");
		if (t->key.n > 1)
			buf_addc(&b, '(');
		for (size_t i = 0; i < t->key.n; i++) {
			const char *e = strchr(p, SEP);
			char *v = e ? xstrndup(p, (size_t)(e - p)) : xstrdup(p), *lit = literal(src, v);

			buf_addf(&b, "%s%s", i ? ", " : "", lit);
			free(v);
			free(lit);
			p = e ? e + 1 : p + strlen(p);
		}
		if (t->key.n > 1)
			buf_addc(&b, ')');
	}
	buf_addc(&b, ')');
	return buf_detach(&b);
}

/* the touched keys into a table keys of the target (its key columns) */
static int
load_keys(struct build *b, const char *keys, const struct strset *set)
{
	const struct target *t = b->t;
	struct db_names names = bops_names(&t->key);
	char *sel = bops_select_cols(b->tgt, t->name, &names);
	char *empty = xasprintf("%s WHERE 1 = 0", sel);
	char **vals = xcalloc(BATCH * t->key.n + 1, sizeof(*vals));
	long long bad = -1;
	int rc = 0;

	if (db_drop_table(b->tgt, keys, false) < 0 || db_create_from_query(b->tgt, keys, empty) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot create a table of keys", t->name);
	for (size_t k = 0; rc == 0 && k < set->n; k += BATCH) {
		size_t n = set->n - k < BATCH ? set->n - k : BATCH, m = 0;

		for (size_t r = 0; r < n; r++) {
			const char *p = set->v[k + r];

			for (size_t i = 0; i < t->key.n; i++) {
				const char *e = strchr(p, SEP);

				vals[m++] = e ? xstrndup(p, (size_t)(e - p)) : xstrdup(p);
				p = e ? e + 1 : p + strlen(p);
			}
		}
		if (db_insert_values(b->tgt, keys, &names, vals, n, &bad) < 0)
			rc = bops_fail(b, b->tgt, "target '%s': cannot load the keys that changed", t->name);
		for (size_t i = 0; i < m; i++)
			free(vals[i]);
	}
	free(vals);
	free(sel);
	free(empty);
	return rc;
}

/* the rows of the keys touched, from the source into stage, in batches */
static int
read_keys(struct extract *x, const struct strset *keys, const char *stage)
{
	struct build *b = x->b;
	char *body = extract_select(x, "NULL", false);
	long long moved = 0;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < keys->n; k += BATCH) {
		size_t to = keys->n - k < BATCH ? keys->n : k + BATCH;
		char *where = key_filter(x->src, b->t, keys, k, to);
		char *sel = xasprintf("SELECT * FROM (%s) AS q WHERE %s", body, where);
		enum copy_fail why;
		long long rows = 0;

		if (extract_copy(x, sel, stage, &rows, NULL, NULL, &why) < 0)
			rc = bops_fail(b, why == COPY_READ ? x->src : x->tgt, "target '%s': %s", b->t->name,
			               why == COPY_LOAD ? "loading rows failed" :
			               "re-reading the rows that changed failed");
		moved += rows;
		b->res->live.moved = moved;
		if (b->req->stop && atomic_load(b->req->stop))
			rc = bops_fail(b, NULL, "target '%s': interrupted", b->t->name);
		free(where);
		free(sel);
	}
	free(body);
	return rc;
}

/* upsert stage, remove the flagged and the missing, the position and the marker: one transaction */
static int
commit_keys(struct build *b, const char *stage, const char *keys, const char *to)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	struct db_names tc = { 0 }, key = bops_names(&t->key);
	struct db_delete del = { .log = DELETE_LOG, .table = t->name, .key = &key,
	                         .cols = &tc, .run_id = b->req->run_id };
	char *from_stage = NULL, *t0 = NULL;
	long long removed = 0;
	int rc = -1;

	if (db_table_columns(tgt, t->name, &tc) < 0 || db_begin(tgt) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	from_stage = bops_select_cols(tgt, stage, &tc);
	if (bops_audits(b) && !(t0 = bops_now_literal(b)))
		bops_fail(b, tgt, "target '%s': cannot read the clock", t->name);
	else if (t->incr.deleted && extract_remove_flagged(b, stage, &tc) < 0)
		;
	else if (bops_upsert(b, t->name, &tc, from_stage) < 0)
		;
	else if (db_delete_missing(tgt, &del, keys, stage, &removed) < 0)
		bops_fail(b, tgt, "target '%s': cannot remove the rows deleted at the source", t->name);
	else if ((b->res->changed += removed, b->res->deleted += removed,
	          b->res->rows = bops_rows_after_upsert(b, t->name)) < 0)
		bops_fail(b, tgt, "target '%s'", t->name);
	else if (store_watermark_set(b->c->store, t->name, t->from, MARKER_LOG_POSITION, to, false) < 0)
		bops_fail(b, tgt, "target '%s': cannot record the binary log position", t->name);
	else if (bops_checks(b, t->name, t0, true) == 0 && bops_finish(b) == 0) {
		bops_fault_point("before-commit", t->name);
		rc = db_commit(tgt) < 0 ? bops_fail(b, tgt, "target '%s': commit failed", t->name) : 0;
	}
	if (rc < 0)
		db_rollback(tgt);
out:
	db_names_release(&tc);
	free(from_stage);
	free(t0);
	return rc;
}

/* what to do when the log cannot be followed: a full build, or the watermark */
static int
fall_back(struct extract *x, const char *why)
{
	struct build *b = x->b;

	log_event(LOG_WARN, "changes", b->t->name, b->req->run_id, "target '%s': %s; %s", b->t->name, why,
	        b->t->incr.column ? "reading by its watermark column" : "building in full");
	if (b->t->incr.column)
		return extract_by_watermark(x);
	b->full = true;
	return extract_full(x);
}

int
changes_position(struct extract *x, char **pos, bool *snapshot)
{
	struct build *b = x->b;

	*pos = NULL;
	*snapshot = false;
	if (!b->t->incr.changes)
		return 0;
	if (db_log_usable(x->src) < 0) {
		log_event(LOG_WARN, "changes", b->t->name, b->req->run_id,
		          "target '%s': change capture unavailable: %s", b->t->name, db_error(x->src));
		return 0;
	}
	if (!x->same) {
		if (db_log_snapshot(x->src, pos) < 0)
			return bops_fail(b, x->src, "target '%s': cannot begin a snapshot of the source",
			                 b->t->name);
		*snapshot = true;
		return 0;
	}
	if (db_log_position(x->src, pos) < 0)
		return bops_fail(b, x->src, "target '%s': cannot read the binary log position",
		                 b->t->name);
	return 0;
}

int
changes_incremental(struct extract *x)
{
	struct build *b = x->b;
	const struct target *t = b->t;
	struct touched tc = { .t = t };
	struct db_log_table *lt = log_tables(&tc);
	char *stage = xasprintf("_chacc_stage_%.40s", t->name), *keys = NULL, *to = NULL, *why;
	int rc = -1, got;

	if (!b->req->position) {
		rc = fall_back(x, "no binary log position recorded yet");
		goto out;
	}
	if (db_log_usable(x->src) < 0) {
		why = xasprintf("change capture unavailable: %s", db_error(x->src));
		rc = fall_back(x, why);
		free(why);
		goto out;
	}
	got = db_log_read(x->src, b->req->position, lt, t->incr.ntables, on_row, &tc, &to);
	if (got == DB_LOG_LOST) {
		why = xasprintf("binlog position lost (%s)", db_error(x->src));
		log_event(LOG_WARN, "changes", t->name, b->req->run_id, "target '%s': %s; building in full",
		          t->name, why);
		free(why);
		b->full = true;
		rc = extract_full(x);
		goto out;
	}
	if (got < 0) {
		bops_fail(b, x->src, "target '%s': reading the binary log of '%s' failed", t->name,
		          t->from);
		goto out;
	}
	if (map_rows(b, x->src, &tc) < 0)
		goto out;
	if (b->req->since && t->incr.column && since_keys(x, &tc) < 0)
		goto out;
	bops_fault_point("after-log-read", t->name);
	if (b->req->prev_rows >= FULL_MIN_ROWS &&
	    (double)tc.keys.n > FULL_SHARE * (double)b->req->prev_rows) {
		log_event(LOG_INFO, "changes", t->name, b->req->run_id,
		          "target '%s': %.0f%% of keys changed: building in full", t->name,
		        100.0 * (double)tc.keys.n / (double)b->req->prev_rows);
		b->full = true;
		rc = extract_full(x);
		goto out;
	}
	keys = xasprintf("_chacc_keys_%.40s", t->name);
	if (db_drop_table(b->tgt, stage, true) < 0 || db_create_like(b->tgt, stage, t->name, true) < 0) {
		bops_fail(b, b->tgt, "target '%s': cannot create a staging table", t->name);
		goto out;
	}
	if (load_keys(b, keys, &tc.keys) < 0 || read_keys(x, &tc.keys, stage) < 0)
		goto out;
	bops_fault_point("after-load", t->name);
	rc = commit_keys(b, stage, keys, to);
out:
	if (keys)
		db_drop_table(b->tgt, keys, false);
	db_drop_table(b->tgt, stage, true);
	touched_release(&tc);
	free(lt);
	free(stage);
	free(keys);
	free(to);
	return rc;
}

int
changes_probe(struct conns *c, const struct target *t, const struct marker *m, char **note,
              char **err)
{
	const char *pos = marker_log_position(m);
	struct touched tc = { .t = t, .probe = true };
	struct db_log_table *lt;
	struct db *src;
	char *to = NULL;
	int rc;

	if (!(src = conns_get(c, t->from, err, NULL))) {
		char *why = *err;

		*err = xasprintf("target '%s': cannot reach source '%s': %s", t->name, t->from, why);
		free(why);
		return -1;
	}
	if (db_log_usable(src) < 0) {
		*note = xasprintf("change capture unavailable: %s", db_error(src));
		if (!t->incr.column)
			return PROBE_FULL;
		/* the watermark of a build that followed the log is a position: read all once */
		if (!m->has_watermark || pos || m->window_open)
			return PROBE_YES;
		rc = extract_probe(c->r, src, t, m->watermark);
		if (rc < 0)
			*err = xasprintf("target '%s': probing source '%s' failed: %s", t->name, t->from,
			                 db_error(src));
		return rc;
	}
	if (!pos) {
		*note = xstrdup("no binary log position yet");
		return PROBE_FULL;
	}
	lt = log_tables(&tc);
	rc = db_log_read(src, pos, lt, t->incr.ntables, on_row, &tc, &to);
	if (rc == DB_LOG_LOST) {
		*note = xasprintf("binlog position lost (%s)", db_error(src));
		rc = PROBE_FULL;
	} else if (rc < 0)
		*err = xasprintf("target '%s': reading the binary log of '%s' failed: %s", t->name,
		                 t->from, db_error(src));
	else
		rc = tc.any ? PROBE_YES : PROBE_NO;
	/*
	 * nothing of its tables from pos to there: any position up to there is
	 * as good, whoever else builds it now (a read again is harmless)
	 */
	if (rc == PROBE_NO && c->advance && to && strcmp(to, pos) != 0 &&
	    store_watermark_set(c->store, t->name, t->from, MARKER_LOG_POSITION, to, false) < 0) {
		*err = xasprintf("target '%s': cannot record the binary log position: %s", t->name,
		                 db_error(c->tgt));
		rc = -1;
	}
	touched_release(&tc);
	free(lt);
	free(to);
	return rc;
}
