/*
 * check_changes.c: extracts that capture changes from the source's binary
 * log (incremental: {changes: binlog}). The test source server keeps a ROW
 * binary log (tests/run). After each batch of changes, an incremental
 * build gives exactly the rows of the source's query: inserts, updates,
 * deletes, voids, a rolled-back transaction, a large transaction, a
 * rename that reaches rows through a SQL file, a schema change of an
 * unrelated table, purged logs, kill -9 between reading the log and
 * committing, a source restart in the middle.
 */
#include <check.h>

#include "pausetest.h"

static const char recipe[] =
	"name: changes\n" TEST_CONNECTIONS
	"defaults: { retries: 2, retry_delay: 100ms }\n"
	"targets:\n"
	"  - name: obs\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/obs.sql\n"
	"    key: [obs_id]\n"
	"    incremental:\n"
	"      changes: binlog\n"
	"      column: changed_at\n"
	"      deleted: voided\n"
	"      lookback: 1s\n"
	"      tables: { obs: obs_id, concept: sql/concept_obs.sql }\n"
	"  - name: per_concept\n"
	"    kind: table\n"
	"    needs: [obs]\n"
	"    query: sql/per_concept.sql\n"
	"    key: [name]\n";

/* the oracle: what a full read of the source gives, without the voided rows */
static const char oracle[] =
	"(SELECT o.obs_id, o.person_id, c.name, o.v FROM obs o JOIN concept c"
	" ON c.concept_id = o.concept_id WHERE o.voided = 0) q";

/* the source's tables with rows obs (none when 0) */
static void
changes_tables(struct proj *p, int rows)
{
	sql(p->src, "CREATE TABLE concept (concept_id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)");
	sql(p->src, "CREATE TABLE obs (obs_id INT PRIMARY KEY, person_id INT NOT NULL,"
	    " concept_id INT NOT NULL, v VARCHAR(20), voided TINYINT NOT NULL DEFAULT 0,"
	    " changed_at DATETIME(6) NOT NULL DEFAULT NOW(6) ON UPDATE NOW(6), KEY (concept_id))");
	sql(p->src, "INSERT INTO concept VALUES (1, 'weight'), (2, 'height'), (3, 'pulse')");
	if (rows > 0)
		sql(p->src, "INSERT INTO obs (obs_id, person_id, concept_id, v)"
		    " SELECT seq, seq %% 97, 1 + seq %% 3, CONCAT('v', seq) FROM seq_1_to_%d", rows);
}

static void
changes_proj_on(struct proj *p, const char *name, int rows, const char *engine)
{
	proj_new_on(p, name, engine);
	changes_tables(p, rows);
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/obs.sql",
	           "SELECT o.obs_id, o.person_id, c.name, o.v, o.voided, o.changed_at\n"
	           "FROM obs o JOIN concept c ON c.concept_id = o.concept_id\n");
	write_file(p, "sql/concept_obs.sql",
	           "SELECT obs_id FROM obs WHERE concept_id = ${row.concept_id}\n");
	write_file(p, "sql/per_concept.sql",
	           "SELECT name, COUNT(*) AS n FROM obs GROUP BY name\n");
}

static void
changes_proj(struct proj *p, const char *name, int rows)
{
	changes_proj_on(p, name, rows, "mariadb");
}

/* the target's obs holds exactly the oracle's rows, and per_concept follows */
static void
assert_same(struct proj *p)
{
	char *want = rows_digest(p->src, "obs_id, person_id, name, v", oracle);
	char *got = rows_digest(p->tgt, "obs_id, person_id, name, v", "obs");
	char *grouped = xasprintf("%s GROUP BY name", oracle);
	char *wc = rows_digest(p->src, "name, COUNT(*)", grouped);
	char *gc = rows_digest(p->tgt, "name, n", "per_concept");

	ck_assert_msg(strcmp(want, got) == 0, "obs: %s in the target, %s in the source", got, want);
	ck_assert_msg(strcmp(wc, gc) == 0, "per_concept: %s, want %s",
	              gc, wc);
	free(want);
	free(got);
	free(wc);
	free(gc);
	free(grouped);
}

