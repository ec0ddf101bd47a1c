/* report.c: status, history, metrics and clean */
#include "report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "build.h"
#include "cmd.h"
#include "db.h"
#include "graph.h"
#include "marker.h"
#include "prune.h"
#include "recipe.h"
#include "schema.h"
#include "session.h"
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

void
report_check_building(struct session *s, const struct plan_item *items, size_t n)
{
	struct db *d = s->conns.tgt;
	char **names;
	bool *used, any = false;
	size_t k = 0;
	struct dbres *res;

	if (!d || !s->markers)
		return;
	while (k < n && s->markers[items[k].n->id].lock_checked)
		k++;
	if (k == n)
		return;         /* read already, by the plan */
	k = 0;
	names = xcalloc(n, sizeof(*names));
	used = xcalloc(n, sizeof(*used));
	for (size_t i = 0; i < n; i++)
		names[i] = build_lock_name(db_name(d), items[i].n->t->name);
	if (locks_used(d, names, n, used) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct marker *m = &s->markers[items[i].n->id];

			m->lock_checked = true;
			m->building = used[i];
			any |= used[i];
		}
	}
	/* the run and the start of each build, from the history */
	if (any && (res = run_targets_building(d, s->r->name))) {
		while (dbres_next(res))
			for (k = 0; k < n; k++) {
				struct marker *m = &s->markers[items[k].n->id];

				if (!m->building || strcmp(items[k].n->t->name, dbres_get(res, 0)) != 0)
					continue;
				m->building_run = atoll(dbres_get(res, 1));
				snprintf(m->building_since, TS_LEN, "%s",
				         dbres_get(res, 2) ? dbres_get(res, 2) : "");
			}
		dbres_free(res);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
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

	report_check_building(s, items, n);
	for (size_t i = 0; i < n; i++) {
		const struct marker *m = &s->markers[items[i].n->id];
		const char *state = report_state(m, &items[i]);
		json_t *obj = json_object();

		json_object_set_new(obj, "target", json_string(items[i].n->t->name));
		json_object_set_new(obj, "state", json_string(state));
		json_object_set_new(obj, "built_at", json_ts(m->built_at));
		json_object_set_new(obj, "changed_at", json_ts(m->changed_at));
		json_object_set_new(obj, "rows", m->present ? json_integer(m->rows) : json_null());
		json_object_set_new(obj, "watermark",
		                    m->watermark ? json_string(m->watermark) : json_null());
		if (items[i].reason != REASON_NONE)
			json_object_set_new(obj, "reason", json_string(reason_name(items[i].reason)));
		if (m->building && m->building_run > 0)
			json_object_set_new(obj, "run_id", json_integer(m->building_run));
		if (m->building)
			json_object_set_new(obj, "since", json_ts(m->building_since));
		if (items[i].unchecked && strcmp(state, "ok") == 0)
			json_object_set_new(obj, "detail", json_string(UNCHECKED));
		if (m->error && strcmp(m->status, "running") != 0 &&
		    (strcmp(state, "failed") == 0 || strcmp(state, "interrupted") == 0))
			json_object_set_new(obj, "error", json_string(m->error));
		json_array_append_new(arr, obj);
	}
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
		if (items[i].detail)
			json_object_set_new(obj, "detail", json_string(plan_detail_text(items[i].detail)));
		json_array_append_new(arr, obj);
	}
	return arr;
}

