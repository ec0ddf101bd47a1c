/* check_build_stop.c: builds that stop: signals, a cancel from the web, runners dead or elsewhere */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "buildtest.h"
#include "pausetest.h"

START_TEST(test_sigterm_records_interrupted)
{
	struct proj p;
	struct result r;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	int o, e;
	pid_t pid;
	char *v = NULL;

	proj_clinic(&p, "sigterm");
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(30) AS x\n");
	pid = chacc_start(&p, NULL, &o, &e, args);
	for (int i = 0; i < 100; i++) {
		free(v);
		v = val(p.tgt, "SELECT COUNT(*) FROM information_schema.processlist"
		        " WHERE info LIKE '%%SLEEP(30)%%' AND info NOT LIKE '%%processlist%%'");
		if (strcmp(v, "1") == 0)
			break;
		usleep(50000);
	}
	free(v);
	kill(pid, SIGTERM);
	r.status = wait_status(pid);
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	ck_assert_msg(r.status == 130, "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "interrupted", "SELECT status FROM etl_metadata WHERE target = 'lonely'");
	assert_val(p.tgt, "interrupted", "SELECT result FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.processlist"
	           " WHERE info LIKE '%SLEEP(30)%' AND info NOT LIKE '%processlist%'");
	proj_free(&p);
}
END_TEST

/*
 * what a stop must leave: only people ever started, every other target is
 * recorded skipped without a start, the run is interrupted
 */
static void
assert_stopped_before(struct proj *p, const struct result *r, long long run)
{
	char *q;

	ck_assert_msg(r->status == 130, "exit %d\n%s\n%s", r->status, r->out, r->err);
	ck_assert_msg(!strstr(r->out, "visits") && !strstr(r->out, "lonely"),
	              "a target started after the stop:\n%s", r->out);
	q = xasprintf("SELECT COUNT(*) FROM etl_run_targets WHERE run_id = %lld"
	              " AND target <> 'people' AND (attempts > 0 OR started_at IS NOT NULL)", run);
	assert_val(p->tgt, "0", q);
	free(q);
	q = xasprintf("SELECT GROUP_CONCAT(target ORDER BY BINARY target) FROM etl_run_targets"
	              " WHERE run_id = %lld AND outcome = 'skipped'", run);
	assert_val(p->tgt, "lonely,people_visits,visit_counts,visits", q);
	free(q);
	q = xasprintf("SELECT result FROM etl_runs WHERE run_id = %lld", run);
	assert_val(p->tgt, "interrupted", q);
	free(q);
	assert_val(p->tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name IN ('visits', 'lonely')");
}

/* a signal while the first target builds: nothing else starts (-j 1 has more ready) */
static void
signal_stops(int sig, const char *name)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"-j", (char *)"1", NULL };

	proj_clinic(&p, name);
	start_paused(&p, &b, "begin:people", args);
	kill(b.pid, sig);
	ck_assert_msg(wait_text(b.err, "interrupted", 10), "no word of the stop");
	r = resume(&b);
	assert_stopped_before(&p, &r, 1);
	result_free(&r);
	proj_free(&p);
}

START_TEST(test_sigint_starts_nothing)
{
	signal_stops(SIGINT, "sigint");
}
END_TEST

START_TEST(test_sigterm_starts_nothing)
{
	signal_stops(SIGTERM, "sigterm2");
}
END_TEST

/* one HTTP request to chacc serve on port; the reply's body, or NULL */
static char *
http_req(int port, const char *method, const char *path, const char *headers, const char *body)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *req, tmp[4096], *sep, *out;
	struct buf b;
	ssize_t n;

	ck_assert(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect to %d", port);
	req = xasprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s"
	                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	                method, path, port, headers ? headers : "", body ? strlen(body) : 0,
	                body ? body : "");
	ck_assert(send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req));
	free(req);
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = recv(fd, tmp, sizeof(tmp), 0)) > 0)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	sep = strstr(b.s, "\r\n\r\n");
	out = sep ? xstrdup(sep + 4) : NULL;
	buf_release(&b);
	return out;
}

