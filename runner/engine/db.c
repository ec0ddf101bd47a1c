/* db.c: the engines by driver name, and the db_* functions that dispatch to them */
#include "db.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct db_engine *const engines[] = {
	&db_mariadb,
	&db_postgres,
};

const struct db_engine *
db_engine_find(const char *driver, char **err)
{
	size_t i;

	if (!driver || !*driver)
		driver = "mariadb";
	for (i = 0; i < LEN(engines); i++)
		if (strcmp(engines[i]->driver, driver) == 0)
			return engines[i];
	if (err) {
		struct buf b;

		buf_init(&b);
		for (i = 0; i < LEN(engines); i++)
			buf_addf(&b, "%s'%s'", i ? ", " : "", engines[i]->driver);
		*err = xasprintf("unknown driver '%s' (known: %s)", driver, b.s);
		buf_release(&b);
	}
	return NULL;
}

void
db_names_release(struct db_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool
db_names_has(const struct db_names *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], name) == 0)
			return true;
	return false;
}

int
db_set_error(struct db *d, unsigned code, const char *fmt, ...)
{
	va_list ap;

	free(d->err);
	va_start(ap, fmt);
	d->err = xvasprintf(fmt, ap);
	va_end(ap);
	d->errnum = code;
	return -1;
}

static char *
xstrdup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
db_params_copy(struct db_params *to, const struct db_params *p)
{
	to->name = xstrdup0(p->name);
	to->driver = xstrdup0(p->driver);
	to->host = xstrdup0(p->host);
	to->port = p->port;
	if (p->nhosts) {
		char **h = xcalloc(p->nhosts, sizeof(*h));

		for (size_t i = 0; i < p->nhosts; i++)
			h[i] = xstrdup(p->hosts[i]);
		to->hosts = h;
	}
	to->nhosts = p->nhosts;
	to->socket = xstrdup0(p->socket);
	to->user = xstrdup0(p->user);
	to->password = xstrdup0(p->password);
	to->database = xstrdup0(p->database);
	to->schema = xstrdup0(p->schema);
	to->connect_timeout = p->connect_timeout;
	to->bind_address = xstrdup0(p->bind_address);
}

void
db_params_release(struct db_params *p)
{
	free((char *)p->name);
	free((char *)p->driver);
	free((char *)p->host);
	for (size_t i = 0; i < p->nhosts; i++)
		free(p->hosts[i]);
	free((char **)p->hosts);
	free((char *)p->socket);
	free((char *)p->user);
	free((char *)p->password);
	free((char *)p->database);
	free((char *)p->schema);
	free((char *)p->bind_address);
	memset(p, 0, sizeof(*p));
}

void
db_scrub(char **msg, const char *secret)
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

struct db *
db_connect(const struct db_params *p, char **err, enum db_err *why)
{
	const struct db_engine *e;
	char *msg = NULL;

	if (why)
		*why = DB_ERR_NONE;
	if (!(e = db_engine_find(p->driver, &msg))) {
		if (err)
			*err = xasprintf("connection '%s': %s", p->name ? p->name : "?", msg);
		if (why)
			*why = DB_ERR_OTHER;
		free(msg);
		return NULL;
	}
	return e->connect(p, err, why);
}

void
db_close(struct db *d)
{
	if (d)
		d->engine->close(d);
}

int
db_reconnect(struct db *d)
{
	return d->engine->reconnect(d);
}

const char *
db_conn_name(struct db *d)
{
	return d->engine->conn_name(d);
}

const char *
db_name(struct db *d)
{
	return d->engine->name(d);
}

bool
db_same_server(struct db *a, struct db *b)
{
	if (a == b)
		return true;
	return a->engine == b->engine && a->engine->same_server(a, b);
}

int
db_exec(struct db *d, const char *sql)
{
	return d->engine->exec(d, sql);
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
	return d->engine->affected(d);
}

struct dbres *
db_query(struct db *d, const char *sql)
{
	return d->engine->query(d, sql);
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
	return r->engine->res_next(r);
}

const char *
dbres_get(struct dbres *r, size_t i)
{
	return r->engine->res_get(r, i);
}

size_t
dbres_ncols(struct dbres *r)
{
	return r->engine->res_ncols(r);
}

const char *
dbres_colname(struct dbres *r, size_t i)
{
	return r->engine->res_colname(r, i);
}

size_t
dbres_nrows(struct dbres *r)
{
	return r->engine->res_nrows(r);
}

