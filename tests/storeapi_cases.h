/*
 * storeapi_cases.h: the store's contract (store.h), one case per behaviour,
 * run against every store: check_storeapi.c (the fake, MariaDB) and
 * check_storeapi_pg.c (PostgreSQL) include it, set contract_backends to
 * their backends and add the cases with storeapi_add_cases
 */
#ifndef CHACC_STOREAPI_CASES_H
#define CHACC_STOREAPI_CASES_H

#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "marker.h"
#include "plan.h"
#include "schema.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

/* a store implementation under test: a fresh database, and connections to it */
struct backend {
	const char *name;
	void (*setup)(void);
	struct store *(*open)(const char *recipe);   /* a new connection */
	void (*close)(struct store *st);              /* end it (its locks go) */
	void (*make_table)(const char *name);
	void (*add_delete)(const char *target);      /* a row of etl_deletes, deleted now */
	void (*teardown)(void);
	void (*exec)(const char *sql);               /* a statement on its database; NULL: none */
	void (*set_clock)(double now);               /* set the server's clock; NULL: cannot */
};

/* the backends the including suite runs the cases against (loop index _i) */
static const struct backend *contract_backends;

/*
 * the stores a backend on a server has open, each on a connection of its
 * own: conns_slot is a free one (connect into its c), conns_store opens
 * the store on its connection, conns_close ends one, conns_close_all all
 */
static struct {
	struct store *st;
	struct db *d;
	struct db_params c;
} conns[8];

static inline size_t
conns_slot(void)
{
	for (size_t i = 0; i < LEN(conns); i++)
		if (!conns[i].st)
			return i;
	ck_abort_msg("too many connections");
	return 0;
}

static inline struct store *
conns_store(size_t i, struct db *d, const char *recipe)
{
	conns[i].d = d;
	conns[i].st = store_open(d, recipe);
	return conns[i].st;
}

static inline void
conns_close(struct store *st)
{
	for (size_t i = 0; i < LEN(conns); i++)
		if (conns[i].st == st) {
			store_close(st);
			db_close(conns[i].d);
			memset(&conns[i], 0, sizeof(conns[i]));
		}
}

static inline void
conns_close_all(void)
{
	for (size_t i = 0; i < LEN(conns); i++)
		if (conns[i].st)
			conns_close(conns[i].st);
}

static const struct backend *be;
static struct store *opened[8];  /* the test's stores, closed at its end */

static struct store *
open_store(const char *recipe)
{
	for (size_t i = 0; i < LEN(opened); i++)
		if (!opened[i])
			return opened[i] = be->open(recipe);
	ck_abort_msg("too many stores");
	return NULL;
}

static void
close_store(struct store *st)
{
	for (size_t i = 0; i < LEN(opened); i++)
		if (opened[i] == st) {
			be->close(st);
			opened[i] = NULL;
		}
}

/* the backend of loop iteration i, set up, with the etl_ tables of SCHEMA_VERSION */
static struct store *
begin(int i, const char *recipe)
{
	struct store *st;
	char *err = NULL, *note = NULL;

	be = &contract_backends[i];
	be->setup();
	st = open_store(recipe);
	ck_assert_msg(store_schema_upgrade(st, &err, &note) >= 0, "%s: %s", be->name, err);
	free(note);
	return st;
}

static void
end(void)
{
	for (size_t i = 0; i < LEN(opened); i++)
		if (opened[i])
			close_store(opened[i]);
	be->teardown();
}

/* the column names of r, comma-separated */
static char *
names_of(const struct store_rows *r)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < r->ncols; i++)
		buf_addf(&b, "%s%s", i ? "," : "", r->names[i]);
	return buf_detach(&b);
}

static void
assert_cols(const struct store_rows *r, const char *want)
{
	char *got = names_of(r);

	ck_assert_msg(strcmp(got, want) == 0, "%s: columns %s, want %s", be->name, got, want);
	free(got);
}

/* the cell of column name in row */
static const char *
cell(const struct store_rows *r, size_t row, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->names[i], name) == 0)
			return store_rows_get(r, row, i);
	ck_abort_msg("%s: no column %s", be->name, name);
	return NULL;
}

static double
wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_schema_version)
{
	struct store *st;
	char *err = NULL, *note = NULL;

	be = &contract_backends[_i];
	be->setup();
	st = open_store("clinic");
	ck_assert_int_eq(store_schema_version(st, &err), 0);
	ck_assert_int_eq(store_schema_upgrade(st, &err, &note), 1);
	ck_assert_ptr_null(note);        /* created, not migrated */
	ck_assert_int_eq(store_schema_version(st, &err), SCHEMA_VERSION);
	ck_assert_int_eq(store_schema_upgrade(st, &err, &note), 0);
	end();
}
END_TEST

