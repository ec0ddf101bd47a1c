/* db_mariadb.h: what the modules of the MariaDB/MySQL engine share (Connector/C) */
#ifndef CHACC_DB_MARIADB_H
#define CHACC_DB_MARIADB_H

#include <stdatomic.h>

#include <mysql.h>

#include "db.h"
#include "db_common.h"

struct buf;

/* a MariaDB connection: struct db first */
struct mdb {
	struct db base;
	MYSQL *my;
	struct db_params p;       /* own copies of the parameters */
	long long affected;
	long long records, duplicates; /* of the last INSERT ... SELECT or LOAD DATA, -1 unknown */
	atomic_ulong thread_id;   /* read by other threads for KILL QUERY */
	char *server;             /* cached identity of the server instance */
	char *dbname;             /* cached DATABASE() when the parameters name none */
	size_t node;              /* of p.hosts, the one connected to */
};

static inline struct mdb *
mdb(struct db *d)
{
	return (struct mdb *)d;
}

/* the client library set up, once per process */
void mdb_library_init(void);
/* db_mariadb_connect.c: open a client connection; NULL with a message naming p (never its password) */
MYSQL *mdb_open(const struct db_params *p, char **err, unsigned *code);
/*
 * the same on a cluster's nodes (p->hosts): the first that answers and is
 * ready for writes, from node start on (wrapping round); *node says which
 */
MYSQL *mdb_open_at(const struct db_params *p, size_t start, size_t *node, char **err,
                   unsigned *code);
/* record the client library's last error on m; returns -1 */
int mdb_error(struct mdb *m);
/* run sql and store its first result (NULL if it has none); -1 on error */
int mdb_run(struct mdb *m, const char *sql, MYSQL_RES **resp);
/* consume the results after the current one (a CALL sends several) */
int mdb_drain(struct mdb *m);
/* run sql, ignoring its outcome and keeping m's last error */
void mdb_run_quiet(struct mdb *m, const char *sql);
/* answer a server's request for a client file with an error */
void mdb_refuse_infile(MYSQL *my);
/* `identifier` with backticks doubled, malloc'ed */
char *mdb_ident(const char *s);
/* append s (n bytes) to b with each byte that esc maps escaped by a backslash */
void mdb_add_escaped(struct buf *b, const char *s, size_t n, const char esc[256]);
/* escapes inside a quoted SQL string */
extern const char mdb_sql_esc[256];

/* db_mariadb_ddl.c: the column definitions of a result's fields, for CREATE TABLE */
char *mdb_columns_ddl(const MYSQL_FIELD *f, unsigned n);
/*
 * which of n columns become a TEXT or BLOB so that a row fits MariaDB's row
 * size limit, the widest that can first: size gives column i's bytes in a
 * row (negative: it can become one; false on an error). lob[n] (malloc'ed), NULL on an error
 */
bool *mdb_fit_row(size_t n, bool (*size)(void *arg, size_t i, bool lob, long *bytes), void *arg);
/* db_mariadb_copy.c */
char *mdb_result_ddl(struct db *src, const char *select_sql, const char *table);
int mdb_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
             long long *rows, db_progress_fn progress, void *arg, struct db **errside);
int mdb_write_rows(struct db *d, const char *table, struct db_reader *r, struct db **errside);
/* the fields of select_sql's result, without running it (LIMIT 0); NULL on error */
MYSQL_RES *mdb_probe(struct mdb *src, const char *select_sql);
/* select_sql reading FLOAT columns as DOUBLE (their text round-trips); *cols: the column list */
char *mdb_stream_sql(struct mdb *src, const char *select_sql, char **cols);

/* db_mariadb_cross.c: result columns in neutral terms, their DDL, a reader (see struct db_engine) */
int mdb_result_types(struct db *d, const char *select_sql, struct db_cols *out);
char *mdb_cols_ddl(struct db *d, const char *table, const struct db_cols *cols, char **err);
struct db_reader *mdb_open_reader(struct db *src, const char *select_sql,
                                  const struct db_cols *cols);

/* db_mariadb_types.c: the column types and rows of file targets (see struct db_engine) */
int mdb_type_parse(const char *sql, struct db_type *out);
char *mdb_type_sql(const struct db_type *t);
int mdb_create_table(struct db *d, const char *table, const struct db_names *names,
                     char *const *types);
int mdb_insert_values(struct db *d, const char *table, const struct db_names *names,
                      char *const *values, size_t nrows, long long *badrow);

/* db_mariadb_table.c: the table operations, clock and locks (see struct db_engine) */
int mdb_read_committed(struct db *d);
int mdb_use(struct db *d, const char *database);
int mdb_now(struct db *d, char **out);
int mdb_ts_minus(struct db *d, const char *ts, double seconds, char **out);
int mdb_ts_after(struct db *d, const char *ts, const char *at, double seconds);
int mdb_lock(struct db *d, const char *name, double timeout);
int mdb_unlock(struct db *d, const char *name);
int mdb_locks_used(struct db *d, const char *const *names, size_t n, bool *used);
bool mdb_table_exists(struct db *d, const char *table);
int mdb_table_columns(struct db *d, const char *table, struct db_names *out);
char *mdb_primary_key(struct db *d, const char *table);
int mdb_drop_table(struct db *d, const char *table, bool temporary);
int mdb_create_like(struct db *d, const char *table, const char *like, bool temporary);
int mdb_create_from_query(struct db *d, const char *table, const char *select_sql);
int mdb_add_stamp(struct db *d, const char *table);
int mdb_add_row_id(struct db *d, const char *table);
int mdb_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n);
/* db_mariadb_ddl.c */
int mdb_add_missing_indexes(struct db *d, const char *table, const struct db_names *index,
                            size_t n);
int mdb_create_database(const struct db_params *p, char **err);
int mdb_swap(struct db *d, const char *table, const char *shadow, const char *old);
int mdb_checksum(struct db *d, const char *table, char **out);
int mdb_digest(struct db *d, const char *table, const struct db_names *cols, char **out);
int mdb_keep_stamps(struct db *d, const char *shadow, const char *table,
                    const struct db_names *key, const struct db_names *cols, long long *kept);
int mdb_upsert(struct db *d, const char *table, const struct db_names *cols,
               const char *select_sql, struct db_upsert *out);
int mdb_follow_deletes(struct db *d, const struct db_delete *del, const char *need,
                       const char *since, long long *removed);
int mdb_delete_flagged(struct db *d, const struct db_delete *del, const char *stage,
                       const char *flag, long long *removed);
int mdb_delete_absent(struct db *d, const struct db_delete *del, const char *column,
                     const char *value, const char *stage, long long *removed);
char *mdb_site_select(struct db *d, const char *column, const char *site, const char *select_sql);
char *mdb_logged_rows(struct db *d, const char *log, const char *need,
                      const struct db_names *cols, const char *since);
char *mdb_aggregate(enum db_agg how, const char *expr, const char *order_by);

/* db_mariadb_binlog.c: change capture (see struct db_engine and db.h) */
int mdb_log_usable(struct db *d);
int mdb_log_position(struct db *d, char **pos);
int mdb_log_snapshot(struct db *d, char **pos);
int mdb_log_read(struct db *d, const char *from, const struct db_log_table *tables, size_t n,
                 db_log_row_fn row, void *arg, char **to);
int mdb_delete_missing(struct db *d, const struct db_delete *del, const char *keys,
                       const char *stage, long long *removed);

/* db_mariadb_check.c */
int mdb_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out);

/* db_mariadb_privs.c */
int mdb_check_privileges(struct db *d, bool routines, char **err);

#endif