void
dbres_free(struct dbres *r)
{
	if (r)
		r->engine->res_free(r);
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

enum db_err
db_error_class(struct db *d)
{
	if (!d->err && !d->errnum)
		return DB_ERR_NONE;
	return d->engine->classify(d->errnum);
}

bool
db_error_transient(struct db *d)
{
	return db_error_class(d) == DB_ERR_TRANSIENT;
}

bool
db_error_conflict(struct db *d)
{
	return d->errnum && d->engine->conflict(d->errnum);
}

bool
db_error_killed(struct db *d)
{
	return db_error_class(d) == DB_ERR_KILLED;
}

unsigned long
db_thread_id(struct db *d)
{
	return d->engine->thread_id(d);
}

int
db_kill_query(const struct db_params *p, unsigned long id)
{
	const struct db_engine *e = db_engine_find(p->driver, NULL);

	return e ? e->kill_query(p, id) : -1;
}

int
db_kill(struct db *d, unsigned long id)
{
	return d->engine->kill(d, id);
}

char *
db_quote(struct db *d, const char *s)
{
	/* without a connection, the first engine's escaping */
	return (d ? d->engine : engines[0])->quote(d, s);
}

char *
db_ident(struct db *d, const char *s)
{
	return (d ? d->engine : engines[0])->ident(s);
}

char *
db_ts_literal(struct db *d, const char *ts)
{
	return ts && *ts ? db_quote(d, ts) : xstrdup("NULL");
}

char *
db_sql_falsy(struct db *d, const char *expr)
{
	return d->engine->falsy(expr);
}

struct db *
db_connect_like(struct db *d, char **err)
{
	return d->engine->connect(d->engine->params(d), err, NULL);
}

int
db_cluster(struct db *d)
{
	return d->engine->cluster ? d->engine->cluster(d) : 0;
}

int
db_begin(struct db *d)
{
	return db_exec(d, "START TRANSACTION");
}

int
db_commit(struct db *d)
{
	return db_exec(d, "COMMIT");
}

int
db_rollback(struct db *d)
{
	return db_exec(d, "ROLLBACK");
}

int
db_read_committed(struct db *d)
{
	return d->engine->read_committed(d);
}

int
db_use(struct db *d, const char *database)
{
	return d->engine->use(d, database);
}

int
db_now(struct db *d, char **out)
{
	return d->engine->now(d, out);
}

int
db_ts_minus(struct db *d, const char *ts, double seconds, char **out)
{
	return d->engine->ts_minus(d, ts, seconds, out);
}

int
db_ts_after(struct db *d, const char *ts, const char *at, double seconds)
{
	return d->engine->ts_after(d, ts, at, seconds);
}

int
db_lock(struct db *d, const char *name, double timeout)
{
	return d->engine->lock(d, name, timeout);
}

int
db_unlock(struct db *d, const char *name)
{
	return d->engine->unlock(d, name);
}

int
db_locks_used(struct db *d, const char *const *names, size_t n, bool *used)
{
	return d->engine->locks_used(d, names, n, used);
}

bool
db_table_exists(struct db *d, const char *table)
{
	return d->engine->table_exists(d, table);
}

int
db_table_columns(struct db *d, const char *table, struct db_names *out)
{
	return d->engine->table_columns(d, table, out);
}

int
db_result_columns(struct db *d, const char *select_sql, struct db_names *out)
{
	struct dbres *res = db_queryf(d, "SELECT * FROM (%s) AS q LIMIT 0", select_sql);
	size_t i;

	out->v = NULL;
	out->n = 0;
	if (!res)
		return -1;
	out->n = dbres_ncols(res);
	out->v = xcalloc(out->n, sizeof(*out->v));
	for (i = 0; i < out->n; i++)
		out->v[i] = xstrdup(dbres_colname(res, i));
	dbres_free(res);
	return 0;
}

char *
db_primary_key(struct db *d, const char *table)
{
	return d->engine->primary_key(d, table);
}

long long
db_count_rows(struct db *d, const char *table)
{
	char *v = NULL, *id = db_ident(d, table);
	long long n = -1;

	if (db_value(d, &v, "SELECT COUNT(*) FROM %s", id) > 0 && v)
		n = atoll(v);
	free(v);
	free(id);
	return n;
}

int
db_drop_table(struct db *d, const char *table, bool temporary)
{
	return d->engine->drop_table(d, table, temporary);
}

int
db_create_like(struct db *d, const char *table, const char *like, bool temporary)
{
	return d->engine->create_like(d, table, like, temporary);
}

int
db_create_from_query(struct db *d, const char *table, const char *select_sql)
{
	return d->engine->create_from_query(d, table, select_sql);
}

int
db_add_stamp(struct db *d, const char *table)
{
	return d->engine->add_stamp(d, table);
}

int
db_add_row_id(struct db *d, const char *table)
{
	if (!d->engine->add_row_id) {
		db_set_error(d, 0, "cannot add a row id to '%s' on %s", table, d->engine->driver);
		return -1;
	}
	return d->engine->add_row_id(d, table);
}

int
db_add_primary_key(struct db *d, const char *table, const struct db_names *cols)
{
	return d->engine->add_primary_key(d, table, cols);
}

int
db_add_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	return n ? d->engine->add_indexes(d, table, index, n) : 0;
}

