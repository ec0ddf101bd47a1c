/*
 * check_storeapi_pg.c: the store's contract (storeapi_cases.h) against
 * PostgreSQL, in a schema of the connection other than public; then what is
 * PostgreSQL's own: the tables live in the connection's schema, their times
 * read as db_now's in any time zone, a foreign table is refused, and one
 * runner creates the tables while another waits for it
 */
#include <stdatomic.h>

#include "pgtest.h"
#include "storeapi_cases.h"
#include "store_sql.h"

/* every test's schemas are in this database, made afresh by main */
#define PG_DB "storeapi_pg"
#define PG_SCHEMA "contract"

static struct db *admin;
static struct db_params admin_conn;

/* a fresh schema of PG_DB, through admin */
static void
fresh_schema(const char *schema)
{
	ck_assert_msg(db_execf(admin, "DROP SCHEMA IF EXISTS %s CASCADE", schema) == 0, "%s",
	              db_error(admin));
	ck_assert_msg(db_execf(admin, "CREATE SCHEMA %s", schema) == 0, "%s", db_error(admin));
}

static void
pg_setup(void)
{
	admin = pg_connect_to(&admin_conn, PG_DB, NULL);
	fresh_schema(PG_SCHEMA);
	ck_assert_int_eq(db_use(admin, PG_SCHEMA), 0);
}

static struct store *
pg_open_in(const char *schema, const char *recipe)
{
	size_t i = conns_slot();

	return conns_store(i, pg_connect_to(&conns[i].c, PG_DB, schema), recipe);
}

static struct store *
pg_open(const char *recipe)
{
	return pg_open_in(PG_SCHEMA, recipe);
}

static void
pg_make_table(const char *name)
{
	ck_assert_msg(db_execf(admin, "CREATE TABLE %s (x integer)", name) == 0, "%s",
	              db_error(admin));
}

static void
pg_add_delete(const char *target)
{
	ck_assert_msg(db_execf(admin, "INSERT INTO etl_deletes (target, key_json, deleted_at)"
	                       " VALUES ('%s', '{}', clock_timestamp())", target) == 0, "%s",
	              db_error(admin));
}

static void
pg_exec(const char *stmt)
{
	ck_assert_msg(db_exec(admin, stmt) == 0, "%s: %s", stmt, db_error(admin));
}

static void
pg_teardown(void)
{
	conns_close_all();
	db_close(admin);
}

static const struct backend backends[] = {
	{ "postgres", pg_setup, pg_open, conns_close, pg_make_table, pg_add_delete, pg_teardown,
	  pg_exec, NULL },
};

/* the connection of a store of this suite */
static struct db *
db_of(struct store *st)
{
	for (size_t i = 0; i < LEN(conns); i++)
		if (conns[i].st == st)
			return conns[i].d;
	ck_abort_msg("not a store of this suite");
	return NULL;
}

/* the etl_ tables of schema, comma-separated, sorted */
static char *
etl_tables_of(const char *schema)
{
	char *v = NULL;

	ck_assert_int_ge(db_value(admin, &v, "SELECT string_agg(tablename, ',' ORDER BY tablename)"
	                          " FROM pg_catalog.pg_tables WHERE schemaname = '%s'"
	                          " AND tablename LIKE 'etl\\_%%'", schema), 0);
	return v ? v : xstrdup("");
}

START_TEST(test_tables_in_the_connections_schema)
{
	struct store *st, *elsewhere;
	struct marker m = { 0 };
	char *err = NULL, *note = NULL, *tables;

	be = &backends[0];
	be->setup();
	fresh_schema("elsewhere");
	st = open_store("clinic");
	ck_assert_msg(store_schema_upgrade(st, &err, &note) == 1, "%s", err);
	tables = etl_tables_of(PG_SCHEMA);
	ck_assert_str_eq(tables, "etl_checks,etl_deletes,etl_metadata,etl_profiles,etl_run_targets,"
	                 "etl_runs,etl_schema,etl_sites,etl_watermarks");
	free(tables);
	tables = etl_tables_of("public");
	ck_assert_str_eq(tables, "");
	free(tables);
	ck_assert_int_eq(store_marker_begin(st, "people", 1), 0);

	/* another schema of the same database: its own (none yet), and its own lock names */
	elsewhere = pg_open_in("elsewhere", "clinic");
	ck_assert_int_eq(store_schema_version(elsewhere, &err), 0);
	ck_assert_int_eq(store_marker_load(elsewhere, "people", &m), 0);
	ck_assert(!m.present);
	ck_assert_int_eq(store_lock_build(st, "people", 0), 1);
	ck_assert_int_eq(store_lock_build(elsewhere, "people", 0), 1);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert(m.present);
	marker_release(&m);
	fresh_schema("elsewhere");
	end();
}
END_TEST

/* the marker's times read as db_now's clock, whatever the session's time zone */
START_TEST(test_times_read_as_the_servers_clock)
{
	struct store *st = begin(0, "clinic");
	struct db *d = db_of(st);
	struct marker m = { 0 };
	char *before = NULL, *after = NULL, *v = NULL;

	ck_assert_int_eq(db_exec(d, "SET TIME ZONE 'Pacific/Chatham'"), 0);     /* +12:45 or +13:45 */
	ck_assert_int_eq(db_now(d, &before), 0);
	ck_assert_int_eq(store_marker_finish(st, "people", 1, "h", before, true, 1, 1, 0.1, NULL,
	                                     false), 0);
	ck_assert_int_eq(db_now(d, &after), 0);
	ck_assert_int_eq(store_marker_load(st, "people", &m), 0);
	ck_assert_int_eq(strlen(m.built_at), TS_LEN - 1);
	ck_assert_msg(strcmp(before, m.built_at) <= 0 && strcmp(m.built_at, after) <= 0,
	              "built at %s, not between %s and %s", m.built_at, before, after);
	ck_assert_str_eq(m.inputs_at, before);
	/* a change stamp (timestamptz) taken after the build compares as later */
	ck_assert_int_eq(db_value(d, &v, "SELECT CAST('%s' AS timestamptz) <= clock_timestamp()",
	                          m.changed_at), 1);
	ck_assert_str_eq(v, "t");
	free(v);
	free(before);
	free(after);
	marker_release(&m);
	end();
}
END_TEST

