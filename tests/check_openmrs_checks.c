/*
 * check_openmrs_checks.c: the checks of recipes/openmrs.yml and
 * openmrs-postgres.yml on generated OpenMRS data: every one passes on good
 * data, and a patient without an identifier stops the publication of
 * patients (the table stays as it was) and of what needs it
 */
#include "omtest.h"

/* the checks the OpenMRS recipes give their nine tables */
#define OM_CHECKS 18

/* build the recipe of engine i ("-j 2"); its exit status, output in *r */
static struct result
om_build(struct proj *p, int engine)
{
	return chacc(p, "-f", engine ? pg_recipe : recipe, "build", "-j", "2");
}

/* how many results of the newest run of checks have status (a SQL list) */
static long
results(struct proj *p, const char *statuses)
{
	char *v = val(p->tgt, "SELECT COUNT(*) FROM etl_checks WHERE run_id ="
	              " (SELECT MAX(run_id) FROM etl_checks) AND status IN (%s)", statuses);
	long n = atol(v);

	free(v);
	return n;
}

START_TEST(test_openmrs_checks)
{
	static const char *const engines[] = { "mariadb", "postgres" };
	struct proj p;
	struct result r;
	char *before, *after, *v;
	long patient;

	proj_new_on(&p, _i ? "omckpg" : "omckmy", engines[_i]);
	generate(&p, 60, true);
	r = om_build(&p, _i);
	assert_ok(&r);
	result_free(&r);
	ck_assert_int_eq(results(&p, "'pass', 'warn', 'fail', 'error'"), OM_CHECKS);
	ck_assert_msg(results(&p, "'pass'") == OM_CHECKS, "%ld of %d checks pass",
	              results(&p, "'pass'"), OM_CHECKS);
	/* a day of changes: still every check passes */
	changes(&p, 1);
	r = om_build(&p, _i);
	assert_ok(&r);
	ck_assert_msg(!strstr(r.err, "warns"), "%s", r.err);
	result_free(&r);
	/* a patient loses its identifiers at the source */
	v = val(p.src, "SELECT MIN(patient_id) FROM patient WHERE voided = 0");
	patient = atol(v);
	free(v);
	before = rows_digest(p.tgt, "patient_id, identifier, changed_at", "patients ORDER BY patient_id");
	sql(p.src, "DELETE FROM patient_identifier WHERE patient_id = %ld", patient);
	sql(p.src, "UPDATE person SET date_changed = NOW() WHERE person_id = %ld", patient);
	r = om_build(&p, _i);
	ck_assert_msg(r.status == 1, "exit %d\n%s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "check patients_have_an_identifier failed: 1 row"), "%s", r.err);
	result_free(&r);
	after = rows_digest(p.tgt, "patient_id, identifier, changed_at", "patients ORDER BY patient_id");
	ck_assert_str_eq(before, after);
	assert_val(p.tgt, "check failed", "SELECT status FROM etl_metadata WHERE target = 'patients'");
	v = last_outcome(&p, "patient_summary");
	ck_assert_str_eq(v, "skipped");
	free(v);
	v = val(p.tgt, "SELECT sample_keys FROM etl_checks WHERE check_name ="
	        " 'patients_have_an_identifier' ORDER BY id DESC LIMIT 1");
	ck_assert_msg(strstr(v, "\"") && atol(strchr(v, '"') + 1) == patient, "%s", v);
	free(v);
	free(before);
	free(after);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openmrs_checks");

	if (itest_setup("openmrs_checks") < 0)
		return EXIT_SUCCESS;
	omtest_paths();
	add_loop_case(s, "checks", test_openmrs_checks, 2);
	return run_suite(s);
}
