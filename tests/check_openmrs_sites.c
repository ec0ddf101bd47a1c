/*
 * check_openmrs_sites.c: recipes/openmrs-sites.yml, the OpenMRS pipeline over
 * a group of sites, on three generated OpenMRS databases (contrib/openmrs-sites)
 * on two servers: kisumu and maseno on the source server, siaya on the target
 * server. Their ids overlap, as real sites' do, and each site's main facility
 * (location 2) is named after it, so a row joined across sites shows.
 *
 * Each test copies the recipe and its SQL into its project and lists its
 * sites in the copy's sites-demo.csv. The oracle of site_summary is SQL on
 * each site's own database, written without the recipe's queries.
 */
#include "diag.h"
#include "omtest.h"

/* every table the recipe builds, and the summaries' own bookkeeping */
static const char *const tables[] = {
	"patients", "locations", "encounters", "observations", "flattened_observations",
	"flattened_patient_encounters", "flat_vitals", "flat_visit_diagnoses", "patient_summary",
	"observation_summary", "location_summary", "patient_summary_seen", "location_summary_seen",
	"site_summary",
};

#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* a site: its name, the server it lives on ("src" or "tgt"), its size */
struct site {
	const char *name;
	const char *server;
	int patients;
	char db[64];
	struct db *d;
	struct db_params c;
};

#define NSITES 3

struct sites {
	struct proj p;
	struct site s[NSITES];
};

/* the server directory of tests/run: "src" or "tgt" */
static char *
server_dir(const char *server)
{
	return xasprintf("%s/%s", getenv("CHACC_TEST_DIR"), server);
}

static const char *
server_socket(const char *server)
{
	return getenv(strcmp(server, "src") ? "CHACC_TEST_TGT_SOCKET" : "CHACC_TEST_SRC_SOCKET");
}

/* run the SQL a shell command prints on site s's database */
static void
site_sql(struct site *s, const char *fmt, ...)
{
	va_list ap;
	char *sh, *dir = server_dir(s->server);

	va_start(ap, fmt);
	sh = xvasprintf(fmt, ap);
	va_end(ap);
	shell("(%s) | '%s' sql '%s' '%s' >/dev/null", sh, getenv("CHACC_TEST_MARIADB_LOCAL"), dir,
	      s->db);
	free(sh);
	free(dir);
}

/*
 * write the project's sites-demo.csv: the sites whose bit is set in which
 * (bit i: site i), each with its server's socket
 */
static void
list_sites(struct sites *g, unsigned which)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "name,socket,database\n");
	for (int i = 0; i < NSITES; i++)
		if (which & (1u << i))
			buf_addf(&b, "%s,%s,%s\n", g->s[i].name, server_socket(g->s[i].server), g->s[i].db);
	write_file(&g->p, "recipes/sites-demo.csv", b.s);
	buf_release(&b);
}

/*
 * a project named name with the recipe and its SQL, and the three sites
 * generated (their databases named after the project), all listed
 */
static void
sites_new(struct sites *g, const char *name)
{
	static const struct site init[NSITES] = {
		{ .name = "kisumu", .server = "src", .patients = 9 },
		{ .name = "maseno", .server = "src", .patients = 14 },
		{ .name = "siaya", .server = "tgt", .patients = 6 },
	};
	char *env;

	proj_new(&g->p, name);
	shell("cp -r '%s/recipes' '%s/sql' '%s/'", root, root, g->p.dir);
	for (int i = 0; i < NSITES; i++) {
		struct site *s = &g->s[i];
		char *dir;

		*s = init[i];
		snprintf(s->db, sizeof(s->db), "%s_%s", name, s->name);
		dir = server_dir(s->server);
		shell("'%s/contrib/openmrs-sites' -P '%s_' -p %d %s '%s' sql '%s' >/dev/null 2>&1", root,
		      name, s->patients, s->name, getenv("CHACC_TEST_MARIADB_LOCAL"), dir);
		free(dir);
		s->d = connect_to(&s->c, server_socket(s->server), s->db);
	}
	list_sites(g, (1u << NSITES) - 1);
	env = xasprintf("SITE_DB_USER=%s\nSITE_DB_PASSWORD=%s\nTARGET_DB_SOCKET=%s\n"
	                "TARGET_DB_USER=%s\nTARGET_DB_PASSWORD=%s\nTARGET_DB_NAME=%s\n",
	                getenv("CHACC_TEST_USER"), getenv("CHACC_TEST_PASSWORD"),
	                getenv("CHACC_TEST_TGT_SOCKET"), getenv("CHACC_TEST_USER"),
	                getenv("CHACC_TEST_PASSWORD"), g->p.tgtdb);
	write_file(&g->p, ".env", env);
	free(env);
}

