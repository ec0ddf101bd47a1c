/* recipe.c: the recipe (YAML/JSON) a user writes, loaded and checked */

/*
 * A recipe file is read in three steps:
 *   1. libyaml loads the document, so that every node knows its line and column
 *      (a syntax error is reported at libyaml's problem mark);
 *   2. walkmap() checks it against its field tables (unknown, duplicate and
 *      missing keys, types, values), expands ${VAR} in every scalar, and builds a
 *      normalised copy that libcyaml can map: durations become seconds,
 *      "incremental" is always a mapping {enabled, column, deleted, lookback,
 *      probe, changes, tables: [{table, columns|file}]}, each index a mapping {columns: [...]}, and each check one
 *      mapping of every field of struct check (recipe_checks.c);
 *   3. libcyaml loads the copy into struct conn and struct target.
 * Included files go through the same steps. Then ldcheck() looks at the whole
 * recipe (needs, cycles, duplicates, connections, SQL files, what checks name:
 * recipe_checkrefs.c) and reports every problem it finds.
 *
 * The parts: recipe_yaml.c reads a file (YAML, libcyaml), recipe_walk.c checks
 * and normalises its document (recipe_node.c reads its nodes and writes the
 * copy), recipe_files.c finds files and includes, and recipe_check.c checks the
 * whole recipe; recipe_impl.h is what they share. Groups of sites do not go
 * through libcyaml: recipe_sites.c loads them from the document and their
 * sites files into the recipe as it walks them.
 */
#include "recipe.h"
#include "diag.h"
#include "env.h"
#include "recipe_impl.h"
#include "seed.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* messages: diagnostics of ld->diags */

static void
vreport(struct loader *ld, const char *file, yaml_mark_t m, const char *fmt, va_list ap)
{
	diag_vadd(ld->diags, DIAG_ERROR, file, (int)m.line + 1, (int)m.column + 1, NULL, fmt, ap);
}

void __attribute__((format(printf, 5, 6)))
ldmsg(struct loader *ld, const char *file, int line, int column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, DIAG_ERROR, file, line, column, NULL, fmt, ap);
	va_end(ap);
}

