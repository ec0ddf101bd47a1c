/*
 * sched_pool.c: the real runner of the scheduler (sched_impl.h): worker threads
 * that build with their own connections. A task is the scheduler's but
 * while a worker runs it: the pool's lock hands it over (queue) and back
 * (finished), and a byte in the scheduler's pipe wakes it. Across that line
 * only atomics: the stop flag, the rows moved, a timeout, and the server
 * thread ids of a build's queries, which the scheduler kills through its
 * own connection.
 */
#include "schedule.h"
#include "sched_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "plan.h"
#include "recipe.h"
#include "util.h"

/* a task's worker side, by node id */
struct slot {
	struct sched_task *t;
	struct build_req req;
	struct build_res res;
	char hash[65];
	char inputs_at[TS_LEN];
	char prev_inputs_at[TS_LEN];
	char seen_built_at[TS_LEN]; /* the marker's built_at when planned */
	char *watermark;
	atomic_bool timed_out;   /* set by the scheduler, read by the worker */
	/* held while the scheduler kills its queries: the worker waits it out before its marker */
	pthread_mutex_t kill_mu;
	struct slot *next;       /* queue link */
};

struct pool {
	struct sched *s;
	bool quiet;              /* the run's log_quiet(), for its workers */
	struct slot *slots;
	size_t nslots;
	pthread_mutex_t mu;
	pthread_cond_t work;
	struct slot *queue, *finished;
	bool closing;
	int wake[2];             /* workers and sched_wake() write; the scheduler polls */
	int wake_slot;           /* its place in the process's list, -1: none */
};

/*
 * every scheduler's pipe in the process, for sched_wake(), which a signal
 * handler may call: its write ends are read with atomics and never closed
 * (a pipe freed by one run is the next one's)
 */
#define NWAKE 64
static int wake_pipes[NWAKE][2];
static atomic_int wake_fd[NWAKE];   /* write end + 1 of a running scheduler's pipe; 0: none */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;

void
sched_wake(void)
{
	for (int i = 0; i < NWAKE; i++) {
		int fd = atomic_load(&wake_fd[i]) - 1;

		if (fd >= 0 && write(fd, "", 1) < 0) {
			/* full: it is awake anyway */
		}
	}
}