int
cmd_status(struct opts *o)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
	json_t *arr = NULL;
	size_t unchecked = 0;
	int rc;

	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	/* from the target database only: a source that is down changes nothing here */
	s.ps.offline = true;
	if (make_plan(&s, o, &order, &n, &items) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o->json)
		arr = report_status(&s, items, n);
	else {
		report_check_building(&s, items, n);
		printf("%-32s %-12s %-26s %-26s %12s  %s\n", "TARGET", "STATE", "BUILT",
		       "CHANGED", "ROWS", "WATERMARK");
	}
	for (size_t i = 0; i < n && !o->json; i++) {
		const struct marker *m = &s.markers[items[i].n->id];
		const char *name = items[i].n->t->name, *state = report_state(m, &items[i]);

		printf("%-32s %-12s %-26s %-26s %12lld  %s\n", name, state,
		       *m->built_at ? m->built_at : "-", *m->changed_at ? m->changed_at : "-",
		       m->rows, m->watermark ? m->watermark : "-");
		if (m->building && m->building_run > 0)
			printf("    building in run %lld since %s\n", m->building_run,
			       *m->building_since ? m->building_since : "?");
		if (m->error && strcmp(m->status, "running") != 0 &&
		    (strcmp(state, "failed") == 0 || strcmp(state, "interrupted") == 0))
			printf("    error: %s\n", m->error);
		unchecked += items[i].unchecked && strcmp(state, "ok") == 0;
	}
	if (unchecked)
		printf("%zu incremental extract%s: source not checked ('chacc plan' asks the sources)\n",
		       unchecked, unchecked == 1 ? "" : "s");
	if (o->json) {
		char *text = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
		json_decref(arr);
	}
out:
	free(order);
	free(items);
	session_release(&s);
	return rc;
}

static void
print_rows(struct dbres *res, bool json)
{
	size_t nc = dbres_ncols(res);

	if (json) {
		json_t *arr = json_array();
		char *text;

		while (dbres_next(res)) {
			json_t *obj = json_object();

			for (size_t i = 0; i < nc; i++) {
				const char *v = dbres_get(res, i);

				json_object_set_new(obj, dbres_colname(res, i), v ? json_string(v) : json_null());
			}
			json_array_append_new(arr, obj);
		}
		text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(arr);
		return;
	}
	for (size_t i = 0; i < nc; i++)
		printf("%s%s", i ? "\t" : "", dbres_colname(res, i));
	printf("\n");
	while (dbres_next(res)) {
		for (size_t i = 0; i < nc; i++)
			printf("%s%s", i ? "\t" : "", dbres_get(res, i) ? dbres_get(res, i) : "-");
		printf("\n");
	}
}

char *
report_now(struct session *s)
{
	char *now = NULL;

	if (db_value(s->conns.tgt, &now, "SELECT NOW(6)") <= 0) {
		free(now);
		return NULL;
	}
	return now;
}

/* the newest runs of the recipe */
static struct dbres *
runs_query(struct session *s, long limit)
{
	char *qr = db_quote(s->conns.tgt, s->r->name);
	struct dbres *res;

	res = db_queryf(s->conns.tgt,
	        "SELECT run_id, mode, result, started_by, started_at, ended_at,"
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1e6, 3) AS seconds,"
	        " config_rev, selection FROM etl_runs WHERE recipe = %s"
	        " ORDER BY run_id DESC LIMIT %ld", qr, limit > 0 ? limit : 20);
	free(qr);
	return res;
}

/* the targets of one run of the recipe, by start */
static struct dbres *
run_targets_query(struct session *s, long long id)
{
	char *qr = db_quote(s->conns.tgt, s->r->name);
	struct dbres *res;

	res = db_queryf(s->conns.tgt,
	        "SELECT t.target, t.reason, t.mode, t.outcome, t.started_at, t.ended_at,"
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at) / 1e6, 3)"
	        " AS seconds, t.row_count AS `rows`, t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE t.run_id = %lld AND r.recipe = %s ORDER BY t.started_at, t.target",
	        id, qr);
	free(qr);
	return res;
}

