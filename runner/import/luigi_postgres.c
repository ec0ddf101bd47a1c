/*
 * luigi_postgres.c: importing for a PostgreSQL target. The pipeline's SQL is
 * MariaDB's: extracts read the MariaDB source and need nothing from it on the
 * target, a summary's SELECT often runs on PostgreSQL as written (kept, with a
 * warning), and scripts (procedures, DELIMITER blocks, MariaDB statements)
 * do not: they, and the tables that read what they write, are not converted.
 */
#include "luigi_impl.h"
#include "db.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *
lpg_column_type(const char *type)
{
	struct db_type t;

	if (db_type_parse("mariadb", type, &t) < 0 || t.kind == DB_T_OTHER)
		return NULL;
	return db_type_sql("postgres", &t);
}

/* whether the result (cols; empty: not known) has every column of l */
static bool
result_has(const struct strlist *cols, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (cols->n && !lstrs_has(cols, l->v[i]))
			return false;
	return l->n > 0;
}

/* an index of target g on cols, unless it has one on them or they are its key */
static void
add_plain_index(struct ltarget *g, const struct strlist *cols)
{
	bool same = cols->n == g->key.n;
	struct strlist *ix;

	for (size_t i = 0; same && i < cols->n; i++)
		same = strcasecmp(cols->v[i], g->key.v[i]) == 0;
	for (size_t k = 0; !same && k < g->nindexes; k++) {
		same = g->indexes[k].n == cols->n;
		for (size_t i = 0; same && i < cols->n; i++)
			same = strcasecmp(cols->v[i], g->indexes[k].v[i]) == 0;
	}
	if (same)
		return;
	g->indexes = xreallocarray(g->indexes, g->nindexes + 1, sizeof(*g->indexes));
	ix = &g->indexes[g->nindexes++];
	memset(ix, 0, sizeof(*ix));
	for (size_t i = 0; i < cols->n; i++)
		lstrs_add(ix, cols->v[i]);
}

/*
 * PostgreSQL: the KEY and UNIQUE definitions of the schema task's CREATE TABLE,
 * not run there, as indexes of extract g on the columns the result has (cols)
 */
void
lpg_extract_indexes(struct lconv *c, struct ltask *t, struct ltarget *g, const struct lddl *d,
                    const struct strlist *cols)
{
	for (size_t u = 0; u < d->nuniques; u++)
		if (result_has(cols, &d->uniques[u])) {
			size_t before = g->nindexes;

			add_plain_index(g, &d->uniques[u]);
			if (g->nindexes > before)
				lconv_warn(c, t, "unique key (%s...) of table '%s' becomes a plain index",
				           d->uniques[u].v[0], g->name);
		}
	for (size_t k = 0; k < d->nkeys; k++)
		if (result_has(cols, &d->keys[k]))
			add_plain_index(g, &d->keys[k]);
}

/* task t not converted: why (taken) */
static void
unport(struct lconv *c, struct ltask *t, char *why)
{
	t->fate = LF_UNUSED;
	t->unported = true;
	free(t->why);
	t->why = why;
	lconv_warn(c, t, "not converted: %s", why);
}

/* the first task t depends on, transitively, that is not converted; or NULL */
static struct ltask *
unported_dep(struct lconv *c, const struct ltask *t, bool *seen)
{
	for (size_t i = 0; i < t->deps.n; i++) {
		struct ltask *d = lconv_task(c, t->deps.v[i]), *u;
		size_t di;

		if (!d || seen[di = (size_t)(d - c->tasks)])
			continue;
		seen[di] = true;
		if (d->unported)
			return d;
		if ((u = unported_dep(c, d, seen)))
			return u;
	}
	return NULL;
}

/* the target of table target g's task t: kept with a warning, or not converted (true) */
static bool
table_target(struct lconv *c, struct ltarget *g, struct ltask *t)
{
	bool *seen = xcalloc(c->ntasks + 1, sizeof(*seen));
	struct ltask *u = unported_dep(c, t, seen);

	free(seen);
	if (u) {
		unport(c, t, xasprintf("reads what task '%s' makes, which is not converted: rewrite "
		                       "both for PostgreSQL", u->name));
		return true;
	}
	lconv_warn(c, t, "its SELECT is MariaDB's SQL, kept as written for PostgreSQL: check it "
	           "('chacc validate --sql' has the server parse it)");
	lstrs_add(&g->notes, "its SELECT is MariaDB's SQL, kept as written: check that PostgreSQL "
	          "runs it");
	return false;
}

/* whether path is a file of target g */
static bool
owns(const struct ltarget *g, const char *path)
{
	const char *mine[] = { g->query_path, g->create_path, g->script_path, g->file };

	for (size_t i = 0; i < LEN(mine); i++)
		if (mine[i] && strcmp(mine[i], path) == 0)
			return true;
	return false;
}

/* the files only dropped targets have, not written */
static void
drop_files(struct lconv *c, const bool *drop)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfiles; i++) {
		struct lfile *f = &c->files[i];
		bool dropped = false, kept = false;

		for (size_t j = 0; j < c->ntargets; j++)
			if (owns(&c->targets[j], f->path))
				*(drop[j] ? &dropped : &kept) = true;
		if (dropped && !kept) {
			free(f->path);
			free(f->text);
			free(f->copy_from);
		} else {
			c->files[n++] = *f;
		}
	}
	c->nfiles = n;
}

/* tasks folded only into dropped targets (the procedures of a script): not converted either */
static void
drop_folded(struct lconv *c, const bool *drop)
{
	for (size_t i = 0; i < c->ntasks; i++) {
		struct ltask *t = &c->tasks[i];
		bool all = t->fate == LF_FOLDED && t->nfolded > 0;

		for (size_t j = 0; all && j < t->nfolded; j++)
			all = drop[t->folded[j]];
		if (all)
			unport(c, t, xasprintf("part of '%s', which is not converted",
			                       c->targets[t->folded[0]].name));
	}
}

void
lpg_convert(struct lconv *c)
{
	bool *drop = xcalloc(c->ntargets + 1, sizeof(*drop));

	for (size_t i = 0; i < c->ntargets; i++) {
		struct ltarget *g = &c->targets[i];

		if (g->kind == KIND_SCRIPT) {
			unport(c, &c->tasks[g->task],
			       xasprintf("its SQL is MariaDB's: rewrite it for PostgreSQL (it would be "
			                 "script target '%s')", g->name));
			drop[i] = true;
		}
	}
	for (size_t i = 0; i < c->ntargets; i++) {
		struct ltarget *g = &c->targets[i];

		if (g->kind == KIND_TABLE && !g->filekind && !drop[i])
			drop[i] = table_target(c, g, &c->tasks[g->task]);
	}
	drop_folded(c, drop);
	drop_files(c, drop);
	lconv_drop_targets(c, drop);
	free(drop);
}
