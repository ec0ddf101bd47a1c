/*
 * profile_json.c: a profile as JSON and back, the form etl_profiles keeps and
 * chacc profile --json prints:
 *
 *   {"table": "t", "rows": 50,
 *    "columns": [{"name": "n", "type": "int", "nulls": 7, "null_fraction": 0.14,
 *                 "distinct": 43, "distinct_approx": false,
 *                 "min": "1", "max": "99", "mean": 50.3,
 *                 "top": [{"value": "3", "count": 2}, ...],
 *                 "histogram": [20 counts]}, ...]}
 *
 * min and max are text, null when the column has no value (or its type has
 * no order); distinct is null when its type cannot be compared; mean and
 * histogram are left out when the column has none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "marker.h"
#include "profile.h"
#include "store.h"
#include "util.h"

void
profile_clear(struct profile *p)
{
	for (size_t i = 0; i < p->ncols; i++) {
		struct profile_col *c = &p->cols[i];

		free(c->name);
		free(c->type);
		free(c->min);
		free(c->max);
		for (size_t k = 0; k < c->ntop; k++)
			free(c->top[k].value);
	}
	free(p->cols);
	free(p->table);
	memset(p, 0, sizeof(*p));
}

static json_t *
text_or_null(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static json_t *
col_json(const struct profile_col *c)
{
	json_t *o = json_object(), *top = json_array();

	json_object_set_new(o, "name", text_or_null(c->name));
	json_object_set_new(o, "type", text_or_null(c->type));
	json_object_set_new(o, "nulls", json_integer(c->nulls));
	json_object_set_new(o, "null_fraction", json_real(c->null_fraction));
	json_object_set_new(o, "distinct", c->distinct < 0 ? json_null() : json_integer(c->distinct));
	json_object_set_new(o, "distinct_approx", json_boolean(c->distinct_approx));
	json_object_set_new(o, "min", text_or_null(c->min));
	json_object_set_new(o, "max", text_or_null(c->max));
	if (c->has_mean)
		json_object_set_new(o, "mean", json_real(c->mean));
	for (size_t k = 0; k < c->ntop; k++) {
		json_t *v = json_object();

		json_object_set_new(v, "value", text_or_null(c->top[k].value));
		json_object_set_new(v, "count", json_integer(c->top[k].count));
		json_array_append_new(top, v);
	}
	json_object_set_new(o, "top", top);
	if (c->has_hist) {
		json_t *h = json_array();

		for (int k = 0; k < PROFILE_BUCKETS; k++)
			json_array_append_new(h, json_integer(c->hist[k]));
		json_object_set_new(o, "histogram", h);
	}
	return o;
}

char *
profile_to_json(const struct profile *p)
{
	json_t *o = json_object(), *cols = json_array();
	char *s, *out;

	json_object_set_new(o, "table", text_or_null(p->table));
	json_object_set_new(o, "rows", json_integer(p->rows));
	for (size_t i = 0; i < p->ncols; i++)
		json_array_append_new(cols, col_json(&p->cols[i]));
	json_object_set_new(o, "columns", cols);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(o);
	if (!s)
		fatal(1, "out of memory");
	out = xstrdup(s);
	free(s);
	return out;
}

/* *out: a copy of string j, or NULL for null; -1 for anything else */
static int
get_text(json_t *j, char **out)
{
	if (json_is_null(j)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(j))
		return -1;
	*out = xstrdup(json_string_value(j));
	return 0;
}

static int
get_count(json_t *j, long long *out)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return -1;
	*out = json_integer_value(j);
	return 0;
}

static int
top_from_json(json_t *top, struct profile_col *c)
{
	size_t k;
	json_t *v;

	if (!json_is_array(top) || json_array_size(top) > PROFILE_TOP)
		return -1;
	json_array_foreach(top, k, v) {
		if (!json_is_object(v) || get_count(json_object_get(v, "count"), &c->top[k].count) < 0 ||
		    get_text(json_object_get(v, "value"), &c->top[k].value) < 0)
			return -1;
		c->ntop++;
	}
	return 0;
}

static int
col_from_json(json_t *o, struct profile_col *c)
{
	json_t *v, *h = json_object_get(o, "histogram");
	const char *type;

	if (!json_is_object(o) || get_text(json_object_get(o, "name"), &c->name) < 0 || !c->name ||
	    get_text(json_object_get(o, "type"), &c->type) < 0 || !c->type ||
	    get_count(json_object_get(o, "nulls"), &c->nulls) < 0 ||
	    !json_is_number(v = json_object_get(o, "null_fraction")))
		return -1;
	c->null_fraction = json_number_value(v);
	v = json_object_get(o, "distinct");
	c->distinct = -1;
	if (!json_is_null(v) && get_count(v, &c->distinct) < 0)
		return -1;
	if (!json_is_boolean(v = json_object_get(o, "distinct_approx")))
		return -1;
	c->distinct_approx = json_is_true(v);
	if (get_text(json_object_get(o, "min"), &c->min) < 0 ||
	    get_text(json_object_get(o, "max"), &c->max) < 0)
		return -1;
	if ((v = json_object_get(o, "mean"))) {
		if (!json_is_number(v))
			return -1;
		c->has_mean = true;
		c->mean = json_number_value(v);
	}
	if (top_from_json(json_object_get(o, "top"), c) < 0)
		return -1;
	if (h) {
		if (!json_is_array(h) || json_array_size(h) != PROFILE_BUCKETS)
			return -1;
		for (size_t k = 0; k < PROFILE_BUCKETS; k++)
			if (get_count(json_array_get(h, k), &c->hist[k]) < 0)
				return -1;
		c->has_hist = true;
	}
	type = c->type;
	c->numeric = !strcmp(type, "int") || !strcmp(type, "decimal") || !strcmp(type, "float");
	c->temporal = !strcmp(type, "date") || !strcmp(type, "datetime") ||
	              !strcmp(type, "timestamp") || !strcmp(type, "time") || !strcmp(type, "year");
	return 0;
}

int
profile_from_json(const char *json, struct profile *out)
{
	json_t *o = json_loads(json ? json : "", 0, NULL), *cols;
	size_t i;
	json_t *c;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o) || !json_is_array(cols = json_object_get(o, "columns")) ||
	    get_text(json_object_get(o, "table"), &out->table) < 0 || !out->table ||
	    get_count(json_object_get(o, "rows"), &out->rows) < 0) {
		json_decref(o);
		profile_clear(out);
		return -1;
	}
	out->cols = xcalloc(json_array_size(cols) + 1, sizeof(*out->cols));
	json_array_foreach(cols, i, c) {
		out->ncols++;
		if ((rc = col_from_json(c, &out->cols[i])) < 0)
			break;
	}
	json_decref(o);
	if (rc < 0)
		profile_clear(out);
	return rc;
}

bool
profile_stored(struct store *st, const char *target, struct profile *out, char *at)
{
	struct store_rows *rows = store_profiles(st, target, 1);
	const char *json, *when;
	bool ok = false;

	if (rows && rows->nrows > 0 && (json = store_rows_get(rows, 0, 3)) &&
	    profile_from_json(json, out) == 0) {
		when = store_rows_get(rows, 0, 1);
		if (at)
			snprintf(at, TS_LEN, "%s", when ? when : "");
		ok = true;
	}
	store_rows_free(rows);
	return ok;
}
