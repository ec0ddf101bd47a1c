/* db_mariadb.c: the engine for MariaDB and MySQL, on Connector/C: connections, statements, results, errors */
#include "db_mariadb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "log.h"
#include "util.h"

struct mres {
	struct dbres base;
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t ncols;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

void
mdb_library_init(void)
{
	pthread_once(&lib_once, lib_init);
}

static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int
mdb_error(struct mdb *m)
{
	return db_set_error(&m->base, mysql_errno(m->my), "%s", mysql_error(m->my));
}

static enum db_err classify(unsigned code);

/*
 * the id of m's session; on a cluster's node list, with the node (its index
 * + 1) in the bits from NODE_SHIFT up: another node has sessions of the
 * same id, and a KILL must reach the node the session is on
 */
#define NODE_SHIFT 48

static void
note_thread_id(struct mdb *m)
{
	unsigned long id = mysql_thread_id(m->my);

	if (m->p.nhosts)
		id |= (unsigned long)(m->node + 1) << NODE_SHIFT;
	atomic_store(&m->thread_id, id);
}

static void
my_close(struct db *d)
{
	struct mdb *m = mdb(d);

	if (m->my)
		mysql_close(m->my);
	db_params_release(&m->p);
	free(m->base.err);
	free(m->server);
	free(m->dbname);
	free(m);
}

static struct db *
my_connect(const struct db_params *p, char **err, enum db_err *why)
{
	struct mdb *m = xcalloc(1, sizeof(*m));
	char *msg;
	unsigned code;

	m->base.engine = &db_mariadb;
	db_params_copy(&m->p, p);
	if (!(m->my = mdb_open_at(&m->p, 0, &m->node, &msg, &code))) {
		if (err)
			*err = msg;
		else
			free(msg);
		/* a refused or lost connection can pass; a wrong password cannot */
		if (why)
			*why = code == ER_BAD_DB_ERROR ? DB_ERR_NO_DATABASE :
			       classify(code) == DB_ERR_ACCESS ? DB_ERR_ACCESS : DB_ERR_TRANSIENT;
		my_close(&m->base);
		return NULL;
	}
	note_thread_id(m);
	return &m->base;
}

static int
my_reconnect(struct db *d)
{
	struct mdb *m = mdb(d);
	MYSQL *my;
	char *msg;
	unsigned code;

	if (!(my = mdb_open_at(&m->p, m->node + 1, &m->node, &msg, &code))) {
		db_set_error(d, code, "%s", msg);
		free(msg);
		return -1;
	}
	if (m->my)
		mysql_close(m->my);
	m->my = my;
	note_thread_id(m);
	free(m->server);
	m->server = NULL;
	free(m->dbname);
	m->dbname = NULL;
	return 0;
}

static const struct db_params *
my_params(struct db *d)
{
	return &mdb(d)->p;
}

/*
 * a Galera node: wsrep_on (MySQL has no such variable: not one). The
 * session's reads then wait until the node has applied what the cluster
 * committed before them (wsrep_sync_wait): a runner on another node may just
 * have published a table or a marker
 */
static int
my_cluster(struct db *d)
{
	char *v = NULL;
	int rc;

	if (db_value(d, &v, "SELECT @@wsrep_on") < 0) {
		free(v);
		return 0;
	}
	rc = v && strcmp(v, "1") == 0;
	free(v);
	if (rc && db_exec(d, "SET SESSION wsrep_sync_wait = 1") < 0)
		return -1;
	return rc;
}

static const char *
my_conn_name(struct db *d)
{
	return mdb(d)->p.name ? mdb(d)->p.name : "";
}

int
mdb_drain(struct mdb *m)
{
	MYSQL_RES *res;
	int st;

	while ((st = mysql_next_result(m->my)) == 0) {
		if ((res = mysql_store_result(m->my)))
			mysql_free_result(res);
		else if (mysql_field_count(m->my))
			return mdb_error(m);
	}
	return st > 0 ? mdb_error(m) : 0;
}

/* "Records: 10  Duplicates: 2  Warnings: 0" of a multi-row statement */
static void
parse_info(struct mdb *m)
{
	const char *info = mysql_info(m->my), *p;

	m->records = m->duplicates = -1;
	if (!info)
		return;
	if ((p = strstr(info, "Records: ")))
		m->records = atoll(p + 9);
	if ((p = strstr(info, "Duplicates: ")))
		m->duplicates = atoll(p + 12);
}

/* the session is in a transaction of its own (BEGIN), or not in autocommit */
static bool
in_transaction(struct mdb *m)
{
	unsigned int status = 0;

	if (mariadb_get_infov(m->my, MARIADB_CONNECTION_SERVER_STATUS, &status))
		return true;
	return (status & SERVER_STATUS_IN_TRANS) || !(status & SERVER_STATUS_AUTOCOMMIT);
}

/*
 * a statement of its own (autocommit, outside a transaction) that a deadlock
 * undid whole, as a Galera cluster's certification does to one of two
 * commits that wrote the same rows on two nodes: run it again after a short
 * wait, a few times. Not a CALL: a procedure's earlier statements committed.
 */
static int
run_again(struct mdb *m, const char *sql, bool alone)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (!alone || mysql_errno(m->my) != ER_LOCK_DEADLOCK ||
		    strncasecmp(sql, "CALL", 4) == 0)
			return -1;
		usleep(20000U << attempt);
		if (!mysql_real_query(m->my, sql, strlen(sql)))
			return 0;
	}
	return -1;
}

