/* check_web_files.c: editing files from the web: edit, review, proposals in memory, check */
#include "webtest.h"

START_TEST(test_edit_and_review)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *t, *im;
	char *text, *body, *path;
	size_t i;
	bool found = false;

	proj_web(&p, "webedit", false);
	server_start(&s, &p, NULL, NULL, NULL);
	/* YAML syntax: the problem at its line and column, nothing committed */
	r = post(&s, "/api/files/recipes/clinic.yml", "{\"content\": \"chacc: 1\\nname: [x\\n\"}");
	assert_status(r, 422);
	j = body_json(&r);
	t = json_array_get(json_object_get(j, "problems"), 0);
	ck_assert_str_eq(jstr(t, "file"), "recipes/clinic.yml");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 3);
	ck_assert(json_integer_value(json_object_get(t, "column")) >= 1);
	json_decref(j);
	resp_free(&r);
	/* a recipe that parses but needs an unknown target */
	text = str_replace(recipe, "needs: [people_visits]", "needs: [nosuch]");
	j = json_pack("{s:s}", "content", text);
	body = json_dumps(j, 0);
	r = post(&s, "/api/files/recipes/clinic.yml", body);
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "unknown target 'nosuch'") && strstr(r.body, "\"line\": 34"), "%s",
	              r.body);
	free(body);
	json_decref(j);
	/* the problem as data: file, line, target and message apart, not a line of text */
	j = body_json(&r);
	t = json_array_get(json_object_get(j, "problems"), 0);
	ck_assert_msg(json_array_size(json_object_get(j, "problems")) == 1, "%s", r.body);
	ck_assert_str_eq(jstr(t, "file"), "recipes/clinic.yml");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 34);
	ck_assert_str_eq(jstr(t, "severity"), "error");
	ck_assert_msg(strstr(jstr(t, "message"), "unknown target 'nosuch'") &&
	              !strstr(jstr(t, "message"), "clinic.yml"), "%s", r.body);
	json_decref(j);
	resp_free(&r);
	free(text);
	/* a recipe broken on disk: every answer that loads it says so, with its diagnostics */
	path = xasprintf("%s/recipes/clinic.yml", p.dir);
	body = readfile(path, NULL);
	text = str_replace(recipe, "../sql/visit_counts.sql", "../sql/absent.sql");
	write_file(&p, "recipes/clinic.yml", text);
	r = get(&s, "/api/targets");
	assert_status(r, 422);
	j = body_json(&r);
	t = json_array_get(json_object_get(j, "diagnostics"), 0);
	ck_assert_msg(t && strstr(jstr(j, "error"), "target 'visit_counts': query file"), "%s",
	              r.body);
	ck_assert_str_eq(jstr(t, "file"), "recipes/clinic.yml");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 34);
	ck_assert_str_eq(jstr(t, "target"), "visit_counts");
	ck_assert_str_eq(jstr(t, "severity"), "error");
	ck_assert_msg(strstarts(jstr(t, "message"), "query file '../sql/absent.sql' not found"),
	              "%s", r.body);
	json_decref(j);
	resp_free(&r);
	write_file(&p, "recipes/clinic.yml", body);
	free(path);
	free(body);
	free(text);
	/* JSON files must parse */
	r = post(&s, "/api/files/recipes/extra.json", "{\"content\": \"{\\\"a\\\": \\n\"}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "\"line\": 2"), "%s", r.body);
	resp_free(&r);
	/* a check alone commits nothing */
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": \"SELECT id, person_id, at, 1 AS one"
	         " FROM visits\\n\", \"check\": true}");
	assert_status(r, 200);
	resp_free(&r);
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": \"SELECT id, person_id, at FROM visits\\n\"}");
	assert_status(r, 409);
	resp_free(&r);
	/* a good edit: a review branch, the working tree untouched until approval */
	r = post(&s, "/api/files/sql/visits.sql",
	         "{\"content\": \"SELECT id, person_id, at, 1 AS one FROM visits\\n\","
	         " \"message\": \"visits: add one\"}");
	assert_status(r, 201);
	j = body_json(&r);
	resp_free(&r);
	t = json_object_get(j, "review");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "id")), 1);
	ck_assert_str_eq(jstr(t, "branch"), "review/1-visits-add-one");
	ck_assert_str_eq(jstr(t, "state"), "open");
	json_decref(j);
	path = xasprintf("%s/sql/visits.sql", p.dir);
	text = readfile(path, NULL);
	ck_assert_str_eq(text, "SELECT id, person_id, at FROM visits\n");
	free(text);
	j = get_json(&s, "/api/reviews");
	ck_assert_int_eq(json_array_size(j), 1);
	json_decref(j);
	j = get_json(&s, "/api/reviews/1");
	t = json_object_get(j, "diff");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(t, "changes"), 0), "target"), "visits");
	ck_assert_msg(strstr(jstr(json_array_get(json_object_get(t, "changes"), 0), "diff"),
	                     "+SELECT id, person_id, at, 1 AS one FROM visits"), "%s",
	              json_dumps(t, 0));
	json_array_foreach(json_object_get(t, "impact"), i, im)
		found |= strcmp(jstr(im, "target"), "visit_counts") == 0 &&
		         strcmp(jstr(im, "reason"), "needs changed") == 0;
	ck_assert_msg(found, "%s", json_dumps(t, 0));
	json_decref(j);
	r = post(&s, "/api/reviews/1/approve", NULL);
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "\"state\": \"approved\""), "%s", r.body);
	resp_free(&r);
	text = readfile(path, NULL);
	ck_assert_str_eq(text, "SELECT id, person_id, at, 1 AS one FROM visits\n");
	free(text);
	free(path);
	r = post(&s, "/api/reviews/1/approve", NULL);
	assert_status(r, 409);
	resp_free(&r);
	/* an upload of a new file, rejected */
	r = post(&s, "/api/files/sql/new.sql", "{\"content\": \"SELECT 2 AS two\\n\", \"message\": \"new\"}");
	assert_status(r, 201);
	resp_free(&r);
	path = xasprintf("%s/sql/new.sql", p.dir);
	ck_assert(access(path, F_OK) < 0);
	free(path);
	r = post(&s, "/api/reviews/2/reject", NULL);
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "rejected"), "%s", r.body);
	resp_free(&r);
	r = get(&s, "/api/reviews/77");
	assert_status(r, 404);
	resp_free(&r);
	r = post(&s, "/api/reviews/2/merge", NULL);
	assert_status(r, 404);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* proposals from the web are made in memory: the working tree is never written */
