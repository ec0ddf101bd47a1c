/* run.c: one build run, as the command line and the web UI start it */
#include <pwd.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "cmd.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "privs.h"
#include "recipe.h"
#include "report.h"
#include "schedule.h"
#include "session.h"
#include "store.h"
#include "util.h"

static const char *
recipe_path(const struct opts *o)
{
	return o->file ? o->file : "chacc.yml";
}

int
open_session(struct session *s, const struct opts *o, bool connect)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (!o->rev && access(recipe_path(o), F_OK) < 0) {
		warn("no recipe '%s' in %s (use -f RECIPE or -C DIR)", recipe_path(o),
		     o->dir ? o->dir : "the working directory");
		return EXIT_USAGE;
	}
	rc = session_load_rev(s, recipe_path(o), ".", o->rev, o->scheduled);
	if (rc != EXIT_OK || !connect)
		return rc;
	return session_connect(s);
}

int
check_since(const char *since)
{
	int y, m, d;

	if (!since)
		return 0;
	if (sscanf(since, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
		warn("invalid date '%s': expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM:SS'", since);
		return -1;
	}
	return 0;
}

long
make_plan(struct session *s, const struct opts *o, struct node ***order, size_t *norder,
          struct plan_item **items)
{
	struct node **sel = NULL;
	long count;

	if (session_select(s, o->args, o->nargs, &sel) < 0) {
		free(sel);
		return -2;
	}
	s->opts.full_refresh = o->full_refresh;
	s->opts.have_since = o->since != NULL;
	if (o->force && o->nargs == 0)
		s->opts.force_all = true;
	else if (o->force) {
		s->opts.force = o->args;
		s->opts.nforce = o->nargs;
	}
	*norder = graph_order(s->g, sel, o->nargs, order);
	free(sel);
	*items = xcalloc(*norder ? *norder : 1, sizeof(**items));
	count = plan_all(&s->ps, *order, *norder, *items);
	if (count < 0)
		warn("%s", s->probe_error ? s->probe_error : "probing a source failed");
	for (size_t i = 0; i < *norder; i++) {
		const struct marker *m = &s->markers[(*items)[i].n->id];

		if (!m->present && m->table_exists)
			(*items)[i].note = "its table exists but chacc did not make it: a build refuses"
			                   " to replace it (see --adopt)";
		else if (m->present && strcmp(m->hash, MARKER_ADOPTED) == 0)
			(*items)[i].note = "adopted: its first build replaces the table in full";
	}
	report_check_building(s, *items, *norder);
	return count;
}

static const char *
plan_note(const struct plan_item *it)
{
	const struct target *t = it->n->t;

	if (t->kind == KIND_EXTRACT && !t->incr.enabled)
		return "not incremental: new source rows are read by --full-refresh or -B only";
	if (t->kind == KIND_EXTRACT && t->incr.enabled && !t->incr.deleted)
		return "no 'deleted' column: source deletes are caught by --full-refresh only";
	return NULL;
}

void
print_plan(struct plan_item *items, size_t n, bool json)
{
	json_t *arr = json ? json_array() : NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct plan_item *it = &items[i];
		const char *note;

		if (it->reason == REASON_NONE)
			continue;
		count++;
		if (json) {
			json_t *obj = json_object();

			json_object_set_new(obj, "target", json_string(it->n->t->name));
			json_object_set_new(obj, "reason", json_string(reason_name(it->reason)));
			json_object_set_new(obj, "mode", json_string(it->full ? "full" : "incremental"));
			json_object_set_new(obj, "kind", json_string(kind_name(it->n->t->kind)));
			if (it->note)
				json_object_set_new(obj, "detail", json_string(it->note));
			json_array_append_new(arr, obj);
			continue;
		}
		note = it->note ? it->note : plan_note(it);
		printf("%-32s %-8s %-18s %s%s%s\n", it->n->t->name, kind_name(it->n->t->kind),
		       reason_name(it->reason), it->full ? "full" : "incremental",
		       note ? "  # " : "", note ? note : "");
	}
	if (json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", s);
		free(s);
		json_decref(arr);
	} else if (count == 0)
		printf("nothing to do: all %zu targets are up to date\n", n);
	else
		printf("%zu of %zu targets to build\n", count, n);
}

static char *
started_by(const struct opts *o)
{
	const char *who = o->started_by ? o->started_by : getenv("CHACC_STARTED_BY");
	struct passwd pwbuf, *pw = NULL;
	char host[256] = "", strings[1024];

	if (who && *who)
		return xstrdup(who);
	/* the web server runs several builds at once: no static buffers */
	if (getpwuid_r(getuid(), &pwbuf, strings, sizeof(strings), &pw) != 0)
		pw = NULL;
	gethostname(host, sizeof(host) - 1);
	return xasprintf("%s@%s%s", pw ? pw->pw_name : "unknown", host,
	                 o->scheduled ? " (scheduled)" : "");
}

static char *
selection_text(const struct opts *o)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < o->nargs; i++)
		buf_addf(&b, "%s%s", i ? " " : "", o->args[i]);
	return buf_detach(&b);
}

/* the run-wide lock of --scheduled; 0, EXIT_LOCKED or EXIT_UNREACHABLE */
static int
scheduled_lock(struct session *s)
{
	int rc = store_lock_scheduled(s->conns.store);

	if (rc < 0) {
		warn("cannot take the scheduled-run lock: %s", store_error(s->conns.store));
		return EXIT_UNREACHABLE;
	}
	if (rc == 0)
		warn("another scheduled run of recipe '%s' is active; not starting", s->r->name);
	return rc ? 0 : EXIT_LOCKED;
}

