/* db_postgres.h: what the modules of the PostgreSQL engine share (libpq) */
#ifndef CHACC_DB_POSTGRES_H
#define CHACC_DB_POSTGRES_H

#include <stdatomic.h>

#include <libpq-fe.h>

#include "db.h"
#include "db_common.h"

/* the oldest server chacc supports (PQserverVersion's form: 12.0 is 120000) */
#define PDB_MIN_VERSION 120000

/* a PostgreSQL connection: struct db first */
struct pdb {
	struct db base;
	PGconn *pg;
	struct db_params p;       /* own copies of the parameters */
	long long affected;
	atomic_ulong pid;         /* the backend's process id, read by other threads to cancel */
	char *server;             /* cached identity of the server instance */
	char *schema;             /* the schema in use: p.schema, "public", or what db_use set */
};

static inline struct pdb *
pdb(struct db *d)
{
	return (struct pdb *)d;
}

/*
 * an SQLSTATE ("40P01") as the number db_errno() reports: five characters of
 * 6 bits each; PDB_STATE("40P01") spells one in code
 */
unsigned pdb_state_code(const char *sqlstate);
#define PDB_STATE(s) \
	((unsigned)(((s)[0] & 63) << 24 | ((s)[1] & 63) << 18 | ((s)[2] & 63) << 12 | \
	            ((s)[3] & 63) << 6 | ((s)[4] & 63)))

/* record the error of res (or of the connection when res is NULL) on p; returns -1 */
int pdb_error(struct pdb *p, const PGresult *res);
/*
 * run sql; *resp (when given) gets its result (free with PQclear), which
 * is NULL on error. 0 or -1 (the error recorded on p)
 */
int pdb_run(struct pdb *p, const char *sql, PGresult **resp);
/* run sql, ignoring its outcome and keeping p's last error */
void pdb_run_quiet(struct pdb *p, const char *sql);
/* "identifier" with double quotes doubled, malloc'ed */
char *pdb_ident(const char *s);
/* 'literal' with single quotes doubled (standard_conforming_strings), malloc'ed */
char *pdb_literal(const char *s);
/*
 * is a server of version (PQserverVersion's form) one chacc supports? 0, or
 * -1 with a message naming both versions in *err
 */
int pdb_version_check(int version, const char *conn, char **err);

/* db_postgres_result.c: describe a query's result without running it (see struct db_engine) */
int pdb_describe(struct pdb *p, const char *sql, PGresult **out);
/* sql without trailing blanks and semicolons, malloc'ed */
char *pdb_trim_sql(const char *sql);
/* "table", or table as written when the caller quoted it already */
char *pdb_table_ident(const char *table);
char *pdb_result_ddl(struct db *d, const char *select_sql, const char *table);
int pdb_result_types(struct db *d, const char *select_sql, struct db_cols *out);
char *pdb_cols_ddl(struct db *d, const char *table, const struct db_cols *cols, char **err);

/* db_postgres_copy.c: streaming copies (COPY FROM STDIN, COPY TO STDOUT) */
int pdb_write_rows(struct db *d, const char *table, struct db_reader *r, struct db **errside);
struct db_reader *pdb_open_reader(struct db *src, const char *select_sql,
                                  const struct db_cols *cols);
int pdb_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
             long long *rows, db_progress_fn progress, void *arg, struct db **errside);

/* db_postgres_table.c: the clock and advisory locks (see struct db_engine) */
int pdb_now(struct db *d, char **out);
int pdb_ts_minus(struct db *d, const char *ts, double seconds, char **out);
int pdb_ts_after(struct db *d, const char *ts, const char *at, double seconds);
int pdb_lock(struct db *d, const char *name, double timeout);
int pdb_unlock(struct db *d, const char *name);
int pdb_locks_used(struct db *d, const char *const *names, size_t n, bool *used);

/* db_postgres_ddl.c: shapes of tables, and the swap (see struct db_engine) */
/* SQL for the oid of the table an unqualified name means (temporary ones first), or NULL */
char *pdb_regclass(const char *table);
/* "a", "b" with prefix before each name */
char *pdb_names_list(const struct db_names *c, const char *prefix);
bool pdb_table_exists(struct db *d, const char *table);
int pdb_table_columns(struct db *d, const char *table, struct db_names *out);
char *pdb_primary_key(struct db *d, const char *table);
int pdb_drop_table(struct db *d, const char *table, bool temporary);
int pdb_create_like(struct db *d, const char *table, const char *like, bool temporary);
int pdb_create_from_query(struct db *d, const char *table, const char *select_sql);
int pdb_add_stamp(struct db *d, const char *table);
int pdb_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n);
int pdb_add_missing_indexes(struct db *d, const char *table, const struct db_names *index,
                            size_t n);
int pdb_swap(struct db *d, const char *table, const char *shadow, const char *old);

/* db_postgres_rows.c: comparing, merging and removing rows (see struct db_engine) */
int pdb_checksum(struct db *d, const char *table, char **out);
int pdb_digest(struct db *d, const char *table, const struct db_names *cols, char **out);
int pdb_keep_stamps(struct db *d, const char *shadow, const char *table,
                    const struct db_names *key, const struct db_names *cols, long long *kept);
int pdb_upsert(struct db *d, const char *table, const struct db_names *cols,
               const char *select_sql, struct db_upsert *out);
int pdb_follow_deletes(struct db *d, const struct db_delete *del, const char *need,
                       const char *since, long long *removed);
int pdb_delete_flagged(struct db *d, const struct db_delete *del, const char *stage,
                       const char *flag, long long *removed);
int pdb_delete_missing(struct db *d, const struct db_delete *del, const char *keys,
                       const char *stage, long long *removed);
int pdb_delete_absent(struct db *d, const struct db_delete *del, const char *column,
                     const char *value, const char *stage, long long *removed);
char *pdb_site_select(struct db *d, const char *column, const char *site, const char *select_sql);
char *pdb_logged_rows(struct db *d, const char *log, const char *need,
                      const struct db_names *cols, const char *since);
char *pdb_aggregate(enum db_agg how, const char *expr, const char *order_by);

/* db_postgres_privs.c: what the role may do, and creating its database and schema */
int pdb_check_privileges(struct db *d, bool routines, char **err);
int pdb_create_database(const struct db_params *p, char **err);

/* db_postgres_check.c: a statement parsed and resolved, never run */
int pdb_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out);

/* db_postgres_types.c: the column types and rows of file targets */
int pdb_type_parse(const char *sql, struct db_type *out);
char *pdb_type_sql(const struct db_type *t);
int pdb_create_table(struct db *d, const char *table, const struct db_names *names,
                     char *const *types);
int pdb_insert_values(struct db *d, const char *table, const struct db_names *names,
                      char *const *values, size_t nrows, long long *badrow);

#endif
