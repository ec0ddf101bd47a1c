/* recipe_checks.c: a target's checks: list, normalised, and checked against the recipe */

/*
 * Each entry of checks: is a mapping with one kind key (not_null: [id]) and
 * optional name, where and severity. It is normalised into one mapping that
 * libcyaml loads into struct check (recipe_yaml.c), with the keys
 *   kind, name, where, severity, columns, column, values, to_target,
 *   to_column, min, max, min_rows, max_rows, expr, equals, from, max_age
 *   (seconds), relative_to, row_count_drop, null_increase, new_values, sql,
 *   line, column_no
 * of which kind, name, severity (default error), min_rows and max_rows (-1
 * when not given), row_count_drop and null_increase (-1 when not given), line
 * and column_no are always there. A name not given is made from the kind and
 * its columns. An entry with a problem is reported and left out, so that it
 * makes no other problem later.
 */
#include "recipe_impl.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* the keys of an entry besides its kind */
enum { M_NAME, M_WHERE, M_SEVERITY, M_N };
static const char *const meta_keys[M_N] = { "name", "where", "severity" };

/* what an entry sets of the fields always written */
struct cnums {
	long long min_rows, max_rows;
	double row_count_drop, null_increase;
};

/* a check's name made from its values, and the same from their text as written */
struct cname {
	struct buf v, raw;
};

static void
cname_add(struct cname *nm, const char *value, const yaml_node_t *n)
{
	buf_adds(&nm->v, value);
	buf_adds(&nm->raw, n ? (const char *)n->data.scalar.value : value);
}

/* the name; messages show it as written (ldshown) */
static char *
cname_done(struct loader *ld, struct cname *nm, int line)
{
	if (strcmp(nm->v.s, nm->raw.s))
		ldasis(ld, nm->v.s, nm->raw.s, line);
	buf_release(&nm->raw);
	return buf_detach(&nm->v);
}

static void
cname_init(struct cname *nm, const char *s)
{
	buf_init(&nm->v);
	buf_init(&nm->raw);
	cname_add(nm, s, NULL);
}

/* scalar v of key, variables expanded and not empty, or NULL (reported) */
static char *
text(struct loader *ld, yaml_node_t *v, const char *key)
{
	char *s;
	int rc = ldscalar(ld, v, key, &s);

	if (rc == 0 && !*s)
		ldbad(ld, v, "empty value for '%s'", key);
	if (rc != 0 || !*s) {
		free(s);
		return NULL;
	}
	return s;
}

static void
put(struct loader *ld, int map, const char *key, const char *s)
{
	if (s)
		ldoutpair(ld, map, key, ldoutscalar(ld, s, true));
}

/* a count, whole however large */
static void
putcount(struct loader *ld, int map, const char *key, long long n)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", n);
	ldoutpair(ld, map, key, ldoutscalar(ld, s, false));
}

/* text of v put as key; the text, owned by the caller, or NULL */
static char *
puttext(struct loader *ld, int map, const char *key, yaml_node_t *v)
{
	char *s = v ? text(ld, v, key) : NULL;

	put(ld, map, key, s);
	return s;
}

/*
 * the values of mapping n of check kind: keys[i] into v[i], NULL when absent
 * or null; false when n is no mapping. form shows the keys ("{column, values}")
 */
static bool
fields(struct loader *ld, yaml_node_t *n, const char *kind, const char *form,
       const char *const *keys, size_t nkeys, yaml_node_t **v)
{
	yaml_node_pair_t *p;
	unsigned seen = 0;
	size_t i;

	if (n->type != YAML_MAPPING_NODE) {
		ldbad(ld, n, "expected a mapping %s for '%s', got %s", form, kind, ldtypename(n));
		return false;
	}
	memset(v, 0, nkeys * sizeof(*v));
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key), *val = ldnode(ld, p->value);
		const char *key, *near;

		if (k->type != YAML_SCALAR_NODE) {
			ldbad(ld, k, "expected a string key in %s, got %s", kind, ldtypename(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys && strcmp(keys[i], key); i++)
			;
		if (i == nkeys) {
			if ((near = ldnearest(key, keys, nkeys)))
				ldbad(ld, k, "unknown key '%s' in %s: did you mean '%s'?", key, kind, near);
			else
				ldbad(ld, k, "unknown key '%s' in %s (expected %s)", key, kind, form);
			continue;
		}
		if (seen & 1u << i) {
			ldbad(ld, k, "duplicate key '%s' in %s", key, kind);
			continue;
		}
		seen |= 1u << i;
		v[i] = ldisnull(val) ? NULL : val;
	}
	return true;
}

