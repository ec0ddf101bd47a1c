/* fake_store_runs.c: runs, the history, metrics and pruning of the fake store */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store_impl.h"
#include "util.h"

/* runs */

struct frun *
fake_find_run(struct fake_server *srv, long long id)
{
	for (size_t i = 0; i < srv->nruns; i++)
		if (srv->runs[i].id == id)
			return &srv->runs[i];
	return NULL;
}

long long
fake_run_begin(struct store *st, const char *mode, const char *selection,
               const char *started_by, const char *rev, bool dirty)
{
	struct fake_server *srv = fake_enter(st);
	struct frun *r;
	char *key;

	if (!srv)
		return -1;
	r = GROW(srv->runs, srv->nruns);
	r->id = srv->next_run++;
	r->recipe = xstrdup(st->recipe);
	r->mode = xstrdup(mode);
	r->selection = DUP(selection);
	r->started_by = DUP(started_by);
	r->rev = DUP(rev);
	r->dirty = dirty;
	fake_now_ts(srv, r->started_at);
	snprintf(r->result, sizeof(r->result), "running");
	key = store_run_key(r->id);
	fake_take(srv, st, key, 0);
	free(key);
	fake_leave(srv);
	return srv->next_run - 1;
}

int
fake_run_end(struct store *st, long long run_id, const char *result)
{
	struct fake_server *srv = fake_enter(st);
	struct frun *r;

	if (!srv)
		return -1;
	if ((r = fake_find_run(srv, run_id))) {
		fake_now_ts(srv, r->ended_at);
		snprintf(r->result, sizeof(r->result), "%s", result);
	}
	fake_leave(srv);
	return 0;
}

/* the run's row of target, replaced */
static struct ftarget *
put_target(struct fake_server *srv, long long run_id, const char *target, const char *reason,
           const char *mode, const char *outcome, const char *error)
{
	struct ftarget *t = NULL;

	for (size_t i = 0; i < srv->ntargets && !t; i++)
		if (srv->targets[i].run_id == run_id && strcmp(srv->targets[i].target, target) == 0)
			t = &srv->targets[i];
	if (!t) {
		t = GROW(srv->targets, srv->ntargets);
		t->run_id = run_id;
		t->target = xstrdup(target);
	}
	free(t->reason);
	free(t->mode);
	free(t->outcome);
	free(t->error);
	t->reason = xstrdup(reason);
	t->mode = xstrdup(mode);
	t->outcome = xstrdup(outcome);
	t->error = DUP(error);
	t->started_at[0] = t->ended_at[0] = '\0';
	t->has_rows = false;
	t->attempts = 0;
	return t;
}

int
fake_run_target_building(struct store *st, long long run_id, const char *target,
                         const char *reason, const char *mode, double started, int attempts)
{
	struct fake_server *srv = fake_enter(st);
	struct ftarget *t;

	if (!srv)
		return -1;
	t = put_target(srv, run_id, target, reason, mode, "building", NULL);
	fake_ts_of(started, t->started_at);
	t->attempts = attempts;
	fake_leave(srv);
	return 0;
}

int
fake_run_target_record(struct store *st, long long run_id, const char *target,
                       const char *reason, const char *mode, double started, double ended,
                       long long rows, int attempts, const char *outcome, const char *error)
{
	struct fake_server *srv = fake_enter(st);
	struct ftarget *t;

	if (!srv)
		return -1;
	t = put_target(srv, run_id, target, reason, mode, outcome, error);
	fake_ts_of(started, t->started_at);
	fake_ts_of(ended, t->ended_at);
	t->has_rows = true;
	t->rows = rows;
	t->attempts = attempts;
	fake_leave(srv);
	return 0;
}

int
fake_run_target_unstarted(struct store *st, long long run_id, const char *target,
                          const char *reason, const char *mode, const char *outcome,
                          const char *error)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	put_target(srv, run_id, target, reason, mode, outcome, error);
	fake_leave(srv);
	return 0;
}

long
fake_runs_running(struct store *st, long long **ids)
{
	struct fake_server *srv = fake_enter(st);
	long n = 0;

	*ids = NULL;
	if (!srv)
		return -1;
	*ids = xcalloc(srv->nruns + 1, sizeof(**ids));
	for (size_t i = 0; i < srv->nruns; i++)
		if (strcmp(srv->runs[i].result, "running") == 0)
			(*ids)[n++] = srv->runs[i].id;
	fake_leave(srv);
	return n;
}

