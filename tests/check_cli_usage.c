/* check_cli_usage.c: the command line: selectors, options per command, output for people, completion */
#include "clitest.h"

/* the targets the newest run built, by name */
static char *
built_last(struct proj *p)
{
	return val(p->tgt, "SELECT GROUP_CONCAT(target ORDER BY BINARY target) FROM etl_run_targets"
	           " WHERE outcome = 'built' AND run_id = (SELECT MAX(run_id) FROM etl_runs)");
}

#define assert_built(p, want) do { \
	char *got_ = built_last(p); \
	ck_assert_msg(strcmp(got_, (want)) == 0, "built %s, want %s", got_, (want)); \
	free(got_); \
} while (0)

#define assert_usage(r, want) do { \
	ck_assert_msg((r)->status == 2 && strstr((r)->err, (want)), "exit %d, want 2 and \"%s\":" \
	              " %s", (r)->status, (want), (r)->err); \
} while (0)

/* build, plan, status, graph and clean take selectors as dbt does */
START_TEST(test_selectors)
{
	struct proj p;
	struct result r;
	char *tagged, *before, *after;

	proj_ward(&p, "select");
	tagged = str_replace(recipe, "    incremental: { column: updated_at, lookback: 1s }\n",
	                     "    incremental: { column: updated_at, lookback: 1s }\n"
	                     "    tags: [raw, nightly]\n");
	write_file(&p, "chacc.yml", tagged);
	free(tagged);

	/* a target and, by make's rule, what it needs: not the rest */
	r = chacc(&p, "build", "bed_runs");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, "bed_runs,beds");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM information_schema.tables"
	           " WHERE table_schema = DATABASE() AND table_name = 'wards'");
	/* a glob: the long target, and wards because it needs it */
	r = chacc(&p, "plan", "--json", "a_*");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"wards\"") &&
	              !strstr(r.out, "\"beds\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--exclude", "tag:raw");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME ",wards");

	/* -B and --full-refresh force the selected targets only */
	r = chacc(&p, "plan", "--json", "-B", LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"forced\"") &&
	              !strstr(r.out, "\"wards\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "plan", "--json", "--full-refresh", "+" LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"" LONG_NAME "\"") && strstr(r.out, "\"wards\"") &&
	              !strstr(r.out, "\"beds\""), "%s", r.out);
	result_free(&r);
	before = val(p.tgt, "SELECT built_at FROM etl_metadata WHERE target = 'wards'");
	sleep(1);
	r = chacc(&p, "build", "--full-refresh", LONG_NAME);
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME);
	after = val(p.tgt, "SELECT built_at FROM etl_metadata WHERE target = 'wards'");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	r = chacc(&p, "build", "-B", "wards+");
	assert_ok(&r);
	result_free(&r);
	assert_built(&p, LONG_NAME ",wards");

	/* status shows the selection, not what it needs */
	r = chacc(&p, "status", "--json", "tag:nightly+");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\"") && strstr(r.out, "\"bed_runs\"") &&
	              !strstr(r.out, "\"wards\""), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "status", LONG_NAME);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, LONG_NAME) && !strstr(r.out, "wards "), "%s", r.out);
	result_free(&r);

	/* graph draws the selection and the edges inside it */
	r = chacc(&p, "graph", "+bed_runs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\" -> \"bed_runs\";") && !strstr(r.out, "wards"),
	              "%s", r.out);
	result_free(&r);
	r = chacc(&p, "graph", "beds+", "wards", "--exclude", "bed_runs");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "\"beds\" [") && strstr(r.out, "\"wards\" [") &&
	              !strstr(r.out, "bed_runs") && !strstr(r.out, "->"), "%s", r.out);
	result_free(&r);

	/* clean: the selection only */
	r = chacc(&p, "clean", "-n", "wards+");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "would drop wards") && strstr(r.out, "would drop " LONG_NAME) &&
	              !strstr(r.out, "beds"), "%s", r.out);
	result_free(&r);

	/* a selector that selects nothing is a usage error, with the nearest name */
	r = chacc(&p, "build", "bed_run");
	assert_usage(&r, "unknown target 'bed_run' in recipe 'chacc.yml': did you mean 'bed_runs'?");
	result_free(&r);
	r = chacc(&p, "plan", "x_*");
	assert_usage(&r, "selector 'x_*' matches no target");
	result_free(&r);
	r = chacc(&p, "status", "tag:nigthly");
	assert_usage(&r, "did you mean 'tag:nightly'?");
	result_free(&r);
	r = chacc(&p, "graph", "wards", "--exclude", "wards");
	assert_usage(&r, "nothing selected");
	result_free(&r);
	r = chacc(&p, "clean", "-n", "bedz");
	assert_usage(&r, "did you mean 'beds'?");
	result_free(&r);
	r = chacc(&p, "build", "--adopt", "ward");
	assert_usage(&r, "cannot adopt 'ward': no such target in recipe 'chacc.yml': did you mean");
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* options belong to their command; mistyped commands and options get a guess */
START_TEST(test_options_belong_to_their_command)
{
	struct proj p;
	struct result r;

	proj_ward(&p, "options");
	r = chacc(&p, "status", "--svg");
	assert_usage(&r, "'status' takes no option '--svg' (see 'chacc status --help')");
	result_free(&r);
	r = chacc(&p, "history", "-n", "1");
	assert_usage(&r, "'history' takes no option '-n' (see 'chacc history --help')");
	result_free(&r);
	r = chacc(&p, "graph", "-B");
	assert_usage(&r, "'graph' takes no option '-B'");
	result_free(&r);
	r = chacc(&p, "validate", "--jobs", "2");
	assert_usage(&r, "'validate' takes no option '--jobs'");
	result_free(&r);
	r = chacc(&p, "build", "--forse");
	assert_usage(&r, "unknown option '--forse': did you mean '--force'? (see 'chacc build --help')");
	result_free(&r);
	r = chacc(&p, "build", "--exlude", "beds");
	assert_usage(&r, "did you mean '--exclude'?");
	result_free(&r);
	r = chacc(&p, "status", "--zzzzzz");
	assert_usage(&r, "unknown option '--zzzzzz' (see 'chacc status --help')");
	result_free(&r);
	r = chacc(&p, "biuld");
	assert_usage(&r, "unknown command 'biuld': did you mean 'build'?");
	result_free(&r);
	r = chacc(&p, "--json", "status");
	assert_usage(&r, "option '--json' goes after the command");
	result_free(&r);
	r = chacc(&p, "history", "--limit", "none");
	assert_usage(&r, "invalid count 'none' for --limit");
	result_free(&r);

	/* history's count is -l N or --limit N */
	for (int i = 0; i < 3; i++) {
		r = chacc(&p, "build", "-B", "wards");
		assert_ok(&r);
		result_free(&r);
	}
	r = chacc(&p, "history", "--json", "--limit", "2");
	assert_ok(&r);
	{
		size_t n = 0;

		for (const char *s = r.out; (s = strstr(s, "\"run_id\"")); s++)
			n++;
		ck_assert_msg(n == 2, "%zu runs: %s", n, r.out);
	}
	result_free(&r);
	r = chacc(&p, "history", "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "-l, --limit N") && !strstr(r.out, "-n"),
	              "%s", r.out);
	result_free(&r);

	/* every exit code in the help; test hooks in none */
	r = chacc(&p, "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "130") && strstr(r.out, "75") &&
	              strstr(r.out, "tag:TAG") && !strstr(r.out, "CHACC_FAULT"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build", "--help");
	ck_assert_msg(r.status == 0 && strstr(r.out, "--exclude") && !strstr(r.out, "CHACC_FAULT") &&
	              !strstr(r.out, "CHACC_PAUSE"), "%s", r.out);
	result_free(&r);
	proj_free(&p);
}
END_TEST

/* the line of out that starts with prefix and a space (heads: "TARGET"), or NULL */
static const char *
line_of(const char *out, const char *prefix)
{
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *at = l + strspn(l, " ");

		if (strncmp(at, prefix, strlen(prefix)) == 0 && at[strlen(prefix)] == ' ')
			return l;
	}
	return NULL;
}

/* the column of head word col (0-based) in the heads line */
static size_t
head_at(const char *heads, const char *word)
{
	const char *at = strstr(heads, word);

	ck_assert_msg(at, "no head %s in %s", word, heads);
	return (size_t)(at - heads);
}

/* in line, a cell starts (left) or ends (right, at end) at that column */
static void
assert_cell_at(const char *line, size_t at, bool right, const char *want)
{
	size_t n = strcspn(line, "\n");
	const char *cell = right ? line + at - strlen(want) : line + at;

	ck_assert_msg(at <= n && cell >= line && strncmp(cell, want, strlen(want)) == 0 &&
	              (cell == line || cell[-1] == ' '), "'%s' not at column %zu: %.*s", want, at,
	              (int)n, line);
}

/* no "HH:MM:SS.f" in text: timestamps are cut to the second */
static bool
has_fraction(const char *s)
{
	for (; *s; s++)
		if (s[0] == ':' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		    s[3] == '.' && isdigit((unsigned char)s[4]))
			return true;
	return false;
}

/* a shell command in the project's directory; its exit status */
static int
system_in(struct proj *p, const char *cmd)
{
	char *line = xasprintf("cd '%s' && { %s; } >/dev/null 2>&1", p->dir, cmd);
	int rc = system(line);

	free(line);
	return rc;
}

/* run chacc on a terminal (a pty) with env (or NULL): what it printed there */
static char *
chacc_tty(struct proj *p, const char *env, char *const args[])
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	struct buf b;
	char tmp[4096];
	ssize_t n;
	pid_t pid;

	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *argv[16] = { (char *)bin };
		int slave, i = 1;

		setsid();
		if ((slave = open(ptsname(master), O_RDWR)) < 0 || chdir(p->dir) < 0)
			_exit(127);
		dup2(slave, 1);
		dup2(slave, 2);
		unsetenv("NO_COLOR");
		setenv("TERM", "xterm", 1);
		if (env)
			putenv((char *)env);
		for (int j = 0; args[j] && i < 15; j++)
			argv[i++] = args[j];
		argv[i] = NULL;
		execv(bin, argv);
		_exit(127);
	}
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = read(master, tmp, sizeof(tmp))) > 0)   /* EIO once the child is gone */
		buf_add(&b, tmp, (size_t)n);
	ck_assert_int_eq(wait_status(pid), 0);
	close(master);
	return buf_detach(&b);
}

