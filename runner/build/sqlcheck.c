/* sqlcheck.c: the SQL files of a recipe prepared (never run) on the servers they would run on */
#include "sqlcheck.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build.h"
#include "build_impl.h"
#include "db.h"
#include "diag.h"
#include "graph.h"
#include "recipe.h"
#include "sqlsplit.h"
#include "util.h"

/* one check of a recipe under way */
struct sqlcheck_run {
	struct recipe *r;
	struct diags *ds;
	struct conns conns;
	bool *unreachable;        /* by connection index: it failed to open (said once) */
	size_t checked;
	enum outcome outcome;
};

/* how a file's statement is sent */
enum wrap {
	WRAP_NONE,                /* as written: create files */
	WRAP_QUERY,               /* as builds read a query: a derived table */
	WRAP_PROBE,               /* as a probe is asked: a scalar subquery */
};

/* one SQL file of a target and where it is prepared */
struct sqlfile {
	const struct target *t;
	const char *path;         /* relative to the recipe's directory */
	const char *sql;          /* its text, variables expanded */
	struct db *d;
	enum wrap wrap;
	struct db *table_on;      /* WRAP_QUERY: where its temporary table goes, or NULL */
	enum sql_dialect dialect; /* of d's driver */
};

/* the path of a recipe file relative to the working directory */
static char *
shown_path(const struct recipe *r, const char *rel)
{
	if (rel[0] == '/' || !r->dir || !*r->dir || strcmp(r->dir, ".") == 0)
		return xstrdup(rel);
	return xasprintf("%s/%s", r->dir, rel);
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* the line (from 1) in text of the first whole-word, case-insensitive name; 0 when absent */
static int
name_line(const char *text, const char *name)
{
	size_t n = strlen(name);
	int line = 1;

	if (n == 0)
		return 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			line++;
		else if (strncasecmp(p, name, n) == 0 && (p == text || !word_char(p[-1])) &&
		         !word_char(p[n]))
			return line;
	}
	return 0;
}

