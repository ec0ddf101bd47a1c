/* sqlsplit.h: split a MariaDB/MySQL script into statements, as the mariadb client does */
#ifndef CHACC_SQLSPLIT_H
#define CHACC_SQLSPLIT_H

#include <stddef.h>

struct sqlstmt {
	char *sql;  /* statement text without its delimiter, trimmed, NUL-terminated */
	int line;   /* 1-based line of the statement's first character in the script */
};

struct sqlscript {
	struct sqlstmt *stmts;
	size_t nstmts;
};

/*
 * split text into statements. Handles ';', the DELIMITER directive (any
 * delimiter string, at the start of a line, case-insensitive), '...' "..." with
 * backslash escapes and doubled quotes, `identifiers` with doubled backticks,
 * -- (followed by whitespace), # and C comments, version comments ("/" "*!NNNNN ...")
 * (kept in the statement, since the server executes them), and BEGIN...END bodies
 * of procedures written with a custom delimiter. Statements that are empty or only
 * comments are dropped. Returns 0, or -1 with a message in err (line numbers of
 * an unterminated quote or comment, or of a NUL byte) that the caller frees.
 */
int sqlsplit(const char *text, size_t len, struct sqlscript *out, char **err);
void sqlscript_release(struct sqlscript *s);
/*
 * text in the form definitions are compared in: what the server executes, as
 * one spelling. Plain comments (--, #, C comments) are dropped and white space
 * outside quotes collapses to one space, or none after '(' and ',' and before
 * ')' and ','; each statement ends its line with its
 * delimiter, a DELIMITER directive stands on a line of its own, and the ends are
 * trimmed. Version comments and optimizer hints ("/" "*+ ... *" "/"), which the
 * server reads, stay as written, as do quoted strings and identifiers. Returns
 * malloc'ed text, or NULL with err as sqlsplit's.
 */
char *sqlnormal(const char *text, size_t len, char **err);

#endif