static int
pipe_open(int fd[2])
{
	if (pipe(fd) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
		fcntl(fd[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

static void
drain(int fd)
{
	char b[64];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

/* a pipe of the process's list, or one of its own if all are taken */
static int
wake_open(struct pool *p)
{
	p->wake_slot = -1;
	pthread_mutex_lock(&wake_mu);
	for (int i = 0; i < NWAKE && p->wake_slot < 0; i++) {
		if (atomic_load(&wake_fd[i]) != 0)
			continue;
		if (wake_pipes[i][1] == 0 && pipe_open(wake_pipes[i]) < 0)
			break;
		drain(wake_pipes[i][0]);
		p->wake[0] = wake_pipes[i][0];
		p->wake[1] = wake_pipes[i][1];
		atomic_store(&wake_fd[i], wake_pipes[i][1] + 1);
		p->wake_slot = i;
	}
	pthread_mutex_unlock(&wake_mu);
	return p->wake_slot >= 0 ? 0 : pipe_open(p->wake);
}

static void
wake_close(struct pool *p)
{
	if (p->wake_slot >= 0) {
		pthread_mutex_lock(&wake_mu);
		atomic_store(&wake_fd[p->wake_slot], 0);
		pthread_mutex_unlock(&wake_mu);
	} else {
		close(p->wake[0]);
		close(p->wake[1]);
	}
}

static bool
stopped(const struct sched *s)
{
	return s->stop && atomic_load(s->stop);
}

static void
push(struct slot **q, struct slot *sl)
{
	sl->next = NULL;
	while (*q)
		q = &(*q)->next;
	*q = sl;
}

static struct slot *
pop(struct slot **q)
{
	struct slot *sl = *q;

	if (sl)
		*q = sl->next;
	return sl;
}

static struct slot *
slot_of(struct pool *p, const struct sched_task *t)
{
	return &p->slots[t->it->n->id];
}

/* connect, lock and build: the result's error says what failed */
static bool
build_locked(struct pool *p, struct conns *c, struct slot *sl, char **lockname)
{
	struct sched *s = p->s;
	const struct target *tg = sl->t->it->n->t;
	char *err = NULL;
	bool skip = false;

	if (!c->tgt && conns_open(c, s->r, &err) < 0) {
		sl->res.error = xasprintf("target '%s': %s", tg->name, err);
		sl->res.transient = c->why != DB_ERR_ACCESS;
		free(err);
		return false;
	}
	if (sched_lock_target(c, s, sl->t, sl->hash, sl->seen_built_at, &sl->timed_out,
	                      lockname, &skip, &sl->res.error, &sl->res.transient) < 0)
		return false;
	if (skip) {
		sl->t->out.other_runner = true;
		return true;
	}
	sched_note_building(c, s, sl->t);
	build_run(c, &sl->req, &sl->res);
	return true;
}

/* one attempt at a task; what it tells goes to t->out */
static void
run_attempt(struct pool *p, struct conns *c, struct slot *sl)
{
	struct sched *s = p->s;
	struct sched_task *t = sl->t;
	const struct target *tg = t->it->n->t;
	char *lockname = NULL;
	bool locked, retry;

	locked = build_locked(p, c, sl, &lockname) && !t->out.other_runner;
	/* a KILL QUERY of this build still on its way would hit the statements below */
	pthread_mutex_lock(&sl->kill_mu);
	pthread_mutex_unlock(&sl->kill_mu);
	if (sl->res.error && c->tgt)
		sched_rollback(c->tgt);  /* in case a kill cut the build's own rollback */
	retry = sl->res.error && sl->res.transient && !sl->res.killed &&
	        !atomic_load(&sl->timed_out) && !stopped(s);
	/*
	 * a build that fails for good says so in its marker: only the runner
	 * that holds the target's lock writes it, and not over a table that is
	 * not this recipe's
	 */
	t->out.conflict = retry && sl->res.conflict;
	if (sl->res.error && locked && !sl->res.foreign &&
	    (!retry || (t->last_try && !sched_conflict_again(t)))) {
		const char *status = stopped(s) ? "interrupted" : "failed";

		/* the live table is the last good build's: the next build need not be full */
		if (sl->res.checks_failed && sl->req.prev_ok)
			status = MARKER_CHECK_FAILED;

		if (atomic_load(&sl->timed_out)) {
			free(sl->res.error);
			sl->res.error = xasprintf("target '%s': timed out after %.0fs", tg->name,
			                          tg->timeout);
			status = "failed";
		}
		sched_note_failed(c, s, t, status, sl->res.error, mono_seconds() - t->started_mono);
	}
	if (c->tgt)
		sched_unlock_target(c, lockname);
	free(lockname);
	if (retry)
		conns_close(c);  /* the next attempt connects again */
	t->out.error = sl->res.error;
	sl->res.error = NULL;
	t->out.transient = retry;
	t->out.rows = sl->res.rows;
	t->out.changed = sl->res.changed;
	t->out.sites_failed = sl->res.sites_failed;
	t->out.sites_error = sl->res.sites_error;
	sl->res.sites_error = NULL;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct conns c = { 0 };
	char *err = NULL;

	log_set_quiet(p->quiet);
	if (conns_open(&c, p->s->r, &err) < 0) {
		free(err);
		conns_close(&c);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct slot *sl;

		while (!p->queue && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		if (!p->queue && p->closing)
			break;
		sl = pop(&p->queue);
		pthread_mutex_unlock(&p->mu);
		/* a stop between its launch and now: it never begins */
		if (stopped(p->s))
			sl->t->out.not_started = true;
		else
			run_attempt(p, &c, sl);
		pthread_mutex_lock(&p->mu);
		push(&p->finished, sl);
		if (write(p->wake[1], "", 1) < 0) {
			/* the pipe is full: the scheduler is awake anyway */
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (c.r)
		conns_close(&c);
	return NULL;
}

/* newest changed_at among a node's needs */
static void
newest_input(struct plan_state *ps, struct node *n, char out[TS_LEN])
{
	out[0] = '\0';
	for (size_t i = 0; i < n->nneeds; i++) {
		const char *c = ps->markers[n->needs[i]->id].changed_at;

		if (strcmp(c, out) > 0)
			snprintf(out, TS_LEN, "%s", c);
	}
}

/* the build request of an attempt, from the plan and the markers as the scheduler has them */
static void
req_fill(struct pool *p, struct slot *sl)
{
	struct sched *s = p->s;
	struct plan_state *ps = s->ps;
	struct node *nd = sl->t->it->n;
	const struct marker *m = &ps->markers[nd->id];
	bool ok = marker_intact(m);

	memcpy(sl->hash, ps->hashes[nd->id], sizeof(sl->hash));
	newest_input(ps, nd, sl->inputs_at);
	snprintf(sl->prev_inputs_at, TS_LEN, "%s", m->inputs_at);
	snprintf(sl->seen_built_at, TS_LEN, "%s", m->built_at);
	free(sl->watermark);
	sl->watermark = m->watermark ? xstrdup(m->watermark) : NULL;
	free(sl->res.error);
	free(sl->res.sites_error);
	sl->res = (struct build_res){ 0 };
	sl->req = (struct build_req){
		.recipe = s->r->name, .t = nd->t, .reason = sl->t->it->reason, .full = sl->t->it->full,
		.hash = sl->hash, .inputs_at = sl->inputs_at, .prev_inputs_at = sl->prev_inputs_at,
		.since = s->since, .stop = s->stop, .run_id = s->run_id,
		.prev_ok = ok,
		/* nothing in the recipe reads the change stamps of a target no one needs */
		.no_restat = s->no_restat || nd->nusers == 0,
		.prev_rows = m->present && m->rows >= 0 && ok ? m->rows : -1,
		.rev = s->rev, .dirty = s->dirty, .jobs = s->jobs,
	};
	/* a watermark that is a position in the source's binary log is no watermark */
	if (marker_log_position(m))
		sl->req.position = sl->watermark;
	else
		sl->req.watermark = sl->watermark;
}

static void
pool_start(void *ctx, struct sched_task *t)
{
	struct pool *p = ctx;
	struct slot *sl = slot_of(p, t);

	sl->t = t;
	if (t->attempts == 1)
		atomic_store(&sl->timed_out, false);
	req_fill(p, sl);
	pthread_mutex_lock(&p->mu);
	push(&p->queue, sl);
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

static struct sched_task *
pool_wait(void *ctx, double until)
{
	struct pool *p = ctx;
	struct slot *sl;
	struct pollfd pfd = { .fd = p->wake[0], .events = POLLIN };
	double left = until - mono_seconds();

	pthread_mutex_lock(&p->mu);
	sl = pop(&p->finished);
	pthread_mutex_unlock(&p->mu);
	if (sl)
		return sl->t;
	if (left > 0 && poll(&pfd, 1, (int)(left * 1000) + 1) > 0)
		drain(p->wake[0]);
	pthread_mutex_lock(&p->mu);
	sl = pop(&p->finished);
	pthread_mutex_unlock(&p->mu);
	return sl ? sl->t : NULL;
}

static void
pool_abort(void *ctx, struct sched_task *t, enum sched_abort why)
{
	struct pool *p = ctx;
	struct slot *sl = slot_of(p, t);

	if (why == SCHED_TIMEOUT)
		atomic_store(&sl->timed_out, true);
	pthread_mutex_lock(&sl->kill_mu);
	sched_kill_queries(p->s, t->it->n->t, atomic_load(&sl->res.live.query_id[0]),
	                   atomic_load(&sl->res.live.query_id[1]));
	pthread_mutex_unlock(&sl->kill_mu);
}

static long long
pool_moved(void *ctx, const struct sched_task *t)
{
	return atomic_load(&slot_of(ctx, t)->res.live.moved);
}

static double
clock_now(void *ctx)
{
	return mono_seconds();
}

static double
clock_wall(void *ctx)
{
	return now_seconds();
}

static void
pool_close(struct pool *p, pthread_t *threads, size_t nthreads)
{
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < p->nslots; i++) {
		free(p->slots[i].res.error);
		free(p->slots[i].res.sites_error);
		free(p->slots[i].watermark);
		pthread_mutex_destroy(&p->slots[i].kill_mu);
	}
	free(p->slots);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	wake_close(p);
}

int
sched_run(struct sched *s, struct plan_item *items, size_t n)
{
	struct pool p = { .s = s, .quiet = log_quiet(), .nslots = s->ps->g->nnodes };
	struct sched_runner runner = { .ctx = &p, .start = pool_start, .wait = pool_wait,
	                               .abort = pool_abort, .moved = pool_moved };
	struct sched_clock clock = { .now = clock_now, .wall = clock_wall };
	struct sched_store store;
	size_t nthreads = s->jobs > 0 ? (size_t)s->jobs : 1;
	pthread_t *threads;
	int rc;

	if (wake_open(&p) < 0) {
		log_event(LOG_ERROR, "failed", NULL, s->run_id, "cannot make a pipe: %s",
		          strerror(errno));
		return 1;
	}
	sched_store_init(&store, s);
	p.slots = xcalloc(p.nslots, sizeof(*p.slots));
	for (size_t i = 0; i < p.nslots; i++)
		pthread_mutex_init(&p.slots[i].kill_mu, NULL);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	threads = xcalloc(nthreads, sizeof(*threads));
	for (size_t i = 0; i < nthreads; i++)
		pthread_create(&threads[i], NULL, worker, &p);
	rc = sched_machine(s, items, n, &runner, &store, &clock);
	pool_close(&p, threads, nthreads);
	free(threads);
	return rc;
}
