/* luigi_sql.c: the SQL statements of Luigi task configs, read token by token */
#include "luigi_sql.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * a token of MariaDB SQL: a word (keyword, name or number), a `quoted`
 * name, a 'string' or "string", or one character of punctuation.
 * Comments and blanks are skipped; p and n are the token as written.
 */
enum tk {
	TK_END,
	TK_WORD,
	TK_QNAME,
	TK_STRING,
	TK_PUNCT,
};

struct tok {
	enum tk k;
	const char *p;
	size_t n;
};

/* all the tokens of a statement, with one TK_END after them */
struct toks {
	struct tok *v;
	size_t n;
	const char *text;
};

static bool
wordchar(int c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* past a quoted token opening at p (q its quote), or end when it is not closed */
static const char *
skipquote(const char *p, const char *end)
{
	char q = *p++;

	while (p < end) {
		if (*p == '\\' && q != '`' && p + 1 < end) {
			p += 2;
			continue;
		}
		if (*p == q) {
			if (p + 1 < end && p[1] == q) {
				p += 2;
				continue;
			}
			return p + 1;
		}
		p++;
	}
	return end;
}

/* past blanks and comments */
static const char *
skipspace(const char *p, const char *end)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && (*p == '#' || (end - p >= 2 && p[0] == '-' && p[1] == '-' &&
		    (end - p == 2 || isspace((unsigned char)p[2]))))) {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			p = e && e < end ? e + 2 : end;
		} else {
			return p;
		}
	}
}

static void
lex(const char *text, struct toks *t)
{
	const char *p = text, *end = text + strlen(text);
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	t->text = text;
	for (;;) {
		struct tok k = { TK_END, NULL, 0 };

		p = skipspace(p, end);
		if (p < end) {
			const char *s = p;

			if (*p == '`') {
				k.k = TK_QNAME;
				p = skipquote(p, end);
			} else if (*p == '\'' || *p == '"') {
				k.k = TK_STRING;
				p = skipquote(p, end);
			} else if (wordchar((unsigned char)*p)) {
				k.k = TK_WORD;
				while (p < end && wordchar((unsigned char)*p))
					p++;
			} else {
				k.k = TK_PUNCT;
				p++;
			}
			k.p = s;
			k.n = (size_t)(p - s);
		} else {
			k.p = end;
		}
		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			t->v = xreallocarray(t->v, cap, sizeof(*t->v));
		}
		t->v[t->n++] = k;
		if (k.k == TK_END)
			break;
	}
	t->n--;
}

static const struct tok *
at(const struct toks *t, size_t i)
{
	return &t->v[i < t->n ? i : t->n];
}

/* token i is the keyword kw */
static bool
is(const struct toks *t, size_t i, const char *kw)
{
	const struct tok *k = at(t, i);

	return k->k == TK_WORD && k->n == strlen(kw) && strncasecmp(k->p, kw, k->n) == 0;
}

static bool
ispunct_(const struct toks *t, size_t i, char c)
{
	const struct tok *k = at(t, i);

	return k->k == TK_PUNCT && *k->p == c;
}

static bool
isname(const struct toks *t, size_t i)
{
	return at(t, i)->k == TK_WORD || at(t, i)->k == TK_QNAME;
}

/* the name of token i, unquoted */
static char *
name(const struct toks *t, size_t i)
{
	const struct tok *k = at(t, i);
	struct buf b;

	if (k->k != TK_QNAME)
		return xstrndup(k->p, k->n);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t j = 1; j + 1 < k->n; j++) {
		buf_addc(&b, k->p[j]);
		if (k->p[j] == '`' && k->p[j + 1] == '`')
			j++;
	}
	return buf_detach(&b);
}

/* a possibly qualified name at *i (db.t): its last part; *i moves past it */
static char *
qualname(const struct toks *t, size_t *i)
{
	size_t j = *i;

	if (!isname(t, j))
		return NULL;
	while (ispunct_(t, j + 1, '.') && isname(t, j + 2))
		j += 2;
	*i = j + 1;
	return name(t, j);
}

