/* main.c: the chacc command line */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "diag.h"
#include "env.h"
#include "graph.h"
#include "log.h"
#include "recipe.h"
#include "run.h"
#include "schedule.h"
#include "session.h"
#include "sqlcheck.h"
#include "util.h"

static atomic_int stop;   /* lock-free: set by the signal handler, read by every thread */

static const char usage_main[] =
	"usage: chacc [-f RECIPE] [-C DIR] COMMAND [ARGS]\n"
	"\n"
	"Keeps analytics tables up to date the way make keeps files up to date.\n"
	"\n"
	"commands:\n"
	"  build [SELECTOR...]  build what is out of date (and what it needs)\n"
	"  plan [SELECTOR...]   what would be built and why; changes nothing\n"
	"  status [SELECTOR...] each target: state, built, changed, rows, watermark\n"
	"  graph [SELECTOR...]  the dependency graph as DOT (--svg: SVG)\n"
	"  history [RUN]        past runs; one run's targets with timings\n"
	"  test [SELECTOR...]   run the targets' checks on their live tables\n"
	"  profile TARGET       a table's columns: nulls, distinct, min, max, histogram\n"
	"  validate [--sql]     check the recipe; connects to nothing (--sql: the\n"
	"                       servers parse its SQL, running nothing)\n"
	"  clean [SELECTOR...]  drop built tables and their markers (-n: show, --yes: all)\n"
	"  prune                trim old runs and consumed deletes; list removed targets\n"
	"  config log|diff      git history of recipes and SQL, per target\n"
	"  review ...           proposed config changes: propose, list, show, approve, reject\n"
	"  serve                web UI and REST API on 127.0.0.1:5000\n"
	"  import luigi DIR     a recipe from a ChaCC ETL (Luigi) pipeline's task configs\n"
	"\n"
	"selectors (default: every target):\n"
	"  NAME                 a target\n"
	"  +NAME, NAME+         it and everything it needs; it and everything needing it\n"
	"  +NAME+               both\n"
	"  flat_*               targets whose names match the glob (quote it)\n"
	"  tag:TAG              targets with TAG in their 'tags:' (also +tag:TAG, tag:TAG+)\n"
	"  --exclude SELECTOR   not these (repeatable); several selectors add up\n"
	"\n"
	"options:\n"
	"  -f, --file RECIPE    recipe to read (default: chacc.yml)\n"
	"  -C, --directory DIR  change to DIR first\n"
	"  -h, --help           show help (also: chacc COMMAND --help)\n"
	"  -V, --version        show the version\n"
	"\n"
	"exit status:\n"
	"  0    done, or nothing to do\n"
	"  1    a target failed (or a source, a site, a check, a clean)\n"
	"  2    usage or recipe error, or a selector that selects nothing\n"
	"  3    the target database is unreachable\n"
	"  75   another scheduled run is active (build --scheduled)\n"
	"  130  interrupted (Ctrl-C, SIGTERM)\n";

