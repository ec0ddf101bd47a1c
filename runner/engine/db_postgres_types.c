/*
 * db_postgres_types.c: the PostgreSQL engine's column types and rows of file
 * targets. PostgreSQL has no unsigned integers: an unsigned one takes the
 * next wider type (numeric(20) for 64 bits), and chacc checks the values'
 * range and sign before they are sent.
 */
#include "db_postgres.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* size of one INSERT of a file's rows */
#define INSERT_BATCH (1 << 20)

/* a type's name before its arguments, lower-cased: "double precision" */
struct tyword {
	const char *name;
	enum db_tkind kind;
	unsigned bits;           /* INT: its size; STRING: the length without an argument */
};

static const struct tyword words[] = {
	{ "smallint", DB_T_INT, 16 }, { "int2", DB_T_INT, 16 }, { "integer", DB_T_INT, 32 },
	{ "int", DB_T_INT, 32 }, { "int4", DB_T_INT, 32 }, { "bigint", DB_T_INT, 64 },
	{ "int8", DB_T_INT, 64 },
	{ "boolean", DB_T_BOOL, 0 }, { "bool", DB_T_BOOL, 0 },
	{ "numeric", DB_T_DECIMAL, 0 }, { "decimal", DB_T_DECIMAL, 0 },
	{ "real", DB_T_FLOAT, 0 }, { "float4", DB_T_FLOAT, 0 }, { "float8", DB_T_FLOAT, 0 },
	{ "float", DB_T_FLOAT, 0 }, { "double precision", DB_T_FLOAT, 0 },
	{ "date", DB_T_DATE, 0 },
	{ "timestamp", DB_T_DATETIME, 0 }, { "timestamptz", DB_T_DATETIME, 0 },
	{ "char", DB_T_STRING, 1 }, { "character", DB_T_STRING, 1 }, { "bpchar", DB_T_STRING, 1 },
	{ "varchar", DB_T_STRING, 0 }, { "character varying", DB_T_STRING, 0 },
	{ "text", DB_T_STRING, 0 },
};

