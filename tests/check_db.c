/* check_db.c: the MariaDB driver against real servers (see tests/run): connections, queries, errors */
#include "dbtest.h"

#define PASSWORD_WRONG "Sekr1t-xyz"

START_TEST(test_connect_error)
{
	struct db_params c = mkconn("source", src_socket, NULL, NULL);
	char *err = NULL;

	c.password = PASSWORD_WRONG;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "connection 'source'"), "%s", err);
	ck_assert_msg(strstr(err, src_socket), "%s", err);
	ck_assert_msg(strstr(err, "'chacc'"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);

	/* over TCP: the message names host and port */
	c = mkconn("target", NULL, tgt_port, NULL);
	c.host = "127.0.0.1";
	c.password = PASSWORD_WRONG;
	err = NULL;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "connection 'target'"), "%s", err);
	ck_assert_msg(strstr(err, tgt_port) && strstr(err, "127.0.0.1"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);

	/* nothing listens: still named, still no password */
	c = mkconn("nowhere", "/nonexistent/mysqld.sock", NULL, NULL);
	c.password = PASSWORD_WRONG;
	err = NULL;
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "connection 'nowhere'"), "%s", err);
	ck_assert_msg(!strstr(err, PASSWORD_WRONG), "password in '%s'", err);
	free(err);
}
END_TEST

/* bind_address: the connection comes from there; an address it cannot use is named */
START_TEST(test_bind_address)
{
	struct db_params c = mkconn("target", NULL, tgt_port, NULL);
	struct db *d;
	char *err = NULL, *host;

	c.host = "127.0.0.1";
	c.bind_address = "127.0.0.9";
	d = db_connect(&c, &err, NULL);
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_int_eq(db_value(d, &host, "SELECT SUBSTRING_INDEX(USER(), '@', -1)"), 1);
	ck_assert_str_eq(host, "127.0.0.9");
	free(host);
	db_close(d);
	/* no address of this host (TEST-NET-1), a name that does not resolve */
	c.bind_address = "192.0.2.1";
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "cannot connect from bind_address '192.0.2.1'") &&
	              strstr(err, "no address of this host"), "%s", err);
	free(err);
	c.bind_address = "no-such-host.invalid";
	ck_assert_ptr_null(db_connect(&c, &err, NULL));
	ck_assert_msg(strstr(err, "cannot connect from bind_address 'no-such-host.invalid': it is "
	                     "no address of this host, nor a name"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_exec_query_value)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "q"), *v, *q, *id;
	struct dbres *r;
	const char *nasty = "it's a \"test\" \\ with\nnewline\ttab \xF0\x9F\x98\x80 `tick`";

	ck_assert_str_eq(db_name(d), "");
	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	ck_assert_str_eq(db_conn_name(d), "source");
	exec_ok(d, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
	exec_ok(d, "INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'three')");
	ck_assert_int_eq(db_affected(d), 3);
	ck_assert_int_eq(db_execf(d, "UPDATE t SET v = '%s' WHERE id >= %d", "x", 2), 0);
	ck_assert_int_eq(db_affected(d), 2);

	r = db_queryf(d, "SELECT id, v AS value FROM t WHERE id < %d ORDER BY id", 10);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 2);
	ck_assert_uint_eq(dbres_nrows(r), 3);
	ck_assert_str_eq(dbres_colname(r, 1), "value");
	ck_assert(dbres_next(r));
	ck_assert_str_eq(dbres_get(r, 0), "1");
	ck_assert_str_eq(dbres_get(r, 1), "one");
	ck_assert_ptr_null(dbres_get(r, 2));
	ck_assert(dbres_next(r));
	ck_assert(dbres_next(r));
	ck_assert(!dbres_next(r));
	dbres_free(r);

	/* a statement without a result set gives an empty one */
	r = db_query(d, "DO 1");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 0);
	ck_assert(!dbres_next(r));
	dbres_free(r);

	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = %d", 1), 1);
	ck_assert_str_eq(v, "one");
	free(v);
	exec_ok(d, "UPDATE t SET v = NULL WHERE id = 2");
	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = 2"), 1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_value(d, &v, "SELECT v FROM t WHERE id = 99"), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_value(d, &v, "SELECT nothing FROM t"), -1);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(db_errno(d), 1054);

	/* quoting and identifiers round-trip */
	q = db_quote(d, nasty);
	ck_assert_int_eq(db_value(d, &v, "SELECT %s", q), 1);
	ck_assert_str_eq(v, nasty);
	free(v);
	free(q);
	q = db_quote(NULL, nasty);
	ck_assert_int_eq(db_value(d, &v, "SELECT %s", q), 1);
	ck_assert_str_eq(v, nasty);
	free(v);
	free(q);
	ck_assert_ptr_null(db_quote(d, NULL));
	id = db_ident(d, "we`ird");
	ck_assert_str_eq(id, "`we``ird`");
	ck_assert_int_eq(db_execf(d, "CREATE TABLE %s (x INT)", id), 0);
	assert_value(d, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'we`ird'"
	                " AND table_schema = DATABASE()", "1");
	free(id);

	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);

	d = src_db("mysql");
	ck_assert_str_eq(db_name(d), "mysql");
	db_close(d);
}
END_TEST

