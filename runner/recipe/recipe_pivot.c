/*
 * recipe_pivot.c: a pivot target's "pivot:" mapping checked and normalised
 * (the fields of struct pivot: values as a list of {type, column}, each
 * column with its rule, line and column_no), then checked against its target
 */
#include "recipe_impl.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	P_FROM, P_KEY, P_ATTRIBUTE, P_VALUES, P_ORDER, P_VOIDED, P_KEEP, P_COLUMNS, P_MAP, P_N
};
static const char *const pivot_keys[P_N] = {
	"from", "key", "attribute", "values", "order", "voided", "keep", "columns", "map",
};
static const bool pivot_required[P_N] = {
	[P_FROM] = true, [P_KEY] = true, [P_ATTRIBUTE] = true, [P_VALUES] = true,
};

enum { C_NAME, C_ATTRIBUTE, C_TYPE, C_RULE, C_N };
static const char *const col_keys[C_N] = { "name", "attribute", "type", "rule" };

static const char *const rule_words[] = { "latest", "first", "count", "all" };

const char *
pivot_rule_name(enum pivot_rule r)
{
	return (size_t)r < LEN(rule_words) ? rule_words[r] : "?";
}

void
pivot_free(struct pivot *p)
{
	size_t i;

	if (!p)
		return;
	free(p->from);
	strlist_release(&p->key);
	free(p->attribute);
	for (i = 0; i < p->nvalues; i++) {
		free(p->values[i].type);
		free(p->values[i].column);
	}
	free(p->values);
	free(p->order);
	free(p->voided);
	strlist_release(&p->keep);
	free(p->map);
	for (i = 0; i < p->ncolumns; i++) {
		free(p->columns[i].name);
		free(p->columns[i].attribute);
		free(p->columns[i].type);
		free(p->columns[i].file);
	}
	free(p->columns);
	free(p);
}

/* a non-empty string value of key into map; false if it is not one */
static bool
putstr(struct loader *ld, int map, const char *key, yaml_node_t *v)
{
	char *s;
	int rc = ldscalar(ld, v, key, &s);

	if (rc < 0)
		return false;
	if (rc == 0 && !*s) {
		ldbad(ld, v, "empty value for '%s'", key);
		free(s);
		return false;
	}
	ldoutpair(ld, map, key, ldoutscalar(ld, s, true));
	free(s);
	return true;
}

/* a list of column names, or a single name, into map */
static bool
putlist(struct loader *ld, int map, const char *key, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int seq = ldoutseq(ld);
	char *s;

	if (v->type == YAML_SCALAR_NODE) {
		if (ldscalar(ld, v, key, &s) == 0 && *s)
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
		else
			ldbad(ld, v, "empty value for '%s'", key);
		free(s);
		ldoutpair(ld, map, key, seq);
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a column or a sequence of columns for '%s', got %s", key,
		      ldtypename(v));
		return false;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		if (ldscalar(ld, e, key, &s) == 0 && *s)
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
		else if (s)
			ldbad(ld, e, "empty entry in '%s'", key);
		free(s);
	}
	ldoutpair(ld, map, key, seq);
	return true;
}

/* values: {numeric: value_numeric, ...} becomes [{type: numeric, column: value_numeric}] */
static bool
putvalues(struct loader *ld, int map, yaml_node_t *v)
{
	yaml_node_pair_t *p;
	int seq;

	if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
		ldbad(ld, v, "expected a mapping of value types to columns for 'values' "
		      "({numeric: value_numeric, text: value_text, ...}), got %s", ldtypename(v));
		return false;
	}
	seq = ldoutseq(ld);
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key), *c = ldnode(ld, p->value);
		int e;

		if (k->type != YAML_SCALAR_NODE || !*k->data.scalar.value) {
			ldbad(ld, k, "expected a value type (numeric, coded, text...) in 'values'");
			continue;
		}
		e = ldoutmap(ld);
		ldoutpair(ld, e, "type", ldoutscalar(ld, (const char *)k->data.scalar.value, true));
		if (putstr(ld, e, "column", c))
			ldoutitem(ld, seq, e);
	}
	ldoutpair(ld, map, "values", seq);
	return true;
}

/* an OpenMRS concept datatype name as the value type a map means by it, or s */
static const char *
typeword(const char *s)
{
	static const char *const names[][2] = {
		{ "numeric", "numeric" }, { "coded", "coded" }, { "text", "text" },
		{ "datetime", "datetime" }, { "date", "datetime" }, { "time", "datetime" },
		{ "boolean", "boolean" },
	};

	for (size_t i = 0; i < LEN(names); i++)
		if (!strcasecmp(names[i][0], s))
			return names[i][1];
	return s;
}

const char *
ldpivotrule(struct loader *ld, yaml_node_t *v)
{
	const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";

	for (size_t i = 0; i < LEN(rule_words); i++)
		if (!strcmp(rule_words[i], s))
			return rule_words[i];
	ldbad(ld, v, "unknown rule '%s' (expected latest, first, count or all)", s);
	return NULL;
}

