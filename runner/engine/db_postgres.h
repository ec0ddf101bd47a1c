/* db_postgres.h: what the modules of the PostgreSQL engine share (libpq) */
#ifndef CHACC_DB_POSTGRES_H
#define CHACC_DB_POSTGRES_H

#include <stdatomic.h>

#include <libpq-fe.h>

#include "db.h"

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

/* db_postgres_types.c: describe a query's result without running it (see struct db_engine) */
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

#endif
