/* db_mariadb.c: the database driver for MariaDB and MySQL, on Connector/C */
#include "db.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "recipe.h"
#include "log.h"
#include "util.h"

/* rows between progress callbacks */
#define PROGRESS_ROWS 10000
/* size of one INSERT when LOAD DATA LOCAL is refused */
#define INSERT_BATCH (1 << 20)
/* bytes a row may take in a table, less a margin for headers */
#define ROW_MAX 65000
/* the session sql_mode while copying: zero dates load, 0 stays 0 */
#define COPY_SQL_MODE "NO_AUTO_VALUE_ON_ZERO"
/* charsetnr of binary strings */
#define BINARY_CHARSET 63

struct db {
	MYSQL *my;
	struct conn conn;         /* own copy of the settings */
	char *err;                /* last error message */
	unsigned errnum;          /* and its code */
	long long affected;
	long long records, duplicates; /* of the last INSERT ... SELECT or LOAD DATA, -1 unknown */
	atomic_ulong thread_id;   /* read by other threads for KILL QUERY */
	char *server;             /* cached identity of the server instance */
	char *dbname;             /* cached DATABASE() when conn names none */
};

struct dbres {
	MYSQL_RES *res;
	MYSQL_ROW row;
	size_t ncols;
};

/* one db_copy: the source stream feeding LOAD DATA or INSERTs on dst */
struct copy {
	struct db *src, *dst;
	const char *sql;          /* the query streamed from src */
	MYSQL_RES *res;           /* its unbuffered result */
	unsigned ncols;
	bool done;                /* every row was read (or the source failed) */
	bool requested;           /* the server asked for the LOAD data */
	long long rows;
	db_progress_fn progress;
	void *arg;
	struct buf out;           /* encoded rows not yet handed to the client */
	size_t pos;               /* bytes of out already handed over */
	struct db *errside;       /* set when a side failed inside a callback */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void refuse_infile(MYSQL *my);

static void
lib_init(void)
{
	mysql_library_init(0, NULL, NULL);
}

static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static char *
xstrdup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
set_error(struct db *d, unsigned code, const char *fmt, ...)
{
	va_list ap;

	free(d->err);
	va_start(ap, fmt);
	d->err = xvasprintf(fmt, ap);
	va_end(ap);
	d->errnum = code;
}

/* record the client library's last error on d; returns -1 */
static int
my_error(struct db *d)
{
	set_error(d, mysql_errno(d->my), "%s", mysql_error(d->my));
	return -1;
}

/* replace every copy of secret in *msg by *** */
static void
scrub(char **msg, const char *secret)
{
	struct buf b;
	const char *p, *hit;
	size_t n;

	if (!secret || strlen(secret) < 3 || !strstr(*msg, secret))
		return;
	n = strlen(secret);
	buf_init(&b);
	for (p = *msg; (hit = strstr(p, secret)); p = hit + n) {
		buf_add(&b, p, hit - p);
		buf_adds(&b, "***");
	}
	buf_adds(&b, p);
	free(*msg);
	*msg = buf_detach(&b);
}

/* where c points, for messages: host:port, the socket or localhost */
static char *
endpoint(const struct conn *c)
{
	const char *host = nonempty(c->host), *sock = nonempty(c->socket);

	if (host && !sock)
		return xasprintf("%s:%u", host, c->port ? c->port : 3306);
	if (sock)
		return xasprintf("socket %s", sock);
	return xstrdup("localhost");
}

/* open a client connection; NULL with a message naming c (never its password) */
static MYSQL *
my_open(const struct conn *c, char **err, unsigned *code)
{
	MYSQL *my;
	unsigned int one = 1, timeout = 10;
	char *where;

	pthread_once(&lib_once, lib_init);
	*err = NULL;
	*code = 0;
	if (!(my = mysql_init(NULL))) {
		*err = xasprintf("connection '%s': out of memory", c->name ? c->name : "?");
		*code = CR_OUT_OF_MEMORY;
		return NULL;
	}
	mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &one);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	/* a socket, when given, wins over host and port */
	if (mysql_real_connect(my, nonempty(c->socket) ? "localhost" : nonempty(c->host),
	                       c->user, c->password,
	                       nonempty(c->database), c->port, nonempty(c->socket),
	                       CLIENT_MULTI_RESULTS)) {
		refuse_infile(my);
		return my;
	}
	where = endpoint(c);
	*code = mysql_errno(my);
	{
		char *why = xstrdup(mysql_error(my));

		scrub(&why, c->password);
		*err = xasprintf("connection '%s': cannot connect to %s as '%s': %s",
		                 c->name ? c->name : "?", where, c->user ? c->user : "", why);
		free(why);
	}
	free(where);
	mysql_close(my);
	return NULL;
}

