/* store_sql_history.c: the history, metrics and pruning of runs and deletes, in the engine's SQL */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "util.h"

int
store_sql_now(struct store *st, char *out)
{
	char *now = NULL;
	int rc = db_now(st->d, &now);

	*out = '\0';
	if (rc == 0 && now)
		snprintf(out, TS_LEN, "%s", now);
	free(now);
	return rc == 0 && *out ? 0 : -1;
}

struct store_rows *
store_sql_rows(struct store *st, char *sql, const char *const *cols, size_t ncols)
{
	struct store_rows *r = store_rows_query(st->d, sql);

	free(sql);
	if (!r && store_sql_no_table(st->d))
		return store_rows_new(cols, ncols);
	return r;
}

char *
store_sql_ts_value(struct store *st, const char *ts)
{
	char *q = db_quote(st->d, ts), *v = xasprintf(store_sql_of(st)->ts, q);

	free(q);
	return v;
}

static const char *const run_cols[] = {
	"run_id", "mode", "result", "started_by", "started_at", "ended_at", "seconds",
	"config_rev", "config_dirty", "selection",
};

struct store_rows *
store_sql_runs(struct store *st, long limit)
{
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf("%s WHERE recipe = %s ORDER BY run_id DESC LIMIT %ld",
	                      store_sql_of(st)->run_select, qr, limit > 0 ? limit : 20);

	free(qr);
	return store_sql_rows(st, sql, run_cols, LEN(run_cols));
}

/* the WHERE of f's runs (malloc'ed) */
static char *
find_where(struct store *st, const struct store_runs_filter *f)
{
	struct buf b;
	char *q = db_quote(st->d, st->recipe);

	buf_init(&b);
	buf_addf(&b, "recipe = %s", q);
	free(q);
	if (f->mode) {
		q = db_quote(st->d, f->mode);
		buf_addf(&b, " AND mode = %s", q);
		free(q);
	}
	if (f->result) {
		q = db_quote(st->d, f->result);
		buf_addf(&b, " AND result = %s", q);
		free(q);
	}
	if (f->from) {
		q = store_sql_ts_value(st, f->from);
		buf_addf(&b, " AND started_at >= %s", q);
		free(q);
	}
	if (f->until) {
		q = store_sql_ts_value(st, f->until);
		buf_addf(&b, " AND started_at < %s", q);
		free(q);
	}
	return buf_detach(&b);
}

struct store_rows *
store_sql_runs_find(struct store *st, const struct store_runs_filter *f, long long *total)
{
	char *where = find_where(st, f);
	struct store_rows *r = NULL;

	if (store_sql_count(st->d, total,
	                    xasprintf("SELECT COUNT(*) FROM etl_runs WHERE %s", where)) == 0)
		r = store_sql_rows(st, xasprintf("%s WHERE %s ORDER BY run_id DESC LIMIT %ld"
		                                 " OFFSET %ld", store_sql_of(st)->run_select, where,
		                                 f->limit > 0 ? f->limit : 20,
		                                 f->offset > 0 ? f->offset : 0),
		                   run_cols, LEN(run_cols));
	free(where);
	return r;
}

struct store_rows *
store_sql_run(struct store *st, long long id)
{
	static const char *const cols[] = {
		"run_id", "mode", "result", "started_by", "host", "started_at", "ended_at",
		"seconds", "config_rev", "config_dirty", "selection",
	};
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf(store_sql_of(st)->run, qr, id);

	free(qr);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

struct store_rows *
store_sql_run_targets(struct store *st, long long id)
{
	static const char *const cols[] = {
		"target", "reason", "mode", "outcome", "started_at", "ended_at", "seconds", "rows",
		"attempts", "error",
	};
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf(store_sql_of(st)->run_targets, id, qr);

	free(qr);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

struct store_rows *
store_sql_target_runs(struct store *st, const char *target, long limit)
{
	static const char *const cols[] = {
		"run_id", "run_mode", "started_by", "reason", "mode", "outcome", "started_at",
		"ended_at", "seconds", "rows", "attempts", "error",
	};
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	char *sql = xasprintf(store_sql_of(st)->target_runs, qr, qt, limit > 0 ? limit : 20);

	free(qr);
	free(qt);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

struct store_rows *
store_sql_runs_by_result(struct store *st)
{
	static const char *const cols[] = { "result", "runs" };
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf("SELECT result, COUNT(*) AS runs FROM etl_runs WHERE recipe = %s"
	                      " GROUP BY result ORDER BY result", qr);

	free(qr);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

struct store_rows *
store_sql_target_totals(struct store *st)
{
	static const char *const cols[] = { "target", "built", "failed", "seconds", "timed" };
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf(store_sql_of(st)->target_totals, qr);

	free(qr);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

struct store_rows *
store_sql_marker_stats(struct store *st)
{
	static const char *const cols[] = { "target", "rows", "seconds", "success_at", "ok" };
	char *qr = db_quote(st->d, st->recipe);
	char *sql = xasprintf(store_sql_of(st)->marker_stats, qr);

	free(qr);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

int
store_sql_count(struct db *d, long long *n, char *sql)
{
	char *v = NULL;
	int rc = db_value(d, &v, "%s", sql);

	free(sql);
	*n = v ? atoll(v) : 0;
	free(v);
	if (rc < 0 && store_sql_no_table(d))
		return 0;
	return rc < 0 ? -1 : 0;
}

int
store_sql_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                     long long *targets)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qb = store_sql_ts_value(st, before);
	char *where = xasprintf("r.recipe = %s AND r.result <> 'running' AND"
	                        " COALESCE(r.ended_at, r.started_at) < %s", qr, qb);
	int rc;

	*runs = *targets = 0;
	rc = store_sql_count(d, runs, xasprintf("SELECT COUNT(*) FROM etl_runs r WHERE %s", where));
	rc |= store_sql_count(d, targets, xasprintf("SELECT COUNT(*) FROM etl_run_targets t"
	                                            " JOIN etl_runs r ON r.run_id = t.run_id"
	                                            " WHERE %s", where));
	if (rc == 0 && !dry && *runs > 0 &&
	    (db_execf(d, q->prune_targets, where) < 0 || db_execf(d, q->prune_runs, where) < 0))
		rc = -1;
	free(qr);
	free(qb);
	free(where);
	return rc ? -1 : 0;
}

long long
store_sql_prune_deletes(struct store *st, const char *target, const char *before,
                        const char *read_before, bool dry)
{
	struct db *d = st->d;
	char *qt = db_quote(d, target), *qb = store_sql_ts_value(st, before);
	char *qread = read_before ? store_sql_ts_value(st, read_before) : NULL;
	char *where = xasprintf("target = %s AND deleted_at < %s%s%s", qt, qb,
	                        qread ? " AND deleted_at < " : "", qread ? qread : "");
	long long total = 0;
	int rc;

	rc = store_sql_count(d, &total,
	                     xasprintf("SELECT COUNT(*) FROM etl_deletes WHERE %s", where));
	/* in batches, so that no statement holds locks for long */
	if (rc == 0 && !dry && total > 0) {
		do
			rc = db_execf(d, store_sql_of(st)->prune_deletes, where);
		while (rc == 0 && db_affected(d) == 10000);
	}
	free(qt);
	free(qb);
	free(qread);
	free(where);
	return rc < 0 ? -1 : total;
}
