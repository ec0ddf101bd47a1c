/* store_sql_runs.c: runs and their targets in etl_runs and etl_run_targets, in the engine's SQL */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "marker.h"
#include "util.h"

static long long
insert_run(struct store *st, const char *mode, const char *selection, const char *started_by,
           const char *rev, bool dirty)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qm = db_quote(d, mode);
	char *qs = selection ? db_quote(d, selection) : xstrdup("NULL");
	char *qb = started_by ? db_quote(d, started_by) : xstrdup("NULL");
	char *qrev = rev ? db_quote(d, rev) : xstrdup("NULL");
	char host[256] = "";
	char *qh, *id = NULL;
	long long run_id = -1;
	int rc;

	gethostname(host, sizeof(host) - 1);
	qh = db_quote(d, host);
	/* the id: from the INSERT itself, or asked for after it */
	if (q->run_inserted)
		rc = db_execf(d, q->run_insert, qr, qm, qs, qb, qh, (int)getpid(), qrev,
		              dirty ? 1 : 0) == 0 ? db_value(d, &id, "%s", q->run_inserted) : -1;
	else
		rc = db_value(d, &id, q->run_insert, qr, qm, qs, qb, qh, (int)getpid(), qrev,
		              dirty ? 1 : 0);
	if (rc > 0 && id)
		run_id = atoll(id);
	free(id);
	free(qr);
	free(qm);
	free(qs);
	free(qb);
	free(qrev);
	free(qh);
	return run_id;
}

static long long
run_begin_once(struct store *st, const char *mode, const char *selection,
                    const char *started_by, const char *rev, bool dirty)
{
	struct db *d = st->d;
	char *key;
	long long id;

	/* the row is seen by others at COMMIT, when its lock is held */
	if (store_sql_lock_ready(st) < 0 || db_begin(d) < 0)
		return -1;
	id = insert_run(st, mode, selection, started_by, rev, dirty);
	if (id < 0) {
		db_rollback(d);
		return -1;
	}
	key = store_run_key(id);
	if (store_sql_lock_in(st, key, true) != 1) {
		db_rollback(d);
		id = -1;
	} else if (db_commit(d) < 0) {
		db_rollback(d);
		store_sql_unlock(st, key);
		id = -1;
	}
	free(key);
	return id;
}

/*
 * on a cluster, the commit may fail certification (another node's runner
 * wrote at once): a deadlock that passes, so try again a few times
 */
long long
store_sql_run_begin(struct store *st, const char *mode, const char *selection,
                    const char *started_by, const char *rev, bool dirty)
{
	long long id;

	for (int attempt = 0;; attempt++) {
		id = run_begin_once(st, mode, selection, started_by, rev, dirty);
		if (id >= 0 || attempt == 4 || !db_error_transient(st->d))
			return id;
		usleep(50000U << attempt);
	}
}

int
store_sql_run_end(struct store *st, long long run_id, const char *result)
{
	char *qr = db_quote(st->d, result);
	int rc = db_execf(st->d, store_sql_of(st)->run_end, qr, run_id);

	free(qr);
	return rc;
}

/* one row of etl_run_targets, replacing the run's earlier row of the target */
static int
put_target(struct store *st, long long run_id, const char *target, const char *reason,
           const char *mode, const char *times, const char *rows, int attempts,
           const char *outcome, const char *error)
{
	struct db *d = st->d;
	char *qt = db_quote(d, target), *qe = error ? db_quote(d, error) : xstrdup("NULL");
	char *qreason = reason ? db_quote(d, reason) : xstrdup("NULL");
	char *qm = mode ? db_quote(d, mode) : xstrdup("NULL"), *qo = db_quote(d, outcome);
	int rc = db_execf(d, store_sql_of(st)->target_put, run_id, qt, qreason, qm, times, rows,
	                  attempts, qo, qe);

	free(qt);
	free(qe);
	free(qreason);
	free(qm);
	free(qo);
	return rc;
}

