/*
 * recipe_checkrefs.c: a target's checks checked against the whole recipe:
 * the targets and connections they name, the columns of their tables where
 * the recipe shows them (a create's CREATE TABLE, a file target's data)
 */
#include "recipe_impl.h"
#include "db.h"
#include "seed.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a token of SQL: a word, a quoted name, a string, or one other character */
enum { TK_END, TK_WORD, TK_NAME, TK_STRING, TK_CHAR };

struct tok {
	int type;
	const char *s;           /* a quoted name: inside its quotes */
	size_t n;
	char q;                  /* the quote of a quoted name or string */
};

static bool
wordchar(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* p past white space and comments (--, #, slash-star) */
static const char *
skipspace(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if ((p[0] == '-' && p[1] == '-') || p[0] == '#') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

/* the end of the quoted text starting at p (its quote q), doubled quotes and backslashes inside */
static const char *
quoted(const char *p, char q)
{
	for (p++; *p; p++) {
		if (*p == '\\' && q == '\'' && p[1])
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return NULL;
}

/* the token at p into t; p past it, or NULL when a quote is not closed */
static const char *
next(const char *p, struct tok *t)
{
	const char *end;

	p = skipspace(p);
	t->s = p;
	t->q = 0;
	if (!*p) {
		t->type = TK_END;
		t->n = 0;
		return p;
	}
	if (*p == '`' || *p == '"' || *p == '\'') {
		if (!(end = quoted(p, *p)))
			return NULL;
		t->type = *p == '\'' ? TK_STRING : TK_NAME;
		t->q = *p;
		t->s = p + 1;
		t->n = (size_t)(end - p) - 2;
		return end;
	}
	if (!wordchar(*p)) {
		t->type = TK_CHAR;
		t->n = 1;
		return p + 1;
	}
	/* a word: ${this} and other variables kept are part of it */
	while (*p) {
		if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}')))
			p = end + 1;
		else if (wordchar(*p))
			p++;
		else
			break;
	}
	t->type = TK_WORD;
	t->n = (size_t)(p - t->s);
	return p;
}

static bool
is(const struct tok *t, const char *word)
{
	return t->type == TK_WORD && t->n == strlen(word) && !strncasecmp(t->s, word, t->n);
}

static bool
ischar(const struct tok *t, char c)
{
	return t->type == TK_CHAR && *t->s == c;
}

/* whether the item that starts with t (then u) declares no column: a key, a constraint */
static bool
notcolumn(const struct tok *t, const struct tok *u)
{
	static const char *const words[] = {
		"PRIMARY", "KEY", "INDEX", "UNIQUE", "CONSTRAINT", "FOREIGN", "CHECK", "FULLTEXT",
		"SPATIAL",
	};

	for (size_t i = 0; i < LEN(words); i++)
		if (is(t, words[i]))
			return true;
	/* MariaDB's PERIOD FOR, PostgreSQL's EXCLUDE USING */
	return (is(t, "PERIOD") && is(u, "FOR")) ||
	       (is(t, "EXCLUDE") && (is(u, "USING") || ischar(u, '(')));
}

/* the name of token t (quotes undoubled) into cols */
static void
addname(struct strlist *cols, const struct tok *t)
{
	char *s = xstrndup(t->s, t->n), *r, *w;

	if (t->q) {
		for (r = w = s; *r; *w++ = *r++)
			if (r[0] == t->q && r[1] == t->q)
				r++;
		*w = '\0';
	}
	cols->v = xreallocarray(cols->v, cols->n + 1, sizeof(*cols->v));
	cols->v[cols->n++] = s;
}

/* p at the start of CREATE ... TABLE name: p past the table's name before its '(', or NULL */
static const char *
tablehead(const char *p)
{
	struct tok t;

	do {
		if (!(p = next(p, &t)) || t.type == TK_END || ischar(&t, ';') || ischar(&t, '('))
			return NULL;
	} while (!is(&t, "TABLE"));
	if (!(p = next(p, &t)))
		return NULL;
	if (is(&t, "IF")) {
		/* IF NOT EXISTS */
		if (!(p = next(p, &t)) || !is(&t, "NOT") || !(p = next(p, &t)) || !is(&t, "EXISTS") ||
		    !(p = next(p, &t)))
			return NULL;
	}
	/* the name, maybe qualified */
	while (t.type == TK_WORD || t.type == TK_NAME) {
		const char *q = next(p, &t);

		if (!q || !ischar(&t, '.'))
			return p;
		if (!(p = next(q, &t)))
			return NULL;
	}
	return NULL;
}

/*
 * the columns a CREATE TABLE statement declares, into cols: the first name
 * of each item of its outer parentheses but keys and constraints. False when
 * they are not known from it alone (CREATE TABLE ... AS SELECT, LIKE,
 * INHERITS, or no CREATE TABLE)
 */
static bool
createcols(const char *sql, struct strlist *cols)
{
	const char *p = tablehead(sql);
	struct tok t, u;
	int depth = 1;
	bool start = true;

	if (!p || !(p = next(p, &t)) || !ischar(&t, '('))
		return false;
	while (depth > 0) {
		if (!(p = next(p, &t)) || t.type == TK_END)
			return false;
		if (start && (t.type == TK_WORD || t.type == TK_NAME)) {
			if (is(&t, "LIKE") || !next(p, &u))
				return false;
			if (t.type == TK_NAME || !notcolumn(&t, &u))
				addname(cols, &t);
		}
		start = false;
		if (ischar(&t, '('))
			depth++;
		else if (ischar(&t, ')'))
			depth--;
		else if (ischar(&t, ',') && depth == 1)
			start = true;
	}
	/* the rest: columns a query or another table adds */
	while ((p = next(p, &t)) && t.type != TK_END && !ischar(&t, ';'))
		if (is(&t, "AS") || is(&t, "SELECT") || is(&t, "INHERITS") || is(&t, "LIKE"))
			return false;
	return p != NULL && cols->n > 0;
}

bool
ldcolumns(const struct target *t, struct strlist *cols)
{
	bool ok = false;

	cols->v = NULL;
	cols->n = 0;
	if (t->kind == KIND_FILE && t->seed) {
		for (size_t i = 0; i < t->seed->ncols; i++) {
			struct tok tk = { TK_WORD, t->seed->cols[i].name, strlen(t->seed->cols[i].name), 0 };

			addname(cols, &tk);
		}
		ok = true;
	} else if (t->kind != KIND_FILE && t->create_sql) {
		ok = createcols(t->create_sql, cols);
	}
	if (!ok) {
		strlist_release(cols);
		return false;
	}
	/* chacc's own column of every table */
	cols->v = xreallocarray(cols->v, cols->n + 1, sizeof(*cols->v));
	cols->v[cols->n++] = xstrdup(DB_STAMP);
	return true;
}

/* the checks */

/* whether t needs u, itself or through what it needs (seen: per target, visited) */
static bool
needs(const struct recipe *r, const struct target *t, const struct target *u, char *seen)
{
	const struct target *n;

	for (size_t i = 0; i < t->needs.n; i++) {
		if (!(n = recipe_target(r, t->needs.v[i])) || seen[n - r->targets])
			continue;
		seen[n - r->targets] = 1;
		if (n == u || needs(r, n, u, seen))
			return true;
	}
	return false;
}

/* column col of check c, unless among cols (those of target u) */
static void
badcolumn(struct loader *ld, const struct target *t, const struct check *c, const char *col,
          const struct strlist *cols, const struct target *u)
{
	const char *name = ldshown(ld, c->name, t->file, c->line);
	const char *shown = ldshown(ld, col, t->file, c->line), *best;
	const char *of = u != t ? " of target '" : "";
	const char *uname = u != t ? ldshown(ld, u->name, u->file, u->line) : "";
	const char *q = u != t ? "'" : "";
	struct nearest nr;

	for (size_t i = 0; i < cols->n; i++)
		if (!strcasecmp(cols->v[i], col))
			return;
	nearest_init(&nr, col);
	for (size_t i = 0; i < cols->n; i++)
		nearest_add(&nr, cols->v[i]);
	if ((best = nearest_get(&nr)))
		ldtat(ld, DIAG_ERROR, t, c->line, c->column_no,
		      "check '%s': unknown column '%s'%s%s%s: did you mean '%s'?", name, shown, of,
		      uname, q, best);
	else
		ldtat(ld, DIAG_ERROR, t, c->line, c->column_no,
		      "check '%s': unknown column '%s'%s%s%s (not in its %s)", name, shown, of, uname,
		      q, u->kind == KIND_FILE ? "data file" : "create file");
}

/* the columns check c names, where the columns of its table are known */
static void
checkcolumns(struct loader *ld, const struct target *t, const struct check *c,
             const struct strlist *cols)
{
	for (size_t i = 0; i < c->columns.n; i++)
		badcolumn(ld, t, c, c->columns.v[i], cols, t);
	if (c->column)
		badcolumn(ld, t, c, c->column, cols, t);
}

/* relationships: its to names a target, one built before the check, with that column */
static void
checkto(struct loader *ld, const struct target *t, const struct check *c)
{
	const struct recipe *r = ld->r;
	const struct target *u = recipe_target(r, c->to_target);
	const char *name = ldshown(ld, c->name, t->file, c->line);
	struct strlist cols;
	struct nearest nr;
	const char *best;
	char *seen;

	if (!u) {
		nearest_init(&nr, c->to_target);
		for (size_t k = 0; k < r->ntargets; k++)
			if (r->targets[k].name)
				nearest_add(&nr, r->targets[k].name);
		best = nearest_get(&nr);
		ldtat(ld, DIAG_ERROR, t, c->line, c->column_no,
		      "check '%s': unknown target '%s' in 'to'%s%s%s", name,
		      ldshown(ld, c->to_target, t->file, c->line), best ? ": did you mean '" : "",
		      best ? best : "", best ? "'?" : "");
		return;
	}
	seen = xcalloc(r->ntargets, 1);
	if (u != t && !needs(r, t, u, seen))
		ldtat(ld, DIAG_WARNING, t, c->line, c->column_no,
		      "check '%s': '%s' is not among the target's needs: the check may run before it "
		      "is built", name, ldshown(ld, u->name, u->file, u->line));
	free(seen);
	if (ldcolumns(u, &cols)) {
		badcolumn(ld, t, c, c->to_column, &cols, u);
		strlist_release(&cols);
	}
}

/* from: a connection of the recipe */
static void
checkfrom(struct loader *ld, const struct target *t, const struct check *c)
{
	const struct recipe *r = ld->r;
	struct nearest nr;
	const char *best;

	if (recipe_conn(r, c->from))
		return;
	if (recipe_sites(r, c->from)) {
		ldtat(ld, DIAG_ERROR, t, c->line, c->column_no, "check '%s': 'from' names sites group "
		      "'%s': a check's SQL runs on one connection", ldshown(ld, c->name, t->file, c->line),
		      ldshown(ld, c->from, t->file, c->line));
		return;
	}
	nearest_init(&nr, c->from);
	for (size_t k = 0; k < r->nconns; k++)
		if (r->conns[k].name)
			nearest_add(&nr, r->conns[k].name);
	best = nearest_get(&nr);
	ldtat(ld, DIAG_ERROR, t, c->line, c->column_no,
	      "check '%s': unknown connection '%s' in 'from'%s%s%s",
	      ldshown(ld, c->name, t->file, c->line), ldshown(ld, c->from, t->file, c->line),
	      best ? ": did you mean '" : "", best ? best : "", best ? "'?" : "");
}

/* the ${conn.NAME...} of the SQL of check c */
static void
checkconnrefs(struct loader *ld, const struct target *t, const struct check *c)
{
	const struct { const char *key, *sql; } sql[] = {
		{ "where", c->where }, { "expression", c->expr }, { "equals", c->equals },
		{ "relative_to", c->relative_to },
	};

	for (size_t i = 0; i < LEN(sql); i++)
		if (sql[i].sql)
			ldconnrefs(ld, t, c->line, c->column_no, sql[i].sql,
			           ldshown(ld, sql[i].sql, t->file, c->line), sql[i].key);
}

void
ldcheckchecks(struct loader *ld, struct target *t, bool conns, bool targets)
{
	struct strlist cols;
	bool known = t->nchecks && ldcolumns(t, &cols);

	for (size_t i = 0; i < t->nchecks; i++) {
		struct check *c = &t->checks[i];

		if (c->kind == CHECK_SQL)
			c->sql_text = ldchecksql(ld, t, c, conns);
		if (conns && c->from)
			checkfrom(ld, t, c);
		if (conns)
			checkconnrefs(ld, t, c);
		if (known)
			checkcolumns(ld, t, c, &cols);
		if (targets && c->kind == CHECK_RELATIONSHIPS)
			checkto(ld, t, c);
	}
	if (known)
		strlist_release(&cols);
}
