/* clitest.h: helpers of the command line suites: the ward project */
#ifndef CHACC_CLITEST_H
#define CHACC_CLITEST_H

#include "itest.h"

#include <ctype.h>
#include <jansson.h>

static const char recipe[] =
	"chacc: 1\n"
	"name: ward\n"
	TEST_CONNECTIONS
	"defaults: { retries: 0 }\n"
	"targets:\n"
	"  - name: beds\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/beds.sql\n"
	"    key: [id]\n"
	"    incremental: { column: updated_at, lookback: 1s }\n"
	"  - name: wards\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/wards.sql\n"
	"    key: [ward]\n"
	"  - name: bed_runs\n"
	"    kind: table\n"
	"    needs: [beds]\n"
	"    query: sql/bed_runs.sql\n"
	"    key: [id]\n"
	"    incremental: true\n"
	"  - name: " "a_target_name_long_enough_that_its_shadow_table_name_must_be_cut" "\n"
	"    kind: table\n"
	"    needs: [wards]\n"
	"    query: sql/long.sql\n"
	"    key: [ward]\n";

#define LONG_NAME "a_target_name_long_enough_that_its_shadow_table_name_must_be_cut"

static inline void
proj_ward(struct proj *p, const char *name)
{
	proj_new(p, name);
	sql(p->src, "CREATE TABLE beds (id INT PRIMARY KEY, ward VARCHAR(20) NOT NULL,"
	    " updated_at DATETIME NOT NULL)");
	sql(p->src, "INSERT INTO beds VALUES (1, 'north', NOW() - INTERVAL 1 DAY),"
	    " (2, 'north', NOW() - INTERVAL 1 DAY), (3, 'south', NOW() - INTERVAL 1 DAY)");
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/beds.sql", "SELECT id, ward, updated_at FROM beds\n");
	write_file(p, "sql/wards.sql", "SELECT DISTINCT ward FROM beds\n");
	/* the runtime placeholders, as a build fills them in */
	write_file(p, "sql/bed_runs.sql",
	           "SELECT id, ward, ${run_id} AS run_id, '${conn.source.database}' AS src\n"
	           "FROM beds WHERE ${since} IS NULL OR _chacc_changed_at > ${since}\n");
	write_file(p, "sql/long.sql", "SELECT ward, CHAR_LENGTH(ward) AS len FROM wards\n");
}

#endif
