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
 * the UI follows builds of the command line without a reload:
 * tests/browser/live.mjs runs 'chacc build' (CHACC_BIN) in the project while
 * the dashboard, the graph and the history are open
 */
START_TEST(test_browser_live)
{
	struct proj p;
	struct server s;
	char *root = xstrdup(bin), *cmd, *slash = strrchr(root, '/');
	int st;

	*slash = '\0';
	proj_web(&p, "weblivebr", false);
	/* a second a row: long enough to be seen building */
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id WHERE SLEEP(1) = 0\n");
	server_start(&s, &p, NULL, NULL, NULL);
	cmd = xasprintf("cd '%s/tests/browser' && node live.mjs http://127.0.0.1:%d/ '%s/state/screenshots'"
	                " '%s' '%s' >'%s/browser-live.log' 2>&1", root, s.port, root, p.dir, bin, tmpdir);
	st = system(cmd);
	if (st != 0) {
		char *log = xasprintf("%s/browser-live.log", tmpdir), *text = readfile(log, NULL);

		ck_abort_msg("%s: exit %d\n%s", cmd, st, text ? text : "");
	}
	free(cmd);
	free(root);
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
	add_case(s, "browser_live", test_browser_live);
	rc = run_suite(s);
	return rc;
}
