/* graph.c: the dependency graph of a recipe's targets */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "recipe.h"
#include "util.h"

struct graph *
graph_new(struct recipe *r)
{
	struct graph *g = xcalloc(1, sizeof(*g));
	size_t i, j;

	g->r = r;
	g->nnodes = r->ntargets;
	g->nodes = xcalloc(g->nnodes, sizeof(*g->nodes));
	for (i = 0; i < g->nnodes; i++) {
		g->nodes[i].t = &r->targets[i];
		g->nodes[i].id = i;
	}
	for (i = 0; i < g->nnodes; i++) {
		struct node *n = &g->nodes[i];

		n->needs = xcalloc(n->t->needs.n, sizeof(*n->needs));
		for (j = 0; j < n->t->needs.n; j++) {
			struct node *d = graph_find(g, n->t->needs.v[j]);

			if (!d)
				continue;
			n->needs[n->nneeds++] = d;
			d->users = xreallocarray(d->users, d->nusers + 1, sizeof(*d->users));
			d->users[d->nusers++] = n;
		}
	}
	return g;
}

void
graph_free(struct graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->nnodes; i++) {
		free(g->nodes[i].needs);
		free(g->nodes[i].users);
	}
	free(g->nodes);
	free(g);
}

struct node *
graph_find(struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->nnodes; i++)
		if (strcmp(g->nodes[i].t->name, name) == 0)
			return &g->nodes[i];
	return NULL;
}

/* post-order walk: a node comes after everything it needs */
static void
visit(struct node *n, char *seen, struct node **out, size_t *len)
{
	size_t i;

	if (seen[n->id])
		return;
	seen[n->id] = 1;
	for (i = 0; i < n->nneeds; i++)
		visit(n->needs[i], seen, out, len);
	out[(*len)++] = n;
}

size_t
graph_order(struct graph *g, struct node **sel, size_t nsel, struct node ***out)
{
	char *want = xcalloc(g->nnodes, 1), *seen = xcalloc(g->nnodes, 1);
	struct node **order = xcalloc(g->nnodes, sizeof(*order));
	size_t i, len = 0;

	for (i = 0; i < nsel; i++)
		want[sel[i]->id] = 1;
	for (i = 0; i < g->nnodes; i++)
		if (nsel == 0 || want[i])
			visit(&g->nodes[i], seen, order, &len);
	free(want);
	free(seen);
	*out = order;
	return len;
}

void
graph_dot(struct graph *g, const bool *only, FILE *f)
{
	size_t i, j;

	fprintf(f, "digraph \"%s\" {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"sans\"];\n",
	        g->r->name);
	for (i = 0; i < g->nnodes; i++)
		if (!only || only[i])
			fprintf(f, "\t\"%s\" [label=\"%s\\n%s\"];\n", g->nodes[i].t->name,
			        g->nodes[i].t->name, kind_name(g->nodes[i].t->kind));
	for (i = 0; i < g->nnodes; i++)
		for (j = 0; j < g->nodes[i].nneeds; j++)
			if (!only || (only[i] && only[g->nodes[i].needs[j]->id]))
				fprintf(f, "\t\"%s\" -> \"%s\";\n", g->nodes[i].needs[j]->t->name,
				        g->nodes[i].t->name);
	fprintf(f, "}\n");
}
