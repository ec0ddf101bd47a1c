/* schedule.h: running planned builds on N worker threads (DESIGN §5; sched_impl.h inside) */
#ifndef CHACC_SCHEDULE_H
#define CHACC_SCHEDULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

struct db;
struct recipe;
struct store;

struct sched {
	const struct recipe *r;
	struct plan_state *ps;   /* markers are refreshed as targets finish */
	struct db *main;         /* the scheduler's own target connection */
	struct store *store;     /* the recipe's store on main */
	int jobs;                /* -j */
	bool keep_going;         /* -k */
	bool no_restat;          /* --full-refresh, -B of all: nothing can be pruned */
	long long run_id;
	const char *rev;
	bool dirty;
	const char *since;       /* --since DATE */
	atomic_int *stop;        /* set by SIGINT/SIGTERM or a cancel, from any thread */
	bool run_lock;           /* main holds the run's lock for its life (store_lock_run) */
	double asked_at;         /* when the run was asked for, on the target's clock (ts_seconds), or 0 */
	/* results */
	int built, failed, skipped, pruned, interrupted;
	int uptodate;            /* built by another runner while this one waited for it */
	int sites_failed;        /* sites of groups whose read failed, their targets built */
	char *failed_sites;      /* them as "TARGET:SITE TARGET:SITE" (the caller frees), or NULL */
};

/*
 * build the planned items (in build order) on s->jobs workers; once *s->stop
 * is set no target starts, running queries are killed and what did not
 * start is recorded as skipped. 0 all built, 1 a target failed or a site of
 * a built target did (s->sites_failed), 130 interrupted
 */
int sched_run(struct sched *s, struct plan_item *items, size_t n);

/*
 * wake every running scheduler of the process to look at its stop flag: call
 * it after setting one (async-signal-safe: a signal handler may)
 */
void sched_wake(void);

#endif
