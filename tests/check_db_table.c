/* check_db_table.c: the MariaDB driver's table operations: swaps, shapes, upserts, deletes, locks */
#include "dbtest.h"
#include "tabletest.h"

/* a tiny table t (id, v) in a fresh database on d */
static char *
small_table(struct db *d, const char *tag, const char *name, const char *rows)
{
	char *db = fresh_db(d, tag);

	ck_assert_int_eq(db_execf(d, "USE `%s`", db), 0);
	ck_assert_int_eq(db_execf(d, "CREATE TABLE `%s` (id INT PRIMARY KEY, v VARCHAR(20))", name), 0);
	if (rows)
		ck_assert_int_eq(db_execf(d, "INSERT INTO `%s` VALUES %s", name, rows), 0);
	return db;
}

START_TEST(test_table_ops)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "ops", "t", "(1, 'one'), (2, 'two')"), *v = NULL, *a, *b;
	struct db_names have = { 0 };
	struct db *r;

	ck_assert(db_table_exists(d, "t"));
	ck_assert(!db_table_exists(d, "nope"));
	v = db_primary_key(d, "t");
	ck_assert_str_eq(v, "id");
	free(v);
	/* the stamp: added once, not listed among the data columns */
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_add_stamp(d, "t"), 0);
	ck_assert_int_eq(db_table_columns(d, "t", &have), 0);
	ck_assert_uint_eq(have.n, 2);
	ck_assert_str_eq(have.v[0], "id");
	ck_assert_str_eq(have.v[1], "v");
	ck_assert_int_eq(db_count_rows(d, "t"), 2);
	ck_assert_int_eq(db_count_rows(d, "nope"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);

	/* a content digest ignores row order, sees values; a checksum of nothing is "" */
	ck_assert_int_eq(db_create_like(d, "u", "t", false), 0);
	exec_ok(d, "INSERT INTO u (id, v) VALUES (2, 'two'), (1, 'one')");
	ck_assert_int_eq(db_digest(d, "t", &have, &a), 0);
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_eq(a, b);
	free(b);
	exec_ok(d, "UPDATE u SET v = 'One' WHERE id = 1");
	ck_assert_int_eq(db_digest(d, "u", &have, &b), 0);
	ck_assert_str_ne(a, b);
	free(a);
	free(b);
	ck_assert_int_eq(db_checksum(d, "nope", &a), 0);
	ck_assert_str_eq(a, "");
	free(a);

	/* swaps are atomic: a reader never finds the table missing, and no old table stays */
	r = tgt_db(name);
	assert_swaps_atomic(d, r);
	assert_value(d, "SELECT CONCAT(COUNT(*), ':', MAX(id)) FROM t", "1:29");
	/* a swap also puts a shadow in place of a table that does not exist */
	ck_assert_int_eq(db_create_like(d, "shadow", "t", false), 0);
	ck_assert_int_eq(db_swap(d, "fresh", "shadow", "old_fresh"), 0);
	ck_assert(db_table_exists(d, "fresh") && !db_table_exists(d, "shadow"));

	/* temporary tables come and go */
	ck_assert_int_eq(db_create_like(d, "stage", "t", true), 0);
	ck_assert_int_eq(db_count_rows(d, "stage"), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_drop_table(d, "stage", true), 0);
	ck_assert_int_eq(db_count_rows(d, "stage"), -1);

	db_names_release(&have);
	db_close(r);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_shapes_and_use)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "shape", "t", "(1, 'one')"), *other = fresh_db(d, "other"), *v;
	struct db_names qc = { 0 }, key = { 0 }, ix[2];
	char *k1[] = { "v" }, *k2[] = { "v", "n" };

	/* a table shaped like a query's result, keyed and indexed afterwards */
	ck_assert_int_eq(db_result_columns(d, "SELECT id AS n, v FROM t", &qc), 0);
	ck_assert_uint_eq(qc.n, 2);
	ck_assert_str_eq(qc.v[0], "n");
	ck_assert_int_eq(db_create_from_query(d, "q", "SELECT id AS n, v FROM t"), 0);
	ck_assert_int_eq(db_count_rows(d, "q"), 0);
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "");
	free(v);
	key.v = qc.v;
	key.n = 1;
	ck_assert_int_eq(db_add_primary_key(d, "q", &key), 0);
	v = db_primary_key(d, "q");
	ck_assert_str_eq(v, "n");
	free(v);
	ix[0] = (struct db_names){ k1, 1 };
	ix[1] = (struct db_names){ k2, 2 };
	ck_assert_msg(db_add_indexes(d, "q", ix, 2) == 0, "%s", db_error(d));
	assert_value(d, "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics"
	                " WHERE table_schema = DATABASE() AND table_name = 'q'", "3");

	/* the default database changes, and a name that is not there is refused */
	ck_assert_int_eq(db_use(d, other), 0);
	ck_assert(!db_table_exists(d, "t"));
	ck_assert_int_eq(db_use(d, name), 0);
	ck_assert(db_table_exists(d, "t"));
	ck_assert_int_eq(db_use(d, "chk_no_such_db"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_ACCESS);

	db_names_release(&qc);
	db_execf(d, "DROP DATABASE `%s`", name);
	db_execf(d, "DROP DATABASE `%s`", other);
	free(name);
	free(other);
	db_close(d);
}
END_TEST

