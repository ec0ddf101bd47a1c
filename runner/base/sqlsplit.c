/*
 * sqlsplit.c: split a script into statements, as the client of its database
 * does: the scanner, and the rules of the mariadb client (PostgreSQL's:
 * sqlsplit_postgres.c)
 */
#include "sqlsplit_impl.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool
sc_isblank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool
sc_isspace(int c)
{
	return c == '\n' || sc_isblank(c);
}

int
sc_fail(struct scan *s, const char *what, int line)
{
	s->err = xasprintf("%s starting at line %d", what, line);
	return -1;
}

/*
 * text of the script into the normal form, after one space if a gap came
 * before, unless the gap is after '(' or ',' or before ')' or ',': tokens that
 * stand alone however they are spaced (a gap before '(' stays: "SUM (x)" is not
 * "SUM(x)" to the server)
 */
void
sc_put(struct scan *s, const char *p, size_t n)
{
	struct buf *b = s->norm;
	char last;

	if (!b)
		return;
	last = b->len ? b->s[b->len - 1] : '\n';
	if (s->gap && last != '\n' && last != '(' && last != ',' && *p != ')' && *p != ',')
		buf_addc(b, ' ');
	s->gap = false;
	buf_add(b, p, n);
}

/* a line break of the normal form: after a statement, around a DELIMITER directive */
void
sc_break(struct scan *s)
{
	if (s->norm && s->norm->len && s->norm->s[s->norm->len - 1] != '\n')
		buf_addc(s->norm, '\n');
	s->gap = false;
}

void
sc_emit(struct scan *s)
{
	struct sqlstmt *st;

	if (!s->have)
		return;
	if (s->norm) {
		s->have = false;
		return;
	}
	if (s->out->nstmts == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->out->stmts = xreallocarray(s->out->stmts, s->cap, sizeof(*s->out->stmts));
	}
	st = &s->out->stmts[s->out->nstmts++];
	st->sql = xstrndup(s->p + s->start, s->end - s->start);
	st->line = s->startline;
	s->have = false;
}

/* note significant text from "from" (on line "line") up to the scan position */
void
sc_mark(struct scan *s, size_t from, int line)
{
	if (!s->have) {
		s->have = true;
		s->start = from;
		s->startline = line;
	}
	s->end = s->i;
}

bool
sc_at(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len - s->i >= n && memcmp(s->p + s->i, lit, n) == 0;
}

/* "-- " comment: two dashes then a blank or the end of the line */
static bool
dashcomment(struct scan *s)
{
	size_t i = s->i;

	if (!sc_at(s, "--"))
		return false;
	/* the client also takes "--" opening a statement as a comment */
	return i + 2 == s->len || sc_isspace((unsigned char)s->p[i + 2]) || !s->have;
}

/* stop on the newline, so that the caller counts it */
void
sc_skipline(struct scan *s)
{
	const char *nl = memchr(s->p + s->i, '\n', s->len - s->i);

	s->i = nl ? (size_t)(nl - s->p) : s->len;
}

/*
 * the quoted text at the scan position: its quote character closes it, but
 * not doubled, nor after a backslash when backslash is set
 */
int
sc_skipquoted(struct scan *s, bool backslash)
{
	char q = s->p[s->i];
	int line = s->line;
	bool ident = q == '`' || (s->dialect == SQL_POSTGRES && q == '"');

	for (s->i++; s->i < s->len; s->i++) {
		char c = s->p[s->i];

		if (c == q) {
			if (s->i + 1 < s->len && s->p[s->i + 1] == q) {
				s->i++;
				continue;
			}
			s->i++;
			return 0;
		}
		if (c == '\\' && backslash && s->i + 1 < s->len)
			c = s->p[++s->i];
		if (c == '\n')
			s->line++;
	}
	return sc_fail(s, ident ? "unterminated quoted identifier" : "unterminated string", line);
}