void __attribute__((format(printf, 3, 4)))
ldbad(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, ld->file, n->start_mark, fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

void __attribute__((format(printf, 3, 4)))
ldsoft(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld, ld->file, n->start_mark, fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

/* a problem found after parsing, at file:line */
void __attribute__((format(printf, 4, 5)))
lderr(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, DIAG_ERROR, file, line, 0, NULL, fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

/* a problem of target t */
void __attribute__((format(printf, 3, 4)))
ldterr(struct loader *ld, const struct target *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, DIAG_ERROR, t->file, t->line, 0,
	          ldshown(ld, t->name, t->file, t->line), fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

void __attribute__((format(printf, 6, 7)))
ldtat(struct loader *ld, enum diag_severity sev, const struct target *t, int line, int column,
      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, sev, t->file, line, column, ldshown(ld, t->name, t->file, t->line),
	          fmt, ap);
	va_end(ap);
	if (sev == DIAG_ERROR)
		ld->nsoft++;
}

/* the column (from 0) of a tab in the indentation of line (from 0) of text, or -1 */
static int
indenttab(const char *text, size_t line)
{
	const char *p = text;
	int col;

	while (line-- > 0 && p)
		if ((p = strchr(p, '\n')))
			p++;
	if (!p)
		return -1;
	for (col = 0; p[col] == ' ' || p[col] == '\t'; col++)
		if (p[col] == '\t')
			return col;
	return -1;
}

void
ldsyntax(struct loader *ld, const yaml_parser_t *p, const char *text)
{
	yaml_mark_t m = p->problem_mark;
	const char *tab = "";
	size_t i;
	int col;

	if (p->error == YAML_READER_ERROR) {
		m.line = m.column = 0;
		for (i = 0; i < p->problem_offset && text[i]; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
	}
	/* a tab where YAML wants spaces: say so, at the tab */
	if ((col = indenttab(text, m.line)) >= 0 && (size_t)col <= m.column) {
		m.column = (size_t)col;
		tab = "; YAML indents with spaces, not tabs";
	}
	if (p->context)
		ldmsg(ld, ld->file, (int)m.line + 1, (int)m.column + 1, "syntax error: %s (%s at line %zu)%s",
		      p->problem ? p->problem : "invalid YAML", p->context, p->context_mark.line + 1, tab);
	else
		ldmsg(ld, ld->file, (int)m.line + 1, (int)m.column + 1, "syntax error: %s%s",
		      p->problem ? p->problem : "invalid YAML", tab);
	ld->nerr++;
}

int
ldduration(const char *s, double *secs)
{
	return parse_duration(s, secs) < 0 || *secs > LD_MAX_DURATION ? -1 : 0;
}

int
ldretries(const char *s, long *n)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*n = strtol(s, &end, 10);
	return errno || *end || *n < 0 || *n > LD_MAX_RETRIES ? -1 : 0;
}

void
ldasis(struct loader *ld, const char *value, const char *raw, int line)
{
	if (ld->nasis == ld->asiscap) {
		ld->asiscap = ld->asiscap ? 2 * ld->asiscap : 16;
		ld->asis = xreallocarray(ld->asis, ld->asiscap, sizeof(*ld->asis));
	}
	ld->asis[ld->nasis].value = xstrdup(value);
	ld->asis[ld->nasis].raw = xstrdup(raw);
	ld->asis[ld->nasis].file = xstrdup(ld->file);
	ld->asis[ld->nasis].line = line;
	ld->nasis++;
	ld->asis_sorted = false;
}

static int
cmpasis(const void *a, const void *b)
{
	return strcmp(((const struct asis *)a)->value, ((const struct asis *)b)->value);
}

const char *
ldshown(struct loader *ld, const char *s, const char *file, int line)
{
	struct asis *a, *end, *best = NULL;
	size_t lo = 0, hi = ld->nasis;

	if (!s || !ld->nasis)
		return s;
	if (!ld->asis_sorted) {
		qsort(ld->asis, ld->nasis, sizeof(*ld->asis), cmpasis);
		ld->asis_sorted = true;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ld->asis[mid].value, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	end = ld->asis + ld->nasis;
	for (a = ld->asis + lo; a < end && !strcmp(a->value, s); a++) {
		/* written in file at line or after it, nearest first */
		if (!best || (!strcmp(a->file, file) && a->line >= line &&
		    (strcmp(best->file, file) || best->line < line || a->line < best->line)))
			best = a;
	}
	return best ? best->raw : s;
}

static void
loader_release(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->r->nconns && ld->connwhere; i++)
		free(ld->connwhere[i].file);
	free(ld->connwhere);
	for (i = 0; i < ld->ninc; i++)
		free(ld->inc[i]);
	free(ld->inc);
	free(ld->incmark);
	for (i = 0; i < ld->seen.n; i++)
		free(ld->seen.v[i]);
	free(ld->seen.v);
	free(ld->conns.v);
	free(ld->targets.v);
	free(ld->tinfo);
	free(ld->prefix);
	free(ld->root);
	for (i = 0; i < ld->nasis; i++) {
		explicit_bzero(ld->asis[i].value, strlen(ld->asis[i].value));
		free(ld->asis[i].value);
		free(ld->asis[i].raw);
		free(ld->asis[i].file);
	}
	free(ld->asis);
}

struct recipe *
recipe_load(const char *path, const char *envdir, const struct fsrc *src, struct diags *diags)
{
	struct loader ld;
	struct recipe *r = xcalloc(1, sizeof(*r));
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;

	memset(&ld, 0, sizeof(ld));
	r->path = xstrdup(path);
	r->dir = path_dir(path);
	env_load_dotenvs(envdir, r->dir);
	ld.r = r;
	ld.diags = diags;
	ld.kind = -1;
	if (src) {
		ld.src = src;
		ld.prefix = strcmp(r->dir, ".") ? xstrdup(r->dir) : NULL;
	} else {
		ldworktree(&ld.wt, r->dir);
		ld.src = &ld.wt;
	}
	ldproject(&ld);
	ldseen(&ld, base);
	ldloadfile(&ld, base, path, true);
	for (i = 0; i < ld.ninc; i++)
		ldinclude(&ld, i);
	ldcheck(&ld);
	ldenv(&ld);
	loader_release(&ld);
	if (ld.nerr || ld.nsoft) {
		recipe_free(r);
		return NULL;
	}
	return r;
}

void
strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
check_release(struct check *c)
{
	free(c->name);
	free(c->where);
	strlist_release(&c->columns);
	free(c->column);
	strlist_release(&c->values);
	free(c->to_target);
	free(c->to_column);
	free(c->min);
	free(c->max);
	free(c->expr);
	free(c->equals);
	free(c->from);
	free(c->relative_to);
	free(c->sql);
	free(c->sql_text);
}

static void
target_release(struct target *t)
{
	size_t i;

	free(t->name);
	free(t->from);
	strlist_release(&t->needs);
	free(t->query);
	free(t->query_sql);
	free(t->script);
	free(t->script_sql);
	free(t->create);
	free(t->create_sql);
	free(t->call);
	strlist_release(&t->key);
	strlist_release(&t->tags);
	for (i = 0; i < t->nindexes; i++)
		strlist_release(&t->indexes[i]);
	free(t->indexes);
	free(t->incr.column);
	free(t->incr.changes);
	for (size_t k = 0; k < t->incr.ntables; k++) {
		struct change_table *ct = &t->incr.tables[k];

		free(ct->table);
		for (size_t j = 0; j < ct->ncolumns; j++)
			free(ct->columns[j]);
		free(ct->columns);
		free(ct->file);
		free(ct->sql);
	}
	free(t->incr.tables);
	free(t->incr.deleted);
	free(t->incr.probe);
	free(t->incr.probe_sql);
	free(t->file);
	free(t->data);
	for (i = 0; i < t->ncolumns; i++) {
		free(t->columns[i].name);
		free(t->columns[i].type);
	}
	free(t->columns);
	seed_free(t->seed);
	for (i = 0; i < t->nchecks; i++)
		check_release(&t->checks[i]);
	free(t->checks);
	pivot_free(t->pivot);
}

void
ldconnrelease(struct conn *c)
{
	free(c->name);
	free(c->driver);
	free(c->host);
	for (size_t i = 0; i < c->nhosts; i++)
		free(c->hosts[i]);
	free(c->hosts);
	free(c->socket);
	free(c->user);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->database);
	free(c->schema);
	free(c->bind_address);
}

void
recipe_free(struct recipe *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nconns; i++)
		ldconnrelease(&r->conns[i]);
	free(r->conns);
	for (i = 0; i < r->nsites; i++)
		site_group_release(&r->sites[i]);
	free(r->sites);
	for (i = 0; i < r->ntargets; i++)
		target_release(&r->targets[i]);
	free(r->targets);
	free(r->path);
	free(r->dir);
	free(r->name);
	free(r->target_conn);
	free(r->on_failure);
	free(r->scheduled_rev);
	free(r);
}

struct target *
recipe_target(const struct recipe *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ntargets; i++)
		if (r->targets[i].name && !strcmp(r->targets[i].name, name))
			return &r->targets[i];
	return NULL;
}

