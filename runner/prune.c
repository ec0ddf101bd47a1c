/* prune.c: what chacc keeps about a target in the target database, and dropping it */
#include "prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "db.h"
#include "marker.h"
#include "schema.h"
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
	char *shadow = shadow_name(name), *old = old_name(name);
	long long n = 0;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	l->name = xstrdup(name);
	l->table = table_exists(d, name);
	if (table_exists(d, shadow))
		l->shadow = xstrdup(shadow);
	if (table_exists(d, old))
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
		char *id = db_ident(l->name);

		buf_addf(&drop, ", %s", id);
		free(id);
	}
	for (int i = 0; i < 2; i++) {
		const char *name = i ? l->old : l->shadow;
		char *id = name ? db_ident(name) : NULL;

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