/* whether v is given; reports it missing from mapping n of kind if not */
static bool
need(struct loader *ld, yaml_node_t *n, yaml_node_t *v, const char *key, const char *kind)
{
	if (!v)
		ldbad(ld, n, "missing required key '%s' in %s", key, kind);
	return v != NULL;
}

/* not_null, unique: a column or a sequence of columns */
static char *
kcolumns(struct loader *ld, int map, yaml_node_t *v, const char *kind)
{
	int seq = ldoutseq(ld);
	yaml_node_item_t *it;
	struct cname nm;
	char *s;

	cname_init(&nm, kind);
	cname_add(&nm, "(", NULL);
	if (v->type == YAML_SCALAR_NODE) {
		if ((s = text(ld, v, kind))) {
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
			cname_add(&nm, s, v);
		}
		free(s);
	} else if (v->type == YAML_SEQUENCE_NODE) {
		if (v->data.sequence.items.top == v->data.sequence.items.start)
			ldbad(ld, v, "empty list of columns for '%s'", kind);
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = ldnode(ld, *it);

			if (e->type != YAML_SCALAR_NODE) {
				ldbad(ld, e, "expected a column in '%s', got %s", kind, ldtypename(e));
				continue;
			}
			if (!(s = text(ld, e, kind)))
				continue;
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
			if (it > v->data.sequence.items.start)
				cname_add(&nm, ", ", NULL);
			cname_add(&nm, s, e);
			free(s);
		}
	} else {
		ldbad(ld, v, "expected a column or a sequence of columns for '%s', got %s", kind,
		      ldtypename(v));
	}
	cname_add(&nm, ")", NULL);
	ldoutpair(ld, map, "columns", seq);
	return cname_done(ld, &nm, (int)v->start_mark.line + 1);
}

/* accepted_values: {column, values}; values as text */
static char *
kaccepted(struct loader *ld, int map, yaml_node_t *n)
{
	static const char *const keys[] = { "column", "values" };
	const char *kind = "accepted_values";
	yaml_node_t *f[2], *vals;
	yaml_node_item_t *it;
	struct cname nm;
	char *col, *s;
	int seq;

	if (!fields(ld, n, kind, "{column, values}", keys, 2, f))
		return NULL;
	if (!need(ld, n, f[0], "column", kind) + !need(ld, n, f[1], "values", kind))
		return NULL;
	if (!(col = puttext(ld, map, "column", f[0])))
		return NULL;
	vals = f[1];
	seq = ldoutseq(ld);
	if (vals->type != YAML_SEQUENCE_NODE)
		ldbad(ld, vals, "expected a sequence of values for 'values', got %s", ldtypename(vals));
	else if (vals->data.sequence.items.top == vals->data.sequence.items.start)
		ldbad(ld, vals, "empty list for 'values'");
	for (it = vals->type == YAML_SEQUENCE_NODE ? vals->data.sequence.items.start : NULL;
	     it && it < vals->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		if (e->type != YAML_SCALAR_NODE) {
			ldbad(ld, e, "expected a value in 'values', got %s", ldtypename(e));
		} else if (ldisnull(e)) {
			ldbad(ld, e, "null in 'values': NULL passes accepted_values anyway");
		} else {
			if (ldscalar(ld, e, "values", &s) == 0)
				ldoutitem(ld, seq, ldoutscalar(ld, s, true));
			free(s);
		}
	}
	ldoutpair(ld, map, "values", seq);
	cname_init(&nm, "accepted_values(");
	cname_add(&nm, col, f[0]);
	cname_add(&nm, ")", NULL);
	free(col);
	return cname_done(ld, &nm, (int)n->start_mark.line + 1);
}

