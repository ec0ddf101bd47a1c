/* recipe_check.c: the checks of a whole recipe, and its SQL files */
#include "recipe_impl.h"
#include "env.h"
#include "seed.h"
#include "sqlsplit.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* checks of the whole recipe */

/* the line of text at offset at */
static int
lineat(const char *text, size_t at)
{
	int line = 1;
	size_t i;

	for (i = 0; i < at; i++)
		line += text[i] == '\n';
	return line;
}

/*
 * the first ${conn.NAME...} in text whose NAME is no connection, reported. raw is
 * the text as written: a name that only a variable's value brings is not shown
 */
void
ldconnrefs(struct loader *ld, const struct target *t, int line, int column, const char *text,
           const char *raw, const char *where)
{
	const char *p = text, *name;
	char *n, *ref;
	size_t len;

	while (p && (p = strstr(p, "${conn."))) {
		name = p + 7;
		len = strcspn(name, ".}");
		p = name + len;
		if (*p != '.')
			continue;
		n = xstrndup(name, len);
		if (!recipe_conn(ld->r, n)) {
			ref = xasprintf("${conn.%s.", n);
			if (strstr(raw, ref))
				ldtat(ld, DIAG_ERROR, t, line, column, "'%s' uses unknown connection '%s'",
				      where, n);
			else
				ldtat(ld, DIAG_ERROR, t, line, column,
				      "'%s' uses an unknown connection through a variable", where);
			free(ref);
			free(n);
			return;
		}
		free(n);
	}
}

/*
 * a target's SQL file: read, checked (text, one statement if one, its
 * quotes and comments closed in dialect d, its connections when conns), and
 * its text with variables expanded, or NULL (reported). Messages name the
 * path as written.
 */
static char *
sqlfile_at(struct loader *ld, const struct target *t, int line, int col, const char *what,
           const char *path, bool one, bool conns, enum sql_dialect d)
{
	const char *shown = ldshown(ld, path, t->file, line), *why, *nul;
	struct sqlscript ss = { 0 };
	char *text, *s, *unset, *err = NULL;
	size_t len = SIZE_MAX;

	if (!path)
		return NULL;
	if ((why = ldforbidden(ld, path))) {
		ldtat(ld, DIAG_ERROR, t, line, col, "%s file '%s' %s", what, shown, why);
		return NULL;
	}
	if (!(text = ldread(ld, path, &len))) {
		ldtat(ld, DIAG_ERROR, t, line, col, "%s file '%s' not found", what, shown);
		return NULL;
	}
	if (len == SIZE_MAX)
		len = strlen(text);
	if ((nul = memchr(text, '\0', len))) {
		ldtat(ld, DIAG_ERROR, t, line, col, "%s file '%s' holds a NUL byte at line %d: it is "
		      "not text", what, shown, lineat(text, (size_t)(nul - text)));
		free(text);
		return NULL;
	}
	if (!(s = env_expand(text, &unset))) {
		why = env_sources();
		ldtat(ld, DIAG_ERROR, t, line, col, "unset variable '%s' in %s file '%s' (not in %s)",
		      unset, what, shown, why);
		free((char *)why);
		free(unset);
		free(text);
		return NULL;
	}
	if (sqlsplit(s, strlen(s), d, &ss, &err) < 0) {
		ldtat(ld, DIAG_ERROR, t, line, col, "%s file '%s': %s", what, shown, err);
		free(err);
	} else if (one && ss.nstmts != 1) {
		ldtat(ld, DIAG_ERROR, t, line, col, "%s file '%s' holds %zu statements; it must hold one",
		      what, shown, ss.nstmts);
	}
	sqlscript_release(&ss);
	if (conns)
		ldconnrefs(ld, t, line, col, s, text, shown);
	free(text);
	return s;
}

static char *
sqlfile(struct loader *ld, const struct target *t, const char *what, const char *path,
        bool one, bool conns, enum sql_dialect d)
{
	return sqlfile_at(ld, t, t->line, 0, what, path, one, conns, d);
}

