/*
 * fake_store.h: a store kept in memory, for tests that need no server. A
 * fake server holds the tables and the locks; each store opened on it is
 * like one connection: the locks it takes are its own, and closing it
 * releases them (as a connection that ends). Thread-safe: stores of one
 * server may be used from different threads, one thread per store.
 */
#ifndef CHACC_FAKE_STORE_H
#define CHACC_FAKE_STORE_H

#include <stdbool.h>

struct store;
struct fake_server;

struct fake_server *fake_server_new(void);
/* free the server; close its stores first */
void fake_server_free(struct fake_server *srv);
/* a store of recipe on srv (store_close releases its locks) */
struct store *fake_store_open(struct fake_server *srv, const char *recipe);

/* the server's clock in seconds since the epoch (UTC); 0, the default, follows the real clock */
void fake_server_set_clock(struct fake_server *srv, double now);
/* whether a table of that name exists (the markers' table_exists) */
void fake_server_set_table(struct fake_server *srv, const char *name, bool exists);
/* a row of etl_deletes of target, deleted at the server's clock */
void fake_server_add_delete(struct fake_server *srv, const char *target);
/* the next n store calls on srv fail with "fake: injected failure" */
void fake_server_fail(struct fake_server *srv, int n);

#endif