static void
sites_free(struct sites *g)
{
	for (int i = 0; i < NSITES; i++)
		db_close(g->s[i].d);
	proj_free(&g->p);
}

/* chacc -f recipes/openmrs-sites.yml ARGS in the project, with one NAME=VALUE or NULL */
#define oms_env(g, env, ...) \
	chacc_env(&(g)->p, env, "-f", "recipes/openmrs-sites.yml", __VA_ARGS__, (char *)NULL)

static void
build(struct sites *g, const char *mode)
{
	struct result r = mode ? oms_env(g, NULL, "build", mode, "-j", "3")
	                       : oms_env(g, NULL, "build", "-j", "3");

	assert_ok(&r);
	result_free(&r);
}

/*
 * the oracle: "patients encounters obs newest-encounter" of site s, on its own
 * database: what is not voided, nor has a voided encounter, patient or person
 */
static char *
oracle(struct site *s)
{
	return val(s->d,
	           "SELECT CONCAT_WS(' ',"
	           " (SELECT COUNT(*) FROM patient p JOIN person n ON n.person_id = p.patient_id"
	           "  WHERE p.voided = 0 AND n.voided = 0),"
	           " COUNT(*), (SELECT COUNT(*) FROM obs o"
	           "  WHERE o.voided = 0 AND NOT EXISTS (SELECT 1 FROM encounter x"
	           "   WHERE x.encounter_id = o.encounter_id AND x.voided = 1)"
	           "  AND NOT EXISTS (SELECT 1 FROM person n WHERE n.person_id = o.person_id"
	           "   AND n.voided = 1)"
	           "  AND NOT EXISTS (SELECT 1 FROM patient p WHERE p.patient_id = o.person_id"
	           "   AND p.voided = 1)),"
	           " MAX(e.encounter_datetime))"
	           " FROM encounter e JOIN patient p ON p.patient_id = e.patient_id"
	           " JOIN person n ON n.person_id = e.patient_id"
	           " WHERE e.voided = 0 AND p.voided = 0 AND n.voided = 0");
}

/* site_summary's row of every site listed in which equals its oracle; the others have none */
static void
assert_summary(struct sites *g, unsigned which, const char *when)
{
	for (int i = 0; i < NSITES; i++) {
		struct site *s = &g->s[i];
		char *want = which & (1u << i) ? oracle(s) : xstrdup("(none)");
		char *got = val(g->p.tgt, "SELECT CONCAT_WS(' ', patients, encounters, observations,"
		                " last_encounter_at) FROM site_summary WHERE site = '%s'", s->name);

		ck_assert_msg(strcmp(want, got) == 0, "%s: site_summary of %s: got '%s', want '%s'",
		              when, s->name, got, want);
		free(want);
		free(got);
	}
}

/* every table built incrementally equals the one a full refresh of the same sites gives */
static void
assert_equals_full(struct sites *g, const char *when)
{
	char full[80], env[120];
	struct result r;

	snprintf(full, sizeof(full), "%s_full", g->p.tgtdb);
	snprintf(env, sizeof(env), "TARGET_DB_NAME=%s", full);
	sql(g->p.tgt, "DROP DATABASE IF EXISTS %s", full);
	sql(g->p.tgt, "CREATE DATABASE %s", full);
	r = oms_env(g, env, "build", "--full-refresh", "-j", "3");
	assert_ok(&r);
	result_free(&r);
	for (size_t i = 0; i < NTABLES; i++) {
		char *inc = table_sum(&g->p, g->p.tgtdb, tables[i]);
		char *ful = table_sum(&g->p, full, tables[i]);

		ck_assert_msg(strcmp(inc, ful) == 0, "%s: %s differs: incremental %s, full refresh %s",
		              when, tables[i], inc, ful);
		free(inc);
		free(ful);
	}
}

/* the sites of table: "name:rows ..." by name */
static char *
rows_by_site(struct sites *g, const char *table)
{
	return val(g->p.tgt, "SELECT COALESCE(GROUP_CONCAT(CONCAT(site, ':', n) ORDER BY site"
	           " SEPARATOR ' '), '') FROM (SELECT site, COUNT(*) AS n FROM `%s` GROUP BY site) c",
	           table);
}

