/* web_quality.c: a target's data quality in the REST API: its latest check results and its newest profile */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "recipe.h"
#include "report.h"
#include "session.h"
#include "store.h"
#include "util.h"
#include "web.h"

/* the session of a request about target name, its node; NULL after replying (404 for an unknown target) */
static const struct node *
target_session(struct web_req *rq, struct web_reply *rp, struct session *s, const char *name)
{
	const struct node *nd;

	if (web_session(rq, rp, s, true) < 0)
		return NULL;
	if (!(nd = graph_find(s->g, name))) {
		web_error(rp, 404, "unknown target '%s'", name);
		session_release(s);
		return NULL;
	}
	return nd;
}

/*
 * GET /api/targets/NAME/checks: {"target", "defined": how many checks the
 * recipe gives it, "checks": the latest result of each check}
 */
static void
target_checks(struct web_req *rq, struct web_reply *rp, const char *name)
{
	struct session s;
	const struct node *nd;
	char *err = NULL;
	json_t *latest;

	if (!(nd = target_session(rq, rp, &s, name)))
		return;
	if ((latest = report_checks_latest(&s, name, &err)))
		web_json(rp, 200, json_pack("{s:o, s:I, s:o}", "target", web_jstr(name), "defined",
		                            (json_int_t)nd->t->nchecks, "checks", latest));
	else
		web_error(rp, 503, "%s", err);
	free(err);
	session_release(&s);
}

/* row 0 of store_profiles' r: the stored profile with run_id and profiled_at, or NULL */
static json_t *
profile_json(const struct store_rows *r)
{
	json_t *j = NULL;

	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->names[i], "profile") == 0 && store_rows_get(r, 0, i))
			j = json_loads(store_rows_get(r, 0, i), 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	for (size_t i = 0; i < r->ncols; i++) {
		const char *v = store_rows_get(r, 0, i);

		/* a profile of chacc profile has no run */
		if (strcmp(r->names[i], "run_id") == 0)
			json_object_set_new(j, "run_id", v && atoll(v) > 0 ? json_integer(atoll(v)) :
			                    json_null());
		else if (strcmp(r->names[i], "profiled_at") == 0)
			json_object_set_new(j, "profiled_at", web_jstr(v));
	}
	return j;
}

/* GET /api/targets/NAME/profile: its newest profile (404 when it has none) */
static void
target_profile(struct web_req *rq, struct web_reply *rp, const char *name)
{
	struct session s;
	struct store_rows *r;
	json_t *j;

	if (!target_session(rq, rp, &s, name))
		return;
	if (!(r = store_profiles(s.conns.store, name, 1)))
		web_error(rp, 503, "cannot read the profiles: %s", store_error(s.conns.store));
	else if (r->nrows == 0)
		web_error(rp, 404, "target '%s' has no profile yet: chacc profile %s makes one",
		          name, name);
	else if (!(j = profile_json(r)))
		web_error(rp, 503, "the profile of target '%s' cannot be read", name);
	else
		web_json(rp, 200, j);
	store_rows_free(r);
	session_release(&s);
}

bool
api_target_quality(struct web_req *rq, struct web_reply *rp)
{
	const char *slash = strchr(rq->rest, '/');
	char *name;

	if (!slash)
		return false;
	name = xstrndup(rq->rest, (size_t)(slash - rq->rest));
	if (strcmp(slash + 1, "checks") == 0)
		target_checks(rq, rp, name);
	else if (strcmp(slash + 1, "profile") == 0)
		target_profile(rq, rp, name);
	else
		web_error(rp, 404, "no such page '%s'", rq->path);
	free(name);
	return true;
}