/* relationships: {column, to: TARGET.column} */
static char *
krelationships(struct loader *ld, int map, yaml_node_t *n)
{
	static const char *const keys[] = { "column", "to" };
	const char *kind = "relationships", *dot;
	yaml_node_t *f[2];
	struct cname nm;
	char *col, *to, *tt;

	if (!fields(ld, n, kind, "{column, to: TARGET.column}", keys, 2, f))
		return NULL;
	if (!need(ld, n, f[0], "column", kind) + !need(ld, n, f[1], "to", kind))
		return NULL;
	col = puttext(ld, map, "column", f[0]);
	if (!(to = text(ld, f[1], "to"))) {
		free(col);
		return NULL;
	}
	if (!(dot = strchr(to, '.')) || dot == to || !dot[1]) {
		ldbad(ld, f[1], "expected TARGET.column for 'to', got '%s'",
		      (const char *)f[1]->data.scalar.value);
		free(col);
		free(to);
		return NULL;
	}
	tt = xstrndup(to, (size_t)(dot - to));
	put(ld, map, "to_target", tt);
	put(ld, map, "to_column", dot + 1);
	cname_init(&nm, "relationships(");
	cname_add(&nm, col ? col : "?", f[0]);
	cname_add(&nm, " -> ", NULL);
	cname_add(&nm, to, f[1]);
	cname_add(&nm, ")", NULL);
	free(tt);
	free(to);
	free(col);
	return cname_done(ld, &nm, (int)n->start_mark.line + 1);
}

/* whether s is a number (for comparing min and max) */
static bool
number(const char *s, double *d)
{
	char *end;

	errno = 0;
	*d = strtod(s, &end);
	return (isdigit((unsigned char)*s) || *s == '-' || *s == '.') && !*end && !errno;
}

/* range: {column, min, max}; min and max as written */
static char *
krange(struct loader *ld, int map, yaml_node_t *n)
{
	static const char *const keys[] = { "column", "min", "max" };
	yaml_node_t *f[3];
	struct cname nm;
	char *col, *min, *max;
	double a, b;

	if (!fields(ld, n, "range", "{column, min, max}", keys, 3, f))
		return NULL;
	if (!need(ld, n, f[0], "column", "range"))
		return NULL;
	if (!f[1] && !f[2])
		ldbad(ld, n, "range needs 'min', 'max' or both");
	col = puttext(ld, map, "column", f[0]);
	min = puttext(ld, map, "min", f[1]);
	max = puttext(ld, map, "max", f[2]);
	if (min && max && number(min, &a) && number(max, &b) && a > b)
		ldbad(ld, n, "range's min %s is above its max %s",
		      (const char *)f[1]->data.scalar.value, (const char *)f[2]->data.scalar.value);
	cname_init(&nm, "range(");
	cname_add(&nm, col ? col : "?", f[0]);
	cname_add(&nm, ")", NULL);
	free(col);
	free(min);
	free(max);
	return cname_done(ld, &nm, (int)n->start_mark.line + 1);
}

/* a count of rows of key into *n; false when bad (reported) */
static bool
rows(struct loader *ld, yaml_node_t *v, const char *key, long long *n)
{
	char *s, *end;
	bool ok;

	if (!v || !(s = text(ld, v, key)))
		return v == NULL;
	errno = 0;
	*n = strtoll(s, &end, 10);
	ok = isdigit((unsigned char)*s) && !*end && !errno;
	if (!ok)
		ldbad(ld, v, "invalid count '%s' for '%s': expected a whole number of rows",
		      (const char *)v->data.scalar.value, key);
	free(s);
	return ok;
}

/* row_count: {min, max} or {equals, from} */
static char *
krowcount(struct loader *ld, int map, yaml_node_t *n, struct cnums *d)
{
	static const char *const keys[] = { "min", "max", "equals", "from" };
	yaml_node_t *f[4];

	if (!fields(ld, n, "row_count", "{min, max} or {equals, from}", keys, 4, f))
		return NULL;
	if ((f[0] || f[1]) && f[2])
		ldbad(ld, n, "row_count takes 'min' and 'max', or 'equals': not both");
	else if (!f[0] && !f[1] && !f[2])
		ldbad(ld, n, "row_count needs 'min', 'max' or 'equals'");
	if (f[3] && !f[2])
		ldbad(ld, f[3], "'from' is for 'equals': the connection its SQL runs on");
	if (rows(ld, f[0], "min", &d->min_rows) && rows(ld, f[1], "max", &d->max_rows) &&
	    f[0] && f[1] && d->min_rows > d->max_rows)
		ldbad(ld, n, "row_count's min %lld is above its max %lld", d->min_rows, d->max_rows);
	free(puttext(ld, map, "equals", f[2]));
	free(puttext(ld, map, "from", f[3]));
	return xstrdup("row_count");
}

