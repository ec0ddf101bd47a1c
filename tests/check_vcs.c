/* check_vcs.c: configs in git: builds from a revision, scheduled builds, config log and diff, symlinks */
#include "vcstest.h"

static void __attribute__((format(printf, 3, 4)))
assert_valf(struct db *d, const char *want, const char *fmt, ...)
{
	va_list ap;
	char *q, *v;

	va_start(ap, fmt);
	q = xvasprintf(fmt, ap);
	va_end(ap);
	v = val(d, "%s", q);
	ck_assert_msg(strcmp(v, want) == 0, "%s: got '%s', want '%s'", q, v, want);
	free(v);
	free(q);
}

/* the (target, reason, mode) triples of a JSON array, one per line */
static char *
triples(json_t *arr)
{
	struct buf b;
	size_t i;
	json_t *it;

	ck_assert_msg(json_is_array(arr), "not a JSON array");
	buf_init(&b);
	json_array_foreach(arr, i, it)
		buf_addf(&b, "%s %s %s\n", json_string_value(json_object_get(it, "target")),
		         json_string_value(json_object_get(it, "reason")),
		         json_string_value(json_object_get(it, "mode")));
	buf_addc(&b, '\0');
	return buf_detach(&b);
}

static char *
newest_run(struct proj *p, const char *col)
{
	return val(p->tgt, "SELECT %s FROM etl_runs ORDER BY run_id DESC LIMIT 1", col);
}

START_TEST(test_rev_reads_the_commit)
{
	struct proj p;
	struct result r;
	char *head, *v;

	vcs_proj_new(&p, "rev", true);
	head = git(&p, "rev-parse HEAD");
	r = vchacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.err, "not in a git repository"), "%s", r.err);
	result_free(&r);
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "6", "SELECT COUNT(*) FROM etl_metadata WHERE config_rev = '%s'"
	           " AND config_dirty = 0", head);

	/* uncommitted: a changed query and a new included file */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "more/beta.yml", beta);
	r = vchacc(&p, "plan", "--json", "--rev", "HEAD");
	assert_ok(&r);
	ck_assert_msg(strcmp(strtrim(r.out), "[]") == 0, "--rev HEAD plans: %s", r.out);
	result_free(&r);
	r = vchacc(&p, "build", "--rev", "HEAD");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "status", "--json", "--rev", "main");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "beta"), "%s", r.out);
	result_free(&r);

	/* the working tree is dirty: built, and recorded so */
	OK(&p, "build");
	assert_valf(p.tgt, "2", "SELECT x FROM lonely");
	assert_valf(p.tgt, "12", "SELECT y FROM beta");
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT config_dirty FROM etl_metadata WHERE target = 'lonely'");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_metadata WHERE target = 'people'");

	/* back to the commit: its definition, not dirty */
	OK(&p, "build", "--rev", "HEAD");
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, head, "SELECT config_rev FROM etl_metadata WHERE target = 'lonely'");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_metadata WHERE target = 'lonely'");
	v = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(v, "SELECT 2 AS x\n");
	free(v);
	free(head);
	proj_free(&p);
}
END_TEST