START_TEST(test_errors)
{
	struct db *a = src_db(NULL), *b = src_db(NULL);
	char *name = fresh_db(a, "err");

	ck_assert_int_eq(db_exec(a, "SELEC 1"), -1);
	ck_assert_uint_eq(db_errno(a), 1064);
	ck_assert_msg(strstr(db_error(a), "syntax"), "%s", db_error(a));
	ck_assert(!db_error_transient(a));
	ck_assert(!db_error_killed(a));
	/* the connection goes on after an error */
	assert_value(a, "SELECT 1 + 1", "2");

	/* a lock wait timeout can pass on retry */
	ck_assert_int_eq(db_execf(a, "CREATE TABLE `%s`.t (id INT PRIMARY KEY) ENGINE=InnoDB", name), 0);
	ck_assert_int_eq(db_execf(a, "INSERT INTO `%s`.t VALUES (1)", name), 0);
	exec_ok(a, "START TRANSACTION");
	ck_assert_int_eq(db_execf(a, "UPDATE `%s`.t SET id = 1 WHERE id = 1", name), 0);
	exec_ok(b, "SET SESSION innodb_lock_wait_timeout = 1");
	ck_assert_int_eq(db_execf(b, "UPDATE `%s`.t SET id = 2 WHERE id = 1", name), -1);
	ck_assert_uint_eq(db_errno(b), 1205);
	ck_assert(db_error_transient(b));
	exec_ok(a, "ROLLBACK");

	/* a server cannot read client files outside db_copy */
	ck_assert_int_eq(db_execf(a, "CREATE TABLE `%s`.f (x TEXT)", name), 0);
	ck_assert_int_eq(db_execf(a, "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE `%s`.f", name),
	                 -1);
	ck_assert_msg(strstr(db_error(a), "refused"), "%s", db_error(a));
	assert_value(a, "SELECT 'usable'", "usable");

	/* a duplicate key is an SQL error */
	ck_assert_int_eq(db_execf(a, "INSERT INTO `%s`.t VALUES (1)", name), -1);
	ck_assert_uint_eq(db_errno(a), 1062);
	ck_assert(!db_error_transient(a));

	db_execf(a, "DROP DATABASE `%s`", name);
	free(name);
	db_close(a);
	db_close(b);
}
END_TEST

struct sleeper {
	struct db *d;
	int rc;
};

static void *
sleeper_run(void *arg)
{
	struct sleeper *s = arg;

	s->rc = db_exec(s->d, "SELECT SLEEP(30)");
	return NULL;
}