/* "started_at, ended_at" of etl_run_targets, ended < 0 for none (malloc'ed) */
static char *
times(struct store *st, double started, double ended)
{
	const char *epoch = store_sql_of(st)->epoch;
	char *s = xasprintf(epoch, started);
	char *e = ended < 0 ? xstrdup("NULL") : xasprintf(epoch, ended);
	char *both = xasprintf("%s, %s", s, e);

	free(s);
	free(e);
	return both;
}

int
store_sql_run_target_building(struct store *st, long long run_id, const char *target,
                              const char *reason, const char *mode, double started,
                              int attempts)
{
	char *t = times(st, started, -1);
	int rc = put_target(st, run_id, target, reason, mode, t, "NULL", attempts, "building",
	                    NULL);

	free(t);
	return rc;
}

int
store_sql_run_target_record(struct store *st, long long run_id, const char *target,
                            const char *reason, const char *mode, double started,
                            double ended, long long rows, int attempts,
                            const char *outcome, const char *error)
{
	char *t = times(st, started, ended);
	char *nrows = xasprintf("%lld", rows);
	int rc = put_target(st, run_id, target, reason, mode, t, nrows, attempts, outcome,
	                    error);

	free(t);
	free(nrows);
	return rc;
}

int
store_sql_run_target_unstarted(struct store *st, long long run_id, const char *target,
                               const char *reason, const char *mode, const char *outcome,
                               const char *error)
{
	return put_target(st, run_id, target, reason, mode, "NULL, NULL", "NULL", 0, outcome,
	                  error);
}

long
store_sql_runs_running(struct store *st, long long **ids)
{
	struct dbres *res = db_query(st->d, "SELECT run_id FROM etl_runs WHERE result = 'running'"
	                             " ORDER BY run_id");
	long n = 0;

	*ids = NULL;
	if (!res)
		return -1;
	*ids = xcalloc(dbres_nrows(res) + 1, sizeof(**ids));
	while (dbres_next(res))
		(*ids)[n++] = atoll(dbres_get(res, 0));
	dbres_free(res);
	return n;
}

int
store_sql_run_close_dead(struct store *st, long long run_id)
{
	static const char why[] = "interrupted: its runner stopped without recording the end";
	struct db *d = st->d;

	/* it ended after the last thing it recorded, when that is all we know */
	if (db_execf(d, "UPDATE etl_runs SET result = 'interrupted', ended_at ="
	             " GREATEST(started_at, COALESCE((SELECT MAX(COALESCE(t.ended_at, t.started_at))"
	             " FROM etl_run_targets t WHERE t.run_id = %lld), started_at))"
	             " WHERE run_id = %lld AND result = 'running'", run_id, run_id) < 0)
		return -1;
	if (db_affected(d) == 0)
		return 0;       /* it ended meanwhile */
	if (db_execf(d, "UPDATE etl_run_targets SET outcome = 'interrupted', error_message = '%s'"
	             " WHERE run_id = %lld AND outcome = 'building'", why, run_id) < 0 ||
	    db_execf(d, "UPDATE etl_metadata SET status = 'interrupted', error_message = '%s'"
	             " WHERE last_run_id = %lld AND status = 'running'", why, run_id) < 0)
		return -1;
	return 1;
}

long
store_sql_building(struct store *st, struct store_building **out)
{
	char *qr = db_quote(st->d, st->recipe);
	struct dbres *res;
	long n = 0;

	*out = NULL;
	res = db_queryf(st->d, store_sql_of(st)->building, qr);
	free(qr);
	if (!res)
		return store_sql_no_table(st->d) ? 0 : -1;
	*out = xcalloc(dbres_nrows(res) + 1, sizeof(**out));
	while (dbres_next(res)) {
		struct store_building *b = &(*out)[n++];

		b->target = xstrdup(dbres_get(res, 0) ? dbres_get(res, 0) : "");
		b->run_id = dbres_get(res, 1) ? atoll(dbres_get(res, 1)) : 0;
		snprintf(b->since, TS_LEN, "%s", dbres_get(res, 2) ? dbres_get(res, 2) : "");
	}
	dbres_free(res);
	return n;
}