/* the type of map column name, from the map's types or type, or NULL */
static const char *
maptype(struct pivotdflt *d, const char *name)
{
	for (size_t i = 0; i < d->ntypes; i++)
		if (!strcmp(d->types[i].name, name)) {
			d->types[i].used = true;
			return d->types[i].type;
		}
	return d->type;
}

void
ldpivotcolumn(struct loader *ld, int seq, yaml_node_t *at, yaml_node_t *const f[4],
              struct pivotdflt *d)
{
	const char *name, *type = NULL, *rule = d ? d->rule : NULL;
	char num[32], *s;
	int map = ldoutmap(ld);

	for (int k = C_NAME; k <= C_ATTRIBUTE; k++)
		if (f[k])
			putstr(ld, map, col_keys[k], f[k]);
		else
			ldbad(ld, at, "missing required key '%s' in pivot column", col_keys[k]);
	name = f[C_NAME] && f[C_NAME]->type == YAML_SCALAR_NODE ?
	    (const char *)f[C_NAME]->data.scalar.value : "";
	if (f[C_TYPE] && ldscalar(ld, f[C_TYPE], "type", &s) == 0 && *s)
		ldoutpair(ld, map, "type", ldoutscalar(ld, d ? typeword(s) : s, true));
	else if (f[C_TYPE])
		ldbad(ld, f[C_TYPE], "empty value for 'type'");
	else if (d && (type = maptype(d, name)))
		ldoutpair(ld, map, "type", ldoutscalar(ld, typeword(type), true));
	else if (d)
		ldbad(ld, at, "no type for map column '%s': give it in the map, or as the map's "
		      "'type' or 'types' in the recipe", name);
	else
		ldbad(ld, at, "missing required key 'type' in pivot column");
	if (f[C_TYPE])
		free(s);
	if (f[C_RULE])
		rule = ldpivotrule(ld, f[C_RULE]);
	if (rule)
		ldoutpair(ld, map, "rule", ldoutscalar(ld, rule, true));
	if (d && d->file)
		ldoutpair(ld, map, "file", ldoutscalar(ld, d->file, true));
	snprintf(num, sizeof(num), "%d", (int)at->start_mark.line + 1);
	ldoutpair(ld, map, "line", ldoutscalar(ld, num, false));
	snprintf(num, sizeof(num), "%d", (int)at->start_mark.column + 1);
	ldoutpair(ld, map, "column_no", ldoutscalar(ld, num, false));
	ldoutitem(ld, seq, map);
}

void
ldpivotentry(struct loader *ld, yaml_node_t *n, int seq, struct pivotdflt *d)
{
	yaml_node_t *f[C_N] = { NULL };
	yaml_node_pair_t *p;
	int k;

	if (n->type != YAML_MAPPING_NODE) {
		ldbad(ld, n, "expected a column ({name, attribute, type, rule}) in '%s', got %s",
		      d ? "map" : "columns", ldtypename(n));
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key);

		if ((k = ldkeyof(ld, kn, col_keys, C_N, "pivot column")) < 0)
			continue;
		if (f[k])
			ldbad(ld, kn, "duplicate key '%s' in pivot column", col_keys[k]);
		else
			f[k] = ldnode(ld, p->value);
	}
	ldpivotcolumn(ld, seq, n, f, d);
}

static bool
putcolumns(struct loader *ld, int seq, yaml_node_t *v)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top) {
		ldbad(ld, v, "expected a sequence of columns for 'columns', got %s", ldtypename(v));
		return false;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
		ldpivotentry(ld, ldnode(ld, *it), seq, NULL);
	return true;
}

int
ldwalkpivot(struct loader *ld, yaml_node_t *v)
{
	yaml_node_pair_t *p;
	unsigned got = 0;
	int map, k, cols;

	if (v->type != YAML_MAPPING_NODE) {
		ldbad(ld, v, "expected a mapping for 'pivot', got %s", ldtypename(v));
		return 0;
	}
	if (ld->kind >= 0 && ld->kind != KIND_PIVOT) {
		ldbad(ld, v, "'pivot' is only for pivot targets, not %s %s target",
		      ld->kind == KIND_EXTRACT ? "an" : "a", kind_name(ld->kind));
		return 0;
	}
	map = ldoutmap(ld);
	cols = ldoutseq(ld);
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key), *val = ldnode(ld, p->value);

		if ((k = ldkeyof(ld, kn, pivot_keys, P_N, "pivot")) < 0)
			continue;
		if (got & 1u << k) {
			ldbad(ld, kn, "duplicate key '%s' in pivot", pivot_keys[k]);
			continue;
		}
		got |= 1u << k;
		if (k == P_KEY || k == P_KEEP)
			putlist(ld, map, pivot_keys[k], val);
		else if (k == P_VALUES)
			putvalues(ld, map, val);
		else if (k == P_COLUMNS)
			putcolumns(ld, cols, val);
		else if (k == P_MAP)
			ldwalkpivotmap(ld, val, map, cols);
		else
			putstr(ld, map, pivot_keys[k], val);
	}
	for (k = 0; k < P_N; k++)
		if (pivot_required[k] && !(got & 1u << k))
			ldbad(ld, v, "missing required key '%s' in pivot", pivot_keys[k]);
	if (!(got & (1u << P_COLUMNS | 1u << P_MAP)))
		ldbad(ld, v, "missing required key 'columns' or 'map' in pivot");
	ldoutpair(ld, map, "columns", cols);
	return map;
}

