/*
 * recipe_changes.c: change capture on an extract (DESIGN §10):
 *
 *   incremental:
 *     changes: binlog
 *     tables:
 *       obs: obs_id                     # the changed row's column holding the key
 *       person_name: person_id
 *       visit_key: [site, visit_id]     # one column per key column
 *       concept_name: sql/openmrs/changes/concept_name.sql   # ${row.COLUMN} -> keys
 *
 * tables becomes the sequence [{table, columns: [...]} or {table, file}] of the
 * normalised copy; the SQL files are read with the recipe's other files.
 */
#include "recipe_impl.h"

#include <stdlib.h>
#include <string.h>

/* whether s names a SQL file rather than a column */
static bool
is_sql_file(const char *s)
{
	size_t n = strlen(s);

	return n > 4 && strcasecmp(s + n - 4, ".sql") == 0;
}

/* the key columns of one table: a column, a list of them, or a .sql file */
static bool
walkentry(struct loader *ld, const char *table, yaml_node_t *v, int map)
{
	yaml_node_item_t *it;
	int seq;
	char *s;

	if (v->type == YAML_SCALAR_NODE) {
		if (ldscalar(ld, v, "tables", &s) || !*s) {
			if (!*s)
				ldbad(ld, v, "empty value for table '%s' in 'tables'", table);
			free(s);
			return false;
		}
		if (is_sql_file(s))
			ldoutpair(ld, map, "file", ldoutscalar(ld, s, true));
		else {
			seq = ldoutseq(ld);
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
			ldoutpair(ld, map, "columns", seq);
		}
		free(s);
		return true;
	}
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top) {
		ldbad(ld, v, "expected the column of a changed '%s' row that holds the key, a list of "
		      "them, or a .sql file, got %s", table, ldtypename(v));
		return false;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		if (e->type != YAML_SCALAR_NODE || ldscalar(ld, e, "tables", &s) || !*s) {
			ldbad(ld, e, "expected a column name in the list of table '%s'", table);
			if (e->type == YAML_SCALAR_NODE)
				free(s);
			return false;
		}
		ldoutitem(ld, seq, ldoutscalar(ld, s, true));
		free(s);
	}
	ldoutpair(ld, map, "columns", seq);
	return true;
}

int
ldwalkchanges(struct loader *ld, yaml_node_t *v)
{
	yaml_node_pair_t *p;
	int seq;

	if (v->type != YAML_MAPPING_NODE || v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
		ldbad(ld, v, "expected a mapping of source tables to the columns that hold the key "
		      "for 'tables' (e.g. tables: {obs: obs_id}), got %s", ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key), *e = ldnode(ld, p->value);
		const char *table;
		yaml_node_pair_t *q;
		int map;

		if (k->type != YAML_SCALAR_NODE || !*(table = (const char *)k->data.scalar.value)) {
			ldbad(ld, k, "expected a table name in 'tables', got %s", ldtypename(k));
			continue;
		}
		for (q = v->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *kq = ldnode(ld, q->key);

			if (kq->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)kq->data.scalar.value, table) == 0)
				break;
		}
		if (q < p) {
			ldbad(ld, k, "table '%s' is listed twice in 'tables'", table);
			continue;
		}
		map = ldoutmap(ld);
		ldoutpair(ld, map, "table", ldoutscalar(ld, table, true));
		if (walkentry(ld, table, e, map))
			ldoutitem(ld, seq, map);
	}
	return seq;
}

/* incremental mapping n with keys (bits of I_*): column or changes, and changes' word */
void
ldcheckchanges(struct loader *ld, yaml_node_t *n, unsigned keys)
{
	yaml_node_t *v = ldmapget(ld, n, "changes");

	if (!(keys & 1u << I_COLUMN) && !(keys & 1u << I_CHANGES))
		ldbad(ld, n, "missing required key 'column' in incremental (the watermark column), "
		      "or 'changes: binlog' to capture changes from the source's binary log");
	if (v && v->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)v->data.scalar.value, CHANGES_BINLOG) != 0)
		ldbad(ld, v, "unknown value '%s' for 'changes': expected '" CHANGES_BINLOG "'",
		      (const char *)v->data.scalar.value);
	if ((keys & 1u << I_CHANGES) && !(keys & 1u << I_TABLES))
		ldbad(ld, v, "'changes: binlog' needs 'tables': the source tables whose row changes "
		      "matter, and the column of each that holds the key (e.g. tables: {obs: obs_id})");
	if (!(keys & 1u << I_CHANGES) && (keys & 1u << I_TABLES))
		ldbad(ld, ldmapget(ld, n, "tables"), "'tables' is only for change capture: add "
		      "'changes: binlog'");
}

/* extract t's change capture checked against its key and source (not a group of sites) */
void
ldchecktargetchanges(struct loader *ld, const struct target *t, bool sites)
{
	if (!t->incr.changes)
		return;
	if (t->kind != KIND_EXTRACT) {
		ldterr(ld, t, "change capture (incremental.changes) is only for extracts");
		return;
	}
	if (sites)
		ldterr(ld, t, "change capture (incremental.changes) does not read a group of sites "
		       "yet: use a watermark 'column'");
	if (!t->key.n)
		ldterr(ld, t, "change capture (incremental.changes) needs the extract's 'key'");
	for (size_t i = 0; i < t->incr.ntables; i++) {
		const struct change_table *ct = &t->incr.tables[i];

		if (!ct->file && t->key.n && ct->ncolumns != t->key.n)
			ldterr(ld, t, "incremental.tables: table '%s' gives %zu column%s for a key of %zu "
			       "columns", ct->table, ct->ncolumns, ct->ncolumns == 1 ? "" : "s", t->key.n);
	}
}
