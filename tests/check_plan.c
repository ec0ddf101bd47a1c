/* check_plan.c: the planner against a fake target database with its own clock */
#include <stdio.h>
#include <string.h>

#include "graph.h"
#include "plan.h"
#include "recipe.h"
#include "testutil.h"
#include "util.h"

/*
 * a fake world: recipe  a (extract, incremental)  b (table)  c (table, needs a b)
 * d (script, needs c, incremental)  e (table, independent)
 */
struct world {
	struct recipe r;
	struct target t[5];
	char *needs_c[2], *needs_d[1];
	struct graph *g;
	struct marker m[5];
	char hashes[5][65];
	bool pending[5], pending_full[5];
	signed char probed[5];
	struct plan_opts opts;
	struct plan_state ps;
	unsigned clock;
	int probe_answer;
	int probes;
};

static struct world w;

static void
tick(char out[TS_LEN])
{
	w.clock++;
	snprintf(out, TS_LEN, "2026-01-01 00:00:%02u.%06u", (w.clock / 1000000) % 60, w.clock % 1000000);
}

static int
fake_probe(void *arg, struct node *n)
{
	(void)arg;
	(void)n;
	w.probes++;
	return w.probe_answer;
}

static void
setup(void)
{
	static const char *names[] = { "a", "b", "c", "d", "e" };
	static const enum kind kinds[] = { KIND_EXTRACT, KIND_TABLE, KIND_TABLE, KIND_SCRIPT,
	                                   KIND_TABLE };

	memset(&w, 0, sizeof(w));
	for (int i = 0; i < 5; i++) {
		w.t[i].name = (char *)names[i];
		w.t[i].kind = kinds[i];
		w.t[i].query_sql = (char *)"SELECT 1";
	}
	w.t[0].from = (char *)"source";
	w.t[0].incr.enabled = true;
	w.t[0].incr.column = (char *)"changed";
	w.needs_c[0] = (char *)"a";
	w.needs_c[1] = (char *)"b";
	w.t[2].needs = (struct strlist){ w.needs_c, 2 };
	w.t[2].incr.enabled = true;
	w.needs_d[0] = (char *)"c";
	w.t[3].needs = (struct strlist){ w.needs_d, 1 };
	w.t[3].incr.enabled = true;
	w.r.name = (char *)"fake";
	w.r.targets = w.t;
	w.r.ntargets = 5;
	w.g = graph_new(&w.r);
	for (int i = 0; i < 5; i++) {
		target_hash(&w.r, &w.t[i], w.hashes[i]);
		w.probed[i] = -2;
	}
	w.ps = (struct plan_state){
		.g = w.g, .markers = w.m, .hashes = w.hashes, .opts = &w.opts,
		.probe = fake_probe, .probe_arg = NULL, .pending = w.pending,
		.pending_full = w.pending_full, .probed = w.probed,
	};
	w.probe_answer = 0;
}

static void
teardown(void)
{
	graph_free(w.g);
}

/* what a build leaves in the fake database: changed says whether rows changed */
static void
fake_build(int id, bool full, bool changed)
{
	struct marker *m = &w.m[id];
	struct node *n = &w.g->nodes[id];
	char now[TS_LEN], inputs[TS_LEN] = "";

	for (size_t i = 0; i < n->nneeds; i++)
		if (strcmp(w.m[n->needs[i]->id].changed_at, inputs) > 0)
			strcpy(inputs, w.m[n->needs[i]->id].changed_at);
	tick(now);
	m->present = m->table_exists = true;
	strcpy(m->status, "ok");
	strcpy(m->built_at, now);
	strcpy(m->inputs_at, inputs);
	if (changed || !*m->changed_at)
		strcpy(m->changed_at, now);
	if (full)
		strcpy(m->full_at, now);
	strcpy(m->hash, w.hashes[id]);
	m->has_watermark = id == 0;
	w.pending[id] = false;
}

