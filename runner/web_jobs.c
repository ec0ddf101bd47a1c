/* web_jobs.c: builds started from the web UI, in background threads, and the event stream */
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "graph.h"
#include "log.h"
#include "recipe.h"
#include "session.h"
#include "util.h"
#include "web.h"

/* events kept for streams that fall behind or reconnect */
#define NEVENTS 4096
/* finished jobs kept for /api/jobs */
#define KEEP_DONE 50

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	char *ev[NEVENTS];           /* serialised event of id i at i % NEVENTS */
	long long next;              /* id of the next event; the first is 1 */
	bool closing;
} bus = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, 1, false };

struct job {
	int id;
	struct opts o;
	char **args;                 /* target names (owned) */
	char *since, *who, *mode;
	atomic_int stop;             /* set by a cancel or the server's stop; read by the run's threads */
	long long run_id;            /* set by run_build once the run is recorded */
	int rc;
	bool done;
	char *message;
	double started, ended;
	pthread_t th;
};

static struct {
	pthread_mutex_t mu;
	struct job **v;
	size_t n;
	int next_id;
	bool closing;
} jobs = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, 1, false };

/* add an event (steals j); it gets its id */
static void
bus_push(json_t *j)
{
	char *s;

	pthread_mutex_lock(&bus.mu);
	json_object_set_new(j, "id", json_integer(bus.next));
	s = json_dumps(j, JSON_COMPACT);
	free(bus.ev[bus.next % NEVENTS]);
	bus.ev[bus.next % NEVENTS] = s;
	bus.next++;
	pthread_cond_broadcast(&bus.cond);
	pthread_mutex_unlock(&bus.mu);
	json_decref(j);
}

/* every run event of the process: called under the log lock, so it must not log */
static void
on_log(void *arg, enum log_level lvl, const char *event, const char *target, long long run_id,
       long long rows, const char *msg)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	json_t *j;

	if (lvl == LOG_DEBUG)
		return;
	j = json_pack("{s:s, s:s, s:s}", "type", "log", "level", levels[lvl], "event", event);
	if (target)
		json_object_set_new(j, "target", json_string(target));
	if (run_id > 0)
		json_object_set_new(j, "run_id", json_integer(run_id));
	if (rows >= 0)
		json_object_set_new(j, "rows", json_integer(rows));
	if (msg && *msg)
		json_object_set_new(j, "message", json_stringn(msg, strlen(msg) > 4000 ? 4000 :
		                                               strlen(msg)));
	bus_push(j);
}

void
jobs_init(void)
{
	log_open(".", false);
	log_set_listener(on_log, NULL);
}

static long long
job_run_id(struct job *j)
{
	return __atomic_load_n(&j->run_id, __ATOMIC_SEQ_CST);
}

/* a job as JSON; call with jobs.mu held */
static json_t *
job_json(struct job *j)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:f}", "job", j->id, "mode", j->mode,
	                      "started_by", j->who, "state", j->done ? "done" : "running",
	                      "started", j->started);
	json_t *t = json_array();
	long long id = job_run_id(j);

	for (size_t i = 0; i < j->o.nargs; i++)
		json_array_append_new(t, json_string(j->args[i]));
	json_object_set_new(o, "targets", t);
	json_object_set_new(o, "run_id", id > 0 ? json_integer(id) : json_null());
	if (j->done) {
		json_object_set_new(o, "exit", json_integer(j->rc));
		json_object_set_new(o, "ended", json_real(j->ended));
		json_object_set_new(o, "message", json_string(j->message));
	}
	return o;
}

