/*
 * sched.c: the scheduler as a state machine (see sched_impl.h). Each planned
 * target counts once the needs it waits for; at zero it joins the ready
 * queue, ordered by build order; a finished target counts its users down.
 * The loop starts what is ready while fewer than -j are active, then waits
 * on the runner for one to end, until the next thing due: a retry, a
 * timeout, the progress line, or a stop's next round of kills. A stop
 * wakes the runner's wait.
 */
#include "sched_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "graph.h"
#include "log.h"
#include "plan.h"
#include "recipe.h"
#include "util.h"

#define KILL_EVERY 0.2           /* a stop or a timeout kills again while the build runs */
#define PROGRESS_EVERY 0.5

struct machine {
	struct sched *s;
	const struct sched_runner *run;
	const struct sched_store *store;
	const struct sched_clock *clock;
	struct plan_item *items;
	size_t n;
	struct sched_task *tasks;    /* by node id */
	struct sched_task **ready;   /* a heap by build order */
	size_t nready;
	struct sched_task **active;  /* running or waiting to retry, in launch order */
	size_t nactive, jobs;
	size_t total, finished;
	size_t started;              /* targets started: the next one is [started + 1/total] */
	bool no_launch;              /* a failure without -k: launch nothing more */
	bool stop_seen;
	double last_kill, last_progress;
};

static bool
stopped(const struct machine *m)
{
	return m->s->stop && atomic_load(m->s->stop);
}

static const char *
target_name(const struct sched_task *t)
{
	return t->it->n->t->name;
}

static void
heap_swap(struct machine *m, size_t a, size_t b)
{
	struct sched_task *t = m->ready[a];

	m->ready[a] = m->ready[b];
	m->ready[b] = t;
	m->ready[a]->heap = a;
	m->ready[b]->heap = b;
}

