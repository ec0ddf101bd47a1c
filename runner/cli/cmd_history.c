/* cmd_history.c: chacc history: the recipe's runs, or the targets of one run */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "recipe.h"
#include "report.h"
#include "session.h"
#include "store.h"
#include "table.h"
#include "util.h"

/* the cell of row in the column called name, NULL when NULL or no such column */
static const char *
cell(const struct store_rows *r, size_t row, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->names[i], name) == 0)
			return store_rows_get(r, row, i);
	return NULL;
}

/* seconds with one decimal ("" when unknown: the run has not ended) */
static const char *
secs(const char *v, char out[32])
{
	if (!v || !*v)
		return "";
	snprintf(out, 32, "%.1f", atof(v));
	return out;
}

/* the commit a run built from, short, and "+dirty" when the tree differed from it */
static const char *
revision(const char *rev, const char *dirty, char out[32])
{
	bool d = dirty && strcmp(dirty, "0") != 0;

	if (!rev || !*rev)
		return d ? "+dirty" : "";
	snprintf(out, 32, "%.10s%s", rev, d ? "+dirty" : "");
	return out;
}

static void
print_runs(const struct store_rows *r)
{
	static const char *const heads[] = {
		"RUN", "STARTED", "SECONDS", "MODE", "RESULT", "BY", "REVISION", "TARGETS",
	};
	struct table *t = table_new(LEN(heads), heads);

	table_column(t, 0, TABLE_RIGHT);
	table_column(t, 1, TABLE_TIME);
	table_column(t, 2, TABLE_RIGHT);
	table_column(t, 4, TABLE_STATE);
	for (size_t row = 0; row < r->nrows; row++) {
		char s[32], rev[32];
		const char *cells[] = {
			cell(r, row, "run_id"), cell(r, row, "started_at"),
			secs(cell(r, row, "seconds"), s), cell(r, row, "mode"), cell(r, row, "result"),
			cell(r, row, "started_by"),
			revision(cell(r, row, "config_rev"), cell(r, row, "config_dirty"), rev),
			cell(r, row, "selection"),
		};

		table_row(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
}

static void
print_run_targets(const struct store_rows *r)
{
	static const char *const heads[] = {
		"TARGET", "OUTCOME", "REASON", "MODE", "STARTED", "SECONDS", "ROWS", "ATTEMPTS",
	};
	struct table *t = table_new(LEN(heads), heads);

	table_column(t, 1, TABLE_STATE);
	table_column(t, 4, TABLE_TIME);
	table_column(t, 5, TABLE_RIGHT);
	table_column(t, 6, TABLE_RIGHT);
	table_column(t, 7, TABLE_RIGHT);
	for (size_t row = 0; row < r->nrows; row++) {
		char s[32];
		const char *cells[] = {
			cell(r, row, "target"), cell(r, row, "outcome"), cell(r, row, "reason"),
			cell(r, row, "mode"), cell(r, row, "started_at"),
			secs(cell(r, row, "seconds"), s), cell(r, row, "rows"), cell(r, row, "attempts"),
		};
		const char *error = cell(r, row, "error");

		table_row(t, cells);
		if (error && *error)
			table_note(t, "error: %s", error);
	}
	table_print(t, stdout);
	table_free(t);
}

/* the checks of a run, under its targets */
static void
print_run_checks(const struct store_rows *r)
{
	static const char *const heads[] = {
		"TARGET", "CHECK", "SEVERITY", "STATUS", "FAILING", "SECONDS",
	};
	struct table *t;

	if (r->nrows == 0)
		return;
	t = table_new(LEN(heads), heads);
	table_column(t, 3, TABLE_STATE);
	table_column(t, 4, TABLE_RIGHT);
	table_column(t, 5, TABLE_RIGHT);
	printf("\nchecks:\n");
	for (size_t row = 0; row < r->nrows; row++) {
		char s[32];
		const char *cells[] = {
			cell(r, row, "target"), cell(r, row, "check"), cell(r, row, "severity"),
			cell(r, row, "status"), cell(r, row, "failing"), secs(cell(r, row, "seconds"), s),
		};
		const char *detail = cell(r, row, "detail"), *samples = cell(r, row, "samples");
		const char *status = cell(r, row, "status");

		table_row(t, cells);
		if (detail && *detail && status && strcmp(status, "pass") != 0)
			table_note(t, "%s", detail);
		if (samples && *samples && status && strcmp(status, "pass") != 0)
			table_note(t, "sample keys: %s", samples);
	}
	table_print(t, stdout);
	table_free(t);
}

static void
print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2));

	printf("%s\n", text);
	free(text);
	json_decref(j);
}

