/*
 * sqlsplit.h: split a script into statements, as the client of its database
 * does (mariadb, psql), and the normal form its definition is hashed in
 */
#ifndef CHACC_SQLSPLIT_H
#define CHACC_SQLSPLIT_H

#include <stddef.h>

/* whose rules a script is read by: the driver of the connection it runs on */
enum sql_dialect {
	SQL_MARIADB,
	SQL_POSTGRES,
};

/* the dialect of a connection's driver ("postgres"; anything else, NULL too: MariaDB) */
enum sql_dialect sql_dialect_of(const char *driver);

struct sqlstmt {
	char *sql;  /* statement text without its delimiter, trimmed, NUL-terminated */
	int line;   /* 1-based line of the statement's first character in the script */
};

struct sqlscript {
	struct sqlstmt *stmts;
	size_t nstmts;
};

/*
 * split text into statements. SQL_MARIADB, as the mariadb client: ';', the
 * DELIMITER directive (any delimiter string, at the start of a line,
 * case-insensitive), '...' "..." with
 * backslash escapes and doubled quotes, `identifiers` with doubled backticks,
 * -- (followed by whitespace), # and C comments, version comments ("/" "*!NNNNN ...")
 * (kept in the statement, since the server executes them), and BEGIN...END bodies
 * of procedures written with a custom delimiter.
 * SQL_POSTGRES, as psql: ';' outside parentheses (and outside the BEGIN ... END
 * of a CREATE FUNCTION or PROCEDURE, the SQL-standard body), dollar quotes
 * ($$...$$, $tag$...$tag$: PL/pgSQL bodies are one statement; $1 and a '$' in
 * an identifier open none), E'...' strings with backslash escapes,
 * standard-conforming '...' strings (a backslash is text; quotes double),
 * "identifiers" with doubled quotes, -- and nested C comments; no '#' comments,
 * backticks or DELIMITER. An optimizer hint ("/" "*+ ... *" "/") counts as text.
 * Statements that are empty or only comments are dropped. Returns 0, or -1 with
 * a message in err (line numbers of an unterminated quote or comment, or of a
 * NUL byte) that the caller frees.
 */
int sqlsplit(const char *text, size_t len, enum sql_dialect dialect, struct sqlscript *out,
             char **err);
void sqlscript_release(struct sqlscript *s);
/*
 * text in the form definitions are compared in: what the server executes, as
 * one spelling. Plain comments (--, #, C comments) are dropped and white space
 * outside quotes collapses to one space, or none after '(' and ',' and before
 * ')' and ','; each statement ends its line with its
 * delimiter, a DELIMITER directive stands on a line of its own, and the ends are
 * trimmed. Version comments and optimizer hints ("/" "*+ ... *" "/"), which the
 * server reads, stay as written, as do quoted strings and identifiers (and
 * dollar-quoted bodies). Returns malloc'ed text, or NULL with err as sqlsplit's.
 */
char *sqlnormal(const char *text, size_t len, enum sql_dialect dialect, char **err);

#endif
