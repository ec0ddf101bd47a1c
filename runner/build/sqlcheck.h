/* sqlcheck.h: a recipe's SQL checked by the servers it would run on, without running it */
#ifndef CHACC_SQLCHECK_H
#define CHACC_SQLCHECK_H

#include <stddef.h>

#include "session.h"

struct diags;
struct recipe;

/*
 * ask the servers to prepare (parse and resolve, never run) the query,
 * create and probe files of r's table and extract targets, in build order:
 * an extract's query and probe on its from: connection, everything else on
 * the target connection. Scripts are not prepared. Placeholders become
 * harmless values: ${this} the target's name, ${since} NULL (as in a full
 * build), ${run_id} 0, ${conn.NAME.database} the database. The targets of r count
 * as tables that exist: each accepted query of a table or extract leaves a
 * temporary empty table of its name and result columns on the target
 * connection for the queries after it, and a table that does not exist but
 * is a target's (a script's, or one whose query was refused) or one of
 * chacc's etl_ tables (before the first build) is accepted.
 * Each problem goes to diags as an error at the SQL file's line (relative
 * to the working directory), with its target; *checked (when not NULL)
 * counts the statements prepared. OUTCOME_OK when every statement is
 * accepted, OUTCOME_FAILED when one is not or a source cannot be reached,
 * OUTCOME_UNREACHABLE when the target connection cannot be.
 */
enum outcome sqlcheck_recipe(struct recipe *r, struct diags *diags, size_t *checked);

#endif
