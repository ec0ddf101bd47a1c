/* db_common.c: SQL text and result walking the engines share (db_common.h) */
#include "db_common.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

char *
db_quote_doubled(const char *s, char q)
{
	struct buf b;

	buf_init(&b);
	buf_addc(&b, q);
	for (; *s; s++) {
		if (*s == q)
			buf_addc(&b, q);
		buf_addc(&b, *s);
	}
	buf_addc(&b, q);
	return buf_detach(&b);
}

char *
db_names_sql(const struct db_names *c, const char *prefix, char *(*ident)(const char *))
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < c->n; i++) {
		char *id = ident(c->v[i]);

		buf_addf(&b, "%s%s%s", i ? ", " : "", prefix, id);
		free(id);
	}
	return buf_detach(&b);
}

int
db_names_query(struct db *d, const char *sql, struct db_names *out)
{
	struct dbres *r = db_query(d, sql);

	if (!r)
		return -1;
	while (dbres_next(r)) {
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(dbres_get(r, 0) ? dbres_get(r, 0) : "");
	}
	dbres_free(r);
	return 0;
}

char *
db_row_text(struct db *d, const char *sql)
{
	struct dbres *r = db_query(d, sql);
	char *text = NULL;

	if (!r)
		return NULL;
	if (dbres_next(r)) {
		struct buf b;

		buf_init(&b);
		for (size_t i = 0; i < dbres_ncols(r); i++)
			buf_addf(&b, "%s\n", dbres_get(r, i) ? dbres_get(r, i) : "");
		text = buf_detach(&b);
	}
	dbres_free(r);
	return text;
}

int
db_locks_held(struct db *d, const char *const *names, size_t n, const char *held,
              const char *truth, bool *used)
{
	struct dbres *r;
	struct buf b;

	if (n == 0)
		return 0;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		char *q = db_quote(d, names[i]);

		buf_adds(&b, i ? ", " : "SELECT ");
		buf_addf(&b, held, q);
		free(q);
	}
	r = db_query(d, b.s);
	buf_release(&b);
	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++)
		used[i] = false;
	if (dbres_next(r))
		for (size_t i = 0; i < n; i++)
			used[i] = dbres_get(r, i) && strcmp(dbres_get(r, i), truth) == 0;
	dbres_free(r);
	return 0;
}

int
db_create_table_with(struct db *d, const char *table, const struct db_names *names,
                     char *const *types, const char *suffix)
{
	char *it = db_ident(d, table);
	struct buf b;
	int rc;

	buf_init(&b);
	buf_addf(&b, "CREATE TABLE %s (", it);
	for (size_t i = 0; i < names->n; i++) {
		char *ic = db_ident(d, names->v[i]);

		buf_addf(&b, "%s%s %s", i ? ", " : "", ic, types[i]);
		free(ic);
	}
	buf_adds(&b, ")");
	buf_adds(&b, suffix);
	rc = db_exec(d, b.s);
	buf_release(&b);
	free(it);
	return rc;
}

int
db_common_add_primary_key(struct db *d, const char *table, const struct db_names *cols)
{
	char *id = db_ident(d, table), *k = db_names_sql(cols, "", d->engine->ident);
	int rc = db_execf(d, "ALTER TABLE %s ADD PRIMARY KEY (%s)", id, k);

	free(id);
	free(k);
	return rc;
}

const char *
db_type_args(const char *s, unsigned *a, unsigned *b)
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

size_t
db_missing_indexes(const struct db_names *have, const struct db_names *index, size_t n,
                   struct db_names *add)
{
	size_t nadd = 0;

	for (size_t i = 0; i < n; i++) {
		struct buf cols;
		bool found = false;

		buf_init(&cols);
		for (size_t j = 0; j < index[i].n; j++)
			buf_addf(&cols, "%s%s", j ? "," : "", index[i].v[j]);
		for (size_t j = 0; j < have->n && !found; j++)
			found = cols.s && strcasecmp(have->v[j], cols.s) == 0;
		buf_release(&cols);
		if (!found)
			add[nadd++] = index[i];
	}
	return nadd;
}
