/* db_postgres.c: the engine for PostgreSQL, on libpq: connections, statements, results, errors */
#include "db_postgres.h"

#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct pres {
	struct dbres base;
	PGresult *res;
	int row, nrows;
	size_t ncols;
};

static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

unsigned
pdb_state_code(const char *s)
{
	if (!s || strlen(s) != 5)
		return 0;
	return PDB_STATE(s);
}

/* the line of sql (from 1) that a 1-based character position is on */
static int
line_of(const char *sql, const char *pos)
{
	long at = pos ? atol(pos) : 0, i = 0;
	int line = 1;

	for (const unsigned char *c = (const unsigned char *)sql; *c && i < at - 1; c++) {
		/* positions count characters, not bytes */
		if ((*c & 0xc0) != 0x80)
			i++;
		if (*c == '\n')
			line++;
	}
	return line;
}

/*
 * the error of res on one line: the server's message, its detail, and the
 * line of sql it points at (when sql is given), as MariaDB's messages read
 */
static int
error_of(struct pdb *p, const PGresult *res, const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	struct buf b;
	char *m;
	int rc;

	if (!state && PQstatus(p->pg) == CONNECTION_BAD)
		state = "08006";
	buf_init(&b);
	if (primary) {
		buf_adds(&b, primary);
		if (detail)
			buf_addf(&b, " (%s)", detail);
		if (sql && pos)
			buf_addf(&b, " at line %d", line_of(sql, pos));
	} else {
		const char *msg = PQerrorMessage(p->pg);

		buf_adds(&b, msg && *msg ? msg : "unknown error");
	}
	m = buf_detach(&b);
	/* libpq's own messages may run over lines: one line, no "ERROR:" */
	for (char *c = m; *c; c++)
		if (*c == '\n')
			*c = ' ';
	for (size_t n = strlen(m); n > 0 && m[n - 1] == ' '; n--)
		m[n - 1] = '\0';
	if (strncmp(m, "ERROR:  ", 8) == 0)
		memmove(m, m + 8, strlen(m + 8) + 1);
	db_scrub(&m, p->p.password);
	rc = db_set_error(&p->base, pdb_state_code(state), "%s", m);
	free(m);
	return rc;
}

int
pdb_error(struct pdb *p, const PGresult *res)
{
	return error_of(p, res, NULL);
}

int
pdb_run(struct pdb *p, const char *sql, PGresult **resp)
{
	PGresult *res;
	ExecStatusType st;

	if (resp)
		*resp = NULL;
	log_statement(p->p.name, sql);
	res = PQexec(p->pg, sql);
	st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		error_of(p, res, sql);
		PQclear(res);
		return -1;
	}
	p->affected = atoll(PQcmdTuples(res));
	if (st == PGRES_TUPLES_OK && !*PQcmdTuples(res))
		p->affected = PQntuples(res);
	if (resp)
		*resp = res;
	else
		PQclear(res);
	return 0;
}

void
pdb_run_quiet(struct pdb *p, const char *sql)
{
	PQclear(PQexec(p->pg, sql));
}

char *
pdb_ident(const char *s)
{
	return db_quote_doubled(s, '"');
}

char *
pdb_literal(const char *s)
{
	return s ? db_quote_doubled(s, '\'') : NULL;
}

int
pdb_version_check(int version, const char *conn, char **err)
{
	char *ver;

	if (version >= PDB_MIN_VERSION)
		return 0;
	/* 10 and later: major * 10000 + minor; before: major, minor and patch, 2 digits each */
	if (version >= 100000)
		ver = xasprintf("%d.%d", version / 10000, version % 10000);
	else
		ver = xasprintf("%d.%d.%d", version / 10000, version / 100 % 100, version % 100);
	*err = xasprintf("connection '%s': the server is PostgreSQL %s; chacc needs PostgreSQL %d "
	                 "or newer", conn ? conn : "?", ver, PDB_MIN_VERSION / 10000);
	free(ver);
	return -1;
}

