/* schema.h: the etl_ tables in the target database, their version and their migrations */
#ifndef CHACC_SCHEMA_H
#define CHACC_SCHEMA_H

#include <stdbool.h>

struct db;

/*
 * the version of the etl_ tables this chacc writes. Version 1: the tables of
 * chacc 0.1 (no etl_schema). Version 2: etl_schema, and definition hashes that
 * carry their format ("2:<hex>"). A change to the tables bumps it and adds a
 * step to the migrations in schema.c.
 */
#define SCHEMA_VERSION 2

/*
 * the version of the etl_ tables of d's database, changing nothing: 0 when
 * there is none, an older version that the next build migrates, or a newer
 * one. A table of one of these names whose columns no version of chacc made
 * (left by another tool) is refused: -1 with *err naming it.
 */
int schema_version(struct db *d, char **err);

/*
 * create the etl_ tables on a database that has none, or migrate older ones
 * in place to SCHEMA_VERSION (adding columns and tables), one runner at a
 * time. Returns 1 when it changed something, 0 when they were up to date, -1
 * with *err (a foreign table, a newer version, a failed statement). *note is
 * set (malloc'ed) to a line for the user when older tables were migrated.
 */
int schema_upgrade(struct db *d, char **err, char **note);

/* the last error on d: a table does not exist (an etl_ table of a database chacc never wrote) */
bool schema_no_table(struct db *d);

#endif
