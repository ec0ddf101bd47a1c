/*
 * check_openmrs.c: recipes/openmrs.yml against real and generated OpenMRS data
 *
 * The real OpenMRS reference-application demo database and the OpenMRS 2.6.4
 * schema dump are read from ../shared/data/openmrs/ beside the repository (they
 * are third-party files, not part of it): without them those tests are skipped
 * with a message. The guide's commands run on the project's own generator.
 */
#include <libgen.h>
#include <math.h>

#include "omequal.h"

static void
long_concat(struct proj *p)
{
	sql(p->src, "SET SESSION group_concat_max_len = 67108864");
	sql(p->tgt, "SET SESSION group_concat_max_len = 67108864");
}

/* a query on the source and one on the target give the same text */
static void
assert_same(struct proj *p, const char *what, const char *src_query, const char *tgt_query)
{
	char *a = val(p->src, "%s", src_query), *b = val(p->tgt, "%s", tgt_query);
	size_t i = 0;

	while (a[i] && a[i] == b[i])
		i++;
	ck_assert_msg(strcmp(a, b) == 0,
	              "%s: source and target differ at byte %zu of %zu/%zu:\n"
	              "  source: ...%.120s\n  target: ...%.120s", what, i, strlen(a), strlen(b),
	              a + (i > 40 ? i - 40 : 0), b + (i > 40 ? i - 40 : 0));
	free(a);
	free(b);
}

/*
 * the incremental targets the newest run built, and how: "mode:outcome"
 * distinct values
 */
static char *
last_run_modes(struct proj *p)
{
	return val(p->tgt, "SELECT GROUP_CONCAT(DISTINCT CONCAT(mode, ':', outcome) ORDER BY 1)"
	           " FROM etl_run_targets WHERE run_id = (SELECT MAX(run_id) FROM etl_runs)"
	           " AND outcome <> 'pruned'");
}

/* rows of table that the newest run inserted or changed */
static long
touched(struct proj *p, const char *table)
{
	char *v = val(p->tgt, "SELECT COUNT(*) FROM `%s` WHERE _chacc_changed_at >="
	              " (SELECT started_at FROM etl_runs ORDER BY run_id DESC LIMIT 1)", table);
	long n = atol(v);

	free(v);
	return n;
}

static long
count(struct db *d, const char *table)
{
	char *v = val(d, "SELECT COUNT(*) FROM `%s`", table);
	long n = atol(v);

	free(v);
	return n;
}

