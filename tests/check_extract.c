/* check_extract.c: extracts and incremental loads: exactness, crashes, restarts, bad input */
#include "itest.h"

static const char recipe[] =
	"chacc: 1\n"
	"name: obsrec\n"
	TEST_CONNECTIONS
	"defaults: { retries: 2, retry_delay: 200ms }\n"
	"targets:\n"
	"  - name: obs\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/obs.sql\n"
	"    key: [obs_id, part]\n"
	"    indexes: [[person_id]]\n"
	"    incremental: { column: changed_at, deleted: voided, lookback: 1s }\n"
	"  - name: person_obs\n"
	"    kind: table\n"
	"    needs: [obs]\n"
	"    query: sql/person_obs.sql\n"
	"    key: [obs_id, part]\n"
	"    incremental: true\n"
	"  - name: per_person\n"
	"    kind: table\n"
	"    needs: [person_obs]\n"
	"    query: sql/per_person.sql\n"
	"    key: [person_id]\n";

static const char obs_sql[] =
	"SELECT obs_id, part, person_id, concept, value_numeric, value_text, voided,\n"
	"       GREATEST(date_created, COALESCE(date_changed, date_created),\n"
	"                COALESCE(date_voided, date_created)) AS changed_at\n"
	"FROM obs\n";

/* the rows the extract must hold, computed on the source independently */
static const char oracle_cols[] =
	"obs_id, part, person_id, concept, value_numeric, value_text, voided";

/* the engines of the tests that run on both (a loop test's _i) */
static const char *const engines[] = { "mariadb", "postgres" };

static void
proj_obs_on(struct proj *p, const char *name, int rows, const char *engine)
{
	proj_new_on(p, name, engine);
	sql(p->src, "CREATE TABLE obs (obs_id INT NOT NULL, part CHAR(1) NOT NULL,"
	    " person_id INT NOT NULL, concept VARCHAR(40) NOT NULL, value_numeric DOUBLE NULL,"
	    " value_text TEXT NULL, date_created DATETIME NOT NULL, date_changed DATETIME NULL,"
	    " voided TINYINT NOT NULL DEFAULT 0, date_voided DATETIME NULL,"
	    " PRIMARY KEY (obs_id, part))");
	sql(p->src, "INSERT INTO obs SELECT seq, IF(seq %% 2, 'a', 'b'), seq %% 97,"
	    " ELT(1 + seq %% 3, 'WEIGHT', 'HEIGHT', 'NOTE'), IF(seq %% 3 = 2, NULL, seq / 7),"
	    " IF(seq %% 3 = 2, CONCAT('note ', seq, ' caf\xc3\xa9 \xf0\x9f\x98\x80'), NULL),"
	    " NOW() - INTERVAL 2 DAY, NULL, 0, NULL FROM seq_1_to_%d", rows);
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/obs.sql", obs_sql);
	write_file(p, "sql/person_obs.sql",
	           "SELECT obs_id, part, person_id, UPPER(concept) AS concept, value_numeric\n"
	           "FROM obs WHERE ${since} IS NULL OR _chacc_changed_at > ${since}\n");
	/* a sum of doubles depends on the order the rows are read in: compared as a decimal */
	write_file(p, "sql/per_person.sql",
	           "SELECT person_id, COUNT(*) AS n, CAST(SUM(value_numeric) AS DECIMAL(30,6)) AS total\n"
	           "FROM person_obs GROUP BY person_id\n");
}

static void
proj_obs(struct proj *p, const char *name, int rows)
{
	proj_obs_on(p, name, rows, "mariadb");
}

/* "count:sum of row hashes" over cols of a query, the same on any server and engine */
static char *
rows_checksum(struct db *d, const char *cols, const char *from)
{
	return rows_digest(d, cols, from);
}

/* checksum of every column of a built table but its change stamp */
static char *
table_checksum(struct db *d, const char *table)
{
	struct db_names cols = { 0 };
	struct buf b;
	char *sum;

	ck_assert_msg(db_table_columns(d, table, &cols) == 0, "%s: %s", table, db_error(d));
	buf_init(&b);
	for (size_t i = 0; i < cols.n; i++)
		buf_addf(&b, "%s%s", i ? "," : "", cols.v[i]);
	sum = rows_checksum(d, b.s, table);
	buf_release(&b);
	db_names_release(&cols);
	return sum;
}