/* plan everything; returns the count and fills items */
static long
plan(struct plan_item items[5])
{
	struct node **order;
	size_t n = graph_order(w.g, NULL, 0, &order);
	long count;

	ck_assert_uint_eq(n, 5);
	memset(w.pending, 0, sizeof(w.pending));
	for (int i = 0; i < 5; i++)
		w.probed[i] = -2;
	count = plan_all(&w.ps, order, n, items);
	free(order);
	return count;
}

static struct plan_item *
item(struct plan_item items[5], const char *name)
{
	for (int i = 0; i < 5; i++)
		if (strcmp(items[i].n->t->name, name) == 0)
			return &items[i];
	ck_abort_msg("no item %s", name);
	return NULL;
}

static void
build_all(bool changed)
{
	int order[] = { 0, 1, 2, 3, 4 };

	for (int i = 0; i < 5; i++)
		fake_build(order[i], true, changed);
}

START_TEST(test_empty_database_builds_everything_in_order)
{
	struct plan_item items[5];

	ck_assert_int_eq(plan(items), 5);
	ck_assert_str_eq(items[0].n->t->name, "a");
	ck_assert_str_eq(items[1].n->t->name, "b");
	ck_assert_str_eq(items[2].n->t->name, "c");
	ck_assert_str_eq(items[3].n->t->name, "d");
	ck_assert_str_eq(items[4].n->t->name, "e");
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(items[i].reason, REASON_MISSING);
		ck_assert(items[i].full);
	}
	ck_assert_str_eq(reason_name(REASON_MISSING), "missing");
}
END_TEST

START_TEST(test_second_run_is_a_no_op)
{
	struct plan_item items[5];

	build_all(true);
	ck_assert_int_eq(plan(items), 0);
	ck_assert_int_eq(w.probes, 1);
}
END_TEST

START_TEST(test_definition_change_rebuilds_target_and_dependents_only)
{
	struct plan_item items[5];

	build_all(true);
	strcpy(w.hashes[1], "0000000000000000000000000000000000000000000000000000000000000000");
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(item(items, "a")->reason, REASON_NONE);
	ck_assert_int_eq(item(items, "b")->reason, REASON_DEFINITION);
	ck_assert_str_eq(reason_name(item(items, "b")->reason), "definition changed");
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert(item(items, "c")->full);  /* b is rebuilt fully */
	ck_assert_int_eq(item(items, "d")->reason, REASON_NEEDS);
	ck_assert_int_eq(item(items, "e")->reason, REASON_NONE);
}
END_TEST

START_TEST(test_missing_table_and_failed_build)
{
	struct plan_item items[5];

	build_all(true);
	w.m[4].table_exists = false;
	strcpy(w.m[1].status, "interrupted");
	ck_assert_int_eq(plan(items), 4);
	ck_assert_int_eq(item(items, "e")->reason, REASON_MISSING);
	ck_assert_int_eq(item(items, "b")->reason, REASON_FAILED);
	ck_assert(item(items, "b")->full);
}
END_TEST

START_TEST(test_source_probe_and_incremental_mode)
{
	struct plan_item items[5];

	build_all(true);
	w.probe_answer = 1;
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(item(items, "a")->reason, REASON_SOURCE);
	ck_assert(!item(items, "a")->full);
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert(!item(items, "c")->full);
	ck_assert(!item(items, "d")->full);
	ck_assert_int_eq(item(items, "b")->reason, REASON_NONE);
}
END_TEST

START_TEST(test_restat_prunes_dependents)
{
	struct plan_item items[5];
	enum reason why;
	bool full;

	build_all(true);
	w.probe_answer = 1;
	ck_assert_int_eq(plan(items), 3);
	/* a is built and changes nothing: c, then d, are pruned at dispatch */
	fake_build(0, false, false);
	ck_assert_int_eq(plan_node(&w.ps, &w.g->nodes[2], &why, &full), 0);
	ck_assert_int_eq(why, REASON_NONE);
	w.pending[2] = false;
	ck_assert_int_eq(plan_node(&w.ps, &w.g->nodes[3], &why, &full), 0);
	ck_assert_int_eq(why, REASON_NONE);
}
END_TEST