START_TEST(test_scheduled_builds_main)
{
	struct proj p;
	struct result r;
	char *mainid, *release, *mode;

	vcs_proj_new(&p, "sched", true);
	/* a release branch, then main names it as the revision cron builds */
	GIT(&p, "checkout -q -b release");
	write_file(&p, "sql/lonely.sql", "SELECT 7 AS x\n");
	GIT(&p, "commit -q -am 'seven for the release'");
	release = git(&p, "rev-parse HEAD");
	GIT(&p, "checkout -q main");
	mainid = git(&p, "rev-parse HEAD");
	/* work in progress on another branch, committed and not */
	GIT(&p, "checkout -q -b work");
	write_file(&p, "sql/lonely.sql", "SELECT 3 AS x\n");
	GIT(&p, "commit -q -am three");
	write_file(&p, "sql/lonely.sql", "SELECT 4 AS x\n");

	OK(&p, "build");
	assert_valf(p.tgt, "4", "SELECT x FROM lonely");
	r = vchacc(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_msg(strcmp(r.out, "") == 0, "--scheduled is quiet on success: %s", r.out);
	result_free(&r);
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	mode = newest_run(&p, "mode");
	ck_assert_str_eq(mode, "scheduled");
	free(mode);
	assert_valf(p.tgt, mainid, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "0", "SELECT config_dirty FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, mainid, "SELECT config_rev FROM etl_metadata WHERE target = 'lonely'");

	/* scheduled_rev: in main's recipe */
	/* the uncommitted edit set aside, put back below */
	GIT(&p, "checkout -q -- sql/lonely.sql");
	GIT(&p, "checkout -q main");
	{
		char *text = xasprintf("%s%s", recipe, "scheduled_rev: release\n");

		write_file(&p, "chacc.yml", text);
		free(text);
	}
	GIT(&p, "commit -q -am 'cron builds the release'");
	GIT(&p, "checkout -q work");
	write_file(&p, "sql/lonely.sql", "SELECT 4 AS x\n");
	OK(&p, "build", "--scheduled");
	assert_valf(p.tgt, "7", "SELECT x FROM lonely");
	assert_valf(p.tgt, release, "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	free(mainid);
	free(release);
	proj_free(&p);
}
END_TEST

START_TEST(test_diff_impact_is_the_plan_after_approval)
{
	struct proj p;
	struct result r;
	json_t *j;
	char *diff_impact, *show_impact, *plan, *range_impact, *text;

	vcs_proj_new(&p, "impact", true);
	OK(&p, "build");
	write_file(&p, "sql/people.sql",
	           "SELECT id, name, updated_at, voided FROM people WHERE id > 0\n");
	write_file(&p, "more/beta.yml", beta);

	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people: definition changed"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "target beta: added"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "-SELECT id, name, updated_at, voided FROM people\n"
	                     "+SELECT id, name, updated_at, voided FROM people WHERE id > 0\n"),
	              "%s", r.out);
	ck_assert_msg(strstr(r.out, "+  - name: beta\n"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "target lonely"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "diff", "--json");
	assert_ok(&r);
	j = parse(r.out);
	diff_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(diff_impact,
	                 "people definition changed full\n"
	                 "people_visits needs changed full\n"
	                 "visit_counts needs changed full\n"
	                 "beta missing full\n");

	/* a new file is proposed when named */
	r = vchacc(&p, "review", "propose", "-m", "People with an id; a beta table", "sql/people.sql",
	           "more/beta.yml");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "proposed review 1 on branch 'review/1-people-with-an-id-a-beta"),
	              "%s", r.out);
	result_free(&r);
	/* the working tree keeps the edits; drop them so that approval checks main out */
	GIT(&p, "checkout -- sql/people.sql");
	GIT(&p, "clean -q -f more");
	r = vchacc(&p, "review", "show", "--json", "1");
	assert_ok(&r);
	j = parse(r.out);
	show_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(show_impact, diff_impact);

	r = vchacc(&p, "review", "approve", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "fast-forwarded") && strstr(r.out, "working tree is up to date"),
	              "%s", r.out);
	result_free(&r);
	text = read_file(&p, "more/beta.yml");
	ck_assert_str_eq(text, beta);
	free(text);

	r = vchacc(&p, "plan", "--json");
	assert_ok(&r);
	j = parse(r.out);
	plan = triples(j);
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(plan, diff_impact);
	r = vchacc(&p, "config", "diff", "--json", "HEAD~1", "HEAD");
	assert_ok(&r);
	j = parse(r.out);
	range_impact = triples(json_object_get(j, "impact"));
	json_decref(j);
	result_free(&r);
	ck_assert_str_eq(range_impact, plan);

	free(diff_impact);
	free(show_impact);
	free(plan);
	free(range_impact);
	proj_free(&p);
}
END_TEST

