/* check_graph.c: build order and DOT output of the dependency graph */
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "recipe.h"
#include "testutil.h"
#include "util.h"

static struct recipe r;
static struct target t[4];
static char *needs_x[] = { (char *)"z", (char *)"y" }, *needs_w[] = { (char *)"x" };

static struct graph *
diamond(void)
{
	/* recipe order: w x y z; w needs x, x needs z and y */
	memset(&r, 0, sizeof(r));
	memset(t, 0, sizeof(t));
	t[0].name = (char *)"w";
	t[0].needs = (struct strlist){ needs_w, 1 };
	t[1].name = (char *)"x";
	t[1].needs = (struct strlist){ needs_x, 2 };
	t[2].name = (char *)"y";
	t[3].name = (char *)"z";
	for (int i = 0; i < 4; i++)
		t[i].kind = KIND_TABLE;
	r.name = (char *)"g";
	r.targets = t;
	r.ntargets = 4;
	return graph_new(&r);
}

START_TEST(test_order_needs_first_then_recipe_order)
{
	struct graph *g = diamond();
	struct node **order;
	size_t n = graph_order(g, NULL, 0, &order);
	char got[64] = "";

	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		strcat(got, order[i]->t->name);
	/* x lists z before y: needs come in the order written */
	ck_assert_str_eq(got, "zyxw");
	free(order);
	graph_free(g);
}
END_TEST

START_TEST(test_users_and_selection)
{
	struct graph *g = diamond();
	struct node *x = graph_find(g, "x"), *y = graph_find(g, "y"), **order;
	size_t n;

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_null(graph_find(g, "nope"));
	ck_assert_uint_eq(y->nusers, 1);
	ck_assert_ptr_eq(y->users[0], x);
	n = graph_order(g, &y, 1, &order);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(order[0], y);
	free(order);
	graph_free(g);
}
END_TEST

START_TEST(test_dot)
{
	struct graph *g = diamond();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	graph_dot(g, NULL, f);
	fclose(f);
	ck_assert(strstr(text, "digraph \"g\"") != NULL);
	ck_assert(strstr(text, "\"z\" -> \"x\";") != NULL);
	ck_assert(strstr(text, "\"x\" -> \"w\";") != NULL);
	ck_assert(strstr(text, "\"w\" -> \"x\"") == NULL);
	free(text);
	graph_free(g);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("graph");

	tcase_add_test(tc, test_order_needs_first_then_recipe_order);
	tcase_add_test(tc, test_users_and_selection);
	tcase_add_test(tc, test_dot);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