int
mdb_run(struct mdb *m, const char *sql, MYSQL_RES **resp)
{
	MYSQL_RES *res;
	bool alone = !in_transaction(m);

	*resp = NULL;
	log_statement(m->p.name, sql);
	if (mysql_real_query(m->my, sql, strlen(sql)) && run_again(m, sql, alone) < 0)
		return mdb_error(m);
	res = mysql_store_result(m->my);
	if (!res && mysql_field_count(m->my))
		return mdb_error(m);
	m->affected = (long long)mysql_affected_rows(m->my);
	parse_info(m);
	if (mdb_drain(m) < 0) {
		if (res)
			mysql_free_result(res);
		return -1;
	}
	*resp = res;
	return 0;
}

void
mdb_run_quiet(struct mdb *m, const char *sql)
{
	MYSQL_RES *res;

	if (mysql_real_query(m->my, sql, strlen(sql)))
		return;
	do {
		if ((res = mysql_store_result(m->my)))
			mysql_free_result(res);
	} while (mysql_next_result(m->my) == 0);
}

static int
my_exec(struct db *d, const char *sql)
{
	MYSQL_RES *res;

	if (mdb_run(mdb(d), sql, &res) < 0)
		return -1;
	if (res)
		mysql_free_result(res);
	return 0;
}

static long long
my_affected(struct db *d)
{
	return mdb(d)->affected;
}

