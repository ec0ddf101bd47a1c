/* check_web.c: chacc serve's REST API against real servers: reads, builds, cancel, odd input */
#include "webtest.h"

START_TEST(test_api_reads)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *t;
	size_t i;

	proj_web(&p, "webread", false);
	server_start(&s, &p, NULL, NULL, NULL);
	/* the dashboard's targets: state, why, kind, needs, and the server's clock */
	j = get_json(&s, "/api/targets");
	ck_assert_str_eq(jstr(j, "recipe"), "clinic");
	ck_assert(json_is_string(json_object_get(j, "now")));
	t = json_object_get(j, "targets");
	ck_assert_int_eq(json_array_size(t), 4);
	ck_assert_str_eq(jstr(json_array_get(t, 0), "target"), "people");
	ck_assert_str_eq(jstr(json_array_get(t, 0), "state"), "missing");
	ck_assert_str_eq(jstr(json_array_get(t, 0), "reason"), "missing");
	ck_assert_str_eq(jstr(json_array_get(t, 0), "mode"), "full");
	ck_assert_str_eq(jstr(json_array_get(t, 2), "kind"), "table");
	ck_assert_int_eq(json_array_size(json_object_get(json_array_get(t, 2), "needs")), 2);
	json_decref(j);
	/* status and plan have the command line's --json shapes */
	j = get_json(&s, "/api/status");
	ck_assert_int_eq(json_array_size(j), 4);
	json_array_foreach(j, i, t) {
		ck_assert(json_object_get(t, "built_at") && json_object_get(t, "changed_at") &&
		          json_object_get(t, "rows") && json_object_get(t, "watermark"));
		ck_assert_str_eq(jstr(t, "state"), "missing");
	}
	json_decref(j);
	j = get_json(&s, "/api/plan?targets=people_visits");
	ck_assert_int_eq(json_array_size(j), 3);
	ck_assert_str_eq(jstr(json_array_get(j, 2), "target"), "people_visits");
	ck_assert_str_eq(jstr(json_array_get(j, 2), "reason"), "missing");
	json_decref(j);
	r = get(&s, "/api/plan?targets=nosuch");
	assert_status(r, 400);
	ck_assert_msg(strstr(r.body, "unknown target 'nosuch'"), "%s", r.body);
	resp_free(&r);
	/* the graph: nodes with needs and states */
	j = get_json(&s, "/api/graph");
	ck_assert_int_eq(json_array_size(json_object_get(j, "nodes")), 4);
	t = json_array_get(json_object_get(j, "nodes"), 3);
	ck_assert_str_eq(jstr(t, "name"), "visit_counts");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(t, "needs"), 0)),
	                 "people_visits");
	ck_assert_str_eq(jstr(t, "state"), "missing");
	json_decref(j);
	/* a target: definition, its SQL, why */
	j = get_json(&s, "/api/targets/people_visits");
	ck_assert_str_eq(jstr(j, "kind"), "table");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "users"), 0)),
	                 "visit_counts");
	t = json_array_get(json_object_get(j, "files"), 0);
	ck_assert_str_eq(jstr(t, "path"), "sql/people_visits.sql");
	ck_assert(json_is_true(json_object_get(t, "editable")));
	ck_assert_msg(strstr(jstr(t, "text"), "JOIN people"), "%s", jstr(t, "text"));
	ck_assert_str_eq(jstr(j, "reason"), "missing");
	ck_assert_int_eq(json_array_size(json_object_get(j, "runs")), 0);
	json_decref(j);
	r = get(&s, "/api/targets/nosuch");
	assert_status(r, 404);
	resp_free(&r);
	/* files under recipes/ and sql/ */
	j = get_json(&s, "/api/files");
	ck_assert_int_eq(json_array_size(json_object_get(j, "files")), 6);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "files"), 0), "path"),
	                 "recipes/clinic.yml");
	json_decref(j);
	j = get_json(&s, "/api/files/sql/visits.sql");
	ck_assert_str_eq(jstr(j, "content"), "SELECT id, person_id, at FROM visits\n");
	ck_assert_str_eq(jstr(j, "language"), "sql");
	json_decref(j);
	/* no runs yet; metrics still answer */
	j = get_json(&s, "/api/runs");
	ck_assert_int_eq(json_array_size(j), 0);
	json_decref(j);
	r = get(&s, "/metrics");
	assert_status(r, 200);
	ck_assert_msg(strstr(r.head, "text/plain; version=0.0.4"), "%s", r.head);
	ck_assert_msg(strstr(r.body, "# TYPE chacc_runs_total counter"), "%s", r.body);
	resp_free(&r);
	/* the page: a CSRF token in a meta tag and a cookie, a strict policy, assets served */
	r = get(&s, "/");
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "<meta name=\"csrf-token\" content=\""), "%s", r.body);
	ck_assert_msg(strstr(r.head, "Set-Cookie: chacc_csrf="), "%s", r.head);
	ck_assert_msg(strstr(r.head, "Content-Security-Policy: default-src 'self'"), "%s", r.head);
	ck_assert_msg(!strstr(r.body, "http://") && !strstr(r.body, "https://"), "external: %s", r.body);
	resp_free(&r);
	r = get(&s, "/assets/app.js");
	assert_status(r, 200);
	ck_assert_msg(strstr(r.head, "text/javascript"), "%s", r.head);
	resp_free(&r);
	r = get(&s, "/assets/nosuch.js");
	assert_status(r, 404);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_build_from_the_api)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *t;
	long long id;
	size_t i;
	char *path;

	proj_web(&p, "webbuild", false);
	server_start(&s, &p, NULL, NULL, NULL);
	r = post(&s, "/api/runs", "{\"mode\": \"incremental\", \"jobs\": 2}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "run_id"));
	ck_assert_msg(id > 0, "no run id: %s", json_dumps(j, 0));
	ck_assert_str_eq(jstr(j, "started_by"), "web (127.0.0.1)");
	json_decref(j);
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "result"), "success");
	ck_assert_str_eq(jstr(j, "mode"), "incremental");
	ck_assert_int_eq(json_array_size(json_object_get(j, "targets")), 4);
	json_array_foreach(json_object_get(j, "targets"), i, t) {
		ck_assert_str_eq(jstr(t, "outcome"), "built");
		ck_assert(json_is_string(json_object_get(t, "started_at")));
		ck_assert(json_is_string(json_object_get(t, "ended_at")));
	}
	ck_assert_msg(strlen(jstr(j, "config_rev")) == 40, "%s", jstr(j, "config_rev"));
	json_decref(j);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM people_visits");
	/* the events of the run, from the start of the stream */
	{
		char *req = xasprintf("GET /api/events?since=0 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
		                      s.port);

		r = http_raw(&s, req, strlen(req), 2);
		free(req);
	}
	assert_status(r, 200);
	ck_assert_msg(!strstr(r.body, SECRET), "the events gave away the password: %s", r.body);
	ck_assert_msg(strstr(r.head, "Content-Type: text/event-stream"), "%s", r.head);
	ck_assert_msg(strstr(r.body, "\"event\":\"start\",\"target\":\"people\""), "%s", r.body);
	ck_assert_msg(strstr(r.body, "\"event\":\"done\",\"target\":\"visit_counts\""), "%s", r.body);
	ck_assert_msg(strstr(r.body, "\"type\":\"job\"") && strstr(r.body, "\"state\":\"done\""),
	              "%s", r.body);
	resp_free(&r);
	/* all up to date now; the history and the metrics say so */
	j = get_json(&s, "/api/targets");
	json_array_foreach(json_object_get(j, "targets"), i, t)
		ck_assert_str_eq(jstr(t, "state"), "ok");
	json_decref(j);
	j = get_json(&s, "/api/runs");
	ck_assert_int_eq(json_array_size(j), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "run_id")), id);
	json_decref(j);
	r = get(&s, "/metrics");
	ck_assert_msg(strstr(r.body, "chacc_runs_total{recipe=\"clinic\",result=\"success\"} 1"),
	              "%s", r.body);
	ck_assert_msg(strstr(r.body, "chacc_target_builds_total{recipe=\"clinic\",target=\"people\"} 1"),
	              "%s", r.body);
	ck_assert_msg(strstr(r.body, "chacc_target_rows{recipe=\"clinic\",target=\"visit_counts\"} 2"),
	              "%s", r.body);
	ck_assert_msg(strstr(r.body, "chacc_target_last_success_timestamp_seconds{recipe=\"clinic\""),
	              "%s", r.body);
	resp_free(&r);
	/* nothing to do: the reply says so and names the run that records it */
	r = post(&s, "/api/runs", "{}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	if (strcmp(jstr(j, "state"), "done") != 0) {
		json_decref(j);
		sleep_interruptible(2, NULL);
		j = get_json(&s, "/api/jobs");
		t = json_incref(json_array_get(j, 0));
		json_decref(j);
		j = t;
	}
	ck_assert_msg(strstr(jstr(j, "message"), "nothing to do"), "%s", json_dumps(j, 0));
	id = json_integer_value(json_object_get(j, "run_id"));
	ck_assert_msg(id > 0, "%s", json_dumps(j, 0));
	json_decref(j);
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "result"), "nothing to do");
	ck_assert_int_eq(json_array_size(json_object_get(j, "targets")), 0);
	json_decref(j);
	/* one target, forced: it alone is built */
	r = post(&s, "/api/runs", "{\"targets\": [\"visits\"], \"force\": true}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "result"), "success");
	ck_assert_str_eq(jstr(j, "mode"), "forced");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "targets"), 0), "target"), "visits");
	json_decref(j);
	path = xasprintf("/api/runs/%lld/cancel", id);
	r = post(&s, path, NULL);
	assert_status(r, 409);
	resp_free(&r);
	free(path);
	/* a target's page lists its runs */
	j = get_json(&s, "/api/targets/visits");
	ck_assert_int_eq(json_array_size(json_object_get(j, "runs")), 2);
	json_decref(j);
	/* full refresh */
	r = post(&s, "/api/runs", "{\"mode\": \"full-refresh\"}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "mode"), "full-refresh");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "targets"), 0), "reason"), "forced");
	json_decref(j);
	/* a target that fails: its error in the run, the dashboard, the events and the metrics */
	write_file(&p, "sql/visit_counts.sql", "SELECT nosuch FROM people_visits\n");
	r = post(&s, "/api/runs", "{\"keep_going\": true}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "result"), "failed");
	t = json_array_get(json_object_get(j, "targets"), 0);
	ck_assert_str_eq(jstr(t, "target"), "visit_counts");
	ck_assert_str_eq(jstr(t, "outcome"), "failed");
	ck_assert_msg(strstr(jstr(t, "error"), "nosuch"), "%s", jstr(t, "error"));
	json_decref(j);
	j = get_json(&s, "/api/targets");
	t = json_array_get(json_object_get(j, "targets"), 3);
	ck_assert_str_eq(jstr(t, "state"), "failed");
	ck_assert_msg(strstr(jstr(t, "error"), "nosuch"), "%s", jstr(t, "error"));
	json_decref(j);
	{
		char *req = xasprintf("GET /api/events?since=0 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
		                      s.port);

		r = http_raw(&s, req, strlen(req), 2);
		free(req);
	}
	ck_assert_msg(strstr(r.body, "\"event\":\"failed\",\"target\":\"visit_counts\""), "%s", r.body);
	ck_assert_msg(strstr(r.body, "\"exit\":1"), "%s", r.body);
	resp_free(&r);
	r = get(&s, "/metrics");
	ck_assert_msg(strstr(r.body, "chacc_runs_total{recipe=\"clinic\",result=\"failed\"} 1"), "%s",
	              r.body);
	ck_assert_msg(strstr(r.body, "chacc_target_failures_total{recipe=\"clinic\",target=\"visit_counts\"} 1"),
	              "%s", r.body);
	ck_assert_msg(strstr(r.body, "chacc_target_ok{recipe=\"clinic\",target=\"visit_counts\"} 0"), "%s",
	              r.body);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_cancel_and_responsive)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j;
	long long id;
	double t0;
	char *path;

	proj_web(&p, "webslow", true);
	server_start(&s, &p, NULL, NULL, NULL);
	r = post(&s, "/api/runs", "{}");
	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "run_id"));
	ck_assert_msg(id > 0, "%s", json_dumps(j, 0));
	json_decref(j);
	/* the server answers while the build runs in the background */
	t0 = now_seconds();
	j = get_json(&s, "/api/runs");
	ck_assert_str_eq(jstr(json_array_get(j, 0), "result"), "running");
	json_decref(j);
	j = get_json(&s, "/api/jobs");
	ck_assert_str_eq(jstr(json_array_get(j, 0), "state"), "running");
	json_decref(j);
	ck_assert_msg(now_seconds() - t0 < 5, "slow while building: %.1fs", now_seconds() - t0);
	/* a wrong run id, then the right one */
	r = post(&s, "/api/runs/999999/cancel", NULL);
	assert_status(r, 404);
	resp_free(&r);
	path = xasprintf("/api/runs/%lld", id);
	{
		char *h = csrf_headers(&s);

		r = http(&s, "DELETE", path, h, NULL);
		free(h);
	}
	assert_status(r, 202);
	resp_free(&r);
	t0 = now_seconds();
	j = wait_run(&s, id);
	ck_assert_str_eq(jstr(j, "result"), "interrupted");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "targets"), 0), "outcome"),
	                 "interrupted");
	ck_assert_msg(now_seconds() - t0 < 15, "cancel took %.1fs", now_seconds() - t0);
	json_decref(j);
	free(path);
	/* a build running when the server stops is cancelled, and the server exits 0 */
	r = post(&s, "/api/runs", "{}");
	assert_status(r, 202);
	resp_free(&r);
	t0 = now_seconds();
	server_stop(&s);
	ck_assert_msg(now_seconds() - t0 < 15, "stop took %.1fs", now_seconds() - t0);
	assert_val(p.tgt, "interrupted", "SELECT result FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	proj_free(&p);
}
END_TEST

