/*
 * check_checks.c: the check runner (checks.h) on a table of known rows, on
 * MariaDB and PostgreSQL: each kind passes on good rows and fails with the
 * exact count and sample keys on bad ones; where, changed rows, severities,
 * the primary key shortcut of unique, redirected relationships, counts and
 * times from another connection, sql files, and checks that cannot run
 */
#include "dbtest.h"
#include "pgtest.h"

#include "checks.h"
#include "profile.h"
#include "recipe.h"

static const char *const engines[] = { "mariadb", "postgres" };

/* the names of the checks the tests make */
static const char *const kind_names[] = {
	[CHECK_NOT_NULL] = "not_null", [CHECK_UNIQUE] = "unique",
	[CHECK_ACCEPTED_VALUES] = "accepted_values", [CHECK_RELATIONSHIPS] = "relationships",
	[CHECK_RANGE] = "range", [CHECK_EXPRESSION] = "expression", [CHECK_ROW_COUNT] = "row_count",
	[CHECK_FRESHNESS] = "freshness", [CHECK_DRIFT] = "drift", [CHECK_SQL] = "sql",
};

/* a loop test in its own case: _i is the engine */
static void
add_loop_case(Suite *s, const char *name, const TTest *test, int n)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test, 0, n);
	suite_add_tcase(s, tc);
}

/*
 * obs: 20 rows. patient_id NULL at 3 and 14; 98 and 99 (no such patient) at
 * 17 and 8; gender X at 5, Z at 15, NULL at 6; age NULL at 2, -1 at 9, 130 at
 * 19; code 'dup' at 4 and 12, 'tri' at 10, 11 and 13, NULL at 7 and 18; seen
 * 2017-01-01 except 2017-03-01 at 20. Rows 1 to 10 changed in 2020, the
 * others now. patients: 1 to 5; its shadow _chacc_new_patients: 98 and 99 too.
 */
static const char *const rows[] = {
	"1, 1, 'M', 30, 'c1'", "2, 2, 'F', NULL, 'c2'", "3, NULL, 'M', 40, 'c3'",
	"4, 3, 'F', 50, 'dup'", "5, 4, 'X', 60, 'c5'", "6, 5, NULL, 70, 'c6'",
	"7, 1, 'M', 80, NULL", "8, 99, 'F', 90, 'c8'", "9, 2, 'M', -1, 'c9'",
	"10, 3, 'F', 10, 'tri'", "11, 4, 'M', 11, 'tri'", "12, 5, 'F', 12, 'dup'",
	"13, 1, 'M', 13, 'tri'", "14, NULL, 'F', 14, 'c14'", "15, 2, 'Z', 15, 'c15'",
	"16, 3, 'M', 16, 'c16'", "17, 98, 'F', 17, 'c17'", "18, 4, 'M', 18, NULL",
	"19, 5, 'F', 130, 'c19'", "20, 1, 'M', 20, 'c20'",
};

/* one engine's fixture */
struct fx {
	const char *engine;
	struct db *d;            /* the target: obs, patients */
	struct db *other;        /* connection "other": a MariaDB database of the source server */
	char *mdb, *odb;         /* MariaDB databases to drop */
	struct recipe r;
	struct target t;
	struct check_ctx x;
	int conn_calls;
};

static const char *
shadow_of(void *arg, const char *target)
{
	(void)arg;
	return strcmp(target, "patients") == 0 ? "_chacc_new_patients" : NULL;
}

static struct db *
conn_of(void *arg, const char *name, char **err)
{
	struct fx *f = arg;

	f->conn_calls++;
	if (strcmp(name, "other") == 0)
		return f->other;
	*err = xasprintf("no connection '%s'", name);
	return NULL;
}