static void
assert_obs_matches_source(struct proj *p)
{
	char *want = rows_checksum(p->src, oracle_cols, "obs WHERE voided = 0");
	char *got = rows_checksum(p->tgt, oracle_cols, "obs");

	ck_assert_msg(strcmp(want, got) == 0, "obs: target %s, source %s", got, want);
	free(want);
	free(got);
}

static void
assert_no_leftovers(struct proj *p)
{
	char *schema = db_quote(p->tgt, db_name(p->tgt)), *q;

	q = xasprintf("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s"
	              " AND table_name LIKE '\\_chacc%%'", schema);
	assert_val(p->tgt, "0", q);
	free(q);
	free(schema);
}

/* a random batch of inserts, updates and voids, stamped now */
static void
random_batch(struct proj *p, unsigned *seed)
{
	int base = 100000 + rand_r(seed) % 100000;

	sql(p->src, "INSERT IGNORE INTO obs SELECT %d + seq, 'a', seq %% 13, 'WEIGHT', seq * 1.5,"
	    " NULL, NOW(), NULL, 0, NULL FROM seq_1_to_%d", base, 5 + rand_r(seed) % 20);
	sql(p->src, "UPDATE obs SET value_numeric = value_numeric + 1, date_changed = NOW()"
	    " WHERE voided = 0 AND obs_id %% %d = %d", 50 + rand_r(seed) % 50, rand_r(seed) % 50);
	sql(p->src, "UPDATE obs SET voided = 1, date_voided = NOW()"
	    " WHERE voided = 0 AND obs_id %% %d = %d", 80 + rand_r(seed) % 50, rand_r(seed) % 80);
	/* a row changes in a way that only case tells apart */
	sql(p->src, "UPDATE obs SET value_text = UPPER(value_text), date_changed = NOW()"
	    " WHERE value_text IS NOT NULL AND voided = 0 ORDER BY obs_id LIMIT 1");
}

static void
build_ok(struct proj *p)
{
	struct result r = chacc(p, "build");

	assert_ok(&r);
	result_free(&r);
}

START_TEST(test_incremental_equals_full)
{
	struct proj p;
	unsigned seed = 42;
	char *sums[3], *fresh[3];
	const char *tables[] = { "obs", "person_obs", "per_person" };

	proj_obs_on(&p, _i ? "eqfull_pg" : "eqfull", 3000, engines[_i]);
	build_ok(&p);
	assert_obs_matches_source(&p);
	for (int batch = 0; batch < 3; batch++) {
		char *mode;

		random_batch(&p, &seed);
		build_ok(&p);
		mode = val(p.tgt, "SELECT mode FROM etl_run_targets WHERE target = 'obs'"
		           " ORDER BY run_id DESC LIMIT 1");
		ck_assert_str_eq(mode, "incremental");
		free(mode);
		assert_obs_matches_source(&p);
	}
	assert_val(p.tgt, "incremental", "SELECT mode FROM etl_run_targets WHERE target = 'person_obs'"
	           " ORDER BY run_id DESC LIMIT 1");
	/* the row counts of incremental builds add up without counting the table */
	for (int i = 0; i < 2; i++) {
		char *q = xasprintf("SELECT CASE WHEN (SELECT row_count FROM etl_metadata WHERE target ="
		                    " '%s') = (SELECT COUNT(*) FROM %s) THEN 1 ELSE 0 END", tables[i],
		                    tables[i]);

		assert_val(p.tgt, "1", q);
		free(q);
	}
	for (int i = 0; i < 3; i++)
		sums[i] = table_checksum(p.tgt, tables[i]);
	{
		struct result r = chacc(&p, "build", "--full-refresh");

		assert_ok(&r);
		result_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		fresh[i] = table_checksum(p.tgt, tables[i]);
		ck_assert_msg(strcmp(sums[i], fresh[i]) == 0, "%s: incremental %s, full %s", tables[i],
		              sums[i], fresh[i]);
		free(sums[i]);
		free(fresh[i]);
	}
	/* deletes were recorded, and the downstream table followed them */
	assert_val(p.tgt, "1", "SELECT CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0 END FROM etl_deletes"
	           " WHERE target = 'obs'");
	assert_val(p.tgt, "1", "SELECT CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0 END FROM etl_deletes"
	           " WHERE target = 'person_obs'");
	assert_no_leftovers(&p);
	proj_free(&p);
}
END_TEST

