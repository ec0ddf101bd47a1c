/* check_store.c: what chacc keeps in the target database: clean, prune, log rotation, upgrades */
#include <jansson.h>
#include <poll.h>
#include <pty.h>

#include "itest.h"
#include "log.h"
#include "sqlsplit.h"

static const char recipe_head[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: voided, lookback: 1s }\n"
	"  - name: visits\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/visits.sql\n"
	"    key: [id]\n"
	"  - name: people_visits\n"
	"    kind: table\n"
	"    needs: [people, visits]\n"
	"    query: sql/people_visits.sql\n"
	"    key: [visit_id]\n";

/* two targets no other target needs */
static const char recipe_tail[] =
	"  - name: staff\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/staff.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, deleted: voided, lookback: 1s }\n"
	"  - name: lonely\n"
	"    kind: table\n"
	"    query: sql/lonely.sql\n";

/*
 * the clinic: people, visits and staff in the source with fixed, old times
 * (so that an upgrade fixture made from it plans the same on any day)
 */
static void
proj_clinic(struct proj *p, const char *name)
{
	char *recipe = xasprintf("%s%s", recipe_head, recipe_tail);

	proj_new(p, name);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "CREATE TABLE staff (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', '2020-01-01 10:00:00', 0),"
	    " (2, 'bob', '2020-01-02 10:00:00', 0), (3, 'cy', '2020-01-03 10:00:00', 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2020-02-01'), (11, 1, '2020-02-02'),"
	    " (12, 2, '2020-02-03'), (13, 3, '2020-02-04')");
	sql(p->src, "INSERT INTO staff VALUES (1, 'dee', '2020-01-01 09:00:00', 0),"
	    " (2, 'eve', '2020-01-01 09:30:00', 0)");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits;\n");
	write_file(p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n");
	write_file(p, "sql/staff.sql", "SELECT id, name, updated_at, voided FROM staff\n");
	write_file(p, "sql/lonely.sql", "SELECT 1 AS x\n");
	free(recipe);
}

static void
build_ok(struct proj *p, const char *target)
{
	struct result r = target ? chacc(p, "build", target) : chacc(p, "build");

	assert_ok(&r);
	result_free(&r);
}

static long long
num(struct db *d, const char *fmt, const char *arg)
{
	char *v = val(d, fmt, arg), *end;
	long long n = strtoll(v, &end, 10);

	ck_assert_msg(*v && !*end, "%s: not a number: '%s'", fmt, v);
	free(v);
	return n;
}

static bool
has_table(struct proj *p, const char *name)
{
	return num(p->tgt, "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = '%s'", name) > 0;
}

/* tables of the database (the project's) and markers of the recipe, as one string */
static char *
what_is_kept(struct proj *p)
{
	char *tables = val(p->tgt, "SELECT GROUP_CONCAT(table_name ORDER BY table_name)"
	                   " FROM information_schema.tables WHERE table_schema = DATABASE()");
	char *markers = val(p->tgt, "SELECT GROUP_CONCAT(target ORDER BY target) FROM etl_metadata");
	char *s = xasprintf("tables %s; markers %s", tables, markers);

	free(tables);
	free(markers);
	return s;
}

#define ck_assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not in:\n%s", (needle), (hay))

/* clean */

START_TEST(test_clean_dry_run_drops_nothing)
{
	struct proj p;
	struct result r;
	char *before, *after;

	proj_clinic(&p, "cleandry");
	build_ok(&p, NULL);
	sql(p.tgt, "CREATE TABLE _chacc_new_lonely (x INT)");
	before = what_is_kept(&p);
	r = chacc(&p, "clean", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "would drop people: table 'people', marker and watermark\n");
	ck_assert_has(r.out, "would drop lonely: table 'lonely', leftover '_chacc_new_lonely'"
	              " and marker\n");
	ck_assert_has(r.out, "nothing dropped");
	result_free(&r);
	r = chacc(&p, "clean", "--dry-run", "visits");
	assert_ok(&r);
	ck_assert_has(r.out, "would drop visits: table 'visits' and marker\n");
	ck_assert_msg(!strstr(r.out, "people"), "%s", r.out);
	result_free(&r);
	after = what_is_kept(&p);
	ck_assert_str_eq(before, after);
	ck_assert(has_table(&p, "_chacc_new_lonely"));
	free(before);
	free(after);
	proj_free(&p);
}
END_TEST

