/* schema.h: the version of the etl_ tables (their definitions: store_*_schema.c) */
#ifndef CHACC_SCHEMA_H
#define CHACC_SCHEMA_H

/*
 * the version of the etl_ tables this chacc writes. Version 1: the tables of
 * chacc 0.1 (no etl_schema). Version 2: etl_schema, and definition hashes that
 * carry their format ("2:<hex>"). Version 3: etl_checks and etl_profiles,
 * the results of checks and the profiles of targets. Version 4: etl_sites,
 * the state of each site of the extracts that read a group of sites. A
 * change to the tables bumps it, adds their new columns to the shapes of
 * store_sql_schema.c, and a step to the migrations of each engine
 * (store_mariadb_schema.c, store_postgres_schema.c).
 */
#define SCHEMA_VERSION 4

#endif
