/*
 * check_pivot.c: pivot targets against MariaDB and PostgreSQL: long rows
 * turned wide, checked against an oracle written as plain correlated queries
 */
#include "itest.h"

static const char pivot_recipe[] =
	"chacc: 1\n"
	"name: pivots\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: obs\n"
	"    kind: file\n"
	"    file: data/obs.csv\n"
	"    key: [obs_id]\n"
	"  - name: flat\n"
	"    kind: pivot\n"
	"    needs: [obs]\n"
	"    pivot:\n"
	"      from: obs\n"
	"      key: [encounter_id]\n"
	"      attribute: concept\n"
	"      values: {numeric: value_numeric, text: value_text}\n"
	"      order: obs_datetime\n"
	"      voided: voided\n"
	"      keep: [patient_id]\n"
	"      columns:\n"
	"        - {name: weight, attribute: W, type: numeric}\n"
	"        - {name: weight_first, attribute: W, type: numeric, rule: first}\n"
	"        - {name: height, attribute: H, type: numeric}\n"
	"        - {name: note, attribute: N, type: text}\n"
	"        - {name: n_weight, attribute: W, type: numeric, rule: count}\n";

static const char obs_csv[] =
	"obs_id,encounter_id,patient_id,concept,value_numeric,value_text,obs_datetime,voided\n"
	"1,10,100,W,70,,2024-01-01 10:00:00,0\n"
	"2,10,100,W,72,,2024-01-01 11:00:00,0\n"
	"3,10,100,H,170,,2024-01-01 10:00:00,0\n"
	"4,10,100,W,99,,2024-01-01 12:00:00,1\n"
	"5,11,101,N,,hello,2024-01-02 09:00:00,0\n"
	"6,12,102,W,60,,2024-01-03 09:00:00,1\n"
	"7,13,103,X,5,,2024-01-03 09:00:00,0\n"
	"8,14,104,W,80,,2024-01-04 09:00:00,0\n"
	"9,14,104,W,81,,2024-01-04 09:00:00,0\n";

/* the value of concept c for encounter f.encounter_id by rule (latest: DESC), as plain SQL */
static char *
oracle(const char *col, const char *c, const char *dir)
{
	return xasprintf("(SELECT o.%s FROM obs o WHERE o.encounter_id = f.encounter_id AND"
	                 " o.concept = '%s' AND o.voided = 0 ORDER BY o.obs_datetime %s, o.obs_id %s"
	                 " LIMIT 1)", col, c, dir, dir);
}

/* every row and value of flat agrees with the oracle */
static void
assert_oracle(struct proj *p)
{
	char *w = oracle("value_numeric", "W", "DESC"), *wf = oracle("value_numeric", "W", "ASC");
	char *h = oracle("value_numeric", "H", "DESC"), *n = oracle("value_text", "N", "DESC");
	char *q;

	/* the keys: encounters with a counted row of a mapped concept, each once */
	assert_val(p->tgt, "0", "SELECT COUNT(*) FROM (SELECT DISTINCT encounter_id FROM obs WHERE"
	           " voided = 0 AND concept IN ('W', 'H', 'N')) e WHERE e.encounter_id NOT IN"
	           " (SELECT encounter_id FROM flat)");
	assert_val(p->tgt, "0", "SELECT COUNT(*) FROM flat f WHERE NOT EXISTS (SELECT 1 FROM obs o"
	           " WHERE o.encounter_id = f.encounter_id AND o.voided = 0 AND o.concept IN"
	           " ('W', 'H', 'N'))");
	q = xasprintf("SELECT COUNT(*) FROM flat f WHERE COALESCE(f.weight, -1) <> COALESCE(%s, -1)"
	              " OR COALESCE(f.weight_first, -1) <> COALESCE(%s, -1)"
	              " OR COALESCE(f.height, -1) <> COALESCE(%s, -1)"
	              " OR COALESCE(f.note, '-') <> COALESCE(%s, '-')"
	              " OR f.n_weight <> (SELECT COUNT(*) FROM obs o WHERE o.encounter_id ="
	              " f.encounter_id AND o.concept = 'W' AND o.voided = 0)"
	              " OR f.patient_id <> (SELECT MAX(o.patient_id) FROM obs o WHERE"
	              " o.encounter_id = f.encounter_id)", w, wf, h, n);
	assert_val(p->tgt, "0", q);
	free(q);
	free(w);
	free(wf);
	free(h);
	free(n);
}

static void
pivot_builds(struct proj *p)
{
	struct result r;

	write_file(p, "chacc.yml", pivot_recipe);
	write_file(p, "data/obs.csv", obs_csv);
	r = chacc(p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p->tgt, "3", "SELECT COUNT(*) FROM flat");
	assert_val(p->tgt, "72 70 170 2", "SELECT CONCAT(weight, ' ', weight_first, ' ', height,"
	           " ' ', n_weight) FROM flat WHERE encounter_id = 10");
	assert_val(p->tgt, "hello 0 1", "SELECT CONCAT(note, ' ', n_weight, ' ', COUNT(*)"
	           " OVER ()) FROM flat WHERE encounter_id = 11 AND weight IS NULL");
	/* a tie in order goes by the long key: latest is the higher obs_id */
	assert_val(p->tgt, "81 80", "SELECT CONCAT(weight, ' ', weight_first) FROM flat"
	           " WHERE encounter_id = 14");
	assert_oracle(p);
	/* voiding a row and adding another rebuilds it, and it still agrees */
	write_file(p, "data/obs.csv",
	           "obs_id,encounter_id,patient_id,concept,value_numeric,value_text,obs_datetime,voided\n"
	           "1,10,100,W,70,,2024-01-01 10:00:00,0\n"
	           "2,10,100,W,72,,2024-01-01 11:00:00,1\n"
	           "5,11,101,N,,hello,2024-01-02 09:00:00,1\n"
	           "10,12,102,H,150,,2024-01-05 09:00:00,0\n");
	r = chacc(p, "build");
	assert_ok(&r);
	result_free(&r);
	assert_val(p->tgt, "2", "SELECT COUNT(*) FROM flat");
	assert_oracle(p);
}

START_TEST(test_pivot_mariadb)
{
	struct proj p;

	proj_new(&p, "pvmdb");
	pivot_builds(&p);
	assert_val(p.tgt, "encounter_id", "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
	           " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'flat' AND"
	           " CONSTRAINT_NAME = 'PRIMARY'");
	proj_free(&p);
}
END_TEST

START_TEST(test_pivot_postgres)
{
	struct proj p;

	proj_new_pg(&p, "pvpg");
	pivot_builds(&p);
	assert_val(p.tgt, "encounter_id", "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON"
	           " a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE"
	           " i.indrelid = 'flat'::regclass AND i.indisprimary");
	proj_free(&p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pivot");

	if (itest_setup("check_pivot") < 0)
		return 0;
	add_case(s, "mariadb", test_pivot_mariadb);
	add_case(s, "postgres", test_pivot_postgres);
	return run_suite(s);
}