START_TEST(test_clean_all_needs_yes_without_terminal)
{
	struct proj p;
	struct result r;
	char *before, *after;

	proj_clinic(&p, "cleanyes");
	build_ok(&p, NULL);
	before = what_is_kept(&p);
	/* stdin is /dev/null here (see main): no one to ask */
	r = chacc(&p, "clean");
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_has(r.err, "--yes");
	result_free(&r);
	after = what_is_kept(&p);
	ck_assert_str_eq(before, after);
	free(after);
	/* named targets go without asking */
	r = chacc(&p, "clean", "lonely");
	assert_ok(&r);
	ck_assert_has(r.out, "cleaned lonely: table 'lonely' and marker\n");
	result_free(&r);
	ck_assert(!has_table(&p, "lonely"));
	ck_assert(has_table(&p, "people"));
	r = chacc(&p, "clean", "--yes");
	assert_ok(&r);
	ck_assert_has(r.out, "cleaned people: table 'people', marker and watermark\n");
	result_free(&r);
	for (const char *const *t = (const char *const[]){ "people", "visits", "people_visits",
	                                                   "staff", NULL }; *t; t++)
		ck_assert_msg(!has_table(&p, *t), "%s is still there", *t);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_metadata");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_watermarks");
	free(before);
	proj_free(&p);
}
END_TEST

/* run "chacc clean" on a terminal, answer the question; its exit status and what it wrote */
static int
clean_on_terminal(struct proj *p, const char *answer, char **shown)
{
	struct buf b;
	int master, st;
	bool answered = false;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);

	ck_assert(pid >= 0);
	if (pid == 0) {
		if (chdir(p->dir) < 0)
			_exit(127);
		execl(bin, bin, "clean", (char *)NULL);
		_exit(127);
	}
	buf_init(&b);
	for (;;) {
		struct pollfd pf = { .fd = master, .events = POLLIN };
		char tmp[512];
		ssize_t n;

		ck_assert_msg(poll(&pf, 1, 60000) > 0, "no answer from chacc: %s", b.s ? b.s : "");
		n = read(master, tmp, sizeof(tmp));
		if (n <= 0)
			break;     /* EIO: the child closed the terminal */
		buf_add(&b, tmp, (size_t)n);
		if (!answered && strstr(b.s, "[y/N] ")) {
			ck_assert(write(master, answer, strlen(answer)) == (ssize_t)strlen(answer));
			answered = true;
		}
	}
	close(master);
	ck_assert(waitpid(pid, &st, 0) == pid);
	ck_assert_msg(answered, "chacc asked nothing: %s", b.s ? b.s : "");
	*shown = buf_detach(&b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_clean_asks_on_terminal)
{
	struct proj p;
	char *shown, *want, *before, *after;
	int rc;

	proj_clinic(&p, "cleantty");
	build_ok(&p, NULL);
	before = what_is_kept(&p);
	rc = clean_on_terminal(&p, "n\n", &shown);
	want = xasprintf("drop the tables of all 5 targets of recipe 'clinic' in database '%s'?"
	                 " [y/N] ", p.tgtdb);
	ck_assert_has(shown, want);
	ck_assert_has(shown, "nothing dropped");
	ck_assert_msg(rc == 1, "exit %d: %s", rc, shown);
	free(shown);
	after = what_is_kept(&p);
	ck_assert_str_eq(before, after);
	rc = clean_on_terminal(&p, "y\n", &shown);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, shown);
	ck_assert_has(shown, "cleaned people_visits");
	ck_assert(!has_table(&p, "people"));
	ck_assert(!has_table(&p, "lonely"));
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_metadata");
	free(shown);
	free(want);
	free(before);
	free(after);
	proj_free(&p);
}
END_TEST

/* prune */

