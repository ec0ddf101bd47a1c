/*
 * sqlsplit_impl.h: the scanner the dialects of sqlsplit share. One pass over
 * the text: a statement is the slice from its first significant character to
 * the end of its last one, so leading and trailing comments and blanks fall
 * away while comments inside it are kept as written.
 */
#ifndef CHACC_SQLSPLIT_IMPL_H
#define CHACC_SQLSPLIT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlsplit.h"

struct buf;

struct scan {
	enum sql_dialect dialect;
	const char *p;
	size_t len, i;
	int line;
	bool bol;          /* only blanks so far on this line */
	const char *delim; /* MariaDB: the delimiter DELIMITER set */
	size_t dlen;
	bool have;         /* the current statement has significant text */
	size_t start, end; /* its slice */
	int startline;
	struct sqlscript *out;
	size_t cap;
	char *err;
	struct buf *norm;  /* sqlnormal: the text as compared, or NULL */
	bool gap;          /* ... white space or a comment since its last character */
	/* PostgreSQL, as psql: what keeps a ';' from ending the statement */
	int parens;        /* open parentheses */
	int begins;        /* open BEGIN (and CASE in one) of a CREATE FUNCTION's body */
	int nwords;        /* words of the statement so far */
	char words[4];     /* initials of its first four if create, or, replace, function, procedure */
};

bool sc_isblank(int c);
bool sc_isspace(int c);
/* an error: "what starting at line N" in s->err; returns -1 */
int sc_fail(struct scan *s, const char *what, int line);
/* text into the normal form, after one space if a gap came before */
void sc_put(struct scan *s, const char *p, size_t n);
/* a line break of the normal form */
void sc_break(struct scan *s);
/* the current statement, if any, into the output */
void sc_emit(struct scan *s);
/* significant text from "from" (on line "line") up to the scan position */
void sc_mark(struct scan *s, size_t from, int line);
/* the text at the scan position starts with lit */
bool sc_at(struct scan *s, const char *lit);
/* to the end of the line, stopping on the newline */
void sc_skipline(struct scan *s);
/* a blank or a newline at the scan position, passed; false if none */
bool sc_space(struct scan *s);
/* the quoted text at the scan position, closed by its quote doubled-quotes aside */
int sc_skipquoted(struct scan *s, bool backslash);

/* one step of the PostgreSQL scanner (sqlsplit_postgres.c) */
int sc_step_postgres(struct scan *s);

#endif
