/* sched.c: one scheduler owns the graph; workers build with their own connections */
#include "schedule.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "util.h"

enum state { S_IDLE, S_WAITING, S_READY, S_RUNNING, S_DONE, S_FAILED, S_SKIPPED, S_PRUNED };

struct task {
	struct plan_item *it;
	enum state state;
	size_t waiting;          /* needs not yet done */
	struct build_job job;
	char hash[65];
	char inputs_at[TS_LEN];
	char prev_inputs_at[TS_LEN];
	char seen_built_at[TS_LEN]; /* the marker's built_at when planned */
	char *watermark;
	double started, ended;
	int attempts;
	bool timed_out;
	bool other_runner;       /* another runner built it while we waited */
	char *outcome_error;
	struct task *next;       /* queue link */
};

struct pool {
	struct sched *s;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct task *queue, *finished;
	bool closing;
	size_t idle;
};

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
	*lockname = build_lock_name(db_name(c->tgt), name);
	for (;;) {
		char *got = NULL;
		char *q = db_quote(c->tgt, *lockname);
		int rc = db_value(c->tgt, &got, "SELECT GET_LOCK(%s, 1)", q);

		free(q);
		if (rc < 0)
			return -1;
		if (got && strcmp(got, "1") == 0) {
			free(got);
			break;
		}
		free(got);
		if (*s->stop)
			return -1;
		if (!said)
			log_event(LOG_INFO, "wait", name, s->run_id,
			          "waiting: another runner is building '%s'", name);
		said = true;
	}
	/* another runner may have built it since we planned */
	if (marker_load(c->tgt, s->r->name, name, &m) == 0 && m.present &&
	    strcmp(m.status, "ok") == 0 && strcmp(m.hash, t->hash) == 0 &&
	    strcmp(m.built_at, t->seen_built_at) > 0 && t->it->reason != REASON_FORCED)
		*skip = true;
	marker_release(&m);
	return 0;
}

static void
unlock_target(struct conns *c, const char *lockname)
{
	char *q;

	if (!lockname || !c->tgt)
		return;
	q = db_quote(c->tgt, lockname);
	db_execf(c->tgt, "DO RELEASE_LOCK(%s)", q);
	free(q);
}

