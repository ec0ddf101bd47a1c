/*
 * check_pg.c: the PostgreSQL engine's table operations on a real server:
 * swaps (atomic, keeping grants, refused under views), shapes, upserts and
 * stamps, logged deletes, privileges, database creation, prepared checks,
 * file types, and the server version check
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_postgres.h"
#include "pgtest.h"
#include "tabletest.h"
#include "testutil.h"
#include "util.h"

static void
exec_ok(struct db *d, const char *sql)
{
	ck_assert_msg(db_exec(d, sql) == 0, "%s: %s", sql, db_error(d));
}

static void
assert_value(struct db *d, const char *sql, const char *want)
{
	char *v = NULL;

	ck_assert_msg(db_value(d, &v, "%s", sql) >= 0, "%s: %s", sql, db_error(d));
	ck_assert_msg(v && strcmp(v, want) == 0, "%s: got '%s', want '%s'", sql, v ? v : "(null)",
	              want);
	free(v);
}

/* a fresh database with schema mart holding t (id, v) and rows; d works in mart */
static struct db *
fresh(struct db_params *c, const char *database, const char *rows)
{
	struct db *d;

	pg_fresh_database(database);
	d = pg_connect_to(c, database, NULL);
	exec_ok(d, "CREATE SCHEMA mart");
	ck_assert_int_eq(db_use(d, "mart"), 0);
	exec_ok(d, "CREATE TABLE t (id int PRIMARY KEY, v varchar(20))");
	if (rows) {
		char *sql = xasprintf("INSERT INTO t VALUES %s", rows);

		exec_ok(d, sql);
		free(sql);
	}
	return d;
}

/* run sql on database chacc (as the test role, a superuser) */
static void
admin(const char *sql)
{
	struct db_params c;
	struct db *d = pg_connect_to(&c, NULL, NULL);

	exec_ok(d, sql);
	db_close(d);
}

