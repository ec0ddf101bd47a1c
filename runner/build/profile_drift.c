/* profile_drift.c: what changed between two profiles of a table that deserves a warning */
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

/* new values told per column at most */
#define NEW_VALUES_MAX 5

const struct drift_opts drift_defaults = { 0.10, 0.05, true };

struct drifts {
	char **v;
	size_t n;
};

static void
add(struct drifts *d, char *sentence)
{
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n++] = sentence;
}

/* a percentage with one decimal, without a trailing ".0": "25", "12.5" */
static char *
percent(double fraction, bool decimal)
{
	char *s = xasprintf("%.1f", fraction * 100);
	size_t n = strlen(s);

	if (!decimal && n > 2 && strcmp(s + n - 2, ".0") == 0)
		s[n - 2] = '\0';
	return s;
}

static const struct profile_col *
find_col(const struct profile *p, const char *name)
{
	for (size_t i = 0; i < p->ncols; i++)
		if (strcmp(p->cols[i].name, name) == 0)
			return &p->cols[i];
	return NULL;
}

static bool
had_value(const struct profile_col *c, const char *value)
{
	for (size_t k = 0; k < c->ntop; k++)
		if (c->top[k].value && strcmp(c->top[k].value, value) == 0)
			return true;
	return false;
}

/*
 * values of cur's top that prev never had, when prev's top held every value
 * it had: a column of at least one and at most PROFILE_TOP exact distinct values
 */
static void
new_values(struct drifts *d, const struct profile_col *prev, const struct profile_col *cur)
{
	int told = 0;

	if (prev->distinct < 1 || prev->distinct > PROFILE_TOP || prev->distinct_approx ||
	    prev->ntop != (size_t)prev->distinct)
		return;
	for (size_t k = 0; k < cur->ntop && told < NEW_VALUES_MAX; k++) {
		const char *v = cur->top[k].value;

		if (v && !had_value(prev, v)) {
			add(d, xasprintf("column '%s': new value '%s'", cur->name, v));
			told++;
		}
	}
}

size_t
profile_drift(const struct profile *prev, const struct profile *cur, const struct drift_opts *o,
              char ***out)
{
	struct drifts d = { 0 };

	if (o->row_count_drop >= 0 && prev->rows > 0 && cur->rows < prev->rows) {
		double drop = (double)(prev->rows - cur->rows) / (double)prev->rows;

		if (drop > o->row_count_drop) {
			char *pc = percent(drop, false);

			add(&d, xasprintf("rows fell from %lld to %lld (%s%%)", prev->rows, cur->rows, pc));
			free(pc);
		}
	}
	for (size_t i = 0; i < cur->ncols; i++) {
		const struct profile_col *c = &cur->cols[i], *p = find_col(prev, c->name);

		if (!p)
			continue;
		/* an empty table had no null fraction to rise from */
		if (o->null_increase >= 0 && prev->rows > 0 && cur->rows > 0 &&
		    c->null_fraction - p->null_fraction > o->null_increase) {
			char *a = percent(p->null_fraction, true), *b = percent(c->null_fraction, true);

			add(&d, xasprintf("column '%s': nulls rose from %s%% to %s%%", c->name, a, b));
			free(a);
			free(b);
		}
		if (o->new_values)
			new_values(&d, p, c);
	}
	*out = d.v;
	return d.n;
}