static void
conn_copy(struct conn *to, const struct conn *from)
{
	to->name = xstrdup0(from->name);
	to->driver = xstrdup0(from->driver);
	to->host = xstrdup0(from->host);
	to->port = from->port;
	to->socket = xstrdup0(from->socket);
	to->user = xstrdup0(from->user);
	to->password = xstrdup0(from->password);
	to->database = xstrdup0(from->database);
}

static void
conn_release(struct conn *c)
{
	free(c->name);
	free(c->driver);
	free(c->host);
	free(c->socket);
	free(c->user);
	free(c->password);
	free(c->database);
}

struct db *
db_connect(const struct conn *c, char **err)
{
	struct db *d = xcalloc(1, sizeof(*d));
	char *msg;
	unsigned code;

	conn_copy(&d->conn, c);
	if (!(d->my = my_open(&d->conn, &msg, &code))) {
		if (err)
			*err = msg;
		else
			free(msg);
		db_close(d);
		return NULL;
	}
	atomic_store(&d->thread_id, mysql_thread_id(d->my));
	return d;
}

void
db_close(struct db *d)
{
	if (!d)
		return;
	if (d->my)
		mysql_close(d->my);
	conn_release(&d->conn);
	free(d->err);
	free(d->server);
	free(d->dbname);
	free(d);
}

const struct conn *
db_conn(struct db *d)
{
	return &d->conn;
}

int
db_reconnect(struct db *d)
{
	MYSQL *my;
	char *msg;
	unsigned code;

	if (!(my = my_open(&d->conn, &msg, &code))) {
		set_error(d, code, "%s", msg);
		free(msg);
		return -1;
	}
	if (d->my)
		mysql_close(d->my);
	d->my = my;
	atomic_store(&d->thread_id, mysql_thread_id(my));
	free(d->server);
	d->server = NULL;
	free(d->dbname);
	d->dbname = NULL;
	return 0;
}

/* consume the results after the current one (a CALL sends several) */
static int
drain(struct db *d)
{
	MYSQL_RES *res;
	int st;

	while ((st = mysql_next_result(d->my)) == 0) {
		if ((res = mysql_store_result(d->my)))
			mysql_free_result(res);
		else if (mysql_field_count(d->my))
			return my_error(d);
	}
	return st > 0 ? my_error(d) : 0;
}

/* "Records: 10  Duplicates: 2  Warnings: 0" of a multi-row statement */
static void
parse_info(struct db *d)
{
	const char *info = mysql_info(d->my), *p;

	d->records = d->duplicates = -1;
	if (!info)
		return;
	if ((p = strstr(info, "Records: ")))
		d->records = atoll(p + 9);
	if ((p = strstr(info, "Duplicates: ")))
		d->duplicates = atoll(p + 12);
}

/* run sql and store its first result (NULL if it has none); -1 on error */
static int
run(struct db *d, const char *sql, MYSQL_RES **resp)
{
	MYSQL_RES *res;

	*resp = NULL;
	log_statement(d->conn.name, sql);
	if (mysql_real_query(d->my, sql, strlen(sql)))
		return my_error(d);
	res = mysql_store_result(d->my);
	if (!res && mysql_field_count(d->my))
		return my_error(d);
	d->affected = (long long)mysql_affected_rows(d->my);
	parse_info(d);
	if (drain(d) < 0) {
		if (res)
			mysql_free_result(res);
		return -1;
	}
	*resp = res;
	return 0;
}

/* run sql, ignoring its outcome and keeping d's last error */
static void
run_quiet(struct db *d, const char *sql)
{
	MYSQL_RES *res;

	if (mysql_real_query(d->my, sql, strlen(sql)))
		return;
	do {
		if ((res = mysql_store_result(d->my)))
			mysql_free_result(res);
	} while (mysql_next_result(d->my) == 0);
}

int
db_exec(struct db *d, const char *sql)
{
	MYSQL_RES *res;

	if (run(d, sql, &res) < 0)
		return -1;
	if (res)
		mysql_free_result(res);
	return 0;
}

int
db_execf(struct db *d, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int rc;

	va_start(ap, fmt);
	sql = xvasprintf(fmt, ap);
	va_end(ap);
	rc = db_exec(d, sql);
	free(sql);
	return rc;
}