START_TEST(test_marker_begin_finish_fail)
{
	struct store *st = begin(_i, "clinic");
	struct marker m = { 0 };
	char built[TS_LEN], changed[TS_LEN];

	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(!m.present);
	ck_assert(!m.table_exists);
	be->make_table("people");
	ck_assert_int_eq(store_marker_begin(st, "people", 7), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(m.present && m.table_exists);
	ck_assert_str_eq(m.status, "running");
	ck_assert_int_eq(m.run_id, 7);

	ck_assert_int_eq(store_marker_finish(st, "people", 7, "abc123", "2020-01-01 00:00:00.000000",
	                                     true, 3, 10, 1.5, "rev1", false), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert_str_eq(m.status, "ok");
	ck_assert_str_eq(m.hash, "abc123");
	ck_assert_int_eq(m.hash_format, HASH_FORMAT);
	ck_assert_int_eq(m.rows, 10);
	ck_assert_int_eq(m.run_id, 7);
	ck_assert(fabs(m.duration - 1.5) < 0.001);
	ck_assert_str_eq(m.config_rev, "rev1");
	ck_assert_str_eq(m.inputs_at, "2020-01-01 00:00:00.000000");
	ck_assert_int_eq(strlen(m.built_at), TS_LEN - 1);
	ck_assert_str_eq(m.changed_at, m.built_at);
	ck_assert_str_eq(m.full_at, m.built_at);
	ck_assert_ptr_null(m.error);
	snprintf(built, sizeof(built), "%s", m.built_at);
	snprintf(changed, sizeof(changed), "%s", m.changed_at);

	/* nothing changed: changed_at and full_at stay */
	usleep(2000);
	ck_assert_int_eq(store_marker_finish(st, "people", 8, "abc123", "", true, 0, 10, 0.2,
	                                     NULL, false), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert_str_eq(m.changed_at, changed);
	ck_assert_str_eq(m.full_at, changed);
	ck_assert_msg(strcmp(m.built_at, built) > 0, "%s: %s <= %s", be->name, m.built_at, built);
	ck_assert_str_eq(m.inputs_at, "");

	ck_assert_int_eq(store_marker_fail(st, "people", 9, "failed", "boom", 2), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert_str_eq(m.status, "failed");
	ck_assert_str_eq(m.error, "boom");
	ck_assert_int_eq(m.run_id, 9);
	ck_assert_str_eq(m.built_at, built[0] ? m.built_at : "");  /* the last success stays */

	ck_assert_int_eq(store_marker_delete(st, "people"), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(!m.present);
	marker_release(&m);
	end();
}
END_TEST

START_TEST(test_marker_owner_and_adopt)
{
	struct store *a = begin(_i, "clinic"), *b = open_store("renamed");
	struct marker m = { 0 };
	struct store_kept k;
	char *who;

	ck_assert_str_eq((who = store_marker_owner(a, "people")), "");
	free(who);
	ck_assert_int_eq(store_marker_begin(a, "people", 1), 0);
	ck_assert_str_eq((who = store_marker_owner(b, "people")), "clinic");
	free(who);
	ck_assert_int_eq(store_kept(b, "people", false, &k), 0);
	ck_assert(!k.marker && k.others);

	/* the other recipe takes it over: the first one's marker goes */
	ck_assert_int_eq(store_marker_adopt(b, "people", 42), 0);
	ck_assert_str_eq((who = store_marker_owner(a, "people")), "renamed");
	free(who);
	ck_assert_int_eq(store_marker_load(a, "people", &m), 0);
	ck_assert(!m.present);
	ck_assert_int_eq(store_marker_load(b, "people", &m), 0);
	ck_assert(m.present);
	ck_assert_str_eq(m.status, "ok");
	ck_assert_str_eq(m.hash, MARKER_ADOPTED);
	ck_assert_int_eq(m.rows, 42);
	marker_release(&m);
	end();
}
END_TEST

START_TEST(test_watermark)
{
	struct store *st = begin(_i, "clinic");
	struct marker m = { 0 };
	struct store_kept k;
	char **names = NULL;

	ck_assert_int_eq(store_marker_begin(st, "obs", 1), 0);
	ck_assert_int_eq(store_watermark_set(st, "obs", "source", "updated_at",
	                                     "2020-01-01 10:00:00", true), 0);
	ck_assert_int_eq(store_marker_load(st, "obs", &m), 0);
	ck_assert(m.has_watermark);
	ck_assert_str_eq(m.watermark, "2020-01-01 10:00:00");
	ck_assert(m.window_open);
	ck_assert_int_eq(store_watermark_set(st, "obs", "source", "updated_at", NULL, false), 0);
	ck_assert_int_eq(store_marker_load(st, "obs", &m), 0);
	ck_assert(m.has_watermark);
	ck_assert_ptr_null(m.watermark);
	ck_assert(!m.window_open);

	ck_assert_int_eq(store_kept(st, "obs", true, &k), 0);
	ck_assert(k.marker && k.watermark && !k.others);
	ck_assert_int_eq(k.deletes, 0);
	ck_assert_int_eq(store_marker_begin(st, "visits", 1), 0);
	ck_assert_int_eq(store_marker_targets(st, &names), 2);
	ck_assert_str_eq(names[0], "obs");
	ck_assert_str_eq(names[1], "visits");
	for (int i = 0; i < 2; i++)
		free(names[i]);
	free(names);

	/* a target forgotten loses its watermark too */
	ck_assert_int_eq(store_marker_delete(st, "obs"), 0);
	ck_assert_int_eq(store_kept(st, "obs", false, &k), 0);
	ck_assert(!k.marker && !k.watermark);
	marker_release(&m);
	end();
}
END_TEST

/* a run of st's recipe: people built (5 rows in 1.5s, 2 attempts), visits skipped; its id */
static long long
record_run(struct store *st, struct store *other)
{
	struct store_building *b = NULL;
	long long id, *ids = NULL;
	double t0 = wall_seconds();
	bool used;

	id = store_run_begin(st, "incremental", "people visits", "tester", "rev1", true);
	ck_assert_int_gt(id, 0);
	ck_assert_int_gt(store_run_begin(other, "forced", "", "someone", NULL, false), id);
	ck_assert_int_eq(store_run_target_building(st, id, "people", "stale", "full", t0, 1), 0);
	ck_assert_int_eq(store_building(st, &b), 1);
	ck_assert_str_eq(b[0].target, "people");
	ck_assert_int_eq(b[0].run_id, id);
	ck_assert_int_eq(strlen(b[0].since), TS_LEN - 1);
	store_building_free(b, 1);
	ck_assert_int_eq(store_runs_locked(other, &id, 1, &used), 0);
	ck_assert(used);

	ck_assert_int_eq(store_run_target_record(st, id, "people", "stale", "full", t0, t0 + 1.5,
	                                         5, 2, "built", NULL), 0);
	ck_assert_int_eq(store_run_target_unstarted(st, id, "visits", "needed", "incremental",
	                                            "skipped", "need 'people' failed"), 0);
	ck_assert_int_eq(store_building(st, &b), 0);
	store_building_free(b, 0);
	ck_assert_int_eq(store_run_end(st, id, "success"), 0);
	ck_assert_int_eq(store_runs_running(st, &ids), 1);   /* the other recipe's */
	ck_assert_int_ne(ids[0], id);
	free(ids);
	return id;
}

START_TEST(test_run_history)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	long long id = record_run(st, other);
	struct store_rows *r;
	char now[TS_LEN];

	ck_assert_int_eq(store_now(st, now), 0);
	ck_assert_int_eq(strlen(now), TS_LEN - 1);
	r = store_runs(st, 0);
	ck_assert_ptr_nonnull(r);
	assert_cols(r, "run_id,mode,result,started_by,started_at,ended_at,seconds,config_rev,"
	            "config_dirty,selection");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_int_eq(atoll(cell(r, 0, "run_id")), id);
	ck_assert_str_eq(cell(r, 0, "result"), "success");
	ck_assert_str_eq(cell(r, 0, "selection"), "people visits");
	ck_assert_ptr_nonnull(cell(r, 0, "ended_at"));
	store_rows_free(r);

	r = store_run(st, id);
	assert_cols(r, "run_id,mode,result,started_by,host,started_at,ended_at,seconds,"
	            "config_rev,config_dirty,selection");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "config_dirty"), "1");
	store_rows_free(r);
	r = store_run(other, id);       /* another recipe's run */
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);

	r = store_run_targets(st, id);
	assert_cols(r, "target,reason,mode,outcome,started_at,ended_at,seconds,rows,attempts,error");
	ck_assert_int_eq(r->nrows, 2);
	ck_assert_str_eq(cell(r, 0, "target"), "visits");        /* no start: first */
	ck_assert_ptr_null(cell(r, 0, "started_at"));
	ck_assert_str_eq(cell(r, 0, "attempts"), "0");
	ck_assert_str_eq(cell(r, 0, "error"), "need 'people' failed");
	ck_assert_str_eq(cell(r, 1, "outcome"), "built");
	ck_assert_str_eq(cell(r, 1, "rows"), "5");
	ck_assert_str_eq(cell(r, 1, "seconds"), "1.500");
	store_rows_free(r);

	r = store_target_runs(st, "people", 10);
	assert_cols(r, "run_id,run_mode,started_by,reason,mode,outcome,started_at,ended_at,"
	            "seconds,rows,attempts,error");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "run_mode"), "incremental");
	ck_assert_str_eq(cell(r, 0, "attempts"), "2");
	store_rows_free(r);

	end();
}
END_TEST

