/* store_mariadb.h: the parts of the MariaDB/MySQL store, shared by its files */
#ifndef CHACC_STORE_MARIADB_H
#define CHACC_STORE_MARIADB_H

#include "store_impl.h"

struct db;

/* the last error on d: a table does not exist (an etl_ table of a database chacc never wrote) */
bool store_mariadb_no_table(struct db *d);

/* store_mariadb_schema.c */
int store_mariadb_schema_version(struct store *st, char **err);
int store_mariadb_schema_upgrade(struct store *st, char **err, char **note);

/* store_mariadb_runs.c: runs and their targets */
long long store_mariadb_run_begin(struct store *st, const char *mode, const char *selection,
                                  const char *started_by, const char *rev, bool dirty);
int store_mariadb_run_end(struct store *st, long long run_id, const char *result);
int store_mariadb_run_target_building(struct store *st, long long run_id, const char *target,
                                      const char *reason, const char *mode, double started,
                                      int attempts);
int store_mariadb_run_target_record(struct store *st, long long run_id, const char *target,
                                    const char *reason, const char *mode, double started,
                                    double ended, long long rows, int attempts,
                                    const char *outcome, const char *error);
int store_mariadb_run_target_unstarted(struct store *st, long long run_id, const char *target,
                                       const char *reason, const char *mode,
                                       const char *outcome, const char *error);
long store_mariadb_runs_running(struct store *st, long long **ids);
int store_mariadb_run_close_dead(struct store *st, long long run_id);
long store_mariadb_building(struct store *st, struct store_building **out);

/* store_mariadb_history.c: what the history, the metrics and prune read */
int store_mariadb_now(struct store *st, char *out);
struct store_rows *store_mariadb_runs(struct store *st, long limit);
struct store_rows *store_mariadb_runs_find(struct store *st, const struct store_runs_filter *f,
                                           long long *total);
struct store_rows *store_mariadb_run(struct store *st, long long id);
struct store_rows *store_mariadb_run_targets(struct store *st, long long id);
struct store_rows *store_mariadb_target_runs(struct store *st, const char *target, long limit);
struct store_rows *store_mariadb_runs_by_result(struct store *st);
struct store_rows *store_mariadb_target_totals(struct store *st);
struct store_rows *store_mariadb_marker_stats(struct store *st);
int store_mariadb_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                             long long *targets);
long long store_mariadb_prune_deletes(struct store *st, const char *target, const char *before,
                                      const char *read_before, bool dry);

/* store_mariadb_live.c: following runs as they go */
int store_mariadb_live_read(struct store *st, const struct store_live_query *q,
                            struct store_live *out);

/* the lock named key of d's database (GET_LOCK names are server-wide) */
int store_mariadb_lock(struct store *st, const char *key, double timeout);
void store_mariadb_unlock(struct store *st, const char *key);

#endif
