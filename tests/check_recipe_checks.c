/* check_recipe_checks.c: a target's checks: and profile: loaded, normalised and checked */
#include "recipetest.h"

/* lines 1-12; a target's checks start at line 13, each entry at column 9 */
#define CK_HEAD \
	"chacc: 1\n" \
	"name: t\n" \
	"connections:\n" \
	"  - { name: db, host: h, database: d }\n" \
	"  - { name: openmrs, host: h, database: o }\n" \
	"target: db\n" \
	"targets:\n" \
	"  - name: patients\n" \
	"    kind: table\n" \
	"    query: sql/p.sql\n" \
	"    create: sql/p_ddl.sql\n" \
	"    checks:\n"

#define DDL \
	"CREATE TABLE IF NOT EXISTS ${this} (\n" \
	"  patient_id INT NOT NULL, -- the key, (with a comma)\n" \
	"  `gender` CHAR(1) DEFAULT 'U',\n" \
	"  \"age\" DECIMAL(5, 2),\n" \
	"  encounter_datetime DATETIME,\n" \
	"  PRIMARY KEY (patient_id),\n" \
	"  KEY by_gender (gender),\n" \
	"  CONSTRAINT adult CHECK (age >= 0)\n" \
	")\n"

/* the project's recipe chacc.yml, loaded; the project stays until proj_rm */
static struct recipe *
ck_load(const char *recipe, char **err)
{
	proj_new();
	puts_("sql/p.sql", "SELECT 1\n");
	puts_("sql/p_ddl.sql", DDL);
	puts_("sql/checks/orphans.sql", "SELECT * FROM ${this} WHERE patient_id < ${CHT_CHECK_MIN}\n");
	puts_("data/codes.csv", "code,label\nM,male\n");
	puts_("chacc.yml", recipe);
	return proj_load("chacc.yml", err);
}

/* a recipe of CK_HEAD and checks that must fail; its messages */
static char *
ck_fails(const char *recipe)
{
	char *err;
	struct recipe *r = ck_load(recipe, &err);

	ck_assert_msg(r == NULL, "loaded:\n%s", recipe);
	proj_rm();
	return err;
}

/* a problem of the project's recipe at line:column with its message, in err */
static void
ck_line(const char *err, const char *at, const char *message)
{
	char *want = xasprintf("%s/chacc.yml%s: %s\n", proj, at, message);

	ck_assert_has(err, want);
	free(want);
}

static struct check *
check_named(struct target *t, const char *name)
{
	for (size_t i = 0; i < t->nchecks; i++)
		if (!strcmp(t->checks[i].name, name))
			return &t->checks[i];
	ck_abort_msg("no check '%s'", name);
	return NULL;
}