#include <sys/inotify.h>

/* run a shell command in the project; its output */
static char *
proj_sh(struct proj *p, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s", p->dir, cmd), buf[4096];
	FILE *f = popen(full, "r");
	struct buf out;
	size_t n;

	ck_assert(f != NULL);
	buf_init(&out);
	buf_adds(&out, "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		buf_add(&out, buf, n);
	ck_assert_msg(pclose(f) == 0, "%s: %s", cmd, out.s);
	free(full);
	return buf_detach(&out);
}

/* every directory of the working tree but .git and state/, watched for any change */
static int
watch_tree(struct proj *p)
{
	int fd = inotify_init1(IN_NONBLOCK);
	char *dirs = proj_sh(p, "find \"$PWD\" -path \"$PWD/.git\" -prune -o -path \"$PWD/state\""
	                     " -prune -o -type d -print"), *d, *save = NULL;

	ck_assert(fd >= 0);
	for (d = strtok_r(dirs, "\n", &save); d; d = strtok_r(NULL, "\n", &save))
		ck_assert_msg(inotify_add_watch(fd, d, IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB |
		                                IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE) >= 0,
		              "watch %s", d);
	free(dirs);
	return fd;
}

START_TEST(test_proposal_leaves_the_working_tree)
{
	static const char snap[] =
		"find . \\( -path ./.git -o -path ./state \\) -prune -o -printf '%p %y %m %s %T@ %l\\n'"
		" | sort && find . \\( -path ./.git -o -path ./state \\) -prune -o -type f -print0 |"
		" sort -z | xargs -0 sha256sum && git status --porcelain && git rev-parse HEAD";
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *t, *c;
	char *before, *after, *out, ev[4096];
	size_t i;
	int wfd;
	bool found;

	proj_web(&p, "webmem", false);
	/* an executable query and one reached through a symbolic link, committed */
	write_file(&p, "sql/shared/visits.sql", "SELECT id, person_id, at FROM visits\n");
	git(&p, "rm -q sql/visits.sql");
	out = proj_sh(&p, "ln -s shared/visits.sql sql/visits.sql && chmod 755 sql/people.sql &&"
	              " git add -A sql && git commit -q -m 'links and modes' && echo ok");
	free(out);
	server_start(&s, &p, NULL, NULL, NULL);
	before = proj_sh(&p, snap);
	wfd = watch_tree(&p);

	r = post(&s, "/api/files/sql/people.sql",
	         "{\"content\": \"SELECT id, name, updated_at, voided FROM people WHERE id > 1\\n\","
	         " \"message\": \"people after one\"}");
	assert_status(r, 201);
	resp_free(&r);
	r = post(&s, "/api/files/sql/visits.sql",
	         "{\"content\": \"SELECT id, person_id, at FROM visits WHERE id > 10\\n\","
	         " \"message\": \"visits after ten\"}");
	assert_status(r, 201);
	resp_free(&r);

	/* not a byte, mode, link or time of the working tree changed, not even for a moment */
	ck_assert_msg(read(wfd, ev, sizeof(ev)) < 0 && errno == EAGAIN,
	              "the working tree was written during a proposal");
	close(wfd);
	after = proj_sh(&p, snap);
	ck_assert_str_eq(after, before);
	free(after);

	/* the reviews keep the mode and the link, and hold the edits */
	out = proj_sh(&p, "git ls-tree review/1-people-after-one sql/people.sql &&"
	              " git ls-tree review/2-visits-after-ten sql/visits.sql &&"
	              " git cat-file -p review/2-visits-after-ten:sql/visits.sql && echo &&"
	              " git show review/2-visits-after-ten:sql/shared/visits.sql");
	ck_assert_msg(strstarts(out, "100755 blob") && strstr(out, "\n120000 blob") &&
	              strstr(out, "\nshared/visits.sql\n") &&
	              strstr(out, "FROM visits WHERE id > 10\n"), "%s", out);
	free(out);
	for (int k = 1; k <= 2; k++) {
		char *path = xasprintf("/api/reviews/%d", k);
		const char *want = k == 1 ? "+SELECT id, name, updated_at, voided FROM people WHERE id > 1"
		                          : "+SELECT id, person_id, at FROM visits WHERE id > 10";

		j = get_json(&s, path);
		t = json_object_get(j, "diff");
		found = false;
		json_array_foreach(json_object_get(t, "changes"), i, c)
			found |= strcmp(jstr(c, "target"), k == 1 ? "people" : "visits") == 0 &&
			         strstr(jstr(c, "diff"), want) != NULL;
		ck_assert_msg(found, "review %d: %s", k, json_dumps(t, 0));
		json_decref(j);
		free(path);
	}

	/* the server killed at moments during a proposal: nothing left behind, no half-made ref */
	for (int k = 0; k < 8; k++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s.port) };
		char *h = csrf_headers(&s), *body = xasprintf("{\"content\": \"SELECT %d AS id\\n\","
		                                               " \"message\": \"try %d\"}", k, k);
		char *req = xasprintf("POST /api/files/sql/visits.sql HTTP/1.1\r\nHost: %s:%d\r\n%s"
		                      "Content-Length: %zu\r\n\r\n%s", s.host, s.port, h, strlen(body),
		                      body);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		inet_pton(AF_INET, s.host, &sa.sin_addr);
		ck_assert(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
		sleep_interruptible(0.004 * k, NULL);
		kill(s.pid, SIGKILL);
		waitpid(s.pid, NULL, 0);
		close(fd);
		close(s.outfd);
		close(s.errfd);
		after = proj_sh(&p, snap);
		ck_assert_str_eq(after, before);
		free(after);
		/* the next proposal works, and clears what a kill left in the middle of a rename */
		server_start(&s, &p, NULL, NULL, NULL);
		free(body);
		body = xasprintf("{\"content\": \"SELECT %d AS id\\n\", \"message\": \"after %d\"}",
		                 k + 100, k);
		r = post(&s, "/api/files/sql/visits.sql", body);
		assert_status(r, 201);
		resp_free(&r);
		out = proj_sh(&p, "find .git -name '*.lock' && git fsck --no-dangling 2>&1 && echo ok");
		ck_assert_str_eq(out, "ok\n");
		free(out);
		free(h);
		free(body);
		free(req);
	}
	free(before);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* Check asks the servers to prepare the recipe's SQL as edited: problems at file:line, scrubbed */
START_TEST(test_check_prepares_sql)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *t;

	proj_web(&p, "websql", false);
	server_start(&s, &p, NULL, NULL, NULL);
	/* a typo'd column on line 2; people and visits are not built yet */
	r = post(&s, "/api/files/sql/people_visits.sql", "{\"content\": \"SELECT v.id AS visit_id,\\n"
	         "  p.nme, v.at\\nFROM visits v JOIN people p ON p.id = v.person_id\\n\", \"check\": true}");
	assert_status(r, 422);
	j = body_json(&r);
	ck_assert_msg(json_array_size(json_object_get(j, "problems")) == 1, "%s", r.body);
	t = json_array_get(json_object_get(j, "problems"), 0);
	ck_assert_str_eq(jstr(t, "file"), "sql/people_visits.sql");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 2);
	ck_assert_str_eq(jstr(t, "target"), "people_visits");
	ck_assert_msg(strstr(jstr(t, "message"), "Unknown column 'p.nme'"), "%s", r.body);
	json_decref(j);
	resp_free(&r);
	/* an extract's query goes to its source: a syntax error there, on line 3 */
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": \"SELECT id,\\n person_id,\\n at FROM"
	         " visits WHER id > 1\\n\", \"check\": true}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "\"file\": \"sql/visits.sql\"") && strstr(r.body, "\"line\": 3") &&
	              strstr(r.body, "syntax error near 'id > 1"), "%s", r.body);
	resp_free(&r);
	/* a change downstream queries do not survive: visits loses the column people_visits reads */
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": \"SELECT id, at FROM visits\\n\","
	         " \"check\": true}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "sql/people_visits.sql") && strstr(r.body, "person_id"), "%s",
	              r.body);
	resp_free(&r);
	/* the server's messages pass the scrub: no user, no password */
	r = post(&s, "/api/files/sql/people_visits.sql", "{\"content\": \"SELECT v.id AS visit_id"
	         " FROM ${TARGET_DB_USER} AS v\\n\", \"check\": true}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "doesn't exist") && !strstr(r.body, "webu"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/sql/people_visits.sql", "{\"content\": \"SELECT id AS visit_id FROM"
	         " visits WHER id = 1 AND '${TARGET_DB_PASSWORD}' = ''\\n\", \"check\": true}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "syntax error") && !strstr(r.body, SECRET), "%s", r.body);
	resp_free(&r);
	/* good SQL: no problems, nothing built, nothing committed */
	r = post(&s, "/api/files/sql/visit_counts.sql", "{\"content\": \"SELECT name, COUNT(*) AS n,"
	         " MAX(at) AS last FROM people_visits GROUP BY name\\n\", \"check\": true}");
	assert_status(r, 200);
	resp_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema ="
	           " DATABASE() AND table_name IN ('people', 'visits', 'people_visits')");
	server_stop(&s);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("web_files");
	int rc;

	if (itest_setup("check_web_files") < 0)
		return 0;
	add_case(s, "edit_and_review", test_edit_and_review);
	add_case(s, "proposal_leaves_the_working_tree", test_proposal_leaves_the_working_tree);
	add_case(s, "check_prepares_sql", test_check_prepares_sql);
	rc = run_suite(s);
	return rc;
}