/* a problem of column c of pivot target t, at its entry (in the recipe or its map) */
static void __attribute__((format(printf, 4, 5)))
colerr(struct loader *ld, const struct target *t, const struct pivot_col *c, const char *fmt, ...)
{
	const char *file = c->file ? c->file : t->file;
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, DIAG_ERROR, file, c->line, c->column_no,
	          ldshown(ld, t->name, t->file, t->line), fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

/* the column named name among the key, kept and earlier columns (before i), or NULL */
static const char *
taken(const struct pivot *p, size_t i, const char *name, const struct pivot_col **first)
{
	size_t j;

	*first = NULL;
	for (j = 0; j < p->key.n; j++)
		if (!strcasecmp(p->key.v[j], name))
			return "a column of its key";
	for (j = 0; j < p->keep.n; j++)
		if (!strcasecmp(p->keep.v[j], name))
			return "a column of its keep";
	for (j = 0; j < i; j++)
		if (p->columns[j].name && !strcasecmp(p->columns[j].name, name)) {
			*first = &p->columns[j];
			return "the column";
		}
	return NULL;
}

static bool
hasvalue(const struct pivot *p, const char *type)
{
	for (size_t i = 0; i < p->nvalues; i++)
		if (!strcmp(p->values[i].type, type))
			return true;
	return false;
}

/* the columns of pivot p of target t: names once, types among its values */
static void
checkcolumns(struct loader *ld, const struct target *t, const struct pivot *p)
{
	for (size_t i = 0; i < p->ncolumns; i++) {
		const struct pivot_col *c = &p->columns[i], *first;
		const char *what;

		if (!c->name)
			continue;   /* reported when walked */
		if ((what = taken(p, i, c->name, &first)) && first)
			colerr(ld, t, c, "pivot column '%s' defined twice (first at %s:%d)", c->name,
			       first->file ? first->file : t->file, first->line);
		else if (what)
			colerr(ld, t, c, "pivot column '%s' is also %s", c->name, what);
		if (c->rule != PIVOT_COUNT && c->type && !hasvalue(p, c->type))
			colerr(ld, t, c, "pivot column '%s': type '%s' is not among the pivot's values",
			       c->name, c->type);
	}
}

void
ldcheckpivot(struct loader *ld, struct target *t, bool targets)
{
	static const struct { int bit; const char *key; } refused[] = {
		{ T_FROM, "from" }, { T_QUERY, "query" }, { T_SCRIPT, "script" },
		{ T_CREATE, "create" }, { T_CALL, "call" }, { T_KEY, "key" },
		{ T_FILE, "file" }, { T_COLUMNS, "columns" },
	};
	const struct entry *en = &ld->tinfo[t - ld->r->targets];
	struct pivot *p = t->pivot;
	const struct target *u;
	size_t i;

	for (i = 0; i < LEN(refused); i++)
		if (en->keys & 1u << refused[i].bit)
			ldterr(ld, t, "'%s' is not for pivot targets (their rows come from 'pivot')",
			       refused[i].key);
	if (!p) {
		if (!en->unknown && !(en->keys & 1u << T_PIVOT))
			ldterr(ld, t, "a pivot target needs 'pivot', the long rows it turns wide");
		return;
	}
	for (i = 0; p->from && i < t->needs.n && strcmp(t->needs.v[i], p->from); i++)
		;
	if (!p->from)
		;   /* reported when walked */
	else if (i == t->needs.n)
		ldterr(ld, t, "pivot 'from' names '%s', which is not among its needs", p->from);
	else if (targets && (u = recipe_target(ld->r, p->from)) && !u->key.n)
		ldterr(ld, t, "pivot 'from' names '%s', which has no key", p->from);
	checkcolumns(ld, t, p);
	if (!(en->keys & 1u << T_INCR))
		t->incr.enabled = true;
	/* the wide table's key is the pivot's; the build is incremental unless said not */
	strlist_release(&t->key);
	t->key.v = xcalloc(p->key.n ? p->key.n : 1, sizeof(*t->key.v));
	for (i = 0; i < p->key.n; i++)
		t->key.v[t->key.n++] = xstrdup(p->key.v[i]);
}
