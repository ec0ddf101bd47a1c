/* luigi_conv.c: extract_load, load, summary, flattened and schema tasks into targets */
#include "luigi_impl.h"
#include "sqlsplit.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

/* the one statement of text (malloc'ed), or NULL (reported for field of t) */
static char *
onestmt(struct lconv *c, struct ltask *t, const char *field, const char *text)
{
	struct sqlscript s = { 0 };
	char *err = NULL, *one = NULL;

	if (sqlsplit(text, strlen(text), SQL_MARIADB, &s, &err) < 0) {
		lconv_error(c, t, "'%s' cannot be read: %s", field, err);
		free(err);
	} else if (s.nstmts != 1) {
		lconv_error(c, t, "'%s' holds %zu statements; one was expected", field, s.nstmts);
	} else {
		one = xstrdup(s.stmts[0].sql);
	}
	sqlscript_release(&s);
	return one;
}

/* whether table may name a target; else reported for t */
static bool
usable(struct lconv *c, struct ltask *t, const char *table)
{
	long i = lconv_find(c, table);

	if (!lsql_plain_name(table) || strlen(table) > 64) {
		lconv_error(c, t, "table name '%s' is not a plain name chacc can use as a target", table);
		return false;
	}
	if (!strncasecmp(table, "etl_", 4) || !strncasecmp(table, "_chacc", 6)) {
		lconv_error(c, t, "table '%s': names starting with 'etl_' or '_chacc' are chacc's own",
		            table);
		return false;
	}
	if (i >= 0) {
		lconv_error(c, t, "writes table '%s', which task '%s' writes too", table,
		            c->tasks[c->targets[i].task].name);
		return false;
	}
	return true;
}

/* the header of a SQL file written for task t */
static char *
header(const struct ltask *t, const char *what, const char *sql)
{
	return xasprintf("-- %s of Luigi task %s (%s)\n%s\n", what, t->name, t->typename, sql);
}

struct ltask *
lconv_schema_of(struct lconv *c, struct ltask *t, const char *table, struct lddl *d)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->ntasks; i++) {
			struct ltask *s = &c->tasks[i];
			struct sqlscript ss = { 0 };
			char *err = NULL;

			if (s->type != LT_SCHEMA || !s->sql || s->fate == LF_ERROR ||
			    s->fate == LF_NOT_NEEDED || (pass == 0 && !lstrs_has(&t->deps, s->name)))
				continue;
			if (sqlsplit(s->sql, strlen(s->sql), SQL_MARIADB, &ss, &err) < 0) {
				free(err);
				continue;
			}
			for (size_t j = 0; j < ss.nstmts; j++) {
				if (!lsql_create_table(ss.stmts[j].sql, d))
					continue;
				if (strcasecmp(d->table, table) == 0 && !d->select) {
					sqlscript_release(&ss);
					return s;
				}
				lddl_release(d);
			}
			sqlscript_release(&ss);
		}
	memset(d, 0, sizeof(*d));
	return NULL;
}

/* the INSERT of a task's full_load_sql, checked, or false (reported) */
static bool
insert_of(struct lconv *c, struct ltask *t, struct linsert *ins)
{
	char *one;
	bool ok;

	if (!t->full_load_sql) {
		lconv_error(c, t, "has no 'full_load_sql'");
		return false;
	}
	if (!(one = onestmt(c, t, "full_load_sql", t->full_load_sql)))
		return false;
	ok = lsql_insert(one, ins);
	free(one);
	if (!ok) {
		lconv_error(c, t, "'full_load_sql' is not an INSERT ... VALUES (%%s, ...)");
		return false;
	}
	if (ins->other) {
		lconv_error(c, t, "'full_load_sql' inserts '%s', which is no placeholder: each value "
		            "must be %%s, one per selected column", ins->other);
		linsert_release(ins);
		return false;
	}
	if (ins->cols.n && ins->cols.n != ins->nplaceholders) {
		lconv_error(c, t, "'full_load_sql' names %zu columns for %zu placeholders",
		            ins->cols.n, ins->nplaceholders);
		linsert_release(ins);
		return false;
	}
	if (t->target_table && strcasecmp(ins->table, t->target_table) != 0)
		lconv_warn(c, t, "'full_load_sql' inserts into '%s', not its target_table '%s'",
		           ins->table, t->target_table);
	return true;
}

