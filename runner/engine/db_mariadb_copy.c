/* db_mariadb_copy.c: the MariaDB engine's result DDL and streaming copy (LOAD DATA LOCAL, or INSERTs) */
#include "db_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "log.h"
#include "util.h"

/* rows between progress callbacks */
#define PROGRESS_ROWS 10000
/* size of one INSERT when LOAD DATA LOCAL is refused */
#define INSERT_BATCH (1 << 20)
/* the session sql_mode while copying: zero dates load, 0 stays 0 */
#define COPY_SQL_MODE "NO_AUTO_VALUE_ON_ZERO"

/* one db_copy: the source stream (or a reader of another engine) feeding LOAD DATA or INSERTs on dst */
struct copy {
	struct mdb *src, *dst;    /* src: NULL when reading from another engine */
	struct db_reader *from;   /* that reader */
	const char *sql;          /* the query streamed from src */
	MYSQL_RES *res;           /* its unbuffered result */
	unsigned ncols;
	const char **v;           /* the current row */
	size_t *len;              /* and its values' lengths */
	bool done;                /* every row was read (or the source failed) */
	bool requested;           /* the server asked for the LOAD data */
	long long rows;
	db_progress_fn progress;
	void *arg;
	struct buf out;           /* encoded rows not yet handed to the client */
	size_t pos;               /* bytes of out already handed over */
	struct db *errside;       /* set when a side failed inside a callback */
};


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
	return strchr(table, '`') ? xstrdup(table) : mdb_ident(table);
}

/* the columns select_sql returns, without running it (LIMIT 0) */
MYSQL_RES *
mdb_probe(struct mdb *src, const char *select_sql)
{
	MYSQL_RES *res;
	char *q = trim_sql(select_sql);
	char *sql = xasprintf("SELECT * FROM (\n%s\n) AS q LIMIT 0", q);
	int rc = mdb_run(src, sql, &res);

	free(sql);
	free(q);
	if (rc < 0)
		return NULL;
	if (!res)
		db_set_error(&src->base, 0, "query returns no result set");
	return res;
}

