/*
 * check_recipe_pivot.c: kind: pivot in a recipe: its pivot: mapping's
 * messages at file:line:column, and maps (YAML, JSON, MambaETL's concept
 * metadata JSON) read next to the recipe, their messages and their hash
 */
#include "recipetest.h"

#include <stdarg.h>

/* lines 1-13 of every recipe here; the pivot's own keys follow from line 14 */
#define PV_HEAD \
	"chacc: 1\n" \
	"name: p\n" \
	"connections: [{name: db, host: h, database: d}]\n" \
	"target: db\n" \
	"targets:\n" \
	"  - name: obs\n" \
	"    kind: file\n" \
	"    file: data/obs.csv\n" \
	"    key: [obs_id]\n" \
	"  - name: flat_vitals\n" \
	"    kind: pivot\n" \
	"    needs: [obs]\n" \
	"    pivot:\n"
/* lines 14-17 */
#define PV_BASE \
	"      from: obs\n" \
	"      key: [encounter_id]\n" \
	"      attribute: concept\n" \
	"      values: {numeric: value_numeric, text: value_text, coded: value_coded}\n"

static const char vitals_json[] =
	"{\n"
	"  \"report_name\": \"Vitals\",\n"
	"  \"flat_table_name\": \"flat_vitals\",\n"
	"  \"encounter_type_uuid\": \"67a71486-1a54-468f-ac3e-7091a9a79584\",\n"
	"  \"concepts_locale\": \"en\",\n"
	"  \"table_columns\": {\n"
	"    \"weight_kg\": \"5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"height_cm\": \"5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"temperature_c\": \"5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"pulse\": \"5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"respiratory_rate\": \"5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"systolic_bp\": \"5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"diastolic_bp\": \"5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\n"
	"    \"spo2\": \"5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"\n"
	"  }\n"
	"}\n";

/*
 * a project with the recipe PV_HEAD pivot (r.yml) and files, pairs of a
 * path and its text ending with NULL, loaded; the project stays (proj_rm)
 */
static struct recipe *
pv_load(const char *pivot, char **err, ...)
{
	struct recipe *r;
	const char *path;
	va_list ap;
	char *text;

	proj_new();
	puts_("data/obs.csv", "obs_id,encounter_id,concept,value_numeric\n1,10,W,70\n");
	text = xasprintf(PV_HEAD "%s", pivot);
	puts_("r.yml", text);
	free(text);
	va_start(ap, err);
	while ((path = va_arg(ap, const char *))) {
		const char *body = va_arg(ap, const char *);

		puts_(path, body);
	}
	va_end(ap);
	r = proj_load("r.yml", err);
	return r;
}

/* the recipe must fail; its messages */
static char *
pv_fails(const char *pivot, ...)
{
	const char *path, *files[16];
	struct recipe *r;
	size_t n = 0;
	va_list ap;
	char *err;

	va_start(ap, pivot);
	while ((path = va_arg(ap, const char *)) && n < 14) {
		files[n++] = path;
		files[n++] = va_arg(ap, const char *);
	}
	va_end(ap);
	files[n] = NULL;
	r = n >= 4 ? pv_load(pivot, &err, files[0], files[1], files[2], files[3], NULL)
	  : n >= 2 ? pv_load(pivot, &err, files[0], files[1], NULL)
	  : pv_load(pivot, &err, NULL);
	ck_assert_msg(r == NULL, "loaded:\n%s", pivot);
	return err;
}

/* err has the line "PROJ/file:at: message" */
static void
has(const char *err, const char *file, const char *at, const char *message)
{
	char *want = xasprintf("%s/%s:%s: %s\n", proj, file, at, message);

	ck_assert_has(err, want);
	free(want);
}

static const struct target *
flat(const struct recipe *r)
{
	const struct target *t = recipe_target(r, "flat_vitals");

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(t->pivot);
	return t;
}

