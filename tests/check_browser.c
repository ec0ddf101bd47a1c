/* check_browser.c: chacc's web UI in headless Chromium (the scripts of tests/browser), against real servers */
#include "webtest.h"

/* the UI in headless Chromium: tests/browser/run.mjs; screenshots under state/screenshots */
START_TEST(test_browser)
{
	struct proj p;
	struct server s;
	char *root = xstrdup(bin), *cmd, *slash = strrchr(root, '/');
	int st;

	*slash = '\0';
	proj_web(&p, "webui", false);
	server_start(&s, &p, NULL, NULL, NULL);
	cmd = xasprintf("cd '%s/tests/browser' && node run.mjs http://127.0.0.1:%d/ '%s/state/screenshots'"
	                " '%s' >'%s/browser.log' 2>&1", root, s.port, root, p.dir, tmpdir);
	st = system(cmd);
	if (st != 0) {
		char *log = xasprintf("%s/browser.log", tmpdir), *text = readfile(log, NULL);

		ck_abort_msg("%s: exit %d\n%s", cmd, st, text ? text : "");
	}
	free(cmd);
	free(root);
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

int
main(void)
{
	Suite *s = suite_create("browser");
	int rc;

	if (itest_setup("check_browser") < 0)
		return 0;
	add_case(s, "browser", test_browser);
	add_case(s, "graph", test_browser_graph);
	add_case(s, "timeline", test_browser_timeline);
	rc = run_suite(s);
	return rc;
}