long long
db_affected(struct db *d)
{
	return d->affected;
}

long long
db_inserted(struct db *d)
{
	/*
	 * an upsert counts 1 affected row per insert and 2 per changed update;
	 * Duplicates counts the changed updates (unchanged rows count nowhere)
	 */
	if (d->records < 0 || d->duplicates < 0)
		return -1;
	return d->affected - 2 * d->duplicates;
}

struct dbres *
db_query(struct db *d, const char *sql)
{
	struct dbres *r;
	MYSQL_RES *res;

	if (run(d, sql, &res) < 0)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->res = res;
	r->ncols = res ? mysql_num_fields(res) : 0;
	return r;
}

struct dbres *
db_queryf(struct db *d, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	struct dbres *r;

	va_start(ap, fmt);
	sql = xvasprintf(fmt, ap);
	va_end(ap);
	r = db_query(d, sql);
	free(sql);
	return r;
}

bool
dbres_next(struct dbres *r)
{
	if (!r->res)
		return false;
	r->row = mysql_fetch_row(r->res);
	return r->row != NULL;
}

const char *
dbres_get(struct dbres *r, size_t i)
{
	if (!r->row || i >= r->ncols)
		return NULL;
	return r->row[i];
}

size_t
dbres_ncols(struct dbres *r)
{
	return r->ncols;
}

const char *
dbres_colname(struct dbres *r, size_t i)
{
	if (i >= r->ncols)
		return NULL;
	return mysql_fetch_field_direct(r->res, (unsigned)i)->name;
}

size_t
dbres_nrows(struct dbres *r)
{
	return r->res ? (size_t)mysql_num_rows(r->res) : 0;
}

void
dbres_free(struct dbres *r)
{
	if (!r)
		return;
	if (r->res)
		mysql_free_result(r->res);
	free(r);
}

int
db_value(struct db *d, char **out, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	struct dbres *r;
	const char *v;
	int rc = 0;

	if (out)
		*out = NULL;
	va_start(ap, fmt);
	sql = xvasprintf(fmt, ap);
	va_end(ap);
	r = db_query(d, sql);
	free(sql);
	if (!r)
		return -1;
	if (dbres_next(r)) {
		rc = 1;
		if (out && (v = dbres_get(r, 0)))
			*out = xstrdup(v);
	}
	dbres_free(r);
	return rc;
}

const char *
db_error(struct db *d)
{
	return d->err ? d->err : "";
}

unsigned
db_errno(struct db *d)
{
	return d->errnum;
}

bool
db_error_transient(struct db *d)
{
	switch (d->errnum) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CON_COUNT_ERROR:
	case ER_SERVER_SHUTDOWN:
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case 1467: /* InnoDB reports some deadlocks on auto-increment so */
	case 4031: /* disconnected by the server after inactivity */
		return true;
	}
	return false;
}

bool
db_error_killed(struct db *d)
{
	switch (d->errnum) {
	case ER_FILSORT_ABORT:
	case ER_QUERY_INTERRUPTED:
	case ER_CONNECTION_KILLED:
	case ER_STATEMENT_TIMEOUT:
	case 3024: /* MySQL: max_execution_time exceeded */
		return true;
	}
	return false;
}

unsigned long
db_thread_id(struct db *d)
{
	return atomic_load(&d->thread_id);
}

int
db_kill_query(const struct conn *c, unsigned long id)
{
	MYSQL *my;
	char *err, sql[64];
	unsigned code;
	int rc = 0;

	if (!(my = my_open(c, &err, &code))) {
		free(err);
		return -1;
	}
	snprintf(sql, sizeof(sql), "KILL QUERY %lu", id);
	/* a connection that is gone runs nothing: that is done too */
	if (mysql_real_query(my, sql, strlen(sql)) && mysql_errno(my) != ER_NO_SUCH_THREAD)
		rc = -1;
	mysql_close(my);
	return rc;
}

/* append s (n bytes) to b with each byte that esc maps escaped by a backslash */
static void
add_escaped(struct buf *b, const char *s, size_t n, const char esc[256])
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

/* escapes inside a quoted SQL string */
static const char sql_esc[256] = {
	[0] = '0', ['\n'] = 'n', ['\r'] = 'r', ['\\'] = '\\', ['\''] = '\'', [26] = 'Z',
};

