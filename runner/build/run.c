/* run.c: one build run, as the command line and the web UI ask for it */
#include "run.h"

#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "db.h"
#include "diag.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "report.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

static const char *
recipe_path(const struct run_request *rq)
{
	return rq->recipe ? rq->recipe : "chacc.yml";
}

/* session_open; a build (create) creates the target's database when it is missing */
static enum outcome
session_open_as(struct session *s, const struct run_request *rq, bool connect, bool create)
{
	enum outcome rc;

	memset(s, 0, sizeof(*s));
	s->diags = rq->diags;
	if (!rq->rev && access(recipe_path(rq), F_OK) < 0) {
		diag_error(rq->diags, "no recipe '%s' in %s (use -f RECIPE or -C DIR)", recipe_path(rq),
		           rq->dir ? rq->dir : "the working directory");
		return OUTCOME_BAD_REQUEST;
	}
	rc = session_load_rev(s, recipe_path(rq), ".", rq->rev, rq->scheduled, rq->diags);
	if (rc != OUTCOME_OK || !connect)
		return rc;
	s->conns.create_database = create;
	s->conns.advance = create;
	return session_connect(s);
}

enum outcome
session_open(struct session *s, const struct run_request *rq, bool connect)
{
	return session_open_as(s, rq, connect, false);
}

int
run_check_since(const char *since, struct diags *d)
{
	struct tm tm = { 0 };
	int y = 0, m = 0, dd = 0, h = 0, mi = 0, sec = 0, n = -1, k = -1;
	time_t at;

	if (!since)
		return 0;
	/* the whole text: a date, then maybe a time */
	if (sscanf(since, "%4d-%2d-%2d%n", &y, &m, &dd, &n) == 3 && since[n] == ' ')
		n = sscanf(since + n, " %2d:%2d:%2d%n", &h, &mi, &sec, &k) == 3 ? n + k : -1;
	if (n < 0 || since[n] || y < 1000 || m < 1 || m > 12 || dd < 1 || dd > 31 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
		diag_error(d, "invalid date '%s': expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'", since);
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if ((at = mktime(&tm)) != (time_t)-1 && at > time(NULL)) {
		diag_error(d, "invalid date '%s': it is in the future (extracts re-read from it)", since);
		return -1;
	}
	return 0;
}

/* a selection of every target */
static bool
selects_all(const struct run_request *rq)
{
	return rq->ntargets == 0 && rq->nexclude == 0;
}

/* -B and --full-refresh force what is selected, and nothing it needs */
static void
plan_force(struct session *s, const struct run_request *rq, struct node **sel, size_t nsel)
{
	s->opts = (struct plan_opts){ .have_since = rq->since != NULL };
	if (selects_all(rq)) {
		s->opts.full_refresh = rq->full_refresh;
		s->opts.force_all = rq->force;
		return;
	}
	if (!rq->force && !rq->full_refresh)
		return;
	free(s->forced);
	s->forced = xcalloc(nsel + 1, sizeof(*s->forced));
	for (size_t i = 0; i < nsel; i++)
		s->forced[i] = sel[i]->t->name;
	s->opts.force = s->forced;
	s->opts.nforce = nsel;
}

/*
 * extracts planned for their source only because their lookback window is
 * open (DESIGN §3): the detail says until when, as the source's clock tells
 */
static void
plan_windows(struct session *s, struct plan_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct plan_item *it = &items[i];
		int open;

		if (it->reason != REASON_SOURCE || it->detail != DETAIL_NONE || s->ps.offline ||
		    s->opts.have_since || !s->markers[it->n->id].window_open)
			continue;
		if ((open = session_window(s, it->n, it->window)) >= 0)
			it->detail = open ? DETAIL_WINDOW_OPEN : DETAIL_WINDOW_CLOSED;
	}
}

long
run_plan(struct session *s, const struct run_request *rq, struct node ***order, size_t *norder,
         struct plan_item **items)
{
	struct node **sel = NULL;
	long count, nsel;

