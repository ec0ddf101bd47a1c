/*
 * check_luigi_run.c: running what the Luigi pipeline ran: scripts that write
 * their table in place, its .env settings, a target database to create, the
 * flags of its cron lines, and adopting the tables it built
 */
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "itest.h"

static const char clinic[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: patients\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/patients.sql\n"
	"    create: sql/patients_ddl.sql\n"
	"    key: [patient_id]\n"
	"    incremental: { column: updated_at, lookback: 1s }\n"
	"  - name: ward_summary\n"
	"    kind: script\n"
	"    needs: [patients]\n"
	"    script: sql/ward_summary.sql\n"
	"    call: CALL refresh_ward_summary()\n"
	"    in_place: true\n"
	"    indexes: [[n]]\n";

/* a Luigi procedure: it writes a fixed table name, and keeps the table between runs */
static const char ward_summary_sql[] =
	"DROP PROCEDURE IF EXISTS refresh_ward_summary;\n"
	"DELIMITER //\n"
	"CREATE PROCEDURE refresh_ward_summary()\n"
	"BEGIN\n"
	"  CREATE TABLE IF NOT EXISTS ward_summary (ward VARCHAR(20) PRIMARY KEY, n INT NOT NULL);\n"
	"  DELETE FROM ward_summary;\n"
	"  INSERT INTO ward_summary SELECT ward, COUNT(*) FROM patients GROUP BY ward;\n"
	"END //\n"
	"DELIMITER ;\n";

static void
proj_clinic(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE patients (patient_id INT PRIMARY KEY, ward VARCHAR(20) NOT NULL,"
	    " updated_at DATETIME NOT NULL)");
	sql(p->src, "INSERT INTO patients VALUES (1, 'north', NOW() - INTERVAL 1 DAY),"
	    " (2, 'north', NOW() - INTERVAL 1 DAY), (3, 'south', NOW() - INTERVAL 1 DAY)");
	write_file(p, "chacc.yml", clinic);
	write_file(p, "sql/patients.sql", "SELECT patient_id, ward, updated_at FROM patients\n");
	write_file(p, "sql/patients_ddl.sql",
	           "CREATE TABLE ${this} (patient_id INT NOT NULL PRIMARY KEY,"
	           " ward VARCHAR(20) NOT NULL, updated_at DATETIME NOT NULL)\n");
	write_file(p, "sql/ward_summary.sql", ward_summary_sql);
}

/* text appended to the project's .env */
static void
env_add(struct proj *p, const char *lines)
{
	char *path = xasprintf("%s/.env", p->dir);
	FILE *f = fopen(path, "a");

	ck_assert(f != NULL);
	fputs(lines, f);
	fclose(f);
	free(path);
}

/* how many times needle is in hay */
static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
		n++;
	return n;
}

