/*
 * web_live.c: every run of the recipe, wherever it was started (the command
 * line, cron, another server, this one), followed in the target database
 * while a client listens on /api/events. One read every LIVE_EVERY seconds
 * (store_live_read) gives what changed since the previous one; each change
 * of a run or of a target is one event, "run" or "target", with structured
 * fields, sent once, also for the runs this server started. The follower
 * holds no lock of the server while it reads. A target database that does
 * not answer is said once (on stderr and as an event "live", state "down")
 * and asked again, with growing pauses, until it answers ("up").
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "web.h"

/* the longest pause between two reads while the database does not answer */
#define LIVE_RETRY_MAX 5

/* what the follower sent of a run: its result and each target's state */
struct seen_target {
	char *name, *outcome;
	int attempts;
	long long rows;
};

struct seen_run {
	long long id;
	char *result;
	struct seen_target *t;
	size_t nt;
	bool kept;                   /* in the last read */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* a listener came, or closing (monotonic clock) */
	int listeners;
	bool closing, started;
	pthread_t th;
	char *down;                  /* the "down" event while the database does not answer */
} live = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false, 0, NULL };

/* the follower thread's own */
static struct {
	struct session s;
	struct diags diags;
	bool open;                   /* s is loaded and connected */
	bool first;                  /* the next read is a first one (store.h) */
	bool down;                   /* said that the database does not answer */
	long long after;
	char since[TS_LEN];
	struct seen_run *runs;
	size_t nruns;
} fw;

static void
seen_run_free(struct seen_run *r)
{
	for (size_t i = 0; i < r->nt; i++) {
		free(r->t[i].name);
		free(r->t[i].outcome);
	}
	free(r->t);
	free(r->result);
}

static struct seen_run *
seen_find(long long id)
{
	for (size_t i = 0; i < fw.nruns; i++)
		if (fw.runs[i].id == id)
			return &fw.runs[i];
	return NULL;
}

/* forget the runs the last read did not give: they ended before it */
static void
seen_prune(void)
{
	size_t w = 0;

	for (size_t i = 0; i < fw.nruns; i++) {
		if (fw.runs[i].kept)
			fw.runs[w++] = fw.runs[i];
		else
			seen_run_free(&fw.runs[i]);
	}
	fw.nruns = w;
}

static json_t *
ts_json(const char *ts)
{
	return *ts ? json_string(ts) : json_null();
}

static void
push_run(const struct store_live_run *r)
{
	json_t *e = json_pack("{s:s, s:I, s:o, s:o}", "type", "run", "run_id",
	                      (json_int_t)r->run_id, "state", web_jstr(r->result), "mode",
	                      web_jstr(r->mode));

	json_object_set_new(e, "started_by", web_jstr(r->started_by));
	json_object_set_new(e, "selection", web_jstr(r->selection));
	json_object_set_new(e, "started_at", ts_json(r->started_at));
	json_object_set_new(e, "ended_at", ts_json(r->ended_at));
	json_object_set_new(e, "seconds", r->seconds >= 0 ? json_real(r->seconds) : json_null());
	events_push(e);
}

static void
push_target(long long run_id, const struct store_live_target *t)
{
	json_t *e = json_pack("{s:s, s:I, s:o, s:o}", "type", "target", "run_id",
	                      (json_int_t)run_id, "target", web_jstr(t->target), "state",
	                      web_jstr(t->outcome));

	json_object_set_new(e, "reason", web_jstr(t->reason));
	json_object_set_new(e, "mode", web_jstr(t->mode));
	json_object_set_new(e, "attempts", json_integer(t->attempts));
	/* the rows of its table: what a build that did not build it recorded is not that */
	json_object_set_new(e, "rows", t->rows >= 0 && strcmp(t->outcome, "built") == 0 ?
	                    json_integer(t->rows) : json_null());
	json_object_set_new(e, "changed", t->changed < 0 ? json_null() : json_boolean(t->changed));
	json_object_set_new(e, "seconds", t->seconds >= 0 ? json_real(t->seconds) : json_null());
	json_object_set_new(e, "started_at", ts_json(t->started_at));
	json_object_set_new(e, "ended_at", ts_json(t->ended_at));
	json_object_set_new(e, "error", web_jstr(t->error));
	events_push(e);
}

