/* report.c: status, history and clean */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cmd.h"
#include "db.h"
#include "graph.h"
#include "marker.h"
#include "recipe.h"
#include "session.h"
#include "util.h"

static const char *
state_of(const struct marker *m, const struct plan_item *it)
{
	if (m->present && strcmp(m->status, "ok") != 0)
		return "failed";
	if (!m->present || !m->table_exists)
		return "missing";
	if (it && it->reason != REASON_NONE)
		return "out of date";
	return "ok";
}

static json_t *
json_ts(const char *ts)
{
	return *ts ? json_string(ts) : json_null();
}

int
cmd_status(struct opts *o)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
	json_t *arr = NULL;
	int rc;

	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	if (make_plan(&s, o, &order, &n, &items) < -1) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o->json)
		arr = json_array();
	else
		printf("%-32s %-12s %-26s %-26s %12s  %s\n", "TARGET", "STATE", "BUILT",
		       "CHANGED", "ROWS", "WATERMARK");
	for (size_t i = 0; i < n; i++) {
		const struct marker *m = &s.markers[items[i].n->id];
		const char *name = items[i].n->t->name, *state = state_of(m, &items[i]);

		if (o->json) {
			json_t *obj = json_object();

			json_object_set_new(obj, "target", json_string(name));
			json_object_set_new(obj, "state", json_string(state));
			json_object_set_new(obj, "built_at", json_ts(m->built_at));
			json_object_set_new(obj, "changed_at", json_ts(m->changed_at));
			json_object_set_new(obj, "rows", m->present ? json_integer(m->rows) : json_null());
			json_object_set_new(obj, "watermark",
			                    m->watermark ? json_string(m->watermark) : json_null());
			if (items[i].reason != REASON_NONE)
				json_object_set_new(obj, "reason",
				                    json_string(reason_name(items[i].reason)));
			if (m->error && strcmp(state, "failed") == 0)
				json_object_set_new(obj, "error", json_string(m->error));
			json_array_append_new(arr, obj);
		} else {
			printf("%-32s %-12s %-26s %-26s %12lld  %s\n", name, state,
			       *m->built_at ? m->built_at : "-", *m->changed_at ? m->changed_at : "-",
			       m->rows, m->watermark ? m->watermark : "-");
			if (m->error && strcmp(state, "failed") == 0)
				printf("    error: %s\n", m->error);
		}
	}
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

int
cmd_history(struct opts *o)
{
	struct session s;
	struct dbres *res;
	int rc;
	char *qr = NULL;

	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	qr = db_quote(s.conns.tgt, s.r->name);
	if (o->nargs > 0) {
		char *end;
		long long id = strtoll(o->args[0], &end, 10);

		if (*end || id <= 0) {
			warn("invalid run id '%s'", o->args[0]);
			rc = EXIT_USAGE;
			goto out;
		}
		res = db_queryf(s.conns.tgt,
		        "SELECT t.target, t.reason, t.mode, t.outcome, t.started_at, t.ended_at,"
		        " ROUND(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at) / 1e6, 3)"
		        " AS seconds, t.row_count AS `rows`, t.attempts, t.error_message AS error"
		        " FROM etl_run_targets t JOIN etl_runs r ON r.run_id = t.run_id"
		        " WHERE t.run_id = %lld AND r.recipe = %s ORDER BY t.started_at, t.target",
		        id, qr);
		if (res && dbres_nrows(res) == 0) {
			dbres_free(res);
			warn("no run %lld of recipe '%s' (see 'chacc history')", id, s.r->name);
			rc = EXIT_FAILED;
			goto out;
		}
	} else
		res = db_queryf(s.conns.tgt,
		        "SELECT run_id, mode, result, started_by, started_at, ended_at,"
		        " ROUND(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1e6, 3) AS seconds,"
		        " config_rev, selection FROM etl_runs WHERE recipe = %s"
		        " ORDER BY run_id DESC LIMIT %ld", qr, o->limit > 0 ? o->limit : 20);
	if (!res) {
		warn("cannot read the history: %s", db_error(s.conns.tgt));
		rc = EXIT_FAILED;
		goto out;
	}
	print_rows(res, o->json);
	dbres_free(res);
out:
	free(qr);
	session_release(&s);
	return rc;
}

int
cmd_clean(struct opts *o)
{
	struct session s;
	struct node **sel = NULL;
	int rc;

	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	if (session_select(&s, o->args, o->nargs, &sel) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < s.g->nnodes; i++) {
		const struct target *t = s.g->nodes[i].t;
		bool want = o->nargs == 0;
		char *id;

		for (size_t j = 0; j < o->nargs; j++)
			want |= sel[j] == &s.g->nodes[i];
		if (!want)
			continue;
		id = db_ident(t->name);
		if (db_execf(s.conns.tgt, "DROP TABLE IF EXISTS %s", id) < 0 ||
		    build_cleanup(s.conns.tgt, t) < 0 ||
		    marker_delete(s.conns.tgt, s.r->name, t->name) < 0) {
			warn("cannot clean '%s': %s", t->name, db_error(s.conns.tgt));
			rc = EXIT_FAILED;
		} else
			printf("cleaned %s\n", t->name);
		free(id);
	}
out:
	free(sel);
	session_release(&s);
	return rc;
}
