/* buildtest.h: helpers of the build suites: the clinic project of check_build */
#ifndef CHACC_BUILDTEST_H
#define CHACC_BUILDTEST_H

#include <jansson.h>

#include "build.h"
#include "itest.h"
#include "store.h"

static const char recipe[] =
	"chacc: 1\n"
	"name: clinic\n"
	TEST_CONNECTIONS
	"defaults: { retries: 2, retry_delay: 100ms }\n"
	"targets:\n"
	"  - name: people\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/people.sql\n"
	"    key: [id]\n"
	"    indexes: [[name]]\n"
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
	"    key: [visit_id]\n"
	"  - name: visit_counts\n"
	"    kind: table\n"
	"    needs: [people_visits]\n"
	"    query: sql/visit_counts.sql\n"
	"    key: [name]\n"
	"  - name: lonely\n"
	"    kind: table\n"
	"    query: sql/lonely.sql\n";

/* the standard clinic: people and visits in the source, the recipe above; the target on engine */
static inline void
proj_clinic_on(struct proj *p, const char *name, const char *engine)
{
	proj_new_on(p, name, engine);
	sql(p->src, "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(50),"
	    " updated_at DATETIME NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, at DATETIME)");
	sql(p->src, "INSERT INTO people VALUES (1, 'ada', NOW() - INTERVAL 1 DAY, 0),"
	    " (2, 'bob', NOW() - INTERVAL 1 DAY, 0), (3, 'cy', NOW() - INTERVAL 1 DAY, 0)");
	sql(p->src, "INSERT INTO visits VALUES (10, 1, '2026-01-01'), (11, 1, '2026-01-02'),"
	    " (12, 2, '2026-01-03')");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/people.sql", "SELECT id, name, updated_at, voided FROM people\n");
	write_file(p, "sql/visits.sql", "SELECT id, person_id, at FROM visits;\n");
	write_file(p, "sql/people_visits.sql",
	           "SELECT v.id AS visit_id, p.name, v.at\n"
	           "FROM visits v JOIN people p ON p.id = v.person_id\n"
	           "WHERE ${since} IS NULL OR v._chacc_changed_at > ${since}"
	           " OR p._chacc_changed_at > ${since}\n");
	write_file(p, "sql/visit_counts.sql",
	           "SELECT name, COUNT(*) AS n FROM people_visits GROUP BY name\n");
	write_file(p, "sql/lonely.sql", "SELECT 1 AS x\n");
}

static inline void
proj_clinic(struct proj *p, const char *name)
{
	proj_clinic_on(p, name, "mariadb");
}

#endif