char *
ldchecksql(struct loader *ld, const struct target *t, const struct check *c, bool conns)
{
	return sqlfile_at(ld, t, c->line, c->column_no, "check", c->sql, true, conns,
	                  recipe_conn_dialect(ld->r, ld->r->target_conn));
}

/*
 * a file target's data file read and its rows typed (seed.h), or NULL
 * (reported). Its problems are at the file's path as the recipe's directory
 * and the working directory make it, like included files'.
 */
static struct seed *
datafile(struct loader *ld, const struct target *t, bool conns)
{
	const char *shown = ldshown(ld, t->data, t->file, t->line), *why;
	const struct conn *c = conns && ld->r->target_conn ? recipe_conn(ld->r, ld->r->target_conn) :
	                       NULL;
	size_t len = SIZE_MAX;
	struct seed *s;
	char *text, *disp;

	if (!t->data)
		return NULL;
	if ((why = ldforbidden(ld, t->data))) {
		ldterr(ld, t, "file '%s' %s", shown, why);
		return NULL;
	}
	if (!(text = ldread(ld, t->data, &len))) {
		ldterr(ld, t, "file '%s' not found", shown);
		return NULL;
	}
	if (len == SIZE_MAX)
		len = strlen(text);
	disp = ldpathjoin(ld->r->dir, t->data);
	s = seed_read(disp, text, len, t->columns, t->ncolumns, c ? c->driver : NULL,
	              ldshown(ld, t->name, t->file, t->line), ld->diags);
	if (!s)
		ld->nsoft++;
	free(disp);
	return s;
}

/* the fields a file target wants and refuses */
static void
checkfilekind(struct loader *ld, const struct target *t, const struct entry *en)
{
	static const struct { int bit; const char *key; } refused[] = {
		{ T_FROM, "from" }, { T_QUERY, "query" }, { T_SCRIPT, "script" },
		{ T_CREATE, "create" }, { T_CALL, "call" },
	};

	if (!t->data && !en->unknown && !(en->keys & 1u << T_FILE))
		ldterr(ld, t, "a file target needs 'file', the CSV or JSON file of its rows");
	for (size_t i = 0; i < LEN(refused); i++)
		if (en->keys & 1u << refused[i].bit)
			ldterr(ld, t, "'%s' is not for file targets (their rows come from 'file')",
			       refused[i].key);
	if (t->incr.enabled)
		ldterr(ld, t, "a file target is not incremental: its table is rebuilt when the file "
		       "changes");
}

/*
 * the fields t's kind wants and refuses. A misspelt key of the entry is
 * reported already: then what it lacks is not (the misspelling is the one)
 */
static void
checkkind(struct loader *ld, const struct target *t, const struct entry *en)
{
	const char *k = kind_name(t->kind);
	const char *a = t->kind == KIND_EXTRACT ? "an extract" : "a table target";
	bool lacks = !en->unknown;

	if (t->kind == KIND_FILE) {
		checkfilekind(ld, t, en);
		return;
	}
	if (t->kind == KIND_PIVOT)
		return; /* ldcheckpivot */
	if (t->data)
		ldterr(ld, t, "'file' is only for file targets, not %s", k);
	if (t->ncolumns)
		ldterr(ld, t, "'columns' is only for file targets (a %s target's columns are those "
		       "of its query)", k);

	if (t->kind == KIND_EXTRACT && !t->from && lacks && !(en->keys & 1u << T_FROM))
		ldterr(ld, t, "an extract needs 'from', the connection it reads");
	if (t->kind != KIND_EXTRACT && t->from && recipe_sites(ld->r, t->from))
		ldterr(ld, t, "'from' names sites group '%s', which only an extract reads, not a %s "
		       "target", ldshown(ld, t->from, t->file, t->line), k);
	else if (t->kind != KIND_EXTRACT && t->from)
		ldterr(ld, t, "'from' is only for extract targets, not %s", k);
	if (t->kind != KIND_SCRIPT && !t->query && lacks && !(en->keys & 1u << T_QUERY))
		ldterr(ld, t, "%s needs 'query'", a);
	if (t->kind != KIND_SCRIPT && t->script)
		ldterr(ld, t, "'script' is only for script targets (a %s target has 'query')", k);
	if (t->kind == KIND_SCRIPT && !t->script && lacks && !(en->keys & 1u << T_SCRIPT))
		ldterr(ld, t, "a script target needs 'script'");
	if (t->kind == KIND_SCRIPT && t->query)
		ldterr(ld, t, "'query' is not for script targets (use 'script')");
	if (t->kind != KIND_SCRIPT && t->call)
		ldterr(ld, t, "'call' is only for script targets");
	if (t->kind != KIND_SCRIPT && t->incr.enabled && !t->key.n && lacks && !(en->keys & 1u << T_KEY))
		ldterr(ld, t, "incremental needs 'key', the columns rows are upserted by");
}

