/*
 * check_report.c: what status, the web UI and /metrics show of the sites of
 * a target that reads a group (report_sites.c), on the fake store in memory
 * with its own clock: sites recorded as a build records them
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_store.h"
#include "graph.h"
#include "marker.h"
#include "plan.h"
#include "recipe.h"
#include "report.h"
#include "session.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

/* 2026-12-01 10:00:00 UTC on the fake server's clock */
#define T0 1796119200.0

/* a recipe of two targets: obs reads a group of sites, visits does not */
static struct fake_server *srv;
static struct target targets[2];
static struct node nodes[2];
static struct plan_item items[2];
static struct marker markers[2];
static struct recipe rcp;
static struct session s;

static void
setup(void)
{
	srv = fake_server_new();
	fake_server_set_clock(srv, T0);
	memset(targets, 0, sizeof(targets));
	memset(markers, 0, sizeof(markers));
	targets[0].name = (char *)"obs";
	targets[0].kind = KIND_EXTRACT;
	targets[1].name = (char *)"visits";
	targets[1].kind = KIND_TABLE;
	for (size_t i = 0; i < 2; i++) {
		nodes[i] = (struct node){ .t = &targets[i], .id = i };
		items[i] = (struct plan_item){ .n = &nodes[i], .reason = REASON_NONE };
		markers[i].present = markers[i].table_exists = markers[i].lock_checked = true;
		snprintf(markers[i].status, sizeof(markers[i].status), "ok");
		snprintf(markers[i].built_at, TS_LEN, "2026-12-01 10:00:00.000000");
		markers[i].rows = 10;
	}
	rcp = (struct recipe){ .name = (char *)"clinic", .targets = targets, .ntargets = 2 };
	memset(&s, 0, sizeof(s));
	s.r = &rcp;
	s.markers = markers;
	s.conns.store = fake_store_open(srv, "clinic");
	ck_assert(s.conns.store);
}

static void
teardown(void)
{
	store_close(s.conns.store);
	fake_server_free(srv);
}

/* record a read of site of target at clock: ok, or failed with error */
static void
record(const char *target, const char *site, double clock, const char *error, const char *wm)
{
	struct store_site x = { .target = (char *)target, .site = (char *)site, .rows = 5,
	                        .watermark = (char *)wm, .lag = -1 };

	snprintf(x.status, sizeof(x.status), "%s", error ? "failed" : "ok");
	x.error = (char *)error;
	fake_server_set_clock(srv, clock);
	ck_assert_msg(store_site_record(s.conns.store, &x) == 0, "%s", store_error(s.conns.store));
}

/* a, b, c of obs read at T0; b fails two hours later; the clock 30 s on */
static void
three_sites(void)
{
	record("obs", "a", T0, NULL, "2026-12-01 09:59:00");
	record("obs", "b", T0, NULL, "2026-12-01 09:58:00");
	record("obs", "c", T0, NULL, "2026-12-01 09:57:00");
	record("obs", "b", T0 + 7200, "cannot connect to 10.9.8.7 as kisumu_reader",
	       "2026-12-01 09:58:00");
	record("obs", "a", T0 + 7200, NULL, "2026-12-01 11:59:00");
	fake_server_set_clock(srv, T0 + 7230);
}

static json_t *
site_of(json_t *list, const char *name)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (strcmp(json_string_value(json_object_get(x, "site")), name) == 0)
			return x;
	return NULL;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

