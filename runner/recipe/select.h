/* select.h: choosing targets on the command line, as dbt users do */
#ifndef CHACC_SELECT_H
#define CHACC_SELECT_H

#include <stdbool.h>
#include <stddef.h>

struct diags;
struct graph;
struct node;

/*
 * A selector is NAME, a glob (fnmatch: flat_*) or tag:TAG, with an optional
 * '+' before it (and everything it needs, transitively) and after it (and
 * everything that needs it): +NAME, NAME+, +NAME+, +tag:daily. select_targets
 * chooses the union of sels (every target when nsel is 0) minus the union of
 * excls. A selector that chooses nothing (an unknown name or tag, a glob
 * that matches no target, a malformed selector) is a diagnostic in d, with
 * the nearest name when one is close; so is a selection the excludes empty.
 */

/* the chosen nodes in recipe order into *out (caller frees); their count, or -1 */
long select_targets(struct graph *g, char **sels, size_t nsel, char **excls, size_t nexcl,
                    struct diags *d, struct node ***out);
/* mark in mask (by node id, g->nnodes long) what one selector chooses; -1 (in d) if nothing */
int select_mark(struct graph *g, const char *sel, bool *mask, struct diags *d);

#endif
