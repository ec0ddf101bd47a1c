/*
 * store_postgres.c: the store in the connection's schema of a PostgreSQL
 * target database (DESIGN §4): the SQL of the store's statements
 * (store_sql.h), in PostgreSQL's dialect. Times are written with
 * statement_timestamp(): one value for a whole statement, as MariaDB's NOW(6).
 */
#include "store_postgres.h"

#include "marker.h"

/* a time column as the text every store gives: "YYYY-MM-DD HH:MM:SS.ffffff" */
#define TS(col) "to_char(" col ", 'YYYY-MM-DD HH24:MI:SS.US')"
/* the seconds from a to b, to 3 decimals (PostgreSQL 12's EXTRACT answers a double) */
#define SECONDS(a, b) "round(CAST(EXTRACT(EPOCH FROM " b " - " a ") AS numeric), 3)"

static const struct store_sql postgres_sql = {
	.engine = "postgres",
	.space = "schema",
	.schema = &store_postgres_schema,
	.ts = "CAST(%s AS timestamptz)",
	.epoch = "to_timestamp(%.6f)",

	.marker_select =
	        "SELECT m.status, " TS("m.built_at") ", " TS("m.changed_at") ","
	        " " TS("m.inputs_at") ", " TS("m.full_at") ","
	        " m.definition_hash, m.row_count, m.last_run_id, m.duration_ms, m.error_message,"
	        " w.last_value, w.window_open, m.config_rev,"
	        " CASE WHEN w.target IS NULL THEN 0 ELSE 1 END, w.column_name"
	        " FROM etl_metadata m LEFT JOIN etl_watermarks w"
	        " ON w.recipe = m.recipe AND w.target = m.target"
	        " WHERE m.recipe = %s AND m.target = %s",
	.table_exists = "SELECT 1 FROM pg_catalog.pg_class c"
	        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	        " WHERE c.relname = %s AND n.nspname = %s"
	        " AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
	.marker_begin = "INSERT INTO etl_metadata (recipe, target, status, last_run_id)"
	        " VALUES (%s, %s, 'running', %lld)"
	        " ON CONFLICT (recipe, target) DO UPDATE SET status = 'running',"
	        " last_run_id = EXCLUDED.last_run_id",
	.marker_finish =
	        "INSERT INTO etl_metadata (recipe, target, status, built_at, changed_at, inputs_at,"
	        " full_at, definition_hash, config_rev, config_dirty, row_count, last_run_id,"
	        " duration_ms, error_message)"
	        " VALUES (%s, %s, 'ok', statement_timestamp(), statement_timestamp(),"
	        " CAST(%s AS timestamptz), CASE WHEN %d = 1 THEN statement_timestamp() END,"
	        " '%d:%s', %s, %d, %lld, %lld, %lld, NULL)"
	        " ON CONFLICT (recipe, target) DO UPDATE SET status = 'ok',"
	        " built_at = EXCLUDED.built_at,"
	        " changed_at = CASE WHEN %d = 1 THEN EXCLUDED.built_at"
	        " ELSE COALESCE(etl_metadata.changed_at, EXCLUDED.built_at) END,"
	        " inputs_at = EXCLUDED.inputs_at,"
	        " full_at = CASE WHEN %d = 1 THEN EXCLUDED.built_at ELSE etl_metadata.full_at END,"
	        " definition_hash = EXCLUDED.definition_hash,"
	        " config_rev = EXCLUDED.config_rev, config_dirty = EXCLUDED.config_dirty,"
	        " row_count = EXCLUDED.row_count, last_run_id = EXCLUDED.last_run_id,"
	        " duration_ms = EXCLUDED.duration_ms, error_message = NULL",
	.marker_fail = "INSERT INTO etl_metadata (recipe, target, status, last_run_id,"
	        " duration_ms, error_message) VALUES (%s, %s, %s, %lld, %lld, %s)"
	        " ON CONFLICT (recipe, target) DO UPDATE SET status = EXCLUDED.status,"
	        " last_run_id = EXCLUDED.last_run_id, duration_ms = EXCLUDED.duration_ms,"
	        " error_message = EXCLUDED.error_message",
	.marker_adopt = "INSERT INTO etl_metadata (recipe, target, status, built_at,"
	        " changed_at, definition_hash, row_count, error_message)"
	        " VALUES (%s, %s, 'ok', statement_timestamp(), statement_timestamp(),"
	        " '" MARKER_ADOPTED "', %lld, NULL)",
	.watermark_set = "INSERT INTO etl_watermarks (recipe, target, source, column_name,"
	        " last_value, window_open, updated_at)"
	        " VALUES (%s, %s, %s, %s, %s, %d, statement_timestamp())"
	        " ON CONFLICT (recipe, target) DO UPDATE SET source = EXCLUDED.source,"
	        " column_name = EXCLUDED.column_name, last_value = EXCLUDED.last_value,"
	        " window_open = EXCLUDED.window_open, updated_at = EXCLUDED.updated_at",

	.run_insert = "INSERT INTO etl_runs (recipe, mode, selection, started_by, host, pid,"
	        " started_at, result, config_rev, config_dirty)"
	        " VALUES (%s, %s, %s, %s, %s, %d, statement_timestamp(), 'running', %s, %d)"
	        " RETURNING run_id",
	.run_inserted = NULL,
	.run_end = "UPDATE etl_runs SET ended_at = statement_timestamp(), result = %s"
	        " WHERE run_id = %lld",
	.target_put = "INSERT INTO etl_run_targets (run_id, target, reason, mode, started_at,"
	        " ended_at, row_count, attempts, outcome, error_message)"
	        " VALUES (%lld, %s, %s, %s, %s, %s, %d, %s, %s)"
	        " ON CONFLICT (run_id, target) DO UPDATE SET reason = EXCLUDED.reason,"
	        " mode = EXCLUDED.mode, started_at = EXCLUDED.started_at,"
	        " ended_at = EXCLUDED.ended_at, row_count = EXCLUDED.row_count,"
	        " attempts = EXCLUDED.attempts, outcome = EXCLUDED.outcome,"
	        " error_message = EXCLUDED.error_message",
	.building = "SELECT t.target, t.run_id, " TS("t.started_at")
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s AND r.result = 'running' AND t.outcome = 'building'"
	        " ORDER BY t.run_id",

	.run_select = "SELECT run_id, mode, result, started_by, " TS("started_at") " AS started_at,"
	        " " TS("ended_at") " AS ended_at, " SECONDS("started_at", "ended_at") " AS seconds,"
	        " config_rev, config_dirty, selection FROM etl_runs",
	.run = "SELECT run_id, mode, result, started_by, host, " TS("started_at") " AS started_at,"
	        " " TS("ended_at") " AS ended_at, " SECONDS("started_at", "ended_at") " AS seconds,"
	        " config_rev, config_dirty, selection FROM etl_runs"
	        " WHERE recipe = %s AND run_id = %lld",
	.run_targets =
	        "SELECT t.target, t.reason, t.mode, t.outcome, " TS("t.started_at") " AS started_at,"
	        " " TS("t.ended_at") " AS ended_at,"
	        " " SECONDS("t.started_at", "t.ended_at") " AS seconds, t.row_count AS \"rows\","
	        " t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE t.run_id = %lld AND r.recipe = %s"
	        " ORDER BY t.started_at NULLS FIRST, t.target",
	.target_runs =
	        "SELECT t.run_id, r.mode AS run_mode, r.started_by, t.reason, t.mode, t.outcome,"
	        " " TS("t.started_at") " AS started_at, " TS("t.ended_at") " AS ended_at,"
	        " " SECONDS("t.started_at", "t.ended_at") " AS seconds,"
	        " t.row_count AS \"rows\", t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s AND t.target = %s ORDER BY t.run_id DESC LIMIT %ld",
	.target_totals =
	        "SELECT t.target, COUNT(*) FILTER (WHERE t.outcome = 'built') AS built,"
	        " COUNT(*) FILTER (WHERE t.outcome = 'failed') AS failed,"
	        " COALESCE(round(CAST(SUM(EXTRACT(EPOCH FROM t.ended_at - t.started_at))"
	        " AS numeric), 6), 0) AS seconds, COUNT(t.ended_at) AS timed"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s GROUP BY t.target ORDER BY t.target",
	.marker_stats = "SELECT target, COALESCE(row_count, 0) AS \"rows\","
	        " round(COALESCE(duration_ms, 0) / 1000.0, 4) AS seconds,"
	        " COALESCE(round(CAST(EXTRACT(EPOCH FROM built_at) AS numeric), 6), 0)"
	        " AS success_at, CASE WHEN status = 'ok' THEN 1 ELSE 0 END AS ok"
	        " FROM etl_metadata WHERE recipe = %s ORDER BY target",
	.prune_targets = "DELETE FROM etl_run_targets t USING etl_runs r"
	        " WHERE r.run_id = t.run_id AND %s",
	.prune_runs = "DELETE FROM etl_runs r WHERE %s",
	.prune_deletes = "DELETE FROM etl_deletes WHERE id IN (SELECT id FROM"
	        " etl_deletes WHERE %s ORDER BY id LIMIT 10000)",

	.check_row = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %.6f, statement_timestamp())",
	.check_select = "SELECT c.run_id, c.target, c.check_name AS \"check\", c.severity,"
	        " c.status, c.failing_rows AS failing, c.sample_keys AS samples, c.detail,"
	        " round(CAST(c.seconds AS numeric), 3) AS seconds,"
	        " " TS("c.checked_at") " AS checked_at FROM etl_checks c %s",
	.profile_insert = "INSERT INTO etl_profiles (recipe, run_id, target, profiled_at,"
	        " row_count, profile) VALUES (%s, %s, %s, statement_timestamp(), %lld, %s)",
	.profiles = "SELECT run_id, " TS("profiled_at") " AS profiled_at, row_count AS \"rows\","
	        " profile FROM etl_profiles WHERE recipe = %s AND target = %s"
	        " ORDER BY id DESC LIMIT %ld",
	.prune_checks = "DELETE FROM etl_checks WHERE id IN (SELECT id FROM"
	        " etl_checks WHERE %s ORDER BY id LIMIT 10000)",
	.prune_profiles = "DELETE FROM etl_profiles WHERE id IN (SELECT id FROM"
	        " etl_profiles WHERE %s ORDER BY id LIMIT 10000)",

	.site_select = "SELECT target, site, status, error_message, last_value, window_open,"
	        " " TS("last_attempt_at") ", " TS("last_success_at") ", row_count,"
	        " " SECONDS("last_success_at", "statement_timestamp()") " FROM etl_sites %s",
	.site_ok = "INSERT INTO etl_sites (recipe, target, site, status, error_message, last_value,"
	        " window_open, last_attempt_at, last_success_at, row_count, updated_at)"
	        " VALUES (%s, %s, %s, 'ok', NULL, %s, %d, statement_timestamp(),"
	        " statement_timestamp(), %s, statement_timestamp())"
	        " ON CONFLICT (recipe, target, site) DO UPDATE SET status = 'ok',"
	        " error_message = NULL, last_value = EXCLUDED.last_value,"
	        " window_open = EXCLUDED.window_open, last_attempt_at = EXCLUDED.last_attempt_at,"
	        " last_success_at = EXCLUDED.last_success_at, row_count = EXCLUDED.row_count,"
	        " updated_at = EXCLUDED.updated_at",
	.site_failed = "INSERT INTO etl_sites (recipe, target, site, status, error_message,"
	        " last_value, window_open, last_attempt_at, updated_at)"
	        " VALUES (%s, %s, %s, %s, %s, %s, %d, statement_timestamp(), statement_timestamp())"
	        " ON CONFLICT (recipe, target, site) DO UPDATE SET status = EXCLUDED.status,"
	        " error_message = EXCLUDED.error_message, last_value = EXCLUDED.last_value,"
	        " window_open = EXCLUDED.window_open, last_attempt_at = EXCLUDED.last_attempt_at,"
	        " updated_at = EXCLUDED.updated_at",

	.live_since = "CAST(%s AS timestamptz) - interval '2 seconds'",
	.live = "SELECT n.now, n.top, r.run_id, r.result, r.mode, r.selection, r.started_by,"
	        " " TS("r.started_at") ", " TS("r.ended_at") ","
	        " " SECONDS("r.started_at", "r.ended_at") ","
	        " t.target, t.outcome, t.reason, t.mode, " TS("t.started_at") ","
	        " " TS("t.ended_at") ", t.row_count, t.attempts, t.error_message,"
	        " " SECONDS("t.started_at", "t.ended_at") ","
	        " CASE WHEN m.target IS NULL THEN NULL WHEN m.changed_at >= m.built_at THEN 1"
	        " ELSE 0 END"
	        " FROM (SELECT " TS("statement_timestamp()") " AS now,"
	        " (SELECT MAX(run_id) FROM etl_runs WHERE recipe = %s) AS top) n"
	        " LEFT JOIN etl_runs r ON r.recipe = %s AND %s"
	        " LEFT JOIN etl_run_targets t ON t.run_id = r.run_id"
	        " LEFT JOIN etl_metadata m ON m.recipe = r.recipe AND m.target = t.target"
	        " AND m.last_run_id = t.run_id AND m.status = 'ok' AND t.outcome = 'built'"
	        " ORDER BY r.run_id, t.started_at IS NULL, t.started_at, t.target",
};

struct store *
store_postgres_open(struct db *d, const char *recipe)
{
	return store_sql_open(d, recipe, &postgres_sql);
}
