/* cmd_test.c: chacc test (checks on live tables) and chacc profile TARGET */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "quality.h"
#include "run.h"
#include "table.h"
#include "util.h"

const char usage_test[] =
	"usage: chacc test [--json] [SELECTOR...] [--exclude SELECTOR]...\n"
	"\n"
	"Runs the checks (checks: in the recipe) of the selected targets (default: all)\n"
	"on their live tables, building nothing, for after a manual fix or in CI.\n"
	"Results are kept in etl_checks under a run of mode 'test' (chacc history RUN).\n"
	"\n"
	"      --json           print the results as JSON\n"
	"      --exclude SELECTOR  leave these out of the selection (repeatable)\n"
	"\n"
	"exit status: 0 every error-severity check passed (warnings allowed); 1 one\n"
	"failed or could not run; 2 usage or recipe error; 3 target unreachable\n";

const char usage_profile[] =
	"usage: chacc profile [--json] TARGET\n"
	"\n"
	"Profiles the live table of TARGET, column by column: type, nulls, distinct\n"
	"values, min, max, mean, the most common values and a histogram, and says how it\n"
	"drifted since the last profile (rows falling by over 10%, a column's nulls\n"
	"rising by over 5 points, a new value in a column of few values). The profile\n"
	"is kept in etl_profiles (targets with 'profile: true' get one at each build).\n"
	"\n"
	"      --json           print the profile as JSON, with \"drift\"\n";

static json_t *
check_json(const struct check_result *r)
{
	json_t *o = json_object();
	json_t *samples = r->samples ? json_loads(r->samples, 0, NULL) : NULL;

	json_object_set_new(o, "check", json_string(r->name));
	json_object_set_new(o, "kind", json_string(check_kind_name(r->kind)));
	json_object_set_new(o, "severity", json_string(check_severity_name(r->severity)));
	json_object_set_new(o, "status", json_string(check_status_name(r->status)));
	json_object_set_new(o, "failing", r->failing >= 0 ? json_integer(r->failing) : json_null());
	json_object_set_new(o, "detail", r->detail ? json_string(r->detail) : json_null());
	json_object_set_new(o, "samples", samples ? samples : json_array());
	json_object_set_new(o, "seconds", json_real(r->seconds));
	return o;
}

