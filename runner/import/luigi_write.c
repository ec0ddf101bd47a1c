/* luigi_write.c: the recipe's text, the plan of the conversion, and writing the files */
#include "luigi_impl.h"
#include "diag.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* s as a YAML scalar: plain when that is safe, else double-quoted */
static void
yq(struct buf *b, const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "null", "y",
	                                     "n" };
	bool plain = *s && (isalpha((unsigned char)*s) || *s == '_');

	for (const char *p = s; plain && *p; p++)
		plain = isalnum((unsigned char)*p) || strchr("_./-", *p);
	for (size_t i = 0; plain && i < LEN(words); i++)
		plain = strcasecmp(s, words[i]) != 0;
	if (plain) {
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_adds(b, "\\n");
		else if (*p == '\t')
			buf_adds(b, "\\t");
		else if ((unsigned char)*p < 0x20)
			buf_addf(b, "\\x%02x", (unsigned char)*p);
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static void
ylist(struct buf *b, const struct strlist *l)
{
	buf_addc(b, '[');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			buf_adds(b, ", ");
		yq(b, l->v[i]);
	}
	buf_addc(b, ']');
}

static void
ykey(struct buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	buf_addf(b, "    %s: ", key);
	yq(b, value);
	buf_addc(b, '\n');
}

/* a connection reading the .env names env_*, on MariaDB or on PostgreSQL (with its schema) */
static void
connection(struct buf *b, const char *name, const char *env, bool postgres)
{
	buf_addf(b, "  - name: %s\n"
	         "    driver: %s\n"
	         "    host: ${%s_HOST:-127.0.0.1}\n"
	         "    port: ${%s_PORT:-%s}\n"
	         "    socket: ${%s_SOCKET:-}\n"
	         "    user: ${%s_USER}\n"
	         "    password: ${%s_PASSWORD}\n"
	         "    database: ${%s_NAME}\n", name, postgres ? "postgres" : "mariadb", env, env,
	         postgres ? "5432" : "3306", env, env, env, env);
	if (postgres)
		buf_addf(b, "    schema: ${%s_SCHEMA:-public}\n", env);
}

static const char *
kind_word(const struct ltarget *g)
{
	return g->filekind ? "file" : kind_name(g->kind);
}

/* the comment naming the tasks a target came from */
static void
origin(struct buf *b, const struct lconv *c, const struct ltarget *g)
{
	const struct ltask *t = &c->tasks[g->task];

	buf_addf(b, "\n  # from Luigi task %s (%s)", t->name, t->typename);
	for (size_t i = 0; i < g->with.n; i++) {
		const struct ltask *w = lconv_task((struct lconv *)c, g->with.v[i]);

		buf_addf(b, "%s %s (%s)", i ? "," : ", with", w->name, w->typename);
	}
	buf_addc(b, '\n');
	for (size_t i = 0; i < g->notes.n; i++)
		buf_addf(b, "  # %s\n", g->notes.v[i]);
}

static void
target(struct buf *b, const struct lconv *c, const struct ltarget *g)
{
	origin(b, c, g);
	buf_adds(b, "  - name: ");
	yq(b, g->name);
	buf_addf(b, "\n    kind: %s\n", kind_word(g));
	if (g->kind == KIND_EXTRACT)
		buf_adds(b, "    from: source\n");
	if (g->needs.n) {
		buf_adds(b, "    needs: ");
		ylist(b, &g->needs);
		buf_addc(b, '\n');
	}
	ykey(b, "query", g->query_path);
	ykey(b, "create", g->create_path);
	ykey(b, "script", g->script_path);
	ykey(b, "call", g->call);
	ykey(b, "file", g->file);
	if (g->in_place)
		buf_adds(b, "    in_place: true\n");
	if (g->ncols)
		buf_adds(b, "    columns:\n");
	for (size_t i = 0; i < g->ncols; i++) {
		buf_adds(b, "      - { name: ");
		yq(b, g->cols[i].name);
		if (g->cols[i].type) {
			buf_adds(b, ", type: ");
			yq(b, g->cols[i].type);
		}
		buf_adds(b, " }\n");
	}
	if (g->key.n) {
		buf_adds(b, "    key: ");
		ylist(b, &g->key);
		buf_addc(b, '\n');
	}
	if (g->nindexes) {
		buf_adds(b, "    indexes: [");
		for (size_t i = 0; i < g->nindexes; i++) {
			buf_adds(b, i ? ", " : "");
			ylist(b, &g->indexes[i]);
		}
		buf_adds(b, "]\n");
	}
	if (g->incremental) {
		buf_adds(b, "    incremental: { column: ");
		yq(b, g->incremental);
		buf_adds(b, " }\n");
	}
}