static void
fx_open(struct fx *f, int engine, const char *tag)
{
	bool pg = engine == 1;
	const char *ts = pg ? "timestamp" : "DATETIME";
	struct buf b;

	memset(f, 0, sizeof(*f));
	f->engine = engines[engine];
	if (pg) {
		struct db_params c;
		char *name = xasprintf("chk_checks_%s", tag);

		pg_fresh_database(name);
		f->d = pg_connect_to(&c, name, NULL);
		free(name);
	} else {
		f->d = tgt_db(NULL);
		f->mdb = fresh_db(f->d, tag);
		ck_assert_int_eq(db_use(f->d, f->mdb), 0);
	}
	f->other = src_db(NULL);
	f->odb = fresh_db(f->other, tag);
	ck_assert_int_eq(db_use(f->other, f->odb), 0);
	ck_assert_msg(db_execf(f->d, "CREATE TABLE obs (id INT PRIMARY KEY, patient_id INT,"
	                       " gender VARCHAR(1), age INT, code VARCHAR(10), seen %s)", ts) == 0,
	              "%s", db_error(f->d));
	buf_init(&b);
	buf_adds(&b, "INSERT INTO obs VALUES ");
	for (size_t i = 0; i < LEN(rows); i++)
		buf_addf(&b, "%s(%s, '%s')", i ? ", " : "", rows[i],
		         i == 19 ? "2017-03-01 00:00:00" : "2017-01-01 00:00:00");
	exec_ok(f->d, b.s);
	buf_release(&b);
	ck_assert_int_eq(db_add_stamp(f->d, "obs"), 0);
	exec_ok(f->d, "UPDATE obs SET " DB_STAMP " = '2020-01-01 00:00:00' WHERE id <= 10");
	exec_ok(f->d, "CREATE TABLE patients (patient_id INT PRIMARY KEY)");
	exec_ok(f->d, "INSERT INTO patients VALUES (1), (2), (3), (4), (5)");
	exec_ok(f->d, "CREATE TABLE _chacc_new_patients (patient_id INT PRIMARY KEY)");
	exec_ok(f->d, "INSERT INTO _chacc_new_patients VALUES (1), (2), (3), (4), (5), (98), (99)");

	f->t.name = "obs";
	f->t.kind = KIND_TABLE;
	f->t.key.v = xmalloc(sizeof(char *));
	f->t.key.v[0] = "id";
	f->t.key.n = 1;
	f->x.d = f->d;
	f->x.r = &f->r;
	f->x.t = &f->t;
	f->x.table = "obs";
	f->x.conn = conn_of;
	f->x.arg = f;
}

static void
fx_close(struct fx *f)
{
	free(f->t.key.v);
	if (f->mdb)
		db_execf(f->d, "DROP DATABASE `%s`", f->mdb);
	db_execf(f->other, "DROP DATABASE `%s`", f->odb);
	free(f->mdb);
	free(f->odb);
	db_close(f->d);
	db_close(f->other);
}

/* a check of kind with nothing else set */
static struct check
mk(enum check_kind kind)
{
	struct check c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.name = (char *)kind_names[kind];
	c.min_rows = c.max_rows = -1;
	c.row_count_drop = c.null_increase = -1;
	return c;
}

/* columns of a check: a NULL-terminated list */
static struct strlist
cols(char **v)
{
	struct strlist l = { v, 0 };

	while (v[l.n])
		l.n++;
	return l;
}

/* the strings of one result (check_results_free frees an array) */
static void
result_release(struct check_result *res)
{
	free(res->name);
	free(res->detail);
	free(res->samples);
}

