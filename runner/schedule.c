/*
 * schedule.c: one scheduler owns the graph; workers build with their own
 * connections. A task is the scheduler's but while a worker runs it: the
 * pool's lock hands it over (queue) and back (finished). Across that line
 * only atomics: the stop flag, the rows moved, the timeout, and the server
 * thread ids of a build's queries, which the scheduler kills through its own
 * connection.
 */
#include "schedule.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

enum state { S_IDLE, S_WAITING, S_RUNNING, S_DONE, S_FAILED, S_SKIPPED, S_PRUNED };

struct task {
	struct plan_item *it;
	enum state state;
	size_t waiting;          /* needs not yet done */
	size_t seq, total;       /* its "[seq/total]" when launched */
	struct build_req req;
	struct build_res res;
	char hash[65];
	char inputs_at[TS_LEN];
	char prev_inputs_at[TS_LEN];
	char seen_built_at[TS_LEN]; /* the marker's built_at when planned */
	char *watermark;
	double started, ended;   /* wall clock, for the history */
	double started_mono;     /* for the timeout */
	int attempts;
	atomic_bool timed_out;   /* set by the scheduler, read by the worker */
	bool other_runner;       /* another runner built it while we waited */
	bool not_started;        /* the run stopped before a worker began it */
	/* held while the scheduler kills its queries: the worker waits it out before its marker */
	pthread_mutex_t kill_mu;
	struct task *next;       /* queue link */
};

struct pool {
	struct sched *s;
	bool quiet;              /* the run's log_quiet(), for its workers */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct task *queue, *finished;
	bool closing;
	size_t idle;
};

static bool
stopped(const struct sched *s)
{
	return s->stop && atomic_load(s->stop);
}

static void
push(struct task **q, struct task *t)
{
	t->next = NULL;
	while (*q)
		q = &(*q)->next;
	*q = t;
}

static struct task *
pop(struct task **q)
{
	struct task *t = *q;

	if (t)
		*q = t->next;
	return t;
}

/* wait for the target's lock, then see whether another runner built it meanwhile */
static int
lock_target(struct pool *p, struct conns *c, struct task *t, char **lockname, bool *skip)
{
	struct sched *s = p->s;
	const char *name = t->it->n->t->name;
	struct marker m = { 0 };
	bool said = false;

	*skip = false;
	*lockname = xstrdup(name);
	for (;;) {
		int rc = store_lock_build(c->store, name, 1);

		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
		if (stopped(s)) {
			free(t->res.error);
			t->res.error = xasprintf("target '%s': interrupted while another runner built it",
			                         name);
			return -1;
		}
		if (!said)
			log_event(LOG_INFO, "wait", name, s->run_id,
			          "waiting: another runner is building '%s'", name);
		said = true;
	}
	/* another runner may have built it since we planned */
	if (store_marker_load(c->store, name, &m) == 0 && m.present &&
	    strcmp(m.status, "ok") == 0 && strcmp(m.hash, t->hash) == 0 &&
	    strcmp(m.built_at, t->seen_built_at) > 0 && t->it->reason != REASON_FORCED)
		*skip = true;
	marker_release(&m);
	return 0;
}

static void
unlock_target(struct conns *c, const char *lockname)
{
	if (!lockname || !c->tgt)
		return;
	store_unlock_build(c->store, lockname);
}

