/*
 * storeapi_cases_sites.h: the store's contract, continued (storeapi_cases.h
 * includes it): the sites of the extracts that read a group of sites
 * (etl_sites), forgotten with their target, and tables of version 3
 */
#ifndef CHACC_STOREAPI_CASES_SITES_H
#define CHACC_STOREAPI_CASES_SITES_H

/* record how site of target was read; abort when the store fails */
static void
site_put(struct store *st, const char *target, const char *site, const char *status,
         const char *error, const char *watermark, bool window_open, long long rows)
{
	struct store_site s = { .target = (char *)target, .site = (char *)site,
	                        .error = (char *)error, .watermark = (char *)watermark,
	                        .window_open = window_open, .rows = rows };

	snprintf(s.status, sizeof(s.status), "%s", status);
	ck_assert_msg(store_site_record(st, &s) == 0, "%s: %s", be->name, store_error(st));
}

/* the sites of target (NULL: every target), "target/site" joined by commas */
static char *
site_names(struct store *st, const char *target)
{
	struct store_site *s = NULL;
	long n = store_sites_load(st, target, &s);
	struct buf b;

	ck_assert_msg(n >= 0, "%s: %s", be->name, store_error(st));
	buf_init(&b);
	buf_addf(&b, "%s", "");
	for (long i = 0; i < n; i++)
		buf_addf(&b, "%s%s/%s", i ? "," : "", s[i].target, s[i].site);
	store_sites_free(s, n);
	return buf_detach(&b);
}

static void
assert_site_names(struct store *st, const char *target, const char *want)
{
	char *got = site_names(st, target);

	ck_assert_msg(strcmp(got, want) == 0, "%s: sites %s, want %s", be->name, got, want);
	free(got);
}

/* the one site of target named site, loaded into *out (free it with store_sites_free) */
static struct store_site *
site_get(struct store *st, const char *target, const char *site, long *n)
{
	struct store_site *s = NULL;

	*n = store_sites_load(st, target, &s);
	ck_assert_msg(*n >= 0, "%s: %s", be->name, store_error(st));
	for (long i = 0; i < *n; i++)
		if (strcmp(s[i].site, site) == 0)
			return &s[i];
	ck_abort_msg("%s: no site %s of %s", be->name, site, target);
	return NULL;
}