/* the columns the INSERT fills: its list, else the table's first ones */
static void
insert_columns(const struct linsert *ins, const struct lddl *d, struct strlist *cols)
{
	if (ins->cols.n) {
		for (size_t i = 0; i < ins->cols.n; i++)
			lstrs_add(cols, ins->cols.v[i]);
		return;
	}
	for (size_t i = 0; i < d->ncols && i < ins->nplaceholders; i++)
		lstrs_add(cols, d->cols[i].name);
}

/* the query under the INSERT's column names: a WITH naming them when its own differ */
static char *
renamed(const char *query, char **names, long n, const struct strlist *cols)
{
	struct buf b;
	bool same = cols->n == (size_t)n;

	for (long i = 0; same && i < n; i++)
		same = names[i] && strcasecmp(names[i], cols->v[i]) == 0;
	if (same || cols->n != (size_t)n)
		return xstrdup(query);
	buf_init(&b);
	buf_adds(&b, "-- the columns named as the pipeline's INSERT names them, in order\n"
	         "WITH luigi_q (");
	for (size_t i = 0; i < cols->n; i++) {
		char *id = lsql_ident(cols->v[i]);

		buf_addf(&b, "%s%s", i ? ", " : "", id);
		free(id);
	}
	buf_addf(&b, ") AS (\n%s\n)\nSELECT * FROM luigi_q", query);
	return buf_detach(&b);
}

/* whether the result (cols; empty: not known) has every column of key */
static bool
has_all(const struct strlist *cols, const struct strlist *key)
{
	for (size_t i = 0; i < key->n; i++)
		if (cols->n && !lstrs_has(cols, key->v[i]))
			return false;
	return key->n > 0;
}

/* the primary key of d, else a unique key, whose columns the result has */
static void
pick_key(const struct lddl *d, const struct strlist *cols, struct strlist *key)
{
	const struct strlist *cand = has_all(cols, &d->pk) ? &d->pk : NULL;

	for (size_t u = 0; !cand && u < d->nuniques; u++)
		if (has_all(cols, &d->uniques[u]))
			cand = &d->uniques[u];
	for (size_t i = 0; cand && i < cand->n; i++)
		lstrs_add(key, cand->v[i]);
}

/*
 * the schema task s that creates the table of target gi: its DDL as 'create'.
 * On PostgreSQL that DDL is MariaDB's: the table is made from the types of the
 * query's result instead (its key still comes from the DDL)
 */
static void
use_ddl(struct lconv *c, size_t gi, struct ltask *s, const struct lddl *d)
{
	struct ltarget *g = &c->targets[gi];
	char *ddl;

	if (c->postgres) {
		lstrs_add(&g->notes, "its table is made from the column types of its query's result;"
		          " key and indexes from the schema task's CREATE TABLE (MariaDB's)");
		lconv_fold(c, s, gi);
		return;
	}
	ddl = xasprintf("CREATE TABLE ${this} %s", d->rest);
	g->create_path = xasprintf("sql/tables/%s.sql", g->name);
	g->create_sql = header(s, "the table", ddl);
	free(ddl);
	lconv_file(c, xstrdup(g->create_path), xstrdup(g->create_sql), NULL);
	lconv_fold(c, s, gi);
}

