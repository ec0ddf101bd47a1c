/*
 * check_sched.c: the scheduler's state machine on a fake runner, a fake
 * store and a fake clock: no server, no thread. The fake runner plays each
 * target's attempts from a script (how long, which error) on the fake clock;
 * the fake store keeps the markers in memory, as a build would leave them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "graph.h"
#include "log.h"
#include "plan.h"
#include "diag.h"
#include "recipe.h"
#include "run.h"
#include "sched_impl.h"
#include "testutil.h"
#include "util.h"

#define MAXT 6
#define MAXTRY 4

/* one attempt of a target, as the fake runner plays it */
struct play {
	double secs;             /* how long it runs (0: 1s) */
	const char *error;       /* NULL: built */
	bool transient;
	bool conflict;           /* transient: a deadlock undid it */
	bool same;               /* built, but changed no row */
	int kills;               /* aborts it takes to end (0: 1) */
	bool other;              /* another runner built it while this one waited */
	int sites_failed;        /* built, but these sites of its group failed... */
	const char *sites_error; /* ...saying this */
};

struct running {
	struct sched_task *t;
	double end;
	int kills;
};

struct world {
	struct recipe r;
	struct target t[MAXT];
	char *needs[MAXT][MAXT];
	struct graph *g;
	struct marker m[MAXT];
	char hashes[MAXT][65];
	bool pending[MAXT], pending_full[MAXT];
	signed char probed[MAXT];
	struct plan_opts opts;
	struct plan_state ps;
	struct plan_item items[MAXT];
	size_t n;
	struct sched s;
	atomic_int stop;
	/* the fakes */
	double now, stop_at;
	unsigned ticks;
	struct play play[MAXT][MAXTRY];
	struct running run[MAXT];
	size_t nrun, max_run;
	int starts[MAXT];
	double start_at[MAXT][MAXTRY];
	bool ok[MAXT], same[MAXT];
	char outcome[MAXT][16];
	char *error[MAXT];
	int aborts[MAXT];
	double abort_at[MAXT][8];
	enum sched_abort abort_why;
	char order[64];          /* the targets in the order they started */
	long waits;
};

static struct world w;

static size_t
id_of(const char *name)
{
	for (size_t i = 0; i < w.r.ntargets; i++)
		if (strcmp(w.t[i].name, name) == 0)
			return i;
	ck_abort_msg("no target %s", name);
	return 0;
}

/* targets a..: needs[i] lists, by letter, what target i needs ("" none) */
static void
world(size_t n, const char *const needs[])
{
	static const char *names[] = { "a", "b", "c", "d", "e", "f" };

	memset(&w, 0, sizeof(w));
	log_set_quiet(true);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		w.t[i].name = (char *)names[i];
		w.t[i].kind = KIND_TABLE;
		w.t[i].query_sql = (char *)"SELECT 1";
		for (const char *c = needs[i]; *c; c++)
			w.needs[i][k++] = (char *)names[*c - 'a'];
		w.t[i].needs = (struct strlist){ w.needs[i], k };
	}
	w.r.name = (char *)"fake";
	w.r.targets = w.t;
	w.r.ntargets = n;
	w.g = graph_new(&w.r);
	for (size_t i = 0; i < n; i++) {
		target_hash(&w.r, &w.t[i], w.hashes[i]);
		w.probed[i] = -2;
	}
	w.ps = (struct plan_state){
		.g = w.g, .markers = w.m, .hashes = w.hashes, .opts = &w.opts,
		.pending = w.pending, .pending_full = w.pending_full, .probed = w.probed,
	};
	w.s = (struct sched){ .ps = &w.ps, .jobs = 1, .stop = &w.stop };
	w.stop_at = -1;
}

static void
tick(char out[TS_LEN])
{
	w.ticks++;
	snprintf(out, TS_LEN, "2026-01-01 00:00:%02u.%06u", (w.ticks / 1000000) % 60, w.ticks % 1000000);
}

/* what a build leaves in the target database */
static void
leave_built(size_t id, bool changed)
{
	struct marker *m = &w.m[id];
	struct node *nd = &w.g->nodes[id];
	char now[TS_LEN], inputs[TS_LEN] = "";

	for (size_t i = 0; i < nd->nneeds; i++)
		if (strcmp(w.m[nd->needs[i]->id].changed_at, inputs) > 0)
			strcpy(inputs, w.m[nd->needs[i]->id].changed_at);
	tick(now);
	m->present = m->table_exists = true;
	strcpy(m->status, "ok");
	strcpy(m->built_at, now);
	strcpy(m->inputs_at, inputs);
	if (changed || !*m->changed_at)
		strcpy(m->changed_at, now);
	strcpy(m->full_at, now);
	strcpy(m->hash, w.hashes[id]);
}