START_TEST(test_changed_need_rebuilds_incrementally)
{
	struct plan_item items[5];
	enum reason why;
	bool full;

	build_all(true);
	w.probe_answer = 1;
	ck_assert_int_eq(plan(items), 3);
	fake_build(0, false, true);
	ck_assert_int_eq(plan_node(&w.ps, &w.g->nodes[2], &why, &full), 0);
	ck_assert_int_eq(why, REASON_NEEDS);
	ck_assert(!full);
}
END_TEST

START_TEST(test_full_rebuild_of_need_makes_dependent_full)
{
	struct plan_item items[5];

	build_all(true);
	fake_build(1, true, true);  /* b rebuilt fully by another run */
	ck_assert_int_eq(plan(items), 2);
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert(item(items, "c")->full);
	/* and so is what c feeds, since c is rebuilt fully in this run */
	ck_assert(item(items, "d")->full);
	ck_assert(!item(items, "a")->full || item(items, "a")->reason == REASON_NONE);
}
END_TEST

START_TEST(test_force_all_and_named)
{
	struct plan_item items[5];
	char *named[] = { (char *)"b" };

	build_all(true);
	w.opts.force_all = true;
	ck_assert_int_eq(plan(items), 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(items[i].reason, REASON_FORCED);
	w.opts.force_all = false;
	w.opts.force = named;
	w.opts.nforce = 1;
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(item(items, "b")->reason, REASON_FORCED);
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert_int_eq(item(items, "a")->reason, REASON_NONE);
}
END_TEST

START_TEST(test_full_refresh_forces_full)
{
	struct plan_item items[5];

	build_all(true);
	w.opts.full_refresh = true;
	ck_assert_int_eq(plan(items), 5);
	for (int i = 0; i < 5; i++)
		ck_assert(items[i].full);
}
END_TEST

START_TEST(test_hash_covers_definition)
{
	char h1[65], h2[65];
	struct target t = w.t[1];
	char *k[] = { (char *)"id" };

	target_hash(&w.r, &t, h1);
	t.query_sql = (char *)"SELECT 2";
	target_hash(&w.r, &t, h2);
	ck_assert_str_ne(h1, h2);
	t.query_sql = (char *)"SELECT 1";
	target_hash(&w.r, &t, h2);
	ck_assert_str_eq(h1, h2);
	t.key = (struct strlist){ k, 1 };
	target_hash(&w.r, &t, h2);
	ck_assert_str_ne(h1, h2);
	/* retries and timeouts are not part of the definition */
	t = w.t[1];
	t.retries = 9;
	t.timeout = 5;
	target_hash(&w.r, &t, h2);
	ck_assert_str_eq(h1, h2);
}
END_TEST

START_TEST(test_selection_includes_needs_only)
{
	struct node **order, *sel = &w.g->nodes[2];
	size_t n = graph_order(w.g, &sel, 1, &order);

	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(order[0]->t->name, "a");
	ck_assert_str_eq(order[1]->t->name, "b");
	ck_assert_str_eq(order[2]->t->name, "c");
	free(order);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty_database_builds_everything_in_order);
	tcase_add_test(tc, test_second_run_is_a_no_op);
	tcase_add_test(tc, test_definition_change_rebuilds_target_and_dependents_only);
	tcase_add_test(tc, test_missing_table_and_failed_build);
	tcase_add_test(tc, test_source_probe_and_incremental_mode);
	tcase_add_test(tc, test_restat_prunes_dependents);
	tcase_add_test(tc, test_changed_need_rebuilds_incrementally);
	tcase_add_test(tc, test_full_rebuild_of_need_makes_dependent_full);
	tcase_add_test(tc, test_force_all_and_named);
	tcase_add_test(tc, test_full_refresh_forces_full);
	tcase_add_test(tc, test_hash_covers_definition);
	tcase_add_test(tc, test_selection_includes_needs_only);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
