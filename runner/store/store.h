/*
 * store.h: what chacc keeps in the target database about targets and runs
 * (DESIGN §4): markers and watermarks, runs and their targets, the locks
 * runners take, the version of these tables, and the history read back. One
 * implementation per engine (store_mariadb*.c, store_postgres*.c) behind
 * struct store_ops (store_impl.h); the code above calls only these functions
 * and writes no SQL.
 */
#ifndef CHACC_STORE_H
#define CHACC_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "marker.h"

struct db;
struct store;

/*
 * the store of recipe on the target connection d (kept open by the caller,
 * and used by one thread at a time, as d is)
 */
struct store *store_open(struct db *d, const char *recipe);
void store_close(struct store *st);
/* the last error of a store call that failed */
const char *store_error(struct store *st);
/* the recipe whose markers and runs it reads and writes */
const char *store_recipe(const struct store *st);

/*
 * the version of the etl_ tables, changing nothing: 0 when there is none, an
 * older version that the next build migrates, or a newer one. A table of one
 * of these names whose columns no version of chacc made (left by another
 * tool) is refused: -1 with *err naming it.
 */
int store_schema_version(struct store *st, char **err);
/*
 * create the etl_ tables on a database that has none, or migrate older ones
 * in place to SCHEMA_VERSION (schema.h), one runner at a time. Returns 1 when
 * it changed something, 0 when they were up to date, -1 with *err (a foreign
 * table, a newer version, a failed statement). *note is set (malloc'ed) to a
 * line for the user when older tables were migrated.
 */
int store_schema_upgrade(struct store *st, char **err, char **note);

/*
 * markers. The tables may be of an older version (schema.h) or absent: a
 * target has no marker then, and a read answers nothing.
 */
/* read the marker of target (and whether its table exists); 0 or -1 */
int store_marker_load(struct store *st, const char *target, struct marker *m);
/* the recipe whose marker names target (this one first), "" when none; malloc'ed, NULL on error */
char *store_marker_owner(struct store *st, const char *target);
/* record that target's build started in run (status running); 0 or -1 */
int store_marker_begin(struct store *st, const char *target, long long run_id);
/*
 * record a finished build in the current transaction; hash is the digest of
 * target_hash() (stored with its format, HASH_FORMAT). changed: rows changed
 * (0 keeps changed_at); full: a full build (sets full_at, if it changed
 * anything: targets that need it go full after it). inputs_at is the
 * newest changed_at of the needs read before the build.
 */
int store_marker_finish(struct store *st, const char *target, long long run_id,
                        const char *hash, const char *inputs_at, bool full, long long changed,
                        long long rows, double duration, const char *rev, bool dirty);
/* record a failed or interrupted build (status "failed" or "interrupted") */
int store_marker_fail(struct store *st, const char *target, long long run_id,
                      const char *status, const char *error, double duration);
/*
 * make a table that chacc did not build the target's own: a marker with the
 * definition hash MARKER_ADOPTED (marker.h), taken from any other recipe
 */
int store_marker_adopt(struct store *st, const char *target, long long rows);
/* forget a target: its marker, watermark and sites */
int store_marker_delete(struct store *st, const char *target);
/* the targets with a marker or watermark of the recipe, sorted, into *names; their count or -1 */
long store_marker_targets(struct store *st, char ***names);
/* store the watermark of an incremental extract in the current transaction */
int store_watermark_set(struct store *st, const char *target, const char *source,
                        const char *column, const char *value, bool window_open);

/* what the store keeps for one target (clean and prune) */
struct store_kept {
	bool marker, watermark;  /* rows of this recipe (watermark: its own or its sites') */
	bool others;             /* another recipe has a marker of that name */
	long long deletes;       /* its rows in etl_deletes (counted when asked, else 0) */
};
int store_kept(struct store *st, const char *target, bool count_deletes, struct store_kept *k);
/* delete the target's rows of etl_deletes; 0 or -1 */
int store_deletes_drop(struct store *st, const char *target);

