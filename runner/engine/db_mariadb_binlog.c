/*
 * db_mariadb_binlog.c: change capture from MariaDB's binary log. A read
 * opens a connection of its own, asks for the log from a position as a
 * replica does (COM_BINLOG_DUMP through Connector/C's mariadb_rpl_*, with
 * a server id of its own and the non-blocking flag, so that the server
 * ends the stream where its log ends now), and reads the row events of the
 * tables asked (db_mariadb_rowimg.c).
 */
#include "db_mariadb.h"
#include "db_mariadb_rowimg.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mariadb_rpl.h>
#include <mysqld_error.h>
#include <zlib.h>

#include "util.h"

/* "FILE:OFFSET" of a position; 0 or -1 when pos is not one */
static int
parse_pos(const char *pos, char **file, unsigned long *offset)
{
	const char *colon = pos ? strrchr(pos, ':') : NULL;
	char *end;

	if (!colon || colon == pos || !colon[1])
		return -1;
	errno = 0;
	*offset = strtoul(colon + 1, &end, 10);
	if (*end || errno)
		return -1;
	*file = xstrndup(pos, (size_t)(colon - pos));
	return 0;
}

/* the two columns of the first row of sql as "A:B": 0, 1 without a row, or -1 */
static int
pair_of(struct db *d, const char *sql, char **out)
{
	struct dbres *res = db_query(d, sql);
	int rc = 1;

	*out = NULL;
	if (!res)
		return -1;
	if (dbres_next(res) && dbres_get(res, 0) && dbres_get(res, 1)) {
		*out = xasprintf("%s:%s", dbres_get(res, 0), dbres_get(res, 1));
		rc = 0;
	}
	dbres_free(res);
	return rc;
}

int
mdb_log_position(struct db *d, char **pos)
{
	int rc = pair_of(d, "SHOW MASTER STATUS", pos);

	if (rc < 0 && db_errno(d) == ER_SPECIFIC_ACCESS_DENIED_ERROR)
		return db_set_error(d, ER_SPECIFIC_ACCESS_DENIED_ERROR, "connection '%s': the user "
		                    "lacks REPLICATION CLIENT (BINLOG MONITOR) to read the binary "
		                    "log's position", db_conn_name(d));
	if (rc > 0)
		return db_set_error(d, 0, "connection '%s': the server keeps no binary log (start "
		                    "it with log-bin)", db_conn_name(d));
	return rc;
}