START_TEST(test_metrics)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	long long id = record_run(st, other);
	struct store_rows *r;

	r = store_runs_by_result(st);
	assert_cols(r, "result,runs");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "result"), "success");
	ck_assert_str_eq(cell(r, 0, "runs"), "1");
	store_rows_free(r);
	r = store_target_totals(st);
	assert_cols(r, "target,built,failed,seconds,timed");
	ck_assert_int_eq(r->nrows, 2);
	ck_assert_str_eq(cell(r, 0, "target"), "people");
	ck_assert_str_eq(cell(r, 0, "built"), "1");
	ck_assert_str_eq(cell(r, 0, "timed"), "1");
	ck_assert(fabs(atof(cell(r, 0, "seconds")) - 1.5) < 0.001);
	ck_assert_str_eq(cell(r, 1, "timed"), "0");
	store_rows_free(r);
	ck_assert_int_eq(store_marker_finish(st, "people", id, "h", "", true, 1, 5, 1.5, NULL,
	                                     false), 0);
	r = store_marker_stats(st);
	assert_cols(r, "target,rows,seconds,success_at,ok");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "rows"), "5");
	ck_assert_str_eq(cell(r, 0, "ok"), "1");
	ck_assert(fabs(atof(cell(r, 0, "seconds")) - 1.5) < 0.001);
	ck_assert(atof(cell(r, 0, "success_at")) > 1e9);
	store_rows_free(r);
	end();
}
END_TEST