/* every target built once: what the next run plans from */
static void
all_built(void)
{
	for (size_t i = 0; i < w.r.ntargets; i++)
		leave_built(i, true);
}

static void
fake_start(void *ctx, struct sched_task *t)
{
	size_t id = t->it->n->id;
	int k = t->attempts - 1 < MAXTRY ? t->attempts - 1 : MAXTRY - 1;
	struct play *p = &w.play[id][k];

	ck_assert_int_eq(t->attempts, w.starts[id] + 1);
	w.start_at[id][k] = w.now;
	w.starts[id]++;
	strcat(w.order, t->it->n->t->name);
	w.run[w.nrun++] = (struct running){ t, w.now + (p->secs ? p->secs : 1), p->kills };
	if (w.nrun > w.max_run)
		w.max_run = w.nrun;
}

static struct sched_task *
fake_wait(void *ctx, double until)
{
	size_t first = w.nrun;
	struct running r;
	struct play *p;
	size_t id;

	ck_assert_msg(++w.waits < 100000, "the scheduler does not end");
	ck_assert_msg(until > w.now || w.nrun > 0, "waits for nothing at %.1f", w.now);
	for (size_t i = 0; i < w.nrun; i++)
		if (first == w.nrun || w.run[i].end < w.run[first].end)
			first = i;
	if (w.stop_at >= 0 && !w.stop && w.stop_at <= until &&
	    (first == w.nrun || w.stop_at <= w.run[first].end)) {
		w.now = w.stop_at;
		w.stop = 1;
		return NULL;     /* the stop's wake */
	}
	if (first == w.nrun || w.run[first].end > until) {
		if (until > w.now)
			w.now = until;
		return NULL;
	}
	r = w.run[first];
	memmove(&w.run[first], &w.run[first + 1], (w.nrun - first - 1) * sizeof(r));
	w.nrun--;
	if (r.end > w.now)
		w.now = r.end;
	id = r.t->it->n->id;
	p = &w.play[id][r.t->attempts - 1 < MAXTRY ? r.t->attempts - 1 : MAXTRY - 1];
	if (r.kills < 0)
		r.t->out.error = xstrdup("query killed");
	else if (p->error) {
		r.t->out.error = xstrdup(p->error);
		r.t->out.transient = p->transient;
		r.t->out.conflict = p->transient && p->conflict;
	}
	r.t->out.other_runner = p->other && !r.t->out.error;
	if (p->sites_error) {
		r.t->out.sites_failed = p->sites_failed;
		r.t->out.sites_error = xstrdup(p->sites_error);
	}
	w.ok[id] = !r.t->out.error;
	w.same[id] = p->same;
	r.t->out.rows = 7;
	return r.t;
}

static void
fake_abort(void *ctx, struct sched_task *t, enum sched_abort why)
{
	size_t id = t->it->n->id;

	if (w.aborts[id] < 8)
		w.abort_at[id][w.aborts[id]] = w.now;
	w.aborts[id]++;
	w.abort_why = why;
	for (size_t i = 0; i < w.nrun; i++)
		if (w.run[i].t == t && --w.run[i].kills <= 0) {
			w.run[i].kills = -1;      /* killed: it ends now */
			w.run[i].end = w.now;
		}
}

/* rows each running target has read so far (the progress line) */
static long long moved_rows[MAXT];

static long long
fake_moved(void *ctx, const struct sched_task *t)
{
	return moved_rows[t->it->n->id];
}

static void
fake_record(void *ctx, const struct sched_task *t, const char *outcome, const char *error)
{
	size_t id = t->it->n->id;

	snprintf(w.outcome[id], sizeof(w.outcome[id]), "%s", outcome);
	free(w.error[id]);
	w.error[id] = error ? xstrdup(error) : NULL;
}

static void
fake_unstarted(void *ctx, const struct sched_task *t, const char *error)
{
	fake_record(ctx, t, "skipped", error);
}

static void
fake_refresh(void *ctx, const struct sched_task *t)
{
	size_t id = t->it->n->id;

	if (w.ok[id])
		leave_built(id, !w.same[id]);
	else
		strcpy(w.m[id].status, "failed");
}

static double
fake_now(void *ctx)
{
	return w.now;
}