static void
run_task(struct pool *p, struct conns *c, struct task *t)
{
	struct sched *s = p->s;
	const struct target *tg = t->it->n->t;
	char *lockname = NULL, *err = NULL;
	bool skip = false;

	for (t->attempts = 1;; t->attempts++) {
		if (!c->tgt && conns_open(c, s->r, &err) < 0) {
			free(t->job.error);
			t->job.error = xasprintf("target '%s': %s", tg->name, err);
			t->job.transient = !strstr(err, "Access denied") &&
			                   !strstr(err, "Unknown database");
			free(err);
			err = NULL;
		} else if (lock_target(p, c, t, &lockname, &skip) < 0) {
			if (!t->job.error)
				t->job.error = xasprintf("target '%s': cannot take its lock: %s",
				                         tg->name, db_error(c->tgt));
			t->job.transient = !*s->stop && db_error_transient(c->tgt);
		} else if (skip) {
			t->other_runner = true;
			break;
		} else if (build_run(c, &t->job) == 0)
			break;
		if (t->timed_out || *s->stop || t->job.killed || !t->job.transient ||
		    t->attempts > tg->retries)
			break;
		{
			double delay = tg->retry_delay * (double)(1 << (t->attempts - 1 < 10 ? t->attempts - 1 : 10));

			log_event(LOG_WARN, "retry", tg->name, s->run_id,
			          "%s (attempt %d of %d, retrying in %.0fs)", t->job.error,
			          t->attempts, tg->retries + 1, delay);
			sleep_interruptible(delay, s->stop);
		}
		free(lockname);
		lockname = NULL;
		conns_close(c);
	}
	if (c->tgt)
		unlock_target(c, lockname);
	free(lockname);
	if (t->job.error && c->tgt && !t->job.foreign) {
		const char *status = *s->stop || t->timed_out ? "interrupted" : "failed";

		if (t->timed_out) {
			char *e = xasprintf("target '%s': timed out after %.0fs", tg->name, tg->timeout);

			free(t->job.error);
			t->job.error = e;
			status = "failed";
		}
		marker_fail(c->tgt, s->r->name, tg->name, s->run_id, status, t->job.error,
		            now_seconds() - t->started);
	}
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct conns c = { 0 };
	char *err = NULL;

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
		t->started = now_seconds();  /* timings and timeouts start here, not in the queue */
		pthread_mutex_unlock(&p->mu);
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

/* the scheduler's connection, reconnected if a server restart took it */
static struct db *
main_db(struct sched *s)
{
	if (db_exec(s->main, "DO 1") < 0 && db_error_transient(s->main) &&
	    db_reconnect(s->main) < 0)
		log_event(LOG_WARN, "reconnect", NULL, s->run_id,
		          "cannot reconnect to the target database: %s", db_error(s->main));
	return s->main;
}

static void
record(struct sched *s, struct task *t, const char *outcome, const char *error)
{
	const struct plan_item *it = t->it;

	run_target_record(main_db(s), s->run_id, it->n->t->name, reason_name(it->reason),
	                  it->full ? "full" : "incremental", t->started ? t->started : now_seconds(),
	                  t->ended ? t->ended : now_seconds(), t->job.rows, t->attempts, outcome,
	                  error);
}

/* a need failed: its users (and theirs) will not be built in this run */
static void
skip_users(struct sched *s, struct task *tasks, struct node *n, const char *why)
{
	for (size_t i = 0; i < n->nusers; i++) {
		struct task *u = &tasks[n->users[i]->id];

		if (u->state != S_WAITING && u->state != S_READY)
			continue;
		u->state = S_SKIPPED;
		s->skipped++;
		s->ps->pending[u->it->n->id] = false;
		log_event(LOG_WARN, "skipped", u->it->n->t->name, s->run_id,
		          "skipped %s: need '%s' %s", u->it->n->t->name, n->t->name, why);
		record(s, u, "skipped", NULL);
		skip_users(s, tasks, u->it->n, "was not built");
	}
}

static void
kill_running(struct sched *s, struct task *t)
{
	for (int i = 0; i < 2; i++) {
		struct db *d = t->job.active[i];

		if (d)
			db_kill_query(db_conn(d), db_thread_id(d));
	}
	(void)s;
}

int
sched_run(struct sched *s, struct plan_item *items, size_t n)
{
	struct plan_state *ps = s->ps;
	struct task *tasks = xcalloc(ps->g->nnodes, sizeof(*tasks));
	struct pool p = { 0 };
	pthread_t *threads;
	size_t total = 0, finished = 0, running = 0, i;
	int nthreads = s->jobs > 0 ? s->jobs : 1;
	bool stopping = false, stop_seen = false;
	double last_progress = 0;

	p.s = s;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (i = 0; i < n; i++) {
		struct task *t = &tasks[items[i].n->id];

		t->it = &items[i];
		if (items[i].reason == REASON_NONE)
			continue;
		t->state = S_WAITING;
		total++;
	}
	for (i = 0; i < n; i++) {
		struct task *t = &tasks[items[i].n->id];

		if (t->state != S_WAITING)
			continue;
		for (size_t j = 0; j < items[i].n->nneeds; j++)
			if (tasks[items[i].n->needs[j]->id].state == S_WAITING)
				t->waiting++;
	}
	threads = xcalloc((size_t)nthreads, sizeof(*threads));
	for (int k = 0; k < nthreads; k++)
		pthread_create(&threads[k], NULL, worker, &p);

	for (;;) {
		struct task *t;

		/* launch what is ready, in build order */
		for (i = 0; i < n && !stopping; i++) {
			struct node *nd = items[i].n;
			enum reason why;
			bool full;

			t = &tasks[nd->id];
			if (t->state != S_WAITING || t->waiting > 0)
				continue;
			ps->pending[nd->id] = false;
			if (plan_node(ps, nd, &why, &full) < 0)
				why = REASON_SOURCE;
			if (why == REASON_NONE) {
				/* restat: every need it waited for changed nothing */
				t->state = S_PRUNED;
				s->pruned++;
				total--;
				log_event(LOG_INFO, "pruned", nd->t->name, s->run_id,
				          "%s: up to date (needs changed nothing)", nd->t->name);
				record(s, t, "pruned", NULL);
				for (size_t j = 0; j < nd->nusers; j++)
					if (tasks[nd->users[j]->id].state == S_WAITING)
						tasks[nd->users[j]->id].waiting--;
				i = (size_t)-1;
				continue;
			}
			t->it->reason = why;
			t->it->full = full;
			t->state = S_RUNNING;
			running++;
			memcpy(t->hash, ps->hashes[nd->id], sizeof(t->hash));
			newest_input(ps, nd, t->inputs_at);
			snprintf(t->prev_inputs_at, TS_LEN, "%s", ps->markers[nd->id].inputs_at);
			snprintf(t->seen_built_at, TS_LEN, "%s", ps->markers[nd->id].built_at);
			free(t->watermark);
			t->watermark = ps->markers[nd->id].watermark ?
			        xstrdup(ps->markers[nd->id].watermark) : NULL;
			t->job = (struct build_job){
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
			log_event(LOG_INFO, "start", nd->t->name, s->run_id, "[%zu/%zu] %s %s (%s, %s)",
			          finished + running, total, kind_name(nd->t->kind), nd->t->name,
			          reason_name(why), full ? "full" : "incremental");
			pthread_mutex_lock(&p.mu);
			push(&p.queue, t);
			pthread_cond_signal(&p.work);
			pthread_mutex_unlock(&p.mu);
		}
		if (running == 0)
			break;

		pthread_mutex_lock(&p.mu);
		if (!p.finished) {
			struct timespec ts;
			double w = now_seconds() + 0.2;

			ts.tv_sec = (time_t)w;
			ts.tv_nsec = (long)((w - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&p.done, &p.mu, &ts);
		}
		t = pop(&p.finished);
		pthread_mutex_unlock(&p.mu);

		if (*s->stop && !stop_seen) {
			stop_seen = stopping = true;
			log_event(LOG_WARN, "interrupt", NULL, s->run_id,
			          "interrupted: stopping running builds");
			for (i = 0; i < ps->g->nnodes; i++)
				if (tasks[i].state == S_RUNNING)
					kill_running(s, &tasks[i]);
		}
		for (i = 0; i < ps->g->nnodes; i++) {
			struct task *r = &tasks[i];

			if (r->state != S_RUNNING || r->timed_out || r->it->n->t->timeout <= 0)
				continue;
			if (now_seconds() - r->started > r->it->n->t->timeout) {
				r->timed_out = true;
				log_event(LOG_WARN, "timeout", r->it->n->t->name, s->run_id,
				          "%s: timed out after %.0fs, killing its queries",
				          r->it->n->t->name, r->it->n->t->timeout);
				kill_running(s, r);
			}
		}
		if (!t) {
			double now = now_seconds();

			if (now - last_progress >= 0.5) {
				for (i = 0; i < ps->g->nnodes; i++)
					if (tasks[i].state == S_RUNNING)
						log_rows(tasks[i].it->n->t->name, s->run_id, tasks[i].job.moved);
				for (i = 0; i < ps->g->nnodes; i++) {
					char b[32];

					struct task *r = &tasks[i];

					if (r->state != S_RUNNING)
						continue;
					if (r->job.moved > 0)
						log_progress("[%zu/%zu] %s %s %s rows %.0f rows/s", finished, total,
						             kind_name(r->it->n->t->kind), r->it->n->t->name,
						             fmt_count(r->job.moved, b, sizeof(b)),
						             r->job.moved / (now - r->started + 1e-9));
					else
						log_progress("[%zu/%zu] %s %s %.0fs", finished, total,
						             kind_name(r->it->n->t->kind), r->it->n->t->name,
						             now - r->started);
					break;
				}
				last_progress = now;
			}
			continue;
		}

		running--;
		finished++;
		{
			struct node *nd = t->it->n;
			char b[32];

			marker_load(main_db(s), s->r->name, nd->t->name, &ps->markers[nd->id]);
			if (!t->job.error) {
				t->state = S_DONE;
				s->built++;
				if (t->other_runner)
					log_event(LOG_INFO, "done", nd->t->name, s->run_id,
					          "%s: built by another runner meanwhile", nd->t->name);
				else
					log_event(LOG_INFO, "done", nd->t->name, s->run_id,
					          "%s: %s rows, %lld changed, %.1fs", nd->t->name,
					          fmt_count(t->job.rows, b, sizeof(b)), t->job.changed,
					          t->ended - t->started);
				record(s, t, t->other_runner ? "up to date" : "built", NULL);
				for (size_t j = 0; j < nd->nusers; j++)
					if (tasks[nd->users[j]->id].state == S_WAITING)
						tasks[nd->users[j]->id].waiting--;
			} else {
				bool intr = *s->stop && !t->timed_out;

				t->state = S_FAILED;
				if (intr)
					s->interrupted++;
				else
					s->failed++;
				log_event(LOG_ERROR, intr ? "interrupted" : "failed", nd->t->name, s->run_id,
				          "%s: %s", intr ? "INTERRUPTED" : "FAILED", t->job.error);
				record(s, t, intr ? "interrupted" : "failed", t->job.error);
				if (!s->keep_going)
					stopping = true;
				skip_users(s, tasks, nd, intr ? "was interrupted" : "failed");
			}
		}
	}
	log_progress_clear();
	/* what was never launched after a failure or an interrupt */
	for (i = 0; i < n; i++) {
		struct task *t = &tasks[items[i].n->id];

		if (t->state == S_WAITING) {
			t->state = S_SKIPPED;
			s->skipped++;
			record(s, t, *s->stop ? "interrupted" : "skipped", NULL);
		}
	}
	pthread_mutex_lock(&p.mu);
	p.closing = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (int k = 0; k < nthreads; k++)
		pthread_join(threads[k], NULL);
	for (i = 0; i < ps->g->nnodes; i++) {
		free(tasks[i].job.error);
		free(tasks[i].watermark);
	}
	free(tasks);
	free(threads);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	if (*s->stop)
		return 130;
	return s->failed || s->interrupted ? 1 : 0;
}