/* where p points, for messages: host:port, the socket or the default socket */
static char *
endpoint(const struct db_params *p)
{
	const char *host = nonempty(p->host), *sock = nonempty(p->socket);

	if (p->nhosts) {
		struct buf b;

		buf_init(&b);
		buf_addf(&b, "any of %zu nodes (", p->nhosts);
		for (size_t i = 0; i < p->nhosts; i++)
			buf_addf(&b, "%s%s", i ? ", " : "", p->hosts[i]);
		buf_adds(&b, ")");
		return buf_detach(&b);
	}
	if (sock)
		return xasprintf("socket %s", sock);
	if (host)
		return xasprintf("%s:%u", host, p->port ? p->port : 5432);
	return xstrdup("the default socket");
}

/*
 * libpq's host is a directory for a unix socket; a socket given as the file
 * itself (DIR/.s.PGSQL.PORT) names both the directory and the port
 */
static void
socket_parts(const char *sock, char **dir, char **port)
{
	const char *slash = strrchr(sock, '/');

	*dir = NULL;
	*port = NULL;
	if (slash && strncmp(slash + 1, ".s.PGSQL.", 9) == 0 && slash[10]) {
		*dir = xstrndup(sock, slash == sock ? 1 : (size_t)(slash - sock));
		*port = xstrdup(slash + 10);
	} else {
		*dir = xstrdup(sock);
	}
}

/* libpq's lists of the nodes' hosts and ports: "a,b,c" and "5432,5433,5432" */
static void
hosts_parts(const struct db_params *p, char **hosts, char **ports)
{
	struct buf h, pt;

	buf_init(&h);
	buf_init(&pt);
	for (size_t i = 0; i < p->nhosts; i++) {
		char *host;
		unsigned port;

		/* the recipe checked them: a bad one is passed as written, for libpq to refuse */
		if (hostport_parse(p->hosts[i], &host, &port)) {
			host = xstrdup(p->hosts[i]);
			port = 0;
		}
		buf_addf(&h, "%s%s", i ? "," : "", host);
		buf_addf(&pt, "%s%u", i ? "," : "", port ? port : 5432);
		free(host);
	}
	*hosts = buf_detach(&h);
	*ports = buf_detach(&pt);
}

static void
quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* open a connection; NULL with a message naming p (never its password) and its SQLSTATE */
static PGconn *
pg_open(const struct db_params *p, const char *dbname, char **err, unsigned *code)
{
	const char *keys[12], *vals[12];
	char *sockdir = NULL, *sockport = NULL, port[16], timeout[16];
	PGconn *pg;
	int n = 0;

	*err = NULL;
	*code = 0;
	if (p->nhosts) {
		/* the nodes: libpq tries each, and keeps the first that takes writes */
		hosts_parts(p, &sockdir, &sockport);
		keys[n] = "host", vals[n++] = sockdir;
		keys[n] = "target_session_attrs", vals[n++] = "read-write";
	} else if (nonempty(p->socket)) {
		socket_parts(p->socket, &sockdir, &sockport);
		keys[n] = "host", vals[n++] = sockdir;
	} else if (nonempty(p->host)) {
		keys[n] = "host", vals[n++] = p->host;
	}
	if (sockport) {
		keys[n] = "port", vals[n++] = sockport;
	} else if (p->port) {
		snprintf(port, sizeof(port), "%u", p->port);
		keys[n] = "port", vals[n++] = port;
	}
	if (nonempty(p->user))
		keys[n] = "user", vals[n++] = p->user;
	if (p->password)
		keys[n] = "password", vals[n++] = p->password;
	if (nonempty(dbname))
		keys[n] = "dbname", vals[n++] = dbname;
	snprintf(timeout, sizeof(timeout), "%u", p->connect_timeout ? p->connect_timeout : 10);
	keys[n] = "connect_timeout", vals[n++] = timeout;
	keys[n] = "application_name", vals[n++] = "chacc";
	keys[n] = "client_encoding", vals[n++] = "UTF8";
	keys[n] = NULL, vals[n] = NULL;
	pg = PQconnectdbParams(keys, vals, 0);
	free(sockdir);
	free(sockport);
	if (pg && PQstatus(pg) == CONNECTION_OK) {
		PQsetNoticeProcessor(pg, quiet_notices, NULL);
		if (pdb_version_check(PQserverVersion(pg), p->name, err) == 0)
			return pg;
		*code = pdb_state_code("0A000");
	} else {
		char *where = endpoint(p), *why = xstrdup(pg ? PQerrorMessage(pg) : "out of memory");
		size_t k = strlen(why);
		struct stat st;

		/* libpq's message runs over lines, the hint indented: one line */
		for (char *c = why; *c; c++)
			if (*c == '\n' || *c == '\t')
				*c = ' ';
		for (char *r = why, *w = why;; r++) {
			if (*r == ' ' && w > why && w[-1] == ' ')
				continue;
			if (!(*w++ = *r))
				break;
		}
		k = strlen(why);
		while (k > 0 && why[k - 1] == ' ')
			why[--k] = '\0';
		if (!p->nhosts && nonempty(p->socket) && stat(p->socket, &st) == 0 && !S_ISDIR(st.st_mode) &&
		    !strstr(p->socket, "/.s.PGSQL.")) {
			free(why);
			why = xstrdup("it is not a PostgreSQL socket (give the socket file DIR/.s.PGSQL.PORT"
			              " or its directory)");
		}
		db_scrub(&why, p->password);
		/* libpq gives no SQLSTATE for a failed connection: read the cause off the message */
		if (strstr(why, "does not exist") && strstr(why, "database"))
			*code = pdb_state_code("3D000");
		else if (strstr(why, "password authentication failed") ||
		         strstr(why, "no pg_hba.conf entry") || strstr(why, "role") ||
		         strstr(why, "permission denied"))
			*code = pdb_state_code("28000");
		else
			*code = pdb_state_code("08001");
		*err = xasprintf("connection '%s': cannot connect to %s as '%s': %s",
		                 p->name ? p->name : "?", where, p->user ? p->user : "", why);
		free(why);
		free(where);
	}
	PQfinish(pg);
	return NULL;
}

