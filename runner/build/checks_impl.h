/* checks_impl.h: what the check runner's modules share: the SQL of a check (checks_sql.c) */
#ifndef CHACC_CHECKS_IMPL_H
#define CHACC_CHECKS_IMPL_H

#include <stdbool.h>

#include "checks.h"

/* the queries of one check, in the target's engine */
struct check_sql {
	/*
	 * one value: the failing rows of a row kind (not_null, unique,
	 * accepted_values, relationships, range, expression, sql), the row
	 * count (row_count), the newest value (freshness)
	 */
	char *count;
	/* up to CHECK_SAMPLES failing keys or rows, ordered; NULL: none to show */
	char *samples;
	bool changed_only;       /* limited to the rows changed since x->changed_since */
};

/*
 * the SQL of check c (not drift) on x->table; 0, or -1 with a message in
 * *err (a check the recipe left incomplete)
 */
int check_sql_make(const struct check_ctx *x, const struct check *c, struct check_sql *out,
                   char **err);
void check_sql_release(struct check_sql *s);
/* text (a where, an expression, a query) with ${this} as x->table's quoted name (malloc'ed) */
char *check_sql_subst(const struct check_ctx *x, const char *text);
/* the table a relationships check looks in: table_of's, else its to_target (not copied) */
const char *check_sql_to_table(const struct check_ctx *x, const struct check *c);

#endif