static char *
job_message(int rc, bool ran, const char *msgs)
{
	const char *what;

	switch (rc) {
	case EXIT_OK: what = ran ? "done" : "nothing to do: every target is up to date"; break;
	case EXIT_FAILED: what = "a target failed"; break;
	case EXIT_USAGE: what = "the recipe or the request is wrong; nothing was run"; break;
	case EXIT_UNREACHABLE: what = "the target database cannot be reached"; break;
	case EXIT_LOCKED: what = "another scheduled run is active; not started"; break;
	case EXIT_INTERRUPTED: what = "cancelled"; break;
	default: what = "failed"; break;
	}
	if (msgs && *msgs && rc != EXIT_OK && rc != EXIT_INTERRUPTED)
		return xasprintf("%s: %s", what, msgs);
	return xstrdup(what);
}

static void *
job_main(void *arg)
{
	struct job *j = arg;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	warn_to(f);
	recipe_errors_to(f);
	rc = run_build(&j->o, &j->stop, &j->run_id);
	warn_to(NULL);
	recipe_errors_to(NULL);
	if (f)
		fclose(f);
	if (text && len) {
		fputs(text, stderr);
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
	}
	pthread_mutex_lock(&jobs.mu);
	j->rc = rc;
	j->message = job_message(rc, job_run_id(j) > 0, text);
	j->ended = now_seconds();
	j->done = true;
	{
		json_t *e = job_json(j);

		json_object_set_new(e, "type", json_string("job"));
		pthread_mutex_unlock(&jobs.mu);
		bus_push(e);
	}
	free(text);
	return NULL;
}

static void
job_free(struct job *j)
{
	for (size_t i = 0; i < j->o.nargs; i++)
		free(j->args[i]);
	free(j->args);
	free(j->since);
	free(j->who);
	free(j->mode);
	free(j->message);
	free(j);
}

/* forget the oldest finished jobs past KEEP_DONE; call with jobs.mu held */
static void
jobs_prune(void)
{
	size_t done = 0, w = 0;

	for (size_t i = 0; i < jobs.n; i++)
		done += jobs.v[i]->done;
	for (size_t i = 0; i < jobs.n; i++) {
		struct job *j = jobs.v[i];

		if (j->done && done > KEEP_DONE) {
			pthread_join(j->th, NULL);
			job_free(j);
			done--;
		} else
			jobs.v[w++] = j;
	}
	jobs.n = w;
}

/* fill a job's options from a request body; replies and returns -1 when it is wrong */
static int
job_options(struct web_req *rq, struct web_reply *rp, json_t *body, struct job *j)
{
	const char *mode = "incremental", *since = NULL;
	json_t *targets = json_object_get(body, "targets"), *v;
	json_int_t workers = 1;
	int force = 0, keep_going = 0;
	json_error_t e;
	size_t i;

	if (json_unpack_ex(body, &e, 0, "{s?s, s?s, s?I, s?b, s?b}", "mode", &mode, "since", &since,
	                   "jobs", &workers, "force", &force, "keep_going", &keep_going) < 0) {
		web_error(rp, 400, "bad request: %s", e.text);
		return -1;
	}
	if (workers < 1 || workers > 64) {
		web_error(rp, 400, "'jobs' must be from 1 to 64");
		return -1;
	}
	if (targets && !json_is_array(targets)) {
		web_error(rp, 400, "'targets' must be an array of target names");
		return -1;
	}
	j->o.force = force;
	if (strcmp(mode, "incremental") == 0)
		;
	else if (strcmp(mode, "full-refresh") == 0)
		j->o.full_refresh = true;
	else if (strcmp(mode, "scheduled") == 0)
		j->o.scheduled = true;
	else if (strcmp(mode, "forced") == 0)
		j->o.force = true;
	else {
		web_error(rp, 400, "unknown mode '%s': incremental, full-refresh, scheduled or forced",
		          mode);
		return -1;
	}
	if (since && check_since(since) < 0) {
		web_error(rp, 400, "%s", web_messages(rq));
		return -1;
	}
	j->mode = xstrdup(mode);
	j->since = since ? xstrdup(since) : NULL;
	j->o.since = j->since;
	j->o.jobs = (int)workers;
	j->o.keep_going = keep_going;
	j->args = xcalloc(json_array_size(targets) + 1, sizeof(*j->args));
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v)) {
			web_error(rp, 400, "'targets' must be an array of target names");
			return -1;
		}
		j->args[j->o.nargs++] = xstrdup(json_string_value(v));
	}
	j->o.args = j->args;
	return 0;
}

