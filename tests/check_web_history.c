/*
 * check_web_history.c: what the Luigi pipeline's web UI had, in chacc
 * serve's REST API against real servers: the history filtered by mode,
 * result and dates a page at a time (and 'chacc history' with the same
 * filter), deleting a file through a review, uploads into new folders, and
 * a rebuild that cancels the running build first
 */
#include "webtest.h"

/* the runs of a GET /api/runs answer (an array, or a page's "runs"), as "id:result,..." */
static char *
ids_of(json_t *runs)
{
	struct buf b;
	json_t *r;
	size_t i;

	buf_init(&b);
	buf_adds(&b, "");
	json_array_foreach(runs, i, r)
		buf_addf(&b, "%s%lld:%s", i ? "," : "",
		         (long long)json_integer_value(json_object_get(r, "run_id")), jstr(r, "result"));
	return buf_detach(&b);
}

static void
assert_runs(struct server *s, const char *path, const char *want)
{
	json_t *j = get_json(s, path);
	char *got = ids_of(json_is_array(j) ? j : json_object_get(j, "runs"));

	ck_assert_msg(strcmp(got, want) == 0, "%s: %s, want %s", path, got, want);
	free(got);
	json_decref(j);
}

static void
assert_refused(struct server *s, const char *path, const char *msg)
{
	struct resp r = get(s, path);

	assert_status(r, 400);
	ck_assert_msg(strstr(r.body, msg), "%s: %s", path, r.body);
	resp_free(&r);
}

/* run id of a 202 reply to POST /api/runs */
static long long
started(struct resp *r)
{
	json_t *j;
	long long id;

	assert_status(*r, 202);
	j = body_json(r);
	resp_free(r);
	id = json_integer_value(json_object_get(j, "run_id"));
	ck_assert_msg(id > 0, "%s", json_dumps(j, 0));
	json_decref(j);
	return id;
}

