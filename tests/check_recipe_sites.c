/*
 * check_recipe_sites.c: sites: in a recipe: groups of sites listed inline,
 * in a CSV or YAML/JSON file, their defaults and variables, their messages at
 * file:line, extracts reading from: a group, and the definition hash
 */
#include "recipetest.h"
#include "db.h"

#include <stdarg.h>

/* lines 1-4 of every recipe here; sites: is line 5 */
#define SV_HEAD \
	"chacc: 1\n" \
	"name: p\n" \
	"connections: [{name: db, host: h, database: d}]\n" \
	"target: db\n"

/* an extract from facilities, after the sites */
#define SV_OBS \
	"targets:\n" \
	"  - name: obs\n" \
	"    kind: extract\n" \
	"    from: facilities\n" \
	"    query: obs.sql\n" \
	"    key: [obs_id]\n"

/*
 * a project with the recipe SV_HEAD body (r.yml) and files, pairs of a
 * path and its text ending with NULL, loaded; the project stays (proj_rm)
 */
static struct recipe *
sv_load(const char *body, char **err, ...)
{
	struct recipe *r;
	const char *path;
	va_list ap;
	char *text;

	proj_new();
	puts_("obs.sql", "SELECT 1 AS obs_id\n");
	text = xasprintf(SV_HEAD "%s", body);
	puts_("r.yml", text);
	free(text);
	va_start(ap, err);
	while ((path = va_arg(ap, const char *))) {
		const char *file = va_arg(ap, const char *);

		puts_(path, file);
	}
	va_end(ap);
	r = proj_load("r.yml", err);
	return r;
}

/* the message want, with "@" standing for the project's directory, is among err */
static void
has_at(const char *err, const char *want)
{
	struct buf b;

	buf_init(&b);
	for (const char *p = want; *p; p++) {
		if (*p == '@')
			buf_adds(&b, proj);
		else
			buf_addc(&b, *p);
	}
	ck_assert_has(err, b.s);
	buf_release(&b);
}

START_TEST(test_inline)
{
	const struct site_group *g;
	const struct target *t;
	struct recipe *r;
	char *err, *recipe;

	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    driver: postgres\n"
	            "    list:\n"
	            "      - { name: kisumu, host: 10.0.0.5, port: 5433, database: om_kisumu,\n"
	            "          user: u, password: pw, schema: s }\n"
	            "      - name: nakuru\n"
	            "        socket: /run/pg\n"
	            SV_OBS, &err, NULL);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(r->nsites, 1);
	g = recipe_sites(r, "facilities");
	ck_assert_ptr_eq(g, &r->sites[0]);
	ck_assert_ptr_null(recipe_sites(r, "db"));
	ck_assert_str_eq(g->driver, "postgres");
	ck_assert_uint_eq(g->nsites, 2);
	recipe = xasprintf("%s/r.yml", proj);
	ck_assert_str_eq(g->file, recipe);
	ck_assert_str_eq(g->list, recipe);
	ck_assert_int_eq(g->line, 6);
	ck_assert_str_eq(g->sites[0].name, "kisumu");
	ck_assert_str_eq(g->sites[0].driver, "postgres");
	ck_assert_str_eq(g->sites[0].host, "10.0.0.5");
	ck_assert_uint_eq(g->sites[0].port, 5433);
	ck_assert_str_eq(g->sites[0].database, "om_kisumu");
	ck_assert_str_eq(g->sites[0].user, "u");
	ck_assert_str_eq(g->sites[0].password, "pw");
	ck_assert_str_eq(g->sites[0].schema, "s");
	ck_assert_int_eq(g->lines[0], 9);
	ck_assert_str_eq(g->sites[1].name, "nakuru");
	ck_assert_ptr_null(g->sites[1].host);
	ck_assert_uint_eq(g->sites[1].port, 0);
	ck_assert_str_eq(g->sites[1].socket, "/run/pg");
	ck_assert_int_eq(g->lines[1], 11);
	/* the extract reads the group, in its driver's dialect, keyed by (site, obs_id) */
	t = recipe_target(r, "obs");
	ck_assert_ptr_eq(target_sites(r, t), g);
	ck_assert_ptr_null(recipe_conn(r, "facilities"));
	ck_assert_int_eq(recipe_conn_dialect(r, "facilities"), SQL_POSTGRES);
	ck_assert_int_eq(target_query_dialect(r, t), SQL_POSTGRES);
	ck_assert_uint_eq(t->key.n, 2);
	ck_assert_str_eq(t->key.v[0], SITE_COLUMN);
	ck_assert_str_eq(t->key.v[1], "obs_id");
	recipe_free(r);
	free(recipe);
	free(err);
	proj_rm();
}
END_TEST

