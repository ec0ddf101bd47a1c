/*
 * store_mariadb.c: the store in a MariaDB/MySQL target database (DESIGN §4):
 * the SQL of the store's statements (store_sql.h), in MariaDB's dialect
 */
#include "store_mariadb.h"

#include "marker.h"

/* a time column as the text every store gives: "YYYY-MM-DD HH:MM:SS.ffffff" */
#define TS(col) "DATE_FORMAT(" col ", '%%Y-%%m-%%d %%H:%%i:%%s.%%f')"
/* the seconds from a to b, to 3 decimals */
#define SECONDS(a, b) "ROUND(TIMESTAMPDIFF(MICROSECOND, " a ", " b ") / 1e6, 3)"

static const struct store_sql mariadb_sql = {
	.engine = "mariadb",
	.space = "database",
	.schema = &store_mariadb_schema,
	.ts = "%s",
	.epoch = "FROM_UNIXTIME(%.6f)",

	.marker_select =
	        "SELECT m.status, " TS("m.built_at") ", " TS("m.changed_at") ","
	        " " TS("m.inputs_at") ", " TS("m.full_at") ","
	        " m.definition_hash, m.row_count, m.last_run_id, m.duration_ms, m.error_message,"
	        " w.last_value, w.window_open, m.config_rev, w.target IS NOT NULL, w.column_name"
	        " FROM etl_metadata m LEFT JOIN etl_watermarks w"
	        " ON w.recipe = m.recipe AND w.target = m.target"
	        " WHERE m.recipe = %s AND m.target = %s",
	.table_exists = "SELECT 1 FROM information_schema.tables"
	        " WHERE table_schema = DATABASE() AND table_name = %s",
	.marker_begin = "INSERT INTO etl_metadata (recipe, target, status, last_run_id)"
	        " VALUES (%s, %s, 'running', %lld)"
	        " ON DUPLICATE KEY UPDATE status = 'running', last_run_id = VALUES(last_run_id)",
	.marker_finish =
	        "INSERT INTO etl_metadata (recipe, target, status, built_at, changed_at, inputs_at,"
	        " full_at, definition_hash, config_rev, config_dirty, row_count, last_run_id,"
	        " duration_ms, error_message)"
	        " VALUES (%s, %s, 'ok', NOW(6), NOW(6), %s, IF(%d, NOW(6), NULL), '%d:%s', %s, %d,"
	        " %lld, %lld, %lld, NULL)"
	        " ON DUPLICATE KEY UPDATE status = 'ok', built_at = NOW(6),"
	        " changed_at = IF(%d OR changed_at IS NULL, NOW(6), changed_at),"
	        " inputs_at = VALUES(inputs_at),"
	        " full_at = IF(%d, NOW(6), full_at),"
	        " definition_hash = VALUES(definition_hash),"
	        " config_rev = VALUES(config_rev), config_dirty = VALUES(config_dirty),"
	        " row_count = VALUES(row_count), last_run_id = VALUES(last_run_id),"
	        " duration_ms = VALUES(duration_ms), error_message = NULL",
	.marker_fail = "INSERT INTO etl_metadata (recipe, target, status, last_run_id,"
	        " duration_ms, error_message) VALUES (%s, %s, %s, %lld, %lld, %s)"
	        " ON DUPLICATE KEY UPDATE status = VALUES(status),"
	        " last_run_id = VALUES(last_run_id), duration_ms = VALUES(duration_ms),"
	        " error_message = VALUES(error_message)",
	.marker_adopt = "INSERT INTO etl_metadata (recipe, target, status, built_at,"
	        " changed_at, definition_hash, row_count, error_message)"
	        " VALUES (%s, %s, 'ok', NOW(6), NOW(6), '" MARKER_ADOPTED "', %lld, NULL)",
	.watermark_set = "INSERT INTO etl_watermarks (recipe, target, source, column_name,"
	        " last_value, window_open, updated_at) VALUES (%s, %s, %s, %s, %s, %d, NOW(6))"
	        " ON DUPLICATE KEY UPDATE source = VALUES(source),"
	        " column_name = VALUES(column_name), last_value = VALUES(last_value),"
	        " window_open = VALUES(window_open), updated_at = NOW(6)",

	.run_insert = "INSERT INTO etl_runs (recipe, mode, selection, started_by, host, pid,"
	        " started_at, result, config_rev, config_dirty)"
	        " VALUES (%s, %s, %s, %s, %s, %d, NOW(6), 'running', %s, %d)",
	.run_inserted = "SELECT LAST_INSERT_ID()",
	.run_end = "UPDATE etl_runs SET ended_at = NOW(6), result = %s WHERE run_id = %lld",
	.target_put = "REPLACE INTO etl_run_targets (run_id, target, reason, mode, started_at,"
	        " ended_at, row_count, attempts, outcome, error_message)"
	        " VALUES (%lld, %s, %s, %s, %s, %s, %d, %s, %s)",
	.building = "SELECT t.target, t.run_id, " TS("t.started_at")
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s AND r.result = 'running' AND t.outcome = 'building'"
	        " ORDER BY t.run_id",

	.run_select = "SELECT run_id, mode, result, started_by, started_at, ended_at,"
	        " " SECONDS("started_at", "ended_at") " AS seconds,"
	        " config_rev, config_dirty, selection FROM etl_runs",
	.run = "SELECT run_id, mode, result, started_by, host, started_at, ended_at,"
	        " " SECONDS("started_at", "ended_at") " AS seconds,"
	        " config_rev, config_dirty, selection FROM etl_runs"
	        " WHERE recipe = %s AND run_id = %lld",
	.run_targets = "SELECT t.target, t.reason, t.mode, t.outcome, t.started_at, t.ended_at,"
	        " " SECONDS("t.started_at", "t.ended_at") " AS seconds,"
	        " t.row_count AS `rows`, t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE t.run_id = %lld AND r.recipe = %s ORDER BY t.started_at, t.target",
	.target_runs =
	        "SELECT t.run_id, r.mode AS run_mode, r.started_by, t.reason, t.mode, t.outcome,"
	        " t.started_at, t.ended_at, " SECONDS("t.started_at", "t.ended_at") " AS seconds,"
	        " t.row_count AS `rows`, t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s AND t.target = %s ORDER BY t.run_id DESC LIMIT %ld",
	.target_totals = "SELECT t.target, SUM(t.outcome = 'built') AS built,"
	        " SUM(t.outcome = 'failed') AS failed,"
	        " COALESCE(ROUND(SUM(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at))"
	        " / 1e6, 6), 0) AS seconds, COUNT(t.ended_at) AS timed"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s GROUP BY t.target ORDER BY t.target",
	.marker_stats = "SELECT target, COALESCE(row_count, 0) AS `rows`,"
	        " COALESCE(duration_ms, 0) / 1000 AS seconds,"
	        " COALESCE(UNIX_TIMESTAMP(built_at), 0) AS success_at, status = 'ok' AS ok"
	        " FROM etl_metadata WHERE recipe = %s ORDER BY target",
	.prune_targets = "DELETE t FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE %s",
	.prune_runs = "DELETE r FROM etl_runs r WHERE %s",
	.prune_deletes = "DELETE FROM etl_deletes WHERE %s ORDER BY id LIMIT 10000",

	.check_row = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %.6f, NOW(6))",
	.check_select = "SELECT c.run_id, c.target, c.check_name AS `check`, c.severity,"
	        " c.status, c.failing_rows AS failing, c.sample_keys AS samples, c.detail,"
	        " CAST(c.seconds AS DECIMAL(20, 3)) AS seconds, " TS("c.checked_at") " AS checked_at"
	        " FROM etl_checks c %s",
	.profile_insert = "INSERT INTO etl_profiles (recipe, run_id, target, profiled_at,"
	        " row_count, profile) VALUES (%s, %s, %s, NOW(6), %lld, %s)",
	.profiles = "SELECT run_id, " TS("profiled_at") " AS profiled_at, row_count AS `rows`,"
	        " profile FROM etl_profiles WHERE recipe = %s AND target = %s"
	        " ORDER BY id DESC LIMIT %ld",
	.prune_checks = "DELETE FROM etl_checks WHERE %s ORDER BY id LIMIT 10000",
	.prune_profiles = "DELETE FROM etl_profiles WHERE %s ORDER BY id LIMIT 10000",

	.site_select = "SELECT target, site, status, error_message, last_value, window_open,"
	        " " TS("last_attempt_at") ", " TS("last_success_at") ", row_count,"
	        " " SECONDS("last_success_at", "NOW(6)") " FROM etl_sites %s",
	.site_ok = "INSERT INTO etl_sites (recipe, target, site, status, error_message, last_value,"
	        " window_open, last_attempt_at, last_success_at, row_count, updated_at)"
	        " VALUES (%s, %s, %s, 'ok', NULL, %s, %d, NOW(6), NOW(6), %s, NOW(6))"
	        " ON DUPLICATE KEY UPDATE status = 'ok', error_message = NULL,"
	        " last_value = VALUES(last_value), window_open = VALUES(window_open),"
	        " last_attempt_at = VALUES(last_attempt_at),"
	        " last_success_at = VALUES(last_success_at), row_count = VALUES(row_count),"
	        " updated_at = VALUES(updated_at)",
	.site_failed = "INSERT INTO etl_sites (recipe, target, site, status, error_message,"
	        " last_value, window_open, last_attempt_at, updated_at)"
	        " VALUES (%s, %s, %s, %s, %s, %s, %d, NOW(6), NOW(6))"
	        " ON DUPLICATE KEY UPDATE status = VALUES(status),"
	        " error_message = VALUES(error_message), last_value = VALUES(last_value),"
	        " window_open = VALUES(window_open), last_attempt_at = VALUES(last_attempt_at),"
	        " updated_at = VALUES(updated_at)",

	.live_since = "%s - INTERVAL 2 SECOND",
	.live = "SELECT n.now, n.top, r.run_id, r.result, r.mode, r.selection, r.started_by,"
	        " " TS("r.started_at") ", " TS("r.ended_at") ","
	        " " SECONDS("r.started_at", "r.ended_at") ","
	        " t.target, t.outcome, t.reason, t.mode, " TS("t.started_at") ","
	        " " TS("t.ended_at") ", t.row_count, t.attempts, t.error_message,"
	        " " SECONDS("t.started_at", "t.ended_at") ","
	        " CASE WHEN m.target IS NULL THEN NULL WHEN m.changed_at >= m.built_at THEN 1"
	        " ELSE 0 END"
	        " FROM (SELECT " TS("NOW(6)") " AS now,"
	        " (SELECT MAX(run_id) FROM etl_runs WHERE recipe = %s) AS top) n"
	        " LEFT JOIN etl_runs r ON r.recipe = %s AND %s"
	        " LEFT JOIN etl_run_targets t ON t.run_id = r.run_id"
	        " LEFT JOIN etl_metadata m ON m.recipe = r.recipe AND m.target = t.target"
	        " AND m.last_run_id = t.run_id AND m.status = 'ok' AND t.outcome = 'built'"
	        " ORDER BY r.run_id, t.started_at IS NULL, t.started_at, t.target",

	.lease_table = "CREATE TABLE IF NOT EXISTS etl_locks ("
	        " name VARCHAR(64) NOT NULL, holder VARCHAR(255) NOT NULL, token BIGINT NOT NULL,"
	        " expires_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
	        " taken_at TIMESTAMP(6) NULL DEFAULT NULL,"
	        " PRIMARY KEY (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	.lease_read = "SELECT holder, token, expires_at < NOW(6) FROM etl_locks WHERE name = %s"
	        " FOR UPDATE",
	.lease_insert = "INSERT IGNORE INTO etl_locks (name, holder, token, expires_at, taken_at)"
	        " VALUES (%s, %s, 1, NOW(6) + INTERVAL %d SECOND, NOW(6))",
	.lease_take = "UPDATE etl_locks SET holder = %s, token = %lld,"
	        " expires_at = NOW(6) + INTERVAL %d SECOND, taken_at = NOW(6) WHERE name = %s",
	.lease_renew = "UPDATE %s.etl_locks SET expires_at = NOW(6) + INTERVAL %d SECOND"
	        " WHERE name = %s AND holder = %s AND token = %lld",
	.lease_check = "SELECT token = %lld AND holder = %s"
	        " AND expires_at > NOW(6) + INTERVAL %d SECOND FROM etl_locks WHERE name = %s",
	.lease_release = "DELETE FROM %s.etl_locks WHERE name = %s AND holder = %s AND token = %lld",
	.lease_used = "SELECT name FROM etl_locks WHERE expires_at >= NOW(6) AND name IN (%s)",
};

struct store *
store_mariadb_open(struct db *d, const char *recipe)
{
	return store_sql_open(d, recipe, &mariadb_sql);
}