START_TEST(test_version_check)
{
	char *err = NULL;

	ck_assert_int_eq(pdb_version_check(150018, "tgt", &err), 0);
	ck_assert_int_eq(pdb_version_check(120000, "tgt", &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(pdb_version_check(110005, "tgt", &err), -1);
	ck_assert_msg(strstr(err, "connection 'tgt'") && strstr(err, "PostgreSQL 11.5;") &&
	              strstr(err, "needs PostgreSQL 12 or newer"), "%s", err);
	free(err);
	ck_assert_int_eq(pdb_version_check(90624, "tgt", &err), -1);
	ck_assert_msg(strstr(err, "PostgreSQL 9.6.24;"), "%s", err);
	free(err);
}
END_TEST

/* connecting: what went wrong on one line, the socket named, never the password */
START_TEST(test_connect_errors)
{
	struct db_params c = { .name = "wh", .driver = "postgres", .user = "chacc",
	                       .password = "not-the-password", .database = "chacc" };
	enum db_err why;
	char *err = NULL;

	/* a MariaDB server's socket is no PostgreSQL socket */
	c.socket = getenv("CHACC_TEST_TGT_SOCKET");
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_msg(strstr(err, "connection 'wh'") && strstr(err, "not a PostgreSQL socket") &&
	              !strchr(err, '\n'), "%s", err);
	free(err);
	/* a wrong password: refused, said on one line, and the password is not in it */
	c.socket = getenv("CHACC_TEST_PG_SOCKET");
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_ACCESS);
	ck_assert_msg(strstr(err, "password authentication failed") && !strchr(err, '\n') &&
	              !strstr(err, "not-the-password"), "%s", err);
	free(err);
}
END_TEST

/* hosts: libpq tries the nodes in turn; none answering names them all */
START_TEST(test_hosts)
{
	char *good = xasprintf("127.0.0.1:%s", getenv("CHACC_TEST_PG_PORT"));
	char *list[] = { (char *)"127.0.0.1:9", good };
	char *dead[] = { (char *)"127.0.0.1:9", (char *)"127.0.0.1:1" };
	struct db_params c = { .name = "wh", .driver = "postgres", .user = getenv("CHACC_TEST_USER"),
	                       .password = getenv("CHACC_TEST_PASSWORD"), .database = "chacc",
	                       .hosts = list, .nhosts = 2,
	                       /* hosts win over a socket */
	                       .socket = "/nonexistent/.s.PGSQL.1" };
	enum db_err why;
	char *err = NULL;
	struct db *d = db_connect(&c, &err, &why);

	ck_assert_msg(d != NULL, "%s", err ? err : "?");
	assert_value(d, "SELECT 'on the second node'", "on the second node");
	db_close(d);
	c.hosts = dead;
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_msg(strstr(err, "any of 2 nodes (127.0.0.1:9, 127.0.0.1:1)") && !strchr(err, '\n'),
	              "%s", err);
	free(err);
	free(good);
}
END_TEST

START_TEST(test_table_ops)
{
	struct db_params c, rc;
	struct db *d = fresh(&c, "chkpg_ops", "(1, 'one'), (2, 'two')");
	struct db_names have = { 0 };
	struct db *r;
	char *v, *a, *b, *ca, *cb;

	ck_assert(db_table_exists(d, "t"));
	ck_assert(!db_table_exists(d, "nope"));
	ck_assert(!db_table_exists(d, "pg_class"));
	v = db_primary_key(d, "t");
	ck_assert_str_eq(v, "id");
	free(v);
	/* the stamp: added once, for every row, not listed among the data columns */
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	assert_value(d, "SELECT count(*) FROM t WHERE " DB_STAMP " IS NOT NULL", "2");
	assert_value(d, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE"
	                " attrelid = 't'::regclass AND attname = '" DB_STAMP "'",
	                "timestamp with time zone");
	ck_assert_int_eq(db_table_columns(d, "t", &have), 0);
	ck_assert_uint_eq(have.n, 2);
	ck_assert_str_eq(have.v[0], "id");
	ck_assert_str_eq(have.v[1], "v");
	ck_assert_int_eq(db_count_rows(d, "nope"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);

	/* digests ignore row order and see values; checksums see content, not stamps */
	ck_assert_int_eq(db_create_like(d, "u", "t", false), 0);
	v = db_primary_key(d, "u");
	ck_assert_str_eq(v, "id");
	free(v);
	exec_ok(d, "INSERT INTO u (id, v, " DB_STAMP ") VALUES (2, 'two', '2001-01-01'), (1, 'one', now())");
	ck_assert_int_eq(db_digest(d, "t", &have, &a), 0);
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(db_checksum(d, "t", &ca), 0);
	ck_assert_int_eq(db_checksum(d, "u", &cb), 0);
	ck_assert_str_eq(ca, cb);
	free(b);
	free(cb);
	exec_ok(d, "UPDATE u SET v = 'One' WHERE id = 1");
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(db_checksum(d, "u", &cb), 0);
	ck_assert_str_ne(ca, cb);
	free(a);
	free(b);
	free(ca);
	free(cb);
	ck_assert_int_eq(db_checksum(d, "nope", &a), 0);
	ck_assert_str_eq(a, "");
	free(a);

	/* swaps are atomic: a reader never finds the table missing, and no old table stays */
	r = pg_connect_to(&rc, "chkpg_ops", "mart");
	assert_swaps_atomic(d, r);
	assert_value(d, "SELECT count(*) || ':' || max(id) FROM t", "1:29");
	/* a swap also puts a shadow in place of a table that does not exist */
	ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
	ck_assert_int_eq(db_swap(d, "fresh", "shadow", "old_fresh"), 0);
	ck_assert(db_table_exists(d, "fresh") && !db_table_exists(d, "shadow"));

	/* temporary tables come and go, and hide no table of the schema */
	ck_assert_int_eq(db_create_like(d, "stage", "t", true), 0);
	ck_assert(db_table_exists(d, "stage"));
	ck_assert_int_eq(db_count_rows(d, "stage"), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_count_rows(d, "stage"), -1);
	ck_assert_int_eq(db_drop_table(d, "t", true), 0);
	ck_assert(db_table_exists(d, "t"));
	ck_assert_int_eq(db_create_like(d, "t", "t", true), 0);
	ck_assert_int_eq(db_drop_table(d, "t", false), 0);
	ck_assert_int_eq(db_drop_table(d, "t", true), 0);
	ck_assert(!db_table_exists(d, "t"));

	db_names_release(&have);
	db_close(r);
	db_close(d);
}
END_TEST

/* a swap keeps the table's grants, and refuses while views read it */
START_TEST(test_swap_grants_views)
{
	struct db_params c;
	struct db *d;

	/* what a failed run left: the database holds the roles' grants */
	admin("DROP DATABASE IF EXISTS chkpg_grants WITH (FORCE)");
	admin("DROP ROLE IF EXISTS chkpg_bi");
	admin("DROP ROLE IF EXISTS chkpg_col");
	d = fresh(&c, "chkpg_grants", "(1, 'one')");
	exec_ok(d, "CREATE ROLE chkpg_bi NOLOGIN");
	exec_ok(d, "CREATE ROLE chkpg_col NOLOGIN");
	exec_ok(d, "GRANT USAGE ON SCHEMA mart TO chkpg_bi, chkpg_col");
	exec_ok(d, "GRANT SELECT ON t TO chkpg_bi WITH GRANT OPTION");
	exec_ok(d, "GRANT SELECT (v) ON t TO chkpg_col");

	ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
	exec_ok(d, "INSERT INTO shadow VALUES (1, 'one'), (2, 'two')");
	ck_assert_msg(db_swap(d, "t", "shadow", "old_t") == 0, "%s", db_error(d));
	exec_ok(d, "SET ROLE chkpg_bi");
	assert_value(d, "SELECT count(*) FROM t", "2");
	exec_ok(d, "RESET ROLE");
	assert_value(d, "SELECT has_table_privilege('chkpg_bi', 't', 'SELECT WITH GRANT OPTION')"
	                " || ' ' || has_table_privilege('chkpg_bi', 't', 'INSERT')"
	                " || ' ' || has_column_privilege('chkpg_col', 't', 'v', 'SELECT')"
	                " || ' ' || has_column_privilege('chkpg_col', 't', 'id', 'SELECT')",
	                "true false true false");

	/* a view on the table: the swap is refused, naming it; the table stays */
	exec_ok(d, "CREATE VIEW tv AS SELECT id FROM t");
	exec_ok(d, "CREATE MATERIALIZED VIEW tm AS SELECT v FROM t");
	ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
	ck_assert_int_eq(db_swap(d, "t", "shadow", "old_t"), -1);
	ck_assert_msg(strstr(db_error(d), "table 't' cannot be replaced") &&
	              strstr(db_error(d), "views mart.tm, mart.tv"), "%s", db_error(d));
	assert_value(d, "SELECT count(*) FROM tv", "2");
	ck_assert(db_table_exists(d, "shadow") && !db_table_exists(d, "old_t"));

	db_close(d);
	admin("DROP DATABASE chkpg_grants WITH (FORCE)");
	admin("DROP ROLE chkpg_bi");
	admin("DROP ROLE chkpg_col");
}
END_TEST

START_TEST(test_shapes)
{
	struct db_params c;
	struct db *d = fresh(&c, "chkpg_shapes", "(1, 'one')");
	struct db_names key = { 0 }, ix[3];
	char *k0[] = { "n" }, *k1[] = { "v" }, *k2[] = { "v", "n" }, *k3[] = { "lit" }, *v;

	ck_assert_int_eq(db_create_from_query(d, "q", "SELECT id AS n, v, 'x' AS lit FROM t"), 0);
	ck_assert_int_eq(db_count_rows(d, "q"), 0);
	assert_value(d, "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum)"
	                " FROM pg_attribute WHERE attrelid = 'q'::regclass AND attnum > 0",
	                "integer,character varying(20),text");
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "");
	free(v);
	key = (struct db_names){ k0, 1 };
	ck_assert_int_eq(db_add_primary_key(d, "q", &key), 0);
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "n");
	free(v);
	ix[0] = (struct db_names){ k1, 1 };
	ix[1] = (struct db_names){ k2, 2 };
	ck_assert_msg(db_add_indexes(d, "q", ix, 2) == 0, "%s", db_error(d));
	assert_value(d, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'mart' AND tablename = 'q'",
	             "3");
	/* those there already are not added again; the primary key counts */
	ix[2] = (struct db_names){ k0, 1 };
	ck_assert_int_eq(db_add_missing_indexes(d, "q", ix, 3), 0);
	assert_value(d, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'mart' AND tablename = 'q'",
	             "3");
	ix[0] = (struct db_names){ k3, 1 };
	ck_assert_int_eq(db_add_missing_indexes(d, "q", ix, 1), 0);
	assert_value(d, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'mart' AND tablename = 'q'",
	             "4");
	/* a shadow like it has its keys and indexes */
	ck_assert_int_eq(db_create_like(d, "q2", "q", false), 0);
	assert_value(d, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'mart' AND tablename = 'q2'",
	             "4");
	db_close(d);
}
END_TEST

