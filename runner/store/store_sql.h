/*
 * store_sql.h: the store on a SQL target database, for every engine. The C
 * of the store (store_sql*.c) is the same for MariaDB/MySQL and PostgreSQL;
 * what differs is the SQL, which each engine gives as a struct store_sql
 * (store_mariadb*.c, store_postgres*.c). Both engines keep the same tables
 * with the same names and columns, in the connection's database (MariaDB)
 * or schema (PostgreSQL); times are read back as "YYYY-MM-DD HH:MM:SS.ffffff".
 *
 * Each string is a printf format for db_execf/db_queryf/db_value; the
 * comment says its arguments, in order (strings quoted by db_quote unless
 * said). An engine's format may leave out trailing arguments it does not need.
 */
#ifndef CHACC_STORE_SQL_H
#define CHACC_STORE_SQL_H

#include "store_impl.h"

struct db;

/*
 * the etl_ tables, in the order the store surveys and creates them: those of
 * version 1, etl_schema, then those later versions added
 */
enum store_sql_table {
	STORE_T_METADATA,
	STORE_T_WATERMARKS,
	STORE_T_RUNS,
	STORE_T_RUN_TARGETS,
	STORE_T_DELETES,
	STORE_T_SCHEMA,
	STORE_T_CHECKS,          /* version 3 */
	STORE_T_PROFILES,        /* version 3 */
	STORE_T_SITES,           /* version 4 */
	STORE_NTABLES
};

/* a migration step: statement sql brings table from the version before to version to */
struct store_sql_step {
	int to;
	enum store_sql_table table;
	const char *sql;
};

/* an engine's etl_ tables (store_sql_schema.c creates and migrates them) */
struct store_sql_schema {
	const char *ddl[STORE_NTABLES];      /* CREATE TABLE IF NOT EXISTS of each table */
	const char *index[STORE_NTABLES];    /* an index created after it, or NULL */
	const struct store_sql_step *steps;  /* the migrations, oldest first */
	size_t nsteps;
	/* the columns of the etl_ tables that exist: rows of (table, "col,col,..." in order);
	 * args: the names of the tables as a list of literals, schema */
	const char *survey;
	/* record version in etl_schema (args: int version, note), again: a new upgraded_at */
	const char *record;
	/* the DDL of an upgrade runs in one transaction, all or nothing */
	bool transactional;
};

struct store_sql {
	const char *engine;
	/* what holds the etl_ tables, in messages: "database", "schema" */
	const char *space;
	const struct store_sql_schema *schema;
	/* a quoted timestamp text as a value of a time column (arg: the literal) */
	const char *ts;
	/* a time column's value from seconds since the epoch (arg: double) */
	const char *epoch;

	/* markers (store_sql.c) */
	const char *marker_select;   /* the marker_row columns of a marker: recipe, target */
	const char *table_exists;    /* 1 when the table or view exists: name, schema */
	const char *marker_begin;    /* recipe, target, long long run_id */
	/*
	 * recipe, target, inputs_at (literal or NULL), int full, int HASH_FORMAT,
	 * hash (raw), rev (literal or NULL), int dirty, long long rows, long long
	 * run_id, long long duration_ms, int changed (rows changed: 1 or 0),
	 * int full_changed (full and changed: 1 or 0)
	 */
	const char *marker_finish;
	/* recipe, target, status, long long run_id, long long duration_ms, error */
	const char *marker_fail;
	/* the adopted marker: recipe, target, long long rows */
	const char *marker_adopt;
	/* recipe, target, source, column, value (literal or NULL), int window_open */
	const char *watermark_set;

	/* runs (store_sql_runs.c) */
	/* recipe, mode, selection, started_by, host, int pid, rev (literal or NULL), int dirty */
	const char *run_insert;
	/* the id run_insert gave, or NULL when run_insert returns it itself */
	const char *run_inserted;
	const char *run_end;         /* result, long long run_id */
	/*
	 * a row of etl_run_targets, replacing the run's row of the target:
	 * long long run_id, target, reason, mode, "started_at, ended_at" (SQL),
	 * rows (SQL), int attempts, outcome, error (literal or NULL)
	 */
	const char *target_put;
	const char *building;        /* target, run_id, started_at of building targets: recipe */

