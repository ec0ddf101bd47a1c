/* fake_store.c: the store in memory (fake_store.h), for tests without a server */
#include "fake_store.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fake_store_impl.h"
#include "plan.h"
#include "schema.h"
#include "util.h"

static struct fake_server *
server(struct store *st)
{
	return ((struct fake *)st->impl)->srv;
}

/* lock the server for one call; NULL (with the store's error) when a failure is injected */
struct fake_server *
fake_enter(struct store *st)
{
	struct fake_server *srv = server(st);

	pthread_mutex_lock(&srv->mu);
	if (srv->fail > 0) {
		srv->fail--;
		pthread_mutex_unlock(&srv->mu);
		snprintf(((struct fake *)st->impl)->error, 256, "fake: injected failure");
		return NULL;
	}
	return srv;
}

void
fake_leave(struct fake_server *srv)
{
	pthread_mutex_unlock(&srv->mu);
}

static double
clock_now(struct fake_server *srv)
{
	struct timeval tv;

	if (srv->clock > 0)
		return srv->clock;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

void
fake_ts_of(double t, char *out)
{
	time_t secs = (time_t)floor(t);
	long us = lround((t - (double)secs) * 1e6);
	char day[32], buf[64];
	struct tm tm;

	if (us >= 1000000) {
		secs++;
		us -= 1000000;
	}
	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%06ld", day, us);
	memcpy(out, buf, TS_LEN - 1);
	out[TS_LEN - 1] = '\0';
}

double
fake_seconds_of(const char *ts)
{
	struct tm tm = { 0 };
	const char *rest = strptime(ts, "%Y-%m-%d %H:%M:%S", &tm);

	return rest ? (double)timegm(&tm) + (*rest == '.' ? atof(rest) : 0) : 0;
}

void
fake_now_ts(struct fake_server *srv, char *out)
{
	fake_ts_of(clock_now(srv), out);
}

static struct fmarker *
find_marker(struct fake_server *srv, const char *recipe, const char *target)
{
	for (size_t i = 0; i < srv->nmarkers; i++)
		if (strcmp(srv->markers[i].recipe, recipe) == 0 &&
		    strcmp(srv->markers[i].target, target) == 0)
			return &srv->markers[i];
	return NULL;
}

/* the marker of target, made (status as given) when there is none */
static struct fmarker *
upsert_marker(struct fake_server *srv, const char *recipe, const char *target)
{
	struct fmarker *f = find_marker(srv, recipe, target);

	if (!f) {
		f = GROW(srv->markers, srv->nmarkers);
		f->recipe = xstrdup(recipe);
		f->target = xstrdup(target);
		f->m.present = true;
	}
	return f;
}

static void
marker_drop(struct fake_server *srv, size_t i)
{
	free(srv->markers[i].recipe);
	free(srv->markers[i].target);
	free(srv->markers[i].stored);
	marker_release(&srv->markers[i].m);
	srv->markers[i] = srv->markers[--srv->nmarkers];
}

static struct fwater *
find_water(struct fake_server *srv, const char *recipe, const char *target)
{
	for (size_t i = 0; i < srv->nwaters; i++)
		if (strcmp(srv->waters[i].recipe, recipe) == 0 &&
		    strcmp(srv->waters[i].target, target) == 0)
			return &srv->waters[i];
	return NULL;
}

static void
water_drop(struct fake_server *srv, size_t i)
{
	struct fwater *w = &srv->waters[i];

	free(w->recipe);
	free(w->target);
	free(w->source);
	free(w->column);
	free(w->value);
	srv->waters[i] = srv->waters[--srv->nwaters];
}

static bool
table_exists(struct fake_server *srv, const char *name)
{
	for (size_t i = 0; i < srv->ntables; i++)
		if (strcmp(srv->tables[i], name) == 0)
			return true;
	return false;
}

/* the server, its clock and its faults */

struct fake_server *
fake_server_new(void)
{
	struct fake_server *srv = xcalloc(1, sizeof(*srv));

	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cv, NULL);
	srv->next_run = 1;
	return srv;
}

void
fake_server_set_clock(struct fake_server *srv, double now)
{
	pthread_mutex_lock(&srv->mu);
	srv->clock = now;
	pthread_mutex_unlock(&srv->mu);
}

