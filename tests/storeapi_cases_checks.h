/*
 * storeapi_cases_checks.h: the store's contract, continued (storeapi_cases.h
 * includes it): the results of checks and the profiles of targets
 * (etl_checks, etl_profiles), their pruning, and tables of version 2
 */
#ifndef CHACC_STOREAPI_CASES_CHECKS_H
#define CHACC_STOREAPI_CASES_CHECKS_H

#define CHECK_COLS "run_id,target,check,severity,status,failing,samples,detail,seconds," \
	"checked_at"

/* the row of rows whose target and check are these (abort when none) */
static size_t
check_at(const struct store_rows *r, const char *target, const char *check)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(cell(r, i, "target"), target) == 0 &&
		    strcmp(cell(r, i, "check"), check) == 0)
			return i;
	ck_abort_msg("%s: no result of %s.%s", be->name, target, check);
	return 0;
}

/* run 1 of the clinic's checks: people's two, and visits' row count */
static void
record_checks_1(struct store *st, long long run)
{
	const struct store_check c[] = {
		{ "people", "not_null_name", "error", "pass", 0, NULL, NULL, 0.25 },
		{ "people", "unique_id", "error", "fail", 17, "[[1],[2]]", "check unique_id failed:"
		  " 17 rows", 1.5 },
		{ "visits", "row_count", "warn", "warn", -1, NULL, "0 rows, want at least 1", 0 },
	};

	ck_assert_msg(store_checks_record(st, run, c, LEN(c)) == 0, "%s: %s", be->name,
	              store_error(st));
}

/* run 2: people's two again, the other way round */
static void
record_checks_2(struct store *st, long long run)
{
	const struct store_check c[] = {
		{ "people", "unique_id", "error", "pass", 0, NULL, NULL, 0.125 },
		{ "people", "not_null_name", "error", "error", -1, NULL, "no column 'name'", 0.01 },
	};

	ck_assert_msg(store_checks_record(st, run, c, LEN(c)) == 0, "%s: %s", be->name,
	              store_error(st));
}

START_TEST(test_checks_record_and_read)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	const struct store_check theirs = { "people", "unique_id", "error", "fail", 3, NULL,
	                                    NULL, 0 };
	struct store_rows *r;
	size_t i;

	record_checks_1(st, 11);
	record_checks_2(st, 12);
	ck_assert_int_eq(store_checks_record(other, 13, &theirs, 1), 0);
	ck_assert_int_eq(store_checks_record(st, 14, NULL, 0), 0);      /* none: nothing to do */

	/* the latest of each check, by target and check */
	r = store_checks_latest(st, NULL);
	ck_assert_ptr_nonnull(r);
	assert_cols(r, CHECK_COLS);
	ck_assert_int_eq(r->nrows, 3);
	ck_assert_str_eq(cell(r, 0, "check"), "not_null_name");
	ck_assert_str_eq(cell(r, 0, "run_id"), "12");
	ck_assert_str_eq(cell(r, 0, "status"), "error");
	ck_assert_ptr_null(cell(r, 0, "failing"));
	ck_assert_str_eq(cell(r, 0, "detail"), "no column 'name'");
	ck_assert_str_eq(cell(r, 1, "check"), "unique_id");
	ck_assert_str_eq(cell(r, 1, "run_id"), "12");
	ck_assert_str_eq(cell(r, 1, "status"), "pass");
	ck_assert_str_eq(cell(r, 1, "failing"), "0");
	ck_assert_str_eq(cell(r, 1, "seconds"), "0.125");
	ck_assert_ptr_null(cell(r, 1, "samples"));
	ck_assert_str_eq(cell(r, 2, "target"), "visits");
	ck_assert_str_eq(cell(r, 2, "run_id"), "11");
	ck_assert_str_eq(cell(r, 2, "severity"), "warn");
	ck_assert_int_eq(strlen(cell(r, 2, "checked_at")), TS_LEN - 1);
	ck_assert_msg(strcmp(cell(r, 2, "checked_at"), cell(r, 0, "checked_at")) <= 0,
	              "%s: run 1 checked at %s, after run 2 at %s", be->name,
	              cell(r, 2, "checked_at"), cell(r, 0, "checked_at"));
	store_rows_free(r);
	r = store_checks_latest(st, "visits");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "check"), "row_count");
	store_rows_free(r);
	r = store_checks_latest(other, NULL);           /* another recipe's own */
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "failing"), "3");
	store_rows_free(r);

	/* one run's, as recorded */
	r = store_checks_of_run(st, 11);
	assert_cols(r, CHECK_COLS);
	ck_assert_int_eq(r->nrows, 3);
	i = check_at(r, "people", "unique_id");
	ck_assert_int_eq(i, 1);
	ck_assert_str_eq(cell(r, i, "status"), "fail");
	ck_assert_str_eq(cell(r, i, "failing"), "17");
	ck_assert_str_eq(cell(r, i, "samples"), "[[1],[2]]");
	ck_assert_str_eq(cell(r, i, "detail"), "check unique_id failed: 17 rows");
	ck_assert_str_eq(cell(r, i, "seconds"), "1.500");
	ck_assert_ptr_null(cell(r, check_at(r, "visits", "row_count"), "failing"));
	store_rows_free(r);
	ck_assert_int_eq((r = store_checks_of_run(st, 13))->nrows, 0);      /* other's run */
	store_rows_free(r);
	ck_assert_int_eq((r = store_checks_of_run(other, 13))->nrows, 1);
	store_rows_free(r);
	end();
}
END_TEST