/* runs */
/*
 * record a run of the recipe (result 'running') and take its run lock in one
 * step, so that no other runner sees the run without its lock: the run id, or
 * -1. The lock is held until store_unlock_run() or the connection ends.
 */
long long store_run_begin(struct store *st, const char *mode, const char *selection,
                          const char *started_by, const char *rev, bool dirty);
/*
 * record the end of a run: result "success", "failed", "interrupted", or
 * RUN_NOTHING_TO_DO for a build that found every target up to date
 */
#define RUN_NOTHING_TO_DO "nothing to do"
int store_run_end(struct store *st, long long run_id, const char *result);
/*
 * a target of a run is building from started (seconds since the epoch), in
 * its attempt-th attempt: outcome 'building' until store_run_target_record()
 * says how it ended
 */
int store_run_target_building(struct store *st, long long run_id, const char *target,
                              const char *reason, const char *mode, double started,
                              int attempts);
int store_run_target_record(struct store *st, long long run_id, const char *target,
                            const char *reason, const char *mode, double started, double ended,
                            long long rows, int attempts, const char *outcome,
                            const char *error);
/* a target of a run that never started: no times, no attempts */
int store_run_target_unstarted(struct store *st, long long run_id, const char *target,
                               const char *reason, const char *mode, const char *outcome,
                               const char *error);
/* the runs with result 'running', of any recipe, into a malloc'ed *ids; their count or -1 */
long store_runs_running(struct store *st, long long **ids);
/*
 * close a run whose runner died as 'interrupted': its end, its targets still
 * 'building', and the markers it left 'running'; 1, 0 if it was not running
 * any more, or -1
 */
int store_run_close_dead(struct store *st, long long run_id);

/* a target of one of the recipe's running runs that is building */
struct store_building {
	char *target;
	long long run_id;
	char since[TS_LEN];      /* when its build started, "" if unknown */
};
/* the building targets of the recipe's running runs, by run; their count or -1 */
long store_building(struct store *st, struct store_building **out);
void store_building_free(struct store_building *b, long n);

/*
 * locks, held by this store's connection until unlocked or the connection
 * ends. A take answers 1 (taken), 0 (another connection holds it) or -1.
 */
/* the lock that guards a target's build, waiting up to timeout seconds */
int store_lock_build(struct store *st, const char *target, double timeout);
void store_unlock_build(struct store *st, const char *target);
/* the lock a run holds for its life, so that a later runner can tell a dead run */
int store_lock_run(struct store *st, long long run_id);
void store_unlock_run(struct store *st, long long run_id);
/* the lock of the scheduled run (build --scheduled), one at a time per database */
int store_lock_scheduled(struct store *st);
void store_unlock_scheduled(struct store *st);
/*
 * before a build publishes (in its transaction, or just before a swap): 0
 * when this runner still holds the target's lock, -1 with *err (malloc'ed)
 * when it lost it (a lease that expired while the runner was paused or cut
 * off: another may build the target now). Always 0 with advisory locks.
 */
int store_fence_build(struct store *st, const char *target, char **err);
/* whether some connection holds the build lock of each of n targets; 0 or -1 */
int store_builds_locked(struct store *st, char *const *targets, size_t n, bool *used);
/* whether some connection holds the run lock of each of n runs; 0 or -1 */
int store_runs_locked(struct store *st, const long long *ids, size_t n, bool *used);

/*
 * the history, as tables of strings: column names, then rows (NULL for
 * none). The columns are those of DESIGN §10 (history --json).
 */
struct store_rows {
	size_t ncols, nrows;
	char **names;            /* [ncols] */
	char **cells;            /* [nrows * ncols] */
};
const char *store_rows_get(const struct store_rows *r, size_t row, size_t col);
void store_rows_free(struct store_rows *r);