START_TEST(test_in_place_script)
{
	struct proj p;
	struct result r;
	char *changed, *again, *plain;

	proj_clinic(&p, "inplace");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "ward_summary") &&
	              strstr(r.out, "# not atomic: its script writes the table in place"), "%s",
	              r.out);
	result_free(&r);
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"detail\": \"not atomic: its script writes the table in place\""),
	              "%s", r.out);
	result_free(&r);

	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "north:2,south:1",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	assert_val(p.tgt, "ok 2", "SELECT CONCAT(status, ' ', row_count) FROM etl_metadata"
	           " WHERE target = 'ward_summary'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name LIKE '\\_chacc\\_%'");

	/* the same rows again: built, and its changed_at stays (the checksum after) */
	changed = val(p.tgt, "SELECT changed_at FROM etl_metadata WHERE target = 'ward_summary'");
	r = chacc(&p, "build", "-B", "ward_summary");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "built", "SELECT outcome FROM etl_run_targets WHERE target ="
	           " 'ward_summary' ORDER BY run_id DESC LIMIT 1");
	again = val(p.tgt, "SELECT changed_at FROM etl_metadata WHERE target = 'ward_summary'");
	ck_assert_str_eq(changed, again);
	free(again);
	/* its index is not added twice to the table the script keeps */
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM information_schema.statistics WHERE"
	           " table_schema = DATABASE() AND table_name = 'ward_summary' AND column_name = 'n'");

	/* new rows upstream: built again, changed */
	sql(p.src, "INSERT INTO patients VALUES (4, 'south', NOW())");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "north:2,south:2",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	again = val(p.tgt, "SELECT changed_at FROM etl_metadata WHERE target = 'ward_summary'");
	ck_assert_msg(strcmp(changed, again) < 0, "changed_at %s, then %s", changed, again);
	free(again);
	free(changed);

	/* without in_place the same script writes no ${this}: the build says so */
	plain = str_replace(clinic, "    in_place: true\n", "");
	write_file(&p, "chacc.yml", plain);
	free(plain);
	r = chacc(&p, "build", "-B", "ward_summary");
	ck_assert_msg(r.status == 1 && strstr(r.err, "did not create its table (${this})"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "north:2,south:2",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	proj_free(&p);
}
END_TEST

START_TEST(test_in_place_only_on_scripts)
{
	struct proj p;
	struct result r;
	char *bad;

	proj_clinic(&p, "inplacebad");
	/* line 25 of the recipe: in_place on the extract */
	bad = str_replace(clinic, "    incremental: { column: updated_at, lookback: 1s }\n",
	                  "    incremental: { column: updated_at, lookback: 1s }\n"
	                  "    in_place: true\n");
	write_file(&p, "chacc.yml", bad);
	free(bad);
	r = chacc(&p, "validate");
	ck_assert_msg(r.status == 2, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "chacc.yml:25:") &&
	              strstr(r.err, "'in_place' is only for script targets, not an extract target"),
	              "%s", r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_luigi_env_settings)
{
	struct proj p;
	struct result r;
	const char *msg = "chacc: ignoring Luigi settings of .env: DB_POOL_SIZE,"
	                  " LUIGI_SCHEDULER_HOST, LUIGI_SCHEDULER_PORT, LUIGI_WORKER_COUNT,"
	                  " LUIGI_WORKER_TIMEOUT\n";

	proj_clinic(&p, "dotenv");
	env_add(&p, "DB_POOL_SIZE=5\nDB_CONNECT_TIMEOUT=30\nMAX_RETRIES=0\nRETRY_DELAY=1\n"
	        "LOG_LEVEL=INFO\nLUIGI_SCHEDULER_HOST=localhost\nLUIGI_SCHEDULER_PORT=8082\n"
	        "LUIGI_WORKER_COUNT=4\nLUIGI_WORKER_TIMEOUT=3600\nLUIGI_LOG_LEVEL=INFO\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	/* named once, LUIGI_LOG_LEVEL (read by chacc) not among them */
	ck_assert_msg(count_of(r.err, "ignoring Luigi settings") == 1 && strstr(r.err, msg),
	              "%s", r.err);
	result_free(&r);
	r = chacc(&p, "validate");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, msg), "%s", r.err);
	result_free(&r);
	/* cron mode is quiet on success: it is not said there */
	r = chacc(&p, "build", "--scheduled");
	ck_assert_msg(r.status == 0 && r.out[0] == '\0' && !strstr(r.err, "Luigi"),
	              "exit %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
	result_free(&r);

	/* a bad timeout is an error naming it */
	r = chacc_env(&p, "DB_CONNECT_TIMEOUT=soon", "validate", (char *)NULL);
	ck_assert_msg(r.status == 2 && strstr(r.err, "DB_CONNECT_TIMEOUT: invalid duration 'soon'"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	r = chacc_env(&p, "DB_CONNECT_TIMEOUT=0", "status", (char *)NULL);
	ck_assert_msg(r.status == 2 && strstr(r.err, "DB_CONNECT_TIMEOUT: invalid duration '0'"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	proj_free(&p);

	/* LUIGI_LOG_LEVEL=DEBUG in .env, as the Luigi guide says: every statement is logged */
	proj_clinic(&p, "dotenvdebug");
	env_add(&p, "LUIGI_LOG_LEVEL=DEBUG\n");
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(strstr(r.err, "[target] SELECT"), "no statement logged: %s", r.err);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* a server that takes connections and never greets: connecting waits for the timeout */
START_TEST(test_connect_timeout)
{
	struct proj p;
	struct result r;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct timespec t0, t1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char *yml;
	double secs;

	ck_assert(fd >= 0);
	ck_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 8) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	proj_clinic(&p, "timeout");
	yml = xasprintf("chacc: 1\nname: hang\nconnections:\n  - name: target\n"
	                "    host: 127.0.0.1\n    port: %d\n    user: nobody\n"
	                "    password: none\n    database: nothing\ntarget: target\n"
	                "targets:\n  - name: t\n    kind: table\n    query: sql/t.sql\n",
	                ntohs(a.sin_port));
	write_file(&p, "hang.yml", yml);
	write_file(&p, "sql/t.sql", "SELECT 1 AS one\n");
	free(yml);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = chacc_env(&p, "DB_CONNECT_TIMEOUT=1", "-f", "hang.yml", "status", (char *)NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	/* the default is 10 seconds */
	ck_assert_msg(secs >= 0.9 && secs < 5, "gave up after %.1fs: %s", secs, r.err);
	result_free(&r);
	close(fd);
	proj_free(&p);
}
END_TEST

/* whether the target server has database db */
static bool
has_database(struct proj *p, const char *db)
{
	char *v = val(p->tgt, "SELECT COUNT(*) FROM information_schema.schemata"
	              " WHERE schema_name = '%s'", db);
	bool has = strcmp(v, "1") == 0;

	free(v);
	return has;
}

START_TEST(test_target_database_is_created)
{
	struct proj p;
	struct result r;
	const char *reading[][3] = {
		{ "status", NULL }, { "plan", NULL }, { "history", NULL }, { "build", "-n" },
	};

	proj_clinic(&p, "createdb");
	sql(p.tgt, "DROP DATABASE %s", p.tgtdb);
	/* reading commands create nothing, and say why */
	for (size_t i = 0; i < LEN(reading); i++) {
		r = chacc(&p, reading[i][0], reading[i][1]);
		ck_assert_msg(r.status == 3, "%s: exit %d: %s", reading[i][0], r.status, r.err);
		ck_assert_msg(strstr(r.err, "does not exist yet: nothing was built there"), "%s: %s",
		              reading[i][0], r.err);
		result_free(&r);
		ck_assert_msg(!has_database(&p, p.tgtdb), "%s created it", reading[i][0]);
	}
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "created database 'tgt_createdb'"), "%s", r.out);
	result_free(&r);
	assert_val(p.tgt, "utf8mb4", "SELECT default_character_set_name FROM"
	           " information_schema.schemata WHERE schema_name = 'tgt_createdb'");
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM tgt_createdb.patients");
	r = chacc(&p, "status");
	assert_ok(&r);
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_missing_create_privilege)
{
	struct proj p;
	struct result r;
	const char *env[] = { "TARGET_DB_USER=luigi_ro", "TARGET_DB_PASSWORD=Sekr3t-pw", NULL };
	int o, e;
	char *args[] = { "build", NULL };

	proj_clinic(&p, "nocreate");
	sql(p.tgt, "DROP DATABASE %s", p.tgtdb);
	sql(p.tgt, "DROP USER IF EXISTS 'luigi_ro'@'localhost'");
	sql(p.tgt, "CREATE USER 'luigi_ro'@'localhost' IDENTIFIED BY 'Sekr3t-pw'");
	/* it may read the database once it exists, not create it */
	sql(p.tgt, "GRANT SELECT ON %s.* TO 'luigi_ro'@'localhost'", p.tgtdb);
	r.status = wait_status(chacc_start_envs(&p, env, &o, &e, args));
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	ck_assert_msg(r.status == 3, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "database 'tgt_nocreate' does not exist, and"
	                     " 'luigi_ro'@'localhost' may not create it: it needs the CREATE"
	                     " privilege on `tgt_nocreate`"), "%s", r.err);
	ck_assert_msg(!strstr(r.err, "Sekr3t-pw") && !strstr(r.out, "Sekr3t-pw"), "%s", r.err);
	result_free(&r);
	ck_assert(!has_database(&p, p.tgtdb));
	sql(p.tgt, "DROP USER 'luigi_ro'@'localhost'");
	proj_free(&p);
}
END_TEST

/* mode and targets built of the newest run */
static char *
last_run(struct proj *p)
{
	return val(p->tgt, "SELECT CONCAT(r.mode, ' ', COUNT(t.target)) FROM etl_runs r LEFT JOIN"
	           " etl_run_targets t ON t.run_id = r.run_id AND t.outcome = 'built'"
	           " WHERE r.run_id = (SELECT MAX(run_id) FROM etl_runs) GROUP BY r.run_id");
}

static void
assert_last_run(struct proj *p, const char *want)
{
	char *got = last_run(p);

	ck_assert_msg(strcmp(got, want) == 0, "last run '%s', want '%s'", got, want);
	free(got);
}

START_TEST(test_luigi_cron_flags)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "flags");
	/* run_pipeline.py --incremental --workers 4 */
	r = chacc(&p, "build", "--incremental", "--workers", "4");
	assert_ok(&r);
	result_free(&r);
	assert_last_run(&p, "incremental 2");
	/* ... --local-scheduler and --central-scheduler: runners coordinate in the database */
	r = chacc(&p, "build", "--local-scheduler", "--workers", "2");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--central-scheduler");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "plan", "--local-scheduler");
	ck_assert_msg(r.status == 2 && strstr(r.err, "'plan' takes no option '--local-scheduler'"),
	              "exit %d: %s", r.status, r.err);
	result_free(&r);
	/* --full-refresh: everything from scratch */
	r = chacc(&p, "build", "-n", "--full-refresh", "--json");
	assert_ok(&r);
	ck_assert_msg(count_of(r.out, "\"reason\": \"forced\"") == 2 &&
	              count_of(r.out, "\"mode\": \"full\"") == 2, "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	assert_last_run(&p, "full-refresh 2");
	/* --incremental --last-updated DATE: extracts re-read from that date */
	r = chacc(&p, "build", "-n", "--incremental", "--last-updated", "2024-01-01", "--json");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"target\": \"patients\",\n    \"reason\": \"source\""), "%s",
	              r.out);
	result_free(&r);
	r = chacc(&p, "build", "--incremental", "--last-updated", "2024-01-01");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "built", "SELECT outcome FROM etl_run_targets WHERE target = 'patients'"
	           " ORDER BY run_id DESC LIMIT 1");
	r = chacc(&p, "build", "--last-updated", "01/01/2024");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	result_free(&r);
	/* --force: up to date, built anyway; with --full-refresh as the Luigi guide writes it */
	r = chacc(&p, "build", "--force");
	assert_ok(&r);
	result_free(&r);
	assert_last_run(&p, "forced 2");
	r = chacc(&p, "build", "--full-refresh", "--force");
	assert_ok(&r);
	result_free(&r);
	assert_last_run(&p, "full-refresh 2");
	/* --scheduled: cron's, quiet on success */
	sql(p.src, "INSERT INTO patients VALUES (5, 'east', NOW())");
	r = chacc(&p, "build", "--scheduled");
	assert_ok(&r);
	ck_assert_msg(*r.out == '\0', "%s", r.out);
	result_free(&r);
	assert_last_run(&p, "scheduled 2");
	assert_val(p.tgt, "east:1,north:2,south:1",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	proj_free(&p);
}
END_TEST

