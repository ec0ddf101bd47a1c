/* check_plan.c: the planner against a fake target database with its own clock */
#include <stdio.h>
#include <string.h>

#include "build.h"
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
	/* the share probe of tables and scripts (build_share): its answer and note */
	int share_answer;
	const char *share_note;
	int shares;
	char *notes[5];
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
	if (n->t->kind != KIND_EXTRACT) {
		w.shares++;
		w.notes[n->id] = w.share_answer == PROBE_FULL ? (char *)w.share_note : NULL;
		return w.share_answer;
	}
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
		.pending_full = w.pending_full, .probed = w.probed, .notes = w.notes,
	};
	w.probe_answer = 0;
	w.share_answer = PROBE_YES;
	w.share_note = "52% of keys changed";
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
	/* and what b does not feed stays as it is */
	ck_assert_int_eq(item(items, "a")->reason, REASON_NONE);
	ck_assert_int_eq(item(items, "e")->reason, REASON_NONE);
	ck_assert_int_eq(w.probes, 1);
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

/* each field of a definition changes its hash; where a target runs, and how often, does not */
START_TEST(test_hash_covers_each_field)
{
	struct conn conns[] = { { .name = (char *)"source", .database = (char *)"openmrs" },
	                        { .name = (char *)"other", .database = (char *)"openmrs" } };
	char *k1[] = { (char *)"id" }, *k2[] = { (char *)"id", (char *)"at" };
	char *i1[] = { (char *)"name" };
	struct strlist ix[] = { { i1, 1 } };
	struct target base = {
		.name = (char *)"t", .kind = KIND_EXTRACT, .from = (char *)"source",
		.query_sql = (char *)"SELECT 1", .key = { k1, 1 },
		.incr = { .enabled = true, .column = (char *)"changed" },
	}, t;
	char h0[65], h[65];

	w.r.conns = conns;
	w.r.nconns = 2;
	target_hash(&w.r, &base, h0);
#define CHANGES(...) do { \
		t = base; \
		__VA_ARGS__; \
		target_hash(&w.r, &t, h); \
		ck_assert_msg(strcmp(h, h0) != 0, "hash unchanged by: %s", #__VA_ARGS__); \
	} while (0)
	CHANGES(t.kind = KIND_TABLE);
	CHANGES(t.key = (struct strlist){ k2, 2 });
	CHANGES(t.key = (struct strlist){ NULL, 0 });
	CHANGES((t.indexes = ix, t.nindexes = 1));
	CHANGES(t.create_sql = (char *)"CREATE TABLE ${this} (id INT)");
	CHANGES(t.query_sql = (char *)"SELECT 2");
	CHANGES(t.script_sql = (char *)"CREATE TABLE ${this} AS SELECT 1");
	CHANGES(t.call = (char *)"CALL p('${this}')");
	CHANGES(t.incr.enabled = false);
	CHANGES(t.incr.column = (char *)"updated");
	CHANGES(t.incr.deleted = (char *)"voided");
	CHANGES(t.incr.probe_sql = (char *)"SELECT MAX(changed) FROM x");
	CHANGES(t.from = (char *)"other");
	CHANGES(conns[0].database = (char *)"openmrs2");
	conns[0].database = (char *)"openmrs";
#undef CHANGES
	/* retries, delays, timeouts and where it is written are not its definition */
	t = base;
	t.retries = 9;
	t.retry_delay = 60;
	t.timeout = 5;
	t.incr.lookback = 300;
	t.file = (char *)"recipes/other.yml";
	t.line = 42;
	target_hash(&w.r, &t, h);
	ck_assert_str_eq(h, h0);
	conns[0].socket = (char *)"/run/mysqld/other.sock";
	conns[0].password = (char *)"another";
	target_hash(&w.r, &t, h);
	ck_assert_str_eq(h, h0);
}
END_TEST

/*
 * format 1 is what chacc 0.1 stored (a bare digest): these are its hashes of
 * two definitions, so markers it wrote keep comparing equal
 */