/* the messages of a pivot: mapping the loader checks by itself */
START_TEST(test_pivot_messages)
{
	char *first, *err = pv_fails(
	    "      form: obs\n"
	    "      key: [encounter_id]\n"
	    "      attribute: concept\n"
	    "      values: {numeric: value_numeric}\n"
	    "      columns:\n"
	    "        - {name: weight, attribute: W, type: numeric, rule: last}\n"
	    "        - {name: height, attribute: H, type: numeric, rul: first}\n"
	    "        - {name: note, type: text}\n"
	    "    query: flat.sql\n", NULL);

	has(err, "r.yml", "14:7", "unknown key 'form' in pivot: did you mean 'from'?");
	has(err, "r.yml", "14:7", "missing required key 'from' in pivot");
	has(err, "r.yml", "19:61", "unknown rule 'last' (expected latest, first, count or all)");
	has(err, "r.yml", "20:55", "unknown key 'rul' in pivot column: did you mean 'rule'?");
	has(err, "r.yml", "21:11", "missing required key 'attribute' in pivot column");
	has(err, "r.yml", "10", "target 'flat_vitals': 'query' is not for pivot targets (their "
	    "rows come from 'pivot')");
	has(err, "r.yml", "21:11", "target 'flat_vitals': pivot column 'note': type 'text' is not "
	    "among the pivot's values");
	ck_assert_uint_eq(nlines(err), 7);
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE
	    "      columns:\n"
	    "        - {name: weight, attribute: W, type: numeric}\n"
	    "        - {name: Weight, attribute: W2, type: numeric}\n"
	    "        - {name: encounter_id, attribute: E, type: numeric}\n"
	    "        - {name: when, attribute: D, type: datetime}\n"
	    "        - {name: n, attribute: D, type: datetime, rule: count}\n"
	    "    query: flat.sql\n", NULL);
	first = xasprintf("target 'flat_vitals': pivot column 'Weight' defined twice (first at "
	                  "%s/r.yml:19)", proj);
	has(err, "r.yml", "20:11", first);
	free(first);
	has(err, "r.yml", "21:11", "target 'flat_vitals': pivot column 'encounter_id' is also "
	    "a column of its key");
	has(err, "r.yml", "22:11", "target 'flat_vitals': pivot column 'when': type 'datetime' "
	    "is not among the pivot's values");
	has(err, "r.yml", "10", "target 'flat_vitals': 'query' is not for pivot targets (their "
	    "rows come from 'pivot')");
	ck_assert_uint_eq(nlines(err), 4);
	free(err);
	proj_rm();

	err = pv_fails(
	    "      from: patients\n"
	    "      key: [encounter_id]\n"
	    "      attribute: concept\n"
	    "      values: {numeric: value_numeric}\n", NULL);
	has(err, "r.yml", "14:7", "missing required key 'columns' or 'map' in pivot");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
	proj_rm();

	err = pv_fails(
	    "      from: patients\n"
	    "      key: [encounter_id]\n"
	    "      attribute: concept\n"
	    "      values: {numeric: value_numeric}\n"
	    "      columns: [{name: w, attribute: W, type: numeric}]\n", NULL);
	has(err, "r.yml", "10", "target 'flat_vitals': pivot 'from' names 'patients', which is "
	    "not among its needs");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
	proj_rm();
}
END_TEST

