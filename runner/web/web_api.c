/* web_api.c: the read side of the REST API: targets (with their sites), status, plan, graph, runs, metrics */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "marker.h"
#include "plan.h"
#include "recipe.h"
#include "report.h"
#include "run.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "web.h"

static bool
arg_flag(struct web_req *rq, const char *name)
{
	const char *v = web_arg(rq, name);

	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "") == 0);
}

/* plan o's selection; replies and returns -1 on failure */
static int
plan(struct web_req *rq, struct web_reply *rp, struct session *s, const struct run_request *o,
     struct node ***order, size_t *n, struct plan_item **items)
{
	long count = run_plan(s, o, order, n, items);

	if (count == -2) {
		web_diag_error(rp, 400, NULL, &rq->diags, "unknown targets");
		return -1;
	}
	if (count < 0) {
		web_diag_error(rp, 503, "cannot plan", &rq->diags, "a source cannot be asked");
		return -1;
	}
	return 0;
}

static json_t *
strlist_json(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, web_jstr(l->v[i]));
	return a;
}

static json_t *
needs_json(const struct node *nd)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nd->nneeds; i++)
		json_array_append_new(a, web_jstr(nd->needs[i]->t->name));
	return a;
}

/* the status of every planned item, with the dashboard's extra fields */
static json_t *
targets_json(struct session *s, struct plan_item *items, size_t n)
{
	json_t *arr = report_status(s, items, n);

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i);
		const struct node *nd = items[i].n;
		const struct marker *m = &s->markers[nd->id];

		json_object_set_new(o, "kind", web_jstr(kind_name(nd->t->kind)));
		json_object_set_new(o, "needs", needs_json(nd));
		json_object_set_new(o, "incremental", json_boolean(nd->t->incr.enabled));
		if (items[i].reason != REASON_NONE)
			json_object_set_new(o, "mode", web_jstr(items[i].full ? "full" :
			                                           "incremental"));
		if (m->present) {
			json_object_set_new(o, "duration", json_real(m->duration));
			json_object_set_new(o, "last_run_id", json_integer(m->run_id));
			json_object_set_new(o, "status", web_jstr(m->status));
		}
	}
	return arr;
}

void
api_targets(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct run_request o = { 0 };
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;

	if (web_session(rq, rp, &s, true) < 0)
		return;
	s.ps.offline = true;  /* states from the target database only, as 'chacc status' */
	if (plan(rq, rp, &s, &o, &order, &n, &items) == 0) {
		char *now = report_now(&s);

		web_json(rp, 200, json_pack("{s:o, s:o, s:o}", "recipe", web_jstr(s.r->name), "now",
		                            web_jstr(now), "targets", targets_json(&s, items, n)));
		free(now);
	}
	free(order);
	free(items);
	session_release(&s);
}

void
api_status(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct run_request o = { 0 };
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;

	if (web_session(rq, rp, &s, true) < 0)
		return;
	s.ps.offline = true;
	if (plan(rq, rp, &s, &o, &order, &n, &items) == 0)
		web_json(rp, 200, report_status(&s, items, n));
	free(order);
	free(items);
	session_release(&s);
}

/* "a,b,c" into o's target names; the strings point into a copy in *keep */
static void
split_targets(const char *list, struct run_request *o, char **keep)
{
	char *p, *tok, *save = NULL;

	*keep = list ? xstrdup(list) : NULL;
	if (!*keep)
		return;
	for (p = *keep; (tok = strtok_r(p, ",", &save)); p = NULL) {
		if (!*tok)
			continue;
		o->targets = xreallocarray(o->targets, o->ntargets + 1, sizeof(*o->targets));
		o->targets[o->ntargets++] = tok;
	}
}

void
api_plan(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct run_request o = { 0 };
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
	char *keep = NULL;

	o.full_refresh = arg_flag(rq, "full_refresh");
	o.force = arg_flag(rq, "force");
	o.since = web_arg(rq, "since");
	if (run_check_since(o.since, &rq->diags) < 0) {
		web_diag_error(rp, 400, NULL, &rq->diags, "invalid date");
		return;
	}
	if (web_session(rq, rp, &s, true) < 0)
		return;
	split_targets(web_arg(rq, "targets"), &o, &keep);
	if (plan(rq, rp, &s, &o, &order, &n, &items) == 0)
		web_json(rp, 200, report_plan(items, n));
	free(o.targets);
	free(keep);
	free(order);
	free(items);
	session_release(&s);
}

/* a file the recipe names, relative to the working directory, with its text when the UI may show it */
static json_t *
file_json(const struct recipe *r, const char *role, const char *rel)
{
	char *path = web_path_norm(r->dir, rel), *err = NULL, *ok;
	json_t *o = json_pack("{s:s, s:o}", "role", role, "path", web_jstr(path));
	int status;

	ok = web_path_check(path, true, &status, &err);
	if (ok) {
		size_t len;
		char *text = readfile(ok, &len);
		const char *why = text ? web_file_refusal(text, len) : NULL;

		if (why) {
			json_object_set_new(o, "note", web_jstr(why));
			free(ok);
			ok = NULL;
		} else if (text)
			json_object_set_new(o, "text", json_stringn(text, len));
		free(text);
		json_object_set_new(o, "editable", json_boolean(ok != NULL));
	} else {
		json_object_set_new(o, "editable", json_false());
		json_object_set_new(o, "note", web_jstr(err));
	}
	free(ok);
	free(err);
	free(path);
	return o;
}