/* the answer is a JSON object with an "error" string, whatever its status */
static void
assert_json_error(struct resp *r, const char *what)
{
	json_t *j = body_json(r);

	ck_assert_msg(json_is_object(j) && json_is_string(json_object_get(j, "error")), "%s: %d %s",
	              what, r->status, r->body);
	json_decref(j);
}

START_TEST(test_edges)
{
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *f;
	static const char *const bad_utf8[] = {
		"/api/files/sql/%FF.sql", "/api/targets/%FFx", "/api/nosuch%FF", "/api/runs/%FF",
		"/api/reviews/%FF", "/assets/%FF.js",
	};
	static const char *const bad_ids[] = {
		"Last-Event-ID: -1\r\n", "Last-Event-ID: abc\r\n", "Last-Event-ID: 1e3\r\n",
		"Last-Event-ID: 99999999999999999999\r\n",
	};

	proj_web(&p, "webedges", false);
	write_file(&p, "sql/latin1.sql", "SELECT 'caf\xe9' AS x\n");
	write_file(&p, "sql/visits.sql", "SELECT id, person_id, at FROM visits -- caf\xe9\n");
	server_start(&s, &p, NULL, NULL, NULL);
	/* text that is not UTF-8: a JSON error, never null */
	r = get(&s, "/api/files/sql/latin1.sql");
	assert_status(r, 415);
	assert_json_error(&r, "latin1.sql");
	ck_assert_msg(strstr(r.body, "UTF-8"), "%s", r.body);
	resp_free(&r);
	j = get_json(&s, "/api/targets/visits");
	f = json_array_get(json_object_get(j, "files"), 0);
	ck_assert_msg(json_is_false(json_object_get(f, "editable")) && strstr(jstr(f, "note"), "UTF-8"),
	              "%s", json_dumps(f, 0));
	json_decref(j);
	for (size_t i = 0; i < LEN(bad_utf8); i++) {
		r = get(&s, bad_utf8[i]);
		ck_assert_msg(r.status / 100 == 4, "%s: %d", bad_utf8[i], r.status);
		assert_json_error(&r, bad_utf8[i]);
		resp_free(&r);
	}
	/* event ids: the largest one is no crash, and what is no id is refused */
	r = http_raw(&s, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	             "Last-Event-ID: 9223372036854775807\r\n\r\n",
	             strlen("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	                    "Last-Event-ID: 9223372036854775807\r\n\r\n"), 2);
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "retry: 2000"), "%s", r.body);
	resp_free(&r);
	for (size_t i = 0; i < LEN(bad_ids); i++) {
		r = http(&s, "GET", "/api/events", bad_ids[i], NULL);
		assert_status(r, 400);
		assert_json_error(&r, bad_ids[i]);
		resp_free(&r);
	}
	r = get(&s, "/api/events?since=9223372036854775808");
	assert_status(r, 400);
	resp_free(&r);
	server_stop(&s);
	/* a request without the token gets no CSRF cookie */
	server_start(&s, &p, NULL, NULL, "edge-token");
	r = get(&s, "/api/targets");
	assert_status(r, 401);
	ck_assert_msg(!strstr(r.head, "chacc_csrf"), "%s", r.head);
	resp_free(&r);
	r = get(&s, "/");
	assert_status(r, 401);
	ck_assert_msg(!strstr(r.head, "chacc_csrf"), "%s", r.head);
	resp_free(&r);
	r = http(&s, "GET", "/api/targets", "Authorization: Bearer edge-token\r\n", NULL);
	assert_status(r, 200);
	ck_assert_msg(strstr(r.head, "Set-Cookie: chacc_csrf="), "%s", r.head);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_status_without_the_source)
{
	struct proj p;
	struct server s;
	struct resp r;
	struct result b;
	json_t *j, *t;
	size_t i;

	proj_web(&p, "webnosrc", false);
	b = chacc(&p, "-f", "recipes/clinic.yml", "build");
	assert_ok(&b);
	result_free(&b);
	/* the source goes away: the dashboard's states come from the target database */
	server_start(&s, &p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", NULL, NULL);
	j = get_json(&s, "/api/status");
	ck_assert_int_eq(json_array_size(j), 4);
	json_array_foreach(j, i, t)
		ck_assert_str_eq(jstr(t, "state"), "ok");
	ck_assert_str_eq(jstr(json_array_get(j, 0), "target"), "people");
	ck_assert_str_eq(jstr(json_array_get(j, 0), "detail"), "source not checked");
	json_decref(j);
	j = get_json(&s, "/api/targets");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(j, "targets"), 0), "state"), "ok");
	json_decref(j);
	/* a plan asks the source: it cannot, and says for which target */
	r = get(&s, "/api/plan");
	ck_assert_msg(r.status == 503 && strstr(r.body, "target 'people'"), "%d %s", r.status,
	              r.body);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* the clinic whose visit_counts checks that nobody visited twice: ada did */
