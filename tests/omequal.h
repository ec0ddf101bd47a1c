/* omequal.h: an OpenMRS build's tables compared with what a full refresh gives */
#ifndef CHACC_OMEQUAL_H
#define CHACC_OMEQUAL_H

#include "omtest.h"

/* every table the recipe builds, and the summaries' own bookkeeping */
static const char *const tables[] = {
	"patients", "locations", "encounters", "observations", "flattened_patient_encounters",
	"flattened_observations", "patient_summary", "observation_summary", "location_summary",
	"patient_summary_seen", "location_summary_seen", "observation_summary_seen",
	"observation_summary_sums", "flat_vitals", "flat_visit_diagnoses",
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/*
 * a checksum of table in database db: its rows and an order-independent sum
 * of the MD5 of each row, over every column but _chacc_changed_at (the time a
 * row changed differs between builds; its values must not)
 */
static inline char *
table_sum(struct proj *p, const char *db, const char *table)
{
	char *cols = val(p->tgt, "SELECT GROUP_CONCAT(CONCAT('QUOTE(`', column_name, '`)')"
	                 " ORDER BY ordinal_position) FROM information_schema.columns"
	                 " WHERE table_schema = '%s' AND table_name = '%s'"
	                 " AND column_name <> '_chacc_changed_at'", db, table);
	char *sum;

	ck_assert_msg(*cols, "no table %s.%s", db, table);
	sum = val(p->tgt, "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CAST(CONV(LEFT(MD5("
	          "CONCAT_WS(',', %s)), 15), 16, 10) AS DECIMAL(65,0))), 0)) FROM `%s`.`%s`",
	          cols, db, table);
	free(cols);
	return sum;
}

/* every table built incrementally equals the one a full refresh gives */
static inline void
assert_equals_full(struct proj *p, const char *when)
{
	char full[80], env[120];
	struct result r;

	snprintf(full, sizeof(full), "%s_full", p->tgtdb);
	snprintf(env, sizeof(env), "TARGET_DB_NAME=%s", full);
	sql(p->tgt, "DROP DATABASE IF EXISTS %s", full);
	sql(p->tgt, "CREATE DATABASE %s", full);
	r = om_env(p, env, "build", "--full-refresh", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	for (size_t i = 0; i < NTABLES; i++) {
		char *inc = table_sum(p, p->tgtdb, tables[i]), *ful = table_sum(p, full, tables[i]);

		ck_assert_msg(strcmp(inc, ful) == 0, "%s: %s differs: incremental %s, full refresh %s",
		              when, tables[i], inc, ful);
		free(inc);
		free(ful);
	}
}

#endif
