/*
 * check_sites.c: extracts from a group of sites (DESIGN §10): every site's
 * rows in one table keyed by (site, key), a site down mid-run that does not
 * stop the others, sites added and removed, a site whose rows have another
 * shape. The sites live on the two test servers and on a third one each
 * test that stops a server starts for itself.
 */
#include <check.h>

#include "itest.h"

/* a table of rows in a site's database: ids overlap across sites, as they do */
static void
site_db(struct db *d, const char *db, int rows, int offset)
{
	sql(d, "DROP DATABASE IF EXISTS %s", db);
	sql(d, "CREATE DATABASE %s", db);
	sql(d, "CREATE TABLE %s.obs (id INT PRIMARY KEY, v INT NOT NULL,"
	       " changed_at DATETIME(6) NOT NULL DEFAULT NOW(6), voided TINYINT NOT NULL DEFAULT 0)", db);
	for (int i = 1; i <= rows; i++)
		sql(d, "INSERT INTO %s.obs (id, v, changed_at) VALUES (%d, %d, NOW(6) - INTERVAL 1 HOUR)",
		    db, i, offset + i);
}

/* the recipe: group clinics with sites name=socket-variable=database, and obs from it */
static char *
sites_recipe(const char *const *sites)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "name: sitestest\n" TEST_CONNECTIONS
	         "sites:\n"
	         "  - name: clinics\n"
	         "    user: ${SOURCE_DB_USER}\n"
	         "    password: ${SOURCE_DB_PASSWORD}\n"
	         "    list:\n");
	for (size_t i = 0; sites[i]; i += 3)
		buf_addf(&b, "      - { name: %s, socket: '${%s}', database: %s }\n", sites[i],
		         sites[i + 1], sites[i + 2]);
	buf_adds(&b, "targets:\n"
	         "  - name: obs\n"
	         "    kind: extract\n"
	         "    from: clinics\n"
	         "    query: obs.sql\n"
	         "    key: [id]\n"
	         "    incremental: { column: changed_at, deleted: voided, lookback: 1s }\n"
	         "  - name: per_site\n"
	         "    kind: table\n"
	         "    needs: [obs]\n"
	         "    query: per_site.sql\n"
	         "    key: [site]\n");
	return buf_detach(&b);
}

static void
write_recipe(struct proj *p, const char *const *sites)
{
	char *r = sites_recipe(sites);

	write_file(p, "chacc.yml", r);
	free(r);
}

/* a project with sites north (source server) and south (target server) */
static void
sites_proj(struct proj *p, const char *name, char dbs[2][64])
{
	const char *sites[] = {
		"north", "SOURCE_DB_SOCKET", dbs[0], "south", "TARGET_DB_SOCKET", dbs[1], NULL,
	};

	proj_new(p, name);
	snprintf(dbs[0], 64, "st_%s_north", name);
	snprintf(dbs[1], 64, "st_%s_south", name);
	site_db(p->src, dbs[0], 5, 100);
	site_db(p->tgt, dbs[1], 4, 200);
	write_file(p, "obs.sql", "SELECT id, v, changed_at, voided FROM obs\n");
	write_file(p, "per_site.sql", "SELECT site, COUNT(*) AS n, SUM(v) AS total FROM obs"
	           " GROUP BY site\n");
	write_recipe(p, sites);
}

/* the rows of obs, in order, as one string */
static char *
obs_rows(struct proj *p)
{
	return val(p->tgt, "SELECT GROUP_CONCAT(CONCAT(site, ':', id, '=', v) ORDER BY site, id)"
	           " FROM obs");
}

/* a full refresh gives the table obs has now (the incremental builds were right) */
static void
assert_full_same(struct proj *p)
{
	char *before = obs_rows(p), *after;
	struct result r = chacc(p, "build", "--full-refresh");

	assert_ok(&r);
	after = obs_rows(p);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	result_free(&r);
}

START_TEST(test_sites_into_one_table)
{
	struct proj p;
	char dbs[2][64];
	struct result r;

	sites_proj(&p, "one", dbs);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* overlapping ids, kept apart by the site */
	assert_val(p.tgt, "9", "SELECT COUNT(*) FROM obs");
	assert_val(p.tgt, "site,id", "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)"
	           " FROM information_schema.statistics WHERE table_schema = DATABASE()"
	           " AND table_name = 'obs' AND index_name = 'PRIMARY'");
	assert_val(p.tgt, "north=5,south=4", "SELECT GROUP_CONCAT(CONCAT(site, '=', n) ORDER BY site)"
	           " FROM per_site");
	assert_val(p.tgt, "north:ok,south:ok", "SELECT GROUP_CONCAT(CONCAT(site, ':', status)"
	           " ORDER BY site) FROM etl_sites WHERE target = 'obs'");
	/* nothing new at any site: nothing to do */
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "nothing to do", "SELECT result FROM etl_runs ORDER BY run_id DESC LIMIT 1");
	/* changes in one site: new, edited, voided rows */
	sql(p.src, "INSERT INTO %s.obs (id, v) VALUES (6, 106)", dbs[0]);
	sql(p.src, "UPDATE %s.obs SET v = 1000, changed_at = NOW(6) WHERE id = 2", dbs[0]);
	sql(p.src, "UPDATE %s.obs SET voided = 1, changed_at = NOW(6) WHERE id = 3", dbs[0]);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "source"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "north:1=101,north:2=1000,north:4=104,north:5=105,north:6=106,"
	           "south:1=201,south:2=202,south:3=203,south:4=204", "SELECT GROUP_CONCAT("
	           "CONCAT(site, ':', id, '=', v) ORDER BY site, id) FROM obs");
	assert_val(p.tgt, "north=5,south=4", "SELECT GROUP_CONCAT(CONCAT(site, '=', n) ORDER BY site)"
	           " FROM per_site");
	/* the voided row was logged with its site, for the targets downstream */
	assert_val(p.tgt, "1", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'obs'"
	           " AND key_json LIKE '%\"site\": \"north\"%' AND key_json LIKE '%\"id\": 3%'");
	assert_full_same(&p);
	proj_free(&p);
}
END_TEST

