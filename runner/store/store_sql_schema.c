/*
 * store_sql_schema.c: checking, creating and migrating the etl_ tables
 * (DESIGN §4), with the DDL of the engine (struct store_sql_schema)
 */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "schema.h"
#include "util.h"

/*
 * each table, and the columns it had in every version that changed them
 * (names in order). A table whose columns are none of these was made by
 * someone else. The same in every engine.
 */
static const struct table {
	const char *name;
	const char *shapes[4];
} tables[STORE_NTABLES] = {
	[STORE_T_METADATA] = { "etl_metadata",
	  { "recipe,target,status,built_at,changed_at,inputs_at,full_at,definition_hash,"
	    "config_rev,config_dirty,row_count,last_run_id,duration_ms,error_message" } },
	[STORE_T_WATERMARKS] = { "etl_watermarks",
	  { "recipe,target,source,column_name,last_value,window_open,updated_at" } },
	[STORE_T_RUNS] = { "etl_runs",
	  { "run_id,recipe,mode,selection,started_by,host,pid,started_at,ended_at,result,"
	    "config_rev,config_dirty" } },
	[STORE_T_RUN_TARGETS] = { "etl_run_targets",
	  { "run_id,target,reason,mode,started_at,ended_at,row_count,attempts,outcome,error_message" } },
	[STORE_T_DELETES] = { "etl_deletes",
	  { "id,target,key_json,row_json,run_id,deleted_at" } },
	/* since version 2: one row per version the tables were created or migrated to */
	[STORE_T_SCHEMA] = { "etl_schema", { "version,upgraded_at,note" } },
	/* since version 3: the results of checks, and the profiles of targets */
	[STORE_T_CHECKS] = { "etl_checks",
	  { "id,recipe,run_id,target,check_name,severity,status,failing_rows,sample_keys,detail,"
	    "seconds,checked_at" } },
	[STORE_T_PROFILES] = { "etl_profiles",
	  { "id,recipe,run_id,target,profiled_at,row_count,profile" } },
	/* since version 4: the sites of the extracts that read a group of sites */
	[STORE_T_SITES] = { "etl_sites",
	  { "recipe,target,site,status,error_message,last_value,window_open,last_attempt_at,"
	    "last_success_at,row_count,updated_at" } },
};

#define NTABLES STORE_NTABLES

/* what each version changed, recorded in etl_schema by the migration to it */
static const char *const notes[SCHEMA_VERSION + 1] = {
	[2] = "etl_schema; definition hashes carry their format",
	[3] = "etl_checks and etl_profiles",
	[4] = "etl_sites",
};