/* the index past the parenthesis closing the one at i */
static size_t
closing(const struct toks *t, size_t i)
{
	int depth = 0;

	for (; i < t->n; i++) {
		if (ispunct_(t, i, '('))
			depth++;
		else if (ispunct_(t, i, ')') && --depth == 0)
			return i + 1;
	}
	return t->n;
}

/* optional words at *i, in order */
static bool
words(const struct toks *t, size_t *i, const char *w1, const char *w2, const char *w3)
{
	const char *w[] = { w1, w2, w3 };
	size_t j = *i;

	for (size_t k = 0; k < LEN(w) && w[k]; k++)
		if (!is(t, j++, w[k]))
			return false;
	*i = j;
	return true;
}

/* a list of plain column names "(a, b DESC)" at *i: false on lengths or expressions */
static bool
collist(const struct toks *t, size_t *i, struct strlist *cols)
{
	size_t j = *i;

	if (!ispunct_(t, j++, '('))
		return false;
	for (;;) {
		if (!isname(t, j)) {
			lstrs_release(cols);
			return false;
		}
		cols->v = xreallocarray(cols->v, cols->n + 1, sizeof(*cols->v));
		cols->v[cols->n++] = name(t, j++);
		if (is(t, j, "ASC") || is(t, j, "DESC"))
			j++;
		if (ispunct_(t, j, ')'))
			break;
		if (!ispunct_(t, j++, ',')) {
			lstrs_release(cols);
			return false;
		}
	}
	*i = j + 1;
	return true;
}

/* words that end the type of a column definition */
static bool
endstype(const struct toks *t, size_t i)
{
	static const char *const stop[] = {
		"NOT", "NULL", "DEFAULT", "PRIMARY", "KEY", "UNIQUE", "AUTO_INCREMENT",
		"COMMENT", "REFERENCES", "CHECK", "COLLATE", "CHARACTER", "CHARSET",
		"GENERATED", "AS", "ON", "INVISIBLE", "COLUMN_FORMAT", "STORAGE", "CONSTRAINT",
	};

	for (size_t k = 0; k < LEN(stop); k++)
		if (is(t, i, stop[k]))
			return true;
	return false;
}

static void
addcol(struct lddl *d, const struct toks *t, size_t from, size_t to)
{
	size_t j = from + 1, last = j;
	const char *s, *e;

	while (j < to && !endstype(t, j)) {
		j = ispunct_(t, j, '(') ? closing(t, j) : j + 1;
		last = j;
	}
	d->cols = xreallocarray(d->cols, d->ncols + 1, sizeof(*d->cols));
	s = at(t, from + 1)->p;
	e = last > from + 1 ? at(t, last - 1)->p + at(t, last - 1)->n : s;
	d->cols[d->ncols].name = name(t, from);
	d->cols[d->ncols].type = xstrndup(s, (size_t)(e - s));
	d->ncols++;
	for (; j + 1 < to; j++)
		if (is(t, j, "PRIMARY") && is(t, j + 1, "KEY"))
			lstrs_add(&d->pk, d->cols[d->ncols - 1].name);
}

/* one definition of a CREATE TABLE, tokens from to to (a comma or ')') */
static void
adddef(struct lddl *d, const struct toks *t, size_t from, size_t to)
{
	size_t j = from;
	struct strlist cols = { 0 };

	if (is(t, j, "CONSTRAINT"))
		j += isname(t, j + 1) && !is(t, j + 1, "PRIMARY") && !is(t, j + 1, "UNIQUE") ? 2 : 1;
	if (is(t, j, "PRIMARY") && is(t, j + 1, "KEY")) {
		j += 2;
		if (!ispunct_(t, j, '('))
			j++;
		if (collist(t, &j, &cols)) {
			lstrs_release(&d->pk);
			d->pk = cols;
		}
		return;
	}
	if (is(t, j, "UNIQUE")) {
		j++;
		while (j < to && !ispunct_(t, j, '('))
			j++;
		if (collist(t, &j, &cols)) {
			d->uniques = xreallocarray(d->uniques, d->nuniques + 1, sizeof(*d->uniques));
			d->uniques[d->nuniques++] = cols;
		}
		return;
	}
	if (is(t, j, "KEY") || is(t, j, "INDEX") || is(t, j, "FOREIGN") || is(t, j, "FULLTEXT") ||
	    is(t, j, "SPATIAL") || is(t, j, "CHECK") || is(t, j, "PERIOD") || j != from)
		return;
	if (isname(t, j))
		addcol(d, t, j, to);
}