START_TEST(test_changed_at_moves_only_with_values)
{
	struct proj p;
	char *s1, *s2;

	proj_obs(&p, "stamp", 200);
	build_ok(&p);
	sql(p.src, "UPDATE obs SET value_numeric = -1, date_changed = NOW() WHERE obs_id = 3");
	build_ok(&p);
	/* only the changed row got a new stamp */
	assert_val(p.tgt, "199", "SELECT COUNT(*) FROM obs WHERE"
	           " _chacc_changed_at = (SELECT MIN(_chacc_changed_at) FROM obs)");
	s1 = val(p.tgt, "SELECT _chacc_changed_at FROM obs WHERE obs_id = 3");
	/* reading row 3 again, unchanged, leaves its stamp alone */
	{
		char *day = val(p.src, "SELECT DATE(NOW() - INTERVAL 3 DAY)");
		struct result r = chacc(&p, "build", "--since", day);

		assert_ok(&r);
		result_free(&r);
		free(day);
	}
	assert_val(p.tgt, "incremental", "SELECT mode FROM etl_run_targets WHERE target = 'obs'"
	           " ORDER BY run_id DESC LIMIT 1");
	s2 = val(p.tgt, "SELECT _chacc_changed_at FROM obs WHERE obs_id = 3");
	ck_assert_str_eq(s1, s2);
	free(s1);
	free(s2);
	proj_free(&p);
}
END_TEST

START_TEST(test_empty_source_fills_later)
{
	struct proj p;
	struct result r;

	proj_obs(&p, "empty", 10);
	sql(p.src, "DELETE FROM obs");
	build_ok(&p);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM obs");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "an empty source stays out of date: %s", r.out);
	result_free(&r);
	sql(p.src, "INSERT INTO obs VALUES (1, 'a', 1, 'WEIGHT', 70, NULL, NOW() - INTERVAL 1 DAY,"
	    " NULL, 0, NULL)");
	r = chacc(&p, "plan", "--json", "obs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"source\""), "%s", r.out);
	result_free(&r);
	build_ok(&p);
	assert_obs_matches_source(&p);
	proj_free(&p);
}
END_TEST

START_TEST(test_since_repulls_from_a_date)
{
	struct proj p;
	struct result r;
	char *day;

	proj_obs(&p, "since", 100);
	build_ok(&p);
	/* someone damaged the analytics copy; --since re-reads and repairs it */
	sql(p.tgt, "UPDATE obs SET concept = 'damaged'");
	day = val(p.src, "SELECT DATE(NOW() - INTERVAL 3 DAY)");
	r = chacc(&p, "plan", "--since", day);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "obs") && strstr(r.out, "source"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--since", day);
	assert_ok(&r);
	result_free(&r);
	assert_obs_matches_source(&p);
	/* the Luigi guide's spelling */
	sql(p.tgt, "UPDATE obs SET concept = 'damaged'");
	r = chacc(&p, "build", "--incremental", "--last-updated", day);
	assert_ok(&r);
	result_free(&r);
	assert_obs_matches_source(&p);
	free(day);
	proj_free(&p);
}
END_TEST

START_TEST(test_lookback_window_then_no_op)
{
	struct proj p;
	struct result r;

	proj_obs(&p, "window", 50);
	/* a window wide enough that a slow machine still reads inside it */
	{
		char *y = str_replace(recipe, "lookback: 1s", "lookback: 5s");

		write_file(&p, "chacc.yml", y);
		free(y);
	}
	build_ok(&p);
	sql(p.src, "UPDATE obs SET value_numeric = 99, date_changed = NOW() WHERE obs_id = 7");
	build_ok(&p);
	assert_val(p.tgt, "1", "SELECT window_open FROM etl_watermarks WHERE target = 'obs'");
	/* a row that commits late with the watermark's second is still caught */
	sql(p.src, "UPDATE obs SET value_numeric = 98, date_changed ="
	    " (SELECT MAX(date_changed) FROM (SELECT date_changed FROM obs) x) WHERE obs_id = 8");
	sleep(6);
	r = chacc(&p, "plan", "--json", "obs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"reason\": \"source\""), "%s", r.out);
	result_free(&r);
	build_ok(&p);
	assert_obs_matches_source(&p);
	assert_val(p.tgt, "0", "SELECT window_open FROM etl_watermarks WHERE target = 'obs'");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* kill chacc at a point, then check that the next run converges */