/*
 * the checks of target i. What refers to connections or targets is checked
 * only when every one was loaded (a file that does not parse, an entry
 * without a name would make each reference to them look wrong); a target whose
 * kind is not known is checked for all but what its kind decides.
 */

/* a need that names no target, with the nearest target name if one is close */
static void
unknown_need(struct loader *ld, const struct target *t, const char *need)
{
	const struct recipe *r = ld->r;
	struct nearest nr;
	const char *best;

	nearest_init(&nr, need);
	for (size_t k = 0; k < r->ntargets; k++)
		if (r->targets[k].name && &r->targets[k] != t)
			nearest_add(&nr, r->targets[k].name);
	best = nearest_get(&nr);
	lderr(ld, t->file, t->line, "target '%s' needs unknown target '%s'%s%s%s",
	      ldshown(ld, t->name, t->file, t->line), ldshown(ld, need, t->file, t->line),
	      best ? ": did you mean '" : "", best ? ldshown(ld, best, t->file, t->line) : "",
	      best ? "'?" : "");
}
static void
checktarget(struct loader *ld, size_t i, bool conns, bool targets)
{
	struct recipe *r = ld->r;
	struct target *t = &r->targets[i];
	const struct entry *en = &ld->tinfo[i];
	bool kind = en->given & 1u << T_KIND;
	/* the dialects its SQL is read in: the connections it runs on */
	enum sql_dialect td = recipe_conn_dialect(r, r->target_conn);
	enum sql_dialect qd = target_query_dialect(r, t);
	const struct site_group *g;
	size_t j;

	for (j = 0; j < i && t->name; j++) {
		if (r->targets[j].name && !strcmp(r->targets[j].name, t->name)) {
			lderr(ld, t->file, t->line, "target '%s' defined twice (first at %s:%d)",
			    ldshown(ld, t->name, t->file, t->line), r->targets[j].file, r->targets[j].line);
			break;
		}
	}
	if (kind)
		checkkind(ld, t, en);
	if (kind && t->kind == KIND_PIVOT)
		ldcheckpivot(ld, t, targets);
	if (conns && t->kind == KIND_EXTRACT && t->from && !recipe_conn(r, t->from) &&
	    !recipe_sites(r, t->from))
		ldterr(ld, t, "unknown connection '%s' in 'from'", ldshown(ld, t->from, t->file, t->line));
	for (j = 0; targets && j < t->needs.n; j++)
		if (!recipe_target(r, t->needs.v[j]))
			unknown_need(ld, t, t->needs.v[j]);
	if (!kind || (t->kind != KIND_SCRIPT && t->kind != KIND_PIVOT))
		t->query_sql = sqlfile(ld, t, "query", t->query, true, conns, qd);
	if (!kind || t->kind == KIND_SCRIPT)
		t->script_sql = sqlfile(ld, t, "script", t->script, false, conns, td);
	t->create_sql = sqlfile(ld, t, "create", t->create, true, conns, td);
	t->incr.probe_sql = sqlfile(ld, t, "probe", t->incr.probe, true, conns, qd);
	for (j = 0; j < t->incr.ntables; j++)
		t->incr.tables[j].sql = sqlfile(ld, t, "incremental.tables", t->incr.tables[j].file,
		                                true, conns, qd);
	if (kind)
		ldchecktargetchanges(ld, t, target_sites(r, t) != NULL);
	if (kind && t->kind == KIND_FILE)
		t->seed = datafile(ld, t, conns);
	if (t->call && conns)
		ldconnrefs(ld, t, t->line, 0, t->call, ldshown(ld, t->call, t->file, t->line), "call");
	if (kind && (g = target_sites(r, t)))
		ldchecksitetarget(ld, t, en, g);
}