/* a private server for a site, started under the test directory */
static char *
server_start(const char *name)
{
	char *dir = xasprintf("%s/%s", tmpdir, name);
	char *cmd = xasprintf("'%s' start '%s' >/dev/null", getenv("CHACC_TEST_MARIADB_LOCAL"), dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return dir;
}

static void
server_ctl(const char *dir, const char *what)
{
	char *cmd = xasprintf("'%s' %s '%s' >/dev/null", getenv("CHACC_TEST_MARIADB_LOCAL"), what,
	                      dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

START_TEST(test_site_down_mid_run)
{
	struct proj p;
	char dbs[2][64], *dir = server_start("site3"), *sock = xasprintf("%s/mysqld.sock", dir);
	char *env, *pausefile = xasprintf("%s/pause-site", tmpdir), *out, *err;
	const char *sites[] = {
		"north", "SOURCE_DB_SOCKET", NULL, "east", "EAST_SOCKET", "st_down_east",
		"south", "TARGET_DB_SOCKET", NULL, NULL,
	};
	struct db_params ec;
	struct db *east;
	struct result r;
	int o, e, status;
	pid_t pid;

	sites_proj(&p, "down", dbs);
	sites[2] = dbs[0];
	sites[8] = dbs[1];
	write_recipe(&p, sites);
	east = connect_to(&ec, sock, NULL);
	site_db(east, "st_down_east", 3, 300);
	env = xasprintf("EAST_SOCKET=%s", sock);
	r = chacc_env(&p, env, "build", (char *)NULL);
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "12", "SELECT COUNT(*) FROM obs");
	/* a day's rows at every site; the east server stops while the run reads it */
	sql(p.src, "INSERT INTO %s.obs (id, v) VALUES (6, 106)", dbs[0]);
	sql(east, "INSERT INTO st_down_east.obs (id, v) VALUES (4, 304)");
	sql(p.tgt, "INSERT INTO %s.obs (id, v) VALUES (5, 205)", dbs[1]);
	db_close(east);
	unlink(pausefile);
	setenv("CHACC_PAUSE_FILE", pausefile, 1);
	{
		const char *envs[] = { env, "CHACC_PAUSE=site-connected:east", NULL };
		char *args[] = { (char *)"build", NULL };

		pid = chacc_start_envs(&p, envs, &o, &e, args);
	}
	for (int i = 0; i < 600 && access(pausefile, F_OK) != 0; i++)
		usleep(50000);
	ck_assert_msg(access(pausefile, F_OK) == 0, "chacc never read site east");
	server_ctl(dir, "stop");
	unlink(pausefile);
	status = wait_status(pid);
	unsetenv("CHACC_PAUSE_FILE");
	out = slurp_fd(o);
	err = slurp_fd(e);
	/* the run fails, naming the site; the target is ok with the others' rows */
	ck_assert_msg(status == 1, "exit %d\n%s\n%s", status, out, err);
	ck_assert_msg(strstr(err, "east"), "%s", err);
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'obs'");
	assert_val(p.tgt, "north:6,south:5", "SELECT GROUP_CONCAT(CONCAT(site, ':', m) ORDER BY site)"
	           " FROM (SELECT site, MAX(id) AS m FROM obs WHERE site <> 'east' GROUP BY site) AS x");
	assert_val(p.tgt, "3", "SELECT COUNT(*) FROM obs WHERE site = 'east'");
	assert_val(p.tgt, "failed", "SELECT status FROM etl_sites WHERE site = 'east'");
	assert_val(p.tgt, "1", "SELECT error_message IS NOT NULL AND last_success_at IS NOT NULL"
	           " FROM etl_sites WHERE site = 'east'");
	assert_val(p.tgt, "north=6,south=5", "SELECT GROUP_CONCAT(CONCAT(site, '=', n) ORDER BY site)"
	           " FROM per_site WHERE site <> 'east'");
	free(out);
	free(err);
	/* the next run says why it reads east again */
	r = chacc_env(&p, env, "plan", (char *)NULL);
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "failed last time: east"), "%s", r.out);
	result_free(&r);
	/* back up: east's late rows arrive and flow downstream */
	server_ctl(dir, "start");
	r = chacc_env(&p, env, "build", (char *)NULL);
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM obs WHERE site = 'east'");
	assert_val(p.tgt, "4", "SELECT n FROM per_site WHERE site = 'east'");
	assert_val(p.tgt, "ok", "SELECT status FROM etl_sites WHERE site = 'east'");
	{
		char *before = obs_rows(&p), *after;

		r = chacc_env(&p, env, "build", "--full-refresh", (char *)NULL);
		assert_ok(&r);
		result_free(&r);
		after = obs_rows(&p);
		ck_assert_str_eq(after, before);
		free(before);
		free(after);
	}
	server_ctl(dir, "stop");
	proj_free(&p);
	free(env);
	free(sock);
	free(dir);
	free(pausefile);
}
END_TEST