START_TEST(test_prune_trims_old_runs_only)
{
	struct proj p;
	struct result r;
	long long first, last;

	proj_clinic(&p, "prunerun");
	build_ok(&p, NULL);
	build_ok(&p, "-B");
	build_ok(&p, "-B");
	first = num(p.tgt, "SELECT MIN(run_id) FROM etl_runs%s", "");
	last = num(p.tgt, "SELECT MAX(run_id) FROM etl_runs%s", "");
	ck_assert_int_eq(last - first, 2);
	/* the first two runs ended 100 days ago */
	sql(p.tgt, "UPDATE etl_runs SET started_at = started_at - INTERVAL 100 DAY,"
	    " ended_at = ended_at - INTERVAL 100 DAY WHERE run_id < %lld", last);
	/* a run still running since long ago, and an old run of another recipe */
	sql(p.tgt, "INSERT INTO etl_runs (recipe, mode, started_at, result) VALUES"
	    " ('clinic', 'incremental', NOW(6) - INTERVAL 200 DAY, 'running'),"
	    " ('other', 'incremental', NOW(6) - INTERVAL 200 DAY, 'success')");
	sql(p.tgt, "UPDATE etl_runs SET ended_at = started_at + INTERVAL 1 MINUTE"
	    " WHERE recipe = 'other'");
	sql(p.tgt, "INSERT INTO etl_run_targets (run_id, target, outcome)"
	    " SELECT run_id, 'people', 'running' FROM etl_runs WHERE result = 'running'");
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_runs");
	assert_val(p.tgt, "16", "SELECT COUNT(*) FROM etl_run_targets"); /* 3 * 5 + 1 */
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "would delete 2 runs that ended before ");
	ck_assert_has(r.out, ", with 10 target records\n");
	ck_assert_has(r.out, "nothing changed");
	result_free(&r);
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_runs");
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 2 runs that ended before ");
	result_free(&r);
	{
		char *want = xasprintf("%lld/clinic/success,%lld/clinic/running,%lld/other/success",
		                       last, last + 1, last + 2);

		assert_val(p.tgt, want, "SELECT GROUP_CONCAT(run_id, '/', recipe, '/', result"
		           " ORDER BY run_id) FROM etl_runs");
		free(want);
	}
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_run_targets t WHERE NOT EXISTS"
	           " (SELECT 1 FROM etl_runs r WHERE r.run_id = t.run_id)");
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM etl_run_targets WHERE outcome = 'running'");
	/* the history still reads */
	r = chacc(&p, "history");
	assert_ok(&r);
	result_free(&r);
	/* a bad duration is a usage error */
	r = chacc(&p, "prune", "--older-than", "soon");
	ck_assert_int_eq(r.status, 2);
	ck_assert_has(r.err, "invalid duration 'soon'");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_prune_deletes_read_by_every_consumer)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "prunedel");
	build_ok(&p, NULL);
	/* bob is voided and everything built: people_visits read that delete */
	sql(p.src, "UPDATE people SET voided = 1, updated_at = NOW() WHERE id = 2");
	sql(p.src, "UPDATE staff SET voided = 1, updated_at = NOW() WHERE id = 2");
	build_ok(&p, NULL);
	/* cy is voided and only people built: people_visits has not read it */
	sql(p.src, "UPDATE people SET voided = 1, updated_at = NOW() WHERE id = 3");
	build_ok(&p, "people");
	assert_val(p.tgt, "people {\"id\": 2},people {\"id\": 3},staff {\"id\": 2}",
	           "SELECT GROUP_CONCAT(target, ' ', key_json ORDER BY target, id) FROM etl_deletes");
	/* young: nothing goes by default (90d) */
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 0 rows of etl_deletes");
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM etl_deletes");
	sleep(2);
	r = chacc(&p, "prune", "-n", "--older-than", "1s");
	assert_ok(&r);
	ck_assert_has(r.out, "would delete 2 rows of etl_deletes older than ");
	ck_assert_has(r.out, "that every consumer has read (people 1, staff 1)\n");
	result_free(&r);
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM etl_deletes");
	r = chacc(&p, "prune", "--older-than", "1s");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 2 rows of etl_deletes");
	result_free(&r);
	/* what people_visits has not read yet stays */
	assert_val(p.tgt, "people {\"id\": 3}",
	           "SELECT GROUP_CONCAT(target, ' ', key_json ORDER BY target, id) FROM etl_deletes");
	/* once it has, it may go */
	build_ok(&p, NULL);
	sleep(2);
	r = chacc(&p, "prune", "--older-than", "1s");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 1 row of etl_deletes");
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_deletes");
	proj_free(&p);
}
END_TEST

