/*
 * db.h: the database engine interface. A connection's driver ("mariadb" or
 * "postgres") picks an engine: a table of operations that run SQL and
 * do the table work of a build at the level of intent. Only the engine
 * modules (db_<engine>*.c) write their dialect; everything else calls these.
 */
#ifndef CHACC_DB_H
#define CHACC_DB_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct dbres;
struct db_engine;

/* where and how to connect; the strings belong to the caller */
struct db_params {
	const char *name;        /* the connection's name, for messages */
	const char *driver;      /* "mariadb" or "postgres"; NULL or "" mean "mariadb" */
	const char *host;        /* NULL or "" when unset */
	unsigned port;           /* 0: the engine's default */
	char *const *hosts;      /* the nodes of one cluster, "host:port" each; win over host */
	size_t nhosts;
	const char *socket;      /* NULL or "" when unset; wins over host */
	const char *user;
	const char *password;    /* never in a message */
	const char *database;
	const char *schema;      /* PostgreSQL: the schema chacc works in; NULL or "" mean "public" */
	unsigned connect_timeout; /* seconds to reach the server; 0: the engine's default (10) */
	const char *bind_address; /* MariaDB: the local address to connect from; NULL or "": any */
};

/* what kind of error the last one was: what a caller does next depends on it */
enum db_err {
	DB_ERR_NONE,
	DB_ERR_TRANSIENT,        /* can pass on retry: lost connection, deadlock, lock wait */
	DB_ERR_KILLED,           /* the query was killed: KILL, a timeout, an interrupt */
	DB_ERR_ACCESS,           /* refused: access denied, or no such database */
	DB_ERR_NO_TABLE,         /* a table that does not exist */
	DB_ERR_OTHER,
	DB_ERR_NO_DATABASE,      /* connecting: the connection's database does not exist */
};

/* a list of names (columns) */
struct db_names {
	char **v;
	size_t n;
};
void db_names_release(struct db_names *l);
bool db_names_has(const struct db_names *l, const char *name);

/* the column every built table has: when its row last changed */
#define DB_STAMP "_chacc_changed_at"
/* the primary key chacc gives a keyless target on a cluster: hidden from SELECT * */
#define DB_ROWID "_chacc_row"

/* the engine of a driver name; NULL with a message naming it in *err */
const struct db_engine *db_engine_find(const char *driver, char **err);

/* connect; NULL with a message in *err and, when why is set, its kind */
struct db *db_connect(const struct db_params *p, char **err, enum db_err *why);
void db_close(struct db *d);
/* reconnect after a lost connection (on a cluster: to the next node that answers); 0 or -1 */
int db_reconnect(struct db *d);
/* a new connection with d's parameters; NULL with *err (malloc'ed) */
struct db *db_connect_like(struct db *d, char **err);
/*
 * whether d's server is a node of a cluster that replicates every commit to
 * the others (MariaDB Galera, wsrep_on): 1, 0, or -1 on error. Advisory
 * locks do not cross its nodes; a commit can fail its certification. On one,
 * d's reads from then on see every commit the cluster made before them
 */
int db_cluster(struct db *d);
/* the connection's name, as given in its parameters */
const char *db_conn_name(struct db *d);
/* name of the database this connection uses */
const char *db_name(struct db *d);
/* both connections reach the same server instance */
bool db_same_server(struct db *a, struct db *b);