char *
db_quote(struct db *d, const char *s)
{
	struct buf b;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	buf_init(&b);
	buf_addc(&b, '\'');
	if (d && d->my) {
		/* honours NO_BACKSLASH_ESCAPES in the session */
		char *tmp = xmalloc(2 * n + 1);
		unsigned long m = mysql_real_escape_string(d->my, tmp, s, n);

		buf_add(&b, tmp, m);
		free(tmp);
	} else {
		add_escaped(&b, s, n, sql_esc);
	}
	buf_addc(&b, '\'');
	return buf_detach(&b);
}

char *
db_ident(const char *s)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '`');
	for (; *s; s++) {
		if (*s == '`')
			buf_addc(&b, '`');
		buf_addc(&b, *s);
	}
	buf_addc(&b, '`');
	return buf_detach(&b);
}

const char *
db_name(struct db *d)
{
	if (nonempty(d->conn.database))
		return d->conn.database;
	if (!d->dbname && db_value(d, &d->dbname, "SELECT DATABASE()") >= 0 && !d->dbname)
		d->dbname = xstrdup("");
	return d->dbname ? d->dbname : "";
}

/* host, port, socket and data directory: what tells a server instance apart */
static const char *
server_id(struct db *d)
{
	struct dbres *r;
	struct buf b;
	size_t i;

	if (d->server)
		return d->server;
	if (!(r = db_query(d, "SELECT @@hostname, @@port, @@socket, @@datadir")))
		return NULL;
	if (dbres_next(r)) {
		buf_init(&b);
		for (i = 0; i < dbres_ncols(r); i++)
			buf_addf(&b, "%s\n", dbres_get(r, i) ? dbres_get(r, i) : "");
		d->server = buf_detach(&b);
	}
	dbres_free(r);
	return d->server;
}

bool
db_same_server(struct db *a, struct db *b)
{
	const char *x, *y;

	if (a == b)
		return true;
	x = server_id(a);
	y = server_id(b);
	return x && y && strcmp(x, y) == 0;
}

/* select_sql without trailing blanks and semicolons, malloc'ed */
static char *
trim_sql(const char *sql)
{
	size_t n = strlen(sql);

	while (n > 0 && strchr(" \t\r\n;", sql[n - 1]))
		n--;
	return xstrndup(sql, n);
}

/* `table`, or table as written when the caller quoted it already */
static char *
table_ident(const char *table)
{
	return strchr(table, '`') ? xstrdup(table) : db_ident(table);
}

/* the columns select_sql returns, without running it (LIMIT 0) */
static MYSQL_RES *
probe(struct db *src, const char *select_sql)
{
	MYSQL_RES *res;
	char *q = trim_sql(select_sql);
	char *sql = xasprintf("SELECT * FROM (\n%s\n) AS q LIMIT 0", q);
	int rc = run(src, sql, &res);

	free(sql);
	free(q);
	if (rc < 0)
		return NULL;
	if (!res)
		set_error(src, 0, "query returns no result set");
	return res;
}

/* bytes per character of a result charset */
static unsigned
charset_maxlen(unsigned nr)
{
	const MARIADB_CHARSET_INFO *cs = mariadb_get_charset_by_nr(nr);

	if (cs && cs->char_maxlen)
		return cs->char_maxlen;
	if (nr == 45 || nr == 46 || (nr >= 224 && nr <= 247) || nr >= 255)
		return 4;
	if (nr == 33 || nr == 83 || (nr >= 192 && nr <= 215))
		return 3;
	return 1;
}

static void
add_charset(struct buf *b, const MYSQL_FIELD *f)
{
	const MARIADB_CHARSET_INFO *cs = mariadb_get_charset_by_nr(f->charsetnr);
	const char *name = cs && cs->csname ? cs->csname : "utf8mb4";

	if (f->charsetnr == BINARY_CHARSET)
		name = "utf8mb4"; /* MySQL's JSON */
	buf_addf(b, " CHARACTER SET %s", name);
	/* a _bin collation compares case and accents: keys must keep it */
	if (f->flags & BINARY_FLAG && f->charsetnr != BINARY_CHARSET)
		buf_addf(b, " COLLATE %s_bin", name);
}

static void
add_lob(struct buf *b, unsigned long bytes, bool text)
{
	const char *size = bytes <= 255 ? "TINY" : bytes <= 65535 ? "" :
	                   bytes <= 16777215 ? "MEDIUM" : "LONG";

	buf_addf(b, "%s%s", size, text ? "TEXT" : "BLOB");
}