START_TEST(test_prune_removed_targets)
{
	struct proj p;
	struct result r;
	char *before, *after;

	proj_clinic(&p, "pruneremoved");
	build_ok(&p, NULL);
	sql(p.src, "UPDATE staff SET voided = 1, updated_at = NOW() WHERE id = 1");
	build_ok(&p, NULL);
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'staff'");
	sql(p.tgt, "CREATE TABLE _chacc_old_lonely (x INT)");
	/* staff and lonely leave the recipe */
	write_file(&p, "chacc.yml", recipe_head);
	before = what_is_kept(&p);
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "target 'lonely' is no longer in the recipe: table 'lonely',"
	              " leftover '_chacc_old_lonely' and marker (--removed drops them)\n");
	ck_assert_has(r.out, "target 'staff' is no longer in the recipe: table 'staff', marker,"
	              " watermark and 1 row of etl_deletes (--removed drops them)\n");
	result_free(&r);
	r = chacc(&p, "prune", "-n", "--removed");
	assert_ok(&r);
	ck_assert_has(r.out, "would drop target 'lonely', no longer in the recipe: ");
	result_free(&r);
	after = what_is_kept(&p);
	ck_assert_str_eq(before, after);
	free(after);
	/* another recipe's marker names lonely: its table is not this recipe's to drop */
	sql(p.tgt, "INSERT INTO etl_metadata (recipe, target, status) VALUES ('other', 'lonely', 'ok')");
	r = chacc(&p, "prune", "--removed");
	assert_ok(&r);
	ck_assert_has(r.out, "dropped target 'staff', no longer in the recipe: ");
	ck_assert_has(r.out, "dropped target 'lonely', no longer in the recipe: ");
	result_free(&r);
	ck_assert(!has_table(&p, "staff"));
	ck_assert(!has_table(&p, "_chacc_old_lonely"));
	ck_assert(has_table(&p, "lonely"));
	ck_assert(has_table(&p, "people"));
	assert_val(p.tgt, "other/lonely,clinic/people,clinic/people_visits,clinic/visits",
	           "SELECT GROUP_CONCAT(recipe, '/', target ORDER BY target, recipe DESC)"
	           " FROM etl_metadata");
	assert_val(p.tgt, "people", "SELECT GROUP_CONCAT(target) FROM etl_watermarks");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'staff'");
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "every target with a marker is in the recipe\n");
	result_free(&r);
	/* the recipe still builds: nothing it has was touched */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	result_free(&r);
	free(before);
	proj_free(&p);
}
END_TEST

/* log rotation */

static size_t
count_lines(const char *path, size_t *bytes)
{
	size_t len = 0, lines = 0;
	char *text = readfile(path, &len), *line, *save = NULL;

	*bytes = len;
	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		ck_assert_msg(j && json_is_object(j), "%s: not a JSON line: %s", path, line);
		json_decref(j);
		lines++;
	}
	free(text);
	return lines;
}

/* nproc processes each log nlines events at once into dir's log */
static void
log_from_processes(const char *dir, int nproc, int nlines)
{
	pid_t pids[16];

	for (int i = 0; i < nproc; i++) {
		pids[i] = fork();
		ck_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			log_open(dir, true);
			for (int j = 0; j < nlines; j++)
				log_event(LOG_INFO, "test", "people", i + 1, "process %d line %d of %d",
				          i, j, nlines);
			log_close();
			_exit(0);
		}
	}
	for (int i = 0; i < nproc; i++)
		ck_assert_int_eq(wait_status(pids[i]), 0);
}