/* a POST with the server's CSRF token; the reply as JSON */
static json_t *
web_post(int port, const char *path, const char *body)
{
	char *csrf = http_req(port, "GET", "/api/csrf", NULL, NULL), *h, *reply;
	json_t *j = csrf ? json_loads(csrf, 0, NULL) : NULL;

	ck_assert_msg(j && json_string_value(json_object_get(j, "csrf")), "/api/csrf: %s", csrf);
	h = xasprintf("X-CSRF-Token: %s\r\n", json_string_value(json_object_get(j, "csrf")));
	json_decref(j);
	free(csrf);
	reply = http_req(port, "POST", path, h, body);
	free(h);
	j = reply ? json_loads(reply, 0, NULL) : NULL;
	ck_assert_msg(j != NULL, "POST %s: %s", path, reply ? reply : "(no reply)");
	free(reply);
	return j;
}

/* wait until run id of the project's database has ended; its result */
static char *
wait_run_end(struct proj *p, long long id)
{
	double until = mono_seconds() + 60;

	for (;;) {
		char *v = val(p->tgt, "SELECT result FROM etl_runs WHERE run_id = %lld", id);

		if (strcmp(v, "running") != 0 || mono_seconds() > until)
			return v;
		free(v);
		usleep(50000);
	}
}

/*
 * the web's Cancel stops the run as a signal does; and runs of one server
 * keep their own quiet: a scheduled run does not silence another, nor does
 * another make it speak
 */
START_TEST(test_web_cancel_starts_nothing)
{
	struct proj p;
	struct paused b;
	struct result r = { 130, NULL, NULL };
	char *args[] = { (char *)"serve", (char *)"--port", (char *)"0", NULL };
	char *out, *at, *path, *res;
	const char *env[3];
	json_t *j;
	long long id, quiet_id, loud_id;
	size_t seen;
	int port, st;

	proj_clinic(&p, "webcancel");
	/* the server's first build pauses there */
	snprintf(b.file, sizeof(b.file), "%s/paused", p.dir);
	snprintf(b.pause, sizeof(b.pause), "CHACC_PAUSE=begin:people");
	snprintf(b.pause_file, sizeof(b.pause_file), "CHACC_PAUSE_FILE=%s", b.file);
	env[0] = b.pause;
	env[1] = b.pause_file;
	env[2] = NULL;
	b.pid = chacc_start_envs(&p, env, &b.out, &b.err, args);
	ck_assert_msg(wait_text(b.out, "serving on http://", 20), "chacc serve did not start");
	out = fd_text(b.out);
	at = strrchr(strstr(out, "serving on http://"), ':');
	port = atoi(at + 1);
	free(out);
	j = web_post(port, "/api/runs", "{\"jobs\": 1}");
	id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	ck_assert_msg(id > 0, "no run id");
	for (int i = 0; i < 3000 && access(b.file, F_OK) != 0; i++)
		usleep(20000);
	ck_assert_msg(access(b.file, F_OK) == 0, "the build never paused");
	path = xasprintf("/api/runs/%lld/cancel", id);
	j = web_post(port, path, NULL);
	free(path);
	ck_assert_msg(json_is_true(json_object_get(j, "cancelling")), "cancel refused");
	json_decref(j);
	ck_assert_msg(wait_text(b.err, "interrupted", 10), "no word of the cancel");
	unlink(b.file);
	res = wait_run_end(&p, id);
	ck_assert_str_eq(res, "interrupted");
	free(res);
	r.out = fd_text(b.out);
	r.err = fd_text(b.err);
	assert_stopped_before(&p, &r, id);
	seen = strlen(r.out);
	result_free(&r);

	/* a scheduled run, and an incremental run that starts while it builds */
	write_file(&p, "sql/lonely.sql", "SELECT SLEEP(2) AS x\n");
	j = web_post(port, "/api/runs",
	             "{\"mode\": \"scheduled\", \"force\": true, \"targets\": [\"lonely\"]}");
	quiet_id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	j = web_post(port, "/api/runs", "{\"force\": true, \"targets\": [\"visits\"]}");
	loud_id = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	ck_assert_msg(quiet_id > 0 && loud_id > 0, "no run ids");
	res = wait_run_end(&p, quiet_id);
	ck_assert_str_eq(res, "success");
	free(res);
	res = wait_run_end(&p, loud_id);
	ck_assert_str_eq(res, "success");
	free(res);
	kill(b.pid, SIGTERM);
	st = wait_status(b.pid);
	out = slurp_fd(b.out);
	r.err = slurp_fd(b.err);
	ck_assert_msg(st == 0, "chacc serve exited %d: %s", st, r.err);
	ck_assert_msg(strstr(out + seen, "extract visits") && strstr(out + seen, "done, 1 built"),
	              "the incremental run was silenced:\n%s", out + seen);
	ck_assert_msg(!strstr(out + seen, "lonely"), "the scheduled run was not quiet:\n%s",
	              out + seen);
	free(out);
	free(r.err);
	proj_free(&p);
}
END_TEST