/* a build that must succeed, and whose output holds want (or NULL) */
static void
build_ok(struct proj *p, const char *want)
{
	struct result r = chacc(p, "build");

	assert_ok(&r);
	ck_assert_msg(!want || strstr(r.out, want) || strstr(r.err, want), "no '%s' in:\n%s\n%s",
	              want, r.out, r.err);
	result_free(&r);
}

/* the plan's item for obs, as plan --json prints it */
static char *
plan_obs(struct proj *p)
{
	struct result r = chacc(p, "plan", "--json", "obs");
	char *item;

	assert_ok(&r);
	item = xstrdup(r.out);
	result_free(&r);
	return item;
}

START_TEST(test_follows_changes)
{
	struct proj p;
	char *plan, *pos, *moved;

	changes_proj(&p, "follow", 50);
	build_ok(&p, NULL);
	assert_same(&p);
	assert_val(p.tgt, "(binlog)", "SELECT column_name FROM etl_watermarks WHERE target = 'obs'");
	plan = plan_obs(&p);
	ck_assert_msg(strstr(plan, "[]") || !strstr(plan, "\"obs\""), "an idle source planned obs: %s",
	              plan);
	free(plan);

	sql(p.src, "INSERT INTO obs (obs_id, person_id, concept_id, v) VALUES (51, 5, 1, 'new')");
	sql(p.src, "UPDATE obs SET v = 'edited' WHERE obs_id = 2");
	sql(p.src, "DELETE FROM obs WHERE obs_id = 3");
	sql(p.src, "UPDATE obs SET voided = 1 WHERE obs_id = 4");
	sql(p.src, "START TRANSACTION");
	sql(p.src, "INSERT INTO obs (obs_id, person_id, concept_id, v) VALUES (99, 9, 1, 'never')");
	sql(p.src, "UPDATE obs SET v = 'never' WHERE obs_id = 5");
	sql(p.src, "ROLLBACK");
	/* a rename reaches every obs of the concept through sql/concept_obs.sql */
	sql(p.src, "UPDATE concept SET name = 'body height' WHERE concept_id = 2");
	/* a schema change of an unrelated table is no change */
	sql(p.src, "CREATE TABLE unrelated (x INT)");
	sql(p.src, "ALTER TABLE unrelated ADD COLUMN y INT");
	plan = plan_obs(&p);
	ck_assert_msg(strstr(plan, "\"reason\": \"source\"") && strstr(plan, "\"incremental\""),
	              "%s", plan);
	free(plan);
	build_ok(&p, "obs:");
	assert_same(&p);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM obs WHERE obs_id IN (3, 4, 99)");
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'obs'"
	           " AND JSON_VALUE(key_json, '$.obs_id') IN ('3', '4')");
	/* only the rows that changed were written: the 31 others keep their first stamp */
	assert_val(p.tgt, "31", "SELECT COUNT(*) FROM obs WHERE name <> 'body height' AND"
	           " obs_id NOT IN (2, 51)");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM obs WHERE name <> 'body height' AND"
	           " obs_id NOT IN (2, 51) AND _chacc_changed_at >"
	           " (SELECT MIN(_chacc_changed_at) FROM obs)");

	/* an unrelated change later: planned as nothing to do */
	sql(p.src, "INSERT INTO unrelated VALUES (1, 2)");
	plan = plan_obs(&p);
	ck_assert_msg(!strstr(plan, "\"obs\""), "a change to another table planned obs: %s", plan);
	free(plan);
	/* a build with nothing to do moves the position past it; a plan does not */
	pos = val(p.tgt, "SELECT last_value FROM etl_watermarks WHERE target = 'obs'");
	build_ok(&p, "nothing to do");
	moved = val(p.tgt, "SELECT last_value FROM etl_watermarks WHERE target = 'obs'");
	ck_assert_msg(strcmp(pos, moved) != 0, "the position stayed at %s", pos);
	free(pos);
	free(moved);

	/* incremental equals a full refresh */
	{
		struct result r = chacc(&p, "build", "--full-refresh");
		assert_ok(&r);
		result_free(&r);
	}
	assert_same(&p);
	proj_free(&p);
}
END_TEST