/* freshness: {column, max_age, relative_to, from} */
static char *
kfreshness(struct loader *ld, int map, yaml_node_t *n)
{
	static const char *const keys[] = { "column", "max_age", "relative_to", "from" };
	const char *kind = "freshness";
	yaml_node_t *f[4];
	struct cname nm;
	double secs;
	char *col, *s;

	if (!fields(ld, n, kind, "{column, max_age, relative_to, from}", keys, 4, f))
		return NULL;
	if (!need(ld, n, f[0], "column", kind) + !need(ld, n, f[1], "max_age", kind))
		return NULL;
	if (f[3] && !f[2])
		ldbad(ld, f[3], "'from' is for 'relative_to': the connection its SQL runs on");
	if ((s = text(ld, f[1], "max_age"))) {
		if (ldduration(s, &secs) < 0 || secs <= 0)
			ldbad(ld, f[1], "invalid duration '%s' for 'max_age': " LD_DURATION_RULE
			      ", more than 0", (const char *)f[1]->data.scalar.value);
		else
			ldoutpair(ld, map, "max_age", ldoutnum(ld, secs));
		free(s);
	}
	free(puttext(ld, map, "relative_to", f[2]));
	free(puttext(ld, map, "from", f[3]));
	col = puttext(ld, map, "column", f[0]);
	cname_init(&nm, "freshness(");
	cname_add(&nm, col ? col : "?", f[0]);
	cname_add(&nm, ")", NULL);
	free(col);
	return cname_done(ld, &nm, (int)n->start_mark.line + 1);
}

/* a fraction "10%" or 0.1 from 0 to 1 of key into *d; false when bad (reported) */
static bool
fraction(struct loader *ld, yaml_node_t *v, const char *key, double *d)
{
	char *s, *end;
	size_t len;
	bool ok;

	if (!v || !(s = text(ld, v, key)))
		return false;
	len = strlen(s);
	errno = 0;
	*d = strtod(s, &end);
	if (s[len - 1] == '%') {
		ok = end == s + len - 1;
		*d /= 100;
	} else {
		ok = !*end;
	}
	ok = ok && (isdigit((unsigned char)*s) || *s == '.') && !errno && *d >= 0 && *d <= 1;
	if (!ok)
		ldbad(ld, v, "invalid fraction '%s' for '%s': expected a percentage (10%%) or a "
		      "fraction from 0 to 1 (0.1)", (const char *)v->data.scalar.value, key);
	free(s);
	return ok;
}

/* drift: {row_count_drop, null_increase, new_values} */
static char *
kdrift(struct loader *ld, int map, yaml_node_t *n, struct cnums *d)
{
	static const char *const keys[] = { "row_count_drop", "null_increase", "new_values" };
	yaml_node_t *f[3];
	bool on = false;
	char *s;

	if (!fields(ld, n, "drift", "{row_count_drop, null_increase, new_values}", keys, 3, f))
		return NULL;
	fraction(ld, f[0], "row_count_drop", &d->row_count_drop);
	fraction(ld, f[1], "null_increase", &d->null_increase);
	if (f[2] && (s = text(ld, f[2], "new_values"))) {
		if (strcasecmp(s, "true") && strcasecmp(s, "false"))
			ldbad(ld, f[2], "expected true or false for 'new_values', got '%s'",
			      (const char *)f[2]->data.scalar.value);
		on = !strcasecmp(s, "true");
		ldoutpair(ld, map, "new_values", ldoutscalar(ld, on ? "true" : "false", false));
		free(s);
	}
	if (!f[0] && !f[1] && !on)
		ldbad(ld, n, "drift checks nothing: give 'row_count_drop', 'null_increase' or "
		      "'new_values: true'");
	return xstrdup("drift");
}

/* sql: FILE; named after the file */
static char *
ksql(struct loader *ld, int map, yaml_node_t *v)
{
	char *path = puttext(ld, map, "sql", v), *base;
	const char *slash;
	size_t len;

	if (!path)
		return NULL;
	slash = strrchr(path, '/');
	base = xstrdup(slash ? slash + 1 : path);
	len = strlen(base);
	if (len > 4 && !strcasecmp(base + len - 4, ".sql"))
		base[len - 4] = '\0';
	if (strcmp(path, (const char *)v->data.scalar.value))
		ldasis(ld, base, (const char *)v->data.scalar.value, (int)v->start_mark.line + 1);
	free(path);
	return base;
}