/* the type's name at s (words of letters and digits, one space apart), lower-cased, into w */
static const char *
type_name(const char *s, char *w, size_t size)
{
	size_t n = 0;

	s += strspn(s, " \t");
	while (*s && n + 1 < size) {
		if (isalnum((unsigned char)*s)) {
			w[n++] = (char)tolower((unsigned char)*s++);
		} else if ((*s == ' ' || *s == '\t') && n) {
			const char *next = s + strspn(s, " \t");

			/* a second word only when it belongs to the name */
			if (strncasecmp(next, "precision", 9) && strncasecmp(next, "varying", 7))
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

/* "(a)" or "(a, b)" at s into a and b (left as they are when absent); past it, NULL when bad */
static const char *
args(const char *s, unsigned *a, unsigned *b)
{
	char *end;

	s += strspn(s, " \t");
	if (*s != '(')
		return s;
	*a = (unsigned)strtoul(s + 1, &end, 10);
	if (end == s + 1)
		return NULL;
	s = end + strspn(end, " \t");
	if (*s == ',') {
		*b = (unsigned)strtoul(s + 1, &end, 10);
		s = end + strspn(end, " \t");
	}
	return *s == ')' ? s + 1 : NULL;
}

/* fill out from the word found and its arguments a and b (given: a had one) */
static void
type_of(const struct tyword *w, unsigned a, unsigned b, bool given, struct db_type *out)
{
	out->kind = w->kind;
	switch (w->kind) {
	case DB_T_INT:
		out->bits = w->bits;
		break;
	case DB_T_DECIMAL:
		/* numeric without precision holds any number: checked as the widest */
		out->prec = given ? a : 65;
		out->scale = given ? b : 30;
		break;
	case DB_T_DATETIME:
		out->scale = given ? a : 6;
		break;
	case DB_T_STRING:
		out->len = given ? a : w->bits;
		break;
	default:
		break;
	}
}

int
pdb_type_parse(const char *sql, struct db_type *out)
{
	char w[32];
	const char *s = type_name(sql, w, sizeof(w));
	unsigned a = 0, b = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < LEN(words); i++) {
		const char *rest;

		if (strcmp(words[i].name, w) != 0)
			continue;
		if (!(rest = args(s, &a, &b)))
			break;
		type_of(&words[i], a, b, rest != s + strspn(s, " \t"), out);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

char *
pdb_type_sql(const struct db_type *t)
{
	switch (t->kind) {
	case DB_T_INT:
		/* unsigned: the next wider type holds its range */
		if (t->bits <= 8 || (t->bits <= 16 && !t->is_unsigned))
			return xstrdup("smallint");
		if (t->bits <= 16 || (t->bits <= 32 && !t->is_unsigned) || t->bits <= 24)
			return xstrdup("integer");
		if (t->bits <= 32 || !t->is_unsigned)
			return xstrdup("bigint");
		return xstrdup("numeric(20,0)");
	case DB_T_BOOL:
		return xstrdup("boolean");
	case DB_T_DECIMAL:
		return xasprintf("numeric(%u,%u)", t->prec, t->scale);
	case DB_T_FLOAT:
		return xstrdup("double precision");
	case DB_T_DATE:
		return xstrdup("date");
	case DB_T_DATETIME:
		return xasprintf("timestamp(%u)", t->scale > 6 ? 6 : t->scale);
	case DB_T_STRING:
		return t->len ? xasprintf("varchar(%u)", t->len) : xstrdup("text");
	default: /* DB_T_OTHER; the kinds of result columns are never a file's */
		break;
	}
	return xstrdup("text");
}

int
pdb_create_table(struct db *d, const char *table, const struct db_names *names, char *const *types)
{
	char *it = pdb_ident(table);
	struct buf b;
	int rc;

	buf_init(&b);
	buf_addf(&b, "CREATE TABLE %s (", it);
	for (size_t i = 0; i < names->n; i++) {
		char *ic = pdb_ident(names->v[i]);

		buf_addf(&b, "%s%s %s", i ? ", " : "", ic, types[i]);
		free(ic);
	}
	buf_adds(&b, ")");
	rc = db_exec(d, b.s);
	buf_release(&b);
	free(it);
	return rc;
}

/* append row r of values to q, after head or a row before it */
static void
add_row(struct buf *q, size_t head, const struct db_names *names, char *const *values, size_t r)
{
	buf_adds(q, q->len > head ? ",(" : "(");
	for (size_t i = 0; i < names->n; i++) {
		const char *v = values[r * names->n + i];
		char *lit = v ? pdb_literal(v) : NULL;

		buf_addf(q, "%s%s", i ? "," : "", lit ? lit : "NULL");
		free(lit);
	}
	buf_addc(q, ')');
}

/* is the insert of rows [first, end) refused? Tried in a transaction rolled back: 1, 0, or -1 */
static int
prefix_refused(struct db *d, const char *head, const struct db_names *names,
               char *const *values, size_t first, size_t end)
{
	struct pdb *p = pdb(d);
	struct buf q;
	int rc;

	if (pdb_run(p, "BEGIN", NULL) < 0)
		return -1;
	buf_init(&q);
	buf_adds(&q, head);
	for (size_t r = first; r < end; r++)
		add_row(&q, strlen(head), names, values, r);
	rc = pdb_run(p, q.s, NULL) < 0;
	pdb_run_quiet(p, "ROLLBACK");
	buf_release(&q);
	return rc;
}

/*
 * the row of [first, end) (refused as a whole) that makes the insert fail:
 * the last of the shortest refused prefix, by bisection; -1 when unknown
 */
static long long
failing_row(struct db *d, const char *head, const struct db_names *names, char *const *values,
            size_t first, size_t end)
{
	char *err = xstrdup(db_error(d));
	unsigned code = d->errnum;
	size_t lo = first, hi = end;
	long long row = -1;
	int rc = 0;

	/* rows [first, lo) pass, rows [first, hi) are refused */
	while (hi - lo > 1 && rc >= 0) {
		size_t mid = lo + (hi - lo) / 2;

		if ((rc = prefix_refused(d, head, names, values, first, mid)) > 0)
			hi = mid;
		else if (rc == 0)
			lo = mid;
	}
	if (rc >= 0)
		row = (long long)hi - 1;
	/* the message of the whole batch: the same refusal */
	db_set_error(d, code, "%s", err);
	free(err);
	return row;
}

int
pdb_insert_values(struct db *d, const char *table, const struct db_names *names,
                  char *const *values, size_t nrows, long long *badrow)
{
	char *it = pdb_ident(table), *cl = pdb_names_list(names, ""), *head;
	struct buf q;
	size_t first = 0, hlen;
	int rc = 0;

	head = xasprintf("INSERT INTO %s (%s) VALUES ", it, cl);
	hlen = strlen(head);
	buf_init(&q);
	buf_adds(&q, head);
	for (size_t r = 0; r < nrows && rc == 0; r++) {
		add_row(&q, hlen, names, values, r);
		if (q.len < INSERT_BATCH && r + 1 < nrows)
			continue;
		/* outside a transaction, a refused batch left nothing: find its row */
		if ((rc = db_exec(d, q.s)) < 0 && PQtransactionStatus(pdb(d)->pg) == PQTRANS_IDLE)
			*badrow = failing_row(d, head, names, values, first, r + 1);
		first = r + 1;
		q.len = hlen;
		q.s[hlen] = '\0';
	}
	buf_release(&q);
	free(head);
	free(it);
	free(cl);
	return rc;
}