/* a MariaDB source followed into a PostgreSQL target */
START_TEST(test_postgres_target)
{
	struct proj p;
	struct result r;

	changes_proj_on(&p, "pgtarget", 40, "postgres");
	build_ok(&p, NULL);
	assert_same(&p);
	sql(p.src, "INSERT INTO obs (obs_id, person_id, concept_id, v) VALUES (41, 5, 1, 'new')");
	sql(p.src, "UPDATE obs SET v = 'edited' WHERE obs_id = 2");
	sql(p.src, "DELETE FROM obs WHERE obs_id = 3");
	sql(p.src, "UPDATE obs SET voided = 1 WHERE obs_id = 4");
	sql(p.src, "UPDATE concept SET name = 'body height' WHERE concept_id = 2");
	build_ok(&p, "obs:");
	assert_same(&p);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'obs'");
	r = chacc(&p, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	assert_same(&p);
	proj_free(&p);
}
END_TEST

START_TEST(test_since_rereads)
{
	struct proj p;
	struct result r;

	changes_proj(&p, "since", 20);
	build_ok(&p, NULL);
	/* someone damaged the analytics copy; the log knows nothing of it */
	sql(p.tgt, "UPDATE obs SET v = 'damaged' WHERE obs_id = 7");
	sql(p.src, "UPDATE obs SET v = 'logged' WHERE obs_id = 8");
	r = chacc(&p, "build", "--since", "2000-01-01");
	assert_ok(&r);
	result_free(&r);
	assert_same(&p);
	/* and the log is followed on from where that build read it */
	sql(p.src, "UPDATE obs SET v = 'later' WHERE obs_id = 9");
	build_ok(&p, NULL);
	assert_same(&p);
	proj_free(&p);
}
END_TEST

/*
 * a row image of every kind of column: the key comes after them all, so
 * each one is stepped over, and a child table's typed values reach it
 * through a SQL file
 */
START_TEST(test_every_column_type)
{
	static const char typed[] =
		"name: typed\n" TEST_CONNECTIONS
		"targets:\n"
		"  - name: typed\n"
		"    kind: extract\n"
		"    from: source\n"
		"    query: typed.sql\n"
		"    key: [k]\n"
		"    incremental:\n"
		"      changes: binlog\n"
		"      tables: { typed: k, child: child.sql }\n";
	static const char cols[] =
		" ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT UNSIGNED,"
		" d DECIMAL(20,6), d2 DECIMAL(5,0), f FLOAT, db DOUBLE, dt DATETIME(6), dt0 DATETIME,"
		" ts TIMESTAMP(3) NULL, dd DATE, tm TIME(2), y YEAR, c CHAR(38), vc VARCHAR(300),"
		" tx TEXT, bl BLOB, e ENUM('a','b','c'), st SET('x','y'), bt BIT(10), j JSON,"
		" u INT UNSIGNED";
	static const char one[] =
		"-5, 65535, -8000000, 18446744073709551615, -12345678901.123456, 99999, 1.5,"
		" -2.25, '2026-03-04 05:06:07.089', '1999-12-31 23:59:59', '2026-01-02 03:04:05.678',"
		" '2026-02-03', '-12:34:56.78', 2026, 'c-uuid', REPEAT('v', 300), 'text', 'blob',"
		" 'b', 'x,y', b'1010101010', '{\"a\": 1}', 4000000000";
	struct proj p;
	char *want, *got;

	proj_new(&p, "typed");
	sql(p.src, "CREATE TABLE typed (id INT PRIMARY KEY AUTO_INCREMENT, %s, k VARCHAR(10) NOT NULL,"
	    " UNIQUE KEY (k))", cols);
	sql(p.src, "CREATE TABLE child (id INT PRIMARY KEY AUTO_INCREMENT, %s)", cols);
	sql(p.src, "INSERT INTO typed VALUES (NULL, %s, 'one')", one);
	sql(p.src, "INSERT INTO typed (k) VALUES ('nulls')");
	write_file(&p, "chacc.yml", typed);
	write_file(&p, "typed.sql", "SELECT k, d, dt, c, note FROM typed"
	           " LEFT JOIN (SELECT 'seen' AS note) n ON EXISTS (SELECT 1 FROM child)\n");
	/* the child's row matches typed's on every typed value */
	write_file(&p, "child.sql", "SELECT k FROM typed WHERE ti = ${row.ti} AND si = ${row.si}"
	           " AND mi = ${row.mi} AND bi = ${row.bi} AND d = ${row.d} AND d2 = ${row.d2}"
	           " AND f = ${row.f} AND db = ${row.db} AND dt = ${row.dt} AND dt0 = ${row.dt0}"
	           " AND dd = ${row.dd} AND tm = ${row.tm} AND y = ${row.y} AND c = ${row.c}"
	           " AND vc = ${row.vc} AND tx = ${row.tx} AND bl = ${row.bl} AND e = ${row.e}"
	           " AND u = ${row.u}\n");
	build_ok(&p, NULL);
	sql(p.src, "UPDATE typed SET vc = 'edited' WHERE k = 'one'");
	sql(p.src, "UPDATE typed SET vc = REPEAT('v', 300), d = d WHERE k = 'one'");
	sql(p.src, "INSERT INTO typed VALUES (NULL, %s, 'two')", one);
	sql(p.src, "DELETE FROM typed WHERE k = 'nulls'");
	build_ok(&p, NULL);
	want = rows_digest(p.src, "k, d, dt, c", "typed");
	got = rows_digest(p.tgt, "k, d, dt, c", "typed");
	ck_assert_msg(strcmp(want, got) == 0, "%s, want %s", got, want);
	free(want);
	free(got);
	/* a child row: its values reach 'one' and 'two'; the query now says 'seen' */
	sql(p.src, "INSERT INTO child SELECT NULL, %s", one);
	build_ok(&p, NULL);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM typed WHERE note = 'seen'");
	proj_free(&p);
}
END_TEST

START_TEST(test_large_transaction)
{
	struct proj p;

	changes_proj(&p, "large", 10000);
	build_ok(&p, NULL);
	/* 2500 rows in one transaction: read again in three batches */
	sql(p.src, "UPDATE obs SET v = CONCAT('u', obs_id) WHERE obs_id %% 4 = 0");
	build_ok(&p, "obs: ");
	assert_same(&p);
	assert_val(p.tgt, "2500", "SELECT COUNT(*) FROM obs WHERE v LIKE 'u%%'");
	/* half the rows: one full read is cheaper, and the run says why */
	sql(p.src, "START TRANSACTION");
	sql(p.src, "UPDATE obs SET v = CONCAT('w', obs_id) WHERE obs_id %% 2 = 1");
	sql(p.src, "INSERT INTO obs (obs_id, person_id, concept_id, v)"
	    " SELECT 10000 + seq, 1, 1, 'late' FROM seq_1_to_100");
	sql(p.src, "COMMIT");
	build_ok(&p, "% of keys changed: building in full");
	assert_same(&p);
	proj_free(&p);
}
END_TEST

/* purge every binary log but the current one (a log stays until its checkpoint is written) */
static void
purge_logs(struct db *src)
{
	struct dbres *r = db_query(src, "SHOW MASTER STATUS");
	char *file;

	ck_assert(r && dbres_next(r));
	file = xstrdup(dbres_get(r, 0));
	dbres_free(r);
	for (int i = 0; i < 100; i++) {
		sql(src, "PURGE BINARY LOGS TO '%s'", file);
		r = db_query(src, "SHOW BINARY LOGS");
		ck_assert(r != NULL);
		if (dbres_nrows(r) == 1) {
			dbres_free(r);
			break;
		}
		dbres_free(r);
		usleep(50000);
	}
	free(file);
}

START_TEST(test_position_lost)
{
	struct proj p;
	char *plan;

	changes_proj(&p, "lost", 20);
	build_ok(&p, NULL);
	sql(p.src, "UPDATE obs SET v = 'before purge' WHERE obs_id = 1");
	sql(p.src, "FLUSH BINARY LOGS");
	purge_logs(p.src);
	sql(p.src, "UPDATE obs SET v = 'after purge' WHERE obs_id = 2");
	plan = plan_obs(&p);
	ck_assert_msg(strstr(plan, "binlog position lost") && strstr(plan, "\"full\""), "%s", plan);
	free(plan);
	build_ok(&p, NULL);
	assert_same(&p);
	assert_val(p.tgt, "before purge", "SELECT v FROM obs WHERE obs_id = 1");
	/* and it follows the log again from the full read's position */
	sql(p.src, "UPDATE obs SET v = 'again' WHERE obs_id = 3");
	plan = plan_obs(&p);
	ck_assert_msg(strstr(plan, "\"incremental\""), "%s", plan);
	free(plan);
	build_ok(&p, NULL);
	assert_same(&p);
	proj_free(&p);
}
END_TEST

/*
 * the log goes on in a new file (FLUSH BINARY LOGS, as logrotate does): the
 * reads cross the rotate event and go on from the new file, incrementally
 */
START_TEST(test_log_rotates)
{
	struct proj p;
	char *plan;

	changes_proj(&p, "rotates", 20);
	build_ok(&p, NULL);
	for (int i = 1; i <= 3; i++) {
		sql(p.src, "UPDATE obs SET v = 'before rotate %d' WHERE obs_id = %d", i, i);
		sql(p.src, "FLUSH BINARY LOGS");
		sql(p.src, "UPDATE obs SET v = 'after rotate %d' WHERE obs_id = %d", i, 10 + i);
		plan = plan_obs(&p);
		ck_assert_msg(strstr(plan, "\"incremental\"") && !strstr(plan, "lost"),
		              "rotation %d: %s", i, plan);
		free(plan);
		build_ok(&p, NULL);
		assert_same(&p);
	}
	/* deletes come from the log: the plan does not send them to --full-refresh */
	{
		char *text = str_replace(recipe, "      deleted: voided\n", "");
		struct result r;

		write_file(&p, "chacc.yml", text);
		free(text);
		r = chacc(&p, "plan", "obs");
		assert_ok(&r);
		ck_assert_msg(!strstr(r.out, "caught by --full-refresh only"), "%s", r.out);
		result_free(&r);
	}
	proj_free(&p);
}
END_TEST

/* kill -9 at point, then more changes: the next build converges */
static void
killed_at(const char *name, const char *point)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"obs", NULL };

	changes_proj(&p, name, 30);
	build_ok(&p, NULL);
	sql(p.src, "UPDATE obs SET v = 'first' WHERE obs_id = 1");
	sql(p.src, "DELETE FROM obs WHERE obs_id = 2");
	start_paused(&p, &b, point, args);
	kill(b.pid, SIGKILL);
	r = resume(&b);
	ck_assert_msg(r.status == 128 + SIGKILL, "exit %d", r.status);
	result_free(&r);
	/* nothing of the killed build was published */
	assert_val(p.tgt, "v1", "SELECT v FROM obs WHERE obs_id = 1");
	sql(p.src, "UPDATE obs SET v = 'second' WHERE obs_id = 3");
	build_ok(&p, NULL);
	assert_same(&p);
	assert_val(p.tgt, "first", "SELECT v FROM obs WHERE obs_id = 1");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM obs WHERE obs_id = 2");
	proj_free(&p);
}