/* runs left 'running' whose lock is free died with their runner: close them as interrupted */
static void
close_dead_runs(struct store *st)
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
				warn("cannot close run %lld, whose runner died: %s", ids[i],
				     store_error(st));
			else if (rc > 0)
				log_event(LOG_WARN, "closed", NULL, ids[i],
				          "run %lld: its runner died; recorded as interrupted", ids[i]);
		}
	free(used);
	free(ids);
}

extern char **environ;

/*
 * run the recipe's on_failure command with CHACC_RUN_ID, CHACC_FAILED and
 * CHACC_RECIPE in its own environment (never setenv: builds run in threads)
 */
static void
run_on_failure(const struct recipe *r, long long run_id, const struct sched *sc)
{
	char *vars[3], **envp;
	char *argv[] = { (char *)"sh", (char *)"-c", r->on_failure, NULL };
	size_t n = 0, k = 0;
	pid_t pid;
	int status, err;

	if (!r->on_failure)
		return;
	vars[0] = xasprintf("CHACC_RUN_ID=%lld", run_id);
	vars[1] = xasprintf("CHACC_FAILED=%d", sc->failed);
	vars[2] = xasprintf("CHACC_RECIPE=%s", r->name);
	while (environ[n])
		n++;
	envp = xcalloc(n + LEN(vars) + 1, sizeof(*envp));
	for (size_t i = 0; i < n; i++)
		if (!strstarts(environ[i], "CHACC_RUN_ID=") && !strstarts(environ[i], "CHACC_FAILED=") &&
		    !strstarts(environ[i], "CHACC_RECIPE="))
			envp[k++] = environ[i];
	for (size_t i = 0; i < LEN(vars); i++)
		envp[k++] = vars[i];
	fflush(NULL);
	if ((err = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp)) != 0)
		warn("cannot run the on_failure command: %s", strerror(err));
	else if (waitpid(pid, &status, 0) == pid &&
	         (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		warn("on_failure command exited with status %d",
		     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	for (size_t i = 0; i < LEN(vars); i++)
		free(vars[i]);
	free(envp);
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
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "end", NULL, sc->run_id, "%s", b.s);
	buf_release(&b);
}

int
run_build(const struct opts *o, atomic_int *stop, long long *run_id)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	struct sched sc = { 0 };
	size_t n = 0;
	long count;
	int rc;
	bool routines = false;
	char *who = NULL, *sel = NULL, *err = NULL;
	const char *mode;
	bool logging = false;

	if (check_since(o->since) < 0)
		return EXIT_USAGE;
	if ((rc = open_session(&s, o, true)) != EXIT_OK ||
	    (!o->dry_run && (rc = session_upgrade(&s)) != EXIT_OK))
		goto out;
	/* quiet is this thread's, and its workers': other runs of the process keep theirs */
	log_open(".", o->scheduled);
	logging = true;
	if (o->scheduled && (rc = scheduled_lock(&s)) != 0)
		goto out;
	if (!o->dry_run)
		close_dead_runs(s.conns.store);
	if (o->nadopt && (rc = session_adopt(&s, o->adopt, o->nadopt, o->dry_run)) != EXIT_OK)
		goto out;
	count = make_plan(&s, o, &order, &n, &items);
	if (count == -2) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (count < 0) {
		rc = EXIT_FAILED;
		goto out;
	}
	if (o->dry_run) {
		print_plan(items, n, o->json);
		goto out;
	}
	if (count == 0) {
		if (!o->scheduled)
			printf("nothing to do: all %zu targets are up to date\n", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (items[i].reason != REASON_NONE && items[i].n->t->kind == KIND_SCRIPT)
			routines = true;
	if (privs_check(s.conns.tgt, routines, &err) < 0) {
		warn("%s", err);
		rc = EXIT_FAILED;
		goto out;
	}
	mode = o->scheduled ? "scheduled" : o->full_refresh ? "full-refresh" :
	       o->force ? "forced" : "incremental";
	who = started_by(o);
	sel = selection_text(o);
	sc = (struct sched){
		.r = s.r, .ps = &s.ps, .main = s.conns.tgt, .jobs = o->jobs ? o->jobs : 1,
		.keep_going = o->keep_going, .since = o->since, .stop = stop,
		.no_restat = o->full_refresh || (o->force && o->nargs == 0),
		.rev = s.config_rev, .dirty = s.config_dirty,
	};
	sc.store = s.conns.store;
	sc.run_id = store_run_begin(s.conns.store, mode, sel, who, s.config_rev, s.config_dirty);
	if (sc.run_id < 0) {
		warn("cannot record the run in etl_runs: %s", store_error(s.conns.store));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	sc.run_lock = true;
	if (run_id)
		__atomic_store_n(run_id, sc.run_id, __ATOMIC_SEQ_CST);
	log_event(LOG_INFO, "run", NULL, sc.run_id, "run %lld: %ld of %zu targets to build (%s)",
	          sc.run_id, count, n, mode);
	rc = sched_run(&sc, items, n);
	store_run_end(s.conns.store, sc.run_id, rc == 0 ? "success" : rc == EXIT_INTERRUPTED ?
	              "interrupted" : "failed");
	store_unlock_run(s.conns.store, sc.run_id);
	say_end(&sc, rc);
	if (rc != 0 && o->scheduled)
		run_on_failure(s.r, sc.run_id, &sc);
out:
	free(err);
	free(who);
	free(sel);
	free(order);
	free(items);
	session_release(&s);
	if (logging)
		log_close();
	return rc;
}