START_TEST(test_sites_of_a_target)
{
	char *err = NULL, buf[64];
	json_t *all, *obs, *b, *a;

	three_sites();
	all = report_sites(&s, NULL, &err);
	ck_assert_msg(all, "%s", err);
	/* only the target that reads a group has sites */
	ck_assert_int_eq(json_object_size(all), 1);
	obs = json_object_get(all, "obs");
	ck_assert_int_eq(json_array_size(obs), 3);
	ck_assert_str_eq(str(json_array_get(obs, 0), "site"), "a");
	ck_assert_str_eq(str(json_array_get(obs, 2), "site"), "c");

	b = site_of(obs, "b");
	ck_assert_str_eq(str(b, "state"), "failed");
	ck_assert_str_eq(str(b, "error"), "cannot connect to 10.9.8.7 as kisumu_reader");
	ck_assert_str_eq(str(b, "watermark"), "2026-12-01 09:58:00");
	ck_assert(strstarts(str(b, "last_success"), "2026-12-01 10:00:00"));
	ck_assert(strstarts(str(b, "last_attempt"), "2026-12-01 12:00:00"));
	/* lag: from its last success to the server's clock */
	ck_assert_double_eq_tol(json_number_value(json_object_get(b, "lag_seconds")), 7230, 0.01);

	a = site_of(obs, "a");
	ck_assert_str_eq(str(a, "state"), "ok");
	ck_assert(json_is_null(json_object_get(a, "error")));
	ck_assert_str_eq(str(a, "watermark"), "2026-12-01 11:59:00");
	ck_assert_double_eq_tol(json_number_value(json_object_get(a, "lag_seconds")), 30, 0.01);
	ck_assert_int_eq(json_integer_value(json_object_get(a, "rows")), 5);

	ck_assert_int_eq(report_sites_failed(obs), 1);
	ck_assert_str_eq(report_sites_detail(obs, buf, sizeof(buf)), "1 of 3 sites failed");
	json_decref(all);

	/* one target: its sites only; a target without sites: none */
	all = report_sites(&s, "obs", &err);
	ck_assert_int_eq(json_array_size(json_object_get(all, "obs")), 3);
	json_decref(all);
	all = report_sites(&s, "visits", &err);
	ck_assert_int_eq(json_object_size(all), 0);
	json_decref(all);

	/* b read again: nothing failed, no detail */
	record("obs", "b", T0 + 7300, NULL, "2026-12-01 12:01:00");
	all = report_sites(&s, "obs", &err);
	obs = json_object_get(all, "obs");
	ck_assert_int_eq(report_sites_failed(obs), 0);
	ck_assert_ptr_null(report_sites_detail(obs, buf, sizeof(buf)));
	ck_assert(json_is_null(json_object_get(site_of(obs, "b"), "error")));
	json_decref(all);
}
END_TEST

START_TEST(test_never_read)
{
	char *err = NULL;
	json_t *all, *x;

	record("obs", "new", T0, "Access denied for user 'u'@'h'", NULL);
	all = report_sites(&s, "obs", &err);
	x = site_of(json_object_get(all, "obs"), "new");
	ck_assert_str_eq(str(x, "state"), "failed");
	ck_assert(json_is_null(json_object_get(x, "last_success")));
	ck_assert(json_is_null(json_object_get(x, "lag_seconds")));
	ck_assert(json_is_null(json_object_get(x, "watermark")));
	json_decref(all);
}
END_TEST

START_TEST(test_status_keeps_the_state)
{
	json_t *arr, *obs, *visits;

	three_sites();
	arr = report_status(&s, items, 2);
	obs = json_array_get(arr, 0);
	visits = json_array_get(arr, 1);
	/* a failed site leaves the target ok, with a detail and its sites */
	ck_assert_str_eq(str(obs, "state"), "ok");
	ck_assert_str_eq(str(obs, "detail"), "1 of 3 sites failed");
	ck_assert_int_eq(json_array_size(json_object_get(obs, "sites")), 3);
	ck_assert_str_eq(str(site_of(json_object_get(obs, "sites"), "b"), "state"), "failed");
	/* the keys of DESIGN §6 stay */
	ck_assert_str_eq(str(obs, "target"), "obs");
	ck_assert_int_eq(json_integer_value(json_object_get(obs, "rows")), 10);
	ck_assert(json_object_get(obs, "built_at") && json_object_get(obs, "watermark"));
	/* a target without sites has neither */
	ck_assert_str_eq(str(visits, "state"), "ok");
	ck_assert_ptr_null(json_object_get(visits, "sites"));
	ck_assert_ptr_null(json_object_get(visits, "detail"));
	json_decref(arr);

	/* with the source not checked too, the detail says both */
	items[0].unchecked = true;
	arr = report_status(&s, items, 1);
	ck_assert_str_eq(str(json_array_get(arr, 0), "detail"),
	                 "1 of 3 sites failed, source not checked");
	json_decref(arr);
}
END_TEST