/* aligned columns, '-' for the unknown, seconds in text, numbers in JSON, colour on a terminal */
START_TEST(test_output_people_can_read)
{
	struct proj p;
	struct result r;
	const char *l;
	json_t *j, *o;
	char *out, *rev, *run;
	size_t rows_end, state_at;

	proj_ward(&p, "readable");
	/* an empty database: no runs yet, and that is no error */
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "no runs yet\n");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	ck_assert_str_eq(r.out, "[]\n");
	result_free(&r);
	/* never built: no row count, '-' in its column */
	r = chacc(&p, "status");
	assert_ok(&r);
	rows_end = head_at(r.out, "ROWS") + strlen("ROWS");
	state_at = head_at(r.out, "STATE");
	ck_assert_msg((l = line_of(r.out, LONG_NAME)), "%s", r.out);
	assert_cell_at(l, state_at, false, "missing");
	assert_cell_at(l, rows_end, true, "-");
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, state_at, false, "missing");
	assert_cell_at(l, rows_end, true, "-");
	ck_assert_msg(!strchr(r.out, '\033'), "colour in a pipe: %s", r.out);
	result_free(&r);
	r = chacc(&p, "status", "--json", "beds");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	ck_assert_msg(json_is_null(json_object_get(json_array_get(j, 0), "rows")), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* a git repository whose SQL differs from its commit: the run is dirty */
	ck_assert_int_eq(system_in(&p, "git init -q && git add -A && git -c user.name=T"
	                 " -c user.email=t@example.org commit -qm first"), 0);
	write_file(&p, "sql/wards.sql", "SELECT DISTINCT ward FROM beds WHERE ward <> ''\n");
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	rev = val(p.tgt, "SELECT config_rev FROM etl_runs");
	run = val(p.tgt, "SELECT run_id FROM etl_runs");
	assert_val(p.tgt, "1", "SELECT config_dirty FROM etl_runs");

	r = chacc(&p, "status");
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	rows_end = head_at(r.out, "ROWS") + strlen("ROWS");
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, head_at(r.out, "STATE"), false, "ok");
	assert_cell_at(l, rows_end, true, "3");
	ck_assert_msg((l = line_of(r.out, LONG_NAME)), "%s", r.out);
	assert_cell_at(l, rows_end, true, "2");
	result_free(&r);
	/* JSON keeps the full precision, and numbers are numbers */
	r = chacc(&p, "status", "--json", "beds");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	o = json_array_get(j, 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "rows")), "%s", r.out);
	ck_assert_msg(strchr(json_string_value(json_object_get(o, "built_at")), '.'), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* history: aligned, to the second, the revision with +dirty */
	r = chacc(&p, "history");
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	ck_assert_msg((l = line_of(r.out, run)), "%s", r.out);
	{
		char *want = xasprintf("%.10s+dirty", rev);

		assert_cell_at(l, head_at(r.out, "REVISION"), false, want);
		free(want);
	}
	assert_cell_at(l, head_at(r.out, "RESULT"), false, "success");
	assert_cell_at(l, head_at(r.out, "RUN") + 3, true, run);
	result_free(&r);
	r = chacc(&p, "history", run);
	assert_ok(&r);
	ck_assert_msg(!has_fraction(r.out), "%s", r.out);
	ck_assert_msg((l = line_of(r.out, "beds")), "%s", r.out);
	assert_cell_at(l, head_at(r.out, "OUTCOME"), false, "built");
	assert_cell_at(l, head_at(r.out, "ROWS") + 4, true, "3");
	result_free(&r);
	r = chacc(&p, "history", "--json");
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	o = json_array_get(j, 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "run_id")) &&
	              json_is_number(json_object_get(o, "seconds")) &&
	              json_integer_value(json_object_get(o, "config_dirty")) == 1 &&
	              strchr(json_string_value(json_object_get(o, "started_at")), '.'), "%s", r.out);
	json_decref(j);
	result_free(&r);
	r = chacc(&p, "history", "--json", run);
	assert_ok(&r);
	j = json_loads(r.out, 0, NULL);
	ck_assert_msg(json_integer_value(json_object_get(j, "run_id")) == atoll(run), "%s", r.out);
	o = json_array_get(json_object_get(j, "targets"), 0);
	ck_assert_msg(json_is_integer(json_object_get(o, "rows")) &&
	              json_is_integer(json_object_get(o, "attempts")), "%s", r.out);
	json_decref(j);
	result_free(&r);

	/* colour on a terminal, none with NO_COLOR */
	out = chacc_tty(&p, NULL, (char *[]){ "status", NULL });
	ck_assert_msg(strstr(out, "\033[32mok\033[0m"), "%s", out);
	free(out);
	out = chacc_tty(&p, "NO_COLOR=1", (char *[]){ "history", NULL });
	ck_assert_msg(strstr(out, "success") && !strchr(out, '\033'), "%s", out);
	free(out);
	free(rev);
	free(run);
	proj_free(&p);
}
END_TEST

