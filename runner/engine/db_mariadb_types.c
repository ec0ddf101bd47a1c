/* db_mariadb_types.c: the MariaDB engine's column types and rows of file targets */
#include "db_mariadb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* size of one INSERT of a file's rows */
#define INSERT_BATCH (1 << 20)
/* the session sql_mode while inserting: a value that does not fit is an error */
#define INSERT_SQL_MODE "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO"

/* the words of a type before its arguments, upper-cased: "DOUBLE PRECISION" */
struct tyword {
	const char *name;
	enum db_tkind kind;
	unsigned bits;           /* INT: its size; STRING: its fixed length, 0 from the argument */
};

static const struct tyword words[] = {
	{ "TINYINT", DB_T_INT, 8 }, { "SMALLINT", DB_T_INT, 16 }, { "MEDIUMINT", DB_T_INT, 24 },
	{ "INT", DB_T_INT, 32 }, { "INTEGER", DB_T_INT, 32 }, { "BIGINT", DB_T_INT, 64 },
	{ "BOOL", DB_T_BOOL, 0 }, { "BOOLEAN", DB_T_BOOL, 0 },
	{ "DECIMAL", DB_T_DECIMAL, 0 }, { "NUMERIC", DB_T_DECIMAL, 0 }, { "DEC", DB_T_DECIMAL, 0 },
	{ "FIXED", DB_T_DECIMAL, 0 },
	{ "FLOAT", DB_T_FLOAT, 0 }, { "DOUBLE", DB_T_FLOAT, 0 }, { "REAL", DB_T_FLOAT, 0 },
	{ "DOUBLE PRECISION", DB_T_FLOAT, 0 },
	{ "DATE", DB_T_DATE, 0 }, { "DATETIME", DB_T_DATETIME, 0 }, { "TIMESTAMP", DB_T_DATETIME, 0 },
	{ "CHAR", DB_T_STRING, 1 }, { "VARCHAR", DB_T_STRING, 0 }, { "NCHAR", DB_T_STRING, 1 },
	{ "NVARCHAR", DB_T_STRING, 0 }, { "CHARACTER", DB_T_STRING, 1 },
	{ "CHARACTER VARYING", DB_T_STRING, 0 }, { "TINYTEXT", DB_T_STRING, 255 },
	{ "TEXT", DB_T_STRING, 0 }, { "MEDIUMTEXT", DB_T_STRING, 0 }, { "LONGTEXT", DB_T_STRING, 0 },
};

/* the leading words of s (letters and single spaces), upper-cased, into w; returns what follows */
static const char *
lead_words(const char *s, char *w, size_t size)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s && n + 1 < size) {
		if (isalpha((unsigned char)*s)) {
			w[n++] = (char)toupper((unsigned char)*s++);
		} else if ((*s == ' ' || *s == '\t') && n && isalpha((unsigned char)s[strspn(s, " \t")])) {
			/* a second word only when it belongs to the type's name */
			const char *next = s + strspn(s, " \t");

			if (strncasecmp(next, "PRECISION", 9) && strncasecmp(next, "VARYING", 7))
				break;
			w[n++] = ' ';
			s = next;
		} else {
			break;
		}
	}
	w[n] = '\0';
	return s;
}

/* "(a)" or "(a,b)" at s: the numbers into a and b (left as they are when absent); past it */
static const char *
args(const char *s, unsigned *a, unsigned *b, bool *ok)
{
	char *end;

	*ok = true;
	s += strspn(s, " \t");
	if (*s != '(')
		return s;
	*a = (unsigned)strtoul(s + 1, &end, 10);
	if (end == s + 1)
		*ok = false;
	s = end + strspn(end, " \t");
	if (*s == ',') {
		*b = (unsigned)strtoul(s + 1, &end, 10);
		s = end + strspn(end, " \t");
	}
	if (*s != ')') {
		*ok = false;
		return s;
	}
	return s + 1;
}