int
fake_run_close_dead(struct store *st, long long run_id)
{
	static const char why[] = "interrupted: its runner stopped without recording the end";
	struct fake_server *srv = fake_enter(st);
	struct frun *r;

	if (!srv)
		return -1;
	if (!(r = fake_find_run(srv, run_id)) || strcmp(r->result, "running") != 0) {
		fake_leave(srv);
		return 0;
	}
	snprintf(r->result, sizeof(r->result), "interrupted");
	snprintf(r->ended_at, TS_LEN, "%s", r->started_at);
	for (size_t i = 0; i < srv->ntargets; i++) {
		struct ftarget *t = &srv->targets[i];
		const char *last = *t->ended_at ? t->ended_at : t->started_at;

		if (t->run_id != run_id)
			continue;
		if (strcmp(last, r->ended_at) > 0)
			snprintf(r->ended_at, TS_LEN, "%s", last);
		if (strcmp(t->outcome, "building") == 0) {
			free(t->outcome);
			free(t->error);
			t->outcome = xstrdup("interrupted");
			t->error = xstrdup(why);
		}
	}
	for (size_t i = 0; i < srv->nmarkers; i++) {
		struct marker *m = &srv->markers[i].m;

		if (m->run_id == run_id && strcmp(m->status, "running") == 0) {
			snprintf(m->status, sizeof(m->status), "interrupted");
			free(m->error);
			m->error = xstrdup(why);
		}
	}
	fake_leave(srv);
	return 1;
}

long
fake_building(struct store *st, struct store_building **out)
{
	struct fake_server *srv = fake_enter(st);
	long n = 0;

	*out = NULL;
	if (!srv)
		return -1;
	*out = xcalloc(srv->ntargets + 1, sizeof(**out));
	for (size_t i = 0; i < srv->ntargets; i++) {
		const struct ftarget *t = &srv->targets[i];
		const struct frun *r = fake_find_run(srv, t->run_id);

		if (!r || strcmp(r->recipe, st->recipe) != 0 || strcmp(r->result, "running") != 0 ||
		    strcmp(t->outcome, "building") != 0)
			continue;
		(*out)[n].target = xstrdup(t->target);
		(*out)[n].run_id = t->run_id;
		snprintf((*out)[n].since, TS_LEN, "%s", t->started_at);
		n++;
	}
	fake_leave(srv);
	return n;
}

/* the history */

int
fake_now(struct store *st, char *out)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	fake_now_ts(srv, out);
	fake_leave(srv);
	return 0;
}

/* a cell: NULL for "" (no time), else a copy */
static char *
cell_ts(const char *ts)
{
	return *ts ? xstrdup(ts) : NULL;
}

static char *
cell_secs(const char *from, const char *to)
{
	return *from && *to ? xasprintf("%.3f", fake_seconds_of(to) - fake_seconds_of(from)) : NULL;
}

static void
add_row(struct store_rows *r, char **cells)
{
	store_rows_add(r, (const char *const *)cells);
	for (size_t i = 0; i < r->ncols; i++)
		free(cells[i]);
}

static void
run_row(struct store_rows *out, const struct frun *r, bool full)
{
	char *c[11];
	size_t k = 0;

	c[k++] = xasprintf("%lld", r->id);
	c[k++] = xstrdup(r->mode);
	c[k++] = xstrdup(r->result);
	c[k++] = DUP(r->started_by);
	if (full)
		c[k++] = xstrdup("fake");
	c[k++] = cell_ts(r->started_at);
	c[k++] = cell_ts(r->ended_at);
	c[k++] = cell_secs(r->started_at, r->ended_at);
	c[k++] = DUP(r->rev);
	c[k++] = xasprintf("%d", r->dirty ? 1 : 0);
	c[k++] = DUP(r->selection);
	add_row(out, c);
}

struct store_rows *
fake_runs(struct store *st, long limit)
{
	static const char *const cols[] = {
		"run_id", "mode", "result", "started_by", "started_at", "ended_at", "seconds",
		"config_rev", "config_dirty", "selection",
	};
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	for (size_t i = srv->nruns; i-- > 0 && (long)out->nrows < (limit > 0 ? limit : 20);)
		if (strcmp(srv->runs[i].recipe, st->recipe) == 0)
			run_row(out, &srv->runs[i], false);
	fake_leave(srv);
	return out;
}

static bool
run_matches(const struct frun *r, const char *recipe, const struct store_runs_filter *f)
{
	return strcmp(r->recipe, recipe) == 0 && (!f->mode || strcmp(r->mode, f->mode) == 0) &&
	       (!f->result || strcmp(r->result, f->result) == 0) &&
	       (!f->from || strcmp(r->started_at, f->from) >= 0) &&
	       (!f->until || strcmp(r->started_at, f->until) < 0);
}