/* key and incremental column of extract gi from t */
static void
extract_incremental(struct lconv *c, struct ltask *t, size_t gi, const struct lddl *d,
                    const struct strlist *cols)
{
	struct ltarget *g = &c->targets[gi];

	pick_key(d, cols, &g->key);
	if (!t->incremental_field || !*t->incremental_field)
		return;
	if (!g->key.n)
		lconv_warn(c, t, "not incremental: no primary key for table '%s' in a schema task "
		           "(chacc upserts by key)", g->name);
	else if (cols->n && !lstrs_has(cols, t->incremental_field))
		lconv_warn(c, t, "not incremental: incremental_field '%s' is not a column of the "
		           "query's result", t->incremental_field);
	else
		g->incremental = xstrdup(t->incremental_field);
}

void
lconv_extract(struct lconv *c, struct ltask *t)
{
	struct linsert ins;
	struct lddl d;
	struct strlist cols = { 0 };
	struct ltask *s;
	char *query = NULL, **names = NULL;
	long n = -1;
	size_t gi;

	if (!t->target_table || !t->query) {
		lconv_error(c, t, "has no '%s'", t->target_table ? "query" : "target_table");
		return;
	}
	if (!insert_of(c, t, &ins))
		return;
	if (!(query = onestmt(c, t, "query", t->query)))
		goto out;
	if (lsql_has_placeholder(query)) {
		lconv_error(c, t, "'query' holds a %%s placeholder: write its condition with "
		            "${since} (NULL in a full build) and import again");
		goto out;
	}
	s = lconv_schema_of(c, t, t->target_table, &d);
	insert_columns(&ins, &d, &cols);
	n = lsql_select_columns(query, &names);
	if (n >= 0 && (size_t)n != ins.nplaceholders) {
		lconv_error(c, t, "'full_load_sql' has %zu placeholders but its query selects %ld "
		            "columns", ins.nplaceholders, n);
		lddl_release(&d);
		goto out;
	}
	if (n < 0)
		lconv_warn(c, t, "the columns of its query cannot be counted (a '*'): the placeholders "
		           "of 'full_load_sql' are not checked");
	if (!usable(c, t, t->target_table)) {
		lddl_release(&d);
		goto out;
	}
	gi = lconv_target(c, t, t->target_table, KIND_EXTRACT);
	c->targets[gi].query_path = xasprintf("sql/extract/%s.sql", t->target_table);
	c->targets[gi].query_sql = renamed(query, names, n, &cols);
	lconv_file(c, xstrdup(c->targets[gi].query_path),
	           header(t, "the query", c->targets[gi].query_sql), NULL);
	if (s)
		use_ddl(c, gi, s, &d);
	if (!cols.n && n > 0)
		for (long i = 0; i < n && names[i]; i++)
			lstrs_add(&cols, names[i]);
	extract_incremental(c, t, gi, &d, &cols);
	if (s && c->postgres)
		lpg_extract_indexes(c, t, &c->targets[gi], &d, &cols);
	lddl_release(&d);
out:
	lsql_names_free(names, n);
	free(query);
	strlist_release(&cols);
	linsert_release(&ins);
}

/* the type of a file target's column: MariaDB's, or spelled for PostgreSQL (NULL: inferred) */
static char *
file_type(struct lconv *c, struct ltask *t, const char *col, const char *type)
{
	char *pg;

	if (!type || !*type)
		return NULL;
	if (!c->postgres)
		return xstrdup(type);
	if (!(pg = lpg_column_type(type)))
		lconv_warn(c, t, "column '%s': type '%s' has no PostgreSQL spelling chacc knows: its "
		           "type is inferred from the file's values", col, type);
	return pg;
}

/* the columns of file target g: the INSERT's, typed by the schema's CREATE TABLE */
static void
file_columns(struct lconv *c, struct ltask *t, struct ltarget *g, const struct linsert *ins,
             const struct lddl *d)
{
	struct strlist cols = { 0 };

	insert_columns(ins, d, &cols);
	g->cols = xcalloc(cols.n + 1, sizeof(*g->cols));
	for (size_t i = 0; i < cols.n; i++) {
		g->cols[i].name = xstrdup(cols.v[i]);
		g->cols[i].type = file_type(c, t, cols.v[i], lddl_type(d, cols.v[i]));
	}
	g->ncols = cols.n;
	pick_key(d, &cols, &g->key);
	strlist_release(&cols);
}