static const char checks_recipe_tail[] =
	"    checks:\n"
	"      - not_null: [name]\n"
	"      - expression: \"n < 2\"\n"
	"        name: at_most_one_visit\n";

START_TEST(test_checks_and_profile)
{
	struct proj p;
	struct server s;
	struct resp r;
	struct result b;
	json_t *j, *t, *c = NULL, *col = NULL;
	size_t i;
	char *yml = xasprintf("%s%s", recipe, checks_recipe_tail);

	proj_web(&p, "webchecks", false);
	write_file(&p, "recipes/clinic.yml", yml);
	b = chacc(&p, "-f", "recipes/clinic.yml", "build");
	ck_assert_msg(b.status == 1, "the check fails the build: %d %s", b.status, b.err);
	result_free(&b);
	server_start(&s, &p, NULL, NULL, NULL);
	/* the latest result of each check, the failing one with its count and sample key */
	j = get_json(&s, "/api/targets/visit_counts/checks");
	ck_assert_str_eq(jstr(j, "target"), "visit_counts");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "defined")), 2);
	ck_assert_int_eq(json_array_size(json_object_get(j, "checks")), 2);
	json_array_foreach(json_object_get(j, "checks"), i, t)
		if (strcmp(jstr(t, "check"), "at_most_one_visit") == 0)
			c = t;
		else
			ck_assert_str_eq(jstr(t, "status"), "pass");
	ck_assert_msg(c, "no at_most_one_visit in %s", json_dumps(j, 0));
	ck_assert_str_eq(jstr(c, "status"), "fail");
	ck_assert_str_eq(jstr(c, "severity"), "error");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "failing")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_array_get(
		json_object_get(c, "samples"), 0), 0)), "ada");
	json_decref(j);
	/* a target without checks has none; the dashboard's counts */
	j = get_json(&s, "/api/targets/people/checks");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "defined")), 0);
	ck_assert_int_eq(json_array_size(json_object_get(j, "checks")), 0);
	json_decref(j);
	j = get_json(&s, "/api/targets");
	t = json_array_get(json_object_get(j, "targets"), 3);
	ck_assert_str_eq(jstr(t, "target"), "visit_counts");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t, "checks"), "fail")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t, "checks"), "pass")), 1);
	ck_assert(!json_object_get(json_array_get(json_object_get(j, "targets"), 0), "checks"));
	json_decref(j);
	r = get(&s, "/metrics");
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "target=\"visit_counts\",severity=\"error\"} 1\n") &&
	              strstr(r.body, "target=\"visit_counts\",severity=\"warn\"} 0\n") &&
	              !strstr(r.body, "chacc_check_failures{recipe=\"clinic\",target=\"people\""),
	              "%s", r.body);
	resp_free(&r);
	r = get(&s, "/api/targets/nosuch/checks");
	assert_status(r, 404);
	resp_free(&r);
	r = get(&s, "/api/targets/people/nosuch");
	assert_status(r, 404);
	resp_free(&r);
	/* no profile before chacc profile, then its columns */
	r = get(&s, "/api/targets/people/profile");
	assert_status(r, 404);
	ck_assert_msg(strstr(r.body, "no profile"), "%s", r.body);
	resp_free(&r);
	b = chacc(&p, "-f", "recipes/clinic.yml", "profile", "people");
	assert_ok(&b);
	result_free(&b);
	j = get_json(&s, "/api/targets/people/profile");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "rows")), 3);
	ck_assert(json_is_string(json_object_get(j, "profiled_at")));
	ck_assert(json_is_null(json_object_get(j, "run_id")));  /* chacc profile has no run */
	json_array_foreach(json_object_get(j, "columns"), i, t)
		if (strcmp(jstr(t, "name"), "id") == 0)
			col = t;
	ck_assert_msg(col, "no column id in %s", json_dumps(j, 0));
	ck_assert_int_eq(json_integer_value(json_object_get(col, "distinct")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(col, "nulls")), 0);
	ck_assert_str_eq(jstr(col, "min"), "1");
	ck_assert_str_eq(jstr(col, "max"), "3");
	ck_assert_int_eq(json_array_size(json_object_get(col, "histogram")), 20);
	json_decref(j);
	server_stop(&s);
	proj_free(&p);
	free(yml);
}
END_TEST