static void
run_task(struct pool *p, struct conns *c, struct task *t)
{
	struct sched *s = p->s;
	const struct target *tg = t->it->n->t;
	char *lockname = NULL, *err = NULL;
	bool skip = false, locked = false;

	log_event(LOG_INFO, "start", tg->name, s->run_id, "[%zu/%zu] %s %s (%s, %s)", t->seq,
	          t->total, kind_name(tg->kind), tg->name, reason_name(t->it->reason),
	          t->it->full ? "full" : "incremental");
	for (t->attempts = 1;; t->attempts++) {
		if (!c->tgt && conns_open(c, s->r, &err) < 0) {
			free(t->res.error);
			t->res.error = xasprintf("target '%s': %s", tg->name, err);
			t->res.transient = c->why != DB_ERR_ACCESS;
			free(err);
			err = NULL;
		} else if (lock_target(p, c, t, &lockname, &skip) < 0) {
			if (!t->res.error)
				t->res.error = xasprintf("target '%s': cannot take its lock: %s",
				                         tg->name, db_error(c->tgt));
			t->res.transient = !stopped(s) && db_error_transient(c->tgt);
		} else if (skip) {
			t->other_runner = true;
			break;
		} else {
			locked = true;
			/* the history shows it building, with since when, until it ends */
			store_run_target_building(c->store, s->run_id, tg->name,
			                          reason_name(t->it->reason),
			                          t->it->full ? "full" : "incremental", t->started,
			                          t->attempts);
			if (build_run(c, &t->req, &t->res) == 0)
				break;
		}
		if (atomic_load(&t->timed_out) || stopped(s) || t->res.killed || !t->res.transient ||
		    t->attempts > tg->retries)
			break;
		{
			double delay = tg->retry_delay * (double)(1 << (t->attempts - 1 < 10 ? t->attempts - 1 : 10));

			log_event(LOG_WARN, "retry", tg->name, s->run_id,
			          "%s (attempt %d of %d, retrying in %.0fs)", t->res.error,
			          t->attempts, tg->retries + 1, delay);
			sleep_interruptible(delay, s->stop);
		}
		free(lockname);
		lockname = NULL;
		locked = false;
		conns_close(c);
	}
	/* a KILL QUERY of this build still on its way would hit the statements below */
	pthread_mutex_lock(&t->kill_mu);
	pthread_mutex_unlock(&t->kill_mu);
	if (t->res.error && c->tgt)
		db_exec(c->tgt, "ROLLBACK");  /* in case a kill cut the build's own rollback */
	/*
	 * only the runner that holds the target's lock writes its marker, and
	 * not over a table that is not this recipe's
	 */
	if (t->res.error && locked && !t->res.foreign) {
		const char *status = stopped(s) ? "interrupted" : "failed";

		if (atomic_load(&t->timed_out)) {
			char *e = xasprintf("target '%s': timed out after %.0fs", tg->name, tg->timeout);

			free(t->res.error);
			t->res.error = e;
			status = "failed";
		}
		store_marker_fail(c->store, tg->name, s->run_id, status, t->res.error,
		                  mono_seconds() - t->started_mono);
	}
	if (c->tgt)
		unlock_target(c, lockname);
	free(lockname);
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
		struct task *t;

		p->idle++;
		while (!p->queue && !p->closing)
			pthread_cond_wait(&p->work, &p->mu);
		p->idle--;
		if (!p->queue && p->closing)
			break;
		t = pop(&p->queue);
		pthread_mutex_unlock(&p->mu);
		/* a stop between its launch and now: it never begins */
		if (stopped(p->s))
			t->not_started = true;
		else
			run_task(p, &c, t);
		pthread_mutex_lock(&p->mu);
		t->ended = now_seconds();
		push(&p->finished, t);
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (c.r)
		conns_close(&c);
	return NULL;
}