START_TEST(test_hash_format_1_is_chacc_0_1s)
{
	char *key[] = { (char *)"obs_id" }, *ix1[] = { (char *)"person_id" };
	char *ix2[] = { (char *)"concept_id", (char *)"obs_datetime" };
	struct strlist idx[] = { { ix1, 1 }, { ix2, 2 } };
	struct conn conns[] = { { .name = (char *)"source", .database = (char *)"openmrs" },
	                        { .name = (char *)"target", .database = (char *)"analytics" } };
	struct recipe r = { .name = (char *)"clinic", .conns = conns, .nconns = 2 };
	struct target e = {
		.name = (char *)"observations", .kind = KIND_EXTRACT, .from = (char *)"source",
		.query_sql = (char *)"SELECT obs_id, person_id FROM obs\n",
		.create_sql = (char *)"CREATE TABLE ${this} (obs_id INT PRIMARY KEY)\n",
		.key = { key, 1 }, .indexes = idx, .nindexes = 2,
		.incr = { .enabled = true, .column = (char *)"changed_at", .deleted = (char *)"voided",
		          .probe_sql = (char *)"SELECT MAX(changed_at) FROM obs\n" },
	};
	struct target s = {
		.name = (char *)"summary", .kind = KIND_SCRIPT,
		.script_sql = (char *)"CREATE TABLE ${this} AS SELECT 1;\n",
		.call = (char *)"CALL summary('${this}', ${since})", .incr = { .enabled = true },
	};
	char h[65], h2[65];

	ck_assert_int_eq(target_hash_format(&r, &e, 1, h), 0);
	ck_assert_str_eq(h, "11e024f63598541da33b2e74181802ac8ad9f2b39091fe1e242b38f16d7f2373");
	ck_assert_int_eq(target_hash_format(&r, &s, 1, h), 0);
	ck_assert_str_eq(h, "00ce364c3a4bcb3f094aa88e6d0419ce8a374ba257272faf4947630e172d23c3");
	/* the current format differs, and unknown ones are refused */
	target_hash(&r, &s, h2);
	ck_assert_str_ne(h, h2);
	ck_assert_int_eq(target_hash_format(&r, &s, HASH_FORMAT, h), 0);
	ck_assert_str_eq(h, h2);
	ck_assert_int_eq(target_hash_format(&r, &s, 0, h), -1);
	ck_assert_int_eq(target_hash_format(&r, &s, HASH_FORMAT + 1, h), -1);
}
END_TEST

START_TEST(test_hash_format_2_ignores_trailing_space)
{
	struct target t = w.t[1];
	char a1[65], b1[65], a2[65], b2[65];

	t.query_sql = (char *)"SELECT 1";
	target_hash_format(&w.r, &t, 1, a1);
	target_hash_format(&w.r, &t, 2, a2);
	t.query_sql = (char *)"SELECT 1\n\n  \t";
	target_hash_format(&w.r, &t, 1, b1);
	target_hash_format(&w.r, &t, 2, b2);
	ck_assert_str_ne(a1, b1);
	ck_assert_str_eq(a2, b2);
	t.query_sql = (char *)"SELECT 1 ";
	target_hash_format(&w.r, &t, 2, b2);
	ck_assert_str_eq(a2, b2);
	t.query_sql = (char *)" SELECT 1";
	target_hash_format(&w.r, &t, 2, b2);
	ck_assert_str_ne(a2, b2);
}
END_TEST

/* a marker of an older format compares with the definition hashed in that format */
START_TEST(test_marker_in_older_hash_format)
{
	struct plan_item items[5];

	build_all(true);
	for (int i = 0; i < 5; i++) {
		target_hash_format(&w.r, &w.t[i], 1, w.m[i].hash);
		w.m[i].hash_format = 1;
		ck_assert_str_ne(w.m[i].hash, w.hashes[i]);
	}
	ck_assert_int_eq(plan(items), 0);
	/* it still sees a change */
	w.t[4].query_sql = (char *)"SELECT 2";
	target_hash(&w.r, &w.t[4], w.hashes[4]);
	ck_assert_int_eq(plan(items), 1);
	ck_assert_int_eq(item(items, "e")->reason, REASON_DEFINITION);
	/* a format this chacc does not know (a newer one's) is a rebuild */
	w.m[1].hash_format = HASH_FORMAT + 1;
	ck_assert_int_eq(plan(items), 4);
	ck_assert_int_eq(item(items, "b")->reason, REASON_DEFINITION);
}
END_TEST

