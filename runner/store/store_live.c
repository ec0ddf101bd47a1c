/* store_live.c: following runs as they go (store_live_read), the engine-neutral part */
#include "store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "util.h"

int
store_live_read(struct store *st, const struct store_live_query *q, struct store_live *out)
{
	memset(out, 0, sizeof(*out));
	return st->ops->live_read(st, q, out);
}

struct store_live_run *
store_live_add_run(struct store_live *l)
{
	struct store_live_run *r;

	l->runs = xreallocarray(l->runs, l->nruns + 1, sizeof(*l->runs));
	r = &l->runs[l->nruns++];
	memset(r, 0, sizeof(*r));
	r->seconds = -1;
	return r;
}

struct store_live_target *
store_live_add_target(struct store_live_run *run)
{
	struct store_live_target *t;

	run->targets = xreallocarray(run->targets, run->ntargets + 1, sizeof(*run->targets));
	t = &run->targets[run->ntargets++];
	memset(t, 0, sizeof(*t));
	t->rows = -1;
	t->seconds = -1;
	t->changed = -1;
	return t;
}

void
store_live_release(struct store_live *l)
{
	for (size_t i = 0; i < l->nruns; i++) {
		struct store_live_run *r = &l->runs[i];

		for (size_t j = 0; j < r->ntargets; j++) {
			struct store_live_target *t = &r->targets[j];

			free(t->target);
			free(t->outcome);
			free(t->reason);
			free(t->mode);
			free(t->error);
		}
		free(r->targets);
		free(r->result);
		free(r->mode);
		free(r->selection);
		free(r->started_by);
	}
	free(l->runs);
	memset(l, 0, sizeof(*l));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
copy_ts(char *out, const char *s)
{
	snprintf(out, TS_LEN, "%s", s ? s : "");
}

void
store_live_add_row(struct store_live *out, struct dbres *res)
{
	struct store_live_run *r = out->nruns ? &out->runs[out->nruns - 1] : NULL;
	long long id = atoll(dbres_get(res, 2));
	struct store_live_target *t;

	if (!r || r->run_id != id) {
		r = store_live_add_run(out);
		r->run_id = id;
		r->result = xstrdup(dbres_get(res, 3) ? dbres_get(res, 3) : "");
		r->mode = xstrdup(dbres_get(res, 4) ? dbres_get(res, 4) : "");
		r->selection = dup_or_null(dbres_get(res, 5));
		r->started_by = dup_or_null(dbres_get(res, 6));
		copy_ts(r->started_at, dbres_get(res, 7));
		copy_ts(r->ended_at, dbres_get(res, 8));
		r->seconds = dbres_get(res, 9) ? atof(dbres_get(res, 9)) : -1;
	}
	if (!dbres_get(res, 10))
		return;         /* a run without targets yet */
	t = store_live_add_target(r);
	t->target = xstrdup(dbres_get(res, 10));
	t->outcome = xstrdup(dbres_get(res, 11) ? dbres_get(res, 11) : "");
	t->reason = dup_or_null(dbres_get(res, 12));
	t->mode = dup_or_null(dbres_get(res, 13));
	copy_ts(t->started_at, dbres_get(res, 14));
	copy_ts(t->ended_at, dbres_get(res, 15));
	t->rows = dbres_get(res, 16) ? atoll(dbres_get(res, 16)) : -1;
	t->attempts = dbres_get(res, 17) ? atoi(dbres_get(res, 17)) : 0;
	t->error = dup_or_null(dbres_get(res, 18));
	t->seconds = dbres_get(res, 19) ? atof(dbres_get(res, 19)) : -1;
	t->changed = dbres_get(res, 20) ? atoi(dbres_get(res, 20)) : -1;
}
