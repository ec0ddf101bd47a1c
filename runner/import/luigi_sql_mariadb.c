/*
 * luigi_sql_mariadb.c: the MariaDB/MySQL statements of the Luigi pipeline's
 * task configs, read as far as the importer needs, and the names it writes
 */
#include "luigi_lex.h"
#include "luigi_sql.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
		if (lx_is(t, i, stop[k]))
			return true;
	return false;
}

static void
addcol(struct lddl *d, const struct toks *t, size_t from, size_t to)
{
	size_t j = from + 1, last = j;
	const char *s, *e;

	while (j < to && !endstype(t, j)) {
		j = lx_punct(t, j, '(') ? lx_closing(t, j) : j + 1;
		last = j;
	}
	d->cols = xreallocarray(d->cols, d->ncols + 1, sizeof(*d->cols));
	s = lx_at(t, from + 1)->p;
	e = last > from + 1 ? lx_at(t, last - 1)->p + lx_at(t, last - 1)->n : s;
	d->cols[d->ncols].name = lx_name(t, from);
	d->cols[d->ncols].type = xstrndup(s, (size_t)(e - s));
	d->ncols++;
	for (; j + 1 < to; j++)
		if (lx_is(t, j, "PRIMARY") && lx_is(t, j + 1, "KEY"))
			lstrs_add(&d->pk, d->cols[d->ncols - 1].name);
}

/* one definition of a CREATE TABLE, tokens from to to (a comma or ')') */
static void
adddef(struct lddl *d, const struct toks *t, size_t from, size_t to)
{
	size_t j = from;
	struct strlist cols = { 0 };

	if (lx_is(t, j, "CONSTRAINT"))
		j += lx_isname(t, j + 1) && !lx_is(t, j + 1, "PRIMARY") && !lx_is(t, j + 1, "UNIQUE") ? 2 : 1;
	if (lx_is(t, j, "PRIMARY") && lx_is(t, j + 1, "KEY")) {
		j += 2;
		if (!lx_punct(t, j, '('))
			j++;
		if (lx_collist(t, &j, &cols)) {
			strlist_release(&d->pk);
			d->pk = cols;
		}
		return;
	}
	if (lx_is(t, j, "UNIQUE")) {
		j++;
		while (j < to && !lx_punct(t, j, '('))
			j++;
		if (lx_collist(t, &j, &cols)) {
			d->uniques = xreallocarray(d->uniques, d->nuniques + 1, sizeof(*d->uniques));
			d->uniques[d->nuniques++] = cols;
		}
		return;
	}
	if (lx_is(t, j, "KEY") || lx_is(t, j, "INDEX")) {
		j++;
		while (j < to && !lx_punct(t, j, '('))
			j++;
		if (lx_collist(t, &j, &cols)) {
			d->keys = xreallocarray(d->keys, d->nkeys + 1, sizeof(*d->keys));
			d->keys[d->nkeys++] = cols;
		}
		return;
	}
	if (lx_is(t, j, "FOREIGN") || lx_is(t, j, "FULLTEXT") ||
	    lx_is(t, j, "SPATIAL") || lx_is(t, j, "CHECK") || lx_is(t, j, "PERIOD") || j != from)
		return;
	if (lx_isname(t, j))
		addcol(d, t, j, to);
}