START_TEST(test_adopt_luigi_tables)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "adopt");
	/* what the pipeline left: its extract's table and its procedure's, with their rows */
	sql(p.tgt, "CREATE TABLE patients (patient_id INT NOT NULL PRIMARY KEY,"
	    " ward VARCHAR(20) NOT NULL, updated_at DATETIME NOT NULL)");
	sql(p.tgt, "INSERT INTO patients VALUES (1, 'north', NOW() - INTERVAL 2 DAY),"
	    " (2, 'north', NOW() - INTERVAL 2 DAY)");
	sql(p.tgt, "CREATE TABLE ward_summary (ward VARCHAR(20) PRIMARY KEY, n INT NOT NULL)");
	sql(p.tgt, "INSERT INTO ward_summary VALUES ('north', 2)");
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1 && strstr(r.err, "was not made by chacc"), "exit %d: %s",
	              r.status, r.err);
	result_free(&r);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM patients");

	r = chacc(&p, "build", "--adopt", "patients", "--adopt", "ward_summary");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "1,2,3", "SELECT GROUP_CONCAT(patient_id ORDER BY patient_id) FROM patients");
	assert_val(p.tgt, "north:2,south:1",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	assert_val(p.tgt, "ok,ok", "SELECT GROUP_CONCAT(status ORDER BY target) FROM etl_metadata");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "nothing to do"), "%s", r.out);
	result_free(&r);
	/* from here on as if chacc had built them: incremental */
	sql(p.src, "UPDATE patients SET ward = 'south', updated_at = NOW() WHERE patient_id = 2");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "incremental", "SELECT mode FROM etl_run_targets WHERE target = 'patients'"
	           " ORDER BY run_id DESC LIMIT 1");
	assert_val(p.tgt, "north:1,south:2",
	           "SELECT GROUP_CONCAT(ward, ':', n ORDER BY ward) FROM ward_summary");
	proj_free(&p);
}
END_TEST