/* the recipe's name: the Luigi project's directory name, as a plain word */
static char *
recipe_name(const char *dir)
{
	char *real = realpath(dir, NULL), *base, *s;

	base = real && strrchr(real, '/') ? strrchr(real, '/') + 1 : real ? real : (char *)dir;
	s = xstrdup(*base ? base : "luigi");
	for (char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			*p = '_';
	free(real);
	return s;
}

char *
lwrite_recipe(struct lconv *c)
{
	struct buf b;
	char *name = recipe_name(c->li->dir);
	bool any = false;

	buf_init(&b);
	buf_adds(&b, "# imported from the ChaCC ETL (Luigi) pipeline in ");
	yq(&b, c->li->dir);
	buf_adds(&b, " by 'chacc import luigi'.\n"
	         "# The connections read the pipeline's .env names (SOURCE_DB_*, TARGET_DB_*):\n"
	         "# put its .env beside this file, or set them in the environment.\n");
	if (c->postgres)
		buf_adds(&b, "# The target is PostgreSQL (TARGET_DB_SCHEMA: its schema, default public);\n"
		         "# the pipeline's SQL is MariaDB's: see the comments above the targets.\n");
	for (size_t i = 0; i < c->ntasks; i++) {
		const struct ltask *t = &c->tasks[i];

		if (t->fate != LF_NOT_NEEDED && t->fate != LF_UNUSED)
			continue;
		if (!any)
			buf_adds(&b, "#\n# tasks not converted:\n");
		any = true;
		buf_addf(&b, "#   %s (%s): %s%s\n", t->name, t->typename,
		         t->fate == LF_NOT_NEEDED ? "not needed: " : "", t->why);
	}
	buf_adds(&b, "chacc: 1\nname: ");
	yq(&b, name);
	buf_adds(&b, "\nconnections:\n");
	connection(&b, "source", "SOURCE_DB", false);
	connection(&b, "target", "TARGET_DB", c->postgres);
	buf_adds(&b, "target: target\ntargets:");
	for (size_t i = 0; i < c->ntargets; i++)
		target(&b, c, &c->targets[i]);
	if (!c->ntargets)
		buf_adds(&b, " []\n");
	free(name);
	return buf_detach(&b);
}

/* what became of task t, in words */
static void
fate(struct buf *b, const struct lconv *c, const struct ltask *t)
{
	switch (t->fate) {
	case LF_TARGET:
		buf_addf(b, "-> %s %s", kind_word(&c->targets[t->target]),
		         c->targets[t->target].name);
		break;
	case LF_FOLDED:
		buf_adds(b, "-> part of");
		for (size_t i = 0; i < t->nfolded; i++)
			buf_addf(b, "%s %s", i ? "," : "", c->targets[t->folded[i]].name);
		break;
	case LF_NOT_NEEDED:
		buf_addf(b, "not needed: %s", t->why);
		break;
	case LF_UNUSED:
		buf_addf(b, "not converted: %s", t->why);
		break;
	case LF_ERROR:
		buf_addf(b, "CANNOT BE CONVERTED: %s", t->why);
		break;
	case LF_PENDING:
		buf_adds(b, "not converted");
		break;
	}
}

void
lwrite_plan(struct lconv *c, FILE *out)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%zu Luigi tasks in %s/config/tasks -> %zu targets\n", c->ntasks, c->li->dir,
	         c->ntargets);
	for (size_t i = 0; i < c->ntasks; i++) {
		const struct ltask *t = &c->tasks[i];

		buf_addf(&b, "  %-32s %-13s ", t->name, t->typename);
		fate(&b, c, t);
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "files:\n");
	for (size_t i = 0; i < c->nfiles; i++) {
		buf_addf(&b, "  %s", c->files[i].path);
		if (c->files[i].copy_from)
			buf_addf(&b, "  (a copy of %s)", c->files[i].copy_from);
		buf_addc(&b, '\n');
	}
	fputs(b.s, out);
	buf_release(&b);
}
