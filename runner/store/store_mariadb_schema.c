/*
 * store_mariadb_schema.c: the etl_ tables in MariaDB/MySQL (DESIGN §4), as
 * store_sql_schema.c creates and migrates them
 */
#include "store_mariadb.h"

#include "util.h"

/*
 * the migrations, oldest first: each statement brings one table from the
 * version before to. A table that does not exist yet is skipped (it is
 * created whole, at SCHEMA_VERSION). Statements must be safe to run again:
 * a migration cut short is run again from its start.
 */
static const struct store_sql_step steps[] = {
	/* "2:<hex>": the hash's format, then its digest (plan.h) */
	{ 2, STORE_T_METADATA, "ALTER TABLE etl_metadata MODIFY definition_hash VARCHAR(80) NULL" },
};

/* each table as this chacc creates it */
const struct store_sql_schema store_mariadb_schema = {
	.ddl = {
		[STORE_T_METADATA] = "CREATE TABLE IF NOT EXISTS etl_metadata ("
		  "recipe VARCHAR(64) NOT NULL, target VARCHAR(64) NOT NULL,"
		  "status VARCHAR(16) NOT NULL, built_at DATETIME(6) NULL,"
		  "changed_at DATETIME(6) NULL, inputs_at DATETIME(6) NULL, full_at DATETIME(6) NULL,"
		  "definition_hash VARCHAR(80) NULL, config_rev VARCHAR(64) NULL,"
		  "config_dirty TINYINT NULL, row_count BIGINT NULL, last_run_id BIGINT NULL,"
		  "duration_ms BIGINT NULL, error_message TEXT NULL,"
		  "PRIMARY KEY (recipe, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_WATERMARKS] = "CREATE TABLE IF NOT EXISTS etl_watermarks ("
		  "recipe VARCHAR(64) NOT NULL, target VARCHAR(64) NOT NULL,"
		  "source VARCHAR(64) NOT NULL, column_name VARCHAR(64) NOT NULL,"
		  "last_value VARCHAR(64) NULL, window_open TINYINT NOT NULL DEFAULT 0,"
		  "updated_at DATETIME(6) NOT NULL,"
		  "PRIMARY KEY (recipe, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_RUNS] = "CREATE TABLE IF NOT EXISTS etl_runs ("
		  "run_id BIGINT NOT NULL AUTO_INCREMENT, recipe VARCHAR(64) NOT NULL,"
		  "mode VARCHAR(16) NOT NULL, selection TEXT NULL, started_by VARCHAR(255) NULL,"
		  "host VARCHAR(255) NULL, pid INT NULL,"
		  "started_at DATETIME(6) NOT NULL, ended_at DATETIME(6) NULL,"
		  "result VARCHAR(16) NOT NULL, config_rev VARCHAR(64) NULL, config_dirty TINYINT NULL,"
		  "PRIMARY KEY (run_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_RUN_TARGETS] = "CREATE TABLE IF NOT EXISTS etl_run_targets ("
		  "run_id BIGINT NOT NULL, target VARCHAR(64) NOT NULL, reason VARCHAR(32) NULL,"
		  "mode VARCHAR(16) NULL, started_at DATETIME(6) NULL, ended_at DATETIME(6) NULL,"
		  "row_count BIGINT NULL, attempts INT NOT NULL DEFAULT 0,"
		  "outcome VARCHAR(16) NOT NULL, error_message TEXT NULL,"
		  "PRIMARY KEY (run_id, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_DELETES] = "CREATE TABLE IF NOT EXISTS etl_deletes ("
		  "id BIGINT NOT NULL AUTO_INCREMENT, target VARCHAR(64) NOT NULL,"
		  "key_json TEXT NOT NULL, row_json LONGTEXT NULL, run_id BIGINT NULL,"
		  "deleted_at DATETIME(6) NOT NULL,"
		  "PRIMARY KEY (id), KEY etl_deletes_target (target, deleted_at))"
		  " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_SCHEMA] = "CREATE TABLE IF NOT EXISTS etl_schema ("
		  "version INT NOT NULL, upgraded_at DATETIME(6) NOT NULL, note VARCHAR(255) NULL,"
		  "PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		/* run_id NULL: checks or a profile outside a run; the key reads the latest */
		[STORE_T_CHECKS] = "CREATE TABLE IF NOT EXISTS etl_checks ("
		  "id BIGINT NOT NULL AUTO_INCREMENT, recipe VARCHAR(64) NOT NULL, run_id BIGINT NULL,"
		  "target VARCHAR(64) NOT NULL, check_name VARCHAR(255) NOT NULL,"
		  "severity VARCHAR(8) NOT NULL, status VARCHAR(8) NOT NULL,"
		  "failing_rows BIGINT NULL, sample_keys TEXT NULL, detail TEXT NULL,"
		  "seconds DOUBLE NOT NULL DEFAULT 0, checked_at DATETIME(6) NOT NULL,"
		  "PRIMARY KEY (id), KEY etl_checks_latest (recipe, target, check_name, id),"
		  "KEY etl_checks_run (run_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		[STORE_T_PROFILES] = "CREATE TABLE IF NOT EXISTS etl_profiles ("
		  "id BIGINT NOT NULL AUTO_INCREMENT, recipe VARCHAR(64) NOT NULL, run_id BIGINT NULL,"
		  "target VARCHAR(64) NOT NULL, profiled_at DATETIME(6) NOT NULL,"
		  "row_count BIGINT NOT NULL, profile LONGTEXT NOT NULL,"
		  "PRIMARY KEY (id), KEY etl_profiles_latest (recipe, target, id))"
		  " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
		/* last_value: the site's watermark, as etl_watermarks.last_value */
		[STORE_T_SITES] = "CREATE TABLE IF NOT EXISTS etl_sites ("
		  "recipe VARCHAR(64) NOT NULL, target VARCHAR(64) NOT NULL,"
		  "site VARCHAR(64) NOT NULL, status VARCHAR(16) NOT NULL, error_message TEXT NULL,"
		  "last_value VARCHAR(64) NULL, window_open TINYINT NOT NULL DEFAULT 0,"
		  "last_attempt_at DATETIME(6) NULL, last_success_at DATETIME(6) NULL,"
		  "row_count BIGINT NULL, updated_at DATETIME(6) NOT NULL,"
		  "PRIMARY KEY (recipe, target, site)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	},
	.steps = steps,
	.nsteps = LEN(steps),
	.survey = "SELECT table_name,"
	        " GROUP_CONCAT(column_name ORDER BY ordinal_position SEPARATOR ',')"
	        " FROM information_schema.columns WHERE table_schema = DATABASE()"
	        " AND table_name IN (%s) GROUP BY table_name",
	.record = "INSERT INTO etl_schema (version, upgraded_at, note)"
	        " VALUES (%d, NOW(6), %s) ON DUPLICATE KEY UPDATE"
	        " upgraded_at = VALUES(upgraded_at)",
	/* MariaDB commits before and after each DDL statement */
	.transactional = false,
};
