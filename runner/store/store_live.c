/* store_live.c: following runs as they go (store_live_read), the engine-neutral part */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

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