	if ((nsel = session_select(s, rq->targets, rq->ntargets, rq->exclude, rq->nexclude,
	                           &sel)) < 0)
		return -2;
	free(s->selected);
	s->selected = xcalloc(s->g->nnodes + 1, sizeof(*s->selected));
	for (long i = 0; i < nsel; i++)
		s->selected[sel[i]->id] = true;
	plan_force(s, rq, sel, (size_t)nsel);
	*norder = nsel ? graph_order(s->g, sel, (size_t)nsel, order) : 0;
	if (!nsel)
		*order = NULL;
	free(sel);
	*items = xcalloc(*norder ? *norder : 1, sizeof(**items));
	count = plan_all(&s->ps, *order, *norder, *items);
	if (count < 0)
		diag_error(s->diags, "%s", s->probe_error ? s->probe_error : "probing a source failed");
	for (size_t i = 0; i < *norder; i++) {
		const struct marker *m = &s->markers[(*items)[i].n->id];

		if (!m->present && m->table_exists)
			(*items)[i].detail = DETAIL_FOREIGN_TABLE;
		else if (m->present && strcmp(m->hash, MARKER_ADOPTED) == 0)
			(*items)[i].detail = DETAIL_ADOPTED;
	}
	if (count >= 0)
		plan_windows(s, *items, *norder);
	report_check_building(s, *items, *norder);
	return count;
}

char *
run_started_by(const struct run_request *rq)
{
	const char *who = rq->started_by ? rq->started_by : getenv("CHACC_STARTED_BY");
	struct passwd pwbuf, *pw = NULL;
	char host[256] = "", strings[1024];

	if (who && *who)
		return xstrdup(who);
	/* the web server runs several builds at once: no static buffers */
	if (getpwuid_r(getuid(), &pwbuf, strings, sizeof(strings), &pw) != 0)
		pw = NULL;
	gethostname(host, sizeof(host) - 1);
	return xasprintf("%s@%s%s", pw ? pw->pw_name : "unknown", host,
	                 rq->scheduled ? " (scheduled)" : "");
}

char *
run_selection_text(const struct run_request *rq)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < rq->ntargets; i++)
		buf_addf(&b, "%s%s", i ? " " : "", rq->targets[i]);
	for (size_t i = 0; i < rq->nexclude; i++)
		buf_addf(&b, "%s--exclude %s", b.len ? " " : "", rq->exclude[i]);
	return buf_detach(&b);
}

/* the run-wide lock of --scheduled: ok, locked or unreachable */
static enum outcome
scheduled_lock(struct session *s)
{
	int rc = store_lock_scheduled(s->conns.store);

	if (rc < 0) {
		diag_error(s->diags, "cannot take the scheduled-run lock: %s",
		           store_error(s->conns.store));
		return OUTCOME_UNREACHABLE;
	}
	if (rc == 0)
		diag_error(s->diags, "another scheduled run of recipe '%s' is active; not starting",
		           s->r->name);
	return rc ? OUTCOME_OK : OUTCOME_LOCKED;
}

/* runs left 'running' whose lock is free died with their runner: close them as interrupted */
static void
close_dead_runs(struct store *st, struct diags *diags)
{
	long long *ids = NULL;
	long n = store_runs_running(st, &ids);
	bool *used;

	if (n <= 0) {
		free(ids);
		return;
	}
	used = xcalloc((size_t)n, sizeof(*used));
	if (store_runs_locked(st, ids, (size_t)n, used) == 0)
		for (long i = 0; i < n; i++) {
			int rc;

			if (used[i])
				continue;
			if ((rc = store_run_close_dead(st, ids[i])) < 0)
				diag_warn(diags, "cannot close run %lld, whose runner died: %s", ids[i],
				          store_error(st));
			else if (rc > 0)
				log_event(LOG_WARN, "closed", NULL, ids[i],
				          "run %lld: its runner died; recorded as interrupted", ids[i]);
		}
	free(used);
	free(ids);
}

extern char **environ;

/* the targets of the run that failed, space-separated (as recorded in etl_run_targets) */
static char *
failed_names(struct store *st, long long run_id)
{
	struct store_rows *rows = store_run_targets(st, run_id);
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; rows && i < rows->nrows; i++) {
		const char *outcome = store_rows_get(rows, i, 3);

		if (outcome && strcmp(outcome, "failed") == 0)
			buf_addf(&b, "%s%s", b.len ? " " : "", store_rows_get(rows, i, 0));
	}
	store_rows_free(rows);
	return buf_detach(&b);
}