/* a JSON data file whose objects' keys are not the INSERT's columns, in order */
static void
check_keys(struct lconv *c, struct ltask *t, const char *path, const struct ltarget *g)
{
	json_t *root = json_load_file(path, 0, NULL), *row = json_array_get(root, 0), *v;
	const char *k;
	size_t i = 0;
	bool same = true;

	if (!json_is_object(row) || !g->ncols) {
		json_decref(root);
		return;
	}
	json_object_foreach(row, k, v)
		same = same && i < g->ncols && strcmp(k, g->cols[i++].name) == 0;
	if (!same || i != g->ncols)
		lconv_warn(c, t, "the keys of the objects in 'data/%s' are not the INSERT's columns in "
		           "order: the file target loads each value into the column its key names",
		           t->source_file);
	json_decref(root);
}

void
lconv_load(struct lconv *c, struct ltask *t)
{
	struct linsert ins;
	struct lddl d;
	struct ltask *s;
	struct stat st;
	char *src;
	size_t gi;

	if (!t->target_table || !t->source_file) {
		lconv_error(c, t, "has no '%s'", t->target_table ? "source_file" : "target_table");
		return;
	}
	if (*t->source_file == '/' || strstr(t->source_file, "..")) {
		lconv_error(c, t, "source_file '%s' is outside 'data/'", t->source_file);
		return;
	}
	src = xasprintf("%s/data/%s", c->li->dir, t->source_file);
	if (stat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
		lconv_error(c, t, "data file 'data/%s' is missing in '%s'", t->source_file, c->li->dir);
		free(src);
		return;
	}
	if (!insert_of(c, t, &ins)) {
		free(src);
		return;
	}
	s = lconv_schema_of(c, t, t->target_table, &d);
	if (usable(c, t, t->target_table)) {
		gi = lconv_target(c, t, t->target_table, KIND_TABLE);
		c->targets[gi].filekind = true;
		c->targets[gi].file = xasprintf("data/%s", t->source_file);
		c->targets[gi].file_src = xstrdup(src);
		lconv_file(c, xstrdup(c->targets[gi].file), NULL, src);
		file_columns(c, t, &c->targets[gi], &ins, &d);
		check_keys(c, t, src, &c->targets[gi]);
		if (s)
			lconv_fold(c, s, gi);
	}
	lddl_release(&d);
	linsert_release(&ins);
	free(src);
}

/* statements into a script's text: with DELIMITER // when one holds a ';' */
static char *
script_text(const struct ltask *t, char **stmts, size_t n)
{
	struct buf b;
	bool delim = false;

	for (size_t i = 0; i < n; i++)
		delim |= strchr(stmts[i], ';') != NULL;
	buf_init(&b);
	buf_addf(&b, "-- the script of Luigi task %s (%s); it writes its table itself\n", t->name,
	         t->typename);
	if (delim)
		buf_adds(&b, "DELIMITER //\n");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s\n", stmts[i], delim ? "\n//" : ";");
	if (delim)
		buf_adds(&b, "DELIMITER ;\n");
	return buf_detach(&b);
}

/* a script target named table for t, in place, from statements */
static size_t
script_target(struct lconv *c, struct ltask *t, const char *table, char **stmts, size_t n)
{
	size_t gi = lconv_target(c, t, table, KIND_SCRIPT);
	struct ltarget *g = &c->targets[gi];

	g->script_path = xasprintf("sql/scripts/%s.sql", table);
	g->in_place = true;
	lconv_file(c, xstrdup(g->script_path), script_text(t, stmts, n), NULL);
	return gi;
}