/* run c; its status, failing rows, samples (NULL: none) and detail (NULL: none; a prefix) */
static void
expect(struct fx *f, const struct check *c, enum check_status status, long long failing,
       const char *samples, const char *detail)
{
	struct check_result res;

	check_run(&f->x, c, &res);
	ck_assert_msg(res.status == status && res.failing == failing,
	              "%s %s: status %s failing %lld (%s), want %s %lld", f->engine, c->name,
	              check_status_name(res.status), res.failing, res.detail ? res.detail : "-",
	              check_status_name(status), failing);
	if (samples)
		ck_assert_msg(res.samples && strcmp(res.samples, samples) == 0,
		              "%s %s: samples %s, want %s", f->engine, c->name,
		              res.samples ? res.samples : "NULL", samples);
	else
		ck_assert_msg(!res.samples, "%s %s: samples %s", f->engine, c->name, res.samples);
	if (detail)
		ck_assert_msg(res.detail && strncmp(res.detail, detail, strlen(detail)) == 0,
		              "%s %s: detail '%s', want '%s'", f->engine, c->name,
		              res.detail ? res.detail : "NULL", detail);
	else
		ck_assert_msg(!res.detail, "%s %s: detail '%s'", f->engine, c->name, res.detail);
	ck_assert_str_eq(res.name, c->name);
	ck_assert(res.kind == c->kind && res.severity == c->severity);
	ck_assert(res.seconds >= 0);
	result_release(&res);
}

/* the row kinds fail with their counts and keys, and pass on good columns */
START_TEST(test_row_kinds)
{
	struct fx f;
	char *pid[] = { "patient_id", NULL }, *pg[] = { "patient_id", "gender", NULL };
	char *code[] = { "code", NULL }, *id[] = { "id", NULL }, *mf[] = { "M", "F", NULL };
	char *xz[] = { "M", "F", "X", "Z", NULL };
	struct check c;

	fx_open(&f, _i, "rows");
	c = mk(CHECK_NOT_NULL);
	c.columns = cols(pid);
	expect(&f, &c, CHECK_FAIL, 2, "[[\"3\"],[\"14\"]]", "2 rows");
	c.columns = cols(pg);
	expect(&f, &c, CHECK_FAIL, 3, "[[\"3\"],[\"6\"],[\"14\"]]", "3 rows");
	c.columns = cols(id);
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);

	/* unique: the rows of duplicated groups, and the duplicated values; NULLs are no group */
	c = mk(CHECK_UNIQUE);
	c.columns = cols(code);
	expect(&f, &c, CHECK_FAIL, 5, "[[\"dup\"],[\"tri\"]]", "5 rows");
	c.columns = cols(pg);
	expect(&f, &c, CHECK_FAIL, 10, "[[\"1\",\"M\"],[\"3\",\"F\"],[\"4\",\"M\"],[\"5\",\"F\"]]",
	       "10 rows");
	{
		char *pcode[] = { "patient_id", "code", NULL };

		c.columns = cols(pcode);
		expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	}

	c = mk(CHECK_ACCEPTED_VALUES);
	c.column = "gender";
	c.values = cols(mf);
	expect(&f, &c, CHECK_FAIL, 2, "[[\"5\"],[\"15\"]]", "2 rows");
	c.values = cols(xz);
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);

	c = mk(CHECK_RELATIONSHIPS);
	c.column = "patient_id";
	c.to_target = "patients";
	c.to_column = "patient_id";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"8\"],[\"17\"]]", "2 rows");

	c = mk(CHECK_RANGE);
	c.column = "age";
	c.min = "0";
	c.max = "120";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"9\"],[\"19\"]]", "2 rows");
	c.max = NULL;
	expect(&f, &c, CHECK_FAIL, 1, "[[\"9\"]]", "1 row");
	c.min = "-1";
	c.max = "130";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);

	/* NULL is not true: it fails */
	c = mk(CHECK_EXPRESSION);
	c.expr = "age >= 0";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"2\"],[\"9\"]]", "2 rows");
	c.expr = "${this}.id > 0";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);

	/* without a key, the samples are the check's columns */
	f.t.key.n = 0;
	c = mk(CHECK_NOT_NULL);
	c.columns = cols(pid);
	expect(&f, &c, CHECK_FAIL, 2, "[[null],[null]]", "2 rows");
	c = mk(CHECK_ACCEPTED_VALUES);
	c.column = "gender";
	c.values = cols(mf);
	expect(&f, &c, CHECK_FAIL, 2, "[[\"X\"],[\"Z\"]]", "2 rows");
	c = mk(CHECK_EXPRESSION);
	c.expr = "age >= 0";
	expect(&f, &c, CHECK_FAIL, 2, NULL, "2 rows");
	fx_close(&f);
}
END_TEST

