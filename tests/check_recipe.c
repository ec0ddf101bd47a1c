/* check_recipe.c: loading recipes, and every kind of recipe error a user can make */
#include "diag.h"
#include "plan.h"
#include "recipe.h"
#include "testutil.h"
#include "util.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* load a recipe with its problems, as text one a line, into *err */
static struct recipe *
load(const char *path, const char *dir, const struct fsrc *src, char **err)
{
	struct diags ds;
	struct recipe *r;
	struct buf b;

	diags_init(&ds);
	r = recipe_load(path, dir, src, &ds);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < ds.n; i++) {
		diag_text(&ds.v[i], &b);
		buf_addc(&b, '\n');
	}
	diags_release(&ds);
	*err = buf_detach(&b);
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
	ck_assert_has(err, "MAX_RETRIES: invalid count 'many': expected a whole number from 0 to 100");
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
	size_t len;       /* 0: strlen(text) */
};

static const struct memfile memfiles[] = {
	{ "conf/main.yml",
	  "name: mem\nconnections: [{name: db}]\ntarget: db\ninclude: ['parts/*.yml']\n"
	  "targets:\n  - name: a\n    kind: table\n    query: sql/a.sql\n", 0 },
	{ "conf/parts/b.yml",
	  "targets:\n  - name: b\n    kind: table\n    needs: [a]\n    query: sql/b.sql\n", 0 },
	{ "conf/sql/a.sql", "SELECT 'a from the revision'", 0 },
	{ "conf/sql/b.sql", "SELECT * FROM a", 0 },
	{ "sql/a.sql", "SELECT 'wrong directory'", 0 },
	{ NULL, NULL, 0 },
};

static char *
mem_read(void *ctx, const char *path, size_t *len)
{
	const struct memfile *f;

	for (f = ctx; f->path; f++) {
		if (!strcmp(f->path, path)) {
			size_t n = f->len ? f->len : strlen(f->text);
			char *s = xmalloc(n + 1);

			memcpy(s, f->text, n);
			s[n] = '\0';
			if (len)
				*len = n;
			return s;
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
	struct fsrc src = { .ctx = (void *)memfiles, .read = mem_read, .glob = mem_glob };
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

	ck_assert_has(err, ERR "unknown_key.yml:7:5: unknown key 'kidn' in target: "
	              "did you mean 'kind'?\n");
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

	ck_assert_has(err, ERR "bad_values.yml:5:11: invalid port '70000': expected a whole number from 1 to 65535\n");
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

	ck_assert_has(err, ERR "unset_var.yml:5:11: unset variable 'CHT_TEST_UNSET_USER' "
	    "(not in the environment)\n");
	ck_assert_has(err, ERR "unset_var.yml:8: target 'a': unset variable 'CHT_TEST_UNSET_SQL' "
	    "in query file 'sql/unset.sql' (not in the environment)\n");
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

/* a diagnostic whose message starts so is in ds, at file, line, column and target */
static void
ck_diag(const struct diags *ds, const char *file, int line, int column, const char *target,
        const char *message)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct diag *d = &ds->v[i];

		if (!strstarts(d->message, message) || d->line != line || !d->target != !target ||
		    (target && strcmp(d->target, target) != 0))
			continue;
		ck_assert_int_eq(d->severity, DIAG_ERROR);
		ck_assert_str_eq(d->file, file);
		ck_assert_int_eq(d->line, line);
		ck_assert_int_eq(d->column, column);
		if (target)
			ck_assert_str_eq(d->target, target);
		else
			ck_assert_ptr_null(d->target);
		return;
	}
	ck_abort_msg("no diagnostic \"%s\" of %zu", message, ds->n);
}

static void
count_diag(void *arg, const struct diag *d)
{
	++*(int *)arg;
}

/* what a broken recipe says, as data: every problem, each at its file, line, column and target */
START_TEST(test_diagnostics_as_data)
{
	int emitted = 0;
	struct diags ds = { .emit = count_diag, .arg = &emitted };
	struct recipe *r = recipe_load(ERR "kinds.yml", NOENV, NULL, &ds);

	ck_assert_ptr_null(r);
	ck_diag(&ds, ERR "kinds.yml", 8, 18, NULL,
	        "an incremental extract needs a mapping with its watermark 'column'");
	ck_diag(&ds, ERR "kinds.yml", 5, 0, "e", "an extract needs 'from'");
	ck_diag(&ds, ERR "kinds.yml", 5, 0, "e", "incremental needs 'key'");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "a table target needs 'query'");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "'script' is only for script targets");
	ck_diag(&ds, ERR "kinds.yml", 9, 0, "t", "incremental needs 'key'");
	ck_diag(&ds, ERR "kinds.yml", 13, 0, "s", "a script target needs 'script'");
	ck_diag(&ds, ERR "kinds.yml", 13, 0, "s", "'call' uses unknown connection 'elsewhere'");
	ck_assert_uint_eq(ds.n, 8);
	ck_assert_uint_eq(ds.nerrors, ds.n);
	/* the caller saw each as it was found: nothing was printed */
	ck_assert_int_eq(emitted, (int)ds.n);
	diags_release(&ds);
	ck_assert_uint_eq(ds.n, 0);

	/* a syntax error at its line and column; a missing file at the file alone */
	r = recipe_load(ERR "syntax.yml", NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].file, ERR "syntax.yml");
	ck_assert_int_gt(ds.v[0].line, 0);
	ck_assert_int_gt(ds.v[0].column, 0);
	ck_assert(strstarts(ds.v[0].message, "syntax error: "));
	diags_release(&ds);
	r = recipe_load(FIX "no/such.yml", NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_str_eq(ds.v[0].file, FIX "no/such.yml");
	ck_assert_int_eq(ds.v[0].line, 0);
	ck_assert_str_eq(ds.v[0].message, "cannot read: No such file or directory");
	diags_release(&ds);
	/* a good recipe: no diagnostic */
	r = recipe_load(FIX "valid/chacc.yml", envdir, NULL, &ds);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ds.n, 0);
	recipe_free(r);
}
END_TEST