static const char *
fmt_count(long long n, char *buf, size_t len)
{
	if (n >= 10000000)
		snprintf(buf, len, "%lldM", n / 1000000);
	else if (n >= 10000)
		snprintf(buf, len, "%lldk", n / 1000);
	else
		snprintf(buf, len, "%lld", n);
	return buf;
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

/* the scheduler's connection, reconnected (with the run's lock) if a server restart took it */
static struct db *
main_db(struct sched *s)
{
	if (db_exec(s->main, "DO 1") < 0 && db_error_transient(s->main)) {
		if (db_reconnect(s->main) < 0)
			log_event(LOG_WARN, "reconnect", NULL, s->run_id,
			          "cannot reconnect to the target database: %s", db_error(s->main));
		else if (s->run_lock)
			store_lock_run(s->store, s->run_id);
	}
	return s->main;
}

/* the scheduler's store, on main_db() */
static struct store *
main_store(struct sched *s)
{
	main_db(s);
	return s->store;
}

static void
record(struct sched *s, struct task *t, const char *outcome, const char *error)
{
	const struct plan_item *it = t->it;

	store_run_target_record(main_store(s), s->run_id, it->n->t->name, reason_name(it->reason),
	                        it->full ? "full" : "incremental",
	                        t->started ? t->started : now_seconds(),
	                        t->ended ? t->ended : now_seconds(), t->res.rows, t->attempts,
	                        outcome, error);
}

/* a target that never started: skipped, without times */
static void
record_unstarted(struct sched *s, struct task *t, const char *error)
{
	const struct plan_item *it = t->it;

	t->state = S_SKIPPED;
	s->skipped++;
	s->ps->pending[it->n->id] = false;
	store_run_target_unstarted(main_store(s), s->run_id, it->n->t->name,
	                           reason_name(it->reason), it->full ? "full" : "incremental",
	                           "skipped", error);
}

/* a need failed: its users (and theirs) will not be built in this run */
static void
skip_users(struct sched *s, struct task *tasks, struct node *n, const char *why)
{
	for (size_t i = 0; i < n->nusers; i++) {
		struct task *u = &tasks[n->users[i]->id];

		if (u->state != S_WAITING)
			continue;
		log_event(LOG_WARN, "skipped", u->it->n->t->name, s->run_id,
		          "skipped %s: need '%s' %s", u->it->n->t->name, n->t->name, why);
		record_unstarted(s, u, NULL);
		skip_users(s, tasks, u->it->n, "was not built");
	}
}

/*
 * KILL QUERY the statements a running build has on its servers: on the
 * target through the scheduler's own connection, on an extract's source
 * through a short connection of its own. The thread ids are the ones the
 * worker published; it waits for kill_mu before it writes its marker.
 */
static void
kill_queries(struct sched *s, struct task *t)
{
	unsigned long id;

	pthread_mutex_lock(&t->kill_mu);
	if ((id = atomic_load(&t->res.live.query_id[0])) != 0)
		db_kill(main_db(s), id);
	if ((id = atomic_load(&t->res.live.query_id[1])) != 0 && t->it->n->t->from) {
		const struct conn *c = recipe_conn(s->r, t->it->n->t->from);

		if (c) {
			struct db_params dp = conns_params(c);

			db_kill_query(&dp, id);
		}
	}
	pthread_mutex_unlock(&t->kill_mu);
}

/* the run's state between the scheduler's steps */
struct run {
	struct sched *s;
	struct plan_state *ps;
	struct plan_item *items;
	size_t n;
	struct task *tasks;
	struct pool *p;
	size_t total, finished, running, nthreads;
	bool no_launch;          /* a failure without -k: launch nothing more */
	bool stop_seen;          /* *s->stop was seen and said */
	double last_kill, last_progress;
};

static void
users_ready(struct run *rn, struct node *nd)
{
	for (size_t j = 0; j < nd->nusers; j++)
		if (rn->tasks[nd->users[j]->id].state == S_WAITING)
			rn->tasks[nd->users[j]->id].waiting--;
}

/* give the worker pool what is ready, in build order, while a worker is free */
static void
launch(struct run *rn)
{
	struct sched *s = rn->s;
	struct plan_state *ps = rn->ps;

	for (size_t i = 0; i < rn->n && rn->running < rn->nthreads; i++) {
		struct node *nd = rn->items[i].n;
		struct task *t = &rn->tasks[nd->id];
		enum reason why;
		bool full;

		if (rn->no_launch || stopped(s))
			return;
		if (t->state != S_WAITING || t->waiting > 0)
			continue;
		ps->pending[nd->id] = false;
		if (plan_node(ps, nd, &why, &full) < 0)
			why = REASON_SOURCE;
		if (why == REASON_NONE) {
			/* restat: every need it waited for changed nothing */
			t->state = S_PRUNED;
			s->pruned++;
			rn->total--;
			log_event(LOG_INFO, "pruned", nd->t->name, s->run_id,
			          "%s: up to date (needs changed nothing)", nd->t->name);
			record(s, t, "pruned", NULL);
			users_ready(rn, nd);
			i = (size_t)-1;
			continue;
		}
		t->it->reason = why;
		t->it->full = full;
		t->state = S_RUNNING;
		rn->running++;
		t->seq = rn->finished + rn->running;
		t->total = rn->total;
		memcpy(t->hash, ps->hashes[nd->id], sizeof(t->hash));
		newest_input(ps, nd, t->inputs_at);
		snprintf(t->prev_inputs_at, TS_LEN, "%s", ps->markers[nd->id].inputs_at);
		snprintf(t->seen_built_at, TS_LEN, "%s", ps->markers[nd->id].built_at);
		free(t->watermark);
		t->watermark = ps->markers[nd->id].watermark ?
		        xstrdup(ps->markers[nd->id].watermark) : NULL;
		t->req = (struct build_req){
			.recipe = s->r->name, .t = nd->t, .reason = why, .full = full,
			.hash = t->hash, .inputs_at = t->inputs_at,
			.prev_inputs_at = t->prev_inputs_at, .since = s->since,
			.watermark = t->watermark, .stop = s->stop, .run_id = s->run_id,
			.prev_ok = strcmp(ps->markers[nd->id].status, "ok") == 0,
			/* nothing in the recipe reads the change stamps of a target no one needs */
			.no_restat = s->no_restat || nd->nusers == 0,
			.prev_rows = ps->markers[nd->id].present && ps->markers[nd->id].rows >= 0 &&
			             strcmp(ps->markers[nd->id].status, "ok") == 0 ?
			             ps->markers[nd->id].rows : -1,
			.rev = s->rev, .dirty = s->dirty,
		};
		t->started = now_seconds();
		t->started_mono = mono_seconds();
		pthread_mutex_lock(&rn->p->mu);
		push(&rn->p->queue, t);
		pthread_cond_signal(&rn->p->work);
		pthread_mutex_unlock(&rn->p->mu);
	}
}

/* a stop: say so once; kill the running builds' queries, again while they run */
static void
kill_due(struct run *rn)
{
	struct sched *s = rn->s;
	double now = mono_seconds();
	bool again = now - rn->last_kill >= 0.2;

	if (stopped(s) && !rn->stop_seen) {
		rn->stop_seen = again = true;
		log_event(LOG_WARN, "interrupt", NULL, s->run_id,
		          "interrupted: no target starts now; killing the running builds' queries");
	}
	for (size_t i = 0; i < rn->ps->g->nnodes; i++) {
		struct task *r = &rn->tasks[i];
		const struct target *tg;

		if (r->state != S_RUNNING)
			continue;
		tg = r->it->n->t;
		if (!atomic_load(&r->timed_out) && tg->timeout > 0 &&
		    now - r->started_mono > tg->timeout) {
			atomic_store(&r->timed_out, true);
			log_event(LOG_WARN, "timeout", tg->name, s->run_id,
			          "%s: timed out after %.0fs, killing its queries", tg->name, tg->timeout);
			kill_queries(s, r);
		} else if (again && (rn->stop_seen || atomic_load(&r->timed_out)))
			kill_queries(s, r);
	}
	if (again)
		rn->last_kill = now;
}

static void
progress(struct run *rn)
{
	struct sched *s = rn->s;
	double now = mono_seconds();

	if (now - rn->last_progress < 0.5)
		return;
	rn->last_progress = now;
	for (size_t i = 0; i < rn->ps->g->nnodes; i++)
		if (rn->tasks[i].state == S_RUNNING)
			log_rows(rn->tasks[i].it->n->t->name, s->run_id, rn->tasks[i].res.live.moved);
	for (size_t i = 0; i < rn->ps->g->nnodes; i++) {
		struct task *r = &rn->tasks[i];
		long long moved = r->res.live.moved;
		char b[32];

		if (r->state != S_RUNNING)
			continue;
		if (moved > 0)
			log_progress("[%zu/%zu] %s %s %s rows %.0f rows/s", rn->finished, rn->total,
			             kind_name(r->it->n->t->kind), r->it->n->t->name,
			             fmt_count(moved, b, sizeof(b)),
			             moved / (now - r->started_mono + 1e-9));
		else
			log_progress("[%zu/%zu] %s %s %.0fs", rn->finished, rn->total,
			             kind_name(r->it->n->t->kind), r->it->n->t->name,
			             now - r->started_mono);
		break;
	}
}

/* a task a worker gave back: count, say and record how it ended */
static void
finished(struct run *rn, struct task *t)
{
	struct sched *s = rn->s;
	struct node *nd = t->it->n;
	char b[32];

	rn->running--;
	if (t->not_started) {
		rn->total--;
		record_unstarted(s, t, "not started: the run was interrupted");
		return;
	}
	rn->finished++;
	store_marker_load(main_store(s), nd->t->name, &rn->ps->markers[nd->id]);
	if (!t->res.error) {
		t->state = S_DONE;
		if (t->other_runner) {
			s->uptodate++;
			log_event(LOG_INFO, "done", nd->t->name, s->run_id,
			          "%s: up to date, built by another runner meanwhile", nd->t->name);
		} else {
			s->built++;
			log_event(LOG_INFO, "done", nd->t->name, s->run_id,
			          "%s: %s rows, %lld changed, %.1fs", nd->t->name,
			          fmt_count(t->res.rows, b, sizeof(b)), t->res.changed,
			          t->ended - t->started);
		}
		record(s, t, t->other_runner ? "up to date" : "built", NULL);
		users_ready(rn, nd);
	} else {
		bool intr = stopped(s) && !atomic_load(&t->timed_out);

		t->state = S_FAILED;
		if (intr)
			s->interrupted++;
		else
			s->failed++;
		log_event(LOG_ERROR, intr ? "interrupted" : "failed", nd->t->name, s->run_id,
		          "%s: %s", intr ? "INTERRUPTED" : "FAILED", t->res.error);
		record(s, t, intr ? "interrupted" : "failed", t->res.error);
		if (!s->keep_going)
			rn->no_launch = true;
		skip_users(s, rn->tasks, nd, intr ? "was interrupted" : "failed");
	}
}

/* wait up to 0.2s for a worker to give a task back; NULL if none did */
static struct task *
wait_finished(struct pool *p)
{
	struct task *t;

	pthread_mutex_lock(&p->mu);
	if (!p->finished) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 200000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->done, &p->mu, &ts);
	}
	t = pop(&p->finished);
	pthread_mutex_unlock(&p->mu);
	return t;
}