/* format 3 hashes SQL as the server reads it: comments and white space are no change */
START_TEST(test_hash_format_3_ignores_comments)
{
	struct target t = w.t[1];
	char a[65], b[65], a2[65], b2[65];

	t.query_sql = (char *)"SELECT a, b\nFROM t\nWHERE x = 'a  b'\n";
	target_hash(&w.r, &t, a);
	target_hash_format(&w.r, &t, 2, a2);
	t.query_sql = (char *)"-- per clinic\nSELECT a,\n       b  /* both */\n"
	                      "  FROM t\r\n WHERE x = 'a  b' # today\n\n";
	target_hash(&w.r, &t, b);
	target_hash_format(&w.r, &t, 2, b2);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a2, b2);
	/* a change inside quotes, of code, or of a hint the server reads is one */
	t.query_sql = (char *)"SELECT a, b FROM t WHERE x = 'a b'";
	target_hash(&w.r, &t, b);
	ck_assert_str_ne(a, b);
	t.query_sql = (char *)"SELECT a, b FROM t WHERE x = 'a  b' AND 1";
	target_hash(&w.r, &t, b);
	ck_assert_str_ne(a, b);
	t.query_sql = (char *)"SELECT /*+ NO_INDEX(t) */ a, b FROM t WHERE x = 'a  b'";
	target_hash(&w.r, &t, b);
	ck_assert_str_ne(a, b);
	/* the other SQL of a definition too: create, script, call, probe */
	t.query_sql = (char *)"SELECT 1";
	t.create_sql = (char *)"CREATE TABLE ${this} (id INT)";
	target_hash(&w.r, &t, a);
	t.create_sql = (char *)"CREATE TABLE ${this} (\n  id INT -- the key\n)\n";
	target_hash(&w.r, &t, b);
	ck_assert_str_eq(a, b);
	t.create_sql = (char *)"CREATE  TABLE ${this} ( id INT -- the key\n)\n";
	target_hash(&w.r, &t, b);
	ck_assert_str_eq(a, b);
	t.create_sql = (char *)"/* made by hand */ CREATE TABLE ${this} (id INT)";
	target_hash(&w.r, &t, b);
	ck_assert_str_eq(a, b);
	t.call = (char *)"CALL p('${this}')";
	target_hash(&w.r, &t, a);
	t.call = (char *)"CALL  p('${this}')  -- now";
	target_hash(&w.r, &t, b);
	ck_assert_str_eq(a, b);
	t.incr.probe_sql = (char *)"SELECT MAX(x) FROM t";
	target_hash(&w.r, &t, a);
	t.incr.probe_sql = (char *)"SELECT MAX(x)\n  FROM t; -- newest";
	target_hash(&w.r, &t, b);
	ck_assert_str_ne(a, b);  /* a delimiter is text the server sees */
	t.incr.probe_sql = (char *)"SELECT MAX(x)\n  FROM t -- newest";
	target_hash(&w.r, &t, b);
	ck_assert_str_eq(a, b);
}
END_TEST

/*
 * SQL is hashed in the dialect of the connection it runs on: the digests of
 * MariaDB definitions are those chacc gave before it read PostgreSQL (pinned),
 * and on a PostgreSQL target "--" always opens a comment and "#" never does
 */
