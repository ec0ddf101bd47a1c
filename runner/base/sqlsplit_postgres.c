/*
 * sqlsplit_postgres.c: the rules psql splits a script by (its lexer,
 * psqlscan.l): ';' ends a statement outside parentheses and outside the
 * BEGIN ... END body of a CREATE FUNCTION or PROCEDURE; dollar quotes,
 * E'...' strings with backslash escapes, standard-conforming '...' strings,
 * "identifiers", -- comments and nested C comments
 */
#include "sqlsplit_impl.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a letter, '_' or any byte of a multibyte character: what starts an identifier */
static bool
identstart(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
isdigit_(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* what continues a dollar quote's tag */
static bool
tagcont(unsigned char c)
{
	return identstart(c) || isdigit_(c);
}

/* how far the characters from i that ok takes run */
static size_t
run(const struct scan *s, size_t i, bool (*ok)(unsigned char))
{
	while (i < s->len && ok((unsigned char)s->p[i]))
		i++;
	return i;
}

/* what continues an identifier: a '$' too */
static bool
identcont(unsigned char c)
{
	return tagcont(c) || c == '$';
}

/* what continues a number (or a parameter): its junk too, as the server reads it */
static bool
numcont(unsigned char c)
{
	return tagcont(c) || c == '.';
}

/* length of the dollar quote opening at i ("$$", "$tag$"), else 0 */
static size_t
dollaropen(const struct scan *s, size_t i)
{
	size_t j = i + 1;

	if (j < s->len && identstart((unsigned char)s->p[j]))
		j = run(s, j + 1, tagcont);
	return j < s->len && s->p[j] == '$' ? j + 1 - i : 0;
}

/* a dollar-quoted string: its body runs to the first copy of its opening */
static int
skipdollar(struct scan *s, size_t open)
{
	const char *tag = s->p + s->i;
	size_t i;
	int line = s->line, rc;
	char *what;

	for (i = s->i + open; i + open <= s->len; i++) {
		if (s->p[i] == '$' && memcmp(s->p + i, tag, open) == 0) {
			s->i = i + open;
			return 0;
		}
		if (s->p[i] == '\n')
			s->line++;
	}
	what = xasprintf("unterminated dollar-quoted string %.*s", (int)open, tag);
	rc = sc_fail(s, what, line);
	free(what);
	return rc;
}

/* a C comment; they nest */
static int
skipcomment(struct scan *s)
{
	int line = s->line, depth = 0;

	while (s->i < s->len) {
		if (sc_at(s, "/*")) {
			depth++;
			s->i += 2;
		} else if (sc_at(s, "*/")) {
			s->i += 2;
			if (--depth == 0)
				return 0;
		} else {
			s->line += s->p[s->i] == '\n';
			s->i++;
		}
	}
	return sc_fail(s, "unterminated comment", line);
}

/*
 * the word just scanned, for psql's heuristic: in a statement that begins
 * CREATE [OR REPLACE] FUNCTION or PROCEDURE, BEGIN ... END (and CASE ... END
 * in it) outside parentheses hold the ';' of a SQL-standard body
 */
static void
word(struct scan *s, const char *w, size_t n)
{
	static const char *const heads[] = { "create", "function", "procedure", "or", "replace" };
	const char *c = s->words;

	if (s->nwords < (int)sizeof(s->words))
		for (size_t k = 0; k < sizeof(heads) / sizeof(*heads); k++)
			if (strlen(heads[k]) == n && strncasecmp(w, heads[k], n) == 0)
				s->words[s->nwords] = heads[k][0];
	s->nwords++;
	if (c[0] != 'c' || s->parens > 0 || !(c[1] == 'f' || c[1] == 'p' ||
	    (c[1] == 'o' && c[2] == 'r' && (c[3] == 'f' || c[3] == 'p'))))
		return;
	if (n == 5 && strncasecmp(w, "begin", n) == 0)
		s->begins++;
	else if (n == 4 && strncasecmp(w, "case", n) == 0 && s->begins > 0)
		s->begins++;
	else if (n == 3 && strncasecmp(w, "end", n) == 0 && s->begins > 0)
		s->begins--;
}

/* the statement ends at this ';' */
static void
endstmt(struct scan *s)
{
	sc_emit(s);
	s->gap = false;
	sc_put(s, ";", 1);
	sc_break(s);
	s->i++;
	s->nwords = 0;
	memset(s->words, 0, sizeof(s->words));
	s->begins = s->parens = 0;
}

/*
 * a token that is text of the statement: an identifier or keyword (a '$' may
 * follow its first character), a number, a parameter ($1), a string (E'...'
 * takes backslash escapes), a dollar-quoted string or one character
 */
static int
token(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p;
	size_t i = s->i, open;
	int line = s->line;

	if (identstart(p[i])) {
		s->i = run(s, i + 1, identcont);
		if (s->i == i + 1 && (p[i] == 'E' || p[i] == 'e') && s->i < s->len && p[s->i] == '\'') {
			if (sc_skipquoted(s, true) < 0)
				return -1;
		} else {
			word(s, s->p + i, s->i - i);
		}
	} else if (isdigit_(p[i]) || (p[i] == '$' && i + 1 < s->len && isdigit_(p[i + 1]))) {
		s->i = run(s, i + 1, numcont);
	} else if (p[i] == '\'' || p[i] == '"') {
		if (sc_skipquoted(s, false) < 0)
			return -1;
	} else if (p[i] == '$' && (open = dollaropen(s, i))) {
		if (skipdollar(s, open) < 0)
			return -1;
	} else {
		if (p[i] == '(')
			s->parens++;
		else if (p[i] == ')' && s->parens > 0)
			s->parens--;
		s->i++;
	}
	sc_mark(s, i, line);
	sc_put(s, s->p + i, s->i - i);
	return 0;
}

int
sc_step_postgres(struct scan *s)
{
	size_t i = s->i;
	bool hint;

	if (s->p[i] == ';' && s->parens == 0 && s->begins == 0) {
		endstmt(s);
		return 0;
	}
	if (sc_space(s))
		return 0;
	if (sc_at(s, "--")) {
		sc_skipline(s);
		s->gap = true;
		return 0;
	}
	if (sc_at(s, "/*")) {
		int line = s->line;

		/* an optimizer hint (pg_hint_plan) is read in the statement's first comment */
		hint = sc_at(s, "/*+");
		if (skipcomment(s) < 0)
			return -1;
		if (hint) {
			sc_mark(s, i, line);
			sc_put(s, s->p + i, s->i - i);
		} else {
			s->gap = true;
		}
		return 0;
	}
	return token(s);
}
