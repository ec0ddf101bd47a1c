/* select.c: NAME, +NAME, NAME+, globs and tag:TAG over the dependency graph */
#include "select.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "graph.h"
#include "recipe.h"
#include "util.h"

/* mark n and, transitively, what it needs (up) or what needs it (down) */
static void
spread(struct node *n, bool up, bool *mask, bool *seen)
{
	struct node **next = up ? n->needs : n->users;
	size_t nnext = up ? n->nneeds : n->nusers;

	if (seen[n->id])
		return;
	seen[n->id] = true;
	mask[n->id] = true;
	for (size_t i = 0; i < nnext; i++)
		spread(next[i], up, mask, seen);
}

static bool
has_tag(const struct target *t, const char *tag)
{
	for (size_t i = 0; i < t->tags.n; i++)
		if (strcmp(t->tags.v[i], tag) == 0)
			return true;
	return false;
}

static bool
is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* the base of a selector chooses n */
static bool
base_matches(const char *base, const struct node *n)
{
	if (strstarts(base, "tag:"))
		return has_tag(n->t, base + 4);
	if (is_glob(base))
		return fnmatch(base, n->t->name, 0) == 0;
	return strcmp(base, n->t->name) == 0;
}

/* say that base chooses nothing, with the nearest name or tag when one is close */
static void
say_none(struct graph *g, const char *sel, const char *base, struct diags *d)
{
	bool tag = strstarts(base, "tag:");
	struct nearest near;
	const char *best;

	if (is_glob(base) && !tag) {
		diag_error(d, "selector '%s' matches no target of recipe '%s'", sel, g->r->path);
		return;
	}
	nearest_init(&near, tag ? base + 4 : base);
	for (size_t i = 0; i < g->nnodes; i++) {
		const struct target *t = g->nodes[i].t;

		if (!tag)
			nearest_add(&near, t->name);
		for (size_t j = 0; tag && j < t->tags.n; j++)
			nearest_add(&near, t->tags.v[j]);
	}
	best = nearest_get(&near);
	if (tag)
		diag_error(d, "no target of recipe '%s' has tag '%s'%s%s%s", g->r->path, base + 4,
		           best ? ": did you mean 'tag:" : "", best ? best : "", best ? "'?" : "");
	else
		diag_error(d, "unknown target '%s' in recipe '%s'%s%s%s", base, g->r->path,
		           best ? ": did you mean '" : "", best ? best : "", best ? "'?" : "");
}

int
select_mark(struct graph *g, const char *sel, bool *mask, struct diags *d)
{
	size_t len = strlen(sel);
	bool up = len > 0 && sel[0] == '+', down = len > 1 && sel[len - 1] == '+';
	bool *seen_up = xcalloc(g->nnodes + 1, sizeof(bool));
	bool *seen_down = xcalloc(g->nnodes + 1, sizeof(bool));
	char *base = xstrndup(sel + up, len - up - down);
	int found = 0;

	if (!*base || strcmp(base, "tag:") == 0 || strchr(base, '+')) {
		diag_error(d, "invalid selector '%s': expected NAME, a glob or tag:TAG, with an"
		           " optional '+' before or after", sel);
		found = -1;
	}
	for (size_t i = 0; i < g->nnodes && found >= 0; i++) {
		struct node *n = &g->nodes[i];

		if (!base_matches(base, n))
			continue;
		found = 1;
		mask[i] = true;
		if (up)
			spread(n, true, mask, seen_up);
		if (down)
			spread(n, false, mask, seen_down);
	}
	if (found == 0)
		say_none(g, sel, base, d);
	free(base);
	free(seen_up);
	free(seen_down);
	return found > 0 ? 0 : -1;
}

long
select_targets(struct graph *g, char **sels, size_t nsel, char **excls, size_t nexcl,
               struct diags *d, struct node ***out)
{
	bool *want = xcalloc(g->nnodes + 1, sizeof(bool)), *drop = xcalloc(g->nnodes + 1, sizeof(bool));
	int rc = 0;
	long n = 0;

	*out = NULL;
	for (size_t i = 0; i < g->nnodes && nsel == 0; i++)
		want[i] = true;
	for (size_t i = 0; i < nsel; i++)
		rc |= select_mark(g, sels[i], want, d);
	for (size_t i = 0; i < nexcl; i++)
		rc |= select_mark(g, excls[i], drop, d);
	if (rc == 0) {
		*out = xcalloc(g->nnodes + 1, sizeof(**out));
		for (size_t i = 0; i < g->nnodes; i++)
			if (want[i] && !drop[i])
				(*out)[n++] = &g->nodes[i];
		if (n == 0 && g->nnodes > 0) {
			diag_error(d, "nothing selected: --exclude leaves no target");
			rc = -1;
		}
	}
	free(want);
	free(drop);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return n;
}
