/* report_checks.c: the results of checks in the store, as data (JSON, metrics) */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

/* a row of store_checks_latest/of_run as JSON: numbers as numbers, samples as an array */
static json_t *
check_row(const struct store_rows *r, size_t row)
{
	json_t *obj = json_object();

	for (size_t i = 0; i < r->ncols; i++) {
		const char *name = r->names[i], *v = store_rows_get(r, row, i);
		json_t *j;

		if (!v)
			j = strcmp(name, "samples") == 0 ? json_array() : json_null();
		else if (strcmp(name, "run_id") == 0 || strcmp(name, "failing") == 0)
			j = json_integer(atoll(v));
		else if (strcmp(name, "seconds") == 0)
			j = json_real(atof(v));
		else if (strcmp(name, "samples") == 0 && (j = json_loads(v, 0, NULL)))
			;
		else
			j = json_string(v);
		json_object_set_new(obj, name, j);
	}
	return obj;
}

/* r (freed here) as an array, or NULL with *err */
static json_t *
checks_json(struct session *s, struct store_rows *r, char **err)
{
	json_t *arr;

	if (!r) {
		*err = xasprintf("cannot read the checks: %s", store_error(s->conns.store));
		return NULL;
	}
	arr = json_array();
	for (size_t row = 0; row < r->nrows; row++)
		json_array_append_new(arr, check_row(r, row));
	store_rows_free(r);
	return arr;
}

json_t *
report_checks_latest(struct session *s, const char *target, char **err)
{
	return checks_json(s, store_checks_latest(s->conns.store, target), err);
}

json_t *
report_run_checks(struct session *s, long long id, char **err)
{
	return checks_json(s, store_checks_of_run(s->conns.store, id), err);
}

json_t *
report_checks_summary(json_t *latest, const char *target)
{
	static const char *const statuses[] = { "pass", "warn", "fail", "error" };
	json_int_t count[4] = { 0 };
	json_t *row, *obj;
	size_t i;
	bool any = false;

	json_array_foreach(latest, i, row) {
		const char *t = json_string_value(json_object_get(row, "target"));
		const char *st = json_string_value(json_object_get(row, "status"));

		if (!t || !st || strcmp(t, target) != 0)
			continue;
		for (size_t k = 0; k < LEN(statuses); k++)
			if (strcmp(st, statuses[k]) == 0) {
				count[k]++;
				any = true;
			}
	}
	if (!any)
		return NULL;
	obj = json_object();
	for (size_t k = 0; k < LEN(statuses); k++)
		json_object_set_new(obj, statuses[k], json_integer(count[k]));
	return obj;
}

void
report_checks_metrics(struct session *s, struct buf *out)
{
	struct store_rows *r = store_checks_latest(s->conns.store, NULL);
	json_t *latest;
	size_t ntargets = s->r->ntargets;

	buf_adds(out, "# HELP chacc_check_failures Checks of a target whose latest result is not"
	         " pass, by severity.\n# TYPE chacc_check_failures gauge\n");
	if (!r)
		return;
	latest = checks_json(s, r, &(char *){ NULL });
	for (size_t t = 0; t < ntargets; t++) {
		const char *name = s->r->targets[t].name;
		long long n[2] = { 0 };
		bool any = false;
		json_t *row;
		size_t i;

		json_array_foreach(latest, i, row) {
			const char *tg = json_string_value(json_object_get(row, "target"));
			const char *st = json_string_value(json_object_get(row, "status"));
			const char *sev = json_string_value(json_object_get(row, "severity"));

			if (!tg || strcmp(tg, name) != 0)
				continue;
			any = true;
			if (st && strcmp(st, "pass") != 0)
				n[sev && strcmp(sev, "warn") == 0]++;
		}
		if (!any)
			continue;
		for (int k = 0; k < 2; k++) {
			buf_adds(out, "chacc_check_failures{recipe=\"");
			report_label(out, s->r->name);
			buf_adds(out, "\",target=\"");
			report_label(out, name);
			buf_addf(out, "\",severity=\"%s\"} %lld\n", k ? "warn" : "error", n[k]);
		}
	}
	json_decref(latest);
}