/* the demo database: counts and values, each checked by a query on the source */
START_TEST(test_demo_db_values)
{
	struct proj p;
	struct result r;
	char *a, *b;

	proj_new(&p, "omvalues");
	load_demo(&p);
	long_concat(&p);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);

	/* the demo's documented counts, then each table against the source */
	assert_val(p.tgt, "100", "SELECT COUNT(*) FROM patients");
	assert_val(p.tgt, "1202", "SELECT COUNT(*) FROM encounters");
	assert_val(p.tgt, "7632", "SELECT COUNT(*) FROM observations");
	assert_same(&p, "patients", "SELECT COUNT(*) FROM patient p JOIN person s"
	            " ON s.person_id = p.patient_id WHERE p.voided = 0 AND s.voided = 0",
	            "SELECT COUNT(*) FROM patients");
	assert_same(&p, "locations", "SELECT COUNT(*) FROM location", "SELECT COUNT(*) FROM locations");
	assert_same(&p, "encounters", "SELECT COUNT(*) FROM encounter WHERE voided = 0",
	            "SELECT COUNT(*) FROM encounters");
	assert_same(&p, "flattened encounters", "SELECT COUNT(*) FROM encounter WHERE voided = 0",
	            "SELECT COUNT(*) FROM flattened_patient_encounters");
	assert_same(&p, "observations", "SELECT COUNT(*) FROM obs WHERE voided = 0",
	            "SELECT COUNT(*) FROM observations");
	assert_same(&p, "flattened observations", "SELECT COUNT(*) FROM obs WHERE voided = 0",
	            "SELECT COUNT(*) FROM flattened_observations");
	assert_same(&p, "summaries",
	            "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM patient WHERE voided = 0),"
	            " (SELECT COUNT(DISTINCT concept_id) FROM obs WHERE voided = 0),"
	            " (SELECT COUNT(*) FROM location))",
	            "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM patient_summary),"
	            " (SELECT COUNT(*) FROM observation_summary),"
	            " (SELECT COUNT(*) FROM location_summary))");

	/* who the patients are: preferred identifier and name */
	assert_same(&p, "identifiers and names",
	            "SELECT GROUP_CONCAT(CONCAT_WS('|', p.patient_id, i.identifier, t.name,"
	            " n.given_name, n.family_name, s.gender, s.birthdate) ORDER BY p.patient_id)"
	            " FROM patient p JOIN person s ON s.person_id = p.patient_id"
	            " JOIN patient_identifier i ON i.patient_id = p.patient_id AND i.preferred = 1"
	            "  AND i.voided = 0"
	            " JOIN patient_identifier_type t ON t.patient_identifier_type_id = i.identifier_type"
	            " JOIN person_name n ON n.person_id = p.patient_id AND n.preferred = 1"
	            "  AND n.voided = 0 WHERE p.voided = 0",
	            "SELECT GROUP_CONCAT(CONCAT_WS('|', patient_id, identifier, identifier_type,"
	            " given_name, family_name, gender, birthdate) ORDER BY patient_id) FROM patients");
	/* encounters: type and location names */
	assert_same(&p, "encounter types and locations",
	            "SELECT GROUP_CONCAT(CONCAT_WS('|', e.encounter_id, e.patient_id, t.name, l.name,"
	            " e.encounter_datetime) ORDER BY e.encounter_id) FROM encounter e"
	            " JOIN encounter_type t ON t.encounter_type_id = e.encounter_type"
	            " JOIN location l ON l.location_id = e.location_id WHERE e.voided = 0",
	            "SELECT GROUP_CONCAT(CONCAT_WS('|', encounter_id, patient_id, encounter_type,"
	            " location_name, encounter_datetime) ORDER BY encounter_id)"
	            " FROM flattened_patient_encounters");
	/* observations: the concept's English preferred name, values in typed columns */
	assert_same(&p, "concept names",
	            "SELECT GROUP_CONCAT(DISTINCT CONCAT(o.concept_id, '=', n.name) ORDER BY o.concept_id)"
	            " FROM obs o JOIN concept_name n ON n.concept_id = o.concept_id AND n.locale = 'en'"
	            " AND n.locale_preferred = 1 AND n.voided = 0 WHERE o.voided = 0",
	            "SELECT GROUP_CONCAT(DISTINCT CONCAT(concept_id, '=', concept_name)"
	            " ORDER BY concept_id) FROM flattened_observations");
	assert_same(&p, "typed values",
	            "SELECT CONCAT_WS(' ', COUNT(value_numeric), COUNT(value_coded), COUNT(value_text),"
	            " COUNT(value_datetime), SUM(value_numeric)) FROM obs WHERE voided = 0",
	            "SELECT CONCAT_WS(' ', COUNT(value_numeric), COUNT(value_coded_name),"
	            " COUNT(value_text), COUNT(value_datetime), SUM(value_numeric))"
	            " FROM flattened_observations");
	assert_same(&p, "coded values by name",
	            "SELECT GROUP_CONCAT(CONCAT(x.value_coded, '=', n.name, '=', x.k)"
	            " ORDER BY x.value_coded) FROM (SELECT value_coded, COUNT(*) AS k FROM obs"
	            " WHERE voided = 0 AND value_coded IS NOT NULL GROUP BY value_coded) x"
	            " JOIN concept_name n ON n.concept_id = x.value_coded AND n.locale = 'en'"
	            " AND n.locale_preferred = 1 AND n.voided = 0",
	            "SELECT GROUP_CONCAT(CONCAT(value_coded, '=', name, '=', k) ORDER BY value_coded)"
	            " FROM (SELECT value_coded, MAX(value_coded_name) AS name, COUNT(*) AS k"
	            " FROM flattened_observations WHERE value_coded IS NOT NULL GROUP BY value_coded) x");
	assert_same(&p, "observations per encounter",
	            "SELECT GROUP_CONCAT(CONCAT(encounter_id, ':', k) ORDER BY encounter_id)"
	            " FROM (SELECT encounter_id, COUNT(*) AS k FROM obs WHERE voided = 0"
	            " GROUP BY encounter_id) x",
	            "SELECT GROUP_CONCAT(CONCAT(encounter_id, ':', observations) ORDER BY encounter_id)"
	            " FROM flattened_patient_encounters WHERE observations > 0");
	assert_same(&p, "weights per encounter",
	            "SELECT GROUP_CONCAT(CONCAT(encounter_id, ':', value_numeric) ORDER BY encounter_id)"
	            " FROM obs WHERE voided = 0 AND concept_id = 5089",
	            "SELECT GROUP_CONCAT(CONCAT(encounter_id, ':', weight_kg) ORDER BY encounter_id)"
	            " FROM flattened_patient_encounters WHERE weight_kg IS NOT NULL");

	/* patient_summary: encounters, first and last, latest vitals */
	assert_same(&p, "encounters per patient",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', patient_id, k, v, f, l) ORDER BY patient_id)"
	            " FROM (SELECT patient_id, COUNT(*) AS k, COUNT(DISTINCT visit_id) AS v,"
	            " MIN(encounter_datetime) AS f, MAX(encounter_datetime) AS l FROM encounter"
	            " WHERE voided = 0 GROUP BY patient_id) x",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', patient_id, encounters, visits,"
	            " first_encounter_at, last_encounter_at) ORDER BY patient_id) FROM patient_summary"
	            " WHERE encounters > 0");
	assert_same(&p, "observations per patient",
	            "SELECT GROUP_CONCAT(CONCAT(person_id, ':', k) ORDER BY person_id)"
	            " FROM (SELECT person_id, COUNT(*) AS k FROM obs WHERE voided = 0"
	            " GROUP BY person_id) x",
	            "SELECT GROUP_CONCAT(CONCAT(patient_id, ':', observations) ORDER BY patient_id)"
	            " FROM patient_summary WHERE observations > 0");
	for (int i = 0; i < 3; i++) {
		static const struct { int concept; const char *col; } vital[] = {
			{ 5089, "weight_kg" }, { 5085, "systolic_bp" }, { 5088, "temperature_c" },
		};
		char *s = xasprintf(
			"SELECT GROUP_CONCAT(CONCAT(o.person_id, ':', o.value_numeric) ORDER BY o.person_id)"
			" FROM obs o WHERE o.concept_id = %d AND o.voided = 0 AND NOT EXISTS ("
			" SELECT 1 FROM obs n WHERE n.person_id = o.person_id AND n.concept_id = %d"
			" AND n.voided = 0 AND (n.obs_datetime > o.obs_datetime OR"
			" (n.obs_datetime = o.obs_datetime AND n.obs_id > o.obs_id)))",
			vital[i].concept, vital[i].concept);
		char *t = xasprintf("SELECT GROUP_CONCAT(CONCAT(patient_id, ':', %s) ORDER BY patient_id)"
		                    " FROM patient_summary WHERE %s IS NOT NULL", vital[i].col,
		                    vital[i].col);

		assert_same(&p, vital[i].col, s, t);
		free(s);
		free(t);
	}

	/* observation_summary: counts and ranges per concept; the mean to 1e-3 */
	assert_same(&p, "per concept",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', concept_id, k, n, e, lo, hi, f, l)"
	            " ORDER BY concept_id) FROM (SELECT concept_id, COUNT(*) AS k,"
	            " COUNT(DISTINCT person_id) AS n, COUNT(DISTINCT encounter_id) AS e,"
	            " MIN(value_numeric) AS lo, MAX(value_numeric) AS hi, MIN(obs_datetime) AS f,"
	            " MAX(obs_datetime) AS l FROM obs WHERE voided = 0 GROUP BY concept_id) x",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', concept_id, observations, patients, encounters,"
	            " min_value, max_value, first_obs_at, last_obs_at) ORDER BY concept_id)"
	            " FROM observation_summary");
	a = val(p.src, "SELECT AVG(value_numeric) FROM obs WHERE voided = 0 AND concept_id = 5090");
	b = val(p.tgt, "SELECT avg_value FROM observation_summary WHERE concept_id = 5090");
	ck_assert_msg(fabs(strtod(a, NULL) - strtod(b, NULL)) < 1e-3, "mean height: %s vs %s", a, b);
	free(a);
	free(b);

	/* location_summary: patients, visits, encounters, observations per location */
	assert_same(&p, "per location",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', l.location_id, l.name,"
	            " (SELECT COUNT(DISTINCT patient_id) FROM encounter e WHERE e.voided = 0"
	            "  AND e.location_id = l.location_id),"
	            " (SELECT COUNT(*) FROM encounter e WHERE e.voided = 0"
	            "  AND e.location_id = l.location_id),"
	            " (SELECT COUNT(*) FROM obs o WHERE o.voided = 0 AND o.location_id = l.location_id))"
	            " ORDER BY l.location_id) FROM location l",
	            "SELECT GROUP_CONCAT(CONCAT_WS(':', location_id, location_name, patients, encounters,"
	            " observations) ORDER BY location_id) FROM location_summary");
	assert_same(&p, "last activity",
	            "SELECT GREATEST((SELECT MAX(encounter_datetime) FROM encounter WHERE voided = 0),"
	            " (SELECT MAX(obs_datetime) FROM obs WHERE voided = 0))",
	            "SELECT MAX(last_activity_at) FROM location_summary");
	proj_free(&p);
}
END_TEST