START_TEST(test_kill_query)
{
	struct sleeper s = {src_db(NULL), 1};
	struct db *watch = src_db(NULL);
	struct db_params kp = mkconn("source", src_socket, NULL, NULL);
	pthread_t t;
	char *v;
	int i, seen = 0;
	double t0 = now_seconds();

	ck_assert_int_eq(pthread_create(&t, NULL, sleeper_run, &s), 0);
	for (i = 0; i < 100 && !seen; i++) {
		v = NULL;
		ck_assert_int_ge(db_value(watch, &v, "SELECT COUNT(*) FROM information_schema.processlist"
		                                     " WHERE id = %lu AND info LIKE 'SELECT SLEEP%%'",
		                          db_thread_id(s.d)), 0);
		seen = v && strcmp(v, "1") == 0;
		free(v);
		usleep(50000);
	}
	ck_assert_msg(seen, "the query never showed up");
	ck_assert_int_eq(db_kill_query(&kp, db_thread_id(s.d)), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(s.rc, -1);
	ck_assert_msg(db_error_killed(s.d), "%u %s", db_errno(s.d), db_error(s.d));
	ck_assert_int_eq(db_error_class(s.d), DB_ERR_KILLED);
	ck_assert(!db_error_transient(s.d));
	ck_assert(now_seconds() - t0 < 20);
	/* the connection survives a killed query */
	assert_value(s.d, "SELECT 'alive'", "alive");
	/* killing what is not running is fine */
	ck_assert_int_eq(db_kill_query(&kp, db_thread_id(s.d)), 0);
	assert_value(s.d, "SELECT 'still'", "still");
	db_close(s.d);
	db_close(watch);
}
END_TEST

/* a statement of its own that a deadlock undid is run again; one within a transaction is not */
struct updater {
	struct db *d;
	const char *sql;
	int rc;
};

static void *
updater_run(void *arg)
{
	struct updater *u = arg;

	u->rc = db_exec(u->d, u->sql);
	return NULL;
}

/* wait until d's session runs its UPDATE (which then waits for its lock) */
static void
wait_lock_wait(struct db *watch, struct db *d)
{
	char *v = NULL;

	for (int i = 0; i < 200; i++) {
		free(v);
		v = NULL;
		ck_assert_int_ge(db_value(watch, &v, "SELECT COUNT(*) FROM information_schema.processlist"
		                          " WHERE id = %lu AND info LIKE 'UPDATE dl%%'", db_thread_id(d)),
		                 0);
		if (v && strcmp(v, "1") == 0)
			break;
		usleep(20000);
	}
	ck_assert_msg(v && strcmp(v, "1") == 0, "the update never ran");
	free(v);
	/* it holds row 2 and waits for row 1 */
	usleep(300000);
}

/*
 * a deadlock of a (heavy) transaction a with updater b: b holds row 2 and
 * waits for row 1, which a holds; a then asks for row 2. InnoDB undoes the
 * lighter one, b. b in a transaction of its own: with_txn
 */
static int
deadlock_victim(const char *database, bool with_txn, char **value)
{
	struct db *a = tgt_db(database), *watch = tgt_db(database);
	struct updater u = { tgt_db(database), "UPDATE dl SET v = v + 1 WHERE id IN (2, 1)"
	                                       " ORDER BY id DESC", 0 };
	pthread_t t;

	exec_ok(a, "START TRANSACTION");
	/* a weighs more: it changed many rows */
	exec_ok(a, "UPDATE filler SET n = n + 1");
	exec_ok(a, "SELECT v FROM dl WHERE id = 1 FOR UPDATE");
	if (with_txn)
		exec_ok(u.d, "START TRANSACTION");
	ck_assert_int_eq(pthread_create(&t, NULL, updater_run, &u), 0);
	wait_lock_wait(watch, u.d);
	exec_ok(a, "UPDATE dl SET v = v + 10 WHERE id = 2");
	exec_ok(a, "COMMIT");
	pthread_join(t, NULL);
	if (with_txn) {
		ck_assert_int_eq(u.rc, -1);
		ck_assert_msg(db_errno(u.d) == 1213, "%u %s", db_errno(u.d), db_error(u.d));
		ck_assert(db_error_transient(u.d));
		db_exec(u.d, "ROLLBACK");
	}
	*value = NULL;
	ck_assert_int_ge(db_value(watch, value, "SELECT GROUP_CONCAT(v ORDER BY id) FROM dl"), 0);
	db_close(a);
	db_close(watch);
	db_close(u.d);
	return u.rc;
}

START_TEST(test_deadlock_run_again)
{
	struct db *d = tgt_db(NULL);
	char *database = fresh_db(d, "dl"), *v;

	db_close(d);
	d = tgt_db(database);
	exec_ok(d, "CREATE TABLE dl (id INT PRIMARY KEY, v INT) ENGINE=InnoDB");
	exec_ok(d, "INSERT INTO dl VALUES (1, 0), (2, 0)");
	exec_ok(d, "CREATE TABLE filler (id INT PRIMARY KEY, n INT) ENGINE=InnoDB");
	exec_ok(d, "INSERT INTO filler SELECT seq, 0 FROM seq_1_to_200");
	/* on its own: undone, run again once a has committed, and counted once */
	ck_assert_int_eq(deadlock_victim(database, false, &v), 0);
	ck_assert_str_eq(v, "1,11");
	free(v);
	/* within a transaction: the caller's to handle (the transaction is gone) */
	ck_assert_int_eq(deadlock_victim(database, true, &v), -1);
	ck_assert_str_eq(v, "1,21");
	free(v);
	ck_assert_int_eq(db_execf(d, "DROP DATABASE IF EXISTS `%s`", database), 0);
	db_close(d);
	free(database);
}
END_TEST

START_TEST(test_lost_connection)
{
	struct db *a = src_db(NULL), *b = src_db(NULL);
	unsigned long id = db_thread_id(a);

	ck_assert_int_eq(db_execf(b, "KILL CONNECTION %lu", id), 0);
	ck_assert_int_eq(db_exec(a, "SELECT 1"), -1);
	ck_assert_msg(db_error_transient(a), "%u %s", db_errno(a), db_error(a));
	ck_assert_int_eq(db_reconnect(a), 0);
	ck_assert_uint_ne(db_thread_id(a), id);
	assert_value(a, "SELECT 'back'", "back");
	db_close(a);
	db_close(b);
}
END_TEST

START_TEST(test_call)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "call");
	struct dbres *r;

	ck_assert_int_eq(db_execf(d, "USE `%s`", name), 0);
	exec_ok(d, "CREATE PROCEDURE p() BEGIN SELECT 1 AS a; SELECT 2, 3; END");
	exec_ok(d, "CREATE PROCEDURE bad() BEGIN SELECT 1; SIGNAL SQLSTATE '45000' SET "
	           "MESSAGE_TEXT = 'bad thing'; END");
	exec_ok(d, "CALL p()");
	assert_value(d, "SELECT 'usable'", "usable");
	r = db_query(d, "CALL p()");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(dbres_ncols(r), 1);
	ck_assert(dbres_next(r));
	ck_assert_str_eq(dbres_get(r, 0), "1");
	ck_assert(!dbres_next(r));
	dbres_free(r);
	assert_value(d, "SELECT 'usable'", "usable");
	ck_assert_int_eq(db_exec(d, "CALL bad()"), -1);
	ck_assert_msg(strstr(db_error(d), "bad thing"), "%s", db_error(d));
	assert_value(d, "SELECT 'usable'", "usable");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