/* the definitions "( ... )" at i; returns the index past it */
static size_t
defs(struct lddl *d, const struct toks *t, size_t i)
{
	size_t end = lx_closing(t, i), from = i + 1;

	for (size_t j = i + 1; j < end; ) {
		if (lx_punct(t, j, '(')) {
			j = lx_closing(t, j);
			continue;
		}
		if (lx_punct(t, j, ',') || j == end - 1) {
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
		if (lx_is(t, i, "SELECT") || lx_is(t, i, "WITH"))
			return xstrdup(lx_at(t, i)->p);
		if (lx_punct(t, i, '(') && (lx_is(t, i + 1, "SELECT") || lx_is(t, i + 1, "WITH"))) {
			size_t e = lx_closing(t, i);
			const struct tok *last = lx_at(t, e - 1);

			if (e == t->n && lx_punct(t, e - 1, ')'))
				return xstrndup(lx_at(t, i + 1)->p, (size_t)(last->p - lx_at(t, i + 1)->p));
			return xstrdup(lx_at(t, i)->p);
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
	lx_lex(stmt, &t);
	if (!lx_is(&t, i++, "CREATE")) {
		free(t.v);
		return false;
	}
	lx_words(&t, &i, "OR", "REPLACE", NULL);
	if (lx_is(&t, i, "TEMPORARY")) {
		d->temporary = true;
		i++;
	}
	if (!lx_is(&t, i++, "TABLE") || (lx_words(&t, &i, "IF", "NOT", "EXISTS"), !lx_isname(&t, i))) {
		free(t.v);
		return false;
	}
	d->table = lx_qualname(&t, &i);
	d->rest = xstrdup(lx_at(&t, i)->p);
	if (lx_punct(&t, i, '(') && !lx_is(&t, i + 1, "SELECT") && !lx_is(&t, i + 1, "WITH"))
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
	strlist_release(&d->pk);
	for (size_t i = 0; i < d->nuniques; i++)
		strlist_release(&d->uniques[i]);
	free(d->uniques);
	for (size_t i = 0; i < d->nkeys; i++)
		strlist_release(&d->keys[i]);
	free(d->keys);
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
	if (to == from + 2 && lx_punct(t, from, '%') && lx_is(t, from + 1, "s"))
		ins->nplaceholders++;
	else if (!ins->other)
		ins->other = xstrndup(lx_at(t, from)->p, (size_t)(lx_at(t, to)->p - lx_at(t, from)->p));
}

bool
lsql_insert(const char *stmt, struct linsert *ins)
{
	struct toks t;
	size_t i = 0, end, from;
	bool ok = false;

	memset(ins, 0, sizeof(*ins));
	lx_lex(stmt, &t);
	if (!lx_is(&t, i, "INSERT") && !lx_is(&t, i, "REPLACE"))
		goto out;
	for (i++; lx_is(&t, i, "IGNORE") || lx_is(&t, i, "LOW_PRIORITY") || lx_is(&t, i, "DELAYED") ||
	     lx_is(&t, i, "HIGH_PRIORITY") || lx_is(&t, i, "INTO"); i++)
		;
	if (!(ins->table = lx_qualname(&t, &i)))
		goto out;
	if (lx_punct(&t, i, '(') && !lx_collist(&t, &i, &ins->cols))
		goto out;
	if ((!lx_is(&t, i, "VALUES") && !lx_is(&t, i, "VALUE")) || !lx_punct(&t, i + 1, '('))
		goto out;
	end = lx_closing(&t, i + 1) - 1;
	for (from = i += 2; i <= end; ) {
		if (lx_punct(&t, i, '(')) {
			i = lx_closing(&t, i);
			continue;
		}
		if ((lx_punct(&t, i, ',') || i == end) && i > from) {
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
	strlist_release(&ins->cols);
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
		if (lx_is(t, i, kw[k]))
			return true;
	return isdigit((unsigned char)*lx_at(t, i)->p);
}

/* the name of a select item from tokens from to to, or NULL; *star when it is a '*' */
static char *
itemname(const struct toks *t, size_t from, size_t to, bool *star)
{
	size_t last = to - 1;

	if (lx_punct(t, last, '*') && (last == from || lx_punct(t, last - 1, '.'))) {
		*star = true;
		return NULL;
	}
	if (last > from && lx_is(t, last - 1, "AS") && (lx_isname(t, last) || lx_at(t, last)->k == TK_STRING))
		return lx_at(t, last)->k == TK_STRING ? xstrndup(lx_at(t, last)->p + 1, lx_at(t, last)->n - 2)
		                                   : lx_name(t, last);
	if (!lx_isname(t, last) || noalias(t, last))
		return NULL;
	if (last == from || lx_punct(t, last - 1, '.')) {
		for (size_t j = from; j < last; j += 2)
			if (!lx_isname(t, j) || !lx_punct(t, j + 1, '.'))
				return NULL;
		return lx_name(t, last);
	}
	/* "expr alias": the token before is the end of an expression */
	if (lx_punct(t, last - 1, ')') || (lx_isname(t, last - 1) && !noalias(t, last - 1)) ||
	    lx_at(t, last - 1)->k == TK_STRING || isdigit((unsigned char)*lx_at(t, last - 1)->p))
		return lx_name(t, last);
	return NULL;
}

/* the index of the main SELECT, past a WITH clause */
static size_t
mainselect(const struct toks *t)
{
	size_t i = 0;

	while (lx_punct(t, i, '('))
		i++;
	if (!lx_is(t, i, "WITH"))
		return i;
	for (i++; i < t->n && !lx_is(t, i, "SELECT"); )
		i = lx_punct(t, i, '(') ? lx_closing(t, i) : i + 1;
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
	lx_lex(stmt, &t);
	i = mainselect(&t);
	if (!lx_is(&t, i++, "SELECT")) {
		free(t.v);
		return -1;
	}
	for (size_t k = 0; k < LEN(mods); k++)
		if (lx_is(&t, i, mods[k])) {
			i++;
			k = (size_t)-1;
		}
	for (from = i; more && !star; ) {
		if (lx_punct(&t, i, '(')) {
			i = lx_closing(&t, i);
			continue;
		}
		more = !(i >= t.n || lx_is(&t, i, "FROM") || lx_is(&t, i, "INTO") || lx_is(&t, i, "UNION") ||
		         lx_is(&t, i, "WHERE") || lx_is(&t, i, "ORDER") || lx_is(&t, i, "LIMIT") ||
		         lx_punct(&t, i, ')') || lx_punct(&t, i, ';'));
		if ((!more || lx_punct(&t, i, ',')) && i > from) {
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

	if (lx_is(t, i, "CONSTRAINT"))
		i += lx_isname(t, i + 1) && !lx_is(t, i + 1, "PRIMARY") && !lx_is(t, i + 1, "UNIQUE") ? 2 : 1;
	if (lx_is(t, i, "PRIMARY") && lx_is(t, i + 1, "KEY")) {
		k = LIX_PRIMARY;
		i += 2;
	} else if (lx_is(t, i, "UNIQUE")) {
		k = LIX_UNIQUE;
		i += lx_is(t, i + 1, "INDEX") || lx_is(t, i + 1, "KEY") ? 2 : 1;
	} else if (lx_is(t, i, "INDEX") || lx_is(t, i, "KEY")) {
		i++;
	} else {
		return LIX_NONE;
	}
	if (!lx_punct(t, i, '(') && lx_isname(t, i))
		i++;
	if (!lx_collist(t, &i, cols))
		return LIX_NONE;
	if (i != t->n) {
		strlist_release(cols);
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
	lx_lex(stmt, &t);
	if (lx_is(&t, i, "CREATE")) {
		bool unique = lx_is(&t, ++i, "UNIQUE");

		i += unique;
		if (lx_is(&t, i, "INDEX") && lx_isname(&t, i + 1) && lx_is(&t, i + 2, "ON")) {
			i += 3;
			if ((*table = lx_qualname(&t, &i)) && lx_collist(&t, &i, cols) && i == t.n)
				k = unique ? LIX_UNIQUE : LIX_INDEX;
		}
	} else if (lx_is(&t, i, "ALTER") && lx_is(&t, i + 1, "TABLE")) {
		i += 2;
		if ((*table = lx_qualname(&t, &i)) && lx_is(&t, i, "ADD"))
			k = alteradd(&t, i + 1, cols);
	}
	if (k == LIX_NONE) {
		free(*table);
		*table = NULL;
		strlist_release(cols);
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

	lx_lex(stmt, &t);
	if (lx_is(&t, 0, "DROP") && lx_is(&t, 1, "TABLE")) {
		lx_words(&t, &i, "IF", "EXISTS", NULL);
		tbl = lx_qualname(&t, &i);
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

	lx_lex(stmt, &t);
	if (lx_is(&t, 0, "CALL"))
		n = lx_qualname(&t, &i);
	free(t.v);
	return n;
}

char *
lsql_routine_name(const char *stmt, bool *func)
{
	struct toks t;
	size_t i = 1;
	char *n = NULL;

	lx_lex(stmt, &t);
	if (!lx_is(&t, 0, "CREATE"))
		goto out;
	lx_words(&t, &i, "OR", "REPLACE", NULL);
	if (lx_is(&t, i, "DEFINER")) {
		/* DEFINER = user@host or CURRENT_USER[()] */
		for (i += 2; i < t.n && !lx_is(&t, i, "PROCEDURE") && !lx_is(&t, i, "FUNCTION"); i++)
			;
	}
	if (lx_is(&t, i, "AGGREGATE"))
		i++;
	if (!lx_is(&t, i, "PROCEDURE") && !lx_is(&t, i, "FUNCTION"))
		goto out;
	*func = lx_is(&t, i++, "FUNCTION");
	lx_words(&t, &i, "IF", "NOT", "EXISTS");
	n = lx_qualname(&t, &i);
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

	lx_lex(stmt, &t);
	if (lx_is(&t, 0, "DROP") && (lx_is(&t, 1, "PROCEDURE") || lx_is(&t, 1, "FUNCTION"))) {
		lx_words(&t, &i, "IF", "EXISTS", NULL);
		n = lx_qualname(&t, &i);
	}
	free(t.v);
	return n;
}

char *
lsql_written_table(const char *stmt)
{
	struct toks t;
	char *ins = NULL, *n = NULL;

	lx_lex(stmt, &t);
	for (size_t i = 0; i < t.n && !n; i++) {
		size_t j = i + 1;

		if (lx_is(&t, i, "CREATE") && lx_is(&t, j, "TABLE")) {
			j++;
			lx_words(&t, &j, "IF", "NOT", "EXISTS");
			n = lx_qualname(&t, &j);
		} else if (!ins && (lx_is(&t, i, "INSERT") || lx_is(&t, i, "REPLACE")) && lx_is(&t, j, "INTO")) {
			j++;
			ins = lx_qualname(&t, &j);
		} else if (!ins && (lx_is(&t, i, "INSERT") || lx_is(&t, i, "REPLACE")) && lx_isname(&t, j) &&
		           !lx_is(&t, j, "IGNORE") && lx_punct(&t, j + 1, '(')) {
			ins = lx_qualname(&t, &j);
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

	lx_lex(stmt, &t);
	yes = lx_is(&t, 0, "CREATE") && (lx_is(&t, 1, "DATABASE") || lx_is(&t, 1, "SCHEMA"));
	free(t.v);
	return yes;
}

bool
lsql_has_placeholder(const char *stmt)
{
	struct toks t;
	bool yes = false;

	lx_lex(stmt, &t);
	for (size_t i = 0; i + 1 < t.n && !yes; i++)
		yes = lx_punct(&t, i, '%') && lx_is(&t, i + 1, "s") && lx_at(&t, i + 1)->p == lx_at(&t, i)->p + 1;
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

char *
lsql_ident(const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '`');
	for (const char *p = name; *p; p++) {
		if (*p == '`')
			buf_addc(&b, '`');
		buf_addc(&b, *p);
	}
	buf_addc(&b, '`');
	return buf_detach(&b);
}