/* run one statement, discarding any result; 0 or -1 (see db_error) */
int db_exec(struct db *d, const char *sql);
/* printf-style db_exec */
int db_execf(struct db *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rows changed by the last statement */
long long db_affected(struct db *d);

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

/* message and engine code of the last error on d */
const char *db_error(struct db *d);
unsigned db_errno(struct db *d);
/* the kind of the last error on d */
enum db_err db_error_class(struct db *d);
/* shorthands: db_error_class() is DB_ERR_TRANSIENT, DB_ERR_KILLED */
bool db_error_transient(struct db *d);
/*
 * whether the last error undid the transaction for a conflict with another
 * (a deadlock; on a Galera cluster a commit another node certified first):
 * the same work done again can pass at once
 */
bool db_error_conflict(struct db *d);
bool db_error_killed(struct db *d);

/* server-side id of this connection's session, for db_kill_query */
unsigned long db_thread_id(struct db *d);
/* stop the query session id runs, from a short connection of p's; 0 or -1 */
int db_kill_query(const struct db_params *p, unsigned long id);
/* the same through the open connection d (same server); 0 or -1 */
int db_kill(struct db *d, unsigned long id);

/* malloc'ed SQL string literal 'like this' for s (NULL gives NULL; d may be NULL) */
char *db_quote(struct db *d, const char *s);
/* malloc'ed quoted identifier of d's engine */
char *db_ident(struct db *d, const char *s);
/* malloc'ed literal of a timestamp text, or "NULL" when ts is NULL or "" */
char *db_ts_literal(struct db *d, const char *ts);
/* malloc'ed condition of d's engine: true when the value of expr is false, zero or NULL */
char *db_sql_falsy(struct db *d, const char *expr);

/* transactions; 0 or -1 */
int db_begin(struct db *d);
int db_commit(struct db *d);
int db_rollback(struct db *d);
/* this session reads what others committed (READ COMMITTED) */
int db_read_committed(struct db *d);
/* make database the connection's default (USE); 0 or -1 */
int db_use(struct db *d, const char *database);
/*
 * create p's database (character set utf8mb4) unless it exists, connecting
 * without it; 0, or -1 with *err: when the user may not, which privilege it
 * lacks, for the account as the server knows it (never the password)
 */
int db_create_database(const struct db_params *p, char **err);

/* the server clock as "YYYY-MM-DD HH:MM:SS.ffffff" in *out; 0 or -1 */
int db_now(struct db *d, char **out);
/* the timestamp ts minus seconds, in the same form; 0 or -1 */
int db_ts_minus(struct db *d, const char *ts, double seconds, char **out);
/* is value ts later than at minus seconds? 1, 0 or -1 */
int db_ts_after(struct db *d, const char *ts, const char *at, double seconds);

/* advisory locks of the session: 1 taken, 0 busy after timeout seconds, -1 error */
int db_lock(struct db *d, const char *name, double timeout);
int db_unlock(struct db *d, const char *name);
/* which of names[n] some session holds: used[i]; 0 or -1 */
int db_locks_used(struct db *d, const char *const *names, size_t n, bool *used);

/* does table exist in the connection's database? (false on error too) */
bool db_table_exists(struct db *d, const char *table);
/* the data columns of table (all but DB_STAMP), in order; 0 or -1 */
int db_table_columns(struct db *d, const char *table, struct db_names *out);
/* the column names select_sql returns, without running it; 0 or -1 */
int db_result_columns(struct db *d, const char *select_sql, struct db_names *out);
/* the primary key columns of table, comma-separated, "" for none; NULL on error */
char *db_primary_key(struct db *d, const char *table);
/* rows in table, -1 on error */
long long db_count_rows(struct db *d, const char *table);
/* drop table when it exists (temporary: a session's temporary table); 0 or -1 */
int db_drop_table(struct db *d, const char *table, bool temporary);
/* create table empty with the columns and keys of like; 0 or -1 */
int db_create_like(struct db *d, const char *table, const char *like, bool temporary);
/* create table empty with the columns of the result of select_sql; 0 or -1 */
int db_create_from_query(struct db *d, const char *table, const char *select_sql);
/* add the change stamp column DB_STAMP (now for every row) when it is missing; 0 or -1 */
int db_add_stamp(struct db *d, const char *table);
/*
 * give table, empty and without a primary key, one of its own: a column
 * DB_ROWID numbered by the server and hidden from SELECT *, for a cluster
 * that needs a key on every table it replicates; 0 or -1
 */
int db_add_row_id(struct db *d, const char *table);
/* make cols the primary key of table; 0 or -1 */
int db_add_primary_key(struct db *d, const char *table, const struct db_names *cols);
/* add one index on each of index[n]; 0 or -1 */
int db_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n);
/* the same for those of index[n] that table lacks (no index on those columns, in order) */
int db_add_missing_indexes(struct db *d, const char *table, const struct db_names *index,
                           size_t n);
