/* cmd_status.c: chacc status: each target's state, from the target database only */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "graph.h"
#include "marker.h"
#include "recipe.h"
#include "report.h"
#include "session.h"

/* keep the items of the selected targets (not what they need), in order; how many */
static size_t
only_selected(const struct session *s, struct plan_item *items, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (s->selected[items[i].n->id])
			items[kept++] = items[i];
	return kept;
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
	n = only_selected(&s, items, n);
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