START_TEST(test_store_cannot_tell)
{
	char *err = NULL;
	json_t *arr;

	three_sites();
	fake_server_fail(srv, 1);
	ck_assert_ptr_null(report_sites(&s, NULL, &err));
	ck_assert_msg(err && strstr(err, "cannot read the sites"), "%s", err ? err : "(null)");
	free(err);
	/* status without sites then, but status all the same */
	fake_server_fail(srv, 2);
	arr = report_status(&s, items, 2);
	ck_assert_int_eq(json_array_size(arr), 2);
	ck_assert_str_eq(str(json_array_get(arr, 0), "state"), "ok");
	json_decref(arr);
}
END_TEST

/* the value of the sample of metric name for target and site in text, or NAN when absent */
static double
sample(const char *text, const char *name, const char *site)
{
	char *want = xasprintf("%s{recipe=\"clinic\",target=\"obs\",site=\"%s\"} ", name, site);
	const char *at = strstr(text, want);
	double v = at ? atof(at + strlen(want)) : NAN;

	free(want);
	return v;
}

START_TEST(test_metrics)
{
	struct buf b;
	double last;

	three_sites();
	record("obs", "q\"uo\\te", T0, "down", NULL);
	fake_server_set_clock(srv, T0 + 7230);
	buf_init(&b);
	buf_adds(&b, "");
	report_sites_metrics(&s, &b);
	for (size_t i = 0; i < 3; i++) {
		static const char *const names[] = {
			"chacc_site_up", "chacc_site_lag_seconds",
			"chacc_site_last_success_timestamp_seconds",
		};
		char *help = xasprintf("# HELP %s ", names[i]), *type = xasprintf("# TYPE %s gauge\n",
		                                                                  names[i]);

		ck_assert_msg(strstr(b.s, help) && strstr(b.s, type), "%s", b.s);
		free(help);
		free(type);
	}
	ck_assert_double_eq(sample(b.s, "chacc_site_up", "a"), 1);
	ck_assert_double_eq(sample(b.s, "chacc_site_up", "b"), 0);
	ck_assert_double_eq_tol(sample(b.s, "chacc_site_lag_seconds", "b"), 7230, 0.01);
	ck_assert_double_eq_tol(sample(b.s, "chacc_site_lag_seconds", "a"), 30, 0.01);
	/* Unix time of the last success: now less the lag (the server's clock has no zone here) */
	last = sample(b.s, "chacc_site_last_success_timestamp_seconds", "b");
	ck_assert_msg(fabs(last - (now_seconds() - 7230)) < 5, "%f", last);
	/* label values escaped; a site never read has no lag and a last success of 0 */
	ck_assert_double_eq(sample(b.s, "chacc_site_up", "q\\\"uo\\\\te"), 0);
	ck_assert(isnan(sample(b.s, "chacc_site_lag_seconds", "q\\\"uo\\\\te")));
	ck_assert_double_eq(sample(b.s, "chacc_site_last_success_timestamp_seconds",
	                           "q\\\"uo\\\\te"), 0);
	buf_release(&b);
}
END_TEST

START_TEST(test_ages)
{
	char w[16];

	ck_assert_double_eq_tol(report_age("2026-12-01 10:00:00", "2026-12-01 12:00:30.5"), 7230.5,
	                        1e-6);
	ck_assert_double_eq_tol(report_age("2026-11-30 23:59:59.250000", "2026-12-01 00:00:00"),
	                        0.75, 1e-6);
	ck_assert_double_eq(report_age("", "2026-12-01 12:00:30"), -1);
	ck_assert_double_eq(report_age("2026-12-01 12:00:30", "soon"), -1);
	ck_assert_str_eq(report_age_words(59.9, w, sizeof(w)), "59s");
	ck_assert_str_eq(report_age_words(300, w, sizeof(w)), "5m");
	ck_assert_str_eq(report_age_words(7230, w, sizeof(w)), "2h");
	ck_assert_str_eq(report_age_words(3 * 86400 + 5, w, sizeof(w)), "3d");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("report");
	TCase *tc = tcase_create("sites");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sites_of_a_target);
	tcase_add_test(tc, test_never_read);
	tcase_add_test(tc, test_status_keeps_the_state);
	tcase_add_test(tc, test_store_cannot_tell);
	tcase_add_test(tc, test_metrics);
	tcase_add_test(tc, test_ages);
	suite_add_tcase(su, tc);
	return run_suite(su);
}
