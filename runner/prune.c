/* prune.c: trimming history and consumed deletes, dropping targets the recipe lost (DESIGN §4) */
#include "prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cmd.h"
#include "db.h"
#include "graph.h"
#include "marker.h"
#include "recipe.h"
#include "schema.h"
#include "session.h"
#include "util.h"

/* a count the query answers; 0 when the etl_ table it reads does not exist yet */
static int
count(struct db *d, long long *n, const char *sql)
{
	char *v = NULL;
	int rc = db_value(d, &v, "%s", sql);

	*n = v ? atoll(v) : 0;
	free(v);
	if (rc < 0 && schema_no_table(d))
		return 0;
	return rc < 0 ? -1 : 0;
}

int
leftovers_find(struct db *d, const char *recipe, const char *name, bool deletes,
               struct leftovers *l)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, name), *sql;
	char *shadow = build_shadow_name(name), *old = build_old_name(name);
	long long n = 0;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->table = db_table_exists(d, name);
	if (db_table_exists(d, shadow))
		l->shadow = xstrdup(shadow);
	if (db_table_exists(d, old))
		l->old = xstrdup(old);
	sql = xasprintf("SELECT COUNT(*) FROM etl_metadata WHERE recipe = %s AND target = %s", qr, qt);
	rc |= count(d, &n, sql);
	l->marker = n > 0;
	free(sql);
	sql = xasprintf("SELECT COUNT(*) FROM etl_watermarks WHERE recipe = %s AND target = %s",
	                qr, qt);
	rc |= count(d, &n, sql);
	l->watermark = n > 0;
	free(sql);
	sql = xasprintf("SELECT COUNT(*) FROM etl_metadata WHERE recipe <> %s AND target = %s",
	                qr, qt);
	rc |= count(d, &n, sql);
	l->others = n > 0;
	free(sql);
	/* a table with no marker of this recipe is not one it made */
	l->keep_table = l->table && (!l->marker || l->others);
	if (deletes) {
		sql = xasprintf("SELECT COUNT(*) FROM etl_deletes WHERE target = %s", qt);
		rc |= count(d, &l->deletes, sql);
		free(sql);
	}
	free(qr);
	free(qt);
	free(shadow);
	free(old);
	return rc ? -1 : 0;
}

char *
leftovers_describe(const struct leftovers *l)
{
	const char *parts[6];
	char *words[6] = { 0 };
	size_t n = 0;
	struct buf b;

	if (l->table && !l->keep_table)
		parts[n++] = words[0] = xasprintf("table '%s'", l->name);
	if (l->shadow)
		parts[n++] = words[1] = xasprintf("leftover '%s'", l->shadow);
	if (l->old)
		parts[n++] = words[2] = xasprintf("leftover '%s'", l->old);
	if (l->marker)
		parts[n++] = "marker";
	if (l->watermark)
		parts[n++] = "watermark";
	if (l->deletes > 0)
		parts[n++] = words[3] = xasprintf("%lld row%s of etl_deletes", l->deletes,
		                                  l->deletes == 1 ? "" : "s");
	if (n == 0)
		return NULL;
	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", parts[i]);
	for (size_t i = 0; i < LEN(words); i++)
		free(words[i]);
	return buf_detach(&b);
}

int
leftovers_drop(struct db *d, const char *recipe, const struct leftovers *l, char **err)
{
	char *lock = build_lock_name(db_name(d), l->name), *ql = db_quote(d, lock);
	char *got = NULL, *qt = db_quote(d, l->name);
	struct buf drop;
	int rc = -1;

	buf_init(&drop);
	if (db_value(d, &got, "SELECT GET_LOCK(%s, 0)", ql) < 0) {
		*err = xasprintf("cannot take the lock of '%s': %s", l->name, db_error(d));
		goto out;
	}
	if (!got || strcmp(got, "1") != 0) {
		rc = 1;
		goto out;
	}
	if (l->table && !l->keep_table) {
		char *id = db_ident(d, l->name);

		buf_addf(&drop, ", %s", id);
		free(id);
	}
	for (int i = 0; i < 2; i++) {
		const char *name = i ? l->old : l->shadow;
		char *id = name ? db_ident(d, name) : NULL;

		if (id)
			buf_addf(&drop, ", %s", id);
		free(id);
	}
	if (drop.len > 0 && db_execf(d, "DROP TABLE IF EXISTS %s", drop.s + 2) < 0) {
		*err = xasprintf("cannot drop the tables of '%s': %s", l->name, db_error(d));
		goto unlock;
	}
	if ((l->marker || l->watermark) && marker_delete(d, recipe, l->name) < 0) {
		*err = xasprintf("cannot remove the marker of '%s': %s", l->name, db_error(d));
		goto unlock;
	}
	if (l->deletes > 0 && db_execf(d, "DELETE FROM etl_deletes WHERE target = %s", qt) < 0) {
		*err = xasprintf("cannot delete the etl_deletes rows of '%s': %s", l->name,
		                 db_error(d));
		goto unlock;
	}
	rc = 0;
unlock:
	db_execf(d, "DO RELEASE_LOCK(%s)", ql);
out:
	buf_release(&drop);
	free(got);
	free(lock);
	free(ql);
	free(qt);
	return rc;
}