START_TEST(test_same_server)
{
	struct db *a = src_db(NULL), *b, *t = tgt_db(NULL);
	struct db_params c = mkconn("tcp", NULL, src_port, NULL);
	char *err = NULL;

	c.host = "127.0.0.1";
	b = db_connect(&c, &err, NULL);
	ck_assert_msg(b != NULL, "%s", err);
	ck_assert(db_same_server(a, b));
	ck_assert(db_same_server(a, a));
	ck_assert(!db_same_server(a, t));
	ck_assert(!db_same_server(t, b));
	db_close(a);
	db_close(b);
	db_close(t);
}
END_TEST

START_TEST(test_engine_lookup)
{
	struct db_params c = mkconn("pg", src_socket, NULL, NULL);
	enum db_err why = DB_ERR_NONE;
	char *err = NULL;

	ck_assert_ptr_eq(db_engine_find("mariadb", NULL), &db_mariadb);
	ck_assert_ptr_eq(db_engine_find(NULL, NULL), &db_mariadb);
	ck_assert_ptr_eq(db_engine_find("", NULL), &db_mariadb);
	ck_assert_ptr_eq(db_engine_find("postgres", NULL), &db_postgres);
	ck_assert_ptr_null(db_engine_find("oracle", &err));
	ck_assert_msg(strstr(err, "unknown driver 'oracle' (known: 'mariadb', 'postgres')"), "%s", err);
	free(err);
	err = NULL;
	/* a connection names its driver: the message says which, and whose */
	c.driver = "oracle";
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_msg(strstr(err, "connection 'pg'") && strstr(err, "'oracle'"), "%s", err);
	ck_assert_int_eq(why, DB_ERR_OTHER);
	free(err);
}
END_TEST

