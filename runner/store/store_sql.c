/*
 * store_sql.c: markers, watermarks and locks in a SQL target database
 * (DESIGN §4), in the SQL of its engine (store_sql.h), and the operations
 * of the SQL store
 */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "plan.h"
#include "util.h"

/* the store's own state: its engine's SQL, and its leases on a cluster */
struct sqlstore {
	const struct store_sql *sql;
	struct lease_set *leases;
};

const struct store_sql *
store_sql_of(struct store *st)
{
	return ((struct sqlstore *)st->impl)->sql;
}

struct lease_set *
store_sql_leases(struct store *st)
{
	return ((struct sqlstore *)st->impl)->leases;
}

bool
store_sql_no_table(struct db *d)
{
	return db_error_class(d) == DB_ERR_NO_TABLE;
}

static const char *
sql_error(struct store *st)
{
	return db_error(st->d);
}

/*
 * locks: the engine's advisory locks, one name per database (schema) and
 * key; on a cluster, whose nodes do not share them, leases (store_lease.c)
 */

char *
store_sql_lock_name(struct db *d, const char *key)
{
	char *s = xasprintf("%s.%s", db_name(d), key);
	char hex[65];

	sha256_hex(s, strlen(s), hex);
	free(s);
	return xasprintf("chacc/%.40s", hex);
}

static int
lock_in(struct store *st, const char *key, double timeout, bool in_txn)
{
	char *name = store_sql_lock_name(st->d, key);
	struct lease_set *ls = store_sql_leases(st);
	int rc = ls ? lease_take(ls, key, name, timeout, in_txn) : db_lock(st->d, name, timeout);

	free(name);
	return rc;
}

int
store_sql_lock(struct store *st, const char *key, double timeout)
{
	return lock_in(st, key, timeout, false);
}

int
store_sql_lock_in(struct store *st, const char *key, bool in_txn)
{
	return lock_in(st, key, 0, in_txn);
}

int
store_sql_lock_ready(struct store *st)
{
	struct lease_set *ls = store_sql_leases(st);

	return ls ? lease_ready(ls) : 0;
}

void
store_sql_unlock(struct store *st, const char *key)
{
	struct lease_set *ls = store_sql_leases(st);
	char *name;

	if (ls) {
		lease_give(ls, key);
		return;
	}
	name = store_sql_lock_name(st->d, key);
	db_unlock(st->d, name);
	free(name);
}

static int
sql_fence(struct store *st, const char *key, char **err)
{
	struct lease_set *ls = store_sql_leases(st);

	*err = NULL;
	return ls ? lease_fence(ls, key, err) : 0;
}

static int
sql_locks_used(struct store *st, char *const *keys, size_t n, bool *used)
{
	char **names = xcalloc(n, sizeof(*names));
	struct lease_set *ls = store_sql_leases(st);
	int rc;

	for (size_t i = 0; i < n; i++)
		names[i] = store_sql_lock_name(st->d, keys[i]);
	rc = ls ? lease_used(ls, names, n, used) :
	          db_locks_used(st->d, (const char *const *)names, n, used);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

char *
store_sql_schema_lock(struct db *d)
{
	char hex[65];

	sha256_hex(db_name(d), strlen(db_name(d)), hex);
	return xasprintf("chacc/schema/%.40s", hex);
}

/* markers */

static void
copy_ts(char *dst, const char *src)
{
	snprintf(dst, TS_LEN, "%s", src ? src : "");
}

static void
marker_row(struct marker *m, struct dbres *res)
{
	m->present = true;
	snprintf(m->status, sizeof(m->status), "%s", dbres_get(res, 0));
	copy_ts(m->built_at, dbres_get(res, 1));
	copy_ts(m->changed_at, dbres_get(res, 2));
	copy_ts(m->inputs_at, dbres_get(res, 3));
	copy_ts(m->full_at, dbres_get(res, 4));
	marker_set_hash(m, dbres_get(res, 5));
	m->rows = dbres_get(res, 6) ? atoll(dbres_get(res, 6)) : 0;
	m->run_id = dbres_get(res, 7) ? atoll(dbres_get(res, 7)) : 0;
	m->duration = dbres_get(res, 8) ? atoll(dbres_get(res, 8)) / 1000.0 : 0;
	m->error = dbres_get(res, 9) ? xstrdup(dbres_get(res, 9)) : NULL;
	m->watermark = dbres_get(res, 10) ? xstrdup(dbres_get(res, 10)) : NULL;
	m->window_open = dbres_get(res, 11) && atoi(dbres_get(res, 11));
	snprintf(m->config_rev, sizeof(m->config_rev), "%s",
	         dbres_get(res, 12) ? dbres_get(res, 12) : "");
	m->has_watermark = dbres_get(res, 13) && atoi(dbres_get(res, 13));
	m->watermark_column = dbres_get(res, 14) ? xstrdup(dbres_get(res, 14)) : NULL;
}

static int
sql_marker_load(struct store *st, const char *target, struct marker *m)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qs = db_quote(d, db_name(d)), *exists = NULL;
	struct dbres *res;
	int rc = -1;

	marker_release(m);
	res = db_queryf(d, q->marker_select, qr, qt);
	if (!res && !store_sql_no_table(d))
		goto out;
	if (res && dbres_next(res))
		marker_row(m, res);
	if (res)
		dbres_free(res);
	if (db_value(d, &exists, q->table_exists, qt, qs) < 0)
		goto out;
	m->table_exists = exists != NULL;
	rc = 0;
out:
	free(exists);
	free(qr);
	free(qt);
	free(qs);
	return rc;
}