static void
crash_at(struct proj *p, const char *point, bool full)
{
	char *env = xasprintf("CHACC_FAULT=%s:obs", point);
	char *want_person;
	struct result r;

	r = full ? chacc_env(p, env, "build", "--full-refresh", (char *)NULL) :
	           chacc_env(p, env, "build", (char *)NULL);
	ck_assert_msg(r.status == 128 + SIGKILL, "%s: exit %d: %s", point, r.status, r.err);
	result_free(&r);
	build_ok(p);
	assert_obs_matches_source(p);
	want_person = table_checksum(p->tgt, "person_obs");
	r = chacc(p, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	{
		char *got = table_checksum(p->tgt, "person_obs");

		ck_assert_msg(strcmp(got, want_person) == 0, "%s: person_obs %s after the crash,"
		              " %s after a full refresh", point, want_person, got);
		free(got);
	}
	assert_no_leftovers(p);
	free(want_person);
	free(env);
}

START_TEST(test_kill_at_every_point_converges)
{
	static const char *full_points[] = { "begin", "during-copy", "after-load", "before-swap",
	                                      "after-swap" };
	static const char *incr_points[] = { "during-copy", "after-load", "before-commit" };
	struct proj p;
	unsigned seed = 7;

	proj_obs_on(&p, _i ? "crash_pg" : "crash", 25000, engines[_i]);
	build_ok(&p);
	for (size_t i = 0; i < LEN(full_points); i++) {
		random_batch(&p, &seed);
		crash_at(&p, full_points[i], true);
	}
	for (size_t i = 0; i < LEN(incr_points); i++) {
		/* enough changed rows for the copy to report progress */
		sql(p.src, "UPDATE obs SET value_numeric = value_numeric + 1, date_changed = NOW()"
		    " WHERE obs_id <= 12000");
		random_batch(&p, &seed);
		crash_at(&p, incr_points[i], false);
	}
	proj_free(&p);
}
END_TEST

/* pause chacc at a point, restart a server, and let it go on */
static void
restart_during(struct proj *p, const char *point, const char *side)
{
	char *pausefile = xasprintf("%s/pause-%s", tmpdir, point);
	char *env1 = xasprintf("CHACC_PAUSE=%s:obs", point);
	char *args[] = { (char *)"build", (char *)"--full-refresh", NULL };
	char *cmd;
	int o, e, status;
	pid_t pid;

	unlink(pausefile);
	setenv("CHACC_PAUSE_FILE", pausefile, 1);
	pid = chacc_start(p, env1, &o, &e, args);
	for (int i = 0; i < 600 && access(pausefile, F_OK) != 0; i++)
		usleep(50000);
	ck_assert_msg(access(pausefile, F_OK) == 0, "chacc never reached '%s'", point);
	cmd = xasprintf("'%s' stop '%s/%s' >/dev/null && '%s' start '%s/%s' >/dev/null",
	                getenv("CHACC_TEST_MARIADB_LOCAL"), tmpdir, side,
	                getenv("CHACC_TEST_MARIADB_LOCAL"), tmpdir, side);
	ck_assert_int_eq(system(cmd), 0);
	unlink(pausefile);
	status = wait_status(pid);
	{
		char *out = slurp_fd(o), *err = slurp_fd(e);

		ck_assert_msg(status == 0, "restart of %s at %s: exit %d\n%s\n%s", side, point, status,
		              out, err);
		ck_assert_msg(strstr(err, "retrying"), "%s", err);
		free(out);
		free(err);
	}
	unsetenv("CHACC_PAUSE_FILE");
	free(cmd);
	free(pausefile);
	free(env1);
}

START_TEST(test_server_restart_mid_build)
{
	struct proj p;

	proj_obs(&p, "restart", 25000);
	build_ok(&p);
	restart_during(&p, "during-copy", "src");
	/* the test's own connections went with the server */
	proj_free(&p);
	p.src = connect_to(&p.srcc, getenv("CHACC_TEST_SRC_SOCKET"), p.srcdb);
	p.tgt = connect_to(&p.tgtc, getenv("CHACC_TEST_TGT_SOCKET"), p.tgtdb);
	assert_obs_matches_source(&p);
	restart_during(&p, "after-load", "tgt");
	proj_free(&p);
	p.src = connect_to(&p.srcc, getenv("CHACC_TEST_SRC_SOCKET"), p.srcdb);
	p.tgt = connect_to(&p.tgtc, getenv("CHACC_TEST_TGT_SOCKET"), p.tgtdb);
	assert_obs_matches_source(&p);
	assert_no_leftovers(&p);
	/* the run's history survived the restart of the server that keeps it */
	assert_val(p.tgt, "success", "SELECT result FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "built:2", "SELECT CONCAT(outcome, ':', attempts) FROM etl_run_targets"
	           " WHERE target = 'obs' ORDER BY run_id DESC LIMIT 1");
	proj_free(&p);
}
END_TEST

START_TEST(test_bad_inputs_leave_the_table_untouched)
{
	struct proj p;
	struct result r;
	char *before;

	proj_obs(&p, "badin", 300);
	build_ok(&p);
	before = table_checksum(p.tgt, "obs");

	r = chacc_env(&p, "SOURCE_DB_SOCKET=/nonexistent/mysqld.sock", "build", "-B", "obs",
	              (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "target 'obs'") && strstr(r.err, "connection 'source'"), "%s", r.err);
	result_free(&r);

	r = chacc_env(&p, "SOURCE_DB_PASSWORD=Sekr1t-wrong", "build", "-B", "obs", (char *)NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "target 'obs'") && !strstr(r.err, "Sekr1t-wrong"), "%s", r.err);
	ck_assert_msg(!strstr(r.out, "Sekr1t-wrong"), "%s", r.out);
	result_free(&r);

	write_file(&p, "sql/obs.sql", "SELECT obs_id, part, no_such_column FROM obs\n");
	r = chacc(&p, "build", "obs");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "target 'obs'") && strstr(r.err, "no_such_column"), "%s", r.err);
	result_free(&r);

	write_file(&p, "sql/obs.sql", obs_sql);
	write_file(&p, "sql/obs_ddl.sql", "CREATE TABLE ${this} (obs_id INT, part CHAR(1), other INT)\n");
	{
		char *y = str_replace(recipe, "    key: [obs_id, part]\n    indexes",
		                      "    create: sql/obs_ddl.sql\n    key: [obs_id, part]\n    indexes");

		write_file(&p, "chacc.yml", y);
		free(y);
	}
	r = chacc(&p, "build", "obs");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "target 'obs'"), "%s", r.err);
	result_free(&r);
	write_file(&p, "chacc.yml", recipe);

	write_file(&p, "sql/obs.sql", "SELECT * FROM (SELECT obs_id, part, person_id, concept,"
	           " value_numeric, value_text, voided, date_created AS changed_at FROM obs"
	           " UNION ALL SELECT obs_id, part, person_id, concept, value_numeric, value_text,"
	           " voided, date_created FROM obs WHERE obs_id = 5) AS dup\n");
	r = chacc(&p, "build", "obs");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "target 'obs'") && strstr(r.err, "uplicate"), "%s", r.err);
	result_free(&r);

	{
		char *after = table_checksum(p.tgt, "obs");

		ck_assert_str_eq(after, before);
		free(after);
	}
	assert_no_leftovers(&p);
	free(before);
	proj_free(&p);
}
END_TEST