static void
ready_push(struct machine *m, struct sched_task *t)
{
	size_t i = m->nready++;

	m->ready[i] = t;
	t->heap = i;
	while (i > 0 && m->ready[(i - 1) / 2]->order > m->ready[i]->order) {
		heap_swap(m, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct sched_task *
ready_pop(struct machine *m)
{
	struct sched_task *top = m->ready[0];
	size_t i = 0;

	heap_swap(m, 0, --m->nready);
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < m->nready && m->ready[l]->order < m->ready[min]->order)
			min = l;
		if (r < m->nready && m->ready[r]->order < m->ready[min]->order)
			min = r;
		if (min == i)
			return top;
		heap_swap(m, i, min);
		i = min;
	}
}

static void
active_remove(struct machine *m, struct sched_task *t)
{
	for (size_t i = 0; i < m->nactive; i++)
		if (m->active[i] == t) {
			memmove(&m->active[i], &m->active[i + 1], (m->nactive - i - 1) * sizeof(t));
			m->nactive--;
			return;
		}
}

/* nd is built (or pruned): users waiting for nothing else become ready */
static void
release_users(struct machine *m, struct node *nd)
{
	for (size_t i = 0; i < nd->nusers; i++) {
		struct sched_task *u = &m->tasks[nd->users[i]->id];

		if (u->state == T_WAITING && --u->blocked == 0)
			ready_push(m, u);
	}
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

static void
skip(struct machine *m, struct sched_task *t, const char *error)
{
	t->state = T_SKIPPED;
	m->s->skipped++;
	m->s->ps->pending[t->it->n->id] = false;
	m->store->unstarted(m->store->ctx, t, error);
}

/* a need failed: its users (and theirs) will not be built in this run */
static void
skip_users(struct machine *m, struct node *n, const char *why)
{
	for (size_t i = 0; i < n->nusers; i++) {
		struct sched_task *u = &m->tasks[n->users[i]->id];

		if (u->state != T_WAITING)
			continue;
		log_event(LOG_WARN, "skipped", target_name(u), m->s->run_id,
		          "skipped %s: need '%s' %s", target_name(u), n->t->name, why);
		skip(m, u, NULL);
		skip_users(m, u->it->n, "was not built");
	}
}

static void
attempt(struct machine *m, struct sched_task *t)
{
	t->state = T_RUNNING;
	t->last_try = t->attempts - t->conflicts > t->it->n->t->retries;
	t->out = (struct sched_outcome){ 0 };
	m->run->start(m->run->ctx, t);
}

/* restat: every need it waited for changed nothing */
static void
prune(struct machine *m, struct sched_task *t)
{
	struct node *nd = t->it->n;

	t->state = T_PRUNED;
	m->s->pruned++;
	m->total--;
	log_event(LOG_INFO, "pruned", nd->t->name, m->s->run_id,
	          "%s: up to date (needs changed nothing)", nd->t->name);
	m->store->record(m->store->ctx, t, "pruned", NULL);
	release_users(m, nd);
}

/* why a probe said build nd in full ("40% of keys changed"), or NULL */
static const char *
full_note(const struct plan_state *ps, const struct node *nd)
{
	if (!ps->notes || !ps->probed || ps->probed[nd->id] != PROBE_FULL)
		return NULL;
	return ps->notes[nd->id];
}

/* start what is ready, in build order, while fewer than -j are active */
static void
launch(struct machine *m)
{
	struct plan_state *ps = m->s->ps;

	while (m->nready > 0 && m->nactive < m->jobs && !m->no_launch && !stopped(m)) {
		struct sched_task *t = ready_pop(m);
		struct node *nd = t->it->n;
		enum reason why;
		bool full;
		const char *note;

		ps->pending[nd->id] = false;
		if (plan_node(ps, nd, &why, &full) < 0)
			why = REASON_SOURCE;
		if (why == REASON_NONE) {
			prune(m, t);
			continue;
		}
		t->it->reason = why;
		t->it->full = full;
		m->active[m->nactive++] = t;
		/* numbered as it starts: a free worker takes it now */
		t->seq = ++m->started;
		t->total = m->total;
		t->attempts = 1;
		t->started = m->clock->wall(m->clock->ctx);
		t->started_mono = m->clock->now(m->clock->ctx);
		note = full ? full_note(ps, nd) : NULL;
		log_event(LOG_INFO, "start", nd->t->name, m->s->run_id, "[%zu/%zu] %s %s (%s, %s%s%s)",
		          t->seq, t->total, kind_name(nd->t->kind), nd->t->name, reason_name(why),
		          full ? "full" : "incremental", note ? ": " : "", note ? note : "");
		attempt(m, t);
	}
}

/* t failed for good (or was interrupted): count, say, record, skip its users */
static void
give_up(struct machine *m, struct sched_task *t)
{
	struct sched *s = m->s;
	struct node *nd = t->it->n;
	bool intr = stopped(m) && !t->timed_out;

	active_remove(m, t);
	m->finished++;
	m->store->refresh(m->store->ctx, t);
	t->state = T_FAILED;
	if (t->timed_out) {
		free(t->error);
		t->error = xasprintf("target '%s': timed out after %.0fs", nd->t->name, nd->t->timeout);
	}
	if (intr)
		s->interrupted++;
	else
		s->failed++;
	log_event(LOG_ERROR, intr ? "interrupted" : "failed", nd->t->name, s->run_id,
	          "[%zu/%zu] %s: %s", t->seq, t->total, intr ? "INTERRUPTED" : "FAILED", t->error);
	m->store->record(m->store->ctx, t, intr ? "interrupted" : "failed", t->error);
	if (!s->keep_going)
		m->no_launch = true;
	skip_users(m, nd, intr ? "was interrupted" : "failed");
}

/* whether name (len bytes) is a site of the group t reads from, or looks like one if none is known */
static bool
site_of(const struct sched *s, const struct target *t, const char *name, size_t len)
{
	for (size_t i = 0; s->r && t->from && i < s->r->nsites; i++) {
		const struct site_group *g = &s->r->sites[i];

		if (strcmp(g->name, t->from) != 0)
			continue;
		for (size_t j = 0; j < g->nsites; j++)
			if (strlen(g->sites[j].name) == len && memcmp(g->sites[j].name, name, len) == 0)
				return true;
		return false;
	}
	return len > 0 && len <= DB_SITE_NAME_MAX;
}

/* the sites a build's sites_error names ("site 'b': ...; site 'c': ..."), kept as TARGET:SITE */
static void
note_failed_sites(struct sched *s, const struct target *t, const char *text)
{
	static const char lead[] = "site '";
	const char *p = text;
	struct buf b;

	buf_init(&b);
	if (s->failed_sites)
		buf_adds(&b, s->failed_sites);
	while (p) {
		const char *name = p + strlen(lead), *end;

		if (strncmp(p, lead, strlen(lead)) == 0 && (end = strstr(name, "': ")) &&
		    !memchr(name, '\'', (size_t)(end - name)) && site_of(s, t, name, (size_t)(end - name)))
			buf_addf(&b, "%s%s:%.*s", b.len ? " " : "", t->name, (int)(end - name), name);
		if ((p = strstr(p, "; site '")))
			p += 2;
	}
	free(s->failed_sites);
	s->failed_sites = b.len ? buf_detach(&b) : NULL;
	buf_release(&b);
}

/* t was built, but sites of its group could not be read: the run fails, its users go on */
static void
sites_failed(struct machine *m, struct sched_task *t)
{
	struct sched *s = m->s;
	const struct target *tg = t->it->n->t;
	const char *why = t->out.sites_error ? t->out.sites_error : "no detail";

	s->sites_failed += t->out.sites_failed;
	if (t->out.sites_error)
		note_failed_sites(s, tg, t->out.sites_error);
	log_event(LOG_WARN, "sites", tg->name, s->run_id,
	          "[%zu/%zu] target '%s': %d of its sites failed: %s", t->seq, t->total, tg->name,
	          t->out.sites_failed, why);
}

static void
built(struct machine *m, struct sched_task *t)
{
	struct sched *s = m->s;
	struct node *nd = t->it->n;
	char b[32];

	active_remove(m, t);
	m->finished++;
	m->store->refresh(m->store->ctx, t);
	t->state = T_DONE;
	if (t->out.other_runner) {
		s->uptodate++;
		log_event(LOG_INFO, "done", nd->t->name, s->run_id,
		          "[%zu/%zu] %s: up to date, built by another runner meanwhile", t->seq,
		          t->total, nd->t->name);
	} else {
		s->built++;
		log_event(LOG_INFO, "done", nd->t->name, s->run_id,
		          "[%zu/%zu] %s: %s rows, %lld changed, %.1fs", t->seq, t->total, nd->t->name,
		          fmt_count(t->out.rows, b, sizeof(b)), t->out.changed, t->ended - t->started);
	}
	if (t->out.sites_failed > 0 && !t->out.other_runner)
		sites_failed(m, t);
	m->store->record(m->store->ctx, t, t->out.other_runner ? "up to date" : "built",
	                 t->out.other_runner ? NULL : t->out.sites_error);
	free(t->out.sites_error);
	t->out.sites_error = NULL;
	release_users(m, nd);
}

double
sched_retry_delay(const struct target *t, int attempts)
{
	int doublings = attempts - 1 < 10 ? attempts - 1 : 10;

	return t->retry_delay * (double)(1 << (doublings > 0 ? doublings : 0));
}

bool
sched_conflict_again(const struct sched_task *t)
{
	return t->out.conflict && t->conflicts < SCHED_CONFLICTS;
}

/* a runner gave t back: built, to retry, or failed */
static void
finished(struct machine *m, struct sched_task *t)
{
	const struct target *tg = t->it->n->t;

	t->ended = m->clock->wall(m->clock->ctx);
	if (t->out.error || t->out.not_started) {
		/* sites count in a build that succeeded only */
		free(t->out.sites_error);
		t->out.sites_error = NULL;
	}
	if (t->out.not_started && t->attempts == 1) {
		active_remove(m, t);
		m->total--;
		skip(m, t, "not started: the run was interrupted");
		return;
	}
	if (!t->out.not_started) {
		free(t->error);
		t->error = t->out.error;
		t->out.error = NULL;
	}
	if (!t->error && !t->out.not_started) {
		built(m, t);
		return;
	}
	if (t->out.not_started || !t->out.transient || t->timed_out || stopped(m) ||
	    (t->last_try && !sched_conflict_again(t))) {
		give_up(m, t);
		return;
	}
	t->state = T_RETRY;
	if (sched_conflict_again(t)) {
		double delay = 0.2 * (1 << t->conflicts++);

		t->retry_at = m->clock->now(m->clock->ctx) + delay;
		log_event(LOG_WARN, "retry", tg->name, m->s->run_id,
		          "[%zu/%zu] %s (a conflict with another transaction: building again in "
		          "%.1fs)", t->seq, t->total, t->error, delay);
		return;
	}
	t->retry_at = m->clock->now(m->clock->ctx) + sched_retry_delay(tg, t->attempts);
	log_event(LOG_WARN, "retry", tg->name, m->s->run_id,
	          "[%zu/%zu] %s (attempt %d of %d, retrying in %.0fs)", t->seq, t->total, t->error,
	          t->attempts,
	          tg->retries + 1, sched_retry_delay(tg, t->attempts));
}

/*
 * what is due at now: a stop (said once; running builds killed, waiting
 * retries given up), timeouts, kills again, retries
 */
static void
due(struct machine *m, double now)
{
	bool again = now >= m->last_kill + KILL_EVERY;

	if (stopped(m) && !m->stop_seen) {
		m->stop_seen = again = true;
		log_event(LOG_WARN, "interrupt", NULL, m->s->run_id,
		          "interrupted: no target starts now; killing the running builds' queries");
	}
	for (size_t i = 0; i < m->nactive; i++) {
		struct sched_task *t = m->active[i];
		const struct target *tg = t->it->n->t;

		if (!t->timed_out && tg->timeout > 0 && now >= t->started_mono + tg->timeout) {
			t->timed_out = true;
			log_event(LOG_WARN, "timeout", tg->name, m->s->run_id,
			          "[%zu/%zu] %s: timed out after %.0fs, killing its queries", t->seq,
			          t->total, tg->name, tg->timeout);
			if (t->state == T_RUNNING)
				m->run->abort(m->run->ctx, t, SCHED_TIMEOUT);
		} else if (again && t->state == T_RUNNING && (m->stop_seen || t->timed_out))
			m->run->abort(m->run->ctx, t, t->timed_out ? SCHED_TIMEOUT : SCHED_STOP);
		if (t->state != T_RETRY)
			continue;
		if (t->timed_out || m->stop_seen) {
			give_up(m, t);
			i--;
		} else if (now >= t->retry_at) {
			t->attempts++;
			attempt(m, t);
		}
	}
	if (again)
		m->last_kill = now;
}

/* when the loop must look again, though no task ends */
static double
next_due(const struct machine *m)
{
	double until = m->last_progress + PROGRESS_EVERY;

	for (size_t i = 0; i < m->nactive; i++) {
		const struct sched_task *t = m->active[i];
		double timeout = t->it->n->t->timeout;

		if (t->state == T_RETRY && t->retry_at < until)
			until = t->retry_at;
		if (timeout > 0 && !t->timed_out && t->started_mono + timeout < until)
			until = t->started_mono + timeout;
		if ((m->stop_seen || t->timed_out) && m->last_kill + KILL_EVERY < until)
			until = m->last_kill + KILL_EVERY;
	}
	return until;
}

/*
 * the status line on a terminal, like ninja's: how many are done, then
 * each running target with the rows it read so far (or its seconds while
 * it has read none); log_progress() cuts it to the terminal's width
 */
static void
progress(struct machine *m, double now)
{
	struct buf line;
	size_t shown = 0;

	if (now < m->last_progress + PROGRESS_EVERY)
		return;
	m->last_progress = now;
	buf_init(&line);
	buf_addf(&line, "[%zu/%zu done]", m->finished, m->total);
	for (size_t i = 0; i < m->nactive; i++) {
		const struct sched_task *t = m->active[i];
		long long moved;
		char b[32];

		if (t->state != T_RUNNING)
			continue;
		moved = m->run->moved(m->run->ctx, t);
		log_rows(target_name(t), m->s->run_id, moved);
		buf_addf(&line, "%s %s", shown++ ? "," : "", target_name(t));
		if (moved > 0)
			buf_addf(&line, " %s rows", fmt_count(moved, b, sizeof(b)));
		else
			buf_addf(&line, " %.0fs", now - t->started_mono);
	}
	if (shown)
		log_progress("%s", line.s);
	buf_release(&line);
}

/* every planned item waits for its planned needs; those waiting for none are ready */
static void
machine_init(struct machine *m)
{
	size_t nnodes = m->s->ps->g->nnodes;

	m->tasks = xcalloc(nnodes, sizeof(*m->tasks));
	m->ready = xcalloc(nnodes + 1, sizeof(*m->ready));
	m->jobs = m->s->jobs > 0 ? (size_t)m->s->jobs : 1;
	m->active = xcalloc(m->jobs, sizeof(*m->active));
	for (size_t i = 0; i < m->n; i++) {
		struct sched_task *t = &m->tasks[m->items[i].n->id];

		t->it = &m->items[i];
		t->order = i;
		if (m->items[i].reason != REASON_NONE) {
			t->state = T_WAITING;
			m->total++;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		struct node *nd = m->items[i].n;
		struct sched_task *t = &m->tasks[nd->id];

		if (t->state != T_WAITING)
			continue;
		for (size_t j = 0; j < nd->nneeds; j++)
			if (m->tasks[nd->needs[j]->id].state == T_WAITING)
				t->blocked++;
		if (t->blocked == 0)
			ready_push(m, t);
	}
}

int
sched_machine(struct sched *s, struct plan_item *items, size_t n,
              const struct sched_runner *runner, const struct sched_store *store,
              const struct sched_clock *clock)
{
	struct machine m = { .s = s, .run = runner, .store = store, .clock = clock,
	                     .items = items, .n = n };
	double now = clock->now(clock->ctx);

	machine_init(&m);
	m.last_progress = m.last_kill = now;
	for (;;) {
		struct sched_task *t;

		due(&m, now);
		launch(&m);
		if (m.nactive == 0)
			break;
		t = runner->wait(runner->ctx, next_due(&m));
		now = clock->now(clock->ctx);
		if (t)
			finished(&m, t);
		progress(&m, now);
	}
	log_progress_clear();
	/* what was never launched after a failure or a stop */
	for (size_t i = 0; i < n; i++) {
		struct sched_task *t = &m.tasks[items[i].n->id];

		if (t->state == T_WAITING)
			skip(&m, t, stopped(&m) ? "not started: the run was interrupted" : NULL);
	}
	for (size_t i = 0; i < s->ps->g->nnodes; i++)
		free(m.tasks[i].error);
	free(m.tasks);
	free(m.ready);
	free(m.active);
	if (stopped(&m))
		return 130;
	return s->failed || s->interrupted || s->sites_failed ? 1 : 0;
}
