/* check_recipe.c: loading recipes, and every kind of recipe error a user can make */
#include "recipe.h"
#include "testutil.h"
#include "util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIX "tests/fixtures/recipes/"
#define ERR FIX "errors/"
/* a directory without .env: drops the one an earlier test loaded */
#define NOENV "/nonexistent"

static char envdir[] = "/tmp/check_recipe.XXXXXX";

/* a .env in a fresh directory (the project may git-ignore .env files) */
static void
setup(void)
{
	static const char *dotenv =
	    "# secrets stay out of git\n"
	    "CHT_SOURCE_USER=dotenv_user\n"
	    "export CHT_SOURCE_PASSWORD=\"s3cret # not a comment\"\n"
	    "CHT_LOOKUP_DB='lookup_db'   \n"
	    "CHT_SCHEMA=clinic # a comment\n"
	    "MAX_RETRIES=7\n"
	    "RETRY_DELAY=20\n"
	    "\n"
	    "not a line\n";
	char *path;
	FILE *f;

	strcpy(envdir, "/tmp/check_recipe.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(envdir));
	path = xasprintf("%s/.env", envdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(dotenv, f);
	fclose(f);
	free(path);
	unsetenv("MAX_RETRIES");
	unsetenv("RETRY_DELAY");
	unsetenv("CHT_SOURCE_USER");
	unsetenv("CHT_SOURCE_PORT");
	unsetenv("CHT_TEST_UNSET_USER");
	unsetenv("CHT_TEST_UNSET_SQL");
}

static void
teardown(void)
{
	char *path = xasprintf("%s/.env", envdir);

	unlink(path);
	free(path);
	rmdir(envdir);
}

/* load a recipe with stderr captured into *err */
static struct recipe *
load(const char *path, const char *dir, const struct fsrc *src, char **err)
{
	char tmpl[] = "/tmp/check_recipe.err.XXXXXX";
	struct recipe *r;
	int fd, saved;

	fflush(stderr);
	fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	saved = dup(2);
	dup2(fd, 2);
	r = recipe_load(path, dir, src);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	*err = readfile(tmpl, NULL);
	unlink(tmpl);
	ck_assert_ptr_nonnull(*err);
	return r;
}

/* load a recipe that must fail; returns its messages */
static char *
fails(const char *path)
{
	char *err;
	struct recipe *r = load(path, NULL, NULL, &err);

	ck_assert_msg(r == NULL, "%s loaded", path);
	return err;
}

#define ck_assert_has(text, want) \
	ck_assert_msg(strstr((text), (want)) != NULL, "missing \"%s\" in:\n%s", (want), (text))

static size_t
nlines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_full_recipe)
{
	struct recipe *r;
	struct target *t;
	struct conn *c;
	char *err;

	setenv("CHT_SOURCE_PORT", "3316", 1);
	r = load(FIX "valid/chacc.yml", envdir, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(r->dir, FIX "valid");
	ck_assert_int_eq(r->version, 1);
	ck_assert_str_eq(r->name, "clinic");
	ck_assert_str_eq(r->target_conn, "target");
	ck_assert_str_eq(r->on_failure, "mail -s 'chacc failed' ops@example.org");
	ck_assert_str_eq(r->scheduled_rev, "reviewed");

	/* connections, with an included one appended */
	ck_assert_uint_eq(r->nconns, 3);
	c = recipe_conn(r, "source");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->driver, "mariadb");
	ck_assert_str_eq(c->host, "127.0.0.1");
	ck_assert_uint_eq(c->port, 3316);
	ck_assert(c->socket == NULL || !*c->socket);
	ck_assert_str_eq(c->user, "dotenv_user");
	ck_assert_str_eq(c->password, "s3cret # not a comment");
	ck_assert_str_eq(c->database, "openmrs");
	c = recipe_conn(r, "target");
	ck_assert_uint_eq(c->port, 3307);
	ck_assert_str_eq(c->driver, "mariadb");
	ck_assert_str_eq(recipe_conn(r, "lookup")->database, "lookup_db");
	ck_assert_ptr_null(recipe_conn(r, "nope"));

	/* recipe order, then includes in sorted order */
	ck_assert_uint_eq(r->ntargets, 4);
	ck_assert_str_eq(r->targets[0].name, "observations");
	ck_assert_str_eq(r->targets[1].name, "flat_obs");
	ck_assert_str_eq(r->targets[2].name, "locations");
	ck_assert_str_eq(r->targets[3].name, "patient_summary");
	ck_assert_ptr_null(recipe_target(r, "nope"));

	t = recipe_target(r, "observations");
	ck_assert_int_eq(t->kind, KIND_EXTRACT);
	ck_assert_str_eq(kind_name(t->kind), "extract");
	ck_assert_str_eq(t->from, "source");
	ck_assert_str_eq(t->file, FIX "valid/chacc.yml");
	ck_assert_int_eq(t->line, 24);
	ck_assert_str_eq(t->query, "sql/observations.sql");
	ck_assert_has(t->query_sql, "FROM ${conn.source.database}.obs o");
	ck_assert_has(t->query_sql, ">= ${since} -- schema clinic");
	ck_assert_has(t->create_sql, "CREATE TABLE ${this} (");
	ck_assert_uint_eq(t->key.n, 1);
	ck_assert_str_eq(t->key.v[0], "obs_id");
	ck_assert_uint_eq(t->nindexes, 2);
	ck_assert_uint_eq(t->indexes[0].n, 1);
	ck_assert_str_eq(t->indexes[0].v[0], "person_id");
	ck_assert_uint_eq(t->indexes[1].n, 2);
	ck_assert_str_eq(t->indexes[1].v[0], "concept_id");
	ck_assert_str_eq(t->indexes[1].v[1], "obs_datetime");
	ck_assert(t->incr.enabled);
	ck_assert_str_eq(t->incr.column, "changed_at");
	ck_assert_str_eq(t->incr.deleted, "voided");
	ck_assert_double_eq(t->incr.lookback, 300);
	ck_assert_str_eq(t->incr.probe, "sql/observations_probe.sql");
	ck_assert_has(t->incr.probe_sql, "SELECT MAX(date_created)");
	/* target settings beat everything */
	ck_assert_int_eq(t->retries, 1);
	ck_assert_double_eq(t->retry_delay, 30);
	ck_assert_double_eq(t->timeout, 600);

	t = recipe_target(r, "flat_obs");
	ck_assert_int_eq(t->kind, KIND_TABLE);
	ck_assert_int_eq(t->line, 39);
	ck_assert_uint_eq(t->needs.n, 2);
	ck_assert_str_eq(t->needs.v[1], "locations");
	ck_assert(t->incr.enabled);
	ck_assert_ptr_null(t->incr.column);
	ck_assert_double_eq(t->incr.lookback, 60);
	ck_assert_has(t->query_sql, "'${run_id}' AS run");
	ck_assert_ptr_null(t->create);
	ck_assert_uint_eq(t->nindexes, 0);
	/* defaults beat the environment, which beats built-ins */
	ck_assert_int_eq(t->retries, 5);
	ck_assert_double_eq(t->retry_delay, 20);
	ck_assert_double_eq(t->timeout, 3600);

	t = recipe_target(r, "locations");
	ck_assert_str_eq(t->file, FIX "valid/recipes/10-locations.yml");
	ck_assert_int_eq(t->line, 6);
	ck_assert_str_eq(t->from, "lookup");
	ck_assert(!t->incr.enabled);
	ck_assert_double_eq(t->incr.lookback, 60);

	t = recipe_target(r, "patient_summary");
	ck_assert_int_eq(t->kind, KIND_SCRIPT);
	ck_assert_str_eq(t->file, FIX "valid/recipes/20-summary.yml");
	ck_assert_int_eq(t->line, 2);
	ck_assert_ptr_null(t->query_sql);
	ck_assert_has(t->script_sql, "END$$\nDELIMITER ;");
	ck_assert_str_eq(t->call, "CALL chacc_patient_summary('${this}', ${since})");
	ck_assert(t->incr.enabled);
	recipe_free(r);
	free(err);
}
END_TEST

START_TEST(test_environment_beats_dotenv)
{
	struct recipe *r;
	char *err;

	setenv("CHT_SOURCE_USER", "env_user", 1);
	setenv("RETRY_DELAY", "45s", 1);
	r = load(FIX "valid/chacc.yml", envdir, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(recipe_conn(r, "source")->user, "env_user");
	ck_assert_uint_eq(recipe_conn(r, "source")->port, 3306);
	ck_assert_double_eq(recipe_target(r, "flat_obs")->retry_delay, 45);
	recipe_free(r);
	free(err);
}
END_TEST

START_TEST(test_builtin_defaults)
{
	struct recipe *r;
	struct target *t;
	char *err;

	r = load(FIX "valid/minimal.yml", NOENV, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(r->version, 1);
	ck_assert_str_eq(r->scheduled_rev, "main");
	ck_assert_ptr_null(r->on_failure);
	ck_assert_str_eq(r->conns[0].driver, "mariadb");
	ck_assert_uint_eq(r->conns[0].port, 0);
	t = &r->targets[0];
	ck_assert_int_eq(t->retries, 3);
	ck_assert_double_eq(t->retry_delay, 10);
	ck_assert_double_eq(t->timeout, 1800);
	ck_assert_double_eq(t->incr.lookback, 60);
	recipe_free(r);
	free(err);

	/* the Luigi project's names, when the recipe says nothing */
	setenv("MAX_RETRIES", "9", 1);
	setenv("RETRY_DELAY", "2m", 1);
	r = load(FIX "valid/minimal.yml", NULL, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(r->targets[0].retries, 9);
	ck_assert_double_eq(r->targets[0].retry_delay, 120);
	recipe_free(r);
	free(err);

	setenv("MAX_RETRIES", "many", 1);
	err = fails(FIX "valid/minimal.yml");
	ck_assert_has(err, "MAX_RETRIES: expected a non-negative integer, got 'many'");
	free(err);
}
END_TEST

START_TEST(test_json_recipe)
{
	struct recipe *r;
	struct target *t;
	char *err;

	r = load(FIX "valid/recipe.json", NULL, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(r->name, "clinic-json");
	ck_assert_uint_eq(recipe_conn(r, "source")->port, 3308);
	ck_assert_str_eq(recipe_conn(r, "source")->user, "reader");
	ck_assert_str_eq(recipe_conn(r, "target")->socket, "/run/mysqld/mysqld.sock");
	t = recipe_target(r, "locations");
	ck_assert_int_eq(t->line, 11);
	ck_assert_uint_eq(t->nindexes, 2);
	ck_assert_str_eq(t->indexes[1].v[0], "parent");
	ck_assert_str_eq(t->indexes[1].v[1], "name");
	ck_assert(t->incr.enabled);
	ck_assert_str_eq(t->incr.column, "changed_at");
	ck_assert_ptr_null(t->incr.deleted);
	ck_assert_double_eq(t->incr.lookback, 60);
	ck_assert_double_eq(t->retry_delay, 60);
	t = recipe_target(r, "location_summary");
	ck_assert(!t->incr.enabled);
	ck_assert_double_eq(t->timeout, 0);
	recipe_free(r);
	free(err);
}
END_TEST

/* an in-memory source, as a git revision would be */
struct memfile {
	const char *path;
	const char *text;
};

static const struct memfile memfiles[] = {
	{ "conf/main.yml",
	  "name: mem\nconnections: [{name: db}]\ntarget: db\ninclude: ['parts/*.yml']\n"
	  "targets:\n  - name: a\n    kind: table\n    query: sql/a.sql\n" },
	{ "conf/parts/b.yml",
	  "targets:\n  - name: b\n    kind: table\n    needs: [a]\n    query: sql/b.sql\n" },
	{ "conf/sql/a.sql", "SELECT 'a from the revision'" },
	{ "conf/sql/b.sql", "SELECT * FROM a" },
	{ "sql/a.sql", "SELECT 'wrong directory'" },
	{ NULL, NULL },
};

static char *
mem_read(void *ctx, const char *path, size_t *len)
{
	const struct memfile *f;

	for (f = ctx; f->path; f++) {
		if (!strcmp(f->path, path)) {
			if (len)
				*len = strlen(f->text);
			return xstrdup(f->text);
		}
	}
	return NULL;
}

static long
mem_glob(void *ctx, const char *pattern, char ***paths)
{
	const struct memfile *f;
	long n = 0;

	*paths = NULL;
	for (f = ctx; f->path; f++) {
		if (!fnmatch(pattern, f->path, FNM_PATHNAME)) {
			*paths = xreallocarray(*paths, n + 1, sizeof(**paths));
			(*paths)[n++] = xstrdup(f->path);
		}
	}
	return n;
}

START_TEST(test_source_interface)
{
	struct fsrc src = { (void *)memfiles, mem_read, mem_glob };
	struct recipe *r;
	char *err;

	r = load("conf/main.yml", NULL, &src, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(r->dir, "conf");
	ck_assert_uint_eq(r->ntargets, 2);
	ck_assert_str_eq(r->targets[0].query_sql, "SELECT 'a from the revision'");
	ck_assert_str_eq(r->targets[1].name, "b");
	ck_assert_str_eq(r->targets[1].file, "conf/parts/b.yml");
	ck_assert_str_eq(r->targets[1].query_sql, "SELECT * FROM a");
	recipe_free(r);
	free(err);
}
END_TEST

START_TEST(test_env_expand)
{
	char *s, *unset;

	setenv("CHT_X", "ex", 1);
	setenv("CHT_EMPTY", "", 1);
	unsetenv("CHT_NOPE");
	s = env_expand("a ${CHT_X} ${CHT_NOPE:-dflt} ${CHT_EMPTY:-e} ${CHT_NOPE:-${CHT_X}}", &unset);
	ck_assert_str_eq(s, "a ex dflt e ex");
	free(s);
	s = env_expand("${this} ${since} ${run_id} ${conn.src.database} $$ $x ${1} $", &unset);
	ck_assert_str_eq(s, "${this} ${since} ${run_id} ${conn.src.database} $$ $x ${1} $");
	free(s);
	s = env_expand("END$$\nDELIMITER ;\n${CHT_EMPTY}|", &unset);
	ck_assert_str_eq(s, "END$$\nDELIMITER ;\n|");
	free(s);
	ck_assert_ptr_null(env_expand("x ${CHT_NOPE} y", &unset));
	ck_assert_str_eq(unset, "CHT_NOPE");
	free(unset);
	ck_assert_ptr_null(env_expand("${CHT_NOPE:-${CHT_NOPE2}}", &unset));
	ck_assert_str_eq(unset, "CHT_NOPE2");
	free(unset);
}
END_TEST

/* nested defaults and unclosed "${" in a large file: no deep recursion, no quadratic scan */
START_TEST(test_env_expand_hostile)
{
	size_t n = 200000, i;
	struct buf b;
	char *s, *unset;

	unsetenv("CHT_NOPE");
	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_adds(&b, "${CHT_NOPE:-");
	buf_adds(&b, "deepest");
	for (i = 0; i < n; i++)
		buf_addc(&b, '}');
	s = env_expand(b.s, &unset);
	ck_assert_str_eq(s, "deepest");
	free(s);
	buf_release(&b);

	buf_init(&b);
	for (i = 0; i < n; i++)
		buf_adds(&b, "${a ");
	s = env_expand(b.s, &unset);
	ck_assert_str_eq(s, b.s);
	free(s);
	buf_release(&b);
}
END_TEST

START_TEST(test_dotenv)
{
	env_load_dotenv(envdir);
	ck_assert_str_eq(env_get("CHT_SOURCE_PASSWORD"), "s3cret # not a comment");
	ck_assert_str_eq(env_get("CHT_LOOKUP_DB"), "lookup_db");
	ck_assert_str_eq(env_get("CHT_SCHEMA"), "clinic");
	ck_assert_ptr_null(env_get("not a line"));
	setenv("CHT_SCHEMA", "from_env", 1);
	ck_assert_str_eq(env_get("CHT_SCHEMA"), "from_env");
	unsetenv("CHT_SCHEMA");
}
END_TEST

START_TEST(test_syntax_error)
{
	char *err = fails(ERR "syntax.yml");

	ck_assert_has(err, ERR "syntax.yml:7:11: syntax error: mapping values are not allowed");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
}
END_TEST

START_TEST(test_unknown_key)
{
	char *err = fails(ERR "unknown_key.yml");

	ck_assert_has(err, ERR "unknown_key.yml:7:5: unknown key 'kidn' in target\n");
	ck_assert_has(err, ERR "unknown_key.yml:6:5: missing required key 'kind' in target\n");
	free(err);
}
END_TEST

START_TEST(test_wrong_type)
{
	char *err = fails(ERR "wrong_type.yml");

	ck_assert_has(err, ERR "wrong_type.yml:3:7: expected a string for 'name', got a sequence\n");
	ck_assert_has(err, ERR "wrong_type.yml:9:12: expected a sequence for 'needs', got a string\n");
	ck_assert_has(err, ERR "wrong_type.yml:10:18: expected true, false or a mapping for "
	    "'incremental', got a sequence\n");
	free(err);
}
END_TEST

START_TEST(test_missing_key)
{
	char *err = fails(ERR "missing_key.yml");

	ck_assert_has(err, ERR "missing_key.yml:1:1: missing required key 'target' in recipe\n");
	ck_assert_has(err, ERR "missing_key.yml:5:5: missing required key 'name' in target\n");
	free(err);
}
END_TEST

START_TEST(test_bad_values)
{
	char *err = fails(ERR "bad_values.yml");

	ck_assert_has(err, ERR "bad_values.yml:5:11: invalid port '70000'\n");
	ck_assert_has(err, ERR "bad_values.yml:9:11: invalid kind 'view' "
	    "(expected extract, table or script)\n");
	ck_assert_has(err, ERR "bad_values.yml:14:14: invalid duration '5 minutes' for 'timeout'");
	ck_assert_has(err, ERR "bad_values.yml:15:11: invalid target name 'etl_metadata': names "
	    "starting with 'etl_' or '_chacc' are reserved\n");
	ck_assert_has(err, ERR "bad_values.yml:21:18: incremental on a table target takes true or false");
	ck_assert_uint_eq(nlines(err), 5);
	free(err);
}
END_TEST

START_TEST(test_unknown_need)
{
	char *err = fails(ERR "unknown_need.yml");

	ck_assert_str_eq(err, ERR "unknown_need.yml:8: target 'b' needs unknown target 'zz'\n");
	free(err);
}
END_TEST

START_TEST(test_cycle)
{
	char *err = fails(ERR "cycle.yml");

	ck_assert_has(err, ERR "cycle.yml:5: dependency cycle: a -> c -> b -> a\n");
	ck_assert_has(err, ERR "cycle.yml:17: dependency cycle: d -> d\n");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
}
END_TEST

START_TEST(test_duplicate_across_include)
{
	char *err = fails(ERR "dup/chacc.yml");

	ck_assert_str_eq(err, ERR "dup/more/extra.yml:5: target 'a' defined twice "
	    "(first at " ERR "dup/chacc.yml:6)\n");
	free(err);
}
END_TEST

START_TEST(test_missing_sql)
{
	char *err = fails(ERR "missing_sql.yml");

	ck_assert_str_eq(err, ERR "missing_sql.yml:5: target 'a': query file 'sql/nope.sql' not found\n");
	free(err);
}
END_TEST

START_TEST(test_unset_variable)
{
	char *err = fails(ERR "unset_var.yml");

	ck_assert_has(err, ERR "unset_var.yml:5:11: unset variable 'CHT_TEST_UNSET_USER'\n");
	ck_assert_has(err, ERR "unset_var.yml:8: target 'a': unset variable 'CHT_TEST_UNSET_SQL' "
	    "in query file 'sql/unset.sql'\n");
	free(err);

	/* set, both load */
	setenv("CHT_TEST_UNSET_USER", "u", 1);
	setenv("CHT_TEST_UNSET_SQL", "openmrs", 1);
	{
		struct recipe *r = load(ERR "unset_var.yml", NULL, NULL, &err);

		ck_assert_msg(r != NULL, "%s", err);
		ck_assert_str_eq(r->targets[0].query_sql,
		    "SELECT * FROM openmrs.obs WHERE changed_at > ${since}\n");
		recipe_free(r);
		free(err);
	}
}
END_TEST

START_TEST(test_query_files_hold_one_statement)
{
	char *err = fails(ERR "statements.yml");

	ck_assert_has(err, ERR "statements.yml:5: target 'two': query file 'sql/two.sql' holds 2"
	    " statements; it must hold one\n");
	ck_assert_has(err, ERR "statements.yml:8: target 'open': query file 'sql/open.sql':"
	    " unterminated string");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
}
END_TEST

START_TEST(test_all_problems_at_once)
{
	char *err = fails(ERR "many.yml");

	ck_assert_has(err, ERR "many.yml:5: target 'a': unknown connection 'nowhere' in 'from'\n");
	ck_assert_has(err, ERR "many.yml:9: target 'b' needs unknown target 'ghost'\n");
	ck_assert_has(err, ERR "many.yml:13: target 'c': query file 'sql/absent.sql' not found\n");
	ck_assert_uint_eq(nlines(err), 3);
	free(err);
}
END_TEST

START_TEST(test_kind_rules)
{
	char *err = fails(ERR "kinds.yml");

	ck_assert_has(err, ERR "kinds.yml:8:18: an incremental extract needs a mapping with its "
	    "watermark 'column'");
	ck_assert_has(err, ERR "kinds.yml:5: target 'e': an extract needs 'from'");
	ck_assert_has(err, ERR "kinds.yml:5: target 'e': incremental needs 'key'");
	ck_assert_has(err, ERR "kinds.yml:9: target 't': a table target needs 'query'\n");
	ck_assert_has(err, ERR "kinds.yml:9: target 't': 'script' is only for script targets");
	ck_assert_has(err, ERR "kinds.yml:13: target 's': a script target needs 'script'\n");
	ck_assert_has(err, ERR "kinds.yml:13: target 's': 'call' uses unknown connection "
	    "'elsewhere'\n");
	free(err);
}
END_TEST

START_TEST(test_unreadable_recipe)
{
	char *err = fails(FIX "no/such.yml");

	ck_assert_has(err, FIX "no/such.yml: cannot read: No such file or directory\n");
	free(err);
}
END_TEST

static Suite *
recipe_suite(void)
{
	Suite *s = suite_create("recipe");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full_recipe);
	tcase_add_test(tc, test_environment_beats_dotenv);
	tcase_add_test(tc, test_builtin_defaults);
	tcase_add_test(tc, test_json_recipe);
	tcase_add_test(tc, test_source_interface);
	tcase_add_test(tc, test_env_expand);
	tcase_add_test(tc, test_env_expand_hostile);
	tcase_add_test(tc, test_dotenv);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_missing_key);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_unknown_need);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_duplicate_across_include);
	tcase_add_test(tc, test_missing_sql);
	tcase_add_test(tc, test_unset_variable);
	tcase_add_test(tc, test_all_problems_at_once);
	tcase_add_test(tc, test_query_files_hold_one_statement);
	tcase_add_test(tc, test_kind_rules);
	tcase_add_test(tc, test_unreadable_recipe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(recipe_suite());
}