static int
count_lines(const char *s)
{
	int n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* the line of stmt (starting at line first of its file) a refusal is about */
static int
problem_line(const struct sqlstmt *stmt, const struct db_prep *p)
{
	int last = stmt->line + count_lines(stmt->sql) - 1, at = 0;

	if (p->line > 0)
		at = stmt->line + p->line - 1;
	else if (p->name) {
		const char *dot = strrchr(p->name, '.');
		int l = name_line(stmt->sql, p->name);

		if (!l && dot)
			l = name_line(stmt->sql, dot + 1);
		if (l)
			at = stmt->line + l - 1;
	}
	if (at < stmt->line || at > last)
		at = stmt->line;
	return at;
}

/* the prefix of chacc's own tables in the target database (DESIGN §4), made by the first build */
#define OWN_TABLES "etl_"

/*
 * a table that does not exist, but a build makes: a target of the recipe
 * (built later, or by a script) or one of chacc's own tables
 */
static bool
is_recipe_table(struct sqlcheck_run *c, struct db *d, const struct db_prep *p)
{
	const char *dot, *name;

	if (db_error_class(d) != DB_ERR_NO_TABLE || !p->name)
		return false;
	dot = strrchr(p->name, '.');
	name = dot ? dot + 1 : p->name;
	return recipe_target(c->r, name) != NULL ||
	       (d == c->conns.tgt && strncmp(name, OWN_TABLES, strlen(OWN_TABLES)) == 0);
}

/* the columns a target's query must return, missing from its result */
static void
check_columns(struct sqlcheck_run *c, const struct sqlfile *f, const char *file, int line,
              const struct db_names *cols)
{
	const struct target *t = f->t;

	for (size_t i = 0; i < t->key.n; i++)
		if (!db_names_has(cols, t->key.v[i]))
			diag_add(c->ds, DIAG_ERROR, file, line, 0, t->name,
			         "key column '%s' is not a column of the query's result", t->key.v[i]);
	if (t->kind == KIND_EXTRACT && t->incr.enabled && t->incr.column &&
	    !db_names_has(cols, t->incr.column))
		diag_add(c->ds, DIAG_ERROR, file, line, 0, t->name,
		         "incremental column '%s' is not a column of the query's result", t->incr.column);
	if (t->kind == KIND_EXTRACT && t->incr.deleted && !db_names_has(cols, t->incr.deleted))
		diag_add(c->ds, DIAG_ERROR, file, line, 0, t->name,
		         "deleted column '%s' is not a column of the query's result", t->incr.deleted);
}

/* prepare one statement of f; its problems into the diagnostics */
static void
check_stmt(struct sqlcheck_run *c, const struct sqlfile *f, const char *file, const struct sqlstmt *stmt)
{
	struct db_prep p;
	char *sql;
	size_t before = c->ds->nerrors;
	int rc;

	if (f->wrap == WRAP_QUERY)
		sql = xasprintf("SELECT * FROM (%s\n) AS q", stmt->sql);
	else if (f->wrap == WRAP_PROBE)
		sql = xasprintf("SELECT (%s\n) IS NULL", stmt->sql);
	else
		sql = xstrdup(stmt->sql);
	rc = db_prepare_check(f->d, sql, f->table_on ? f->t->name : NULL, &p);
	c->checked++;
	if (rc < 0)
		diag_add(c->ds, DIAG_ERROR, file, stmt->line, 0, f->t->name,
		         "cannot check it on connection '%s': %s", db_conn_name(f->d), db_error(f->d));
	else if (rc > 0 && !is_recipe_table(c, f->d, &p))
		diag_add(c->ds, DIAG_ERROR, file, problem_line(stmt, &p), 0, f->t->name, "%s",
		         db_error(f->d));
	else if (rc == 0 && f->wrap == WRAP_QUERY)
		check_columns(c, f, file, stmt->line, &p.cols);
	/*
	 * the target's table as its query makes it, for the queries that read it;
	 * without it, its name is still accepted (is_recipe_table)
	 */
	if (rc == 0 && p.table_ddl)
		(void)db_exec(f->table_on, p.table_ddl);
	if (c->ds->nerrors > before)
		c->outcome = OUTCOME_FAILED;
	db_prep_release(&p);
	free(sql);
}

static void
check_file(struct sqlcheck_run *c, const struct sqlfile *f)
{
	char *text, *err = NULL, *file;
	struct sqlscript s = { 0 };

	if (!f->sql || !f->d)
		return;
	text = bops_subst(c->r, f->sql, f->t->name, "NULL", 0);
	file = shown_path(c->r, f->path);
	/* a file that does not split is reported by recipe_load */
	if (sqlsplit(text, strlen(text), f->dialect, &s, &err) == 0)
		for (size_t i = 0; i < s.nstmts; i++)
			check_stmt(c, f, file, &s.stmts[i]);
	sqlscript_release(&s);
	free(err);
	free(file);
	free(text);
}

/* the connection named name, or NULL after saying once that it cannot be reached */
static struct db *
conn(struct sqlcheck_run *c, const char *name)
{
	const struct conn *rc = recipe_conn(c->r, name);
	size_t i = rc ? (size_t)(rc - c->r->conns) : 0;
	char *err = NULL;
	struct db *d;

	if (rc && c->unreachable[i])
		return NULL;
	if ((d = conns_get(&c->conns, name, &err, NULL)))
		return d;
	if (rc)
		c->unreachable[i] = true;
	diag_add(c->ds, DIAG_ERROR, c->r->path, 0, 0, NULL, "cannot check the SQL on connection"
	         " '%s': %s", name, err ? err : "cannot connect");
	c->outcome = OUTCOME_FAILED;
	free(err);
	return NULL;
}

static void
check_target(struct sqlcheck_run *c, const struct target *t)
{
	struct db *tgt = c->conns.tgt, *src = tgt;
	enum sql_dialect td = recipe_conn_dialect(c->r, c->r->target_conn);
	enum sql_dialect qd = target_query_dialect(c->r, t);
	struct sqlfile query = { t, t->query, t->query_sql, NULL, WRAP_QUERY, tgt, qd };
	struct sqlfile create = { t, t->create, t->create_sql, tgt, WRAP_NONE, NULL, td };
	struct sqlfile probe = { t, t->incr.probe, t->incr.probe_sql, NULL, WRAP_PROBE, NULL, qd };

	if (t->kind == KIND_SCRIPT)
		return;
	if (t->kind == KIND_EXTRACT && !(src = conn(c, t->from)))
		return;
	query.d = probe.d = src;
	/* the create file first: the query's temporary table does not exist for it yet */
	check_file(c, &create);
	check_file(c, &query);
	check_file(c, &probe);
}

enum outcome
sqlcheck_recipe(struct recipe *r, struct diags *ds, size_t *checked)
{
	struct sqlcheck_run c = { .r = r, .ds = ds, .outcome = OUTCOME_OK };
	struct graph *g;
	struct node **order = NULL;
	size_t n;
	char *err = NULL;

	if (checked)
		*checked = 0;
	if (conns_open(&c.conns, r, &err) < 0) {
		diag_add(ds, DIAG_ERROR, r->path, 0, 0, NULL, "cannot check the SQL: %s",
		         err ? err : "cannot connect");
		free(err);
		conns_close(&c.conns);
		return OUTCOME_UNREACHABLE;
	}
	c.unreachable = xcalloc(r->nconns + 1, sizeof(*c.unreachable));
	g = graph_new(r);
	n = graph_order(g, NULL, 0, &order);
	for (size_t i = 0; i < n; i++)
		check_target(&c, order[i]->t);
	if (checked)
		*checked = c.checked;
	free(order);
	graph_free(g);
	free(c.unreachable);
	/* the temporary tables go with the connections */
	conns_close(&c.conns);
	return c.outcome;
}
