/* cmd_history.c: chacc history: the recipe's runs, or the targets of one run */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

static void
print_rows(const struct store_rows *r, bool json)
{
	if (json) {
		json_t *arr = json_array();
		char *text;

		for (size_t row = 0; row < r->nrows; row++) {
			json_t *obj = json_object();

			for (size_t i = 0; i < r->ncols; i++) {
				const char *v = store_rows_get(r, row, i);

				json_object_set_new(obj, r->names[i], v ? json_string(v) : json_null());
			}
			json_array_append_new(arr, obj);
		}
		text = json_dumps(arr, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(arr);
		return;
	}
	for (size_t i = 0; i < r->ncols; i++)
		printf("%s%s", i ? "\t" : "", r->names[i]);
	printf("\n");
	for (size_t row = 0; row < r->nrows; row++) {
		for (size_t i = 0; i < r->ncols; i++) {
			const char *v = store_rows_get(r, row, i);

			printf("%s%s", i ? "\t" : "", v ? v : "-");
		}
		printf("\n");
	}
}

/* the etl_ tables do not exist: chacc has not written to this database yet */
static bool
no_tables(struct store *st)
{
	char *err = NULL;
	int version = store_schema_version(st, &err);

	free(err);
	return version == 0;
}

int
cmd_history(struct opts *o)
{
	struct session s;
	struct store_rows *r;
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
		r = store_run_targets(s.conns.store, id);
		if (r && r->nrows == 0) {
			store_rows_free(r);
			warn("no run %lld of recipe '%s' (see 'chacc history')", id, s.r->name);
			rc = EXIT_FAILED;
			goto out;
		}
	} else
		r = store_runs(s.conns.store, o->limit);
	if (!r) {
		warn("cannot read the history: %s", store_error(s.conns.store));
		rc = EXIT_FAILED;
		goto out;
	}
	if (r->nrows == 0 && !o->json && no_tables(s.conns.store))
		printf("no runs yet\n");
	else
		print_rows(r, o->json);
	store_rows_free(r);
out:
	session_release(&s);
	return rc;
}