void
fake_server_set_table(struct fake_server *srv, const char *name, bool exists)
{
	pthread_mutex_lock(&srv->mu);
	for (size_t i = 0; i < srv->ntables; i++)
		if (strcmp(srv->tables[i], name) == 0) {
			free(srv->tables[i]);
			srv->tables[i] = srv->tables[--srv->ntables];
			break;
		}
	if (exists)
		*GROW(srv->tables, srv->ntables) = xstrdup(name);
	pthread_mutex_unlock(&srv->mu);
}

void
fake_server_add_delete(struct fake_server *srv, const char *target)
{
	struct fdelete *d;

	pthread_mutex_lock(&srv->mu);
	d = GROW(srv->deletes, srv->ndeletes);
	d->target = xstrdup(target);
	fake_now_ts(srv, d->at);
	pthread_mutex_unlock(&srv->mu);
}

void
fake_server_fail(struct fake_server *srv, int n)
{
	pthread_mutex_lock(&srv->mu);
	srv->fail = n;
	pthread_mutex_unlock(&srv->mu);
}

void
fake_server_free(struct fake_server *srv)
{
	if (!srv)
		return;
	while (srv->nmarkers)
		marker_drop(srv, 0);
	while (srv->nwaters)
		water_drop(srv, 0);
	for (size_t i = 0; i < srv->nruns; i++) {
		struct frun *r = &srv->runs[i];

		free(r->recipe);
		free(r->mode);
		free(r->selection);
		free(r->started_by);
		free(r->rev);
	}
	for (size_t i = 0; i < srv->ntargets; i++) {
		struct ftarget *t = &srv->targets[i];

		free(t->target);
		free(t->reason);
		free(t->mode);
		free(t->outcome);
		free(t->error);
	}
	for (size_t i = 0; i < srv->ndeletes; i++)
		free(srv->deletes[i].target);
	for (size_t i = 0; i < srv->nlocks; i++)
		free(srv->locks[i].key);
	for (size_t i = 0; i < srv->ntables; i++)
		free(srv->tables[i]);
	fake_checks_free(srv);
	fake_sites_free(srv);
	free(srv->markers);
	free(srv->waters);
	free(srv->runs);
	free(srv->targets);
	free(srv->deletes);
	free(srv->locks);
	free(srv->tables);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cv);
	free(srv);
}

/* the store's operations */

