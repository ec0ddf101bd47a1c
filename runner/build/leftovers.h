/* leftovers.h: what chacc keeps about a target in the target database, dropped by clean and prune */
#ifndef CHACC_LEFTOVERS_H
#define CHACC_LEFTOVERS_H

#include <stdbool.h>

struct conns;

/* what the target database holds for one target of a recipe */
struct leftovers {
	char *name;
	bool table;              /* its table */
	char *shadow, *old;      /* a shadow or old table an interrupted build left, or NULL */
	bool marker, watermark;  /* its rows in etl_metadata and etl_watermarks */
	long long deletes;       /* its rows in etl_deletes (counted when asked, else 0) */
	bool others;             /* another recipe has a marker of that name */
	bool keep_table;         /* its table is not this recipe's to drop: no marker of it, or others */
};

/* what exists for target name of c's recipe, counting its deletes if asked; 0 or -1 */
int leftovers_find(struct conns *c, const char *name, bool deletes, struct leftovers *l);
/* "table 'x', leftover '_chacc_new_x', marker and watermark": what would go; NULL for nothing */
char *leftovers_describe(const struct leftovers *l);
/*
 * drop what leftovers_find found, holding the target's build lock: its
 * tables (but a kept table), marker, watermark and, if counted, its
 * deletes. 0, 1 when a build holds the lock (nothing dropped), -1 with *err.
 */
int leftovers_drop(struct conns *c, const struct leftovers *l, char **err);
void leftovers_release(struct leftovers *l);

#endif