START_TEST(test_sites)
{
	struct proj p;
	struct server s;
	struct resp r;
	struct result b;
	json_t *j, *t, *x = NULL;
	size_t i;

	proj_web(&p, "websites", false);
	proj_sites(&p);
	/* no answer may name a site's host, user or password */
	forbidden[0] = SITE_HOST;
	forbidden[1] = SITE_USER;
	forbidden[2] = SITE_SECRET;
	nforbidden = 3;
	server_start(&s, &p, NULL, NULL, NULL);

	/* the sites of obs, by name; the error without the server's words */
	j = get_json(&s, "/api/targets/obs/sites");
	ck_assert_int_eq(json_array_size(j), 2);
	x = json_array_get(j, 0);
	ck_assert_str_eq(jstr(x, "site"), "eldoret");
	ck_assert_str_eq(jstr(x, "state"), "ok");
	ck_assert(json_is_null(json_object_get(x, "error")));
	ck_assert(json_is_number(json_object_get(x, "lag_seconds")));
	x = json_array_get(j, 1);
	ck_assert_str_eq(jstr(x, "site"), "kisumu");
	ck_assert_str_eq(jstr(x, "state"), "failed");
	ck_assert_str_eq(jstr(x, "watermark"), "2026-12-01 10:00:00");
	ck_assert_msg(strstr(jstr(x, "error"), "Access denied for user") &&
	              strstr(jstr(x, "error"), "openmrs_kisumu"), "%s", jstr(x, "error"));
	ck_assert(json_is_string(json_object_get(x, "last_success")));
	ck_assert(json_is_number(json_object_get(x, "lag_seconds")));
	json_decref(j);
	/* a target without sites: none; an unknown target: 404 */
	j = get_json(&s, "/api/targets/people/sites");
	ck_assert_int_eq(json_array_size(j), 0);
	json_decref(j);
	r = get(&s, "/api/targets/nosuch/sites");
	assert_status(r, 404);
	ck_assert_msg(strstr(r.body, "unknown target 'nosuch'"), "%s", r.body);
	resp_free(&r);

	/* the dashboard: obs keeps its state, says how many sites failed, lists them */
	j = get_json(&s, "/api/targets");
	json_array_foreach(json_object_get(j, "targets"), i, t) {
		if (strcmp(jstr(t, "target"), "people") == 0) {
			ck_assert_ptr_null(json_object_get(t, "sites"));
			continue;
		}
		ck_assert_str_eq(jstr(t, "target"), "obs");
		ck_assert_str_ne(jstr(t, "state"), "failed");
		ck_assert_str_eq(jstr(t, "detail"), "1 of 2 sites failed");
		ck_assert_int_eq(json_array_size(json_object_get(t, "sites")), 2);
	}
	json_decref(j);
	j = get_json(&s, "/api/targets/obs");
	ck_assert_int_eq(json_array_size(json_object_get(j, "sites")), 2);
	ck_assert_str_eq(jstr(j, "from"), "facilities");
	json_decref(j);

	/* the metrics of each site */
	r = get(&s, "/metrics");
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "# TYPE chacc_site_up gauge\n") &&
	              strstr(r.body, "# HELP chacc_site_lag_seconds ") &&
	              strstr(r.body, "# TYPE chacc_site_last_success_timestamp_seconds gauge\n"),
	              "%s", r.body);
	ck_assert_msg(strstr(r.body, "chacc_site_up{recipe=\"clinic\",target=\"obs\",site=\"kisumu\"} 0\n") &&
	              strstr(r.body, "chacc_site_up{recipe=\"clinic\",target=\"obs\",site=\"eldoret\"} 1\n") &&
	              strstr(r.body, "chacc_site_lag_seconds{recipe=\"clinic\",target=\"obs\",site=\"kisumu\"} ") &&
	              strstr(r.body, "chacc_site_last_success_timestamp_seconds{recipe=\"clinic\","
	                     "target=\"obs\",site=\"eldoret\"} 1"), "%s", r.body);
	resp_free(&r);
	server_stop(&s);
	nforbidden = 0;

	/* the command line shows the same, its own words unscrubbed */
	b = chacc(&p, "-f", "recipes/clinic.yml", "status");
	assert_ok(&b);
	ck_assert_msg(strstr(b.out, "SITES") && strstr(b.out, "1 of 2 failed") &&
	              strstr(b.out, "  site kisumu  failed ") &&
	              strstr(b.out, "s ago: Access denied for user '" SITE_USER "'@'" SITE_HOST "'") &&
	              strstr(b.out, " (last success 20") && !strstr(b.out, "site eldoret"),
	              "%s", b.out);
	result_free(&b);
	b = chacc(&p, "-f", "recipes/clinic.yml", "status", "people");
	assert_ok(&b);
	ck_assert_msg(strstr(b.out, "CHECKS\n") && !strstr(b.out, "SITES"), "%s", b.out);
	result_free(&b);
	b = chacc(&p, "-f", "recipes/clinic.yml", "status", "--json");
	assert_ok(&b);
	j = json_loads(b.out, 0, NULL);
	ck_assert_msg(j, "%s", b.out);
	json_array_foreach(j, i, t)
		if (strcmp(jstr(t, "target"), "obs") == 0)
			x = t;
	ck_assert_str_eq(jstr(x, "detail"), "1 of 2 sites failed");
	ck_assert_str_ne(jstr(x, "state"), "failed");
	t = json_array_get(json_object_get(x, "sites"), 1);
	ck_assert_str_eq(jstr(t, "site"), "kisumu");
	ck_assert_str_eq(jstr(t, "state"), "failed");
	ck_assert_msg(strstr(jstr(t, "error"), SITE_HOST), "%s", b.out);
	json_decref(j);
	result_free(&b);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("web");
	int rc;

	if (itest_setup("check_web") < 0)
		return 0;
	add_case(s, "api_reads", test_api_reads);
	add_case(s, "build_from_the_api", test_build_from_the_api);
	add_case(s, "cancel_and_responsive", test_cancel_and_responsive);
	add_case(s, "edges", test_edges);
	add_case(s, "status_without_the_source", test_status_without_the_source);
	add_case(s, "checks_and_profile", test_checks_and_profile);
	add_case(s, "sites", test_sites);
	rc = run_suite(s);
	return rc;
}