START_TEST(test_upsert_and_stamps)
{
	struct db_params c;
	struct db *d = fresh(&c, "chkpg_ups", "(1, 'one'), (2, 'two'), (4, 'four'), (6, 'a')");
	const char *rows = "SELECT 1 AS id, 'one' AS v UNION ALL SELECT 2, 'deux'"
	                   " UNION ALL SELECT 5, 'five' UNION ALL SELECT 6, 'A'";
	const char *stamps = "SELECT string_agg(id || v || CASE WHEN " DB_STAMP " > '2000-01-01'"
	                     " THEN 1 ELSE 0 END, ',' ORDER BY id) FROM t";
	struct db_names tc = { 0 }, key = { 0 };
	struct db_upsert u = { -1, -1 };
	long long kept = -1;

	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	exec_ok(d, "UPDATE t SET " DB_STAMP " = '2000-01-01'");
	ck_assert_int_eq(db_table_columns(d, "t", &tc), 0);
	/* one new row, two changed ('a' to 'A' is a change), one the same */
	ck_assert_msg(db_upsert(d, "t", &tc, rows, &u) == 0, "%s", db_error(d));
	ck_assert_int_eq(u.inserted, 1);
	ck_assert_int_eq(u.changed, 3);
	assert_value(d, stamps, "1one0,2deux1,4four0,5five1,6A1");
	/* the same rows again change nothing, and no stamp */
	exec_ok(d, "UPDATE t SET " DB_STAMP " = '2000-01-01'");
	ck_assert_int_eq(db_upsert(d, "t", &tc, rows, &u), 0);
	ck_assert_int_eq(u.inserted, 0);
	ck_assert_int_eq(u.changed, 0);
	assert_value(d, stamps, "1one0,2deux0,4four0,5five0,6A0");

	/* unchanged rows of a shadow keep the live table's stamps */
	ck_assert_int_eq(db_create_like(d, "n", "t", false), 0);
	exec_ok(d, "INSERT INTO n (id, v) VALUES (1, 'one'), (2, 'zwei'), (7, 'seven')");
	key = (struct db_names){ tc.v, 1 };
	ck_assert_int_eq(db_keep_stamps(d, "n", "t", &key, &tc, &kept), 0);
	ck_assert_int_eq(kept, 1);
	assert_value(d, "SELECT string_agg(id || CASE WHEN " DB_STAMP " > '2000-01-01' THEN '1'"
	                " ELSE '0' END, ',' ORDER BY id) FROM n", "10,21,71");

	db_names_release(&tc);
	db_close(d);
}
END_TEST

