/*
 * storetest.h: the clinic of the store's suites (check_store.c,
 * check_store_upgrade.c): a recipe of five targets over a source with fixed,
 * old times, and what its tests share
 */
#ifndef CHACC_STORETEST_H
#define CHACC_STORETEST_H

#include "itest.h"

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
static inline void
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

static inline void
build_ok(struct proj *p, const char *target)
{
	struct result r = target ? chacc(p, "build", target) : chacc(p, "build");

	assert_ok(&r);
	result_free(&r);
}

static inline long long
num(struct db *d, const char *fmt, const char *arg)
{
	char *v = val(d, fmt, arg), *end;
	long long n = strtoll(v, &end, 10);

	ck_assert_msg(*v && !*end, "%s: not a number: '%s'", fmt, v);
	free(v);
	return n;
}

static inline bool
has_table(struct proj *p, const char *name)
{
	return num(p->tgt, "SELECT COUNT(*) FROM information_schema.tables WHERE"
	           " table_schema = DATABASE() AND table_name = '%s'", name) > 0;
}

#define ck_assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not in:\n%s", (needle), (hay))

#endif