START_TEST(test_locks)
{
	struct store *a = begin(_i, "clinic"), *b = open_store("clinic");
	char *names[] = { "people", "visits" };
	bool used[2];

	ck_assert_int_eq(store_lock_build(a, "people", 0), 1);
	ck_assert_int_eq(store_lock_build(b, "people", 0), 0);
	ck_assert_int_eq(store_lock_build(b, "visits", 0), 1);
	ck_assert_int_eq(store_builds_locked(b, names, 2, used), 0);
	ck_assert(used[0] && used[1]);
	store_unlock_build(b, "visits");
	ck_assert_int_eq(store_builds_locked(a, names, 2, used), 0);
	ck_assert(used[0] && !used[1]);
	store_unlock_build(a, "people");
	ck_assert_int_eq(store_lock_build(b, "people", 0), 1);

	ck_assert_int_eq(store_lock_scheduled(a), 1);
	ck_assert_int_eq(store_lock_scheduled(b), 0);
	/* a connection that ends lets its locks go (a server notices soon after) */
	close_store(a);
	for (int i = 0; i < 50 && store_lock_scheduled(b) == 0; i++)
		usleep(100000);
	ck_assert_int_eq(store_lock_scheduled(b), 1);
	ck_assert_int_eq(store_lock_run(b, 12), 1);
	store_unlock_run(b, 12);
	end();
}
END_TEST

START_TEST(test_lock_waits)
{
	struct store *a = begin(_i, "clinic"), *b = open_store("clinic");
	double t0;

	ck_assert_int_eq(store_lock_build(a, "people", 0), 1);
	t0 = wall_seconds();
	ck_assert_int_eq(store_lock_build(b, "people", 1), 0);
	ck_assert_msg(wall_seconds() - t0 > 0.8, "%s: waited %.3fs", be->name, wall_seconds() - t0);
	end();
}
END_TEST

/* a waiter gets the lock when its holder lets it go */
struct waiter {
	struct store *st;
	int got;
	double waited;
};

