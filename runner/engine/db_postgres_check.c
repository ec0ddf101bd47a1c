/*
 * db_postgres_check.c: the PostgreSQL engine asks the server to prepare a
 * statement (parse, resolve its names and types), never to run it
 */
#include "db_postgres.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* the line (from 1) of the character at position pos (from 1) of sql; 0 when none */
static int
position_line(const char *sql, const char *pos)
{
	long want = pos ? atol(pos) : 0, chars = 0;
	int line = 1;

	if (want < 1)
		return 0;
	/* the server counts characters; UTF-8 continuation bytes start no character */
	for (const char *s = sql; *s; s++) {
		if (((unsigned char)*s & 0xC0) == 0x80)
			continue;
		if (++chars >= want)
			return line;
		if (*s == '\n')
			line++;
	}
	return line;
}

/*
 * the unknown, ambiguous or repeated name a message is about: its first
 * "quoted" word, or the name after "column " (column t.x does not exist); NULL
 */
static char *
message_name(unsigned code, const char *msg)
{
	const char *a, *b;

	if (code != PDB_STATE("42P01") && code != PDB_STATE("42703") && code != PDB_STATE("42702") &&
	    code != PDB_STATE("42701") && code != PDB_STATE("42712"))
		return NULL;
	if ((a = strchr(msg, '"')) && (b = strchr(a + 1, '"')) && b > a + 1)
		return xstrndup(a + 1, (size_t)(b - a - 1));
	if (strncmp(msg, "column ", 7) == 0 && (b = strstr(msg + 7, " does not exist")) && b > msg + 7)
		return xstrndup(msg + 7, (size_t)(b - msg - 7));
	return NULL;
}

/* record the refusal res carries on p, and where it points in out */
static int
refused(struct pdb *p, PGresult *res, const char *sql, struct db_prep *out)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum db_err kind;

	if (!primary || !state)
		pdb_error(p, res);
	else
		db_set_error(&p->base, pdb_state_code(state), "%s", primary);
	out->line = res ? position_line(sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)) : 0;
	out->name = message_name(p->base.errnum, db_error(&p->base));
	kind = db_error_class(&p->base);
	if (PQstatus(p->pg) == CONNECTION_BAD || kind == DB_ERR_TRANSIENT || kind == DB_ERR_KILLED)
		return -1;
	return 1;
}

/* the types of res's columns, as SQL (format_type), for a table; NULL on error */
static char *
column_types(struct pdb *p, const PGresult *res, const char *table, const struct db_names *cols)
{
	int n = PQnfields(res);
	struct buf q, ddl;
	struct dbres *r;
	char *id = pdb_ident(table);

	buf_init(&q);
	for (int i = 0; i < n; i++)
		buf_addf(&q, "%sformat_type(%u, %d)", i ? ", " : "SELECT ", PQftype(res, i),
		         PQfmod(res, i));
	r = db_query(&p->base, q.s);
	buf_release(&q);
	if (!r || !dbres_next(r)) {
		dbres_free(r);
		free(id);
		return NULL;
	}
	buf_init(&ddl);
	buf_addf(&ddl, "CREATE TEMPORARY TABLE %s (", id);
	for (int i = 0; i < n; i++) {
		char *col = pdb_ident(PQfname(res, i));
		const char *type = dbres_get(r, (size_t)i);

		/* a literal of no type, or a row, is text to a table */
		if (!type || !strcmp(type, "unknown") || !strcmp(type, "record"))
			type = "text";
		buf_addf(&ddl, "%s%s %s", i ? ", " : "", col, type);
		free(col);
	}
	if (!db_names_has(cols, DB_STAMP))
		buf_adds(&ddl, ", \"" DB_STAMP "\" timestamptz NULL");
	buf_addc(&ddl, ')');
	dbres_free(r);
	free(id);
	return buf_detach(&ddl);
}

int
pdb_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out)
{
	struct pdb *p = pdb(d);
	PGresult *res;
	int n;

	/* the unnamed statement: the next one replaces it */
	res = PQprepare(p->pg, "", sql, 0, NULL);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		int rc = refused(p, res, sql, out);

		PQclear(res);
		return rc;
	}
	PQclear(res);
	res = PQdescribePrepared(p->pg, "");
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		pdb_error(p, res);
		PQclear(res);
		return -1;
	}
	n = PQnfields(res);
	out->cols.v = xcalloc((size_t)n + 1, sizeof(*out->cols.v));
	for (int i = 0; i < n; i++)
		out->cols.v[out->cols.n++] = xstrdup(PQfname(res, i));
	if (as_table && n > 0 && !(out->table_ddl = column_types(p, res, as_table, &out->cols))) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}