/*
 * put shadow in place of table in one atomic step (old: a free name for the
 * table it replaces, dropped after); also when table does not exist. 0 or -1
 */
int db_swap(struct db *d, const char *table, const char *shadow, const char *old);
/* a checksum of table's content ("" when it does not exist) in *out; 0 or -1 */
int db_checksum(struct db *d, const char *table, char **out);
/* an order-independent digest of the rows' values in cols, in *out; 0 or -1 */
int db_digest(struct db *d, const char *table, const struct db_names *cols, char **out);
/*
 * rows of shadow whose key is in table with the same values in cols (byte
 * for byte) keep the change stamp they have there; *kept counts them. 0 or -1
 */
int db_keep_stamps(struct db *d, const char *shadow, const char *table, const struct db_names *key,
                   const struct db_names *cols, long long *kept);

/* counts of an upsert */
struct db_upsert {
	long long changed;       /* rows inserted or updated with new values */
	long long inserted;      /* of those, new rows; -1 when the server did not say */
};
/*
 * insert the rows of select_sql into table's columns cols; a row whose key
 * is there already takes the new values, and a new change stamp when they
 * differ (byte for byte). 0 or -1
 */
int db_upsert(struct db *d, const char *table, const struct db_names *cols,
              const char *select_sql, struct db_upsert *out);

/*
 * removals logged in a delete log table (target, key_json, row_json, run_id,
 * deleted_at): each removed row is recorded there under table's name
 */
struct db_delete {
	const char *log;         /* the log table */
	const char *table;       /* rows are removed from it */
	const struct db_names *key;  /* its key */
	const struct db_names *cols; /* the columns recorded of a removed row */
	long long run_id;
};
/*
 * remove the rows of del->table whose key the log holds for need later than
 * since (a timestamp literal); *removed counts them. 0 or -1
 */
int db_follow_deletes(struct db *d, const struct db_delete *del, const char *need, const char *since,
                      long long *removed);
/*
 * remove the rows of del->table whose key is on a row of stage where flag is
 * true, then those rows of stage; *removed counts the first. 0 or -1
 */
int db_delete_flagged(struct db *d, const struct db_delete *del, const char *stage, const char *flag,
                      long long *removed);
/*
 * remove the rows of del->table whose column equals value (a SQL literal)
 * and whose key no row of stage holds (stage NULL: all of them); *removed
 * counts them. 0 or -1
 */
int db_delete_absent(struct db *d, const struct db_delete *del, const char *column,
                     const char *value, const char *stage, long long *removed);
/*
 * the SELECT (malloc'ed) of the rows of select_sql with a first column named
 * column holding site (as text of up to DB_SITE_NAME_MAX characters: the
 * type the column takes in a table made from the result)
 */
#define DB_SITE_NAME_MAX 64
char *db_sql_site_select(struct db *d, const char *column, const char *site,
                         const char *select_sql);
/*
 * the SELECT (malloc'ed) of the values of cols, columns of table need, in
 * the rows of need that log recorded as removed later than since (a
 * timestamp literal), read from their row_json as need's columns are typed
 * (rows that lack one of cols are left out)
 */
char *db_logged_rows(struct db *d, const char *log, const char *need, const struct db_names *cols,
                     const char *since);

/* the aggregates pivot targets take their values with (db_aggregate) */
enum db_agg {
	DB_AGG_MAX,              /* the largest non-NULL value of expr */
	DB_AGG_MAX_BOOL,         /* the same of a boolean (or 0/1) expr: true when one is */
	DB_AGG_JOIN,             /* the non-NULL values as text, joined by ", " in order_by's order */
};
/* the SQL of aggregate how over expr in d's dialect (malloc'ed); order_by: DB_AGG_JOIN only */
char *db_aggregate(struct db *d, enum db_agg how, const char *expr, const char *order_by);