static void
cycle(struct loader *ld, const size_t *stack, size_t depth, size_t j)
{
	struct recipe *r = ld->r;
	struct buf b;
	size_t p = 0;

	while (stack[p] != j)
		p++;
	buf_init(&b);
	for (; p <= depth; p++)
		buf_addf(&b, "%s -> ", ldshown(ld, r->targets[stack[p]].name,
		    r->targets[stack[p]].file, r->targets[stack[p]].line));
	buf_adds(&b, ldshown(ld, r->targets[j].name, r->targets[j].file, r->targets[j].line));
	lderr(ld, r->targets[j].file, r->targets[j].line, "dependency cycle: %s", b.s);
	buf_release(&b);
}

/* depth-first from target i; state: 0 new, 1 on the stack, 2 done */
static void
visit(struct loader *ld, size_t i, char *state, size_t *stack, size_t depth)
{
	struct recipe *r = ld->r;
	struct target *t = &r->targets[i], *u;
	size_t k, j;

	state[i] = 1;
	stack[depth] = i;
	for (k = 0; k < t->needs.n; k++) {
		if (!(u = recipe_target(r, t->needs.v[k])))
			continue;
		j = u - r->targets;
		if (state[j] == 1)
			cycle(ld, stack, depth, j);
		else if (state[j] == 0)
			visit(ld, j, state, stack, depth + 1);
	}
	state[i] = 2;
}

void
ldcheck(struct loader *ld)
{
	struct recipe *r = ld->r;
	bool conns = !ld->nerr && !ld->lostconns, targets = !ld->nerr && !ld->losttargets;
	size_t i, j, *stack;
	char *state;

	for (i = 0; i < r->nconns; i++) {
		const struct conn *c = &r->conns[i];

		if (c->schema && c->driver && strcmp(c->driver, "postgres"))
			lderr(ld, ld->connwhere[i].file, ld->connwhere[i].line,
			    "connection '%s': 'schema' is a PostgreSQL setting, and its driver is '%s' "
			    "(on MariaDB, 'database' names where the tables are)",
			    c->name ? c->name : "?", c->driver);
		if (c->bind_address && *c->bind_address && c->driver &&
		    !strcmp(c->driver, "postgres"))
			lderr(ld, ld->connwhere[i].file, ld->connwhere[i].line,
			    "connection '%s': 'bind_address' is a MariaDB setting; PostgreSQL's "
			    "client cannot choose the address it connects from",
			    c->name ? c->name : "?");
		for (j = 0; j < i && r->conns[i].name; j++) {
			if (r->conns[j].name && !strcmp(r->conns[i].name, r->conns[j].name)) {
				lderr(ld, ld->connwhere[i].file, ld->connwhere[i].line,
				    "connection '%s' defined twice (first at %s:%d)",
				    ldshown(ld, r->conns[i].name, ld->connwhere[i].file,
				    ld->connwhere[i].line),
				    ld->connwhere[j].file, ld->connwhere[j].line);
				break;
			}
		}
	}
	ldchecksites(ld);
	if (conns && r->target_conn && !recipe_conn(r, r->target_conn))
		lderr(ld, r->path, ld->targetline, "unknown connection '%s' in 'target'",
		    ldshown(ld, r->target_conn, r->path, ld->targetline));
	for (i = 0; i < r->ntargets; i++)
		checktarget(ld, i, conns, targets);
	/* after every target's create and data file are read: checks may name their columns */
	for (i = 0; i < r->ntargets; i++)
		ldcheckchecks(ld, &r->targets[i], conns, targets);
	state = xcalloc(r->ntargets, 1);
	stack = xcalloc(r->ntargets, sizeof(*stack));
	for (i = 0; i < r->ntargets; i++)
		if (!state[i])
			visit(ld, i, state, stack, 0);
	free(state);
	free(stack);
}