/* a MariaDB quote: backslash escapes in strings, none in `identifiers` */
static int
skipquoted(struct scan *s)
{
	return sc_skipquoted(s, s->p[s->i] != '`');
}

static int
skipcomment(struct scan *s)
{
	int line = s->line;

	for (s->i += 2; s->i < s->len; s->i++) {
		if (sc_at(s, "*/")) {
			s->i += 2;
			return 0;
		}
		if (s->p[s->i] == '\n')
			s->line++;
	}
	return sc_fail(s, "unterminated comment", line);
}

/* length of a version comment opening (slash, star, then ! or M!), else 0 */
static size_t
versionopen(struct scan *s)
{
	if (sc_at(s, "/*!"))
		return 3;
	if (sc_at(s, "/*M!"))
		return 4;
	return 0;
}

/* the M!999999 sandbox comment that mariadb-dump writes first runs on no server */
static bool
neverruns(struct scan *s, size_t open)
{
	size_t n = strlen("999999");

	return s->len - s->i - open >= n && memcmp(s->p + s->i + open, "999999", n) == 0;
}

/* a version comment is SQL: quotes and comments nest in it, delimiters do not end it */
static int
skipversion(struct scan *s, size_t open)
{
	int line = s->line;

	s->i += open;
	while (s->i < s->len) {
		char c = s->p[s->i];

		if (sc_at(s, "*/")) {
			s->i += 2;
			return 0;
		}
		if (c == '\'' || c == '"' || c == '`') {
			if (skipquoted(s) < 0)
				return -1;
		} else if (sc_at(s, "/*")) {
			if (skipcomment(s) < 0)
				return -1;
		} else if (c == '#' || (sc_at(s, "--") && (s->i + 2 == s->len ||
		    sc_isspace((unsigned char)s->p[s->i + 2])))) {
			sc_skipline(s);
		} else {
			if (c == '\n')
				s->line++;
			s->i++;
		}
	}
	return sc_fail(s, "unterminated comment", line);
}

/* "DELIMITER xx" at the start of a line, outside any statement */
static bool
isdirective(struct scan *s)
{
	size_t n = strlen("delimiter");

	if (s->len - s->i < n || strncasecmp(s->p + s->i, "delimiter", n) != 0)
		return false;
	return s->i + n == s->len || sc_isspace((unsigned char)s->p[s->i + n]);
}

static int
directive(struct scan *s)
{
	const char *p = s->p;
	size_t i = s->i + strlen("delimiter"), b, e;

	while (i < s->len && sc_isblank((unsigned char)p[i]))
		i++;
	if (i < s->len && (p[i] == '\'' || p[i] == '"' || p[i] == '`')) {
		char q = p[i];

		for (b = e = i + 1; e < s->len && p[e] != q && p[e] != '\n'; e++)
			;
	} else {
		for (b = e = i; e < s->len && !sc_isspace((unsigned char)p[e]); e++)
			;
	}
	if (e == b) {
		s->err = xasprintf("DELIMITER must be followed by a delimiter at line %d", s->line);
		return -1;
	}
	if (memchr(p + b, '\\', e - b)) {
		s->err = xasprintf("DELIMITER cannot contain a backslash at line %d", s->line);
		return -1;
	}
	s->delim = p + b;
	s->dlen = e - b;
	sc_break(s);
	sc_put(s, "DELIMITER ", strlen("DELIMITER "));
	sc_put(s, s->delim, s->dlen);
	sc_break(s);
	/* the client ignores the rest of the line */
	sc_skipline(s);
	return 0;
}

/* a comment the server reads: a version comment or an optimizer hint */
static bool
kept(struct scan *s)
{
	return versionopen(s) || sc_at(s, "/*+");
}

/* a blank or a newline at the scan position, passed: a gap; false if none */
bool
sc_space(struct scan *s)
{
	unsigned char c = s->p[s->i];

	if (c == '\n') {
		s->line++;
		s->bol = true;
	} else if (!sc_isblank(c)) {
		return false;
	}
	s->i++;
	s->gap = true;
	return true;
}