int
sched_run(struct sched *s, struct plan_item *items, size_t n)
{
	struct plan_state *ps = s->ps;
	struct pool p = { 0 };
	struct run rn = { .s = s, .ps = ps, .items = items, .n = n, .p = &p };
	pthread_condattr_t ca;
	pthread_t *threads;
	size_t i;

	rn.tasks = xcalloc(ps->g->nnodes, sizeof(*rn.tasks));
	rn.nthreads = s->jobs > 0 ? (size_t)s->jobs : 1;
	p.s = s;
	p.quiet = log_quiet();
	pthread_mutex_init(&p.mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, &ca);
	pthread_condattr_destroy(&ca);
	for (i = 0; i < ps->g->nnodes; i++)
		pthread_mutex_init(&rn.tasks[i].kill_mu, NULL);
	for (i = 0; i < n; i++) {
		struct task *t = &rn.tasks[items[i].n->id];

		t->it = &items[i];
		if (items[i].reason == REASON_NONE)
			continue;
		t->state = S_WAITING;
		rn.total++;
	}
	for (i = 0; i < n; i++) {
		struct task *t = &rn.tasks[items[i].n->id];

		if (t->state != S_WAITING)
			continue;
		for (size_t j = 0; j < items[i].n->nneeds; j++)
			if (rn.tasks[items[i].n->needs[j]->id].state == S_WAITING)
				t->waiting++;
	}
	threads = xcalloc(rn.nthreads, sizeof(*threads));
	for (i = 0; i < rn.nthreads; i++)
		pthread_create(&threads[i], NULL, worker, &p);

	for (;;) {
		struct task *t;

		kill_due(&rn);
		launch(&rn);
		if (rn.running == 0)
			break;
		t = wait_finished(&p);
		kill_due(&rn);
		if (t)
			finished(&rn, t);
		else
			progress(&rn);
	}
	log_progress_clear();
	/* what was never launched after a failure or an interrupt */
	for (i = 0; i < n; i++) {
		struct task *t = &rn.tasks[items[i].n->id];

		if (t->state == S_WAITING)
			record_unstarted(s, t, stopped(s) ? "not started: the run was interrupted" :
			                 NULL);
	}
	pthread_mutex_lock(&p.mu);
	p.closing = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < rn.nthreads; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < ps->g->nnodes; i++) {
		free(rn.tasks[i].res.error);
		free(rn.tasks[i].watermark);
		pthread_mutex_destroy(&rn.tasks[i].kill_mu);
	}
	free(rn.tasks);
	free(threads);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	if (stopped(s))
		return 130;
	return s->failed || s->interrupted ? 1 : 0;
}