START_TEST(test_sites_ok_then_failed)
{
	struct store *st = begin(_i, "clinic");
	struct store_site *all, *s;
	char success[TS_LEN];
	long n;

	site_put(st, "obs", "kisumu", "ok", NULL, "2020-01-02 03:04:05", true, 120);
	s = site_get(st, "obs", "kisumu", &n);
	all = s;
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(s->target, "obs");
	ck_assert_str_eq(s->status, "ok");
	ck_assert_ptr_null(s->error);
	ck_assert_str_eq(s->watermark, "2020-01-02 03:04:05");
	ck_assert(s->window_open);
	ck_assert_int_eq(s->rows, 120);
	ck_assert_int_eq(strlen(s->last_success), TS_LEN - 1);
	ck_assert_str_eq(s->last_attempt, s->last_success);
	ck_assert_msg(s->lag >= 0 && s->lag < 60, "%s: lag %g", be->name, s->lag);
	snprintf(success, sizeof(success), "%s", s->last_success);
	store_sites_free(all, n);

	/* a failed read keeps the last success and its rows, and takes the watermark it had */
	usleep(2000);
	site_put(st, "obs", "kisumu", "failed", "cannot connect to 10.0.0.5", "2020-01-02 03:04:05",
	         false, 7);
	all = s = site_get(st, "obs", "kisumu", &n);
	ck_assert_str_eq(s->status, "failed");
	ck_assert_str_eq(s->error, "cannot connect to 10.0.0.5");
	ck_assert_str_eq(s->watermark, "2020-01-02 03:04:05");
	ck_assert(!s->window_open);
	ck_assert_str_eq(s->last_success, success);
	ck_assert_msg(strcmp(s->last_attempt, success) > 0, "%s: attempt %s, success %s", be->name,
	              s->last_attempt, success);
	ck_assert_int_eq(s->rows, 120);
	ck_assert(s->lag >= 0);
	store_sites_free(all, n);

	/* NULL: read it in full next time */
	site_put(st, "obs", "kisumu", "failed", "schema differs: no column obs_id", NULL, false, -1);
	all = s = site_get(st, "obs", "kisumu", &n);
	ck_assert_str_eq(s->error, "schema differs: no column obs_id");
	ck_assert_ptr_null(s->watermark);
	ck_assert_str_eq(s->last_success, success);
	ck_assert_int_eq(s->rows, 120);
	store_sites_free(all, n);

	/* read again: ok, no error, a new success */
	usleep(2000);
	site_put(st, "obs", "kisumu", "ok", NULL, "2020-02-01 00:00:00", false, 130);
	all = s = site_get(st, "obs", "kisumu", &n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(s->status, "ok");
	ck_assert_ptr_null(s->error);
	ck_assert_str_eq(s->watermark, "2020-02-01 00:00:00");
	ck_assert_int_eq(s->rows, 130);
	ck_assert_str_eq(s->last_attempt, s->last_success);
	ck_assert_msg(strcmp(s->last_success, success) > 0, "%s", be->name);
	store_sites_free(all, n);
	end();
}
END_TEST

/* a site whose first read failed: never a success, no rows, no lag */
START_TEST(test_sites_never_read)
{
	struct store *st = begin(_i, "clinic");
	struct store_site *s;
	long n;

	site_put(st, "obs", "siaya", "failed", "timeout", NULL, false, -1);
	s = site_get(st, "obs", "siaya", &n);
	ck_assert_str_eq(s->status, "failed");
	ck_assert_str_eq(s->error, "timeout");
	ck_assert_ptr_null(s->watermark);
	ck_assert_int_eq(strlen(s->last_attempt), TS_LEN - 1);
	ck_assert_str_eq(s->last_success, "");
	ck_assert_int_eq(s->rows, -1);
	ck_assert(s->lag == -1);
	store_sites_free(s, n);
	/* a success with rows not known */
	site_put(st, "obs", "siaya", "ok", NULL, NULL, false, -1);
	s = site_get(st, "obs", "siaya", &n);
	ck_assert_int_eq(s->rows, -1);
	ck_assert_ptr_null(s->watermark);
	ck_assert(s->lag >= 0);
	store_sites_free(s, n);
	end();
}
END_TEST

START_TEST(test_sites_of_every_target)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");
	struct store_site *s = NULL;

	ck_assert_int_eq(store_sites_load(st, NULL, &s), 0);
	store_sites_free(s, 0);
	site_put(st, "visits", "kisumu", "ok", NULL, "5", false, 1);
	site_put(st, "obs", "siaya", "ok", NULL, "9", false, 2);
	site_put(st, "obs", "kisumu", "failed", "down", NULL, false, -1);
	site_put(st, "people", "kisumu", "ok", NULL, NULL, false, 3);
	site_put(other, "obs", "busia", "ok", NULL, NULL, false, 4);
	/* by target, then site; the recipe's own */
	assert_site_names(st, NULL, "obs/kisumu,obs/siaya,people/kisumu,visits/kisumu");
	assert_site_names(st, "obs", "obs/kisumu,obs/siaya");
	assert_site_names(st, "nothing", "");
	assert_site_names(other, NULL, "obs/busia");
	end();
}
END_TEST

