/*
 * build_share.c: the share of an incremental target's inputs that changed
 * since its last build. Past BUILD_SHARE_FULL percent a full build is
 * cheaper than touching every changed key, the way a query planner picks a
 * scan over an index: the planner (plan.c) then builds it in full and says
 * why. Counting must cost little next to the build it saves: rows stamped
 * since the last build are counted through an index on the change stamp
 * that the recipe declares, deletes through the key of etl_deletes, and a
 * need too large to scan without such an index is left uncounted.
 */
#include "build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "graph.h"
#include "marker.h"
#include "recipe.h"
#include "util.h"

int
build_share_percent(const struct build_share *s)
{
	long long base = s->rows + s->deleted;

	if (s->changed + s->deleted <= 0)
		return 0;
	if (base <= 0 || s->changed + s->deleted >= base)
		return 100;
	return (int)((s->changed + s->deleted) * 100 / base);
}

/* the recipe gives t an index that leads with the change stamp */
static bool
stamp_indexed(const struct target *t)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].n > 0 && strcmp(t->indexes[i].v[0], DB_STAMP) == 0)
			return true;
	return false;
}

/*
 * whether the stamped rows of need t (rows of them after its last build) are
 * cheap to count: through the recipe's index, or a table small enough to
 * read. A script's table has the stamp only if its script makes one: asked
 * only when the recipe indexes it.
 */
static bool
countable(const struct target *t, long long rows)
{
	if (stamp_indexed(t))
		return true;
	return t->kind != KIND_SCRIPT && rows >= 0 && rows <= BUILD_SHARE_SCAN_ROWS;
}

/* a COUNT(*) query's answer, or -1 */
static long long
count(struct db *d, const char *sql)
{
	char *v = NULL;
	long long n = -1;

	if (db_value(d, &v, "%s", sql) == 1 && v)
		n = atoll(v);
	free(v);
	return n;
}

/* rows of need stamped after since (a literal), or -1 */
static long long
count_stamped(struct db *d, const char *need, const char *since)
{
	char *table = db_ident(d, need), *stamp = db_ident(d, DB_STAMP);
	char *sql = xasprintf("SELECT COUNT(*) FROM %s WHERE %s > %s", table, stamp, since);
	long long n = count(d, sql);

	free(sql);
	free(stamp);
	free(table);
	return n;
}

/* keys of need logged as deleted after since (a literal), or -1 */
static long long
count_deleted(struct db *d, const char *need, const char *since)
{
	char *name = db_quote(d, need);
	char *sql = xasprintf("SELECT COUNT(*) FROM %s WHERE target = %s AND deleted_at > %s",
	                      DELETE_LOG, name, since);
	long long n = count(d, sql);

	free(sql);
	free(name);
	return n;
}

/* add need d's changes after since (m: its marker) to s */
static int
add_need(struct db *tgt, const struct node *d, const struct marker *m, const char *inputs_at,
         const char *since, struct build_share *s)
{
	long long stamped = 0, deleted;

	s->rows += m->rows > 0 ? m->rows : 0;
	/* a need whose rows last changed before the target read them changed none */
	if (strcmp(m->changed_at, inputs_at) <= 0)
		return 0;
	if ((deleted = count_deleted(tgt, d->t->name, since)) < 0)
		return -1;
	s->deleted += deleted;
	if (!countable(d->t, m->rows)) {
		s->uncounted++;
		return 0;
	}
	if ((stamped = count_stamped(tgt, d->t->name, since)) < 0)
		return -1;
	s->changed += stamped;
	return 0;
}

int
build_share_count(struct conns *c, const struct node *n, const struct marker *markers,
                  struct build_share *s, char **err)
{
	const char *inputs_at = markers[n->id].inputs_at;
	char *since = db_ts_literal(c->tgt, inputs_at);
	int rc = 0;

	*s = (struct build_share){ 0 };
	for (size_t i = 0; i < n->nneeds && rc == 0; i++) {
		const struct node *d = n->needs[i];

		if (add_need(c->tgt, d, &markers[d->id], inputs_at, since, s) < 0) {
			*err = xasprintf("target '%s': cannot count the changes of '%s': %s", n->t->name,
			                 d->t->name, db_error(c->tgt));
			rc = -1;
		}
	}
	free(since);
	return rc;
}

int
build_share(struct conns *c, const struct node *n, const struct marker *markers, char **note,
            char **err)
{
	struct build_share s;
	int pct;

	*note = NULL;
	/* a target never built with inputs has nothing to compare with */
	if (!*markers[n->id].inputs_at)
		return PROBE_YES;
	if (build_share_count(c, n, markers, &s, err) < 0)
		return -1;
	pct = build_share_percent(&s);
	if (pct < BUILD_SHARE_FULL)
		return PROBE_YES;
	*note = xasprintf("%d%% of keys changed", pct);
	return PROBE_FULL;
}