/* where limits every kind; changed rows limit those that allow it, not unique */
START_TEST(test_where_and_changed)
{
	struct fx f;
	char *pid[] = { "patient_id", NULL }, *code[] = { "code", NULL }, *mf[] = { "M", "F", NULL };
	struct check c;

	fx_open(&f, _i, "where");
	c = mk(CHECK_NOT_NULL);
	c.columns = cols(pid);
	c.where = "${this}.id > 10";
	expect(&f, &c, CHECK_FAIL, 1, "[[\"14\"]]", "1 row");
	c = mk(CHECK_UNIQUE);
	c.columns = cols(code);
	c.where = "id <> 13";
	expect(&f, &c, CHECK_FAIL, 4, "[[\"dup\"],[\"tri\"]]", "4 rows");
	c.where = "id < 12";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"tri\"]]", "2 rows");
	c = mk(CHECK_ROW_COUNT);
	c.where = "gender = 'M'";
	c.min_rows = 10;
	expect(&f, &c, CHECK_FAIL, 1, NULL, "row count 9 is below the minimum 10");

	f.x.changed_since = "'2021-01-01 00:00:00'";
	c = mk(CHECK_NOT_NULL);
	c.columns = cols(pid);
	expect(&f, &c, CHECK_FAIL, 1, "[[\"14\"]]", "1 row");
	c = mk(CHECK_ACCEPTED_VALUES);
	c.column = "gender";
	c.values = cols(mf);
	expect(&f, &c, CHECK_FAIL, 1, "[[\"15\"]]", "1 row");
	c = mk(CHECK_RANGE);
	c.column = "age";
	c.min = "0";
	c.max = "120";
	expect(&f, &c, CHECK_FAIL, 1, "[[\"19\"]]", "1 row");
	c = mk(CHECK_EXPRESSION);
	c.expr = "age >= 0";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* the whole table: unique, relationships, row_count */
	c = mk(CHECK_UNIQUE);
	c.columns = cols(code);
	expect(&f, &c, CHECK_FAIL, 5, "[[\"dup\"],[\"tri\"]]", "5 rows");
	c = mk(CHECK_RELATIONSHIPS);
	c.column = "patient_id";
	c.to_target = "patients";
	c.to_column = "patient_id";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"8\"],[\"17\"]]", "2 rows");
	c = mk(CHECK_ROW_COUNT);
	c.min_rows = 21;
	expect(&f, &c, CHECK_FAIL, 1, NULL, "row count 20 is below the minimum 21");

	/* the result says which rows it looked at */
	{
		struct check_result res;

		c = mk(CHECK_NOT_NULL);
		c.columns = cols(pid);
		check_run(&f.x, &c, &res);
		ck_assert(res.changed_only);
		result_release(&res);
		c = mk(CHECK_UNIQUE);
		c.columns = cols(code);
		check_run(&f.x, &c, &res);
		ck_assert(!res.changed_only);
		result_release(&res);
	}
	fx_close(&f);
}
END_TEST

/* unique on the table's key: a table target's key is not even asked for; others' is */
START_TEST(test_unique_on_key)
{
	struct fx f;
	char *id[] = { "id", NULL }, *code[] = { "code", NULL };
	struct check c;

	fx_open(&f, _i, "ukey");
	c = mk(CHECK_UNIQUE);
	c.columns = cols(id);
	/* a scan would fail on this where: it passes, nothing is run */
	c.where = "no_such_column = 1";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* not even the catalog: the table is not there */
	f.x.table = "no_such_table";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* a script's table may lack the key: the catalog says, here that there is no table */
	f.t.kind = KIND_SCRIPT;
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");
	/* the catalog's key, compared as a set: no scan */
	f.x.table = "obs";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	f.t.key.n = 0;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* other columns are scanned: the where breaks it */
	c.columns = cols(code);
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");
	fx_close(&f);
}
END_TEST

