/* check_review.c: reviews in git: propose, list, show, approve and reject, conflicts, authors */
#include "vcstest.h"

START_TEST(test_review_propose_list_show_approve_reject)
{
	static const char *const grace[] = { "GIT_AUTHOR_NAME=Grace Hopper",
	                                     "GIT_AUTHOR_EMAIL=grace@example.org", NULL };
	static const char *const lin[] = { "CHACC_AUTHOR=Lin Chen <lin@example.org>", NULL };
	struct proj p;
	struct result r;
	char *status0, *status1, *head0, *head1, *mainid, *s;
	json_t *j;

	vcs_proj_new(&p, "review", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "sql/visits.sql", "SELECT id, person_id, at FROM visits WHERE id > 0\n");
	write_file(&p, "README.txt", "not a config file\n");
	status0 = git(&p, "status --porcelain");
	head0 = git(&p, "rev-parse HEAD");

	/* named files, author from the environment */
	r = vchacc_env(&p, grace, "review", "propose", "-m", "Two for lonely", "sql/lonely.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "review 1 on branch 'review/1-two-for-lonely'"), "%s", r.out);
	result_free(&r);
	status1 = git(&p, "status --porcelain");
	head1 = git(&p, "rev-parse --abbrev-ref HEAD");
	ck_assert_str_eq(status1, status0);
	ck_assert_str_eq(head1, "main");
	free(status1);
	free(head1);
	head1 = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(head1, head0);
	free(head1);
	s = git(&p, "show --format=%%an%%n%%P --name-only review/1-two-for-lonely");
	ck_assert_msg(strstr(s, "Grace Hopper") && strstr(s, head0) && strstr(s, "sql/lonely.sql") &&
	              !strstr(s, "visits") && !strstr(s, "README"), "%s", s);
	free(s);

	/* every changed config file by default; author from CHACC_AUTHOR */
	r = vchacc_env(&p, lin, "review", "propose", "-m", "Visits with an id");
	assert_ok(&r);
	result_free(&r);
	s = git(&p, "show --format=%%an --name-only review/2-visits-with-an-id");
	ck_assert_msg(strstr(s, "Lin Chen") && strstr(s, "sql/visits.sql") &&
	              strstr(s, "sql/lonely.sql") && !strstr(s, "README"), "%s", s);
	free(s);

	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "review/1-two-for-lonely") && strstr(r.out, "Grace Hopper") &&
	              count(r.out, " open ") == 2, "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "review", "show", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "target lonely: definition changed") &&
	              strstr(r.out, "-SELECT 1 AS x\n+SELECT 2 AS x\n") &&
	              strstr(r.out, "lonely                           definition changed full"),
	              "%s", r.out);
	result_free(&r);

	/*
	 * fast-forward; the working tree holds the proposed edit, so it follows
	 * main (the index too) and keeps the edit of visits
	 */
	r = vchacc(&p, "review", "approve", "1");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "fast-forwarded") && strstr(r.out, "the working tree is up to date"),
	              "%s", r.out);
	ck_assert_msg(!strstr(r.err, "note"), "%s", r.err);
	result_free(&r);
	mainid = git(&p, "rev-parse main");
	s = git(&p, "rev-parse review/1-two-for-lonely");
	ck_assert_str_eq(mainid, s);
	free(s);
	free(mainid);
	s = git(&p, "show :sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* review 2 forked before 1 was merged: a merge commit, the clean working tree follows */
	GIT(&p, "reset -q --hard");
	GIT(&p, "checkout -q -- .");
	r = vchacc(&p, "review", "approve", "review/2-visits-with-an-id");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "merged into 'main'") && strstr(r.out, "up to date"), "%s",
	              r.out);
	result_free(&r);
	s = git(&p, "rev-list --parents -n 1 main");
	ck_assert_msg(count(s, " ") == 2, "a merge has two parents: %s", s);
	free(s);
	s = read_file(&p, "sql/visits.sql");
	ck_assert_str_eq(s, "SELECT id, person_id, at FROM visits WHERE id > 0\n");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no");
	ck_assert_str_eq(s, "");
	free(s);
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 1, "approved already");
	result_free(&r);

	/* a third, rejected */
	write_file(&p, "sql/alpha.sql", "SELECT 'b' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha b");
	GIT(&p, "checkout -q -- .");
	r = vchacc(&p, "review", "reject", "3");
	assert_ok(&r);
	result_free(&r);
	r = vchacc(&p, "review", "list", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "status")),
	                 "approved");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 1), "status")),
	                 "approved");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "status")),
	                 "rejected");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 2), "branch")),
	                 "review/3-alpha-b");
	json_decref(j);
	result_free(&r);
	s = git(&p, "branch --list 'review/3*'");
	ck_assert_str_eq(s, "");
	free(s);
	GIT(&p, "show-ref -q refs/chacc/rejected/3-alpha-b");
	r = vchacc(&p, "review", "approve", "3");
	assert_exit(&r, 1, "rejected");
	result_free(&r);
	r = vchacc(&p, "review", "show", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "status: rejected") && strstr(r.out, "+SELECT 'b' AS v"), "%s",
	              r.out);
	result_free(&r);

	/* the next id follows the rejected one; main not checked out: the branch only */
	write_file(&p, "sql/alpha.sql", "SELECT 'c' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha c", "sql/alpha.sql");
	GIT(&p, "checkout -q -- .");
	GIT(&p, "checkout -q -b elsewhere");
	r = vchacc(&p, "review", "approve", "4");
	assert_exit(&r, 0, "'main' is not checked out");
	result_free(&r);
	s = git(&p, "show main:sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'c' AS v");
	free(s);
	s = read_file(&p, "sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'a' AS v\n");
	free(s);

	free(status0);
	free(head0);
	proj_free(&p);
}
END_TEST

