/* store_mariadb.c: markers, watermarks and locks in a MariaDB/MySQL target database (DESIGN §4) */
#include "store_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "plan.h"
#include "util.h"

bool
store_mariadb_no_table(struct db *d)
{
	return db_error_class(d) == DB_ERR_NO_TABLE;
}

static const char *
mariadb_error(struct store *st)
{
	return db_error(st->d);
}

/* locks: the engine's advisory locks, one name per database and key */

static char *
lock_name(struct db *d, const char *key)
{
	char *s = xasprintf("%s.%s", db_name(d), key);
	char hex[65];

	sha256_hex(s, strlen(s), hex);
	free(s);
	return xasprintf("chacc/%.40s", hex);
}

int
store_mariadb_lock(struct store *st, const char *key, double timeout)
{
	char *name = lock_name(st->d, key);
	int rc = db_lock(st->d, name, timeout);

	free(name);
	return rc;
}

void
store_mariadb_unlock(struct store *st, const char *key)
{
	char *name = lock_name(st->d, key);

	db_unlock(st->d, name);
	free(name);
}

static int
mariadb_locks_used(struct store *st, char *const *keys, size_t n, bool *used)
{
	char **names = xcalloc(n, sizeof(*names));
	int rc;

	for (size_t i = 0; i < n; i++)
		names[i] = lock_name(st->d, keys[i]);
	rc = db_locks_used(st->d, (const char *const *)names, n, used);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
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
}

static int
mariadb_marker_load(struct store *st, const char *target, struct marker *m)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	struct dbres *res;
	char *exists = NULL;
	int rc = -1;

	marker_release(m);
	res = db_queryf(d,
	        "SELECT m.status, DATE_FORMAT(m.built_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'),"
	        " DATE_FORMAT(m.changed_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'),"
	        " DATE_FORMAT(m.inputs_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'),"
	        " DATE_FORMAT(m.full_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'),"
	        " m.definition_hash, m.row_count, m.last_run_id, m.duration_ms, m.error_message,"
	        " w.last_value, w.window_open, m.config_rev, w.target IS NOT NULL"
	        " FROM etl_metadata m LEFT JOIN etl_watermarks w"
	        " ON w.recipe = m.recipe AND w.target = m.target"
	        " WHERE m.recipe = %s AND m.target = %s", qr, qt);
	if (!res && !store_mariadb_no_table(d))
		goto out;
	if (res && dbres_next(res))
		marker_row(m, res);
	if (res)
		dbres_free(res);
	if (db_value(d, &exists, "SELECT 1 FROM information_schema.tables"
	             " WHERE table_schema = DATABASE() AND table_name = %s", qt) < 0)
		goto out;
	m->table_exists = exists != NULL;
	free(exists);
	rc = 0;
out:
	free(qr);
	free(qt);
	return rc;
}

static char *
mariadb_marker_owner(struct store *st, const char *target)
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
mariadb_marker_begin(struct store *st, const char *target, long long run_id)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	int rc;

	rc = db_execf(st->d, "INSERT INTO etl_metadata (recipe, target, status, last_run_id)"
	              " VALUES (%s, %s, 'running', %lld)"
	              " ON DUPLICATE KEY UPDATE status = 'running', last_run_id = %lld",
	              qr, qt, run_id, run_id);
	free(qr);
	free(qt);
	return rc;
}

static int
mariadb_marker_finish(struct store *st, const char *target, long long run_id,
                      const char *hash, const char *inputs_at, bool full, long long changed,
                      long long rows, double duration, const char *rev, bool dirty)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qin = inputs_at && *inputs_at ? db_quote(d, inputs_at) : xstrdup("NULL");
	char *qrev = rev ? db_quote(d, rev) : xstrdup("NULL");
	int rc;

	rc = db_execf(d,
	        "INSERT INTO etl_metadata (recipe, target, status, built_at, changed_at, inputs_at,"
	        " full_at, definition_hash, config_rev, config_dirty, row_count, last_run_id,"
	        " duration_ms, error_message)"
	        " VALUES (%s, %s, 'ok', NOW(6), NOW(6), %s, %s, '%d:%s', %s, %d, %lld, %lld, %lld, NULL)"
	        " ON DUPLICATE KEY UPDATE status = 'ok', built_at = NOW(6),"
	        " changed_at = IF(%lld > 0 OR changed_at IS NULL, NOW(6), changed_at),"
	        " inputs_at = VALUES(inputs_at),"
	        " full_at = IF(%d AND %lld > 0, NOW(6), full_at),"
	        " definition_hash = VALUES(definition_hash),"
	        " config_rev = VALUES(config_rev), config_dirty = VALUES(config_dirty),"
	        " row_count = VALUES(row_count), last_run_id = VALUES(last_run_id),"
	        " duration_ms = VALUES(duration_ms), error_message = NULL",
	        qr, qt, qin, full ? "NOW(6)" : "NULL", HASH_FORMAT, hash, qrev, dirty ? 1 : 0, rows,
	        run_id, (long long)(duration * 1000), changed, full ? 1 : 0, changed);
	free(qr);
	free(qt);
	free(qin);
	free(qrev);
	return rc;
}