/* the clinic's extract into a PostgreSQL target, in the schema TARGET_DB_SCHEMA */
static const char pg_clinic[] =
	"chacc: 1\n"
	"name: clinic\n"
	"connections:\n"
	"  - name: source\n"
	"    socket: ${SOURCE_DB_SOCKET}\n"
	"    user: ${SOURCE_DB_USER}\n"
	"    password: ${SOURCE_DB_PASSWORD}\n"
	"    database: ${SOURCE_DB_NAME}\n"
	"  - name: target\n"
	"    driver: postgres\n"
	"    socket: ${TARGET_DB_SOCKET}\n"
	"    user: ${TARGET_DB_USER}\n"
	"    password: ${TARGET_DB_PASSWORD}\n"
	"    database: ${TARGET_DB_NAME}\n"
	"    schema: ${TARGET_DB_SCHEMA:-analytics}\n"
	"target: target\n"
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: patients\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/patients.sql\n"
	"    key: [patient_id]\n";

/* the clinic on a PostgreSQL target whose database does not exist; p->tgt is on database chacc */
static void
proj_pg_clinic(struct proj *p, const char *name)
{
	proj_new_pg(p, name);
	db_close(p->tgt);
	p->tgt = pg_connect_to(&p->tgtc, NULL, NULL);
	sql(p->tgt, "DROP DATABASE %s WITH (FORCE)", p->tgtdb);
	sql(p->src, "CREATE TABLE patients (patient_id INT PRIMARY KEY, ward VARCHAR(20) NOT NULL)");
	sql(p->src, "INSERT INTO patients VALUES (1, 'north'), (2, 'north'), (3, 'south')");
	write_file(p, "chacc.yml", pg_clinic);
	write_file(p, "sql/patients.sql", "SELECT patient_id, ward FROM patients\n");
}