/* the columns of every etl_ table that exists, by index in tables (NULL: absent) */
static int
survey(struct store *st, char *cols[NTABLES], char **err)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;
	char *qs = db_quote(d, db_name(d));
	struct dbres *res;
	struct buf names;

	buf_init(&names);
	for (size_t i = 0; i < NTABLES; i++)
		buf_addf(&names, "%s'%s'", i ? ", " : "", tables[i].name);
	res = db_queryf(d, q->schema->survey, names.s, qs);
	buf_release(&names);
	free(qs);
	memset(cols, 0, NTABLES * sizeof(*cols));
	if (!res) {
		*err = xasprintf("cannot read the tables of %s '%s': %s", q->space, db_name(d),
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

/* the version the surveyed tables are at; -1 with *err */
static int
version_of(struct store *st, char *cols[NTABLES], char **err)
{
	const size_t schema = STORE_T_SCHEMA;
	struct db *d = st->d;
	int version = 0;

	if (cols[schema] && known_shape(&tables[schema], cols[schema])) {
		char *v = NULL;

		if (db_value(d, &v, "SELECT MAX(version) FROM etl_schema") < 0) {
			*err = xasprintf("cannot read the schema version of %s '%s': %s",
			                 store_sql_of(st)->space, db_name(d), db_error(d));
			return -1;
		}
		version = v ? atoi(v) : 0;
		free(v);
	}
	/* the tables of chacc 0.1 (those before etl_schema) carry no version */
	for (size_t i = 0; i < schema && version == 0; i++)
		if (cols[i])
			version = 1;
	if (version > SCHEMA_VERSION)
		return version;  /* a newer chacc's tables: their shapes are not ours to judge */
	for (size_t i = 0; i < NTABLES; i++)
		if (cols[i] && !known_shape(&tables[i], cols[i])) {
			*err = xasprintf("table '%s' in %s '%s' exists with another shape"
			                 " (left by another tool?); rename or drop it, chacc will"
			                 " not touch it", tables[i].name, store_sql_of(st)->space,
			                 db_name(d));
			return -1;
		}
	return version;
}

int
store_sql_schema_version(struct store *st, char **err)
{
	char *cols[NTABLES];
	int version;

	if (survey(st, cols, err) < 0)
		return -1;
	version = version_of(st, cols, err);
	survey_release(cols);
	return version;
}

/* the steps after version from, then the tables that are missing */
static int
migrate(struct store *st, char *cols[NTABLES], int from, char **err)
{
	const struct store_sql *q = store_sql_of(st);
	const struct store_sql_schema *s = q->schema;
	struct db *d = st->d;

	/* a table that does not exist yet is skipped: it is created whole */
	for (size_t i = 0; i < s->nsteps; i++) {
		if (s->steps[i].to <= from || !cols[s->steps[i].table])
			continue;
		if (db_exec(d, s->steps[i].sql) < 0) {
			*err = xasprintf("cannot migrate table '%s' of %s '%s' to version %d: %s",
			                 tables[s->steps[i].table].name, q->space, db_name(d),
			                 s->steps[i].to, db_error(d));
			return -1;
		}
	}
	for (size_t i = 0; i < NTABLES; i++)
		if (!cols[i] && (db_exec(d, s->ddl[i]) < 0 ||
		                 (s->index[i] && db_exec(d, s->index[i]) < 0))) {
			*err = xasprintf("cannot create '%s' in %s '%s': %s", tables[i].name, q->space,
			                 db_name(d), db_error(d));
			return -1;
		}
	return 0;
}

/* new tables record the version they were created at, old ones each step */
static int
record_versions(struct store *st, int version, char **err)
{
	struct db *d = st->d;

	for (int v = version == 0 ? SCHEMA_VERSION : version + 1; v <= SCHEMA_VERSION; v++) {
		char *qn = db_quote(d, version == 0 ? "created" : notes[v] ? notes[v] : "");
		int rc = db_execf(d, store_sql_of(st)->schema->record, v, qn);

		free(qn);
		if (rc < 0) {
			*err = xasprintf("cannot record the schema version in etl_schema: %s",
			                 db_error(d));
			return -1;
		}
	}
	return 0;
}

/* migrate and record; in one transaction where the engine's DDL is transactional */
static int
upgrade(struct store *st, char *cols[NTABLES], int version, char **err)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;

	if (!q->schema->transactional)
		return migrate(st, cols, version, err) < 0 ||
		       record_versions(st, version, err) < 0 ? -1 : 0;
	if (db_begin(d) < 0) {
		*err = xasprintf("cannot upgrade the etl_ tables of %s '%s': %s", q->space,
		                 db_name(d), db_error(d));
		return -1;
	}
	if (migrate(st, cols, version, err) < 0 || record_versions(st, version, err) < 0) {
		db_rollback(d);
		return -1;
	}
	if (db_commit(d) < 0) {
		*err = xasprintf("cannot upgrade the etl_ tables of %s '%s': %s", q->space,
		                 db_name(d), db_error(d));
		return -1;
	}
	return 0;
}

/* create or migrate, under the lock */
static int
upgrade_locked(struct store *st, char **err, char **note)
{
	const char *space = store_sql_of(st)->space;
	struct db *d = st->d;
	char *cols[NTABLES] = { 0 };
	int version, rc = -1;
	bool missing = false;

	if (survey(st, cols, err) < 0 || (version = version_of(st, cols, err)) < 0)
		goto out;
	if (version > SCHEMA_VERSION) {
		*err = xasprintf("the etl_ tables of %s '%s' are at version %d, newer than"
		                 " this chacc knows (%d): upgrade chacc", space, db_name(d),
		                 version, SCHEMA_VERSION);
		goto out;
	}
	for (size_t i = 0; i < NTABLES; i++)
		missing |= !cols[i];
	if (version == SCHEMA_VERSION && !missing) {
		rc = 0;
		goto out;
	}
	if (upgrade(st, cols, version, err) < 0)
		goto out;
	if (version > 0 && version < SCHEMA_VERSION)
		*note = xasprintf("upgraded the etl_ tables of %s '%s' from version %d to %d",
		                  space, db_name(d), version, SCHEMA_VERSION);
	rc = 1;
out:
	survey_release(cols);
	return rc;
}

/* the key of the schema's lease: no target's name (an identifier) */
#define SCHEMA_LEASE "\003schema"

int
store_sql_schema_upgrade(struct store *st, char **err, char **note)
{
	struct db *d = st->d;
	char *name = store_sql_schema_lock(d);
	struct lease_set *ls = store_sql_leases(st);
	int rc;

	/* one runner migrates at a time (on a cluster's nodes: a lease) */
	*note = NULL;
	rc = ls ? lease_take(ls, SCHEMA_LEASE, name, 60, false) : db_lock(d, name, 60);
	if (rc <= 0) {
		*err = xasprintf("cannot take the lock that guards the etl_ tables of %s"
		                 " '%s': %s", store_sql_of(st)->space, db_name(d),
		                 rc == 0 ? "another runner holds it" : db_error(d));
		free(name);
		return -1;
	}
	rc = upgrade_locked(st, err, note);
	if (ls)
		lease_give(ls, SCHEMA_LEASE);
	else
		db_unlock(d, name);
	free(name);
	return rc;
}