static void
add_int(struct buf *b, const char *name, const MYSQL_FIELD *f)
{
	buf_adds(b, name);
	if (f->flags & ZEROFILL_FLAG)
		buf_addf(b, "(%lu)", f->length);
	else if (f->type == MYSQL_TYPE_TINY && f->length == 1)
		buf_adds(b, "(1)"); /* a boolean to its readers */
	if (f->flags & UNSIGNED_FLAG)
		buf_adds(b, " UNSIGNED");
	if (f->flags & ZEROFILL_FLAG)
		buf_adds(b, " ZEROFILL");
}

static void
add_decimal(struct buf *b, const MYSQL_FIELD *f)
{
	bool uns = f->flags & UNSIGNED_FLAG;
	long scale = f->decimals > 38 ? 38 : f->decimals;
	long prec = (long)f->length - (scale > 0) - !uns;

	if (prec > 65)
		prec = 65;
	if (prec < scale)
		prec = scale;
	if (prec < 1)
		prec = 1;
	buf_addf(b, "DECIMAL(%ld,%ld)%s", prec, scale, uns ? " UNSIGNED" : "");
}

static void
add_temporal(struct buf *b, const char *name, const MYSQL_FIELD *f)
{
	unsigned dec = f->decimals > 6 ? 6 : f->decimals;

	buf_adds(b, name);
	if (dec)
		buf_addf(b, "(%u)", dec);
}

/*
 * the column type of result field f. A VARCHAR or VARBINARY becomes a TEXT or
 * BLOB when lob is set or when it is too long for a row. Returns the bytes it
 * takes in a row (roughly, for the 65,535-byte limit), negative when it is a
 * VARCHAR or VARBINARY that could become a TEXT or BLOB.
 */
static long
field_type(struct buf *b, const MYSQL_FIELD *f, bool lob)
{
	bool bin = f->charsetnr == BINARY_CHARSET;
	unsigned mb = bin ? 1 : charset_maxlen(f->charsetnr);
	unsigned long len = f->length;

	switch (f->type) {
	case MYSQL_TYPE_TINY:
		add_int(b, "TINYINT", f);
		return 1;
	case MYSQL_TYPE_SHORT:
		add_int(b, "SMALLINT", f);
		return 2;
	case MYSQL_TYPE_INT24:
		add_int(b, "MEDIUMINT", f);
		return 3;
	case MYSQL_TYPE_LONG:
		add_int(b, "INT", f);
		return 4;
	case MYSQL_TYPE_LONGLONG:
		add_int(b, "BIGINT", f);
		return 8;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		add_decimal(b, f);
		return 30;
	case MYSQL_TYPE_FLOAT:
		buf_adds(b, "FLOAT");
		return 4;
	case MYSQL_TYPE_DOUBLE:
		buf_adds(b, "DOUBLE");
		return 8;
	case MYSQL_TYPE_NULL:
		buf_adds(b, "BINARY(0)");
		return 0;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		buf_adds(b, "DATE");
		return 3;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		add_temporal(b, "TIME", f);
		return 6;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		/* no TIMESTAMP: no time zone conversion, no automatic values */
		add_temporal(b, "DATETIME", f);
		return 8;
	case MYSQL_TYPE_YEAR:
		buf_adds(b, "YEAR");
		return 1;
	case MYSQL_TYPE_BIT:
		buf_addf(b, "BIT(%lu)", len < 1 ? 1 : len > 64 ? 64 : len);
		return 8;
	case MYSQL_TYPE_JSON:
		buf_adds(b, "LONGTEXT");
		add_charset(b, f);
		return 12;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		/* a TEXT's length counts its bytes times the result's maxlen */
		add_lob(b, bin ? len : len / mb, !bin);
		if (!bin)
			add_charset(b, f);
		return 12;
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
		break;
	case MYSQL_TYPE_GEOMETRY:
	default:
		buf_adds(b, "LONGBLOB");
		return 12;
	}
	if (f->type == MYSQL_TYPE_STRING && !(f->flags & (ENUM_FLAG | SET_FLAG)) && len <= 255 * mb) {
		if (bin)
			buf_addf(b, "BINARY(%lu)", len);
		else
			buf_addf(b, "CHAR(%lu)", len / mb);
		if (!bin)
			add_charset(b, f);
		return (long)len;
	}
	if (lob || len > 65532) {
		add_lob(b, len, !bin);
		if (!bin)
			add_charset(b, f);
		return 12;
	}
	if (bin)
		buf_addf(b, "VARBINARY(%lu)", len);
	else
		buf_addf(b, "VARCHAR(%lu)", len / mb);
	if (!bin)
		add_charset(b, f);
	return -(long)(len + 2);
}