/* whether the PostgreSQL server has database db */
static bool
has_pg_database(struct proj *p, const char *db)
{
	char *v = val(p->tgt, "SELECT count(*) FROM pg_database WHERE datname = '%s'", db);
	bool has = strcmp(v, "1") == 0;

	free(v);
	return has;
}

/* whether database db of the PostgreSQL server has schema schema */
static bool
has_pg_schema(const char *db, const char *schema)
{
	struct db_params c;
	struct db *d = pg_connect_to(&c, db, NULL);
	char *v = val(d, "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'", schema);
	bool has = strcmp(v, "1") == 0;

	free(v);
	db_close(d);
	return has;
}

START_TEST(test_pg_target_database_is_created)
{
	struct proj p;
	struct result r;
	const char *reading[][3] = {
		{ "status", NULL }, { "plan", NULL }, { "history", NULL }, { "build", "-n" },
	};
	struct db_params c;
	struct db *d;

	proj_pg_clinic(&p, "pgcreatedb");
	/* reading commands create nothing, and say why */
	for (size_t i = 0; i < LEN(reading); i++) {
		r = chacc(&p, reading[i][0], reading[i][1]);
		ck_assert_msg(r.status == 3, "%s: exit %d: %s", reading[i][0], r.status, r.err);
		ck_assert_msg(strstr(r.err, "connection 'target': database 'tgt_pgcreatedb' (schema"
		                     " 'analytics') does not exist yet: nothing was built there"), "%s: %s",
		              reading[i][0], r.err);
		result_free(&r);
		ck_assert_msg(!has_pg_database(&p, p.tgtdb), "%s created it", reading[i][0]);
	}
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "created database 'tgt_pgcreatedb' (schema 'analytics')"), "%s",
	              r.out);
	result_free(&r);
	assert_val(p.tgt, "UTF8", "SELECT pg_encoding_to_char(encoding) FROM pg_database"
	           " WHERE datname = 'tgt_pgcreatedb'");
	d = pg_connect_to(&c, p.tgtdb, "analytics");
	assert_val(d, "3", "SELECT count(*) FROM analytics.patients");
	ck_assert(!has_pg_schema(p.tgtdb, "second"));
	/* the database there, its schema not: status says so, build creates it */
	r = chacc_env(&p, "TARGET_DB_SCHEMA=second", "status", (char *)NULL);
	ck_assert_msg(r.status == 3 && strstr(r.err, "database 'tgt_pgcreatedb' (schema 'second')"
	              " does not exist yet"), "exit %d: %s", r.status, r.err);
	result_free(&r);
	ck_assert(!has_pg_schema(p.tgtdb, "second"));
	r = chacc_env(&p, "TARGET_DB_SCHEMA=second", "build", (char *)NULL);
	assert_ok(&r);
	result_free(&r);
	assert_val(d, "3", "SELECT count(*) FROM second.patients");
	r = chacc(&p, "status");
	assert_ok(&r);
	result_free(&r);
	db_close(d);
	proj_free(&p);
}
END_TEST

