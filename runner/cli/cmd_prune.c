/*
 * cmd_prune.c: chacc prune: trim history, consumed deletes, check results and
 * profiles, drop lost targets (DESIGN §4)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "graph.h"
#include "leftovers.h"
#include "marker.h"
#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

const char usage_prune[] =
	"usage: chacc prune [-n] [--older-than DURATION] [--removed]\n"
	"\n"
	"Trims what the target database keeps for the recipe: runs (etl_runs and\n"
	"etl_run_targets) that ended more than DURATION ago, the rows of\n"
	"etl_deletes older than that which every target needing theirs has read\n"
	"(built since), and check results (etl_checks) and profiles (etl_profiles)\n"
	"older than that. Runs still running are kept, and so are the latest result\n"
	"of each check and the latest profile of each target. Lists the targets\n"
	"that have a marker but are no longer in the recipe.\n"
	"\n"
	"  -n, --dry-run           show what would go; change nothing\n"
	"      --older-than DURATION  keep what is younger (default 90d; 12h, 30m, 7d...)\n"
	"      --removed           also drop the targets no longer in the recipe: their\n"
	"                          tables, leftover shadow tables, markers, watermarks\n"
	"                          and deletes\n";

struct pruner {
	struct session *s;
	struct store *st;
	bool dry;
	bool no_tables;          /* the etl_ tables do not exist (yet): nothing is kept */
	char cutoff[TS_LEN];     /* "YYYY-MM-DD HH:MM:SS" on the target's clock: older goes */
};

/* runs of the recipe that ended before the cutoff (and are not running) */
static int
prune_runs(struct pruner *p)
{
	long long runs = 0, targets = 0;

	if (store_prune_runs(p->st, p->cutoff, p->dry, &runs, &targets) < 0) {
		warning("cannot prune the runs of recipe '%s': %s", p->s->r->name,
		        store_error(p->st));
		return -1;
	}
	printf("%s %lld run%s that ended before %s, with %lld target record%s\n",
	       p->dry ? "would delete" : "deleted", runs, runs == 1 ? "" : "s", p->cutoff,
	       targets, targets == 1 ? "" : "s");
	return 0;
}

/* check results and profiles older than the cutoff, but the latest of each */
static int
prune_checks(struct pruner *p)
{
	long long checks = 0, profiles = 0;

	if (store_prune_checks(p->st, p->cutoff, p->dry, &checks, &profiles) < 0) {
		warning("cannot prune the check results and profiles of recipe '%s': %s",
		        p->s->r->name, store_error(p->st));
		return -1;
	}
	printf("%s %lld check result%s and %lld profile%s older than %s (the latest of each"
	       " kept)\n", p->dry ? "would delete" : "deleted", checks, checks == 1 ? "" : "s",
	       profiles, profiles == 1 ? "" : "s", p->cutoff);
	return 0;
}

/*
 * the rows of etl_deletes of n that every target needing it has read: older
 * than the oldest inputs_at of their last builds (they read the deletes past
 * it next time), in *oldest (NULL: no target needs them). false when one of
 * them has never built: nothing is read.
 */
static bool
read_by_all(struct pruner *p, struct node *n, const char **oldest)
{
	*oldest = NULL;
	for (size_t i = 0; i < n->nusers; i++) {
		const struct marker *m = &p->s->markers[n->users[i]->id];

		if (!m->present || !*m->inputs_at)
			return false;
		if (!*oldest || strcmp(m->inputs_at, *oldest) < 0)
			*oldest = m->inputs_at;
	}
	return true;
}

/* consumed deletes of one target */
static long long
prune_deletes_of(struct pruner *p, struct node *n)
{
	const char *read;
	long long total;

	if (!read_by_all(p, n, &read))
		return 0;
	total = store_prune_deletes(p->st, n->t->name, p->cutoff, read, p->dry);
	if (total < 0)
		warning("cannot prune the deletes of '%s': %s", n->t->name, store_error(p->st));
	return total;
}

static int
prune_deletes(struct pruner *p)
{
	struct buf which;
	long long total = 0;
	int rc = 0;

	buf_init(&which);
	for (size_t i = 0; i < p->s->g->nnodes; i++) {
		long long n = prune_deletes_of(p, &p->s->g->nodes[i]);

		if (n < 0)
			rc = -1;
		if (n <= 0)
			continue;
		buf_addf(&which, "%s%s %lld", total ? ", " : "", p->s->g->nodes[i].t->name, n);
		total += n;
	}
	printf("%s %lld row%s of etl_deletes older than %s that every consumer has read%s%s%s\n",
	       p->dry ? "would delete" : "deleted", total, total == 1 ? "" : "s", p->cutoff,
	       total ? " (" : "", total ? which.s : "", total ? ")" : "");
	buf_release(&which);
	return rc;
}