/* the store server's clock, "YYYY-MM-DD HH:MM:SS.ffffff", into out[TS_LEN]; 0 or -1 */
int store_now(struct store *st, char *out);
/* the newest runs of the recipe, newest first (limit <= 0: 20); NULL on error */
struct store_rows *store_runs(struct store *st, long limit);
/*
 * which runs store_runs_find reads (store_find.c): fields NULL or "" match
 * any run; from and until are "YYYY-MM-DD HH:MM:SS" as store_runs_filter_parse
 * makes them, a run matches when from <= its start < until
 */
struct store_runs_filter {
	const char *mode;        /* a run mode: STORE_RUN_MODES */
	const char *result;      /* a run result: STORE_RUN_RESULTS */
	const char *from, *until;
	long limit, offset;      /* the page: limit <= 0 is 20 */
};
#define STORE_RUN_MODES "incremental, full-refresh, forced, scheduled or test"
#define STORE_RUN_RESULTS "success, failed, interrupted, nothing to do or running"
/*
 * the filter of the history from what a user wrote (NULL or "": any): a
 * mode, a result, a first day and a last day (YYYY-MM-DD, the whole day) or
 * times ('YYYY-MM-DD HH:MM[:SS]', a T for the space too; until is then
 * before it). The timestamps are written into from_ts and until_ts
 * (TS_LEN each). names are how the caller calls the four ("mode", "--mode"):
 * 0, or -1 with *err (malloc'ed) naming the one that is wrong
 */
int store_runs_filter_parse(struct store_runs_filter *f, const char *const names[4],
                            const char *mode, const char *result, const char *from,
                            const char *until, char *from_ts, char *until_ts, char **err);
/* the recipe's runs that match f, newest first, one page; *total: how many match. NULL on error */
struct store_rows *store_runs_find(struct store *st, const struct store_runs_filter *f,
                                   long long *total);
/* run id of the recipe (no row when there is none); NULL on error */
struct store_rows *store_run(struct store *st, long long id);
/* the targets of run id of the recipe, by start; NULL on error */
struct store_rows *store_run_targets(struct store *st, long long id);
/* the newest builds of one target, with their run's mode and who started it */
struct store_rows *store_target_runs(struct store *st, const char *target, long limit);
/* metrics: runs by result (result, count) */
struct store_rows *store_runs_by_result(struct store *st);
/* metrics: per target (target, built, failed, build seconds, timed builds) */
struct store_rows *store_target_totals(struct store *st);
/* metrics: per marker (target, rows, last duration seconds, last success unix time, ok) */
struct store_rows *store_marker_stats(struct store *st);

/*
 * prune: the recipe's runs (not running) that ended before before
 * ("YYYY-MM-DD HH:MM:SS"), counted and, unless dry, deleted with their targets
 */
int store_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                     long long *targets);
/*
 * prune: the target's rows of etl_deletes older than before and than
 * read_before (when not NULL), counted and, unless dry, deleted in batches;
 * their count or -1
 */
long long store_prune_deletes(struct store *st, const char *target, const char *before,
                              const char *read_before, bool dry);


/*
 * checks and profiles (etl_checks, etl_profiles: schema version 3)
 */
/* one check's result as etl_checks keeps it */
struct store_check {
	const char *target;
	const char *check;       /* its name */
	const char *severity;    /* "error" or "warn" */
	const char *status;      /* "pass", "warn", "fail" or "error" */
	long long failing;       /* failing rows, -1 not known */
	const char *samples;     /* JSON array of sample keys, or NULL */
	const char *detail;      /* what failed, or NULL */
	double seconds;
};
/*
 * record the results of run_id's checks (outside any transaction of a build),
 * all or none; run_id <= 0: checks outside a run (chacc test). 0 or -1
 */
int store_checks_record(struct store *st, long long run_id, const struct store_check *c, size_t n);
/*
 * the latest result of each check of target (NULL: of every target), by
 * target and check: columns run_id, target, check, severity, status,
 * failing, samples, detail, seconds, checked_at (run_id, failing, samples
 * and detail NULL when none). NULL on error; no rows on tables older than
 * version 3
 */
