/* omtest.h: helpers of the OpenMRS suites: the recipes, the demo data, the generator */
#ifndef CHACC_OMTEST_H
#define CHACC_OMTEST_H

#include <libgen.h>

#include "itest.h"

static char root[PATH_MAX];     /* the repository */
static char recipe[PATH_MAX + 64];/* recipes/openmrs.yml */
static char pg_recipe[PATH_MAX + 64];/* recipes/openmrs-postgres.yml */
static char demo_sql[PATH_MAX + 64];/* the OpenMRS demo database (2.0 schema, 2017 data) */
static char schema_gz[PATH_MAX + 64];/* an empty OpenMRS 2.6.4 database */


#define om(p, ...) chacc_env(p, NULL, "-f", recipe, __VA_ARGS__, (char *)NULL)
#define om_env(p, env, ...) chacc_env(p, env, "-f", recipe, __VA_ARGS__, (char *)NULL)

/* run a shell command; fail the test if it fails */
static inline void
shell(const char *fmt, ...)
{
	va_list ap;
	char *cmd;
	int rc;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "'%s' failed (status %d)", cmd, rc);
	free(cmd);
}

/* the mariadb client on the source database, reading what a shell command prints */
static inline void
source_sql(struct proj *p, const char *fmt, ...)
{
	va_list ap;
	char *sh;

	va_start(ap, fmt);
	sh = xvasprintf(fmt, ap);
	va_end(ap);
	shell("(%s) | '%s' sql '%s/src' '%s' >/dev/null", sh, getenv("CHACC_TEST_MARIADB_LOCAL"),
	      getenv("CHACC_TEST_DIR"), p->srcdb);
	free(sh);
}

static inline void
load_demo(struct proj *p)
{
	source_sql(p, "cat '%s'", demo_sql);
}

/* the generator's data, into its own schema or into tables a dump made */
static inline void
generate(struct proj *p, int patients, bool schema)
{
	if (schema)
		source_sql(p, "echo 'SET @patients = %d;'; cat '%s/contrib/openmrs-schema.sql'"
		           " '%s/contrib/openmrs-generate.sql'", patients, root, root);
	else
		source_sql(p, "echo 'SET @patients = %d;'; cat '%s/contrib/openmrs-generate.sql'",
		           patients, root);
}

/* a day of changes in the source */
static inline void
changes(struct proj *p, int batch)
{
	source_sql(p, "echo 'SET @batch = %d;'; cat '%s/contrib/openmrs-changes.sql'", batch, root);
}

/* the paths above, from the chacc binary's directory (the repository) */
static inline void
omtest_paths(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", bin);
	snprintf(root, sizeof(root), "%s", dirname(dir));
	snprintf(recipe, sizeof(recipe), "%s/recipes/openmrs.yml", root);
	snprintf(pg_recipe, sizeof(pg_recipe), "%s/recipes/openmrs-postgres.yml", root);
	snprintf(demo_sql, sizeof(demo_sql), "%s/../shared/data/openmrs/demo-db-2.6.0.sql", root);
	snprintf(schema_gz, sizeof(schema_gz), "%s/../shared/data/openmrs/openmrs-2.6.4.sql.gz", root);
}

/*
 * a checksum of table in database db: its rows and an order-independent sum
 * of the MD5 of each row, over every column but _chacc_changed_at and
 * _chacc_row (when a row changed and the number a cluster gave it differ
 * between builds; its values must not)
 */
static inline char *
table_sum(struct proj *p, const char *db, const char *table)
{
	char *cols = val(p->tgt, "SELECT GROUP_CONCAT(CONCAT('QUOTE(`', column_name, '`)')"
	                 " ORDER BY ordinal_position) FROM information_schema.columns"
	                 " WHERE table_schema = '%s' AND table_name = '%s'"
	                 " AND column_name NOT IN ('_chacc_changed_at', '_chacc_row')", db, table);
	char *sum;

	ck_assert_msg(*cols, "no table %s.%s", db, table);
	sum = val(p->tgt, "SELECT CONCAT(COUNT(*), '/', COALESCE(SUM(CAST(CONV(LEFT(MD5("
	          "CONCAT_WS(',', %s)), 15), 16, 10) AS DECIMAL(65,0))), 0)) FROM `%s`.`%s`",
	          cols, db, table);
	free(cols);
	return sum;
}

#endif