/* the column definitions of fields, fitted into the row size limit */
static char *
columns_ddl(const MYSQL_FIELD *f, unsigned n)
{
	bool *lob = xcalloc(n, sizeof(*lob));
	struct buf b;
	long size, total, widest;
	unsigned i, wi;

	buf_init(&b);
	for (;;) {
		total = 0;
		widest = 0;
		wi = 0;
		for (i = 0; i < n; i++) {
			size = field_type(&b, &f[i], lob[i]);
			b.len = 0;
			total += size < 0 ? -size : size;
			if (size < 0 && -size > widest) {
				widest = -size;
				wi = i;
			}
		}
		if (total <= ROW_MAX || widest == 0)
			break;
		lob[wi] = true;
	}
	for (i = 0; i < n; i++) {
		char *id = db_ident(f[i].name);

		buf_addf(&b, "%s%s ", i ? ", " : "", id);
		free(id);
		field_type(&b, &f[i], lob[i]);
		if (f[i].flags & NOT_NULL_FLAG)
			buf_adds(&b, " NOT NULL");
	}
	free(lob);
	return buf_detach(&b);
}

char *
db_result_ddl(struct db *src, const char *select_sql, const char *table)
{
	MYSQL_RES *res;
	char *cols, *tbl, *ddl;

	if (!(res = probe(src, select_sql)))
		return NULL;
	cols = columns_ddl(mysql_fetch_fields(res), mysql_num_fields(res));
	mysql_free_result(res);
	tbl = table_ident(table);
	ddl = xasprintf("CREATE TABLE %s (%s)", tbl, cols);
	free(tbl);
	free(cols);
	return ddl;
}

/*
 * what db_copy streams: select_sql itself, or, when it returns FLOAT columns,
 * a wrapper that reads them as DOUBLE (a FLOAT's text has 6 digits and does
 * not round-trip; the DOUBLE's does). Sets *cols to the column list.
 */
static char *
stream_sql(struct db *src, const char *select_sql, char **cols)
{
	MYSQL_RES *res;
	MYSQL_FIELD *f;
	struct buf c, w;
	unsigned i, n;
	bool floats = false;
	char *q, *sql;

	if (!(res = probe(src, select_sql)))
		return NULL;
	f = mysql_fetch_fields(res);
	n = mysql_num_fields(res);
	buf_init(&c);
	buf_init(&w);
	buf_adds(&w, "SELECT ");
	for (i = 0; i < n; i++) {
		char *id = db_ident(f[i].name);

		buf_addf(&c, "%s%s", i ? "," : "", id);
		if (f[i].type == MYSQL_TYPE_FLOAT) {
			buf_addf(&w, "%sCAST(%s AS DOUBLE) AS %s", i ? ", " : "", id, id);
			floats = true;
		} else {
			buf_addf(&w, "%s%s", i ? ", " : "", id);
		}
		free(id);
	}
	mysql_free_result(res);
	q = trim_sql(select_sql);
	if (floats) {
		sql = xasprintf("%s FROM (\n%s\n) AS q", w.s, q);
		free(q);
	} else {
		sql = q;
	}
	buf_release(&w);
	*cols = buf_detach(&c);
	return sql;
}

/* start the source query, unbuffered */
static int
copy_start(struct copy *cp)
{
	MYSQL *my = cp->src->my;

	log_statement(cp->src->conn.name, cp->sql);
	if (mysql_real_query(my, cp->sql, strlen(cp->sql)) || !(cp->res = mysql_use_result(my))) {
		if (mysql_errno(my))
			my_error(cp->src);
		else
			set_error(cp->src, 0, "query returns no result set");
		cp->errside = cp->src;
		cp->done = true;
		return -1;
	}
	cp->ncols = mysql_num_fields(cp->res);
	return 0;
}

/* the next source row, counted and reported; NULL at the end or on failure */
static MYSQL_ROW
copy_fetch(struct copy *cp, unsigned long **lens)
{
	MYSQL_ROW row;

	if (cp->done)
		return NULL;
	if (!(row = mysql_fetch_row(cp->res))) {
		cp->done = true;
		if (mysql_errno(cp->src->my)) {
			my_error(cp->src);
			cp->errside = cp->src;
		}
		return NULL;
	}
	*lens = mysql_fetch_lengths(cp->res);
	cp->rows++;
	if (cp->progress && cp->rows % PROGRESS_ROWS == 0 && cp->progress(cp->arg, cp->rows)) {
		set_error(cp->dst, ER_QUERY_INTERRUPTED, "copy stopped after %lld rows", cp->rows);
		cp->errside = cp->dst;
		return NULL;
	}
	return row;
}