struct store_rows *store_checks_latest(struct store *st, const char *target);
/* the results of run run_id, the same columns, by target and check. NULL on error */
struct store_rows *store_checks_of_run(struct store *st, long long run_id);
/* record target's profile (JSON of profile_to_json) of run run_id (<= 0: none); 0 or -1 */
int store_profile_record(struct store *st, long long run_id, const char *target, long long rows,
                         const char *json);
/*
 * the newest profiles of target, newest first (limit <= 0: 1): columns
 * run_id, profiled_at, rows, profile (JSON). NULL on error
 */
struct store_rows *store_profiles(struct store *st, const char *target, long limit);
/*
 * prune: the recipe's etl_checks and etl_profiles rows older than before,
 * counted and, unless dry, deleted; the newest of each (target, check) and
 * each target's newest profile are kept. 0 or -1
 */
int store_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                       long long *profiles);

/*
 * sites (etl_sites: schema version 4): per target reading from a group of
 * sites, one row per site with its watermark and how its last read went
 */
struct store_site {
	char *target;
	char *site;
	char status[16];         /* "ok" or "failed" */
	char *error;             /* why its last read failed, or NULL */
	char *watermark;         /* its rows' watermark, NULL: read it in full next time */
	bool window_open;        /* its lookback window (DESIGN §3) was open at its last read */
	char last_attempt[TS_LEN];   /* when it was last read ("" never) */
	char last_success[TS_LEN];   /* when a read of it last succeeded ("" never) */
	long long rows;          /* rows it read at its last success, -1 unknown */
	double lag;              /* seconds from last_success to the server's clock, -1 never */
};
/*
 * the sites recorded for target (NULL: of every target of the recipe), by
 * target and site, into *out; their count or -1. No rows on tables older
 * than version 4
 */
long store_sites_load(struct store *st, const char *target, struct store_site **out);
void store_sites_free(struct store_site *s, long n);
/*
 * record how site s->site of s->target was read, in the current transaction:
 * status "ok" sets last_attempt and last_success to the server's clock and
 * takes s's watermark, window and rows; "failed" sets last_attempt and error
 * and takes s's watermark and window (the ones it had, or NULL to read it in
 * full next time), keeping last_success and rows. 0 or -1
 */
int store_site_record(struct store *st, const struct store_site *s);
/* forget site of target (it left its group), or every site of target (site NULL); 0 or -1 */
int store_site_delete(struct store *st, const char *target, const char *site);

/*
 * following runs as they go (the web UI's live events): in one read, the
 * runs of the recipe that are new (an id above q->after), running, ended
 * since q->since (the server's clock of the previous read, "" for none; a
 * run that ended up to 2 seconds before it too, as its end may have been
 * committed after that read) or named in q->ids, each with its targets. The first read of a follower
 * (q->after < 0) gives the running runs only. out->top is the newest run id
 * of the recipe (0: none) and out->now the server's clock: the next read's
 * after and since. Tables that do not exist yet give no runs. 0 or -1.
 */
struct store_live_query {
	long long after;
	const char *since;
	const long long *ids;
	size_t nids;
};
struct store_live_target {
	char *target, *outcome;
	char *reason, *mode, *error;     /* NULL when none */
	char started_at[TS_LEN], ended_at[TS_LEN];   /* "" when none */
	long long rows;          /* rows of its table after the build; -1 when not known */
	double seconds;          /* its build's time; -1 while it builds or when it never started */
	int attempts;
	int changed;             /* the build changed its table's rows: 1, 0, -1 not known */
};
struct store_live_run {
	long long run_id;
	char *result, *mode;
	char *selection, *started_by;    /* NULL when none */
	char started_at[TS_LEN], ended_at[TS_LEN];
	double seconds;          /* -1 while it runs */
	struct store_live_target *targets;   /* by start, those not started last */
	size_t ntargets;
};
struct store_live {
	long long top;
	char now[TS_LEN];
	struct store_live_run *runs; /* by run id */
	size_t nruns;
};
int store_live_read(struct store *st, const struct store_live_query *q, struct store_live *out);
void store_live_release(struct store_live *l);

#endif