/* a YAML map, as a sequence and as {columns: [...]}, besides columns: */
START_TEST(test_map_yaml)
{
	const struct target *t;
	struct recipe *r;
	char *err;

	r = pv_load(PV_BASE
	    "      columns: [{name: note, attribute: N, type: text}]\n"
	    "      map: maps/vitals.yml\n", &err,
	    "maps/vitals.yml",
	    "# weight and height\n"
	    "- {name: weight, attribute: W, type: numeric}\n"
	    "- name: n_height\n"
	    "  attribute: H\n"
	    "  type: Numeric\n"
	    "  rule: count\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	t = flat(r);
	ck_assert_str_eq(t->pivot->map, "maps/vitals.yml");
	ck_assert_uint_eq(t->pivot->ncolumns, 3);
	ck_assert_str_eq(t->pivot->columns[0].name, "note");
	ck_assert_ptr_null(t->pivot->columns[0].file);
	ck_assert_int_eq(t->pivot->columns[0].line, 18);
	ck_assert_str_eq(t->pivot->columns[1].name, "weight");
	ck_assert_str_eq(t->pivot->columns[1].attribute, "W");
	ck_assert_int_eq(t->pivot->columns[1].rule, PIVOT_LATEST);
	ck_assert_int_eq(t->pivot->columns[1].line, 2);
	ck_assert_int_eq(t->pivot->columns[1].column_no, 3);
	ck_assert_str_eq(t->pivot->columns[2].name, "n_height");
	ck_assert_str_eq(t->pivot->columns[2].type, "numeric");
	ck_assert_int_eq(t->pivot->columns[2].rule, PIVOT_COUNT);
	ck_assert_ptr_nonnull(strstr(t->pivot->columns[2].file, "/maps/vitals.yml"));
	recipe_free(r);
	free(err);
	proj_rm();

	r = pv_load(PV_BASE "      map: {file: m.yml, rule: first}\n", &err,
	    "m.yml", "columns:\n  - {name: weight, attribute: W, type: numeric}\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(flat(r)->pivot->ncolumns, 1);
	ck_assert_int_eq(flat(r)->pivot->columns[0].rule, PIVOT_FIRST);
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

/* chacc's map in JSON, and MambaETL's concept metadata as it is */
START_TEST(test_map_json)
{
	const struct target *t;
	struct recipe *r;
	char *err;

	r = pv_load(PV_BASE "      map: m.json\n", &err, "m.json",
	    "[{\"name\": \"weight\", \"attribute\": \"W\", \"type\": \"numeric\"},\n"
	    " {\"name\": \"dx\", \"attribute\": \"D\", \"type\": \"Coded\", \"rule\": \"latest\"}]\n",
	    NULL);
	ck_assert_msg(r != NULL, "%s", err);
	t = flat(r);
	ck_assert_uint_eq(t->pivot->ncolumns, 2);
	ck_assert_str_eq(t->pivot->columns[1].type, "coded");
	ck_assert_int_eq(t->pivot->columns[1].line, 2);
	ck_assert_int_eq(t->pivot->columns[1].column_no, 2);
	recipe_free(r);
	free(err);
	proj_rm();

	/* MambaETL: columns in order, concept uuids, the type from the recipe */
	r = pv_load(PV_BASE "      map: {file: vitals.json, type: numeric, types: {pulse: text}}\n",
	    &err, "vitals.json", vitals_json, NULL);
	ck_assert_msg(r != NULL, "%s", err);
	t = flat(r);
	ck_assert_uint_eq(t->pivot->ncolumns, 8);
	ck_assert_str_eq(t->pivot->columns[0].name, "weight_kg");
	ck_assert_str_eq(t->pivot->columns[0].attribute, "5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_str_eq(t->pivot->columns[0].type, "numeric");
	ck_assert_int_eq(t->pivot->columns[0].line, 7);
	ck_assert_int_eq(t->pivot->columns[0].column_no, 5);
	ck_assert_str_eq(t->pivot->columns[3].name, "pulse");
	ck_assert_str_eq(t->pivot->columns[3].type, "text");
	ck_assert_str_eq(t->pivot->columns[7].name, "spo2");
	ck_assert_str_eq(t->pivot->columns[7].attribute, "5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	recipe_free(r);
	free(err);
	proj_rm();

	/* several forms: the target's name picks one, or form: does */
	r = pv_load(PV_BASE "      map: {file: forms.json, type: numeric}\n", &err, "forms.json",
	    "{\"flat_report_metadata\": [\n"
	    "  {\"report_name\": \"Notes\", \"flat_table_name\": \"flat_notes\",\n"
	    "   \"table_columns\": {\"note\": \"N\"}},\n"
	    "  {\"report_name\": \"Vitals\", \"flat_table_name\": \"flat_vitals\",\n"
	    "   \"table_columns\": {\"weight\": \"W\", \"height\": \"H\"}}]}\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(flat(r)->pivot->ncolumns, 2);
	ck_assert_str_eq(flat(r)->pivot->columns[1].name, "height");
	recipe_free(r);
	free(err);
	proj_rm();

	r = pv_load(PV_BASE "      map: {file: forms.json, form: Notes, type: text}\n", &err,
	    "forms.json",
	    "{\"flat_report_metadata\": [\n"
	    "  {\"report_name\": \"Notes\", \"flat_table_name\": \"flat_notes\",\n"
	    "   \"table_columns\": {\"note\": \"N\"}},\n"
	    "  {\"report_name\": \"Vitals\", \"flat_table_name\": \"flat_vitals\",\n"
	    "   \"table_columns\": {\"weight\": \"W\", \"height\": \"H\"}}]}\n", NULL);
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(flat(r)->pivot->ncolumns, 1);
	ck_assert_str_eq(flat(r)->pivot->columns[0].name, "note");
	recipe_free(r);
	free(err);
	proj_rm();
}
END_TEST

/* what is wrong in a map is said at the map's file:line:column */
START_TEST(test_map_errors)
{
	char *first, *err;

	err = pv_fails(PV_BASE "      map: m.json\n", "m.json",
	    "[{\"name\": \"weight\", \"attribute\": \"W\", \"type\": \"numeric\"},\n"
	    " {\"name\": \"height\" \"attribute\": \"H\"}]\n", NULL);
	has(err, "m.json", "2:20", "syntax error: did not find expected ',' or '}' (while parsing "
	    "a flow mapping at line 2)");
	ck_assert_uint_eq(nlines(err), 1);
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: m.yml\n", "m.yml",
	    "- {name: weight, attribute: W, type: numeric}\n"
	    "- {name: height, atribute: H, type: numeric}\n"
	    "- {name: Weight, attribute: W2, type: numeric}\n"
	    "- {name: pulse, attribute: P}\n", NULL);
	has(err, "m.yml", "2:18", "unknown key 'atribute' in pivot column: did you mean "
	    "'attribute'?");
	has(err, "m.yml", "2:3", "missing required key 'attribute' in pivot column");
	has(err, "m.yml", "4:3", "no type for map column 'pulse': give it in the map, or as the "
	    "map's 'type' or 'types' in the recipe");
	first = xasprintf("target 'flat_vitals': pivot column 'Weight' defined twice (first at "
	                  "%s/m.yml:1)", proj);
	has(err, "m.yml", "3:3", first);
	free(first);
	ck_assert_uint_eq(nlines(err), 4);
	free(err);
	proj_rm();

	/* after the load: one column twice, in the map and besides it */
	err = pv_fails(PV_BASE "      columns: [{name: pulse, attribute: P, type: numeric}]\n"
	    "      map: {file: vitals.json, type: numeric}\n", "vitals.json",
	    "{\"table_columns\": {\n"
	    "  \"weight\": \"W\",\n"
	    "  \"Weight\": \"W2\",\n"
	    "  \"pulse\": \"P2\"}}\n", NULL);
	first = xasprintf("target 'flat_vitals': pivot column 'Weight' defined twice (first at "
	                  "%s/vitals.json:2)", proj);
	has(err, "vitals.json", "3:3", first);
	free(first);
	first = xasprintf("target 'flat_vitals': pivot column 'pulse' defined twice (first at "
	                  "%s/r.yml:18)", proj);
	has(err, "vitals.json", "4:3", first);
	free(first);
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: {file: vitals.json, tpye: numeric, types: {spo: text}}\n",
	    "vitals.json", vitals_json, NULL);
	has(err, "r.yml", "18:32", "unknown key 'tpye' in map: did you mean 'type'?");
	has(err, "r.yml", "18:55", "'types' names 'spo', which is not a column of the map "
	    "without a type");
	has(err, "vitals.json", "7:5", "no type for map column 'weight_kg': give it in the map, "
	    "or as the map's 'type' or 'types' in the recipe");
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: {file: vitals.json, type: numeric}\n", "vitals.json",
	    "{\"report_name\": \"Vitals\", \"flat_tabel_name\": \"flat_vitals\",\n"
	    " \"table_columns\": [\"W\"]}\n", NULL);
	has(err, "vitals.json", "1:27", "unknown key 'flat_tabel_name' in MambaETL form: did you mean "
	    "'flat_table_name'?");
	has(err, "vitals.json", "2:19", "expected a mapping of column names to concept uuids for "
	    "'table_columns', got a sequence");
	ck_assert_uint_eq(nlines(err), 2);
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: {file: forms.json, form: Labs, type: numeric}\n",
	    "forms.json", "{\"flat_report_metadata\": [{\"report_name\": \"Notes\", "
	    "\"table_columns\": {\"note\": \"N\"}}]}\n", NULL);
	has(err, "forms.json", "1:26", "no form 'Labs' in 'flat_report_metadata' (give the map's "
	    "'form': a flat_table_name or report_name)");
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: missing.yml\n", NULL);
	has(err, "r.yml", "18:12", "map file 'missing.yml' not found");
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: ../../etc/passwd\n", NULL);
	has(err, "r.yml", "18:12", "map file '../../etc/passwd' leaves the project's directory");
	free(err);
	proj_rm();

	err = pv_fails(PV_BASE "      map: m.yml\n", "m.yml", "", NULL);
	has(err, "m.yml", "1:1", "empty map: expected its columns");
	free(err);
	proj_rm();
}
END_TEST

/* the hashes of the recipe's targets */
static void
hashes(const char *map, char pivot[65], char other[65])
{
	struct recipe *r;
	char *err;

	r = pv_load(PV_BASE "      map: m.yml\n", &err, "m.yml", map, NULL);
	ck_assert_msg(r != NULL, "%s", err);
	target_hash(r, flat(r), pivot);
	target_hash(r, recipe_target(r, "obs"), other);
	recipe_free(r);
	free(err);
	proj_rm();
}

/* a column added to the map changes its pivot's definition, and nothing else */
START_TEST(test_map_hash)
{
	char p1[65], o1[65], p2[65], o2[65], p3[65], o3[65];

	hashes("- {name: weight, attribute: W, type: numeric}\n", p1, o1);
	hashes("# vitals\n-   {name: weight,  attribute: W, type: numeric}\n", p2, o2);
	ck_assert_str_eq(p1, p2);
	hashes("- {name: weight, attribute: W, type: numeric}\n"
	       "- {name: height, attribute: H, type: numeric}\n", p3, o3);
	ck_assert_str_ne(p1, p3);
	ck_assert_str_eq(o1, o2);
	ck_assert_str_eq(o1, o3);
	hashes("- {name: weight, attribute: W2, type: numeric}\n", p2, o2);
	ck_assert_str_ne(p1, p2);
}
END_TEST

static Suite *
pivot_suite(void)
{
	Suite *s = suite_create("recipe_pivot");
	TCase *tc = tcase_create("pivot");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pivot_messages);
	tcase_add_test(tc, test_map_yaml);
	tcase_add_test(tc, test_map_json);
	tcase_add_test(tc, test_map_errors);
	tcase_add_test(tc, test_map_hash);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return run_suite(pivot_suite());
}
