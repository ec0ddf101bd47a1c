/* check_store.c: what chacc keeps in the target database: clean, prune, log rotation */
#include <jansson.h>
#include <poll.h>
#include <pty.h>

#include "log.h"
#include "storetest.h"

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

/* a time older than prune's default 90 days */
#define OLD "NOW(6) - INTERVAL 100 DAY"

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
	/* check results and profiles, old and new: the latest of each stays however old */
	sql(p.tgt, "INSERT INTO etl_checks (recipe, run_id, target, check_name, severity, status,"
	    " checked_at) VALUES ('clinic', 1, 'people', 'unique', 'error', 'fail', %s),"
	    " ('clinic', 1, 'people', 'not_null', 'error', 'pass', %s),"
	    " ('clinic', 1, 'visits', 'rows', 'warn', 'warn', %s),"
	    " ('other', 1, 'people', 'unique', 'error', 'pass', %s),"
	    " ('clinic', 2, 'people', 'unique', 'error', 'pass', NOW(6) - INTERVAL 99 DAY),"
	    " ('clinic', 3, 'people', 'unique', 'error', 'pass', NOW(6)),"
	    " ('clinic', 3, 'people', 'not_null', 'error', 'pass', NOW(6) - INTERVAL 95 DAY)",
	    OLD, OLD, OLD, OLD);
	sql(p.tgt, "INSERT INTO etl_profiles (recipe, run_id, target, profiled_at, row_count,"
	    " profile) VALUES ('clinic', 1, 'people', %s, 3, '{}'),"
	    " ('clinic', 1, 'visits', %s, 4, '{}'), ('other', 1, 'people', %s, 3, '{}'),"
	    " ('clinic', 2, 'people', NOW(6) - INTERVAL 98 DAY, 3, '{}'),"
	    " ('clinic', 3, 'people', NOW(6), 3, '{}')", OLD, OLD, OLD);
	r = chacc(&p, "prune", "-n");
	assert_ok(&r);
	ck_assert_has(r.out, "would delete 2 runs that ended before ");
	ck_assert_has(r.out, ", with 10 target records\n");
	ck_assert_has(r.out, "would delete 3 check results and 2 profiles older than ");
	ck_assert_has(r.out, "nothing changed");
	result_free(&r);
	assert_val(p.tgt, "5", "SELECT COUNT(*) FROM etl_runs");
	assert_val(p.tgt, "7/5", "SELECT CONCAT((SELECT COUNT(*) FROM etl_checks), '/',"
	           " (SELECT COUNT(*) FROM etl_profiles))");
	r = chacc(&p, "prune");
	assert_ok(&r);
	ck_assert_has(r.out, "deleted 2 runs that ended before ");
	ck_assert_has(r.out, "deleted 3 check results and 2 profiles older than ");
	result_free(&r);
	assert_val(p.tgt, "clinic/1/visits/rows,other/1/people/unique,clinic/3/people/unique,"
	           "clinic/3/people/not_null", "SELECT GROUP_CONCAT(recipe, '/', run_id, '/',"
	           " target, '/', check_name ORDER BY id) FROM etl_checks");
	assert_val(p.tgt, "clinic/1/visits,other/1/people,clinic/3/people", "SELECT GROUP_CONCAT("
	           "recipe, '/', run_id, '/', target ORDER BY id) FROM etl_profiles");
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
	return run_suite(s);
}