START_TEST(test_site_added_and_removed)
{
	struct proj p;
	char dbs[2][64], west[64], *stamp;
	const char *three[] = {
		"north", "SOURCE_DB_SOCKET", NULL, "south", "TARGET_DB_SOCKET", NULL,
		"west", "SOURCE_DB_SOCKET", west, NULL,
	};
	const char *two[] = { "north", "SOURCE_DB_SOCKET", NULL, "west", "SOURCE_DB_SOCKET", west,
	                      NULL };
	struct result r;

	sites_proj(&p, "addrm", dbs);
	three[2] = two[2] = dbs[0];
	three[5] = dbs[1];
	snprintf(west, sizeof(west), "st_addrm_west");
	site_db(p.src, west, 2, 400);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	stamp = val(p.tgt, "SELECT MAX(_chacc_changed_at) FROM obs");
	/* a site added: not a definition change; only it is read */
	write_recipe(&p, three);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "sites added: west"), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "definition"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM obs WHERE site = 'west'");
	{
		char *q = xasprintf("SELECT MAX(_chacc_changed_at) FROM obs WHERE site <> 'west'");

		assert_val(p.tgt, stamp, q);
		free(q);
	}
	assert_val(p.tgt, "north=5,south=4,west=2", "SELECT GROUP_CONCAT(CONCAT(site, '=', n)"
	           " ORDER BY site) FROM per_site");
	/* a site removed: its rows go, logged for downstream */
	write_recipe(&p, two);
	r = chacc(&p, "plan");
	assert_ok(&r);
	ck_assert_msg(strstr(r.out, "removed: south"), "%s", r.out);
	result_free(&r);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM obs WHERE site = 'south'");
	assert_val(p.tgt, "4", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'obs'"
	           " AND key_json LIKE '%\"site\": \"south\"%'");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM etl_sites WHERE site = 'south'");
	assert_val(p.tgt, "north=5,west=2", "SELECT GROUP_CONCAT(CONCAT(site, '=', n) ORDER BY site)"
	           " FROM per_site");
	assert_full_same(&p);
	free(stamp);
	proj_free(&p);
}
END_TEST

START_TEST(test_site_schema_differs)
{
	struct proj p;
	char dbs[2][64];
	struct result r;

	sites_proj(&p, "shape", dbs);
	r = chacc(&p, "build");
	assert_ok(&r);
	result_free(&r);
	/* south's obs grows a column the others lack; north's new row still comes */
	write_file(&p, "obs.sql", "SELECT * FROM obs\n");
	r = chacc(&p, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	sql(p.tgt, "ALTER TABLE %s.obs ADD COLUMN extra INT NULL", dbs[1]);
	sql(p.tgt, "UPDATE %s.obs SET v = 999, changed_at = NOW(6) WHERE id = 1", dbs[1]);
	sql(p.src, "INSERT INTO %s.obs (id, v) VALUES (6, 106)", dbs[0]);
	r = chacc(&p, "build");
	ck_assert_msg(r.status == 1, "exit %d\n%s\n%s", r.status, r.out, r.err);
	ck_assert_msg(strstr(r.err, "south") && strstr(r.err, "'extra'"), "%s", r.err);
	result_free(&r);
	assert_val(p.tgt, "ok", "SELECT status FROM etl_metadata WHERE target = 'obs'");
	assert_val(p.tgt, "106", "SELECT v FROM obs WHERE site = 'north' AND id = 6");
	assert_val(p.tgt, "201", "SELECT v FROM obs WHERE site = 'south' AND id = 1");
	assert_val(p.tgt, "failed", "SELECT status FROM etl_sites WHERE site = 'south'");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s;
	SRunner *sr;
	int failed;

	if (itest_setup("check_sites") < 0)
		return 0;
	s = suite_create("sites");
	add_case(s, "into_one_table", test_sites_into_one_table);
	add_case(s, "down_mid_run", test_site_down_mid_run);
	add_case(s, "added_and_removed", test_site_added_and_removed);
	add_case(s, "schema_differs", test_site_schema_differs);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
