/*
 * store_impl.h: what an implementation of the store provides (store.h says
 * what each operation does). Only store.c and the implementations
 * (store_mariadb*.c, store_postgres*.c, the tests' fake) include it.
 */
#ifndef CHACC_STORE_IMPL_H
#define CHACC_STORE_IMPL_H

#include "store.h"

struct dbres;

struct store_ops {
	const char *engine;
	void (*close)(struct store *st);
	const char *(*error)(struct store *st);

	int (*schema_version)(struct store *st, char **err);
	int (*schema_upgrade)(struct store *st, char **err, char **note);

	int (*marker_load)(struct store *st, const char *target, struct marker *m);
	char *(*marker_owner)(struct store *st, const char *target);
	int (*marker_begin)(struct store *st, const char *target, long long run_id);
	int (*marker_finish)(struct store *st, const char *target, long long run_id,
	                     const char *hash, const char *inputs_at, bool full, long long changed,
	                     long long rows, double duration, const char *rev, bool dirty);
	int (*marker_fail)(struct store *st, const char *target, long long run_id,
	                   const char *status, const char *error, double duration);
	int (*marker_adopt)(struct store *st, const char *target, long long rows);
	int (*marker_delete)(struct store *st, const char *target);
	long (*marker_targets)(struct store *st, char ***names);
	int (*watermark_set)(struct store *st, const char *target, const char *source,
	                     const char *column, const char *value, bool window_open);
	int (*kept)(struct store *st, const char *target, bool count_deletes,
	            struct store_kept *k);
	int (*deletes_drop)(struct store *st, const char *target);

	long long (*run_begin)(struct store *st, const char *mode, const char *selection,
	                       const char *started_by, const char *rev, bool dirty);
	int (*run_end)(struct store *st, long long run_id, const char *result);
	int (*run_target_building)(struct store *st, long long run_id, const char *target,
	                           const char *reason, const char *mode, double started,
	                           int attempts);
	int (*run_target_record)(struct store *st, long long run_id, const char *target,
	                         const char *reason, const char *mode, double started,
	                         double ended, long long rows, int attempts, const char *outcome,
	                         const char *error);
	int (*run_target_unstarted)(struct store *st, long long run_id, const char *target,
	                            const char *reason, const char *mode, const char *outcome,
	                            const char *error);
	long (*runs_running)(struct store *st, long long **ids);
	int (*run_close_dead)(struct store *st, long long run_id);
	long (*building)(struct store *st, struct store_building **out);

	/* locks by key: a target's name, or a key store.c makes for a run or the schedule */
	int (*lock)(struct store *st, const char *key, double timeout);
	void (*unlock)(struct store *st, const char *key);
	int (*locks_used)(struct store *st, char *const *keys, size_t n, bool *used);
	/* within the caller's transaction: the lock of key still held; 0 or -1 (*err) */
	int (*fence)(struct store *st, const char *key, char **err);

	int (*now)(struct store *st, char *out);
	struct store_rows *(*runs)(struct store *st, long limit);
	struct store_rows *(*runs_find)(struct store *st, const struct store_runs_filter *f,
	                                long long *total);
	struct store_rows *(*run)(struct store *st, long long id);
	struct store_rows *(*run_targets)(struct store *st, long long id);
	struct store_rows *(*target_runs)(struct store *st, const char *target, long limit);
	struct store_rows *(*runs_by_result)(struct store *st);
	struct store_rows *(*target_totals)(struct store *st);
	struct store_rows *(*marker_stats)(struct store *st);
	int (*prune_runs)(struct store *st, const char *before, bool dry, long long *runs,
	                  long long *targets);
	long long (*prune_deletes)(struct store *st, const char *target, const char *before,
	                           const char *read_before, bool dry);
	int (*live_read)(struct store *st, const struct store_live_query *q, struct store_live *out);

	int (*checks_record)(struct store *st, long long run_id, const struct store_check *c,
	                     size_t n);
	struct store_rows *(*checks_latest)(struct store *st, const char *target);
	struct store_rows *(*checks_of_run)(struct store *st, long long run_id);
	int (*profile_record)(struct store *st, long long run_id, const char *target,
	                      long long rows, const char *json);
	struct store_rows *(*profiles)(struct store *st, const char *target, long limit);
	int (*prune_checks)(struct store *st, const char *before, bool dry, long long *checks,
	                    long long *profiles);

	long (*sites_load)(struct store *st, const char *target, struct store_site **out);
	int (*site_record)(struct store *st, const struct store_site *s);
	int (*site_delete)(struct store *st, const char *target, const char *site);
};

struct store {
	const struct store_ops *ops;
	struct db *d;            /* the connection, or NULL (a fake) */
	char *recipe;
	void *impl;              /* the implementation's own state */
};

/* the key of the lock run_id holds for its life (malloc'ed): run_begin takes it */
char *store_run_key(long long run_id);

/* a store of ops on d for recipe (store_close frees it, after ops->close) */
struct store *store_new(const struct store_ops *ops, struct db *d, const char *recipe,
                        void *impl);

/* an empty table with these ncols column names, to fill with store_rows_add */
struct store_rows *store_rows_new(const char *const *names, size_t ncols);
/* append a row of rows->ncols cells (copied; NULL for none) */
void store_rows_add(struct store_rows *r, const char *const *cells);
/* the rows of a query on d as a table of strings; NULL on error (see db_error) */
struct store_rows *store_rows_query(struct db *d, const char *sql);

/* store_live_read's result: a run appended to l (zeroed), a target appended to run */
struct store_live_run *store_live_add_run(struct store_live *l);
struct store_live_target *store_live_add_target(struct store_live_run *run);
/*
 * one row of an engine's live query into l: the run (when it is not the
 * previous row's) and its target. Its columns, from the third: run_id,
 * result, mode, selection, started_by, started_at, ended_at, seconds, then
 * the target (NULL when the run has none yet), outcome, reason, mode,
 * started_at, ended_at, row_count, attempts, error_message, seconds, changed
 */
void store_live_add_row(struct store_live *l, struct dbres *res);

/* the MariaDB/MySQL store (store_mariadb.c) */
struct store *store_mariadb_open(struct db *d, const char *recipe);
/* the PostgreSQL store (store_postgres.c): its tables in the connection's schema */
struct store *store_postgres_open(struct db *d, const char *recipe);

#endif