/* relationships look in the table table_of names: the shadow built with it */
START_TEST(test_relationships_redirected)
{
	struct fx f;
	struct check c;

	fx_open(&f, _i, "rel");
	c = mk(CHECK_RELATIONSHIPS);
	c.column = "patient_id";
	c.to_target = "patients";
	c.to_column = "patient_id";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"8\"],[\"17\"]]", "2 rows");
	f.x.table_of = shadow_of;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* table_of's NULL: the target's own table */
	c.to_target = "obs";
	c.to_column = "id";
	c.where = "patient_id > 5";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"8\"],[\"17\"]]", "2 rows");
	fx_close(&f);
}
END_TEST

/* row_count: bounds, and equals a value of another connection */
START_TEST(test_row_count)
{
	struct fx f;
	struct check c;

	fx_open(&f, _i, "count");
	c = mk(CHECK_ROW_COUNT);
	c.min_rows = 1;
	c.max_rows = 20;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	c.max_rows = 10;
	expect(&f, &c, CHECK_FAIL, 1, NULL, "row count 20 is above the maximum 10");
	c.min_rows = 21;
	c.max_rows = -1;
	c.severity = SEVERITY_WARN;
	expect(&f, &c, CHECK_WARN, 1, NULL, "row count 20 is below the minimum 21");

	/* equals: on the target, or on another connection */
	c = mk(CHECK_ROW_COUNT);
	c.equals = "SELECT COUNT(*) FROM ${this} WHERE id <= 20";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	exec_ok(f.other, "CREATE TABLE src (n INT)");
	exec_ok(f.other, "INSERT INTO src VALUES (12)");
	c.equals = "SELECT n FROM src";
	c.from = "other";
	expect(&f, &c, CHECK_FAIL, 1, NULL, "row count 20 differs from 12 (equals)");
	ck_assert_int_eq(f.conn_calls, 1);
	exec_ok(f.other, "UPDATE src SET n = 20");
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	c.from = "nowhere";
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: connection 'nowhere': no connection");
	c.from = "other";
	c.equals = "SELECT 'many'";
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: equals returned 'many', not a count");

	/* rows the caller counted stand for COUNT(*), unless a where limits the rows */
	{
		long long known = 21;

		f.x.rows = &known;
		c = mk(CHECK_ROW_COUNT);
		c.max_rows = 20;
		expect(&f, &c, CHECK_FAIL, 1, NULL, "row count 21 is above the maximum 20");
		c.where = "id <= 20";
		expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
		f.x.rows = NULL;
	}
	fx_close(&f);
}
END_TEST

/* freshness: against a time of another connection, or the server clock */
START_TEST(test_freshness)
{
	struct fx f;
	struct check c;

	fx_open(&f, _i, "fresh");
	c = mk(CHECK_FRESHNESS);
	c.column = "seen";
	c.max_age = 2 * 86400;
	c.relative_to = "SELECT '2017-03-02 10:00:00'";
	c.from = "other";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	c.relative_to = "SELECT '2017-03-04 10:00:00'";
	c.severity = SEVERITY_WARN;
	expect(&f, &c, CHECK_WARN, 1, NULL,
	       "newest seen 2017-03-01 00:00:00 is older than 2d before 2017-03-04 10:00:00");
	/* on the target itself, the newest of the rows where holds */
	c.from = NULL;
	c.relative_to = "SELECT '2017-01-02 10:00:00'";
	c.where = "id < 20";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	c.where = "id > 100";
	expect(&f, &c, CHECK_WARN, 1, NULL, "no seen in the rows checked");

	/* the clock: 2017 is long ago, but not a century */
	c = mk(CHECK_FRESHNESS);
	c.column = "seen";
	c.max_age = 36 * 3600;
	expect(&f, &c, CHECK_FAIL, 1, NULL, "newest seen 2017-03-01 00:00:00 is older than 36h before 20");
	c.max_age = 100 * 365 * 86400.0;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	fx_close(&f);
}
END_TEST

