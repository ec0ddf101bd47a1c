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

/* tests/browser/sqlcheck.mjs: the root chacc.yml in the editor, upload folders, Check's SQL problems in place */
START_TEST(test_browser_sqlcheck)
{
	struct proj p;
	struct server s;
	char *root = xstrdup(bin), *cmd, *slash = strrchr(root, '/'), *yml;
	int st;

	*slash = '\0';
	proj_web(&p, "websqlcheck", false);
	yml = str_replace(recipe, "chacc: 1\n", "chacc: 1\n# the recipe at the root\n");
	write_file(&p, "chacc.yml", yml);
	write_file(&p, "sql/empty/.keep", "");
	git(&p, "add -A");
	git(&p, "commit -q -m 'a root recipe'");
	server_start(&s, &p, NULL, NULL, NULL);
	cmd = xasprintf("cd '%s/tests/browser' && node sqlcheck.mjs http://127.0.0.1:%d/ '%s/state/screenshots'"
	                " '%s' >'%s/browser-sqlcheck.log' 2>&1", root, s.port, root, p.dir, tmpdir);
	st = system(cmd);
	if (st != 0) {
		char *log = xasprintf("%s/browser-sqlcheck.log", tmpdir), *text = readfile(log, NULL);

		ck_abort_msg("%s: exit %d\n%s", cmd, st, text ? text : "");
	}
	/* the root recipe's edit is on its review branch */
	free(cmd);
	cmd = xasprintf("cd '%s' && git show 'review/1-the-root-recipe-from-the-browser:chacc.yml'"
	                " | grep -q 'edited in the browser'", p.dir);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	/* nothing was built */
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema ="
	           " DATABASE() AND table_name IN ('people', 'visits', 'people_visits')");
	free(cmd);
	free(yml);
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
	add_case(s, "browser_sqlcheck", test_browser_sqlcheck);
	rc = run_suite(s);
	return rc;
}