char *
mdb_result_ddl(struct db *d, const char *select_sql, const char *table)
{
	MYSQL_RES *res;
	char *cols, *tbl, *ddl;

	if (!(res = mdb_probe(mdb(d), select_sql)))
		return NULL;
	cols = mdb_columns_ddl(mysql_fetch_fields(res), mysql_num_fields(res));
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
char *
mdb_stream_sql(struct mdb *src, const char *select_sql, char **cols)
{
	MYSQL_RES *res;
	MYSQL_FIELD *f;
	struct buf c, w;
	unsigned i, n;
	bool floats = false;
	char *q, *sql;

	if (!(res = mdb_probe(src, select_sql)))
		return NULL;
	f = mysql_fetch_fields(res);
	n = mysql_num_fields(res);
	buf_init(&c);
	buf_init(&w);
	buf_adds(&w, "SELECT ");
	for (i = 0; i < n; i++) {
		char *id = mdb_ident(f[i].name);

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
	MYSQL *my;

	if (cp->from)
		return 0;
	my = cp->src->my;
	log_statement(cp->src->p.name, cp->sql);
	if (mysql_real_query(my, cp->sql, strlen(cp->sql)) || !(cp->res = mysql_use_result(my))) {
		if (mysql_errno(my))
			mdb_error(cp->src);
		else
			db_set_error(&cp->src->base, 0, "query returns no result set");
		cp->errside = &cp->src->base;
		cp->done = true;
		return -1;
	}
	cp->ncols = mysql_num_fields(cp->res);
	cp->len = xcalloc(cp->ncols ? cp->ncols : 1, sizeof(*cp->len));
	return 0;
}

/* a row of the other engine's reader into cp->v and cp->len; false at the end or on failure */
static bool
reader_fetch(struct copy *cp)
{
	int rc = db_reader_next(cp->from);

	if (rc > 0) {
		cp->v = cp->from->v;
		cp->len = cp->from->len;
		cp->rows = cp->from->rows;
		return true;
	}
	cp->done = true;
	cp->rows = cp->from->rows;
	if (rc < 0 && cp->from->stopped) {
		db_set_error(&cp->dst->base, ER_QUERY_INTERRUPTED, "copy stopped after %lld rows", cp->rows);
		cp->errside = &cp->dst->base;
	} else if (rc < 0) {
		cp->errside = cp->from->db;
	}
	return false;
}

/* the next source row into cp->v and cp->len, counted and reported; false at the end or on failure */
static bool
copy_fetch(struct copy *cp)
{
	MYSQL_ROW row;
	unsigned long *lens;

	if (cp->done)
		return false;
	if (cp->from)
		return reader_fetch(cp);
	if (!(row = mysql_fetch_row(cp->res))) {
		cp->done = true;
		if (mysql_errno(cp->src->my)) {
			mdb_error(cp->src);
			cp->errside = &cp->src->base;
		}
		return false;
	}
	lens = mysql_fetch_lengths(cp->res);
	cp->v = (const char **)row;
	for (unsigned i = 0; i < cp->ncols; i++)
		cp->len[i] = lens[i];
	cp->rows++;
	if (cp->progress && cp->rows % PROGRESS_ROWS == 0 && cp->progress(cp->arg, cp->rows)) {
		db_set_error(&cp->dst->base, ER_QUERY_INTERRUPTED, "copy stopped after %lld rows", cp->rows);
		cp->errside = &cp->dst->base;
		return false;
	}
	return true;
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
	unsigned i;
	size_t n;

	/* keep the unsent tail (shorter than len: a cheap move) and add rows */
	if (cp->out.len - cp->pos < len && cp->pos > 0) {
		memmove(cp->out.s, cp->out.s + cp->pos, cp->out.len - cp->pos);
		cp->out.len -= cp->pos;
		cp->pos = 0;
	}
	while (cp->out.len - cp->pos < len && copy_fetch(cp)) {
		for (i = 0; i < cp->ncols; i++) {
			if (i)
				buf_addc(&cp->out, '\t');
			if (!cp->v[i])
				buf_add(&cp->out, "\\N", 2);
			else
				mdb_add_escaped(&cp->out, cp->v[i], cp->len[i], load_esc);
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
	side = cp->errside ? cp->errside : cp->from ? cp->from->db : &cp->src->base;
	snprintf(msg, len, "%s", db_error(side));
	/* another engine's code means nothing to this client */
	return side->errnum && side->engine == &db_mariadb ? (int)side->errnum : CR_UNKNOWN_ERROR;
}

/* answer a server's request for a client file with an error */
void
mdb_refuse_infile(MYSQL *my)
{
	mysql_set_local_infile_handler(my, infile_init, infile_read, infile_end, infile_error, NULL);
}

/* fail if the last statement on dst left a warning (a value that did not fit) */
static int
check_warnings(struct mdb *dst)
{
	unsigned count = mysql_warning_count(dst->my);
	struct dbres *r;
	int rc = 0;

	if (count == 0)
		return 0;
	if (!(r = db_query(&dst->base, "SHOW WARNINGS")))
		return -1;
	while (rc == 0 && dbres_next(r)) {
		const char *level = dbres_get(r, 0), *code = dbres_get(r, 1);
		const char *msg = dbres_get(r, 2);

		if (level && strcmp(level, "Note") == 0)
			continue;
		db_set_error(&dst->base, code ? (unsigned)atoi(code) : 0, "%s%s", msg ? msg : "warning",
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
	log_statement(cp->dst->p.name, sql);
	rc = mysql_real_query(cp->dst->my, sql, strlen(sql));
	mdb_refuse_infile(cp->dst->my);
	free(sql);
	buf_release(&cp->out);
	cp->pos = 0;
	if (rc) {
		unsigned e = mysql_errno(cp->dst->my);

		if (cp->errside)
			return -1;
		mdb_error(cp->dst);
		cp->errside = &cp->dst->base;
		*refused = !cp->requested &&
		           (e == ER_NOT_ALLOWED_COMMAND || e == ER_LOAD_INFILE_CAPABILITY_DISABLED);
		return -1;
	}
	cp->dst->affected = (long long)mysql_affected_rows(cp->dst->my);
	if (check_warnings(cp->dst) < 0) {
		cp->errside = &cp->dst->base;
		return -1;
	}
	return 0;
}

static int
insert_flush(struct copy *cp, struct buf *q, size_t head)
{
	if (q->len == head)
		return 0;
	if (db_exec(&cp->dst->base, q->s) < 0 || check_warnings(cp->dst) < 0) {
		cp->errside = &cp->dst->base;
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
	unsigned i;
	int rc = 0;

	if (!cp->res && copy_start(cp) < 0)
		return -1;
	buf_init(&q);
	buf_addf(&q, "INSERT INTO %s (%s) VALUES ", tbl, cols);
	head = q.len;
	while (copy_fetch(cp)) {
		buf_adds(&q, q.len > head ? ",(" : "(");
		for (i = 0; i < cp->ncols; i++) {
			if (i)
				buf_addc(&q, ',');
			if (!cp->v[i]) {
				buf_adds(&q, "NULL");
				continue;
			}
			buf_adds(&q, "_binary'");
			mdb_add_escaped(&q, cp->v[i], cp->len[i], mdb_sql_esc);
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
		db_kill_query(&cp->src->p, atomic_load(&cp->src->thread_id));
	mysql_free_result(cp->res);
	cp->res = NULL;
}

/* load the stream into tbl under the copy's sql_mode, then restore the session's */
static int
copy_run(struct copy *cp, const char *tbl, const char *cols)
{
	struct db *dst = &cp->dst->base;
	char *mode = NULL, *restore, *set;
	bool refused = false;
	int rc;

	if (db_value(dst, &mode, "SELECT @@SESSION.sql_mode") < 0 ||
	    db_exec(dst, "SET SESSION sql_mode='" COPY_SQL_MODE "'") < 0) {
		cp->errside = dst;
		free(mode);
		return -1;
	}
	rc = copy_load(cp, tbl, cols, &refused);
	if (rc < 0 && refused) {
		cp->errside = NULL;
		rc = copy_insert(cp, tbl, cols);
	}
	copy_abort(cp);
	if (rc == 0 && cp->src && mdb_drain(cp->src) < 0) {
		cp->errside = &cp->src->base;
		rc = -1;
	}
	restore = db_quote(dst, mode ? mode : "");
	set = xasprintf("SET SESSION sql_mode=%s", restore);
	mdb_run_quiet(cp->dst, set);
	free(restore);
	free(set);
	free(mode);
	return rc;
}

int
mdb_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
         long long *rows, db_progress_fn progress, void *arg, struct db **errside)
{
	struct copy cp;
	char *cols = NULL, *tbl;
	int rc;

	*rows = 0;
	*errside = NULL;
	if (src == dst) {
		*errside = dst;
		return db_set_error(dst, 0, "copy needs two connections");
	}
	memset(&cp, 0, sizeof(cp));
	cp.src = mdb(src);
	cp.dst = mdb(dst);
	cp.progress = progress;
	cp.arg = arg;
	buf_init(&cp.out);
	if (!(cp.sql = mdb_stream_sql(cp.src, select_sql, &cols))) {
		*errside = src;
		return -1;
	}
	tbl = table_ident(table);
	rc = copy_run(&cp, tbl, cols);
	copy_abort(&cp);
	buf_release(&cp.out);
	free(cp.len);
	free(tbl);
	free(cols);
	free((char *)cp.sql);
	*rows = cp.rows;
	if (rc < 0)
		*errside = cp.errside ? cp.errside : dst;
	return rc;
}

int
mdb_write_rows(struct db *d, const char *table, struct db_reader *r, struct db **errside)
{
	struct copy cp;
	struct buf cols;
	char *tbl;
	int rc;

	memset(&cp, 0, sizeof(cp));
	cp.dst = mdb(d);
	cp.from = r;
	cp.ncols = (unsigned)r->cols->n;
	buf_init(&cp.out);
	buf_init(&cols);
	for (size_t i = 0; i < r->cols->n; i++) {
		char *id = mdb_ident(r->cols->v[i].name);

		buf_addf(&cols, "%s%s", i ? "," : "", id);
		free(id);
	}
	tbl = table_ident(table);
	rc = copy_run(&cp, tbl, cols.s ? cols.s : "");
	buf_release(&cp.out);
	buf_release(&cols);
	free(tbl);
	*errside = rc < 0 ? (cp.errside ? cp.errside : d) : NULL;
	return rc;
}