/* a target's event when its state is not the one sent */
static void
follow_target(struct seen_run *sr, const struct store_live_target *t)
{
	struct seen_target *st = NULL;

	for (size_t i = 0; i < sr->nt && !st; i++)
		if (strcmp(sr->t[i].name, t->target) == 0)
			st = &sr->t[i];
	if (st && strcmp(st->outcome, t->outcome) == 0 && st->attempts == t->attempts &&
	    st->rows == t->rows)
		return;
	if (!st) {
		sr->t = xreallocarray(sr->t, sr->nt + 1, sizeof(*sr->t));
		st = &sr->t[sr->nt++];
		st->name = xstrdup(t->target);
		st->outcome = NULL;
	}
	free(st->outcome);
	st->outcome = xstrdup(t->outcome);
	st->attempts = t->attempts;
	st->rows = t->rows;
	push_target(sr->id, t);
}

/* the events of one read: a new run first, then its targets; a run's end after them */
static void
follow(const struct store_live *l)
{
	for (size_t i = 0; i < fw.nruns; i++)
		fw.runs[i].kept = false;
	for (size_t i = 0; i < l->nruns; i++) {
		const struct store_live_run *r = &l->runs[i];
		struct seen_run *sr = seen_find(r->run_id);

		if (!sr) {
			fw.runs = xreallocarray(fw.runs, fw.nruns + 1, sizeof(*fw.runs));
			sr = &fw.runs[fw.nruns++];
			memset(sr, 0, sizeof(*sr));
			sr->id = r->run_id;
			sr->result = xstrdup(r->result);
			push_run(r);
		}
		sr->kept = true;
		for (size_t j = 0; j < r->ntargets; j++)
			follow_target(sr, &r->targets[j]);
		if (strcmp(sr->result, r->result) != 0) {
			free(sr->result);
			sr->result = xstrdup(r->result);
			push_run(r);
		}
	}
	seen_prune();
}

static void
follower_close(void)
{
	if (fw.open)
		session_release(&fw.s);
	fw.open = false;
}

/* load the recipe and connect; NULL, or why not (malloc'ed) */
static char *
follower_open(void)
{
	struct run_request rq = { .recipe = web_recipe(), .diags = &fw.diags };
	char *err = NULL;

	diags_release(&fw.diags);
	if (session_open(&fw.s, &rq, false) != OUTCOME_OK) {
		err = diags_text(&fw.diags);
		session_release(&fw.s);
		return err;
	}
	/* before any message of the connection reaches a client */
	scrub_add_recipe(fw.s.r);
	if (conns_open(&fw.s.conns, fw.s.r, &err) < 0) {
		session_release(&fw.s);
		return err ? err : xstrdup("cannot connect");
	}
	fw.open = true;
	return NULL;
}

/* say once that the database does not answer, and when it does again */
static void
say(bool down, const char *why)
{
	json_t *e;

	if (down == fw.down)
		return;
	fw.down = down;
	e = json_pack("{s:s, s:s}", "type", "live", "state", down ? "down" : "up");
	if (down) {
		size_t n;
		char *text = scrub_textn(why, strlen(why), &n);

		fprintf(stderr, "chacc: live events: the target database does not answer (%s);"
		        " asking again\n", text);
		json_object_set_new(e, "error", web_jstr(text));
		free(text);
	} else
		fprintf(stderr, "chacc: live events: the target database answers again\n");
	/* what a client that comes later is told first (web_events.c) */
	pthread_mutex_lock(&live.mu);
	free(live.down);
	live.down = down ? json_dumps(e, JSON_COMPACT) : NULL;
	pthread_mutex_unlock(&live.mu);
	events_push(e);
}

