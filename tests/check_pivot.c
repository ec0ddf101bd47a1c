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
	"        - {name: n_weight, attribute: W, type: numeric, rule: count}\n"
	"        - {name: spo2, attribute: S, type: numeric}\n";

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
	/* no long row has concept S: its column is NULL, and the build says so */
	ck_assert_msg(strstr(r.err, "no row of 'obs' has concept 'S' (column 'spo2', ") &&
	              strstr(r.err, "chacc.yml:38): the column is NULL") &&
	              !strstr(r.err, "column 'weight'"), "%s", r.err);
	result_free(&r);
	assert_val(p->tgt, "0", "SELECT COUNT(spo2) FROM flat");
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
	           "10,12,102,H,150,,2024-01-05 09:00:00,0\n"
	           "11,,103,W,60,,2024-01-06 09:00:00,0\n");
	r = chacc(p, "build");
	assert_ok(&r);
	result_free(&r);
	/* a long row without a key (obs 11) does not count */
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

/*
 * incremental: the long rows come from an extract (its deleted: flag removes
 * rows and logs them), and after each batch of changes an incremental build
 * of flat equals a full one made in another database from the same rows
 */
static const char incr_recipe[] =
	"chacc: 1\n"
	"name: pivots\n"
	TEST_CONNECTIONS
	"targets:\n"
	"  - name: obs\n"
	"    kind: extract\n"
	"    from: source\n"
	"    query: sql/obs.sql\n"
	"    key: [obs_id]\n"
	"    incremental: { column: changed_at, deleted: purged }\n"
	"  - name: flat\n"
	"    kind: pivot\n"
	"    needs: [obs]\n"
	"    pivot:\n"
	"      from: obs\n"
	"      key: [encounter_id]\n"
	"      attribute: concept\n"
	"      values: {numeric: value_numeric, text: value_text, boolean: value_bool}\n"
	"      order: obs_datetime\n"
	"      voided: voided\n"
	"      keep: [patient_id]\n"
	"      columns:\n"
	"        - {name: weight, attribute: W, type: numeric}\n"
	"        - {name: weight_first, attribute: W, type: numeric, rule: first}\n"
	"        - {name: weights, attribute: W, type: numeric, rule: all}\n"
	"        - {name: notes, attribute: N, type: text, rule: all}\n"
	"        - {name: n_weight, attribute: W, type: numeric, rule: count}\n"
	"        - {name: pregnant, attribute: P, type: boolean}\n";

static const char flat_cols[] =
	"encounter_id, patient_id, weight, weight_first, weights, notes, n_weight, pregnant";

/* run one statement on the sources of both projects */
static void
both(struct proj *p, struct proj *q, const char *stmt)
{
	sql(p->src, "%s", stmt);
	sql(q->src, "%s", stmt);
}

/* an incremental build of p (said so) and a full one of q agree */
static void
assert_incr_equals_full(struct proj *p, struct proj *q, const char *batch)
{
	struct result r = chacc(p, "build");
	char *a, *f, *mode;

	assert_ok(&r);
	result_free(&r);
	r = chacc(q, "build", "--full-refresh");
	assert_ok(&r);
	result_free(&r);
	mode = val(p->tgt, "SELECT mode FROM etl_run_targets WHERE target = 'flat'"
	           " ORDER BY run_id DESC LIMIT 1");
	ck_assert_msg(strcmp(mode, "incremental") == 0, "%s: flat was built %s", batch, mode);
	a = rows_digest(p->tgt, flat_cols, "flat");
	f = rows_digest(q->tgt, flat_cols, "flat");
	ck_assert_msg(strcmp(a, f) == 0, "%s: incremental %s, full %s", batch, a, f);
	free(a);
	free(f);
	free(mode);
}