/*
 * every table is keyed by (site, id) and holds rows of the sites listed in
 * which only; its rows of a site listed in which are there (a site's rows
 * were not lost)
 */
static void
assert_sites_of_tables(struct sites *g, unsigned which, const char *when)
{
	for (size_t t = 0; t < NTABLES; t++) {
		char *key = val(g->p.tgt, "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)"
		                " FROM information_schema.statistics WHERE table_schema = DATABASE()"
		                " AND table_name = '%s' AND index_name = 'PRIMARY'", tables[t]);
		char *got = rows_by_site(g, tables[t]);

		ck_assert_msg(strncmp(key, "site,", 5) == 0 || strcmp(key, "site") == 0,
		              "%s: the key of %s is (%s), not (site, ...)", when, tables[t], key);
		for (int i = 0; i < NSITES; i++) {
			char *at = xasprintf("%s:", g->s[i].name);
			bool has = strstr(got, at) != NULL, want = which & (1u << i);

			ck_assert_msg(has == want, "%s: %s %s rows of %s: %s", when, tables[t],
			              want ? "lacks the" : "still holds", g->s[i].name, got);
			free(at);
		}
		free(key);
		free(got);
	}
}

static bool
strlist_eq(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* whether a is "site" then the strings of b */
static bool
site_then(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n + 1 || strcmp(a->v[0], SITE_COLUMN))
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(a->v[i + 1], b->v[i]))
			return false;
	return true;
}

static struct recipe *
load_recipe(const char *path)
{
	struct diags ds;
	struct recipe *r;
	struct buf b;

	diags_init(&ds);
	r = recipe_load(path, NULL, NULL, &ds);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < ds.n; i++) {
		diag_text(&ds.v[i], &b);
		buf_addc(&b, '\n');
	}
	ck_assert_msg(r != NULL, "%s: %s", path, b.s);
	diags_release(&ds);
	buf_release(&b);
	return r;
}

/*
 * recipes/openmrs-sites.yml is recipes/openmrs.yml over the group of
 * sites-demo.csv: the same targets in the same order, then site_summary; the
 * same extract queries, from the group, keyed by (site, key); every other
 * key, pivot key and index led by site (but the one on _chacc_changed_at)
 */
START_TEST(test_recipe_shape)
{
	static const char *const vars[] = { "TARGET_DB_USER", "TARGET_DB_PASSWORD", "TARGET_DB_NAME",
	                                    "SITE_DB_USER", "SITE_DB_PASSWORD", "SOURCE_DB_USER",
	                                    "SOURCE_DB_PASSWORD", "SOURCE_DB_NAME" };
	char path[PATH_MAX + 64];
	struct recipe *one, *many;
	const struct site_group *g;

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		setenv(vars[i], "x", 1);
	one = load_recipe(recipe);
	snprintf(path, sizeof(path), "%s/recipes/openmrs-sites.yml", root);
	many = load_recipe(path);
	ck_assert_uint_eq(many->nsites, 1);
	g = &many->sites[0];
	ck_assert_str_eq(g->name, "facilities");
	ck_assert_uint_eq(g->nsites, 3);
	ck_assert_str_eq(g->sites[0].name, "kisumu");
	ck_assert_str_eq(g->sites[2].database, "openmrs_kakamega");
	ck_assert_uint_eq(many->ntargets, one->ntargets + 1);
	ck_assert_str_eq(many->targets[one->ntargets].name, "site_summary");
	ck_assert_str_eq(many->targets[one->ntargets].key.v[0], SITE_COLUMN);
	for (size_t i = 0; i < one->ntargets; i++) {
		const struct target *a = &one->targets[i], *b = &many->targets[i];

		ck_assert_str_eq(a->name, b->name);
		ck_assert_int_eq(a->kind, b->kind);
		ck_assert_msg(strlist_eq(&a->needs, &b->needs), "%s: needs differ", a->name);
		ck_assert_int_eq(a->incr.enabled, b->incr.enabled);
		if (a->kind == KIND_PIVOT) {
			ck_assert_msg(site_then(&b->pivot->key, &a->pivot->key), "%s: pivot key", a->name);
			ck_assert_msg(strlist_eq(&a->pivot->keep, &b->pivot->keep), "%s: keep", a->name);
			ck_assert_uint_eq(a->pivot->ncolumns, b->pivot->ncolumns);
			continue;
		}
		if (a->kind == KIND_EXTRACT) {
			ck_assert_ptr_nonnull(target_sites(many, b));
			ck_assert_str_eq(a->query_sql, b->query_sql);
			ck_assert_str_eq(a->incr.column, b->incr.column);
			ck_assert_msg(!a->incr.deleted == !b->incr.deleted, "%s: deleted differs", a->name);
		}
		if (a->key.n)
			ck_assert_msg(site_then(&b->key, &a->key), "%s: key is not (site, ...)", a->name);
		ck_assert_uint_eq(a->nindexes, b->nindexes);
		for (size_t j = 0; j < b->nindexes; j++)
			ck_assert_msg(!strcmp(b->indexes[j].v[0], SITE_COLUMN) ||
			              !strcmp(b->indexes[j].v[0], "_chacc_changed_at"),
			              "%s: index %zu does not lead with site", b->name, j);
	}
	recipe_free(one);
	recipe_free(many);
}
END_TEST