static void
fake_close(struct store *st)
{
	struct fake_server *srv = server(st);

	/* a connection that ends releases its locks */
	pthread_mutex_lock(&srv->mu);
	for (size_t i = 0; i < srv->nlocks;)
		if (srv->locks[i].holder == st) {
			free(srv->locks[i].key);
			srv->locks[i] = srv->locks[--srv->nlocks];
		} else
			i++;
	pthread_cond_broadcast(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
	free(st->impl);
}

static const char *
fake_error(struct store *st)
{
	return ((struct fake *)st->impl)->error;
}

static int
fake_schema_version(struct store *st, char **err)
{
	struct fake_server *srv = fake_enter(st);
	int v;

	if (!srv) {
		*err = xstrdup(fake_error(st));
		return -1;
	}
	v = srv->version;
	fake_leave(srv);
	return v;
}

static int
fake_schema_upgrade(struct store *st, char **err, char **note)
{
	struct fake_server *srv = fake_enter(st);
	int changed;

	*note = NULL;
	if (!srv) {
		*err = xstrdup(fake_error(st));
		return -1;
	}
	changed = srv->version != SCHEMA_VERSION;
	srv->version = SCHEMA_VERSION;
	fake_leave(srv);
	return changed;
}

static int
fake_marker_load(struct store *st, const char *target, struct marker *m)
{
	struct fake_server *srv;
	struct fmarker *f;
	struct fwater *w;

	marker_release(m);
	if (!(srv = fake_enter(st)))
		return -1;
	if ((f = find_marker(srv, st->recipe, target))) {
		*m = f->m;
		m->error = DUP(f->m.error);
		marker_set_hash(m, f->stored);
		if ((w = find_water(srv, st->recipe, target))) {
			m->has_watermark = true;
			m->watermark = DUP(w->value);
			m->watermark_column = DUP(w->column);
			m->window_open = w->open;
		}
	}
	m->table_exists = table_exists(srv, target);
	fake_leave(srv);
	return 0;
}

static char *
fake_marker_owner(struct store *st, const char *target)
{
	struct fake_server *srv = fake_enter(st);
	const char *who = NULL;
	char *out;

	if (!srv)
		return NULL;
	for (size_t i = 0; i < srv->nmarkers; i++) {
		const char *r = srv->markers[i].recipe;

		if (strcmp(srv->markers[i].target, target) != 0)
			continue;
		if (strcmp(r, st->recipe) == 0) {
			who = r;
			break;
		}
		if (!who || strcmp(r, who) < 0)
			who = r;
	}
	out = xstrdup(who ? who : "");
	fake_leave(srv);
	return out;
}

static int
fake_marker_begin(struct store *st, const char *target, long long run_id)
{
	struct fake_server *srv = fake_enter(st);
	struct fmarker *f;

	if (!srv)
		return -1;
	f = upsert_marker(srv, st->recipe, target);
	snprintf(f->m.status, sizeof(f->m.status), "running");
	f->m.run_id = run_id;
	fake_leave(srv);
	return 0;
}

static int
fake_marker_finish(struct store *st, const char *target, long long run_id, const char *hash,
                   const char *inputs_at, bool full, long long changed, long long rows,
                   double duration, const char *rev, bool dirty)
{
	struct fake_server *srv = fake_enter(st);
	struct fmarker *f;
	bool made;
	char now[TS_LEN];

	if (!srv)
		return -1;
	fake_now_ts(srv, now);
	made = !find_marker(srv, st->recipe, target);
	f = upsert_marker(srv, st->recipe, target);
	snprintf(f->m.status, sizeof(f->m.status), "ok");
	snprintf(f->m.built_at, TS_LEN, "%s", now);
	if (changed > 0 || !*f->m.changed_at)
		snprintf(f->m.changed_at, TS_LEN, "%s", now);
	snprintf(f->m.inputs_at, TS_LEN, "%s", inputs_at ? inputs_at : "");
	if (made ? full : full && changed > 0)
		snprintf(f->m.full_at, TS_LEN, "%s", now);
	free(f->stored);
	f->stored = xasprintf("%d:%s", HASH_FORMAT, hash);
	snprintf(f->m.config_rev, sizeof(f->m.config_rev), "%s", rev ? rev : "");
	(void)dirty;
	f->m.rows = rows;
	f->m.run_id = run_id;
	f->m.duration = (long long)(duration * 1000) / 1000.0;
	free(f->m.error);
	f->m.error = NULL;
	fake_leave(srv);
	return 0;
}

static int
fake_marker_fail(struct store *st, const char *target, long long run_id, const char *status,
                 const char *error, double duration)
{
	struct fake_server *srv = fake_enter(st);
	struct fmarker *f;

	if (!srv)
		return -1;
	f = upsert_marker(srv, st->recipe, target);
	snprintf(f->m.status, sizeof(f->m.status), "%s", status);
	f->m.run_id = run_id;
	f->m.duration = (long long)(duration * 1000) / 1000.0;
	free(f->m.error);
	f->m.error = xstrdup(error ? error : "");
	fake_leave(srv);
	return 0;
}

/* the markers, watermarks and sites of target: of recipe (mine) or of every other recipe */
static void
forget(struct fake_server *srv, const char *recipe, const char *target, bool mine)
{
	for (size_t i = 0; i < srv->nmarkers;)
		if (strcmp(srv->markers[i].target, target) == 0 &&
		    (strcmp(srv->markers[i].recipe, recipe) == 0) == mine)
			marker_drop(srv, i);
		else
			i++;
	for (size_t i = 0; i < srv->nwaters;)
		if (strcmp(srv->waters[i].target, target) == 0 &&
		    (strcmp(srv->waters[i].recipe, recipe) == 0) == mine)
			water_drop(srv, i);
		else
			i++;
	fake_sites_forget(srv, recipe, target, NULL, mine);
}

static int
fake_marker_adopt(struct store *st, const char *target, long long rows)
{
	struct fake_server *srv = fake_enter(st);
	struct fmarker *f;
	char now[TS_LEN];

	if (!srv)
		return -1;
	forget(srv, st->recipe, target, false);
	fake_now_ts(srv, now);
	f = upsert_marker(srv, st->recipe, target);
	snprintf(f->m.status, sizeof(f->m.status), "ok");
	snprintf(f->m.built_at, TS_LEN, "%s", now);
	snprintf(f->m.changed_at, TS_LEN, "%s", now);
	free(f->stored);
	f->stored = xstrdup(MARKER_ADOPTED);
	f->m.rows = rows;
	fake_leave(srv);
	return 0;
}

static int
fake_marker_delete(struct store *st, const char *target)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	forget(srv, st->recipe, target, true);
	fake_leave(srv);
	return 0;
}