static void
pivot_incremental(const char *engine, const char *name)
{
	struct proj p, q;
	char *fname = xasprintf("%sf", name);
	struct result r;

	proj_new_on(&p, name, engine);
	proj_new_on(&q, fname, engine);
	both(&p, &q, "CREATE TABLE obs (obs_id INT PRIMARY KEY, encounter_id INT, patient_id INT,"
	     " concept VARCHAR(8), value_numeric DECIMAL(8,2), value_text VARCHAR(40),"
	     " value_bool TINYINT(1), obs_datetime DATETIME, voided TINYINT NOT NULL DEFAULT 0,"
	     " purged TINYINT NOT NULL DEFAULT 0, changed_at DATETIME(6))");
	both(&p, &q, "INSERT INTO obs VALUES"
	     " (1, 10, 100, 'W', 70, NULL, NULL, '2024-01-01 10:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (2, 10, 100, 'W', 72, NULL, NULL, '2024-01-01 11:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (3, 10, 100, 'N', NULL, 'a', NULL, '2024-01-01 10:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (4, 10, 100, 'N', NULL, 'b', NULL, '2024-01-01 09:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (5, 11, 101, 'P', NULL, NULL, 1, '2024-01-02 09:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (6, 11, 101, 'W', 50, NULL, NULL, '2024-01-02 09:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (7, 12, 102, 'P', NULL, NULL, 0, '2024-01-03 09:00', 0, 0, NOW(6) - INTERVAL 1 DAY),"
	     " (8, 13, 103, 'W', 80, NULL, NULL, '2024-01-04 09:00', 0, 0, NOW(6) - INTERVAL 1 DAY)");
	for (int i = 0; i < 2; i++) {
		struct proj *x = i ? &q : &p;

		write_file(x, "chacc.yml", incr_recipe);
		write_file(x, "sql/obs.sql", "SELECT * FROM obs\n");
		r = chacc(x, "build");
		assert_ok(&r);
		result_free(&r);
	}
	/* the values of the rules: all joined in order, booleans on both engines */
	assert_val(p.tgt, "72.00 70.00 70.00, 72.00 b, a 2", "SELECT CONCAT(weight, ' ', weight_first,"
	           " ' ', weights, ' ', notes, ' ', n_weight) FROM flat WHERE encounter_id = 10");
	assert_val(p.tgt, "1 0", "SELECT CONCAT(CASE WHEN a.pregnant THEN 1 ELSE 0 END, ' ',"
	           " CASE WHEN b.pregnant THEN 1 ELSE 0 END) FROM flat a, flat b"
	           " WHERE a.encounter_id = 11 AND b.encounter_id = 12");
	/* new rows, of a new key and an old one */
	both(&p, &q, "INSERT INTO obs VALUES"
	     " (9, 13, 103, 'W', 81, NULL, NULL, '2024-01-04 10:00', 0, 0, NOW(6)),"
	     " (10, 14, 104, 'N', NULL, 'c', NULL, '2024-01-05 09:00', 0, 0, NOW(6))");
	assert_incr_equals_full(&p, &q, "new rows");
	/* edited values */
	both(&p, &q, "UPDATE obs SET value_numeric = 71, changed_at = NOW(6) WHERE obs_id = 1");
	both(&p, &q, "UPDATE obs SET value_bool = 0, changed_at = NOW(6) WHERE obs_id = 5");
	assert_incr_equals_full(&p, &q, "edited rows");
	/* voided (kept, flagged) and purged (removed by the extract): key 12 has none left */
	both(&p, &q, "UPDATE obs SET voided = 1, changed_at = NOW(6) WHERE obs_id IN (2, 7)");
	both(&p, &q, "UPDATE obs SET purged = 1, changed_at = NOW(6) WHERE obs_id IN (4, 10)");
	assert_incr_equals_full(&p, &q, "voided rows");
	assert_val(p.tgt, "0", "SELECT COUNT(*) FROM flat WHERE encounter_id IN (12, 14)");
	assert_val(p.tgt, "2", "SELECT COUNT(*) FROM etl_deletes WHERE target = 'flat'");
	/*
	 * a moved row: removed under its old key and added under a new id (the
	 * extract logs the removal), and an encounter moved to another patient
	 */
	both(&p, &q, "UPDATE obs SET purged = 1, changed_at = NOW(6) WHERE obs_id = 6");
	both(&p, &q, "INSERT INTO obs VALUES"
	     " (11, 13, 103, 'W', 50, NULL, NULL, '2024-01-02 09:00', 0, 0, NOW(6))");
	both(&p, &q, "UPDATE obs SET patient_id = 109, changed_at = NOW(6) WHERE encounter_id = 10");
	assert_incr_equals_full(&p, &q, "moved rows");
	assert_val(p.tgt, "50.00, 80.00, 81.00",
	           "SELECT weights FROM flat WHERE encounter_id = 13");
	proj_free(&p);
	proj_free(&q);
	free(fname);
}

START_TEST(test_pivot_incremental_mariadb)
{
	pivot_incremental("mariadb", "pvincm");
}
END_TEST

START_TEST(test_pivot_incremental_postgres)
{
	pivot_incremental("postgres", "pvincp");
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
	add_case(s, "incremental_mariadb", test_pivot_incremental_mariadb);
	add_case(s, "incremental_postgres", test_pivot_incremental_postgres);
	return run_suite(s);
}