static const char *
schema_of(const struct db_params *p)
{
	return nonempty(p->schema) ? p->schema : "public";
}

/* make schema the one unqualified names mean; -1 (with the error) when it does not exist */
static int
set_schema(struct pdb *p, const char *schema)
{
	char *lit = pdb_literal(schema), *id = pdb_ident(schema), *v = NULL;
	int rc = db_value(&p->base, &v, "SELECT 1 FROM pg_namespace WHERE nspname = %s", lit);

	if (rc == 0)
		rc = db_set_error(&p->base, pdb_state_code("3F000"),
		                  "schema '%s' does not exist in database '%s'", schema,
		                  PQdb(p->pg));
	else if (rc > 0 && (rc = db_execf(&p->base, "SET search_path TO %s", id)) == 0) {
		free(p->schema);
		p->schema = xstrdup(schema);
	}
	free(v);
	free(lit);
	free(id);
	return rc < 0 ? -1 : 0;
}

static enum db_err classify(unsigned code);

static void
pg_close(struct db *d)
{
	struct pdb *p = pdb(d);

	PQfinish(p->pg);
	db_params_release(&p->p);
	free(p->base.err);
	free(p->server);
	free(p->schema);
	free(p);
}

/* a fresh session on p->pg: the schema, quiet notices, the server's clock as text */
static int
session_setup(struct pdb *p)
{
	atomic_store(&p->pid, (unsigned long)PQbackendPID(p->pg));
	if (db_exec(&p->base, "SET client_min_messages TO warning") < 0)
		return -1;
	return set_schema(p, p->schema ? p->schema : schema_of(&p->p));
}

static struct db *
pg_connect(const struct db_params *par, char **err, enum db_err *why)
{
	struct pdb *p = xcalloc(1, sizeof(*p));
	char *msg;
	unsigned code;

	p->base.engine = &db_postgres;
	db_params_copy(&p->p, par);
	if (!(p->pg = pg_open(&p->p, p->p.database, &msg, &code))) {
		if (err)
			*err = msg;
		else
			free(msg);
		if (why)
			*why = code == pdb_state_code("3D000") ? DB_ERR_NO_DATABASE :
			       classify(code) == DB_ERR_ACCESS ? DB_ERR_ACCESS :
			       code == pdb_state_code("0A000") ? DB_ERR_OTHER : DB_ERR_TRANSIENT;
		pg_close(&p->base);
		return NULL;
	}
	if (session_setup(p) < 0) {
		if (err)
			*err = xasprintf("connection '%s': %s", p->p.name ? p->p.name : "?", db_error(&p->base));
		if (why)
			*why = p->base.errnum == pdb_state_code("3F000") ? DB_ERR_NO_DATABASE :
			       classify(p->base.errnum);
		pg_close(&p->base);
		return NULL;
	}
	return &p->base;
}