int
mdb_log_snapshot(struct db *d, char **pos)
{
	*pos = NULL;
	if (db_exec(d, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ") < 0 ||
	    db_exec(d, "START TRANSACTION WITH CONSISTENT SNAPSHOT") < 0)
		return -1;
	/* the snapshot's own place in the log: no commit between them is lost or seen twice */
	if (pair_of(d, "SELECT MAX(IF(VARIABLE_NAME = 'BINLOG_SNAPSHOT_FILE', VARIABLE_VALUE, NULL)),"
	            " MAX(IF(VARIABLE_NAME = 'BINLOG_SNAPSHOT_POSITION', VARIABLE_VALUE, NULL))"
	            " FROM information_schema.SESSION_STATUS"
	            " WHERE VARIABLE_NAME LIKE 'BINLOG_SNAPSHOT_%'", pos) == 0 && **pos != ':')
		return 0;
	free(*pos);
	*pos = NULL;
	db_exec(d, "ROLLBACK");
	return mdb_log_position(d, pos) < 0 ? -1 : db_set_error(d, 0, "connection '%s': the "
	                        "server gives no binary log position of a snapshot",
	                        db_conn_name(d));
}

int
mdb_log_usable(struct db *d)
{
	struct dbres *res;
	char *pos = NULL;
	int rc = 0;

	/* FILE:OFFSET is one server's: another node's log of that name holds other events */
	if (mdb(d)->p.nhosts > 1)
		return db_set_error(d, 0, "connection '%s' lists %zu nodes (hosts:), and each keeps a "
		                    "binary log of its own: a position in one is none in another",
		                    db_conn_name(d), mdb(d)->p.nhosts);
	res = db_query(d, "SELECT @@log_bin, @@binlog_format, @@binlog_row_image,"
	               " (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES"
	               "  WHERE PRIVILEGE_TYPE = 'REPLICATION SLAVE')");
	if (!res)
		return -1;
	if (!dbres_next(res))
		rc = db_set_error(d, 0, "connection '%s': cannot read the binary log settings",
		                  db_conn_name(d));
	else if (!dbres_get(res, 0) || atoi(dbres_get(res, 0)) == 0)
		rc = db_set_error(d, 0, "connection '%s': the server keeps no binary log (start it "
		                  "with log-bin and binlog_format=ROW)", db_conn_name(d));
	else if (strcasecmp(dbres_get(res, 1), "ROW") != 0)
		rc = db_set_error(d, 0, "connection '%s': binlog_format is %s, not ROW: its binary "
		                  "log does not name the rows that changed", db_conn_name(d),
		                  dbres_get(res, 1));
	else if (strcasecmp(dbres_get(res, 2), "FULL") != 0)
		rc = db_set_error(d, 0, "connection '%s': binlog_row_image is %s, not FULL: its "
		                  "binary log may leave out the columns that hold the keys",
		                  db_conn_name(d), dbres_get(res, 2));
	else if (!dbres_get(res, 3) || atoi(dbres_get(res, 3)) == 0)
		rc = db_set_error(d, 0, "connection '%s': the user lacks REPLICATION SLAVE, which "
		                  "reading the binary log needs", db_conn_name(d));
	dbres_free(res);
	if (rc == 0 && mdb_log_position(d, &pos) < 0)
		rc = -1;
	free(pos);
	return rc;
}

/* a table asked for: where its columns are in a row image */
struct logtab {
	const struct db_log_table *t;
	size_t *ordinal;         /* per column asked: its index in the row */
	bool *is_unsigned;
	unsigned ncolumns;       /* columns the table has now */
	bool mapped;             /* a table map event of it was read */
	unsigned long long map_id;
	struct rowimg_cols cols; /* ... its columns' types */
};

/* where each column asked of t is in t's rows, from information_schema */
static int
locate(struct db *d, struct logtab *lt)
{
	const struct db_log_table *t = lt->t;
	char *qt = db_quote(d, t->name);
	struct dbres *res = db_queryf(d, "SELECT COLUMN_NAME, ORDINAL_POSITION,"
	                              " COLUMN_TYPE LIKE '%%unsigned%%' FROM information_schema.COLUMNS"
	                              " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", qt);
	bool *found = xcalloc(t->ncolumns + 1, sizeof(*found));
	int rc = 0;

	free(qt);
	lt->ordinal = xcalloc(t->ncolumns + 1, sizeof(*lt->ordinal));
	lt->is_unsigned = xcalloc(t->ncolumns + 1, sizeof(*lt->is_unsigned));
	if (!res) {
		free(found);
		return -1;
	}
	while (dbres_next(res)) {
		lt->ncolumns++;
		for (size_t i = 0; i < t->ncolumns; i++)
			if (strcasecmp(dbres_get(res, 0), t->columns[i]) == 0) {
				lt->ordinal[i] = (size_t)atol(dbres_get(res, 1)) - 1;
				lt->is_unsigned[i] = atoi(dbres_get(res, 2)) != 0;
				found[i] = true;
			}
	}
	dbres_free(res);
	if (lt->ncolumns == 0)
		rc = db_set_error(d, ER_NO_SUCH_TABLE, "connection '%s': no table '%s' to follow in "
		                  "database '%s'", db_conn_name(d), t->name, db_name(d));
	for (size_t i = 0; rc == 0 && i < t->ncolumns; i++)
		if (!found[i])
			rc = db_set_error(d, ER_BAD_FIELD_ERROR, "connection '%s': table '%s' has no "
			                  "column '%s'", db_conn_name(d), t->name, t->columns[i]);
	free(found);
	return rc;
}

/* a read of the log */
struct logread {
	struct mdb *m;
	MARIADB_RPL *rpl;
	struct logtab *tabs;
	size_t ntabs;
	db_log_row_fn row;
	void *arg;
	char *file;              /* the log file being read */
	char *to;                /* the position after the last whole transaction */
	bool in_trx;
	char *end_file;          /* where the log ended when the read began */
	unsigned long end_pos;
};

/* the tables asked whose table map this is; NULL if none */
static struct logtab *
mapped(struct logread *lr, const MARIADB_RPL_EVENT *ev)
{
	const struct st_mariadb_rpl_table_map_event *tm = &ev->event.table_map;
	const char *db = db_name(&lr->m->base);

	if (!db || strlen(db) != tm->database.length || memcmp(db, tm->database.str, tm->database.length))
		return NULL;
	for (size_t i = 0; i < lr->ntabs; i++) {
		const char *name = lr->tabs[i].t->name;

		if (strlen(name) == tm->table.length && !strncasecmp(name, tm->table.str, tm->table.length))
			return &lr->tabs[i];
	}
	return NULL;
}

/* one image's values asked of table lt, to the caller's callback */
struct image_arg {
	struct logread *lr;
	size_t table;
};

static int
on_image(void *arg, const char *const *vals)
{
	struct image_arg *ia = arg;

	return ia->lr->row(ia->lr->arg, ia->table, vals) ? DB_LOG_STOPPED : 0;
}

/* the rows of a rows event of lt: each row's values asked, to the callback */
static int
rows_of(struct logread *lr, struct logtab *lt, MARIADB_RPL_EVENT *ev)
{
	const struct st_mariadb_rpl_rows_event *re = &ev->event.rows;
	struct rowimg_want w = { lt->ordinal, lt->is_unsigned, lt->t->ncolumns };
	struct image_arg ia = { lr, (size_t)(lt - lr->tabs) };
	int rc;

	if (re->compressed)
		return db_set_error(&lr->m->base, CR_BINLOG_ERROR, "connection '%s': the binary log "
		                    "is compressed (log_bin_compress): change capture cannot read it",
		                    lr->m->p.name);
	rc = rowimg_rows(&lt->cols, re->row_data, re->row_data_size, re->column_bitmap,
	                 re->type == UPDATE_ROWS ? re->column_update_bitmap : NULL, &w, on_image, &ia);
	if (rc == -1)
		return db_set_error(&lr->m->base, CR_BINLOG_ERROR, "connection '%s': cannot read the "
		                    "rows of table '%s' in the binary log at %s:%u", lr->m->p.name,
		                    lt->t->name, lr->file ? lr->file : "?", ev->next_event_pos);
	return rc;
}

/* a whole transaction ends after ev (or before the next one): remember where */
static void
boundary(struct logread *lr, const MARIADB_RPL_EVENT *ev)
{
	lr->in_trx = false;
	if (!lr->file || ev->next_event_pos == 0)
		return;
	free(lr->to);
	lr->to = xasprintf("%s:%u", lr->file, ev->next_event_pos);
}

/*
 * The position and file name of a rotate event, from its bytes: Connector/C
 * 3.3 reads them 8 bytes off once the log has checksums (the file
 * "binlog.000003" comes out as "0"). The event is a 19-byte header, the
 * 8-byte position, the name, then a CRC32 of all before it when the log has
 * checksums: the trailing 4 bytes are one when they match. -1 if malformed.
 */
static int
rotate_of(const MARIADB_RPL_EVENT *ev, char **file, unsigned long long *pos)
{
	const unsigned char *e = ev->raw_data + ev->raw_data_ofs;
	size_t len = ev->event_length, name;

	if (ev->raw_data_ofs > ev->raw_data_size || len > ev->raw_data_size - ev->raw_data_ofs ||
	    len <= 19 + 8)
		return -1;
	name = len - 19 - 8;
	if (name > 4) {
		const unsigned char *c = e + len - 4;
		unsigned long crc = crc32(0, e, (uInt)(len - 4));

		if (crc == ((unsigned long)c[0] | (unsigned long)c[1] << 8 |
		            (unsigned long)c[2] << 16 | (unsigned long)c[3] << 24))
			name -= 4;
	}
	*pos = 0;
	for (int i = 7; i >= 0; i--)
		*pos = *pos << 8 | e[19 + i];
	for (size_t i = 0; i < name; i++)
		if (e[27 + i] < 0x21 || e[27 + i] > 0x7e || e[27 + i] == ':')
			return -1;
	*file = xstrndup((const char *)e + 27, name);
	return 0;
}

/* past where the log ended when the read began, at a boundary: stop */
static bool
at_end(const struct logread *lr, const MARIADB_RPL_EVENT *ev)
{
	return !lr->in_trx && lr->file && lr->end_file && strcmp(lr->file, lr->end_file) == 0 &&
	       ev->next_event_pos >= lr->end_pos;
}

/* past the end the read began at: no further event is read */
#define AT_END 2

/* one event: 0 to go on, AT_END, DB_LOG_STOPPED, -1 or DB_LOG_LOST */
static int
event(struct logread *lr, MARIADB_RPL_EVENT **evp)
{
	MARIADB_RPL_EVENT *ev = *evp;
	struct logtab *lt;

	switch (ev->event_type) {
	case ROTATE_EVENT: {
		unsigned long long pos;
		char *file;

		if (rotate_of(ev, &file, &pos) < 0)
			return db_set_error(&lr->m->base, CR_BINLOG_ERROR, "connection '%s': cannot "
			                    "read a rotate event of the binary log after %s",
			                    lr->m->p.name, lr->to ? lr->to : "the start");
		free(lr->file);
		lr->file = file;
		if (ev->next_event_pos != 0 || !lr->to) {
			free(lr->to);
			lr->to = xasprintf("%s:%llu", lr->file, pos);
		}
		return 0;
	}
	case TABLE_MAP_EVENT:
		for (size_t i = 0; i < lr->ntabs; i++)
			if (lr->tabs[i].mapped && lr->tabs[i].map_id == ev->event.table_map.table_id)
				lr->tabs[i].mapped = false;
		if (!(lt = mapped(lr, ev)))
			return 0;
		if (ev->event.table_map.column_count != lt->ncolumns)
			return db_set_error(&lr->m->base, 0, "table '%s' had %u columns in the binary "
			                    "log, %u now: its rows there cannot be read by name",
			                    lt->t->name, ev->event.table_map.column_count,
			                    lt->ncolumns) < 0 ? DB_LOG_LOST : 0;
		rowimg_cols_release(&lt->cols);
		if (rowimg_map((const unsigned char *)ev->event.table_map.column_types.str,
		               ev->event.table_map.column_types.length,
		               (const unsigned char *)ev->event.table_map.metadata.str,
		               ev->event.table_map.metadata.length, &lt->cols) < 0)
			return db_set_error(&lr->m->base, CR_BINLOG_ERROR, "connection '%s': cannot read "
			                    "the table map of '%s' in the binary log", lr->m->p.name,
			                    lt->t->name);
		lt->mapped = true;
		lt->map_id = ev->event.table_map.table_id;
		return 0;
	case QUERY_EVENT: {
		const MARIADB_STRING *q = &ev->event.query.statement;

		if (q->length == 5 && !strncasecmp(q->str, "BEGIN", 5))
			lr->in_trx = true;
		else if (!lr->in_trx || (q->length == 6 && !strncasecmp(q->str, "COMMIT", 6)))
			boundary(lr, ev);
		return at_end(lr, ev) ? AT_END : 0;
	}
	case XID_EVENT:
		boundary(lr, ev);
		return at_end(lr, ev) ? AT_END : 0;
	default:
		break;
	}
	if (!IS_ROW_EVENT(ev))
		return 0;
	for (size_t i = 0; i < lr->ntabs; i++)
		if (lr->tabs[i].mapped && lr->tabs[i].map_id == ev->event.rows.table_id)
			return rows_of(lr, &lr->tabs[i], ev);
	return 0;
}

/* a server id no other replica of the source uses: this process, this read */
static unsigned
reader_id(void)
{
	static atomic_uint count;
	struct timespec ts;
	uint64_t h;

	clock_gettime(CLOCK_REALTIME, &ts);
	h = (uint64_t)getpid() * 2654435761u ^ (uint64_t)ts.tv_nsec * 40503u ^
	    (uint64_t)atomic_fetch_add(&count, 1) * 97u;
	return (unsigned)(0x40000000u | (h & 0x3fffffffu));
}

/* open the dump on a connection of its own; -1 or DB_LOG_LOST */
static int
open_dump(struct logread *lr, const char *file, unsigned long offset)
{
	struct mdb *m = lr->m;
	unsigned code;
	char *err = NULL;
	MYSQL *my = mdb_open(&m->p, &err, &code);

	if (!my) {
		db_set_error(&m->base, code, "%s", err);
		free(err);
		return -1;
	}
	if (mysql_query(my, "SET @master_binlog_checksum = @@global.binlog_checksum") ||
	    !(lr->rpl = mariadb_rpl_init(my))) {
		db_set_error(&m->base, mysql_errno(my), "connection '%s': %s", m->p.name, mysql_error(my));
		mysql_close(my);
		return -1;
	}
	mariadb_rpl_optionsv(lr->rpl, MARIADB_RPL_FILENAME, file, strlen(file));
	mariadb_rpl_optionsv(lr->rpl, MARIADB_RPL_START, offset);
	mariadb_rpl_optionsv(lr->rpl, MARIADB_RPL_SERVER_ID, reader_id());
	mariadb_rpl_optionsv(lr->rpl, MARIADB_RPL_FLAGS, MARIADB_RPL_BINLOG_DUMP_NON_BLOCK);
	if (mariadb_rpl_open(lr->rpl) == 0)
		return 0;
	code = mysql_errno(my);
	db_set_error(&m->base, code, "connection '%s': reading the binary log: %s", m->p.name,
	             mysql_error(my));
	return code == ER_MASTER_FATAL_ERROR_READING_BINLOG ? DB_LOG_LOST : -1;
}

static void
close_dump(struct logread *lr)
{
	MYSQL *my = lr->rpl ? lr->rpl->mysql : NULL;

	if (lr->rpl)
		mariadb_rpl_close(lr->rpl);
	if (my)
		mysql_close(my);
	lr->rpl = NULL;
}

static int
fetch_all(struct logread *lr)
{
	MARIADB_RPL_EVENT *ev = NULL;
	MYSQL *my = lr->rpl->mysql;
	int rc = 0;

	while (rc == 0 && (ev = mariadb_rpl_fetch(lr->rpl, ev)))
		rc = event(lr, &ev);
	if (ev)
		mariadb_free_rpl_event(ev);
	if (rc == AT_END)
		return 0;
	if (rc != 0)
		return rc;
	if (mysql_errno(my)) {
		unsigned code = mysql_errno(my);

		db_set_error(&lr->m->base, code, "connection '%s': reading the binary log: %s",
		             lr->m->p.name, mysql_error(my));
		return code == ER_MASTER_FATAL_ERROR_READING_BINLOG ? DB_LOG_LOST : -1;
	}
	return 0;
}

int
mdb_log_read(struct db *d, const char *from, const struct db_log_table *tables, size_t n,
             db_log_row_fn row, void *arg, char **to)
{
	struct logread lr = { .m = mdb(d), .row = row, .arg = arg, .ntabs = n };
	char *file = NULL, *end = NULL;
	unsigned long offset;
	int rc = -1;

	*to = NULL;
	if (parse_pos(from, &file, &offset) < 0) {
		db_set_error(d, 0, "'%s' is not a binary log position (FILE:OFFSET)", from);
		return DB_LOG_LOST;
	}
	lr.tabs = xcalloc(n + 1, sizeof(*lr.tabs));
	for (size_t i = 0; i < n; i++)
		lr.tabs[i].t = &tables[i];
	for (size_t i = 0; i < n; i++)
		if (locate(d, &lr.tabs[i]) < 0)
			goto out;
	if (mdb_log_position(d, &end) < 0 || parse_pos(end, &lr.end_file, &lr.end_pos) < 0)
		goto out;
	lr.to = xstrdup(from);
	/* nothing written since from: no replica connection at all */
	if (strcmp(end, from) == 0) {
		rc = 0;
		goto out;
	}
	if ((rc = open_dump(&lr, file, offset)) == 0)
		rc = fetch_all(&lr);
out:
	close_dump(&lr);
	for (size_t i = 0; i < n; i++) {
		rowimg_cols_release(&lr.tabs[i].cols);
		free(lr.tabs[i].ordinal);
		free(lr.tabs[i].is_unsigned);
	}
	free(lr.tabs);
	free(lr.file);
	free(lr.end_file);
	free(file);
	free(end);
	if (rc == 0 || rc == DB_LOG_STOPPED)
		*to = lr.to;
	else
		free(lr.to);
	return rc;
}
