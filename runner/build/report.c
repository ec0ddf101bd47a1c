/* report.c: what the target database says about targets and runs, as data (JSON, metrics) */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "marker.h"
#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

/* the detail of a target whose source only a probe could ask */
#define UNCHECKED "source not checked"

const char *
report_state(const struct marker *m, const struct plan_item *it)
{
	if (m->building)
		return "building";
	if (m->present && (strcmp(m->status, "running") == 0 ||
	                   strcmp(m->status, "interrupted") == 0))
		return "interrupted";
	if (m->present && strcmp(m->status, "ok") != 0)
		return "failed";
	if (!m->present || !m->table_exists)
		return "missing";
	if (it && it->reason != REASON_NONE)
		return "out of date";
	return "ok";
}

bool
report_rows_known(const struct marker *m)
{
	return m->present && m->table_exists && m->rows >= 0;
}

void
report_check_building(struct session *s, const struct plan_item *items, size_t n)
{
	struct store *st = s->conns.store;
	struct store_building *b = NULL;
	char **names;
	bool *used, any = false;
	size_t k = 0;
	long nb;

	if (!st || !s->markers)
		return;
	while (k < n && s->markers[items[k].n->id].lock_checked)
		k++;
	if (k == n)
		return;         /* read already, by the plan */
	names = xcalloc(n ? n : 1, sizeof(*names));
	used = xcalloc(n ? n : 1, sizeof(*used));
	for (size_t i = 0; i < n; i++)
		names[i] = (char *)items[i].n->t->name;
	if (store_builds_locked(st, names, n, used) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct marker *m = &s->markers[items[i].n->id];

			m->lock_checked = true;
			m->building = used[i];
			any |= used[i];
		}
	}
	/* the run and the start of each build, from the history */
	nb = any ? store_building(st, &b) : 0;
	for (long j = 0; j < nb; j++)
		for (k = 0; k < n; k++) {
			struct marker *m = &s->markers[items[k].n->id];

			if (!m->building || strcmp(items[k].n->t->name, b[j].target) != 0)
				continue;
			m->building_run = b[j].run_id;
			snprintf(m->building_since, TS_LEN, "%s", b[j].since);
		}
	store_building_free(b, nb);
	free(names);
	free(used);
}

static json_t *
json_ts(const char *ts)
{
	return *ts ? json_string(ts) : json_null();
}

json_t *
report_status(struct session *s, const struct plan_item *items, size_t n)
{
	json_t *arr = json_array();
	char *err = NULL;
	/* none when etl_checks cannot be read (an older store): no "checks" then */
	json_t *latest = report_checks_latest(s, NULL, &err), *sites;

	free(err);
	err = NULL;
	/* none when etl_sites cannot be read (an older store): no "sites" then */
	sites = report_sites(s, NULL, &err);
	free(err);
	report_check_building(s, items, n);
	for (size_t i = 0; i < n; i++) {
		const struct marker *m = &s->markers[items[i].n->id];
		const char *state = report_state(m, &items[i]);
		json_t *obj = json_object(), *sum, *its;
		char detail[96];
		const char *failed;

		json_object_set_new(obj, "target", json_string(items[i].n->t->name));
		json_object_set_new(obj, "state", json_string(state));
		json_object_set_new(obj, "built_at", json_ts(m->built_at));
		json_object_set_new(obj, "changed_at", json_ts(m->changed_at));
		json_object_set_new(obj, "rows",
		                    report_rows_known(m) ? json_integer(m->rows) : json_null());
		json_object_set_new(obj, "watermark",
		                    m->watermark ? json_string(m->watermark) : json_null());
		if (items[i].reason != REASON_NONE)
			json_object_set_new(obj, "reason", json_string(reason_name(items[i].reason)));
		if (m->building && m->building_run > 0)
			json_object_set_new(obj, "run_id", json_integer(m->building_run));
		if (m->building)
			json_object_set_new(obj, "since", json_ts(m->building_since));
		its = sites ? json_object_get(sites, items[i].n->t->name) : NULL;
		/* a site that failed leaves the target's state as it is: the detail says it */
		failed = its ? report_sites_detail(its, detail, sizeof(detail)) : NULL;
		if (failed && items[i].unchecked && strcmp(state, "ok") == 0)
			json_object_set_new(obj, "detail", json_sprintf("%s, " UNCHECKED, failed));
		else if (failed)
			json_object_set_new(obj, "detail", json_string(failed));
		else if (items[i].unchecked && strcmp(state, "ok") == 0)
			json_object_set_new(obj, "detail", json_string(UNCHECKED));
		if (m->error && strcmp(m->status, "running") != 0 &&
		    (strcmp(state, "failed") == 0 || strcmp(state, "interrupted") == 0))
			json_object_set_new(obj, "error", json_string(m->error));
		if (latest && (sum = report_checks_summary(latest, items[i].n->t->name)))
			json_object_set_new(obj, "checks", sum);
		if (its)
			json_object_set(obj, "sites", its);
		json_array_append_new(arr, obj);
	}
	json_decref(latest);
	json_decref(sites);
	return arr;
}