START_TEST(test_deletes_logged)
{
	struct db_params c;
	struct db *d = fresh(&c, "chkpg_del", "(1, 'one'), (2, 'two'), (3, 'three')");
	struct db_names tc = { 0 }, key = { 0 };
	struct db_delete del = { .log = "dlog", .table = "t", .key = &key, .cols = &tc, .run_id = 7 };
	long long removed = -1;

	exec_ok(d, "CREATE TABLE dlog (id bigserial PRIMARY KEY, target varchar(64), key_json text,"
	           " row_json jsonb, run_id bigint, deleted_at timestamp(6))");
	ck_assert_int_eq(db_table_columns(d, "t", &tc), 0);
	key = (struct db_names){ tc.v, 1 };
	/* what the need "up" deleted after the since literal goes here too */
	exec_ok(d, "INSERT INTO dlog (target, key_json, run_id, deleted_at) VALUES"
	           " ('up', '{\"id\": 1}', 1, '2024-01-02'), ('up', '{\"id\": 2}', 1, '2023-12-31'),"
	           " ('up', '{\"other\": 3}', 1, '2024-01-02'), ('other', '{\"id\": 3}', 1, '2024-01-02')");
	ck_assert_msg(db_follow_deletes(d, &del, "up", "'2024-01-01'", &removed) == 0, "%s",
	              db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t", "2,3");
	assert_value(d, "SELECT run_id || ' ' || (key_json::json ->> 'id') || ' ' || (row_json ->> 'v')"
	                " FROM dlog WHERE target = 't'", "7 1 one");

	/* rows a stage flags as deleted go, from the table and from the stage */
	exec_ok(d, "CREATE TABLE stage (id int PRIMARY KEY, v varchar(20), gone int)");
	exec_ok(d, "INSERT INTO stage VALUES (2, 'two', 1), (3, 'drei', 0), (9, 'nine', NULL)");
	ck_assert_msg(db_delete_flagged(d, &del, "stage", "gone", &removed) == 0, "%s", db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT string_agg(id::text, ',' ORDER BY id) FROM t", "3");
	assert_value(d, "SELECT string_agg(id::text, ',' ORDER BY id) FROM stage", "3,9");
	assert_value(d, "SELECT count(*) FROM dlog WHERE target = 't'", "2");
	/* a boolean flag too */
	exec_ok(d, "CREATE TABLE bstage (id int, v varchar(20), gone boolean)");
	exec_ok(d, "INSERT INTO bstage VALUES (3, 'three', true), (4, 'x', NULL)");
	ck_assert_msg(db_delete_flagged(d, &del, "bstage", "gone", &removed) == 0, "%s", db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT count(*) FROM t", "0");
	assert_value(d, "SELECT string_agg(id::text, ',') FROM bstage", "4");

	db_names_release(&tc);
	db_close(d);
}
END_TEST

/* a table of more columns than a function takes arguments (100) */
START_TEST(test_wide_table)
{
	struct db_params c;
	struct db *d = fresh(&c, "chkpg_wide", NULL);
	struct db_names wc = { 0 }, key = { 0 };
	struct db_delete del = { .log = "dlog", .table = "w", .key = &key, .cols = &wc, .run_id = 1 };
	struct buf b;
	char *a, *z;
	long long removed = -1;

	buf_init(&b);
	buf_adds(&b, "CREATE TABLE w (id int PRIMARY KEY");
	for (int i = 1; i < 120; i++)
		buf_addf(&b, ", c%d int DEFAULT %d", i, i);
	buf_adds(&b, ", gone int)");
	exec_ok(d, b.s);
	buf_release(&b);
	exec_ok(d, "INSERT INTO w (id) VALUES (1), (2)");
	exec_ok(d, "CREATE TABLE dlog (target text, key_json jsonb, row_json json, run_id bigint,"
	           " deleted_at timestamptz)");
	ck_assert_int_eq(db_table_columns(d, "w", &wc), 0);
	ck_assert_uint_eq(wc.n, 121);
	key = (struct db_names){ wc.v, 1 };
	ck_assert_msg(db_digest(d, "w", &wc, &a) == 0, "%s", db_error(d));
	exec_ok(d, "UPDATE w SET c119 = 0 WHERE id = 2");
	ck_assert_int_eq(db_digest(d, "w", &wc, &z), 0);
	ck_assert_str_ne(a, z);
	exec_ok(d, "CREATE TEMPORARY TABLE ws (LIKE w)");
	exec_ok(d, "INSERT INTO ws (id, gone) VALUES (2, 1)");
	ck_assert_msg(db_delete_flagged(d, &del, "ws", "gone", &removed) == 0, "%s", db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT (key_json ->> 'id') || ' ' || (row_json ->> 'c119') || ' '"
	                " || (row_json::text LIKE '{ \"id\" : 2, \"c1\" : 1,%') FROM dlog", "2 0 true");
	free(a);
	free(z);
	db_names_release(&wc);
	db_close(d);
}
END_TEST

/* a role that may not create in the schema, or create databases: named, and what it lacks */
START_TEST(test_privileges)
{
	struct db_params c, w;
	struct db *d, *weak;
	char *err = NULL;

	admin("DROP DATABASE IF EXISTS chkpg_never");
	admin("DROP DATABASE IF EXISTS chkpg_privs WITH (FORCE)");
	admin("DROP ROLE IF EXISTS chkpg_weak");
	d = fresh(&c, "chkpg_privs", NULL);
	ck_assert_msg(db_check_privileges(d, true, &err) == 0, "%s", err);
	exec_ok(d, "CREATE ROLE chkpg_weak LOGIN PASSWORD 'weak-secret'");
	exec_ok(d, "GRANT USAGE ON SCHEMA mart TO chkpg_weak");
	exec_ok(d, "REVOKE TEMPORARY ON DATABASE chkpg_privs FROM PUBLIC");

	weak = pg_connect_to(&w, "chkpg_privs", "mart");
	db_close(weak);
	w.user = "chkpg_weak";
	w.password = "weak-secret";
	weak = db_connect(&w, &err, NULL);
	ck_assert_msg(weak != NULL, "%s", err);
	ck_assert_int_eq(db_check_privileges(weak, false, &err), -1);
	ck_assert_msg(strstr(err, "role 'chkpg_weak' lacks") &&
	              strstr(err, "TEMPORARY on database 'chkpg_privs'") &&
	              strstr(err, "CREATE on schema 'mart'") && !strstr(err, "USAGE"), "%s", err);
	free(err);
	err = NULL;
	db_close(weak);

	/* creating a database it may not: the attribute it needs, never the password */
	w.database = "chkpg_never";
	ck_assert_int_eq(db_create_database(&w, &err), -1);
	ck_assert_msg(strstr(err, "database 'chkpg_never' does not exist") &&
	              strstr(err, "role 'chkpg_weak' may not create it") && strstr(err, "CREATEDB") &&
	              !strstr(err, "weak-secret"), "%s", err);
	free(err);
	err = NULL;
	/* nor a schema in a database it may not create in */
	w.database = "chkpg_privs";
	w.schema = "nope";
	ck_assert_int_eq(db_create_database(&w, &err), -1);
	ck_assert_msg(strstr(err, "schema 'nope' does not exist in database 'chkpg_privs'") &&
	              strstr(err, "GRANT CREATE ON DATABASE \"chkpg_privs\" TO chkpg_weak"), "%s", err);
	free(err);

	db_close(d);
	admin("DROP DATABASE chkpg_privs WITH (FORCE)");
	admin("DROP ROLE chkpg_weak");
}
END_TEST

START_TEST(test_create_database)
{
	struct db_params c;
	struct db *d;
	char *err = NULL;
	enum db_err why = DB_ERR_NONE;

	admin("DROP DATABASE IF EXISTS chkpg_new WITH (FORCE)");
	d = pg_connect_to(&c, NULL, NULL);
	db_close(d);
	c.database = "chkpg_new";
	c.schema = "mart";
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_NO_DATABASE);
	free(err);
	err = NULL;
	ck_assert_msg(db_create_database(&c, &err) == 0, "%s", err);
	ck_assert_msg(db_create_database(&c, &err) == 0, "%s", err);
	d = db_connect(&c, &err, NULL);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(db_name(d), "mart");
	assert_value(d, "SELECT pg_encoding_to_char(encoding) FROM pg_database"
	                " WHERE datname = current_database()", "UTF8");
	db_close(d);
	/* the database is there, the schema not yet */
	c.schema = "other";
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_NO_DATABASE);
	free(err);
	err = NULL;
	ck_assert_msg(db_create_database(&c, &err) == 0, "%s", err);
	d = db_connect(&c, &err, NULL);
	ck_assert_msg(d != NULL, "%s", err);
	db_close(d);
	admin("DROP DATABASE chkpg_new WITH (FORCE)");
}
END_TEST

START_TEST(test_prepare_check)
{
	struct db_params c;
	struct db *d = fresh(&c, "chkpg_prep", "(1, 'a')");
	struct db_prep p;

	/* accepted: the result's columns, and nothing run */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, v AS name FROM t", NULL, &p), 0);
	ck_assert_uint_eq(p.cols.n, 2);
	ck_assert_str_eq(p.cols.v[1], "name");
	ck_assert_ptr_null(p.table_ddl);
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "DELETE FROM t", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT count(*) FROM t", "1");

	/* a syntax error: the line of the statement it is on */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id,\n  v\nFROM t WHER id = 1", NULL, &p), 1);
	ck_assert_int_eq(db_errno(d), PDB_STATE("42601"));
	ck_assert_int_eq(p.line, 3);
	ck_assert_msg(strstr(db_error(d), "syntax error"), "%s", db_error(d));
	ck_assert_ptr_null(strchr(db_error(d), '\n'));
	db_prep_release(&p);

	/* an unknown column and an unknown table: named, and where */
	ck_assert_int_eq(db_prepare_check(d, "SELECT q.id,\n q.lable FROM t AS q", NULL, &p), 1);
	ck_assert_int_eq(db_errno(d), PDB_STATE("42703"));
	ck_assert_int_eq(p.line, 2);
	ck_assert_str_eq(p.name, "q.lable");
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "SELECT 'é', 1 FROM\n\nnosuch", NULL, &p), 1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	ck_assert_int_eq(p.line, 3);
	ck_assert_str_eq(p.name, "nosuch");
	db_prep_release(&p);

	/* as_table: a temporary empty table with the result's columns and the stamp */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, v, 1.5::numeric(4,2) AS n, 'x' AS s FROM t",
	                                  "later", &p), 0);
	ck_assert_ptr_nonnull(p.table_ddl);
	exec_ok(d, p.table_ddl);
	db_prep_release(&p);
	assert_value(d, "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum)"
	                " FROM pg_attribute WHERE attrelid = 'later'::regclass AND attnum > 0",
	                "integer,character varying(20),numeric(4,2),text,timestamp with time zone");
	ck_assert_int_eq(db_prepare_check(d, "SELECT v, " DB_STAMP " FROM later", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT 1 + 1", "2");
	db_close(d);
}
END_TEST

/* file targets: declared types read and spelled, rows loaded, a refused row named */
START_TEST(test_file_types)
{
	static const struct {
		const char *sql, *again;
		enum db_tkind kind;
	} types[] = {
		{ "integer", "integer", DB_T_INT }, { "BIGINT", "bigint", DB_T_INT },
		{ "smallint", "smallint", DB_T_INT }, { "boolean", "boolean", DB_T_BOOL },
		{ "numeric(10, 2)", "numeric(10,2)", DB_T_DECIMAL },
		{ "double precision", "double precision", DB_T_FLOAT },
		{ "date", "date", DB_T_DATE }, { "timestamp(3)", "timestamp(3)", DB_T_DATETIME },
		{ "timestamp", "timestamp(6)", DB_T_DATETIME },
		{ "varchar(12)", "varchar(12)", DB_T_STRING },
		{ "character varying(5)", "varchar(5)", DB_T_STRING }, { "text", "text", DB_T_STRING },
		{ "jsonb", "text", DB_T_OTHER }, { "int unsigned", "integer", DB_T_INT },
	};
	struct db_type t = { .kind = DB_T_INT, .bits = 64, .is_unsigned = true };
	struct db_params c;
	struct db *d;
	char *names_v[] = { "i", "b", "n", "f", "day", "at", "s", "u" };
	char *typ[] = { "integer", "boolean", "numeric(6,2)", "double precision", "date",
	                "timestamp(0)", "varchar(5)", "numeric(20,0)" };
	char *rows[] = {
		"1", "1", "1.50", "2.5", "2024-02-29", "2024-02-29 10:11:12", "héllo",
		"18446744073709551615",
		NULL, "0", NULL, NULL, NULL, NULL, "it's", NULL,
	};
	char *bad[] = { "1", "x", "2", "y", "3", "toolong", "4", "z" };
	struct db_names names = { names_v, 8 }, two = { names_v + 5, 2 };
	long long badrow = -2;
	char *sql;

	for (size_t i = 0; i < LEN(types); i++) {
		ck_assert_int_eq(db_type_parse("postgres", types[i].sql, &t), 0);
		ck_assert_msg(t.kind == types[i].kind, "%s: kind %d", types[i].sql, t.kind);
		sql = db_type_sql("postgres", &t);
		ck_assert_msg(strcmp(sql, types[i].again) == 0, "%s: %s", types[i].sql, sql);
		free(sql);
	}
	/* PostgreSQL has no unsigned integers: the next wider type */
	t = (struct db_type){ .kind = DB_T_INT, .bits = 64, .is_unsigned = true };
	sql = db_type_sql("postgres", &t);
	ck_assert_str_eq(sql, "numeric(20,0)");
	free(sql);
	t.bits = 32;
	sql = db_type_sql("postgres", &t);
	ck_assert_str_eq(sql, "bigint");
	free(sql);

	d = fresh(&c, "chkpg_file", NULL);
	ck_assert_msg(db_create_table(d, "f", &names, typ) == 0, "%s", db_error(d));
	ck_assert_msg(db_insert_values(d, "f", &names, rows, 2, &badrow) == 0, "%s", db_error(d));
	assert_value(d, "SELECT concat_ws('|', i, b, n, f, day, at, s, u) FROM f WHERE i = 1",
	             "1|t|1.50|2.5|2024-02-29|2024-02-29 10:11:12|héllo|18446744073709551615");
	assert_value(d, "SELECT concat_ws('|', b, s) FROM f WHERE i IS NULL", "f|it's");
	/* a value that does not fit: refused, its row named, nothing of the batch kept */
	exec_ok(d, "CREATE TABLE g (at varchar(3), s varchar(5))");
	ck_assert_int_eq(db_insert_values(d, "g", &two, bad, 4, &badrow), -1);
	ck_assert_int_eq(badrow, 2);
	ck_assert_msg(strstr(db_error(d), "too long"), "%s", db_error(d));
	assert_value(d, "SELECT count(*) FROM g", "0");
	db_close(d);
}
END_TEST

static Suite *
pg_suite(void)
{
	Suite *s = suite_create("pg");
	TCase *unit = tcase_create("unit"), *tc = tcase_create("postgres");

	tcase_add_test(unit, test_version_check);
	suite_add_tcase(s, unit);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_connect_errors);
	tcase_add_test(tc, test_hosts);
	tcase_add_test(tc, test_table_ops);
	tcase_add_test(tc, test_swap_grants_views);
	tcase_add_test(tc, test_shapes);
	tcase_add_test(tc, test_upsert_and_stamps);
	tcase_add_test(tc, test_deletes_logged);
	tcase_add_test(tc, test_wide_table);
	tcase_add_test(tc, test_privileges);
	tcase_add_test(tc, test_create_database);
	tcase_add_test(tc, test_prepare_check);
	tcase_add_test(tc, test_file_types);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	const char *sock = getenv("CHACC_TEST_PG_SOCKET");

	if (!sock || !*sock) {
		printf("check_pg: CHACC_TEST_PG_SOCKET is not set, skipping (run it through tests/run)\n");
		return 0;
	}
	return run_suite(pg_suite());
}
