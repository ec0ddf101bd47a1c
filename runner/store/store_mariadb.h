/* store_mariadb.h: the parts of the MariaDB/MySQL store, shared by its files */
#ifndef CHACC_STORE_MARIADB_H
#define CHACC_STORE_MARIADB_H

#include "store_sql.h"

/* the etl_ tables in MariaDB (store_mariadb_schema.c) */
extern const struct store_sql_schema store_mariadb_schema;

#endif