/* one run: its targets as a table, or as JSON the run with its targets */
static int
history_run(struct session *s, const struct opts *o)
{
	char *end, *err = NULL;
	long long id = strtoll(o->args[0], &end, 10);
	struct store_rows *r;
	json_t *j;

	if (*end || id <= 0) {
		warning("invalid run id '%s'", o->args[0]);
		return EXIT_USAGE;
	}
	if (o->json) {
		if ((j = report_run(s, id, &err)))
			print_json(j);
		else if (err)
			warning("%s", err);
		else
			warning("no run %lld of recipe '%s' (see 'chacc history')", id, s->r->name);
		free(err);
		return j ? EXIT_OK : EXIT_FAILED;
	}
	if (!(r = store_run_targets(s->conns.store, id))) {
		warning("cannot read the history: %s", store_error(s->conns.store));
		return EXIT_FAILED;
	}
	if (r->nrows == 0) {
		store_rows_free(r);
		warning("no run %lld of recipe '%s' (see 'chacc history')", id, s->r->name);
		return EXIT_FAILED;
	}
	print_run_targets(r);
	store_rows_free(r);
	if ((r = store_checks_of_run(s->conns.store, id))) {
		print_run_checks(r);
		store_rows_free(r);
	}
	return EXIT_OK;
}

/* the runs that match the filter (--mode, --result, --since, --until): their newest, and how many match */
static int
history_find(struct session *s, const struct opts *o, const struct store_runs_filter *f)
{
	struct store_rows *r;
	long long total = 0;
	char *err = NULL;
	json_t *j;

	if (o->json) {
		if (!(j = report_runs_find(s, f, &total, &err))) {
			warning("%s", err);
			free(err);
			return EXIT_FAILED;
		}
		print_json(j);
		return EXIT_OK;
	}
	if (!(r = store_runs_find(s->conns.store, f, &total))) {
		warning("cannot read the history: %s", store_error(s->conns.store));
		return EXIT_FAILED;
	}
	if (r->nrows == 0)
		printf("no runs match\n");
	else
		print_runs(r);
	if (total > (long long)r->nrows)
		printf("the newest %zu of %lld matching runs (-l N for more)\n", r->nrows, total);
	store_rows_free(r);
	return EXIT_OK;
}

/* the newest runs: a table ("no runs yet" when there is none), or JSON numbers as numbers */
static int
history_runs(struct session *s, const struct opts *o, const struct store_runs_filter *f)
{
	struct store_rows *r;
	char *err = NULL;
	json_t *j;

	if (f->mode || f->result || f->from || f->until)
		return history_find(s, o, f);
	if (o->json) {
		if (!(j = report_runs(s, o->limit, &err))) {
			warning("%s", err);
			free(err);
			return EXIT_FAILED;
		}
		print_json(j);
		return EXIT_OK;
	}
	if (!(r = store_runs(s->conns.store, o->limit))) {
		warning("cannot read the history: %s", store_error(s->conns.store));
		return EXIT_FAILED;
	}
	if (r->nrows == 0)
		printf("no runs yet\n");
	else
		print_runs(r);
	store_rows_free(r);
	return EXIT_OK;
}

int
cmd_history(struct opts *o)
{
	static const char *const names[4] = { "--mode", "--result", "--since", "--until" };
	struct store_runs_filter f = { 0 };
	char from[TS_LEN], until[TS_LEN], *err = NULL;
	struct session s;
	int rc;

	if (store_runs_filter_parse(&f, names, o->mode, o->result, o->since, o->until, from, until,
	                            &err) < 0) {
		warning("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	if (o->nargs > 0 && (f.mode || f.result || f.from || f.until)) {
		warning("a run's targets are not filtered: give RUN or the filter, not both");
		return EXIT_USAGE;
	}
	f.limit = o->limit;
	if ((rc = open_session(&s, o, true)) == EXIT_OK)
		rc = o->nargs > 0 ? history_run(&s, o) : history_runs(&s, o, &f);
	session_release(&s);
	return rc;
}