START_TEST(test_log_rotates_by_size_across_processes)
{
	char dir[PATH_MAX], *path;
	size_t total = 0, bytes;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/logs-XXXXXX", tmpdir);
	ck_assert(mkdtemp(dir) != NULL);
	setenv("CHACC_LOG_MAX_SIZE", "8k", 1);
	setenv("CHACC_LOG_KEEP", "100", 1);
	log_from_processes(dir, 4, 400);
	/* every line is whole and none is lost; no file is past the limit */
	path = xasprintf("%s/state/logs/chacc.jsonl", dir);
	total += count_lines(path, &bytes);
	ck_assert_msg(bytes <= 8192, "%s: %zu bytes", path, bytes);
	free(path);
	for (int i = 1; i <= 100; i++) {
		path = xasprintf("%s/state/logs/chacc.jsonl.%d", dir, i);
		if (access(path, F_OK) == 0) {
			files++;
			total += count_lines(path, &bytes);
			ck_assert_msg(bytes <= 8192 && bytes > 4096, "%s: %zu bytes", path, bytes);
		}
		free(path);
	}
	ck_assert_uint_eq(total, 1600);
	ck_assert_msg(files >= 10, "only %d rotated files", files);
	/* only CHACC_LOG_KEEP old files stay */
	snprintf(dir, sizeof(dir), "%s/logs-XXXXXX", tmpdir);
	ck_assert(mkdtemp(dir) != NULL);
	setenv("CHACC_LOG_KEEP", "2", 1);
	log_from_processes(dir, 1, 400);
	path = xasprintf("%s/state/logs/chacc.jsonl.2", dir);
	ck_assert(access(path, F_OK) == 0);
	free(path);
	path = xasprintf("%s/state/logs/chacc.jsonl.3", dir);
	ck_assert(access(path, F_OK) < 0);
	free(path);
	unsetenv("CHACC_LOG_MAX_SIZE");
	unsetenv("CHACC_LOG_KEEP");
}
END_TEST

START_TEST(test_build_log_rotates)
{
	struct proj p;
	const char *env[] = { "CHACC_LOG_MAX_SIZE=2000", "CHACC_LOG_KEEP=3", "LOG_LEVEL=DEBUG",
	                      NULL };
	char *args[] = { (char *)"build", (char *)"-B", NULL };
	struct stat st;
	char *path;

	proj_clinic(&p, "logrotate");
	for (int i = 0; i < 3; i++) {
		int o, e;
		pid_t pid = chacc_start_envs(&p, env, &o, &e, args);

		ck_assert_int_eq(wait_status(pid), 0);
		close(o);
		close(e);
	}
	path = xasprintf("%s/state/logs/chacc.jsonl", p.dir);
	ck_assert(stat(path, &st) == 0 && st.st_size <= 2000);
	free(path);
	path = xasprintf("%s/state/logs/chacc.jsonl.3", p.dir);
	ck_assert(stat(path, &st) == 0 && st.st_size <= 2000);
	free(path);
	path = xasprintf("%s/state/logs/chacc.jsonl.4", p.dir);
	ck_assert(stat(path, &st) < 0);
	free(path);
	proj_free(&p);
}
END_TEST

/*
 * cron, night after night: every scheduled run with nothing to do is
 * recorded, the log stays within its size, and prune trims those runs
 */
START_TEST(test_cron_runs_bounded)
{
	struct proj p;
	const char *env[] = { "CHACC_LOG_MAX_SIZE=1500", "CHACC_LOG_KEEP=2", "LOG_LEVEL=DEBUG",
	                      NULL };
	char *args[] = { (char *)"build", (char *)"--scheduled", NULL };
	struct stat st;
	struct result r;
	char *path;

	proj_clinic(&p, "cronbound");
	build_ok(&p, NULL);
	for (int i = 0; i < 6; i++) {
		int o, e;
		pid_t pid = chacc_start_envs(&p, env, &o, &e, args);

		ck_assert_int_eq(wait_status(pid), 0);
		close(o);
		close(e);
	}
	assert_val(p.tgt, "6", "SELECT COUNT(*) FROM etl_runs WHERE result = 'nothing to do'"
	           " AND mode = 'scheduled'");
	path = xasprintf("%s/state/logs/chacc.jsonl", p.dir);
	ck_assert(stat(path, &st) == 0 && st.st_size <= 1500);
	free(path);
	path = xasprintf("%s/state/logs/chacc.jsonl.2", p.dir);
	ck_assert(stat(path, &st) == 0 && st.st_size <= 1500);
	free(path);
	path = xasprintf("%s/state/logs/chacc.jsonl.3", p.dir);
	ck_assert(stat(path, &st) < 0);
	free(path);
	/* the log file still tells each run's end */
	path = xasprintf("%s/state/logs/chacc.jsonl", p.dir);
	{
		char *text = readfile(path, NULL);

		ck_assert_msg(text && strstr(text, "nothing to do"), "%s", text ? text : "");
		free(text);
	}
	free(path);
	sleep(2);
	r = chacc(&p, "prune", "--older-than", "1s");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 7 runs that ended before ");
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_runs");
	proj_free(&p);
}
END_TEST