/*
 * the demo database through days of generated changes: each incremental run
 * builds incrementally, touches only what changed, and gives exactly what a
 * full refresh gives
 */
START_TEST(test_demo_db_incremental_equals_full)
{
	struct proj p;
	struct result r;
	char *v;

	proj_new(&p, "omincr");
	load_demo(&p);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	for (int batch = 1; batch <= 4; batch++) {
		char when[32];
		long obs_rows;

		snprintf(when, sizeof(when), "after batch %d", batch);
		changes(&p, batch);
		r = om(&p, "build", "-j", "2");
		assert_ok(&r);
		result_free(&r);
		v = last_run_modes(&p);
		ck_assert_msg(strcmp(v, "incremental:built") == 0, "%s: the run built %s", when, v);
		free(v);
		/* the changed rows only: a few new, voided and edited observations */
		obs_rows = count(p.tgt, "observations");
		ck_assert_msg(touched(&p, "observations") > 0 &&
		              touched(&p, "observations") < obs_rows / 10,
		              "%s: %ld of %ld observations touched", when, touched(&p, "observations"),
		              obs_rows);
		ck_assert_msg(touched(&p, "flattened_patient_encounters") > 0, "%s", when);
		assert_equals_full(&p, when);
	}
	/* the patient renamed in batch 4 is renamed everywhere */
	v = val(p.src, "SELECT CONCAT(person_id, ' ', family_name) FROM person_name"
	        " WHERE voided = 0 AND family_name LIKE '%%-Odhiambo'"
	        " ORDER BY person_name_id DESC LIMIT 1");
	{
		int id = atoi(v);
		const char *family = strchr(v, ' ') + 1;
		char *q;

		ck_assert_msg(id > 0, "no renamed patient in the source: %s", v);
		q = xasprintf("SELECT (SELECT patient_name FROM patient_summary WHERE patient_id = %d)"
		              " LIKE '%% %s'", id, family);
		assert_same(&p, "renamed patient", "SELECT 1", q);
		free(q);
		q = xasprintf("SELECT COUNT(*) FROM flattened_observations WHERE patient_id = %d"
		              " AND patient_name NOT LIKE '%% %s'", id, family);
		assert_same(&p, "renamed patient's observations", "SELECT 0", q);
		free(q);
	}
	free(v);
	/*
	 * the lookback window is still open: the next run reads the last rows
	 * again, finds nothing new and prunes everything downstream
	 */
	r = om(&p, "build");
	assert_ok(&r);
	if (!strstr(r.out, "nothing to do")) /* the window may have closed already */
		assert_val(p.tgt, "", "SELECT GROUP_CONCAT(target) FROM etl_run_targets WHERE run_id ="
		           " (SELECT MAX(run_id) FROM etl_runs) AND outcome <> 'pruned'"
		           " AND target NOT IN ('patients', 'locations', 'encounters', 'observations')");
	result_free(&r);
	assert_equals_full(&p, "after a run with nothing new");
	proj_free(&p);
}
END_TEST