START_TEST(test_checks_outside_a_run)
{
	struct store *st = begin(_i, "clinic");
	const struct store_check c = { "people", "unique_id", "error", "pass", 0, NULL, NULL, 0 };
	struct store_rows *r;

	/* chacc test checks without a run */
	ck_assert_int_eq(store_checks_record(st, 0, &c, 1), 0);
	r = store_checks_latest(st, "people");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_ptr_null(cell(r, 0, "run_id"));
	store_rows_free(r);
	ck_assert_int_eq(store_profile_record(st, 0, "people", 2, "{}"), 0);
	r = store_profiles(st, "people", 0);
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_ptr_null(cell(r, 0, "run_id"));
	store_rows_free(r);
	end();
}
END_TEST

START_TEST(test_profiles_newest_first)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	struct store_rows *r;

	ck_assert_int_eq(store_profile_record(st, 1, "people", 3, "{\"n\":1}"), 0);
	ck_assert_int_eq(store_profile_record(st, 2, "people", 4, "{\"n\":2}"), 0);
	ck_assert_int_eq(store_profile_record(st, 2, "visits", 9, "{\"v\":1}"), 0);
	ck_assert_int_eq(store_profile_record(st, 3, "people", 5, "{\"n\":3}"), 0);
	ck_assert_int_eq(store_profile_record(other, 4, "people", 6, "{\"o\":1}"), 0);

	r = store_profiles(st, "people", 0);            /* the newest only */
	ck_assert_ptr_nonnull(r);
	assert_cols(r, "run_id,profiled_at,rows,profile");
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "run_id"), "3");
	ck_assert_str_eq(cell(r, 0, "rows"), "5");
	ck_assert_str_eq(cell(r, 0, "profile"), "{\"n\":3}");
	ck_assert_int_eq(strlen(cell(r, 0, "profiled_at")), TS_LEN - 1);
	store_rows_free(r);
	r = store_profiles(st, "people", 2);
	ck_assert_int_eq(r->nrows, 2);
	ck_assert_str_eq(cell(r, 0, "profile"), "{\"n\":3}");
	ck_assert_str_eq(cell(r, 1, "profile"), "{\"n\":2}");
	ck_assert_msg(strcmp(cell(r, 1, "profiled_at"), cell(r, 0, "profiled_at")) <= 0,
	              "%s: %s after %s", be->name, cell(r, 1, "profiled_at"),
	              cell(r, 0, "profiled_at"));
	store_rows_free(r);
	r = store_profiles(st, "people", 10);
	ck_assert_int_eq(r->nrows, 3);
	ck_assert_str_eq(cell(r, 2, "run_id"), "1");
	store_rows_free(r);
	r = store_profiles(st, "visits", 10);
	ck_assert_int_eq(r->nrows, 1);
	ck_assert_str_eq(cell(r, 0, "rows"), "9");
	store_rows_free(r);
	ck_assert_int_eq((r = store_profiles(st, "nobody", 10))->nrows, 0);
	store_rows_free(r);
	end();
}
END_TEST

