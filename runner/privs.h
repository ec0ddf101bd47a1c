/* privs.h: does the target user hold what builds need (DESIGN §5) */
#ifndef CHACC_PRIVS_H
#define CHACC_PRIVS_H

#include <stdbool.h>

struct db;

/*
 * check the current user's grants on the connection's database. Returns 0,
 * or -1 with a message naming the missing privileges in *err.
 */
int privs_check(struct db *d, bool routines, char **err);

#endif