START_TEST(test_killed_after_reading_the_log)
{
	killed_at("kill_read", "after-log-read:obs");
}
END_TEST

START_TEST(test_killed_before_commit)
{
	killed_at("kill_commit", "before-commit:obs");
}
END_TEST

/*
 * readers at once, each a replica with a server id of its own: a server
 * drops a replica's connection when another connects with its id
 */
START_TEST(test_readers_at_once)
{
	enum { N = 4 };
	struct proj p;
	char *args[] = { (char *)"plan", (char *)"--json", (char *)"obs", NULL };
	int out[N], err[N];
	pid_t pid[N];

	changes_proj(&p, "readers", 20);
	build_ok(&p, NULL);
	/* a long log to read before the change that matters */
	sql(p.src, "CREATE TABLE filler (id INT PRIMARY KEY, pad VARCHAR(200))");
	for (int i = 0; i < 4; i++)
		sql(p.src, "INSERT INTO filler SELECT seq + %d, REPEAT('x', 200) FROM seq_1_to_20000",
		    i * 20000);
	sql(p.src, "UPDATE obs SET v = 'late' WHERE obs_id = 1");
	for (int i = 0; i < N; i++)
		pid[i] = chacc_start(&p, NULL, &out[i], &err[i], args);
	for (int i = 0; i < N; i++) {
		int status = wait_status(pid[i]);
		char *o = slurp_fd(out[i]), *e = slurp_fd(err[i]);

		ck_assert_msg(status == 0 && strstr(o, "\"reason\": \"source\""),
		              "reader %d: exit %d\n%s\n%s", i, status, o, e);
		free(o);
		free(e);
	}
	build_ok(&p, NULL);
	assert_same(&p);
	proj_free(&p);
}
END_TEST