/* kind k of value v into map; the name made for it, or NULL */
static char *
walkkind(struct loader *ld, int k, yaml_node_t *v, int map, struct cnums *d)
{
	switch (k) {
	case CHECK_NOT_NULL:
	case CHECK_UNIQUE:
		return kcolumns(ld, map, v, check_kind_name((enum check_kind)k));
	case CHECK_ACCEPTED_VALUES:
		return kaccepted(ld, map, v);
	case CHECK_RELATIONSHIPS:
		return krelationships(ld, map, v);
	case CHECK_RANGE:
		return krange(ld, map, v);
	case CHECK_EXPRESSION:
		free(puttext(ld, map, "expr", v));
		return xstrdup("expression");
	case CHECK_ROW_COUNT:
		return krowcount(ld, map, v, d);
	case CHECK_FRESHNESS:
		return kfreshness(ld, map, v);
	case CHECK_DRIFT:
		return kdrift(ld, map, v, d);
	default:
		return ksql(ld, map, v);
	}
}

/* the check kind named s, or -1 */
static int
kindof(const char *s)
{
	for (int k = 0; k < CHECK_NKINDS; k++)
		if (!strcmp(s, check_kind_name((enum check_kind)k)))
			return k;
	return -1;
}

/* a key of an entry that is neither a kind nor name, where, severity */
static void
unknown(struct loader *ld, yaml_node_t *k, bool haskind)
{
	const char *key = (const char *)k->data.scalar.value, *near, *words[CHECK_NKINDS + M_N];
	const char *in = ld->tname ? " in target '" : "", *tn = ld->tname ? ld->tname : "",
	           *q = ld->tname ? "'" : "";
	size_t n = 0;

	for (int i = 0; i < CHECK_NKINDS; i++)
		words[n++] = check_kind_name((enum check_kind)i);
	for (int i = 0; i < M_N; i++)
		words[n++] = meta_keys[i];
	near = ldnearest(key, words, n);
	if (near && kindof(near) < 0)
		ldbad(ld, k, "unknown key '%s' in check: did you mean '%s'?", key, near);
	else if (near)
		ldbad(ld, k, "unknown check kind '%s'%s%s%s: did you mean '%s'?", key, in, tn, q, near);
	else if (haskind)
		ldbad(ld, k, "unknown key '%s' in check (expected name, where or severity)", key);
	else
		ldbad(ld, k, "unknown check kind '%s'%s%s%s (expected not_null, unique, "
		      "accepted_values, relationships, range, expression, row_count, freshness, "
		      "drift or sql)", key, in, tn, q);
}

/* severity: error or warn */
static void
severity(struct loader *ld, yaml_node_t *v, int map)
{
	static const char *const words[] = { "error", "warn" };
	const char *w = (const char *)v->data.scalar.value, *near;
	char *s;

	if (!(s = text(ld, v, "severity")))
		return;
	if (strcmp(s, "error") && strcmp(s, "warn")) {
		near = !strcasecmp(s, "warning") ? "warn" : ldnearest(s, words, 2);
		if (near)
			ldbad(ld, v, "invalid severity '%s': did you mean '%s'? (expected error or warn)",
			      w, near);
		else
			ldbad(ld, v, "invalid severity '%s' (expected error or warn)", w);
	}
	ldoutpair(ld, map, "severity", ldoutscalar(ld, strcmp(s, "warn") ? "error" : "warn", false));
	free(s);
}

/* the names of a target's checks so far, and their lines */
struct cnames {
	char **v;
	int *line;
	size_t n;
};

/* name of the check at entry e, once per target */
static void
uniquename(struct loader *ld, struct cnames *names, yaml_node_t *e, char *name)
{
	int line = (int)e->start_mark.line + 1;

	for (size_t i = 0; i < names->n; i++) {
		if (!strcmp(names->v[i], name)) {
			ldbad(ld, e, "check name '%s' used twice%s%s%s (first at line %d)",
			      ldshown(ld, name, ld->file, line), ld->tname ? " in target '" : "",
			      ld->tname ? ld->tname : "", ld->tname ? "'" : "", names->line[i]);
			free(name);
			return;
		}
	}
	names->v = xreallocarray(names->v, names->n + 1, sizeof(*names->v));
	names->line = xreallocarray(names->line, names->n + 1, sizeof(*names->line));
	names->v[names->n] = name;
	names->line[names->n++] = line;
}