static char *
sql_marker_owner(struct store *st, const char *target)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target), *who = NULL;
	int rc;

	/* this recipe's marker first, then any other's */
	rc = db_value(st->d, &who, "SELECT recipe FROM etl_metadata WHERE target = %s"
	              " ORDER BY recipe = %s DESC, recipe LIMIT 1", qt, qr);
	free(qr);
	free(qt);
	if (rc < 0)
		return NULL;
	return who ? who : xstrdup("");
}

static int
sql_marker_begin(struct store *st, const char *target, long long run_id)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	int rc = db_execf(st->d, store_sql_of(st)->marker_begin, qr, qt, run_id);

	free(qr);
	free(qt);
	return rc;
}

static int
sql_marker_finish(struct store *st, const char *target, long long run_id,
                  const char *hash, const char *inputs_at, bool full, long long changed,
                  long long rows, double duration, const char *rev, bool dirty)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qin = db_ts_literal(d, inputs_at);
	char *qrev = rev ? db_quote(d, rev) : xstrdup("NULL");
	int rc;

	/* a build that changed nothing keeps changed_at; full_at moves with a full one that did */
	rc = db_execf(d, store_sql_of(st)->marker_finish, qr, qt, qin, full ? 1 : 0, HASH_FORMAT,
	              hash, qrev, dirty ? 1 : 0, rows, run_id, (long long)(duration * 1000),
	              changed > 0 ? 1 : 0, full && changed > 0 ? 1 : 0);
	free(qr);
	free(qt);
	free(qin);
	free(qrev);
	return rc;
}

static int
sql_marker_fail(struct store *st, const char *target, long long run_id,
                const char *status, const char *error, double duration)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	char *qe = db_quote(st->d, error ? error : ""), *qs = db_quote(st->d, status);
	int rc = db_execf(st->d, store_sql_of(st)->marker_fail, qr, qt, qs, run_id,
	                  (long long)(duration * 1000), qe);

	free(qr);
	free(qt);
	free(qe);
	free(qs);
	return rc;
}

static int
sql_watermark_set(struct store *st, const char *target, const char *source,
                  const char *column, const char *value, bool window_open)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qs = db_quote(d, source), *qc = db_quote(d, column);
	char *qv = value ? db_quote(d, value) : xstrdup("NULL");
	int rc = db_execf(d, store_sql_of(st)->watermark_set, qr, qt, qs, qc, qv,
	                  window_open ? 1 : 0);

	free(qr);
	free(qt);
	free(qs);
	free(qc);
	free(qv);
	return rc;
}

static int
sql_marker_delete(struct store *st, const char *target)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	int rc;

	rc = db_execf(st->d, "DELETE FROM etl_metadata WHERE recipe = %s AND target = %s", qr, qt);
	if (rc == 0)
		rc = db_execf(st->d, "DELETE FROM etl_watermarks WHERE recipe = %s AND target = %s",
		              qr, qt);
	/* and its sites (none on tables older than version 4) */
	if (rc == 0)
		rc = store_sql_site_delete(st, target, NULL);
	free(qr);
	free(qt);
	return rc;
}

static int
sql_marker_adopt(struct store *st, const char *target, long long rows)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	int rc;

	/* taken from another recipe (a renamed one, say): its marker goes */
	rc = db_begin(d);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_metadata WHERE target = %s AND recipe <> %s",
		              qt, qr);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_watermarks WHERE target = %s AND recipe <> %s",
		              qt, qr);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_sites WHERE target = %s AND recipe <> %s", qt, qr);
	/* no definition hash: the first build by chacc replaces the rows in full */
	if (rc == 0)
		rc = db_execf(d, store_sql_of(st)->marker_adopt, qr, qt, rows);
	if (rc == 0)
		rc = db_commit(d);
	if (rc < 0)
		db_rollback(d);
	free(qr);
	free(qt);
	return rc;
}