START_TEST(test_site_delete)
{
	struct store *st = begin(_i, "clinic"), *other = open_store("other");

	site_put(st, "obs", "kisumu", "ok", NULL, "1", false, 1);
	site_put(st, "obs", "siaya", "ok", NULL, "2", false, 2);
	site_put(st, "obs", "busia", "failed", "down", NULL, false, -1);
	site_put(st, "visits", "siaya", "ok", NULL, "3", false, 3);
	site_put(other, "obs", "siaya", "ok", NULL, "4", false, 4);

	/* one site left its group */
	ck_assert_int_eq(store_site_delete(st, "obs", "siaya"), 0);
	assert_site_names(st, NULL, "obs/busia,obs/kisumu,visits/siaya");
	ck_assert_int_eq(store_site_delete(st, "obs", "nowhere"), 0);
	/* every site of a target */
	ck_assert_int_eq(store_site_delete(st, "obs", NULL), 0);
	assert_site_names(st, NULL, "visits/siaya");
	assert_site_names(other, NULL, "obs/siaya");
	end();
}
END_TEST

/* a site's lag: from its last success to the server's clock */
START_TEST(test_sites_lag)
{
	struct store *st = begin(_i, "clinic");
	struct store_site *s;
	long n;

	if (be->set_clock)
		be->set_clock(1700000000.25);
	site_put(st, "obs", "kisumu", "ok", NULL, NULL, false, 1);
	if (be->set_clock)
		be->set_clock(1700003600.75);
	else
		be->exec("UPDATE etl_sites SET last_success_at = '2000-01-01 00:00:00'");
	s = site_get(st, "obs", "kisumu", &n);
	if (be->set_clock) {
		ck_assert_msg(fabs(s->lag - 3600.5) < 0.001, "%s: lag %g", be->name, s->lag);
	} else {
		/* since 2000 (whatever the time zone): more than 23 years, less than a century */
		double want = wall_seconds() - 946684800.0;

		ck_assert_msg(fabs(s->lag - want) < 2 * 86400, "%s: lag %g, want about %g", be->name,
		              s->lag, want);
	}
	store_sites_free(s, n);
	end();
}
END_TEST

/* a target forgotten (chacc clean) loses its sites; what is kept counts them */
START_TEST(test_sites_forgotten_with_target)
{
	struct store *st = begin(_i, "clinic");
	struct store_kept k;

	site_put(st, "obs", "kisumu", "ok", NULL, "1", false, 1);
	site_put(st, "visits", "kisumu", "ok", NULL, "1", false, 1);
	/* a target with sites but no watermark of its own: kept as its watermark */
	ck_assert_int_eq(store_kept(st, "obs", false, &k), 0);
	ck_assert(!k.marker && k.watermark && !k.others);
	ck_assert_int_eq(store_marker_begin(st, "obs", 1), 0);
	ck_assert_int_eq(store_marker_delete(st, "obs"), 0);
	assert_site_names(st, NULL, "visits/kisumu");
	ck_assert_int_eq(store_kept(st, "obs", false, &k), 0);
	ck_assert(!k.marker && !k.watermark);
	end();
}
END_TEST

/* the record of a site is the caller's transaction's: a rollback takes it back */
START_TEST(test_site_record_in_transaction)
{
	struct store *st = begin(_i, "clinic");
	struct store_site *s;
	struct db *d = NULL;
	long n;

	for (size_t i = 0; i < LEN(conns); i++)
		if (conns[i].st == st)
			d = conns[i].d;
	if (!d) {
		end();
		return;         /* the fake has no transactions */
	}
	site_put(st, "obs", "kisumu", "ok", NULL, "1", false, 1);
	ck_assert_int_eq(db_begin(d), 0);
	site_put(st, "obs", "kisumu", "failed", "down", NULL, false, -1);
	site_put(st, "obs", "siaya", "ok", NULL, "2", false, 2);
	ck_assert_int_eq(db_rollback(d), 0);
	assert_site_names(st, NULL, "obs/kisumu");
	assert_site_names(open_store("clinic"), NULL, "obs/kisumu");
	s = site_get(st, "obs", "kisumu", &n);
	ck_assert_str_eq(s->status, "ok");
	ck_assert_str_eq(s->watermark, "1");
	store_sites_free(s, n);
	ck_assert_int_eq(db_begin(d), 0);
	ck_assert_int_eq(store_site_delete(st, "obs", NULL), 0);
	ck_assert_int_eq(db_rollback(d), 0);
	assert_site_names(st, NULL, "obs/kisumu");
	end();
}
END_TEST