START_TEST(test_every_kind)
{
	struct recipe *r;
	struct target *t;
	struct check *c;
	char *err;

	setenv("CHT_CHECK_MIN", "1", 1);
	r = ck_load(CK_HEAD
	    "      - not_null: [patient_id, gender]\n"                          /* 13 */
	    "      - unique: [patient_id]\n"
	    "      - accepted_values: {column: gender, values: [M, F, 1, true, \"x y\"]}\n"
	    "      - relationships: {column: patient_id, to: patients.patient_id}\n"
	    "      - range: {column: age, min: 0, max: 120.5}\n"
	    "      - expression: \"age >= 0\"\n"                                /* 18 */
	    "        where: gender = 'F'\n"
	    "      - row_count: {min: 1, max: 1000000}\n"
	    "      - row_count: {equals: \"SELECT COUNT(*) FROM obs WHERE voided = 0\", from: openmrs}\n"
	    "        name: rc_equals\n"
	    "      - freshness: {column: encounter_datetime, max_age: 2d,\n"    /* 23 */
	    "                    relative_to: \"SELECT MAX(x) FROM e\", from: openmrs}\n"
	    "        severity: warn\n"
	    "      - drift: {row_count_drop: 10%, null_increase: 0.05, new_values: true}\n"
	    "      - sql: sql/checks/orphans.sql\n"                           /* 27 */
	    "        name: no_orphans\n"
	    "    profile: true\n", &err);
	proj_rm();
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(err, "");
	t = recipe_target(r, "patients");
	ck_assert(t->profile);
	ck_assert_uint_eq(t->nchecks, 11);

	c = &t->checks[0];
	ck_assert_int_eq(c->kind, CHECK_NOT_NULL);
	ck_assert_str_eq(c->name, "not_null(patient_id, gender)");
	ck_assert_uint_eq(c->columns.n, 2);
	ck_assert_str_eq(c->columns.v[0], "patient_id");
	ck_assert_str_eq(c->columns.v[1], "gender");
	ck_assert_int_eq(c->line, 13);
	ck_assert_int_eq(c->column_no, 9);

	c = &t->checks[1];
	ck_assert_int_eq(c->kind, CHECK_UNIQUE);
	ck_assert_uint_eq(c->columns.n, 1);
	ck_assert_str_eq(c->columns.v[0], "patient_id");

	c = &t->checks[2];
	ck_assert_int_eq(c->kind, CHECK_ACCEPTED_VALUES);
	ck_assert_str_eq(c->column, "gender");
	ck_assert_uint_eq(c->values.n, 5);
	ck_assert_str_eq(c->values.v[0], "M");
	ck_assert_str_eq(c->values.v[2], "1");
	ck_assert_str_eq(c->values.v[3], "true");
	ck_assert_str_eq(c->values.v[4], "x y");

	c = &t->checks[3];
	ck_assert_int_eq(c->kind, CHECK_RELATIONSHIPS);
	ck_assert_str_eq(c->column, "patient_id");
	ck_assert_str_eq(c->to_target, "patients");
	ck_assert_str_eq(c->to_column, "patient_id");

	c = &t->checks[4];
	ck_assert_int_eq(c->kind, CHECK_RANGE);
	ck_assert_str_eq(c->column, "age");
	ck_assert_str_eq(c->min, "0");
	ck_assert_str_eq(c->max, "120.5");

	c = &t->checks[5];
	ck_assert_int_eq(c->kind, CHECK_EXPRESSION);
	ck_assert_str_eq(c->expr, "age >= 0");
	ck_assert_str_eq(c->where, "gender = 'F'");
	ck_assert_int_eq(c->line, 18);

	c = &t->checks[6];
	ck_assert_int_eq(c->kind, CHECK_ROW_COUNT);
	ck_assert_int_eq(c->min_rows, 1);
	ck_assert_int_eq(c->max_rows, 1000000);
	ck_assert_ptr_null(c->equals);

	c = check_named(t, "rc_equals");
	ck_assert_int_eq(c->kind, CHECK_ROW_COUNT);
	ck_assert_str_eq(c->equals, "SELECT COUNT(*) FROM obs WHERE voided = 0");
	ck_assert_str_eq(c->from, "openmrs");
	ck_assert_int_eq(c->min_rows, -1);
	ck_assert_int_eq(c->max_rows, -1);

	c = &t->checks[8];
	ck_assert_int_eq(c->kind, CHECK_FRESHNESS);
	ck_assert_str_eq(c->column, "encounter_datetime");
	ck_assert_double_eq(c->max_age, 2 * 86400);
	ck_assert_str_eq(c->relative_to, "SELECT MAX(x) FROM e");
	ck_assert_str_eq(c->from, "openmrs");
	ck_assert_int_eq(c->severity, SEVERITY_WARN);
	ck_assert_int_eq(c->line, 23);

	c = &t->checks[9];
	ck_assert_int_eq(c->kind, CHECK_DRIFT);
	ck_assert_double_eq_tol(c->row_count_drop, 0.1, 1e-12);
	ck_assert_double_eq_tol(c->null_increase, 0.05, 1e-12);
	ck_assert(c->new_values);

	c = check_named(t, "no_orphans");
	ck_assert_int_eq(c->kind, CHECK_SQL);
	ck_assert_str_eq(c->sql, "sql/checks/orphans.sql");
	/* read with the recipe, variables expanded, ${this} kept */
	ck_assert_str_eq(c->sql_text, "SELECT * FROM ${this} WHERE patient_id < 1\n");
	ck_assert_int_eq(c->line, 27);

	ck_assert_str_eq(check_kind_name(CHECK_ACCEPTED_VALUES), "accepted_values");
	ck_assert_str_eq(check_kind_name(CHECK_SQL), "sql");
	ck_assert_str_eq(check_severity_name(SEVERITY_WARN), "warn");
	ck_assert_str_eq(check_severity_name(SEVERITY_ERROR), "error");
	recipe_free(r);
	free(err);
	unsetenv("CHT_CHECK_MIN");
}
END_TEST

