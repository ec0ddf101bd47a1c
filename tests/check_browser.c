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

/* four eyes: tests/browser/review.mjs against chacc serve --users */
START_TEST(test_browser_review)
{
	static const char *const users[][4] = {
		{ "Ed Editor", "ed@example.org", "ed-token-0002", "editor" },
		{ "Ada Approver", "ada@example.org", "ada-token-0003", "approver" },
		{ "Bo Approver", "bo@example.org", "bo-token-0004", "approver" },
	};
	struct proj p;
	struct server s;
	char *root = xstrdup(bin), *cmd, *slash = strrchr(root, '/');
	int st;

	*slash = '\0';
	proj_web(&p, "webreview", false);
	write_users(&p, users, LEN(users));
	server_start_users(&s, &p);
	cmd = xasprintf("cd '%s/tests/browser' && node review.mjs http://127.0.0.1:%d/"
	                " '%s/state/screenshots' '%s' >'%s/browser-review.log' 2>&1", root, s.port,
	                root, p.dir, tmpdir);
	st = system(cmd);
	if (st != 0) {
		char *log = xasprintf("%s/browser-review.log", tmpdir), *text = readfile(log, NULL);

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
	add_case(s, "browser_review", test_browser_review);
	rc = run_suite(s);
	return rc;
}
