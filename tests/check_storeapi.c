/*
 * check_storeapi.c: one contract for every store (store.h): the cases of
 * storeapi_cases.h against the fake in memory (tests/fake_store.c) and, when
 * the test servers run (make check), against MariaDB (PostgreSQL:
 * check_storeapi_pg.c)
 */
#include "fake_store.h"
#include "itest.h"
#include "storeapi_cases.h"

/* the fake */

static struct fake_server *srv;

static void
fake_setup(void)
{
	srv = fake_server_new();
}

static struct store *
fake_open(const char *recipe)
{
	return fake_store_open(srv, recipe);
}

static void
fake_make_table(const char *name)
{
	fake_server_set_table(srv, name, true);
}

static void
fake_add_delete(const char *target)
{
	fake_server_add_delete(srv, target);
}

static void
fake_set_clock(double now)
{
	fake_server_set_clock(srv, now);
}

static void
fake_teardown(void)
{
	fake_server_free(srv);
	srv = NULL;
}

/* MariaDB: a database of this test process on the target test server */

static char dbname[64];
static struct db *admin;
static struct db_params admin_conn;

static void
maria_setup(void)
{
	snprintf(dbname, sizeof(dbname), "storeapi_%d", (int)getpid());
	admin = connect_to(&admin_conn, getenv("CHACC_TEST_TGT_SOCKET"), NULL);
	sql(admin, "DROP DATABASE IF EXISTS %s", dbname);
	sql(admin, "CREATE DATABASE %s", dbname);
	sql(admin, "USE %s", dbname);
}

static struct store *
maria_open(const char *recipe)
{
	size_t i = conns_slot();

	return conns_store(i, connect_to(&conns[i].c, getenv("CHACC_TEST_TGT_SOCKET"), dbname),
	                   recipe);
}

static void
maria_make_table(const char *name)
{
	sql(admin, "CREATE TABLE %s (x INT)", name);
}

static void
maria_add_delete(const char *target)
{
	sql(admin, "INSERT INTO etl_deletes (target, key_json, deleted_at) VALUES ('%s', '{}', NOW(6))",
	    target);
}

static void
maria_exec(const char *stmt)
{
	sql(admin, "%s", stmt);
}

static void
maria_teardown(void)
{
	conns_close_all();
	sql(admin, "DROP DATABASE %s", dbname);
	db_close(admin);
}

static const struct backend backends[] = {
	{ "fake", fake_setup, fake_open, store_close, fake_make_table, fake_add_delete,
	  fake_teardown, NULL, fake_set_clock },
	{ "mariadb", maria_setup, maria_open, conns_close, maria_make_table, maria_add_delete,
	  maria_teardown, maria_exec, NULL },
};

int
main(void)
{
	Suite *s = suite_create("storeapi");
	TCase *tc = tcase_create("contract");
	/* MariaDB when the test servers run (tests/run), the fake always */
	int n = getenv("CHACC_TEST_TGT_SOCKET") ? 2 : 1;

	if (n == 1)
		printf("storeapi: the fake only: no test servers (run it through 'make check')\n");
	tcase_set_timeout(tc, 120);
	contract_backends = backends;
	storeapi_add_cases(tc, n);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
