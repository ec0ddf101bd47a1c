/* check_users.c: chacc serve --users: roles, proposals by their user, four eyes */
#include "webtest.h"

/* the users of the tests: name, email, token, role */
static const char *const people[][4] = {
	{ "Vera Viewer", "vera@example.org", "vera-token-0001", "viewer" },
	{ "Ed Editor", "ed@example.org", "ed-token-0002", "editor" },
	{ "Ada Approver", "ada@example.org", "ada-token-0003", "approver" },
	{ "Bo Approver", "bo@example.org", "bo-token-0004", "approver" },
};
enum { VERA, ED, ADA, BO };

/* a request as user u (or with no token when u < 0); POST and DELETE carry the CSRF token */
static struct resp
as(struct server *s, int u, const char *method, const char *path, const char *body)
{
	char *auth = u >= 0 ? xasprintf("Authorization: Bearer %s\r\n", people[u][2]) :
	             xstrdup(""), *h;
	struct resp r;

	if (strcmp(method, "GET") != 0) {
		struct resp c = http(s, "GET", "/api/csrf", auth, NULL);
		json_t *j;

		assert_status(c, 200);
		j = body_json(&c);
		h = xasprintf("%sX-CSRF-Token: %s\r\nContent-Type: application/json\r\n", auth,
		              jstr(j, "csrf"));
		json_decref(j);
		resp_free(&c);
	} else
		h = xstrdup(auth);
	r = http(s, method, path, h, body);
	free(h);
	free(auth);
	return r;
}

static json_t *
as_json(struct server *s, int u, const char *path)
{
	struct resp r = as(s, u, "GET", path, NULL);
	json_t *j;

	assert_status(r, 200);
	j = body_json(&r);
	resp_free(&r);
	return j;
}

/* propose new text for sql/visits.sql as user u: the review's id */
static int
propose(struct server *s, int u, const char *text, const char *message)
{
	json_t *j = json_pack("{s:s, s:s}", "content", text, "message", message);
	char *body = json_dumps(j, 0);
	struct resp r = as(s, u, "POST", "/api/files/sql/visits.sql", body);
	int id;

	assert_status(r, 201);
	json_decref(j);
	j = body_json(&r);
	id = (int)json_integer_value(json_object_get(json_object_get(j, "review"), "id"));
	json_decref(j);
	resp_free(&r);
	free(body);
	return id;
}

static char *
readfile_in(struct proj *p, const char *rel)
{
	char *path = xasprintf("%s/%s", p->dir, rel), *text = readfile(path, NULL);

	free(path);
	ck_assert_msg(text != NULL, "cannot read %s", rel);
	return text;
}