/* sql: the rows a query of ${this} returns fail */
START_TEST(test_sql_file)
{
	struct fx f;
	struct check c;

	fx_open(&f, _i, "sqlf");
	c = mk(CHECK_SQL);
	c.name = "no_odd_ages";
	c.sql = "sql/checks/ages.sql";
	c.sql_text = "-- ages no one has\nSELECT id, age\nFROM ${this}\nWHERE age > 120 OR age < 0;\n";
	expect(&f, &c, CHECK_FAIL, 2, "[[\"9\",\"-1\"],[\"19\",\"130\"]]", "2 rows");
	c.where = "id > 10";
	expect(&f, &c, CHECK_FAIL, 1, "[[\"19\",\"130\"]]", "1 row");
	c.sql_text = "SELECT id FROM ${this} WHERE age > 1000";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	fx_close(&f);
}
END_TEST

/* a check that cannot run is an error; in a transaction, the transaction goes on */
START_TEST(test_error_keeps_transaction)
{
	struct fx f;
	struct check c;
	char *pid[] = { "patient_id", NULL };

	fx_open(&f, _i, "err");
	c = mk(CHECK_EXPRESSION);
	c.expr = "no_such_column > 0";
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");
	c.severity = SEVERITY_WARN;
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");

	f.x.in_transaction = true;
	ck_assert_int_eq(db_begin(f.d), 0);
	exec_ok(f.d, "INSERT INTO obs (id, patient_id) VALUES (21, NULL)");
	expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");
	/* what the transaction did is still seen, and it goes on */
	c = mk(CHECK_NOT_NULL);
	c.columns = cols(pid);
	expect(&f, &c, CHECK_FAIL, 3, "[[\"3\"],[\"14\"],[\"21\"]]", "3 rows");
	exec_ok(f.d, "INSERT INTO obs (id, patient_id) VALUES (22, 1)");
	ck_assert_msg(db_commit(f.d) == 0, "%s", db_error(f.d));
	assert_value(f.d, "SELECT COUNT(*) FROM obs", "22");

	/* without the savepoint, PostgreSQL's transaction would be lost */
	if (_i == 1) {
		f.x.in_transaction = false;
		c = mk(CHECK_EXPRESSION);
		c.expr = "no_such_column > 0";
		ck_assert_int_eq(db_begin(f.d), 0);
		expect(&f, &c, CHECK_ERROR, -1, NULL, "could not run: ");
		ck_assert_int_ne(db_exec(f.d, "INSERT INTO obs (id) VALUES (23)"), 0);
		ck_assert_int_eq(db_rollback(f.d), 0);
	}
	fx_close(&f);
}
END_TEST

/* drift: this profile against the last one, with the check's thresholds or the defaults */
START_TEST(test_drift)
{
	struct fx f;
	struct profile prev, cur;
	struct check_result res;
	struct check c;

	fx_open(&f, _i, "drift");
	c = mk(CHECK_DRIFT);
	c.row_count_drop = 0.4;
	/* nothing to compare with */
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	ck_assert_msg(profile_table(f.d, "obs", &prev) == 0, "%s", db_error(f.d));
	f.x.prev = &prev;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	exec_ok(f.d, "DELETE FROM obs WHERE id > 10");
	expect(&f, &c, CHECK_FAIL, 1, NULL, "rows fell from 20 to 10");
	c.severity = SEVERITY_WARN;
	expect(&f, &c, CHECK_WARN, 1, NULL, "rows fell from 20 to 10");
	c.row_count_drop = 0.6;
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	/* the caller's profile of the table, when it has one */
	ck_assert_msg(profile_table(f.d, "obs", &cur) == 0, "%s", db_error(f.d));
	f.x.cur = &cur;
	f.x.table = "no_such_table";
	expect(&f, &c, CHECK_PASS, 0, NULL, NULL);
	c.row_count_drop = 0.4;
	expect(&f, &c, CHECK_WARN, 1, NULL, "rows fell from 20 to 10");
	/* no threshold given: the defaults (10%...) */
	c = mk(CHECK_DRIFT);
	check_run(&f.x, &c, &res);
	ck_assert_msg(res.status == CHECK_FAIL && res.failing >= 1 && res.detail &&
	              strstr(res.detail, "rows fell from 20 to 10"), "%s: %s %s", f.engine,
	              check_status_name(res.status), res.detail ? res.detail : "-");
	result_release(&res);
	profile_clear(&cur);
	profile_clear(&prev);
	fx_close(&f);
}
END_TEST