/* the definitions "( ... )" at i; returns the index past it */
static size_t
defs(struct lddl *d, const struct toks *t, size_t i)
{
	size_t end = closing(t, i), from = i + 1;

	for (size_t j = i + 1; j < end; ) {
		if (ispunct_(t, j, '(')) {
			j = closing(t, j);
			continue;
		}
		if (ispunct_(t, j, ',') || j == end - 1) {
			if (j > from)
				adddef(d, t, from, j);
			from = j + 1;
		}
		j++;
	}
	return end;
}

/* the SELECT of a CREATE TABLE ... [AS] [(]SELECT from token i, or NULL */
static char *
ctas_select(const struct toks *t, size_t i)
{
	for (; i < t->n; i++) {
		if (is(t, i, "SELECT") || is(t, i, "WITH"))
			return xstrdup(at(t, i)->p);
		if (ispunct_(t, i, '(') && (is(t, i + 1, "SELECT") || is(t, i + 1, "WITH"))) {
			size_t e = closing(t, i);
			const struct tok *last = at(t, e - 1);

			if (e == t->n && ispunct_(t, e - 1, ')'))
				return xstrndup(at(t, i + 1)->p, (size_t)(last->p - at(t, i + 1)->p));
			return xstrdup(at(t, i)->p);
		}
	}
	return NULL;
}

bool
lsql_create_table(const char *stmt, struct lddl *d)
{
	struct toks t;
	size_t i = 0;

	memset(d, 0, sizeof(*d));
	lex(stmt, &t);
	if (!is(&t, i++, "CREATE")) {
		free(t.v);
		return false;
	}
	words(&t, &i, "OR", "REPLACE", NULL);
	if (is(&t, i, "TEMPORARY")) {
		d->temporary = true;
		i++;
	}
	if (!is(&t, i++, "TABLE") || (words(&t, &i, "IF", "NOT", "EXISTS"), !isname(&t, i))) {
		free(t.v);
		return false;
	}
	d->table = qualname(&t, &i);
	d->rest = xstrdup(at(&t, i)->p);
	if (ispunct_(&t, i, '(') && !is(&t, i + 1, "SELECT") && !is(&t, i + 1, "WITH"))
		i = defs(d, &t, i);
	d->select = ctas_select(&t, i);
	free(t.v);
	return true;
}

void
lddl_release(struct lddl *d)
{
	for (size_t i = 0; i < d->ncols; i++) {
		free(d->cols[i].name);
		free(d->cols[i].type);
	}
	free(d->cols);
	lstrs_release(&d->pk);
	for (size_t i = 0; i < d->nuniques; i++)
		lstrs_release(&d->uniques[i]);
	free(d->uniques);
	free(d->table);
	free(d->rest);
	free(d->select);
	memset(d, 0, sizeof(*d));
}

const char *
lddl_type(const struct lddl *d, const char *col)
{
	for (size_t i = 0; i < d->ncols; i++)
		if (strcasecmp(d->cols[i].name, col) == 0)
			return d->cols[i].type;
	return NULL;
}

/* one value of an INSERT's row, tokens from to to */
static void
insvalue(struct linsert *ins, const struct toks *t, size_t from, size_t to)
{
	ins->nvalues++;
	if (to == from + 2 && ispunct_(t, from, '%') && is(t, from + 1, "s"))
		ins->nplaceholders++;
	else if (!ins->other)
		ins->other = xstrndup(at(t, from)->p, (size_t)(at(t, to)->p - at(t, from)->p));
}