/* the checks of run run of st's recipe, counted */
static size_t
checks_of(struct store *st, long long run)
{
	struct store_rows *r = store_checks_of_run(st, run);
	size_t n;

	ck_assert_ptr_nonnull(r);
	n = r->nrows;
	store_rows_free(r);
	return n;
}

static size_t
profiles_of(struct store *st, const char *target)
{
	struct store_rows *r = store_profiles(st, target, 100);
	size_t n;

	ck_assert_ptr_nonnull(r);
	n = r->nrows;
	store_rows_free(r);
	return n;
}

START_TEST(test_prune_checks)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	const struct store_check c = { "people", "not_null_name", "error", "pass", 0, NULL, NULL,
	                               0 };
	long long checks = -1, profiles = -1;
	char between[TS_LEN];

	record_checks_1(st, 1);
	record_checks_1(other, 1);
	ck_assert_int_eq(store_profile_record(st, 1, "people", 3, "{}"), 0);
	usleep(2000);
	ck_assert_int_eq(store_now(st, between), 0);
	usleep(2000);
	record_checks_2(st, 2);
	ck_assert_int_eq(store_profile_record(st, 2, "people", 4, "{}"), 0);
	ck_assert_int_eq(store_profile_record(st, 2, "visits", 5, "{}"), 0);

	/* nothing is that old */
	ck_assert_int_eq(store_prune_checks(st, "2000-01-01 00:00:00", false, &checks, &profiles),
	                 0);
	ck_assert(checks == 0 && profiles == 0);
	/* run 1's results of people, and its profile, are older and superseded */
	ck_assert_int_eq(store_prune_checks(st, between, true, &checks, &profiles), 0);
	ck_assert_int_eq(checks, 2);
	ck_assert_int_eq(profiles, 1);
	ck_assert_int_eq(checks_of(st, 1), 3);           /* dry: all stay */
	ck_assert_int_eq(profiles_of(st, "people"), 2);
	ck_assert_int_eq(store_prune_checks(st, between, false, &checks, &profiles), 0);
	ck_assert(checks == 2 && profiles == 1);
	ck_assert_int_eq(checks_of(st, 1), 1);           /* visits' row count: its newest */
	ck_assert_int_eq(checks_of(st, 2), 2);
	ck_assert_int_eq(profiles_of(st, "people"), 1);
	ck_assert_int_eq(profiles_of(st, "visits"), 1);
	ck_assert_int_eq(checks_of(other, 1), 3);        /* another recipe's stay */

	/* however old, the newest of each check and each target's newest profile stay */
	ck_assert_int_eq(store_checks_record(st, 3, &c, 1), 0);
	ck_assert_int_eq(store_prune_checks(st, "2999-01-01 00:00:00", false, &checks, &profiles),
	                 0);
	ck_assert_int_eq(checks, 1);                     /* run 2's not_null_name */
	ck_assert_int_eq(profiles, 0);
	ck_assert_int_eq(checks_of(st, 1), 1);
	ck_assert_int_eq(checks_of(st, 2), 1);
	ck_assert_int_eq(checks_of(st, 3), 1);
	ck_assert_int_eq(profiles_of(st, "people") + profiles_of(st, "visits"), 2);
	ck_assert_int_eq(store_prune_checks(st, "2999-01-01 00:00:00", false, &checks, &profiles),
	                 0);
	ck_assert(checks == 0 && profiles == 0);
	end();
}
END_TEST

