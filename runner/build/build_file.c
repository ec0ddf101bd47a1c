/* build_file.c: file targets: the rows of a CSV or JSON file of the project, into a shadow swapped in */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "recipe.h"
#include "seed.h"
#include "util.h"

/* create the shadow with the seed's columns and types */
static int
create_shadow(struct build *b, const struct seed *s, const char *shadow, struct db_names *names)
{
	char **types = xcalloc(s->ncols + 1, sizeof(*types));
	int rc = 0;

	for (size_t i = 0; i < s->ncols; i++) {
		names->v[i] = s->cols[i].name;
		types[i] = s->cols[i].type;
	}
	if (db_create_table(b->tgt, shadow, names, types) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot create its table from file '%s'",
		               b->t->name, b->t->data);
	free(types);
	return rc;
}

/* load the seed's rows; a row the server refuses is named by its line in the file */
static int
load_rows(struct build *b, const struct seed *s, const char *shadow, const struct db_names *names)
{
	long long bad = -1;

	if (db_insert_values(b->tgt, shadow, names, s->values, s->nrows, &bad) == 0)
		return 0;
	if (bad >= 0 && (size_t)bad < s->nrows)
		return bops_fail(b, b->tgt, "target '%s': file '%s' line %d", b->t->name, b->t->data,
		                 s->lines[bad]);
	return bops_fail(b, b->tgt, "target '%s': cannot load the rows of file '%s'", b->t->name,
	                 b->t->data);
}

int
build_file(struct build *b)
{
	const struct target *t = b->t;
	const struct seed *s = t->seed;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name);
	struct db_names names = { 0 };
	int rc = -1;

	if (!s) {
		free(shadow);
		return bops_fail(b, NULL, "target '%s': file '%s' was not read", t->name,
		                 t->data ? t->data : "?");
	}
	names.v = xcalloc(s->ncols + 1, sizeof(*names.v));
	names.n = s->ncols;
	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (create_shadow(b, s, shadow, &names) < 0 || bops_shape_shadow(b, shadow) < 0 ||
	    load_rows(b, s, shadow, &names) < 0)
		goto out;
	b->res->live.moved = b->res->rows = (long long)s->nrows;
	bops_fault_point("after-load", t->name);
	if (bops_restat(b, shadow, (long long)s->nrows) < 0 || bops_add_indexes(b, shadow) < 0 ||
	    bops_checks(b, shadow, NULL, false) < 0 || bops_swap(b, shadow) < 0 ||
	    bops_finish(b) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(names.v);
	free(shadow);
	return rc;
}
