/* check_browser.c: chacc's web UI in headless Chromium (the scripts of tests/browser), against real servers */
#include "webtest.h"

/* the UI in headless Chromium: tests/browser/run.mjs; screenshots under state/screenshots */
START_TEST(test_browser)
{
	struct proj p;
	struct server s;

	proj_web(&p, "webui", false);
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "run.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* four eyes: tests/browser/review.mjs against chacc serve --users */
START_TEST(test_browser_review)
{
	static const char *const users[][4] = {
		{ "Vi Viewer", "vi@example.org", "vi-token-0001", "viewer" },
		{ "Ed Editor", "ed@example.org", "ed-token-0002", "editor" },
		{ "Ada Approver", "ada@example.org", "ada-token-0003", "approver" },
		{ "Bo Approver", "bo@example.org", "bo-token-0004", "approver" },
	};
	struct proj p;
	struct server s;

	proj_web(&p, "webreview", false);
	write_users(&p, users, LEN(users));
	server_start_users(&s, &p);
	browser_scenario(&s, &p, "review.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/*
 * a graph of 300 targets: fit, search, zoom to legible text, lineage, groups
 * (tests/browser/graph.mjs); no build needed
 */
START_TEST(test_browser_graph)
{
	struct proj p;
	struct server s;

	proj_web(&p, "graph300", false);
	proj_many_targets(&p, 300);
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "graph.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* the run timeline with a long target name, on a phone and a desktop (tests/browser/timeline.mjs) */
START_TEST(test_browser_timeline)
{
	struct proj p;
	struct server s;
	char *text = xasprintf("%s"
	                       "  - name: visit_counts_by_person_and_month_for_the_quarterly_report\n"
	                       "    kind: table\n"
	                       "    needs: [visit_counts]\n"
	                       "    query: ../sql/visit_report.sql\n", recipe);

	proj_web(&p, "timeline", false);
	write_file(&p, "recipes/clinic.yml", text);
	write_file(&p, "sql/visit_report.sql", "SELECT name, n FROM visit_counts\n");
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "timeline.mjs");
	server_stop(&s);
	proj_free(&p);
	free(text);
}
END_TEST

/*
 * the UI follows builds of the command line without a reload:
 * tests/browser/live.mjs runs 'chacc build' (CHACC_BIN) in the project while
 * the dashboard, the graph and the history are open
 */
START_TEST(test_browser_live)
{
	struct proj p;
	struct server s;

	proj_web(&p, "weblivebr", false);
	/* a second a row: long enough to be seen building */
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id WHERE SLEEP(1) = 0\n");
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "live.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* the root chacc.yml in the editor, upload folders, Check's SQL problems in place (tests/browser/sqlcheck.mjs) */
START_TEST(test_browser_sqlcheck)
{
	struct proj p;
	struct server s;
	char *cmd, *yml = str_replace(recipe, "chacc: 1\n", "chacc: 1\n# the recipe at the root\n");

	proj_web(&p, "websqlcheck", false);
	write_file(&p, "chacc.yml", yml);
	write_file(&p, "sql/empty/.keep", "");
	git(&p, "add -A");
	git(&p, "commit -q -m 'a root recipe'");
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "sqlcheck.mjs");
	/* the root recipe's edit is on its review branch */
	cmd = xasprintf("cd '%s' && git show 'review/1-the-root-recipe-from-the-browser:chacc.yml'"
	                " | grep -q 'edited in the browser'", p.dir);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	/* nothing was built */
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema ="
	           " DATABASE() AND table_name IN ('people', 'visits', 'people_visits')");
	free(cmd);
	free(yml);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/*
 * the history filtered and paged, deleting a file through a review, an
 * upload into a new folder, rebuild now (tests/browser/history.mjs): a
 * build of today, 25 scheduled runs of March 2024 (one a day failed), an
 * unused file, and a people_visits that builds for seconds
 */
START_TEST(test_browser_history)
{
	struct proj p;
	struct server s;
	struct result r;
	struct buf b;

	proj_web(&p, "webhistory", false);
	write_file(&p, "sql/unused.sql", "SELECT 1 AS one\n");
	git(&p, "add -A");
	git(&p, "commit -q -m 'an unused file'");
	r = chacc(&p, "-f", "recipes/clinic.yml", "build");
	assert_ok(&r);
	free(r.out);
	free(r.err);
	buf_init(&b);
	buf_adds(&b, "INSERT INTO etl_runs (recipe, mode, started_by, started_at, ended_at, result)"
	         " VALUES ");
	for (int i = 0; i < 25; i++)
		buf_addf(&b, "%s('clinic', 'scheduled', 'cron', '2024-03-%02d 02:%02d:00',"
		         " '2024-03-%02d 02:%02d:30', '%s')", i ? ", " : "", 1 + i / 5, i, 1 + i / 5,
		         i, i % 5 ? "success" : "failed");
	sql(p.tgt, "%s", b.s);
	buf_release(&b);
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id WHERE SLEEP(2) = 0\n");
	git(&p, "commit -q -am 'people_visits takes its time'");
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "history.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/*
 * a failed check on the dashboard and the target page, then a profile
 * (tests/browser/checks.mjs): visit_counts checks that nobody visited
 * twice, and ada did
 */
START_TEST(test_browser_checks)
{
	struct proj p;
	struct server s;
	struct result r;
	char *yml = xasprintf("%s    checks:\n      - not_null: [name]\n"
	                      "      - expression: \"n < 2\"\n        name: at_most_one_visit\n",
	                      recipe);

	proj_web(&p, "webchecksbr", false);
	write_file(&p, "recipes/clinic.yml", yml);
	r = chacc(&p, "-f", "recipes/clinic.yml", "build");
	ck_assert_msg(r.status == 1, "the check fails the build: %d %s", r.status, r.err);
	result_free(&r);
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "checks.mjs");
	server_stop(&s);
	proj_free(&p);
	free(yml);
}
END_TEST

/* a target that reads a group of sites, one failed: tests/browser/sites.mjs */
START_TEST(test_browser_sites)
{
	struct proj p;
	struct server s;

	proj_web(&p, "websites", false);
	proj_sites(&p);
	server_start(&s, &p, NULL, NULL, NULL);
	browser_scenario(&s, &p, "sites.mjs");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("browser");
	int rc;

	if (itest_setup("check_browser") < 0)
		return 0;
	add_case(s, "browser", test_browser);
	add_case(s, "review", test_browser_review);
	add_case(s, "graph", test_browser_graph);
	add_case(s, "timeline", test_browser_timeline);
	add_case(s, "browser_live", test_browser_live);
	add_case(s, "sqlcheck", test_browser_sqlcheck);
	add_case(s, "history", test_browser_history);
	add_case(s, "checks", test_browser_checks);
	add_case(s, "sites", test_browser_sites);
	rc = run_suite(s);
	return rc;
}