/* no etl_ tables, or those of version 2: reads answer nothing, and create nothing */
static void
assert_no_checks(struct store *st)
{
	struct store_rows *r;
	struct marker m = { 0 };
	long long checks = -1, profiles = -1;

	ck_assert_ptr_nonnull((r = store_checks_latest(st, NULL)));
	assert_cols(r, CHECK_COLS);
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	ck_assert_ptr_nonnull((r = store_checks_latest(st, "people")));
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	ck_assert_ptr_nonnull((r = store_checks_of_run(st, 1)));
	assert_cols(r, CHECK_COLS);
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	ck_assert_ptr_nonnull((r = store_profiles(st, "people", 5)));
	assert_cols(r, "run_id,profiled_at,rows,profile");
	ck_assert_int_eq(r->nrows, 0);
	store_rows_free(r);
	ck_assert_msg(store_prune_checks(st, "2999-01-01 00:00:00", true, &checks, &profiles) == 0,
	              "%s: %s", be->name, store_error(st));
	ck_assert(checks == 0 && profiles == 0);
	ck_assert_int_eq(store_prune_checks(st, "2999-01-01 00:00:00", false, &checks, &profiles),
	                 0);
	ck_assert(checks == 0 && profiles == 0);
	ck_assert_int_eq(store_marker_load(st, "etl_checks", &m), 0);
	ck_assert_msg(!m.table_exists, "%s: etl_checks was created", be->name);
	ck_assert_int_eq(store_marker_load(st, "etl_profiles", &m), 0);
	ck_assert(!m.table_exists);
	marker_release(&m);
}

START_TEST(test_checks_without_tables)
{
	be = &contract_backends[_i];
	be->setup();
	assert_no_checks(open_store("clinic"));
	end();
}
END_TEST

/*
 * the tables as version 2 left them: those of version 3 but etl_checks and
 * etl_profiles (and etl_sites, of version 4), and etl_schema at 2 (the DDL
 * of the others did not change)
 */
START_TEST(test_checks_upgrade_from_version_2)
{
	struct store *st;
	struct marker m = { 0 };
	char *err = NULL, *note = NULL;
	const struct store_check c = { "people", "unique_id", "error", "pass", 0, NULL, NULL, 0 };
	struct store_rows *r;

	if (!contract_backends[_i].exec)
		return;                 /* the fake's tables have no versions of their own */
	st = begin(_i, "clinic");
	ck_assert_int_eq(store_marker_begin(st, "people", 1), 0);
	be->exec("DROP TABLE etl_checks");
	be->exec("DROP TABLE etl_profiles");
	be->exec("DROP TABLE etl_sites");
	be->exec("UPDATE etl_schema SET version = 2");
	ck_assert_int_eq(store_schema_version(st, &err), 2);

	/* read as they are */
	assert_no_checks(st);
	ck_assert_int_eq(store_schema_version(st, &err), 2);
	ck_assert_int_eq(store_checks_record(st, 1, &c, 1), -1);        /* no table to write */

	/* an upgrade creates the two, and keeps what was there */
	ck_assert_msg(store_schema_upgrade(st, &err, &note) == 1, "%s: %s", be->name, err);
	ck_assert_ptr_nonnull(note);
	ck_assert_msg(strstr(note, "from version 2 to 4"), "%s", note);
	free(note);
	ck_assert_int_eq(store_schema_version(st, &err), SCHEMA_VERSION);
	ck_assert_int_eq(store_schema_upgrade(st, &err, &note), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(m.present);
	ck_assert_int_eq(m.run_id, 1);
	ck_assert_int_eq(store_marker_load(st, "etl_checks", &m), 0);
	ck_assert(m.table_exists);
	marker_release(&m);
	ck_assert_int_eq(store_checks_record(st, 1, &c, 1), 0);
	ck_assert_int_eq((r = store_checks_latest(st, NULL))->nrows, 1);
	store_rows_free(r);
	ck_assert_int_eq(store_profile_record(st, 1, "people", 1, "{}"), 0);
	end();
}
END_TEST

#endif
