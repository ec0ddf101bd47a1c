/* quality.c: chacc test and chacc profile on live tables, as data (quality.h) */
#include "quality.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "diag.h"
#include "graph.h"
#include "log.h"
#include "recipe.h"
#include "run.h"
#include "store.h"
#include "util.h"

static struct db *
other_conn(void *arg, const char *name, char **err)
{
	struct session *s = arg;

	return conns_get(&s->conns, name, err, NULL);
}

static void
count_statuses(struct test_result *out, const struct test_target *tt)
{
	for (size_t i = 0; i < tt->n; i++)
		switch (tt->res[i].status) {
		case CHECK_PASS: out->passed++; break;
		case CHECK_WARN: out->warned++; break;
		case CHECK_FAIL: out->failed++; break;
		case CHECK_ERROR: out->errors++; break;
		}
}

/* check one target's live table */
static void
test_one(struct session *s, long long run, const struct marker *m, const struct target *t,
         struct test_target *tt)
{
	const struct check_result *stop;
	double started = now_seconds();
	struct check_ctx x = {
		.d = s->conns.tgt, .r = s->r, .t = t, .table = t->name, .conn = other_conn, .arg = s,
	};
	struct profile prev = { 0 };

	for (size_t i = 0; i < t->nchecks; i++)
		if (t->checks[i].kind == CHECK_DRIFT) {
			if (profile_stored(s->conns.store, t->name, &prev, NULL))
				x.prev = &prev;
			break;
		}
	tt->blocking = checks_run(&x, &tt->res, &tt->n);
	stop = checks_blocking(tt->res, tt->n);
	if (checks_record(s->conns.store, run, t->name, tt->res, tt->n) < 0)
		diag_warn(s->diags, "cannot record the checks of '%s': %s", t->name,
		          store_error(s->conns.store));
	store_run_target_record(s->conns.store, run, t->name, "test", NULL, started, now_seconds(),
	                        m->rows, 1, stop ? "failed" : "ok",
	                        stop ? stop->detail : NULL);
	profile_clear(&prev);
}

void
quality_test(const struct run_request *rq, struct test_result *out)
{
	struct session s;
	struct node **sel = NULL;
	long nsel;
	char *who = NULL, *text = NULL;

	memset(out, 0, sizeof(*out));
	if ((out->outcome = session_open(&s, rq, true)) != OUTCOME_OK)
		goto done;
	if ((nsel = session_select(&s, rq->targets, rq->ntargets, rq->exclude, rq->nexclude,
	                           &sel)) < 0) {
		out->outcome = OUTCOME_BAD_REQUEST;
		goto done;
	}
	if ((out->outcome = session_upgrade(&s)) != OUTCOME_OK)
		goto done;
	who = run_started_by(rq);
	text = run_selection_text(rq);
	out->run_id = store_run_begin(s.conns.store, "test", text, who, s.config_rev,
	                              s.config_dirty);
	if (out->run_id < 0) {
		diag_error(rq->diags, "cannot record the run in etl_runs: %s",
		           store_error(s.conns.store));
		out->run_id = 0;
		out->outcome = OUTCOME_UNREACHABLE;
		goto done;
	}
	out->v = xcalloc((size_t)nsel + 1, sizeof(*out->v));
	for (long i = 0; i < nsel; i++) {
		const struct marker *m = &s.markers[sel[i]->id];
		struct test_target *tt;

		if (sel[i]->t->nchecks == 0)
			continue;
		tt = &out->v[out->n++];
		tt->name = xstrdup(sel[i]->t->name);
		if (!m->table_exists) {
			tt->missing = true;
			diag_warn(rq->diags, "target '%s': its table does not exist yet: not checked"
			          " ('chacc build %s' builds it)", tt->name, tt->name);
			continue;
		}
		test_one(&s, out->run_id, m, sel[i]->t, tt);
		count_statuses(out, tt);
		if (tt->blocking)
			out->outcome = OUTCOME_FAILED;
	}
	store_run_end(s.conns.store, out->run_id,
	              out->outcome == OUTCOME_OK ? "success" : "failed");
	store_unlock_run(s.conns.store, out->run_id);
done:
	session_release(&s);
	free(sel);
	free(who);
	free(text);
}

void
test_result_release(struct test_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		check_results_free(r->v[i].res, r->v[i].n);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void
quality_profile(const struct run_request *rq, const char *target, bool record,
                struct profile_result *out)
{
	struct session s;
	const struct target *t;
	struct profile prev = { 0 };
	struct node *n;

	memset(out, 0, sizeof(*out));
	if ((out->outcome = session_open(&s, rq, true)) != OUTCOME_OK)
		goto done;
	/* an unknown name is said as selectors say it, with the nearest one */
	if (!(t = recipe_target(s.r, target)) || !(n = graph_find(s.g, target))) {
		char *names[] = { (char *)target };
		struct node **sel = NULL;

		if (session_select(&s, names, 1, NULL, 0, &sel) >= 0)
			diag_error(rq->diags, "'%s' is not a target's name: profile takes one target",
			           target);
		free(sel);
		out->outcome = OUTCOME_BAD_REQUEST;
		goto done;
	}
	if (!s.markers[n->id].table_exists) {
		diag_error(rq->diags, "target '%s': its table does not exist yet ('chacc build %s'"
		           " builds it)", target, target);
		out->outcome = OUTCOME_FAILED;
		goto done;
	}
	if (record && (out->outcome = session_upgrade(&s)) != OUTCOME_OK)
		goto done;
	out->has_prev = profile_stored(s.conns.store, target, &prev, out->prev_at);
	if (profile_table(s.conns.tgt, target, &out->cur) < 0) {
		diag_error(rq->diags, "target '%s': cannot profile its table: %s", target,
		           db_error(s.conns.tgt));
		out->outcome = OUTCOME_FAILED;
		goto done;
	}
	if (out->has_prev)
		out->ndrift = profile_drift(&prev, &out->cur, &drift_defaults, &out->drift);
	if (record) {
		char *json = profile_to_json(&out->cur);

		if (store_profile_record(s.conns.store, 0, target, out->cur.rows, json) < 0)
			diag_warn(rq->diags, "cannot record the profile of '%s': %s", target,
			          store_error(s.conns.store));
		free(json);
	}
done:
	profile_clear(&prev);
	session_release(&s);
}

void
profile_result_release(struct profile_result *r)
{
	profile_clear(&r->cur);
	for (size_t i = 0; i < r->ndrift; i++)
		free(r->drift[i]);
	free(r->drift);
	memset(r, 0, sizeof(*r));
}
