/* check_web_secrets.c: no password, user or .env value leaves chacc serve; includes stay inside */
#include "webtest.h"

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
	"    hosts: ${SOURCE_DB_HOSTS:-}\n"
	"    bind_address: ${SOURCE_DB_BIND}\n"
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
	env = xasprintf("SOURCE_DB_HOST=127.0.0.1\nSOURCE_DB_PORT=%s\nSOURCE_DB_BIND=127.0.0.7\n"
	                "SOURCE_DB_USER=" SRC_USER "\n"
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
	/* the address chacc connects to the source from, and a cluster's nodes */
	forbidden[nforbidden++] = "127.0.0.7";
	forbidden[nforbidden++] = "127.0.0.8";
	forbidden[nforbidden++] = "127.0.0.9";
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
		"/api/targets/people/checks", "/api/targets/people/profile",
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

/*
 * people forced through the web fails: its error, as /api/runs/ID tells it,
 * says both; then nothing the server answers gives a secret away
 */
static void
people_fails(struct server *s, const char *says, const char *and)
{
	json_t *j = build_job(s, "{\"targets\": [\"people\"], \"force\": true}");
	json_t *t = run_target_error(s, j);

	ck_assert_msg(strstr(jstr(t, "error"), says) && strstr(jstr(t, "error"), and), "%s",
	              json_dumps(t, 0));
	json_decref(t);
	json_decref(j);
	get_everything(s);
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
	people_fails(&s, "Access denied", "connection 'source'");
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
	people_fails(&s, "cannot connect", "cannot connect");
	server_stop(&s);

	/* the source a cluster whose nodes do not answer: the message names none of them */
	server_start(&s, &p, "SOURCE_DB_HOSTS=127.0.0.9:1,[127.0.0.8]:2", NULL, NULL);
	people_fails(&s, "connection 'source': cannot connect", "; (hidden): ");
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

int
main(void)
{
	Suite *s = suite_create("web_secrets");
	int rc;

	if (itest_setup("check_web_secrets") < 0)
		return 0;
	add_case(s, "no_secret_leaves", test_no_secret_leaves);
	add_case(s, "include_stays_inside", test_include_stays_inside);
	rc = run_suite(s);
	return rc;
}