/*
 * does the connection's user hold what builds need on its database
 * (routines: CREATE ROUTINE too)? 0, or -1 naming what lacks in *err
 */
int db_check_privileges(struct db *d, bool routines, char **err);

/*
 * a CREATE TABLE statement, in dst's dialect, for table whose columns have the
 * names and types of the result of select_sql (probed on src, not run). Between
 * engines the types cross through struct db_col (README: PostgreSQL); NULL
 * on error, in db_error(src), naming the column whose type cannot cross
 */
char *db_result_ddl(struct db *src, const char *select_sql, struct db *dst, const char *table);

/* what db_prepare_check learned of a statement */
struct db_prep {
	int line;                /* refused: the line of sql the message points at (from 1), 0 unknown */
	char *name;              /* refused: the unknown table or column the message names, or NULL */
	struct db_names cols;    /* accepted: the names of the columns its result would have */
	char *table_ddl;         /* accepted, asked for with as_table: see db_prepare_check */
};
void db_prep_release(struct db_prep *p);

/*
 * ask the server to parse sql and resolve its tables and columns without
 * running it (a server-side prepared statement). Returns 0 when it accepts
 * it, 1 when it refuses it (the message in db_error(d), its kind in
 * db_error_class(d), where it points in out), -1 when it cannot be asked (a
 * lost connection). With as_table, an accepted statement with a result also
 * gets in out->table_ddl a statement that creates a temporary empty table
 * as_table with the result's columns and DB_STAMP, to run on any connection
 * of the engine.
 */
int db_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out);

/*
 * column types of a file target (DESIGN: file targets): what chacc checks its
 * values against, and the engine spells. A type the engine does not know in
 * these terms is DB_T_OTHER: its values go to the server unchecked.
 */
enum db_tkind {
	DB_T_OTHER,
	DB_T_INT,                /* bits 8, 16, 24, 32 or 64, maybe unsigned */
	DB_T_BOOL,               /* true/false, stored as 1/0 */
	DB_T_DECIMAL,            /* prec digits, scale of them after the point; prec 0: any */
	DB_T_FLOAT,              /* bits 32 for a single precision column, else double */
	DB_T_DATE,
	DB_T_DATETIME,           /* scale: digits of the fraction of a second; no time zone */
	DB_T_STRING,             /* len: most characters; 0 for a long text; fixed: CHAR */
	/* the kinds below only describe result columns (db_result_types) */
	DB_T_TIME,               /* scale; a time of day or a span of +-838:59:59 at most */
	DB_T_TIMESTAMP,          /* scale; with a time zone: an instant */
	DB_T_BINARY,             /* bytes; len: most of them, 0 for a long one; fixed: BINARY */
	DB_T_JSON,
	DB_T_ENUM,               /* one of values (when known) */
	DB_T_SET,                /* some of values, comma-separated */
	DB_T_BIT,                /* bits: its width, 1 to 64 */
	DB_T_YEAR,
	DB_T_UUID,
};

struct db_type {
	enum db_tkind kind;
	unsigned bits;
	bool is_unsigned;
	unsigned prec, scale;
	unsigned len;
	bool fixed;
	char **values;           /* DB_T_ENUM, DB_T_SET: nvalues labels, or NULL when unknown */
	size_t nvalues;
};

/*
 * a column of a result in terms every engine reads. Its values cross between
 * engines (db_copy) as text in these forms: numbers in decimal ("NaN" and
 * "Infinity" may come from PostgreSQL), BOOL "1" or "0", DATE "YYYY-MM-DD",
 * DATETIME "YYYY-MM-DD HH:MM:SS[.ffffff]" (TIMESTAMP the same, in UTC), TIME
 * "[-]H:MM:SS[.ffffff]" with any number of hours, BINARY and BIT their bytes
 * (BIT: big-endian, as MariaDB sends them), every other kind UTF-8 text.
 */