/* the tables of the recipe: 12 targets, and its check on what the sites list */
START_TEST(test_validate)
{
	struct sites g;
	struct result r;

	sites_new(&g, "osv");
	r = oms_env(&g, NULL, "validate");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "12 targets"), "%s", r.out);
	result_free(&r);
	sites_free(&g);
}
END_TEST

/*
 * a full build from three sites on two servers: each site's summary is what
 * its own database says, every table is keyed by (site, id), and nothing is
 * joined across sites although the ids overlap
 */
START_TEST(test_full_build)
{
	struct sites g;

	sites_new(&g, "osf");
	build(&g, NULL);
	assert_summary(&g, 07, "full build");
	assert_sites_of_tables(&g, 07, "full build");

	/* ids overlap: every site has patient 2 and encounter 5 */
	assert_val(g.p.tgt, "3 3", "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM patients WHERE"
	           " patient_id = 2), (SELECT COUNT(*) FROM encounters WHERE encounter_id = 5))");
	/* each site's rows per table equal its own counts */
	for (int i = 0; i < NSITES; i++) {
		struct site *s = &g.s[i];
		char *want = val(s->d, "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM location),"
		                 " (SELECT COUNT(*) FROM encounter e WHERE e.voided = 0 AND NOT EXISTS"
		                 "  (SELECT 1 FROM person n WHERE n.person_id = e.patient_id"
		                 "   AND n.voided = 1)))");
		char *got = val(g.p.tgt, "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM locations"
		                " WHERE site = '%s'), (SELECT COUNT(*) FROM flattened_patient_encounters"
		                " WHERE site = '%s'))", s->name, s->name);

		ck_assert_msg(strcmp(want, got) == 0, "%s: got '%s', want '%s'", s->name, got, want);
		free(want);
		free(got);
	}
	/*
	 * each site's facility (location 2, the parent of its wards) carries its
	 * name: a join on the id alone would give some row another site's
	 */
	assert_val(g.p.tgt, "0", "SELECT COUNT(*) FROM flattened_patient_encounters"
	           " WHERE parent_location_name IS NOT NULL AND parent_location_name <>"
	           " CONCAT(UPPER(LEFT(site, 1)), SUBSTR(site, 2), ' Hospital')");
	assert_val(g.p.tgt, "3", "SELECT COUNT(DISTINCT parent_location_name)"
	           " FROM flattened_patient_encounters");
	assert_val(g.p.tgt, "0", "SELECT COUNT(*) FROM flattened_observations f"
	           " JOIN observations o ON o.site = f.site AND o.obs_id = f.obs_id"
	           " WHERE NOT (f.patient_id <=> o.person_id)");
	assert_val(g.p.tgt, "0", "SELECT COUNT(*) FROM flat_vitals v"
	           " JOIN encounters e ON e.site = v.site AND e.encounter_id = v.encounter_id"
	           " WHERE NOT (v.patient_id <=> e.patient_id)");
	/* a patient's summary counts that site's encounters only */
	assert_val(g.p.tgt, "0", "SELECT COUNT(*) FROM patient_summary s WHERE s.encounters <>"
	           " (SELECT COUNT(*) FROM encounters e WHERE e.site = s.site"
	           " AND e.patient_id = s.patient_id)");
	sites_free(&g);
}
END_TEST

/*
 * a day of changes in two sites, one on each server (the second voids a
 * patient): the incremental build equals a full refresh, and the summaries
 * their oracles; the site left alone keeps its rows as they were
 */