struct conn *
recipe_conn(const struct recipe *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nconns; i++)
		if (r->conns[i].name && !strcmp(r->conns[i].name, name))
			return &r->conns[i];
	return NULL;
}

const struct site_group *
recipe_sites(const struct recipe *r, const char *name)
{
	for (size_t i = 0; name && i < r->nsites; i++)
		if (!strcmp(r->sites[i].name, name))
			return &r->sites[i];
	return NULL;
}

const struct site_group *
target_sites(const struct recipe *r, const struct target *t)
{
	return t->kind == KIND_EXTRACT ? recipe_sites(r, t->from) : NULL;
}

enum sql_dialect
recipe_conn_dialect(const struct recipe *r, const char *name)
{
	const struct conn *c = name ? recipe_conn(r, name) : NULL;
	const struct site_group *g = c ? NULL : recipe_sites(r, name);

	return sql_dialect_of(c ? c->driver : g ? g->driver : NULL);
}

enum sql_dialect
target_query_dialect(const struct recipe *r, const struct target *t)
{
	return recipe_conn_dialect(r, t->kind == KIND_EXTRACT ? t->from : r->target_conn);
}

const char *
kind_name(enum kind k)
{
	switch (k) {
	case KIND_EXTRACT:
		return "extract";
	case KIND_TABLE:
		return "table";
	case KIND_SCRIPT:
		return "script";
	case KIND_FILE:
		return "file";
	case KIND_PIVOT:
		return "pivot";
	}
	return "?";
}

const char *
check_kind_name(enum check_kind k)
{
	switch (k) {
	case CHECK_NOT_NULL:
		return "not_null";
	case CHECK_UNIQUE:
		return "unique";
	case CHECK_ACCEPTED_VALUES:
		return "accepted_values";
	case CHECK_RELATIONSHIPS:
		return "relationships";
	case CHECK_RANGE:
		return "range";
	case CHECK_EXPRESSION:
		return "expression";
	case CHECK_ROW_COUNT:
		return "row_count";
	case CHECK_FRESHNESS:
		return "freshness";
	case CHECK_DRIFT:
		return "drift";
	case CHECK_SQL:
		return "sql";
	}
	return "?";
}

const char *
check_severity_name(enum check_severity s)
{
	return s == SEVERITY_WARN ? "warn" : "error";
}