/* the state of target in 'status --json' */
static char *
state_of(struct proj *p, const char *target, json_t **obj)
{
	struct result r = chacc(p, "status", "--json");
	json_t *arr = json_loads(r.out, 0, NULL), *o;
	size_t i;
	char *state = NULL;

	ck_assert_msg(r.status == 0 && arr, "exit %d: %s%s", r.status, r.out, r.err);
	json_array_foreach(arr, i, o)
		if (strcmp(json_string_value(json_object_get(o, "target")), target) == 0) {
			state = xstrdup(json_string_value(json_object_get(o, "state")));
			if (obj)
				*obj = json_incref(o);
		}
	json_decref(arr);
	result_free(&r);
	ck_assert_msg(state != NULL, "no target '%s' in the status", target);
	return state;
}

/* a build in progress shows as building; a dead runner's as interrupted, and its run is closed */
START_TEST(test_building_then_dead_runner)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };
	char *state, *run;
	json_t *o = NULL;
	double until;

	proj_clinic(&p, "building");
	start_paused(&p, &b, "begin:lonely", args);
	run = val(p.tgt, "SELECT MAX(run_id) FROM etl_runs");
	state = state_of(&p, "lonely", &o);
	ck_assert_str_eq(state, "building");
	free(state);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "run_id")), atoll(run));
	ck_assert_msg(json_string_value(json_object_get(o, "since")), "no 'since'");
	json_decref(o);
	state = state_of(&p, "people", NULL);
	ck_assert_str_eq(state, "missing");
	free(state);
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "building") && strstr(r.out, "building in run"), "%s", r.out);
	result_free(&r);

	/* the runner dies: its lock goes with its connection */
	kill(b.pid, SIGKILL);
	wait_status(b.pid);
	close(b.out);
	close(b.err);
	unlink(b.file);
	until = mono_seconds() + 20;
	for (;;) {
		state = state_of(&p, "lonely", NULL);
		if (strcmp(state, "building") != 0 || mono_seconds() > until)
			break;
		free(state);
		usleep(100000);
	}
	ck_assert_str_eq(state, "interrupted");
	free(state);
	/* status changes nothing; the next build closes the dead run */
	assert_val(p.tgt, "running", "SELECT result FROM etl_runs ORDER BY run_id LIMIT 1");
	r = chacc(&p, "build", "lonely");
	assert_ok(&r);
	result_free(&r);
	{
		char *q = xasprintf("SELECT CONCAT(result, ',', ended_at IS NOT NULL) FROM etl_runs"
		                    " WHERE run_id = %s", run);

		assert_val(p.tgt, "interrupted,1", q);
		free(q);
		q = xasprintf("SELECT outcome FROM etl_run_targets WHERE run_id = %s", run);
		assert_val(p.tgt, "interrupted", q);
		free(q);
	}
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "interrupted") && !strstr(r.out, "running"), "%s", r.out);
	result_free(&r);
	state = state_of(&p, "lonely", NULL);
	ck_assert_str_eq(state, "ok");
	free(state);
	free(run);
	proj_free(&p);
}
END_TEST

/*
 * runner a builds lonely, paused there while runner b, started then, waits
 * for it; both run args and succeed
 */