static double
fake_wall(void *ctx)
{
	return 1e9 + w.now;
}

/* plan every target, then build what is planned with the fakes */
static int
run(void)
{
	static const struct sched_runner runner = {
		.start = fake_start, .wait = fake_wait, .abort = fake_abort, .moved = fake_moved };
	static const struct sched_store store = {
		.record = fake_record, .unstarted = fake_unstarted, .refresh = fake_refresh };
	static const struct sched_clock clock = { .now = fake_now, .wall = fake_wall };
	struct node **order;

	w.n = graph_order(w.g, NULL, 0, &order);
	memset(w.pending, 0, sizeof(w.pending));
	ck_assert_int_ge(plan_all(&w.ps, order, w.n, w.items), 0);
	free(order);
	return sched_machine(&w.s, w.items, w.n, &runner, &store, &clock);
}

static const char *
outcome(const char *name)
{
	return w.outcome[id_of(name)];
}

static void
teardown(void)
{
	for (size_t i = 0; i < MAXT; i++)
		free(w.error[i]);
	free(w.s.failed_sites);
	graph_free(w.g);
}

/* a (slow)  b   c needs a   d needs c   e needs b */
static const char *const chain[] = { "", "", "a", "c", "b" };

START_TEST(test_order_respects_needs)
{
	world(5, chain);
	w.play[0][0].secs = 5;
	w.s.jobs = 4;
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(w.s.built, 5);
	/* b and e go on while a builds; c waits for a, d for c */
	ck_assert_str_eq(w.order, "abecd");
	ck_assert_double_eq(w.start_at[id_of("e")][0], 1);
	ck_assert_double_eq(w.start_at[id_of("c")][0], 5);
	ck_assert_double_eq(w.start_at[id_of("d")][0], 6);
	ck_assert_str_eq(outcome("d"), "built");
	teardown();
}
END_TEST

START_TEST(test_jobs_limit_concurrent_starts)
{
	static const char *const flat[] = { "", "", "", "", "", "" };

	world(6, flat);
	w.s.jobs = 2;
	ck_assert_int_eq(run(), 0);
	ck_assert_uint_eq(w.max_run, 2);
	ck_assert_double_eq(w.now, 3);
	teardown();
	world(6, flat);
	w.s.jobs = 4;
	ck_assert_int_eq(run(), 0);
	ck_assert_uint_eq(w.max_run, 4);
	ck_assert_double_eq(w.now, 2);
	teardown();
}
END_TEST

START_TEST(test_keep_going_skips_only_dependents)
{
	world(5, chain);
	w.play[0][0].error = "target 'a': syntax error";
	w.s.keep_going = true;
	ck_assert_int_eq(run(), 1);
	ck_assert_str_eq(outcome("a"), "failed");
	ck_assert_str_eq(w.error[0], "target 'a': syntax error");
	ck_assert_str_eq(outcome("b"), "built");
	ck_assert_str_eq(outcome("e"), "built");
	ck_assert_str_eq(outcome("c"), "skipped");
	ck_assert_str_eq(outcome("d"), "skipped");
	ck_assert_int_eq(w.starts[id_of("c")] + w.starts[id_of("d")], 0);
	ck_assert_int_eq(w.s.failed, 1);
	ck_assert_int_eq(w.s.skipped, 2);
	ck_assert_int_eq(w.s.built, 2);
	teardown();
}
END_TEST

START_TEST(test_failure_stops_new_starts)
{
	world(5, chain);
	w.s.jobs = 2;
	w.play[0][0].error = "target 'a': syntax error";
	w.play[1][0].secs = 3;
	ck_assert_int_eq(run(), 1);
	/* b, started before a failed, ends; nothing starts after */
	ck_assert_str_eq(w.order, "ab");
	ck_assert_str_eq(outcome("b"), "built");
	ck_assert_str_eq(outcome("e"), "skipped");
	ck_assert_str_eq(outcome("c"), "skipped");
	ck_assert_int_eq(w.s.failed, 1);
	ck_assert_int_eq(w.s.skipped, 3);
	teardown();
}
END_TEST

/* a's definition changed; c and d are planned only because a will be built */
static void
restat_world(bool a_changes)
{
	world(5, chain);
	all_built();
	strcpy(w.m[0].hash, "old");
	w.play[0][0].same = !a_changes;
}