	/* history (store_sql_history.c) */
	/* the columns of a page of runs, FROM etl_runs (the caller adds WHERE ...) */
	const char *run_select;
	const char *run;             /* recipe, long long run_id */
	const char *run_targets;     /* long long run_id, recipe */
	const char *target_runs;     /* recipe, target, long limit */
	const char *target_totals;   /* recipe */
	const char *marker_stats;    /* recipe */
	/* remove the etl_run_targets (t) of the etl_runs (r) where (arg, SQL) holds */
	const char *prune_targets;
	const char *prune_runs;      /* remove the etl_runs r where (arg, SQL) holds */
	/* remove up to 10000 rows of etl_deletes, oldest first, where (arg, SQL) holds */
	const char *prune_deletes;

	/* checks and profiles (store_sql_checks.c) */
	/*
	 * a row of etl_checks in INSERT ... VALUES, checked now: recipe, run_id
	 * (SQL), target, check, severity, status, failing (SQL), samples, detail
	 * (literals or NULL), double seconds
	 */
	const char *check_row;
	/*
	 * the columns of a check result (run_id, target, check, severity, status,
	 * failing, samples, detail, seconds, checked_at) FROM etl_checks c, then
	 * the rest of the query (arg, SQL: JOIN, WHERE, ORDER BY)
	 */
	const char *check_select;
	/* a row of etl_profiles, profiled now: recipe, run_id (SQL), target, long long rows, json */
	const char *profile_insert;
	/* run_id, profiled_at, rows, profile of target, newest first: recipe, target, long limit */
	const char *profiles;
	/* remove up to 10000 rows of etl_checks, oldest first, where (arg, SQL) holds */
	const char *prune_checks;
	/* remove up to 10000 rows of etl_profiles, oldest first, where (arg, SQL) holds */
	const char *prune_profiles;

	/* sites (store_sql_sites.c) */
	/*
	 * the columns of a site (target, site, status, error_message, last_value,
	 * window_open, last_attempt_at, last_success_at, row_count, and the
	 * seconds from last_success_at to now) FROM etl_sites, then the rest of
	 * the query (arg, SQL: WHERE, ORDER BY)
	 */
	const char *site_select;
	/*
	 * a site read now, inserted or updated: recipe, target, site, watermark
	 * (literal or NULL), int window_open, rows (SQL)
	 */
	const char *site_ok;
	/*
	 * a site whose read failed now, inserted or updated (its last success and
	 * rows kept): recipe, target, site, status, error, watermark (literals or
	 * NULL), int window_open
	 */
	const char *site_failed;

	/* following runs (store_sql_live.c) */
	/* a run that ended since 2 seconds before the time: the time (literal) */
	const char *live_since;
	/* the columns store_live_add_row reads, after now and top: recipe, recipe, which (SQL) */
	const char *live;

	/*
	 * leases (store_lease.c): the locks of a cluster's nodes, where the
	 * engine's advisory locks stay on one node; NULL where none can be
	 */
	const char *lease_table;     /* CREATE TABLE IF NOT EXISTS etl_locks */
	/* holder, token, 1 when expired, of the lease, its row locked: name */
	const char *lease_read;
	const char *lease_insert;    /* a new lease: name, holder, int seconds */
	const char *lease_take;      /* the row taken over: holder, long long token, int seconds, name */
	/* the lease renewed while its token holds: database (identifier), int seconds, name,
	 * holder, long long token */
	const char *lease_renew;
	/*
	 * 1 while the lease is this holder's by token with more than some
	 * seconds to run: long long token, holder, int seconds, name
	 */
	const char *lease_check;
	/* the lease given up: database (identifier), name, holder, long long token */
	const char *lease_release;
	const char *lease_used;      /* the names of those held: names (a list of literals) */
};

/* a store on d speaking sql, d's engine's (store_mariadb_open, store_postgres_open) */
struct store *store_sql_open(struct db *d, const char *recipe, const struct store_sql *sql);
/* st's leases, when its locks are leases (a cluster), else NULL */
struct lease_set *store_sql_leases(struct store *st);
/* the SQL of st's engine */
const struct store_sql *store_sql_of(struct store *st);

/* the last error on d: a table does not exist (an etl_ table chacc never wrote) */
bool store_sql_no_table(struct db *d);
/*
 * the lock named key of d's database or schema (the engine's advisory
 * locks, or leases on a cluster); in_txn: within the caller's transaction,
 * which commits it (call store_sql_lock_ready before the transaction)
 */
int store_sql_lock(struct store *st, const char *key, double timeout);
int store_sql_lock_in(struct store *st, const char *key, bool in_txn);
int store_sql_lock_ready(struct store *st);
void store_sql_unlock(struct store *st, const char *key);
/* the name of key's lock in d's database (malloc'ed) */
char *store_sql_lock_name(struct db *d, const char *key);

