/* fake_store_checks.c: the fake store's results of checks and profiles of targets */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store_impl.h"
#include "util.h"

static const char *const check_cols[] = {
	"run_id", "target", "check", "severity", "status", "failing", "samples", "detail",
	"seconds", "checked_at",
};

int
fake_checks_record(struct store *st, long long run_id, const struct store_check *c, size_t n)
{
	struct fake_server *srv = fake_enter(st);
	char now[TS_LEN];

	if (!srv)
		return -1;
	fake_now_ts(srv, now);
	for (size_t i = 0; i < n; i++) {
		struct fcheck *f = GROW(srv->checks, srv->nchecks);

		f->id = ++srv->next_check;
		f->run_id = run_id > 0 ? run_id : 0;
		f->recipe = xstrdup(st->recipe);
		f->target = xstrdup(c[i].target);
		f->check = xstrdup(c[i].check);
		f->severity = xstrdup(c[i].severity);
		f->status = xstrdup(c[i].status);
		f->samples = DUP(c[i].samples);
		f->detail = DUP(c[i].detail);
		f->failing = c[i].failing >= 0 ? c[i].failing : -1;
		f->seconds = c[i].seconds >= 0 ? c[i].seconds : 0;
		memcpy(f->at, now, TS_LEN);
	}
	fake_leave(srv);
	return 0;
}

static void
check_row(struct store_rows *out, const struct fcheck *f)
{
	char *c[10];

	c[0] = f->run_id > 0 ? xasprintf("%lld", f->run_id) : NULL;
	c[1] = xstrdup(f->target);
	c[2] = xstrdup(f->check);
	c[3] = xstrdup(f->severity);
	c[4] = xstrdup(f->status);
	c[5] = f->failing >= 0 ? xasprintf("%lld", f->failing) : NULL;
	c[6] = DUP(f->samples);
	c[7] = DUP(f->detail);
	c[8] = xasprintf("%.3f", f->seconds);
	c[9] = xstrdup(f->at);
	store_rows_add(out, (const char *const *)c);
	for (size_t i = 0; i < LEN(c); i++)
		free(c[i]);
}

/* whether a later row of the recipe has the same target and check as checks[i] */
static bool
superseded(const struct fake_server *srv, size_t i)
{
	const struct fcheck *f = &srv->checks[i];

	for (size_t j = i + 1; j < srv->nchecks; j++)
		if (strcmp(srv->checks[j].recipe, f->recipe) == 0 &&
		    strcmp(srv->checks[j].target, f->target) == 0 &&
		    strcmp(srv->checks[j].check, f->check) == 0)
			return true;
	return false;
}