static json_t *
definition_json(const struct recipe *r, const struct node *nd)
{
	const struct target *t = nd->t;
	json_t *o = json_pack("{s:o, s:s}", "name", web_jstr(t->name), "kind", kind_name(t->kind));
	json_t *users = json_array(), *idx = json_array(), *files = json_array();

	if (t->from)
		json_object_set_new(o, "from", web_jstr(t->from));
	json_object_set_new(o, "needs", needs_json(nd));
	for (size_t i = 0; i < nd->nusers; i++)
		json_array_append_new(users, web_jstr(nd->users[i]->t->name));
	json_object_set_new(o, "users", users);
	json_object_set_new(o, "key", strlist_json(&t->key));
	for (size_t i = 0; i < t->nindexes; i++)
		json_array_append_new(idx, strlist_json(&t->indexes[i]));
	json_object_set_new(o, "indexes", idx);
	json_object_set_new(o, "tags", strlist_json(&t->tags));
	if (t->incr.enabled) {
		json_t *inc = json_object();

		if (t->incr.column)
			json_object_set_new(inc, "column", web_jstr(t->incr.column));
		if (t->incr.deleted)
			json_object_set_new(inc, "deleted", web_jstr(t->incr.deleted));
		if (t->kind == KIND_EXTRACT)
			json_object_set_new(inc, "lookback", json_real(t->incr.lookback));
		json_object_set_new(o, "incremental", inc);
	} else
		json_object_set_new(o, "incremental", json_false());
	if (t->call)
		json_object_set_new(o, "call", web_jstr(t->call));
	json_object_set_new(o, "retries", json_integer(t->retries));
	json_object_set_new(o, "retry_delay", json_real(t->retry_delay));
	json_object_set_new(o, "timeout", json_real(t->timeout));
	json_object_set_new(o, "file", web_jstr(t->file));
	json_object_set_new(o, "line", json_integer(t->line));
	if (t->query)
		json_array_append_new(files, file_json(r, "query", t->query));
	if (t->script)
		json_array_append_new(files, file_json(r, "script", t->script));
	if (t->create)
		json_array_append_new(files, file_json(r, "create", t->create));
	if (t->incr.probe)
		json_array_append_new(files, file_json(r, "probe", t->incr.probe));
	json_object_set_new(o, "files", files);
	return o;
}

void
api_target(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct run_request o = { 0 };
	struct node **order = NULL, *nd;
	struct plan_item *items = NULL;
	size_t n = 0;
	char *name = xstrdup(rq->rest), *err = NULL;
	json_t *def = NULL, *runs;

	if (api_target_sites(rq, rp) || api_target_quality(rq, rp)) {
		free(name);
		return;
	}
	if (web_session(rq, rp, &s, true) < 0)
		goto out;
	if (!(nd = graph_find(s.g, name))) {
		web_error(rp, 404, "unknown target '%s'", name);
		goto out;
	}
	o.targets = &name;
	o.ntargets = 1;
	s.ps.offline = true;
	if (plan(rq, rp, &s, &o, &order, &n, &items) < 0)
		goto out;
	def = definition_json(s.r, nd);
	for (size_t i = 0; i < n; i++) {
		json_t *st;

		if (items[i].n != nd)
			continue;
		st = targets_json(&s, &items[i], 1);
		json_object_update(def, json_array_get(st, 0));
		json_decref(st);
	}
	if (!(runs = report_target_runs(&s, name, 20, &err))) {
		web_error(rp, 503, "%s", err);
		goto out;
	}
	json_object_set_new(def, "runs", runs);
	web_json(rp, 200, def);
	def = NULL;
out:
	json_decref(def);
	free(err);
	free(order);
	free(items);
	free(name);
	session_release(&s);
}

