/* leftovers.c: what the target database keeps for a target, found and dropped (clean, prune) */
#include "leftovers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "db.h"
#include "store.h"
#include "util.h"

int
leftovers_find(struct conns *c, const char *name, bool deletes, struct leftovers *l)
{
	char *shadow = build_shadow_name(name), *old = build_old_name(name);
	struct store_kept k;
	int rc;

	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->table = db_table_exists(c->tgt, name);
	if (db_table_exists(c->tgt, shadow))
		l->shadow = xstrdup(shadow);
	if (db_table_exists(c->tgt, old))
		l->old = xstrdup(old);
	rc = store_kept(c->store, name, deletes, &k);
	l->marker = k.marker;
	l->watermark = k.watermark;
	l->others = k.others;
	l->deletes = k.deletes;
	/* a table with no marker of this recipe is not one it made */
	l->keep_table = l->table && (!l->marker || l->others);
	free(shadow);
	free(old);
	return rc;
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
leftovers_drop(struct conns *c, const struct leftovers *l, char **err)
{
	struct buf drop;
	int rc = store_lock_build(c->store, l->name, 0);

	if (rc <= 0) {
		if (rc < 0)
			*err = xasprintf("cannot take the lock of '%s': %s", l->name,
			                 store_error(c->store));
		return rc < 0 ? -1 : 1;
	}
	rc = -1;
	buf_init(&drop);
	if (l->table && !l->keep_table) {
		char *id = db_ident(c->tgt, l->name);

		buf_addf(&drop, ", %s", id);
		free(id);
	}
	for (int i = 0; i < 2; i++) {
		const char *name = i ? l->old : l->shadow;
		char *id = name ? db_ident(c->tgt, name) : NULL;

		if (id)
			buf_addf(&drop, ", %s", id);
		free(id);
	}
	if (drop.len > 0 && db_execf(c->tgt, "DROP TABLE IF EXISTS %s", drop.s + 2) < 0)
		*err = xasprintf("cannot drop the tables of '%s': %s", l->name, db_error(c->tgt));
	else if ((l->marker || l->watermark) && store_marker_delete(c->store, l->name) < 0)
		*err = xasprintf("cannot remove the marker of '%s': %s", l->name,
		                 store_error(c->store));
	else if (l->deletes > 0 && store_deletes_drop(c->store, l->name) < 0)
		*err = xasprintf("cannot delete the etl_deletes rows of '%s': %s", l->name,
		                 store_error(c->store));
	else
		rc = 0;
	store_unlock_build(c->store, l->name);
	buf_release(&drop);
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

