/*
 * check_openmrs_forms.c: the forms' flat tables of recipes/openmrs.yml
 * (flat_vitals, flat_visit_diagnoses) against an oracle on the source's obs
 * table: for every encounter or diagnosis group, each concept's latest
 * non-voided value, found by correlated subqueries written without the pivot
 * code, compared row by row and value by value; on the reference
 * application's demo database and on generated data, after days of changes
 * too, where the builds after the first are incremental (check_openmrs shows
 * they equal a full refresh)
 */
#include "omtest.h"

/* the Vitals form: column, CIEL uuid (all numeric) */
static const char *const vitals[][2] = {
	{ "weight_kg", "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "height_cm", "5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "temperature_c", "5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "pulse", "5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "respiratory_rate", "5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "systolic_bp", "5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "diastolic_bp", "5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
	{ "oxygen_saturation", "5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
};

/* the Visit Note's diagnosis group: column, CIEL uuid, the obs column it reads */
static const char *const diagnosis[][3] = {
	{ "diagnosis_coded", "1284AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "coded" },
	{ "diagnosis_non_coded", "161602AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "value_text" },
	{ "diagnosis_certainty", "159394AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "coded" },
	{ "diagnosis_order", "159946AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "coded" },
};

/* an obs o that counts: not voided, nor its encounter, patient or person */
#define COUNTED_OBS \
	"o.voided = 0 AND EXISTS (SELECT 1 FROM encounter e2 JOIN patient p2" \
	" ON p2.patient_id = e2.patient_id JOIN person s2 ON s2.person_id = e2.patient_id" \
	" WHERE e2.encounter_id = o.encounter_id AND e2.voided = 0 AND p2.voided = 0" \
	" AND s2.voided = 0)"

/* the encounter columns every flat table carries, on the source (e: encounter) */
#define SOURCE_ENCOUNTER \
	"e.patient_id, e.visit_id, e.location_id, (SELECT t.name FROM encounter_type t" \
	" WHERE t.encounter_type_id = e.encounter_type) AS encounter_type, e.encounter_datetime"
#define FLAT_ENCOUNTER "patient_id, visit_id, encounter_location_id, encounter_type, encounter_datetime"

/*
 * the latest counted value of concept uuid among the obs of scope (an SQL
 * condition on o): the obs with the newest obs_datetime, then the highest
 * obs_id; a coded value is its concept's preferred English name; named as
 */
static void
add_latest(struct buf *b, const char *value, const char *uuid, const char *scope, const char *as)
{
	const char *v = strcmp(value, "coded") ? value : "(SELECT n.name FROM concept_name n"
	                " WHERE n.concept_id = o.value_coded AND n.locale = 'en'"
	                " AND n.locale_preferred = 1 AND n.voided = 0)";

	buf_addf(b, ", (SELECT %s%s FROM obs o JOIN concept c ON c.concept_id = o.concept_id"
	         " WHERE %s AND c.uuid = '%s' AND " COUNTED_OBS
	         " ORDER BY o.obs_datetime DESC, o.obs_id DESC LIMIT 1) AS %s",
	         v == value ? "o." : "", v, scope, uuid, as);
}

/* "'u1', 'u2'" of the n uuids in column 1 of rows of width w */
static void
add_uuids(struct buf *b, const char *const *rows, size_t n, size_t w)
{
	for (size_t i = 0; i < n; i++)
		buf_addf(b, "%s'%s'", i ? ", " : "", rows[i * w + 1]);
}

/* the rows of a query, one line each ("a|b|NULL"), in its order */
static char *
lines_of(struct db *d, const char *query)
{
	struct dbres *r = db_queryf(d, "%s", query);
	struct buf b;

	ck_assert_msg(r != NULL, "%s: %s", query, db_error(d));
	buf_init(&b);
	while (dbres_next(r)) {
		for (size_t i = 0; i < dbres_ncols(r); i++) {
			const char *v = dbres_get(r, i);

			buf_addf(&b, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
		buf_adds(&b, "\n");
	}
	dbres_free(r);
	return b.s ? buf_detach(&b) : xstrdup("");
}

/* a digest of the rows of query on d */
static char *
digest(struct db *d, const char *query)
{
	char *q = xasprintf("(%s) q", query), *sum = rows_digest(d, "*", q);

	free(q);
	return sum;
}

/* the oracle's rows and the flat table's agree, line by line and by digest; their count */
static long
assert_rows(struct proj *p, const char *what, const char *oracle, const char *flat)
{
	char *a = lines_of(p->src, oracle), *b = lines_of(p->tgt, flat);
	char *sa = digest(p->src, oracle), *sb = digest(p->tgt, flat);
	const char *x = a, *y = b;
	long n = 0;

	while (*x && *y) {
		size_t la = strcspn(x, "\n"), lb = strcspn(y, "\n");

		ck_assert_msg(la == lb && !memcmp(x, y, la), "%s: row %ld differs:\n  oracle: %.*s\n"
		              "  flat:   %.*s", what, n + 1, (int)la, x, (int)lb, y);
		x += la + 1;
		y += lb + 1;
		n++;
	}
	ck_assert_msg(!*x && !*y, "%s: the oracle has %s rows than the flat table (%ld equal)",
	              what, *x ? "more" : "fewer", n);
	ck_assert_msg(!strcmp(sa, sb), "%s: digests differ: oracle %s, flat %s", what, sa, sb);
	free(sa);
	free(sb);
	free(a);
	free(b);
	return n;
}

/* flat_vitals agrees with the oracle for every encounter; its rows */
static long
assert_vitals(struct proj *p, const char *when)
{
	struct buf o, f;
	long n;

	buf_init(&o);
	buf_init(&f);
	buf_addf(&o, "SELECT e.encounter_id, " SOURCE_ENCOUNTER);
	buf_addf(&f, "SELECT encounter_id, " FLAT_ENCOUNTER);
	for (size_t i = 0; i < LEN(vitals); i++) {
		add_latest(&o, "value_numeric", vitals[i][1], "o.encounter_id = e.encounter_id",
		           vitals[i][0]);
		buf_addf(&f, ", %s", vitals[i][0]);
	}
	buf_adds(&o, " FROM encounter e WHERE EXISTS (SELECT 1 FROM obs o JOIN concept c"
	         " ON c.concept_id = o.concept_id WHERE o.encounter_id = e.encounter_id"
	         " AND " COUNTED_OBS " AND c.uuid IN (");
	add_uuids(&o, &vitals[0][0], LEN(vitals), 2);
	buf_adds(&o, ")) ORDER BY e.encounter_id");
	buf_adds(&f, " FROM flat_vitals ORDER BY encounter_id");
	{
		char *what = xasprintf("flat_vitals %s", when);

		n = assert_rows(p, what, o.s, f.s);
		free(what);
	}
	buf_release(&o);
	buf_release(&f);
	return n;
}

/* flat_visit_diagnoses agrees with the oracle for every diagnosis group; its rows */
static long
assert_diagnoses(struct proj *p, const char *when)
{
	struct buf o, f;
	long n;

	buf_init(&o);
	buf_init(&f);
	buf_addf(&o, "SELECT g.obs_group_id, e.encounter_id, " SOURCE_ENCOUNTER);
	buf_addf(&f, "SELECT obs_group_id, encounter_id, " FLAT_ENCOUNTER);
	for (size_t i = 0; i < LEN(diagnosis); i++) {
		add_latest(&o, diagnosis[i][2], diagnosis[i][1], "o.obs_group_id = g.obs_group_id",
		           diagnosis[i][0]);
		buf_addf(&f, ", %s", diagnosis[i][0]);
	}
	/* the groups: those of counted members of the form's concepts */
	buf_adds(&o, " FROM (SELECT DISTINCT o.obs_group_id, o.encounter_id FROM obs o JOIN concept c"
	         " ON c.concept_id = o.concept_id WHERE " COUNTED_OBS " AND c.uuid IN (");
	add_uuids(&o, &diagnosis[0][0], LEN(diagnosis), 3);
	buf_adds(&o, ")) g JOIN encounter e ON e.encounter_id = g.encounter_id"
	         " ORDER BY g.obs_group_id");
	buf_adds(&f, " FROM flat_visit_diagnoses ORDER BY obs_group_id");
	{
		char *what = xasprintf("flat_visit_diagnoses %s", when);

		n = assert_rows(p, what, o.s, f.s);
		free(what);
	}
	buf_release(&o);
	buf_release(&f);
	return n;
}

static void
build(struct proj *p)
{
	struct result r = om(p, "build", "-j", "2");

	assert_ok(&r);
	result_free(&r);
}

/*
 * the reference application's demo database: every Vitals encounter and
 * every diagnosis group, then after two days of changes (new visits,
 * corrected and voided obs, a moved encounter, a renamed diagnosis)
 */
START_TEST(test_demo_db_forms)
{
	struct proj p;

	proj_new(&p, "omforms");
	load_demo(&p);
	build(&p);
	/* the demo's 508 Vitals and 508 Visit Notes (765 diagnoses) */
	ck_assert_int_eq(assert_vitals(&p, "on the demo data"), 508);
	ck_assert_int_eq(assert_diagnoses(&p, "on the demo data"), 765);
	for (int batch = 1; batch <= 2; batch++) {
		char when[40];

		snprintf(when, sizeof(when), "after batch %d", batch);
		changes(&p, batch);
		build(&p);
		ck_assert_int_gt(assert_vitals(&p, when), 508);
		ck_assert_int_gt(assert_diagnoses(&p, when), 765);
	}
	proj_free(&p);
}
END_TEST

/*
 * generated data: the diagnosis groups of its Visit Notes and its vitals,
 * with a concept given twice in one encounter (the latest counts, and on a
 * tie the newer obs), then after a day of changes
 */
START_TEST(test_generated_forms)
{
	struct proj p;
	char *enc, *q;

	proj_new(&p, "omformsgen");
	generate(&p, 40, true);
	build(&p);
	ck_assert_int_gt(assert_vitals(&p, "on generated data"), 0);
	ck_assert_int_gt(assert_diagnoses(&p, "on generated data"), 0);
	/* a weight taken again an hour later, and a pulse twice at one time */
	enc = val(p.src, "SELECT MIN(o.encounter_id) FROM obs o JOIN encounter e USING (encounter_id)"
	          " WHERE o.concept_id = 5089 AND o.voided = 0 AND e.voided = 0");
	sql(p.src, "INSERT INTO obs (person_id, concept_id, encounter_id, obs_datetime, location_id,"
	    " value_numeric, creator, date_created, voided, uuid) SELECT person_id, concept_id,"
	    " encounter_id, obs_datetime + INTERVAL 1 HOUR, location_id, 77.5, 1, NOW(), 0, UUID()"
	    " FROM obs WHERE encounter_id = %s AND concept_id = 5089 AND voided = 0", enc);
	sql(p.src, "INSERT INTO obs (person_id, concept_id, encounter_id, obs_datetime, location_id,"
	    " value_numeric, creator, date_created, voided, uuid) SELECT person_id, 5087,"
	    " encounter_id, obs_datetime, location_id, v.k, 1, NOW(), 0, UUID()"
	    " FROM obs JOIN (SELECT 61 AS k UNION ALL SELECT 62) v"
	    " WHERE encounter_id = %s AND concept_id = 5089 AND voided = 0 AND value_numeric <> 77.5"
	    " ORDER BY v.k", enc);
	ck_assert_int_eq(db_affected(p.src), 2);
	build(&p);
	q = xasprintf("SELECT CONCAT_WS(' ', weight_kg, pulse) FROM flat_vitals WHERE encounter_id = %s",
	              enc);
	assert_val(p.tgt, "77.5 62", q);
	ck_assert_int_gt(assert_vitals(&p, "with repeated concepts"), 0);
	changes(&p, 1);
	build(&p);
	ck_assert_int_gt(assert_vitals(&p, "after batch 1"), 0);
	ck_assert_int_gt(assert_diagnoses(&p, "after batch 1"), 0);
	free(q);
	free(enc);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openmrs_forms");

	if (itest_setup("openmrs_forms") < 0)
		return EXIT_SUCCESS;
	omtest_paths();
	add_case(s, "generated_forms", test_generated_forms);
	/* without ../shared the test on the demo database is skipped, and fails under CI */
	if (need_shared("openmrs_forms", "the test on the OpenMRS demo database", demo_sql))
		add_case(s, "demo_db_forms", test_demo_db_forms);
	return run_suite(s);
}