json_t *
report_plan(const struct plan_item *items, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *obj;

		if (items[i].reason == REASON_NONE)
			continue;
		obj = json_object();
		json_object_set_new(obj, "target", json_string(items[i].n->t->name));
		json_object_set_new(obj, "reason", json_string(reason_name(items[i].reason)));
		json_object_set_new(obj, "mode", json_string(items[i].full ? "full" : "incremental"));
		json_object_set_new(obj, "kind", json_string(kind_name(items[i].n->t->kind)));
		if (items[i].detail) {
			char buf[128];

			json_object_set_new(obj, "detail",
			                    json_string(plan_item_detail(&items[i], buf, sizeof(buf))));
		}
		json_array_append_new(arr, obj);
	}
	return arr;
}

char *
report_now(struct session *s)
{
	char now[TS_LEN];

	return store_now(s->conns.store, now) == 0 ? xstrdup(now) : NULL;
}

/* columns that are numbers in the JSON of the web UI */
static bool
numeric_col(const char *name)
{
	static const char *const cols[] = {
		"run_id", "seconds", "rows", "attempts", "config_dirty",
	};

	for (size_t i = 0; i < LEN(cols); i++)
		if (strcmp(name, cols[i]) == 0)
			return true;
	return false;
}

/* the rows of r (freed here) as an array of objects, numbers as numbers */
static json_t *
rows_json(struct store_rows *r)
{
	json_t *arr = json_array();

	for (size_t row = 0; row < r->nrows; row++) {
		json_t *obj = json_object();

		for (size_t i = 0; i < r->ncols; i++) {
			const char *name = r->names[i], *v = store_rows_get(r, row, i);
			json_t *j;

			if (!v)
				j = json_null();
			else if (numeric_col(name))
				j = strchr(v, '.') ? json_real(atof(v)) : json_integer(atoll(v));
			else
				j = json_string(v);
			json_object_set_new(obj, name, j);
		}
		json_array_append_new(arr, obj);
	}
	store_rows_free(r);
	return arr;
}

/* r as JSON, or NULL with *err when reading it failed */
static json_t *
history_json(struct session *s, struct store_rows *r, char **err)
{
	if (!r) {
		*err = xasprintf("cannot read the history: %s", store_error(s->conns.store));
		return NULL;
	}
	return rows_json(r);
}

json_t *
report_runs(struct session *s, long limit, char **err)
{
	return history_json(s, store_runs(s->conns.store, limit), err);
}

json_t *
report_runs_find(struct session *s, const struct store_runs_filter *f, long long *total,
                 char **err)
{
	return history_json(s, store_runs_find(s->conns.store, f, total), err);
}

