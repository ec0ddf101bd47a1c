/* store.c: the store's public functions, dispatched to the engine's implementation */
#include "store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

/* the implementation for d's engine, chosen by the connection's driver */
struct store *
store_open(struct db *d, const char *recipe)
{
	if (d && d->engine && strcmp(d->engine->driver, db_postgres.driver) == 0)
		return store_postgres_open(d, recipe);
	return store_mariadb_open(d, recipe);
}

struct store *
store_new(const struct store_ops *ops, struct db *d, const char *recipe, void *impl)
{
	struct store *st = xcalloc(1, sizeof(*st));

	st->ops = ops;
	st->d = d;
	st->recipe = xstrdup(recipe ? recipe : "");
	st->impl = impl;
	return st;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	if (st->ops->close)
		st->ops->close(st);
	free(st->recipe);
	free(st);
}

const char *
store_error(struct store *st)
{
	return st->ops->error(st);
}

const char *
store_recipe(const struct store *st)
{
	return st->recipe;
}

/* locks: keyed by target name, or by a key no target name can be (names are identifiers) */

int
store_lock_build(struct store *st, const char *target, double timeout)
{
	return st->ops->lock(st, target, timeout);
}

void
store_unlock_build(struct store *st, const char *target)
{
	st->ops->unlock(st, target);
}

int
store_fence_build(struct store *st, const char *target, char **err)
{
	*err = NULL;
	return st->ops->fence ? st->ops->fence(st, target, err) : 0;
}

char *
store_run_key(long long run_id)
{
	return xasprintf("\002run %lld", run_id);
}

#define SCHEDULED_KEY "\001scheduled"

int
store_lock_run(struct store *st, long long run_id)
{
	char *key = store_run_key(run_id);
	int rc = st->ops->lock(st, key, 0);

	free(key);
	return rc;
}

void
store_unlock_run(struct store *st, long long run_id)
{
	char *key = store_run_key(run_id);

	st->ops->unlock(st, key);
	free(key);
}

int
store_lock_scheduled(struct store *st)
{
	return st->ops->lock(st, SCHEDULED_KEY, 0);
}

void
store_unlock_scheduled(struct store *st)
{
	st->ops->unlock(st, SCHEDULED_KEY);
}

int
store_builds_locked(struct store *st, char *const *targets, size_t n, bool *used)
{
	return n == 0 ? 0 : st->ops->locks_used(st, targets, n, used);
}

int
store_runs_locked(struct store *st, const long long *ids, size_t n, bool *used)
{
	char **keys;
	int rc;

	if (n == 0)
		return 0;
	keys = xcalloc(n, sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = store_run_key(ids[i]);
	rc = st->ops->locks_used(st, keys, n, used);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

void
store_building_free(struct store_building *b, long n)
{
	for (long i = 0; i < n; i++)
		free(b[i].target);
	free(b);
}

/* tables of strings */

struct store_rows *
store_rows_new(const char *const *names, size_t ncols)
{
	struct store_rows *r = xcalloc(1, sizeof(*r));

	r->ncols = ncols;
	r->names = xcalloc(ncols ? ncols : 1, sizeof(*r->names));
	for (size_t i = 0; i < ncols; i++)
		r->names[i] = xstrdup(names[i]);
	return r;
}

void
store_rows_add(struct store_rows *r, const char *const *cells)
{
	r->cells = xreallocarray(r->cells, (r->nrows + 1) * (r->ncols ? r->ncols : 1),
	                         sizeof(*r->cells));
	for (size_t i = 0; i < r->ncols; i++)
		r->cells[r->nrows * r->ncols + i] = cells[i] ? xstrdup(cells[i]) : NULL;
	r->nrows++;
}

struct store_rows *
store_rows_query(struct db *d, const char *sql)
{
	struct dbres *res = db_query(d, sql);
	struct store_rows *r;
	const char **cells;
	size_t nc;

	if (!res)
		return NULL;
	nc = dbres_ncols(res);
	cells = xcalloc(nc ? nc : 1, sizeof(*cells));
	for (size_t i = 0; i < nc; i++)
		cells[i] = dbres_colname(res, i);
	r = store_rows_new(cells, nc);
	while (dbres_next(res)) {
		for (size_t i = 0; i < nc; i++)
			cells[i] = dbres_get(res, i);
		store_rows_add(r, cells);
	}
	free(cells);
	dbres_free(res);
	return r;
}

const char *
store_rows_get(const struct store_rows *r, size_t row, size_t col)
{
	return row < r->nrows && col < r->ncols ? r->cells[row * r->ncols + col] : NULL;
}

void
store_rows_free(struct store_rows *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncols; i++)
		free(r->names[i]);
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->names);
	free(r->cells);
	free(r);
}

/* the rest: straight to the implementation */

int
store_schema_version(struct store *st, char **err)
{
	return st->ops->schema_version(st, err);
}

int
store_schema_upgrade(struct store *st, char **err, char **note)
{
	return st->ops->schema_upgrade(st, err, note);
}

int
store_marker_load(struct store *st, const char *target, struct marker *m)
{
	return st->ops->marker_load(st, target, m);
}

char *
store_marker_owner(struct store *st, const char *target)
{
	return st->ops->marker_owner(st, target);
}

int
store_marker_begin(struct store *st, const char *target, long long run_id)
{
	return st->ops->marker_begin(st, target, run_id);
}