/* a comment or white-space edit of a target's SQL is shown, and rebuilds nothing */
START_TEST(test_diff_comments_only)
{
	struct proj p;
	struct result r;
	json_t *j, *t;

	vcs_proj_new(&p, "comments", true);
	write_file(&p, "sql/people_visits.sql",
	           "-- one row per visit, with the person's name\n"
	           "SELECT v.id AS visit_id,\n       p.name,   v.at   /* when */\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people_visits: comments only, no rebuild\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "+-- one row per visit, with the person's name\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "impact: nothing to rebuild"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "definition changed"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "diff", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "targets")), 1);
	t = json_array_get(json_object_get(j, "targets"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t, "change")), "comments only, no rebuild");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "impact")), 0);
	json_decref(j);
	result_free(&r);
	/* a real edit beside it is a change, and only it rebuilds */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = vchacc(&p, "config", "diff");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target people_visits: comments only, no rebuild\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "target lonely: definition changed\n"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "impact: 1 target to rebuild"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_config_log_per_target)
{
	struct proj p;
	struct result r;
	char *c1, *c2, *c3, *c4, *c5, *s;
	json_t *j;

	vcs_proj_new(&p, "log", true);
	c1 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	GIT(&p, "commit -q -am 'lonely two'");
	c2 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people -- all\n");
	{
		/* visits gets an index: its recipe entry changes */
		char *text = xstrdup(recipe), *at = strstr(text, "    query: sql/visits.sql\n"
		                                                  "    key: [id]\n");
		char *edited;

		at += strlen("    query: sql/visits.sql\n    key: [id]\n");
		edited = xasprintf("%.*s    indexes: [[person_id]]\n%s", (int)(at - text), text, at);
		write_file(&p, "chacc.yml", edited);
		free(edited);
		free(text);
	}
	GIT(&p, "commit -q -am 'people comment, visits index'");
	c3 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "README.txt", "not config\n");
	GIT(&p, "commit -q -am readme");
	c4 = git(&p, "rev-parse --short=10 HEAD");
	write_file(&p, "more/beta.yml", beta);
	GIT(&p, "add more/beta.yml");
	GIT(&p, "commit -q -m beta");
	c5 = git(&p, "rev-parse --short=10 HEAD");

	r = vchacc(&p, "config", "log", "lonely");
	assert_ok(&r);
	ck_assert_msg(count(r.out, "\n") == 2 && strstr(r.out, c2) && strstr(r.out, c1), "%s", r.out);
	ck_assert_msg(strstr(r.out, "definition changed") && strstr(r.out, "added"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "log", "--json", "visits");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 2);
	ck_assert(strncmp(json_string_value(json_object_get(json_array_get(j, 0), "commit")), c3, 10)
	          == 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "message")),
	                 "people comment, visits index");
	json_decref(j);
	result_free(&r);

	r = vchacc(&p, "config", "log");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, c5) && strstr(r.out, c3) && strstr(r.out, c2) &&
	              strstr(r.out, c1) && !strstr(r.out, c4), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "config", "log", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 4);
	s = changes(json_array_get(j, 0));
	ck_assert_str_eq(s, "beta added\n");
	free(s);
	s = changes(json_array_get(j, 1));
	/* a comment in people's SQL is shown, and is no definition change */
	ck_assert_str_eq(s, "people comments only, no rebuild\nvisits definition changed\n");
	free(s);
	s = changes(json_array_get(j, 2));
	ck_assert_str_eq(s, "lonely definition changed\n");
	free(s);
	s = changes(json_array_get(j, 3));
	ck_assert_str_eq(s, "people added\nvisits added\npeople_visits added\nvisit_counts added\n"
	                 "lonely added\nalpha added\n");
	free(s);
	json_decref(j);
	result_free(&r);
	r = vchacc(&p, "config", "log", "nosuch");
	assert_exit(&r, 2, "unknown target 'nosuch'");
	result_free(&r);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
	free(c5);
	proj_free(&p);
}
END_TEST

START_TEST(test_outside_git_says_once)
{
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "nogit", false);
	r = vchacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(count(r.err, "not in a git repository") == 1 &&
	              count(r.err, "revisions are not recorded") == 1 && count(r.err, "\n") == 1,
	              "%s", r.err);
	result_free(&r);
	assert_valf(p.tgt, "", "SELECT config_rev FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_valf(p.tgt, "1", "SELECT x FROM lonely");
	r = vchacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(count(r.err, "not in a git repository") == 1, "%s", r.err);
	result_free(&r);
	r = vchacc(&p, "build", "--rev", "HEAD");
	assert_exit(&r, 2, "not in a git repository");
	result_free(&r);
	r = vchacc(&p, "config", "log");
	assert_exit(&r, 2, "not in a git repository");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_recipe_through_a_symlink)
{
	struct proj p;
	struct result r;
	char *link, *recipe_path;

	vcs_proj_new(&p, "symlink", true);
	link = xasprintf("%s-link", p.dir);
	unlink(link);
	ck_assert_int_eq(symlink(p.dir, link), 0);
	recipe_path = xasprintf("%s/chacc.yml", link);
	r = vchacc(&p, "-f", recipe_path, "validate", "--rev", "main");
	assert_ok(&r);
	result_free(&r);
	r = vchacc(&p, "-f", recipe_path, "build", "--scheduled");
	assert_ok(&r);
	result_free(&r);
	assert_valf(p.tgt, "1", "SELECT config_rev IS NOT NULL FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	unlink(link);
	free(link);
	free(recipe_path);
	proj_free(&p);
}
END_TEST

/* every row the clinic's targets hold, one table a line */
static char *
all_rows(struct proj *p)
{
	static const char *const q[] = {
		"SELECT GROUP_CONCAT(id, name ORDER BY id) FROM people",
		"SELECT GROUP_CONCAT(visit_id, name ORDER BY visit_id) FROM people_visits",
		"SELECT GROUP_CONCAT(x ORDER BY x) FROM lonely",
		"SELECT GROUP_CONCAT(v ORDER BY v) FROM alpha",
	};
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < LEN(q); i++) {
		char *v = val(p->tgt, "%s", q[i]);

		buf_addf(&b, "%s\n", v);
		free(v);
	}
	return buf_detach(&b);
}