/* escapes of LOAD DATA ... FIELDS TERMINATED BY '\t' ESCAPED BY '\\' */
static const char load_esc[256] = {
	[0] = '0', ['\t'] = 't', ['\n'] = 'n', ['\\'] = '\\',
};

static int
infile_init(void **ptr, const char *name, void *arg)
{
	struct copy *cp = arg;

	*ptr = cp;
	if (!cp)
		return 1; /* outside db_copy: no client file is ever sent */
	cp->requested = true;
	return copy_start(cp);
}

/* hand over the next len bytes of the rows as LOAD DATA reads them */
static int
infile_read(void *ptr, char *buf, unsigned int len)
{
	struct copy *cp = ptr;
	MYSQL_ROW row;
	unsigned long *lens;
	unsigned i;
	size_t n;

	/* keep the unsent tail (shorter than len: a cheap move) and add rows */
	if (cp->out.len - cp->pos < len && cp->pos > 0) {
		memmove(cp->out.s, cp->out.s + cp->pos, cp->out.len - cp->pos);
		cp->out.len -= cp->pos;
		cp->pos = 0;
	}
	while (cp->out.len - cp->pos < len && (row = copy_fetch(cp, &lens))) {
		for (i = 0; i < cp->ncols; i++) {
			if (i)
				buf_addc(&cp->out, '\t');
			if (!row[i])
				buf_add(&cp->out, "\\N", 2);
			else
				add_escaped(&cp->out, row[i], lens[i], load_esc);
		}
		buf_addc(&cp->out, '\n');
	}
	if (cp->errside)
		return -1;
	n = cp->out.len - cp->pos;
	if (n > len)
		n = len;
	if (n)
		memcpy(buf, cp->out.s + cp->pos, n);
	cp->pos += n;
	return (int)n;
}

static void
infile_end(void *ptr)
{
}

static int
infile_error(void *ptr, char *msg, unsigned int len)
{
	struct copy *cp = ptr;
	struct db *side;

	if (!cp) {
		snprintf(msg, len, "LOAD DATA LOCAL is refused outside a copy");
		return CR_UNKNOWN_ERROR;
	}
	side = cp->errside ? cp->errside : cp->src;
	snprintf(msg, len, "%s", db_error(side));
	return side->errnum ? (int)side->errnum : CR_UNKNOWN_ERROR;
}

/* answer a server's request for a client file with an error */
static void
refuse_infile(MYSQL *my)
{
	mysql_set_local_infile_handler(my, infile_init, infile_read, infile_end, infile_error, NULL);
}

/* fail if the last statement on dst left a warning (a value that did not fit) */
static int
check_warnings(struct db *dst)
{
	unsigned count = mysql_warning_count(dst->my);
	struct dbres *r;
	int rc = 0;

	if (count == 0)
		return 0;
	if (!(r = db_query(dst, "SHOW WARNINGS")))
		return -1;
	while (rc == 0 && dbres_next(r)) {
		const char *level = dbres_get(r, 0), *code = dbres_get(r, 1);
		const char *msg = dbres_get(r, 2);

		if (level && strcmp(level, "Note") == 0)
			continue;
		set_error(dst, code ? (unsigned)atoi(code) : 0, "%s%s", msg ? msg : "warning",
		          count > 1 ? " (and more warnings)" : "");
		rc = -1;
	}
	dbres_free(r);
	return rc;
}

/* the bulk path: LOAD DATA LOCAL INFILE fed by the source rows */
static int
copy_load(struct copy *cp, const char *tbl, const char *cols, bool *refused)
{
	char *sql;
	int rc;

	sql = xasprintf("LOAD DATA LOCAL INFILE 'chacc-copy' INTO TABLE %s CHARACTER SET binary "
	                "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
	                "LINES TERMINATED BY '\\n' (%s)", tbl, cols);
	mysql_set_local_infile_handler(cp->dst->my, infile_init, infile_read, infile_end,
	                               infile_error, cp);
	log_statement(cp->dst->conn.name, sql);
	rc = mysql_real_query(cp->dst->my, sql, strlen(sql));
	refuse_infile(cp->dst->my);
	free(sql);
	buf_release(&cp->out);
	cp->pos = 0;
	if (rc) {
		unsigned e = mysql_errno(cp->dst->my);

		if (cp->errside)
			return -1;
		my_error(cp->dst);
		cp->errside = cp->dst;
		*refused = !cp->requested &&
		           (e == ER_NOT_ALLOWED_COMMAND || e == ER_LOAD_INFILE_CAPABILITY_DISABLED);
		return -1;
	}
	cp->dst->affected = (long long)mysql_affected_rows(cp->dst->my);
	if (check_warnings(cp->dst) < 0) {
		cp->errside = cp->dst;
		return -1;
	}
	return 0;
}

