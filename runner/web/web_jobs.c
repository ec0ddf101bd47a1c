/* web_jobs.c: builds started from the web UI, in background threads */
#include <jansson.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "graph.h"
#include "log.h"
#include "recipe.h"
#include "run.h"
#include "schedule.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "web.h"

/* finished jobs kept for /api/jobs */
#define KEEP_DONE 50
/* how long starting a build waits for its run to be recorded */
#define START_WAIT 15
/* how long "replace" waits for the builds it cancels to end */
#define CANCEL_WAIT 60

struct job {
	int id;
	struct run_request rq;
	char **args;                 /* target names (owned) */
	char *since, *who, *mode;
	atomic_int stop;             /* set by a cancel or the server's stop; read by the run's threads */
	struct run_result res;       /* its run_id set by run_build once the run is recorded */
	struct diags diags;          /* the run's problems: the job thread's until done */
	bool done;
	bool replace;                /* cancel this server's running builds before it starts */
	char *message;
	double started, ended;
	pthread_t th;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t changed;      /* a job finished (monotonic clock) */
	struct job **v;
	size_t n;
	int next_id;
	bool closing;
} jobs = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 1, false };

/* every run event of the process: called under the log lock, so it must not log */
static void
on_log(void *arg, enum log_level lvl, const char *event, const char *target, long long run_id,
       long long rows, const char *msg)
{
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	json_t *j;

	if (lvl == LOG_DEBUG)
		return;
	j = json_pack("{s:s, s:s, s:o}", "type", "log", "level", levels[lvl], "event",
	              web_jstr(event));
	if (target)
		json_object_set_new(j, "target", web_jstr(target));
	if (run_id > 0)
		json_object_set_new(j, "run_id", json_integer(run_id));
	if (rows >= 0)
		json_object_set_new(j, "rows", json_integer(rows));
	if (msg && *msg)
		json_object_set_new(j, "message", web_jstrn(msg, strlen(msg) > 4000 ? 4000 :
		                                             strlen(msg)));
	events_push(j);
}

void
jobs_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&jobs.changed);
	pthread_cond_init(&jobs.changed, &ca);
	pthread_condattr_destroy(&ca);
	jobs.closing = false;
	log_open(".", false);
	log_set_listener(on_log, NULL);
}

static long long
job_run_id(const struct job *j)
{
	return __atomic_load_n(&j->res.run_id, __ATOMIC_SEQ_CST);
}

/* the exit code the command line gives for an outcome (DESIGN §6): the API's "exit" */
static int
job_exit(enum outcome o)
{
	static const int codes[] = {
		[OUTCOME_OK] = 0, [OUTCOME_FAILED] = 1, [OUTCOME_BAD_REQUEST] = 2,
		[OUTCOME_UNREACHABLE] = 3, [OUTCOME_LOCKED] = 75, [OUTCOME_INTERRUPTED] = 130,
	};

	return (size_t)o < LEN(codes) ? codes[o] : 1;
}

/* a job as JSON; call with jobs.mu held */
static json_t *
job_json(struct job *j)
{
	json_t *o = json_pack("{s:i, s:s, s:o, s:s, s:f}", "job", j->id, "mode", j->mode,
	                      "started_by", web_jstr(j->who), "state", j->done ? "done" :
	                      "running", "started", j->started);
	json_t *t = json_array();
	long long id = job_run_id(j);

	for (size_t i = 0; i < j->rq.ntargets; i++)
		json_array_append_new(t, web_jstr(j->args[i]));
	json_object_set_new(o, "targets", t);
	json_object_set_new(o, "run_id", id > 0 ? json_integer(id) : json_null());
	if (j->done) {
		json_object_set_new(o, "outcome", json_string(outcome_name(j->res.outcome)));
		json_object_set_new(o, "exit", json_integer(job_exit(j->res.outcome)));
		json_object_set_new(o, "ended", json_real(j->ended));
		json_object_set_new(o, "message", web_jstr(j->message));
		json_object_set_new(o, "diagnostics", web_diags_json(&j->diags));
	}
	return o;
}

/* the summary a job's outcome shows, with its problems after a failure */
static char *
job_message(const struct job *j)
{
	const char *what;
	char *text, *msg;

	switch (j->res.outcome) {
	case OUTCOME_OK:
		what = j->res.todo > 0 ? "done" :
		       "nothing to do: every target is up to date";
		break;
	case OUTCOME_FAILED: what = "a target failed"; break;
	case OUTCOME_BAD_REQUEST: what = "the recipe or the request is wrong; nothing was run"; break;
	case OUTCOME_UNREACHABLE: what = "the target database cannot be reached"; break;
	case OUTCOME_LOCKED: what = "another scheduled run is active; not started"; break;
	case OUTCOME_INTERRUPTED: what = "cancelled"; break;
	default: what = "failed"; break;
	}
	if (j->diags.n == 0 || j->res.outcome == OUTCOME_OK || j->res.outcome == OUTCOME_INTERRUPTED)
		return xstrdup(what);
	text = diags_text(&j->diags);
	msg = xasprintf("%s: %s", what, text);
	free(text);
	return msg;
}

