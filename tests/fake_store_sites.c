/* fake_store_sites.c: the fake store's sites of the extracts that read a group of sites */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store_impl.h"
#include "util.h"

static struct fsite *
find_site(struct fake_server *srv, const char *recipe, const char *target, const char *site)
{
	for (size_t i = 0; i < srv->nsites; i++)
		if (strcmp(srv->sites[i].recipe, recipe) == 0 &&
		    strcmp(srv->sites[i].s.target, target) == 0 &&
		    strcmp(srv->sites[i].s.site, site) == 0)
			return &srv->sites[i];
	return NULL;
}

static void
site_drop(struct fake_server *srv, size_t i)
{
	struct fsite *f = &srv->sites[i];

	free(f->recipe);
	free(f->s.target);
	free(f->s.site);
	free(f->s.error);
	free(f->s.watermark);
	srv->sites[i] = srv->sites[--srv->nsites];
}

static int
by_target_site(const void *a, const void *b)
{
	const struct store_site *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	return c ? c : strcmp(x->site, y->site);
}

long
fake_sites_load(struct store *st, const char *target, struct store_site **out)
{
	struct fake_server *srv = fake_enter(st);
	char now[TS_LEN];
	size_t n = 0;

	*out = NULL;
	if (!srv)
		return -1;
	fake_now_ts(srv, now);
	*out = xcalloc(srv->nsites + 1, sizeof(**out));
	for (size_t i = 0; i < srv->nsites; i++) {
		const struct fsite *f = &srv->sites[i];
		struct store_site *s = &(*out)[n];

		if (strcmp(f->recipe, st->recipe) != 0 || (target && strcmp(f->s.target, target) != 0))
			continue;
		*s = f->s;
		s->target = xstrdup(f->s.target);
		s->site = xstrdup(f->s.site);
		s->error = DUP(f->s.error);
		s->watermark = DUP(f->s.watermark);
		s->lag = -1;
		if (*s->last_success) {
			s->lag = fake_seconds_of(now) - fake_seconds_of(s->last_success);
			s->lag = s->lag < 0 ? 0 : s->lag;
		}
		n++;
	}
	fake_leave(srv);
	qsort(*out, n, sizeof(**out), by_target_site);
	return (long)n;
}

int
fake_site_record(struct store *st, const struct store_site *s)
{
	struct fake_server *srv = fake_enter(st);
	struct fsite *f;
	bool ok = strcmp(s->status, "ok") == 0;
	char now[TS_LEN];

	if (!srv)
		return -1;
	fake_now_ts(srv, now);
	if (!(f = find_site(srv, st->recipe, s->target, s->site))) {
		f = GROW(srv->sites, srv->nsites);
		f->recipe = xstrdup(st->recipe);
		f->s.target = xstrdup(s->target);
		f->s.site = xstrdup(s->site);
		f->s.rows = -1;
	}
	snprintf(f->s.status, sizeof(f->s.status), "%s", s->status);
	free(f->s.error);
	f->s.error = ok ? NULL : DUP(s->error);
	free(f->s.watermark);
	f->s.watermark = DUP(s->watermark);
	f->s.window_open = s->window_open;
	memcpy(f->s.last_attempt, now, TS_LEN);
	if (ok) {
		memcpy(f->s.last_success, now, TS_LEN);
		f->s.rows = s->rows >= 0 ? s->rows : -1;
	}
	fake_leave(srv);
	return 0;
}

void
fake_sites_forget(struct fake_server *srv, const char *recipe, const char *target,
                  const char *site, bool mine)
{
	for (size_t i = 0; i < srv->nsites;) {
		const struct fsite *f = &srv->sites[i];

		if ((strcmp(f->recipe, recipe) == 0) == mine && strcmp(f->s.target, target) == 0 &&
		    (!site || strcmp(f->s.site, site) == 0))
			site_drop(srv, i);
		else
			i++;
	}
}

int
fake_site_delete(struct store *st, const char *target, const char *site)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	fake_sites_forget(srv, st->recipe, target, site, true);
	fake_leave(srv);
	return 0;
}

bool
fake_sites_has(struct fake_server *srv, const char *recipe, const char *target)
{
	for (size_t i = 0; i < srv->nsites; i++)
		if (strcmp(srv->sites[i].recipe, recipe) == 0 &&
		    strcmp(srv->sites[i].s.target, target) == 0)
			return true;
	return false;
}

void
fake_sites_free(struct fake_server *srv)
{
	while (srv->nsites)
		site_drop(srv, 0);
	free(srv->sites);
}