static int
insert_flush(struct copy *cp, struct buf *q, size_t head)
{
	if (q->len == head)
		return 0;
	if (db_exec(cp->dst, q->s) < 0 || check_warnings(cp->dst) < 0) {
		cp->errside = cp->dst;
		return -1;
	}
	q->len = head;
	q->s[head] = '\0';
	return 0;
}

/* the slow path when the server refuses LOAD DATA LOCAL: multi-row INSERTs */
static int
copy_insert(struct copy *cp, const char *tbl, const char *cols)
{
	struct buf q;
	size_t head;
	MYSQL_ROW row;
	unsigned long *lens;
	unsigned i;
	int rc = 0;

	if (!cp->res && copy_start(cp) < 0)
		return -1;
	buf_init(&q);
	buf_addf(&q, "INSERT INTO %s (%s) VALUES ", tbl, cols);
	head = q.len;
	while ((row = copy_fetch(cp, &lens))) {
		buf_adds(&q, q.len > head ? ",(" : "(");
		for (i = 0; i < cp->ncols; i++) {
			if (i)
				buf_addc(&q, ',');
			if (!row[i]) {
				buf_adds(&q, "NULL");
				continue;
			}
			buf_adds(&q, "_binary'");
			add_escaped(&q, row[i], lens[i], sql_esc);
			buf_addc(&q, '\'');
		}
		buf_addc(&q, ')');
		if (q.len >= INSERT_BATCH && (rc = insert_flush(cp, &q, head)) < 0)
			break;
	}
	if (rc == 0 && !cp->errside)
		rc = insert_flush(cp, &q, head);
	buf_release(&q);
	return cp->errside ? -1 : rc;
}

/* stop a source query that was not read to the end, and discard the rest */
static void
copy_abort(struct copy *cp)
{
	if (!cp->res)
		return;
	if (!cp->done)
		db_kill_query(&cp->src->conn, db_thread_id(cp->src));
	mysql_free_result(cp->res);
	cp->res = NULL;
}

int
db_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
        long long *rows, db_progress_fn progress, void *arg, struct db **errside)
{
	struct copy cp;
	char *cols = NULL, *mode = NULL, *tbl, *restore;
	bool refused = false;
	int rc = -1;

	*rows = 0;
	*errside = NULL;
	if (src == dst) {
		set_error(dst, 0, "copy needs two connections");
		*errside = dst;
		return -1;
	}
	memset(&cp, 0, sizeof(cp));
	cp.src = src;
	cp.dst = dst;
	cp.progress = progress;
	cp.arg = arg;
	buf_init(&cp.out);
	if (!(cp.sql = stream_sql(src, select_sql, &cols))) {
		*errside = src;
		return -1;
	}
	tbl = table_ident(table);
	if (db_value(dst, &mode, "SELECT @@SESSION.sql_mode") < 0 ||
	    db_exec(dst, "SET SESSION sql_mode='" COPY_SQL_MODE "'") < 0) {
		cp.errside = dst;
		goto out;
	}
	rc = copy_load(&cp, tbl, cols, &refused);
	if (rc < 0 && refused) {
		cp.errside = NULL;
		rc = copy_insert(&cp, tbl, cols);
	}
	copy_abort(&cp);
	if (rc == 0 && drain(src) < 0) {
		cp.errside = src;
		rc = -1;
	}
	restore = db_quote(dst, mode ? mode : "");
	free(mode);
	mode = xasprintf("SET SESSION sql_mode=%s", restore);
	run_quiet(dst, mode);
	free(restore);
out:
	copy_abort(&cp);
	buf_release(&cp.out);
	free(mode);
	free(tbl);
	free(cols);
	free((char *)cp.sql);
	*rows = cp.rows;
	if (rc < 0)
		*errside = cp.errside ? cp.errside : dst;
	return rc;
}