/* what an entry does not say: severity error, counts and fractions -1, no profile */
START_TEST(test_defaults)
{
	struct recipe *r;
	struct target *t;
	char *err;

	r = ck_load(CK_HEAD
	    "      - not_null: patient_id\n"
	    "      - row_count: {max: 5}\n"
	    "      - row_count: {min: 9223372036854775807}\n"
	    "        name: huge\n"
	    "      - drift: {new_values: true}\n"
	    "      - freshness: {column: encounter_datetime, max_age: 90m}\n", &err);
	proj_rm();
	ck_assert_msg(r != NULL, "%s", err);
	t = &r->targets[0];
	ck_assert(!t->profile);
	ck_assert_uint_eq(t->nchecks, 5);
	for (size_t i = 0; i < t->nchecks; i++) {
		const struct check *c = &t->checks[i];

		ck_assert_int_eq(c->severity, SEVERITY_ERROR);
		ck_assert_ptr_null(c->where);
		ck_assert_ptr_null(c->sql_text);
		if (c->kind != CHECK_ROW_COUNT) {
			ck_assert_int_eq(c->min_rows, -1);
			ck_assert_int_eq(c->max_rows, -1);
		}
		if (c->kind != CHECK_DRIFT) {
			ck_assert_double_eq(c->row_count_drop, -1);
			ck_assert_double_eq(c->null_increase, -1);
		}
	}
	/* a single column, as a string */
	ck_assert_uint_eq(t->checks[0].columns.n, 1);
	ck_assert_str_eq(t->checks[0].columns.v[0], "patient_id");
	ck_assert_int_eq(t->checks[1].min_rows, -1);
	ck_assert_int_eq(t->checks[1].max_rows, 5);
	ck_assert_int_eq(t->checks[2].min_rows, 9223372036854775807LL);
	ck_assert_int_eq(t->checks[2].max_rows, -1);
	ck_assert_double_eq(t->checks[3].row_count_drop, -1);
	ck_assert_double_eq(t->checks[3].null_increase, -1);
	ck_assert(t->checks[3].new_values);
	ck_assert_double_eq(t->checks[4].max_age, 5400);
	ck_assert_ptr_null(t->checks[4].relative_to);
	ck_assert_ptr_null(t->checks[4].from);
	recipe_free(r);
	free(err);

	/* profile: false, and no checks at all */
	r = ck_load(CK_HEAD "      - unique: [patient_id]\n    profile: false\n", &err);
	proj_rm();
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert(!r->targets[0].profile);
	recipe_free(r);
	free(err);
	r = one_target("    profile: true\n", &err);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert(r->targets[0].profile);
	ck_assert_uint_eq(r->targets[0].nchecks, 0);
	ck_assert_ptr_null(r->targets[0].checks);
	recipe_free(r);
	free(err);
}
END_TEST