void
api_graph(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct run_request o = { 0 };
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
	json_t *nodes = json_array(), *res;
	const char *problem = NULL;

	if (web_session(rq, rp, &s, false) < 0) {
		json_decref(nodes);
		return;
	}
	/* the picture is drawn without the database too; states need it */
	s.ps.offline = true;
	if (session_connect(&s) != OUTCOME_OK || run_plan(&s, &o, &order, &n, &items) < 0)
		problem = web_messages(rq);
	res = json_pack("{s:o}", "recipe", web_jstr(s.r->name));
	for (size_t i = 0; i < s.g->nnodes; i++) {
		const struct node *nd = &s.g->nodes[i];
		json_t *obj = json_pack("{s:o, s:s, s:o}", "name", web_jstr(nd->t->name), "kind",
		                        kind_name(nd->t->kind), "needs", needs_json(nd));
		const char *state = "unknown";

		json_object_set_new(obj, "tags", strlist_json(&nd->t->tags));

		for (size_t j = 0; !problem && j < n; j++)
			if (items[j].n == nd) {
				state = report_state(&s.markers[nd->id], &items[j]);
				if (items[j].reason != REASON_NONE)
					json_object_set_new(obj, "reason",
					                    web_jstr(reason_name(items[j].reason)));
			}
		json_object_set_new(obj, "state", web_jstr(state));
		if (!problem && s.markers[nd->id].present)
			json_object_set_new(obj, "rows", json_integer(s.markers[nd->id].rows));
		json_array_append_new(nodes, obj);
	}
	json_object_set_new(res, "nodes", nodes);
	if (problem) {
		json_object_set_new(res, "error", web_jstr(*problem ? problem :
		                                               "the target database cannot be reached"));
		json_object_set_new(res, "diagnostics", web_diags_json(&rq->diags));
	}
	web_json(rp, 200, res);
	free(order);
	free(items);
	session_release(&s);
}

/* a count argument from least to most (above it: most), or def when absent; -1 after replying 400 */
static long
arg_count(struct web_req *rq, struct web_reply *rp, const char *name, long def, long least,
          long most)
{
	const char *v = web_arg(rq, name);
	char *end;
	long n;

	if (!v)
		return def;
	n = strtol(v, &end, 10);
	if (!*v || *end || n < least) {
		web_error(rp, 400, "invalid %s '%s': expected a number from %ld", name, v, least);
		return -1;
	}
	return n > most ? most : n;
}

/*
 * the runs of the recipe, newest first, filtered by mode, result and the
 * dates they started (store_runs_filter_parse); page and per_page ask for a
 * page, answered as {"runs", "total", "page", "per_page", "pages"}, else
 * limit and offset and the runs alone
 */
void
api_runs(struct web_req *rq, struct web_reply *rp)
{
	static const char *const names[4] = { "mode", "result", "from", "to" };
	struct store_runs_filter f;
	struct session s;
	char from[TS_LEN], until[TS_LEN], *err = NULL;
	bool paged = web_arg(rq, "page") || web_arg(rq, "per_page");
	long page = arg_count(rq, rp, "page", 1, 1, 1000000), per = 0, limit = 0, offset = 0;
	long long total = 0;
	json_t *runs;

	if (page < 0 || (per = arg_count(rq, rp, "per_page", 50, 1, 500)) < 0 ||
	    (limit = arg_count(rq, rp, "limit", 50, 1, 1000)) < 0 ||
	    (offset = arg_count(rq, rp, "offset", 0, 0, 1000000000L)) < 0)
		return;
	memset(&f, 0, sizeof(f));
	if (store_runs_filter_parse(&f, names, web_arg(rq, "mode"), web_arg(rq, "result"),
	                            web_arg(rq, "from"), web_arg(rq, "to"), from, until, &err) < 0) {
		web_error(rp, 400, "%s", err);
		free(err);
		return;
	}
	f.limit = paged ? per : limit;
	f.offset = paged ? (page - 1) * per : offset;
	if (web_session(rq, rp, &s, true) < 0)
		return;
	if (!(runs = report_runs_find(&s, &f, &total, &err)))
		web_error(rp, 503, "%s", err);
	else if (!paged)
		web_json(rp, 200, runs);
	else
		web_json(rp, 200, json_pack("{s:o, s:I, s:i, s:i, s:I}", "runs", runs, "total",
		                            (json_int_t)total, "page", (int)page, "per_page", (int)per,
		                            "pages", (json_int_t)((total + per - 1) / per)));
	free(err);
	session_release(&s);
}

void
api_run(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	char *end, *err = NULL;
	long long id = strtoll(rq->rest, &end, 10);
	json_t *run;

	if (id <= 0 || *end) {
		web_error(rp, 404, "no such page '%s': a run id is a positive number", rq->path);
		return;
	}
	if (web_session(rq, rp, &s, true) < 0)
		return;
	if ((run = report_run(&s, id, &err)))
		web_json(rp, 200, run);
	else if (err)
		web_error(rp, 503, "%s", err);
	else
		web_error(rp, 404, "no run %lld of recipe '%s'", id, s.r->name);
	free(err);
	session_release(&s);
}

void
api_metrics(struct web_req *rq, struct web_reply *rp)
{
	struct session s;
	struct buf b;
	char *err = NULL;

	if (web_session(rq, rp, &s, true) < 0) {
		static const char msg[] = "# the target database cannot be reached\n";

		web_text(rp, 503, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
		return;
	}
	buf_init(&b);
	buf_adds(&b, "");
	if (report_metrics(&s, &b, &err) == 0)
		web_text(rp, 200, "text/plain; version=0.0.4; charset=utf-8", b.s, b.len);
	else
		web_error(rp, 503, "%s", err);
	buf_release(&b);
	free(err);
	session_release(&s);
}
