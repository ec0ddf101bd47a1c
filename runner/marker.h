/* marker.h: markers, watermarks and run history kept in the target database */
#ifndef CHACC_MARKER_H
#define CHACC_MARKER_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/* timestamps are "YYYY-MM-DD HH:MM:SS.ffffff" of the target server's clock, "" if none */
#define TS_LEN 27

/* what the target database says about one target */
struct marker {
	bool present;            /* a row in etl_metadata */
	bool table_exists;       /* its table is in the target database */
	char status[16];         /* ok, failed, interrupted, running */
	char built_at[TS_LEN];
	char changed_at[TS_LEN];
	char inputs_at[TS_LEN];
	char full_at[TS_LEN];
	char hash[65];           /* definition hash of the last build (its digest) */
	int hash_format;         /* ... made by target_hash_format() in this format (0: current) */
	long long rows;
	long long run_id;
	double duration;         /* seconds of the last build */
	char *error;             /* last error message, or NULL */
	bool has_watermark;
	char *watermark;         /* last watermark value of an incremental extract */
	bool window_open;
	char config_rev[48];
	/* whether a runner builds it now (its build lock is held): see report_check_building() */
	bool lock_checked;       /* the fields below were read */
	bool building;
	long long building_run;  /* the run that builds it, 0 if unknown */
	char building_since[TS_LEN]; /* when that build started, "" if unknown */
};

void marker_release(struct marker *m);
void marker_copy(struct marker *dst, const struct marker *src);

/*
 * read the marker of target (and whether its table exists); 0 or -1. The
 * etl_ tables may be of an older version (schema.h) or absent (no marker).
 */
int marker_load(struct db *d, const char *recipe, const char *target, struct marker *m);

/* record that target's build started in run (status running); 0 or -1 */
int marker_begin(struct db *d, const char *recipe, const char *target, long long run_id);

/*
 * record a finished build in the current transaction; hash is the digest of
 * target_hash() (stored with its format, HASH_FORMAT). changed: rows changed
 * (0 keeps changed_at); full: a full build (sets full_at, if it changed
 * anything: targets that need it go full after it). inputs_at is the
 * newest changed_at of the needs read before the build.
 */
int marker_finish(struct db *d, const char *recipe, const char *target, long long run_id,
                  const char *hash, const char *inputs_at, bool full, long long changed,
                  long long rows, double duration, const char *rev, bool dirty);
/* record a failed or interrupted build */
int marker_fail(struct db *d, const char *recipe, const char *target, long long run_id,
                const char *status, const char *error, double duration);
/* store the watermark of an incremental extract in the current transaction */
int marker_set_watermark(struct db *d, const char *recipe, const char *target, const char *source,
                         const char *column, const char *value, bool window_open);
/*
 * make a table that chacc did not build the target's own: a marker with the
 * definition hash MARKER_ADOPTED, so that its first build is full
 */
#define MARKER_ADOPTED "adopted"
int marker_adopt(struct db *d, const char *recipe, const char *target, long long rows);
/* forget a target: its marker and watermark */
int marker_delete(struct db *d, const char *recipe, const char *target);

/* runs */
long long run_begin(struct db *d, const char *recipe, const char *mode, const char *selection,
                    const char *started_by, const char *rev, bool dirty);
int run_end(struct db *d, long long run_id, const char *result);
int run_target_record(struct db *d, long long run_id, const char *target, const char *reason,
                      const char *mode, double started, double ended, long long rows,
                      int attempts, const char *outcome, const char *error);
/* a target of a run that never started: no times, no attempts */
int run_target_unstarted(struct db *d, long long run_id, const char *target, const char *reason,
                         const char *mode, const char *outcome, const char *error);

/*
 * a target of a run is building from started (seconds since the epoch), in
 * its attempt-th attempt: outcome 'building' until run_target_record() says
 * how it ended
 */
int run_target_building(struct db *d, long long run_id, const char *target, const char *reason,
                        const char *mode, double started, int attempts);
/* the runs with result 'running', of any recipe, into a malloc'ed *ids; their count or -1 */
long runs_running(struct db *d, long long **ids);
/*
 * close a run whose runner died as 'interrupted': its end, its targets still
 * 'building', and the markers it left 'running'; 1, 0 if it was not running
 * any more, or -1
 */
int run_close_dead(struct db *d, long long run_id);
/*
 * the targets of the recipe's running runs that are building: rows of target,
 * run_id, started_at ("YYYY-MM-DD HH:MM:SS.ffffff"); NULL on error
 */
struct dbres *run_targets_building(struct db *d, const char *recipe);
/* whether each of n GET_LOCK names is held by some connection, in one query; 0 or -1 */
int locks_used(struct db *d, char *const *names, size_t n, bool *used);

#endif
