/* fake_store_live.c: following runs as they go (store_live_read) in the fake store */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store_impl.h"
#include "util.h"

/* whether a read of q wants run r (store.h) */
static bool
wanted(const struct frun *r, const struct store_live_query *q)
{
	if (strcmp(r->result, "running") == 0)
		return true;
	if (q->after < 0)
		return false;
	if (r->id > q->after)
		return true;
	if (q->since && *q->since && *r->ended_at &&
	    fake_seconds_of(r->ended_at) >= fake_seconds_of(q->since) - 2)
		return true;
	for (size_t i = 0; i < q->nids; i++)
		if (q->ids[i] == r->id)
			return true;
	return false;
}

static double
secs(const char *from, const char *to)
{
	if (!*from || !*to)
		return -1;
	return (double)llround((fake_seconds_of(to) - fake_seconds_of(from)) * 1000) / 1000;
}

/* the marker of target still of run id says whether that build changed its rows */
static int
changed(struct fake_server *srv, const char *recipe, const struct ftarget *t)
{
	if (strcmp(t->outcome, "built") != 0)
		return -1;
	for (size_t i = 0; i < srv->nmarkers; i++) {
		const struct fmarker *f = &srv->markers[i];

		if (strcmp(f->recipe, recipe) == 0 && strcmp(f->target, t->target) == 0 &&
		    f->m.run_id == t->run_id && strcmp(f->m.status, "ok") == 0)
			return strcmp(f->m.changed_at, f->m.built_at) >= 0;
	}
	return -1;
}

/* by start, the targets that never started last, then by name */
static int
by_start(const void *a, const void *b)
{
	const struct store_live_target *x = a, *y = b;
	int c = (*x->started_at == '\0') - (*y->started_at == '\0');

	if (c == 0)
		c = strcmp(x->started_at, y->started_at);
	return c ? c : strcmp(x->target, y->target);
}

static void
add_targets(struct fake_server *srv, const char *recipe, struct store_live_run *run)
{
	for (size_t j = 0; j < srv->ntargets; j++) {
		const struct ftarget *ft = &srv->targets[j];
		struct store_live_target *t;

		if (ft->run_id != run->run_id)
			continue;
		t = store_live_add_target(run);
		t->target = xstrdup(ft->target);
		t->outcome = xstrdup(ft->outcome);
		t->reason = DUP(ft->reason);
		t->mode = DUP(ft->mode);
		t->error = DUP(ft->error);
		snprintf(t->started_at, TS_LEN, "%s", ft->started_at);
		snprintf(t->ended_at, TS_LEN, "%s", ft->ended_at);
		t->rows = ft->has_rows ? ft->rows : -1;
		t->attempts = ft->attempts;
		t->seconds = secs(ft->started_at, ft->ended_at);
		t->changed = changed(srv, recipe, ft);
	}
	if (run->ntargets > 1)
		qsort(run->targets, run->ntargets, sizeof(*run->targets), by_start);
}

int
fake_live_read(struct store *st, const struct store_live_query *q, struct store_live *out)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	fake_now_ts(srv, out->now);
	/* runs are kept in the order of their ids */
	for (size_t i = 0; i < srv->nruns; i++) {
		const struct frun *r = &srv->runs[i];
		struct store_live_run *run;

		if (strcmp(r->recipe, st->recipe) != 0)
			continue;
		if (r->id > out->top)
			out->top = r->id;
		if (!wanted(r, q))
			continue;
		run = store_live_add_run(out);
		run->run_id = r->id;
		run->result = xstrdup(r->result);
		run->mode = xstrdup(r->mode);
		run->selection = DUP(r->selection);
		run->started_by = DUP(r->started_by);
		snprintf(run->started_at, TS_LEN, "%s", r->started_at);
		snprintf(run->ended_at, TS_LEN, "%s", r->ended_at);
		run->seconds = secs(r->started_at, r->ended_at);
		add_targets(srv, st->recipe, run);
	}
	fake_leave(srv);
	return 0;
}