START_TEST(test_history_filters)
{
	struct proj p;
	struct server s;
	struct resp r;
	struct result c;
	json_t *j;
	long long id;

	proj_web(&p, "webhist", false);
	server_start(&s, &p, NULL, NULL, NULL);
	r = post(&s, "/api/runs", "{}");
	id = started(&r);
	json_decref(wait_run(&s, id));
	ck_assert_int_eq(id, 1);
	/* runs of other days, modes and results; one of another recipe */
	sql(p.tgt, "INSERT INTO etl_runs (recipe, mode, started_by, started_at, ended_at, result)"
	    " VALUES ('clinic', 'scheduled', 'cron', '2024-03-01 02:00:00', '2024-03-01 02:01:00',"
	    " 'success'), ('clinic', 'scheduled', 'cron', '2024-03-02 02:00:00',"
	    " '2024-03-02 02:00:05', 'failed'), ('clinic', 'full-refresh', 'ada',"
	    " '2024-03-02 13:00:00', '2024-03-02 13:10:00', 'interrupted'), ('clinic',"
	    " 'incremental', 'cron', '2024-03-03 09:00:00', '2024-03-03 09:00:01',"
	    " 'nothing to do'), ('other', 'scheduled', 'x', '2024-03-02 02:00:00',"
	    " '2024-03-02 02:00:01', 'failed')");
	/* unpaged: the runs alone, newest first */
	assert_runs(&s, "/api/runs", "5:nothing to do,4:interrupted,3:failed,2:success,1:success");
	assert_runs(&s, "/api/runs?mode=scheduled", "3:failed,2:success");
	assert_runs(&s, "/api/runs?mode=scheduled&result=failed", "3:failed");
	assert_runs(&s, "/api/runs?result=nothing%20to%20do", "5:nothing to do");
	assert_runs(&s, "/api/runs?from=2024-03-02&to=2024-03-02", "4:interrupted,3:failed");
	assert_runs(&s, "/api/runs?from=2024-03-02T12:00&to=2024-03-03", "5:nothing to do,4:interrupted");
	assert_runs(&s, "/api/runs?to=2024-03-02%2013:00:00", "3:failed,2:success");
	assert_runs(&s, "/api/runs?limit=2&offset=1", "4:interrupted,3:failed");
	/* a page: the runs with how many match */
	j = get_json(&s, "/api/runs?page=2&per_page=2");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "page")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "per_page")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pages")), 3);
	json_decref(j);
	assert_runs(&s, "/api/runs?page=2&per_page=2", "3:failed,2:success");
	assert_runs(&s, "/api/runs?page=3&per_page=2", "1:success");
	assert_runs(&s, "/api/runs?page=4&per_page=2", "");
	j = get_json(&s, "/api/runs?page=1&to=2024-12-31&mode=scheduled");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "per_page")), 50);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pages")), 1);
	json_decref(j);
	/* what is wrong is named */
	assert_refused(&s, "/api/runs?mode=sideways", "invalid mode 'sideways'");
	assert_refused(&s, "/api/runs?result=ok", "invalid result 'ok'");
	assert_refused(&s, "/api/runs?from=2024-02-30", "invalid from '2024-02-30'");
	assert_refused(&s, "/api/runs?from=2024-03-02&to=2024-03-01", "invalid to '2024-03-01'");
	assert_refused(&s, "/api/runs?to=yesterday", "invalid to 'yesterday'");
	assert_refused(&s, "/api/runs?page=0", "invalid page '0'");
	assert_refused(&s, "/api/runs?per_page=x", "invalid per_page 'x'");
	assert_refused(&s, "/api/runs?limit=-1", "invalid limit '-1'");
	assert_refused(&s, "/api/runs?offset=", "invalid offset ''");
	/* the command line takes the same filter */
	c = chacc(&p, "-f", "recipes/clinic.yml", "history", "--mode", "scheduled", "--since",
	          "2024-03-02");
	assert_ok(&c);
	ck_assert_msg(strstr(c.out, "failed") && !strstr(c.out, "success"), "%s", c.out);
	free(c.out);
	free(c.err);
	c = chacc(&p, "-f", "recipes/clinic.yml", "history", "--until", "2024-03-02", "-l", "1");
	assert_ok(&c);
	ck_assert_msg(strstr(c.out, "the newest 1 of 3 matching runs"), "%s", c.out);
	free(c.out);
	free(c.err);
	c = chacc(&p, "-f", "recipes/clinic.yml", "history", "--json", "--result", "interrupted");
	assert_ok(&c);
	ck_assert_msg(strstr(c.out, "\"run_id\": 4") && !strstr(c.out, "\"run_id\": 3"), "%s", c.out);
	free(c.out);
	free(c.err);
	c = chacc(&p, "history", "--result", "ok");
	ck_assert_int_eq(c.status, 2);
	ck_assert_msg(strstr(c.err, "invalid --result 'ok'"), "%s", c.err);
	free(c.out);
	free(c.err);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_delete_through_review)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j;
	char *path, *cmd;

	proj_web(&p, "webdel", false);
	write_file(&p, "sql/unused.sql", "SELECT 1 AS one\n");
	git(&p, "add -A");
	git(&p, "commit -q -m 'an unused file'");
	write_file(&p, "sql/untracked.sql", "SELECT 2 AS two\n");
	server_start(&s, &p, NULL, NULL, NULL);
	/* the recipe needs it: refused with the problems, as a save is */
	r = post(&s, "/api/files/sql/visits.sql", "{\"delete\": true}");
	assert_status(r, 422);
	ck_assert_msg(strstr(r.body, "the recipe needs the file") && strstr(r.body, "visits.sql"),
	              "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/recipes/clinic.yml", "{\"delete\": true}");
	assert_status(r, 409);
	ck_assert_msg(strstr(r.body, "the recipe this server serves"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/sql/unused.sql", "{\"delete\": true, \"content\": \"x\"}");
	assert_status(r, 400);
	resp_free(&r);
	r = post(&s, "/api/files/sql/nosuch.sql", "{\"delete\": true}");
	assert_status(r, 404);
	resp_free(&r);
	r = post(&s, "/api/files/sql/untracked.sql", "{\"delete\": true}");
	assert_status(r, 409);
	ck_assert_msg(strstr(r.body, "not in HEAD"), "%s", r.body);
	resp_free(&r);
	/* a review whose commit deletes it; the working tree keeps it until approved */
	r = post(&s, "/api/files/sql/unused.sql", "{\"delete\": true, \"message\": \"drop unused\"}");
	assert_status(r, 201);
	resp_free(&r);
	path = xasprintf("%s/sql/unused.sql", p.dir);
	ck_assert(access(path, F_OK) == 0);
	j = get_json(&s, "/api/reviews/1");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(j, "diff"),
	                                                                  "files"), 0)),
	                 "D sql/unused.sql");
	json_decref(j);
	r = post(&s, "/api/reviews/1/approve", NULL);
	assert_status(r, 200);
	resp_free(&r);
	ck_assert_msg(access(path, F_OK) < 0, "%s is still there", path);
	cmd = xasprintf("cd '%s' && ! git cat-file -e main:sql/unused.sql 2>/dev/null", p.dir);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
	free(path);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_upload_into_new_folder)
{
	struct proj p;
	struct server s;
	struct resp r;
	char *path, *text, *outside;

	proj_web(&p, "webup", false);
	outside = xasprintf("%s/outside-%s", tmpdir, p.name);
	ck_assert(mkdir(outside, 0700) == 0 || errno == EEXIST);
	path = xasprintf("%s/sql/out", p.dir);
	ck_assert(symlink(outside, path) == 0);
	free(path);
	server_start(&s, &p, NULL, NULL, NULL);
	r = post(&s, "/api/files/sql/reports/monthly/counts.sql",
	         "{\"content\": \"SELECT 1 AS x\\n\", \"message\": \"monthly counts\"}");
	assert_status(r, 201);
	resp_free(&r);
	/* the same checks as saves: no way out, no folder where a file is */
	r = post(&s, "/api/files/sql/out/new/x.sql", "{\"content\": \"SELECT 1\\n\"}");
	assert_status(r, 403);
	ck_assert_msg(strstr(r.body, "through a symlink"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/sql/visits.sql/x.sql", "{\"content\": \"SELECT 1\\n\"}");
	assert_status(r, 403);
	resp_free(&r);
	r = post(&s, "/api/files/sql/new/.hidden/x.sql", "{\"content\": \"SELECT 1\\n\"}");
	assert_status(r, 403);
	resp_free(&r);
	r = post(&s, "/api/files/other/x.sql", "{\"content\": \"SELECT 1\\n\"}");
	assert_status(r, 403);
	resp_free(&r);
	path = xasprintf("%s/sql/reports", p.dir);
	ck_assert_msg(access(path, F_OK) < 0, "the proposal wrote %s", path);
	free(path);
	r = post(&s, "/api/reviews/1/approve", NULL);
	assert_status(r, 200);
	resp_free(&r);
	path = xasprintf("%s/sql/reports/monthly/counts.sql", p.dir);
	text = readfile(path, NULL);
	ck_assert_msg(text && strcmp(text, "SELECT 1 AS x\n") == 0, "%s: %s", path, text);
	free(text);
	free(path);
	free(outside);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_rebuild_now)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j;
	long long first, second;
	double t0;
	char *path, *id;
	char *args[] = { "-f", "recipes/clinic.yml", "build", NULL };
	int o, e;
	pid_t cli;

	proj_web(&p, "webrebuild", true);
	server_start(&s, &p, NULL, NULL, NULL);
	r = post(&s, "/api/runs", "{}");
	first = started(&r);
	/* rebuild now: the running build is cancelled and has ended before the new one starts */
	t0 = now_seconds();
	r = post(&s, "/api/runs", "{\"replace\": true}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	ck_assert_msg(now_seconds() - t0 < 20, "replacing took %.1fs", now_seconds() - t0);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(j, "replaced"), 0)), first);
	second = json_integer_value(json_object_get(j, "run_id"));
	ck_assert_int_gt(second, first);
	json_decref(j);
	id = xasprintf("SELECT result FROM etl_runs WHERE run_id = %lld", first);
	assert_val(p.tgt, "interrupted", id);
	free(id);
	path = xasprintf("/api/runs/%lld/cancel", second);
	r = post(&s, path, NULL);
	assert_status(r, 202);
	resp_free(&r);
	free(path);
	json_decref(wait_run(&s, second));
	/* a build of the command line cannot be cancelled from the web: refused, nothing cancelled */
	cli = chacc_start(&p, NULL, &o, &e, args);
	t0 = now_seconds();
	for (;;) {
		char *n = val(p.tgt, "SELECT COUNT(*) FROM etl_runs WHERE result = 'running'");
		bool running = strcmp(n, "1") == 0;

		free(n);
		if (running || now_seconds() - t0 > 20)
			break;
		sleep_interruptible(0.05, NULL);
	}
	r = post(&s, "/api/runs", "{\"replace\": true}");
	assert_status(r, 409);
	ck_assert_msg(strstr(r.body, "was not started by this server"), "%s", r.body);
	resp_free(&r);
	kill(cli, SIGTERM);
	ck_assert_int_ne(wait_status(cli), 0);
	close(o);
	close(e);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("web_history");

	if (itest_setup("check_web_history") < 0)
		return 0;
	add_case(s, "history_filters", test_history_filters);
	add_case(s, "delete_through_review", test_delete_through_review);
	add_case(s, "upload_into_new_folder", test_upload_into_new_folder);
	add_case(s, "rebuild_now", test_rebuild_now);
	return run_suite(s);
}