START_TEST(test_conflicts_are_refused)
{
	struct proj p;
	struct result r;
	char *before, *after;

	vcs_proj_new(&p, "conflict", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	OK(&p, "review", "propose", "-m", "two");
	write_file(&p, "sql/lonely.sql", "SELECT 3 AS x\n");
	OK(&p, "review", "propose", "-m", "three");
	GIT(&p, "checkout -q -- .");
	OK(&p, "review", "approve", "1");
	before = git(&p, "rev-parse main");
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 1, "review 2 conflicts with 'main' in 'sql/lonely.sql'");
	result_free(&r);
	after = git(&p, "rev-parse main");
	ck_assert_str_eq(after, before);
	r = vchacc(&p, "review", "show", "2");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "conflicts with 'main' in: sql/lonely.sql") &&
	              strstr(r.out, "+SELECT 3 AS x"), "%s", r.out);
	result_free(&r);
	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "open") && strstr(r.out, "approved"), "%s", r.out);
	result_free(&r);
	free(before);
	free(after);
	proj_free(&p);
}
END_TEST

/* every file of the working tree but .git: path, type, mode, size, mtime, link and content */
static char *
snapshot(struct proj *p)
{
	char *cmd = xasprintf("cd '%s' && find . -path ./.git -prune -o -printf '%%p %%y %%m %%s %%T@"
	                      " %%l\\n' | sort && find . -path ./.git -prune -o -type f -print0 |"
	                      " sort -z | xargs -0 sha256sum", p->dir);
	FILE *f = popen(cmd, "r");
	char buf[4096];
	struct buf out;
	size_t n;

	ck_assert(f != NULL);
	buf_init(&out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		buf_add(&out, buf, n);
	ck_assert_int_eq(pclose(f), 0);
	buf_addc(&out, '\0');
	ck_assert_msg(strstr(out.s, "./sql/"), "%s", out.s);
	free(cmd);
	return buf_detach(&out);
}

/* a proposal made in memory: through links, with modes, never writing a file */
START_TEST(test_propose_text_writes_no_file)
{
	struct proj p;
	struct vcs *v = NULL;
	struct vcs_review rv;
	char *err = NULL, *before, *after, *status0, *status1, *head0, *head1, *s, cwd[PATH_MAX];

	vcs_proj_new(&p, "memory", true);
	write_file(&p, "sql/run.sql", "SELECT 'run' AS r\n");
	write_file(&p, "sql/real/linked.sql", "SELECT 'linked' AS l\n");
	link_file(&p, "real/linked.sql", "sql/link.sql");
	link_file(&p, "real", "sql/viadir");
	link_file(&p, "../../elsewhere.sql", "sql/out.sql");
	GIT(&p, "add sql");
	GIT(&p, "update-index --chmod=+x sql/run.sql");
	GIT(&p, "commit -q -m 'an executable and links'");
	GIT(&p, "checkout -q -- sql/run.sql");
	write_file(&p, "sql/lonely.sql", "SELECT 9 AS x\n");
	before = snapshot(&p);
	status0 = git(&p, "status --porcelain");
	head0 = git(&p, "rev-parse HEAD");
	ck_assert(getcwd(cwd, sizeof(cwd)) != NULL);
	ck_assert_int_eq(chdir(p.dir), 0);
	ck_assert_msg(vcs_open(&v, "chacc.yml", ".", &err) == 0, "%s", err);

	/* the lock file a proposal killed while creating its branch left does not block it */
	write_file(&p, ".git/refs/heads/review/1-run-two.lock", "");
	/* an executable stays one */
	ck_assert_msg(vcs_review_propose_text(v, "run two", "sql/run.sql", "SELECT 'run2' AS r\n", 19,
	                                      &rv, &err) == 0, "%s", err);
	ck_assert(access(".git/refs/heads/review/1-run-two.lock", F_OK) < 0);
	ck_assert_int_eq(rv.id, 1);
	ck_assert_str_eq(rv.branch, "review/1-run-two");
	vcs_review_release(&rv);
	s = git(&p, "ls-tree review/1-run-two sql/run.sql");
	ck_assert_msg(strstarts(s, "100755 blob"), "%s", s);
	free(s);
	s = git(&p, "show review/1-run-two:sql/run.sql");
	ck_assert_str_eq(s, "SELECT 'run2' AS r");
	free(s);
	/* only the edit: the working tree's other change is not in it */
	s = git(&p, "diff --name-only main review/1-run-two");
	ck_assert_str_eq(s, "sql/run.sql");
	free(s);

	/* through a link: its target changes, the link stays */
	ck_assert_msg(vcs_review_propose_text(v, "linked", "sql/link.sql", "SELECT 'l2' AS l\n", 17,
	                                      &rv, &err) == 0, "%s", err);
	ck_assert_int_eq(rv.id, 2);
	vcs_review_release(&rv);
	s = git(&p, "ls-tree review/2-linked sql/link.sql");
	ck_assert_msg(strstarts(s, "120000 blob"), "%s", s);
	free(s);
	s = git(&p, "cat-file -p review/2-linked:sql/link.sql");
	ck_assert_str_eq(s, "real/linked.sql");
	free(s);
	s = git(&p, "show review/2-linked:sql/real/linked.sql");
	ck_assert_str_eq(s, "SELECT 'l2' AS l");
	free(s);

	/* a new file in a linked directory: in the directory the link leads to */
	ck_assert_msg(vcs_review_propose_text(v, "new", "sql/viadir/new.sql", "SELECT 3 AS n\n", 14,
	                                      &rv, &err) == 0, "%s", err);
	vcs_review_release(&rv);
	s = git(&p, "ls-tree -r review/3-new sql");
	ck_assert_msg(strstr(s, "100644 blob") && strstr(s, "\tsql/real/new.sql") &&
	              strstr(s, "120000 blob") && !strstr(s, "sql/viadir/new.sql"), "%s", s);
	free(s);

	/* refused: out of the repository, unchanged, no message */
	ck_assert_int_eq(vcs_review_propose_text(v, "out", "sql/out.sql", "SELECT 1\n", 9, &rv, &err),
	                 -1);
	ck_assert_msg(strstr(err, "'sql/out.sql'") && strstr(err, "leads out of the repository"), "%s",
	              err);
	free(err);
	err = NULL;
	ck_assert_int_eq(vcs_review_propose_text(v, "same", "sql/lonely.sql", "SELECT 1 AS x\n", 14,
	                                         &rv, &err), -1);
	ck_assert_msg(strstr(err, "nothing to propose"), "%s", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(vcs_review_propose_text(v, "", "sql/lonely.sql", "SELECT 2\n", 9, &rv, &err),
	                 -1);
	free(err);
	err = NULL;
	vcs_free(v);
	ck_assert_int_eq(chdir(cwd), 0);

	/* the working tree, index and HEAD are as they were */
	after = snapshot(&p);
	ck_assert_str_eq(after, before);
	status1 = git(&p, "status --porcelain");
	ck_assert_str_eq(status1, status0);
	head1 = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(head1, head0);
	s = git(&p, "branch --list 'review/*'");
	ck_assert_int_eq(count(s, "review/"), 3);
	free(s);

	/* the command line commits a link of the working tree as a link */
	write_file(&p, "sql/real/lonely.sql", "SELECT 4 AS x\n");
	link_file(&p, "real/lonely.sql", "sql/lonely.sql");
	OK(&p, "review", "propose", "-m", "lonely linked", "sql/lonely.sql", "sql/real/lonely.sql");
	s = git(&p, "ls-tree -r review/4-lonely-linked sql");
	ck_assert_msg(strstr(s, "120000 blob") && strstr(s, "\tsql/lonely.sql\n"), "%s", s);
	free(s);
	free(before);
	free(after);
	free(status0);
	free(status1);
	free(head0);
	free(head1);
	proj_free(&p);
}
END_TEST

/* proposals made at the same moment each get a number of their own */
START_TEST(test_concurrent_proposals_get_distinct_numbers)
{
	enum { N = 12 };
	struct proj p;
	struct result r;
	pid_t pids[N];
	int outs[N], errs[N];
	char msgs[N][32];
	json_t *j, *it;
	size_t i;
	bool seen[N + 1] = { false };

	vcs_proj_new(&p, "race", true);
	/* a history of rejected reviews, so that numbering one has something to read */
	GIT(&p, "rev-parse HEAD | awk '{ for (i = 1; i <= 400; i++)"
	    " printf \"create refs/chacc/rejected/%%d-old %%s\\n\", i, $1 }' | git update-ref --stdin");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	for (i = 0; i < N; i++) {
		snprintf(msgs[i], sizeof(msgs[i]), "change %zu", i);
		pids[i] = chacc_start_envs(&p, NULL, &outs[i], &errs[i],
		                           (char *const[]){ "review", "propose", "-m", msgs[i],
		                                            "sql/lonely.sql", NULL });
	}
	for (i = 0; i < N; i++) {
		int st = wait_status(pids[i]);
		char *out = slurp_fd(outs[i]), *e = slurp_fd(errs[i]);

		ck_assert_msg(st == 0, "proposal %zu: exit %d: %s", i, st, e);
		free(out);
		free(e);
	}
	r = vchacc(&p, "review", "list", "--json");
	assert_ok(&r);
	j = parse(r.out);
	ck_assert_int_eq(json_array_size(j), N + 400);
	json_array_foreach(j, i, it) {
		json_int_t id = json_integer_value(json_object_get(it, "id")) - 400;

		if (id < 1)
			continue;
		ck_assert_msg(id <= N && !seen[id], "review %lld twice", (long long)id + 400);
		seen[id] = true;
	}
	json_decref(j);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_propose_needs_an_author)
{
	static const char *const nobody[] = { "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "CHACC_AUTHOR",
	                                      NULL };
	struct proj p;
	struct result r;

	vcs_proj_new(&p, "author", true);
	GIT(&p, "config --unset user.name");
	GIT(&p, "config --unset user.email");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = vchacc_env(&p, nobody, "review", "propose", "-m", "anonymous");
	assert_exit(&r, 1, "no author");
	result_free(&r);
	r = vchacc(&p, "review", "propose", "sql/lonely.sql");
	assert_exit(&r, 2, "-m MESSAGE");
	result_free(&r);
	r = vchacc(&p, "review", "list");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "no reviews"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_propose_prints_files_and_leaves_untracked_out)
{
	struct proj p;
	struct result r;
	char *s, *before, *after;

	vcs_proj_new(&p, "untracked", true);
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	write_file(&p, "sql/extra.sql", "SELECT 'scratch' AS s\n");
	r = vchacc(&p, "review", "propose", "-m", "two");
	assert_exit(&r, 0, "left out 'sql/extra.sql': git does not track it");
	ck_assert_msg(strstr(r.out, "  M sql/lonely.sql\n") && !strstr(r.out, "extra"), "%s", r.out);
	result_free(&r);
	s = git(&p, "show --format= --name-status review/1-two");
	ck_assert_str_eq(s, "M\tsql/lonely.sql");
	free(s);

	/* named, it goes in; --json lists the files too */
	r = vchacc(&p, "review", "propose", "--json", "-m", "extra", "sql/extra.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"status\": \"A\"") && strstr(r.out, "\"sql/extra.sql\""),
	              "%s", r.out);
	result_free(&r);

	/* the working tree loads (sql/gamma.sql is there) but the proposed commit does not */
	write_file(&p, "sql/gamma.sql", "SELECT 3 AS g\n");
	write_file(&p, "more/gamma.yml",
	           "targets:\n  - name: gamma\n    kind: table\n    query: sql/gamma.sql\n");
	OK(&p, "validate");
	before = git(&p, "for-each-ref refs/heads/review");
	r = vchacc(&p, "review", "propose", "-m", "gamma", "more/gamma.yml");
	assert_exit(&r, 2, "does not load at the proposed commit");
	ck_assert_msg(strstr(r.err, "sql/gamma.sql") && strstr(r.err, "--force"), "%s", r.err);
	result_free(&r);
	after = git(&p, "for-each-ref refs/heads/review");
	ck_assert_str_eq(after, before);
	free(after);
	r = vchacc(&p, "review", "propose", "-m", "gamma", "more/gamma.yml", "sql/gamma.sql");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "A more/gamma.yml") && strstr(r.out, "A sql/gamma.sql"), "%s",
	              r.out);
	result_free(&r);
	r = vchacc(&p, "review", "propose", "--force", "-m", "gamma alone", "more/gamma.yml");
	assert_ok(&r);
	result_free(&r);
	free(before);
	proj_free(&p);
}
END_TEST