void
leftovers_release(struct leftovers *l)
{
	free(l->name);
	free(l->shadow);
	free(l->old);
	memset(l, 0, sizeof(*l));
}

/* prune */

const char usage_prune[] =
	"usage: chacc prune [-n] [--older-than DURATION] [--removed]\n"
	"\n"
	"Trims what the target database keeps for the recipe: runs (etl_runs and\n"
	"etl_run_targets) that ended more than DURATION ago, and the rows of\n"
	"etl_deletes older than that which every target needing theirs has read\n"
	"(built since). Runs still running are kept. Lists the targets that have a\n"
	"marker but are no longer in the recipe.\n"
	"\n"
	"  -n, --dry-run           show what would go; change nothing\n"
	"      --older-than DURATION  keep what is younger (default 90d; 12h, 30m, 7d...)\n"
	"      --removed           also drop the targets no longer in the recipe: their\n"
	"                          tables, leftover shadow tables, markers, watermarks\n"
	"                          and deletes\n";

struct pruner {
	struct session *s;
	struct db *d;
	bool dry;
	char *cutoff;            /* "YYYY-MM-DD HH:MM:SS" on the target's clock: older goes */
	char *qcutoff;
	char *qrecipe;
};

/* runs of the recipe that ended before the cutoff (and are not running) */
static int
prune_runs(struct pruner *p)
{
	char *where = xasprintf("r.recipe = %s AND r.result <> 'running' AND"
	                        " COALESCE(r.ended_at, r.started_at) < %s", p->qrecipe, p->qcutoff);
	char *sql = xasprintf("SELECT COUNT(*) FROM etl_runs r WHERE %s", where);
	long long runs = 0, targets = 0;
	int rc = count(p->d, &runs, sql);

	free(sql);
	sql = xasprintf("SELECT COUNT(*) FROM etl_run_targets t JOIN etl_runs r"
	                " ON r.run_id = t.run_id WHERE %s", where);
	rc |= count(p->d, &targets, sql);
	free(sql);
	if (rc < 0)
		goto fail;
	if (!p->dry && runs > 0 &&
	    (db_execf(p->d, "DELETE t FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	              " WHERE %s", where) < 0 ||
	     db_execf(p->d, "DELETE r FROM etl_runs r WHERE %s", where) < 0))
		goto fail;
	printf("%s %lld run%s that ended before %s, with %lld target record%s\n",
	       p->dry ? "would delete" : "deleted", runs, runs == 1 ? "" : "s", p->cutoff,
	       targets, targets == 1 ? "" : "s");
	free(where);
	return 0;
fail:
	warn("cannot prune the runs of recipe '%s': %s", p->s->r->name, db_error(p->d));
	free(where);
	return -1;
}

/*
 * the rows of etl_deletes of n that every target needing it has read: older
 * than the oldest inputs_at of their last builds (they read the deletes past
 * it next time). NULL when one of them has never built: nothing is read.
 */
static char *
read_by_all(struct pruner *p, struct node *n)
{
	const char *oldest = NULL;

	for (size_t i = 0; i < n->nusers; i++) {
		const struct marker *m = &p->s->markers[n->users[i]->id];

		if (!m->present || !*m->inputs_at)
			return NULL;
		if (!oldest || strcmp(m->inputs_at, oldest) < 0)
			oldest = m->inputs_at;
	}
	return oldest ? db_quote(p->d, oldest) : xstrdup("");
}

/* consumed deletes of one target, in batches so that no statement holds locks for long */
static long long
prune_deletes_of(struct pruner *p, struct node *n)
{
	char *read = read_by_all(p, n), *qt, *where, *sql;
	long long total = 0;
	int rc;

	if (!read)
		return 0;
	qt = db_quote(p->d, n->t->name);
	where = xasprintf("target = %s AND deleted_at < %s%s%s", qt, p->qcutoff,
	                  *read ? " AND deleted_at < " : "", read);
	sql = xasprintf("SELECT COUNT(*) FROM etl_deletes WHERE %s", where);
	rc = count(p->d, &total, sql);
	free(sql);
	if (rc == 0 && !p->dry && total > 0) {
		do
			rc = db_execf(p->d, "DELETE FROM etl_deletes WHERE %s ORDER BY id LIMIT 10000",
			              where);
		while (rc == 0 && db_affected(p->d) == 10000);
	}
	if (rc < 0) {
		warn("cannot prune the deletes of '%s': %s", n->t->name, db_error(p->d));
		total = -1;
	}
	free(read);
	free(qt);
	free(where);
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

/* targets with a marker or watermark of the recipe that it no longer has */
static int
prune_removed(struct pruner *p, bool drop)
{
	struct dbres *res = db_queryf(p->d, "SELECT target FROM etl_metadata WHERE recipe = %s"
	                              " UNION SELECT target FROM etl_watermarks WHERE recipe = %s"
	                              " ORDER BY 1", p->qrecipe, p->qrecipe);
	size_t found = 0;
	int rc = 0;

	if (!res && schema_no_table(p->d))
		return 0;
	if (!res) {
		warn("cannot read the markers of recipe '%s': %s", p->s->r->name, db_error(p->d));
		return -1;
	}
	while (dbres_next(res)) {
		const char *name = dbres_get(res, 0);
		struct leftovers l;
		char *what, *err = NULL;
		int dropped;

		if (!name || graph_find(p->s->g, name))
			continue;
		found++;
		if (leftovers_find(p->d, p->s->r->name, name, true, &l) < 0) {
			warn("cannot read what is kept for '%s': %s", name, db_error(p->d));
			leftovers_release(&l);
			rc = -1;
			continue;
		}
		what = leftovers_describe(&l);
		if (!drop)
			printf("target '%s' is no longer in the recipe: %s (--removed drops them)\n",
			       name, what ? what : "nothing");
		else if (p->dry)
			printf("would drop target '%s', no longer in the recipe: %s\n", name,
			       what ? what : "nothing");
		else if ((dropped = leftovers_drop(p->d, p->s->r->name, &l, &err)) < 0) {
			warn("%s", err);
			free(err);
			rc = -1;
		} else if (dropped > 0) {
			warn("'%s' is being built by another runner; not dropped", name);
			rc = -1;
		} else
			printf("dropped target '%s', no longer in the recipe: %s\n", name,
			       what ? what : "nothing");
		if (l.keep_table)
			printf("  table '%s' stays: %s\n", name, l.others ?
			       "another recipe's marker names it" : "no marker of this recipe names it");
		free(what);
		leftovers_release(&l);
	}
	dbres_free(res);
	if (found == 0)
		printf("every target with a marker is in the recipe\n");
	return rc;
}

int
cmd_prune(struct opts *o)
{
	struct session s;
	struct pruner p = { .s = &s, .dry = o->dry_run };
	double secs = 90 * 86400;
	int rc;

	if (o->older_than && parse_duration(o->older_than, &secs) < 0) {
		warn("invalid duration '%s' for --older-than: expected e.g. 90d, 12h, 30m", o->older_than);
		return EXIT_USAGE;
	}
	if (o->nargs > 0) {
		warn("prune takes no targets ('%s'); see 'chacc prune --help'", o->args[0]);
		return EXIT_USAGE;
	}
	if ((rc = open_session(&s, o, true)) != EXIT_OK ||
	    (!o->dry_run && (rc = exit_code(session_upgrade(&s))) != EXIT_OK))
		goto out;
	p.d = s.conns.tgt;
	if (db_value(p.d, &p.cutoff, "SELECT DATE_FORMAT(NOW() - INTERVAL %lld SECOND,"
	             " '%%Y-%%m-%%d %%H:%%i:%%s')", (long long)secs) <= 0 || !p.cutoff) {
		warn("cannot read the clock of the target database: %s", db_error(p.d));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	p.qcutoff = db_quote(p.d, p.cutoff);
	p.qrecipe = db_quote(p.d, s.r->name);
	if (prune_runs(&p) < 0 || prune_deletes(&p) < 0)
		rc = EXIT_FAILED;
	if (prune_removed(&p, o->removed) < 0)
		rc = EXIT_FAILED;
	if (o->dry_run)
		printf("prune -n: nothing changed\n");
out:
	free(p.cutoff);
	free(p.qcutoff);
	free(p.qrecipe);
	session_release(&s);
	return rc;
}