static struct dbres *
my_query(struct db *d, const char *sql)
{
	struct mres *r;
	MYSQL_RES *res;

	if (mdb_run(mdb(d), sql, &res) < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->base.engine = &db_mariadb;
	r->res = res;
	r->ncols = res ? mysql_num_fields(res) : 0;
	return &r->base;
}

static bool
res_next(struct dbres *b)
{
	struct mres *r = (struct mres *)b;

	if (!r->res)
		return false;
	r->row = mysql_fetch_row(r->res);
	return r->row != NULL;
}

static const char *
res_get(struct dbres *b, size_t i)
{
	struct mres *r = (struct mres *)b;

	if (!r->row || i >= r->ncols)
		return NULL;
	return r->row[i];
}

static size_t
res_ncols(struct dbres *b)
{
	return ((struct mres *)b)->ncols;
}

static const char *
res_colname(struct dbres *b, size_t i)
{
	struct mres *r = (struct mres *)b;

	if (i >= r->ncols)
		return NULL;
	return mysql_fetch_field_direct(r->res, (unsigned)i)->name;
}

static size_t
res_nrows(struct dbres *b)
{
	struct mres *r = (struct mres *)b;

	return r->res ? (size_t)mysql_num_rows(r->res) : 0;
}

static void
res_free(struct dbres *b)
{
	struct mres *r = (struct mres *)b;

	if (r->res)
		mysql_free_result(r->res);
	free(r);
}

static bool
conflict(unsigned code)
{
	return code == ER_LOCK_DEADLOCK || code == 1467;
}

static enum db_err
classify(unsigned code)
{
	switch (code) {
	case 0:
		return DB_ERR_OTHER;
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_UNKNOWN_COM_ERROR: /* Galera: the node is not in the primary component */
	case 1467: /* InnoDB reports some deadlocks on auto-increment so */
	case 4031: /* disconnected by the server after inactivity */
		return DB_ERR_TRANSIENT;
	case ER_FILSORT_ABORT:
	case ER_QUERY_INTERRUPTED:
	case ER_CONNECTION_KILLED:
	case ER_STATEMENT_TIMEOUT:
	case 3024: /* MySQL: max_execution_time exceeded */
		return DB_ERR_KILLED;
	case ER_DBACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_ERROR:
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
	case ER_SPECIFIC_ACCESS_DENIED_ERROR:
	case ER_PROCACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
	case ER_BAD_DB_ERROR:
		return DB_ERR_ACCESS;
	case ER_NO_SUCH_TABLE:
	case ER_BAD_TABLE_ERROR:
	case ER_UNKNOWN_TABLE:
		return DB_ERR_NO_TABLE;
	}
	return DB_ERR_OTHER;
}

static unsigned long
my_thread_id(struct db *d)
{
	return atomic_load(&mdb(d)->thread_id);
}

static int
my_kill_query(const struct db_params *p, unsigned long id)
{
	MYSQL *my;
	char *err, sql[64];
	unsigned code;
	size_t node = id >> NODE_SHIFT, used = 0;
	int rc = 0;

	if (!(my = mdb_open_at(p, node ? node - 1 : 0, &used, &err, &code))) {
		free(err);
		return -1;
	}
	if (node && used != node - 1) {
		/* that node does not answer: its sessions are gone with it */
		mysql_close(my);
		return 0;
	}
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", id & ((1UL << NODE_SHIFT) - 1));
	/* a connection that is gone runs nothing: that is done too */
	if (mysql_real_query(my, sql, strlen(sql)) && mysql_errno(my) != ER_NO_SUCH_THREAD)
		rc = -1;
	mysql_close(my);
	return rc;
}

static int
my_kill(struct db *d, unsigned long id)
{
	size_t node = id >> NODE_SHIFT;

	if (node && node - 1 != mdb(d)->node)
		return my_kill_query(&mdb(d)->p, id);
	if (db_execf(d, "KILL QUERY %lu", id & ((1UL << NODE_SHIFT) - 1)) < 0 &&
	    db_errno(d) != ER_NO_SUCH_THREAD)
		return -1;
	return 0;
}

void
mdb_add_escaped(struct buf *b, const char *s, size_t n, const char esc[256])
{
	const char *end = s + n;
	char *w;

	if (b->len + 2 * n + 1 > b->cap) {
		while (b->len + 2 * n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xrealloc(b->s, b->cap);
	}
	w = b->s + b->len;
	for (; s < end; s++) {
		char e = esc[(unsigned char)*s];

		if (e) {
			*w++ = '\\';
			*w++ = e;
		} else {
			*w++ = *s;
		}
	}
	b->len = w - b->s;
	b->s[b->len] = '\0';
}

const char mdb_sql_esc[256] = {
	[0] = '0', ['\n'] = 'n', ['\r'] = 'r', ['\\'] = '\\', ['\''] = '\'', [26] = 'Z',
};

static char *
my_quote(struct db *d, const char *s)
{
	struct buf b;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	buf_init(&b);
	buf_addc(&b, '\'');
	if (d && mdb(d)->my) {
		/* honours NO_BACKSLASH_ESCAPES in the session */
		char *tmp = xmalloc(2 * n + 1);
		unsigned long k = mysql_real_escape_string(mdb(d)->my, tmp, s, n);

		buf_add(&b, tmp, k);
		free(tmp);
	} else {
		mdb_add_escaped(&b, s, n, mdb_sql_esc);
	}
	buf_addc(&b, '\'');
	return buf_detach(&b);
}

char *
mdb_ident(const char *s)
{
	return db_quote_doubled(s, '`');
}

static const char *
my_name(struct db *d)
{
	struct mdb *m = mdb(d);

	if (nonempty(m->p.database))
		return m->p.database;
	if (!m->dbname && db_value(d, &m->dbname, "SELECT DATABASE()") >= 0 && !m->dbname)
		m->dbname = xstrdup("");
	return m->dbname ? m->dbname : "";
}

/* host, port, socket and data directory: what tells a server instance apart */
static const char *
server_id(struct mdb *m)
{
	if (!m->server)
		m->server = db_row_text(&m->base, "SELECT @@hostname, @@port, @@socket, @@datadir");
	return m->server;
}

static bool
my_same_server(struct db *a, struct db *b)
{
	const char *x = server_id(mdb(a)), *y = server_id(mdb(b));

	return x && y && strcmp(x, y) == 0;
}

static char *
my_falsy(const char *expr)
{
	return xasprintf("NOT COALESCE(%s, 0)", expr);
}

const struct db_engine db_mariadb = {
	.driver = "mariadb",
	.connect = my_connect,
	.close = my_close,
	.reconnect = my_reconnect,
	.conn_name = my_conn_name,
	.name = my_name,
	.same_server = my_same_server,
	.exec = my_exec,
	.affected = my_affected,
	.query = my_query,
	.res_next = res_next,
	.res_get = res_get,
	.res_ncols = res_ncols,
	.res_colname = res_colname,
	.res_nrows = res_nrows,
	.res_free = res_free,
	.classify = classify,
	.conflict = conflict,
	.thread_id = my_thread_id,
	.kill_query = my_kill_query,
	.kill = my_kill,
	.quote = my_quote,
	.ident = mdb_ident,
	.falsy = my_falsy,
	.read_committed = mdb_read_committed,
	.use = mdb_use,
	.now = mdb_now,
	.ts_minus = mdb_ts_minus,
	.ts_after = mdb_ts_after,
	.lock = mdb_lock,
	.unlock = mdb_unlock,
	.locks_used = mdb_locks_used,
	.table_exists = mdb_table_exists,
	.table_columns = mdb_table_columns,
	.primary_key = mdb_primary_key,
	.drop_table = mdb_drop_table,
	.create_like = mdb_create_like,
	.create_from_query = mdb_create_from_query,
	.add_stamp = mdb_add_stamp,
	.add_row_id = mdb_add_row_id,
	.add_primary_key = db_common_add_primary_key,
	.add_indexes = mdb_add_indexes,
	.swap = mdb_swap,
	.checksum = mdb_checksum,
	.digest = mdb_digest,
	.keep_stamps = mdb_keep_stamps,
	.upsert = mdb_upsert,
	.follow_deletes = mdb_follow_deletes,
	.delete_flagged = mdb_delete_flagged,
	.logged_rows = mdb_logged_rows,
	.delete_absent = mdb_delete_absent,
	.site_select = mdb_site_select,
	.aggregate = mdb_aggregate,
	.check_privileges = mdb_check_privileges,
	.result_ddl = mdb_result_ddl,
	.copy = mdb_copy,
	.prepare_check = mdb_prepare_check,
	.create_database = mdb_create_database,
	.add_missing_indexes = mdb_add_missing_indexes,
	.type_parse = mdb_type_parse,
	.type_sql = mdb_type_sql,
	.create_table = mdb_create_table,
	.insert_values = mdb_insert_values,
	.result_types = mdb_result_types,
	.cols_ddl = mdb_cols_ddl,
	.open_reader = mdb_open_reader,
	.params = my_params,
	.cluster = my_cluster,
	.write_rows = mdb_write_rows,
	.log_usable = mdb_log_usable,
	.log_position = mdb_log_position,
	.log_snapshot = mdb_log_snapshot,
	.log_read = mdb_log_read,
	.delete_missing = mdb_delete_missing,
};
