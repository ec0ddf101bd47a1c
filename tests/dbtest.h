/* dbtest.h: helpers of the MariaDB driver suites: connections, fresh databases, values */
#ifndef CHACC_DBTEST_H
#define CHACC_DBTEST_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "db.h"
#include "testutil.h"
#include "util.h"

static const char *src_socket, *src_port, *tgt_socket, *tgt_port, *user, *password;
static int dbcount;

static inline struct db_params
mkconn(const char *name, const char *sock, const char *port, const char *database)
{
	struct db_params c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.driver = "mariadb";
	c.socket = sock;
	c.port = port ? (unsigned)atoi(port) : 0;
	c.user = user;
	c.password = password;
	c.database = database;
	return c;
}

static inline struct db *
open_db(const char *name, const char *sock, const char *database)
{
	struct db_params c = mkconn(name, sock, NULL, database);
	char *err = NULL;
	struct db *d = db_connect(&c, &err, NULL);

	ck_assert_msg(d != NULL, "connect: %s", err ? err : "?");
	return d;
}

static inline struct db *
src_db(const char *database)
{
	return open_db("source", src_socket, database);
}

static inline struct db *
tgt_db(const char *database)
{
	return open_db("target", tgt_socket, database);
}

static inline void
exec_ok(struct db *d, const char *sql)
{
	ck_assert_msg(db_exec(d, sql) == 0, "%s: %s", sql, db_error(d));
}

/* a fresh database on d, with a name unique to this process and test */
static inline char *
fresh_db(struct db *d, const char *tag)
{
	char *name = xasprintf("chk_%ld_%d_%s", (long)getpid(), ++dbcount, tag);

	ck_assert_int_eq(db_execf(d, "DROP DATABASE IF EXISTS `%s`", name), 0);
	ck_assert_msg(db_execf(d, "CREATE DATABASE `%s` CHARACTER SET utf8mb4", name) == 0, "%s",
	              db_error(d));
	return name;
}

static inline char *
value(struct db *d, const char *sql)
{
	char *v = NULL;

	ck_assert_msg(db_value(d, &v, "%s", sql) >= 0, "%s: %s", sql, db_error(d));
	return v;
}

static inline void
assert_value(struct db *d, const char *sql, const char *want)
{
	char *v = value(d, sql);

	ck_assert_msg(v && strcmp(v, want) == 0, "%s: got '%s', want '%s'", sql, v ? v : "(null)",
	              want);
	free(v);
}

/* the test servers from the environment tests/run sets: 0 to run, -1 to skip (no servers),
 * 1 when they are only partly set */
static inline int
dbtest_setup(const char *suite)
{
	src_socket = getenv("CHACC_TEST_SRC_SOCKET");
	if (!src_socket || !*src_socket) {
		printf("%s: CHACC_TEST_SRC_SOCKET is not set, skipping (run it through tests/run)\n",
		       suite);
		return -1;
	}
	src_port = getenv("CHACC_TEST_SRC_PORT");
	tgt_socket = getenv("CHACC_TEST_TGT_SOCKET");
	tgt_port = getenv("CHACC_TEST_TGT_PORT");
	user = getenv("CHACC_TEST_USER") ? getenv("CHACC_TEST_USER") : "chacc";
	password = getenv("CHACC_TEST_PASSWORD") ? getenv("CHACC_TEST_PASSWORD") : "chacc";
	if (!src_port || !tgt_socket || !tgt_port) {
		fprintf(stderr, "%s: CHACC_TEST_SRC_PORT, CHACC_TEST_TGT_SOCKET and"
		                " CHACC_TEST_TGT_PORT must be set too\n", suite);
		return 1;
	}
	return 0;
}

/*
 * a column of an all-types table of the copy suites: its name, its MariaDB
 * type, what the copy makes of it (the type the suite wants), and how to
 * compare its values (a format of the name; NULL: as CHAR)
 */
struct type_col {
	const char *name, *type, *want, *cmp;
};

/* one MD5 per row and column of the table of cols[n] on d (MariaDB), in id order, as text */
static inline char *
types_fingerprint(struct db *d, const char *table, const struct type_col *cols, size_t n)
{
	struct buf q, out;
	struct dbres *r;

	buf_init(&q);
	buf_adds(&q, "SELECT id");
	for (size_t i = 0; i < n; i++) {
		char *e = xasprintf(cols[i].cmp ? cols[i].cmp : "CAST(%s AS CHAR)", cols[i].name);

		buf_addf(&q, ", IFNULL(MD5(%s), 'null')", e);
		free(e);
	}
	buf_addf(&q, " FROM %s ORDER BY id", table);
	exec_ok(d, "SET SESSION time_zone = '+00:00'");
	r = db_query(d, q.s);
	ck_assert_msg(r != NULL, "%s", db_error(d));
	buf_release(&q);
	buf_init(&out);
	while (dbres_next(r))
		for (size_t i = 0; i <= n; i++)
			buf_addf(&out, "row %s %s: %s\n", dbres_get(r, 0), i ? cols[i - 1].name : "id",
			         dbres_get(r, i));
	dbres_free(r);
	return buf_detach(&out);
}

/* two fingerprints are the same; else fail naming the first line that differs, got's on side */
static inline void
assert_same_rows(const char *want, const char *got, const char *side)
{
	const char *w = want, *g = got;

	while (*w && *w == *g)
		w++, g++;
	if (*w || *g) {
		while (w > want && w[-1] != '\n')
			w--;
		while (g > got && g[-1] != '\n')
			g--;
		ck_abort_msg("tables differ: source '%.*s', %s '%.*s'", (int)strcspn(w, "\n"), w,
		             side, (int)strcspn(g, "\n"), g);
	}
}

#endif
