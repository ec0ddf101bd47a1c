/* build_conns.c: a worker's connections, opened from the recipe's settings */
#include "build.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

struct db_params
conns_params(const struct conn *c)
{
	return (struct db_params){
		.name = c->name, .driver = c->driver, .host = c->host, .port = c->port,
		.hosts = c->hosts, .nhosts = c->nhosts, .socket = c->socket, .user = c->user, .password = c->password,
		.database = c->database, .schema = c->schema, .connect_timeout = c->connect_timeout,
		.bind_address = c->bind_address,
	};
}

static struct db *
conn_open(const struct conn *c, char **err, enum db_err *why)
{
	struct db_params p = conns_params(c);

	return db_connect(&p, err, why);
}

/*
 * the target connection tc, whose database is missing: a build creates it
 * (DESIGN §6: exit 3 when it may not), reading commands say so
 */
static struct db *
conn_create(struct conns *c, const struct conn *tc, char **err)
{
	struct db_params p = conns_params(tc);
	/* on PostgreSQL, the database or only its schema may be missing */
	char *what = tc->schema && *tc->schema ?
	             xasprintf("database '%s' (schema '%s')", tc->database, tc->schema) :
	             xasprintf("database '%s'", tc->database);
	struct db *d = NULL;

	free(*err);
	*err = NULL;
	c->why = DB_ERR_ACCESS;
	if (!c->create_database)
		*err = xasprintf("connection '%s': %s does not exist yet: nothing was built"
		                 " there ('chacc build' creates it)", tc->name, what);
	else if (db_create_database(&p, err) == 0) {
		log_event(LOG_INFO, "create", NULL, 0, "created %s for connection '%s'", what, tc->name);
		d = conn_open(tc, err, &c->why);
	}
	free(what);
	return d;
}

int
conns_open(struct conns *c, const struct recipe *r, char **err)
{
	const struct conn *tc = recipe_conn(r, r->target_conn);

	c->r = r;
	c->src = xcalloc(r->nconns, sizeof(*c->src));
	c->why = DB_ERR_NONE;
	if (!tc) {
		c->why = DB_ERR_OTHER;
		*err = xasprintf("unknown connection '%s'", r->target_conn);
		return -1;
	}
	c->tgt = conn_open(tc, err, &c->why);
	if (!c->tgt && c->why == DB_ERR_NO_DATABASE && tc->database && *tc->database)
		c->tgt = conn_create(c, tc, err);
	if (!c->tgt)
		return -1;
	/*
	 * builds read their inputs with INSERT ... SELECT: under REPEATABLE READ
	 * that locks what it reads, and two targets following the deletes of
	 * etl_deletes at once would deadlock
	 */
	if (db_read_committed(c->tgt) < 0) {
		*err = xasprintf("connection '%s': %s", r->target_conn, db_error(c->tgt));
		c->why = db_error_class(c->tgt);
		db_close(c->tgt);
		c->tgt = NULL;
		return -1;
	}
	c->cluster = db_cluster(c->tgt) == 1;
	c->store = store_open(c->tgt, r->name);
	return 0;
}

struct db *
conns_get(struct conns *c, const char *name, char **err, enum db_err *why)
{
	size_t i;

	if (why)
		*why = DB_ERR_NONE;
	if (strcmp(name, c->r->target_conn) == 0)
		return c->tgt;
	for (i = 0; i < c->r->nconns; i++) {
		if (strcmp(c->r->conns[i].name, name) != 0)
			continue;
		if (!c->src[i])
			c->src[i] = conn_open(&c->r->conns[i], err, why);
		return c->src[i];
	}
	*err = xasprintf("unknown connection '%s'", name);
	if (why)
		*why = DB_ERR_OTHER;
	return NULL;
}

void
conns_close(struct conns *c)
{
	size_t i;

	if (c->src)
		for (i = 0; i < c->r->nconns; i++)
			db_close(c->src[i]);
	free(c->src);
	c->src = NULL;
	store_close(c->store);
	c->store = NULL;
	db_close(c->tgt);
	c->tgt = NULL;
}