START_TEST(test_upsert_and_stamps)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "ups", "s", "(1, 'one'), (2, 'two'), (4, 'four'), (6, 'a')");
	struct db_names tc = { 0 }, key = { 0 };
	struct db_upsert u = { -1, -1 };
	long long kept = -1;

	ck_assert_int_eq(db_add_stamp(d, "s"), 0);
	exec_ok(d, "UPDATE s SET " DB_STAMP " = '2000-01-01'");
	ck_assert_int_eq(db_table_columns(d, "s", &tc), 0);
	/* one new row, two changed ('a' to 'A' is a change), one the same */
	ck_assert_msg(db_upsert(d, "s", &tc, "SELECT 1 AS id, 'one' AS v UNION ALL SELECT 2, 'deux'"
	                        " UNION ALL SELECT 5, 'five' UNION ALL SELECT 6, 'A'", &u) == 0, "%s",
	              db_error(d));
	ck_assert_int_eq(u.inserted, 1);
	ck_assert_int_eq(u.changed, 3);
	assert_value(d, "SELECT GROUP_CONCAT(CONCAT(id, v, " DB_STAMP " > '2000-01-01') ORDER BY id)"
	                " FROM s", "1one0,2deux1,4four0,5five1,6A1");

	/* unchanged rows of a shadow keep the live table's stamps */
	ck_assert_int_eq(db_create_like(d, "n", "s", false), 0);
	exec_ok(d, "INSERT INTO n (id, v) VALUES (1, 'one'), (2, 'zwei'), (7, 'seven')");
	key.v = tc.v;
	key.n = 1;
	ck_assert_int_eq(db_keep_stamps(d, "n", "s", &key, &tc, &kept), 0);
	ck_assert_int_eq(kept, 1);
	assert_value(d, "SELECT GROUP_CONCAT(CONCAT(id, " DB_STAMP " > '2000-01-01') ORDER BY id)"
	                " FROM n", "10,21,71");

	db_names_release(&tc);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_deletes_logged)
{
	struct db *d = tgt_db(NULL);
	char *name = small_table(d, "del", "t", "(1, 'one'), (2, 'two'), (3, 'three')");
	struct db_names tc = { 0 }, key = { 0 };
	struct db_delete del = { .log = "dlog", .table = "t", .key = &key, .cols = &tc, .run_id = 7 };
	long long removed = -1;

	exec_ok(d, "CREATE TABLE dlog (id INT AUTO_INCREMENT PRIMARY KEY, target VARCHAR(64),"
	           " key_json TEXT, row_json TEXT, run_id BIGINT, deleted_at DATETIME(6))");
	ck_assert_int_eq(db_table_columns(d, "t", &tc), 0);
	key.v = tc.v;
	key.n = 1;
	/* what the need "up" deleted after the since literal goes here too */
	exec_ok(d, "INSERT INTO dlog (target, key_json, run_id, deleted_at) VALUES"
	           " ('up', '{\"id\": 1}', 1, '2024-01-02'), ('up', '{\"id\": 2}', 1, '2023-12-31'),"
	           " ('other', '{\"id\": 3}', 1, '2024-01-02')");
	ck_assert_msg(db_follow_deletes(d, &del, "up", "'2024-01-01'", &removed) == 0, "%s",
	              db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", "2,3");
	assert_value(d, "SELECT CONCAT(run_id, ' ', JSON_VALUE(key_json, '$.id'), ' ',"
	                " JSON_VALUE(row_json, '$.v')) FROM dlog WHERE target = 't'", "7 1 one");

	/* rows a stage flags as deleted go, from the table and from the stage */
	exec_ok(d, "CREATE TABLE stage (id INT PRIMARY KEY, v VARCHAR(20), gone INT)");
	exec_ok(d, "INSERT INTO stage VALUES (2, 'two', 1), (3, 'drei', 0), (9, 'nine', NULL)");
	ck_assert_msg(db_delete_flagged(d, &del, "stage", "gone", &removed) == 0, "%s", db_error(d));
	ck_assert_int_eq(removed, 1);
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", "3");
	assert_value(d, "SELECT GROUP_CONCAT(id ORDER BY id) FROM stage", "3,9");
	assert_value(d, "SELECT COUNT(*) FROM dlog WHERE target = 't'", "2");

	db_names_release(&tc);
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_locks_and_clock)
{
	struct db *a = tgt_db(NULL), *b = tgt_db(NULL);
	const char *names[] = { "chk/one", "chk/two" };
	bool used[2] = { true, true };
	char *now = NULL, *earlier = NULL;

	ck_assert_int_eq(db_locks_used(b, names, 2, used), 0);
	ck_assert(!used[0] && !used[1]);
	ck_assert_int_eq(db_lock(a, "chk/one", 0), 1);
	ck_assert_int_eq(db_lock(b, "chk/one", 0), 0);
	ck_assert_int_eq(db_locks_used(b, names, 2, used), 0);
	ck_assert(used[0] && !used[1]);
	ck_assert_int_eq(db_unlock(a, "chk/one"), 0);
	ck_assert_int_eq(db_lock(b, "chk/one", 1), 1);
	ck_assert_int_eq(db_unlock(b, "chk/one"), 0);

	ck_assert_int_eq(db_now(a, &now), 0);
	ck_assert_uint_eq(strlen(now), 26);
	ck_assert_int_eq(db_ts_minus(a, "2024-03-01 00:00:00", 86400.5, &earlier), 0);
	ck_assert_str_eq(earlier, "2024-02-28 23:59:59.500000");
	ck_assert_int_eq(db_ts_after(a, "2024-02-29 12:00:00", "2024-03-01", 86400), 1);
	ck_assert_int_eq(db_ts_after(a, "2024-02-27 12:00:00", "2024-03-01", 86400), 0);
	free(now);
	free(earlier);
	db_close(a);
	db_close(b);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db_table");
	TCase *tc = tcase_create("mariadb");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_table_ops);
	tcase_add_test(tc, test_shapes_and_use);
	tcase_add_test(tc, test_upsert_and_stamps);
	tcase_add_test(tc, test_deletes_logged);
	tcase_add_test(tc, test_locks_and_clock);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if ((rc = dbtest_setup("check_db_table")) != 0)
		return rc < 0 ? 0 : 1;
	rc = run_suite(db_suite());
	mysql_library_end();
	return rc;
}