/* a summary's index statement on table into target g; false when it is not one */
static bool
add_index(struct lconv *c, struct ltask *t, struct ltarget *g, const char *table,
          const char *stmt)
{
	struct strlist cols;
	char *on;
	enum lindex k = lsql_index(stmt, &on, &cols);
	bool ok = k != LIX_NONE && strcasecmp(on, table) == 0 && !(k == LIX_PRIMARY && g->key.n);

	if (ok && k == LIX_PRIMARY) {
		g->key = cols;
		cols = (struct strlist){ 0 };
	} else if (ok) {
		if (k == LIX_UNIQUE)
			lconv_warn(c, t, "unique index on (%s...) becomes a plain index", cols.v[0]);
		g->indexes = xreallocarray(g->indexes, g->nindexes + 1, sizeof(*g->indexes));
		g->indexes[g->nindexes++] = cols;
		cols = (struct strlist){ 0 };
	}
	strlist_release(&cols);
	free(on);
	return ok;
}

/* a summary as a table target: CREATE TABLE t AS SELECT, then index statements on t */
static bool
summary_table(struct lconv *c, struct ltask *t, char **stmts, size_t n)
{
	struct lddl d;
	struct ltarget g = { 0 };
	bool ok;
	size_t gi;

	if (!lsql_create_table(stmts[0], &d))
		return false;
	ok = d.select && !d.temporary && d.ncols == 0;
	for (size_t i = 1; ok && i < n; i++)
		ok = add_index(c, t, &g, d.table, stmts[i]);
	for (size_t i = 0; ok && i < t->indexes.n; i++)
		ok = add_index(c, t, &g, d.table, t->indexes.v[i]);
	if (ok && usable(c, t, d.table)) {
		gi = lconv_target(c, t, d.table, KIND_TABLE);
		c->targets[gi].key = g.key;
		c->targets[gi].indexes = g.indexes;
		c->targets[gi].nindexes = g.nindexes;
		c->targets[gi].query_path = xasprintf("sql/summary/%s.sql", d.table);
		c->targets[gi].query_sql = xstrdup(d.select);
		lconv_file(c, xstrdup(c->targets[gi].query_path), header(t, "the query", d.select),
		           NULL);
		memset(&g, 0, sizeof(g));
	}
	strlist_release(&g.key);
	for (size_t i = 0; i < g.nindexes; i++)
		strlist_release(&g.indexes[i]);
	free(g.indexes);
	lddl_release(&d);
	return ok;
}

void
lconv_summary(struct lconv *c, struct ltask *t)
{
	struct sqlscript s = { 0 };
	char *err = NULL, *drop = NULL, *table = NULL, **stmts;
	size_t first = 0, n;

	if (!t->sql) {
		lconv_error(c, t, "has no 'sql'");
		return;
	}
	if (sqlsplit(t->sql, strlen(t->sql), SQL_MARIADB, &s, &err) < 0 || s.nstmts == 0) {
		lconv_error(c, t, "its 'sql' cannot be read: %s", err ? err : "no statement");
		free(err);
		return;
	}
	stmts = xcalloc(s.nstmts + t->indexes.n + 1, sizeof(*stmts));
	for (size_t i = 0; i < s.nstmts; i++)
		stmts[i] = s.stmts[i].sql;
	for (size_t i = 0; i < t->indexes.n; i++)
		stmts[s.nstmts + i] = t->indexes.v[i];
	if (s.nstmts > 1 && (drop = lsql_drop_table(stmts[0])) &&
	    (table = lsql_written_table(stmts[1])) && strcasecmp(drop, table) == 0)
		first = 1;
	if (!summary_table(c, t, stmts + first, s.nstmts - first) && t->fate != LF_ERROR) {
		n = s.nstmts + t->indexes.n;
		free(table);
		table = NULL;
		for (size_t i = 0; i < n && !table; i++)
			table = lsql_written_table(stmts[i]);
		if (!table)
			lconv_error(c, t, "its 'sql' creates no table (expected CREATE TABLE ... AS SELECT)");
		else if (usable(c, t, table))
			script_target(c, t, table, stmts, n);
	}
	free(drop);
	free(table);
	free(stmts);
	sqlscript_release(&s);
}

