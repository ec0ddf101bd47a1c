/* luigi_lex.c: the tokens of MariaDB SQL, for reading the Luigi pipeline's statements */
#include "luigi_lex.h"
#include "luigi_sql.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void
lx_lex(const char *text, struct toks *t)
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

const struct tok *
lx_at(const struct toks *t, size_t i)
{
	return &t->v[i < t->n ? i : t->n];
}

/* token i is the keyword kw */
bool
lx_is(const struct toks *t, size_t i, const char *kw)
{
	const struct tok *k = lx_at(t, i);

	return k->k == TK_WORD && k->n == strlen(kw) && strncasecmp(k->p, kw, k->n) == 0;
}

bool
lx_punct(const struct toks *t, size_t i, char c)
{
	const struct tok *k = lx_at(t, i);

	return k->k == TK_PUNCT && *k->p == c;
}

bool
lx_isname(const struct toks *t, size_t i)
{
	return lx_at(t, i)->k == TK_WORD || lx_at(t, i)->k == TK_QNAME;
}

/* the name of token i, unquoted */
char *
lx_name(const struct toks *t, size_t i)
{
	const struct tok *k = lx_at(t, i);
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
char *
lx_qualname(const struct toks *t, size_t *i)
{
	size_t j = *i;

	if (!lx_isname(t, j))
		return NULL;
	while (lx_punct(t, j + 1, '.') && lx_isname(t, j + 2))
		j += 2;
	*i = j + 1;
	return lx_name(t, j);
}

/* the index past the parenthesis closing the one at i */
size_t
lx_closing(const struct toks *t, size_t i)
{
	int depth = 0;

	for (; i < t->n; i++) {
		if (lx_punct(t, i, '('))
			depth++;
		else if (lx_punct(t, i, ')') && --depth == 0)
			return i + 1;
	}
	return t->n;
}

/* optional words at *i, in order */
bool
lx_words(const struct toks *t, size_t *i, const char *w1, const char *w2, const char *w3)
{
	const char *w[] = { w1, w2, w3 };
	size_t j = *i;

	for (size_t k = 0; k < LEN(w) && w[k]; k++)
		if (!lx_is(t, j++, w[k]))
			return false;
	*i = j;
	return true;
}

/* a list of plain column names "(a, b DESC)" at *i: false on lengths or expressions */
bool
lx_collist(const struct toks *t, size_t *i, struct strlist *cols)
{
	size_t j = *i;

	if (!lx_punct(t, j++, '('))
		return false;
	for (;;) {
		if (!lx_isname(t, j)) {
			strlist_release(cols);
			return false;
		}
		cols->v = xreallocarray(cols->v, cols->n + 1, sizeof(*cols->v));
		cols->v[cols->n++] = lx_name(t, j++);
		if (lx_is(t, j, "ASC") || lx_is(t, j, "DESC"))
			j++;
		if (lx_punct(t, j, ')'))
			break;
		if (!lx_punct(t, j++, ',')) {
			strlist_release(cols);
			return false;
		}
	}
	*i = j + 1;
	return true;
}