/* upgrades */

#define UPGRADE_FIXTURE "tests/fixtures/upgrade/v1.sql"

/* run every statement of a dump on d */
static void
load_dump(struct db *d, const char *path)
{
	size_t len;
	char *text = readfile(path, &len), *err = NULL;
	struct sqlscript s = { 0 };

	ck_assert_msg(text != NULL, "cannot read %s", path);
	ck_assert_msg(sqlsplit(text, len, SQL_MARIADB, &s, &err) == 0, "%s: %s", path, err);
	for (size_t i = 0; i < s.nstmts; i++)
		ck_assert_msg(db_exec(d, s.stmts[i].sql) == 0, "%s:%d: %s", path, s.stmts[i].line,
		              db_error(d));
	sqlscript_release(&s);
	free(text);
}

static char *
column_type(struct proj *p, const char *table, const char *column)
{
	return val(p->tgt, "SELECT column_type FROM information_schema.columns WHERE"
	           " table_schema = DATABASE() AND table_name = '%s' AND column_name = '%s'",
	           table, column);
}

/*
 * CHACC_UPGRADE_FIXTURE=PATH with CHACC_OLD_BIN=BIN (a chacc of an older
 * commit) writes the fixture instead of testing: the clinic built by BIN,
 * dumped with mariadb-dump
 */
static void
make_upgrade_fixture(struct proj *p, const char *out)
{
	const char *old = getenv("CHACC_OLD_BIN");
	char *cmd;

	ck_assert_msg(old != NULL, "CHACC_UPGRADE_FIXTURE needs CHACC_OLD_BIN");
	bin = old;
	build_ok(p, NULL);
	cmd = xasprintf("mariadb-dump --socket='%s' --user='%s' --password='%s' --skip-comments"
	                " --skip-dump-date --skip-tz-utc --compact --skip-extended-insert '%s' >'%s'",
	                getenv("CHACC_TEST_TGT_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), p->tgtdb, out);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
	free(cmd);
}

START_TEST(test_upgrade_from_version_1)
{
	struct proj p;
	struct result r;
	char *t, *h;

	/* the same names as when the fixture was made: the source's name is hashed */
	proj_clinic(&p, "upgrade");
	if (getenv("CHACC_UPGRADE_FIXTURE")) {
		make_upgrade_fixture(&p, getenv("CHACC_UPGRADE_FIXTURE"));
		proj_free(&p);
		return;
	}
	load_dump(p.tgt, UPGRADE_FIXTURE);
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "char(64)");
	free(t);
	ck_assert(!has_table(&p, "etl_schema"));
	/* reading commands read version 1 as it is and change nothing */
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "people_visits");
	ck_assert_msg(!strstr(r.out, "out of date") && !strstr(r.out, "missing"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "success");
	result_free(&r);
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "clean", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "prune", "-n", "--removed");
	assert_ok(&r);
	result_free(&r);
	ck_assert(!has_table(&p, "etl_schema"));
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "char(64)");
	free(t);
	/* a build migrates the tables and rebuilds nothing */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do: all 5 targets are up to date");
	ck_assert_has(r.err, "from version 1 to 2");
	result_free(&r);
	t = column_type(&p, "etl_metadata", "definition_hash");
	ck_assert_str_eq(t, "varchar(80)");
	free(t);
	assert_val(p.tgt, "2", "SELECT MAX(version) FROM etl_schema");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_metadata WHERE definition_hash LIKE '%:%'");
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	/* a target built again takes the new format; the others keep theirs */
	sql(p.src, "INSERT INTO people VALUES (4, 'di', '2020-01-04 10:00:00', 0)");
	build_ok(&p, NULL);
	assert_val(p.tgt, "people,people_visits", "SELECT GROUP_CONCAT(target ORDER BY target)"
	           " FROM etl_metadata WHERE definition_hash LIKE '3:%'");
	h = val(p.tgt, "SELECT definition_hash FROM etl_metadata WHERE target = 'lonely'");
	ck_assert_uint_eq(strlen(h), 64);
	free(h);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM people");
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to do");
	result_free(&r);
	/* a definition hashed in the old format still changes */
	write_file(&p, "sql/lonely.sql", "SELECT 2 AS x\n");
	r = chacc(&p, "plan", "--json");
	assert_ok(&r);
	ck_assert_has(r.out, "\"target\": \"lonely\",\n    \"reason\": \"definition changed\"");
	result_free(&r);
	proj_free(&p);
}
END_TEST