bool
lsql_insert(const char *stmt, struct linsert *ins)
{
	struct toks t;
	size_t i = 0, end, from;
	bool ok = false;

	memset(ins, 0, sizeof(*ins));
	lex(stmt, &t);
	if (!is(&t, i, "INSERT") && !is(&t, i, "REPLACE"))
		goto out;
	for (i++; is(&t, i, "IGNORE") || is(&t, i, "LOW_PRIORITY") || is(&t, i, "DELAYED") ||
	     is(&t, i, "HIGH_PRIORITY") || is(&t, i, "INTO"); i++)
		;
	if (!(ins->table = qualname(&t, &i)))
		goto out;
	if (ispunct_(&t, i, '(') && !collist(&t, &i, &ins->cols))
		goto out;
	if ((!is(&t, i, "VALUES") && !is(&t, i, "VALUE")) || !ispunct_(&t, i + 1, '('))
		goto out;
	end = closing(&t, i + 1) - 1;
	for (from = i += 2; i <= end; ) {
		if (ispunct_(&t, i, '(')) {
			i = closing(&t, i);
			continue;
		}
		if ((ispunct_(&t, i, ',') || i == end) && i > from) {
			insvalue(ins, &t, from, i);
			from = i + 1;
		}
		i++;
	}
	ok = true;
out:
	if (!ok)
		linsert_release(ins);
	free(t.v);
	return ok;
}

void
linsert_release(struct linsert *ins)
{
	free(ins->table);
	free(ins->other);
	lstrs_release(&ins->cols);
	memset(ins, 0, sizeof(*ins));
}

/* words after which a trailing name is no alias */
static bool
noalias(const struct toks *t, size_t i)
{
	static const char *const kw[] = {
		"END", "NULL", "TRUE", "FALSE", "DAY", "HOUR", "MINUTE", "SECOND", "MONTH",
		"YEAR", "WEEK", "QUARTER", "MICROSECOND", "DISTINCT", "UNKNOWN",
	};

	for (size_t k = 0; k < LEN(kw); k++)
		if (is(t, i, kw[k]))
			return true;
	return isdigit((unsigned char)*at(t, i)->p);
}

/* the name of a select item from tokens from to to, or NULL; *star when it is a '*' */
static char *
itemname(const struct toks *t, size_t from, size_t to, bool *star)
{
	size_t last = to - 1;

	if (ispunct_(t, last, '*') && (last == from || ispunct_(t, last - 1, '.'))) {
		*star = true;
		return NULL;
	}
	if (last > from && is(t, last - 1, "AS") && (isname(t, last) || at(t, last)->k == TK_STRING))
		return at(t, last)->k == TK_STRING ? xstrndup(at(t, last)->p + 1, at(t, last)->n - 2)
		                                   : name(t, last);
	if (!isname(t, last) || noalias(t, last))
		return NULL;
	if (last == from || ispunct_(t, last - 1, '.')) {
		for (size_t j = from; j < last; j += 2)
			if (!isname(t, j) || !ispunct_(t, j + 1, '.'))
				return NULL;
		return name(t, last);
	}
	/* "expr alias": the token before is the end of an expression */
	if (ispunct_(t, last - 1, ')') || (isname(t, last - 1) && !noalias(t, last - 1)) ||
	    at(t, last - 1)->k == TK_STRING || isdigit((unsigned char)*at(t, last - 1)->p))
		return name(t, last);
	return NULL;
}

/* the index of the main SELECT, past a WITH clause */
static size_t
mainselect(const struct toks *t)
{
	size_t i = 0;

	while (ispunct_(t, i, '('))
		i++;
	if (!is(t, i, "WITH"))
		return i;
	for (i++; i < t->n && !is(t, i, "SELECT"); )
		i = ispunct_(t, i, '(') ? closing(t, i) : i + 1;
	return i;
}