static void
print_test_json(const struct test_result *res)
{
	json_t *top = json_object(), *arr = json_array();
	char *text;

	json_object_set_new(top, "run_id", res->run_id ? json_integer(res->run_id) : json_null());
	for (size_t i = 0; i < res->n; i++) {
		json_t *t = json_object(), *checks = json_array();

		json_object_set_new(t, "target", json_string(res->v[i].name));
		json_object_set_new(t, "missing", json_boolean(res->v[i].missing));
		for (size_t k = 0; k < res->v[i].n; k++)
			json_array_append_new(checks, check_json(&res->v[i].res[k]));
		json_object_set_new(t, "checks", checks);
		json_array_append_new(arr, t);
	}
	json_object_set_new(top, "targets", arr);
	text = json_dumps(top, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(top);
}

static void
print_test(const struct test_result *res)
{
	static const char *const heads[] = {
		"TARGET", "CHECK", "SEVERITY", "STATUS", "FAILING", "SECONDS",
	};
	struct table *t = table_new(LEN(heads), heads);

	table_column(t, 3, TABLE_STATE);
	table_column(t, 4, TABLE_RIGHT);
	table_column(t, 5, TABLE_RIGHT);
	for (size_t i = 0; i < res->n; i++) {
		const struct test_target *tt = &res->v[i];

		if (tt->missing) {
			const char *cells[] = { tt->name, NULL, NULL, "missing", NULL, NULL };

			table_row(t, cells);
			continue;
		}
		for (size_t k = 0; k < tt->n; k++) {
			const struct check_result *r = &tt->res[k];
			char failing[32] = "", secs[32];
			const char *cells[] = {
				tt->name, r->name, check_severity_name(r->severity),
				check_status_name(r->status), failing, secs,
			};

			if (r->failing >= 0)
				snprintf(failing, sizeof(failing), "%lld", r->failing);
			snprintf(secs, sizeof(secs), "%.2f", r->seconds);
			table_row(t, cells);
			if (r->status != CHECK_PASS && r->detail)
				table_note(t, "%s", r->detail);
			if (r->status != CHECK_PASS && r->samples)
				table_note(t, "sample keys: %s", r->samples);
		}
	}
	table_print(t, stdout);
	table_free(t);
	printf("%zu passed, %zu warned, %zu failed, %zu could not run", res->passed, res->warned,
	       res->failed, res->errors);
	if (res->run_id)
		printf(" (run %lld)", res->run_id);
	printf("\n");
}

int
cmd_test(struct opts *o)
{
	struct run_request rq;
	struct test_result res;
	int rc;

	opts_request(o, &rq);
	quality_test(&rq, &res);
	if (res.outcome == OUTCOME_OK || res.outcome == OUTCOME_FAILED) {
		if (o->json)
			print_test_json(&res);
		else if (res.n == 0)
			printf("no checks: none of the selected targets has 'checks:'\n");
		else
			print_test(&res);
	}
	rc = exit_code(res.outcome);
	test_result_release(&res);
	return rc;
}

/* a value of a profile for a cell: cut to 24 characters */
static const char *
cut(const char *s, char out[28])
{
	if (!s)
		return NULL;
	if (strlen(s) <= 24)
		return s;
	snprintf(out, 28, "%.21s...", s);
	return out;
}

static void
print_profile(const char *target, const struct profile_result *res)
{
	static const char *const heads[] = {
		"COLUMN", "TYPE", "NULLS", "DISTINCT", "MIN", "MAX", "MEAN", "MOST COMMON",
	};
	const struct profile *p = &res->cur;
	struct table *t = table_new(LEN(heads), heads);

	table_column(t, 2, TABLE_RIGHT);
	table_column(t, 3, TABLE_RIGHT);
	table_column(t, 6, TABLE_RIGHT);
	printf("%s: %lld rows\n", target, p->rows);
	for (size_t i = 0; i < p->ncols; i++) {
		const struct profile_col *c = &p->cols[i];
		char nulls[32], distinct[40], mean[40] = "", top[64] = "", b1[28], b2[28], b3[28];
		const char *cells[] = {
			c->name, c->type, nulls, distinct, cut(c->min, b1), cut(c->max, b2), mean, top,
		};

		snprintf(nulls, sizeof(nulls), "%.1f%%", c->null_fraction * 100);
		snprintf(distinct, sizeof(distinct), "%s%lld", c->distinct_approx ? "~" : "",
		         c->distinct);
		if (c->has_mean)
			snprintf(mean, sizeof(mean), "%.4g", c->mean);
		if (c->ntop > 0)
			snprintf(top, sizeof(top), "%s (%lld)",
			         c->top[0].value ? cut(c->top[0].value, b3) : "NULL", c->top[0].count);
		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	if (!res->has_prev)
		printf("no earlier profile to compare with\n");
	else if (res->ndrift == 0)
		printf("no drift since the profile of %.19s\n", res->prev_at);
	else {
		printf("drift since the profile of %.19s:\n", res->prev_at);
		for (size_t i = 0; i < res->ndrift; i++)
			printf("  warning: %s\n", res->drift[i]);
	}
}

int
cmd_profile(struct opts *o)
{
	struct run_request rq;
	struct profile_result res;
	int rc;

	if (o->nargs != 1) {
		fprintf(stderr, "chacc profile: expected one target (see 'chacc profile --help')\n");
		return EXIT_USAGE;
	}
	opts_request(o, &rq);
	quality_profile(&rq, o->args[0], true, &res);
	if (res.outcome == OUTCOME_OK && o->json) {
		char *json = profile_to_json(&res.cur);
		json_t *obj = json_loads(json, 0, NULL), *drift = json_array();

		for (size_t i = 0; i < res.ndrift; i++)
			json_array_append_new(drift, json_string(res.drift[i]));
		json_object_set_new(obj, "drift", drift);
		free(json);
		json = json_dumps(obj, JSON_INDENT(2));
		printf("%s\n", json);
		free(json);
		json_decref(obj);
	} else if (res.outcome == OUTCOME_OK)
		print_profile(o->args[0], &res);
	rc = exit_code(res.outcome);
	profile_result_release(&res);
	return rc;
}