START_TEST(test_restat_prunes_dependents)
{
	restat_world(false);
	ck_assert_int_eq(run(), 0);
	ck_assert_str_eq(w.order, "a");
	ck_assert_str_eq(outcome("c"), "pruned");
	ck_assert_str_eq(outcome("d"), "pruned");
	ck_assert_int_eq(w.s.pruned, 2);
	ck_assert_int_eq(w.s.built, 1);
	teardown();
	restat_world(true);
	ck_assert_int_eq(run(), 0);
	ck_assert_str_eq(w.order, "acd");
	ck_assert_int_eq(w.s.pruned, 0);
	ck_assert_int_eq(w.s.built, 3);
	teardown();
}
END_TEST

START_TEST(test_retry_honours_delay)
{
	static const char *const one[] = { "" };

	world(1, one);
	w.t[0].retries = 3;
	w.t[0].retry_delay = 10;
	for (int i = 0; i < 2; i++)
		w.play[0][i] = (struct play){ .error = "lost connection", .transient = true };
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(w.starts[0], 3);
	/* 1s each; then 10s, then 20s: the delay doubles */
	ck_assert_double_eq(w.start_at[0][1], 11);
	ck_assert_double_eq(w.start_at[0][2], 32);
	ck_assert_str_eq(outcome("a"), "built");
	ck_assert_int_eq(w.s.built, 1);
	teardown();
}
END_TEST

START_TEST(test_retry_gives_up)
{
	static const char *const one[] = { "", "a" };

	world(2, one);
	w.t[0].retries = 2;
	w.t[0].retry_delay = 1;
	for (int i = 0; i < MAXTRY; i++)
		w.play[0][i] = (struct play){ .error = "lost connection", .transient = true };
	ck_assert_int_eq(run(), 1);
	ck_assert_int_eq(w.starts[0], 3);
	ck_assert_str_eq(outcome("a"), "failed");
	ck_assert_str_eq(outcome("b"), "skipped");
	teardown();
	/* an error that cannot pass is not retried */
	world(2, one);
	w.t[0].retries = 2;
	w.play[0][0].error = "syntax error";
	ck_assert_int_eq(run(), 1);
	ck_assert_int_eq(w.starts[0], 1);
	teardown();
}
END_TEST

/* attempts a conflict undid are tried again at once, apart from the retries */
START_TEST(test_conflicts_use_no_retries)
{
	static const char *const one[] = { "" };
	const struct play deadlock = { .error = "Deadlock found", .transient = true,
	                               .conflict = true };

	world(1, one);
	w.t[0].retries = 0;
	w.t[0].retry_delay = 10;
	for (int i = 0; i < 3; i++)
		w.play[0][i] = deadlock;
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(w.starts[0], 4);
	/* 1s each, then 0.2s, 0.4s, 0.8s */
	ck_assert_double_eq_tol(w.start_at[0][1], 1.2, 1e-9);
	ck_assert_double_eq_tol(w.start_at[0][2], 2.6, 1e-9);
	ck_assert_double_eq_tol(w.start_at[0][3], 4.4, 1e-9);
	ck_assert_str_eq(outcome("a"), "built");
	teardown();
	/* a conflict that persists fails: tried again SCHED_CONFLICTS times, no more */
	world(1, one);
	w.t[0].retries = 0;
	for (int i = 0; i < MAXTRY; i++)
		w.play[0][i] = deadlock;
	ck_assert_int_eq(run(), 1);
	ck_assert_int_eq(w.starts[0], 1 + SCHED_CONFLICTS);
	ck_assert_str_eq(outcome("a"), "failed");
	teardown();
	/* the retries are all there after a conflict; another error uses them */
	world(1, one);
	w.t[0].retries = 1;
	w.t[0].retry_delay = 10;
	w.play[0][0] = deadlock;
	w.play[0][1] = (struct play){ .error = "lost connection", .transient = true };
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(w.starts[0], 3);
	ck_assert_str_eq(outcome("a"), "built");
	teardown();
	/* an error that is not a conflict, with no retries: failed at once */
	world(1, one);
	w.play[0][0] = (struct play){ .error = "lost connection", .transient = true };
	ck_assert_int_eq(run(), 1);
	ck_assert_int_eq(w.starts[0], 1);
	teardown();
}
END_TEST