int
fake_by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long
fake_marker_targets(struct store *st, char ***names)
{
	struct fake_server *srv = fake_enter(st);
	size_t n = 0;

	*names = NULL;
	if (!srv)
		return -1;
	*names = xcalloc(srv->nmarkers + srv->nwaters + 1, sizeof(**names));
	for (size_t i = 0; i < srv->nmarkers; i++)
		if (strcmp(srv->markers[i].recipe, st->recipe) == 0)
			(*names)[n++] = xstrdup(srv->markers[i].target);
	for (size_t i = 0; i < srv->nwaters; i++)
		if (strcmp(srv->waters[i].recipe, st->recipe) == 0 &&
		    !find_marker(srv, st->recipe, srv->waters[i].target))
			(*names)[n++] = xstrdup(srv->waters[i].target);
	fake_leave(srv);
	qsort(*names, n, sizeof(**names), fake_by_name);
	return (long)n;
}

static int
fake_watermark_set(struct store *st, const char *target, const char *source,
                   const char *column, const char *value, bool window_open)
{
	struct fake_server *srv = fake_enter(st);
	struct fwater *w;

	if (!srv)
		return -1;
	if (!(w = find_water(srv, st->recipe, target))) {
		w = GROW(srv->waters, srv->nwaters);
		w->recipe = xstrdup(st->recipe);
		w->target = xstrdup(target);
	}
	free(w->source);
	free(w->column);
	free(w->value);
	w->source = xstrdup(source);
	w->column = xstrdup(column);
	w->value = DUP(value);
	w->open = window_open;
	fake_leave(srv);
	return 0;
}

static int
fake_kept(struct store *st, const char *target, bool count_deletes, struct store_kept *k)
{
	struct fake_server *srv = fake_enter(st);

	memset(k, 0, sizeof(*k));
	if (!srv)
		return -1;
	k->marker = find_marker(srv, st->recipe, target) != NULL;
	k->watermark = find_water(srv, st->recipe, target) != NULL ||
	               fake_sites_has(srv, st->recipe, target);
	for (size_t i = 0; i < srv->nmarkers; i++)
		k->others |= strcmp(srv->markers[i].target, target) == 0 &&
		             strcmp(srv->markers[i].recipe, st->recipe) != 0;
	for (size_t i = 0; count_deletes && i < srv->ndeletes; i++)
		k->deletes += strcmp(srv->deletes[i].target, target) == 0;
	fake_leave(srv);
	return 0;
}

/* delete the rows of etl_deletes of target older than before (NULL: all); their count */
long long
fake_drop_deletes(struct fake_server *srv, const char *target, const char *before, bool dry)
{
	long long n = 0;

	for (size_t i = 0; i < srv->ndeletes;) {
		struct fdelete *d = &srv->deletes[i];

		if (strcmp(d->target, target) != 0 || (before && strcmp(d->at, before) >= 0)) {
			i++;
			continue;
		}
		n++;
		if (dry) {
			i++;
			continue;
		}
		free(d->target);
		srv->deletes[i] = srv->deletes[--srv->ndeletes];
	}
	return n;
}

static int
fake_deletes_drop(struct store *st, const char *target)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	fake_drop_deletes(srv, target, NULL, false);
	fake_leave(srv);
	return 0;
}

/* locks */