START_TEST(test_hash_format_3_in_the_dialect_of_its_connection)
{
	char *key[] = { (char *)"obs_id" }, *ix1[] = { (char *)"person_id" };
	char *ix2[] = { (char *)"concept_id", (char *)"obs_datetime" };
	struct strlist idx[] = { { ix1, 1 }, { ix2, 2 } };
	struct conn conns[] = { { .name = (char *)"source", .database = (char *)"openmrs" },
	                        { .name = (char *)"target", .database = (char *)"analytics" } };
	struct recipe r = { .name = (char *)"clinic", .conns = conns, .nconns = 2,
	                    .target_conn = (char *)"target" };
	struct target e = {
		.name = (char *)"observations", .kind = KIND_EXTRACT, .from = (char *)"source",
		.query_sql = (char *)"SELECT obs_id, person_id FROM obs -- all\n",
		.create_sql = (char *)"CREATE TABLE ${this} (obs_id INT PRIMARY KEY) # ok\n",
		.key = { key, 1 }, .indexes = idx, .nindexes = 2,
		.incr = { .enabled = true, .column = (char *)"changed_at", .deleted = (char *)"voided",
		          .probe_sql = (char *)"SELECT MAX(changed_at) FROM obs\n" },
	};
	struct target s = {
		.name = (char *)"summary", .kind = KIND_SCRIPT,
		.script_sql = (char *)"DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1--1; END$$\n"
		                      "DELIMITER ;\nCREATE TABLE ${this} AS SELECT 'a\\'b';\n",
		.call = (char *)"CALL summary('${this}', ${since})", .incr = { .enabled = true },
	};
	char h[65], h2[65];

	target_hash(&r, &e, h);
	ck_assert_str_eq(h, "1b708f0bcff5209c10fd988acf3cc1819a259002ab06445a9a7527249d688016");
	target_hash(&r, &s, h);
	ck_assert_str_eq(h, "16dce1be9f19f7acde5cdc56e8998d6cef4ba5bc232e939fdb45118b0c166aa9");
	/* a PostgreSQL target: its create is read as PostgreSQL, the extract's query as MariaDB */
	conns[1].driver = (char *)"postgres";
	s.script_sql = (char *)"CREATE TABLE ${this} AS SELECT 1--1\n";
	target_hash(&r, &s, h);
	s.script_sql = (char *)"CREATE TABLE ${this} AS SELECT 1";
	target_hash(&r, &s, h2);
	ck_assert_str_eq(h, h2);
	e.create_sql = (char *)"CREATE TABLE ${this} (obs_id int PRIMARY KEY) # ok\n";
	target_hash(&r, &e, h);
	e.create_sql = (char *)"CREATE TABLE ${this} (obs_id int PRIMARY KEY)";
	target_hash(&r, &e, h2);
	ck_assert_str_ne(h, h2);
	e.query_sql = (char *)"SELECT obs_id FROM obs # all";
	target_hash(&r, &e, h);
	e.query_sql = (char *)"SELECT obs_id FROM obs";
	target_hash(&r, &e, h2);
	ck_assert_str_eq(h, h2);
	/* and a PostgreSQL source's query as PostgreSQL */
	conns[0].driver = (char *)"postgres";
	e.query_sql = (char *)"SELECT obs_id FROM obs # all";
	target_hash(&r, &e, h);
	ck_assert_str_ne(h, h2);
}
END_TEST

/*
 * upgrading to format 3 rebuilds nothing: markers written in format 2 (and 1)
 * compare in their own format, and the next build writes format 3, after which
 * a comment-only edit is no change
 */
