/* luigi.c: reading the Luigi pipeline's task configs and turning them into targets */
#include "luigi_impl.h"
#include "diag.h"
#include "sqlsplit.h"
#include "util.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

static const char *const type_names[] = {
	[LT_SCHEMA] = "schema", [LT_PROCEDURE] = "procedure", [LT_EXTRACT_LOAD] = "extract_load",
	[LT_LOAD] = "load", [LT_FLATTENED] = "flattened", [LT_SUMMARY] = "summary",
};

bool
luigi_bookkeeping_table(const char *table)
{
	return strncasecmp(table, "chacc_etl_", 10) == 0 ||
	       strncasecmp(table, "chacc_pipeline_", 15) == 0 ||
	       strcasecmp(table, "etl_metadata") == 0 || strcasecmp(table, "etl_watermarks") == 0;
}

struct ltask *
lconv_task(struct lconv *c, const char *name)
{
	for (size_t i = 0; i < c->ntasks; i++)
		if (strcmp(c->tasks[i].name, name) == 0)
			return &c->tasks[i];
	return NULL;
}

void
lconv_error(struct lconv *c, struct ltask *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(c->ds, DIAG_ERROR, t ? t->json : NULL, 0, 0, NULL, "task '%s': %s",
	         t ? t->name : "?", msg);
	c->nerrors++;
	if (t && t->fate != LF_ERROR) {
		t->fate = LF_ERROR;
		free(t->why);
		t->why = msg;
	} else {
		free(msg);
	}
}

void
lconv_warn(struct lconv *c, struct ltask *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_add(c->ds, DIAG_WARNING, t->json, 0, 0, NULL, "task '%s': %s", t->name, msg);
	free(msg);
}

long
lconv_find(struct lconv *c, const char *name)
{
	for (size_t i = 0; i < c->ntargets; i++)
		if (strcasecmp(c->targets[i].name, name) == 0)
			return (long)i;
	return -1;
}

size_t
lconv_target(struct lconv *c, struct ltask *t, const char *name, enum kind k)
{
	struct ltarget *g;

	c->targets = xreallocarray(c->targets, c->ntargets + 1, sizeof(*c->targets));
	g = &c->targets[c->ntargets];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->kind = k;
	g->task = (size_t)(t - c->tasks);
	t->fate = LF_TARGET;
	t->target = c->ntargets;
	return c->ntargets++;
}

void
lconv_fold(struct lconv *c, struct ltask *t, size_t i)
{
	for (size_t j = 0; j < t->nfolded; j++)
		if (t->folded[j] == i)
			return;
	t->fate = LF_FOLDED;
	t->folded = xreallocarray(t->folded, t->nfolded + 1, sizeof(*t->folded));
	t->folded[t->nfolded++] = i;
	lstrs_add(&c->targets[i].with, t->name);
}

const char *
lconv_file(struct lconv *c, char *path, char *text, const char *copy_from)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0) {
			free(path);
			free(text);
			return c->files[i].path;
		}
	c->files = xreallocarray(c->files, c->nfiles + 1, sizeof(*c->files));
	c->files[c->nfiles] = (struct lfile){ path, text, copy_from ? xstrdup(copy_from) : NULL };
	return c->files[c->nfiles++].path;
}

/* a path in the Luigi project: relative, never climbing out of it */
static bool
inside_path(const char *p)
{
	if (*p == '/' || strcmp(p, "..") == 0 || strstarts(p, "../") || strstr(p, "/../"))
		return false;
	return strlen(p) < 3 || strcmp(p + strlen(p) - 3, "/..") != 0;
}

/* a SQL field: inline SQL, or a file of the project when it ends in .sql */
static char *
sqlfield(struct lconv *c, struct ltask *t, json_t *obj, const char *key, char **path)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	char *full, *text;
	size_t n;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		lconv_error(c, t, "'%s' is not a string", key);
		return NULL;
	}
	s = json_string_value(v);
	n = strlen(s);
	if (n < 4 || strcmp(s + n - 4, ".sql") != 0 || strpbrk(s, " \t\r\n;"))
		return xstrdup(s);
	if (!inside_path(s)) {
		lconv_error(c, t, "SQL file '%s' of '%s' is outside '%s'", s, key, c->li->dir);
		return NULL;
	}
	full = xasprintf("%s/%s", c->li->dir, s);
	text = readfile(full, NULL);
	if (!text)
		lconv_error(c, t, "SQL file '%s' of '%s' is missing (%s)", s, key, strerror(errno));
	else if (path)
		*path = xstrdup(s);
	free(full);
	return text;
}