/* the server's log keeps a job's problems too, as the command line prints them */
static void
job_log_diag(void *arg, const struct diag *d)
{
	struct buf b;

	buf_init(&b);
	diag_text(d, &b);
	fprintf(stderr, d->file ? "%s\n" : "chacc: %s\n", b.s);
	buf_release(&b);
}

static void *
job_main(void *arg)
{
	struct job *j = arg;

	run_build(&j->rq, &j->res);
	pthread_mutex_lock(&jobs.mu);
	j->message = job_message(j);
	j->ended = now_seconds();
	j->done = true;
	pthread_cond_broadcast(&jobs.changed);
	{
		json_t *e = job_json(j);

		json_object_set_new(e, "type", json_string("job"));
		pthread_mutex_unlock(&jobs.mu);
		events_push(e);
	}
	return NULL;
}

static void
job_free(struct job *j)
{
	for (size_t i = 0; i < j->rq.ntargets; i++)
		free(j->args[i]);
	free(j->args);
	free(j->since);
	free(j->who);
	free(j->mode);
	free(j->message);
	diags_release(&j->diags);
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
	int force = 0, keep_going = 0, replace = 0;
	json_error_t e;
	size_t i;

	if (json_unpack_ex(body, &e, 0, "{s?s, s?s, s?I, s?b, s?b, s?b}", "mode", &mode, "since",
	                   &since, "jobs", &workers, "force", &force, "keep_going", &keep_going,
	                   "replace", &replace) < 0) {
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
	j->rq.force = force;
	j->replace = replace;
	if (strcmp(mode, "incremental") == 0)
		;
	else if (strcmp(mode, "full-refresh") == 0)
		j->rq.full_refresh = true;
	else if (strcmp(mode, "scheduled") == 0)
		j->rq.scheduled = true;
	else if (strcmp(mode, "forced") == 0)
		j->rq.force = true;
	else {
		web_error(rp, 400, "unknown mode '%s': incremental, full-refresh, scheduled or forced",
		          mode);
		return -1;
	}
	if (run_check_since(since, &rq->diags) < 0) {
		web_diag_error(rp, 400, NULL, &rq->diags, "invalid date");
		return -1;
	}
	j->mode = xstrdup(mode);
	j->since = since ? xstrdup(since) : NULL;
	j->rq.since = j->since;
	j->rq.jobs = (int)workers;
	j->rq.keep_going = keep_going;
	j->args = xcalloc(json_array_size(targets) + 1, sizeof(*j->args));
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v)) {
			web_error(rp, 400, "'targets' must be an array of target names");
			return -1;
		}
		j->args[j->rq.ntargets++] = xstrdup(json_string_value(v));
	}
	j->rq.targets = j->args;
	return 0;
}

/* unknown targets are the client's mistake: say so now */
static int
known_targets(struct web_req *rq, struct web_reply *rp, const struct job *j)
{
	struct session s;
	int rc = 0;

	if (web_session(rq, rp, &s, false) < 0)
		return -1;
	for (size_t i = 0; i < j->rq.ntargets && rc == 0; i++)
		if (!graph_find(s.g, j->args[i])) {
			web_error(rp, 400, "unknown target '%s'", j->args[i]);
			rc = -1;
		}
	session_release(&s);
	return rc;
}

/*
 * with jobs.mu held: wait until the run is recorded (or over), so that the
 * reply names it: the end of a job is signalled, its run id is looked at
 * every 20 ms
 */
static void
wait_recorded(struct job *j)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += START_WAIT;
	while (!j->done && job_run_id(j) <= 0) {
		struct timespec now, step;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec ||
		    (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
			break;
		step = now;
		step.tv_nsec += 20 * 1000 * 1000;
		if (step.tv_nsec >= 1000000000L) {
			step.tv_sec++;
			step.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&jobs.changed, &jobs.mu, &step);
	}
}

/* deadline (CLOCK_MONOTONIC) seconds from now */
static struct timespec
deadline(int seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	return t;
}

/*
 * the recipe's runs that are running and were not started by this server
 * (the command line, cron, another server): the web cannot cancel them, so
 * "replace" is refused (409) naming them; -1 after replying
 */