START_TEST(test_default_names)
{
	static const char *const want[] = {
		"not_null(patient_id, gender)", "unique(patient_id)", "unique(patient_id, gender)",
		"accepted_values(gender)", "relationships(patient_id -> patients.patient_id)",
		"range(age)", "expression", "row_count", "freshness(encounter_datetime)", "drift",
		"orphans", "given",
	};
	struct recipe *r;
	struct target *t;
	char *err;

	setenv("CHT_CHECK_MIN", "1", 1);
	r = ck_load(CK_HEAD
	    "      - not_null: [patient_id, gender]\n"
	    "      - unique: patient_id\n"
	    "      - unique: [patient_id, gender]\n"
	    "      - accepted_values: {column: gender, values: [M]}\n"
	    "      - relationships: {column: patient_id, to: patients.patient_id}\n"
	    "      - range: {column: age, max: 3}\n"
	    "      - expression: age > 0\n"
	    "      - row_count: {min: 1}\n"
	    "      - freshness: {column: encounter_datetime, max_age: 1d}\n"
	    "      - drift: {row_count_drop: 50%}\n"
	    "      - sql: sql/checks/orphans.sql\n"
	    "      - expression: age < 200\n"
	    "        name: given\n", &err);
	proj_rm();
	ck_assert_msg(r != NULL, "%s", err);
	t = &r->targets[0];
	ck_assert_uint_eq(t->nchecks, LEN(want));
	for (size_t i = 0; i < LEN(want); i++)
		ck_assert_str_eq(t->checks[i].name, want[i]);
	recipe_free(r);
	free(err);
	unsetenv("CHT_CHECK_MIN");
}
END_TEST

/* what the walk finds, each at its file:line:column */
START_TEST(test_entry_errors)
{
	char *err = ck_fails(CK_HEAD
	    "      - not_nul: [patient_id]\n"                                   /* 13 */
	    "      - frobnicate: [patient_id]\n"
	    "      - not_null: [a]\n"                                           /* 15 */
	    "        unique: [a]\n"
	    "      - severity: warn\n"                                          /* 17 */
	    "      - unique: [patient_id]\n"
	    "        severity: warning\n"                                       /* 19 */
	    "      - not_null: []\n"
	    "      - accepted_values: {column: gender}\n"                       /* 21 */
	    "      - relationships: {column: patient_id, to: patients}\n"
	    "      - range: {column: age}\n"                                    /* 23 */
	    "      - row_count: {min: 1, equals: SELECT 1}\n"
	    "      - row_count: {from: openmrs}\n"                              /* 25 */
	    "      - freshness: {column: encounter_datetime, max_age: 2 days}\n"
	    "      - drift: {row_count_drop: 150%}\n"                           /* 27 */
	    "      - drift: {}\n"
	    "      - sql: sql/checks/orphans.sql\n"                             /* 29 */
	    "        where: x = 1\n"
	    "      - accepted_values: {colum: gender, values: [M]}\n"           /* 31 */
	    "      - expression: a > 0\n"
	    "      - expression: b > 0\n"                                       /* 33 */
	    "      - not_null: [patient_id]\n"
	    "        nmae: x\n"                                                 /* 35 */
	    "      - row_count: {min: 5, max: 1}\n"
	    "      - range: {column: age, min: 10, max: 2}\n"                   /* 37 */
	    "      - just a string\n"
	    "      - row_count: {min: -1}\n");                                  /* 39 */

	ck_line(err, ":13:9", "unknown check kind 'not_nul' in target 'patients': did you mean "
	        "'not_null'?");
	ck_line(err, ":14:9", "unknown check kind 'frobnicate' in target 'patients' (expected "
	        "not_null, unique, accepted_values, relationships, range, expression, row_count, "
	        "freshness, drift or sql)");
	ck_line(err, ":16:9", "a check has one kind: 'not_null' and 'unique' in one entry (write "
	        "two entries)");
	ck_line(err, ":17:9", "a check needs its kind: not_null, unique, accepted_values, "
	        "relationships, range, expression, row_count, freshness, drift or sql");
	ck_line(err, ":19:19", "invalid severity 'warning': did you mean 'warn'? (expected error or "
	        "warn)");
	ck_line(err, ":20:19", "empty list of columns for 'not_null'");
	ck_line(err, ":21:26", "missing required key 'values' in accepted_values");
	ck_line(err, ":22:49", "expected TARGET.column for 'to', got 'patients'");
	ck_line(err, ":23:16", "range needs 'min', 'max' or both");
	ck_line(err, ":24:20", "row_count takes 'min' and 'max', or 'equals': not both");
	ck_line(err, ":25:20", "row_count needs 'min', 'max' or 'equals'");
	ck_line(err, ":25:27", "'from' is for 'equals': the connection its SQL runs on");
	ck_line(err, ":26:58", "invalid duration '2 days' for 'max_age': expected " DURATION_FORMS
	        ", at most 7d, more than 0");
	ck_line(err, ":27:33", "invalid fraction '150%' for 'row_count_drop': expected a percentage "
	        "(10%) or a fraction from 0 to 1 (0.1)");
	ck_line(err, ":28:16", "drift checks nothing: give 'row_count_drop', 'null_increase' or "
	        "'new_values: true'");
	ck_line(err, ":30:16", "'where' is not for sql checks");
	ck_line(err, ":31:27", "unknown key 'colum' in accepted_values: did you mean 'column'?");
	ck_line(err, ":31:26", "missing required key 'column' in accepted_values");
	ck_line(err, ":33:9", "check name 'expression' used twice in target 'patients' (first at "
	        "line 32)");
	ck_line(err, ":35:9", "unknown key 'nmae' in check: did you mean 'name'?");
	ck_line(err, ":36:20", "row_count's min 5 is above its max 1");
	ck_line(err, ":37:16", "range's min 10 is above its max 2");
	ck_line(err, ":38:9", "expected a mapping for a check (e.g. not_null: [id]), got a string");
	ck_line(err, ":39:26", "invalid count '-1' for 'min': expected a whole number of rows");
	ck_assert_msg(nlines(err) == 24, "%zu problems:\n%s", nlines(err), err);
	free(err);

	err = ck_fails(CK_HEAD "      not_null: [a]\n");
	ck_line(err, ":13:7", "expected a sequence of checks for 'checks', got a mapping");
	free(err);
	ck_assert_ptr_null(one_target("    profile: sometimes\n", &err));
	ck_assert_has(err, ":10:14: expected true or false for 'profile', got 'sometimes'\n");
	free(err);
}
END_TEST

