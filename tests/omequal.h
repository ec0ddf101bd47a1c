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
