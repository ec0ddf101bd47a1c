/* sqlsplit.c: split a MariaDB/MySQL script into statements, as the mariadb client does */
#include "sqlsplit.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * one pass over the text. A statement is the slice from its first significant
 * character to the end of its last one, so leading and trailing comments and
 * blanks fall away while comments inside it are kept as written. Version
 * comments count as significant; plain comments do not.
 */
struct scan {
	const char *p;
	size_t len, i;
	int line;
	bool bol;          /* only blanks so far on this line */
	const char *delim;
	size_t dlen;
	bool have;         /* the current statement has significant text */
	size_t start, end; /* its slice */
	int startline;
	struct sqlscript *out;
	size_t cap;
	char *err;
	struct buf *norm;  /* sqlnormal: the text as compared, or NULL */
	bool gap;          /* ... white space or a comment since its last character */
};

static bool
isblank_(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool
isspace_(int c)
{
	return c == '\n' || isblank_(c);
}

static int
fail(struct scan *s, const char *what, int line)
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
static void
put(struct scan *s, const char *p, size_t n)
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
static void
putbreak(struct scan *s)
{
	if (s->norm && s->norm->len && s->norm->s[s->norm->len - 1] != '\n')
		buf_addc(s->norm, '\n');
	s->gap = false;
}

static void
emit(struct scan *s)
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
static void
mark(struct scan *s, size_t from, int line)
{
	if (!s->have) {
		s->have = true;
		s->start = from;
		s->startline = line;
	}
	s->end = s->i;
}

static bool
at(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len - s->i >= n && memcmp(s->p + s->i, lit, n) == 0;
}

/* "-- " comment: two dashes then a blank or the end of the line */
static bool
dashcomment(struct scan *s)
{
	size_t i = s->i;

	if (!at(s, "--"))
		return false;
	/* the client also takes "--" opening a statement as a comment */
	return i + 2 == s->len || isspace_((unsigned char)s->p[i + 2]) || !s->have;
}

/* stop on the newline, so that the caller counts it */
static void
skipline(struct scan *s)
{
	const char *nl = memchr(s->p + s->i, '\n', s->len - s->i);

	s->i = nl ? (size_t)(nl - s->p) : s->len;
}

static int
skipquoted(struct scan *s)
{
	char q = s->p[s->i];
	int line = s->line;

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
		if (c == '\\' && q != '`' && s->i + 1 < s->len)
			c = s->p[++s->i];
		if (c == '\n')
			s->line++;
	}
	return fail(s, q == '`' ? "unterminated quoted identifier" : "unterminated string", line);
}

static int
skipcomment(struct scan *s)
{
	int line = s->line;

	for (s->i += 2; s->i < s->len; s->i++) {
		if (at(s, "*/")) {
			s->i += 2;
			return 0;
		}
		if (s->p[s->i] == '\n')
			s->line++;
	}
	return fail(s, "unterminated comment", line);
}

/* length of a version comment opening (slash, star, then ! or M!), else 0 */
static size_t
versionopen(struct scan *s)
{
	if (at(s, "/*!"))
		return 3;
	if (at(s, "/*M!"))
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

		if (at(s, "*/")) {
			s->i += 2;
			return 0;
		}
		if (c == '\'' || c == '"' || c == '`') {
			if (skipquoted(s) < 0)
				return -1;
		} else if (at(s, "/*")) {
			if (skipcomment(s) < 0)
				return -1;
		} else if (c == '#' || (at(s, "--") && (s->i + 2 == s->len ||
		    isspace_((unsigned char)s->p[s->i + 2])))) {
			skipline(s);
		} else {
			if (c == '\n')
				s->line++;
			s->i++;
		}
	}
	return fail(s, "unterminated comment", line);
}

/* "DELIMITER xx" at the start of a line, outside any statement */
static bool
isdirective(struct scan *s)
{
	size_t n = strlen("delimiter");

	if (s->len - s->i < n || strncasecmp(s->p + s->i, "delimiter", n) != 0)
		return false;
	return s->i + n == s->len || isspace_((unsigned char)s->p[s->i + n]);
}

static int
directive(struct scan *s)
{
	const char *p = s->p;
	size_t i = s->i + strlen("delimiter"), b, e;

	while (i < s->len && isblank_((unsigned char)p[i]))
		i++;
	if (i < s->len && (p[i] == '\'' || p[i] == '"' || p[i] == '`')) {
		char q = p[i];

		for (b = e = i + 1; e < s->len && p[e] != q && p[e] != '\n'; e++)
			;
	} else {
		for (b = e = i; e < s->len && !isspace_((unsigned char)p[e]); e++)
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
	putbreak(s);
	put(s, "DELIMITER ", strlen("DELIMITER "));
	put(s, s->delim, s->dlen);
	putbreak(s);
	/* the client ignores the rest of the line */
	skipline(s);
	return 0;
}

/* a comment the server reads: a version comment or an optimizer hint */
static bool
kept(struct scan *s)
{
	return versionopen(s) || at(s, "/*+");
}

static int
step(struct scan *s)
{
	const char *p = s->p;
	size_t i = s->i, open;
	unsigned char c = p[i];
	bool keep;

	if (s->bol && !s->have && isdirective(s))
		return directive(s);
	if (s->len - i >= s->dlen && memcmp(p + i, s->delim, s->dlen) == 0) {
		emit(s);
		s->gap = false;
		put(s, s->delim, s->dlen);
		putbreak(s);
		s->i += s->dlen;
		s->bol = false;
		return 0;
	}
	if (c == '\n') {
		s->line++;
		s->bol = true;
		s->i++;
		s->gap = true;
		return 0;
	}
	if (isblank_(c)) {
		s->i++;
		s->gap = true;
		return 0;
	}
	s->bol = false;
	if (c == '#' || dashcomment(s)) {
		skipline(s);
		s->gap = true;
		return 0;
	}
	if ((open = versionopen(s)) && !neverruns(s, open)) {
		int line = s->line;

		if (skipversion(s, open) < 0)
			return -1;
		mark(s, i, line);
		put(s, p + i, s->i - i);
		return 0;
	}
	if (at(s, "/*")) {
		keep = kept(s);
		if (skipcomment(s) < 0)
			return -1;
		if (keep)
			put(s, p + i, s->i - i);
		else
			s->gap = true;
		return 0;
	}
	if (c == '\'' || c == '"' || c == '`') {
		int line = s->line;

		if (skipquoted(s) < 0)
			return -1;
		mark(s, i, line);
		put(s, p + i, s->i - i);
		return 0;
	}
	s->i++;
	mark(s, i, s->line);
	put(s, p + i, 1);
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
		if (step(s) < 0) {
			sqlscript_release(out);
			if (err)
				*err = s->err;
			else
				free(s->err);
			return -1;
		}
	}
	emit(s);
	return 0;
}

int
sqlsplit(const char *text, size_t len, struct sqlscript *out, char **err)
{
	struct scan s;

	memset(&s, 0, sizeof(s));
	return scan(&s, text, len, out, err);
}

char *
sqlnormal(const char *text, size_t len, char **err)
{
	struct sqlscript none;
	struct scan s;
	struct buf b;

	memset(&s, 0, sizeof(s));
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