int
mdb_type_parse(const char *sql, struct db_type *out)
{
	char w[32];
	const char *s = lead_words(sql, w, sizeof(w));
	unsigned a = 0, b = 0;
	bool ok;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < LEN(words); i++) {
		if (strcmp(words[i].name, w) != 0)
			continue;
		out->kind = words[i].kind;
		s = args(s, &a, &b, &ok);
		if (!ok)
			break;
		switch (out->kind) {
		case DB_T_INT:
			out->bits = words[i].bits;
			out->is_unsigned = strcasestr(s, "unsigned") != NULL;
			break;
		case DB_T_DECIMAL:
			out->prec = a ? a : 10;
			out->scale = a ? b : 0;
			break;
		case DB_T_DATETIME:
			out->scale = a;
			break;
		case DB_T_STRING:
			out->len = words[i].bits == 255 ? 255 : a ? a : words[i].bits;
			break;
		default:
			break;
		}
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

char *
mdb_type_sql(const struct db_type *t)
{
	const char *ints[] = { "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT" };
	unsigned i;

	switch (t->kind) {
	case DB_T_INT:
		i = t->bits <= 8 ? 0 : t->bits <= 16 ? 1 : t->bits <= 24 ? 2 : t->bits <= 32 ? 3 : 4;
		return xasprintf("%s%s", ints[i], t->is_unsigned ? " UNSIGNED" : "");
	case DB_T_BOOL:
		return xstrdup("TINYINT");
	case DB_T_DECIMAL:
		return xasprintf("DECIMAL(%u,%u)", t->prec, t->scale);
	case DB_T_FLOAT:
		return xstrdup("DOUBLE");
	case DB_T_DATE:
		return xstrdup("DATE");
	case DB_T_DATETIME:
		return t->scale ? xasprintf("DATETIME(%u)", t->scale) : xstrdup("DATETIME");
	case DB_T_STRING:
		return t->len ? xasprintf("VARCHAR(%u)", t->len) : xstrdup("TEXT");
	default: /* DB_T_OTHER; the kinds of result columns are never a file's */
		break;
	}
	return xstrdup("TEXT");
}

int
mdb_create_table(struct db *d, const char *table, const struct db_names *names, char *const *types)
{
	char *it = mdb_ident(table);
	struct buf b;
	int rc;

	buf_init(&b);
	buf_addf(&b, "CREATE TABLE %s (", it);
	for (size_t i = 0; i < names->n; i++) {
		char *ic = mdb_ident(names->v[i]);

		buf_addf(&b, "%s%s %s", i ? ", " : "", ic, types[i]);
		free(ic);
	}
	buf_adds(&b, ") DEFAULT CHARSET=utf8mb4");
	rc = db_exec(d, b.s);
	buf_release(&b);
	free(it);
	return rc;
}

/* the row of the batch that the server's message names ("... at row 3"), from 0, or -1 */
static long long
row_named(struct db *d)
{
	const char *at = strstr(db_error(d), " at row ");
	long long n;

	if (!at || (n = atoll(at + 8)) < 1)
		return -1;
	return n - 1;
}

/* fail when the last statement left a warning that is not a note */
static int
warnings(struct mdb *m)
{
	struct dbres *r;
	int rc = 0;

	if (mysql_warning_count(m->my) == 0)
		return 0;
	if (!(r = db_query(&m->base, "SHOW WARNINGS")))
		return -1;
	while (rc == 0 && dbres_next(r)) {
		const char *level = dbres_get(r, 0), *code = dbres_get(r, 1), *msg = dbres_get(r, 2);

		if (level && strcmp(level, "Note") == 0)
			continue;
		rc = db_set_error(&m->base, code ? (unsigned)atoi(code) : 0, "%s", msg ? msg : "warning");
	}
	dbres_free(r);
	return rc;
}

/* run one batch whose first row is first; on error, the row the server names */
static int
flush(struct db *d, struct buf *q, size_t head, size_t first, long long *badrow)
{
	long long n;

	if (q->len == head)
		return 0;
	if (db_exec(d, q->s) < 0 || warnings(mdb(d)) < 0) {
		if ((n = row_named(d)) >= 0)
			*badrow = (long long)first + n;
		return -1;
	}
	q->len = head;
	q->s[head] = '\0';
	return 0;
}

static int
insert_rows(struct db *d, const char *table, const struct db_names *names, char *const *values,
            size_t nrows, long long *badrow)
{
	char *it = mdb_ident(table);
	struct buf q;
	size_t head, first = 0;
	int rc = 0;

	buf_init(&q);
	buf_addf(&q, "INSERT INTO %s (", it);
	for (size_t i = 0; i < names->n; i++) {
		char *ic = mdb_ident(names->v[i]);

		buf_addf(&q, "%s%s", i ? ", " : "", ic);
		free(ic);
	}
	buf_adds(&q, ") VALUES ");
	head = q.len;
	for (size_t r = 0; r < nrows && rc == 0; r++) {
		buf_adds(&q, q.len > head ? ",(" : "(");
		for (size_t i = 0; i < names->n; i++) {
			const char *v = values[r * names->n + i];

			if (i)
				buf_addc(&q, ',');
			if (!v) {
				buf_adds(&q, "NULL");
				continue;
			}
			buf_addc(&q, '\'');
			mdb_add_escaped(&q, v, strlen(v), mdb_sql_esc);
			buf_addc(&q, '\'');
		}
		buf_addc(&q, ')');
		if (q.len >= INSERT_BATCH) {
			rc = flush(d, &q, head, first, badrow);
			first = r + 1;
		}
	}
	if (rc == 0)
		rc = flush(d, &q, head, first, badrow);
	buf_release(&q);
	free(it);
	return rc;
}

int
mdb_insert_values(struct db *d, const char *table, const struct db_names *names,
                  char *const *values, size_t nrows, long long *badrow)
{
	char *mode = NULL, *restore, *set;
	int rc;

	if (db_value(d, &mode, "SELECT @@SESSION.sql_mode") < 0 ||
	    db_exec(d, "SET SESSION sql_mode='" INSERT_SQL_MODE "'") < 0) {
		free(mode);
		return -1;
	}
	rc = insert_rows(d, table, names, values, nrows, badrow);
	restore = db_quote(d, mode ? mode : "");
	set = xasprintf("SET SESSION sql_mode=%s", restore);
	mdb_run_quiet(mdb(d), set);
	free(restore);
	free(set);
	free(mode);
	return rc;
}