START_TEST(test_timeout_aborts_the_task)
{
	static const char *const two[] = { "", "a" };

	world(2, two);
	w.t[0].timeout = 5;
	w.t[0].retries = 3;
	w.play[0][0].secs = 100;
	ck_assert_int_eq(run(), 1);
	ck_assert_int_eq(w.aborts[0], 1);
	ck_assert_double_eq(w.abort_at[0][0], 5);
	ck_assert_int_eq(w.abort_why, SCHED_TIMEOUT);
	ck_assert_int_eq(w.starts[0], 1);   /* a killed build is not retried */
	ck_assert_str_eq(outcome("a"), "failed");
	ck_assert_msg(strstr(w.error[0], "timed out after 5s"), "%s", w.error[0]);
	ck_assert_str_eq(outcome("b"), "skipped");
	ck_assert_double_lt(w.now, 6);
	teardown();
}
END_TEST

/* a (slow)  b   c needs a   d needs c   e needs b   f */
static const char *const chain6[] = { "", "", "a", "c", "b", "" };

START_TEST(test_interrupt_mid_run)
{
	world(6, chain6);
	w.s.jobs = 2;
	w.play[0][0] = (struct play){ .secs = 10, .kills = 3 };
	w.play[1][0].secs = 4;
	w.stop_at = 3;
	ck_assert_int_eq(run(), 130);
	ck_assert_str_eq(w.order, "ab");
	/* killed at the stop, and again every 0.2s while it runs */
	ck_assert_int_eq(w.aborts[id_of("b")], 1);
	ck_assert_int_eq(w.aborts[id_of("a")], 3);
	ck_assert_double_eq(w.abort_at[0][0], 3);
	ck_assert_double_eq_tol(w.abort_at[0][1], 3.2, 1e-9);
	ck_assert_double_eq_tol(w.abort_at[0][2], 3.4, 1e-9);
	ck_assert_int_eq(w.abort_why, SCHED_STOP);
	ck_assert_str_eq(outcome("a"), "interrupted");
	ck_assert_str_eq(outcome("b"), "interrupted");
	ck_assert_str_eq(outcome("c"), "skipped");
	ck_assert_str_eq(outcome("d"), "skipped");
	ck_assert_str_eq(outcome("e"), "skipped");
	ck_assert_str_eq(outcome("f"), "skipped");
	ck_assert_str_eq(w.error[id_of("f")], "not started: the run was interrupted");
	ck_assert_int_eq(w.s.interrupted, 2);
	ck_assert_int_eq(w.s.skipped, 4);
	ck_assert_int_eq(w.s.failed, 0);
	ck_assert_double_lt(w.now, 3.5);
	teardown();
}
END_TEST

/* a stop while a target waits to retry: it is not started again */
START_TEST(test_interrupt_while_retrying)
{
	world(6, chain6);
	w.t[0].retries = 3;
	w.t[0].retry_delay = 10;
	w.play[0][0] = (struct play){ .error = "lost connection", .transient = true };
	w.stop_at = 4;
	ck_assert_int_eq(run(), 130);
	ck_assert_int_eq(w.starts[0], 1);
	ck_assert_str_eq(outcome("a"), "interrupted");
	ck_assert_double_lt(w.now, 5);
	teardown();
}
END_TEST

/* what another runner built meanwhile counts as up to date, and its users go on */
START_TEST(test_other_runner_counts_up_to_date)
{
	world(5, chain);
	w.play[0][0].other = true;
	ck_assert_int_eq(run(), 0);
	ck_assert_str_eq(outcome("a"), "up to date");
	ck_assert_str_eq(outcome("c"), "built");
	ck_assert_int_eq(w.s.uptodate, 1);
	ck_assert_int_eq(w.s.built, 4);
	teardown();
}
END_TEST

/* what the run said, line by line, with the fake clock's time of each */
struct said {
	char event[16], target[8], msg[160];
	double at;
};
static struct said said[64];
static size_t nsaid;

static void
listen(void *arg, enum log_level lvl, const char *event, const char *target,
       long long run_id, long long rows, const char *msg)
{
	if (strcmp(event, "rows") == 0 || nsaid == LEN(said))
		return;
	snprintf(said[nsaid].event, sizeof(said[nsaid].event), "%s", event);
	snprintf(said[nsaid].target, sizeof(said[nsaid].target), "%s", target ? target : "");
	snprintf(said[nsaid].msg, sizeof(said[nsaid].msg), "%s", msg);
	said[nsaid++].at = w.now;
}

/* the "[i/n]" a line starts with, or "" */
static const char *
number_of(const char *msg, char out[16])
{
	size_t n = msg[0] == '[' ? strcspn(msg, "]") : 0;

	snprintf(out, 16, "%.*s", msg[n] == ']' ? (int)n + 1 : 0, msg);
	return out;
}

