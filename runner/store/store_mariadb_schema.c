/* store_mariadb_schema.c: creating and migrating the etl_ tables, in MariaDB/MySQL (DESIGN §4) */
#include "store_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "schema.h"
#include "util.h"

/*
 * each table as this chacc creates it, and the columns it had in every
 * version that changed them (names in order, as information_schema lists
 * them). A table whose columns are none of these was made by someone else.
 */
struct table {
	const char *name;
	const char *ddl;
	const char *shapes[4];
};

static const struct table tables[] = {
	{ "etl_metadata",
	  "CREATE TABLE IF NOT EXISTS etl_metadata ("
	  "recipe VARCHAR(64) NOT NULL, target VARCHAR(64) NOT NULL,"
	  "status VARCHAR(16) NOT NULL, built_at DATETIME(6) NULL,"
	  "changed_at DATETIME(6) NULL, inputs_at DATETIME(6) NULL, full_at DATETIME(6) NULL,"
	  "definition_hash VARCHAR(80) NULL, config_rev VARCHAR(64) NULL,"
	  "config_dirty TINYINT NULL, row_count BIGINT NULL, last_run_id BIGINT NULL,"
	  "duration_ms BIGINT NULL, error_message TEXT NULL,"
	  "PRIMARY KEY (recipe, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "recipe,target,status,built_at,changed_at,inputs_at,full_at,definition_hash,"
	    "config_rev,config_dirty,row_count,last_run_id,duration_ms,error_message" } },
	{ "etl_watermarks",
	  "CREATE TABLE IF NOT EXISTS etl_watermarks ("
	  "recipe VARCHAR(64) NOT NULL, target VARCHAR(64) NOT NULL,"
	  "source VARCHAR(64) NOT NULL, column_name VARCHAR(64) NOT NULL,"
	  "last_value VARCHAR(64) NULL, window_open TINYINT NOT NULL DEFAULT 0,"
	  "updated_at DATETIME(6) NOT NULL,"
	  "PRIMARY KEY (recipe, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "recipe,target,source,column_name,last_value,window_open,updated_at" } },
	{ "etl_runs",
	  "CREATE TABLE IF NOT EXISTS etl_runs ("
	  "run_id BIGINT NOT NULL AUTO_INCREMENT, recipe VARCHAR(64) NOT NULL,"
	  "mode VARCHAR(16) NOT NULL, selection TEXT NULL, started_by VARCHAR(255) NULL,"
	  "host VARCHAR(255) NULL, pid INT NULL,"
	  "started_at DATETIME(6) NOT NULL, ended_at DATETIME(6) NULL,"
	  "result VARCHAR(16) NOT NULL, config_rev VARCHAR(64) NULL, config_dirty TINYINT NULL,"
	  "PRIMARY KEY (run_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "run_id,recipe,mode,selection,started_by,host,pid,started_at,ended_at,result,"
	    "config_rev,config_dirty" } },
	{ "etl_run_targets",
	  "CREATE TABLE IF NOT EXISTS etl_run_targets ("
	  "run_id BIGINT NOT NULL, target VARCHAR(64) NOT NULL, reason VARCHAR(32) NULL,"
	  "mode VARCHAR(16) NULL, started_at DATETIME(6) NULL, ended_at DATETIME(6) NULL,"
	  "row_count BIGINT NULL, attempts INT NOT NULL DEFAULT 0,"
	  "outcome VARCHAR(16) NOT NULL, error_message TEXT NULL,"
	  "PRIMARY KEY (run_id, target)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "run_id,target,reason,mode,started_at,ended_at,row_count,attempts,outcome,error_message" } },
	{ "etl_deletes",
	  "CREATE TABLE IF NOT EXISTS etl_deletes ("
	  "id BIGINT NOT NULL AUTO_INCREMENT, target VARCHAR(64) NOT NULL,"
	  "key_json TEXT NOT NULL, row_json LONGTEXT NULL, run_id BIGINT NULL,"
	  "deleted_at DATETIME(6) NOT NULL,"
	  "PRIMARY KEY (id), KEY etl_deletes_target (target, deleted_at))"
	  " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "id,target,key_json,row_json,run_id,deleted_at" } },
	/* since version 2: one row per version the tables were created or migrated to */
	{ "etl_schema",
	  "CREATE TABLE IF NOT EXISTS etl_schema ("
	  "version INT NOT NULL, upgraded_at DATETIME(6) NOT NULL, note VARCHAR(255) NULL,"
	  "PRIMARY KEY (version)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	  { "version,upgraded_at,note" } },
};

#define NTABLES LEN(tables)

/*
 * the migrations, oldest first: each statement brings one table from the
 * version before to. A table that does not exist yet is skipped (it is
 * created whole, at SCHEMA_VERSION). Statements must be safe to run again:
 * a migration cut short is run again from its start.
 */
static const struct step {
	int to;
	const char *table;
	const char *sql;
} steps[] = {
	/* "2:<hex>": the hash's format, then its digest (plan.h) */
	{ 2, "etl_metadata", "ALTER TABLE etl_metadata MODIFY definition_hash VARCHAR(80) NULL" },
};

/* what each version changed, recorded in etl_schema by the migration to it */
static const char *const notes[SCHEMA_VERSION + 1] = {
	[2] = "etl_schema; definition hashes carry their format",
};

/* the columns of every etl_ table that exists, by index in tables (NULL: absent) */
static int
survey(struct db *d, char *cols[NTABLES], char **err)
{
	struct buf names;
	struct dbres *res;

	buf_init(&names);
	for (size_t i = 0; i < NTABLES; i++)
		buf_addf(&names, "%s'%s'", i ? ", " : "", tables[i].name);
	res = db_queryf(d, "SELECT table_name,"
	                " GROUP_CONCAT(column_name ORDER BY ordinal_position SEPARATOR ',')"
	                " FROM information_schema.columns WHERE table_schema = DATABASE()"
	                " AND table_name IN (%s) GROUP BY table_name", names.s);
	buf_release(&names);
	memset(cols, 0, NTABLES * sizeof(*cols));
	if (!res) {
		*err = xasprintf("cannot read the tables of database '%s': %s", db_name(d),
		                 db_error(d));
		return -1;
	}
	while (dbres_next(res))
		for (size_t i = 0; i < NTABLES; i++)
			if (dbres_get(res, 0) && strcmp(dbres_get(res, 0), tables[i].name) == 0 &&
			    !cols[i])
				cols[i] = xstrdup(dbres_get(res, 1) ? dbres_get(res, 1) : "");
	dbres_free(res);
	return 0;
}

static void
survey_release(char *cols[NTABLES])
{
	for (size_t i = 0; i < NTABLES; i++)
		free(cols[i]);
}

static bool
known_shape(const struct table *t, const char *cols)
{
	for (size_t i = 0; i < LEN(t->shapes) && t->shapes[i]; i++)
		if (strcmp(t->shapes[i], cols) == 0)
			return true;
	return false;
}

static const struct table *
table_named(const char *name)
{
	for (size_t i = 0; i < NTABLES; i++)
		if (strcmp(tables[i].name, name) == 0)
			return &tables[i];
	return NULL;
}

/* the version the surveyed tables are at; -1 with *err */
static int
version_of(struct db *d, char *cols[NTABLES], char **err)
{
	const size_t schema = NTABLES - 1;
	int version = 0;

	if (cols[schema] && known_shape(&tables[schema], cols[schema])) {
		char *v = NULL;

		if (db_value(d, &v, "SELECT MAX(version) FROM etl_schema") < 0) {
			*err = xasprintf("cannot read the schema version of database '%s': %s",
			                 db_name(d), db_error(d));
			return -1;
		}
		version = v ? atoi(v) : 0;
		free(v);
	}
	/* the tables of chacc 0.1 carry no version */
	for (size_t i = 0; i < schema && version == 0; i++)
		if (cols[i])
			version = 1;
	if (version > SCHEMA_VERSION)
		return version;  /* a newer chacc's tables: their shapes are not ours to judge */
	for (size_t i = 0; i < NTABLES; i++)
		if (cols[i] && !known_shape(&tables[i], cols[i])) {
			*err = xasprintf("table '%s' in database '%s' exists with another shape"
			                 " (left by another tool?); rename or drop it, chacc will"
			                 " not touch it", tables[i].name, db_name(d));
			return -1;
		}
	return version;
}

int
store_mariadb_schema_version(struct store *st, char **err)
{
	struct db *d = st->d;
	char *cols[NTABLES];
	int version;

	if (survey(d, cols, err) < 0)
		return -1;
	version = version_of(d, cols, err);
	survey_release(cols);
	return version;
}

/* one runner migrates at a time: a lock named after the database */
static char *
lock_name(struct db *d)
{
	char hex[65];

	sha256_hex(db_name(d), strlen(db_name(d)), hex);
	return xasprintf("chacc/schema/%.40s", hex);
}

static int
migrate(struct db *d, char *cols[NTABLES], int from, char **err)
{
	for (size_t i = 0; i < LEN(steps); i++) {
		const struct table *t = table_named(steps[i].table);

		if (steps[i].to <= from || !t || !cols[t - tables])
			continue;
		if (db_exec(d, steps[i].sql) < 0) {
			*err = xasprintf("cannot migrate table '%s' of database '%s' to version %d: %s",
			                 steps[i].table, db_name(d), steps[i].to, db_error(d));
			return -1;
		}
	}
	for (size_t i = 0; i < NTABLES; i++)
		if (!cols[i] && db_exec(d, tables[i].ddl) < 0) {
			*err = xasprintf("cannot create '%s': %s", tables[i].name, db_error(d));
			return -1;
		}
	return 0;
}

int
store_mariadb_schema_upgrade(struct store *st, char **err, char **note)
{
	struct db *d = st->d;
	char *name = lock_name(d), *cols[NTABLES] = { 0 };
	int version = -1, rc;
	bool missing = false;

	*note = NULL;
	if ((rc = db_lock(d, name, 60)) <= 0) {
		*err = xasprintf("cannot take the lock that guards the etl_ tables of database"
		                 " '%s': %s", db_name(d), rc == 0 ? "another runner holds it" :
		                 db_error(d));
		free(name);
		return -1;
	}
	rc = -1;
	if (survey(d, cols, err) < 0 || (version = version_of(d, cols, err)) < 0)
		goto out;
	if (version > SCHEMA_VERSION) {
		*err = xasprintf("the etl_ tables of database '%s' are at version %d, newer than"
		                 " this chacc knows (%d): upgrade chacc", db_name(d), version,
		                 SCHEMA_VERSION);
		goto out;
	}
	for (size_t i = 0; i < NTABLES; i++)
		missing |= !cols[i];
	if (version == SCHEMA_VERSION && !missing) {
		rc = 0;
		goto out;
	}
	if (migrate(d, cols, version, err) < 0)
		goto out;
	/* a new database records the version it was created at, an old one each step */
	for (int v = version == 0 ? SCHEMA_VERSION : version + 1; v <= SCHEMA_VERSION; v++) {
		char *qn = db_quote(d, version == 0 ? "created" : notes[v] ? notes[v] : "");

		if (db_execf(d, "INSERT INTO etl_schema (version, upgraded_at, note)"
		             " VALUES (%d, NOW(6), %s) ON DUPLICATE KEY UPDATE"
		             " upgraded_at = VALUES(upgraded_at)", v, qn) < 0) {
			*err = xasprintf("cannot record the schema version in etl_schema: %s",
			                 db_error(d));
			free(qn);
			goto out;
		}
		free(qn);
	}
	if (version > 0 && version < SCHEMA_VERSION)
		*note = xasprintf("upgraded the etl_ tables of database '%s' from version %d to %d",
		                  db_name(d), version, SCHEMA_VERSION);
	rc = 1;
out:
	db_unlock(d, name);
	survey_release(cols);
	free(name);
	return rc;
}
