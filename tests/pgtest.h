/* pgtest.h: the private PostgreSQL server of the integration suites (tests/run starts it) */
#ifndef CHACC_PGTEST_H
#define CHACC_PGTEST_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

/* connect as the test user to database (NULL: chacc) and schema (NULL: public) */
static inline struct db *
pg_connect_to(struct db_params *c, const char *database, const char *schema)
{
	struct db *d;
	char *err = NULL;

	memset(c, 0, sizeof(*c));
	c->name = "pgtest";
	c->driver = "postgres";
	c->socket = getenv("CHACC_TEST_PG_SOCKET");
	c->user = getenv("CHACC_TEST_USER");
	c->password = getenv("CHACC_TEST_PASSWORD");
	c->database = database ? database : "chacc";
	c->schema = schema;
	d = db_connect(c, &err, NULL);
	ck_assert_msg(d != NULL, "connect to PostgreSQL: %s", err ? err : "?");
	return d;
}

/* a new empty database name on the test server (dropped first if it is there) */
static inline void
pg_fresh_database(const char *name)
{
	struct db_params c;
	struct db *d = pg_connect_to(&c, NULL, NULL);
	char *id = db_ident(d, name);

	ck_assert_msg(db_execf(d, "DROP DATABASE IF EXISTS %s WITH (FORCE)", id) == 0, "%s",
	              db_error(d));
	ck_assert_msg(db_execf(d, "CREATE DATABASE %s", id) == 0, "%s", db_error(d));
	free(id);
	db_close(d);
}

#endif