void
api_runs_start(struct web_req *rq, struct web_reply *rp)
{
	json_t *body = web_body_json(rq, rp);
	struct job *j;
	struct session s;
	double until;

	if (!body)
		return;
	j = xcalloc(1, sizeof(*j));
	if (job_options(rq, rp, body, j) < 0) {
		json_decref(body);
		job_free(j);
		return;
	}
	json_decref(body);
	/* unknown targets are the client's mistake: say so now */
	if (web_session(rq, rp, &s, false) < 0) {
		job_free(j);
		return;
	}
	for (size_t i = 0; i < j->o.nargs; i++)
		if (!graph_find(s.g, j->args[i])) {
			web_error(rp, 400, "unknown target '%s'", j->args[i]);
			session_release(&s);
			job_free(j);
			return;
		}
	session_release(&s);
	j->o.file = web_recipe();
	j->who = xasprintf("web (%s)", rq->client);
	j->o.started_by = j->who;
	j->started = now_seconds();
	pthread_mutex_lock(&jobs.mu);
	if (jobs.closing) {
		pthread_mutex_unlock(&jobs.mu);
		job_free(j);
		web_error(rp, 503, "the server is shutting down");
		return;
	}
	j->id = jobs.next_id++;
	if (pthread_create(&j->th, NULL, job_main, j) != 0) {
		pthread_mutex_unlock(&jobs.mu);
		job_free(j);
		web_error(rp, 503, "cannot start a build thread");
		return;
	}
	jobs.v = xreallocarray(jobs.v, jobs.n + 1, sizeof(*jobs.v));
	jobs.v[jobs.n++] = j;
	jobs_prune();
	pthread_mutex_unlock(&jobs.mu);
	{
		json_t *e;

		pthread_mutex_lock(&jobs.mu);
		e = job_json(j);
		pthread_mutex_unlock(&jobs.mu);
		json_object_set_new(e, "type", json_string("job"));
		bus_push(e);
	}
	/* wait until the run is recorded (or over), so that the reply names it */
	until = now_seconds() + 15;
	for (;;) {
		bool done;

		pthread_mutex_lock(&jobs.mu);
		done = j->done;
		pthread_mutex_unlock(&jobs.mu);
		if (done || job_run_id(j) > 0 || now_seconds() > until)
			break;
		sleep_interruptible(0.02, NULL);
	}
	pthread_mutex_lock(&jobs.mu);
	web_json(rp, 202, job_json(j));
	pthread_mutex_unlock(&jobs.mu);
}

void
api_run_cancel(struct web_req *rq, struct web_reply *rp)
{
	char *end;
	long long id = strtoll(rq->rest, &end, 10);
	struct job *found = NULL;

	if (id <= 0 || (strcmp(rq->method, "DELETE") == 0 ? *end != '\0' :
	                strcmp(end, "/cancel") != 0)) {
		web_error(rp, 404, "no such page '%s' (POST /api/runs/ID/cancel cancels a run)",
		          rq->path);
		return;
	}
	pthread_mutex_lock(&jobs.mu);
	for (size_t i = 0; i < jobs.n; i++)
		if (job_run_id(jobs.v[i]) == id)
			found = jobs.v[i];
	if (!found)
		web_error(rp, 404, "run %lld was not started by this server", id);
	else if (found->done)
		web_error(rp, 409, "run %lld has finished", id);
	else {
		atomic_store(&found->stop, 1);
		web_json(rp, 202, json_pack("{s:I, s:b}", "run_id", (json_int_t)id, "cancelling", 1));
	}
	pthread_mutex_unlock(&jobs.mu);
}