START_TEST(test_unreadable_recipe)
{
	char *err = fails(FIX "no/such.yml");

	ck_assert_has(err, FIX "no/such.yml: cannot read: No such file or directory\n");
	free(err);
}
END_TEST

/* files of a recipe made by a test, in a fresh directory */

static char proj[PATH_MAX];

static void
proj_new(void)
{
	strcpy(proj, "/tmp/check_recipe.proj.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(proj));
}

/* rel in the project, with its directories */
static char *
proj_path(const char *rel)
{
	char *path = xasprintf("%s/%s", proj, rel), *slash;

	for (slash = strchr(path + strlen(proj) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	return path;
}

static void
put(const char *rel, const char *text, size_t len)
{
	char *path = proj_path(rel);
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	free(path);
}

#define puts_(rel, text) put((rel), (text), strlen(text))

static void
link_(const char *target, const char *rel)
{
	char *path = proj_path(rel);

	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
proj_rm(void)
{
	nftw(proj, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* load rel of the project (the working directory stays where it is) */
static struct recipe *
proj_load(const char *rel, char **err)
{
	char *path = xasprintf("%s/%s", proj, rel);
	struct recipe *r = load(path, NOENV, NULL, err);

	free(path);
	return r;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define HEAD "chacc: 1\nname: p\nconnections: [{name: db}]\ntarget: db\n"

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

/* a problem of the project's recipe at line:column ("" for none) with its message, in err */
static void
ck_line(const char *err, const char *at, const char *message)
{
	char *want = xasprintf("%s/chacc.yml%s: %s\n", proj, at, message);

	ck_assert_has(err, want);
	free(want);
}

/*
 * problems of different stages in one recipe are all reported: an unknown key
 * or a bad value does not hide a missing SQL file, an unknown need or connection
 */
START_TEST(test_every_problem_at_once)
{
	struct diags ds;
	struct recipe *r;
	char *err, *path;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	puts_("chacc.yml", HEAD
	      "targets:\n"
	      "  - name: a\n"                                  /* 6 */
	      "    kind: table\n"
	      "    qurey: ok.sql\n"                            /* 8: unknown key */
	      "  - name: b\n"                                  /* 9 */
	      "    kind: view\n"                               /* 10: bad kind */
	      "    needs: [a, ghost]\n"                        /* unknown need */
	      "    query: missing.sql\n"                       /* missing file */
	      "  - name: c\n"                                  /* 13 */
	      "    kind: table\n"
	      "    query: gone.sql\n"                          /* missing file */
	      "    retries: 1000000\n"                         /* 16: absurd */
	      "  - name: d\n"                                  /* 17 */
	      "    kind: extract\n"
	      "    from: nowhere\n"                            /* unknown connection */
	      "    query: ok.sql\n"
	      "    key: [id]\n"
	      "    incremental: {column: x, lookback: 5 minutes}\n"); /* 22 */
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":8:5", "unknown key 'qurey' in target: did you mean 'query'?");
	ck_line(err, ":10:11", "invalid kind 'view' (expected extract, table or script)");
	ck_line(err, ":16:14", "invalid count '1000000' for 'retries': expected a whole number "
	        "from 0 to 100");
	ck_line(err, ":22:40", "invalid duration '5 minutes' for 'lookback': expected " DURATION_FORMS
	        ", at most 7d");
	ck_line(err, ":9", "target 'b' needs unknown target 'ghost'");
	ck_line(err, ":9", "target 'b': query file 'missing.sql' not found");
	ck_line(err, ":13", "target 'c': query file 'gone.sql' not found");
	ck_line(err, ":17", "target 'd': unknown connection 'nowhere' in 'from'");
	/* and nothing that follows from them: not "a table target needs 'query'" for a */
	ck_assert_msg(nlines(err) == 8, "%zu problems:\n%s", nlines(err), err);
	free(err);

	/* the same as data, each at its place */
	diags_init(&ds);
	path = xasprintf("%s/chacc.yml", proj);
	r = recipe_load(path, NOENV, NULL, &ds);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(ds.n, 8);
	ck_assert_uint_eq(ds.nerrors, 8);
	ck_diag(&ds, path, 8, 5, NULL, "unknown key 'qurey' in target");
	ck_diag(&ds, path, 10, 11, NULL, "invalid kind 'view'");
	ck_diag(&ds, path, 9, 0, NULL, "target 'b' needs unknown target 'ghost'");
	ck_diag(&ds, path, 9, 0, "b", "query file 'missing.sql' not found");
	ck_diag(&ds, path, 13, 0, "c", "query file 'gone.sql' not found");
	ck_diag(&ds, path, 17, 0, "d", "unknown connection 'nowhere' in 'from'");
	diags_release(&ds);
	free(path);
	proj_rm();
}
END_TEST

/* what a problem hides is not reported as problems of its own */
START_TEST(test_no_cascading_problems)
{
	struct recipe *r;
	char *err;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	/* connections misspelt: their users are not "unknown connection" */
	puts_("chacc.yml", "chacc: 1\nname: p\nconections: [{name: db}]\ntarget: db\n"
	      "targets:\n  - {name: a, kind: extract, from: db, query: ok.sql, key: [id],"
	      " call: \"CALL p('${conn.db.database}')\"}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":3:1", "unknown key 'conections' in recipe: did you mean 'connections'?");
	ck_assert_msg(nlines(err) == 2, "%s", err);  /* and 'call' is only for scripts */
	ck_line(err, ":6", "target 'a': 'call' is only for script targets");
	free(err);

	/* an included file that does not parse: its targets are not "unknown" */
	puts_("chacc.yml", HEAD "include: [more.yml]\n"
	      "targets:\n  - {name: a, kind: table, needs: [b], query: ok.sql}\n"
	      "  - {name: c, kind: table, query: nope.sql}\n");
	puts_("more.yml", "targets:\n  - name: b\n    kind: table\n     query: ok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "/more.yml:4:11: syntax error: ");
	ck_line(err, ":8", "target 'c': query file 'nope.sql' not found");
	ck_assert_msg(nlines(err) == 2, "%s", err);
	free(err);

	/* a target without a name, another with a kind that is not one */
	puts_("chacc.yml", HEAD
	      "targets:\n  - {kind: table, query: ok.sql}\n"
	      "  - {name: b, kind: tabel, needs: [zz], query: ok.sql}\n"
	      "  - {name: c, kind: table, needs: [b], query: ok.sql, retry_delay: 1 sec}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":6:5", "missing required key 'name' in target");
	ck_line(err, ":7:21", "invalid kind 'tabel': did you mean 'table'?");
	ck_line(err, ":8:68", "invalid duration '1 sec' for 'retry_delay': expected " DURATION_FORMS
	        ", at most 7d");
	ck_assert_msg(nlines(err) == 3, "%s", err);
	free(err);
	proj_rm();
}
END_TEST

/* every duration takes the same forms, and says so alike */
START_TEST(test_durations_one_rule)
{
	static const char *good[] = { "30", "30s", "2.5s", "250ms", "5m", "1h", "1d", "7d", "0" };
	static const char *bad[] = { "1 sec", "5 minutes", "5min", "1e3", "-5s", "8d", "soon" };
	static const char *keys[] = { "retry_delay", "timeout", "lookback" };
	struct recipe *r;
	char *err, *text, *msg;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	for (size_t k = 0; k < LEN(keys); k++) {
		for (size_t i = 0; i < LEN(good) + LEN(bad); i++) {
			const char *v = i < LEN(good) ? good[i] : bad[i - LEN(good)];

			text = xasprintf(HEAD "targets:\n  - name: a\n    kind: extract\n    from: db\n"
			                 "    query: ok.sql\n    key: [id]\n"
			                 "    incremental: {column: x%s%s}\n%s%s%s",
			                 k == 2 ? ", lookback: " : "", k == 2 ? v : "",
			                 k < 2 ? "    " : "", k < 2 ? keys[k] : "", k < 2 ? ": " : "");
			if (k < 2) {
				char *t2 = xasprintf("%s%s\n", text, v);

				free(text);
				text = t2;
			}
			puts_("chacc.yml", text);
			free(text);
			r = proj_load("chacc.yml", &err);
			if (i < LEN(good)) {
				ck_assert_msg(r != NULL, "%s: %s refused: %s", keys[k], v, err);
				recipe_free(r);
			} else {
				ck_assert_msg(r == NULL, "%s: %s taken", keys[k], v);
				msg = xasprintf("invalid duration '%s' for '%s': expected " DURATION_FORMS
				                ", at most 7d\n", v, keys[k]);
				ck_assert_has(err, msg);
				ck_assert_uint_eq(nlines(err), 1);
				free(msg);
			}
			free(err);
		}
	}
	/* RETRY_DELAY in the environment, alike */
	setenv("RETRY_DELAY", "1 sec", 1);
	puts_("chacc.yml", HEAD "targets:\n  - {name: a, kind: table, query: ok.sql}\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "RETRY_DELAY: invalid duration '1 sec': expected " DURATION_FORMS
	              ", at most 7d\n");
	free(err);
	setenv("RETRY_DELAY", "30s", 1);
	setenv("MAX_RETRIES", "101", 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "MAX_RETRIES: invalid count '101': expected a whole number from 0 to 100\n");
	free(err);
	setenv("MAX_RETRIES", "100", 1);
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(r->targets[0].retries, 100);
	ck_assert_double_eq(r->targets[0].retry_delay, 30);
	recipe_free(r);
	free(err);
	unsetenv("RETRY_DELAY");
	unsetenv("MAX_RETRIES");
	proj_rm();
}
END_TEST

/* a tab in YAML's indentation: said so, at the tab */
START_TEST(test_tab_hint)
{
	struct recipe *r;
	char *err;

	proj_new();
	puts_("ok.sql", "SELECT 1");
	puts_("chacc.yml", HEAD "targets:\n\t- name: a\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_line(err, ":6:1", "syntax error: found character that cannot start any token "
	        "(while scanning for the next token at line 6); YAML indents with spaces, not tabs");
	free(err);
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n  \tkind: table\n    query: ok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "/chacc.yml:7:3: syntax error: ") &&
	              strstr(err, "; YAML indents with spaces, not tabs\n"), "%s", err);
	free(err);
	/* a tab elsewhere is no indentation */
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n    kind: table\n    query:\tok.sql\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);
	puts_("chacc.yml", HEAD "targets:\n  - name: a\n    kind: table\n    query: ok.sql\n  ]\n");
	r = proj_load("chacc.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_msg(!strstr(err, "tabs"), "%s", err);
	free(err);
	proj_rm();
}
END_TEST

/* .env of the working directory and of the recipe's: the first wins, the environment beats both */
START_TEST(test_dotenv_two_directories)
{
	struct recipe *r;
	char *err, *path, *want;

	proj_new();
	puts_("recipes/ok.sql", "SELECT '${CHT_WHERE}', '${CHT_BOTH}', '${CHT_RECIPE_ONLY}'");
	puts_("recipes/.env", "CHT_BOTH=recipe\nCHT_RECIPE_ONLY=recipe\nCHT_WHERE=recipe\n");
	puts_("work/.env", "CHT_BOTH=work\nCHT_WORK_ONLY=work\n");
	puts_("recipes/chacc.yml", HEAD "targets:\n  - {name: a, kind: table, query: ok.sql}\n"
	      "  - {name: '${CHT_WORK_ONLY}', kind: table, query: ok.sql}\n");
	unsetenv("CHT_BOTH");
	unsetenv("CHT_WHERE");
	unsetenv("CHT_WORK_ONLY");
	unsetenv("CHT_RECIPE_ONLY");
	setenv("CHT_WHERE", "environment", 1);
	path = xasprintf("%s/recipes/chacc.yml", proj);
	{
		char *work = xasprintf("%s/work", proj);

		r = load(path, work, NULL, &err);
		ck_assert_msg(r != NULL, "%s", err);
		ck_assert_str_eq(r->targets[0].query_sql, "SELECT 'environment', 'work', 'recipe'");
		ck_assert_str_eq(r->targets[1].name, "work");
		recipe_free(r);
		free(err);

		/* unset: the message names where it looked */
		puts_("recipes/ok.sql", "SELECT ${CHT_NOWHERE}");
		r = load(path, work, NULL, &err);
		ck_assert_ptr_null(r);
		want = xasprintf("unset variable 'CHT_NOWHERE' in query file 'ok.sql' (not in the "
		                 "environment, %s/work/.env or %s/recipes/.env)\n", proj, proj);
		ck_assert_has(err, want);
		free(want);
		free(err);
		free(work);
	}
	/* a recipe in the working directory: one .env, named once */
	{
		char *recipes = xasprintf("%s/recipes", proj);

		r = load(path, recipes, NULL, &err);
		ck_assert_ptr_null(r);
		want = xasprintf("(not in the environment or %s/recipes/.env)\n", proj);
		ck_assert_has(err, want);
		free(want);
		free(err);
		free(recipes);
	}
	unsetenv("CHT_WHERE");
	free(path);
	proj_rm();
}
END_TEST

/* a recipe of the project with one target whose entry ends with extra */
static struct recipe *
one_target(const char *extra, char **err)
{
	struct buf b;
	struct recipe *r;

	buf_init(&b);
	buf_addf(&b, "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	         "target: db\ntargets:\n  - name: a\n    kind: table\n    query: a.sql\n%s",
	         extra);
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", b.s);
	buf_release(&b);
	r = proj_load("r.yml", err);
	proj_rm();
	return r;
}

START_TEST(test_did_you_mean)
{
	char *err = NULL;
	struct recipe *r = one_target("    neeeds: [b]\n    tabel: x\n    zzz_unrelated: 1\n", &err);

	ck_assert_ptr_null(r);
	ck_assert_has(err, "r.yml:10:5: unknown key 'neeeds' in target: did you mean 'needs'?\n");
	ck_assert_has(err, "r.yml:11:5: unknown key 'tabel' in target\n");
	ck_assert_has(err, "r.yml:12:5: unknown key 'zzz_unrelated' in target\n");
	free(err);
	r = one_target("    retires: 2\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "unknown key 'retires' in target: did you mean 'retries'?\n");
	free(err);
	/* needs: the nearest target, never the target itself; none when far */
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	      "target: db\ntargets:\n  - { name: patients, kind: table, query: a.sql }\n"
	      "  - { name: visits, kind: table, query: a.sql, needs: [pateints, zzzz] }\n"
	      "  - { name: visit, kind: table, query: a.sql, needs: [visit_] }\n");
	r = proj_load("r.yml", &err);
	proj_rm();
	ck_assert_ptr_null(r);
	ck_assert_has(err, "target 'visits' needs unknown target 'pateints': did you mean 'patients'?\n");
	ck_assert_has(err, "target 'visits' needs unknown target 'zzzz'\n");
	ck_assert_has(err, "target 'visit' needs unknown target 'visit_': did you mean 'visits'?\n");
	free(err);

	/* kinds: the nearest when close, the list when not */
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	      "target: db\ntargets:\n  - { name: a, kind: tabel, query: a.sql }\n"
	      "  - { name: b, kind: extarct, from: db, query: a.sql }\n"
	      "  - { name: c, kind: view, query: a.sql }\n");
	r = proj_load("r.yml", &err);
	proj_rm();
	ck_assert_ptr_null(r);
	ck_assert_has(err, "invalid kind 'tabel': did you mean 'table'?\n");
	ck_assert_has(err, "invalid kind 'extarct': did you mean 'extract'?\n");
	ck_assert_has(err, "invalid kind 'view' (expected extract, table or script)\n");
	free(err);
	ck_assert_uint_eq(edit_distance("neeeds", "needs"), 1);
	ck_assert_uint_eq(edit_distance("kidn", "kind"), 1);
	ck_assert_uint_eq(edit_distance("", "abc"), 3);
}
END_TEST

START_TEST(test_tags_do_not_change_the_definition)
{
	char *err = NULL, plain[65], tagged[65];
	struct recipe *r = one_target("", &err);

	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(r->targets[0].tags.n, 0);
	target_hash(r, &r->targets[0], plain);
	recipe_free(r);
	free(err);
	r = one_target("    tags: [nightly, flat]\n", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(r->targets[0].tags.n, 2);
	ck_assert_str_eq(r->targets[0].tags.v[0], "nightly");
	ck_assert_str_eq(r->targets[0].tags.v[1], "flat");
	target_hash(r, &r->targets[0], tagged);
	ck_assert_str_eq(plain, tagged);
	recipe_free(r);
	free(err);
	r = one_target("    tags: nightly\n", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "'tags'");
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
	tcase_add_test(tc, test_diagnostics_as_data);
	tcase_add_test(tc, test_unreadable_recipe);
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
	tcase_add_test(tc, test_every_problem_at_once);
	tcase_add_test(tc, test_no_cascading_problems);
	tcase_add_test(tc, test_durations_one_rule);
	tcase_add_test(tc, test_tab_hint);
	tcase_add_test(tc, test_dotenv_two_directories);
	tcase_add_test(tc, test_did_you_mean);
	tcase_add_test(tc, test_tags_do_not_change_the_definition);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(recipe_suite());
}