static long
sql_marker_targets(struct store *st, char ***names)
{
	char *qr = db_quote(st->d, st->recipe), *sql;
	struct store_rows *r;
	long n;

	*names = NULL;
	sql = xasprintf("SELECT target FROM etl_metadata WHERE recipe = %s"
	                " UNION SELECT target FROM etl_watermarks WHERE recipe = %s ORDER BY 1",
	                qr, qr);
	r = store_rows_query(st->d, sql);
	free(sql);
	free(qr);
	if (!r)
		return store_sql_no_table(st->d) ? 0 : -1;
	*names = xcalloc(r->nrows + 1, sizeof(**names));
	for (size_t i = 0; i < r->nrows; i++)
		(*names)[i] = xstrdup(store_rows_get(r, i, 0) ? store_rows_get(r, i, 0) : "");
	n = (long)r->nrows;
	store_rows_free(r);
	return n;
}

/* the rows of table where, counted; 0 when the etl_ table does not exist yet */
static int
count(struct db *d, long long *n, const char *table, const char *where)
{
	char *v = NULL;
	int rc = db_value(d, &v, "SELECT COUNT(*) FROM %s WHERE %s", table, where);

	*n = v ? atoll(v) : 0;
	free(v);
	if (rc < 0 && store_sql_no_table(d))
		return 0;
	return rc < 0 ? -1 : 0;
}

static int
sql_kept(struct store *st, const char *target, bool count_deletes, struct store_kept *k)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	char *mine = xasprintf("recipe = %s AND target = %s", qr, qt);
	char *others = xasprintf("recipe <> %s AND target = %s", qr, qt);
	char *any = xasprintf("target = %s", qt);
	long long n = 0;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	rc |= count(st->d, &n, "etl_metadata", mine);
	k->marker = n > 0;
	rc |= count(st->d, &n, "etl_watermarks", mine);
	k->watermark = n > 0;
	/* the watermarks of its sites are its watermark too */
	rc |= count(st->d, &n, "etl_sites", mine);
	k->watermark |= n > 0;
	rc |= count(st->d, &n, "etl_metadata", others);
	k->others = n > 0;
	if (count_deletes)
		rc |= count(st->d, &k->deletes, "etl_deletes", any);
	free(mine);
	free(others);
	free(any);
	free(qr);
	free(qt);
	return rc ? -1 : 0;
}

static int
sql_deletes_drop(struct store *st, const char *target)
{
	char *qt = db_quote(st->d, target);
	int rc = db_execf(st->d, "DELETE FROM etl_deletes WHERE target = %s", qt);

	free(qt);
	return rc;
}

static void
sql_close(struct store *st)
{
	struct sqlstore *ss = st->impl;

	lease_set_free(ss->leases);
	free(ss);
}

static const struct store_ops sql_ops = {
	.engine = "sql",
	.close = sql_close,
	.error = sql_error,
	.schema_version = store_sql_schema_version,
	.schema_upgrade = store_sql_schema_upgrade,
	.marker_load = sql_marker_load,
	.marker_owner = sql_marker_owner,
	.marker_begin = sql_marker_begin,
	.marker_finish = sql_marker_finish,
	.marker_fail = sql_marker_fail,
	.marker_adopt = sql_marker_adopt,
	.marker_delete = sql_marker_delete,
	.marker_targets = sql_marker_targets,
	.watermark_set = sql_watermark_set,
	.kept = sql_kept,
	.deletes_drop = sql_deletes_drop,
	.run_begin = store_sql_run_begin,
	.run_end = store_sql_run_end,
	.run_target_building = store_sql_run_target_building,
	.run_target_record = store_sql_run_target_record,
	.run_target_unstarted = store_sql_run_target_unstarted,
	.runs_running = store_sql_runs_running,
	.run_close_dead = store_sql_run_close_dead,
	.building = store_sql_building,
	.lock = store_sql_lock,
	.unlock = store_sql_unlock,
	.locks_used = sql_locks_used,
	.fence = sql_fence,
	.now = store_sql_now,
	.runs = store_sql_runs,
	.runs_find = store_sql_runs_find,
	.run = store_sql_run,
	.run_targets = store_sql_run_targets,
	.target_runs = store_sql_target_runs,
	.runs_by_result = store_sql_runs_by_result,
	.target_totals = store_sql_target_totals,
	.marker_stats = store_sql_marker_stats,
	.prune_runs = store_sql_prune_runs,
	.prune_deletes = store_sql_prune_deletes,
	.checks_record = store_sql_checks_record,
	.checks_latest = store_sql_checks_latest,
	.checks_of_run = store_sql_checks_of_run,
	.profile_record = store_sql_profile_record,
	.profiles = store_sql_profiles,
	.prune_checks = store_sql_prune_checks,
	.sites_load = store_sql_sites_load,
	.site_record = store_sql_site_record,
	.site_delete = store_sql_site_delete,
	.live_read = store_sql_live_read,
};

struct store *
store_sql_open(struct db *d, const char *recipe, const struct store_sql *sql)
{
	struct sqlstore *ss = xcalloc(1, sizeof(*ss));

	ss->sql = sql;
	/* on a cluster, a lock must hold on every node */
	if (d && sql->lease_table && db_cluster(d) == 1)
		ss->leases = lease_set_new(d, sql);
	return store_new(&sql_ops, d, recipe, ss);
}