START_TEST(test_foreign_table_is_refused)
{
	struct store *st;
	char *err = NULL, *note = NULL, *v = NULL;

	be = &backends[0];
	be->setup();
	st = open_store("clinic");
	/* a table of chacc's name that chacc never made: refused, and left as it is */
	ck_assert_int_eq(db_exec(admin, "CREATE TABLE etl_runs (id integer, what text)"), 0);
	ck_assert_int_eq(db_exec(admin, "INSERT INTO etl_runs VALUES (1, 'luigi')"), 0);
	ck_assert_int_eq(store_schema_version(st, &err), -1);
	ck_assert_msg(strstr(err, "table 'etl_runs' in schema '" PG_SCHEMA "' exists with another"
	                          " shape"), "%s", err);
	free(err);
	err = NULL;
	ck_assert_int_eq(store_schema_upgrade(st, &err, &note), -1);
	ck_assert_msg(strstr(err, "etl_runs"), "%s", err);
	free(err);
	ck_assert_int_eq(db_value(admin, &v, "SELECT what FROM etl_runs"), 1);
	ck_assert_str_eq(v, "luigi");
	free(v);
	v = etl_tables_of(PG_SCHEMA);
	ck_assert_str_eq(v, "etl_runs");        /* nothing created beside it */
	free(v);
	end();
}
END_TEST

/* a runner's upgrade, in a thread */
struct upgrader {
	struct store *st;
	int rc;
	double took;
	atomic_int done;
};

static void *
upgrade(void *arg)
{
	struct upgrader *u = arg;
	char *err = NULL, *note = NULL;
	double t0 = wall_seconds();

	u->rc = store_schema_upgrade(u->st, &err, &note);
	u->took = wall_seconds() - t0;
	atomic_store(&u->done, 1);
	free(err);
	free(note);
	return NULL;
}

START_TEST(test_upgrade_waits_for_another_runners)
{
	struct store *first;
	struct upgrader u = { 0 };
	pthread_t th;
	char *lock, *tables, *err = NULL;

	be = &backends[0];
	be->setup();
	first = open_store("clinic");
	/* the first runner is upgrading: it holds the lock */
	lock = store_sql_schema_lock(db_of(first));
	ck_assert_int_eq(db_lock(db_of(first), lock, 0), 1);
	u.st = open_store("clinic");
	ck_assert_int_eq(pthread_create(&th, NULL, upgrade, &u), 0);
	usleep(400000);
	ck_assert_msg(!atomic_load(&u.done), "the upgrade did not wait for the lock (rc %d)", u.rc);
	tables = etl_tables_of(PG_SCHEMA);
	ck_assert_str_eq(tables, "");
	free(tables);
	/* the first is done: the second goes on, and creates the tables */
	ck_assert_int_eq(db_unlock(db_of(first), lock), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(u.rc, 1);
	ck_assert_msg(u.took > 0.35, "waited %.3fs", u.took);
	ck_assert_int_eq(store_schema_version(first, &err), SCHEMA_VERSION);
	free(lock);
	end();
}
END_TEST

/* PG_DB, made afresh (outside a test: no ck_assert); 0 or -1 */
static int
fresh_database(void)
{
	struct db_params c = {
		.name = "pgtest", .driver = "postgres", .socket = getenv("CHACC_TEST_PG_SOCKET"),
		.user = getenv("CHACC_TEST_USER"), .password = getenv("CHACC_TEST_PASSWORD"),
		.database = "chacc",
	};
	char *err = NULL;
	struct db *d = db_connect(&c, &err, NULL);

	if (!d || db_exec(d, "DROP DATABASE IF EXISTS " PG_DB " WITH (FORCE)") < 0 ||
	    db_exec(d, "CREATE DATABASE " PG_DB) < 0) {
		fprintf(stderr, "storeapi_pg: cannot make database %s: %s\n", PG_DB,
		        d ? db_error(d) : err);
		free(err);
		db_close(d);
		return -1;
	}
	db_close(d);
	return 0;
}

int
main(void)
{
	Suite *s = suite_create("storeapi_pg");
	TCase *tc = tcase_create("contract"), *own = tcase_create("postgres");

	if (!getenv("CHACC_TEST_PG_SOCKET")) {
		printf("storeapi_pg: skipping: no PostgreSQL test server (run it through 'make check')\n");
		return 0;
	}
	if (fresh_database() < 0)
		return 1;
	contract_backends = backends;
	tcase_set_timeout(tc, 120);
	storeapi_add_cases(tc, 1);
	suite_add_tcase(s, tc);
	tcase_set_timeout(own, 120);
	tcase_add_test(own, test_tables_in_the_connections_schema);
	tcase_add_test(own, test_times_read_as_the_servers_clock);
	tcase_add_test(own, test_foreign_table_is_refused);
	tcase_add_test(own, test_upgrade_waits_for_another_runners);
	suite_add_tcase(s, own);
	return run_suite(s);
}