static int
step_mariadb(struct scan *s)
{
	const char *p = s->p;
	size_t i = s->i, open;
	unsigned char c = p[i];
	bool keep;

	if (s->bol && !s->have && isdirective(s))
		return directive(s);
	if (s->len - i >= s->dlen && memcmp(p + i, s->delim, s->dlen) == 0) {
		sc_emit(s);
		s->gap = false;
		sc_put(s, s->delim, s->dlen);
		sc_break(s);
		s->i += s->dlen;
		s->bol = false;
		return 0;
	}
	if (sc_space(s))
		return 0;
	s->bol = false;
	if (c == '#' || dashcomment(s)) {
		sc_skipline(s);
		s->gap = true;
		return 0;
	}
	if ((open = versionopen(s)) && !neverruns(s, open)) {
		int line = s->line;

		if (skipversion(s, open) < 0)
			return -1;
		sc_mark(s, i, line);
		sc_put(s, p + i, s->i - i);
		return 0;
	}
	if (sc_at(s, "/*")) {
		keep = kept(s);
		if (skipcomment(s) < 0)
			return -1;
		if (keep)
			sc_put(s, p + i, s->i - i);
		else
			s->gap = true;
		return 0;
	}
	if (c == '\'' || c == '"' || c == '`') {
		int line = s->line;

		if (skipquoted(s) < 0)
			return -1;
		sc_mark(s, i, line);
		sc_put(s, p + i, s->i - i);
		return 0;
	}
	s->i++;
	sc_mark(s, i, s->line);
	sc_put(s, p + i, 1);
	return 0;
}

/* scan text into out (statements) or s->norm (the normal form) */
static int
scan(struct scan *s, const char *text, size_t len, struct sqlscript *out, char **err)
{
	const char *nul = memchr(text, '\0', len), *c;
	int line = 1;

	out->stmts = NULL;
	out->nstmts = 0;
	if (err)
		*err = NULL;
	if (nul) {
		/* statements are C strings: a NUL would end one silently */
		for (c = text; c < nul; c++)
			line += *c == '\n';
		if (err)
			*err = xasprintf("NUL byte at line %d: the script is not text", line);
		return -1;
	}
	s->p = text;
	s->len = len;
	s->line = 1;
	s->bol = true;
	s->delim = ";";
	s->dlen = 1;
	s->out = out;
	while (s->i < s->len) {
		if ((s->dialect == SQL_POSTGRES ? sc_step_postgres(s) : step_mariadb(s)) < 0) {
			sqlscript_release(out);
			if (err)
				*err = s->err;
			else
				free(s->err);
			return -1;
		}
	}
	sc_emit(s);
	return 0;
}

enum sql_dialect
sql_dialect_of(const char *driver)
{
	return driver && strcmp(driver, "postgres") == 0 ? SQL_POSTGRES : SQL_MARIADB;
}

int
sqlsplit(const char *text, size_t len, enum sql_dialect dialect, struct sqlscript *out,
         char **err)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	s.dialect = dialect;
	return scan(&s, text, len, out, err);
}

char *
sqlnormal(const char *text, size_t len, enum sql_dialect dialect, char **err)
{
	struct sqlscript none;
	struct scan s;
	struct buf b;

	memset(&s, 0, sizeof(s));
	s.dialect = dialect;
	buf_init(&b);
	buf_adds(&b, "");
	s.norm = &b;
	if (scan(&s, text, len, &none, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	while (b.len && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == ' '))
		b.s[--b.len] = '\0';
	return buf_detach(&b);
}

void
sqlscript_release(struct sqlscript *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nstmts; i++)
		free(s->stmts[i].sql);
	free(s->stmts);
	s->stmts = NULL;
	s->nstmts = 0;
}