static const char usage_build[] =
	"usage: chacc build [options] [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Builds the selected targets (default: all; selectors as in 'chacc --help')\n"
	"when out of date, and first what they need when that is out of date.\n"
	"\n"
	"  -j, --workers N      build N targets at once (default 1)\n"
	"  -k, --keep-going     keep building what does not depend on a failure\n"
	"  -n, --dry-run        print the plan, build nothing (--json: as JSON)\n"
	"  -B, --force          rebuild the selected targets even if up to date (what\n"
	"                       they need only when out of date)\n"
	"      --full-refresh   rebuild the selected targets from scratch (the same)\n"
	"      --exclude SELECTOR  leave these out of the selection (repeatable)\n"
	"      --incremental    incremental where possible (the default)\n"
	"      --since DATE     re-read extracts from DATE (source time zone)\n"
	"      --last-updated DATE  the same as --since\n"
	"      --scheduled      cron mode: quiet on success, one run at a time (exit 75),\n"
	"                       from branch main (or the recipe's scheduled_rev)\n"
	"      --rev REF        read the recipe and SQL from git commit REF, not the\n"
	"                       working tree (.env still comes from the working directory)\n"
	"      --central-scheduler, --local-scheduler\n"
	"                       accepted (Luigi's); runners coordinate through the target\n"
	"                       database\n"
	"      --adopt TARGET   take over TARGET's existing table, which chacc did not make\n"
	"                       (it is refused otherwise); its first build replaces it in full\n"
	"  -f RECIPE, -C DIR    as for chacc\n"
	"\n"
	"Every build is recorded in etl_runs, one with nothing to do too (result\n"
	"'nothing to do'), so 'chacc history' shows that cron ran. A cron line of the\n"
	"Luigi pipeline keeps its flags: 'run_pipeline.py --incremental --workers 4'\n"
	"is 'chacc build --incremental --workers 4'.\n"
	"\n"
	"The target connection's database (and on PostgreSQL its schema) is created\n"
	"when it does not exist and the user may; otherwise the message names the\n"
	"privilege it lacks (exit 3).\n"
	"\n"
	"Environment and .env: MAX_RETRIES, RETRY_DELAY, LOG_LEVEL=DEBUG,\n"
	"DB_CONNECT_TIMEOUT (seconds to reach a server, default 10); DB_POOL_SIZE and\n"
	"LUIGI_* are the Luigi pipeline's: accepted, and named once as ignored.\n";
/*
 * Not in the help: the test hooks CHACC_FAULT=point[:target] (the process
 * dies there) and CHACC_PAUSE=point[:target] with CHACC_PAUSE_FILE (it
 * waits there), read by runner/build/build_ops.c for the test suites.
 */

static const char usage_plan[] =
	"usage: chacc plan [--json] [-B] [--full-refresh] [--since DATE] [--rev REF]\n"
	"                  [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Prints the targets a build of the selection (selectors as in 'chacc --help')\n"
	"would run, in build order, each with the reason\n"
	"(forced, missing, definition changed, failed, needs changed, source) and the\n"
	"mode (full or incremental). Asks sources for new rows; changes nothing.\n"
	"--rev REF plans as a build of git commit REF would.\n"
	"\n"
	"  --json               an array of {target, reason, mode, kind}, with an optional\n"
	"                       detail in words (e.g. 'lookback window open until 14:05:10')\n";

const char usage_status[] =
	"usage: chacc status [--json] [--rev REF] [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Prints each selected target (default: all) with its state (ok, out of date, building, failed,\n"
	"interrupted, missing), when it was built and last changed, its rows and\n"
	"watermark; a target that builds now shows its run and since when. With\n"
	"--rev REF, out of date as the recipe at git commit REF sees it.\n"
	"Reads the target database only, and creates no table there: an incremental\n"
	"extract is ok ('source not checked') until 'chacc plan' asks its source.\n"
	"An extract that reads a group of sites has a SITES column (\"20 ok\", \"1 of\n"
	"20 failed\") and a line per failed site: when, why, its last success;\n"
	"--json gives it \"sites\": [{site, state, error, watermark, last_success,\n"
	"lag_seconds}] and \"detail\": \"N of M sites failed\".\n";

static const char usage_graph[] =
	"usage: chacc graph [--svg] [--rev REF] [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Prints the dependency graph in Graphviz DOT; --svg renders it with dot(1).\n"
	"With selectors (as in 'chacc --help'), only the selected targets and the\n"
	"edges between them: 'chacc graph +report' draws report and its upstream.\n"
	"Connects to nothing: the recipe's connection variables may be unset.\n";

const char usage_history[] =
	"usage: chacc history [--json] [-l N] [--mode M] [--result R] [--since D]\n"
	"                     [--until D] [RUN]\n"
	"\n"
	"Lists past runs (newest first), or one run's targets with their timings.\n"
	"A run's revision is the commit it built from, '+dirty' when the working\n"
	"tree's recipes or SQL differed from it.\n"
	"\n"
	"  -l, --limit N        the newest N runs only\n"
	"      --mode M         runs of that mode: incremental, full-refresh, forced,\n"
	"                       scheduled, test (chacc test)\n"
	"      --result R       runs that ended so: success, failed, interrupted,\n"
	"                       'nothing to do', or those running\n"
	"      --since D        runs started on day D (YYYY-MM-DD) or later, or at or\n"
	"                       after 'YYYY-MM-DD HH:MM[:SS]'\n"
	"      --until D        runs started on day D or before, or before that time\n"
	"      --json           as JSON (RUN: the run, with its targets)\n";