static char *
proj_out(struct proj *p, const char *cmd)
{
	char *full = xasprintf("cd '%s' && %s", p->dir, cmd), buf[4096];
	FILE *f = popen(full, "r");
	size_t n;

	ck_assert(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	free(full);
	return xstrdup(strtrim(buf));
}

START_TEST(test_roles_and_four_eyes)
{
	struct proj p;
	struct server s;
	struct resp r, none;
	json_t *j;
	char *out;

	proj_web(&p, "users", false);
	write_users(&p, people, LEN(people));
	server_start_users(&s, &p);
	out = fd_text(s.outfd);
	ck_assert_msg(strstr(out, "4 users from 'users.yml'"), "%s", out);
	free(out);

	/* a wrong token is told what a missing one is told, and learns nothing */
	none = as(&s, -1, "GET", "/api/targets", NULL);
	assert_status(none, 401);
	r = http(&s, "GET", "/api/targets", "Authorization: Bearer vera-token-0009\r\n", NULL);
	assert_status(r, 401);
	ck_assert_str_eq(r.body, none.body);
	ck_assert_msg(!strstr(r.head, "chacc_csrf"), "%s", r.head);
	resp_free(&r);
	resp_free(&none);

	/* who asks: name and role, never a token or its hash */
	j = as_json(&s, ED, "/api/me");
	ck_assert_str_eq(jstr(j, "user"), "Ed Editor");
	ck_assert_str_eq(jstr(j, "role"), "editor");
	ck_assert(json_is_true(json_object_get(j, "named")));
	out = json_dumps(j, 0);
	ck_assert_msg(!strstr(out, "token") && !strstr(out, "sha256"), "%s", out);
	free(out);
	json_decref(j);

	/* a viewer reads, and changes nothing */
	json_decref(as_json(&s, VERA, "/api/targets"));
	r = as(&s, VERA, "POST", "/api/files/sql/visits.sql", "{\"content\": \"SELECT 1 AS id\\n\"}");
	assert_status(r, 403);
	ck_assert_msg(strstr(r.body, "Vera Viewer") && strstr(r.body, "editor"), "%s", r.body);
	resp_free(&r);
	r = as(&s, VERA, "POST", "/api/runs", "{}");
	assert_status(r, 403);
	resp_free(&r);

	/* an editor proposes, as the commit's author, and may not approve */
	ck_assert_int_eq(propose(&s, ED, "SELECT id, person_id, at FROM visits WHERE id > 10\n",
	                         "visits after ten"), 1);
	out = proj_out(&p, "git log -1 --format='%an <%ae>' review/1-visits-after-ten");
	ck_assert_str_eq(out, "Ed Editor <ed@example.org>");
	free(out);
	r = as(&s, ED, "POST", "/api/reviews/1/approve", NULL);
	assert_status(r, 403);
	resp_free(&r);

	/* four eyes: an approver's own proposal waits for another approver */
	ck_assert_int_eq(propose(&s, ADA, "SELECT id, person_id, at FROM visits WHERE id > 11\n",
	                         "visits after eleven"), 2);
	j = as_json(&s, ADA, "/api/reviews/2");
	ck_assert(json_is_false(json_object_get(j, "can_approve")));
	ck_assert_msg(strstr(jstr(j, "cannot_approve"), "four eyes"), "%s", jstr(j, "cannot_approve"));
	json_decref(j);
	r = as(&s, ADA, "POST", "/api/reviews/2/approve", NULL);
	assert_status(r, 403);
	ck_assert_msg(strstr(r.body, "Ada Approver proposed review 2"), "%s", r.body);
	resp_free(&r);
	j = as_json(&s, BO, "/api/reviews/2");
	ck_assert(json_is_true(json_object_get(j, "can_approve")));
	json_decref(j);

	/* another approver approves; the review says who proposed and who approved, and when */
	r = as(&s, BO, "POST", "/api/reviews/1/approve", NULL);
	assert_status(r, 200);
	resp_free(&r);
	j = as_json(&s, VERA, "/api/reviews/1");
	ck_assert_str_eq(jstr(j, "state"), "approved");
	ck_assert_str_eq(jstr(json_object_get(j, "commit"), "author"), "Ed Editor");
	ck_assert_str_eq(jstr(json_object_get(j, "decided"), "name"), "Bo Approver");
	ck_assert(json_integer_value(json_object_get(json_object_get(j, "decided"), "time")) >
	          1700000000);
	json_decref(j);
	r = as(&s, BO, "POST", "/api/reviews/2/reject", NULL);
	assert_status(r, 200);
	resp_free(&r);
	j = as_json(&s, VERA, "/api/reviews/2");
	ck_assert_str_eq(jstr(j, "state"), "rejected");
	ck_assert_str_eq(jstr(json_object_get(j, "decided"), "name"), "Bo Approver");
	json_decref(j);

	/* the recipe may allow self-approval */
	out = readfile_in(&p, "recipes/clinic.yml");
	{
		char *more = xasprintf("%sreview: { self_approve: true }\n", out);

		write_file(&p, "recipes/clinic.yml", more);
		free(more);
	}
	free(out);
	ck_assert_int_eq(propose(&s, ADA, "SELECT id, person_id, at FROM visits WHERE id > 12\n",
	                         "visits after twelve"), 3);
	r = as(&s, ADA, "POST", "/api/reviews/3/approve", NULL);
	assert_status(r, 200);
	resp_free(&r);
	/* each review keeps its own decider */
	j = as_json(&s, VERA, "/api/reviews/3");
	ck_assert_str_eq(jstr(json_object_get(j, "decided"), "name"), "Ada Approver");
	json_decref(j);
	j = as_json(&s, VERA, "/api/reviews/1");
	ck_assert_str_eq(jstr(json_object_get(j, "decided"), "name"), "Bo Approver");
	json_decref(j);

	/* a browser's login: the cookie knows its user */
	r = get(&s, "/?token=ed-token-0002");
	assert_status(r, 303);
	ck_assert_msg(strstr(r.head, "chacc_token=ed-token-0002"), "%s", r.head);
	resp_free(&r);
	r = http(&s, "GET", "/api/me", "Cookie: chacc_token=ed-token-0002\r\n", NULL);
	assert_status(r, 200);
	ck_assert_msg(strstr(r.body, "Ed Editor"), "%s", r.body);
	resp_free(&r);
	r = get(&s, "/?token=nobody");
	assert_status(r, 401);
	ck_assert_msg(strstr(r.body, "give your own token"), "%s", r.body);
	resp_free(&r);
	server_stop(&s);
	proj_free(&p);
}
END_TEST

START_TEST(test_users_file_problems)
{
	struct proj p;
	struct result r;
	char *h = token_sha256("x");
	char *text = xasprintf("- name: Ann\n  email: ann@example.org\n  token_sha256: %s\n"
	                       "  role: boss\n"
	                       "- name: Ann\n  token_sha256: my-secret-token\n  role: viewer\n"
	                       "  colour: blue\n  emial: ann@example.org\n", h);
	struct server s;

	proj_web(&p, "usersbad", false);
	write_file(&p, "users.yml", text);
	r = chacc(&p, "-f", "recipes/clinic.yml", "serve", "--port", "0", "--users", "users.yml");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "users.yml:4:9: invalid role 'boss'") &&
	              strstr(r.err, "users.yml:5:9: two users are named 'Ann'") &&
	              strstr(r.err, "users.yml:6:17: 'token_sha256' is not 64 hex digits") &&
	              strstr(r.err, "users.yml:8:3: unknown key 'colour'") &&
	              strstr(r.err, "users.yml:9:3: unknown key 'emial': did you mean 'email'?") &&
	              strstr(r.err, "users.yml:5:3: the user has no 'email'"), "%s", r.err);
	/* a token written by mistake is not repeated */
	ck_assert_msg(!strstr(r.err, "my-secret-token"), "%s", r.err);
	result_free(&r);
	r = chacc(&p, "-f", "recipes/clinic.yml", "serve", "--users", "users.yml", "--token", "t");
	ck_assert_msg(r.status == 2 && strstr(r.err, "exclude each other"), "%d %s", r.status, r.err);
	result_free(&r);

	/* without --users the single token, as ever: the one token may do everything */
	server_start(&s, &p, NULL, NULL, "plain-token-1");
	{
		struct resp rs = http(&s, "GET", "/api/me", "Authorization: Bearer plain-token-1\r\n",
		                      NULL);
		json_t *j;

		assert_status(rs, 200);
		j = body_json(&rs);
		ck_assert(json_is_false(json_object_get(j, "named")));
		ck_assert(json_is_null(json_object_get(j, "user")));
		ck_assert_str_eq(jstr(j, "role"), "approver");
		json_decref(j);
		resp_free(&rs);
		rs = get(&s, "/");
		assert_status(rs, 401);
		ck_assert_msg(strstr(rs.body, "CHACC_UI_TOKEN"), "%s", rs.body);
		resp_free(&rs);
	}
	server_stop(&s);
	free(text);
	free(h);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("users");

	if (itest_setup("check_users") < 0)
		return 0;
	add_case(s, "roles_and_four_eyes", test_roles_and_four_eyes);
	add_case(s, "users_file_problems", test_users_file_problems);
	return run_suite(s);
}
