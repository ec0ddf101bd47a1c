/* marker.c: markers, watermarks and history tables in the target database (DESIGN §4) */
#include "marker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "plan.h"
#include "schema.h"
#include "util.h"

void
marker_release(struct marker *m)
{
	free(m->error);
	free(m->watermark);
	memset(m, 0, sizeof(*m));
}

void
marker_copy(struct marker *dst, const struct marker *src)
{
	marker_release(dst);
	*dst = *src;
	dst->error = src->error ? xstrdup(src->error) : NULL;
	dst->watermark = src->watermark ? xstrdup(src->watermark) : NULL;
}

static void
copy_ts(char *dst, const char *src)
{
	snprintf(dst, TS_LEN, "%s", src ? src : "");
}

/* "2:<hex>" is a digest of format 2; a bare digest is format 1 (chacc 0.1) */
static void
parse_hash(struct marker *m, const char *stored)
{
	const char *colon = stored ? strchr(stored, ':') : NULL;

	m->hash_format = 1;
	if (colon && colon > stored && strspn(stored, "0123456789") == (size_t)(colon - stored)) {
		m->hash_format = atoi(stored);
		stored = colon + 1;
	}
	snprintf(m->hash, sizeof(m->hash), "%s", stored ? stored : "");
}

int
marker_load(struct db *d, const char *recipe, const char *target, struct marker *m)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
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
	if (!res && !schema_no_table(d))
		goto out;
	if (res && dbres_next(res)) {
		m->present = true;
		snprintf(m->status, sizeof(m->status), "%s", dbres_get(res, 0));
		copy_ts(m->built_at, dbres_get(res, 1));
		copy_ts(m->changed_at, dbres_get(res, 2));
		copy_ts(m->inputs_at, dbres_get(res, 3));
		copy_ts(m->full_at, dbres_get(res, 4));
		parse_hash(m, dbres_get(res, 5));
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

int
marker_begin(struct db *d, const char *recipe, const char *target, long long run_id)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
	int rc;

	rc = db_execf(d, "INSERT INTO etl_metadata (recipe, target, status, last_run_id)"
	              " VALUES (%s, %s, 'running', %lld)"
	              " ON DUPLICATE KEY UPDATE status = 'running', last_run_id = %lld",
	              qr, qt, run_id, run_id);
	free(qr);
	free(qt);
	return rc;
}

int
marker_finish(struct db *d, const char *recipe, const char *target, long long run_id,
              const char *hash, const char *inputs_at, bool full, long long changed,
              long long rows, double duration, const char *rev, bool dirty)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
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
	        qr, qt, qin, full ? "NOW(6)" : "NULL", HASH_FORMAT, hash, qrev, dirty ? 1 : 0, rows, run_id,
	        (long long)(duration * 1000), changed, full ? 1 : 0, changed);
	free(qr);
	free(qt);
	free(qin);
	free(qrev);
	return rc;
}

int
marker_fail(struct db *d, const char *recipe, const char *target, long long run_id,
            const char *status, const char *error, double duration)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
	char *qe = db_quote(d, error ? error : "");
	int rc;

	rc = db_execf(d, "INSERT INTO etl_metadata (recipe, target, status, last_run_id,"
	              " duration_ms, error_message) VALUES (%s, %s, '%s', %lld, %lld, %s)"
	              " ON DUPLICATE KEY UPDATE status = VALUES(status),"
	              " last_run_id = VALUES(last_run_id), duration_ms = VALUES(duration_ms),"
	              " error_message = VALUES(error_message)",
	              qr, qt, status, run_id, (long long)(duration * 1000), qe);
	free(qr);
	free(qt);
	free(qe);
	return rc;
}

int
marker_set_watermark(struct db *d, const char *recipe, const char *target, const char *source,
                     const char *column, const char *value, bool window_open)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
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

int
marker_delete(struct db *d, const char *recipe, const char *target)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
	int rc;

	rc = db_execf(d, "DELETE FROM etl_metadata WHERE recipe = %s AND target = %s", qr, qt);
	if (rc == 0)
		rc = db_execf(d, "DELETE FROM etl_watermarks WHERE recipe = %s AND target = %s",
		              qr, qt);
	free(qr);
	free(qt);
	return rc;
}