static const char usage_validate[] =
	"usage: chacc validate [--sql] [--rev REF]\n"
	"\n"
	"Checks the recipe, its includes and SQL files, and reports every problem;\n"
	"connects to nothing. Exit status 2 when anything is wrong. Messages quote\n"
	"values as written, never a variable's value; the files a recipe names stay\n"
	"in its project; hostile YAML, a second document and NUL bytes are errors.\n"
	"--rev REF checks the recipe as git commit REF has it.\n"
	"\n"
	"  --sql                also send each query, create and probe file of the table\n"
	"                       and extract targets to the server it would run on (an\n"
	"                       extract's query to its 'from:' connection) to be parsed,\n"
	"                       never run: syntax errors and unknown tables or columns\n"
	"                       at file:line. Targets of the recipe count as existing\n"
	"                       tables; scripts are not checked. Exit status 1 when the\n"
	"                       SQL has problems, 3 when the target database is\n"
	"                       unreachable.\n";

const char usage_clean[] =
	"usage: chacc clean [-n] [--yes] [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Drops the tables of the selected targets (default: all; selectors as in\n"
	"'chacc --help'), the shadow tables an interrupted build left, and their\n"
	"markers, so that the next build makes them from scratch. Without selectors\n"
	"it asks first on a terminal, and needs --yes otherwise.\n"
	"\n"
	"  -n, --dry-run        show what would be dropped; drop nothing\n"
	"  -y, --yes            drop every target's table without asking\n"
	"      --exclude SELECTOR  leave these out (repeatable)\n";


static void
on_signal(int sig)
{
	if (stop)
		_exit(EXIT_INTERRUPTED);
	stop = sig;
	sched_wake();
}

/* build --scheduled: quiet on success, so notes are left out */
static bool quiet_notes;

/* a problem as it is found: at a file as the compilers say it, else as warning() does */
static void
print_diag(void *arg, const struct diag *d)
{
	struct buf b;

	if (d->severity == DIAG_NOTE && quiet_notes)
		return;
	buf_init(&b);
	diag_text(d, &b);
	log_progress_clear();
	if (d->file)
		fprintf(stderr, "%s\n", b.s);
	else
		fprintf(stderr, "%s: %s\n", argv0, b.s);
	buf_release(&b);
}

/* the command's problems: printed as they are found */
static struct diags diags = { .emit = print_diag };

int
exit_code(enum outcome o)
{
	switch (o) {
	case OUTCOME_OK: return EXIT_OK;
	case OUTCOME_FAILED: return EXIT_FAILED;
	case OUTCOME_BAD_REQUEST: return EXIT_USAGE;
	case OUTCOME_UNREACHABLE: return EXIT_UNREACHABLE;
	case OUTCOME_LOCKED: return EXIT_LOCKED;
	case OUTCOME_INTERRUPTED: return EXIT_INTERRUPTED;
	}
	return EXIT_FAILED;
}

void
opts_request(const struct opts *o, struct run_request *rq)
{
	*rq = (struct run_request){
		.recipe = o->file, .dir = o->dir, .targets = o->args, .ntargets = o->nargs,
		.exclude = o->exclude, .nexclude = o->nexclude,
		.force = o->force, .full_refresh = o->full_refresh, .dry_run = o->dry_run,
		.scheduled = o->scheduled, .keep_going = o->keep_going, .jobs = o->jobs,
		.since = o->since, .rev = o->rev, .started_by = o->started_by, .adopt = o->adopt,
		.nadopt = o->nadopt, .stop = &stop, .diags = &diags,
	};
}

int
open_session(struct session *s, const struct opts *o, bool connect)
{
	struct run_request rq;

	opts_request(o, &rq);
	return exit_code(session_open(s, &rq, connect));
}

long
make_plan(struct session *s, const struct opts *o, struct node ***order, size_t *norder,
          struct plan_item **items)
{
	struct run_request rq;

	opts_request(o, &rq);
	return run_plan(s, &rq, order, norder, items);
}