void
run_failure_hook(const char *command, const char *recipe, long long run_id, const char *failed,
                 const char *failed_sites, struct diags *diags)
{
	static const char *const names[] = { "CHACC_RUN_ID=", "CHACC_FAILED=",
	                                     "CHACC_FAILED_SITES=", "CHACC_RECIPE=" };
	char *vars[LEN(names)], **envp;
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	size_t n = 0, k = 0;
	pid_t pid;
	int status, err;

	vars[0] = xasprintf("%s%lld", names[0], run_id);
	vars[1] = xasprintf("%s%s", names[1], failed ? failed : "");
	vars[2] = xasprintf("%s%s", names[2], failed_sites ? failed_sites : "");
	vars[3] = xasprintf("%s%s", names[3], recipe);
	while (environ[n])
		n++;
	envp = xcalloc(n + LEN(vars) + 1, sizeof(*envp));
	for (size_t i = 0; i < n; i++) {
		bool ours = false;

		for (size_t j = 0; j < LEN(names); j++)
			ours = ours || strstarts(environ[i], names[j]);
		if (!ours)
			envp[k++] = environ[i];
	}
	for (size_t i = 0; i < LEN(vars); i++)
		envp[k++] = vars[i];
	fflush(NULL);
	if ((err = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp)) != 0)
		diag_warn(diags, "cannot run the on_failure command: %s", strerror(err));
	else if (waitpid(pid, &status, 0) == pid &&
	         (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		diag_warn(diags, "on_failure command exited with status %d",
		          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	for (size_t i = 0; i < LEN(vars); i++)
		free(vars[i]);
	free(envp);
}

/* the recipe's on_failure command, told the run's failed targets (from etl_run_targets) and sites */
static void
run_on_failure(const struct recipe *r, struct store *st, const struct sched *sc,
               struct diags *diags)
{
	char *failed;

	if (!r->on_failure)
		return;
	failed = failed_names(st, sc->run_id);
	run_failure_hook(r->on_failure, r->name, sc->run_id, failed, sc->failed_sites, diags);
	free(failed);
}

/* the end of a run in one line: what this runner built apart from what another runner did */
static void
say_end(const struct sched *sc, int rc)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "run %lld: ", sc->run_id);
	if (rc == 0 && sc->built == 0 && sc->uptodate > 0) {
		buf_addf(&b, "done, %d up to date, built by another runner", sc->uptodate);
		if (sc->pruned)
			buf_addf(&b, ", %d pruned", sc->pruned);
		log_event(LOG_INFO, "end", NULL, sc->run_id, "%s", b.s);
		buf_release(&b);
		return;
	}
	buf_addf(&b, "%s%d built, ", rc == 0 ? "done, " : "", sc->built);
	if (sc->uptodate)
		buf_addf(&b, "%d up to date (built by another runner), ", sc->uptodate);
	if (rc != 0)
		buf_addf(&b, "%d failed, %d skipped, %d interrupted, ", sc->failed, sc->skipped,
		         sc->interrupted);
	buf_addf(&b, "%d pruned", sc->pruned);
	if (sc->sites_failed)
		buf_addf(&b, "; %d site%s failed: %s", sc->sites_failed, sc->sites_failed == 1 ? "" : "s",
		         sc->failed_sites ? sc->failed_sites : "see the targets' errors");
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "end", NULL, sc->run_id, "%s", b.s);
	buf_release(&b);
}

static const char *
run_mode(const struct run_request *rq)
{
	return rq->scheduled ? "scheduled" : rq->full_refresh ? "full-refresh" :
	       rq->force ? "forced" : "incremental";
}

/* record the run in etl_runs (result 'running', its run lock taken): its id, or -1 */
static long long
run_begin(const struct run_request *rq, struct session *s, struct run_result *res)
{
	char *who = run_started_by(rq), *sel = run_selection_text(rq);
	long long id = store_run_begin(s->conns.store, run_mode(rq), sel, who, s->config_rev,
	                               s->config_dirty);

	free(who);
	free(sel);
	if (id < 0) {
		diag_error(rq->diags, "cannot record the run in etl_runs: %s",
		           store_error(s->conns.store));
		res->outcome = OUTCOME_UNREACHABLE;
	}
	return id;
}

/* a build with nothing to do still leaves its run, so that cron can be seen to run */
static void
run_record_noop(const struct run_request *rq, struct session *s, struct run_result *res)
{
	long long id = run_begin(rq, s, res);
	bool quiet = log_quiet();

	if (id < 0)
		return;
	if (store_run_end(s->conns.store, id, RUN_NOTHING_TO_DO) < 0)
		diag_warn(rq->diags, "cannot record the end of run %lld: %s", id,
		          store_error(s->conns.store));
	store_unlock_run(s->conns.store, id);
	__atomic_store_n(&res->run_id, id, __ATOMIC_SEQ_CST);
	/* the log file keeps it; the command line says it in its own words */
	log_set_quiet(true);
	log_event(LOG_INFO, "end", NULL, id, "run %lld: nothing to do, all %zu targets up to date",
	          id, res->ntargets);
	log_set_quiet(quiet);
}

/* the plan of a run: session open, log open, locks taken, adoptions made; false when it stops there */
static bool
run_prepare(const struct run_request *rq, struct session *s, struct run_result *res,
            struct node ***order, struct plan_item **items, bool *logging)
{
	double asked = mono_seconds();
	long count;

