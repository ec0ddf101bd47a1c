/* check_web_live.c: live events of chacc serve, and many clients at once */
#include "webtest.h"

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
	errlog = fd_text(s.errfd);
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
	Suite *s = suite_create("web_live");
	int rc;

	if (itest_setup("check_web_live") < 0)
		return 0;
	add_case(s, "many_clients", test_many_clients);
	add_case(s, "live_events_of_the_cli", test_live_events_of_the_cli);
	add_case(s, "live_database_down", test_live_database_down);
	rc = run_suite(s);
	return rc;
}