int
cmd_history(struct opts *o)
{
	struct session s;
	struct dbres *res;
	int rc;

	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	if (o->nargs > 0) {
		char *end;
		long long id = strtoll(o->args[0], &end, 10);

		if (*end || id <= 0) {
			warn("invalid run id '%s'", o->args[0]);
			rc = EXIT_USAGE;
			goto out;
		}
		res = run_targets_query(&s, id);
		if (res && dbres_nrows(res) == 0) {
			dbres_free(res);
			warn("no run %lld of recipe '%s' (see 'chacc history')", id, s.r->name);
			rc = EXIT_FAILED;
			goto out;
		}
	} else
		res = runs_query(&s, o->limit);
	if (!res && schema_no_table(s.conns.tgt) && o->nargs == 0) {
		/* chacc has not written to this database yet */
		printf("%s\n", o->json ? "[]" : "no runs yet");
		goto out;
	}
	if (!res) {
		warn("cannot read the history: %s", db_error(s.conns.tgt));
		rc = EXIT_FAILED;
		goto out;
	}
	print_rows(res, o->json);
	dbres_free(res);
out:
	session_release(&s);
	return rc;
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

/* the rows of res as an array of objects, numbers as numbers */
static json_t *
rows_json(struct dbres *res)
{
	json_t *arr = json_array();
	size_t nc = dbres_ncols(res);

	while (dbres_next(res)) {
		json_t *obj = json_object();

		for (size_t i = 0; i < nc; i++) {
			const char *name = dbres_colname(res, i), *v = dbres_get(res, i);
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
	dbres_free(res);
	return arr;
}

json_t *
report_runs(struct session *s, long limit, char **err)
{
	struct dbres *res = runs_query(s, limit);

	if (!res && schema_no_table(s->conns.tgt))
		return json_array();
	if (!res) {
		*err = xasprintf("cannot read the history: %s", db_error(s->conns.tgt));
		return NULL;
	}
	return rows_json(res);
}

json_t *
report_run(struct session *s, long long id, char **err)
{
	char *qr = db_quote(s->conns.tgt, s->r->name);
	struct dbres *res;
	json_t *runs, *run, *targets;

	*err = NULL;
	res = db_queryf(s->conns.tgt,
	        "SELECT run_id, mode, result, started_by, host, started_at, ended_at,"
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1e6, 3) AS seconds,"
	        " config_rev, config_dirty, selection FROM etl_runs"
	        " WHERE recipe = %s AND run_id = %lld", qr, id);
	free(qr);
	if (!res && schema_no_table(s->conns.tgt))
		return NULL;
	if (!res) {
		*err = xasprintf("cannot read the history: %s", db_error(s->conns.tgt));
		return NULL;
	}
	runs = rows_json(res);
	if (json_array_size(runs) == 0) {
		json_decref(runs);
		return NULL;
	}
	run = json_incref(json_array_get(runs, 0));
	json_decref(runs);
	if (!(res = run_targets_query(s, id))) {
		*err = xasprintf("cannot read the history: %s", db_error(s->conns.tgt));
		json_decref(run);
		return NULL;
	}
	targets = rows_json(res);
	json_object_set_new(run, "targets", targets);
	return run;
}

json_t *
report_target_runs(struct session *s, const char *target, long limit, char **err)
{
	char *qr = db_quote(s->conns.tgt, s->r->name), *qt = db_quote(s->conns.tgt, target);
	struct dbres *res;

	res = db_queryf(s->conns.tgt,
	        "SELECT t.run_id, r.mode AS run_mode, r.started_by, t.reason, t.mode, t.outcome,"
	        " t.started_at, t.ended_at,"
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at) / 1e6, 3) AS seconds,"
	        " t.row_count AS `rows`, t.attempts, t.error_message AS error"
	        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
	        " WHERE r.recipe = %s AND t.target = %s ORDER BY t.run_id DESC LIMIT %ld",
	        qr, qt, limit > 0 ? limit : 20);
	free(qr);
	free(qt);
	if (!res && schema_no_table(s->conns.tgt))
		return json_array();
	if (!res) {
		*err = xasprintf("cannot read the history: %s", db_error(s->conns.tgt));
		return NULL;
	}
	return rows_json(res);
}