static int
by_target_check(const void *a, const void *b)
{
	const struct fcheck *x = *(const struct fcheck *const *)a;
	const struct fcheck *y = *(const struct fcheck *const *)b;
	int c = strcmp(x->target, y->target);

	if (c == 0)
		c = strcmp(x->check, y->check);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* the rows of checks that match (latest: the newest of each; else of run_id), sorted */
static struct store_rows *
check_rows(struct store *st, bool latest, const char *target, long long run_id)
{
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;
	const struct fcheck **pick;
	size_t n = 0;

	if (!srv)
		return NULL;
	out = store_rows_new(check_cols, LEN(check_cols));
	pick = xcalloc(srv->nchecks + 1, sizeof(*pick));
	for (size_t i = 0; i < srv->nchecks; i++) {
		const struct fcheck *f = &srv->checks[i];

		if (strcmp(f->recipe, st->recipe) != 0 || (target && strcmp(f->target, target) != 0))
			continue;
		if (latest ? !superseded(srv, i) : f->run_id == run_id)
			pick[n++] = f;
	}
	qsort(pick, n, sizeof(*pick), by_target_check);
	for (size_t i = 0; i < n; i++)
		check_row(out, pick[i]);
	free(pick);
	fake_leave(srv);
	return out;
}

struct store_rows *
fake_checks_latest(struct store *st, const char *target)
{
	return check_rows(st, true, target, 0);
}

struct store_rows *
fake_checks_of_run(struct store *st, long long run_id)
{
	return check_rows(st, false, NULL, run_id);
}

int
fake_profile_record(struct store *st, long long run_id, const char *target, long long rows,
                    const char *json)
{
	struct fake_server *srv = fake_enter(st);
	struct fprofile *p;

	if (!srv)
		return -1;
	p = GROW(srv->profiles, srv->nprofiles);
	p->id = ++srv->next_check;
	p->run_id = run_id > 0 ? run_id : 0;
	p->rows = rows;
	p->recipe = xstrdup(st->recipe);
	p->target = xstrdup(target);
	p->json = xstrdup(json ? json : "{}");
	fake_now_ts(srv, p->at);
	fake_leave(srv);
	return 0;
}

struct store_rows *
fake_profiles(struct store *st, const char *target, long limit)
{
	static const char *const cols[] = { "run_id", "profiled_at", "rows", "profile" };
	struct fake_server *srv = fake_enter(st);
	struct store_rows *out;

	if (!srv)
		return NULL;
	out = store_rows_new(cols, LEN(cols));
	for (size_t i = srv->nprofiles; i-- > 0 && (long)out->nrows < (limit > 0 ? limit : 1);) {
		const struct fprofile *p = &srv->profiles[i];
		char *c[4];

		if (strcmp(p->recipe, st->recipe) != 0 || strcmp(p->target, target) != 0)
			continue;
		c[0] = p->run_id > 0 ? xasprintf("%lld", p->run_id) : NULL;
		c[1] = xstrdup(p->at);
		c[2] = xasprintf("%lld", p->rows);
		c[3] = xstrdup(p->json);
		store_rows_add(out, (const char *const *)c);
		for (size_t k = 0; k < LEN(c); k++)
			free(c[k]);
	}
	fake_leave(srv);
	return out;
}

static void
check_free(struct fcheck *f)
{
	free(f->recipe);
	free(f->target);
	free(f->check);
	free(f->severity);
	free(f->status);
	free(f->samples);
	free(f->detail);
}

static void
profile_free(struct fprofile *p)
{
	free(p->recipe);
	free(p->target);
	free(p->json);
}

/* whether a later profile of the recipe is of the same target as profiles[i] */
static bool
profile_superseded(const struct fake_server *srv, size_t i)
{
	for (size_t j = i + 1; j < srv->nprofiles; j++)
		if (strcmp(srv->profiles[j].recipe, srv->profiles[i].recipe) == 0 &&
		    strcmp(srv->profiles[j].target, srv->profiles[i].target) == 0)
			return true;
	return false;
}

int
fake_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                  long long *profiles)
{
	struct fake_server *srv = fake_enter(st);
	size_t k = 0;

	*checks = *profiles = 0;
	if (!srv)
		return -1;
	/* the rows stay in id order: those kept are moved down */
	for (size_t i = 0; i < srv->nchecks; i++) {
		struct fcheck *f = &srv->checks[i];
		bool old = strcmp(f->recipe, st->recipe) == 0 && strcmp(f->at, before) < 0 &&
		           superseded(srv, i);

		*checks += old;
		if (old && !dry)
			check_free(f);
		else
			srv->checks[k++] = *f;
	}
	srv->nchecks = k;
	k = 0;
	for (size_t i = 0; i < srv->nprofiles; i++) {
		struct fprofile *p = &srv->profiles[i];
		bool old = strcmp(p->recipe, st->recipe) == 0 && strcmp(p->at, before) < 0 &&
		           profile_superseded(srv, i);

		*profiles += old;
		if (old && !dry)
			profile_free(p);
		else
			srv->profiles[k++] = *p;
	}
	srv->nprofiles = k;
	fake_leave(srv);
	return 0;
}

void
fake_checks_free(struct fake_server *srv)
{
	for (size_t i = 0; i < srv->nchecks; i++)
		check_free(&srv->checks[i]);
	for (size_t i = 0; i < srv->nprofiles; i++)
		profile_free(&srv->profiles[i]);
	free(srv->checks);
	free(srv->profiles);
}