int
store_marker_finish(struct store *st, const char *target, long long run_id, const char *hash,
                    const char *inputs_at, bool full, long long changed, long long rows,
                    double duration, const char *rev, bool dirty)
{
	return st->ops->marker_finish(st, target, run_id, hash, inputs_at, full, changed, rows,
	                              duration, rev, dirty);
}

int
store_marker_fail(struct store *st, const char *target, long long run_id, const char *status,
                  const char *error, double duration)
{
	return st->ops->marker_fail(st, target, run_id, status, error, duration);
}

int
store_marker_adopt(struct store *st, const char *target, long long rows)
{
	return st->ops->marker_adopt(st, target, rows);
}

int
store_marker_delete(struct store *st, const char *target)
{
	return st->ops->marker_delete(st, target);
}

long
store_marker_targets(struct store *st, char ***names)
{
	return st->ops->marker_targets(st, names);
}

int
store_watermark_set(struct store *st, const char *target, const char *source,
                    const char *column, const char *value, bool window_open)
{
	return st->ops->watermark_set(st, target, source, column, value, window_open);
}

int
store_kept(struct store *st, const char *target, bool count_deletes, struct store_kept *k)
{
	return st->ops->kept(st, target, count_deletes, k);
}

int
store_deletes_drop(struct store *st, const char *target)
{
	return st->ops->deletes_drop(st, target);
}

long long
store_run_begin(struct store *st, const char *mode, const char *selection,
                const char *started_by, const char *rev, bool dirty)
{
	return st->ops->run_begin(st, mode, selection, started_by, rev, dirty);
}

int
store_run_end(struct store *st, long long run_id, const char *result)
{
	return st->ops->run_end(st, run_id, result);
}

int
store_run_target_building(struct store *st, long long run_id, const char *target,
                          const char *reason, const char *mode, double started, int attempts)
{
	return st->ops->run_target_building(st, run_id, target, reason, mode, started, attempts);
}

int
store_run_target_record(struct store *st, long long run_id, const char *target,
                        const char *reason, const char *mode, double started, double ended,
                        long long rows, int attempts, const char *outcome, const char *error)
{
	return st->ops->run_target_record(st, run_id, target, reason, mode, started, ended,
	                                  rows, attempts, outcome, error);
}

int
store_run_target_unstarted(struct store *st, long long run_id, const char *target,
                           const char *reason, const char *mode, const char *outcome,
                           const char *error)
{
	return st->ops->run_target_unstarted(st, run_id, target, reason, mode, outcome, error);
}

long
store_runs_running(struct store *st, long long **ids)
{
	return st->ops->runs_running(st, ids);
}

int
store_run_close_dead(struct store *st, long long run_id)
{
	return st->ops->run_close_dead(st, run_id);
}

long
store_building(struct store *st, struct store_building **out)
{
	return st->ops->building(st, out);
}

int
store_now(struct store *st, char *out)
{
	return st->ops->now(st, out);
}

struct store_rows *
store_runs(struct store *st, long limit)
{
	return st->ops->runs(st, limit);
}

struct store_rows *
store_run(struct store *st, long long id)
{
	return st->ops->run(st, id);
}

struct store_rows *
store_run_targets(struct store *st, long long id)
{
	return st->ops->run_targets(st, id);
}

struct store_rows *
store_target_runs(struct store *st, const char *target, long limit)
{
	return st->ops->target_runs(st, target, limit);
}

struct store_rows *
store_runs_by_result(struct store *st)
{
	return st->ops->runs_by_result(st);
}

struct store_rows *
store_target_totals(struct store *st)
{
	return st->ops->target_totals(st);
}

struct store_rows *
store_marker_stats(struct store *st)
{
	return st->ops->marker_stats(st);
}

int
store_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                 long long *targets)
{
	return st->ops->prune_runs(st, before, dry, runs, targets);
}

long long
store_prune_deletes(struct store *st, const char *target, const char *before,
                    const char *read_before, bool dry)
{
	return st->ops->prune_deletes(st, target, before, read_before, dry);
}

int
store_checks_record(struct store *st, long long run_id, const struct store_check *c, size_t n)
{
	return st->ops->checks_record(st, run_id, c, n);
}

struct store_rows *
store_checks_latest(struct store *st, const char *target)
{
	return st->ops->checks_latest(st, target);
}

struct store_rows *
store_checks_of_run(struct store *st, long long run_id)
{
	return st->ops->checks_of_run(st, run_id);
}

int
store_profile_record(struct store *st, long long run_id, const char *target, long long rows,
                     const char *json)
{
	return st->ops->profile_record(st, run_id, target, rows, json);
}

struct store_rows *
store_profiles(struct store *st, const char *target, long limit)
{
	return st->ops->profiles(st, target, limit);
}

int
store_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                   long long *profiles)
{
	return st->ops->prune_checks(st, before, dry, checks, profiles);
}

long
store_sites_load(struct store *st, const char *target, struct store_site **out)
{
	return st->ops->sites_load(st, target, out);
}

void
store_sites_free(struct store_site *s, long n)
{
	for (long i = 0; i < n; i++) {
		free(s[i].target);
		free(s[i].site);
		free(s[i].error);
		free(s[i].watermark);
	}
	free(s);
}

int
store_site_record(struct store *st, const struct store_site *s)
{
	return st->ops->site_record(st, s);
}

int
store_site_delete(struct store *st, const char *target, const char *site)
{
	return st->ops->site_delete(st, target, site);
}
