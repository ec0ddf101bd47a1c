/* check_recipe.c: loading recipes: every field, defaults, the environment and .env, other sources */
#include "recipetest.h"

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

/* hosts: a cluster's nodes, as a list or one string (from a variable); what is wrong, where */
START_TEST(test_hosts)
{
	struct recipe *r;
	char *err, *path;

	proj_new();
	puts_("ok.sql", "SELECT 1\n");
	puts_("chacc.yml", "chacc: 1\nname: p\nconnections:\n"
	      "  - { name: db, hosts: [db1:3306, 'db2:3307', '[::1]:3308', db4] }\n"
	      "  - { name: env, hosts: '${CHT_HOSTS}', host: ignored }\n"
	      "  - { name: none, hosts: '${CHT_NO_HOSTS:-}', host: h }\n"
	      "target: db\ntargets:\n  - {name: a, kind: table, query: ok.sql}\n");
	setenv("CHT_HOSTS", " a:1 , b:2", 1);
	path = xasprintf("%s/chacc.yml", proj);
	r = load(path, NOENV, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(r->conns[0].nhosts, 4);
	ck_assert_str_eq(r->conns[0].hosts[1], "db2:3307");
	ck_assert_str_eq(r->conns[0].hosts[2], "[::1]:3308");
	ck_assert_uint_eq(r->conns[1].nhosts, 2);
	ck_assert_str_eq(r->conns[1].hosts[0], "a:1");
	ck_assert_str_eq(r->conns[1].hosts[1], "b:2");
	/* an empty string is no list: host stays */
	ck_assert_uint_eq(r->conns[2].nhosts, 0);
	ck_assert_str_eq(r->conns[2].host, "h");
	recipe_free(r);
	free(err);

	puts_("chacc.yml", "chacc: 1\nname: p\nconnections:\n"
	      "  - { name: db, hosts: [db1:99999, ':3306', 'db 2', [x]] }\n"
	      "  - { name: e, hosts: [] }\n"
	      "  - { name: v, hosts: '${CHT_HOSTS}' }\n"
	      "target: db\ntargets:\n  - {name: a, kind: table, query: ok.sql}\n");
	setenv("CHT_HOSTS", "a:1,,b:x", 1);
	r = load(path, NOENV, NULL, &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "chacc.yml:4:25: invalid entry 'db1:99999' in 'hosts': the port is a "
	              "whole number from 1 to 65535\n");
	ck_assert_has(err, "chacc.yml:4:36: invalid entry ':3306' in 'hosts': no host before the "
	              "port\n");
	ck_assert_has(err, "invalid entry 'db 2' in 'hosts': a host name has no spaces");
	ck_assert_has(err, "expected host:port in 'hosts', got a sequence");
	ck_assert_has(err, "chacc.yml:5:23: expected a list of host:port for 'hosts', got an empty "
	              "list\n");
	/* a variable's value is not shown: the entry's number is */
	ck_assert_has(err, "empty entry 2 in 'hosts'");
	ck_assert_has(err, "invalid entry 3 in 'hosts' ('${CHT_HOSTS}'): the port is a whole number");
	ck_assert_msg(!strstr(err, "b:x"), "the variable's value shows: %s", err);
	free(err);
	unsetenv("CHT_HOSTS");
	free(path);
	proj_rm();
}
END_TEST

/* bind_address: read from a variable; refused on PostgreSQL, naming where */
START_TEST(test_bind_address)
{
	struct recipe *r;
	char *err, *path;

	proj_new();
	puts_("ok.sql", "SELECT 1\n");
	puts_("chacc.yml", "chacc: 1\nname: p\nconnections:\n"
	      "  - { name: db, host: h, bind_address: '${CHT_BIND}' }\n"
	      "  - { name: any, host: h, bind_address: '${CHT_NO_BIND:-}' }\n"
	      "target: db\ntargets:\n  - {name: a, kind: table, query: ok.sql}\n");
	setenv("CHT_BIND", "127.0.0.2", 1);
	path = xasprintf("%s/chacc.yml", proj);
	r = load(path, NOENV, NULL, &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(r->conns[0].bind_address, "127.0.0.2");
	ck_assert_msg(!r->conns[1].bind_address || !*r->conns[1].bind_address, "empty: any address");
	recipe_free(r);
	free(err);

	puts_("chacc.yml", "chacc: 1\nname: p\nconnections:\n"
	      "  - { name: db, host: h }\n"
	      "  - { name: pg, driver: postgres, host: h, bind_address: 10.0.0.1 }\n"
	      "target: db\ntargets:\n  - {name: a, kind: table, query: ok.sql}\n");
	r = load(path, NOENV, NULL, &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "chacc.yml:5: connection 'pg': 'bind_address' is a MariaDB setting");
	free(err);
	unsetenv("CHT_BIND");
	free(path);
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

/* a recipe of the project: source MariaDB, target of driver tdriver, one script and one extract */
static struct recipe *
two_engines(const char *tdriver, char **err)
{
	char *yml = xasprintf(
	    "chacc: 1\nname: t\nconnections:\n"
	    "  - { name: src, driver: mariadb, host: h, database: s }\n"
	    "  - { name: db, driver: %s, host: h, database: d }\n"
	    "target: db\ntargets:\n"
	    "  - { name: x, kind: extract, from: src, query: x.sql }\n"
	    "  - { name: s, kind: script, script: s.sql, call: \"SELECT refresh('${this}')\" }\n",
	    tdriver);
	struct recipe *r;

	proj_new();
	/* MariaDB's '#' comment and backslash escape: the extract runs on the source */
	puts_("x.sql", "SELECT 'it\\'s' AS a # the source's SQL\n");
	puts_("s.sql",
	      "CREATE OR REPLACE FUNCTION refresh(t text) RETURNS void LANGUAGE plpgsql AS $body$\n"
	      "BEGIN\n"
	      "  -- don't stop at this ';'\n"
	      "  EXECUTE format('CREATE TABLE %I AS SELECT E''a\\''''b''', t);\n"
	      "END;\n"
	      "$body$;\n");
	puts_("r.yml", yml);
	r = proj_load("r.yml", err);
	proj_rm();
	free(yml);
	return r;
}

/* each SQL file is read in the dialect of the connection it runs on */
START_TEST(test_sql_in_the_dialect_of_its_connection)
{
	char *err = NULL;
	struct recipe *r = two_engines("postgres", &err);

	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_has(recipe_target(r, "s")->script_sql, "$body$;\n");
	ck_assert_str_eq(recipe_target(r, "s")->call, "SELECT refresh('${this}')");
	ck_assert_int_eq(target_query_dialect(r, recipe_target(r, "x")), SQL_MARIADB);
	ck_assert_int_eq(target_query_dialect(r, recipe_target(r, "s")), SQL_POSTGRES);
	ck_assert_int_eq(recipe_conn_dialect(r, "db"), SQL_POSTGRES);
	ck_assert_int_eq(recipe_conn_dialect(r, "nonesuch"), SQL_MARIADB);
	recipe_free(r);
	free(err);
	/* the same script read as MariaDB's does not end its quote */
	r = two_engines("mariadb", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "script file 's.sql': unterminated string starting at line 4");
	free(err);
}
END_TEST

static bool
strlist_eq(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/*
 * the OpenMRS pipeline into PostgreSQL builds the eleven tables of the MariaDB
 * one: the same targets, needs, keys, indexes and incremental settings, the
 * same pivots (the forms' flat tables); its
 * extracts read the source with the MariaDB queries, and its SQL on the
 * target reads as PostgreSQL's (the PL/pgSQL bodies are one statement)
 */
START_TEST(test_openmrs_postgres_recipe)
{
	static const char *const vars[] = { "SOURCE_DB_USER", "SOURCE_DB_PASSWORD", "SOURCE_DB_NAME",
	                                    "TARGET_DB_USER", "TARGET_DB_PASSWORD", "TARGET_DB_NAME" };
	char *err = NULL, *err2 = NULL;
	struct recipe *my, *pg;
	const struct conn *c;

	for (size_t i = 0; i < LEN(vars); i++)
		setenv(vars[i], "x", 1);
	my = load("recipes/openmrs.yml", NOENV, NULL, &err);
	ck_assert_msg(my != NULL, "%s", err);
	pg = load("recipes/openmrs-postgres.yml", NOENV, NULL, &err2);
	ck_assert_msg(pg != NULL, "%s", err2);
	c = recipe_conn(pg, pg->target_conn);
	ck_assert_str_eq(c->driver, "postgres");
	ck_assert_str_eq(c->schema, "public");
	ck_assert_uint_eq(c->port, 5432);
	ck_assert_str_eq(recipe_conn(pg, "source")->driver, "mariadb");
	ck_assert_uint_eq(my->ntargets, 11);
	ck_assert_uint_eq(pg->ntargets, my->ntargets);
	for (size_t i = 0; i < my->ntargets; i++) {
		const struct target *a = &my->targets[i], *b = &pg->targets[i];

		ck_assert_str_eq(a->name, b->name);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_msg(strlist_eq(&a->needs, &b->needs), "%s: needs differ", a->name);
		ck_assert_msg(strlist_eq(&a->key, &b->key), "%s: keys differ", a->name);
		ck_assert_uint_eq(a->nindexes, b->nindexes);
		for (size_t j = 0; j < a->nindexes; j++)
			ck_assert_msg(strlist_eq(&a->indexes[j], &b->indexes[j]), "%s: indexes differ", a->name);
		ck_assert_int_eq(a->incr.enabled, b->incr.enabled);
		ck_assert_int_eq(a->in_place, b->in_place);
		if (a->kind == KIND_EXTRACT) {
			ck_assert_str_eq(a->query_sql, b->query_sql);
			ck_assert_str_eq(a->incr.column, b->incr.column);
			ck_assert_msg(!a->incr.deleted == !b->incr.deleted, "%s: deleted differs", a->name);
			ck_assert_has(b->create, "openmrs-postgres/tables/");
		} else if (a->kind == KIND_TABLE) {
			ck_assert_has(b->query, "openmrs-postgres/flat/");
		} else if (a->kind == KIND_PIVOT) {
			const struct pivot *x = a->pivot, *y = b->pivot;

			ck_assert_str_eq(x->from, y->from);
			ck_assert_msg(strlist_eq(&x->key, &y->key) && strlist_eq(&x->keep, &y->keep),
			              "%s: pivot keys differ", a->name);
			ck_assert_uint_eq(x->ncolumns, y->ncolumns);
			for (size_t j = 0; j < x->ncolumns; j++) {
				ck_assert_str_eq(x->columns[j].name, y->columns[j].name);
				ck_assert_str_eq(x->columns[j].attribute, y->columns[j].attribute);
				ck_assert_str_eq(x->columns[j].type, y->columns[j].type);
			}
		} else {
			ck_assert_has(b->script, "openmrs-postgres/summary/");
			ck_assert_has(b->script_sql, "LANGUAGE plpgsql AS $$");
			ck_assert_str_eq(a->call, b->call);
		}
	}
	recipe_free(my);
	recipe_free(pg);
	free(err);
	free(err2);
	for (size_t i = 0; i < LEN(vars); i++)
		unsetenv(vars[i]);
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
	tcase_add_test(tc, test_dotenv_two_directories);
	tcase_add_test(tc, test_tags_do_not_change_the_definition);
	tcase_add_test(tc, test_sql_in_the_dialect_of_its_connection);
	tcase_add_test(tc, test_openmrs_postgres_recipe);
	tcase_add_test(tc, test_hosts);
	tcase_add_test(tc, test_bind_address);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(recipe_suite());
}