static void
while_building_lonely(struct proj *p, char *args[], struct result *ra, struct result *rb)
{
	struct paused a;
	int o, e;
	pid_t pid;

	start_paused(p, &a, "begin:lonely", args);
	pid = chacc_start(p, NULL, &o, &e, args);
	ck_assert_msg(wait_text(o, "another runner is building 'lonely'", 20), "no wait");
	*ra = resume(&a);
	rb->status = wait_status(pid);
	rb->out = slurp_fd(o);
	rb->err = slurp_fd(e);
	assert_ok(ra);
	assert_ok(rb);
}

/* a runner that waited while another built its target says so, not "built" */
START_TEST(test_other_runner_is_not_built)
{
	struct proj p;
	struct result ra, rb;
	char *args[] = { (char *)"build", (char *)"lonely", NULL };

	proj_clinic(&p, "tworunners");
	while_building_lonely(&p, args, &ra, &rb);
	ck_assert_msg(strstr(ra.out, "done, 1 built"), "%s", ra.out);
	ck_assert_msg(strstr(rb.out, "done, 1 up to date, built by another runner") &&
	              !strstr(rb.out, "1 built"), "%s", rb.out);
	assert_val(p.tgt, "built,up to date", "SELECT GROUP_CONCAT(outcome ORDER BY run_id)"
	           " FROM etl_run_targets WHERE target = 'lonely'");
	assert_val(p.tgt, "success,success", "SELECT GROUP_CONCAT(result ORDER BY run_id) FROM etl_runs");
	result_free(&ra);
	result_free(&rb);
	proj_free(&p);
}
END_TEST

/*
 * runners given -B together build a target once; a -B given while another
 * runner's build of it runs builds it again (that build read older data)
 */
START_TEST(test_forced_runners)
{
	struct proj p;
	struct paused a, b;
	struct result ra, rb;
	char *one[] = { (char *)"build", (char *)"-B", (char *)"lonely", NULL };
	char *two[] = { (char *)"build", (char *)"-B", (char *)"visits", (char *)"lonely", NULL };

	proj_clinic(&p, "forced");
	/* b asks first and builds visits; a's build of lonely begins after */
	start_paused_as(&p, &b, "paused-b", "begin:visits", two);
	start_paused_as(&p, &a, "paused-a", "begin:lonely", one);
	unlink(b.file);
	ck_assert_msg(wait_text(b.out, "another runner is building 'lonely'", 20), "b never waited");
	ra = resume(&a);
	rb = resume(&b);
	assert_ok(&ra);
	assert_ok(&rb);
	ck_assert_msg(strstr(rb.out, "lonely: up to date, built by another runner"), "%s", rb.out);
	assert_val(p.tgt, "up to date,built", "SELECT GROUP_CONCAT(outcome ORDER BY run_id)"
	           " FROM etl_run_targets WHERE target = 'lonely'");
	result_free(&ra);
	result_free(&rb);

	/* a's build of lonely began before b asked: b builds it again */
	while_building_lonely(&p, one, &ra, &rb);
	ck_assert_msg(strstr(rb.out, "done, 1 built"), "%s", rb.out);
	assert_val(p.tgt, "up to date,built,built,built", "SELECT GROUP_CONCAT(outcome ORDER BY"
	           " run_id) FROM etl_run_targets WHERE target = 'lonely'");
	result_free(&ra);
	result_free(&rb);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("build_stop");
	TCase *tc = tcase_create("build_stop");
	int rc;

	if (itest_setup("check_build_stop") < 0)
		return 0;
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sigterm_records_interrupted);
	tcase_add_test(tc, test_sigint_starts_nothing);
	tcase_add_test(tc, test_sigterm_starts_nothing);
	tcase_add_test(tc, test_web_cancel_starts_nothing);
	tcase_add_test(tc, test_building_then_dead_runner);
	tcase_add_test(tc, test_other_runner_is_not_built);
	tcase_add_test(tc, test_forced_runners);
	suite_add_tcase(s, tc);
	rc = run_suite(s);
	return rc;
}