START_TEST(test_csv)
{
	const struct site_group *g;
	struct recipe *r;
	char *err, *list, *recipe;

	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    file: sites/facilities.csv\n"
	            "    host: db.example.org\n"
	            "    port: 3307\n"
	            "    user: reader\n"
	            SV_OBS, &err,
	            "sites/facilities.csv",
	            "name,host,port,database,password\n"
	            "kisumu,10.0.0.5,,om_kisumu,\"a,b\"\n"
	            "\n"
	            "nakuru,,3310,om_nakuru,\"\"\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	g = recipe_sites(r, "facilities");
	ck_assert_ptr_nonnull(g);
	ck_assert_str_eq(g->driver, "mariadb");
	ck_assert_uint_eq(g->nsites, 2);
	list = xasprintf("%s/sites/facilities.csv", proj);
	recipe = xasprintf("%s/r.yml", proj);
	ck_assert_str_eq(g->list, list);
	ck_assert_str_eq(g->file, recipe);
	ck_assert_int_eq(g->line, 6);
	/* an empty cell is unset: the group's default */
	ck_assert_str_eq(g->sites[0].name, "kisumu");
	ck_assert_str_eq(g->sites[0].host, "10.0.0.5");
	ck_assert_uint_eq(g->sites[0].port, 3307);
	ck_assert_str_eq(g->sites[0].user, "reader");
	ck_assert_str_eq(g->sites[0].database, "om_kisumu");
	ck_assert_str_eq(g->sites[0].password, "a,b");
	ck_assert_int_eq(g->lines[0], 2);
	ck_assert_str_eq(g->sites[1].name, "nakuru");
	ck_assert_str_eq(g->sites[1].host, "db.example.org");
	ck_assert_uint_eq(g->sites[1].port, 3310);
	ck_assert_ptr_null(g->sites[1].password);
	ck_assert_int_eq(g->lines[1], 4);
	recipe_free(r);
	free(list);
	free(recipe);
	free(err);
	proj_rm();
}
END_TEST