START_TEST(test_every_column_type_round_trips)
{
	struct proj p;
	struct result r;
	static const char cols[] =
		"id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, de, fl, db, b1, b64, d, t, dt, ts, y,"
		" c, vc, tx, mt, lt, bn, vb, bl, en, st, js";
	char *want, *got;

	proj_new(&p, "types");
	sql(p.src, "CREATE TABLE alltypes (id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED,"
	    " si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT,"
	    " iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, de DECIMAL(65,30), fl FLOAT,"
	    " db DOUBLE, b1 BIT(1), b64 BIT(64), d DATE, t TIME(6), dt DATETIME(6),"
	    " ts TIMESTAMP(6) NULL, y YEAR, c CHAR(10), vc VARCHAR(300), tx TEXT, mt MEDIUMTEXT,"
	    " lt LONGTEXT, bn BINARY(4), vb VARBINARY(300), bl LONGBLOB, en ENUM('a','b'),"
	    " st SET('x','y'), js JSON) CHARACTER SET utf8mb4");
	sql(p.src, "SET SESSION sql_mode = ''");
	sql(p.src, "INSERT INTO alltypes VALUES"
	    " (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,"
	    " -9223372036854775808, 18446744073709551615,"
	    " 12345678901234567890123456789012345.123456789012345678901234567890,"
	    " 0.1, 0.1, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',"
	    " '0000-00-00', '-838:59:59.000000', '0000-00-00 00:00:00', '2038-01-19 03:14:07.999999',"
	    " 1901, 'tab\\there', 'line\\nbreak \\\\ back\\\\N', REPEAT('long ', 1000),"
	    " CONCAT('nul', CHAR(0), 'byte'), REPEAT('\xf0\x9f\x98\x80', 300000), UNHEX('00FF'),"
	    " UNHEX('000102030405060708090A0B0C0D0E0F'), (SELECT GROUP_CONCAT(CHAR(seq) SEPARATOR '') FROM seq_0_to_255),"
	    " 'b', 'x,y', '{\"a\": [1, \"\\\\u00e9\"]}'),"
	    " (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	    " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	    " NULL, NULL, NULL, NULL),"
	    " (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1.5e38, 1e308, b'0', b'0', '2024-02-29',"
	    " '00:00:00', '2024-02-29 23:59:59.5', NULL, 2155, '', '', '', '\\\\N', '', '', '', '',"
	    " 'a', '', '[]')");
	write_file(&p, "chacc.yml",
	           "chacc: 1\nname: types\nconnections:\n"
	           "  - name: source\n    socket: ${SOURCE_DB_SOCKET}\n    user: ${SOURCE_DB_USER}\n"
	           "    password: ${SOURCE_DB_PASSWORD}\n    database: ${SOURCE_DB_NAME}\n"
	           "  - name: target\n    socket: ${TARGET_DB_SOCKET}\n    user: ${TARGET_DB_USER}\n"
	           "    password: ${TARGET_DB_PASSWORD}\n    database: ${TARGET_DB_NAME}\n"
	           "target: target\ntargets:\n"
	           "  - name: alltypes\n    kind: extract\n    from: source\n"
	           "    query: sql/alltypes.sql\n    key: [id]\n");
	write_file(&p, "sql/alltypes.sql", "SELECT * FROM alltypes\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	want = rows_checksum(p.src, cols, "alltypes");
	got = rows_checksum(p.tgt, cols, "alltypes");
	ck_assert_msg(strcmp(want, got) == 0, "all types: target %s, source %s", got, want);
	free(want);
	free(got);
	/* column by column, to name the one that differs */
	for (const char *c = cols; *c;) {
		size_t n = strcspn(c, ",");
		char *name = xstrndup(c, n);
		char *a = val(p.src, "SELECT GROUP_CONCAT(MD5(QUOTE(%s)) ORDER BY id) FROM alltypes", strtrim(name));
		char *b = val(p.tgt, "SELECT GROUP_CONCAT(MD5(QUOTE(%s)) ORDER BY id) FROM alltypes", strtrim(name));

		ck_assert_msg(strcmp(a, b) == 0, "column %s differs", name);
		free(a);
		free(b);
		free(name);
		c += n;
		while (*c == ',' || *c == ' ')
			c++;
	}
	proj_free(&p);
}
END_TEST

START_TEST(test_same_server_pushdown)
{
	struct proj p;
	struct result r;
	char *srcdb, *y, *want, *got;

	proj_obs(&p, "push", 2000);
	/* the source database lives on the target server: no row passes through chacc */
	srcdb = xasprintf("%s_ops", p.tgtdb);
	sql(p.tgt, "DROP DATABASE IF EXISTS %s", srcdb);
	sql(p.tgt, "CREATE DATABASE %s", srcdb);
	sql(p.tgt, "CREATE TABLE %s.obs (obs_id INT NOT NULL, part CHAR(1) NOT NULL,"
	    " person_id INT NOT NULL, concept VARCHAR(40) NOT NULL, value_numeric DOUBLE NULL,"
	    " value_text TEXT NULL, date_created DATETIME NOT NULL, date_changed DATETIME NULL,"
	    " voided TINYINT NOT NULL DEFAULT 0, date_voided DATETIME NULL,"
	    " PRIMARY KEY (obs_id, part))", srcdb);
	sql(p.tgt, "INSERT INTO %s.obs SELECT seq, 'a', seq %% 7, 'W', seq, NULL,"
	    " NOW() - INTERVAL 1 DAY, NULL, seq %% 10 = 0, NULL FROM seq_1_to_2000", srcdb);
	y = str_replace(recipe, "    socket: ${SOURCE_DB_SOCKET}\n", "    socket: ${TARGET_DB_SOCKET}\n");
	write_file(&p, "chacc.yml", y);
	free(y);
	/* the environment beats .env, which names the other server's database */
	y = xasprintf("SOURCE_DB_NAME=%s", srcdb);
	setenv("LOG_LEVEL", "DEBUG", 1);
	r = chacc_env(&p, y, "build", "obs", (char *)NULL);
	unsetenv("LOG_LEVEL");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "INSERT INTO `") && strstr(r.err, "_chacc_new_obs") &&
	              !strstr(r.err, "LOAD DATA"), "%s", r.err);
	result_free(&r);
	{
		char *from = xasprintf("%s.obs WHERE voided = 0", srcdb);

		want = rows_checksum(p.tgt, oracle_cols, from);
		free(from);
	}
	got = rows_checksum(p.tgt, oracle_cols, "obs");
	ck_assert_msg(strcmp(want, got) == 0, "pushdown: target %s, source %s", got, want);
	free(want);
	free(got);
	sql(p.tgt, "DROP DATABASE %s", srcdb);
	free(y);
	free(srcdb);
	proj_free(&p);
}
END_TEST