START_TEST(test_reading_creates_no_table)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "readonly");
	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_has(r.out, "missing");
	result_free(&r);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_has(r.out, "5 of 5 targets to build");
	result_free(&r);
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_has(r.out, "no runs yet");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	r = chacc(&p, "build", "-n");
	assert_ok(&r);
	result_free(&r);
	r = chacc(&p, "clean", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "nothing to clean");
	result_free(&r);
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables"
	           " WHERE table_schema = DATABASE()");
	/* a build creates the tables at the current version, quietly */
	r = chacc(&p, "build");
	assert_ok(&r);
	ck_assert_msg(!strstr(r.err, "upgraded"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "2 created", "SELECT GROUP_CONCAT(version, ' ', note) FROM etl_schema");
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_metadata WHERE definition_hash LIKE '3:%'");
	proj_free(&p);
}
END_TEST

START_TEST(test_foreign_and_newer_tables_are_refused)
{
	struct proj p;
	struct result r;

	proj_clinic(&p, "foreign");
	/* the Luigi pipeline's etl_metadata */
	sql(p.tgt, "CREATE TABLE etl_metadata (table_name VARCHAR(64) PRIMARY KEY,"
	    " last_updated DATETIME)");
	r = chacc(&p, "build");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "table 'etl_metadata' in database");
	ck_assert_has(r.err, "exists with another shape");
	result_free(&r);
	r = chacc(&p, "status");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "table 'etl_metadata' in database");
	result_free(&r);
	assert_val(p.tgt, "table_name,last_updated", "SELECT GROUP_CONCAT(column_name ORDER BY"
	           " ordinal_position) FROM information_schema.columns WHERE table_schema ="
	           " DATABASE() AND table_name = 'etl_metadata'");
	/* tables a newer chacc migrated are not written by this one */
	sql(p.tgt, "DROP TABLE etl_metadata");
	build_ok(&p, NULL);
	sql(p.tgt, "INSERT INTO etl_schema VALUES (99, NOW(6), 'from the future')");
	r = chacc(&p, "build", "-B");
	ck_assert_int_eq(r.status, 1);
	ck_assert_has(r.err, "are at version 99, newer than this chacc knows (2): upgrade chacc");
	result_free(&r);
	r = chacc(&p, "status");
	assert_ok(&r);
	result_free(&r);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	int fd;

	if (itest_setup("check_store") < 0)
		return 0;
	/* no terminal to ask on unless a test makes one */
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, STDIN_FILENO) < 0) {
		perror("check_store: /dev/null");
		return 1;
	}
	close(fd);
	add_case(s, "clean_dry_run_drops_nothing", test_clean_dry_run_drops_nothing);
	add_case(s, "clean_all_needs_yes_without_terminal", test_clean_all_needs_yes_without_terminal);
	add_case(s, "clean_asks_on_terminal", test_clean_asks_on_terminal);
	add_case(s, "prune_trims_old_runs_only", test_prune_trims_old_runs_only);
	add_case(s, "prune_deletes_read_by_every_consumer", test_prune_deletes_read_by_every_consumer);
	add_case(s, "prune_removed_targets", test_prune_removed_targets);
	add_case(s, "log_rotates_by_size_across_processes", test_log_rotates_by_size_across_processes);
	add_case(s, "build_log_rotates", test_build_log_rotates);
	add_case(s, "cron_runs_bounded", test_cron_runs_bounded);
	add_case(s, "upgrade_from_version_1", test_upgrade_from_version_1);
	add_case(s, "reading_creates_no_table", test_reading_creates_no_table);
	add_case(s, "foreign_and_newer_tables_are_refused", test_foreign_and_newer_tables_are_refused);
	return run_suite(s);
}