/* bash completion: commands, a command's options from its --help, the recipe's targets */
START_TEST(test_bash_completion)
{
	struct proj p;
	char chacc_path[PATH_MAX], script[PATH_MAX], *cmd, *out;
	FILE *f;
	struct buf b;
	char tmp[4096];
	size_t n;

	ck_assert_msg(realpath(bin, chacc_path) && realpath("contrib/completion/chacc.bash", script),
	              "no chacc or completion script");
	proj_ward(&p, "complete");
	*strrchr(chacc_path, '/') = '\0';
	cmd = xasprintf("cd '%s' && PATH='%s':\"$PATH\" bash -c '"
	                "source \"%s\"; compopt() { :; }; "
	                "t() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
	                "COMPREPLY=(); _chacc; echo \"$*: ${COMPREPLY[*]}\"; }; "
	                "t chacc st; t chacc build be; t chacc build --k; t chacc history -; "
	                "t chacc status --exclude wa; t chacc review \"\"'",
	                p.dir, chacc_path, script);
	ck_assert((f = popen(cmd, "r")) != NULL);
	buf_init(&b);
	buf_adds(&b, "");
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	ck_assert_int_eq(pclose(f), 0);
	out = buf_detach(&b);
	ck_assert_msg(strstr(out, "chacc st: status\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc build be: beds bed_runs\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc build --k: --keep-going\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc history -: --help --json --limit --mode --result --since"
	                     " --until -l"), "%s", out);
	ck_assert_msg(strstr(out, "chacc status --exclude wa: wards\n"), "%s", out);
	ck_assert_msg(strstr(out, "chacc review : propose list show approve reject\n"), "%s", out);
	free(out);
	free(cmd);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cli_usage");

	if (itest_setup("cli_usage") < 0)
		return EXIT_SUCCESS;
	add_case(s, "selectors", test_selectors);
	add_case(s, "options_belong_to_their_command", test_options_belong_to_their_command);
	add_case(s, "output_people_can_read", test_output_people_can_read);
	add_case(s, "bash_completion", test_bash_completion);
	return run_suite(s);
}
