/* web_sites.c: the sites of a target that reads a group, in the REST API */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "report.h"
#include "session.h"
#include "util.h"
#include "web.h"

/* GET /api/targets/NAME/sites: its sites as report_sites() gives them ([] when it has none) */
static void
target_sites(struct web_req *rq, struct web_reply *rp, const char *name)
{
	struct session s;
	char *err = NULL;
	json_t *all, *list;

	if (web_session(rq, rp, &s, true) < 0)
		return;
	if (!graph_find(s.g, name))
		web_error(rp, 404, "unknown target '%s'", name);
	else if (!(all = report_sites(&s, name, &err)))
		web_error(rp, 503, "%s", err);
	else {
		/* the error texts come from the sources' servers: web_json scrubs them */
		list = json_object_get(all, name);
		web_json(rp, 200, list ? json_incref(list) : json_array());
		json_decref(all);
	}
	free(err);
	session_release(&s);
}

bool
api_target_sites(struct web_req *rq, struct web_reply *rp)
{
	const char *slash = strchr(rq->rest, '/');
	char *name;

	if (!slash || strcmp(slash + 1, "sites") != 0)
		return false;
	name = xstrndup(rq->rest, (size_t)(slash - rq->rest));
	target_sites(rq, rp, name);
	free(name);
	return true;
}