/* no etl_ tables at all: no sites, nothing to forget, nothing created */
START_TEST(test_sites_without_tables)
{
	struct store *st;
	struct store_site *s = NULL;
	struct marker m = { 0 };

	be = &contract_backends[_i];
	be->setup();
	st = open_store("clinic");
	ck_assert_int_eq(store_sites_load(st, NULL, &s), 0);
	store_sites_free(s, 0);
	ck_assert_int_eq(store_sites_load(st, "obs", &s), 0);
	store_sites_free(s, 0);
	ck_assert_int_eq(store_site_delete(st, "obs", NULL), 0);
	ck_assert_int_eq(store_marker_load(st, "etl_sites", &m), 0);
	ck_assert_msg(!m.table_exists, "%s: etl_sites was created", be->name);
	marker_release(&m);
	end();
}
END_TEST

/*
 * the tables as version 3 left them: those of version 4 but etl_sites, and
 * etl_schema at 3 (the DDL of the others did not change)
 */
START_TEST(test_sites_upgrade_from_version_3)
{
	struct store *st;
	struct store_site *s = NULL;
	struct store_site bad = { .target = (char *)"obs", .site = (char *)"kisumu", .status = "ok" };
	struct store_kept k;
	struct marker m = { 0 };
	char *err = NULL, *note = NULL;

	if (!contract_backends[_i].exec)
		return;                 /* the fake's tables have no versions of their own */
	st = begin(_i, "clinic");
	ck_assert_int_eq(store_marker_begin(st, "obs", 1), 0);
	ck_assert_int_eq(store_watermark_set(st, "obs", "src", "changed_at", "5", false), 0);
	be->exec("DROP TABLE etl_sites");
	be->exec("UPDATE etl_schema SET version = 3");
	ck_assert_int_eq(store_schema_version(st, &err), 3);

	/* read as they are: no sites, and a target is forgotten as before */
	ck_assert_int_eq(store_sites_load(st, NULL, &s), 0);
	store_sites_free(s, 0);
	ck_assert_int_eq(store_kept(st, "obs", false, &k), 0);
	ck_assert(k.marker && k.watermark);
	ck_assert_int_eq(store_site_delete(st, "obs", "kisumu"), 0);
	ck_assert_int_eq(store_site_record(st, &bad), -1);      /* no table to write */
	ck_assert_int_eq(store_schema_version(st, &err), 3);
	ck_assert_int_eq(store_marker_delete(st, "obs"), 0);
	ck_assert_int_eq(store_marker_load(st, "obs", &m), 0);
	ck_assert(!m.present);
	ck_assert_int_eq(store_marker_begin(st, "obs", 2), 0);

	/* an upgrade creates etl_sites, and keeps what was there */
	ck_assert_msg(store_schema_upgrade(st, &err, &note) == 1, "%s: %s", be->name, err);
	ck_assert_ptr_nonnull(note);
	ck_assert_msg(strstr(note, "from version 3 to 4"), "%s", note);
	free(note);
	ck_assert_int_eq(store_schema_version(st, &err), SCHEMA_VERSION);
	ck_assert_int_eq(store_schema_upgrade(st, &err, &note), 0);
	ck_assert_int_eq(store_marker_load(st, "obs", &m), 0);
	ck_assert(m.present);
	ck_assert_int_eq(m.run_id, 2);
	ck_assert_int_eq(store_marker_load(st, "etl_sites", &m), 0);
	ck_assert(m.table_exists);
	marker_release(&m);
	site_put(st, "obs", "kisumu", "ok", NULL, "1", false, 1);
	assert_site_names(st, NULL, "obs/kisumu");
	end();
}
END_TEST

#endif
