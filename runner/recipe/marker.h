/* marker.h: what the target database says about one target (read and written by store.h) */
#ifndef CHACC_MARKER_H
#define CHACC_MARKER_H

#include <stdbool.h>

/* timestamps are "YYYY-MM-DD HH:MM:SS.ffffff" of the target server's clock, "" if none */
#define TS_LEN 27

/* what the target database says about one target */
struct marker {
	bool present;            /* a row in etl_metadata */
	bool table_exists;       /* its table is in the target database */
	char status[16];         /* ok, failed, interrupted, running, MARKER_CHECK_FAILED */
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
	char *watermark_column;  /* the column it is of, or MARKER_LOG_POSITION */
	bool window_open;
	char config_rev[48];
	/* whether a runner builds it now (its build lock is held): see report_check_building() */
	bool lock_checked;       /* the fields below were read */
	bool building;
	long long building_run;  /* the run that builds it, 0 if unknown */
	char building_since[TS_LEN]; /* when that build started, "" if unknown */
};

/*
 * the definition hash of a marker that made a table chacc did not build its
 * own (build --adopt): its first build is full
 */
#define MARKER_ADOPTED "adopted"

/*
 * the status of a target whose last build failed its checks: its table and
 * the rest of its marker are those of the build before (DESIGN §10: checks)
 */
#define MARKER_CHECK_FAILED "check failed"

/*
 * the column of a watermark that is a position in the source's log of
 * changes (change capture, incremental.changes): "FILE:OFFSET" of its binary
 * log, read up to there by the last build
 */
#define MARKER_LOG_POSITION "(binlog)"

/* the position in the source's log the last build read up to, or NULL */
const char *marker_log_position(const struct marker *m);

/* the live table is what the last finished build made: status ok, or its checks failed */
bool marker_intact(const struct marker *m);

void marker_release(struct marker *m);
/* set hash and hash_format from a stored hash: "2:<hex>", or a bare digest of format 1 */
void marker_set_hash(struct marker *m, const char *stored);

#endif
