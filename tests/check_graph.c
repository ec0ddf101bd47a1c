/* check_graph.c: build order, DOT output and selectors of the dependency graph */
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "diag.h"
#include "recipe.h"
#include "select.h"
#include "testutil.h"
#include "util.h"

static struct recipe r;
static struct target t[4];
static char *needs_x[] = { (char *)"z", (char *)"y" }, *needs_w[] = { (char *)"x" };
static char *tags_w[] = { (char *)"nightly" }, *tags_y[] = { (char *)"nightly", (char *)"raw" };

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
	t[0].tags = (struct strlist){ tags_w, 1 };
	t[2].tags = (struct strlist){ tags_y, 2 };
	for (int i = 0; i < 4; i++)
		t[i].kind = KIND_TABLE;
	r.name = (char *)"g";
	r.path = (char *)"g.yml";
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

/* the names select_targets chooses, in recipe order ("" on error), and the first message */
static char *
sel(const char *sels, const char *excls, char **message)
{
	struct graph *g = diamond();
	char *sv[8], *ev[8], *s = xstrdup(sels), *e = xstrdup(excls), *tok;
	size_t ns = 0, ne = 0;
	struct node **out;
	struct diags ds;
	struct buf b;
	long n;

	for (tok = strtok(s, " "); tok; tok = strtok(NULL, " "))
		sv[ns++] = tok;
	for (tok = strtok(e, " "); tok; tok = strtok(NULL, " "))
		ev[ne++] = tok;
	diags_init(&ds);
	n = select_targets(g, sv, ns, ev, ne, &ds, &out);
	buf_init(&b);
	buf_adds(&b, "");
	for (long i = 0; i < n; i++)
		buf_adds(&b, out[i]->t->name);
	ck_assert_msg((n < 0) == (ds.nerrors > 0), "%ld with %zu errors", n, ds.nerrors);
	if (message)
		*message = xstrdup(ds.n ? ds.v[0].message : "");
	diags_release(&ds);
	free(out);
	free(s);
	free(e);
	graph_free(g);
	return buf_detach(&b);
}

#define ck_sel(sels, excls, want) do { \
	char *got_ = sel((sels), (excls), NULL); \
	ck_assert_msg(strcmp(got_, (want)) == 0, "'%s' minus '%s': got '%s', want '%s'", (sels), \
	              (excls), got_, (want)); \
	free(got_); \
} while (0)

#define ck_sel_error(sels, excls, want) do { \
	char *msg_, *got_ = sel((sels), (excls), &msg_); \
	ck_assert_msg(*got_ == '\0', "'%s' selected '%s'", (sels), got_); \
	ck_assert_msg(strstr(msg_, (want)) != NULL, "'%s': %s", (sels), msg_); \
	free(msg_); \
	free(got_); \
} while (0)

START_TEST(test_selectors)
{
	/* w needs x, x needs z and y; results come in recipe order */
	ck_sel("", "", "wxyz");
	ck_sel("x", "", "x");
	ck_sel("+x", "", "xyz");
	ck_sel("x+", "", "wx");
	ck_sel("+x+", "", "wxyz");
	ck_sel("y+", "", "wxy");
	ck_sel("+w", "", "wxyz");
	ck_sel("z y", "", "yz");
	ck_sel("[yz]", "", "yz");
	ck_sel("*", "", "wxyz");
	ck_sel("[wx]+", "", "wx");
	ck_sel("+[w]", "", "wxyz");
	ck_sel("tag:nightly", "", "wy");
	ck_sel("tag:raw", "", "y");
	ck_sel("tag:raw+", "", "wxy");
	ck_sel("+tag:raw", "", "y");
	/* several selectors add up; excludes take away */
	ck_sel("w z", "", "wz");
	ck_sel("", "w", "xyz");
	ck_sel("+w", "+x", "w");
	ck_sel("*", "tag:nightly z", "x");
	ck_sel("+x+", "y+", "z");
}
END_TEST

START_TEST(test_selectors_that_select_nothing)
{
	ck_sel_error("ww", "", "unknown target 'ww' in recipe 'g.yml': did you mean 'w'?");
	ck_sel_error("+ww", "", "did you mean 'w'?");
	ck_sel_error("qqq", "", "unknown target 'qqq' in recipe 'g.yml'");
	ck_sel_error("x qqq", "", "unknown target 'qqq'");
	ck_sel_error("x", "qqq", "unknown target 'qqq'");
	ck_sel_error("q*", "", "selector 'q*' matches no target of recipe 'g.yml'");
	ck_sel_error("tag:nigthly", "", "no target of recipe 'g.yml' has tag 'nigthly': did you"
	             " mean 'tag:nightly'?");
	ck_sel_error("tag:weekly", "", "has tag 'weekly'");
	ck_sel_error("+", "", "invalid selector '+'");
	ck_sel_error("tag:", "", "invalid selector 'tag:'");
	ck_sel_error("a+b", "", "invalid selector 'a+b'");
	ck_sel_error("w", "w", "nothing selected");
	ck_sel_error("", "*", "nothing selected");
	{
		char *msg, *got = sel("qqq", "", &msg);

		ck_assert_msg(!strstr(msg, "did you mean"), "%s", msg);
		free(msg);
		free(got);
	}
}
END_TEST

START_TEST(test_dot_of_a_selection)
{
	struct graph *g = diamond();
	bool only[4] = { false, true, true, false };   /* x and y */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	graph_dot(g, only, f);
	fclose(f);
	ck_assert_msg(strstr(text, "\"x\" [label") && strstr(text, "\"y\" [label"), "%s", text);
	ck_assert_msg(strstr(text, "\"y\" -> \"x\";"), "%s", text);
	ck_assert_msg(!strstr(text, "\"w\"") && !strstr(text, "\"z\""), "%s", text);
	free(text);
	graph_free(g);
}
END_TEST

START_TEST(test_nearest)
{
	struct nearest n;

	ck_assert_uint_eq(edit_distance("build", "biuld"), 1);
	ck_assert_uint_eq(edit_distance("status", "stat"), 2);
	nearest_init(&n, "neeeds");
	nearest_add(&n, "name");
	nearest_add(&n, "needs");
	nearest_add(&n, "kind");
	ck_assert_str_eq(nearest_get(&n), "needs");
	/* too far: no guess */
	nearest_init(&n, "bld");
	nearest_add(&n, "build");
	ck_assert_ptr_null(nearest_get(&n));
	nearest_init(&n, "x");
	nearest_add(&n, "y");
	ck_assert_ptr_null(nearest_get(&n));
	/* the word itself is no suggestion */
	nearest_init(&n, "plan");
	nearest_add(&n, "plan");
	ck_assert_ptr_null(nearest_get(&n));
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
	tcase_add_test(tc, test_selectors);
	tcase_add_test(tc, test_selectors_that_select_nothing);
	tcase_add_test(tc, test_dot_of_a_selection);
	tcase_add_test(tc, test_nearest);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