/* all of a target's checks: what blocks, what warns */
START_TEST(test_checks_run)
{
	struct fx f;
	char *pid[] = { "patient_id", NULL }, *id[] = { "id", NULL };
	struct check cs[4];
	struct check_result *res;
	size_t n;

	fx_open(&f, _i, "all");
	cs[0] = mk(CHECK_UNIQUE);
	cs[0].columns = cols(id);
	cs[1] = mk(CHECK_NOT_NULL);
	cs[1].columns = cols(pid);
	cs[1].severity = SEVERITY_WARN;
	cs[2] = mk(CHECK_ROW_COUNT);
	cs[2].min_rows = 1;
	cs[3] = mk(CHECK_ROW_COUNT);
	cs[3].name = "too_few";
	cs[3].min_rows = 100;
	f.t.checks = cs;
	f.t.nchecks = 3;
	ck_assert(!checks_any_error(&(struct target){ 0 }));
	ck_assert(checks_any_error(&f.t));

	/* a warning does not block */
	ck_assert_uint_eq(checks_run(&f.x, &res, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(res[0].status == CHECK_PASS && res[1].status == CHECK_WARN &&
	          res[2].status == CHECK_PASS);
	ck_assert_ptr_null(checks_blocking(res, n));
	check_results_free(res, n);

	f.t.nchecks = 4;
	ck_assert_uint_eq(checks_run(&f.x, &res, &n), 1);
	ck_assert_str_eq(checks_blocking(res, n)->name, "too_few");
	ck_assert_str_eq(check_status_name(res[3].status), "fail");
	check_results_free(res, n);

	/* only warnings: nothing stops a publication */
	cs[0].severity = cs[2].severity = cs[3].severity = SEVERITY_WARN;
	ck_assert(!checks_any_error(&f.t));
	ck_assert_uint_eq(checks_run(&f.x, &res, &n), 0);
	ck_assert_str_eq(check_status_name(res[3].status), "warn");
	check_results_free(res, n);
	fx_close(&f);
}
END_TEST

static Suite *
checks_suite(void)
{
	Suite *s = suite_create("checks");

	add_loop_case(s, "test_row_kinds", test_row_kinds, LEN(engines));
	add_loop_case(s, "test_where_and_changed", test_where_and_changed, LEN(engines));
	add_loop_case(s, "test_unique_on_key", test_unique_on_key, LEN(engines));
	add_loop_case(s, "test_relationships_redirected", test_relationships_redirected,
	              LEN(engines));
	add_loop_case(s, "test_row_count", test_row_count, LEN(engines));
	add_loop_case(s, "test_freshness", test_freshness, LEN(engines));
	add_loop_case(s, "test_sql_file", test_sql_file, LEN(engines));
	add_loop_case(s, "test_error_keeps_transaction", test_error_keeps_transaction,
	              LEN(engines));
	add_loop_case(s, "test_drift", test_drift, LEN(engines));
	add_loop_case(s, "test_checks_run", test_checks_run, LEN(engines));
	return s;
}

int
main(void)
{
	int rc = dbtest_setup("check_checks");

	if (rc)
		return rc < 0 ? 0 : 1;
	if (!getenv("CHACC_TEST_PG_SOCKET")) {
		printf("check_checks: CHACC_TEST_PG_SOCKET is not set, skipping\n");
		return 0;
	}
	return run_suite(checks_suite());
}