long
lsql_select_columns(const char *stmt, char ***names)
{
	static const char *const mods[] = {
		"ALL", "DISTINCT", "DISTINCTROW", "HIGH_PRIORITY", "STRAIGHT_JOIN",
		"SQL_SMALL_RESULT", "SQL_BIG_RESULT", "SQL_BUFFER_RESULT", "SQL_CACHE",
		"SQL_NO_CACHE", "SQL_CALC_FOUND_ROWS",
	};
	struct toks t;
	size_t i, from;
	long n = 0;
	bool star = false, more = true;

	*names = NULL;
	lex(stmt, &t);
	i = mainselect(&t);
	if (!is(&t, i++, "SELECT")) {
		free(t.v);
		return -1;
	}
	for (size_t k = 0; k < LEN(mods); k++)
		if (is(&t, i, mods[k])) {
			i++;
			k = (size_t)-1;
		}
	for (from = i; more && !star; ) {
		if (ispunct_(&t, i, '(')) {
			i = closing(&t, i);
			continue;
		}
		more = !(i >= t.n || is(&t, i, "FROM") || is(&t, i, "INTO") || is(&t, i, "UNION") ||
		         is(&t, i, "WHERE") || is(&t, i, "ORDER") || is(&t, i, "LIMIT") ||
		         ispunct_(&t, i, ')') || ispunct_(&t, i, ';'));
		if ((!more || ispunct_(&t, i, ',')) && i > from) {
			*names = xreallocarray(*names, (size_t)n + 1, sizeof(**names));
			(*names)[n++] = itemname(&t, from, i, &star);
			from = i + 1;
		}
		i++;
	}
	free(t.v);
	if (star || n == 0) {
		lsql_names_free(*names, n);
		*names = NULL;
		return -1;
	}
	return n;
}