long long
run_begin(struct db *d, const char *recipe, const char *mode, const char *selection,
          const char *started_by, const char *rev, bool dirty)
{
	char *qr = db_quote(d, recipe), *qm = db_quote(d, mode), *qs = db_quote(d, selection);
	char *qb = db_quote(d, started_by), *qrev = rev ? db_quote(d, rev) : xstrdup("NULL");
	char host[256] = "";
	char *qh, *id = NULL;
	long long run_id = -1;

	gethostname(host, sizeof(host) - 1);
	qh = db_quote(d, host);
	if (db_execf(d, "INSERT INTO etl_runs (recipe, mode, selection, started_by, host, pid,"
	             " started_at, result, config_rev, config_dirty)"
	             " VALUES (%s, %s, %s, %s, %s, %d, NOW(6), 'running', %s, %d)",
	             qr, qm, qs, qb, qh, (int)getpid(), qrev, dirty ? 1 : 0) == 0 &&
	    db_value(d, &id, "SELECT LAST_INSERT_ID()") > 0 && id)
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

int
run_end(struct db *d, long long run_id, const char *result)
{
	return db_execf(d, "UPDATE etl_runs SET ended_at = NOW(6), result = '%s'"
	                " WHERE run_id = %lld", result, run_id);
}

int
run_target_record(struct db *d, long long run_id, const char *target, const char *reason,
                  const char *mode, double started, double ended, long long rows,
                  int attempts, const char *outcome, const char *error)
{
	char *qt = db_quote(d, target), *qe = error ? db_quote(d, error) : xstrdup("NULL");
	int rc;

	rc = db_execf(d, "REPLACE INTO etl_run_targets (run_id, target, reason, mode, started_at,"
	              " ended_at, row_count, attempts, outcome, error_message)"
	              " VALUES (%lld, %s, '%s', '%s', FROM_UNIXTIME(%.6f), FROM_UNIXTIME(%.6f),"
	              " %lld, %d, '%s', %s)",
	              run_id, qt, reason, mode, started, ended, rows, attempts, outcome, qe);
	free(qt);
	free(qe);
	return rc;
}

int
marker_adopt(struct db *d, const char *recipe, const char *target, long long rows)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, target);
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

int
run_target_unstarted(struct db *d, long long run_id, const char *target, const char *reason,
                     const char *mode, const char *outcome, const char *error)
{
	char *qt = db_quote(d, target), *qe = error ? db_quote(d, error) : xstrdup("NULL");
	int rc;

	rc = db_execf(d, "REPLACE INTO etl_run_targets (run_id, target, reason, mode, started_at,"
	              " ended_at, row_count, attempts, outcome, error_message)"
	              " VALUES (%lld, %s, '%s', '%s', NULL, NULL, NULL, 0, '%s', %s)",
	              run_id, qt, reason, mode, outcome, qe);
	free(qt);
	free(qe);
	return rc;
}

int
run_target_building(struct db *d, long long run_id, const char *target, const char *reason,
                    const char *mode, double started, int attempts)
{
	char *qt = db_quote(d, target);
	int rc;

	rc = db_execf(d, "REPLACE INTO etl_run_targets (run_id, target, reason, mode, started_at,"
	              " attempts, outcome) VALUES (%lld, %s, '%s', '%s', FROM_UNIXTIME(%.6f), %d,"
	              " 'building')", run_id, qt, reason, mode, started, attempts);
	free(qt);
	return rc;
}

long
runs_running(struct db *d, long long **ids)
{
	struct dbres *res = db_query(d, "SELECT run_id FROM etl_runs WHERE result = 'running'"
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
run_close_dead(struct db *d, long long run_id)
{
	static const char why[] = "interrupted: its runner stopped without recording the end";

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

struct dbres *
run_targets_building(struct db *d, const char *recipe)
{
	char *qr = db_quote(d, recipe);
	struct dbres *res;

	res = db_queryf(d, "SELECT t.target, t.run_id,"
	                " DATE_FORMAT(t.started_at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')"
	                " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	                " WHERE r.recipe = %s AND r.result = 'running' AND t.outcome = 'building'"
	                " ORDER BY t.run_id", qr);
	free(qr);
	return res;
}

int
locks_used(struct db *d, char *const *names, size_t n, bool *used)
{
	struct buf b;
	struct dbres *res;
	int rc = -1;

	if (n == 0)
		return 0;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		char *q = db_quote(d, names[i]);

		buf_addf(&b, "%sIS_USED_LOCK(%s) IS NOT NULL", i ? ", " : "SELECT ", q);
		free(q);
	}
	if ((res = db_query(d, b.s)) && dbres_next(res)) {
		for (size_t i = 0; i < n; i++)
			used[i] = dbres_get(res, i) && atoi(dbres_get(res, i));
		rc = 0;
	}
	if (res)
		dbres_free(res);
	buf_release(&b);
	return rc;
}