START_TEST(test_error_classes)
{
	struct db *d = tgt_db(NULL), *weak;
	char *name = fresh_db(d, "cls"), *err = NULL;
	struct db_params c = mkconn("target", tgt_socket, NULL, NULL);
	enum db_err why = DB_ERR_NONE;

	ck_assert_int_eq(db_error_class(d), DB_ERR_NONE);
	ck_assert_int_eq(db_execf(d, "SELECT * FROM `%s`.nope", name), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	ck_assert_int_eq(db_exec(d, "SELEC 1"), -1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_OTHER);

	/* a wrong password is refused for good; a server that is not there may come back */
	c.password = PASSWORD_WRONG;
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_ACCESS);
	free(err);
	c = mkconn("nowhere", "/nonexistent/mysqld.sock", NULL, NULL);
	ck_assert_ptr_null(db_connect(&c, &err, &why));
	ck_assert_int_eq(why, DB_ERR_TRANSIENT);
	free(err);

	/* a user without a privilege is denied: not transient */
	exec_ok(d, "DROP USER IF EXISTS 'chk_ro'@'localhost'");
	exec_ok(d, "CREATE USER 'chk_ro'@'localhost' IDENTIFIED BY 'ro-pass'");
	ck_assert_int_eq(db_execf(d, "GRANT SELECT ON `%s`.* TO 'chk_ro'@'localhost'", name), 0);
	c = mkconn("weak", tgt_socket, NULL, name);
	c.user = "chk_ro";
	c.password = "ro-pass";
	weak = db_connect(&c, &err, NULL);
	ck_assert_msg(weak != NULL, "%s", err);
	ck_assert_int_eq(db_exec(weak, "CREATE TABLE t (x INT)"), -1);
	ck_assert_msg(db_error_class(weak) == DB_ERR_ACCESS, "%u %s", db_errno(weak), db_error(weak));
	ck_assert(!db_error_transient(weak));
	ck_assert_int_eq(db_check_privileges(weak, false, &err), -1);
	ck_assert_msg(strstr(err, "INSERT") && !strstr(err, "SELECT"), "%s", err);
	free(err);
	ck_assert_int_eq(db_check_privileges(d, true, &err), 0);
	db_close(weak);
	exec_ok(d, "DROP USER 'chk_ro'@'localhost'");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

/* db_prepare_check: the server parses and resolves, never runs; where a refusal points */
START_TEST(test_prepare_check)
{
	struct db *d = src_db(NULL);
	char *name = fresh_db(d, "prep");
	struct db_prep p;

	ck_assert_int_eq(db_use(d, name), 0);
	exec_ok(d, "CREATE TABLE t (id INT PRIMARY KEY, label VARCHAR(20))");
	exec_ok(d, "INSERT INTO t VALUES (1, 'a')");

	/* accepted: the result's columns, and nothing run */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, label AS name FROM t", NULL, &p), 0);
	ck_assert_uint_eq(p.cols.n, 2);
	ck_assert_str_eq(p.cols.v[1], "name");
	ck_assert_ptr_null(p.table_ddl);
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "DELETE FROM t", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT COUNT(*) FROM t", "1");

	/* a syntax error: where, the line of the statement it is on */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id,\n  label\nFROM t WHER id = 1", NULL, &p), 1);
	ck_assert_uint_eq(db_errno(d), 1064);
	ck_assert_int_eq(p.line, 3);
	ck_assert_msg(strstr(db_error(d), "syntax error near 'id = 1'") == db_error(d), "%s",
	              db_error(d));
	ck_assert_ptr_null(strstr(db_error(d), "manual"));
	db_prep_release(&p);

	/* an unknown column and an unknown table: named, no line from the server */
	ck_assert_int_eq(db_prepare_check(d, "SELECT q.id, q.lable FROM t AS q", NULL, &p), 1);
	ck_assert_uint_eq(db_errno(d), 1054);
	ck_assert_int_eq(p.line, 0);
	ck_assert_str_eq(p.name, "q.lable");
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "SELECT * FROM nosuch", NULL, &p), 1);
	ck_assert_int_eq(db_error_class(d), DB_ERR_NO_TABLE);
	ck_assert_msg(p.name && strstr(p.name, "nosuch"), "%s", p.name ? p.name : "(null)");
	db_prep_release(&p);

	/* as_table: a temporary empty table with the result's columns and the stamp */
	ck_assert_int_eq(db_prepare_check(d, "SELECT id, label FROM t", "later", &p), 0);
	ck_assert_ptr_nonnull(p.table_ddl);
	exec_ok(d, p.table_ddl);
	db_prep_release(&p);
	ck_assert_int_eq(db_prepare_check(d, "SELECT label, " DB_STAMP " FROM later", NULL, &p), 0);
	db_prep_release(&p);
	assert_value(d, "SELECT COUNT(*) FROM later", "0");

	/* the connection goes on */
	assert_value(d, "SELECT 1 + 1", "2");
	db_execf(d, "DROP DATABASE `%s`", name);
	free(name);
	db_close(d);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("mariadb");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_connect_error);
	tcase_add_test(tc, test_bind_address);
	tcase_add_test(tc, test_exec_query_value);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_kill_query);
	tcase_add_test(tc, test_lost_connection);
	tcase_add_test(tc, test_deadlock_run_again);
	tcase_add_test(tc, test_call);
	tcase_add_test(tc, test_same_server);
	tcase_add_test(tc, test_engine_lookup);
	tcase_add_test(tc, test_error_classes);
	tcase_add_test(tc, test_prepare_check);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	if ((rc = dbtest_setup("check_db")) != 0)
		return rc < 0 ? 0 : 1;
	rc = run_suite(db_suite());
	mysql_library_end();
	return rc;
}
