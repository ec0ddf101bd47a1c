/*
 * store_postgres.h: the parts of the PostgreSQL store, shared by its files.
 * Its tables are those of the MariaDB store, with the same names and columns,
 * in the connection's schema (db_name); times are timestamptz, read back as
 * "YYYY-MM-DD HH:MM:SS.ffffff" in the session's time zone (STORE_PG_TS).
 */
#ifndef CHACC_STORE_POSTGRES_H
#define CHACC_STORE_POSTGRES_H

#include "store_impl.h"

struct db;

/* a time column as the text every store gives: "YYYY-MM-DD HH:MM:SS.ffffff" */
#define STORE_PG_TS(col) "to_char(" col ", 'YYYY-MM-DD HH24:MI:SS.US')"
/* the seconds from a to b, to 3 decimals (PostgreSQL 12's EXTRACT answers a double) */
#define STORE_PG_SECONDS(a, b) "round(CAST(EXTRACT(EPOCH FROM " b " - " a ") AS numeric), 3)"

/* the last error on d: a table does not exist (an etl_ table of a schema chacc never wrote) */
bool store_postgres_no_table(struct db *d);

/* store_postgres_schema.c */
int store_postgres_schema_version(struct store *st, char **err);
int store_postgres_schema_upgrade(struct store *st, char **err, char **note);
/* the name of the lock one upgrade of d's schema holds at a time (malloc'ed) */
char *store_postgres_schema_lock(struct db *d);

/* store_postgres_runs.c: runs and their targets */
long long store_postgres_run_begin(struct store *st, const char *mode, const char *selection,
                                   const char *started_by, const char *rev, bool dirty);
int store_postgres_run_end(struct store *st, long long run_id, const char *result);
int store_postgres_run_target_building(struct store *st, long long run_id, const char *target,
                                       const char *reason, const char *mode, double started,
                                       int attempts);
int store_postgres_run_target_record(struct store *st, long long run_id, const char *target,
                                     const char *reason, const char *mode, double started,
                                     double ended, long long rows, int attempts,
                                     const char *outcome, const char *error);
int store_postgres_run_target_unstarted(struct store *st, long long run_id, const char *target,
                                        const char *reason, const char *mode,
                                        const char *outcome, const char *error);
long store_postgres_runs_running(struct store *st, long long **ids);
int store_postgres_run_close_dead(struct store *st, long long run_id);
long store_postgres_building(struct store *st, struct store_building **out);

/* store_postgres_history.c: what the history, the metrics and prune read */
int store_postgres_now(struct store *st, char *out);
struct store_rows *store_postgres_runs(struct store *st, long limit);
struct store_rows *store_postgres_runs_find(struct store *st, const struct store_runs_filter *f,
                                            long long *total);
struct store_rows *store_postgres_run(struct store *st, long long id);
struct store_rows *store_postgres_run_targets(struct store *st, long long id);
struct store_rows *store_postgres_target_runs(struct store *st, const char *target, long limit);
struct store_rows *store_postgres_runs_by_result(struct store *st);
struct store_rows *store_postgres_target_totals(struct store *st);
struct store_rows *store_postgres_marker_stats(struct store *st);
int store_postgres_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                              long long *targets);
long long store_postgres_prune_deletes(struct store *st, const char *target, const char *before,
                                       const char *read_before, bool dry);

/* store_postgres_live.c: following runs as they go */
int store_postgres_live_read(struct store *st, const struct store_live_query *q,
                             struct store_live *out);

/* the lock named key of d's schema (advisory locks are per database) */
int store_postgres_lock(struct store *st, const char *key, double timeout);
void store_postgres_unlock(struct store *st, const char *key);

#endif