/* what the whole recipe shows wrong: targets, connections, columns, files */
START_TEST(test_recipe_errors)
{
	char *err = ck_fails(CK_HEAD
	    "      - relationships: {column: patient_id, to: patient.patient_id}\n" /* 13 */
	    "      - row_count: {equals: SELECT 1, from: opnmrs}\n"
	    "      - not_null: [pateint_id, zzz, _chacc_changed_at, GENDER]\n"      /* 15 */
	    "      - sql: sql/checks/nope.sql\n"
	    "      - relationships: {column: patient_id, to: visits.patient_idd}\n" /* 17 */
	    "      - range: {column: agee, min: 0}\n"
	    "      - expression: \"${conn.nowhere.database}.x > 0\"\n"           /* 19 */
	    "  - name: visits\n"                                                  /* 20 */
	    "    kind: table\n"
	    "    query: sql/p.sql\n"
	    "    create: sql/p_ddl.sql\n");

	ck_line(err, ":13:9", "target 'patients': check 'relationships(patient_id -> "
	        "patient.patient_id)': unknown target 'patient' in 'to': did you mean 'patients'?");
	ck_line(err, ":14:9", "target 'patients': check 'row_count': unknown connection 'opnmrs' in "
	        "'from': did you mean 'openmrs'?");
	ck_line(err, ":15:9", "target 'patients': check 'not_null(pateint_id, zzz, _chacc_changed_at, "
	        "GENDER)': unknown column 'pateint_id': did you mean 'patient_id'?");
	ck_line(err, ":15:9", "target 'patients': check 'not_null(pateint_id, zzz, _chacc_changed_at, "
	        "GENDER)': unknown column 'zzz' (not in its create file)");
	ck_line(err, ":16:9", "target 'patients': check file 'sql/checks/nope.sql' not found");
	ck_line(err, ":17:9", "target 'patients': check 'relationships(patient_id -> "
	        "visits.patient_idd)': unknown column 'patient_idd' of target 'visits': did you mean "
	        "'patient_id'?");
	ck_line(err, ":18:9", "target 'patients': check 'range(agee)': unknown column 'agee': did "
	        "you mean 'age'?");
	ck_line(err, ":19:9", "target 'patients': 'expression' uses unknown connection 'nowhere'");
	/* and a warning: visits is not among what patients needs */
	ck_line(err, ":17:9", "target 'patients': check 'relationships(patient_id -> "
	        "visits.patient_idd)': 'visits' is not among the target's needs: the check may run "
	        "before it is built");
	ck_assert_msg(nlines(err) == 9, "%zu problems:\n%s", nlines(err), err);
	free(err);
}
END_TEST

