/* check_web_security.c: chacc serve's security rules: CSRF, paths, methods, the root recipe */
#include "webtest.h"

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

/* the recipe at the project root is the one file outside recipes/ and sql/ the web touches */
START_TEST(test_root_recipe)
{
	static const char *const refused[] = {
		"/api/files/./chacc.yml", "/api/files/CHACC.yml", "/api/files/Chacc.yml",
		"/api/files/chacc.yml/", "/api/files/chacc.yml/x.yml", "/api/files/recipes/../.env",
		"/api/files/recipes/../chacc.yml", "/api/files/sql/../chacc.yml", "/api/files/.env",
		"/api/files/.git/config", "/api/files/other.yml", "/api/files/chacc.yaml",
		"/api/files/%2e/chacc.yml", "/api/files//chacc.yml", "/api/files/.gitignore",
	};
	struct proj p;
	struct server s;
	struct resp r;
	json_t *j, *f;
	char *root, *text, *body, *path;
	size_t i;
	bool listed = false, other = false, empty = false, link = false;

	proj_web(&p, "webroot", false);
	root = str_replace(recipe, "chacc: 1\n", "chacc: 1 # at the root\n");
	write_file(&p, "chacc.yml", root);
	write_file(&p, "other.yml", "chacc: 1\n");
	write_file(&p, "sql/empty/.keep", "");
	path = xasprintf("%s/sql/link", p.dir);
	ck_assert_int_eq(symlink("/tmp", path), 0);
	free(path);
	server_start(&s, &p, NULL, NULL, NULL);

	/* listed, with the folders uploads may go to */
	j = get_json(&s, "/api/files");
	json_array_foreach(json_object_get(j, "files"), i, f) {
		listed |= strcmp(jstr(f, "path"), "chacc.yml") == 0;
		other |= strcmp(jstr(f, "path"), "other.yml") == 0 || strstr(jstr(f, "path"), "env");
	}
	ck_assert(listed && !other);
	json_array_foreach(json_object_get(j, "dirs"), i, f) {
		empty |= strcmp(json_string_value(f), "sql/empty") == 0;
		link |= strcmp(json_string_value(f), "sql/link") == 0;
	}
	ck_assert_msg(empty && !link && json_array_size(json_object_get(j, "dirs")) == 3, "%s",
	              json_dumps(json_object_get(j, "dirs"), 0));
	json_decref(j);

	/* read and proposed like any config file */
	j = get_json(&s, "/api/files/chacc.yml");
	ck_assert_str_eq(jstr(j, "content"), root);
	json_decref(j);
	text = str_replace(root, "# at the root", "# edited at the root");
	j = json_pack("{s:s, s:s}", "content", text, "message", "root recipe");
	body = json_dumps(j, 0);
	r = post(&s, "/api/files/chacc.yml", body);
	assert_status(r, 201);
	resp_free(&r);
	json_decref(j);
	free(body);
	free(text);

	/* nothing else at the root, however the path is spelt */
	for (i = 0; i < LEN(refused); i++) {
		char *req = xasprintf("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		                      refused[i]);
		struct resp rr = http_raw(&s, req, strlen(req), 10);

		ck_assert_msg(rr.status == 403 || rr.status == 400 || rr.status == 404, "%s: %d %s",
		              refused[i], rr.status, rr.body);
		ck_assert_msg(!strstr(rr.body, SECRET) && !strstr(rr.body, "chacc: 1\\n"), "%s: %s",
		              refused[i], rr.body);
		resp_free(&rr);
		free(req);
	}
	r = post(&s, "/api/files/other.yml", "{\"content\": \"chacc: 1\\n\"}");
	assert_status(r, 403);
	resp_free(&r);
	r = post(&s, "/api/files/.env", "{\"content\": \"X=1\\n\"}");
	ck_assert_msg(r.status == 403, "%d %s", r.status, r.body);
	resp_free(&r);

	/* a root recipe that is a symlink (to .env here) is neither read, listed nor written */
	path = xasprintf("%s/chacc.yml", p.dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(".env", path), 0);
	r = get(&s, "/api/files/chacc.yml");
	assert_status(r, 403);
	ck_assert_msg(!strstr(r.body, SECRET), "%s", r.body);
	resp_free(&r);
	r = post(&s, "/api/files/chacc.yml", "{\"content\": \"chacc: 1\\n\", \"check\": true}");
	assert_status(r, 403);
	resp_free(&r);
	j = get_json(&s, "/api/files");
	json_array_foreach(json_object_get(j, "files"), i, f)
		ck_assert_str_ne(jstr(f, "path"), "chacc.yml");
	json_decref(j);
	unlink(path);
	free(path);
	server_stop(&s);
	free(root);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("web_security");
	int rc;

	if (itest_setup("check_web_security") < 0)
		return 0;
	add_case(s, "security", test_security);
	add_case(s, "wrong_methods", test_wrong_methods);
	add_case(s, "root_recipe", test_root_recipe);
	rc = run_suite(s);
	return rc;
}
