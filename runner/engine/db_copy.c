/*
 * db_copy.c: tables shaped like a query's result, and the rows of a query
 * copied into a table, within an engine or between two (a reader of the
 * source's engine feeding a writer of the destination's)
 */
#include "db.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void
db_cols_release(struct db_cols *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].native);
		for (size_t j = 0; j < c->v[i].t.nvalues; j++)
			free(c->v[i].t.values[j]);
		free(c->v[i].t.values);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

int
db_result_types(struct db *d, const char *select_sql, struct db_cols *out)
{
	memset(out, 0, sizeof(*out));
	if (!d->engine->result_types)
		return db_set_error(d, 0, "the %s engine cannot describe a query's columns",
		                    d->engine->driver);
	return d->engine->result_types(d, select_sql, out);
}

char *
db_result_ddl(struct db *src, const char *select_sql, struct db *dst, const char *table)
{
	struct db_cols cols;
	char *ddl, *err = NULL;

	if (src->engine == dst->engine)
		return src->engine->result_ddl(src, select_sql, table);
	if (db_result_types(src, select_sql, &cols) < 0)
		return NULL;
	if (!(ddl = dst->engine->cols_ddl(dst, table, &cols, &err))) {
		db_set_error(src, 0, "connection '%s': %s, for connection '%s' (%s)", db_conn_name(src),
		             err, db_conn_name(dst), dst->engine->driver);
		free(err);
	}
	db_cols_release(&cols);
	return ddl;
}

int
db_reader_next(struct db_reader *r)
{
	int rc = r->next(r);

	if (rc <= 0)
		return rc;
	r->rows++;
	if (r->progress && r->rows % 10000 == 0 && r->progress(r->arg, r->rows)) {
		r->stopped = true;
		return -1;
	}
	return 1;
}

/* between engines: the source's reader into the destination's writer */
static int
copy_across(struct db *src, const char *select_sql, struct db *dst, const char *table,
            long long *rows, db_progress_fn progress, void *arg, struct db **errside)
{
	struct db_cols cols;
	struct db_reader *r;
	int rc;

	if (db_result_types(src, select_sql, &cols) < 0) {
		*errside = src;
		return -1;
	}
	if (!(r = src->engine->open_reader(src, select_sql, &cols))) {
		db_cols_release(&cols);
		*errside = src;
		return -1;
	}
	r->progress = progress;
	r->arg = arg;
	rc = dst->engine->write_rows(dst, table, r, errside);
	*rows = r->rows;
	r->close(r);
	db_cols_release(&cols);
	return rc;
}

int
db_copy(struct db *src, const char *select_sql, struct db *dst, const char *table,
        long long *rows, db_progress_fn progress, void *arg, struct db **errside)
{
	*rows = 0;
	*errside = NULL;
	if (src == dst) {
		*errside = dst;
		return db_set_error(dst, 0, "copy needs two connections");
	}
	if (src->engine == dst->engine)
		return src->engine->copy(src, select_sql, dst, table, rows, progress, arg, errside);
	if (!src->engine->open_reader || !dst->engine->write_rows) {
		*errside = dst;
		return db_set_error(dst, 0, "copy between engines '%s' and '%s' is not supported",
		                    src->engine->driver, dst->engine->driver);
	}
	return copy_across(src, select_sql, dst, table, rows, progress, arg, errside);
}
