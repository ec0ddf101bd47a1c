/* db_mariadb_check.c: the MariaDB engine asks the server to prepare a statement (parse, resolve), never to run it */
#include "db_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "util.h"

/* the line a server message points at: "... at line N" at its end; 0 when none */
static int
message_line(const char *msg)
{
	const char *at = NULL, *p;
	int line = 0;

	for (p = msg; (p = strstr(p, " at line ")); p++)
		at = p;
	if (at && sscanf(at, " at line %d", &line) == 1 && line > 0)
		return line;
	return 0;
}

/* the first 'quoted' word of a message about an unknown or ambiguous name, or NULL */
static char *
message_name(unsigned code, const char *msg)
{
	const char *a, *b;

	switch (code) {
	case ER_BAD_FIELD_ERROR:
	case ER_NO_SUCH_TABLE:
	case ER_NON_UNIQ_ERROR:
	case ER_DUP_FIELDNAME:
	case ER_BAD_TABLE_ERROR:
	case ER_UNKNOWN_TABLE:
		break;
	default:
		return NULL;
	}
	if (!(a = strchr(msg, '\'')) || !(b = strchr(a + 1, '\'')) || b == a + 1)
		return NULL;
	return xstrndup(a + 1, (size_t)(b - a - 1));
}

/*
 * record the server's refusal on d; a syntax error says only where:
 * "syntax error near '...'" (the line is returned apart)
 */
static void
set_error(struct db *d, unsigned code, const char *msg)
{
	const char *near = strstr(msg, "near '"), *end;

	if (code == ER_PARSE_ERROR && near) {
		if ((end = strstr(near, " at line ")))
			db_set_error(d, code, "syntax error %.*s", (int)(end - near), near);
		else
			db_set_error(d, code, "syntax error %s", near);
	} else
		db_set_error(d, code, "%s", msg);
}

/* CREATE TEMPORARY TABLE table with the columns of meta's fields and the change stamp */
static char *
temp_table_ddl(MYSQL_RES *meta, const char *table, struct db_names *cols)
{
	MYSQL_FIELD *f = mysql_fetch_fields(meta);
	unsigned n = mysql_num_fields(meta);
	char *defs = mdb_columns_ddl(f, n), *id = mdb_ident(table), *out;

	out = xasprintf("CREATE TEMPORARY TABLE %s (%s%s)", id, defs,
	                db_names_has(cols, DB_STAMP) ? "" : ", `" DB_STAMP "` TIMESTAMP(6) NULL");
	free(defs);
	free(id);
	return out;
}

int
mdb_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out)
{
	struct mdb *m = mdb(d);
	MYSQL_STMT *st = mysql_stmt_init(m->my);
	MYSQL_RES *meta;

	if (!st)
		return mdb_error(m);
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		unsigned code = mysql_stmt_errno(st);
		const char *msg = mysql_stmt_error(st);

		set_error(d, code, msg);
		out->line = message_line(msg);
		out->name = message_name(code, msg);
		mysql_stmt_close(st);
		if (db_error_class(d) == DB_ERR_TRANSIENT || db_error_class(d) == DB_ERR_KILLED)
			return -1;
		return 1;
	}
	if ((meta = mysql_stmt_result_metadata(st))) {
		MYSQL_FIELD *f = mysql_fetch_fields(meta);
		unsigned n = mysql_num_fields(meta);

		out->cols.v = xcalloc(n + 1, sizeof(*out->cols.v));
		for (unsigned i = 0; i < n; i++)
			out->cols.v[out->cols.n++] = xstrdup(f[i].name);
		if (as_table)
			out->table_ddl = temp_table_ddl(meta, as_table, &out->cols);
		mysql_free_result(meta);
	}
	mysql_stmt_close(st);
	return 0;
}