struct db_col {
	char *name;
	struct db_type t;
	bool not_null;
	char *native;            /* the source engine's name of its type, for messages */
};

struct db_cols {
	struct db_col *v;
	size_t n;
};
void db_cols_release(struct db_cols *c);
/* the columns select_sql returns with their types, without running it; 0 or -1 */
int db_result_types(struct db *d, const char *select_sql, struct db_cols *out);

/* read the SQL type text sql of driver's engine into out (DB_T_OTHER when not understood); 0, -1 unknown driver */
int db_type_parse(const char *driver, const char *sql, struct db_type *out);
/* the SQL spelling of t in driver's engine, malloc'ed; NULL for an unknown driver */
char *db_type_sql(const char *driver, const struct db_type *t);
/* create table with the columns names of the SQL types types[names->n]; 0 or -1 */
int db_create_table(struct db *d, const char *table, const struct db_names *names,
                    char *const *types);
/*
 * insert nrows rows of values (row-major, names->n a row; NULL for SQL NULL)
 * into table's columns names, as text the server converts, in batches, with
 * values that do not fit refused. On error *badrow is the index of the row the
 * server names, or -1. 0 or -1
 */
int db_insert_values(struct db *d, const char *table, const struct db_names *names,
                     char *const *values, size_t nrows, long long *badrow);

/*
 * change capture (db_log.c): the rows a source's log of changes says
 * changed, for the tables asked, from a position on. MariaDB reads its
 * binary log (ROW format, full row images) as a replica would; other
 * engines answer that they have no such log.
 */
struct db_log_table {
	const char *name;            /* a table of the connection's database */
	char *const *columns;        /* the columns of its changed rows wanted */
	size_t ncolumns;
};
/*
 * a changed row of tables[table] (an insert's row, an update's row before
 * and after, a delete's row): its values of the columns asked, as text
 * (NULL for SQL NULL). Return non-zero to stop reading.
 */
typedef int (*db_log_row_fn)(void *arg, size_t table, const char *const *values);
/* what db_log_read ends with besides 0 (read to the end) and -1 (an error) */
enum { DB_LOG_STOPPED = 1, DB_LOG_LOST = -2 };
/*
 * whether change capture can read d's log: 0, or -1 with db_error(d)
 * saying exactly why not (no binary log, not ROW, not full row images, no
 * REPLICATION SLAVE or REPLICATION CLIENT privilege, another engine)
 */
int db_log_usable(struct db *d);
/* the position of d's log now, as "FILE:OFFSET", into *pos (malloc'ed); 0 or -1 */
int db_log_position(struct db *d, char **pos);
/*
 * begin a transaction on d that reads one consistent snapshot, and the
 * position of the log that snapshot is at; 0 or -1. End it with db_commit.
 */
int db_log_snapshot(struct db *d, char **pos);
/*
 * read d's log from position from up to its end as it is now, on a
 * connection of its own (a replica with a server id of its own), calling
 * row for each changed row of tables; *to (malloc'ed) is the position after
 * the last whole transaction read. 0, DB_LOG_STOPPED when row asked to stop,
 * DB_LOG_LOST when from is no longer in the log (purged), -1 on another
 * error (db_error(d)).
 */
int db_log_read(struct db *d, const char *from, const struct db_log_table *tables, size_t n,
                db_log_row_fn row, void *arg, char **to);

/*
 * remove the rows of del->table whose key is in table keys (its columns
 * named as del->key) but in no row of stage; logged in del->log, *removed
 * counts them. 0 or -1
 */
int db_delete_missing(struct db *d, const struct db_delete *del, const char *keys,
                      const char *stage, long long *removed);

/* progress of a copy: rows so far; return non-zero to stop the copy */
typedef int (*db_progress_fn)(void *arg, long long rows);

/*
 * stream the result of select_sql on src (constant memory) into table on
 * dst, inserting into the columns named as the result's columns, by a bulk
 * path. Sets *rows. 0 or -1; the failing side is in *errside (the db whose
 * db_error() describes it).
 */