/* mariadb-local WHAT DIR (with env before it) */
static void
server_ctl(const char *env, const char *what, const char *dir)
{
	char *cmd = xasprintf("%s '%s' %s '%s' >/dev/null", env, getenv("CHACC_TEST_MARIADB_LOCAL"),
	                      what, dir);

	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	free(cmd);
}

/*
 * the source goes away between reading the log and reading the rows: a
 * server of the test's own with a binary log (the lane's source stays up
 * for the other suites), stopped and started again; its log goes on in a
 * new file
 */
START_TEST(test_source_restart)
{
	struct proj p;
	struct paused b;
	struct result r;
	char *args[] = { (char *)"build", (char *)"obs", NULL };
	char *dir = xasprintf("%s/cdcsrc", getenv("CHACC_TEST_DIR"));
	char *sock = xasprintf("%s/mysqld.sock", dir), *env, *line;

	server_ctl("MARIADB_LOCAL_BINLOG=1", "start", dir);
	changes_proj(&p, "restart", 0);
	/* the project's source is that server, with the same tables */
	db_close(p.src);
	p.src = connect_to(&p.srcc, sock, NULL);
	sql(p.src, "DROP DATABASE IF EXISTS %s", p.srcdb);
	sql(p.src, "CREATE DATABASE %s", p.srcdb);
	sql(p.src, "USE %s", p.srcdb);
	changes_tables(&p, 30);
	line = xasprintf("SOURCE_DB_SOCKET=%s\n", getenv("CHACC_TEST_SRC_SOCKET"));
	env = xasprintf("SOURCE_DB_SOCKET=%s\n", sock);
	{
		char *path = xasprintf("%s/.env", p.dir), *text = NULL, *fixed;
		FILE *f = fopen(path, "r");
		size_t n = 0;

		ck_assert(f != NULL);
		ck_assert(getdelim(&text, &n, '\0', f) > 0);
		fclose(f);
		fixed = str_replace(text, line, env);
		write_file(&p, ".env", fixed);
		free(fixed);
		free(text);
		free(path);
	}
	free(line);
	free(env);
	build_ok(&p, NULL);
	sql(p.src, "UPDATE obs SET v = 'before' WHERE obs_id = 1");
	start_paused(&p, &b, "after-log-read:obs", args);
	db_close(p.src);
	server_ctl("", "stop", dir);
	server_ctl("", "start", dir);
	r = resume(&b);
	result_free(&r);
	p.src = connect_to(&p.srcc, sock, p.srcdb);
	sql(p.src, "UPDATE obs SET v = 'after' WHERE obs_id = 2");
	build_ok(&p, NULL);
	assert_same(&p);
	assert_val(p.tgt, "before", "SELECT v FROM obs WHERE obs_id = 1");
	assert_val(p.tgt, "after", "SELECT v FROM obs WHERE obs_id = 2");
	/* the position went on past the restart: the next build reads the log */
	sql(p.src, "UPDATE obs SET v = 'later' WHERE obs_id = 3");
	{
		char *plan = plan_obs(&p);

		ck_assert_msg(strstr(plan, "\"incremental\"") && !strstr(plan, "lost"), "%s", plan);
		free(plan);
	}
	build_ok(&p, NULL);
	assert_same(&p);
	proj_free(&p);
	server_ctl("", "stop", dir);
	free(sock);
	free(dir);
}
END_TEST