/* a relationships check to what the target does not need is a warning, as data */
START_TEST(test_relationships_needs)
{
	struct diags ds;
	struct recipe *r;
	char *path;
	const char *recipe = CK_HEAD
	    "      - relationships: {column: patient_id, to: visits.patient_id}\n"  /* 13 */
	    "      - relationships: {column: patient_id, to: obs.patient_id}\n"
	    "    needs: [obs]\n"
	    "  - name: visits\n"
	    "    kind: table\n"
	    "    query: sql/p.sql\n"
	    "    needs: [base]\n"
	    "  - name: obs\n"
	    "    kind: table\n"
	    "    query: sql/p.sql\n"
	    "    needs: [base]\n"
	    "  - name: base\n"
	    "    kind: table\n"
	    "    query: sql/p.sql\n"
	    "    checks:\n"
	    "      - relationships: {column: id, to: base.parent}\n";        /* itself: fine */

	proj_new();
	puts_("sql/p.sql", "SELECT 1\n");
	puts_("sql/p_ddl.sql", DDL);
	puts_("chacc.yml", recipe);
	path = xasprintf("%s/chacc.yml", proj);
	diags_init(&ds);
	r = recipe_load(path, NOENV, NULL, &ds);
	ck_assert_msg(r != NULL, "%s", diags_text(&ds));
	ck_assert_uint_eq(ds.n, 1);
	ck_assert_uint_eq(ds.nerrors, 0);
	ck_assert_int_eq(ds.v[0].severity, DIAG_WARNING);
	ck_assert_str_eq(ds.v[0].file, path);
	ck_assert_int_eq(ds.v[0].line, 13);
	ck_assert_int_eq(ds.v[0].column, 9);
	ck_assert_str_eq(ds.v[0].target, "patients");
	ck_assert_has(ds.v[0].message, "'visits' is not among the target's needs");
	recipe_free(r);
	diags_release(&ds);

	/* needed through another target: no warning */
	puts_("chacc.yml", CK_HEAD
	    "      - relationships: {column: patient_id, to: base.patient_id}\n"
	    "    needs: [obs]\n"
	    "  - { name: obs, kind: table, query: sql/p.sql, needs: [base] }\n"
	    "  - { name: base, kind: table, query: sql/p.sql }\n");
	diags_init(&ds);
	r = recipe_load(path, NOENV, NULL, &ds);
	ck_assert_msg(r != NULL, "%s", diags_text(&ds));
	ck_assert_uint_eq(ds.n, 0);
	recipe_free(r);
	diags_release(&ds);
	free(path);
	proj_rm();
}
END_TEST

