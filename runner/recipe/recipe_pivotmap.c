/*
 * recipe_pivotmap.c: a pivot's map: a YAML or JSON file next to the recipe
 * listing its columns, as chacc writes them ([{name, attribute, type, rule}]
 * or {columns: [...]}) or as MambaETL's concept metadata does ({report_name,
 * flat_table_name, encounter_type_uuid, concepts_locale, table_columns:
 * {column: concept uuid}}, one form or several in flat_report_metadata).
 * Its columns join those of columns: in the normalised copy, each with the
 * map file and its line, so that messages point into the map.
 */
#include "recipe_impl.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_FILE, M_FORM, M_TYPE, M_RULE, M_TYPES, M_N };
static const char *const spec_keys[M_N] = { "file", "form", "type", "rule", "types" };

/* the keys of a map file's top mapping: chacc's, then MambaETL's */
enum {
	F_COLUMNS, F_FORMS, F_REPORT, F_TABLE, F_ENCTYPE, F_LOCALE, F_TABLE_COLUMNS, F_N
};
static const char *const file_keys[F_N] = {
	"columns", "flat_report_metadata", "report_name", "flat_table_name",
	"encounter_type_uuid", "concepts_locale", "table_columns",
};

/* the recipe's map: spec, and where it was read */
struct mapspec {
	yaml_node_t *node;       /* map: in the recipe */
	char *file;
	char *form;              /* the form to take of several, or NULL */
	struct pivotdflt d;
};

/* a non-empty string of node v for key into *s; false (reported) if not */
static bool
text(struct loader *ld, yaml_node_t *v, const char *key, char **s)
{
	if (ldscalar(ld, v, key, s) < 0)
		return false;
	if (!**s) {
		ldbad(ld, v, "empty value for '%s'", key);
		free(*s);
		*s = NULL;
		return false;
	}
	return true;
}

static void
spectypes(struct loader *ld, yaml_node_t *v, struct mapspec *m)
{
	yaml_node_pair_t *p;
	char *type;

	if (v->type != YAML_MAPPING_NODE) {
		ldbad(ld, v, "expected a mapping of columns to types for 'types', got %s",
		      ldtypename(v));
		return;
	}
	m->d.types = xcalloc((size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start) + 1,
	                     sizeof(*m->d.types));
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key);
		struct pivottype *e = &m->d.types[m->d.ntypes];

		if (k->type != YAML_SCALAR_NODE || !*k->data.scalar.value) {
			ldbad(ld, k, "expected a column name in 'types'");
			continue;
		}
		if (!text(ld, ldnode(ld, p->value), "types", &type))
			continue;
		e->name = xstrdup((const char *)k->data.scalar.value);
		e->type = type;
		e->at = k;
		m->d.ntypes++;
	}
}

/* map: FILE or {file, form, type, rule, types}; false when there is no file to read */
static bool
spec(struct loader *ld, yaml_node_t *v, struct mapspec *m)
{
	yaml_node_pair_t *p;
	unsigned got = 0;
	int k;

	if (v->type == YAML_SCALAR_NODE)
		return text(ld, v, "map", &m->file);
	if (v->type != YAML_MAPPING_NODE) {
		ldbad(ld, v, "expected a file or a mapping ({file, form, type, rule, types}) for "
		      "'map', got %s", ldtypename(v));
		return false;
	}
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key), *val = ldnode(ld, p->value);
		char *s;

		if ((k = ldkeyof(ld, kn, spec_keys, M_N, "map")) < 0)
			continue;
		if (got & 1u << k) {
			ldbad(ld, kn, "duplicate key '%s' in map", spec_keys[k]);
			continue;
		}
		got |= 1u << k;
		if (k == M_TYPES)
			spectypes(ld, val, m);
		else if (k == M_RULE)
			m->d.rule = ldpivotrule(ld, val);
		else if (text(ld, val, spec_keys[k], &s))
			*(k == M_FILE ? &m->file : k == M_FORM ? &m->form : (char **)&m->d.type) = s;
	}
	if (!(got & 1u << M_FILE))
		ldbad(ld, v, "missing required key 'file' in map");
	return m->file != NULL;
}

/* the scalar text of node n, or "" */
static const char *
str(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
}

/* table_columns: {column: concept uuid} of a MambaETL form */
static void
tablecolumns(struct loader *ld, yaml_node_t *v, int seq, struct mapspec *m)
{
	yaml_node_pair_t *p;

	if (v->type != YAML_MAPPING_NODE) {
		ldbad(ld, v, "expected a mapping of column names to concept uuids for "
		      "'table_columns', got %s", ldtypename(v));
		return;
	}
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *f[4] = { ldnode(ld, p->key), ldnode(ld, p->value), NULL, NULL };

		ldpivotcolumn(ld, seq, f[0], f, &m->d);
	}
}

/*
 * one MambaETL form, mapping n: its table_columns are the columns; the rest
 * is checked for its keys only (chacc's recipe says which rows and answers)
 */
static void
form(struct loader *ld, yaml_node_t *n, int seq, struct mapspec *m)
{
	yaml_node_t *cols = NULL;
	yaml_node_pair_t *p;
	int k;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = ldnode(ld, p->key), *val = ldnode(ld, p->value);

		if ((k = ldkeyof(ld, kn, file_keys + F_REPORT, F_N - F_REPORT, "MambaETL form")) < 0)
			continue;
		if (k + F_REPORT == F_TABLE_COLUMNS)
			cols = val;
		else if (val->type != YAML_SCALAR_NODE)
			ldbad(ld, val, "expected a string for '%s', got %s", file_keys[k + F_REPORT],
			      ldtypename(val));
	}
	if (cols)
		tablecolumns(ld, cols, seq, m);
	else
		ldbad(ld, n, "missing required key 'table_columns' in MambaETL form");
}