/* run the git commands a note gives, after its marker, in the project */
static void
run_note(struct proj *p, const char *err, const char *marker)
{
	const char *cmd = strstr(err, marker);
	char *line, *nl;

	ck_assert_msg(cmd != NULL, "no '%s' in: %s", marker, err);
	line = xstrdup(cmd + strlen(marker));
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	ck_assert_msg(strstarts(line, "git "), "not a git command: %s", line);
	/* git() runs "git ARGS" through the shell: the rest of a && list runs too */
	free(git(p, "%s", line + 4));
	free(line);
}

START_TEST(test_approve_note_gives_commands_that_work)
{
	static const char base[] = "SELECT 1 AS x\n-- one\n-- two\n-- three\n-- four\n";
	struct proj p;
	struct result r;
	char *s, *mainid;

	vcs_proj_new(&p, "follow", true);
	write_file(&p, "sql/lonely.sql", base);
	GIT(&p, "commit -q -am 'longer lonely'");

	/* the file holds more than the proposal: main moves, the note says how to follow */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- four\n");
	OK(&p, "review", "propose", "-m", "two", "sql/lonely.sql");
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	r = vchacc(&p, "review", "approve", "1");
	assert_exit(&r, 0, "edits of its own in 'sql/lonely.sql'");
	ck_assert_msg(!strstr(r.out, "up to date"), "%s", r.out);
	s = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	free(s);
	run_note(&p, r.err, "merging your edits: ");
	result_free(&r);
	s = git(&p, "rev-parse --abbrev-ref HEAD");
	ck_assert_str_eq(s, "main");
	free(s);
	s = git(&p, "diff --cached --name-only");
	ck_assert_str_eq(s, "");
	free(s);
	s = git(&p, "show HEAD:sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- four");
	free(s);
	s = read_file(&p, "sql/lonely.sql");
	ck_assert_str_eq(s, "SELECT 2 AS x\n-- one\n-- two\n-- three\n-- FOUR\n");
	free(s);

	/* on another branch: the note's command switches to main, keeping the edits */
	GIT(&p, "checkout -q -- .");
	write_file(&p, "sql/alpha.sql", "SELECT 'b' AS v\n");
	OK(&p, "review", "propose", "-m", "alpha b", "sql/alpha.sql");
	GIT(&p, "checkout -q -- .");
	GIT(&p, "checkout -q -b elsewhere");
	write_file(&p, "sql/visits.sql", "SELECT id FROM visits\n");
	r = vchacc(&p, "review", "approve", "2");
	assert_exit(&r, 0, "'main' is not checked out here ('elsewhere' is)");
	run_note(&p, r.err, "keeping your edits: ");
	result_free(&r);
	mainid = git(&p, "rev-parse main");
	s = git(&p, "rev-parse HEAD");
	ck_assert_str_eq(s, mainid);
	free(s);
	free(mainid);
	s = read_file(&p, "sql/alpha.sql");
	ck_assert_str_eq(s, "SELECT 'b' AS v\n");
	free(s);
	s = git(&p, "status --porcelain --untracked-files=no -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* a new file proposed by name and left in place: approving takes it into the index */
	write_file(&p, "sql/delta.sql", "SELECT 4 AS d\n");
	OK(&p, "review", "propose", "-m", "delta", "sql/delta.sql");
	r = vchacc(&p, "review", "approve", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "the working tree is up to date") && !*r.err, "%s%s", r.out,
	              r.err);
	result_free(&r);
	s = git(&p, "status --porcelain -- sql");
	ck_assert_str_eq(s, " M sql/visits.sql");
	free(s);

	/* who approved, in show and --json */
	r = vchacc(&p, "review", "show", "3");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "approved by: Test Maintainer <maintainer@example.org>"), "%s",
	              r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("review");
	TCase *tc = tcase_create("review");

	if (vcs_setup("check_review") < 0)
		return 0;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_review_propose_list_show_approve_reject);
	tcase_add_test(tc, test_conflicts_are_refused);
	tcase_add_test(tc, test_propose_text_writes_no_file);
	tcase_add_test(tc, test_concurrent_proposals_get_distinct_numbers);
	tcase_add_test(tc, test_propose_needs_an_author);
	tcase_add_test(tc, test_propose_prints_files_and_leaves_untracked_out);
	tcase_add_test(tc, test_approve_note_gives_commands_that_work);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