int
db_swap(struct db *d, const char *table, const char *shadow, const char *old)
{
	return d->engine->swap(d, table, shadow, old);
}

int
db_checksum(struct db *d, const char *table, char **out)
{
	return d->engine->checksum(d, table, out);
}

int
db_digest(struct db *d, const char *table, const struct db_names *cols, char **out)
{
	return d->engine->digest(d, table, cols, out);
}

int
db_keep_stamps(struct db *d, const char *shadow, const char *table, const struct db_names *key,
               const struct db_names *cols, long long *kept)
{
	return d->engine->keep_stamps(d, shadow, table, key, cols, kept);
}

int
db_upsert(struct db *d, const char *table, const struct db_names *cols, const char *select_sql,
          struct db_upsert *out)
{
	return d->engine->upsert(d, table, cols, select_sql, out);
}

int
db_follow_deletes(struct db *d, const struct db_delete *del, const char *need, const char *since,
                  long long *removed)
{
	return d->engine->follow_deletes(d, del, need, since, removed);
}

int
db_delete_flagged(struct db *d, const struct db_delete *del, const char *stage, const char *flag,
                  long long *removed)
{
	return d->engine->delete_flagged(d, del, stage, flag, removed);
}

int
db_delete_absent(struct db *d, const struct db_delete *del, const char *column, const char *value,
                 const char *stage, long long *removed)
{
	return d->engine->delete_absent(d, del, column, value, stage, removed);
}

char *
db_sql_site_select(struct db *d, const char *column, const char *site, const char *select_sql)
{
	return d->engine->site_select(d, column, site, select_sql);
}

char *
db_logged_rows(struct db *d, const char *log, const char *need, const struct db_names *cols,
               const char *since)
{
	return d->engine->logged_rows(d, log, need, cols, since);
}

char *
db_aggregate(struct db *d, enum db_agg how, const char *expr, const char *order_by)
{
	return d->engine->aggregate(how, expr, order_by);
}

int
db_check_privileges(struct db *d, bool routines, char **err)
{
	return d->engine->check_privileges(d, routines, err);
}

void
db_prep_release(struct db_prep *p)
{
	free(p->name);
	free(p->table_ddl);
	db_names_release(&p->cols);
	memset(p, 0, sizeof(*p));
}

int
db_prepare_check(struct db *d, const char *sql, const char *as_table, struct db_prep *out)
{
	memset(out, 0, sizeof(*out));
	return d->engine->prepare_check(d, sql, as_table, out);
}

int
db_create_database(const struct db_params *p, char **err)
{
	const struct db_engine *e;
	char *msg = NULL;

	if (!(e = db_engine_find(p->driver, &msg))) {
		*err = xasprintf("connection '%s': %s", p->name ? p->name : "?", msg);
		free(msg);
		return -1;
	}
	return e->create_database(p, err);
}

int
db_add_missing_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	return n ? d->engine->add_missing_indexes(d, table, index, n) : 0;
}

int
db_type_parse(const char *driver, const char *sql, struct db_type *out)
{
	const struct db_engine *e = db_engine_find(driver, NULL);

	memset(out, 0, sizeof(*out));
	if (!e)
		return -1;
	return e->type_parse(sql, out);
}

char *
db_type_sql(const char *driver, const struct db_type *t)
{
	const struct db_engine *e = db_engine_find(driver, NULL);

	return e ? e->type_sql(t) : NULL;
}

int
db_create_table(struct db *d, const char *table, const struct db_names *names, char *const *types)
{
	return d->engine->create_table(d, table, names, types);
}

int
db_insert_values(struct db *d, const char *table, const struct db_names *names,
                 char *const *values, size_t nrows, long long *badrow)
{
	*badrow = -1;
	return d->engine->insert_values(d, table, names, values, nrows, badrow);
}