int db_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
            long long *rows, db_progress_fn progress, void *arg, struct db **errside);

/*
 * a stream of rows of a copy between engines, read by the destination's
 * engine: the source engine's open_reader makes it, its next fills v and len
 * (the struct db_col forms above; v[i] NULL for SQL NULL) with the next row.
 */
struct db_reader {
	struct db *db;           /* the source */
	const struct db_cols *cols;
	const char **v;          /* cols->n values of the current row */
	size_t *len;             /* and their lengths in bytes */
	long long rows;          /* rows read so far */
	db_progress_fn progress;
	void *arg;
	bool stopped;            /* the progress callback asked to stop */
	/* engine: the next row into v and len: 1, 0 at the end, -1 on error (in db_error(db)) */
	int (*next)(struct db_reader *r);
	/* engine: stop reading (also before the end) and free what next used */
	void (*close)(struct db_reader *r);
};
/*
 * the next row, counted, with the progress callback called: 1, 0 at the end,
 * -1 on a source error, or -1 with r->stopped when the callback said stop
 */
int db_reader_next(struct db_reader *r);

/*
 * For engines. Every struct db and struct dbres of an engine begins with
 * these heads; db.c dispatches through the engine's operations, which
 * follow the contracts of the db_* functions of the same names.
 */
struct db {
	const struct db_engine *engine;
	char *err;               /* last error message */
	unsigned errnum;         /* and the engine's code of it */
};

struct dbres {
	const struct db_engine *engine;
};

/* copy p into to (own strings), and free them */
void db_params_copy(struct db_params *to, const struct db_params *p);
void db_params_release(struct db_params *p);
/* replace every copy of secret in *msg by *** */
void db_scrub(char **msg, const char *secret);