void
api_jobs(struct web_req *rq, struct web_reply *rp)
{
	json_t *arr = json_array();

	pthread_mutex_lock(&jobs.mu);
	for (size_t i = jobs.n; i-- > 0;)
		json_array_append_new(arr, job_json(jobs.v[i]));
	pthread_mutex_unlock(&jobs.mu);
	web_json(rp, 200, arr);
}

void
jobs_shutdown(void)
{
	pthread_mutex_lock(&jobs.mu);
	jobs.closing = true;
	for (size_t i = 0; i < jobs.n; i++)
		jobs.v[i]->stop = 1;
	pthread_mutex_unlock(&jobs.mu);
	/* no job is added once closing: join them without the lock (they take it to finish) */
	for (size_t i = 0; i < jobs.n; i++) {
		pthread_join(jobs.v[i]->th, NULL);
		job_free(jobs.v[i]);
	}
	free(jobs.v);
	jobs.v = NULL;
	jobs.n = 0;
	log_set_listener(NULL, NULL);
	log_close();
	pthread_mutex_lock(&bus.mu);
	bus.closing = true;
	pthread_cond_broadcast(&bus.cond);
	pthread_mutex_unlock(&bus.mu);
}

/* one client's place in the event stream */
struct stream {
	long long next;              /* id of the next event to send */
	char *pending;               /* text not yet sent */
	size_t off, len;
	bool started;
};

/* the next events after st->next into st->pending, waiting up to 15s; call with bus.mu held */
static void
stream_fill(struct stream *st)
{
	struct buf b;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 15;
	while (!bus.closing && st->next >= bus.next)
		if (pthread_cond_timedwait(&bus.cond, &bus.mu, &ts) != 0)
			break;
	buf_init(&b);
	if (!st->started) {
		buf_adds(&b, "retry: 2000\n\n");
		st->started = true;
	}
	if (st->next < bus.next - NEVENTS)
		st->next = bus.next - NEVENTS;
	for (; st->next < bus.next && b.len < 65536; st->next++)
		buf_addf(&b, "id: %lld\ndata: %s\n\n", st->next, bus.ev[st->next % NEVENTS]);
	if (b.len == 0)
		buf_adds(&b, ": keepalive\n\n");
	st->len = b.len;
	st->off = 0;
	st->pending = buf_detach(&b);
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	size_t n;

	if (!st->pending) {
		pthread_mutex_lock(&bus.mu);
		if (bus.closing) {
			pthread_mutex_unlock(&bus.mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		stream_fill(st);
		pthread_mutex_unlock(&bus.mu);
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(out, st->pending + st->off, n);
	st->off += n;
	if (st->off == st->len) {
		free(st->pending);
		st->pending = NULL;
	}
	return (ssize_t)n;
}

static void
stream_free(void *cls)
{
	struct stream *st = cls;

	free(st->pending);
	free(st);
}

void
api_events(struct web_req *rq, struct web_reply *rp)
{
	struct stream *st = xcalloc(1, sizeof(*st));
	const char *last = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Last-Event-ID");
	const char *since = web_arg(rq, "since");

	pthread_mutex_lock(&bus.mu);
	st->next = bus.next;
	if (last || since) {
		long long id = atoll(last ? last : since) + 1;

		if (id >= 1 && id <= bus.next)
			st->next = id;
	}
	pthread_mutex_unlock(&bus.mu);
	rp->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, st,
	                                            stream_free);
	if (!rp->raw) {
		stream_free(st);
		web_error(rp, 500, "cannot start the event stream");
		return;
	}
	MHD_add_response_header(rp->raw, "Content-Type", "text/event-stream");
	MHD_add_response_header(rp->raw, "Cache-Control", "no-cache");
	MHD_add_response_header(rp->raw, "X-Accel-Buffering", "no");
	rp->status = 200;
}
