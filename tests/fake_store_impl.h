/* fake_store_impl.h: the fake store's tables, shared by the files of the fake (fake_store*.c) */
#ifndef CHACC_FAKE_STORE_IMPL_H
#define CHACC_FAKE_STORE_IMPL_H

#include <pthread.h>
#include <stdbool.h>

#include "marker.h"
#include "store_impl.h"

struct fmarker {
	char *recipe, *target;
	struct marker m;         /* hash: stored as written, in .stored */
	char *stored;
	bool has_watermark;      /* unused here: watermarks are their own rows */
};

struct fwater {
	char *recipe, *target, *source, *column, *value;
	bool open;
};

struct frun {
	long long id;
	char *recipe, *mode, *selection, *started_by, *rev;
	bool dirty;
	char started_at[TS_LEN], ended_at[TS_LEN], result[16];
};

struct ftarget {
	long long run_id;
	char *target, *reason, *mode, *outcome, *error;
	char started_at[TS_LEN], ended_at[TS_LEN];
	bool has_rows;
	long long rows;
	int attempts;
};

struct fdelete {
	char *target;
	char at[TS_LEN];
};

struct fcheck {
	long long id, run_id;    /* run_id 0: none */
	char *recipe, *target, *check, *severity, *status, *samples, *detail;
	long long failing;       /* -1: not known */
	double seconds;
	char at[TS_LEN];
};

struct fprofile {
	long long id, run_id, rows;
	char *recipe, *target, *json;
	char at[TS_LEN];
};

struct fsite {
	char *recipe;
	struct store_site s;     /* lag: not kept, worked out when read */
};

struct flock {
	char *key;
	const struct store *holder;
};

struct fake_server {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* a lock was released */
	double clock;
	int version, fail;
	long long next_run;
	struct fmarker *markers;
	struct fwater *waters;
	struct frun *runs;
	struct ftarget *targets;
	struct fdelete *deletes;
	struct flock *locks;
	char **tables;
	size_t nmarkers, nwaters, nruns, ntargets, ndeletes, nlocks, ntables;
	struct fcheck *checks;   /* by id */
	struct fprofile *profiles;       /* by id */
	size_t nchecks, nprofiles;
	long long next_check;
	struct fsite *sites;
	size_t nsites;
};

struct fake {
	struct fake_server *srv;
	char error[256];
};

#define GROW(arr, n) ((arr) = xreallocarray((arr), (n) + 1, sizeof(*(arr))), \
                      memset(&(arr)[(n)], 0, sizeof(*(arr))), &(arr)[(n)++])
#define DUP(s) ((s) ? xstrdup(s) : NULL)

/* lock the server for one call; NULL (with the store's error) when a failure is injected */
struct fake_server *fake_enter(struct store *st);
void fake_leave(struct fake_server *srv);
/* t (seconds since the epoch) as a timestamp, into out[TS_LEN] */
void fake_ts_of(double t, char *out);
/* the server's clock as a timestamp, into out[TS_LEN] */
void fake_now_ts(struct fake_server *srv, char *out);
double fake_seconds_of(const char *ts);
struct frun *fake_find_run(struct fake_server *srv, long long id);
/* delete (unless dry) target's rows of etl_deletes older than before (NULL: all); their count */
long long fake_drop_deletes(struct fake_server *srv, const char *target, const char *before,
                            bool dry);
int fake_by_name(const void *a, const void *b);
/* take lock key for st, waiting up to timeout seconds; the server is entered. 1 or 0 */
int fake_take(struct fake_server *srv, struct store *st, const char *key, double timeout);

/* fake_store_runs.c */
long long fake_run_begin(struct store *st, const char *mode, const char *selection,
                         const char *started_by, const char *rev, bool dirty);
int fake_run_end(struct store *st, long long run_id, const char *result);
int fake_run_target_building(struct store *st, long long run_id, const char *target,
                             const char *reason, const char *mode, double started, int attempts);
int fake_run_target_record(struct store *st, long long run_id, const char *target,
                           const char *reason, const char *mode, double started, double ended,
                           long long rows, int attempts, const char *outcome, const char *error);
int fake_run_target_unstarted(struct store *st, long long run_id, const char *target,
                              const char *reason, const char *mode, const char *outcome,
                              const char *error);
long fake_runs_running(struct store *st, long long **ids);
int fake_run_close_dead(struct store *st, long long run_id);
long fake_building(struct store *st, struct store_building **out);
int fake_now(struct store *st, char *out);
struct store_rows *fake_runs(struct store *st, long limit);
struct store_rows *fake_runs_find(struct store *st, const struct store_runs_filter *f,
                                  long long *total);
struct store_rows *fake_run(struct store *st, long long id);
struct store_rows *fake_run_targets(struct store *st, long long id);
struct store_rows *fake_target_runs(struct store *st, const char *target, long limit);
struct store_rows *fake_runs_by_result(struct store *st);
struct store_rows *fake_target_totals(struct store *st);
struct store_rows *fake_marker_stats(struct store *st);
int fake_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                    long long *targets);
long long fake_prune_deletes(struct store *st, const char *target, const char *before,
                             const char *read_before, bool dry);

/* fake_store_checks.c */
int fake_checks_record(struct store *st, long long run_id, const struct store_check *c,
                       size_t n);
struct store_rows *fake_checks_latest(struct store *st, const char *target);
struct store_rows *fake_checks_of_run(struct store *st, long long run_id);
int fake_profile_record(struct store *st, long long run_id, const char *target,
                        long long rows, const char *json);
struct store_rows *fake_profiles(struct store *st, const char *target, long limit);
int fake_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                      long long *profiles);
/* free the server's checks and profiles */
void fake_checks_free(struct fake_server *srv);

/* fake_store_sites.c */
long fake_sites_load(struct store *st, const char *target, struct store_site **out);
int fake_site_record(struct store *st, const struct store_site *s);
int fake_site_delete(struct store *st, const char *target, const char *site);
/*
 * forget site of target (NULL: every site of target): of recipe (mine) or of
 * every other recipe; the server is entered
 */
void fake_sites_forget(struct fake_server *srv, const char *recipe, const char *target,
                       const char *site, bool mine);
/* whether recipe has a site of target; the server is entered */
bool fake_sites_has(struct fake_server *srv, const char *recipe, const char *target);
/* free the server's sites */
void fake_sites_free(struct fake_server *srv);

/* fake_store_live.c */
int fake_live_read(struct store *st, const struct store_live_query *q, struct store_live *out);

#endif