/* [i/n] is said when a target starts (not when it is ready), and again on its end line */
START_TEST(test_numbered_at_start_and_end)
{
	static const char *const flat[] = { "", "", "" };
	char want[16], got[16];

	world(3, flat);
	w.play[1][0].error = "syntax error";
	w.s.keep_going = true;
	nsaid = 0;
	log_set_listener(listen, NULL);
	ck_assert_int_eq(run(), 1);
	log_set_listener(NULL, NULL);
	/* -j1: b and c are ready at once, but each starts when the one before ends */
	ck_assert_uint_eq(nsaid, 6);
	for (size_t i = 0; i < 3; i++) {
		const struct said *start = &said[2 * i], *end = &said[2 * i + 1];

		snprintf(want, sizeof(want), "[%zu/3]", i + 1);
		ck_assert_str_eq(start->event, "start");
		ck_assert_str_eq(start->target, w.t[i].name);
		ck_assert_str_eq(number_of(start->msg, got), want);
		ck_assert_double_eq(start->at, w.start_at[i][0]);
		ck_assert_double_eq(start->at, (double)i);
		ck_assert_str_eq(end->event, i == 1 ? "failed" : "done");
		ck_assert_str_eq(end->target, w.t[i].name);
		ck_assert_str_eq(number_of(end->msg, got), want);
	}
	ck_assert_str_eq(said[0].msg, "[1/3] table a (missing, full)");
	ck_assert_str_eq(said[3].msg, "[2/3] FAILED: syntax error");
	ck_assert_str_eq(said[5].msg, "[3/3] c: 7 rows, 0 changed, 1.0s");
	teardown();
}
END_TEST

/* with -j2 the numbers follow the starts, and a retry keeps its target's number */
START_TEST(test_numbered_in_start_order)
{
	char got[16];

	world(5, chain);
	w.s.jobs = 2;
	w.play[0][0].secs = 5;
	w.t[1].retries = 1;
	w.play[1][0] = (struct play){ .error = "lost connection", .transient = true };
	nsaid = 0;
	log_set_listener(listen, NULL);
	ck_assert_int_eq(run(), 0);
	log_set_listener(NULL, NULL);
	for (size_t i = 0, starts = 0; i < nsaid; i++) {
		char want[16];

		if (strcmp(said[i].event, "start") == 0) {
			snprintf(want, sizeof(want), "[%zu/5]", ++starts);
			ck_assert_str_eq(number_of(said[i].msg, got), want);
			continue;
		}
		/* every other line about a target carries the number its start line had */
		for (size_t j = 0; j < i; j++)
			if (strcmp(said[j].event, "start") == 0 &&
			    strcmp(said[j].target, said[i].target) == 0)
				ck_assert_str_eq(number_of(said[i].msg, got), number_of(said[j].msg, want));
		ck_assert_msg(*number_of(said[i].msg, got), "no number: %s", said[i].msg);
	}
	ck_assert_str_eq(said[2].event, "retry");
	ck_assert_str_eq(number_of(said[2].msg, got), "[2/5]");
	teardown();
}
END_TEST

/* on a terminal: one line with what runs and its rows, cut to the width, cleared at the end */
START_TEST(test_progress_line_on_a_terminal)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 40 };
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave, saved = dup(STDERR_FILENO);
	char out[4096] = "", *line, *end;
	ssize_t got, len = 0;

	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(slave, 0);
	ck_assert_int_eq(ioctl(slave, TIOCSWINSZ, &ws), 0);
	fcntl(master, F_SETFL, O_NONBLOCK);
	world(3, (const char *const[]){ "", "", "" });
	w.s.jobs = 2;
	w.play[0][0].secs = 3;
	w.play[1][0].secs = 3;
	w.t[1].name = (char *)"b_with_a_name_much_longer_than_the_terminal";
	moved_rows[0] = 12345;
	fflush(stderr);
	dup2(slave, STDERR_FILENO);
	log_set_quiet(false);
	ck_assert_int_eq(run(), 0);
	log_set_quiet(true);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	while (len < (ssize_t)sizeof(out) - 1 &&
	       (got = read(master, out + len, sizeof(out) - 1 - len)) > 0)
		len += got;
	out[len] = '\0';
	close(slave);
	close(master);
	moved_rows[0] = 0;
	/* both running targets, a with its rows so far, b by its seconds */
	ck_assert_msg(strstr(out, "\r\033[K[0/3 done] a 12k rows, b_with_a_name"), "%s", out);
	/* never wider than the terminal: a line that wraps cannot be redrawn */
	for (line = out; (line = strstr(line, "\r\033[K")); line = end) {
		line += 4;
		end = line + strcspn(line, "\r\n");
		ck_assert_int_lt(end - line, 40);
	}
	/* cleared at the end */
	ck_assert_msg(len >= 4 && memcmp(out + len - 4, "\r\033[K", 4) == 0, "%s", out);
	teardown();
}
END_TEST

