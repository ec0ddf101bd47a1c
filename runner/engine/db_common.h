/*
 * db_common.h: what the engines' modules (db_mariadb*.c, db_postgres*.c)
 * share beyond their dialects: building SQL text and walking results in
 * the same way, with the engine's own quoting and SQL given in (db_common.c)
 */
#ifndef CHACC_DB_COMMON_H
#define CHACC_DB_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* s between two q, each q in it doubled: a quoted identifier or literal (malloc'ed) */
char *db_quote_doubled(const char *s, char q);
/* the names of c, each quoted by ident after prefix, ", " between them (malloc'ed; "" for none) */
char *db_names_sql(const struct db_names *c, const char *prefix, char *(*ident)(const char *));
/* the first column of the rows of sql appended to out (NULL as ""); 0 or -1 */
int db_names_query(struct db *d, const char *sql, struct db_names *out);
/* the first row of sql, each value followed by a newline (malloc'ed); NULL on error or no row */
char *db_row_text(struct db *d, const char *sql);
/*
 * which of names[n] some session holds: one SELECT of a condition per name,
 * held (its SQL, %s the name's literal), true when it reads truth; 0 or -1
 */
int db_locks_held(struct db *d, const char *const *names, size_t n, const char *held,
                  const char *truth, bool *used);
/* CREATE TABLE table with the columns names of types (d's identifiers), then suffix; 0 or -1 */
int db_create_table_with(struct db *d, const char *table, const struct db_names *names,
                         char *const *types, const char *suffix);
/* "(a)" or "(a, b)" of a type at s into a and b (left as they are when absent); past it, NULL when bad */
const char *db_type_args(const char *s, unsigned *a, unsigned *b);
/*
 * the indexes of index[n] whose columns (in order, any case) are those of
 * none of the indexes have has ("a,b" each), into add; how many
 */
size_t db_missing_indexes(const struct db_names *have, const struct db_names *index, size_t n,
                          struct db_names *add);
/* the engines' add_primary_key: ALTER TABLE ... ADD PRIMARY KEY, the same in both */
int db_common_add_primary_key(struct db *d, const char *table, const struct db_names *cols);

#endif