void
lsql_names_free(char **names, long n)
{
	for (long i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ALTER TABLE t ADD ...: the index it adds, from token i (past ADD) */
static enum lindex
alteradd(const struct toks *t, size_t i, struct strlist *cols)
{
	enum lindex k = LIX_INDEX;

	if (is(t, i, "CONSTRAINT"))
		i += isname(t, i + 1) && !is(t, i + 1, "PRIMARY") && !is(t, i + 1, "UNIQUE") ? 2 : 1;
	if (is(t, i, "PRIMARY") && is(t, i + 1, "KEY")) {
		k = LIX_PRIMARY;
		i += 2;
	} else if (is(t, i, "UNIQUE")) {
		k = LIX_UNIQUE;
		i += is(t, i + 1, "INDEX") || is(t, i + 1, "KEY") ? 2 : 1;
	} else if (is(t, i, "INDEX") || is(t, i, "KEY")) {
		i++;
	} else {
		return LIX_NONE;
	}
	if (!ispunct_(t, i, '(') && isname(t, i))
		i++;
	if (!collist(t, &i, cols))
		return LIX_NONE;
	if (i != t->n) {
		lstrs_release(cols);
		return LIX_NONE;
	}
	return k;
}

enum lindex
lsql_index(const char *stmt, char **table, struct strlist *cols)
{
	struct toks t;
	size_t i = 0;
	enum lindex k = LIX_NONE;

	*table = NULL;
	memset(cols, 0, sizeof(*cols));
	lex(stmt, &t);
	if (is(&t, i, "CREATE")) {
		bool unique = is(&t, ++i, "UNIQUE");

		i += unique;
		if (is(&t, i, "INDEX") && isname(&t, i + 1) && is(&t, i + 2, "ON")) {
			i += 3;
			if ((*table = qualname(&t, &i)) && collist(&t, &i, cols) && i == t.n)
				k = unique ? LIX_UNIQUE : LIX_INDEX;
		}
	} else if (is(&t, i, "ALTER") && is(&t, i + 1, "TABLE")) {
		i += 2;
		if ((*table = qualname(&t, &i)) && is(&t, i, "ADD"))
			k = alteradd(&t, i + 1, cols);
	}
	if (k == LIX_NONE) {
		free(*table);
		*table = NULL;
		lstrs_release(cols);
	}
	free(t.v);
	return k;
}

char *
lsql_drop_table(const char *stmt)
{
	struct toks t;
	size_t i = 2;
	char *tbl = NULL;

	lex(stmt, &t);
	if (is(&t, 0, "DROP") && is(&t, 1, "TABLE")) {
		words(&t, &i, "IF", "EXISTS", NULL);
		tbl = qualname(&t, &i);
		if (i != t.n) {
			free(tbl);
			tbl = NULL;
		}
	}
	free(t.v);
	return tbl;
}

char *
lsql_call_name(const char *stmt)
{
	struct toks t;
	size_t i = 1;
	char *n = NULL;

	lex(stmt, &t);
	if (is(&t, 0, "CALL"))
		n = qualname(&t, &i);
	free(t.v);
	return n;
}

char *
lsql_routine_name(const char *stmt, bool *func)
{
	struct toks t;
	size_t i = 1;
	char *n = NULL;

	lex(stmt, &t);
	if (!is(&t, 0, "CREATE"))
		goto out;
	words(&t, &i, "OR", "REPLACE", NULL);
	if (is(&t, i, "DEFINER")) {
		/* DEFINER = user@host or CURRENT_USER[()] */
		for (i += 2; i < t.n && !is(&t, i, "PROCEDURE") && !is(&t, i, "FUNCTION"); i++)
			;
	}
	if (is(&t, i, "AGGREGATE"))
		i++;
	if (!is(&t, i, "PROCEDURE") && !is(&t, i, "FUNCTION"))
		goto out;
	*func = is(&t, i++, "FUNCTION");
	words(&t, &i, "IF", "NOT", "EXISTS");
	n = qualname(&t, &i);
out:
	free(t.v);
	return n;
}

char *
lsql_drop_routine(const char *stmt)
{
	struct toks t;
	size_t i = 2;
	char *n = NULL;

	lex(stmt, &t);
	if (is(&t, 0, "DROP") && (is(&t, 1, "PROCEDURE") || is(&t, 1, "FUNCTION"))) {
		words(&t, &i, "IF", "EXISTS", NULL);
		n = qualname(&t, &i);
	}
	free(t.v);
	return n;
}

char *
lsql_written_table(const char *stmt)
{
	struct toks t;
	char *ins = NULL, *n = NULL;

	lex(stmt, &t);
	for (size_t i = 0; i < t.n && !n; i++) {
		size_t j = i + 1;

		if (is(&t, i, "CREATE") && is(&t, j, "TABLE")) {
			j++;
			words(&t, &j, "IF", "NOT", "EXISTS");
			n = qualname(&t, &j);
		} else if (!ins && (is(&t, i, "INSERT") || is(&t, i, "REPLACE")) && is(&t, j, "INTO")) {
			j++;
			ins = qualname(&t, &j);
		} else if (!ins && (is(&t, i, "INSERT") || is(&t, i, "REPLACE")) && isname(&t, j) &&
		           !is(&t, j, "IGNORE") && ispunct_(&t, j + 1, '(')) {
			ins = qualname(&t, &j);
		}
	}
	free(t.v);
	if (n) {
		free(ins);
		return n;
	}
	return ins;
}

bool
lsql_is_create_database(const char *stmt)
{
	struct toks t;
	bool yes;

	lex(stmt, &t);
	yes = is(&t, 0, "CREATE") && (is(&t, 1, "DATABASE") || is(&t, 1, "SCHEMA"));
	free(t.v);
	return yes;
}

bool
lsql_has_placeholder(const char *stmt)
{
	struct toks t;
	bool yes = false;

	lex(stmt, &t);
	for (size_t i = 0; i + 1 < t.n && !yes; i++)
		yes = ispunct_(&t, i, '%') && is(&t, i + 1, "s") && at(&t, i + 1)->p == at(&t, i)->p + 1;
	free(t.v);
	return yes;
}

bool
lsql_plain_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

void
lstrs_add(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

bool
lstrs_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

void
lstrs_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
