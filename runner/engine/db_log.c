/* db_log.c: change capture from a source's log of changes, for the engines that keep one */
#include "db.h"

#include <stddef.h>

static int
no_log(struct db *d)
{
	return db_set_error(d, 0, "connection '%s' is not MariaDB: change capture reads MariaDB's "
	                    "binary log; this source keeps the watermark", db_conn_name(d));
}

int
db_log_usable(struct db *d)
{
	return d->engine->log_usable ? d->engine->log_usable(d) : no_log(d);
}

int
db_log_position(struct db *d, char **pos)
{
	*pos = NULL;
	return d->engine->log_position ? d->engine->log_position(d, pos) : no_log(d);
}

int
db_log_snapshot(struct db *d, char **pos)
{
	*pos = NULL;
	return d->engine->log_snapshot ? d->engine->log_snapshot(d, pos) : no_log(d);
}

int
db_log_read(struct db *d, const char *from, const struct db_log_table *tables, size_t n,
            db_log_row_fn row, void *arg, char **to)
{
	*to = NULL;
	if (!d->engine->log_read)
		return no_log(d);
	return d->engine->log_read(d, from, tables, n, row, arg, to);
}

int
db_delete_missing(struct db *d, const struct db_delete *del, const char *keys, const char *stage,
                  long long *removed)
{
	*removed = 0;
	return d->engine->delete_missing(d, del, keys, stage, removed);
}