START_TEST(test_pg_missing_create_privilege)
{
	struct proj p;
	struct result r;
	const char *env[] = { "TARGET_DB_USER=luigi_pg", "TARGET_DB_PASSWORD=Sekr3t-pw", NULL };
	int o, e;
	char *args[] = { "build", NULL };

	proj_pg_clinic(&p, "pgnocreate");
	sql(p.tgt, "DROP ROLE IF EXISTS luigi_pg");
	sql(p.tgt, "CREATE ROLE luigi_pg LOGIN NOCREATEDB PASSWORD 'Sekr3t-pw'");
	r.status = wait_status(chacc_start_envs(&p, env, &o, &e, args));
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	ck_assert_msg(r.status == 3, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "connection 'target': database 'tgt_pgnocreate' does not exist,"
	                     " and role 'luigi_pg' may not create it: it needs the CREATEDB attribute"
	                     " (ALTER ROLE luigi_pg CREATEDB)"), "%s", r.err);
	ck_assert_msg(!strstr(r.err, "Sekr3t-pw") && !strstr(r.out, "Sekr3t-pw"), "%s", r.err);
	result_free(&r);
	ck_assert(!has_pg_database(&p, p.tgtdb));
	/* its database there, owned by another role: the schema needs CREATE on it */
	sql(p.tgt, "CREATE DATABASE %s", p.tgtdb);
	r.status = wait_status(chacc_start_envs(&p, env, &o, &e, args));
	r.out = slurp_fd(o);
	r.err = slurp_fd(e);
	ck_assert_msg(r.status == 3, "exit %d: %s%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "schema 'analytics' does not exist in database 'tgt_pgnocreate',"
	                     " and role 'luigi_pg' may not create it: it needs the CREATE privilege on"
	                     " the database (GRANT CREATE ON DATABASE \"tgt_pgnocreate\" TO luigi_pg)"),
	              "%s", r.err);
	result_free(&r);
	ck_assert(!has_pg_schema(p.tgtdb, "analytics"));
	sql(p.tgt, "DROP DATABASE %s WITH (FORCE)", p.tgtdb);
	sql(p.tgt, "DROP ROLE luigi_pg");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("luigi_run");

	if (itest_setup("luigi_run") < 0)
		return EXIT_SUCCESS;
	add_case(s, "in_place_script", test_in_place_script);
	add_case(s, "in_place_only_on_scripts", test_in_place_only_on_scripts);
	add_case(s, "luigi_env_settings", test_luigi_env_settings);
	add_case(s, "connect_timeout", test_connect_timeout);
	add_case(s, "target_database_is_created", test_target_database_is_created);
	add_case(s, "missing_create_privilege", test_missing_create_privilege);
	add_case(s, "luigi_cron_flags", test_luigi_cron_flags);
	add_case(s, "adopt_luigi_tables", test_adopt_luigi_tables);
	add_case(s, "pg_target_database_is_created", test_pg_target_database_is_created);
	add_case(s, "pg_missing_create_privilege", test_pg_missing_create_privilege);
	return run_suite(s);
}