static int
no_foreign_runs(struct web_req *rq, struct web_reply *rp)
{
	static const char *const names[4] = { "mode", "result", "from", "to" };
	struct store_runs_filter f = { 0 };
	struct store_rows *r;
	struct session s;
	char *err = NULL;
	long long total = 0;
	int rc = 0;

	if (web_session(rq, rp, &s, true) < 0)
		return -1;
	store_runs_filter_parse(&f, names, NULL, "running", NULL, NULL, NULL, NULL, &err);
	f.limit = 100;
	if (!(r = store_runs_find(s.conns.store, &f, &total))) {
		web_error(rp, 503, "cannot read the running runs: %s", store_error(s.conns.store));
		session_release(&s);
		return -1;
	}
	for (size_t i = 0; i < r->nrows && rc == 0; i++) {
		long long id = atoll(store_rows_get(r, i, 0));
		const char *who = store_rows_get(r, i, 3);
		bool ours = false, alive = false;

		pthread_mutex_lock(&jobs.mu);
		for (size_t k = 0; k < jobs.n; k++)
			ours |= job_run_id(jobs.v[k]) == id;
		pthread_mutex_unlock(&jobs.mu);
		/* a run whose runner died is not running: the next build closes it */
		if (!ours && store_runs_locked(s.conns.store, &id, 1, &alive) == 0 && alive) {
			web_error(rp, 409, "run %lld (started by %s) was not started by this server: the"
			          " web UI cannot cancel it; stop it where it runs, or wait for it to end",
			          id, who ? who : "someone");
			rc = -1;
		}
	}
	store_rows_free(r);
	session_release(&s);
	return rc;
}

/* some job of ids (n) still runs; with jobs.mu held */
static bool
still_running(const int *ids, size_t n)
{
	for (size_t i = 0; i < jobs.n; i++)
		for (size_t k = 0; k < n; k++)
			if (jobs.v[i]->id == ids[k] && !jobs.v[i]->done)
				return true;
	return false;
}

/*
 * "replace": cancel this server's running builds and wait until they
 * ended; their run ids into *replaced. -1 after replying
 */
static int
replace_running(struct web_req *rq, struct web_reply *rp, json_t *replaced)
{
	struct timespec until = deadline(CANCEL_WAIT);
	int *ids = NULL, rc = 0;
	size_t n = 0;

	if (no_foreign_runs(rq, rp) < 0)
		return -1;
	pthread_mutex_lock(&jobs.mu);
	for (size_t i = 0; i < jobs.n; i++) {
		struct job *j = jobs.v[i];

		if (j->done)
			continue;
		atomic_store(&j->stop, 1);
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = j->id;
		if (job_run_id(j) > 0)
			json_array_append_new(replaced, json_integer(job_run_id(j)));
	}
	sched_wake();
	while (rc == 0 && still_running(ids, n))
		if (pthread_cond_timedwait(&jobs.changed, &jobs.mu, &until) == ETIMEDOUT) {
			web_error(rp, 503, "the running build did not stop within %d seconds: try again",
			          CANCEL_WAIT);
			rc = -1;
		}
	pthread_mutex_unlock(&jobs.mu);
	free(ids);
	return rc;
}

void
api_runs_start(struct web_req *rq, struct web_reply *rp)
{
	json_t *body = web_body_json(rq, rp), *replaced = json_array(), *reply;
	struct job *j;
	bool replace;

	if (!body) {
		json_decref(replaced);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	if (job_options(rq, rp, body, j) < 0) {
		json_decref(replaced);
		json_decref(body);
		job_free(j);
		return;
	}
	json_decref(body);
	replace = j->replace;
	if (known_targets(rq, rp, j) < 0 || (replace && replace_running(rq, rp, replaced) < 0)) {
		json_decref(replaced);
		job_free(j);
		return;
	}
	j->rq.recipe = web_recipe();
	j->who = xasprintf("web (%s)", rq->client);
	j->rq.started_by = j->who;
	j->rq.stop = &j->stop;
	j->rq.diags = &j->diags;
	j->diags.emit = job_log_diag;
	j->started = now_seconds();
	pthread_mutex_lock(&jobs.mu);
	if (jobs.closing || (j->id = jobs.next_id++, pthread_create(&j->th, NULL, job_main, j)) != 0) {
		pthread_mutex_unlock(&jobs.mu);
		web_error(rp, 503, j->id ? "cannot start a build thread" :
		          "the server is shutting down");
		json_decref(replaced);
		job_free(j);
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
		events_push(e);
	}
	pthread_mutex_lock(&jobs.mu);
	wait_recorded(j);
	reply = job_json(j);
	pthread_mutex_unlock(&jobs.mu);
	/* the runs "replace" cancelled first */
	if (replace)
		json_object_set(reply, "replaced", replaced);
	json_decref(replaced);
	web_json(rp, 202, reply);
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
		sched_wake();
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
jobs_cancel(void)
{
	pthread_mutex_lock(&jobs.mu);
	jobs.closing = true;
	for (size_t i = 0; i < jobs.n; i++)
		jobs.v[i]->stop = 1;
	sched_wake();
	pthread_mutex_unlock(&jobs.mu);
}

void
jobs_shutdown(void)
{
	jobs_cancel();
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
}