START_TEST(test_yaml_json)
{
	const struct site_group *g;
	struct recipe *r;
	char *err, *list;

	/* a YAML file and the inline list: the file's sites first */
	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    file: sites.yml\n"
	            "    database: openmrs\n"
	            "    list: [{name: eldoret, database: om_eldoret}]\n"
	            SV_OBS, &err,
	            "sites.yml",
	            "# the facilities\n"
	            "- name: kisumu\n"
	            "  host: 10.0.0.5\n"
	            "- {name: nakuru, port: 3310}\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	g = recipe_sites(r, "facilities");
	ck_assert_uint_eq(g->nsites, 3);
	list = xasprintf("%s/sites.yml", proj);
	ck_assert_str_eq(g->list, list);
	ck_assert_str_eq(g->sites[0].name, "kisumu");
	ck_assert_str_eq(g->sites[0].database, "openmrs");
	ck_assert_int_eq(g->lines[0], 2);
	ck_assert_str_eq(g->sites[1].name, "nakuru");
	ck_assert_uint_eq(g->sites[1].port, 3310);
	ck_assert_int_eq(g->lines[1], 4);
	/* listed in the recipe, not in list: its line there is unknown */
	ck_assert_str_eq(g->sites[2].name, "eldoret");
	ck_assert_str_eq(g->sites[2].database, "om_eldoret");
	ck_assert_int_eq(g->lines[2], 0);
	recipe_free(r);
	free(list);
	free(err);
	proj_rm();

	/* JSON, in an included file's group */
	r = sv_load("include: [more.yml]\n" SV_OBS, &err,
	            "more.yml",
	            "sites:\n"
	            "  - {name: facilities, driver: mariadb, file: sites.json}\n",
	            "sites.json",
	            "[{\"name\": \"kisumu\", \"host\": \"10.0.0.5\", \"port\": 3308},\n"
	            " {\"name\": \"nakuru\", \"host\": \"10.0.0.6\"}]\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	g = recipe_sites(r, "facilities");
	ck_assert_uint_eq(g->nsites, 2);
	ck_assert_uint_eq(g->sites[0].port, 3308);
	ck_assert_str_eq(g->sites[1].host, "10.0.0.6");
	ck_assert_int_eq(g->lines[1], 2);
	list = xasprintf("%s/more.yml", proj);
	ck_assert_str_eq(g->file, list);
	ck_assert_int_eq(g->line, 2);
	recipe_free(r);
	free(list);
	free(err);
	proj_rm();
}
END_TEST

START_TEST(test_variables)
{
	const struct site_group *g;
	struct recipe *r;
	char *err;

	setenv("CHT_SITE_USER", "site_reader", 1);
	setenv("CHT_KISUMU_PW", "kisumu secret", 1);
	setenv("DB_CONNECT_TIMEOUT", "5", 1);
	unsetenv("CHT_NAKURU_PW");
	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    file: sites.csv\n"
	            "    user: ${CHT_SITE_USER}\n"
	            "    list:\n"
	            "      - {name: eldoret, password: '${CHT_NAKURU_PW:-fallback}'}\n"
	            SV_OBS, &err,
	            "sites.csv", "name,password,database\nkisumu,${CHT_KISUMU_PW},om_${CHT_SITE_USER}\n",
	            NULL);
	ck_assert_msg(r != NULL, "%s", err);
	g = recipe_sites(r, "facilities");
	ck_assert_str_eq(g->sites[0].user, "site_reader");
	ck_assert_str_eq(g->sites[0].password, "kisumu secret");
	ck_assert_str_eq(g->sites[0].database, "om_site_reader");
	ck_assert_uint_eq(g->sites[0].connect_timeout, 5);
	ck_assert_str_eq(g->sites[1].password, "fallback");
	ck_assert_uint_eq(g->sites[1].connect_timeout, 5);
	recipe_free(r);
	free(err);
	proj_rm();

	/* unset: an error naming it at the file's line, in the CSV and in YAML */
	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    file: sites.csv\n"
	            "  - name: more\n"
	            "    file: more.yml\n"
	            SV_OBS, &err,
	            "sites.csv", "name,password\nkisumu,x\nnakuru,${CHT_NAKURU_PW}\n",
	            "more.yml", "- name: eldoret\n  password: ${CHT_NAKURU_PW}\n", NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/sites.csv:3:8: unset variable 'CHT_NAKURU_PW' (not in ");
	has_at(err, "@/more.yml:2:13: unset variable 'CHT_NAKURU_PW' (not in ");
	ck_assert_msg(!strstr(err, "kisumu secret"), "%s", err);
	free(err);
	proj_rm();
	unsetenv("CHT_SITE_USER");
	unsetenv("CHT_KISUMU_PW");
	unsetenv("DB_CONNECT_TIMEOUT");
}
END_TEST

START_TEST(test_errors)
{
	char *err, *name, *body;
	struct recipe *r;

	/* lines: 5 sites:, 6 the group */
	name = xasprintf("x%0*d", DB_SITE_NAME_MAX, 0);
	r = sv_load("sites:\n"
	            "  - name: facilities\n"                        /* 6 */
	            "    hots: h\n"                                 /* 7 */
	            "    driver: mariadbb\n"                          /* 8 */
	            "    port: 70000\n"                             /* 9 */
	            "    file: sites.csv\n"                         /* 10 */
	            "    list:\n"                                   /* 11 */
	            "      - {name: 'kisu mu'}\n"                   /* 12 */
	            "      - {name: '', databse: d}\n"              /* 13 */
	            "      - {name: nakuru, port: abc}\n"           /* 14 */
	            "      - {name: eldoret}\n"                     /* 15 */
	            "  - name: db\n"                                /* 16 */
	            "    list: [{name: a}]\n"                       /* 17 */
	            "  - name: facilities\n"                        /* 18 */
	            "    list: [{name: a}]\n"                       /* 19 */
	            "  - name: empty\n"                             /* 20 */
	            "  - name: gone\n"                              /* 21 */
	            "    file: gone.csv\n"                          /* 22 */
	            "  - name: cols\n"                              /* 23 */
	            "    file: cols.csv\n"                          /* 24 */
	            "  - name: long\n"                              /* 25 */
	            "    list: [{name: x}]\n"                       /* 26 */
	            SV_OBS, &err,
	            "sites.csv", "name,host\nkisumu,h1\neldoret,h2\nnakuru,h3\n",
	            "cols.csv", "name,hots\na,b\n", NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/r.yml:7:5: unknown key 'hots' in sites group: did you mean 'host'?\n");
	has_at(err, "@/r.yml:8:13: unsupported driver 'mariadbb': did you mean 'mariadb'? "
	       "(expected mariadb or postgres)\n");
	has_at(err, "@/r.yml:9:11: invalid port '70000': expected a whole number from 1 to 65535\n");
	has_at(err, "@/r.yml:12:16: invalid site name 'kisu mu': use letters, digits, '_', '.' "
	       "and '-'\n");
	has_at(err, "@/r.yml:13:16: empty site name\n");
	has_at(err, "@/r.yml:13:20: unknown key 'databse' in site: did you mean 'database'?\n");
	has_at(err, "@/r.yml:14:30: invalid port 'abc': expected a whole number from 1 to 65535\n");
	/* the file's sites come first: the inline list repeats two of them */
	has_at(err, "@/r.yml:14:9: site 'nakuru' is listed twice in group 'facilities': "
	       "@/sites.csv:4 and @/r.yml:14\n");
	has_at(err, "@/r.yml:15:9: site 'eldoret' is listed twice in group 'facilities': "
	       "@/sites.csv:3 and @/r.yml:15\n");
	has_at(err, "@/r.yml:16: sites group 'db' has the name of a connection (defined at "
	       "@/r.yml:3): 'from' could not tell them apart\n");
	has_at(err, "@/r.yml:18: sites group 'facilities' defined twice (first at @/r.yml:6)\n");
	has_at(err, "@/r.yml:20:5: sites group 'empty' lists no site: give it 'list' or 'file'\n");
	has_at(err, "@/r.yml:22:11: sites file 'gone.csv' not found\n");
	has_at(err, "@/cols.csv:1:6: unknown column 'hots' in sites file: did you mean 'host'?\n");
	/* a sites file that is missing or whose header is wrong: the group's sites are not known */
	ck_assert_msg(!strstr(err, "group 'gone' lists no site"), "%s", err);
	ck_assert_msg(!strstr(err, "group 'cols' lists no site"), "%s", err);
	ck_assert_uint_eq(nlines(err), 14);
	free(err);
	proj_rm();

	/* a bad port in a CSV file, a site listed twice there */
	r = sv_load("sites:\n"
	            "  - name: facilities\n"
	            "    file: sites.csv\n"
	            SV_OBS, &err,
	            "sites.csv", "name,port\nkisumu,\nnakuru,3306\nx,-1\n\nkisumu,1\n",
	            NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/sites.csv:4:3: invalid port '-1': expected a whole number from 1 to 65535\n");
	has_at(err, "@/sites.csv:6:1: site 'kisumu' is listed twice in group 'facilities': "
	       "@/sites.csv:2 and @/sites.csv:6\n");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
	proj_rm();

	/* a sites file outside the project, or hidden */
	r = sv_load("sites:\n"
	            "  - {name: facilities, file: ../../etc/sites.csv}\n"
	            "  - {name: hidden, file: .env}\n"
	            SV_OBS, &err, NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/r.yml:6:30: sites file '../../etc/sites.csv' leaves the project's "
	       "directory\n");
	has_at(err, "@/r.yml:7:26: sites file '.env' names a hidden file or directory\n");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
	proj_rm();

	/* a name too long */
	body = xasprintf("sites:\n  - name: facilities\n    list: [{name: %s}]\n" SV_OBS, name);
	r = sv_load(body, &err, NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/r.yml:7:19: invalid site name 'x0000");
	ck_assert_has(err, "': longer than 64 characters\n");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
	free(body);
	proj_rm();
	free(name);
}
END_TEST

START_TEST(test_targets)
{
	struct recipe *r;
	const struct target *t;
	char *err;

	/* from: a group elsewhere than an extract; an extract without key */
	r = sv_load("sites:\n"
	            "  - {name: facilities, list: [{name: a}]}\n"
	            "targets:\n"                                    /* 7 */
	            "  - name: obs\n"                               /* 8 */
	            "    kind: extract\n"
	            "    from: facilities\n"
	            "    query: obs.sql\n"
	            "  - name: flat\n"                              /* 12 */
	            "    kind: table\n"
	            "    from: facilities\n"
	            "    query: obs.sql\n"
	            "    checks:\n"
	            "      - row_count: {equals: SELECT 1, from: facilities}\n", &err, NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/r.yml:8: target 'obs': an extract from sites group 'facilities' needs 'key': "
	       "rows from sites are keyed by (site, key)\n");
	has_at(err, "@/r.yml:12: target 'flat': 'from' names sites group 'facilities', which only "
	       "an extract reads, not a table target\n");
	has_at(err, "@/r.yml:17:9: target 'flat': check 'row_count': 'from' names sites group "
	       "'facilities': a check's SQL runs on one connection\n");
	ck_assert_msg(!strstr(err, "unknown connection"), "%s", err);
	free(err);
	proj_rm();

	/* a create without the site column */
	r = sv_load("sites:\n"
	            "  - {name: facilities, list: [{name: a}]}\n"
	            SV_OBS
	            "    create: ddl.sql\n", &err,
	            "ddl.sql", "CREATE TABLE ${this} (obs_id INT, PRIMARY KEY (obs_id))\n", NULL);
	ck_assert_ptr_null(r);
	has_at(err, "@/r.yml:8: target 'obs': its create file 'ddl.sql' declares no column 'site': "
	       "rows from sites group 'facilities' carry their site's name in it\n");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
	proj_rm();

	/* with it, the user's own place of site in the key, and checks naming site */
	r = sv_load("sites:\n"
	            "  - {name: facilities, list: [{name: a}]}\n"
	            "targets:\n"
	            "  - name: obs\n"
	            "    kind: extract\n"
	            "    from: facilities\n"
	            "    query: obs.sql\n"
	            "    key: [obs_id, SITE]\n"
	            "    create: ddl.sql\n"
	            "    checks: [{not_null: [site, obs_id]}]\n", &err,
	            "ddl.sql", "CREATE TABLE ${this} (`site` VARCHAR(64), obs_id INT)\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	t = recipe_target(r, "obs");
	ck_assert_uint_eq(t->key.n, 2);
	ck_assert_str_eq(t->key.v[0], "obs_id");
	ck_assert_str_eq(t->key.v[1], "SITE");
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

/* the hashes of obs (from the group) and of flat (a table) with the sites given */
static void
hashes(const char *group, const char *from, char obs[65], char flat[65])
{
	struct recipe *r;
	char *body, *err;

	body = xasprintf("sites:\n%s"
	                 "targets:\n"
	                 "  - {name: obs, kind: extract, from: %s, query: obs.sql, key: [obs_id]}\n"
	                 "  - {name: flat, kind: table, needs: [obs], query: obs.sql}\n", group, from);
	r = sv_load(body, &err, NULL);
	ck_assert_msg(r != NULL, "%s", err);
	target_hash(r, recipe_target(r, "obs"), obs);
	target_hash(r, recipe_target(r, "flat"), flat);
	recipe_free(r);
	free(body);
	free(err);
	proj_rm();
}

START_TEST(test_hash)
{
	char o1[65], f1[65], o2[65], f2[65];

	hashes("  - {name: facilities, list: [{name: a, host: h}]}\n", "facilities", o1, f1);
	/* a site added, one edited: no definition change */
	hashes("  - {name: facilities, list: [{name: a, host: h2}, {name: b}]}\n", "facilities",
	       o2, f2);
	ck_assert_str_eq(o1, o2);
	ck_assert_str_eq(f1, f2);
	/* the defaults neither */
	hashes("  - {name: facilities, user: u, list: [{name: b}]}\n", "facilities", o2, f2);
	ck_assert_str_eq(o1, o2);
	/* the group renamed, or its driver changed: a definition change of its extract only */
	hashes("  - {name: clinics, list: [{name: a, host: h}]}\n", "clinics", o2, f2);
	ck_assert_str_ne(o1, o2);
	ck_assert_str_eq(f1, f2);
	hashes("  - {name: facilities, driver: postgres, list: [{name: a, host: h}]}\n",
	       "facilities", o2, f2);
	ck_assert_str_ne(o1, o2);
}
END_TEST

/* a git revision's files: the sites file is read through the recipe's source */
START_TEST(test_rev)
{
	const struct memfile files[] = {
		{ "recipes/r.yml", SV_HEAD "sites: [{name: facilities, file: sites.csv}]\n" SV_OBS, 0 },
		{ "recipes/obs.sql", "SELECT 1 AS obs_id\n", 0 },
		{ "recipes/sites.csv", "name,host\nkisumu,h1\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct fsrc src = { (void *)files, mem_read, mem_glob, false };
	const struct site_group *g;
	struct recipe *r;
	char *err;

	r = load("recipes/r.yml", NOENV, &src, &err);
	ck_assert_msg(r != NULL, "%s", err);
	g = recipe_sites(r, "facilities");
	ck_assert_uint_eq(g->nsites, 1);
	ck_assert_str_eq(g->sites[0].host, "h1");
	ck_assert_str_eq(g->list, "recipes/sites.csv");
	ck_assert_int_eq(g->lines[0], 2);
	recipe_free(r);
	free(err);
}
END_TEST

static Suite *
sites_suite(void)
{
	Suite *s = suite_create("recipe_sites");
	TCase *tc = tcase_create("sites");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_yaml_json);
	tcase_add_test(tc, test_variables);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_rev);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(sites_suite());
}
