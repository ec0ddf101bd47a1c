/* db.h: the database driver interface (MariaDB/MySQL today) */
#ifndef CHACC_DB_H
#define CHACC_DB_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct db;
struct dbres;

/* connect with the recipe's connection settings; NULL with a message in *err */
struct db *db_connect(const struct conn *c, char **err);
void db_close(struct db *d);
/* the connection settings it was opened with */
const struct conn *db_conn(struct db *d);

/* run one statement, discarding any result; 0 or -1 (see db_error) */
int db_exec(struct db *d, const char *sql);
/* printf-style db_exec */
int db_execf(struct db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rows changed by the last statement (mysql_affected_rows) */
long long db_affected(struct db *d);
/*
 * rows the last INSERT ... SELECT ... ON DUPLICATE KEY UPDATE added as new
 * (from its affected rows and mysql_info), or -1 when the server did not say
 */
long long db_inserted(struct db *d);

/* run a query and store its whole result; NULL on error */
struct dbres *db_query(struct db *d, const char *sql);
struct dbres *db_queryf(struct db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* advance to the next row; false at the end */
bool dbres_next(struct dbres *r);
/* column i of the current row; NULL for SQL NULL */
const char *dbres_get(struct dbres *r, size_t i);
size_t dbres_ncols(struct dbres *r);
const char *dbres_colname(struct dbres *r, size_t i);
size_t dbres_nrows(struct dbres *r);
void dbres_free(struct dbres *r);

/*
 * first column of the first row as a malloc'ed string in *out (NULL for SQL
 * NULL or no row). Returns 1 if a row came back, 0 if none, -1 on error.
 */
int db_value(struct db *d, char **out, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* message and code of the last error on d */
const char *db_error(struct db *d);
unsigned db_errno(struct db *d);
/* the last error can pass on retry: lost connection, deadlock, lock wait timeout */
bool db_error_transient(struct db *d);
/* the last error was a killed query (KILL QUERY, timeout, interrupt) */
bool db_error_killed(struct db *d);

/* server-side id of this connection, for KILL QUERY */
unsigned long db_thread_id(struct db *d);
/* open a short connection with c's settings and KILL QUERY id; 0 or -1 */
int db_kill_query(const struct conn *c, unsigned long id);
/* reconnect after a lost connection; 0 or -1 */
int db_reconnect(struct db *d);

/* malloc'ed SQL string literal 'like this' for s (NULL gives NULL) */
char *db_quote(struct db *d, const char *s);
/* malloc'ed `identifier` with backticks doubled */
char *db_ident(const char *s);
/* name of the database this connection uses */
const char *db_name(struct db *d);
/* both connections reach the same server instance */
bool db_same_server(struct db *a, struct db *b);

/*
 * a CREATE TABLE statement for table whose columns have the names and types of
 * the result of select_sql (run with LIMIT 0 on src); NULL on error
 */
char *db_result_ddl(struct db *src, const char *select_sql, const char *table);

/* progress of a copy: rows so far; return non-zero to stop the copy */
typedef int (*db_progress_fn)(void *arg, long long rows);

/*
 * stream the result of select_sql on src (mysql_use_result: constant memory)
 * into table on dst, inserting into the columns named as the result's columns,
 * by a bulk path. Sets *rows. 0 or -1; the failing side is in *errside
 * (the db whose db_error() describes it).
 */
int db_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
            long long *rows, db_progress_fn progress, void *arg, struct db **errside);

#endif
