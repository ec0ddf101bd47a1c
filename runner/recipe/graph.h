/* graph.h: the targets of a recipe as a dependency graph */
#ifndef CHACC_GRAPH_H
#define CHACC_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct recipe;
struct target;

struct node {
	struct target *t;
	size_t id;               /* index in graph.nodes, recipe order */
	struct node **needs;
	size_t nneeds;
	struct node **users;     /* targets that need this one */
	size_t nusers;
};

struct graph {
	struct recipe *r;
	struct node *nodes;
	size_t nnodes;
};

/* build the graph of a checked recipe (no unknown needs, no cycles) */
struct graph *graph_new(struct recipe *r);
void graph_free(struct graph *g);
struct node *graph_find(struct graph *g, const char *name);

/*
 * the selected nodes and everything they need, in build order: needs first,
 * then recipe order. nsel 0 selects every target. Returns the count; *out is
 * malloc'ed.
 */
size_t graph_order(struct graph *g, struct node **sel, size_t nsel, struct node ***out);

/* write the graph in Graphviz DOT: the nodes only marks (by id; NULL: all) and their edges */
void graph_dot(struct graph *g, const bool *only, FILE *f);

#endif