/*
 * the newer schema (OpenMRS 2.6.4, with its foreign keys): built empty, then
 * filled by the generator and changed, incrementally equal to a full refresh
 */
START_TEST(test_newer_schema)
{
	struct proj p;
	struct result r;
	char *v;

	proj_new(&p, "om264");
	source_sql(&p, "gzip -dc '%s'", schema_gz);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM observations");
	/* rows arrive in tables that were empty: the incremental run reads them all */
	generate(&p, 120, false);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	v = last_run_modes(&p);
	ck_assert_msg(strstr(v, "incremental:built") != NULL, "%s", v);
	free(v);
	assert_same(&p, "observations", "SELECT COUNT(*) FROM obs o JOIN patient p"
	            " ON p.patient_id = o.person_id LEFT JOIN encounter e USING (encounter_id)"
	            " WHERE o.voided = 0 AND p.voided = 0 AND COALESCE(e.voided, 0) = 0",
	            "SELECT COUNT(*) FROM observations");
	assert_equals_full(&p, "after the first rows");
	for (int batch = 1; batch <= 3; batch++) {
		char when[32];

		snprintf(when, sizeof(when), "after batch %d", batch);
		changes(&p, batch);
		r = om(&p, "build", "-j", "2");
		assert_ok(&r);
		result_free(&r);
		assert_equals_full(&p, when);
	}
	proj_free(&p);
}
END_TEST