bool
say_unknown_target(const struct opts *o, const char *name)
{
	struct diags quiet = { 0 };
	struct run_request rq;
	struct session s;
	struct nearest near;
	const char *best = NULL;

	opts_request(o, &rq);
	rq.diags = &quiet;
	if (session_open(&s, &rq, false) == OUTCOME_OK && !graph_find(s.g, name)) {
		nearest_init(&near, name);
		for (size_t i = 0; i < s.g->nnodes; i++)
			nearest_add(&near, s.g->nodes[i].t->name);
		if ((best = nearest_get(&near)))
			warning("unknown target '%s' in recipe '%s': did you mean '%s'?", name, s.r->path,
			        best);
	}
	session_release(&s);
	diags_release(&quiet);
	return best != NULL;
}

/* what a plan line says of an extract's limits */
static const char *
plan_note(const struct plan_item *it)
{
	const struct target *t = it->n->t;

	if (t->kind == KIND_EXTRACT && !t->incr.enabled)
		return "not incremental: new source rows are read by --full-refresh or -B only";
	/* change capture reads deletes from the log (its fallback says so itself) */
	if (t->kind == KIND_EXTRACT && t->incr.enabled && !t->incr.deleted && !t->incr.changes)
		return "no 'deleted' column: source deletes are caught by --full-refresh only";
	return NULL;
}

void
print_plan(const struct plan_item *items, size_t n, bool json)
{
	json_t *arr = json ? json_array() : NULL;
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		const struct plan_item *it = &items[i];
		char buf[128];
		const char *note = plan_item_detail(it, buf, sizeof(buf));

		if (it->reason == REASON_NONE) {
			if (note && !json)
				fprintf(stderr, "chacc: warning: target '%s' is up to date, but %s\n",
				        it->n->t->name, note);
			continue;
		}
		count++;
		if (json) {
			json_t *obj = json_object();

			json_object_set_new(obj, "target", json_string(it->n->t->name));
			json_object_set_new(obj, "reason", json_string(reason_name(it->reason)));
			json_object_set_new(obj, "mode", json_string(it->full ? "full" : "incremental"));
			json_object_set_new(obj, "kind", json_string(kind_name(it->n->t->kind)));
			if (note)
				json_object_set_new(obj, "detail", json_string(note));
			json_array_append_new(arr, obj);
			continue;
		}
		if (!note)
			note = plan_note(it);
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

static int
cmd_plan(struct opts *o)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
	long count;
	int rc;

	memset(&s, 0, sizeof(s));
	if (run_check_since(o->since, &diags) < 0)
		return EXIT_USAGE;
	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	count = make_plan(&s, o, &order, &n, &items);
	if (count == -2)
		rc = EXIT_USAGE;
	else if (count < 0)
		rc = EXIT_FAILED;
	else
		print_plan(items, n, o->json);
out:
	free(order);
	free(items);
	session_release(&s);
	return rc;
}

static void
show_plan(void *arg, const struct plan_item *items, size_t n)
{
	const struct opts *o = arg;

	print_plan(items, n, o->json);
}

static int
cmd_build(struct opts *o)
{
	struct run_request rq;
	struct run_result res = { 0 };

	opts_request(o, &rq);
	rq.show_plan = show_plan;
	rq.arg = o;
	run_build(&rq, &res);
	if (res.outcome == OUTCOME_OK && !o->dry_run && !o->scheduled && res.todo == 0)
		printf("nothing to do: all %zu targets are up to date\n", res.ntargets);
	return exit_code(res.outcome);
}

static int
cmd_validate(struct opts *o)
{
	struct session s;
	int rc = open_session(&s, o, false);
	size_t checked = 0;

	if (rc == EXIT_OK && o->sql)
		rc = exit_code(sqlcheck_recipe(s.r, s.diags, &checked));
	if (rc == EXIT_OK)
		printf("%s: recipe '%s' is valid: %zu targets, %zu connections\n", s.r->path,
		       s.r->name, s.r->ntargets, s.r->nconns);
	if (rc == EXIT_OK && o->sql)
		printf("%s: the servers accept its SQL: %zu statements prepared, none run\n",
		       s.r->path, checked);
	session_release(&s);
	return rc;
}