/* record an error on d; returns -1 */
int db_set_error(struct db *d, unsigned code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct db_engine {
	const char *driver;
	struct db *(*connect)(const struct db_params *p, char **err, enum db_err *why);
	void (*close)(struct db *d);
	int (*reconnect)(struct db *d);
	const char *(*conn_name)(struct db *d);
	const char *(*name)(struct db *d);
	bool (*same_server)(struct db *a, struct db *b);
	int (*exec)(struct db *d, const char *sql);
	long long (*affected)(struct db *d);
	struct dbres *(*query)(struct db *d, const char *sql);
	bool (*res_next)(struct dbres *r);
	const char *(*res_get)(struct dbres *r, size_t i);
	size_t (*res_ncols)(struct dbres *r);
	const char *(*res_colname)(struct dbres *r, size_t i);
	size_t (*res_nrows)(struct dbres *r);
	void (*res_free)(struct dbres *r);
	enum db_err (*classify)(unsigned code);
	bool (*conflict)(unsigned code);
	unsigned long (*thread_id)(struct db *d);
	int (*kill_query)(const struct db_params *p, unsigned long id);
	int (*kill)(struct db *d, unsigned long id);
	char *(*quote)(struct db *d, const char *s);
	char *(*ident)(const char *s);
	char *(*falsy)(const char *expr);
	int (*read_committed)(struct db *d);
	int (*use)(struct db *d, const char *database);
	int (*now)(struct db *d, char **out);
	int (*ts_minus)(struct db *d, const char *ts, double seconds, char **out);
	int (*ts_after)(struct db *d, const char *ts, const char *at, double seconds);
	int (*lock)(struct db *d, const char *name, double timeout);
	int (*unlock)(struct db *d, const char *name);
	int (*locks_used)(struct db *d, const char *const *names, size_t n, bool *used);
	bool (*table_exists)(struct db *d, const char *table);
	int (*table_columns)(struct db *d, const char *table, struct db_names *out);
	char *(*primary_key)(struct db *d, const char *table);
	int (*drop_table)(struct db *d, const char *table, bool temporary);
	int (*create_like)(struct db *d, const char *table, const char *like, bool temporary);
	int (*create_from_query)(struct db *d, const char *table, const char *select_sql);
	int (*add_stamp)(struct db *d, const char *table);
	int (*add_row_id)(struct db *d, const char *table); /* NULL: the engine has no cluster */
	int (*add_primary_key)(struct db *d, const char *table, const struct db_names *cols);
	int (*add_indexes)(struct db *d, const char *table, const struct db_names *index, size_t n);
	int (*swap)(struct db *d, const char *table, const char *shadow, const char *old);
	int (*checksum)(struct db *d, const char *table, char **out);
	int (*digest)(struct db *d, const char *table, const struct db_names *cols, char **out);
	int (*keep_stamps)(struct db *d, const char *shadow, const char *table,
	                   const struct db_names *key, const struct db_names *cols, long long *kept);
	int (*upsert)(struct db *d, const char *table, const struct db_names *cols,
	              const char *select_sql, struct db_upsert *out);
	int (*follow_deletes)(struct db *d, const struct db_delete *del, const char *need,
	                      const char *since, long long *removed);
	int (*delete_flagged)(struct db *d, const struct db_delete *del, const char *stage,
	                      const char *flag, long long *removed);
	char *(*logged_rows)(struct db *d, const char *log, const char *need,
	                     const struct db_names *cols, const char *since);
	int (*delete_absent)(struct db *d, const struct db_delete *del, const char *column,
	                     const char *value, const char *stage, long long *removed);
	char *(*site_select)(struct db *d, const char *column, const char *site,
	                     const char *select_sql);
	char *(*aggregate)(enum db_agg how, const char *expr, const char *order_by);
	int (*check_privileges)(struct db *d, bool routines, char **err);
	char *(*result_ddl)(struct db *src, const char *select_sql, const char *table);
	int (*copy)(struct db *src, const char *select_sql, struct db *dst, const char *table,
	            long long *rows, db_progress_fn progress, void *arg, struct db **errside);
	int (*prepare_check)(struct db *d, const char *sql, const char *as_table, struct db_prep *out);
	int (*create_database)(const struct db_params *p, char **err);
	int (*add_missing_indexes)(struct db *d, const char *table, const struct db_names *index,
	                           size_t n);
	int (*type_parse)(const char *sql, struct db_type *out);
	char *(*type_sql)(const struct db_type *t);
	int (*create_table)(struct db *d, const char *table, const struct db_names *names,
	                    char *const *types);
	int (*insert_values)(struct db *d, const char *table, const struct db_names *names,
	                     char *const *values, size_t nrows, long long *badrow);
	/* copies between engines (runner/engine/db_copy.c): what the source's result is */
	int (*result_types)(struct db *d, const char *select_sql, struct db_cols *out);
	/* the CREATE TABLE of cols in d's dialect; NULL with *err naming a column that cannot be */
	char *(*cols_ddl)(struct db *d, const char *table, const struct db_cols *cols, char **err);
	/* change capture: NULL when the engine has no log to read (db_log.c says so) */
	int (*log_usable)(struct db *d);
	int (*log_position)(struct db *d, char **pos);
	int (*log_snapshot)(struct db *d, char **pos);
	int (*log_read)(struct db *d, const char *from, const struct db_log_table *tables, size_t n,
	                db_log_row_fn row, void *arg, char **to);
	int (*delete_missing)(struct db *d, const struct db_delete *del, const char *keys,
	                      const char *stage, long long *removed);
	/* a reader of select_sql's rows (the columns cols); NULL on error */
	struct db_reader *(*open_reader)(struct db *src, const char *select_sql,
	                                 const struct db_cols *cols);
	/*
	 * load every row of r into table's columns named as r->cols; 0 or -1 with
	 * the failing side in *errside (r->db, or d; r->stopped: d, an interrupt)
	 */
	int (*write_rows)(struct db *d, const char *table, struct db_reader *r, struct db **errside);
	/* the parameters d was opened with; whether it is a node of a synchronous cluster */
	const struct db_params *(*params)(struct db *d);
	int (*cluster)(struct db *d);
};

/* the engines */
extern const struct db_engine db_mariadb;
extern const struct db_engine db_postgres;

#endif