static char *
strfield(struct lconv *c, struct ltask *t, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	lconv_error(c, t, "'%s' is not a string", key);
	return NULL;
}

static void
strsfield(struct lconv *c, struct ltask *t, json_t *obj, const char *key, struct strlist *l)
{
	json_t *v = json_object_get(obj, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return;
	if (!json_is_array(v)) {
		lconv_error(c, t, "'%s' is not a list", key);
		return;
	}
	json_array_foreach(v, i, e) {
		if (json_is_string(e))
			lstrs_add(l, json_string_value(e));
		else
			lconv_error(c, t, "'%s' holds something that is not a string", key);
	}
}

static void
task_release(struct ltask *t)
{
	free(t->name);
	free(t->json);
	free(t->typename);
	strlist_release(&t->deps);
	free(t->sql);
	free(t->query);
	free(t->full_load_sql);
	free(t->sql_path);
	free(t->target_table);
	free(t->incremental_field);
	free(t->source_file);
	free(t->procedure_call);
	strlist_release(&t->indexes);
	free(t->why);
	free(t->folded);
	memset(t, 0, sizeof(*t));
}

/* task name of file rel, as the object obj; a later definition replaces an earlier one */
static void
add_task(struct lconv *c, const char *rel, const char *name, json_t *obj)
{
	struct ltask *t = lconv_task(c, name);
	json_t *type;

	if (t) {
		diag_add(c->ds, DIAG_WARNING, rel, 0, 0, NULL,
		         "task '%s' of '%s' is defined again: this one counts, as in the pipeline",
		         name, t->json);
		task_release(t);
	} else {
		c->tasks = xreallocarray(c->tasks, c->ntasks + 1, sizeof(*c->tasks));
		t = &c->tasks[c->ntasks++];
		memset(t, 0, sizeof(*t));
	}
	t->name = xstrdup(name);
	t->json = xstrdup(rel);
	if (!json_is_object(obj)) {
		lconv_error(c, t, "is not an object");
		return;
	}
	type = json_object_get(obj, "type");
	t->typename = xstrdup(json_is_string(type) ? json_string_value(type) : "");
	t->type = LT_UNKNOWN;
	for (size_t i = 0; i < LEN(type_names); i++)
		if (strcmp(t->typename, type_names[i]) == 0)
			t->type = (enum ltype)i;
	strsfield(c, t, obj, "dependencies", &t->deps);
	/* not converted, whatever it names */
	if (strcmp(name, "InitCreateDatabaseTask") == 0)
		return;
	t->sql = sqlfield(c, t, obj, "sql", &t->sql_path);
	t->query = sqlfield(c, t, obj, "query", NULL);
	t->full_load_sql = sqlfield(c, t, obj, "full_load_sql", NULL);
	t->target_table = strfield(c, t, obj, "target_table");
	t->incremental_field = strfield(c, t, obj, "incremental_field");
	t->source_file = strfield(c, t, obj, "source_file");
	t->procedure_call = strfield(c, t, obj, "procedure_call");
	strsfield(c, t, obj, "indexes", &t->indexes);
}

/* every config/tasks/ *.json of the project, in sorted order, as the pipeline reads them */
static int
load_configs(struct lconv *c)
{
	char *pattern = xasprintf("%s/config/tasks/*.json", c->li->dir);
	size_t skip = strlen(c->li->dir) + 1;
	glob_t g;
	int rc = 0;

	if (glob(pattern, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		diag_error(c->ds, "no task configs in '%s/config/tasks/' (*.json)", c->li->dir);
		free(pattern);
		globfree(&g);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *rel = g.gl_pathv[i] + skip, *name;
		json_error_t e;
		json_t *root = json_load_file(g.gl_pathv[i], 0, &e), *tasks, *obj;

		if (!root) {
			diag_add(c->ds, DIAG_ERROR, rel, e.line, e.column, NULL, "%s", e.text);
			rc = -1;
			continue;
		}
		tasks = json_object_get(root, "tasks");
		if (!json_is_object(tasks)) {
			diag_add(c->ds, DIAG_ERROR, rel, 0, 0, NULL, "no \"tasks\" object");
			rc = -1;
		}
		json_object_foreach(tasks, name, obj)
			add_task(c, rel, name, obj);
		json_decref(root);
	}
	globfree(&g);
	free(pattern);
	return rc;
}

/* the statements of text (a Luigi pipeline's SQL is MariaDB's), or -1 (reported for t) */
static int
split(struct lconv *c, struct ltask *t, const char *text, struct sqlscript *s)
{
	char *err = NULL;

	if (sqlsplit(text, strlen(text), SQL_MARIADB, s, &err) == 0)
		return 0;
	lconv_error(c, t, "its SQL cannot be read: %s", err);
	free(err);
	return -1;
}

/* InitCreateDatabaseTask, and schema tasks that only make the pipeline's tables */
static void
mark_bookkeeping(struct lconv *c, struct ltask *t)
{
	struct sqlscript s = { 0 };
	bool all = true;

	if (strcmp(t->name, "InitCreateDatabaseTask") == 0) {
		t->fate = LF_NOT_NEEDED;
		t->why = xstrdup("creates the database (chacc creates its tables itself)");
		return;
	}
	if (t->type != LT_SCHEMA || !t->sql || split(c, t, t->sql, &s) < 0)
		return;
	for (size_t i = 0; i < s.nstmts && all; i++) {
		struct lddl d;

		if (lsql_is_create_database(s.stmts[i].sql))
			continue;
		if (!lsql_create_table(s.stmts[i].sql, &d)) {
			all = false;
			break;
		}
		all = luigi_bookkeeping_table(d.table);
		lddl_release(&d);
	}
	if (all && s.nstmts) {
		t->fate = LF_NOT_NEEDED;
		t->why = xstrdup("the pipeline's own bookkeeping (chacc keeps its markers in etl_* tables)");
	}
	sqlscript_release(&s);
}

/* the checks every task gets: a known type, dependencies that exist */
static void
check_task(struct lconv *c, struct ltask *t)
{
	if (t->fate == LF_ERROR)
		return;
	if (t->type == LT_UNKNOWN) {
		lconv_error(c, t, "unknown type '%s' (expected schema, procedure, extract_load, "
		            "load, flattened or summary)", t->typename);
		return;
	}
	for (size_t i = 0; i < t->deps.n; i++)
		if (!lconv_task(c, t->deps.v[i]))
			lconv_error(c, t, "depends on '%s', which no task config defines",
			            t->deps.v[i]);
}

static void
add_need(struct lconv *c, size_t self, const char *name)
{
	struct ltarget *g = &c->targets[self];

	if (strcasecmp(name, g->name) != 0 && !lstrs_has(&g->needs, name))
		lstrs_add(&g->needs, name);
}

/* the targets dependency dep of target self stands for, into its needs */
static void
resolve(struct lconv *c, size_t self, const char *dep, bool *seen)
{
	struct ltask *d = lconv_task(c, dep);
	size_t di;

	if (!d || seen[di = (size_t)(d - c->tasks)])
		return;
	seen[di] = true;
	if (d->fate == LF_TARGET && d->target != self) {
		add_need(c, self, c->targets[d->target].name);
		return;
	}
	if (d->fate == LF_FOLDED) {
		bool mine = false;

		for (size_t i = 0; i < d->nfolded; i++) {
			if (d->folded[i] == self)
				mine = true;
			else
				add_need(c, self, c->targets[d->folded[i]].name);
		}
		if (!mine)
			return;
	}
	for (size_t i = 0; i < d->deps.n; i++)
		resolve(c, self, d->deps.v[i], seen);
}

static void
map_needs(struct lconv *c)
{
	bool *seen = xcalloc(c->ntasks + 1, sizeof(*seen));

	for (size_t i = 0; i < c->ntargets; i++) {
		struct ltarget *g = &c->targets[i];
		struct ltask *t = &c->tasks[g->task];

		memset(seen, 0, (c->ntasks + 1) * sizeof(*seen));
		seen[g->task] = true;
		for (size_t j = 0; j < t->deps.n; j++)
			resolve(c, i, t->deps.v[j], seen);
		for (size_t k = 0; k < g->with.n; k++) {
			struct ltask *w = lconv_task(c, g->with.v[k]);

			for (size_t j = 0; w && j < w->deps.n; j++)
				resolve(c, i, w->deps.v[j], seen);
		}
	}
	free(seen);
}

/* the tasks of the types in order, converted */
static void
convert(struct lconv *c)
{
	static const enum ltype order[] = {
		LT_EXTRACT_LOAD, LT_LOAD, LT_SUMMARY, LT_FLATTENED, LT_SCHEMA,
	};

	for (size_t k = 0; k < LEN(order); k++)
		for (size_t i = 0; i < c->ntasks; i++) {
			struct ltask *t = &c->tasks[i];

			/* a schema task folded into an extract may hold more tables */
			if (t->type != order[k] || (t->fate != LF_PENDING &&
			    !(t->type == LT_SCHEMA && t->fate == LF_FOLDED)))
				continue;
			switch (t->type) {
			case LT_EXTRACT_LOAD: lconv_extract(c, t); break;
			case LT_LOAD: lconv_load(c, t); break;
			case LT_SUMMARY: lconv_summary(c, t); break;
			case LT_FLATTENED: lconv_flattened(c, t); break;
			case LT_SCHEMA: lconv_schema(c, t); break;
			default: break;
			}
		}
	for (size_t i = 0; i < c->ntasks; i++) {
		struct ltask *t = &c->tasks[i];

		if (t->type == LT_PROCEDURE && t->fate == LF_PENDING) {
			t->fate = LF_UNUSED;
			t->why = xstrdup("defines procedures that no flattened task calls");
			lconv_warn(c, t, "%s: not converted", t->why);
		}
	}
}

static void
target_release(struct ltarget *g)
{
	free(g->name);
	strlist_release(&g->with);
	free(g->query_path);
	free(g->query_sql);
	free(g->create_path);
	free(g->create_sql);
	free(g->script_path);
	free(g->call);
	strlist_release(&g->key);
	for (size_t i = 0; i < g->nindexes; i++)
		strlist_release(&g->indexes[i]);
	free(g->indexes);
	free(g->incremental);
	free(g->file);
	free(g->file_src);
	for (size_t i = 0; i < g->ncols; i++) {
		free(g->cols[i].name);
		free(g->cols[i].type);
	}
	free(g->cols);
	strlist_release(&g->needs);
	strlist_release(&g->notes);
}

void
lconv_drop_targets(struct lconv *c, const bool *drop)
{
	size_t *to = xcalloc(c->ntargets + 1, sizeof(*to)), n = 0;

	for (size_t i = 0; i < c->ntargets; i++) {
		to[i] = n;
		if (drop[i])
			target_release(&c->targets[i]);
		else
			c->targets[n++] = c->targets[i];
	}
	for (size_t i = 0; i < c->ntasks; i++) {
		struct ltask *t = &c->tasks[i];
		size_t k = 0;

		if (t->fate == LF_TARGET)
			t->target = to[t->target];
		for (size_t j = 0; j < t->nfolded; j++)
			if (!drop[t->folded[j]])
				t->folded[k++] = to[t->folded[j]];
		t->nfolded = k;
	}
	c->ntargets = n;
	free(to);
}

static void
lconv_release(struct lconv *c)
{
	for (size_t i = 0; i < c->ntasks; i++)
		task_release(&c->tasks[i]);
	free(c->tasks);
	for (size_t i = 0; i < c->ntargets; i++)
		target_release(&c->targets[i]);
	free(c->targets);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
		free(c->files[i].copy_from);
	}
	free(c->files);
}

enum luigi_outcome
luigi_import(const struct luigi_import *li, FILE *out, struct diags *ds)
{
	struct lconv c = { .li = li, .ds = ds, .postgres = li->target_driver &&
	                   strcmp(li->target_driver, "postgres") == 0 };
	enum luigi_outcome rc = LUIGI_BAD_INPUT;

	if (load_configs(&c) < 0)
		goto out;
	for (size_t i = 0; i < c.ntasks; i++)
		check_task(&c, &c.tasks[i]);
	for (size_t i = 0; i < c.ntasks; i++)
		if (c.tasks[i].fate == LF_PENDING)
			mark_bookkeeping(&c, &c.tasks[i]);
	convert(&c);
	if (c.postgres)
		lpg_convert(&c);
	map_needs(&c);
	lconv_file(&c, xstrdup("chacc.yml"), lwrite_recipe(&c), NULL);
	lwrite_plan(&c, out);
	if (c.nerrors) {
		size_t n = 0;

		for (size_t i = 0; i < c.ntasks; i++)
			n += c.tasks[i].fate == LF_ERROR;
		diag_error(ds, "%zu task%s cannot be converted: nothing written", n, n == 1 ? "" : "s");
		goto out;
	}
	rc = li->dry_run ? LUIGI_OK : lwrite_files(&c, out);
out:
	lconv_release(&c);
	return rc;
}