	if (run_check_since(rq->since, rq->diags) < 0) {
		res->outcome = OUTCOME_BAD_REQUEST;
		return false;
	}
	if ((res->outcome = session_open_as(s, rq, true, !rq->dry_run)) != OUTCOME_OK ||
	    (!rq->dry_run && (res->outcome = session_upgrade(s)) != OUTCOME_OK))
		return false;
	/* quiet is this thread's, and its workers': other runs of the process keep theirs */
	log_open(".", rq->scheduled);
	*logging = true;
	if (rq->scheduled && (res->outcome = scheduled_lock(s)) != OUTCOME_OK)
		return false;
	if (!rq->dry_run) {
		close_dead_runs(s->conns.store, rq->diags);
		char now[TS_LEN];

		/* its clock now, less the time this run took to connect and get here */
		if (store_now(s->conns.store, now) == 0 && ts_seconds(now) > 0)
			s->asked_at = ts_seconds(now) - (mono_seconds() - asked);
	}
	if (rq->nadopt &&
	    (res->outcome = session_adopt(s, rq->adopt, rq->nadopt, rq->dry_run)) != OUTCOME_OK)
		return false;
	count = run_plan(s, rq, order, &res->ntargets, items);
	if (count < 0) {
		res->outcome = count == -2 ? OUTCOME_BAD_REQUEST : OUTCOME_FAILED;
		return false;
	}
	res->todo = count;
	if (rq->dry_run && rq->show_plan)
		rq->show_plan(rq->arg, *items, res->ntargets);
	if (!rq->dry_run && count == 0)
		run_record_noop(rq, s, res);
	return !rq->dry_run && count > 0;
}

/* build the planned items: privileges checked, the run recorded, built, closed */
static void
run_execute(const struct run_request *rq, struct session *s, struct plan_item *items,
            struct run_result *res)
{
	struct sched sc = { 0 };
	size_t n = res->ntargets;
	bool routines = false;
	char *err = NULL;
	const char *mode;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (items[i].reason != REASON_NONE && items[i].n->t->kind == KIND_SCRIPT)
			routines = true;
	if (db_check_privileges(s->conns.tgt, routines, &err) < 0) {
		diag_error(rq->diags, "%s", err);
		free(err);
		res->outcome = OUTCOME_FAILED;
		return;
	}
	mode = run_mode(rq);
	sc = (struct sched){
		.r = s->r, .ps = &s->ps, .main = s->conns.tgt, .jobs = rq->jobs ? rq->jobs : 1,
		.keep_going = rq->keep_going, .since = rq->since, .stop = rq->stop,
		.no_restat = (rq->full_refresh || rq->force) && selects_all(rq),
		.rev = s->config_rev, .dirty = s->config_dirty, .asked_at = s->asked_at,
	};
	sc.store = s->conns.store;
	if ((sc.run_id = run_begin(rq, s, res)) < 0)
		return;
	sc.run_lock = true;
	__atomic_store_n(&res->run_id, sc.run_id, __ATOMIC_SEQ_CST);
	log_event(LOG_INFO, "run", NULL, sc.run_id, "run %lld: %ld of %zu targets to build (%s)",
	          sc.run_id, res->todo, n, mode);
	rc = sched_run(&sc, items, n);
	res->outcome = rc == 0 ? OUTCOME_OK : rc == 130 ? OUTCOME_INTERRUPTED : OUTCOME_FAILED;
	store_run_end(s->conns.store, sc.run_id, res->outcome == OUTCOME_OK ? "success" :
	              res->outcome == OUTCOME_INTERRUPTED ? "interrupted" : "failed");
	store_unlock_run(s->conns.store, sc.run_id);
	say_end(&sc, rc);
	if (rc != 0 && rq->scheduled)
		run_on_failure(s->r, s->conns.store, &sc, rq->diags);
	res->built = sc.built;
	res->failed = sc.failed;
	res->skipped = sc.skipped;
	res->interrupted = sc.interrupted;
	res->pruned = sc.pruned;
	res->uptodate = sc.uptodate;
	res->sites_failed = sc.sites_failed;
	free(sc.failed_sites);
}

void
run_build(const struct run_request *rq, struct run_result *res)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	bool logging = false;

	memset(&s, 0, sizeof(s));
	res->outcome = OUTCOME_OK;
	if (run_prepare(rq, &s, res, &order, &items, &logging))
		run_execute(rq, &s, items, res);
	free(order);
	free(items);
	session_release(&s);
	if (logging)
		log_close();
}
