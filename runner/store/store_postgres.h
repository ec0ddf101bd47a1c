/*
 * store_postgres.h: the parts of the PostgreSQL store, shared by its files.
 * Its tables are those of the MariaDB store, with the same names and columns,
 * in the connection's schema (db_name); times are timestamptz, read back as
 * "YYYY-MM-DD HH:MM:SS.ffffff" in the session's time zone.
 */
#ifndef CHACC_STORE_POSTGRES_H
#define CHACC_STORE_POSTGRES_H

#include "store_sql.h"

/* the etl_ tables in PostgreSQL (store_postgres_schema.c) */
extern const struct store_sql_schema store_postgres_schema;

#endif
