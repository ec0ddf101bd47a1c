/* luigi_sql.h: the SQL statements of Luigi task configs, read as far as the importer needs */
#ifndef CHACC_LUIGI_SQL_H
#define CHACC_LUIGI_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "recipe.h"

/* a column of a CREATE TABLE: its name and type as written ("DECIMAL(4,2)") */
struct lcol {
	char *name;
	char *type;
};

/* one CREATE TABLE statement */
struct lddl {
	char *table;             /* unquoted, without a database prefix */
	bool temporary;
	struct lcol *cols;       /* the column definitions, in order */
	size_t ncols;
	struct strlist pk;       /* column-level PRIMARY KEY or table-level PRIMARY KEY (a, b) */
	struct strlist *uniques; /* UNIQUE keys, each its columns */
	size_t nuniques;
	struct strlist *keys;    /* KEY and INDEX definitions, each its plain columns */
	size_t nkeys;
	char *rest;              /* the text after the table's name */
	char *select;            /* CREATE TABLE ... [AS] SELECT: the SELECT, else NULL */
};

/* whether stmt is a CREATE TABLE; if so fills d (lddl_release it) */
bool lsql_create_table(const char *stmt, struct lddl *d);
void lddl_release(struct lddl *d);
/* the type of column name in d, or NULL */
const char *lddl_type(const struct lddl *d, const char *name);

/* an INSERT ... VALUES (...) with pyformat placeholders (%s) */
struct linsert {
	char *table;
	struct strlist cols;     /* its column list; empty when it has none */
	size_t nvalues;          /* values in its first row */
	size_t nplaceholders;    /* of which %s */
	char *other;             /* the first value that is no placeholder, or NULL */
};

/* whether stmt is an INSERT or REPLACE ... VALUES; if so fills ins (linsert_release it) */
bool lsql_insert(const char *stmt, struct linsert *ins);
void linsert_release(struct linsert *ins);

/*
 * the result columns of a SELECT (after a WITH): their count, with their
 * names in *names (NULL where the name is not plain to see, as for an
 * expression without alias); -1 when they cannot be counted (a '*')
 */
long lsql_select_columns(const char *stmt, char ***names);
void lsql_names_free(char **names, long n);

enum lindex {
	LIX_NONE,                /* not an index statement */
	LIX_INDEX,
	LIX_UNIQUE,
	LIX_PRIMARY,
};

/*
 * CREATE [UNIQUE] INDEX n ON t (a, b), ALTER TABLE t ADD PRIMARY KEY (a),
 * ALTER TABLE t ADD {INDEX|KEY|UNIQUE} [n] (a): its kind, table and plain
 * columns. LIX_NONE for anything else (lengths, expressions, several clauses)
 */
enum lindex lsql_index(const char *stmt, char **table, struct strlist *cols);

/* DROP TABLE [IF EXISTS] t (one table): t, else NULL */
char *lsql_drop_table(const char *stmt);
/* CALL name[(...)]: name, else NULL */
char *lsql_call_name(const char *stmt);
/* CREATE [DEFINER=u] PROCEDURE|FUNCTION [IF NOT EXISTS] name: name (*func set), else NULL */
char *lsql_routine_name(const char *stmt, bool *func);
/* DROP PROCEDURE|FUNCTION [IF EXISTS] name: name, else NULL */
char *lsql_drop_routine(const char *stmt);
/* the first table stmt writes: CREATE TABLE (not temporary), else INSERT/REPLACE INTO; or NULL */
char *lsql_written_table(const char *stmt);
/* whether stmt is CREATE DATABASE or CREATE SCHEMA */
bool lsql_is_create_database(const char *stmt);
/* whether stmt holds a %s placeholder outside quotes */
bool lsql_has_placeholder(const char *stmt);
/* name quoted as an identifier (malloc'ed) */
char *lsql_ident(const char *name);
/* whether a name needs no quoting as an identifier */
bool lsql_plain_name(const char *s);

void lstrs_add(struct strlist *l, const char *s);
bool lstrs_has(const struct strlist *l, const char *s);  /* case-insensitive */

#endif