struct store_rows *
fake_runs_find(struct store *st, const struct store_runs_filter *f, long long *total)
{
	static const char *const cols[] = {
		"run_id", "mode", "result", "started_by", "started_at", "ended_at", "seconds",
		"config_rev", "config_dirty", "selection",
	};
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	long skip = f->offset > 0 ? f->offset : 0, limit = f->limit > 0 ? f->limit : 20;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	*total = 0;
	for (size_t i = srv->nruns; i-- > 0;) {
		if (!run_matches(&srv->runs[i], st->recipe, f))
			continue;
		if ((*total)++ >= skip && (long)out->nrows < limit)
			run_row(out, &srv->runs[i], false);
	}
	fake_leave(srv);
	return out;
}

struct store_rows *
fake_run(struct store *st, long long id)
{
	static const char *const cols[] = {
		"run_id", "mode", "result", "started_by", "host", "started_at", "ended_at",
		"seconds", "config_rev", "config_dirty", "selection",
	};
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	struct frun *r;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	if ((r = fake_find_run(srv, id)) && strcmp(r->recipe, st->recipe) == 0)
		run_row(out, r, true);
	fake_leave(srv);
	return out;
}

/* a run target's cells from reason on (reason ... error, as store_run_targets) */
static size_t
target_cells(char **c, const struct ftarget *t)
{
	size_t k = 0;

	c[k++] = xstrdup(t->reason);
	c[k++] = xstrdup(t->mode);
	c[k++] = xstrdup(t->outcome);
	c[k++] = cell_ts(t->started_at);
	c[k++] = cell_ts(t->ended_at);
	c[k++] = cell_secs(t->started_at, t->ended_at);
	c[k++] = t->has_rows ? xasprintf("%lld", t->rows) : NULL;
	c[k++] = xasprintf("%d", t->attempts);
	c[k++] = DUP(t->error);
	return k;
}

static int
by_start(const void *a, const void *b)
{
	const struct ftarget *x = *(const struct ftarget *const *)a;
	const struct ftarget *y = *(const struct ftarget *const *)b;
	int c = strcmp(x->started_at, y->started_at);

	return c ? c : strcmp(x->target, y->target);
}

struct store_rows *
fake_run_targets(struct store *st, long long id)
{
	static const char *const cols[] = {
		"target", "reason", "mode", "outcome", "started_at", "ended_at", "seconds", "rows",
		"attempts", "error",
	};
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	const struct ftarget **ts;
	struct frun *r;
	size_t n = 0;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	ts = xcalloc(srv->ntargets + 1, sizeof(*ts));
	if ((r = fake_find_run(srv, id)) && strcmp(r->recipe, st->recipe) == 0)
		for (size_t i = 0; i < srv->ntargets; i++)
			if (srv->targets[i].run_id == id)
				ts[n++] = &srv->targets[i];
	qsort(ts, n, sizeof(*ts), by_start);
	for (size_t i = 0; i < n; i++) {
		char *c[10];

		c[0] = xstrdup(ts[i]->target);
		target_cells(c + 1, ts[i]);
		add_row(out, c);
	}
	free(ts);
	fake_leave(srv);
	return out;
}

struct store_rows *
fake_target_runs(struct store *st, const char *target, long limit)
{
	static const char *const cols[] = {
		"run_id", "run_mode", "started_by", "reason", "mode", "outcome", "started_at",
		"ended_at", "seconds", "rows", "attempts", "error",
	};
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	for (size_t i = srv->nruns; i-- > 0 && (long)out->nrows < (limit > 0 ? limit : 20);) {
		const struct frun *r = &srv->runs[i];

		if (strcmp(r->recipe, st->recipe) != 0)
			continue;
		for (size_t j = 0; j < srv->ntargets; j++) {
			const struct ftarget *t = &srv->targets[j];
			char *c[12];

			if (t->run_id != r->id || strcmp(t->target, target) != 0)
				continue;
			c[0] = xasprintf("%lld", r->id);
			c[1] = xstrdup(r->mode);
			c[2] = DUP(r->started_by);
			target_cells(c + 3, t);
			add_row(out, c);
		}
	}
	fake_leave(srv);
	return out;
}

struct store_rows *
fake_runs_by_result(struct store *st)
{
	static const char *const cols[] = { "result", "runs" };
	static const char *const results[] = { "failed", "interrupted", "running", "success" };
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	for (size_t k = 0; k < LEN(results); k++) {
		long n = 0;
		char *c[2];

		for (size_t i = 0; i < srv->nruns; i++)
			n += strcmp(srv->runs[i].recipe, st->recipe) == 0 &&
			     strcmp(srv->runs[i].result, results[k]) == 0;
		if (n == 0)
			continue;
		c[0] = xstrdup(results[k]);
		c[1] = xasprintf("%ld", n);
		add_row(out, c);
	}
	fake_leave(srv);
	return out;
}