/* the columns a file target's data has; those a create does not show are not checked */
START_TEST(test_columns_known)
{
	struct recipe *r;
	char *err;

	err = ck_fails(CK_HEAD
	    "      - not_null: [patient_id]\n"
	    "  - name: codes\n"                                                   /* 14 */
	    "    kind: file\n"
	    "    file: data/codes.csv\n"
	    "    checks:\n"
	    "      - not_null: [code, lable]\n");                                 /* 18 */
	ck_line(err, ":18:9", "target 'codes': check 'not_null(code, lable)': unknown column "
	        "'lable': did you mean 'label'?");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);

	/* no create, or one whose columns a query makes: any column */
	r = one_target("    checks:\n      - not_null: [anything]\n", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("ddl.sql", "CREATE TABLE ${this} (id INT) AS SELECT 1 AS other\n");
	puts_("like.sql", "CREATE TABLE ${this} (LIKE base INCLUDING ALL)\n");
	puts_("q.sql", "CREATE TABLE \"s\".\"t\" (\"we\"\"ird\" INT, `x``y` INT, "
	      "period INT, PERIOD FOR p(a, b), UNIQUE (period))\n");
	puts_("r.yml", HEAD "targets:\n"
	      "  - { name: a, kind: table, query: a.sql, create: ddl.sql, "
	      "checks: [not_null: [other]] }\n"
	      "  - { name: b, kind: table, query: a.sql, create: like.sql, "
	      "checks: [not_null: [whatever]] }\n"
	      "  - { name: c, kind: table, query: a.sql, create: q.sql, "
	      "checks: [not_null: [we\"ird, x`y, period]] }\n");
	r = proj_load("r.yml", &err);
	ck_assert_msg(r != NULL, "%s", err);
	recipe_free(r);
	free(err);
	/* and a column the quoted DDL lacks is unknown */
	puts_("r.yml", HEAD "targets:\n"
	      "  - { name: c, kind: table, query: a.sql, create: q.sql, "
	      "checks: [not_null: [p]] }\n");
	r = proj_load("r.yml", &err);
	ck_assert_ptr_null(r);
	ck_assert_has(err, "unknown column 'p' (not in its create file)");
	free(err);
	proj_rm();
}
END_TEST

/* checks and profile are not part of a target's definition: editing them rebuilds nothing */
START_TEST(test_hash_unchanged)
{
	struct recipe *a, *b, *c;
	char ha[65], hb[65], hc[65], *err;

	a = ck_load(CK_HEAD "      - not_null: [patient_id]\n", &err);
	proj_rm();
	ck_assert_msg(a != NULL, "%s", err);
	free(err);
	b = ck_load(CK_HEAD
	    "      - unique: [patient_id, gender]\n"
	    "        severity: warn\n"
	    "      - row_count: {min: 1}\n"
	    "    profile: true\n", &err);
	proj_rm();
	ck_assert_msg(b != NULL, "%s", err);
	free(err);
	/* the test can fail: a definition that changes changes the hash */
	c = ck_load(CK_HEAD "      - not_null: [patient_id]\n    key: [patient_id]\n", &err);
	proj_rm();
	ck_assert_msg(c != NULL, "%s", err);
	free(err);
	ck_assert_uint_ne(a->targets[0].nchecks, b->targets[0].nchecks);
	target_hash(a, &a->targets[0], ha);
	target_hash(b, &b->targets[0], hb);
	target_hash(c, &c->targets[0], hc);
	ck_assert_str_eq(ha, hb);
	ck_assert_str_ne(ha, hc);
	recipe_free(a);
	recipe_free(b);
	recipe_free(c);
}
END_TEST

/* messages show values as written, never what a variable holds */
START_TEST(test_variables_not_shown)
{
	char *err;

	setenv("CHT_CHECK_COL", "s3cret_col", 1);
	err = ck_fails(CK_HEAD "      - not_null: [\"${CHT_CHECK_COL}\"]\n");
	ck_line(err, ":13:9", "target 'patients': check 'not_null(${CHT_CHECK_COL})': unknown "
	        "column '${CHT_CHECK_COL}' (not in its create file)");
	ck_assert_msg(!strstr(err, "s3cret"), "%s", err);
	free(err);
	unsetenv("CHT_CHECK_COL");
}
END_TEST

static Suite *
checks_suite(void)
{
	Suite *s = suite_create("recipe_checks");
	TCase *tc = tcase_create("checks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_kind);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_default_names);
	tcase_add_test(tc, test_entry_errors);
	tcase_add_test(tc, test_recipe_errors);
	tcase_add_test(tc, test_relationships_needs);
	tcase_add_test(tc, test_columns_known);
	tcase_add_test(tc, test_hash_unchanged);
	tcase_add_test(tc, test_variables_not_shown);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(checks_suite());
}