/* whether MambaETL form n is the one named name (its flat_table_name or report_name) */
static bool
isform(struct loader *ld, yaml_node_t *n, const char *name)
{
	return n->type == YAML_MAPPING_NODE &&
	    (!strcmp(str(ldmapget(ld, n, "flat_table_name")), name) ||
	     !strcmp(str(ldmapget(ld, n, "report_name")), name));
}

/* flat_report_metadata: [form...]: the one m->form or the target names, or the only one */
static void
forms(struct loader *ld, yaml_node_t *v, int seq, struct mapspec *m)
{
	const char *want = m->form ? m->form : ld->tname ? ld->tname : "";
	yaml_node_item_t *it, *first, *top;
	yaml_node_t *pick = NULL;

	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top) {
		ldbad(ld, v, "expected a sequence of forms for 'flat_report_metadata', got %s",
		      ldtypename(v));
		return;
	}
	first = v->data.sequence.items.start;
	top = v->data.sequence.items.top;
	for (it = first; it < top && !pick; it++)
		if (isform(ld, ldnode(ld, *it), want))
			pick = ldnode(ld, *it);
	if (!pick && !m->form && top - first == 1)
		pick = ldnode(ld, *first);
	if (!pick) {
		ldbad(ld, v, "no form '%s' in 'flat_report_metadata' (give the map's 'form': a "
		      "flat_table_name or report_name)", want);
		return;
	}
	if (pick->type != YAML_MAPPING_NODE)
		ldbad(ld, pick, "expected a mapping for a MambaETL form, got %s", ldtypename(pick));
	else
		form(ld, pick, seq, m);
}

/* the map file's document, root node n: its columns into seq */
static void
mapdoc(struct loader *ld, yaml_node_t *n, int seq, struct mapspec *m)
{
	yaml_node_item_t *it;
	yaml_node_t *cols;

	if (!n) {
		ldmsg(ld, ld->file, 1, 1, "empty map: expected its columns");
		ld->nsoft++;
		return;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			ldpivotentry(ld, ldnode(ld, *it), seq, &m->d);
		return;
	}
	if (n->type != YAML_MAPPING_NODE) {
		ldbad(ld, n, "expected a sequence of columns or a mapping for a map, got %s",
		      ldtypename(n));
		return;
	}
	if ((cols = ldmapget(ld, n, "flat_report_metadata"))) {
		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > 1)
			ldbad(ld, n, "a map with 'flat_report_metadata' holds nothing else");
		forms(ld, cols, seq, m);
	} else if ((cols = ldmapget(ld, n, "columns"))) {
		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > 1)
			ldbad(ld, n, "a map with 'columns' holds nothing else");
		if (cols->type != YAML_SEQUENCE_NODE) {
			ldbad(ld, cols, "expected a sequence of columns for 'columns', got %s",
			      ldtypename(cols));
			return;
		}
		for (it = cols->data.sequence.items.start; it < cols->data.sequence.items.top; it++)
			ldpivotentry(ld, ldnode(ld, *it), seq, &m->d);
	} else if (m->form && !isform(ld, n, m->form)) {
		ldbad(ld, n, "no form '%s' in the map: it holds '%s'", m->form,
		      str(ldmapget(ld, n, "flat_table_name")));
	} else {
		form(ld, n, seq, m);
	}
}

/* the map file m->file read and walked, as the file messages name; false if not read */
static bool
readmap(struct loader *ld, yaml_node_t *v, int seq, struct mapspec *m)
{
	const char *why, *file = ld->file;
	yaml_document_t doc, *in = ld->in;
	char *disp, *body;
	size_t len = SIZE_MAX;
	bool ok;

	if ((why = ldforbidden(ld, m->file))) {
		ldbad(ld, v, "map file '%s' %s", ldshown(ld, m->file, ld->file, (int)v->start_mark.line + 1),
		      why);
		return false;
	}
	if (!(body = ldread(ld, m->file, &len))) {
		ldbad(ld, v, "map file '%s' not found",
		      ldshown(ld, m->file, ld->file, (int)v->start_mark.line + 1));
		return false;
	}
	if (len == SIZE_MAX)
		len = strlen(body);
	disp = ldpathjoin(ld->r->dir, m->file);
	m->d.file = disp;
	ld->file = disp;
	if ((ok = ldparsedoc(ld, body, len, &doc))) {
		ld->in = &doc;
		mapdoc(ld, yaml_document_get_root_node(&doc), seq, m);
		ld->in = in;
		yaml_document_delete(&doc);
	}
	ld->file = file;
	m->d.file = NULL;
	free(disp);
	free(body);
	return ok;
}

void
ldwalkpivotmap(struct loader *ld, yaml_node_t *v, int map, int seq)
{
	struct mapspec m = { .node = v };
	size_t i;

	if (spec(ld, v, &m)) {
		ldoutpair(ld, map, "map", ldoutscalar(ld, m.file, true));
		if (readmap(ld, v, seq, &m))
			for (i = 0; i < m.d.ntypes; i++)
				if (!m.d.types[i].used)
					ldbad(ld, m.d.types[i].at, "'types' names '%s', which is not a "
					      "column of the map without a type", m.d.types[i].name);
	}
	for (i = 0; i < m.d.ntypes; i++) {
		free(m.d.types[i].name);
		free(m.d.types[i].type);
	}
	free(m.d.types);
	free(m.file);
	free(m.form);
	free((char *)m.d.type);
}