START_TEST(test_upgrade_to_format_3_rebuilds_nothing)
{
	struct plan_item items[5];

	for (int i = 0; i < 5; i++) {
		w.t[i].query_sql = (char *)"-- the rows\nSELECT 1  /* one */\n";
		target_hash(&w.r, &w.t[i], w.hashes[i]);
	}
	build_all(true);
	for (int i = 0; i < 5; i++) {
		target_hash_format(&w.r, &w.t[i], i == 0 ? 1 : 2, w.m[i].hash);
		w.m[i].hash_format = i == 0 ? 1 : 2;
		ck_assert_str_ne(w.m[i].hash, w.hashes[i]);
	}
	ck_assert_int_eq(plan(items), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(items[i].reason, REASON_NONE);
	/* an old marker still sees a comment edit, as the chacc that wrote it did */
	w.t[4].query_sql = (char *)"-- all the rows\nSELECT 1  /* one */\n";
	target_hash(&w.r, &w.t[4], w.hashes[4]);
	ck_assert_int_eq(plan(items), 1);
	ck_assert_int_eq(item(items, "e")->reason, REASON_DEFINITION);
	/* built, it takes format 3: comment edits are no change from then on */
	strcpy(w.m[4].hash, w.hashes[4]);
	w.m[4].hash_format = HASH_FORMAT;
	ck_assert_int_eq(plan(items), 0);
	w.t[4].query_sql = (char *)"SELECT 1 -- edited again\n";
	target_hash(&w.r, &w.t[4], w.hashes[4]);
	ck_assert_int_eq(plan(items), 0);
	w.t[4].query_sql = (char *)"SELECT 2 -- edited again\n";
	target_hash(&w.r, &w.t[4], w.hashes[4]);
	ck_assert_int_eq(plan(items), 1);
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

/* details in words: the window's with its time, the others as they are */
START_TEST(test_item_details_in_words)
{
	struct plan_item it = { .reason = REASON_SOURCE };
	char buf[128];

	ck_assert_ptr_null(plan_item_detail(&it, buf, sizeof(buf)));
	it.detail = DETAIL_WINDOW_OPEN;
	snprintf(it.window, sizeof(it.window), "14:05:10");
	ck_assert_str_eq(plan_item_detail(&it, buf, sizeof(buf)), "lookback window open until 14:05:10");
	it.detail = DETAIL_WINDOW_CLOSED;
	snprintf(it.window, sizeof(it.window), "2026-01-02 14:05:10");
	ck_assert_str_eq(plan_item_detail(&it, buf, sizeof(buf)),
	                 "lookback window closed at 2026-01-02 14:05:10: its last rows are read once more");
	/* without a time: the words alone */
	*it.window = '\0';
	ck_assert_str_eq(plan_item_detail(&it, buf, sizeof(buf)),
	                 "lookback window closed: its last rows are read once more");
	it.detail = DETAIL_ADOPTED;
	ck_assert_str_eq(plan_item_detail(&it, buf, sizeof(buf)), plan_detail_text(DETAIL_ADOPTED));
}
END_TEST

/* planned only behind a planned need: the detail says it may be pruned; a changed need: none */
START_TEST(test_needs_planned_only_behind_a_need)
{
	struct plan_item items[5];

	build_all(true);
	w.probe_answer = 1;
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(item(items, "a")->detail, DETAIL_NONE);
	ck_assert_int_eq(item(items, "c")->detail, DETAIL_IF_NEEDS_CHANGE);
	ck_assert_int_eq(item(items, "d")->detail, DETAIL_IF_NEEDS_CHANGE);
	ck_assert_str_eq(plan_detail_text(DETAIL_IF_NEEDS_CHANGE),
	                 "built only if what it needs changes rows in this run");
	/* b changed since c's last build: c is out of date whatever a does */
	fake_build(1, true, true);
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert_int_eq(item(items, "c")->detail, DETAIL_NONE);
	ck_assert_int_eq(item(items, "d")->detail, DETAIL_IF_NEEDS_CHANGE);
}
END_TEST

/*
 * a need built alone changed most of its rows: the share probe says a full
 * build is cheaper, and the plan says why; what follows goes full too
 */
START_TEST(test_share_of_changed_keys_makes_a_full_build)
{
	struct plan_item items[5];
	char buf[128];

	build_all(true);
	fake_build(0, false, true);  /* a built alone, incrementally, with changes */
	w.share_answer = PROBE_FULL;
	ck_assert_int_eq(plan(items), 2);
	ck_assert_int_eq(w.shares, 1);  /* c only: d's need c is pending */
	ck_assert_int_eq(item(items, "c")->reason, REASON_NEEDS);
	ck_assert(item(items, "c")->full);
	ck_assert_int_eq(item(items, "c")->detail, DETAIL_PROBE);
	ck_assert_str_eq(plan_item_detail(item(items, "c"), buf, sizeof(buf)), "52% of keys changed");
	ck_assert(item(items, "d")->full);  /* c is rebuilt fully in this run */
	ck_assert_int_eq(item(items, "d")->detail, DETAIL_IF_NEEDS_CHANGE);
	/* a small share: incremental, no detail */
	w.share_answer = PROBE_YES;
	w.shares = 0;
	ck_assert_int_eq(plan(items), 2);
	ck_assert_int_eq(w.shares, 1);
	ck_assert(!item(items, "c")->full);
	ck_assert_int_eq(item(items, "c")->detail, DETAIL_NONE);
	ck_assert(!item(items, "d")->full);
}
END_TEST

/*
 * needs planned in this run are not built yet: nothing to count at plan
 * time; the scheduler plans the node again once they are, and asks then
 */
START_TEST(test_share_asked_once_needs_are_built)
{
	struct plan_item items[5];
	enum reason why;
	bool full;

	build_all(true);
	w.probe_answer = PROBE_YES;
	w.share_answer = PROBE_FULL;
	ck_assert_int_eq(plan(items), 3);
	ck_assert_int_eq(w.shares, 0);
	ck_assert(!item(items, "c")->full);
	/* a is built and changed rows: c is ready */
	fake_build(0, false, true);
	ck_assert_int_eq(plan_node(&w.ps, &w.g->nodes[2], &why, &full), 0);
	ck_assert_int_eq(why, REASON_NEEDS);
	ck_assert(full);
	ck_assert_int_eq(w.shares, 1);
	/* the answer is kept: planning c again asks nothing */
	ck_assert_int_eq(plan_node(&w.ps, &w.g->nodes[2], &why, &full), 0);
	ck_assert(full);
	ck_assert_int_eq(w.shares, 1);
}
END_TEST

/* asked only of incremental tables and scripts, built incrementally otherwise, and not offline */
START_TEST(test_share_asked_only_where_it_can_matter)
{
	struct plan_item items[5];

	build_all(true);
	w.share_answer = PROBE_FULL;
	/* b rebuilt fully: c is full anyway, nothing to ask */
	fake_build(1, true, true);
	ck_assert_int_eq(plan(items), 2);
	ck_assert(item(items, "c")->full);
	ck_assert_int_eq(item(items, "c")->detail, DETAIL_NONE);
	ck_assert_int_eq(w.shares, 0);
	/* c not incremental: full, nothing to ask */
	build_all(true);
	fake_build(0, false, true);
	w.t[2].incr.enabled = false;
	ck_assert_int_eq(plan(items), 2);
	ck_assert(item(items, "c")->full);
	ck_assert_int_eq(w.shares, 0);
	/* offline (status): the target database is not asked either */
	w.t[2].incr.enabled = true;
	w.ps.offline = true;
	ck_assert_int_eq(plan(items), 2);
	ck_assert(!item(items, "c")->full);
	ck_assert_int_eq(w.shares, 0);
	/* a script is asked as a table is */
	w.ps.offline = false;
	build_all(true);
	fake_build(2, false, true);
	ck_assert_int_eq(plan(items), 1);
	ck_assert_int_eq(item(items, "d")->reason, REASON_NEEDS);
	ck_assert(item(items, "d")->full);
	ck_assert_int_eq(w.shares, 1);
	/* a probe error is a planning error */
	w.share_answer = -1;
	fake_build(2, false, true);
	ck_assert_int_eq(plan(items), -1);
}
END_TEST

/* the share: changed and deleted keys against the rows, a lower bound when a need is uncounted */
START_TEST(test_share_percent)
{
	struct build_share s = { .rows = 1000, .changed = 10 };

	ck_assert_int_eq(build_share_percent(&s), 1);
	s.changed = 500;
	ck_assert_int_eq(build_share_percent(&s), 50);
	s.changed = 290;
	ck_assert_int_lt(build_share_percent(&s), BUILD_SHARE_FULL);
	/* deleted keys are changes of rows no longer there */
	s = (struct build_share){ .rows = 600, .deleted = 400 };
	ck_assert_int_eq(build_share_percent(&s), 40);
	s = (struct build_share){ .rows = 0, .changed = 0 };
	ck_assert_int_eq(build_share_percent(&s), 0);
	s = (struct build_share){ .rows = 0, .deleted = 3 };
	ck_assert_int_eq(build_share_percent(&s), 100);
	s = (struct build_share){ .rows = 10, .changed = 12 };
	ck_assert_int_eq(build_share_percent(&s), 100);
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
	tcase_add_test(tc, test_hash_covers_each_field);
	tcase_add_test(tc, test_hash_format_1_is_chacc_0_1s);
	tcase_add_test(tc, test_hash_format_2_ignores_trailing_space);
	tcase_add_test(tc, test_marker_in_older_hash_format);
	tcase_add_test(tc, test_hash_format_3_ignores_comments);
	tcase_add_test(tc, test_hash_format_3_in_the_dialect_of_its_connection);
	tcase_add_test(tc, test_upgrade_to_format_3_rebuilds_nothing);
	tcase_add_test(tc, test_selection_includes_needs_only);
	tcase_add_test(tc, test_item_details_in_words);
	tcase_add_test(tc, test_needs_planned_only_behind_a_need);
	tcase_add_test(tc, test_share_of_changed_keys_makes_a_full_build);
	tcase_add_test(tc, test_share_asked_once_needs_are_built);
	tcase_add_test(tc, test_share_asked_only_where_it_can_matter);
	tcase_add_test(tc, test_share_percent);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
