/*
 * check_share.c: an incremental table whose needs changed much is built in
 * full, and plan and the build's log say why ("50% of keys changed"); a
 * few changed keys keep it incremental. Incremental equals full after each.
 */
#include "itest.h"

static const char *engines[] = { "mariadb", "postgres" };

/* an extract of items and a table over it on engine's target, the extract's stamp indexed when indexed */
static void
proj_share(struct proj *p, const char *name, const char *engine, int rows, bool indexed)
{
	char *recipe = xasprintf(
		"chacc: 1\n"
		"name: share\n"
		TEST_CONNECTIONS
		"targets:\n"
		"  - name: items\n"
		"    kind: extract\n"
		"    from: source\n"
		"    query: sql/items.sql\n"
		"    key: [id]\n"
		"%s"
		"    incremental: { column: changed_at, deleted: voided, lookback: 0s }\n"
		"  - name: flat\n"
		"    kind: table\n"
		"    needs: [items]\n"
		"    query: sql/flat.sql\n"
		"    key: [id]\n"
		"    incremental: true\n",
		indexed ? "    indexes: [[_chacc_changed_at]]\n" : "");

	proj_new_on(p, name, engine);
	sql(p->src, "CREATE TABLE items (id INT PRIMARY KEY, grp INT NOT NULL, val INT NOT NULL,"
	    " changed_at DATETIME(6) NOT NULL, voided TINYINT NOT NULL DEFAULT 0)");
	sql(p->src, "INSERT INTO items SELECT seq, seq %% 7, seq, NOW(6) - INTERVAL 1 DAY, 0"
	    " FROM seq_1_to_%d", rows);
	write_file(p, "chacc.yml", recipe);
	write_file(p, "sql/items.sql", "SELECT id, grp, val, changed_at, voided FROM items\n");
	write_file(p, "sql/flat.sql", "SELECT id, grp, val * 2 AS v2 FROM items\n"
	           "WHERE ${since} IS NULL OR _chacc_changed_at > ${since}\n");
	free(recipe);
}

/* change the rows up to id last in the source */
static void
change(struct proj *p, int first, int last)
{
	sql(p->src, "UPDATE items SET val = val + 1, changed_at = NOW(6) WHERE id BETWEEN %d AND %d",
	    first, last);
}

/* flat holds what a full build of it would: every item's row, as the query makes it */
static void
assert_flat_full(struct proj *p)
{
	char *want = rows_digest(p->tgt, "id, grp, val * 2", "items");
	char *got = rows_digest(p->tgt, "id, grp, v2", "flat");

	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

/* build the named targets (none: all), and return stdout */
static char *
build(struct proj *p, const char *only)
{
	struct result r = only ? chacc(p, "build", only) : chacc(p, "build");
	char *out;

	assert_ok(&r);
	out = r.out;
	r.out = NULL;
	result_free(&r);
	return out;
}

/* plan --json's item of flat, "" when it is not planned */
static char *
plan_flat(struct proj *p)
{
	struct result r = chacc(p, "plan", "--json", "flat");
	char *at, *end, *item;

	assert_ok(&r);
	at = strstr(r.out, "\"target\": \"flat\"");
	end = at ? strchr(at, '}') : NULL;
	item = at && end ? xasprintf("%.*s", (int)(end - at), at) : xstrdup("");
	result_free(&r);
	return item;
}

static void
assert_mode(struct proj *p, const char *want)
{
	char *mode = val(p->tgt, "SELECT mode FROM etl_run_targets WHERE target = 'flat'"
	                 " ORDER BY run_id DESC LIMIT 1");

	ck_assert_str_eq(mode, want);
	free(mode);
}

START_TEST(test_large_share_builds_in_full)
{
	struct proj p;
	char *out, *item;

	proj_share(&p, _i ? "share_pg" : "share", engines[_i], 1000, true);
	free(build(&p, NULL));
	assert_flat_full(&p);

	/* 1% of the keys: incremental, no detail */
	change(&p, 1, 10);
	free(build(&p, "items"));
	item = plan_flat(&p);
	ck_assert_msg(strstr(item, "\"mode\": \"incremental\"") && !strstr(item, "detail"), "%s", item);
	free(item);
	out = build(&p, NULL);
	ck_assert_msg(strstr(out, "table flat (needs changed, incremental)"), "%s", out);
	free(out);
	assert_mode(&p, "incremental");
	assert_flat_full(&p);

	/* 50%: full, and plan --json and the build's log say why */
	change(&p, 1, 500);
	free(build(&p, "items"));
	item = plan_flat(&p);
	ck_assert_msg(strstr(item, "\"mode\": \"full\"") &&
	              strstr(item, "\"detail\": \"50% of keys changed\""), "%s", item);
	free(item);
	out = build(&p, NULL);
	ck_assert_msg(strstr(out, "table flat (needs changed, full: 50% of keys changed)"), "%s", out);
	free(out);
	assert_mode(&p, "full");
	assert_flat_full(&p);

	/* in one run with its need: asked once the need is built */
	change(&p, 401, 1000);
	out = build(&p, NULL);
	ck_assert_msg(strstr(out, "table flat (needs changed, full: 60% of keys changed)"), "%s", out);
	free(out);
	assert_flat_full(&p);

	/* deleted keys count: 400 voided of 1000 */
	sql(p.src, "UPDATE items SET voided = 1, changed_at = NOW(6) WHERE id <= 400");
	free(build(&p, "items"));
	assert_val(p.tgt, "600", "SELECT COUNT(*) FROM items");
	item = plan_flat(&p);
	ck_assert_msg(strstr(item, "\"detail\": \"40% of keys changed\""), "%s", item);
	free(item);
	free(build(&p, NULL));
	assert_mode(&p, "full");
	assert_flat_full(&p);
	proj_free(&p);
}
END_TEST

/* without an index on the stamp, a need too large to scan is not counted: incremental */
START_TEST(test_unindexed_need_is_not_scanned)
{
	struct proj p;
	char *out, *item;

	proj_share(&p, "noindex", "mariadb", 12000, false);
	free(build(&p, NULL));
	change(&p, 1, 6000);
	free(build(&p, "items"));
	item = plan_flat(&p);
	ck_assert_msg(strstr(item, "\"mode\": \"incremental\"") && !strstr(item, "detail"), "%s", item);
	free(item);
	out = build(&p, NULL);
	ck_assert_msg(strstr(out, "table flat (needs changed, incremental)"), "%s", out);
	free(out);
	assert_flat_full(&p);
	/* logged deletes are still counted, through the log's index: 4,000 of 12,000 */
	sql(p.src, "UPDATE items SET voided = 1, changed_at = NOW(6) WHERE id <= 4000");
	free(build(&p, "items"));
	item = plan_flat(&p);
	ck_assert_msg(strstr(item, "\"detail\": \"33% of keys changed\""), "%s", item);
	free(item);
	free(build(&p, NULL));
	assert_mode(&p, "full");
	assert_flat_full(&p);
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("share");

	if (itest_setup("check_share") < 0)
		return 0;
	add_loop_case(s, "large_share_builds_in_full", test_large_share_builds_in_full, 2);
	add_case(s, "unindexed_need_is_not_scanned", test_unindexed_need_is_not_scanned);
	return run_suite(s);
}