/* one read and its events; false when the database did not answer */
static bool
follow_once(void)
{
	struct store_live l;
	struct store_live_query q = { .after = fw.first ? -1 : fw.after, .since = fw.since };
	long long *ids = xcalloc(fw.nruns + 1, sizeof(*ids));
	char *err = NULL;

	if (!fw.open && (err = follower_open())) {
		say(true, err);
		free(err);
		free(ids);
		return false;
	}
	for (size_t i = 0; i < fw.nruns; i++)
		if (strcmp(fw.runs[i].result, "running") == 0)
			ids[q.nids++] = fw.runs[i].id;
	q.ids = ids;
	if (store_live_read(fw.s.conns.store, &q, &l) < 0) {
		say(true, store_error(fw.s.conns.store));
		follower_close();   /* connect again next time */
		free(ids);
		return false;
	}
	free(ids);
	say(false, NULL);
	follow(&l);
	fw.first = false;
	if (l.top > fw.after)
		fw.after = l.top;
	snprintf(fw.since, sizeof(fw.since), "%s", l.now);
	store_live_release(&l);
	return true;
}

/* wait seconds or until closing; call with live.mu held */
static void
pause_for(double seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)seconds;
	while (!live.closing && pthread_cond_timedwait(&live.cv, &live.mu, &until) != ETIMEDOUT)
		;
}

static void *
follower_main(void *arg)
{
	double pause = LIVE_EVERY;

	pthread_mutex_lock(&live.mu);
	while (!live.closing) {
		bool ok;

		if (live.listeners == 0) {
			/* nobody listens: no connection held, and a first read again */
			pthread_mutex_unlock(&live.mu);
			follower_close();
			pthread_mutex_lock(&live.mu);
			fw.first = true;
			while (!live.closing && live.listeners == 0)
				pthread_cond_wait(&live.cv, &live.mu);
			continue;
		}
		pthread_mutex_unlock(&live.mu);
		ok = follow_once();
		pthread_mutex_lock(&live.mu);
		pause = ok ? LIVE_EVERY : pause * 2 > LIVE_RETRY_MAX ? LIVE_RETRY_MAX : pause * 2;
		pause_for(pause);
	}
	pthread_mutex_unlock(&live.mu);
	follower_close();
	return NULL;
}

void
live_start(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&live.cv);
	pthread_cond_init(&live.cv, &ca);
	pthread_condattr_destroy(&ca);
	diags_init(&fw.diags);
	fw.first = true;
	fw.down = false;
	fw.after = 0;
	fw.since[0] = '\0';
	live.closing = false;
	live.listeners = 0;
	live.started = pthread_create(&live.th, NULL, follower_main, NULL) == 0;
}

void
live_stop(void)
{
	pthread_mutex_lock(&live.mu);
	live.closing = true;
	pthread_cond_broadcast(&live.cv);
	pthread_mutex_unlock(&live.mu);
	if (live.started)
		pthread_join(live.th, NULL);
	live.started = false;
	for (size_t i = 0; i < fw.nruns; i++)
		seen_run_free(&fw.runs[i]);
	free(fw.runs);
	fw.runs = NULL;
	fw.nruns = 0;
	diags_release(&fw.diags);
	free(live.down);
	live.down = NULL;
}

char *
live_down_event(void)
{
	char *e;

	pthread_mutex_lock(&live.mu);
	e = live.down ? xstrdup(live.down) : NULL;
	pthread_mutex_unlock(&live.mu);
	return e;
}

void
live_listen(int delta)
{
	pthread_mutex_lock(&live.mu);
	live.listeners += delta;
	pthread_cond_broadcast(&live.cv);
	pthread_mutex_unlock(&live.mu);
}
