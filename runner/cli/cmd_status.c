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
#include "table.h"
#include "util.h"

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

/* the latest checks of target in words: "3 pass", "1 fail, 2 pass"; "" when none */
static void
checks_cell(json_t *latest, const char *target, char *out, size_t size)
{
	static const char *const order[] = { "fail", "error", "warn", "pass" };
	json_t *sum = latest ? report_checks_summary(latest, target) : NULL;
	size_t len = 0;

	*out = '\0';
	for (size_t k = 0; sum && k < LEN(order); k++) {
		json_int_t n = json_integer_value(json_object_get(sum, order[k]));

		if (n > 0 && len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%lld %s", len ? ", " : "",
			                        (long long)n, order[k]);
	}
	json_decref(sum);
}

/* the sites of a target that reads a group: "20 ok" or "1 of 20 failed"; "" for none */
static void
sites_cell(json_t *sites, char *out, size_t size)
{
	size_t failed = report_sites_failed(sites), n = json_array_size(sites);

	*out = '\0';
	if (n && failed)
		snprintf(out, size, "%zu of %zu failed", failed, n);
	else if (n)
		snprintf(out, size, "%zu ok", n);
}

/* at most this many lines of failed sites under a target */
#define SITE_NOTES 10

/* a line under the target per site that failed: when, why, and its last success */
static void
sites_notes(struct table *t, json_t *sites, const char *now)
{
	size_t i, shown = 0, failed = report_sites_failed(sites);
	json_t *x;

	json_array_foreach(sites, i, x) {
		const char *site = json_string_value(json_object_get(x, "site"));
		const char *error = json_string_value(json_object_get(x, "error"));
		const char *at = json_string_value(json_object_get(x, "last_attempt"));
		const char *ok = json_string_value(json_object_get(x, "last_success"));
		double age = now && at ? report_age(at, now) : -1;
		char ago[32] = "", when[20], last[20];

		if (strcmp(json_string_value(json_object_get(x, "state")), "ok") == 0)
			continue;
		if (shown++ == SITE_NOTES) {
			table_note(t, "and %zu more failed sites ('chacc status --json' lists them)",
			           failed - SITE_NOTES);
			break;
		}
		if (age >= 0)
			snprintf(ago, sizeof(ago), " %s ago", report_age_words(age, when, sizeof(when)));
		table_note(t, "site %s  failed%s: %s (%s%s)", site, ago, error ? error : "no error recorded",
		           ok ? "last success " : "never read", ok ? out_seconds(ok, last) : "");
	}
}

/* the state of each item as aligned columns, with its run or error below it */
static void
print_status(struct session *s, const struct plan_item *items, size_t n)
{
	static const char *const heads[] = {
		"TARGET", "STATE", "BUILT", "CHANGED", "ROWS", "WATERMARK", "CHECKS", "SITES",
	};
	char *err = NULL, *now = NULL;
	json_t *latest = report_checks_latest(s, NULL, &err), *sites;
	struct table *t;
	size_t unchecked = 0, never = 0;
	bool any = false;

	free(err);
	err = NULL;
	sites = report_sites(s, NULL, &err);
	free(err);
	for (size_t i = 0; sites && i < n; i++)
		any |= json_object_get(sites, items[i].n->t->name) != NULL;
	/* the column SITES only when a target shown reads a group of sites */
	t = table_new(any ? LEN(heads) : LEN(heads) - 1, heads);
	if (any)
		now = report_now(s);

	table_column(t, 1, TABLE_STATE);
	table_column(t, 2, TABLE_TIME);
	table_column(t, 3, TABLE_TIME);
	table_column(t, 4, TABLE_RIGHT);
	report_check_building(s, items, n);
	for (size_t i = 0; i < n; i++) {
		const struct marker *m = &s->markers[items[i].n->id];
		const char *state = report_state(m, &items[i]);
		json_t *its = sites ? json_object_get(sites, items[i].n->t->name) : NULL;
		char rows[32] = "", checks[64] = "", site[64] = "";
		const char *cells[] = {
			items[i].n->t->name, state, m->built_at, m->changed_at, rows, m->watermark,
			checks, site,
		};

		if (report_rows_known(m))
			snprintf(rows, sizeof(rows), "%lld", m->rows);
		checks_cell(latest, items[i].n->t->name, checks, sizeof(checks));
		sites_cell(its, site, sizeof(site));
		table_row(t, cells);
		if (m->building && m->building_run > 0) {
			char since[20];

			table_note(t, "building in run %lld since %s", m->building_run,
			           out_seconds(m->building_since, since));
		}
		if (m->error && strcmp(m->status, "running") != 0 &&
		    (strcmp(state, "failed") == 0 || strcmp(state, "interrupted") == 0))
			table_note(t, "error: %s", m->error);
		sites_notes(t, its, now);
		unchecked += items[i].unchecked && strcmp(state, "ok") == 0;
		never += !m->present && !m->table_exists;
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(latest);
	json_decref(sites);
	free(now);
	if (unchecked)
		printf("%zu incremental extract%s: source not checked ('chacc plan' asks the sources)\n",
		       unchecked, unchecked == 1 ? "" : "s");
	if (never)
		printf("%zu of %zu target%s never built ('chacc build' builds %s)\n", never, n,
		       n == 1 ? "" : "s", never == 1 ? "it" : "them");
}

int
cmd_status(struct opts *o)
{
	struct session s;
	struct node **order = NULL;
	struct plan_item *items = NULL;
	size_t n = 0;
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
	if (o->json) {
		json_t *arr = report_status(&s, items, n);
		char *text = json_dumps(arr, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
		json_decref(arr);
	} else
		print_status(&s, items, n);
out:
	free(order);
	free(items);
	session_release(&s);
	return rc;
}