json_t *
report_run(struct session *s, long long id, char **err)
{
	json_t *runs, *run, *targets;

	*err = NULL;
	if (!(runs = history_json(s, store_run(s->conns.store, id), err)))
		return NULL;
	if (json_array_size(runs) == 0) {
		json_decref(runs);
		return NULL;
	}
	run = json_incref(json_array_get(runs, 0));
	json_decref(runs);
	if (!(targets = history_json(s, store_run_targets(s->conns.store, id), err))) {
		json_decref(run);
		return NULL;
	}
	json_object_set_new(run, "targets", targets);
	if ((targets = report_run_checks(s, id, err)))
		json_object_set_new(run, "checks", targets);
	free(*err);
	*err = NULL;
	return run;
}

json_t *
report_target_runs(struct session *s, const char *target, long limit, char **err)
{
	return history_json(s, store_target_runs(s->conns.store, target, limit), err);
}

void
report_label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_addc(b, '\\');
		if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *v);
	}
}

/* one sample per row of r: labels from the first nlabels columns, the value from column col */
static void
metric_rows(struct buf *b, struct session *s, const struct store_rows *r, const char *name,
            const char *const *labels, size_t nlabels, size_t col)
{
	for (size_t row = 0; row < r->nrows; row++) {
		const char *v = store_rows_get(r, row, col);

		buf_addf(b, "%s{recipe=\"", name);
		report_label(b, s->r->name);
		for (size_t i = 0; i < nlabels; i++) {
			const char *l = store_rows_get(r, row, i);

			buf_addf(b, "\",%s=\"", labels[i]);
			report_label(b, l ? l : "");
		}
		buf_addf(b, "\"} %s\n", v ? v : "0");
	}
}

/* the metrics of one table of the store: their help and type, then a sample per row */
struct metric {
	const char *name, *type, *help;
	size_t col;
};

static void
metrics_of(struct buf *out, struct session *s, const struct store_rows *r,
           const struct metric *m, size_t nm, const char *const *labels)
{
	for (size_t i = 0; i < nm; i++) {
		buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", m[i].name, m[i].help, m[i].name,
		         m[i].type);
		metric_rows(out, s, r, m[i].name, labels, 1, m[i].col);
	}
}

int
report_metrics(struct session *s, struct buf *out, char **err)
{
	static const struct metric runs[] = {
		{ "chacc_runs_total", "counter", "Runs recorded, by result.", 1 },
	};
	static const struct metric per_target[] = {
		{ "chacc_target_builds_total", "counter", "Builds of a target that finished.", 1 },
		{ "chacc_target_failures_total", "counter", "Builds of a target that failed.", 2 },
		{ "chacc_target_build_seconds_sum", "counter", "Seconds spent building a target.", 3 },
		{ "chacc_target_build_seconds_count", "counter", "Timed builds of a target.", 4 },
	};
	static const struct metric markers[] = {
		{ "chacc_target_rows", "gauge", "Rows in a target's table after its last build.", 1 },
		{ "chacc_target_last_duration_seconds", "gauge", "Seconds of a target's last build.", 2 },
		{ "chacc_target_last_success_timestamp_seconds", "gauge",
		  "When a target was last built successfully (Unix time).", 3 },
		{ "chacc_target_ok", "gauge", "1 when a target's last build succeeded.", 4 },
	};
	static const char *const result_label[] = { "result" }, *const target_label[] = { "target" };
	struct store *st = s->conns.store;
	struct store_rows *r[3] = { 0 };
	int rc = -1;

	/* a database chacc has not written to yet has no etl_ tables: no samples */
	if ((r[0] = store_runs_by_result(st)) && (r[1] = store_target_totals(st)) &&
	    (r[2] = store_marker_stats(st))) {
		metrics_of(out, s, r[0], runs, LEN(runs), result_label);
		metrics_of(out, s, r[1], per_target, LEN(per_target), target_label);
		metrics_of(out, s, r[2], markers, LEN(markers), target_label);
		report_checks_metrics(s, out);
		report_sites_metrics(s, out);
		rc = 0;
	} else
		*err = xasprintf("cannot read the history: %s", store_error(st));
	for (size_t i = 0; i < LEN(r); i++)
		store_rows_free(r[i]);
	return rc;
}