/* a group of sites, north, south and east, that a and b read from */
static struct conn clinic_sites[] = { { .name = (char *)"north" }, { .name = (char *)"south" },
                                      { .name = (char *)"east" } };
static struct site_group clinics = { .name = (char *)"clinics", .sites = clinic_sites,
                                     .nsites = LEN(clinic_sites) };

static void
sites_world(size_t n, const char *const needs[])
{
	world(n, needs);
	w.r.sites = &clinics;
	w.r.nsites = 1;
	w.s.r = &w.r;
	w.t[0].from = (char *)"clinics";
	w.t[1].from = (char *)"clinics";
}

/* the first line said with event ev about target tg, or NULL */
static const struct said *
said_of(const char *ev, const char *tg)
{
	for (size_t i = 0; i < nsaid; i++)
		if (strcmp(said[i].event, ev) == 0 && strcmp(said[i].target, tg) == 0)
			return &said[i];
	return NULL;
}

/* sites that failed: their targets are built and their users build from what arrived; the run fails */
START_TEST(test_failed_sites_build_on)
{
	/* east's message quotes text like another site's: only the group's sites are named */
	static const char a_error[] = "site 'north': cannot connect: Can't connect to server on "
	                              "'10.0.0.5'; site 'east': Unknown column 'x; site 'z': y'";
	const struct said *l;
	char *want = xasprintf("[1/5] target 'a': 2 of its sites failed: %s", a_error);

	sites_world(5, chain);
	w.play[0][0] = (struct play){ .sites_failed = 2, .sites_error = a_error };
	w.play[1][0] = (struct play){ .sites_failed = 1, .sites_error = "site 'south': timed out" };
	nsaid = 0;
	log_set_listener(listen, NULL);
	ck_assert_int_eq(run(), 1);
	log_set_listener(NULL, NULL);
	ck_assert_str_eq(w.order, "abcde");
	ck_assert_int_eq(w.s.built, 5);
	ck_assert_int_eq(w.s.failed, 0);
	ck_assert_int_eq(w.s.skipped, 0);
	ck_assert_str_eq(outcome("a"), "built");
	ck_assert_str_eq(w.error[0], a_error);
	ck_assert_str_eq(outcome("b"), "built");
	ck_assert_str_eq(w.error[1], "site 'south': timed out");
	/* c needs a and d needs c: built, without an error */
	ck_assert_str_eq(outcome("c"), "built");
	ck_assert_str_eq(outcome("d"), "built");
	ck_assert_ptr_null(w.error[id_of("c")]);
	ck_assert_int_eq(w.s.sites_failed, 3);
	ck_assert_str_eq(w.s.failed_sites, "a:north a:east b:south");
	/* a warning names the target and each site, after its done line */
	ck_assert_ptr_nonnull(l = said_of("sites", "a"));
	ck_assert_ptr_nonnull(said_of("done", "a"));
	ck_assert(said_of("done", "a") < l);
	ck_assert_str_eq(l->msg, want);
	ck_assert_ptr_nonnull(l = said_of("sites", "b"));
	ck_assert_str_eq(l->msg, "[2/5] target 'b': 1 of its sites failed: site 'south': timed out");
	ck_assert_ptr_null(said_of("sites", "c"));
	free(want);
	teardown();
	/* with no group known, any quoted name is a site */
	world(1, (const char *const[]){ "" });
	w.play[0][0] = (struct play){ .sites_failed = 1, .sites_error = "site 'kisumu': refused" };
	ck_assert_int_eq(run(), 1);
	ck_assert_str_eq(w.s.failed_sites, "a:kisumu");
	teardown();
}
END_TEST