START_TEST(test_symlinks_read_through_from_git)
{
	struct proj p;
	struct result r;
	char *wt, *rev, *sched, *top, real[PATH_MAX];

	vcs_proj_new(&p, "links", true);
	ck_assert(realpath(p.dir, real) != NULL);
	/* a chain of relative links; an absolute link into the working tree */
	write_file(&p, "sql/real/lonely.sql", "SELECT 5 AS x UNION ALL SELECT 6\n");
	link_file(&p, "lonely2.sql", "sql/lonely.sql");
	link_file(&p, "real/lonely.sql", "sql/lonely2.sql");
	write_file(&p, "sql/real/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	top = xasprintf("%s/sql/real/people.sql", real);
	link_file(&p, top, "sql/people.sql");
	free(top);
	/* an included recipe linked from elsewhere, its query through a linked directory */
	write_file(&p, "shared/alpha.yml",
	           "targets:\n  - name: alpha\n    kind: table\n    query: sql/viadir/alpha.sql\n");
	link_file(&p, "../shared/alpha.yml", "more/alpha.yml");
	link_file(&p, "real", "sql/viadir");
	write_file(&p, "sql/real/alpha.sql", "SELECT 'z' AS v UNION ALL SELECT 'y'\n");
	GIT(&p, "add -A chacc.yml more sql shared");
	GIT(&p, "commit -q -m 'links'");

	OK(&p, "build");
	wt = all_rows(&p);
	ck_assert_str_eq(wt, "1ada,2bob,3cy\n10ada,11ada,12bob\n5,6\ny,z\n");
	/* the commit defines every target as the working tree does */
	r = vchacc(&p, "plan", "--json", "--rev", "main");
	assert_ok(&r);
	ck_assert_msg(strcmp(strtrim(r.out), "[]") == 0, "--rev main plans: %s\n%s", r.out, r.err);
	result_free(&r);
	OK(&p, "build", "--rev", "main", "--full-refresh");
	rev = all_rows(&p);
	ck_assert_str_eq(rev, wt);
	OK(&p, "build", "--scheduled", "--full-refresh");
	sched = all_rows(&p);
	ck_assert_str_eq(sched, wt);
	assert_valf(p.tgt, "0", "SELECT COUNT(*) FROM etl_runs WHERE result <> 'success'");

	/* links that leave the repository or loop: refused, naming the link */
	link_file(&p, "../../outside.sql", "sql/visits.sql");
	link_file(&p, "loop2.sql", "sql/alpha2.sql");
	link_file(&p, "alpha2.sql", "sql/loop2.sql");
	write_file(&p, "shared/alpha.yml",
	           "targets:\n  - name: alpha\n    kind: table\n    query: sql/alpha2.sql\n");
	GIT(&p, "add -A sql shared");
	GIT(&p, "commit -q -m 'bad links'");
	r = vchacc(&p, "validate", "--rev", "main");
	assert_exit(&r, 2, "symbolic link 'sql/visits.sql' leads out of the repository");
	ck_assert_msg(strstr(r.err, "'sql/alpha2.sql' is part of a loop") ||
	              strstr(r.err, "'sql/loop2.sql' is part of a loop"), "%s", r.err);
	result_free(&r);
	r = vchacc(&p, "build", "--scheduled");
	assert_exit(&r, 2, "symbolic link 'sql/visits.sql' leads out of the repository");
	result_free(&r);
	free(wt);
	free(rev);
	free(sched);
	proj_free(&p);
}
END_TEST

START_TEST(test_bad_revision)
{
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "badrev", true);
	r = vchacc(&p, "build", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	ck_assert_int_eq(count(r.err, "\n"), 1);
	result_free(&r);
	r = vchacc(&p, "plan", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "config", "diff", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "config", "log", "--rev", "nosuch");
	assert_exit(&r, 2, "unknown revision 'nosuch'");
	result_free(&r);
	r = vchacc(&p, "review", "show", "99");
	assert_exit(&r, 2, "unknown review '99'");
	result_free(&r);
	assert_valf(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = 'etl_runs'");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vcs");
	TCase *tc = tcase_create("vcs");

	if (vcs_setup("check_vcs") < 0)
		return 0;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rev_reads_the_commit);
	tcase_add_test(tc, test_scheduled_builds_main);
	tcase_add_test(tc, test_diff_impact_is_the_plan_after_approval);
	tcase_add_test(tc, test_diff_comments_only);
	tcase_add_test(tc, test_config_log_per_target);
	tcase_add_test(tc, test_outside_git_says_once);
	tcase_add_test(tc, test_bad_revision);
	tcase_add_test(tc, test_recipe_through_a_symlink);
	tcase_add_test(tc, test_symlinks_read_through_from_git);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