/* the first kind key of entry e, or NULL */
static yaml_node_pair_t *
kindpair(struct loader *ld, yaml_node_t *e)
{
	yaml_node_pair_t *p;

	for (p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key);

		if (k->type == YAML_SCALAR_NODE && kindof((const char *)k->data.scalar.value) >= 0)
			return p;
	}
	return NULL;
}

/* the keys of entry e besides its kind kp into meta (a null one is not given) */
static void
metakeys(struct loader *ld, yaml_node_t *e, yaml_node_pair_t *kp, yaml_node_t **meta)
{
	const char *kname = kp ? (const char *)ldnode(ld, kp->key)->data.scalar.value : NULL;
	unsigned seen = 0;
	int i;

	for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key), *v = ldnode(ld, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (p == kp)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			ldbad(ld, k, "expected a string key in check, got %s", ldtypename(k));
			continue;
		}
		if (kindof(key) >= 0) {
			ldbad(ld, k, "a check has one kind: '%s' and '%s' in one entry (write two "
			      "entries)", kname, key);
			continue;
		}
		for (i = 0; i < M_N && strcmp(key, meta_keys[i]); i++)
			;
		if (i == M_N) {
			unknown(ld, k, kp != NULL);
		} else if (seen & 1u << i) {
			ldbad(ld, k, "duplicate key '%s' in check", key);
		} else {
			seen |= 1u << i;
			meta[i] = ldisnull(v) ? NULL : v;
		}
	}
}

/* entry e of checks: into seq, unless it has a problem */
static void
walkcheck(struct loader *ld, yaml_node_t *e, int seq, struct cnames *names)
{
	struct cnums d = { -1, -1, -1, -1 };
	yaml_node_t *meta[M_N] = { NULL };
	yaml_node_pair_t *kp;
	int nsoft = ld->nsoft, map, k;
	char *name;

	if (e->type != YAML_MAPPING_NODE) {
		ldbad(ld, e, "expected a mapping for a check (e.g. not_null: [id]), got %s",
		      ldtypename(e));
		return;
	}
	kp = kindpair(ld, e);
	metakeys(ld, e, kp, meta);
	if (!kp) {
		if (ld->nsoft == nsoft)
			ldbad(ld, e, "a check needs its kind: not_null, unique, accepted_values, "
			      "relationships, range, expression, row_count, freshness, drift or sql");
		return;
	}
	map = ldoutmap(ld);
	k = kindof((const char *)ldnode(ld, kp->key)->data.scalar.value);
	ldoutpair(ld, map, "kind", ldoutscalar(ld, check_kind_name((enum check_kind)k), false));
	name = walkkind(ld, k, ldnode(ld, kp->value), map, &d);
	if (meta[M_NAME]) {
		free(name);
		name = text(ld, meta[M_NAME], "name");
	}
	put(ld, map, "name", name);
	if (meta[M_WHERE] && (k == CHECK_DRIFT || k == CHECK_SQL))
		ldbad(ld, meta[M_WHERE], "'where' is not for %s checks", check_kind_name(k));
	else
		free(puttext(ld, map, "where", meta[M_WHERE]));
	if (meta[M_SEVERITY])
		severity(ld, meta[M_SEVERITY], map);
	else
		ldoutpair(ld, map, "severity", ldoutscalar(ld, "error", false));
	putcount(ld, map, "min_rows", d.min_rows);
	putcount(ld, map, "max_rows", d.max_rows);
	ldoutpair(ld, map, "row_count_drop", ldoutnum(ld, d.row_count_drop));
	ldoutpair(ld, map, "null_increase", ldoutnum(ld, d.null_increase));
	ldoutpair(ld, map, "line", ldoutnum(ld, (double)e->start_mark.line + 1));
	ldoutpair(ld, map, "column_no", ldoutnum(ld, (double)e->start_mark.column + 1));
	/* one with a problem is left out: what is wrong with it is said */
	if (ld->nsoft == nsoft && name)
		uniquename(ld, names, e, name);
	else
		free(name);
	if (ld->nsoft == nsoft)
		ldoutitem(ld, seq, map);
}

int
ldwalkchecks(struct loader *ld, yaml_node_t *v)
{
	struct cnames names = { NULL, NULL, 0 };
	yaml_node_item_t *it;
	int seq;

	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of checks for 'checks', got %s", ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		walkcheck(ld, ldnode(ld, *it), seq, &names);
	for (size_t i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	free(names.line);
	return seq;
}