/*
 * p's source log cannot be followed: its first build says so, the plan
 * says why, and the watermark column carries the next build
 */
static void
log_unusable(struct proj *p, const char *why)
{
	char *plan;

	build_ok(p, "change capture unavailable");
	assert_same(p);
	sql(p->src, "UPDATE obs SET v = 'by watermark' WHERE obs_id = 1");
	plan = plan_obs(p);
	ck_assert_msg(strstr(plan, why), "%s", plan);
	free(plan);
	build_ok(p, NULL);
	assert_same(p);
}

START_TEST(test_unusable_log)
{
	struct proj p;
	struct result r;
	char *plan, *path, *text;
	FILE *f;

	changes_proj(&p, "norepl", 20);
	/* a user who may read the rows but not the binary log */
	sql(p.src, "DROP USER IF EXISTS 'norepl'@'localhost'");
	sql(p.src, "CREATE USER 'norepl'@'localhost' IDENTIFIED BY 'norepl'");
	sql(p.src, "GRANT SELECT ON %s.* TO 'norepl'@'localhost'", p.srcdb);
	path = xasprintf("%s/.env", p.dir);
	ck_assert((f = fopen(path, "a")) != NULL);
	fputs("SOURCE_DB_USER=norepl\nSOURCE_DB_PASSWORD=norepl\n", f);
	fclose(f);
	free(path);
	log_unusable(&p, "lacks REPLICATION SLAVE");
	/* up to date by its watermark (its lookback window closed): plan still says why not the log */
	sql(p.tgt, "UPDATE etl_watermarks SET window_open = 0 WHERE target = 'obs'");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "warning: target 'obs' is up to date, but change capture "
	                     "unavailable") && strstr(r.err, "REPLICATION SLAVE"), "%s\n%s", r.out,
	              r.err);
	result_free(&r);
	/* a recipe without a watermark column builds in full */
	text = str_replace(recipe, "      column: changed_at\n", "");
	write_file(&p, "chacc.yml", text);
	free(text);
	plan = plan_obs(&p);
	ck_assert_msg(strstr(plan, "\"full\""), "%s", plan);
	free(plan);
	sql(p.src, "DROP USER 'norepl'@'localhost'");
	proj_free(&p);
}
END_TEST