struct store_rows *
fake_target_totals(struct store *st)
{
	static const char *const cols[] = { "target", "built", "failed", "seconds", "timed" };
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	char **names;
	size_t n = 0;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	names = xcalloc(srv->ntargets + 1, sizeof(*names));
	for (size_t i = 0; i < srv->ntargets; i++) {
		const struct frun *r = fake_find_run(srv, srv->targets[i].run_id);
		bool seen = false;

		for (size_t j = 0; j < n; j++)
			seen |= strcmp(names[j], srv->targets[i].target) == 0;
		if (r && strcmp(r->recipe, st->recipe) == 0 && !seen)
			names[n++] = srv->targets[i].target;
	}
	qsort(names, n, sizeof(*names), fake_by_name);
	for (size_t k = 0; k < n; k++) {
		long built = 0, failed = 0, timed = 0;
		double secs = 0;
		char *c[5];

		for (size_t i = 0; i < srv->ntargets; i++) {
			const struct ftarget *t = &srv->targets[i];
			const struct frun *r = fake_find_run(srv, t->run_id);

			if (!r || strcmp(r->recipe, st->recipe) != 0 || strcmp(t->target, names[k]) != 0)
				continue;
			built += strcmp(t->outcome, "built") == 0;
			failed += strcmp(t->outcome, "failed") == 0;
			if (*t->ended_at) {
				timed++;
				secs += fake_seconds_of(t->ended_at) - fake_seconds_of(t->started_at);
			}
		}
		c[0] = xstrdup(names[k]);
		c[1] = xasprintf("%ld", built);
		c[2] = xasprintf("%ld", failed);
		c[3] = xasprintf("%.6f", secs);
		c[4] = xasprintf("%ld", timed);
		add_row(out, c);
	}
	free(names);
	fake_leave(srv);
	return out;
}

static int
by_target(const void *a, const void *b)
{
	return strcmp((*(const struct fmarker *const *)a)->target,
	              (*(const struct fmarker *const *)b)->target);
}

struct store_rows *
fake_marker_stats(struct store *st)
{
	static const char *const cols[] = { "target", "rows", "seconds", "success_at", "ok" };
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	const struct fmarker **ms;
	size_t n = 0;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	ms = xcalloc(srv->nmarkers + 1, sizeof(*ms));
	for (size_t i = 0; i < srv->nmarkers; i++)
		if (strcmp(srv->markers[i].recipe, st->recipe) == 0)
			ms[n++] = &srv->markers[i];
	qsort(ms, n, sizeof(*ms), by_target);
	for (size_t i = 0; i < n; i++) {
		const struct marker *m = &ms[i]->m;
		char *c[5];

		c[0] = xstrdup(ms[i]->target);
		c[1] = xasprintf("%lld", m->rows);
		c[2] = xasprintf("%.4f", m->duration);
		c[3] = xasprintf("%.6f", *m->built_at ? fake_seconds_of(m->built_at) : 0);
		c[4] = xstrdup(strcmp(m->status, "ok") == 0 ? "1" : "0");
		add_row(out, c);
	}
	free(ms);
	fake_leave(srv);
	return out;
}

int
fake_prune_runs(struct store *st, const char *before, bool dry, long long *runs,
                long long *targets)
{
	struct fake_server *srv = fake_enter(st);

	*runs = *targets = 0;
	if (!srv)
		return -1;
	for (size_t i = 0; i < srv->nruns;) {
		struct frun *r = &srv->runs[i];
		const char *end = *r->ended_at ? r->ended_at : r->started_at;

		if (strcmp(r->recipe, st->recipe) != 0 || strcmp(r->result, "running") == 0 ||
		    strncmp(end, before, strlen(before)) >= 0) {
			i++;
			continue;
		}
		(*runs)++;
		for (size_t j = 0; j < srv->ntargets;) {
			struct ftarget *t = &srv->targets[j];

			if (t->run_id != r->id || dry) {
				*targets += t->run_id == r->id;
				j++;
				continue;
			}
			(*targets)++;
			free(t->target);
			free(t->reason);
			free(t->mode);
			free(t->outcome);
			free(t->error);
			srv->targets[j] = srv->targets[--srv->ntargets];
		}
		if (dry) {
			i++;
			continue;
		}
		free(r->recipe);
		free(r->mode);
		free(r->selection);
		free(r->started_by);
		free(r->rev);
		srv->runs[i] = srv->runs[--srv->nruns];
	}
	fake_leave(srv);
	return 0;
}

long long
fake_prune_deletes(struct store *st, const char *target, const char *before,
                   const char *read_before, bool dry)
{
	struct fake_server *srv = fake_enter(st);
	const char *limit = before;
	long long n;

	if (!srv)
		return -1;
	if (read_before && strcmp(read_before, limit) < 0)
		limit = read_before;
	n = fake_drop_deletes(srv, target, limit, dry);
	fake_leave(srv);
	return n;
}