/* what a failed attempt said of its sites does not count: the target failed, or its retry built */
START_TEST(test_failed_sites_of_a_failed_attempt)
{
	static const char *const two[] = { "", "a" };

	sites_world(2, two);
	w.t[0].retries = 1;
	w.play[0][0] = (struct play){ .error = "lost connection", .transient = true,
	                              .sites_failed = 1, .sites_error = "site 'north': down" };
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(w.starts[0], 2);
	ck_assert_str_eq(outcome("a"), "built");
	ck_assert_ptr_null(w.error[0]);
	ck_assert_int_eq(w.s.sites_failed, 0);
	ck_assert_ptr_null(w.s.failed_sites);
	teardown();
	sites_world(2, two);
	w.play[0][0] = (struct play){ .error = "syntax error", .sites_failed = 1,
	                              .sites_error = "site 'north': down" };
	ck_assert_int_eq(run(), 1);
	ck_assert_str_eq(outcome("a"), "failed");
	ck_assert_str_eq(w.error[0], "syntax error");
	ck_assert_str_eq(outcome("b"), "skipped");
	ck_assert_int_eq(w.s.sites_failed, 0);
	ck_assert_ptr_null(w.s.failed_sites);
	teardown();
}
END_TEST

/* a run interrupted after a target's sites failed is interrupted, not failed */
START_TEST(test_failed_sites_interrupted_wins)
{
	sites_world(6, chain6);
	w.s.jobs = 2;
	w.play[0][0] = (struct play){ .sites_failed = 1, .sites_error = "site 'east': down" };
	w.play[1][0].secs = 4;
	w.stop_at = 3;
	ck_assert_int_eq(run(), 130);
	ck_assert_str_eq(outcome("a"), "built");
	ck_assert_str_eq(outcome("b"), "interrupted");
	ck_assert_int_eq(w.s.sites_failed, 1);
	ck_assert_str_eq(w.s.failed_sites, "a:east");
	teardown();
}
END_TEST

/* on_failure's environment: the run, its failed targets and sites, the recipe; old values replaced */
START_TEST(test_failure_hook_environment)
{
	char dir[] = "/tmp/check_sched_XXXXXX", *cmd, *path, *text;
	struct diags d;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/hook.out", dir);
	cmd = xasprintf("env | grep -E '^CHACC_(RUN_ID|FAILED|FAILED_SITES|RECIPE)=' | sort > %s",
	                path);
	setenv("CHACC_FAILED_SITES", "stale", 1);
	diags_init(&d);
	run_failure_hook(cmd, "clinic", 42, "lonely", "observations:north observations:east", &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_nonnull(text = readfile(path, NULL));
	ck_assert_str_eq(text, "CHACC_FAILED=lonely\n"
	                       "CHACC_FAILED_SITES=observations:north observations:east\n"
	                       "CHACC_RECIPE=clinic\nCHACC_RUN_ID=42\n");
	free(text);
	/* none failed: set, empty */
	run_failure_hook(cmd, "clinic", 43, "lonely", NULL, &d);
	ck_assert_ptr_nonnull(text = readfile(path, NULL));
	ck_assert_str_eq(text, "CHACC_FAILED=lonely\nCHACC_FAILED_SITES=\n"
	                       "CHACC_RECIPE=clinic\nCHACC_RUN_ID=43\n");
	free(text);
	/* a command that fails is a warning */
	run_failure_hook("exit 3", "clinic", 44, NULL, NULL, &d);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_str_eq(d.v[0].message, "on_failure command exited with status 3");
	diags_release(&d);
	unsetenv("CHACC_FAILED_SITES");
	unlink(path);
	rmdir(dir);
	free(path);
	free(cmd);
}
END_TEST

static Suite *
sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_order_respects_needs);
	tcase_add_test(tc, test_jobs_limit_concurrent_starts);
	tcase_add_test(tc, test_keep_going_skips_only_dependents);
	tcase_add_test(tc, test_failure_stops_new_starts);
	tcase_add_test(tc, test_restat_prunes_dependents);
	tcase_add_test(tc, test_retry_honours_delay);
	tcase_add_test(tc, test_retry_gives_up);
	tcase_add_test(tc, test_conflicts_use_no_retries);
	tcase_add_test(tc, test_timeout_aborts_the_task);
	tcase_add_test(tc, test_interrupt_mid_run);
	tcase_add_test(tc, test_interrupt_while_retrying);
	tcase_add_test(tc, test_other_runner_counts_up_to_date);
	tcase_add_test(tc, test_numbered_at_start_and_end);
	tcase_add_test(tc, test_numbered_in_start_order);
	tcase_add_test(tc, test_progress_line_on_a_terminal);
	tcase_add_test(tc, test_failed_sites_build_on);
	tcase_add_test(tc, test_failed_sites_of_a_failed_attempt);
	tcase_add_test(tc, test_failed_sites_interrupted_wins);
	tcase_add_test(tc, test_failure_hook_environment);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(sched_suite());
}