/* a source given as several nodes: a log position of one node holds on no other */
START_TEST(test_several_nodes)
{
	struct proj p;
	char *text, *nodes;

	changes_proj(&p, "nodes", 20);
	nodes = xasprintf("    hosts: '127.0.0.1:%s,127.0.0.1:%s'\n", getenv("CHACC_TEST_SRC_PORT"),
	                  getenv("CHACC_TEST_SRC_PORT"));
	text = str_replace(recipe, "    socket: ${SOURCE_DB_SOCKET}\n", nodes);
	write_file(&p, "chacc.yml", text);
	free(text);
	free(nodes);
	log_unusable(&p, "connection 'source' lists 2 nodes (hosts:)");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s;
	SRunner *sr;
	int failed;

	if (itest_setup("check_changes") < 0)
		return 0;
	s = suite_create("changes");
	add_case(s, "follows_changes", test_follows_changes);
	add_case(s, "several_nodes", test_several_nodes);
	add_case(s, "postgres_target", test_postgres_target);
	add_case(s, "since_rereads", test_since_rereads);
	add_case(s, "every_column_type", test_every_column_type);
	add_case(s, "large_transaction", test_large_transaction);
	add_case(s, "position_lost", test_position_lost);
	add_case(s, "log_rotates", test_log_rotates);
	add_case(s, "killed_after_reading_the_log", test_killed_after_reading_the_log);
	add_case(s, "killed_before_commit", test_killed_before_commit);
	add_case(s, "source_restart", test_source_restart);
	add_case(s, "readers_at_once", test_readers_at_once);
	add_case(s, "unusable_log", test_unusable_log);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