/* store_lease.c: leases (see there); a set per store on a cluster */
struct lease_set;
struct lease_set *lease_set_new(struct db *d, const struct store_sql *sql);
void lease_set_free(struct lease_set *ls);
/* create etl_locks when missing (DDL: outside a transaction); 0 or -1 */
int lease_ready(struct lease_set *ls);
/* 1 taken, 0 held by another after timeout seconds, -1 error (on d); in_txn: see store_sql_lock_in */
int lease_take(struct lease_set *ls, const char *key, const char *name, double timeout,
               bool in_txn);
void lease_give(struct lease_set *ls, const char *key);
/* which of names[n] some runner holds; 0 or -1 */
int lease_used(struct lease_set *ls, char *const *names, size_t n, bool *used);
/* within the caller's transaction: the lease of key still ours for a while; 0 or -1 (*err) */
int lease_fence(struct lease_set *ls, const char *key, char **err);
/* the name of the lock one upgrade of d's etl_ tables holds at a time (malloc'ed) */
char *store_sql_schema_lock(struct db *d);

/* store_sql_schema.c */
int store_sql_schema_version(struct store *st, char **err);
int store_sql_schema_upgrade(struct store *st, char **err, char **note);

/* store_sql_runs.c: runs and their targets */
long long store_sql_run_begin(struct store *st, const char *mode, const char *selection,
                              const char *started_by, const char *rev, bool dirty);
int store_sql_run_end(struct store *st, long long run_id, const char *result);
int store_sql_run_target_building(struct store *st, long long run_id, const char *target,
                                  const char *reason, const char *mode, double started,
                                  int attempts);
int store_sql_run_target_record(struct store *st, long long run_id, const char *target,
                                const char *reason, const char *mode, double started,
                                double ended, long long rows, int attempts,
                                const char *outcome, const char *error);
int store_sql_run_target_unstarted(struct store *st, long long run_id, const char *target,
                                   const char *reason, const char *mode, const char *outcome,
                                   const char *error);
long store_sql_runs_running(struct store *st, long long **ids);
int store_sql_run_close_dead(struct store *st, long long run_id);
long store_sql_building(struct store *st, struct store_building **out);

/* store_sql_history.c: what the history, the metrics and prune read */
/* the rows of sql (malloc'ed, freed here); none when the etl_ tables do not exist yet */
struct store_rows *store_sql_rows(struct store *st, char *sql, const char *const *cols,
                                  size_t ncols);
/* the count sql answers (freed here); 0 when the etl_ table it reads does not exist yet */
int store_sql_count(struct db *d, long long *n, char *sql);
/* a timestamp text as a value of a time column, in st's engine (malloc'ed) */
char *store_sql_ts_value(struct store *st, const char *ts);
int store_sql_now(struct store *st, char *out);
struct store_rows *store_sql_runs(struct store *st, long limit);
struct store_rows *store_sql_runs_find(struct store *st, const struct store_runs_filter *f,
                                       long long *total);
struct store_rows *store_sql_run(struct store *st, long long id);
struct store_rows *store_sql_run_targets(struct store *st, long long id);
struct store_rows *store_sql_target_runs(struct store *st, const char *target, long limit);
struct store_rows *store_sql_runs_by_result(struct store *st);
struct store_rows *store_sql_target_totals(struct store *st);
struct store_rows *store_sql_marker_stats(struct store *st);
int store_sql_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                         long long *targets);
long long store_sql_prune_deletes(struct store *st, const char *target, const char *before,
                                  const char *read_before, bool dry);

/* store_sql_checks.c: the results of checks and the profiles of targets */
int store_sql_checks_record(struct store *st, long long run_id, const struct store_check *c,
                            size_t n);
struct store_rows *store_sql_checks_latest(struct store *st, const char *target);
struct store_rows *store_sql_checks_of_run(struct store *st, long long run_id);
int store_sql_profile_record(struct store *st, long long run_id, const char *target,
                             long long rows, const char *json);
struct store_rows *store_sql_profiles(struct store *st, const char *target, long limit);
int store_sql_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                           long long *profiles);

/* store_sql_sites.c: the sites of the extracts that read a group of sites */
long store_sql_sites_load(struct store *st, const char *target, struct store_site **out);
int store_sql_site_record(struct store *st, const struct store_site *s);
int store_sql_site_delete(struct store *st, const char *target, const char *site);

/* store_sql_live.c: following runs as they go */
int store_sql_live_read(struct store *st, const struct store_live_query *q,
                        struct store_live *out);

#endif