static int
cmd_graph(struct opts *o)
{
	struct session s;
	int rc = open_session(&s, o, false);
	FILE *out = stdout;
	struct node **sel = NULL;
	bool *only = NULL;
	long n;

	if (rc != EXIT_OK)
		goto out;
	if (o->nargs || o->nexclude) {
		if ((n = session_select(&s, o->args, o->nargs, o->exclude, o->nexclude, &sel)) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
		only = xcalloc(s.g->nnodes + 1, sizeof(*only));
		for (long i = 0; i < n; i++)
			only[sel[i]->id] = true;
	}
	if (o->svg) {
		out = popen("dot -Tsvg", "w");
		if (!out) {
			warning("cannot run dot(1) for --svg (install graphviz):");
			rc = EXIT_FAILED;
			goto out;
		}
	}
	graph_dot(s.g, only, out);
	if (o->svg && pclose(out) != 0) {
		warning("dot(1) failed; is graphviz installed? ('chacc graph' prints DOT without it)");
		rc = EXIT_FAILED;
	}
out:
	free(sel);
	free(only);
	session_release(&s);
	return rc;
}

static const struct command commands[] = {
	{ "build", cmd_build, usage_build, "workers keep-going dry-run force full-refresh incremental"
	  " since scheduled central-scheduler rev adopt exclude json" },
	{ "plan", cmd_plan, usage_plan, "json force full-refresh incremental since rev exclude" },
	{ "status", cmd_status, usage_status, "json rev exclude" },
	{ "graph", cmd_graph, usage_graph, "svg rev exclude" },
	{ "history", cmd_history, usage_history, "json limit mode result since until" },
	{ "validate", cmd_validate, usage_validate, "rev sql" },
	{ "clean", cmd_clean, usage_clean, "dry-run yes exclude" },
	{ "prune", cmd_prune, usage_prune, "dry-run older-than removed" },
	{ "config", cmd_config, usage_config, "json limit rev" },
	{ "review", cmd_review, usage_review, "json message force" },
	{ "serve", cmd_serve, usage_serve, "bind port token users" },
	{ "import", cmd_import, usage_import, "dry-run force target-driver" },
	{ "test", cmd_test, usage_test, "json exclude" },
	{ "profile", cmd_profile, usage_profile, "json" },
};

/*
 * commands that read the recipe and git only: an unset variable (a password
 * from the environment, say) is no error there, so that they run without
 * secrets, in CI too. validate connects to nothing either, but reports them.
 */
static bool
needs_no_credentials(const char *name)
{
	return strcmp(name, "graph") == 0 || strcmp(name, "config") == 0 ||
	       strcmp(name, "review") == 0 || strcmp(name, "import") == 0;
}

/* an unknown command, with the nearest one when it is close */
static void
unknown_command(const char *name)
{
	struct nearest near;
	const char *best;

	nearest_init(&near, name);
	for (size_t i = 0; i < LEN(commands); i++)
		nearest_add(&near, commands[i].name);
	if ((best = nearest_get(&near)))
		warning("unknown command '%s': did you mean '%s'? (see 'chacc --help')", name, best);
	else
		warning("unknown command '%s' (see 'chacc --help')", name);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sigaction sa = { 0 };
	int first, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((first = opts_parse_global(argc, argv, &o, usage_main)) < 0)
		return EXIT_USAGE;
	if (first >= argc) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < LEN(commands); i++) {
		if (strcmp(argv[first], commands[i].name) != 0)
			continue;
		if (opts_parse(argc - first, argv + first, &o, &commands[i]) < 0)
			return EXIT_USAGE;
		if (o.dir && chdir(o.dir) < 0) {
			warning("cannot change to directory '%s':", o.dir);
			return EXIT_USAGE;
		}
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		env_allow_unset(needs_no_credentials(commands[i].name));
		quiet_notes = o.scheduled;
		rc = commands[i].fn(&o);
		free(o.args);
		free(o.adopt);
		free(o.exclude);
		diags_release(&diags);
		return rc;
	}
	unknown_command(argv[first]);
	return EXIT_USAGE;
}
