/*
 * sched_impl.h: the scheduler as a state machine (sched.c), like ninja's Builder
 * over its CommandRunner. It owns the graph of one run and knows no
 * database and no thread: a runner builds its tasks (sched_pool.c: worker
 * threads; a fake in tests/check_sched.c), a store records what happened
 * (sched_store.c: etl_run_targets and the markers) and a clock tells the
 * time. Only the scheduler's thread calls these, and only it reads or
 * writes a task, but for what a runner reads of a task it was given (the
 * fields above `out`) and writes into its `out` before giving it back.
 */
#ifndef CHACC_SCHED_IMPL_H
#define CHACC_SCHED_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "schedule.h"

struct plan_item;
struct target;

enum task_state {
	T_IDLE,                  /* not planned in this run */
	T_WAITING,               /* planned: its needs are not all built, or not started yet */
	T_RUNNING,               /* a runner has it */
	T_RETRY,                 /* failed in a way that can pass: starts again at retry_at */
	T_DONE, T_FAILED, T_SKIPPED, T_PRUNED,
};

/* what a runner tells of one attempt */
struct sched_outcome {
	char *error;             /* NULL: built; else malloc'ed, the scheduler's once given back */
	bool transient;          /* the error can pass on retry (not killed, not stopped) */
	bool other_runner;       /* another runner built it while this one waited for its lock */
	bool not_started;        /* the run stopped before a worker began it */
	bool conflict;           /* transient: undone for a conflict with another transaction */
	long long rows, changed;
	/*
	 * built, but some sites of its group failed: how many, and why
	 * ("site 'b': ...; site 'c': ...", malloc'ed, the scheduler's once given back)
	 */
	int sites_failed;
	char *sites_error;
};

struct sched_task {
	struct plan_item *it;    /* reason and full as planned when it starts */
	size_t seq, total;       /* its "[seq/total]" when launched */
	int attempts;            /* 1 on its first start */
	bool last_try;           /* no retry after this attempt, but for a conflict */
	int conflicts;           /* attempts undone by a conflict: they use none of its retries */
	double started;          /* wall clock at its first start, for the history */
	double started_mono;     /* the clock's, for the timeout */
	struct sched_outcome out;
	/* the scheduler's alone */
	enum task_state state;
	size_t blocked;          /* needs not yet built */
	size_t order;            /* index in build order: priority in the ready queue */
	size_t heap;             /* position in the ready queue */
	double ended;            /* wall clock when it was given back */
	double retry_at;         /* T_RETRY: the clock's time of its next attempt */
	bool timed_out;
	char *error;             /* the last attempt's error */
};

enum sched_abort { SCHED_STOP, SCHED_TIMEOUT };

struct sched_runner {
	void *ctx;
	/* begin an attempt at t (one of at most s->jobs at a time) */
	void (*start)(void *ctx, struct sched_task *t);
	/* a task whose attempt ended; NULL once the clock reaches until, or on a wake */
	struct sched_task *(*wait)(void *ctx, double until);
	/* kill what t runs: the run stops, or t ran past its timeout (again while it runs) */
	void (*abort)(void *ctx, struct sched_task *t, enum sched_abort why);
	/* rows t has read so far, for the progress line */
	long long (*moved)(void *ctx, const struct sched_task *t);
};

struct sched_store {
	void *ctx;
	/* t ended: outcome "built", "up to date", "pruned", "failed" or "interrupted" */
	void (*record)(void *ctx, const struct sched_task *t, const char *outcome,
	               const char *error);
	/* t never started (skipped), error saying why or NULL */
	void (*unstarted)(void *ctx, const struct sched_task *t, const char *error);
	/* read t's marker again into the plan state (s->ps->markers) */
	void (*refresh)(void *ctx, const struct sched_task *t);
};

struct sched_clock {
	void *ctx;
	double (*now)(void *ctx);   /* seconds, monotonic: timeouts, retry delays, progress */
	double (*wall)(void *ctx);  /* seconds since the epoch: the history */
};

/* seconds to wait before attempt number attempts + 1 of a target */
double sched_retry_delay(const struct target *t, int attempts);
/*
 * attempts a task may lose to conflicts (deadlocks, a cluster's certification)
 * beyond its retries; each is tried again after 0.2s, then 0.4s, 0.8s, ...
 */
#define SCHED_CONFLICTS 5
/* whether t's attempt, undone by a conflict, is tried again apart from its retries */
bool sched_conflict_again(const struct sched_task *t);

/*
 * build the planned items (build order) with runner, recording in store;
 * the counts go to s. 0 all built, 1 a target (or a site) failed, 130 interrupted
 */
int sched_machine(struct sched *s, struct plan_item *items, size_t n,
                  const struct sched_runner *runner, const struct sched_store *store,
                  const struct sched_clock *clock);

/* the real store and the worker's part of a target's build (sched_store.c) */
struct db;
struct conns;
void sched_store_init(struct sched_store *st, struct sched *s);
/* kill a running build's queries: on the target (tgt_id) and its source (src_id), 0: none */
void sched_kill_queries(struct sched *s, const struct target *t, unsigned long tgt_id,
                        unsigned long src_id);
/*
 * a worker's: wait for t's lock in c's store (a stop or a timeout ends the wait
 * with -1 and *error); *skip when another runner built it meanwhile with
 * the definition hash and after seen_built_at. 0 or -1; *lockname malloc'ed
 */
int sched_lock_target(struct conns *c, const struct sched *s, const struct sched_task *t,
                      const char *hash, const char *seen_built_at, const atomic_bool *timed_out,
                      char **lockname, bool *skip, char **error, bool *transient);
void sched_unlock_target(struct conns *c, const char *lockname);
/* the history shows t building, with since when, until it ends */
void sched_note_building(struct conns *c, const struct sched *s, const struct sched_task *t);
/* t's build failed for good: its marker says so (status "failed" or "interrupted") */
void sched_note_failed(struct conns *c, const struct sched *s, const struct sched_task *t,
                       const char *status, const char *error, double seconds);
/* roll back what a killed build left open */
void sched_rollback(struct db *tgt);

#endif