static void *
wait_lock(void *arg)
{
	struct waiter *w = arg;
	double t0 = wall_seconds();

	w->got = store_lock_build(w->st, "people", 10);
	w->waited = wall_seconds() - t0;
	return NULL;
}

START_TEST(test_lock_released_wakes_waiter)
{
	struct store *a = begin(_i, "clinic");
	struct waiter w = { .st = open_store("clinic") };
	pthread_t th;

	ck_assert_int_eq(store_lock_build(a, "people", 0), 1);
	ck_assert_int_eq(pthread_create(&th, NULL, wait_lock, &w), 0);
	usleep(300000);
	store_unlock_build(a, "people");
	pthread_join(th, NULL);
	ck_assert_int_eq(w.got, 1);
	ck_assert_msg(w.waited > 0.2 && w.waited < 5, "%s: waited %.3fs", be->name, w.waited);
	ck_assert_int_eq(store_lock_build(a, "people", 0), 0);
	end();
}
END_TEST

START_TEST(test_close_dead_run)
{
	struct store *a = begin(_i, "clinic"), *b = open_store("clinic");
	struct store_rows *r;
	struct marker m = { 0 };
	long long id, *ids = NULL;
	bool used;

	id = store_run_begin(a, "incremental", "", "tester", NULL, false);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(store_marker_begin(a, "people", id), 0);
	ck_assert_int_eq(store_run_target_building(a, id, "people", "stale", "full",
	                                           wall_seconds(), 1), 0);
	/* alive: its lock is held */
	ck_assert_int_eq(store_runs_locked(b, &id, 1, &used), 0);
	ck_assert(used);
	close_store(a);                   /* the runner dies; a server notices soon after */
	ck_assert_int_eq(store_runs_running(b, &ids), 1);
	ck_assert_int_eq(ids[0], id);
	free(ids);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(store_runs_locked(b, &id, 1, &used), 0);
		if (!used)
			break;
		usleep(100000);
	}
	ck_assert(!used);
	ck_assert_int_eq(store_run_close_dead(b, id), 1);
	ck_assert_int_eq(store_run_close_dead(b, id), 0);       /* closed already */
	ck_assert_int_eq(store_runs_running(b, &ids), 0);
	free(ids);
	r = store_run(b, id);
	ck_assert_str_eq(cell(r, 0, "result"), "interrupted");
	ck_assert_ptr_nonnull(cell(r, 0, "ended_at"));
	store_rows_free(r);
	r = store_run_targets(b, id);
	ck_assert_str_eq(cell(r, 0, "outcome"), "interrupted");
	ck_assert_ptr_nonnull(strstr(cell(r, 0, "error"), "runner stopped"));
	store_rows_free(r);
	ck_assert_int_eq(store_marker_load(b, "people", &m), 0);
	ck_assert_str_eq(m.status, "interrupted");
	marker_release(&m);
	end();
}
END_TEST

START_TEST(test_history_without_tables)
{
	struct store *st;
	struct store_rows *r;
	struct marker m = { 0 };
	char **names = NULL;

	be = &contract_backends[_i];
	be->setup();
	st = open_store("clinic");
	/* a database chacc never wrote: no marker, no history, no error */
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(!m.present);
	ck_assert_ptr_nonnull((r = store_runs(st, 5)));
	ck_assert_int_eq(r->nrows, 0);
	assert_cols(r, "run_id,mode,result,started_by,started_at,ended_at,seconds,config_rev,"
	            "config_dirty,selection");
	store_rows_free(r);
	ck_assert_ptr_nonnull((r = store_marker_stats(st)));
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	ck_assert_int_eq(store_marker_targets(st, &names), 0);
	free(names);
	end();
}
END_TEST