/* a Prometheus label value: backslash, quote and newline escaped */
static void
label(struct buf *b, const char *v)
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

static void
metric_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* one sample per row of res: labels from the first nlabels columns, the value from column col */
static void
metric_rows(struct buf *b, struct session *s, struct dbres *res, const char *name,
            const char *const *labels, size_t nlabels, size_t col)
{
	while (dbres_next(res)) {
		const char *v = dbres_get(res, col);

		buf_addf(b, "%s{recipe=\"", name);
		label(b, s->r->name);
		for (size_t i = 0; i < nlabels; i++) {
			buf_addf(b, "\",%s=\"", labels[i]);
			label(b, dbres_get(res, i) ? dbres_get(res, i) : "");
		}
		buf_addf(b, "\"} %s\n", v ? v : "0");
	}
}

int
report_metrics(struct session *s, struct buf *out, char **err)
{
	static const struct {
		const char *name, *type, *help;
		size_t col;
	} per_target[] = {
		{ "chacc_target_builds_total", "counter", "Builds of a target that finished.", 1 },
		{ "chacc_target_failures_total", "counter", "Builds of a target that failed.", 2 },
		{ "chacc_target_build_seconds_sum", "counter", "Seconds spent building a target.", 3 },
		{ "chacc_target_build_seconds_count", "counter", "Timed builds of a target.", 4 },
	};
	static const struct {
		const char *name, *type, *help;
		size_t col;
	} markers[] = {
		{ "chacc_target_rows", "gauge", "Rows in a target's table after its last build.", 1 },
		{ "chacc_target_last_duration_seconds", "gauge", "Seconds of a target's last build.", 2 },
		{ "chacc_target_last_success_timestamp_seconds", "gauge",
		  "When a target was last built successfully (Unix time).", 3 },
		{ "chacc_target_ok", "gauge", "1 when a target's last build succeeded.", 4 },
	};
	static const char *const result_label[] = { "result" }, *const target_label[] = { "target" };
	char *qr = db_quote(s->conns.tgt, s->r->name);
	struct dbres *res;
	int rc = -1;

	/* a database chacc has not written to yet has no etl_ tables: no samples */
	res = db_queryf(s->conns.tgt, "SELECT result, COUNT(*) FROM etl_runs WHERE recipe = %s"
	                " GROUP BY result ORDER BY result", qr);
	if (!res && !schema_no_table(s->conns.tgt))
		goto fail;
	metric_head(out, "chacc_runs_total", "counter", "Runs recorded, by result.");
	if (res)
		metric_rows(out, s, res, "chacc_runs_total", result_label, 1, 1);
	dbres_free(res);
	for (size_t m = 0; m < LEN(per_target); m++) {
		res = db_queryf(s->conns.tgt,
		        "SELECT t.target, SUM(t.outcome = 'built'), SUM(t.outcome = 'failed'),"
		        " COALESCE(ROUND(SUM(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at))"
		        " / 1e6, 6), 0), COUNT(t.ended_at)"
		        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
		        " WHERE r.recipe = %s GROUP BY t.target ORDER BY t.target", qr);
		if (!res && !schema_no_table(s->conns.tgt))
			goto fail;
		metric_head(out, per_target[m].name, per_target[m].type, per_target[m].help);
		if (res)
			metric_rows(out, s, res, per_target[m].name, target_label, 1,
			            per_target[m].col);
		dbres_free(res);
	}
	for (size_t m = 0; m < LEN(markers); m++) {
		res = db_queryf(s->conns.tgt,
		        "SELECT target, COALESCE(row_count, 0), COALESCE(duration_ms, 0) / 1000,"
		        " COALESCE(UNIX_TIMESTAMP(built_at), 0), status = 'ok'"
		        " FROM etl_metadata WHERE recipe = %s ORDER BY target", qr);
		if (!res && !schema_no_table(s->conns.tgt))
			goto fail;
		metric_head(out, markers[m].name, markers[m].type, markers[m].help);
		if (res)
			metric_rows(out, s, res, markers[m].name, target_label, 1, markers[m].col);
		dbres_free(res);
	}
	rc = 0;
fail:
	if (rc < 0)
		*err = xasprintf("cannot read the history: %s", db_error(s->conns.tgt));
	free(qr);
	return rc;
}