/* on PostgreSQL: the source a schema of the target's database, read by INSERT ... SELECT */
START_TEST(test_same_server_pushdown_postgres)
{
	struct proj p;
	struct result r;
	char *y, *want, *got;

	proj_obs_on(&p, "push_pg", 10, "postgres");
	sql(p.tgt, "CREATE SCHEMA ops");
	sql(p.tgt, "CREATE TABLE ops.obs (obs_id integer NOT NULL, part char(1) NOT NULL,"
	    " person_id integer NOT NULL, concept varchar(40) NOT NULL, value_numeric double precision,"
	    " value_text text, date_created timestamp NOT NULL, date_changed timestamp,"
	    " voided boolean NOT NULL DEFAULT false, date_voided timestamp,"
	    " PRIMARY KEY (obs_id, part))");
	sql(p.tgt, "INSERT INTO ops.obs SELECT g, 'a', g %% 7, 'W', g, NULL,"
	    " now() - interval '1 day', NULL, g %% 10 = 0, NULL FROM generate_series(1, 2000) g");
	y = str_replace(recipe, "  - name: source\n    socket: ${SOURCE_DB_SOCKET}\n",
	                "  - name: source\n    driver: postgres\n    schema: ops\n"
	                "    socket: ${TARGET_DB_SOCKET}\n");
	write_file(&p, "chacc.yml", y);
	free(y);
	y = xasprintf("SOURCE_DB_NAME=%s", p.tgtdb);
	setenv("LOG_LEVEL", "DEBUG", 1);
	r = chacc_env(&p, y, "build", "obs", (char *)NULL);
	unsetenv("LOG_LEVEL");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "INSERT INTO \"") && strstr(r.err, "_chacc_new_obs") &&
	              !strstr(r.err, "COPY"), "%s", r.err);
	result_free(&r);
	want = rows_checksum(p.tgt, oracle_cols, "ops.obs WHERE NOT voided");
	got = rows_checksum(p.tgt, oracle_cols, "public.obs");
	ck_assert_msg(strcmp(want, got) == 0, "pushdown: target %s, source %s", got, want);
	assert_val(p.tgt, "1800", "SELECT count(*) FROM public.obs");
	free(want);
	free(got);
	free(y);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("extract");

	if (itest_setup("check_extract") < 0)
		return 0;
	add_loop_case(s, "test_incremental_equals_full", test_incremental_equals_full, LEN(engines));
	add_case(s, "test_changed_at_moves_only_with_values", test_changed_at_moves_only_with_values);
	add_case(s, "test_empty_source_fills_later", test_empty_source_fills_later);
	add_case(s, "test_since_repulls_from_a_date", test_since_repulls_from_a_date);
	add_case(s, "test_lookback_window_then_no_op", test_lookback_window_then_no_op);
	add_loop_case(s, "test_kill_at_every_point_converges", test_kill_at_every_point_converges,
	              LEN(engines));
	add_case(s, "test_server_restart_mid_build", test_server_restart_mid_build);
	add_case(s, "test_bad_inputs_leave_the_table_untouched", test_bad_inputs_leave_the_table_untouched);
	add_case(s, "test_every_column_type_round_trips", test_every_column_type_round_trips);
	add_case(s, "test_same_server_pushdown", test_same_server_pushdown);
	add_case(s, "test_same_server_pushdown_postgres", test_same_server_pushdown_postgres);
	return run_suite(s);
}
