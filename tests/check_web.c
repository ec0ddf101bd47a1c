/* check_web.c: chacc serve, its REST API and security rules, against real servers */
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

/* a reply's status for a raw request */
static int
raw_status(struct server *s, const char *req)
{
	struct resp r = http_raw(s, req, strlen(req), 10);
	int st = r.status;

	resp_free(&r);
	return st;
}

START_TEST(test_security)
{
	struct proj p;
	struct server s, t;
	struct resp r;
	char *h, *big, *env;
	struct result res;
	static const char *const bad_paths[] = {
		"/api/files/../.env", "/api/files/sql/../../etc/passwd", "/api/files/%2e%2e/chacc.yml",
		"/api/files/%2Fetc%2Fpasswd", "/api/files/sql/x.txt", "/api/files/.env",
		"/api/files/recipes/.hidden.yml", "/api/files/state/logs/chacc.jsonl", "/api/files/sql",
	};

	proj_web(&p, "websec", false);
	server_start(&s, &p, NULL, NULL, NULL);
	/* state changes need the CSRF token */
	r = http(&s, "POST", "/api/runs", "Content-Type: application/json\r\n", "{}");
	assert_status(r, 403);
	ck_assert_msg(strstr(r.body, "X-CSRF-Token"), "%s", r.body);
	resp_free(&r);
	r = http(&s, "POST", "/api/runs", "X-CSRF-Token: 0123456789abcdef\r\n", "{}");
	assert_status(r, 403);
	resp_free(&r);
	r = http(&s, "POST", "/api/files/sql/visits.sql", "X-CSRF-Token: \r\n", "{\"content\": \"x\"}");
	assert_status(r, 403);
	resp_free(&r);
	/* loopback names only: another Host is refused (DNS rebinding) */
	r = http_raw(&s, "GET /api/targets HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
	             strlen("GET /api/targets HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n"),
	             10);
	assert_status(r, 403);
	resp_free(&r);
	/* paths: confined to recipes/ and sql/, no way out */
	for (size_t i = 0; i < LEN(bad_paths); i++) {
		char *req = xasprintf("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		                      bad_paths[i]);
		int st = raw_status(&s, req);

		ck_assert_msg(st == 403 || st == 400 || st == 404, "%s: %d", bad_paths[i], st);
		free(req);
	}
	env = xasprintf("%s/sql/evil.sql", p.dir);
	ck_assert_int_eq(symlink("/etc/passwd", env), 0);
	free(env);
	r = get(&s, "/api/files/sql/evil.sql");
	assert_status(r, 403);
	ck_assert_msg(!strstr(r.body, "root:"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/sql/evil.sql", "{\"content\": \"SELECT 1\\n\"}");
	assert_status(r, 403);
	resp_free(&r);
	r = post(&s, "/api/files/../outside.sql", "{\"content\": \"SELECT 1\\n\"}");
	ck_assert_msg(r.status == 403, "%d %s", r.status, r.body);
	resp_free(&r);
	env = xasprintf("%s/outside.sql", p.dir);
	ck_assert(access(env, F_OK) < 0);
	free(env);
	/* malformed requests: 4xx, and the server lives on */
	r = post(&s, "/api/runs", "{\"mode\": ");
	assert_status(r, 400);
	ck_assert_msg(strstr(r.body, "malformed JSON"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/runs", "[1, 2]");
	assert_status(r, 400);
	resp_free(&r);
	r = post(&s, "/api/runs", "{\"mode\": \"sideways\"}");
	assert_status(r, 400);
	resp_free(&r);
	r = post(&s, "/api/runs", "{\"targets\": [\"nosuch\"]}");
	assert_status(r, 400);
	ck_assert_msg(strstr(r.body, "unknown target 'nosuch'"), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/runs", "{\"targets\": \"people\"}");
	assert_status(r, 400);
	resp_free(&r);
	r = post(&s, "/api/runs", "{\"since\": \"yesterday\"}");
	assert_status(r, 400);
	resp_free(&r);
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": 42}");
	assert_status(r, 400);
	resp_free(&r);
	h = csrf_headers(&s);
	r = http(&s, "PUT", "/api/runs", h, "{}");
	assert_status(r, 405);
	ck_assert_msg(strstr(r.head, "Allow: GET, HEAD, POST"), "%s", r.head);
	resp_free(&r);
	r = http(&s, "DELETE", "/api/files/sql/visits.sql", h, NULL);
	assert_status(r, 405);
	resp_free(&r);
	r = get(&s, "/api/nosuch");
	assert_status(r, 404);
	resp_free(&r);
	r = get(&s, "/api/runs/abc");
	assert_status(r, 404);
	resp_free(&r);
	r = get(&s, "/api/runs/424242");
	assert_status(r, 404);
	resp_free(&r);
	/* an upload over the limit */
	big = xmalloc(1100 * 1024 + 64);
	memset(big, 'x', 1100 * 1024 + 63);
	big[1100 * 1024 + 63] = '\0';
	memcpy(big, "{\"content\": \"", 13);
	memcpy(big + 1100 * 1024 + 60, "\"}", 3);
	r = http(&s, "POST", "/api/files/sql/big.sql", h, big);
	assert_status(r, 413);
	resp_free(&r);
	free(big);
	{
		char *req = xasprintf("POST /api/files/sql/big.sql HTTP/1.1\r\nHost: localhost\r\n%s"
		                      "Content-Length: 999999999\r\n\r\n{", h);

		ck_assert_int_eq(raw_status(&s, req), 413);
		free(req);
	}
	free(h);
	/* garbage: an error reply or a closed connection, never a crash */
	{
		int st = raw_status(&s, "BLAH\r\n\r\n");

		ck_assert_msg(st == 0 || st / 100 == 4, "%d", st);
	}
	ck_assert_int_eq(raw_status(&s, "GET /api/targets HTTP/9.9\r\nHost: localhost\r\n\r\n") / 100, 5);
	r = get(&s, "/api/targets");
	assert_status(r, 200);
	resp_free(&r);
	server_stop(&s);

	/* with a token: every request shows it, as a header or the cookie the login sets */
	server_start(&t, &p, NULL, NULL, "s3cret-token");
	r = get(&t, "/api/targets");
	assert_status(r, 401);
	resp_free(&r);
	r = get(&t, "/");
	assert_status(r, 401);
	ck_assert_msg(strstr(r.body, "name=\"token\""), "%s", r.body);
	ck_assert_msg(!strstr(r.body, "csrf-token"), "%s", r.body);
	resp_free(&r);
	r = http(&t, "GET", "/api/targets", "Authorization: Bearer wrong\r\n", NULL);
	assert_status(r, 401);
	resp_free(&r);
	r = http(&t, "GET", "/api/targets", "Authorization: Bearer s3cret-token\r\n", NULL);
	assert_status(r, 200);
	resp_free(&r);
	r = http(&t, "GET", "/api/targets", "X-Chacc-Token: s3cret-token\r\nHost: other.name\r\n", NULL);
	assert_status(r, 200);
	resp_free(&r);
	r = get(&t, "/?token=wrong");
	assert_status(r, 401);
	resp_free(&r);
	r = get(&t, "/?token=s3cret-token");
	assert_status(r, 303);
	ck_assert_msg(strstr(r.head, "Set-Cookie: chacc_token=s3cret-token; Path=/; HttpOnly"), "%s",
	              r.head);
	resp_free(&r);
	r = http(&t, "GET", "/", "Cookie: chacc_token=s3cret-token\r\n", NULL);
	assert_status(r, 200);
	resp_free(&r);
	server_stop(&t);
	/* the token may come from the environment; off loopback it must */
	server_start(&t, &p, "CHACC_UI_TOKEN=env-token", "127.0.0.2", NULL);
	r = http(&t, "GET", "/api/status", "Authorization: Bearer env-token\r\n", NULL);
	assert_status(r, 200);
	resp_free(&r);
	server_stop(&t);
	res = chacc(&p, "-f", "recipes/clinic.yml", "serve", "--bind", "0.0.0.0", "--port", "0");
	ck_assert_msg(res.status == 2, "exit %d: %s", res.status, res.err);
	ck_assert_msg(strstr(res.err, "needs a token"), "%s", res.err);
	result_free(&res);
	res = chacc(&p, "-f", "recipes/clinic.yml", "serve", "--bind", "::", "--port", "0");
	ck_assert_msg(res.status == 2, "exit %d: %s", res.status, res.err);
	result_free(&res);
	res = chacc(&p, "-f", "recipes/clinic.yml", "serve", "--port", "http");
	ck_assert_msg(res.status == 2, "exit %d: %s", res.status, res.err);
	result_free(&res);
	env = xasprintf("%s/.env", p.dir);
	ck_assert_msg(access(env, F_OK) == 0, "the .env of the project is gone");
	free(env);
	proj_free(&p);
}
END_TEST

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
	ck_assert_msg(strstr(r.body, "unknown target 'nosuch'") && strstr(r.body, "\"line\": 33"), "%s",
	              r.body);
	free(body);
	json_decref(j);
	/* the problem as data: file, line, target and message apart, not a line of text */
	j = body_json(&r);
	t = json_array_get(json_object_get(j, "problems"), 0);
	ck_assert_msg(json_array_size(json_object_get(j, "problems")) == 1, "%s", r.body);
	ck_assert_str_eq(jstr(t, "file"), "recipes/clinic.yml");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 33);
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
	ck_assert_int_eq(json_integer_value(json_object_get(t, "line")), 33);
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
	r = post(&s, "/api/files/sql/visits.sql", "{\"content\": \"SELECT 1 AS id\\n\", \"check\": true}");
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

/* the distinctive users, passwords and host of the secrets project */
#define SRC_USER "zsrc_Ku7w"
#define SRC_PW "Pw-src-Hq83-xR"
#define TGT_USER "ztgt_Lm4v"
#define TGT_PW "Pw-tgt-Vb21-yN"
#define WRONG_PW "Pw-wrong-Zt55-qP"
/* a value only the recipe directory's .env holds */
#define AUDIT_TOKEN "tokaudQz71wE"

static const char secret_recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	"connections:\n"
	"  - name: source\n"
	"    host: ${SOURCE_DB_HOST}\n"
	"    port: ${SOURCE_DB_PORT}\n"
	"    user: ${SOURCE_DB_USER}\n"
	"    password: ${SOURCE_DB_PASSWORD}\n"
	"    database: ${SOURCE_DB_NAME}\n"
	"  - name: target\n"
	"    socket: ${TARGET_DB_SOCKET}\n"
	"    user: ${TARGET_DB_USER}\n"
	"    password: ${TARGET_DB_PASSWORD}\n"
	"    database: ${TARGET_DB_NAME}\n"
	"target: target\n"
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: ../sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: voided, lookback: 1s }\n"
	"  - name: visits\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: ../sql/visits.sql\n"
	"    key: [id]\n"
	"  - name: denied\n"
	"    kind: table\n"
	"    query: ../sql/denied.sql\n"
	"  - name: audit\n"
	"    kind: table\n"
	"    query: ../sql/audit.sql\n";

/* a project whose .env holds distinctive users and passwords, the source over TCP */
static void
proj_secret(struct proj *p)
{
	char *env, *srcport = getenv("CHACC_TEST_SRC_PORT");

	proj_new(p, "websecret");
	sql(p->src, "CREATE USER IF NOT EXISTS '" SRC_USER "'@'%%' IDENTIFIED BY '" SRC_PW "'");
	sql(p->src, "GRANT ALL PRIVILEGES ON %s.* TO '" SRC_USER "'@'%%'", p->srcdb);
	for (int i = 0; i < 2; i++) {
		const char *h = i ? "localhost" : "%";

		sql(p->tgt, "CREATE USER IF NOT EXISTS '" TGT_USER "'@'%s' IDENTIFIED BY '" TGT_PW "'", h);
		sql(p->tgt, "GRANT ALL PRIVILEGES ON %s.* TO '" TGT_USER "'@'%s'", p->tgtdb, h);
	}
	env = xasprintf("SOURCE_DB_HOST=127.0.0.1\nSOURCE_DB_PORT=%s\nSOURCE_DB_USER=" SRC_USER "\n"
	                "SOURCE_DB_PASSWORD=" SRC_PW "\nSOURCE_DB_NAME=%s\nTARGET_DB_SOCKET=%s\n"
	                "TARGET_DB_USER=" TGT_USER "\nTARGET_DB_PASSWORD=\"" TGT_PW "\"\n"
	                "TARGET_DB_NAME=%s\n", srcport, p->srcdb, getenv("CHACC_TEST_TGT_SOCKET"),
	                p->tgtdb);
	write_file(p, ".env", env);
	free(env);
	write_file(p, "recipes/.env", "AUDIT_TOKEN=" AUDIT_TOKEN "\n");
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', NOW() - INTERVAL 1 DAY, 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2026-01-01')");
	write_file(p, "recipes/clinic.yml", secret_recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits\n");
	/* the target's user may not read mysql.user: the server's error names user and host */
	write_file(p, "sql/denied.sql", "SELECT User FROM mysql.user\n");
	/* fails naming the value of a variable of recipes/.env: "unknown column '...'" */
	write_file(p, "sql/audit.sql", "SELECT ${AUDIT_TOKEN} AS x\n");
	/* a recipe that holds a password itself: the editor must not hand it out */
	write_file(p, "recipes/leak.yml", "chacc: 1\nname: leak\nconnections:\n  - name: t\n"
	           "    password: " SRC_PW "\ntarget: t\ntargets: []\n");
	write_file(p, ".gitignore", ".env\nstate/\n");
	git(p, "init -q -b main .");
	git(p, "config user.name 'Web Tester'");
	git(p, "config user.email web@example.org");
	git(p, "add -A");
	git(p, "commit -q -m 'the clinic'");
	forbidden[nforbidden++] = SRC_USER;
	forbidden[nforbidden++] = SRC_PW;
	forbidden[nforbidden++] = TGT_USER;
	forbidden[nforbidden++] = TGT_PW;
	forbidden[nforbidden++] = WRONG_PW;
	forbidden[nforbidden++] = AUDIT_TOKEN;
	forbidden[nforbidden++] = getenv("CHACC_TEST_TGT_SOCKET");
	/* the source's host, and its port after a colon; requests come from 127.0.0.5 */
	forbidden[nforbidden++] = "127.0.0.1";
	forbidden[nforbidden++] = xasprintf(":%s", srcport);
	client_src = "127.0.0.5";
}

/* every GET of the API once; each answer is checked by http_raw() */
static void
get_everything(struct server *s)
{
	static const char *const paths[] = {
		"/", "/api/csrf", "/api/targets", "/api/status", "/api/plan", "/api/plan?targets=people",
		"/api/graph", "/api/targets/people", "/api/targets/denied", "/api/runs", "/api/runs/1",
		"/api/runs/2", "/api/jobs", "/api/files", "/api/files/recipes/clinic.yml",
		"/api/files/recipes/leak.yml", "/api/files/sql/denied.sql", "/api/reviews",
		"/api/reviews/1", "/metrics", "/api/nosuch", "/api/events?since=0",
	};

	for (size_t i = 0; i < LEN(paths); i++) {
		char *req = xasprintf("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
		                      paths[i], s->port);
		struct resp r = http_raw(s, req, strlen(req), strstr(paths[i], "events") ? 2 : 30);

		ck_assert_msg(r.status > 0, "GET %s: no answer", paths[i]);
		resp_free(&r);
		free(req);
	}
}

/* start a build of body, wait for its job to end; the job's JSON */
static json_t *
build_job(struct server *s, const char *body)
{
	struct resp r = post(s, "/api/runs", body);
	json_t *j, *jobs;
	double until = now_seconds() + 90;
	json_int_t id;

	assert_status(r, 202);
	j = body_json(&r);
	resp_free(&r);
	id = json_integer_value(json_object_get(j, "job"));
	json_decref(j);
	for (;;) {
		size_t i;
		json_t *e;

		jobs = get_json(s, "/api/jobs");
		json_array_foreach(jobs, i, e)
			if (json_integer_value(json_object_get(e, "job")) == id &&
			    strcmp(jstr(e, "state"), "done") == 0) {
				json_incref(e);
				json_decref(jobs);
				return e;
			}
		json_decref(jobs);
		ck_assert_msg(now_seconds() < until, "job %lld did not end", (long long)id);
		sleep_interruptible(0.1, NULL);
	}
}

/* the first target of the run a finished job started, as /api/runs/ID tells it */
static json_t *
run_target_error(struct server *s, json_t *job)
{
	json_int_t id = json_integer_value(json_object_get(job, "run_id"));
	char *path;
	json_t *run, *t;

	ck_assert_msg(id > 0, "the job started no run: %s", json_dumps(job, 0));
	path = xasprintf("/api/runs/%lld", (long long)id);
	run = get_json(s, path);
	free(path);
	t = json_incref(json_array_get(json_object_get(run, "targets"), 0));
	ck_assert_msg(t != NULL, "%s", json_dumps(run, 0));
	json_decref(run);
	return t;
}

/* a recipe check of clinic.yml with one line changed: 422, and the problem says what */
static void
check_recipe_edit(struct server *s, const char *from, const char *to, const char *want)
{
	char *text = str_replace(secret_recipe, from, to), *body;
	json_t *j = json_pack("{s:s, s:b}", "content", text, "check", 1);
	struct resp r;

	body = json_dumps(j, 0);
	r = post(s, "/api/files/recipes/clinic.yml", body);
	assert_status(r, 422);
	if (want)
		ck_assert_msg(strstr(r.body, want), "%s -> %s: %s", from, to, r.body);
	resp_free(&r);
	free(body);
	json_decref(j);
	free(text);
}

START_TEST(test_no_secret_leaves)
{
	struct proj p;
	struct server s;
	struct resp r;
	struct result res;
	json_t *j, *t;
	size_t i;
	bool seen = false;

	proj_secret(&p);
	server_start(&s, &p, NULL, NULL, NULL);
	/* a build where one target fails on a privilege: MariaDB names user and host */
	j = build_job(&s, "{\"keep_going\": true}");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "exit")), 1);
	ck_assert_str_eq(jstr(j, "started_by"), "web (127.0.0.5)");
	json_decref(j);
	j = get_json(&s, "/api/runs/1");
	json_array_foreach(json_object_get(j, "targets"), i, t)
		if (strcmp(jstr(t, "target"), "denied") == 0) {
			ck_assert_msg(strstr(jstr(t, "error"), "command denied to user"), "%s",
			              jstr(t, "error"));
			seen = true;
		}
	ck_assert(seen);
	json_decref(j);
	get_everything(&s);
	/* a wrong password for the source: the job's message says the connection failed */
	sql(p.src, "ALTER USER '" SRC_USER "'@'%%' IDENTIFIED BY '" WRONG_PW "'");
	j = build_job(&s, "{\"targets\": [\"people\"], \"force\": true}");
	t = run_target_error(&s, j);
	ck_assert_msg(strstr(jstr(t, "error"), "Access denied") &&
	              strstr(jstr(t, "error"), "connection 'source'"), "%s", json_dumps(t, 0));
	json_decref(t);
	json_decref(j);
	get_everything(&s);
	sql(p.src, "ALTER USER '" SRC_USER "'@'%%' IDENTIFIED BY '" SRC_PW "'");
	/* the file check never echoes a variable's value; includes stay inside */
	check_recipe_edit(&s, "port: ${SOURCE_DB_PORT}", "port: ${SOURCE_DB_PASSWORD}",
	                  "${SOURCE_DB_PASSWORD}");
	check_recipe_edit(&s, "kind: table", "kind: ${SOURCE_DB_PASSWORD}", "${SOURCE_DB_PASSWORD}");
	/* nor one of the recipe directory's .env */
	check_recipe_edit(&s, "kind: table", "kind: ${AUDIT_TOKEN}", "${AUDIT_TOKEN}");
	check_recipe_edit(&s, "    query: ../sql/denied.sql\n",
	                  "    query: ../sql/denied.sql\n    needs: [\"${SOURCE_DB_PASSWORD}\"]\n",
	                  "${SOURCE_DB_PASSWORD}");
	/* a recipe that holds a password is not handed to the editor */
	r = get(&s, "/api/files/recipes/leak.yml");
	ck_assert_msg(r.status == 415 && strstr(r.body, "\"error\""), "%d %s", r.status, r.body);
	resp_free(&r);
	server_stop(&s);

	/* the source unreachable (the environment overrides .env) */
	server_start(&s, &p, "SOURCE_DB_PORT=1", NULL, NULL);
	j = build_job(&s, "{\"targets\": [\"people\"], \"force\": true}");
	t = run_target_error(&s, j);
	ck_assert_msg(strstr(jstr(t, "error"), "cannot connect"), "%s", json_dumps(t, 0));
	json_decref(t);
	json_decref(j);
	get_everything(&s);
	server_stop(&s);

	/* the target's password wrong: every answer fails, and says little */
	server_start(&s, &p, "TARGET_DB_PASSWORD=" WRONG_PW, NULL, NULL);
	r = get(&s, "/api/targets");
	assert_status(r, 503);
	ck_assert_msg(strstr(r.body, "connection 'target': cannot connect"), "%s", r.body);
	resp_free(&r);
	j = build_job(&s, "{}");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "exit")), 3);
	ck_assert_str_eq(jstr(j, "outcome"), "unreachable");
	ck_assert_msg(strstr(jstr(j, "message"), "connection 'target': cannot connect"), "%s",
	              jstr(j, "message"));
	/* the job's message is made from its diagnostics, which the answer carries as data */
	t = json_array_get(json_object_get(j, "diagnostics"), json_array_size(json_object_get(j,
	                   "diagnostics")) - 1);
	ck_assert_msg(t && strstr(jstr(t, "message"), "connection 'target': cannot connect") &&
	              strcmp(jstr(t, "severity"), "error") == 0 && !json_object_get(t, "file"), "%s",
	              json_dumps(j, 0));
	json_decref(j);
	get_everything(&s);
	server_stop(&s);

	/* the command line still tells the operator who could not connect (never the password) */
	res = chacc_env(&p, "TARGET_DB_PASSWORD=" WRONG_PW, "-f", "recipes/clinic.yml", "status",
	                (char *)NULL);
	ck_assert_msg(res.status == 3 && strstr(res.err, "as '" TGT_USER "'") &&
	              !strstr(res.err, WRONG_PW), "exit %d: %s", res.status, res.err);
	result_free(&res);
	proj_free(&p);
}
END_TEST