/* ask on the terminal whether to drop every target; true for yes */
static bool
confirm_all(struct session *s)
{
	char line[64];

	fprintf(stderr, "drop the tables of all %zu targets of recipe '%s' in database '%s'? [y/N] ",
	        s->g->nnodes, s->r->name, db_name(s->conns.tgt));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcasecmp(strtrim(line), "y") == 0 || strcasecmp(strtrim(line), "yes") == 0;
}

int
cmd_clean(struct opts *o)
{
	struct session s;
	struct node **sel = NULL;
	struct leftovers *found = NULL;
	size_t nfound = 0, ndrop = 0;
	int rc;

	/* every target at once is asked for, on a terminal, or said with --yes */
	if (o->nargs == 0 && !o->dry_run && !o->yes && !isatty(STDIN_FILENO)) {
		warn("clean without target names drops every target's table: pass --yes to"
		     " confirm (or name the targets, or -n to see what it would drop)");
		return EXIT_USAGE;
	}
	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	if (session_select(&s, o->args, o->nargs, &sel) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	found = xcalloc(s.g->nnodes, sizeof(*found));
	for (size_t i = 0; i < s.g->nnodes; i++) {
		bool want = o->nargs == 0;

		for (size_t j = 0; j < o->nargs; j++)
			want |= sel[j] == &s.g->nodes[i];
		if (!want)
			continue;
		if (leftovers_find(s.conns.tgt, s.r->name, s.g->nodes[i].t->name, false,
		                   &found[nfound++]) < 0) {
			warn("cannot read what is kept for '%s': %s", s.g->nodes[i].t->name,
			     db_error(s.conns.tgt));
			rc = EXIT_FAILED;
			goto out;
		}
	}
	for (size_t i = 0; i < nfound; i++) {
		char *what = leftovers_describe(&found[i]);

		if (what && o->dry_run)
			printf("would drop %s: %s\n", found[i].name, what);
		if (found[i].keep_table)
			printf("%s table '%s': %s\n", o->dry_run ? "would keep" : "keeping",
			       found[i].name, found[i].others ? "another recipe's marker names it" :
			       "chacc did not make it (no marker; see 'build --adopt')");
		ndrop += what != NULL;
		free(what);
	}
	if (ndrop == 0) {
		printf("nothing to clean\n");
		goto out;
	}
	if (o->dry_run) {
		printf("clean -n: would drop what %zu of %zu targets keep; nothing dropped\n", ndrop,
		       nfound);
		goto out;
	}
	if (o->nargs == 0 && !o->yes && !confirm_all(&s)) {
		printf("nothing dropped\n");
		rc = EXIT_FAILED;
		goto out;
	}
	if ((rc = exit_code(session_upgrade(&s))) != EXIT_OK)
		goto out;
	for (size_t i = 0; i < nfound; i++) {
		char *what = leftovers_describe(&found[i]), *err = NULL;
		int dropped;

		if (!what)
			continue;
		if ((dropped = leftovers_drop(s.conns.tgt, s.r->name, &found[i], &err)) < 0) {
			warn("cannot clean '%s': %s", found[i].name, err);
			free(err);
			rc = EXIT_FAILED;
		} else if (dropped > 0) {
			warn("cannot clean '%s': another runner is building it", found[i].name);
			rc = EXIT_FAILED;
		} else
			printf("cleaned %s: %s\n", found[i].name, what);
		free(what);
	}
out:
	for (size_t i = 0; i < nfound; i++)
		leftovers_release(&found[i]);
	free(found);
	free(sel);
	session_release(&s);
	return rc;
}