/* one target the recipe no longer has: say what is kept for it, or drop it */
static int
prune_removed_one(struct pruner *p, const char *name, bool drop)
{
	struct leftovers l;
	char *what, *err = NULL;
	int dropped, rc = 0;

	if (leftovers_find(&p->s->conns, name, true, &l) < 0) {
		warning("cannot read what is kept for '%s': %s", name, store_error(p->st));
		leftovers_release(&l);
		return -1;
	}
	what = leftovers_describe(&l);
	if (!drop)
		printf("target '%s' is no longer in the recipe: %s (--removed drops them)\n",
		       name, what ? what : "nothing");
	else if (p->dry)
		printf("would drop target '%s', no longer in the recipe: %s\n", name,
		       what ? what : "nothing");
	else if ((dropped = leftovers_drop(&p->s->conns, &l, &err)) < 0) {
		warning("%s", err);
		free(err);
		rc = -1;
	} else if (dropped > 0) {
		warning("'%s' is being built by another runner; not dropped", name);
		rc = -1;
	} else
		printf("dropped target '%s', no longer in the recipe: %s\n", name,
		       what ? what : "nothing");
	if (l.keep_table)
		printf("  table '%s' stays: %s\n", name, l.others ?
		       "another recipe's marker names it" : "no marker of this recipe names it");
	free(what);
	leftovers_release(&l);
	return rc;
}

/* targets with a marker or watermark of the recipe that it no longer has */
static int
prune_removed(struct pruner *p, bool drop)
{
	char **names = NULL;
	long n = store_marker_targets(p->st, &names);
	size_t found = 0;
	int rc = 0;

	if (n == 0 && p->no_tables)
		return 0;
	if (n < 0) {
		warning("cannot read the markers of recipe '%s': %s", p->s->r->name,
		        store_error(p->st));
		return -1;
	}
	for (long i = 0; i < n; i++) {
		if (!graph_find(p->s->g, names[i])) {
			found++;
			rc |= prune_removed_one(p, names[i], drop);
		}
		free(names[i]);
	}
	free(names);
	if (found == 0)
		printf("every target with a marker is in the recipe\n");
	return rc;
}

/* the target server's clock secs ago, to the second, into p->cutoff; 0 or -1 */
static int
cutoff(struct pruner *p, double secs)
{
	char now[TS_LEN];
	struct tm tm = { 0 };
	time_t t;

	if (store_now(p->st, now) < 0 || !strptime(now, "%Y-%m-%d %H:%M:%S", &tm))
		return -1;
	t = timegm(&tm) - (time_t)secs;
	if (!gmtime_r(&t, &tm))
		return -1;
	strftime(p->cutoff, sizeof(p->cutoff), "%Y-%m-%d %H:%M:%S", &tm);
	return 0;
}

int
cmd_prune(struct opts *o)
{
	struct session s;
	struct pruner p = { .s = &s, .dry = o->dry_run };
	double secs = 90 * 86400;
	int rc;

	if (o->older_than && parse_duration(o->older_than, &secs) < 0) {
		warning("invalid duration '%s' for --older-than: expected e.g. 90d, 12h, 30m", o->older_than);
		return EXIT_USAGE;
	}
	if (o->nargs > 0) {
		warning("prune takes no targets ('%s'); see 'chacc prune --help'", o->args[0]);
		return EXIT_USAGE;
	}
	if ((rc = open_session(&s, o, true)) != EXIT_OK ||
	    (!o->dry_run && (rc = exit_code(session_upgrade(&s))) != EXIT_OK))
		goto out;
	p.st = s.conns.store;
	if (o->dry_run) {
		char *err = NULL;

		p.no_tables = store_schema_version(p.st, &err) == 0;
		free(err);
	}
	if (cutoff(&p, secs) < 0) {
		warning("cannot read the clock of the target database: %s", store_error(p.st));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	if (prune_runs(&p) < 0 || prune_deletes(&p) < 0 || prune_checks(&p) < 0)
		rc = EXIT_FAILED;
	if (prune_removed(&p, o->removed) < 0)
		rc = EXIT_FAILED;
	if (o->dry_run)
		printf("prune -n: nothing changed\n");
out:
	session_release(&s);
	return rc;
}
