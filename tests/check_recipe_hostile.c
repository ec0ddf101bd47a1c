/* check_recipe_hostile.c: hostile recipes: NUL bytes, YAML bombs, deep nesting, secrets, paths outside */
#include "recipetest.h"

static void
link_(const char *target, const char *rel)
{
	char *path = proj_path(rel);

	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_nul_in_recipe)
{
	static const char text[] = HEAD "on_failure: mail\0 -s x\n";
	struct recipe *r;
	char *err, *want;

	proj_new();
	put("chacc.yml", text, sizeof(text) - 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	want = xasprintf("%s/chacc.yml:5:17: NUL byte: a recipe is text\n", proj);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	proj_rm();
}
END_TEST

/* a NUL in a SQL file does not cut the statement short: it is an error */
START_TEST(test_nul_in_sql)
{
	static const char sql[] = "SELECT 1\nFROM t\0; DROP TABLE patients\n";
	struct recipe *r;
	char *err, *want;

	proj_new();
	puts_("chacc.yml", HEAD "targets:\n  - {name: a, kind: table, query: q.sql}\n"
	      "  - {name: b, kind: script, script: s.sql}\n");
	put("q.sql", sql, sizeof(sql) - 1);
	put("s.sql", sql, sizeof(sql) - 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	want = xasprintf("%s/chacc.yml:6: target 'a': query file 'q.sql' holds a NUL byte at "
	    "line 2: it is not text\n%s/chacc.yml:7: target 'b': script file 's.sql' holds a NUL "
	    "byte at line 2: it is not text\n", proj, proj);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	proj_rm();
}
END_TEST

/* the same from a git revision: its files come with their length */
START_TEST(test_nul_in_revision)
{
	static const char main_yml[] = "name: mem\nconnections: [{name: db}]\ntarget: db\n"
	    "include: [parts/b.yml]\ntargets:\n  - {name: a, kind: table, query: a.sql}\n";
	static const char part[] = "targets:\n  - {name: b, kind: table, query: a.sql}\0\n";
	static const char sql[] = "SELECT 'a'\0 UNION SELECT password FROM users";
	struct memfile files[] = {
		{ "conf/main.yml", main_yml, 0 },
		{ "conf/parts/b.yml", part, sizeof(part) - 1 },
		{ "conf/a.sql", sql, sizeof(sql) - 1 },
		{ NULL, NULL, 0 },
	};
	struct fsrc src = { .ctx = files, .read = mem_read, .glob = mem_glob };
	struct recipe *r;
	char *err;

	r = load("conf/main.yml", NULL, &src, &err);
	ck_assert_ptr_null(r);
	/* every problem at once: the include that does not load, and the SQL file */
	ck_assert_str_eq(err, "conf/parts/b.yml:2:41: NUL byte: a recipe is text\n"
	    "conf/main.yml:6: target 'a': query file 'a.sql' holds a NUL byte at line 1: it is not text\n");
	free(err);

	/* the include fixed, the SQL file is left */
	files[1].len = sizeof(part) - 3;
	r = load("conf/main.yml", NULL, &src, &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "conf/main.yml:6: target 'a': query file 'a.sql' holds a NUL byte at "
	    "line 1: it is not text\n");
	free(err);
}
END_TEST

START_TEST(test_second_document)
{
	struct recipe *r;
	char *err, *want;

	proj_new();
	puts_("chacc.yml", HEAD "targets: []\n---\ntargets:\n  - {name: a, kind: table}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	want = xasprintf("%s/chacc.yml:6:1: a second YAML document: a recipe is one document\n",
	    proj);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	/* an explicit start and end of the one document are fine */
	puts_("chacc.yml", "---\n" HEAD "targets: []\n...\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

/*
 * hostile YAML is refused before it costs time or memory: aliases of aliases
 * (a 3 KB file of them took 13 s and 2.7 GB), deep nesting (quadratic in
 * libyaml's loader) and many anchors (quadratic too)
 */
START_TEST(test_alias_bomb)
{
	struct recipe *r;
	struct buf b;
	char *err, *want;
	double t0;
	int i;

	proj_new();
	buf_init(&b);
	buf_adds(&b, HEAD "targets: [&t {name: a, kind: table, query: q.sql, key: &c [c");
	for (i = 1; i < 300; i++)
		buf_adds(&b, ", c");
	buf_adds(&b, "], indexes: [*c");
	for (i = 1; i < 300; i++)
		buf_adds(&b, ", *c");
	buf_adds(&b, "]},\n  *t");
	for (i = 1; i < 300; i++)
		buf_adds(&b, ", *t");
	buf_adds(&b, "]\n");
	put("chacc.yml", b.s, b.len);
	puts_("q.sql", "SELECT 1");
	ck_assert_uint_lt(b.len, 4096);
	t0 = now();
	r = proj_load("chacc.yml", &err);
	ck_assert_double_lt(now() - t0, 1);
	ck_assert_ptr_null(r);
	/* the 34th alias of the key list passes 10000 repeated nodes */
	want = xasprintf("%s/chacc.yml:5:%zu: alias '*c' repeats too much: aliases may repeat at "
	    "most 10000 nodes here\n", proj, strlen("targets: [&t {name: a, kind: table, query: "
	    "q.sql, key: &c [c") + 299 * 3 + strlen("], indexes: [") + 33 * 4 + 1);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	buf_release(&b);

	/* an alias inside its own anchor */
	puts_("chacc.yml", HEAD "targets: &t [*t]\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "chacc.yml:5:14: alias '*t' refers to a node that contains it\n");
	free(err);

	/* aliases a recipe may well use still load */
	puts_("chacc.yml", HEAD "targets:\n  - {name: a, kind: table, query: q.sql, key: &k [id]}\n"
	      "  - {name: b, kind: table, query: q.sql, key: *k, indexes: [*k], needs: &n [a]}\n"
	      "  - {name: c, kind: table, query: q.sql, needs: *n}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(recipe_target(r, "b")->indexes[0].v[0], "id");
	ck_assert_str_eq(recipe_target(r, "c")->needs.v[0], "a");
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

START_TEST(test_deep_nesting)
{
	size_t n = 200000, i;
	struct recipe *r;
	struct buf b;
	char *err, *want;
	double t0;

	proj_new();
	buf_init(&b);
	buf_adds(&b, HEAD "targets: ");
	for (i = 0; i < n; i++)
		buf_addc(&b, '[');
	for (i = 0; i < n; i++)
		buf_addc(&b, ']');
	buf_addc(&b, '\n');
	put("chacc.yml", b.s, b.len);
	buf_release(&b);
	t0 = now();
	r = proj_load("chacc.yml", &err);
	ck_assert_double_lt(now() - t0, 1);
	ck_assert_ptr_null(r);
	/* the recipe's mapping is the first level, "targets" the second */
	want = xasprintf("%s/chacc.yml:5:%d: nested more than 64 levels deep\n", proj, 10 + 63);
	ck_assert_str_eq(err, want);
	free(want);
	free(err);
	proj_rm();
}
END_TEST

/* the same limits for a caller that only checks YAML, as the web's editor does */
START_TEST(test_yaml_check)
{
	char *text;
	size_t i;
	struct buf b;
	struct diags ds;

	buf_init(&b);
	buf_adds(&b, "x: ");
	for (i = 0; i < 200000; i++)
		buf_addc(&b, '[');
	diags_init(&ds);
	ck_assert(!recipe_yaml_check("recipes/deep.yml", b.s, b.len, &ds));
	ck_assert(!recipe_yaml_check("recipes/two.yml", "a: 1\n---\nb: 2\n", 14, &ds));
	ck_assert(!recipe_yaml_check("recipes/bad.yml", "a: [\n", 5, &ds));
	ck_assert(recipe_yaml_check("recipes/ok.yml", "a: &x [1]\nb: *x\n", 16, &ds));
	ck_assert_uint_eq(ds.n, 3);
	ck_assert_uint_eq(ds.nerrors, 3);
	text = diags_text(&ds);
	diags_release(&ds);
	ck_assert_str_eq(text, "recipes/deep.yml:1:67: nested more than 64 levels deep\n"
	    "recipes/two.yml:2:1: a second YAML document: a recipe is one document\n"
	    "recipes/bad.yml:2:1: syntax error: did not find expected node content (while "
	    "parsing a flow node at line 2)");
	free(text);
	buf_release(&b);
}
END_TEST

START_TEST(test_many_anchors)
{
	struct recipe *r;
	struct buf b;
	char *err;
	double t0;
	int i;

	proj_new();
	buf_init(&b);
	buf_adds(&b, HEAD "targets:\n  - {name: a, kind: table, query: q.sql, key: [");
	for (i = 0; i < 50000; i++)
		buf_addf(&b, "%s&a%d c%d", i ? ", " : "", i, i);
	buf_adds(&b, "]}\n");
	put("chacc.yml", b.s, b.len);
	buf_release(&b);
	t0 = now();
	r = proj_load("chacc.yml", &err);
	ck_assert_double_lt(now() - t0, 1);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "/chacc.yml:6:");
	ck_assert_has(err, ": more than 1000 anchors\n");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
	proj_rm();
}
END_TEST

/*
 * messages never show the value of a variable: they quote values as written.
 * The secrets are distinctive, and every message is searched for them.
 */
static const char *const secrets[] = { "Zq9-S3cret-8841", "zq9s3cretname", "zq9s3cretcycle",
	"zq9s3cretconn" };

static void
assert_no_secret(const char *err)
{
	size_t i;

	for (i = 0; i < LEN(secrets); i++)
		ck_assert_msg(!strstr(err, secrets[i]), "'%s' shown in:\n%s", secrets[i], err);
}

START_TEST(test_secrets_never_shown)
{
	struct recipe *r;
	char *err;

	setenv("CHT_SECRET", secrets[0], 1);
	setenv("CHT_SECRET_NAME", secrets[1], 1);
	setenv("CHT_SECRET_CYCLE", secrets[2], 1);
	setenv("CHT_SECRET_REF", "${conn.zq9s3cretconn.database}", 1);
	setenv("CHT_SECRET_TOO", secrets[0], 1);
	proj_new();
	puts_("ok.sql", "SELECT 1");
	puts_("ref.sql", "SELECT * FROM ${CHT_SECRET_REF}.t");
	puts_("s.sql", "DO 1");

	/* values checked as the file is read */
	puts_("chacc.yml", "chacc: ${CHT_SECRET}\nname: p\n"
	      "connections:\n  - name: db\n    driver: ${CHT_SECRET}\n    port: ${CHT_SECRET}\n"
	      "target: db\n"
	      "defaults:\n  retries: ${CHT_SECRET}\n  retry_delay: ${CHT_SECRET}\n"
	      "  timeout: x${CHT_SECRET}\n"
	      "targets:\n"
	      "  - name: ${CHT_SECRET}\n    kind: ${CHT_SECRET}\n    query: ok.sql\n"
	      "  - name: b\n    kind: table\n    query: ok.sql\n    incremental: ${CHT_SECRET}\n"
	      "  - name: c\n    kind: extract\n    from: db\n    query: ok.sql\n    key: [id]\n"
	      "    incremental:\n      column: x\n      lookback: ${CHT_SECRET:-1m}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	assert_no_secret(err);
	ck_assert_has(err, ":1:8: unsupported recipe version '${CHT_SECRET}' (expected 1)\n");
	ck_assert_has(err, ":5:13: unsupported driver '${CHT_SECRET}'");
	ck_assert_has(err, ":6:11: invalid port '${CHT_SECRET}': expected a whole number from 1 to 65535\n");
	ck_assert_has(err, "invalid count '${CHT_SECRET}' for 'retries': expected a whole number");
	ck_assert_has(err, "invalid duration '${CHT_SECRET}' for 'retry_delay'");
	ck_assert_has(err, "invalid duration 'x${CHT_SECRET}' for 'timeout'");
	ck_assert_has(err, ":13:11: invalid target name '${CHT_SECRET}': use letters");
	ck_assert_has(err, ":14:11: invalid kind '${CHT_SECRET}'");
	ck_assert_has(err, "for 'incremental', got '${CHT_SECRET}'\n");
	ck_assert_has(err, "invalid duration '${CHT_SECRET:-1m}' for 'lookback'");
	free(err);

	/* names, connections and files, checked once the recipe is read */
	puts_("chacc.yml", "chacc: 1\nname: p\n"
	      "connections:\n  - {name: db}\n  - {name: '${CHT_SECRET_NAME}'}\n"
	      "  - {name: '${CHT_SECRET_NAME}'}\n"
	      "target: ${CHT_SECRET_TOO}\n"
	      "targets:\n"
	      "  - {name: '${CHT_SECRET_NAME}', kind: extract, from: '${CHT_SECRET}',\n"
	      "     query: '${CHT_SECRET}.sql'}\n"
	      "  - {name: '${CHT_SECRET_NAME}', kind: table, query: ref.sql,\n"
	      "     needs: ['${CHT_SECRET}']}\n"
	      "  - {name: '${CHT_SECRET_CYCLE}', kind: table, query: ok.sql,\n"
	      "     needs: ['${CHT_SECRET_CYCLE}']}\n"
	      "  - {name: s, kind: script, script: s.sql, call: \"CALL p('${CHT_SECRET_REF}')\"}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	assert_no_secret(err);
	ck_assert_has(err, ":6: connection '${CHT_SECRET_NAME}' defined twice");
	/* two variables of the same value: each place shows its own */
	ck_assert_has(err, ":7: unknown connection '${CHT_SECRET_TOO}' in 'target'\n");
	ck_assert_has(err, ":9: target '${CHT_SECRET_NAME}': unknown connection '${CHT_SECRET}' "
	    "in 'from'\n");
	ck_assert_has(err, ":9: target '${CHT_SECRET_NAME}': query file '${CHT_SECRET}.sql' not "
	    "found\n");
	ck_assert_has(err, ":11: target '${CHT_SECRET_NAME}' defined twice");
	ck_assert_has(err, ":11: target '${CHT_SECRET_NAME}' needs unknown target '${CHT_SECRET}'\n");
	ck_assert_has(err, ":11: target '${CHT_SECRET_NAME}': 'ref.sql' uses an unknown connection "
	    "through a variable\n");
	ck_assert_has(err, ":13: dependency cycle: ${CHT_SECRET_CYCLE} -> ${CHT_SECRET_CYCLE}\n");
	ck_assert_has(err, ":15: target 's': 'call' uses an unknown connection through a "
	    "variable\n");
	free(err);

	/* included files */
	puts_("chacc.yml", HEAD "include: ['${CHT_SECRET}.yml']\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	assert_no_secret(err);
	ck_assert_has(err, ":5:11: included file '${CHT_SECRET}.yml' not found\n");
	free(err);
	proj_rm();
}
END_TEST

/*
 * a recipe reads its project's files only: no absolute paths, no way up out of
 * the project, no hidden files (.env, .git), no links out
 */
START_TEST(test_paths_stay_in_project)
{
	char outside[] = "/tmp/check_recipe.out.XXXXXX", *path, *err;
	char cwd[PATH_MAX];
	struct recipe *r;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ptr_nonnull(mkdtemp(outside));
	proj_new();
	/* a file outside the project, made through the project's helpers */
	{
		char saved[PATH_MAX];

		strcpy(saved, proj);
		strcpy(proj, outside);
		puts_("x.yml", "targets: []\n");
		strcpy(proj, saved);
	}
	puts_(".env", "CHT_DOTENV_SECRET=dotenv-secret\n");
	puts_("sql/ok.sql", "SELECT 1");
	path = xasprintf("%s/x.yml", outside);
	link_(path, "sql/out.sql");
	link_(path, "parts/evil.yml");
	free(path);
	link_("../.env", "sql/env.sql");
	puts_("parts/good.yml", "targets: []\n");
	ck_assert_int_eq(chdir(proj), 0);

	/* the web's file check names no file it finds there */
	puts_("recipes/r.yml", HEAD "include: ['../.e*', '/etc/*', '../../*/*.yml']\n");
	r = load("recipes/r.yml", NOENV, NULL, &err);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err,
	    "recipes/r.yml:5:11: include '../.e*' names a hidden file or directory\n"
	    "recipes/r.yml:5:21: include '/etc/*' is an absolute path: paths are relative to the "
	    "recipe\n"
	    "recipes/r.yml:5:31: include '../../*/*.yml' leaves the project's directory\n");
	free(err);

	puts_("recipes/r.yml", HEAD "include: ['../parts/*.yml']\n");
	r = load("recipes/r.yml", NOENV, NULL, &err);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err, "recipes/r.yml:5:11: included file '../parts/evil.yml' leads out of "
	    "the project through a symbolic link\n");
	free(err);

	puts_("recipes/r.yml", HEAD "targets:\n"
	      "  - {name: a, kind: table, query: ../sql/ok.sql}\n"
	      "  - {name: b, kind: table, query: /etc/passwd}\n"
	      "  - {name: c, kind: table, query: ../../x.sql}\n"
	      "  - {name: d, kind: table, query: ../sql/out.sql}\n"
	      "  - {name: e, kind: table, query: ../sql/env.sql}\n"
	      "  - {name: f, kind: table, query: ../sql/ok.sql, create: ../.env}\n"
	      "  - {name: g, kind: script, script: ../sql/../../etc/passwd}\n"
	      "  - {name: h, kind: extract, from: db, query: ../sql/ok.sql, key: [id],\n"
	      "     incremental: {column: x, probe: ../.git/config}}\n");
	r = load("recipes/r.yml", NOENV, NULL, &err);
	ck_assert_ptr_null(r);
	ck_assert_str_eq(err,
	    "recipes/r.yml:7: target 'b': query file '/etc/passwd' is an absolute path: paths are "
	    "relative to the recipe\n"
	    "recipes/r.yml:8: target 'c': query file '../../x.sql' leaves the project's directory\n"
	    "recipes/r.yml:9: target 'd': query file '../sql/out.sql' leads out of the project "
	    "through a symbolic link\n"
	    "recipes/r.yml:10: target 'e': query file '../sql/env.sql' leads to a hidden file "
	    "through a symbolic link\n"
	    "recipes/r.yml:11: target 'f': create file '../.env' names a hidden file or directory\n"
	    "recipes/r.yml:12: target 'g': script file '../sql/../../etc/passwd' leaves the "
	    "project's directory\n"
	    "recipes/r.yml:13: target 'h': probe file '../.git/config' names a hidden file or "
	    "directory\n");
	ck_assert(!strstr(err, "dotenv-secret"));
	free(err);

	/* recipes/ and sql/ side by side, as in this repository */
	puts_("recipes/r.yml", HEAD "include: ['../parts/good.yml']\n"
	      "targets:\n  - {name: a, kind: table, query: ../sql/ok.sql}\n");
	r = load("recipes/r.yml", NOENV, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);

	/* from elsewhere, the git work tree holding the recipe is its project */
	ck_assert_int_eq(chdir(outside), 0);
	r = proj_load("recipes/r.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "/recipes/r.yml:5:11: include '../parts/good.yml' leaves the "
	    "project's directory\n");
	free(err);
	puts_(".git/HEAD", "ref: refs/heads/main\n");
	r = proj_load("recipes/r.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);

	ck_assert_int_eq(chdir(cwd), 0);
	proj_rm();
	path = xasprintf("%s/x.yml", outside);
	unlink(path);
	free(path);
	rmdir(outside);
}
END_TEST

static Suite *
recipe_suite(void)
{
	Suite *s = suite_create("recipe_hostile");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nul_in_recipe);
	tcase_add_test(tc, test_nul_in_sql);
	tcase_add_test(tc, test_nul_in_revision);
	tcase_add_test(tc, test_second_document);
	tcase_add_test(tc, test_alias_bomb);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_many_anchors);
	tcase_add_test(tc, test_yaml_check);
	tcase_add_test(tc, test_secrets_never_shown);
	tcase_add_test(tc, test_paths_stay_in_project);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(recipe_suite());
}