/* an include that reaches outside recipes/ and sql/ is refused, .env above all */
START_TEST(test_include_stays_inside)
{
	struct proj p;
	struct server s;
	char *text, *body;
	json_t *j;
	struct resp r;

	proj_secret(&p);
	server_start(&s, &p, NULL, NULL, NULL);
	text = str_replace(secret_recipe, "targets:\n", "include: [\"../.e*\"]\ntargets:\n");
	j = json_pack("{s:s, s:b}", "content", text, "check", 1);
	body = json_dumps(j, 0);
	r = post(&s, "/api/files/recipes/clinic.yml", body);
	assert_status(r, 422);
	ck_assert_msg(!strstr(r.body, ".env"), "the include reached .env: %s", r.body);
	resp_free(&r);
	free(body);
	json_decref(j);
	free(text);
	/* a file of the project outside recipes/ and sql/ is not read either */
	write_file(&p, "notes/extra.yml", "targets:\n  - name: leaked_name\n    kind: nonsense\n");
	text = str_replace(secret_recipe, "targets:\n", "include: [\"../notes/*.yml\"]\ntargets:\n");
	j = json_pack("{s:s, s:b}", "content", text, "check", 1);
	body = json_dumps(j, 0);
	r = post(&s, "/api/files/recipes/clinic.yml", body);
	ck_assert_msg(!strstr(r.body, "leaked_name") && !strstr(r.body, "nonsense"),
	              "the include reached notes/: %s", r.body);
	resp_free(&r);
	free(body);
	json_decref(j);
	free(text);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* a client that has sent half its request headers */
static int
slow_client(struct server *s)
{
	int fd = server_socket(s);
	static const char part[] = "GET /api/targets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

	ck_assert(send(fd, part, sizeof(part) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(part) - 1);
	return fd;
}

/* read fd until text arrives or the connection ends; true when it arrived */
static bool
await_text(int fd, const char *text, double timeout, struct buf *b)
{
	double until = now_seconds() + timeout;
	char tmp[4096];

	while (!strstr(b->s, text)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)((until - now_seconds()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		if ((n = recv(fd, tmp, sizeof(tmp), 0)) <= 0)
			return false;
		buf_add(b, tmp, (size_t)n);
	}
	return true;
}

/* the peer closed fd within timeout seconds (what it sent before is read and dropped) */
static bool
closed_within(int fd, double timeout)
{
	double until = now_seconds() + timeout;
	char tmp[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)((until - now_seconds()) * 1000);

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return false;
		if (recv(fd, tmp, sizeof(tmp), 0) <= 0)
			return true;
	}
}

START_TEST(test_many_clients)
{
	enum { NSTREAMS = 500, NSLOW = 50 };
	struct proj p;
	struct server s;
	struct resp r;
	struct rlimit rl, low;
	int streams[NSTREAMS], slow[NSLOW], ready = 0, open_ = 0;
	double t0, dropped;
	char *req;

	proj_web(&p, "webmany", false);
	/* the server starts with few descriptors: it must raise its limit itself */
	ck_assert(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	ck_assert_msg(rl.rlim_max >= 2048, "the hard limit of open files is %lu",
	              (unsigned long)rl.rlim_max);
	low = rl;
	low.rlim_cur = 256;
	ck_assert(setrlimit(RLIMIT_NOFILE, &low) == 0);
	server_start(&s, &p, "CHACC_UI_TIMEOUT=3", NULL, NULL);
	rl.rlim_cur = rl.rlim_max > 4096 ? 4096 : rl.rlim_max;
	ck_assert(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	/* 500 event streams, each answered */
	req = xasprintf("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", s.port);
	for (int i = 0; i < NSTREAMS; i++) {
		streams[i] = server_socket(&s);
		ck_assert(send(streams[i], req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	}
	free(req);
	t0 = now_seconds() + 60;
	for (int i = 0; i < NSTREAMS; i++) {
		struct buf b;

		buf_init(&b);
		buf_adds(&b, "");
		ready += await_text(streams[i], "retry: 2000", t0 - now_seconds(), &b);
		buf_release(&b);
	}
	ck_assert_msg(ready == NSTREAMS, "%d of %d event streams answered", ready, NSTREAMS);
	/* 50 clients that never finish their headers */
	for (int i = 0; i < NSLOW; i++)
		slow[i] = slow_client(&s);
	t0 = now_seconds();
	/* the UI still answers */
	r = get(&s, "/api/csrf");
	assert_status(r, 200);
	resp_free(&r);
	r = get(&s, "/api/targets");
	assert_status(r, 200);
	resp_free(&r);
	/* a slow client is dropped once it has been idle for the timeout */
	ck_assert_msg(closed_within(slow[0], 60), "a slow client is still connected after 60s");
	dropped = now_seconds() - t0;
	ck_assert_msg(dropped > 1.5, "a slow client was dropped after %.1fs, before the timeout",
	              dropped);
	t0 = now_seconds() + 30;
	for (int i = 1; i < NSLOW; i++) {
		ck_assert_msg(closed_within(slow[i], t0 - now_seconds()), "slow client %d still connected",
		              i);
		close(slow[i]);
	}
	close(slow[0]);
	/* the event streams, idle for longer than the timeout, stay, and get the next event */
	r = post(&s, "/api/runs", "{}");
	assert_status(r, 202);
	resp_free(&r);
	t0 = now_seconds() + 60;
	for (int i = 0; i < NSTREAMS; i += 7) {
		struct buf b;

		buf_init(&b);
		buf_adds(&b, "");
		open_ += await_text(streams[i], "\"type\":\"job\"", t0 - now_seconds(), &b);
		buf_release(&b);
	}
	ck_assert_msg(open_ == (NSTREAMS + 6) / 7, "%d of %d event streams saw the job", open_,
	              (NSTREAMS + 6) / 7);
	for (int i = 0; i < NSTREAMS; i++)
		close(streams[i]);
	server_stop(&s);

	/* with a token, a request without it is refused before its body is read */
	server_start(&s, &p, NULL, NULL, "slow-body-token");
	r = http_raw(&s, "POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{",
	             strlen("POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"),
	             10);
	assert_status(r, 401);
	resp_free(&r);
	server_stop(&s);
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

/* a file of the project, or "" */
static char *
readfile_in(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *text = readfile(path, NULL);

	free(path);
	return text ? text : xstrdup("");
}

/* the Allow header of a reply, "" if none */
static char *
allow_header(const struct resp *r)
{
	const char *a = strstr(r->head, "\r\nAllow: ");

	return a ? xstrndup(a + 9, strcspn(a + 9, "\r\n")) : xstrdup("");
}

/*
 * every route, with a method it does not take: 405 and an Allow header
 * naming the ones it does, with the CSRF token or without; nothing is done
 */
START_TEST(test_wrong_methods)
{
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
		{ "POST", "/", "GET, HEAD" },
		{ "DELETE", "/index.html", "GET, HEAD" },
		{ "POST", "/assets/app.js", "GET, HEAD" },
		{ "POST", "/api/csrf", "GET, HEAD" },
		{ "POST", "/api/targets", "GET, HEAD" },
		{ "DELETE", "/api/targets/people", "GET, HEAD" },
		{ "POST", "/api/status", "GET, HEAD" },
		{ "PUT", "/api/plan", "GET, HEAD" },
		{ "POST", "/api/graph", "GET, HEAD" },
		{ "PUT", "/api/runs", "GET, HEAD, POST" },
		{ "DELETE", "/api/runs", "GET, HEAD, POST" },
		{ "PUT", "/api/runs/1", "GET, HEAD, POST, DELETE" },
		{ "PATCH", "/api/runs/1", "GET, HEAD, POST, DELETE" },
		{ "POST", "/api/jobs", "GET, HEAD" },
		{ "POST", "/api/events", "GET, HEAD" },
		{ "POST", "/api/files", "GET, HEAD" },
		{ "DELETE", "/api/files/sql/visits.sql", "GET, HEAD, POST" },
		{ "PUT", "/api/files/sql/visits.sql", "GET, HEAD, POST" },
		{ "POST", "/api/reviews", "GET, HEAD" },
		{ "DELETE", "/api/reviews/some-change", "GET, HEAD, POST" },
		{ "POST", "/metrics", "GET, HEAD" },
	};
	struct proj p;
	struct server s;
	char *csrf, *before, *after;

	proj_web(&p, "webmethods", false);
	server_start(&s, &p, NULL, NULL, NULL);
	csrf = csrf_headers(&s);
	before = readfile_in(&p, "sql/visits.sql");
	for (size_t i = 0; i < LEN(cases); i++)
		for (int with = 0; with < 2; with++) {
			struct resp r = http(&s, cases[i].method, cases[i].path, with ? csrf : NULL,
			                     "{\"content\": \"SELECT 2\\n\"}");
			char *allow = allow_header(&r);

			ck_assert_msg(r.status == 405, "%s %s (%s CSRF): %d %s", cases[i].method,
			              cases[i].path, with ? "with" : "without", r.status, r.body);
			ck_assert_msg(strcmp(allow, cases[i].allow) == 0, "%s %s: Allow '%s', want '%s'",
			              cases[i].method, cases[i].path, allow, cases[i].allow);
			free(allow);
			resp_free(&r);
		}
	/* the right methods still work, HEAD included */
	{
		struct resp r = http(&s, "HEAD", "/api/targets", NULL, NULL);

		assert_status(r, 200);
		resp_free(&r);
		r = http(&s, "DELETE", "/api/runs/99999", NULL, NULL);
		assert_status(r, 403);
		resp_free(&r);
	}
	after = readfile_in(&p, "sql/visits.sql");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free(csrf);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* an event stream (HTTP/1.0: not chunked) on a new connection, once it is answered */
static int
live_stream(struct server *s, struct buf *b)
{
	int fd = server_socket(s);
	static const char req[] = "GET /api/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";

	ck_assert(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1);
	buf_init(b);
	buf_adds(b, "");
	ck_assert_msg(await_text(fd, "retry: 2000", 30, b), "no event stream: %s", b->s);
	return fd;
}

/* read the stream for seconds more */
static void
live_more(int fd, double seconds, struct buf *b)
{
	await_text(fd, "\001never sent", seconds, b);
}

/* the events of a stream's text, of a type (NULL: all), as a JSON array */
static json_t *
live_events(const char *text, const char *type)
{
	json_t *arr = json_array();
	const char *p = text;

	assert_clean("the event stream", text);
	while ((p = strstr(p, "\ndata: "))) {
		const char *end = strchr(p + 7, '\n');
		json_t *e;

		if (!end)
			break;
		e = json_loadb(p + 7, (size_t)(end - p - 7), 0, NULL);
		ck_assert_msg(e != NULL, "an event that is not JSON: %.*s", (int)(end - p - 7), p + 7);
		if (!type || strcmp(jstr(e, "type"), type) == 0)
			json_array_append_new(arr, e);
		else
			json_decref(e);
		p = end;
	}
	return arr;
}

/* the index in events of target's event in state, or -1 (there is at most one) */
static long
event_index(json_t *events, long long id, const char *target, const char *state)
{
	json_t *e;
	size_t i;
	long at = -1;

	json_array_foreach(events, i, e) {
		if (json_integer_value(json_object_get(e, "run_id")) != id ||
		    strcmp(jstr(e, "target"), target) != 0 || strcmp(jstr(e, "state"), state) != 0)
			continue;
		ck_assert_msg(at < 0, "run %lld: two events of %s %s", id, target, state);
		at = (long)i;
	}
	return at;
}

/* each target of run id built once, with its rows, in an event of the stream */
static void
assert_built_events(json_t *targets, long long id)
{
	static const struct { const char *name; long long rows; } want[] = {
		{ "people", 3 }, { "visits", 3 }, { "people_visits", 3 }, { "visit_counts", 2 },
	};

	for (size_t k = 0; k < LEN(want); k++) {
		long at = event_index(targets, id, want[k].name, "built");
		json_t *e = json_array_get(targets, at < 0 ? 0 : (size_t)at);

		ck_assert_msg(at >= 0, "run %lld: no event of %s built", id, want[k].name);
		ck_assert_int_eq(json_integer_value(json_object_get(e, "rows")), want[k].rows);
		ck_assert_msg(json_is_true(json_object_get(e, "changed")), "%s", json_dumps(e, 0));
		ck_assert_msg(json_is_number(json_object_get(e, "seconds")), "%s", json_dumps(e, 0));
		ck_assert(json_is_null(json_object_get(e, "error")));
		ck_assert_int_eq(json_integer_value(json_object_get(e, "attempts")), 1);
		ck_assert_msg(json_is_string(json_object_get(e, "ended_at")), "%s", json_dumps(e, 0));
	}
}

/* /api/events: the runs of the command line, as structured events, each change once */
START_TEST(test_live_events_of_the_cli)
{
	struct proj p;
	struct server s;
	struct result res;
	struct buf b;
	struct resp r;
	json_t *all, *targets, *runs, *e;
	long long id, web_id;
	char *v;
	int fd;
	size_t i, ends = 0;

	proj_web(&p, "weblive", false);
	/* people_visits takes a while (a second a row): seen building */
	write_file(&p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id WHERE SLEEP(1) = 0\n");
	server_start(&s, &p, NULL, NULL, NULL);
	fd = live_stream(&s, &b);
	sleep_interruptible(2, NULL);       /* the follower's first read */
	res = chacc(&p, "-f", "recipes/clinic.yml", "build");
	assert_ok(&res);
	result_free(&res);
	v = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	id = atoll(v);
	free(v);
	ck_assert_msg(await_text(fd, "\"state\":\"success\"", 30, &b), "no end of run: %s", b.s);
	all = live_events(b.s, NULL);
	targets = live_events(b.s, "target");
	runs = live_events(b.s, "run");
	/* the run: its start and its end, once each */
	json_array_foreach(runs, i, e) {
		ck_assert_int_eq(json_integer_value(json_object_get(e, "run_id")), id);
		ck_assert_str_eq(jstr(e, "mode"), "incremental");
		ck_assert_msg(json_is_string(json_object_get(e, "started_by")), "%s", json_dumps(e, 0));
		ends += strcmp(jstr(e, "state"), "success") == 0;
	}
	ck_assert_int_eq(ends, 1);
	e = json_array_get(runs, json_array_size(runs) - 1);
	ck_assert_str_eq(jstr(e, "state"), "success");
	ck_assert_msg(json_is_number(json_object_get(e, "seconds")), "%s", json_dumps(e, 0));
	assert_built_events(targets, id);
	/* building while it builds, and not before its needs are built */
	{
		long building = event_index(targets, id, "people_visits", "building");
		long need = event_index(targets, id, "visits", "built");
		long user = event_index(targets, id, "visit_counts", "building");

		ck_assert_msg(building >= 0, "people_visits never seen building: %s", b.s);
		ck_assert_msg(building > need, "people_visits building before visits was built");
		e = json_array_get(targets, (size_t)building);
		ck_assert(json_is_null(json_object_get(e, "rows")));
		ck_assert(json_is_null(json_object_get(e, "seconds")));
		ck_assert_msg(user < 0 || user > event_index(targets, id, "people_visits", "built"),
		              "visit_counts building before people_visits was built");
	}
	/* no log lines of another process's run: its events come from the database */
	ck_assert_int_eq(json_array_size(all), json_array_size(targets) + json_array_size(runs));
	json_decref(all);
	json_decref(targets);
	json_decref(runs);

	/* a run of this server: its log events, and each change once from the database */
	r = post(&s, "/api/runs", "{\"mode\": \"forced\"}");
	assert_status(r, 202);
	e = body_json(&r);
	resp_free(&r);
	web_id = json_integer_value(json_object_get(e, "run_id"));
	json_decref(e);
	ck_assert_msg(await_text(fd, "\"state\":\"success\",\"mode\":\"forced\"", 60, &b) ||
	              strstr(b.s, "\"mode\":\"forced\""), "no end of the web's run: %s", b.s);
	live_more(fd, 2.5, &b);             /* more reads: nothing sent again */
	targets = live_events(b.s, "target");
	assert_built_events(targets, web_id);
	all = live_events(b.s, "log");
	ck_assert_msg(json_array_size(all) > 0, "no log events of the web's run");
	json_decref(all);
	runs = live_events(b.s, "run");
	ends = 0;
	json_array_foreach(runs, i, e)
		ends += json_integer_value(json_object_get(e, "run_id")) == web_id &&
		        strcmp(jstr(e, "state"), "success") == 0;
	ck_assert_int_eq(ends, 1);
	json_decref(runs);
	json_decref(targets);
	close(fd);
	buf_release(&b);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

/* the number of times text occurs in s */
static size_t
occurrences(const char *s, const char *text)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, text)); p += strlen(text))
		n++;
	return n;
}

/* a target database that does not answer: said once, asked again, followed once it answers */
START_TEST(test_live_database_down)
{
	struct proj p;
	struct server s;
	struct result res;
	struct buf b;
	char *sock, *env, *errlog;
	int fd;

	proj_web(&p, "weblivedown", false);
	sock = xasprintf("%s/live-down-%d.sock", tmpdir, (int)getpid());
	unlink(sock);
	env = xasprintf("TARGET_DB_SOCKET=%s", sock);
	forbidden[nforbidden++] = sock;
	server_start(&s, &p, env, NULL, NULL);
	fd = live_stream(&s, &b);
	ck_assert_msg(await_text(fd, "\"type\":\"live\",\"state\":\"down\"", 20, &b), "%s", b.s);
	live_more(fd, 4.5, &b);             /* asked again meanwhile */
	ck_assert_int_eq(occurrences(b.s, "\"state\":\"down\""), 1);
	ck_assert_msg(strstr(b.s, "\"error\":\"connection 'target': cannot connect"),
	              "the reason: %s", b.s);
	json_decref(live_events(b.s, NULL));        /* no secret, no socket */
	errlog = read_all_fd(s.errfd);
	ck_assert_msg(occurrences(errlog, "live events: the target database does not answer") == 1,
	              "%s", errlog);
	ck_assert_msg(!strstr(errlog, sock) && !strstr(errlog, SECRET), "%s", errlog);
	free(errlog);
	/* a client that comes later is told at once, though "down" is said once */
	{
		struct buf b2;
		int fd2 = live_stream(&s, &b2);

		ck_assert_msg(await_text(fd2, "\"type\":\"live\",\"state\":\"down\"", 2, &b2),
		              "a later client is not told: %s", b2.s);
		ck_assert_msg(strstr(b2.s, "cannot connect") && !strstr(b2.s, sock), "%s", b2.s);
		close(fd2);
		buf_release(&b2);
	}
	/* it answers again: said once, and the runs are followed */
	ck_assert(symlink(getenv("CHACC_TEST_TGT_SOCKET"), sock) == 0);
	ck_assert_msg(await_text(fd, "\"type\":\"live\",\"state\":\"up\"", 20, &b), "%s", b.s);
	res = chacc(&p, "-f", "recipes/clinic.yml", "build");
	assert_ok(&res);
	result_free(&res);
	ck_assert_msg(await_text(fd, "\"state\":\"success\"", 30, &b), "no run followed: %s", b.s);
	ck_assert_int_eq(occurrences(b.s, "\"state\":\"up\""), 1);
	json_decref(live_events(b.s, NULL));
	close(fd);
	buf_release(&b);
	server_stop(&s);
	unlink(sock);
	nforbidden--;
	free(sock);
	free(env);
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
	add_case(s, "security", test_security);
	add_case(s, "edit_and_review", test_edit_and_review);
	add_case(s, "no_secret_leaves", test_no_secret_leaves);
	add_case(s, "include_stays_inside", test_include_stays_inside);
	add_case(s, "many_clients", test_many_clients);
	add_case(s, "edges", test_edges);
	add_case(s, "proposal_leaves_the_working_tree", test_proposal_leaves_the_working_tree);
	add_case(s, "status_without_the_source", test_status_without_the_source);
	add_case(s, "wrong_methods", test_wrong_methods);
	add_case(s, "live_events_of_the_cli", test_live_events_of_the_cli);
	add_case(s, "live_database_down", test_live_database_down);
	rc = run_suite(s);
	return rc;
}