static int
pg_reconnect(struct db *d)
{
	struct pdb *p = pdb(d);
	PGconn *pg;
	char *msg;
	unsigned code;

	if (!(pg = pg_open(&p->p, p->p.database, &msg, &code))) {
		db_set_error(d, code, "%s", msg);
		free(msg);
		return -1;
	}
	PQfinish(p->pg);
	p->pg = pg;
	free(p->server);
	p->server = NULL;
	return session_setup(p);
}

static const struct db_params *
pg_params(struct db *d)
{
	return &pdb(d)->p;
}

static const char *
pg_conn_name(struct db *d)
{
	return pdb(d)->p.name ? pdb(d)->p.name : "";
}

static int
pg_exec(struct db *d, const char *sql)
{
	return pdb_run(pdb(d), sql, NULL);
}

static long long
pg_affected(struct db *d)
{
	return pdb(d)->affected;
}

static struct dbres *
pg_query(struct db *d, const char *sql)
{
	struct pres *r;
	PGresult *res;

	if (pdb_run(pdb(d), sql, &res) < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->base.engine = &db_postgres;
	r->res = res;
	r->row = -1;
	r->nrows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	r->ncols = PQresultStatus(res) == PGRES_TUPLES_OK ? (size_t)PQnfields(res) : 0;
	return &r->base;
}

static bool
res_next(struct dbres *b)
{
	struct pres *r = (struct pres *)b;

	if (r->row + 1 >= r->nrows) {
		r->row = r->nrows;
		return false;
	}
	r->row++;
	return true;
}

static const char *
res_get(struct dbres *b, size_t i)
{
	struct pres *r = (struct pres *)b;

	if (r->row < 0 || r->row >= r->nrows || i >= r->ncols || PQgetisnull(r->res, r->row, (int)i))
		return NULL;
	return PQgetvalue(r->res, r->row, (int)i);
}

static size_t
res_ncols(struct dbres *b)
{
	return ((struct pres *)b)->ncols;
}

static const char *
res_colname(struct dbres *b, size_t i)
{
	struct pres *r = (struct pres *)b;

	return i < r->ncols ? PQfname(r->res, (int)i) : NULL;
}

static size_t
res_nrows(struct dbres *b)
{
	return (size_t)((struct pres *)b)->nrows;
}

static void
res_free(struct dbres *b)
{
	struct pres *r = (struct pres *)b;

	PQclear(r->res);
	free(r);
}

/* a serialization failure, a deadlock */
static bool
conflict(unsigned code)
{
	return code == PDB_STATE("40001") || code == PDB_STATE("40P01");
}

static enum db_err
classify(unsigned code)
{
	char cls[3];

	if (code == 0)
		return DB_ERR_OTHER;
	if (code == PDB_STATE("40001") || code == PDB_STATE("40P01") || code == PDB_STATE("55P03") ||
	    code == PDB_STATE("57P01") || code == PDB_STATE("57P02") || code == PDB_STATE("57P03") ||
	    code == PDB_STATE("53300"))
		return DB_ERR_TRANSIENT;
	if (code == PDB_STATE("57014") || code == PDB_STATE("25P03"))
		return DB_ERR_KILLED;
	if (code == PDB_STATE("42501") || code == PDB_STATE("3D000") || code == PDB_STATE("3F000"))
		return DB_ERR_ACCESS;
	if (code == PDB_STATE("42P01"))
		return DB_ERR_NO_TABLE;
	/* the class: the first two characters */
	cls[0] = (char)(((code >> 24) & 63) | 0x20);
	cls[1] = (char)(((code >> 18) & 63) | 0x20);
	cls[2] = '\0';
	if (strcmp(cls, "08") == 0)
		return DB_ERR_TRANSIENT;
	if (strcmp(cls, "28") == 0)
		return DB_ERR_ACCESS;
	return DB_ERR_OTHER;
}

static unsigned long
pg_thread_id(struct db *d)
{
	return atomic_load(&pdb(d)->pid);
}

static int
pg_kill(struct db *d, unsigned long id)
{
	return db_execf(d, "SELECT pg_cancel_backend(%lu)", id);
}

static int
pg_kill_query(const struct db_params *p, unsigned long id)
{
	struct db *d;
	char *err = NULL;
	int rc;

	if (!(d = db_connect(p, &err, NULL))) {
		free(err);
		return -1;
	}
	rc = pg_kill(d, id);
	db_close(d);
	return rc;
}

static char *
pg_quote(struct db *d, const char *s)
{
	(void)d;
	return pdb_literal(s);
}

/* booleans and numbers alike: false and 0 read as text */
static char *
pg_falsy(const char *expr)
{
	return xasprintf("COALESCE(CAST(%s AS text), '0') IN ('0', 'false')", expr);
}

static const char *
pg_name(struct db *d)
{
	return pdb(d)->schema ? pdb(d)->schema : schema_of(&pdb(d)->p);
}

/* the server instance and the database: one server's databases cannot read each other */
static const char *
server_id(struct pdb *p)
{
	if (!p->server)
		p->server = db_row_text(&p->base, "SELECT inet_server_addr(), current_setting('port'),"
		                        " pg_postmaster_start_time(), current_database()");
	return p->server;
}

static bool
pg_same_server(struct db *a, struct db *b)
{
	const char *x = server_id(pdb(a)), *y = server_id(pdb(b));

	return x && y && strcmp(x, y) == 0;
}

static int
pg_read_committed(struct db *d)
{
	return db_exec(d, "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED");
}

static int
pg_use(struct db *d, const char *schema)
{
	return set_schema(pdb(d), schema);
}

const struct db_engine db_postgres = {
	.driver = "postgres",
	.connect = pg_connect,
	.close = pg_close,
	.reconnect = pg_reconnect,
	.conn_name = pg_conn_name,
	.name = pg_name,
	.same_server = pg_same_server,
	.exec = pg_exec,
	.affected = pg_affected,
	.query = pg_query,
	.res_next = res_next,
	.res_get = res_get,
	.res_ncols = res_ncols,
	.res_colname = res_colname,
	.res_nrows = res_nrows,
	.res_free = res_free,
	.classify = classify,
	.conflict = conflict,
	.thread_id = pg_thread_id,
	.kill_query = pg_kill_query,
	.kill = pg_kill,
	.quote = pg_quote,
	.ident = pdb_ident,
	.falsy = pg_falsy,
	.read_committed = pg_read_committed,
	.use = pg_use,
	.result_ddl = pdb_result_ddl,
	.copy = pdb_copy,
	.result_types = pdb_result_types,
	.cols_ddl = pdb_cols_ddl,
	.open_reader = pdb_open_reader,
	.params = pg_params,
	.write_rows = pdb_write_rows,
	.now = pdb_now,
	.ts_minus = pdb_ts_minus,
	.ts_after = pdb_ts_after,
	.lock = pdb_lock,
	.unlock = pdb_unlock,
	.locks_used = pdb_locks_used,
	.table_exists = pdb_table_exists,
	.table_columns = pdb_table_columns,
	.primary_key = pdb_primary_key,
	.drop_table = pdb_drop_table,
	.create_like = pdb_create_like,
	.create_from_query = pdb_create_from_query,
	.add_stamp = pdb_add_stamp,
	.add_primary_key = db_common_add_primary_key,
	.add_indexes = pdb_add_indexes,
	.add_missing_indexes = pdb_add_missing_indexes,
	.swap = pdb_swap,
	.checksum = pdb_checksum,
	.digest = pdb_digest,
	.keep_stamps = pdb_keep_stamps,
	.upsert = pdb_upsert,
	.follow_deletes = pdb_follow_deletes,
	.delete_flagged = pdb_delete_flagged,
	.logged_rows = pdb_logged_rows,
	.delete_absent = pdb_delete_absent,
	.delete_missing = pdb_delete_missing,
	.site_select = pdb_site_select,
	.aggregate = pdb_aggregate,
	.check_privileges = pdb_check_privileges,
	.create_database = pdb_create_database,
	.prepare_check = pdb_prepare_check,
	.type_parse = pdb_type_parse,
	.type_sql = pdb_type_sql,
	.create_table = pdb_create_table,
	.insert_values = pdb_insert_values,
};