START_TEST(test_incremental_equals_full)
{
	struct sites g;
	char *before, *after, *modes;

	sites_new(&g, "osi");
	build(&g, NULL);
	before = rows_by_site(&g, "observations");
	site_sql(&g.s[0], "echo 'SET @batch = 1;'; cat '%s/contrib/openmrs-changes.sql'", root);
	site_sql(&g.s[2], "echo 'SET @batch = 3;'; cat '%s/contrib/openmrs-changes.sql'", root);
	build(&g, NULL);
	modes = val(g.p.tgt, "SELECT GROUP_CONCAT(DISTINCT CONCAT(mode, ':', outcome) ORDER BY 1)"
	            " FROM etl_run_targets WHERE run_id = (SELECT MAX(run_id) FROM etl_runs)"
	            " AND outcome <> 'pruned'");
	ck_assert_str_eq(modes, "incremental:built");
	free(modes);
	assert_summary(&g, 07, "after a day of changes");
	after = rows_by_site(&g, "observations");
	ck_assert_msg(strcmp(before, after) != 0, "no change arrived: %s", after);
	/* maseno, unchanged, has the same rows */
	ck_assert_msg(strstr(before, "maseno:") && strstr(after, "maseno:") &&
	              atol(strstr(before, "maseno:") + 7) == atol(strstr(after, "maseno:") + 7),
	              "maseno's rows changed: %s -> %s", before, after);
	assert_equals_full(&g, "after a day of changes");
	free(before);
	free(after);

	/*
	 * a second day, on the other server's site; in maseno one obs voided,
	 * nothing else (a site whose only change is a row removed); then a run
	 * with nothing new
	 */
	site_sql(&g.s[2], "echo 'SET @batch = 2;'; cat '%s/contrib/openmrs-changes.sql'", root);
	sql(g.s[1].d, "UPDATE obs SET voided = 1, voided_by = 1, date_voided = NOW(),"
	    " void_reason = 'Entered in error' WHERE voided = 0 ORDER BY obs_id LIMIT 1");
	ck_assert_int_eq(db_affected(g.s[1].d), 1);
	build(&g, NULL);
	build(&g, NULL);
	assert_summary(&g, 07, "after a second day");
	assert_equals_full(&g, "after a second day");
	sites_free(&g);
}
END_TEST

/*
 * a site taken off the list: its rows leave every table (logged in
 * etl_deletes with the site in their key); put back, it is read in full
 */
START_TEST(test_site_removed_and_added)
{
	struct sites g;
	char *logged;

	sites_new(&g, "osr");
	build(&g, NULL);
	assert_summary(&g, 07, "first build");

	list_sites(&g, 05);      /* maseno leaves */
	build(&g, NULL);
	assert_sites_of_tables(&g, 05, "maseno removed");
	assert_summary(&g, 05, "maseno removed");
	assert_val(g.p.tgt, "0", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'observations'"
	           " AND JSON_VALUE(key_json, '$.site') IS NULL");
	logged = val(g.p.tgt, "SELECT COUNT(*) FROM etl_deletes WHERE target = 'observations'"
	             " AND JSON_VALUE(key_json, '$.site') = 'maseno'");
	ck_assert_msg(atol(logged) > 0, "no delete of maseno's observations logged");
	free(logged);
	assert_equals_full(&g, "maseno removed");

	/* a change in maseno while it is off the list does not come in */
	site_sql(&g.s[1], "echo 'SET @batch = 1;'; cat '%s/contrib/openmrs-changes.sql'", root);
	build(&g, NULL);
	assert_sites_of_tables(&g, 05, "maseno still off the list");

	list_sites(&g, 07);      /* maseno is back, with its change */
	build(&g, NULL);
	assert_sites_of_tables(&g, 07, "maseno back");
	assert_summary(&g, 07, "maseno back");
	assert_equals_full(&g, "maseno back");
	sites_free(&g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openmrs_sites");

	if (itest_setup("openmrs_sites") < 0)
		return EXIT_SUCCESS;
	omtest_paths();
	add_case(s, "recipe_shape", test_recipe_shape);
	add_case(s, "validate", test_validate);
	add_case(s, "full_build", test_full_build);
	add_case(s, "incremental_equals_full", test_incremental_equals_full);
	add_case(s, "site_removed_and_added", test_site_removed_and_added);
	return run_suite(s);
}