static int
mariadb_marker_fail(struct store *st, const char *target, long long run_id,
                    const char *status, const char *error, double duration)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	char *qe = db_quote(st->d, error ? error : ""), *qs = db_quote(st->d, status);
	int rc;

	rc = db_execf(st->d, "INSERT INTO etl_metadata (recipe, target, status, last_run_id,"
	              " duration_ms, error_message) VALUES (%s, %s, %s, %lld, %lld, %s)"
	              " ON DUPLICATE KEY UPDATE status = VALUES(status),"
	              " last_run_id = VALUES(last_run_id), duration_ms = VALUES(duration_ms),"
	              " error_message = VALUES(error_message)",
	              qr, qt, qs, run_id, (long long)(duration * 1000), qe);
	free(qr);
	free(qt);
	free(qe);
	free(qs);
	return rc;
}

static int
mariadb_watermark_set(struct store *st, const char *target, const char *source,
                      const char *column, const char *value, bool window_open)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qs = db_quote(d, source), *qc = db_quote(d, column);
	char *qv = value ? db_quote(d, value) : xstrdup("NULL");
	int rc;

	rc = db_execf(d, "INSERT INTO etl_watermarks (recipe, target, source, column_name,"
	              " last_value, window_open, updated_at) VALUES (%s, %s, %s, %s, %s, %d, NOW(6))"
	              " ON DUPLICATE KEY UPDATE source = VALUES(source),"
	              " column_name = VALUES(column_name), last_value = VALUES(last_value),"
	              " window_open = VALUES(window_open), updated_at = NOW(6)",
	              qr, qt, qs, qc, qv, window_open ? 1 : 0);
	free(qr);
	free(qt);
	free(qs);
	free(qc);
	free(qv);
	return rc;
}

static int
mariadb_marker_delete(struct store *st, const char *target)
{
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	int rc;

	rc = db_execf(st->d, "DELETE FROM etl_metadata WHERE recipe = %s AND target = %s", qr, qt);
	if (rc == 0)
		rc = db_execf(st->d, "DELETE FROM etl_watermarks WHERE recipe = %s AND target = %s",
		              qr, qt);
	free(qr);
	free(qt);
	return rc;
}

static int
mariadb_marker_adopt(struct store *st, const char *target, long long rows)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	int rc;

	/* taken from another recipe (a renamed one, say): its marker goes */
	rc = db_exec(d, "START TRANSACTION");
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_metadata WHERE target = %s AND recipe <> %s",
		              qt, qr);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_watermarks WHERE target = %s AND recipe <> %s",
		              qt, qr);
	/* no definition hash: the first build by chacc replaces the rows in full */
	if (rc == 0)
		rc = db_execf(d, "INSERT INTO etl_metadata (recipe, target, status, built_at,"
		              " changed_at, definition_hash, row_count, error_message)"
		              " VALUES (%s, %s, 'ok', NOW(6), NOW(6), '" MARKER_ADOPTED "', %lld,"
		              " NULL)", qr, qt, rows);
	if (rc == 0)
		rc = db_exec(d, "COMMIT");
	if (rc < 0)
		db_exec(d, "ROLLBACK");
	free(qr);
	free(qt);
	return rc;
}

static long
mariadb_marker_targets(struct store *st, char ***names)
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
		return store_mariadb_no_table(st->d) ? 0 : -1;
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
	if (rc < 0 && store_mariadb_no_table(d))
		return 0;
	return rc < 0 ? -1 : 0;
}

static int
mariadb_kept(struct store *st, const char *target, bool count_deletes, struct store_kept *k)
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
mariadb_deletes_drop(struct store *st, const char *target)
{
	char *qt = db_quote(st->d, target);
	int rc = db_execf(st->d, "DELETE FROM etl_deletes WHERE target = %s", qt);

	free(qt);
	return rc;
}

static const struct store_ops mariadb_ops = {
	.engine = "mariadb",
	.error = mariadb_error,
	.schema_version = store_mariadb_schema_version,
	.schema_upgrade = store_mariadb_schema_upgrade,
	.marker_load = mariadb_marker_load,
	.marker_owner = mariadb_marker_owner,
	.marker_begin = mariadb_marker_begin,
	.marker_finish = mariadb_marker_finish,
	.marker_fail = mariadb_marker_fail,
	.marker_adopt = mariadb_marker_adopt,
	.marker_delete = mariadb_marker_delete,
	.marker_targets = mariadb_marker_targets,
	.watermark_set = mariadb_watermark_set,
	.kept = mariadb_kept,
	.deletes_drop = mariadb_deletes_drop,
	.run_begin = store_mariadb_run_begin,
	.run_end = store_mariadb_run_end,
	.run_target_building = store_mariadb_run_target_building,
	.run_target_record = store_mariadb_run_target_record,
	.run_target_unstarted = store_mariadb_run_target_unstarted,
	.runs_running = store_mariadb_runs_running,
	.run_close_dead = store_mariadb_run_close_dead,
	.building = store_mariadb_building,
	.lock = store_mariadb_lock,
	.unlock = store_mariadb_unlock,
	.locks_used = mariadb_locks_used,
	.now = store_mariadb_now,
	.runs = store_mariadb_runs,
	.runs_find = store_mariadb_runs_find,
	.run = store_mariadb_run,
	.run_targets = store_mariadb_run_targets,
	.target_runs = store_mariadb_target_runs,
	.runs_by_result = store_mariadb_runs_by_result,
	.target_totals = store_mariadb_target_totals,
	.marker_stats = store_mariadb_marker_stats,
	.prune_runs = store_mariadb_prune_runs,
	.prune_deletes = store_mariadb_prune_deletes,
	.live_read = store_mariadb_live_read,
};

struct store *
store_mariadb_open(struct db *d, const char *recipe)
{
	return store_new(&mariadb_ops, d, recipe, NULL);
}