/*
 * the Luigi guide's commands, mapped onto chacc, on a generated source:
 * --full-refresh, --incremental, --incremental --last-updated DATE,
 * --scheduled, --workers N, --force, --central-scheduler
 */
START_TEST(test_guide_commands)
{
	struct proj p;
	struct result r;
	char *v, *date;

	proj_new(&p, "omguide");
	generate(&p, 80, true);
	r = om(&p, "validate");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "11 targets"), "%s", r.out);
	result_free(&r);

	/* Full Migration (Initial Setup) */
	r = om(&p, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "11 forced full", "SELECT CONCAT_WS(' ', COUNT(*), GROUP_CONCAT(DISTINCT"
	           " reason), GROUP_CONCAT(DISTINCT mode)) FROM etl_run_targets WHERE run_id ="
	           " (SELECT MAX(run_id) FROM etl_runs) AND outcome = 'built'");
	assert_val(p.tgt, "80", "SELECT COUNT(*) FROM patient_summary");
	r = om(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);

	/* Incremental Migration (Daily Updates) */
	changes(&p, 1);
	r = om(&p, "build", "--incremental", "--workers", "2");
	assert_ok(&r);
	result_free(&r);
	v = last_run_modes(&p);
	ck_assert_str_eq(v, "incremental:built");
	free(v);
	assert_val(p.tgt, "11", "SELECT COUNT(*) FROM etl_run_targets WHERE run_id ="
	           " (SELECT MAX(run_id) FROM etl_runs) AND outcome = 'built'");
	assert_val(p.tgt, "81", "SELECT COUNT(*) FROM patient_summary");

	/*
	 * Custom Incremental Update: a row entered with an old date (a tablet
	 * that synced late) is older than the watermark and its lookback: a
	 * watermark would miss it, the source's binary log does not (the test
	 * source keeps one). --last-updated DATE re-reads from DATE as well.
	 */
	sql(p.src, "USE %s", p.srcdb);
	sql(p.src, "INSERT INTO obs (person_id, concept_id, encounter_id, obs_datetime, location_id,"
	    " value_numeric, creator, date_created, voided, uuid) SELECT e.patient_id, 5089,"
	    " e.encounter_id, e.encounter_datetime, e.location_id, 123.25, 1, NOW() - INTERVAL 1 DAY,"
	    " 0, UUID() FROM encounter e JOIN patient p USING (patient_id)"
	    " JOIN person s ON s.person_id = e.patient_id"
	    " WHERE e.voided = 0 AND p.voided = 0 AND s.voided = 0"
	    " AND COALESCE(e.date_changed, e.date_created) < NOW() - INTERVAL 2 DAY"
	    " AND COALESCE(s.date_changed, s.date_created) < NOW() - INTERVAL 2 DAY"
	    " AND COALESCE(p.date_changed, p.date_created) < NOW() - INTERVAL 2 DAY"
	    " ORDER BY e.encounter_id LIMIT 1");
	ck_assert_int_eq(db_affected(p.src), 1);
	r = om(&p, "build", "--incremental");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM flattened_observations WHERE value_numeric = 123.25");
	date = val(p.src, "SELECT CURDATE() - INTERVAL 2 DAY");
	r = om(&p, "build", "--incremental", "--last-updated", date);
	assert_ok(&r);
	result_free(&r);
	free(date);
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM flattened_observations WHERE value_numeric = 123.25");
	assert_val(p.tgt, "123.25", "SELECT max_value FROM observation_summary WHERE concept_id = 5089");

	/* Scheduled Migration (For Cron Jobs): quiet on success */
	changes(&p, 2);
	r = om(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_msg(r.out[0] == '\0', "--scheduled printed: %s", r.out);
	result_free(&r);
	assert_val(p.tgt, "scheduled success", "SELECT CONCAT_WS(' ', mode, result) FROM etl_runs"
	           " ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "82", "SELECT COUNT(*) FROM patients");

	/* Advanced Options: --force, --full-refresh --force, --central-scheduler --workers 4 */
	r = om(&p, "build", "--force", "--workers", "3");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "11 forced", "SELECT CONCAT_WS(' ', COUNT(*), GROUP_CONCAT(DISTINCT reason))"
	           " FROM etl_run_targets WHERE run_id = (SELECT MAX(run_id) FROM etl_runs)");
	r = om(&p, "build", "--full-refresh", "--force");
	assert_ok(&r);
	result_free(&r);
	r = om(&p, "build", "--central-scheduler", "--workers", "4");
	assert_ok(&r);
	result_free(&r);

	/* and the state they leave is the one a full refresh gives */
	changes(&p, 3);
	r = om(&p, "build", "--incremental", "--workers", "2");
	assert_ok(&r);
	result_free(&r);
	assert_equals_full(&p, "after the guide's commands");
	r = om(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "patient_summary") && !strstr(r.out, "failed"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/*
 * encounters edited in place: one moved to another patient with its obs (a
 * merge), one given another date, one taken out of its visit, one voided and
 * then unvoided. The summaries recompute a patient or location only when an
 * encounter's counted columns change (a renamed location touches none):
 * each of these must still reach them, incrementally as in a full refresh.
 */
START_TEST(test_encounter_edits)
{
	struct proj p;
	struct result r;
	char *v;
	int moved, dated, unvisited, voided, other;

	proj_new(&p, "omedit");
	generate(&p, 40, true);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	sql(p.src, "USE %s", p.srcdb);
	v = val(p.src, "SELECT GROUP_CONCAT(encounter_id ORDER BY encounter_id) FROM ("
	        "SELECT MIN(encounter_id) AS encounter_id FROM encounter WHERE voided = 0"
	        " AND visit_id IS NOT NULL GROUP BY patient_id ORDER BY patient_id LIMIT 4) e");
	ck_assert_int_eq(sscanf(v, "%d,%d,%d,%d", &moved, &dated, &unvisited, &voided), 4);
	free(v);
	v = val(p.src, "SELECT MAX(patient_id) FROM encounter WHERE voided = 0");
	other = atoi(v);
	free(v);
	sql(p.src, "UPDATE encounter SET patient_id = %d, date_changed = NOW(), changed_by = 1"
	    " WHERE encounter_id = %d", other, moved);
	sql(p.src, "UPDATE obs SET person_id = %d WHERE encounter_id = %d", other, moved);
	sql(p.src, "UPDATE encounter SET encounter_datetime = encounter_datetime - INTERVAL 3 YEAR,"
	    " date_changed = NOW(), changed_by = 1 WHERE encounter_id = %d", dated);
	sql(p.src, "UPDATE encounter SET visit_id = NULL, date_changed = NOW(), changed_by = 1"
	    " WHERE encounter_id = %d", unvisited);
	sql(p.src, "UPDATE encounter SET voided = 1, voided_by = 1, date_voided = NOW()"
	    " WHERE encounter_id = %d", voided);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	assert_equals_full(&p, "after encounters edited in place");
	{
		char *a = xasprintf("SELECT MIN(encounter_datetime) FROM encounter WHERE voided = 0"
		                    " AND patient_id = (SELECT patient_id FROM encounter"
		                    " WHERE encounter_id = %d)", dated);
		char *b = xasprintf("SELECT first_encounter_at FROM patient_summary WHERE patient_id ="
		                    " (SELECT patient_id FROM encounters WHERE encounter_id = %d)",
		                    dated);

		assert_same(&p, "the patient of an encounter dated earlier", a, b);
		free(a);
		free(b);
	}
	sql(p.src, "UPDATE encounter SET voided = 0, voided_by = NULL, date_voided = NULL,"
	    " date_changed = NOW() + INTERVAL 1 SECOND, changed_by = 1 WHERE encounter_id = %d",
	    voided);
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	assert_equals_full(&p, "after an encounter unvoided");
	proj_free(&p);
}
END_TEST

/* build recipes/openmrs-postgres.yml into PostgreSQL database db with args */
static void
pg_build(struct proj *p, const char *db, const char *arg)
{
	char *sock = xasprintf("TARGET_DB_SOCKET=%s", getenv("CHACC_TEST_PG_SOCKET"));
	char *name = xasprintf("TARGET_DB_NAME=%s", db);
	const char *envs[] = { sock, name, NULL };
	char *args[] = { (char *)"-f", pg_recipe, (char *)"build", (char *)"-j", (char *)"2",
	                 (char *)arg, NULL };
	int o, e, status;
	pid_t pid = chacc_start_envs(p, envs, &o, &e, args);

	status = wait_status(pid);
	{
		char *out = slurp_fd(o), *err = slurp_fd(e);

		ck_assert_msg(status == 0, "openmrs-postgres build %s: exit %d\n%s\n%s",
		              arg ? arg : "", status, out, err);
		free(out);
		free(err);
	}
	free(sock);
	free(name);
}

/* a digest of table's columns (those of the MariaDB build's table) on d */
static char *
digest_of(struct db *d, struct db *shape, const char *table)
{
	struct db_names cols = { 0 };
	struct buf b;
	char *sum;

	ck_assert_msg(db_table_columns(shape, table, &cols) == 0, "%s: %s", table, db_error(shape));
	buf_init(&b);
	for (size_t i = 0; i < cols.n; i++) {
		char *id = db_ident(d, cols.v[i]);

		buf_addf(&b, "%s%s", i ? "," : "", id);
		free(id);
	}
	sum = rows_digest(d, b.s, table);
	buf_release(&b);
	db_names_release(&cols);
	return sum;
}

/*
 * recipes/openmrs-postgres.yml: the same rows in PostgreSQL as the MariaDB
 * build, through days of changes, and incrementally what a full refresh gives
 */
START_TEST(test_postgres_equals_mariadb)
{
	struct proj p;
	struct db_params c, cf;
	struct db *pg, *pgfull;
	struct result r;

	proj_new(&p, "ompg");
	generate(&p, 60, true);
	pg_fresh_database("ompg_pg");
	pg_fresh_database("ompg_pg_full");
	r = om(&p, "build", "-j", "2");
	assert_ok(&r);
	result_free(&r);
	pg_build(&p, "ompg_pg", NULL);
	pg = pg_connect_to(&c, "ompg_pg", NULL);
	pgfull = pg_connect_to(&cf, "ompg_pg_full", NULL);
	for (int batch = 0; batch <= 2; batch++) {
		if (batch > 0) {
			changes(&p, batch);
			r = om(&p, "build", "-j", "2");
			assert_ok(&r);
			result_free(&r);
			pg_build(&p, "ompg_pg", NULL);
			assert_val(pg, "incremental", "SELECT string_agg(DISTINCT mode, ',') FROM"
			           " etl_run_targets WHERE run_id = (SELECT max(run_id) FROM etl_runs)"
			           " AND outcome = 'built'");
		}
		pg_build(&p, "ompg_pg_full", "--full-refresh");
		for (size_t i = 0; i < NTABLES; i++) {
			char *m = digest_of(p.tgt, p.tgt, tables[i]), *g = digest_of(pg, p.tgt, tables[i]);
			char *f = digest_of(pgfull, p.tgt, tables[i]);

			ck_assert_msg(strcmp(m, g) == 0, "batch %d: %s: MariaDB %s, PostgreSQL %s", batch,
			              tables[i], m, g);
			ck_assert_msg(strcmp(g, f) == 0, "batch %d: %s: PostgreSQL incremental %s, full %s",
			              batch, tables[i], g, f);
			free(m);
			free(g);
			free(f);
		}
	}
	db_close(pg);
	db_close(pgfull);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openmrs");

	if (itest_setup("openmrs") < 0)
		return EXIT_SUCCESS;
	omtest_paths();

	/* without ../shared the tests on real dumps are skipped, and fail under CI */
	add_case(s, "guide_commands", test_guide_commands);
	add_case(s, "postgres_equals_mariadb", test_postgres_equals_mariadb);
	add_case(s, "encounter_edits", test_encounter_edits);
	if (need_shared("openmrs", "the 2 tests on the OpenMRS demo database", demo_sql)) {
		add_case(s, "demo_db_values", test_demo_db_values);
		add_case(s, "demo_db_incremental_equals_full", test_demo_db_incremental_equals_full);
	}
	if (need_shared("openmrs", "the test on the OpenMRS 2.6.4 schema", schema_gz))
		add_case(s, "newer_schema", test_newer_schema);
	return run_suite(s);
}
