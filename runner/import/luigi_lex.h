/* luigi_lex.h: the tokens of MariaDB SQL, for reading the Luigi pipeline's statements */
#ifndef CHACC_LUIGI_LEX_H
#define CHACC_LUIGI_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "recipe.h"

/*
 * a token: a word (keyword, name or number), a `quoted` name, a 'string' or
 * "string", or one character of punctuation. Comments and blanks are
 * skipped; p and n are the token as written.
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

/* the tokens of text (t->v freed by the caller), with one TK_END after them */
void lx_lex(const char *text, struct toks *t);
/* token i, or the TK_END one past the last */
const struct tok *lx_at(const struct toks *t, size_t i);
/* token i is the keyword kw (any case) */
bool lx_is(const struct toks *t, size_t i, const char *kw);
/* token i is the punctuation c */
bool lx_punct(const struct toks *t, size_t i, char c);
/* token i is a word or a quoted name */
bool lx_isname(const struct toks *t, size_t i);
/* the name of token i, unquoted (malloc'ed) */
char *lx_name(const struct toks *t, size_t i);
/* a possibly qualified name at *i (db.t): its last part; *i moves past it; NULL if none */
char *lx_qualname(const struct toks *t, size_t *i);
/* the index past the parenthesis closing the one at i */
size_t lx_closing(const struct toks *t, size_t i);
/* the words w1, w2, w3 (NULL ends them) at *i: true and *i past them */
bool lx_words(const struct toks *t, size_t *i, const char *w1, const char *w2, const char *w3);
/* a list of plain column names "(a, b DESC)" at *i into cols; false on lengths or expressions */
bool lx_collist(const struct toks *t, size_t *i, struct strlist *cols);

#endif