static struct flock *
find_lock(struct fake_server *srv, const char *key)
{
	for (size_t i = 0; i < srv->nlocks; i++)
		if (strcmp(srv->locks[i].key, key) == 0)
			return &srv->locks[i];
	return NULL;
}

/* take key for st, waiting up to timeout seconds; the server is entered */
int
fake_take(struct fake_server *srv, struct store *st, const char *key, double timeout)
{
	struct timespec until;
	struct flock *l;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)timeout;
	until.tv_nsec += (long)((timeout - floor(timeout)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while ((l = find_lock(srv, key)) && l->holder != st)
		if (timeout <= 0 || pthread_cond_timedwait(&srv->cv, &srv->mu, &until) != 0)
			return find_lock(srv, key) ? 0 : fake_take(srv, st, key, 0);
	if (!l) {
		l = GROW(srv->locks, srv->nlocks);
		l->key = xstrdup(key);
		l->holder = st;
	}
	return 1;
}

static int
fake_lock(struct store *st, const char *key, double timeout)
{
	struct fake_server *srv = fake_enter(st);
	int rc;

	if (!srv)
		return -1;
	rc = fake_take(srv, st, key, timeout);
	fake_leave(srv);
	return rc;
}

static void
fake_unlock(struct store *st, const char *key)
{
	struct fake_server *srv = server(st);
	struct flock *l;

	pthread_mutex_lock(&srv->mu);
	if ((l = find_lock(srv, key)) && l->holder == st) {
		free(l->key);
		*l = srv->locks[--srv->nlocks];
		pthread_cond_broadcast(&srv->cv);
	}
	pthread_mutex_unlock(&srv->mu);
}

static int
fake_locks_used(struct store *st, char *const *keys, size_t n, bool *used)
{
	struct fake_server *srv = fake_enter(st);

	if (!srv)
		return -1;
	for (size_t i = 0; i < n; i++)
		used[i] = find_lock(srv, keys[i]) != NULL;
	fake_leave(srv);
	return 0;
}

static const struct store_ops fake_ops = {
	.engine = "fake",
	.close = fake_close,
	.error = fake_error,
	.schema_version = fake_schema_version,
	.schema_upgrade = fake_schema_upgrade,
	.marker_load = fake_marker_load,
	.marker_owner = fake_marker_owner,
	.marker_begin = fake_marker_begin,
	.marker_finish = fake_marker_finish,
	.marker_fail = fake_marker_fail,
	.marker_adopt = fake_marker_adopt,
	.marker_delete = fake_marker_delete,
	.marker_targets = fake_marker_targets,
	.watermark_set = fake_watermark_set,
	.kept = fake_kept,
	.deletes_drop = fake_deletes_drop,
	.run_begin = fake_run_begin,
	.run_end = fake_run_end,
	.run_target_building = fake_run_target_building,
	.run_target_record = fake_run_target_record,
	.run_target_unstarted = fake_run_target_unstarted,
	.runs_running = fake_runs_running,
	.run_close_dead = fake_run_close_dead,
	.building = fake_building,
	.lock = fake_lock,
	.unlock = fake_unlock,
	.locks_used = fake_locks_used,
	.now = fake_now,
	.runs = fake_runs,
	.runs_find = fake_runs_find,
	.run = fake_run,
	.run_targets = fake_run_targets,
	.target_runs = fake_target_runs,
	.runs_by_result = fake_runs_by_result,
	.target_totals = fake_target_totals,
	.marker_stats = fake_marker_stats,
	.prune_runs = fake_prune_runs,
	.prune_deletes = fake_prune_deletes,
	.live_read = fake_live_read,
	.checks_record = fake_checks_record,
	.checks_latest = fake_checks_latest,
	.checks_of_run = fake_checks_of_run,
	.profile_record = fake_profile_record,
	.profiles = fake_profiles,
	.prune_checks = fake_prune_checks,
	.sites_load = fake_sites_load,
	.site_record = fake_site_record,
	.site_delete = fake_site_delete,
};

struct store *
fake_store_open(struct fake_server *srv, const char *recipe)
{
	struct fake *f = xcalloc(1, sizeof(*f));

	f->srv = srv;
	return store_new(&fake_ops, NULL, recipe, f);
}