/* prune: runs that ended before a time, with their targets; deletes of a target */
START_TEST(test_prune)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	long long id = record_run(st, other), running, runs = -1, targets = -1;
	const char *future = "2999-01-01 00:00:00";
	struct store_kept k;
	struct store_rows *r;

	running = store_run_begin(st, "incremental", NULL, "tester", NULL, false);
	ck_assert_int_gt(running, id);
	ck_assert_int_eq(store_prune_runs(st, "2000-01-01 00:00:00", false, &runs, &targets), 0);
	ck_assert(runs == 0 && targets == 0);
	ck_assert_int_eq(store_prune_runs(st, future, true, &runs, &targets), 0);
	ck_assert_int_eq(runs, 1);
	ck_assert_int_eq(targets, 2);
	ck_assert_int_eq((r = store_runs(st, 0))->nrows, 2);         /* dry: all stay */
	store_rows_free(r);
	ck_assert_int_eq(store_prune_runs(st, future, false, &runs, &targets), 0);
	ck_assert(runs == 1 && targets == 2);
	r = store_runs(st, 0);
	ck_assert_int_eq(r->nrows, 1);                           /* the running one stays */
	ck_assert_int_eq(atoll(cell(r, 0, "run_id")), running);
	store_rows_free(r);
	ck_assert_int_eq((r = store_run_targets(st, id))->nrows, 0);
	store_rows_free(r);
	ck_assert_int_eq((r = store_runs(other, 0))->nrows, 1);      /* another recipe's */
	store_rows_free(r);

	for (int i = 0; i < 3; i++)
		be->add_delete("people");
	be->add_delete("visits");
	ck_assert_int_eq(store_kept(st, "people", true, &k), 0);
	ck_assert_int_eq(k.deletes, 3);
	ck_assert_int_eq(store_prune_deletes(st, "people", future, NULL, true), 3);
	/* not read yet by every consumer: kept */
	ck_assert_int_eq(store_prune_deletes(st, "people", future, "2000-01-01 00:00:00.000000",
	                                     false), 0);
	ck_assert_int_eq(store_prune_deletes(st, "people", future, NULL, false), 3);
	ck_assert_int_eq(store_kept(st, "people", true, &k), 0);
	ck_assert_int_eq(k.deletes, 0);
	ck_assert_int_eq(store_kept(st, "visits", true, &k), 0);
	ck_assert_int_eq(k.deletes, 1);
	ck_assert_int_eq(store_deletes_drop(st, "visits"), 0);
	ck_assert_int_eq(store_kept(st, "visits", true, &k), 0);
	ck_assert_int_eq(k.deletes, 0);
	end();
}
END_TEST

#include "storeapi_cases_live.h"
#include "storeapi_cases_checks.h"
#include "storeapi_cases_sites.h"

/* every case of the contract, for backends 0 to n - 1 */
static void
storeapi_add_cases(TCase *tc, int n)
{
	tcase_add_loop_test(tc, test_schema_version, 0, n);
	tcase_add_loop_test(tc, test_marker_begin_finish_fail, 0, n);
	tcase_add_loop_test(tc, test_marker_owner_and_adopt, 0, n);
	tcase_add_loop_test(tc, test_watermark, 0, n);
	tcase_add_loop_test(tc, test_run_history, 0, n);
	tcase_add_loop_test(tc, test_metrics, 0, n);
	tcase_add_loop_test(tc, test_locks, 0, n);
	tcase_add_loop_test(tc, test_lock_waits, 0, n);
	tcase_add_loop_test(tc, test_lock_released_wakes_waiter, 0, n);
	tcase_add_loop_test(tc, test_close_dead_run, 0, n);
	tcase_add_loop_test(tc, test_history_without_tables, 0, n);
	tcase_add_loop_test(tc, test_live_read, 0, n);
	tcase_add_loop_test(tc, test_runs_find, 0, n);
	tcase_add_loop_test(tc, test_prune, 0, n);
	tcase_add_loop_test(tc, test_checks_record_and_read, 0, n);
	tcase_add_loop_test(tc, test_checks_outside_a_run, 0, n);
	tcase_add_loop_test(tc, test_profiles_newest_first, 0, n);
	tcase_add_loop_test(tc, test_prune_checks, 0, n);
	tcase_add_loop_test(tc, test_checks_without_tables, 0, n);
	tcase_add_loop_test(tc, test_checks_upgrade_from_version_2, 0, n);
	tcase_add_loop_test(tc, test_sites_ok_then_failed, 0, n);
	tcase_add_loop_test(tc, test_sites_never_read, 0, n);
	tcase_add_loop_test(tc, test_sites_of_every_target, 0, n);
	tcase_add_loop_test(tc, test_site_delete, 0, n);
	tcase_add_loop_test(tc, test_sites_lag, 0, n);
	tcase_add_loop_test(tc, test_sites_forgotten_with_target, 0, n);
	tcase_add_loop_test(tc, test_site_record_in_transaction, 0, n);
	tcase_add_loop_test(tc, test_sites_without_tables, 0, n);
	tcase_add_loop_test(tc, test_sites_upgrade_from_version_3, 0, n);
}

#endif