void
lconv_flattened(struct lconv *c, struct ltask *t)
{
	char *call, *routine, *table = NULL;
	struct ltask *p;
	size_t gi;

	if (!t->procedure_call) {
		lconv_error(c, t, "has no 'procedure_call'");
		return;
	}
	call = strtrim(xstrdup(t->procedure_call));
	call[strcspn(call, ";")] = '\0';
	if (!(routine = lsql_call_name(call))) {
		lconv_error(c, t, "procedure_call '%s' is not a CALL", call);
	} else if (!(p = lproc_defining(c, routine, &table))) {
		lconv_error(c, t, "calls procedure '%s', which no procedure task defines", routine);
	} else if (p->fate == LF_ERROR) {
		lconv_error(c, t, "its procedure task '%s' cannot be converted", p->name);
	} else if (!table) {
		lconv_error(c, t, "cannot tell which table procedure '%s' (task '%s') writes: it "
		            "creates or inserts into no named table", routine, p->name);
	} else if (usable(c, t, table)) {
		gi = lconv_target(c, t, table, KIND_SCRIPT);
		c->targets[gi].script_path = xstrdup(lproc_script(c, p));
		c->targets[gi].call = xstrdup(call);
		c->targets[gi].in_place = true;
		lconv_fold(c, p, gi);
	}
	free(table);
	free(routine);
	free(call);
}

/* a statement of schema task t that is no CREATE TABLE: an index of a target, or left */
static bool
schema_index(struct lconv *c, struct ltask *t, const char *stmt)
{
	struct strlist cols;
	char *on;
	enum lindex k = lsql_index(stmt, &on, &cols);
	long gi = k != LIX_NONE ? lconv_find(c, on) : -1;
	bool ok = false;

	if (gi >= 0 && c->targets[gi].kind != KIND_SCRIPT && !c->targets[gi].filekind)
		ok = add_index(c, t, &c->targets[gi], on, stmt);
	strlist_release(&cols);
	free(on);
	return ok;
}

void
lconv_schema(struct lconv *c, struct ltask *t)
{
	struct sqlscript s = { 0 };
	char *err = NULL, **own = NULL, *table = NULL;
	size_t nown = 0;

	if (!t->sql) {
		lconv_error(c, t, "has no 'sql'");
		return;
	}
	if (sqlsplit(t->sql, strlen(t->sql), SQL_MARIADB, &s, &err) < 0) {
		lconv_error(c, t, "its 'sql' cannot be read: %s", err);
		free(err);
		return;
	}
	own = xcalloc(s.nstmts + 1, sizeof(*own));
	for (size_t i = 0; i < s.nstmts; i++) {
		const char *stmt = s.stmts[i].sql;
		struct lddl d;
		long gi = -1;

		if (lsql_is_create_database(stmt))
			continue;
		if (!lsql_create_table(stmt, &d)) {
			if (!schema_index(c, t, stmt))
				own[nown++] = s.stmts[i].sql;
			continue;
		}
		if (luigi_bookkeeping_table(d.table))
			;
		else if ((gi = lconv_find(c, d.table)) >= 0)
			lconv_fold(c, t, (size_t)gi);
		else if (!table)
			table = xstrdup(d.table);
		if (!luigi_bookkeeping_table(d.table) && gi < 0)
			own[nown++] = s.stmts[i].sql;
		lddl_release(&d);
	}
	if (nown && !table && t->fate == LF_FOLDED)
		lconv_warn(c, t, "%zu statement%s not converted (the first: %.60s)", nown,
		           nown == 1 ? " is" : "s are", own[0]);
	else if (nown && !table)
		lconv_error(c, t, "its 'sql' (%.40s...) creates no table of its own to name a "
		            "target after", own[0]);
	else if (nown && usable(c, t, table))
		script_target(c, t, table, own, nown);
	else if (t->fate == LF_PENDING)
		lconv_error(c, t, "its 'sql' creates no table");
	free(table);
	free(own);
	sqlscript_release(&s);
}
