/* recipe.c: the recipe (YAML/JSON) a user writes, loaded and checked */

/*
 * A recipe file is read in three steps:
 *   1. libyaml loads the document, so that every node knows its line and column
 *      (a syntax error is reported at libyaml's problem mark);
 *   2. walkmap() checks it against the field tables below (unknown, duplicate and
 *      missing keys, types, values), expands ${VAR} in every scalar, and builds a
 *      normalised copy that libcyaml can map: durations become seconds,
 *      "incremental" is always a mapping {enabled, column, deleted, lookback,
 *      probe}, and each index a mapping {columns: [...]};
 *   3. libcyaml loads the copy into struct conn and struct target.
 * Included files go through the same steps. Then check() looks at the whole
 * recipe (needs, cycles, duplicates, connections, SQL files) and reports every
 * problem it finds.
 */
#include "recipe.h"
#include "env.h"
#include "sqlsplit.h"
#include "util.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>


/* the value of the field tables: how a key's value is checked and normalised */
enum vtype {
	V_STR,
	V_NAME,      /* target name: an unquoted identifier */
	V_KIND,
	V_DRIVER,
	V_VERSION,
	V_INT,
	V_PORT,
	V_DUR,       /* duration, emitted as seconds */
	V_LIST,      /* list of strings */
	V_INDEXES,   /* list of lists of columns */
	V_INCR,      /* true, false or a mapping */
	V_CONNS,
	V_TARGETS,
	V_DEFAULTS,
	V_INCLUDE,
};

struct field {
	const char *key;
	enum vtype type;
	bool required;
};

struct mapdef {
	const char *what;
	const struct field *fields;
};

enum {
	T_NAME, T_KIND, T_FROM, T_NEEDS, T_QUERY, T_SCRIPT, T_CREATE, T_CALL,
	T_KEY, T_INDEXES, T_INCR, T_RETRIES, T_RETRY_DELAY, T_TIMEOUT,
};
enum { D_RETRIES, D_RETRY_DELAY, D_TIMEOUT };
enum { I_COLUMN, I_DELETED, I_LOOKBACK, I_PROBE };

static const struct field top_fields[] = {
	{ "chacc", V_VERSION, false },
	{ "name", V_STR, true },
	{ "connections", V_CONNS, false },
	{ "target", V_STR, true },
	{ "defaults", V_DEFAULTS, false },
	{ "include", V_INCLUDE, false },
	{ "targets", V_TARGETS, false },
	{ "on_failure", V_STR, false },
	{ "scheduled_rev", V_STR, false },
	{ NULL, V_STR, false },
};

static const struct field include_fields[] = {
	{ "connections", V_CONNS, false },
	{ "targets", V_TARGETS, false },
	{ NULL, V_STR, false },
};

static const struct field conn_fields[] = {
	{ "name", V_STR, true },
	{ "driver", V_DRIVER, false },
	{ "host", V_STR, false },
	{ "port", V_PORT, false },
	{ "socket", V_STR, false },
	{ "user", V_STR, false },
	{ "password", V_STR, false },
	{ "database", V_STR, false },
	{ NULL, V_STR, false },
};

static const struct field defaults_fields[] = {
	[D_RETRIES] = { "retries", V_INT, false },
	[D_RETRY_DELAY] = { "retry_delay", V_DUR, false },
	[D_TIMEOUT] = { "timeout", V_DUR, false },
	{ NULL, V_STR, false },
};

static const struct field target_fields[] = {
	[T_NAME] = { "name", V_NAME, true },
	[T_KIND] = { "kind", V_KIND, true },
	[T_FROM] = { "from", V_STR, false },
	[T_NEEDS] = { "needs", V_LIST, false },
	[T_QUERY] = { "query", V_STR, false },
	[T_SCRIPT] = { "script", V_STR, false },
	[T_CREATE] = { "create", V_STR, false },
	[T_CALL] = { "call", V_STR, false },
	[T_KEY] = { "key", V_LIST, false },
	[T_INDEXES] = { "indexes", V_INDEXES, false },
	[T_INCR] = { "incremental", V_INCR, false },
	[T_RETRIES] = { "retries", V_INT, false },
	[T_RETRY_DELAY] = { "retry_delay", V_DUR, false },
	[T_TIMEOUT] = { "timeout", V_DUR, false },
	{ NULL, V_STR, false },
};

static const struct field incr_fields[] = {
	[I_COLUMN] = { "column", V_STR, true },
	[I_DELETED] = { "deleted", V_STR, false },
	[I_LOOKBACK] = { "lookback", V_DUR, false },
	[I_PROBE] = { "probe", V_STR, false },
	{ NULL, V_STR, false },
};

static const struct mapdef top_def = { "recipe", top_fields };
static const struct mapdef include_def = { "included recipe", include_fields };
static const struct mapdef conn_def = { "connection", conn_fields };
static const struct mapdef defaults_def = { "defaults", defaults_fields };
static const struct mapdef target_def = { "target", target_fields };
static const struct mapdef incr_def = { "incremental", incr_fields };

/* what libcyaml loads from one normalised file */
struct ydefaults {
	int retries;
	double retry_delay;
	double timeout;
};

struct yfile {
	int version;
	char *name;
	struct conn *conns;
	size_t nconns;
	char *target;
	struct ydefaults defaults;
	char *on_failure;
	char *scheduled_rev;
	struct target *targets;
	size_t ntargets;
};

static const cyaml_schema_value_t str_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};

#define OPTPTR (CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL)
#define STR(key, st, m) \
	CYAML_FIELD_STRING_PTR(key, OPTPTR, st, m, 0, CYAML_UNLIMITED)
#define STRS(key, st, m, n, entry) \
	CYAML_FIELD_SEQUENCE_COUNT(key, OPTPTR, st, m, n, entry, 0, CYAML_UNLIMITED)

static const cyaml_schema_field_t cy_conn_fields[] = {
	STR("name", struct conn, name),
	STR("driver", struct conn, driver),
	STR("host", struct conn, host),
	CYAML_FIELD_UINT("port", CYAML_FLAG_OPTIONAL, struct conn, port),
	STR("socket", struct conn, socket),
	STR("user", struct conn, user),
	STR("password", struct conn, password),
	STR("database", struct conn, database),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_conn = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct conn, cy_conn_fields),
};

static const cyaml_schema_field_t cy_index_fields[] = {
	STRS("columns", struct strlist, v, n, &str_schema),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_index = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct strlist, cy_index_fields),
};

static const cyaml_schema_field_t cy_incr_fields[] = {
	CYAML_FIELD_BOOL("enabled", CYAML_FLAG_OPTIONAL, struct incr, enabled),
	STR("column", struct incr, column),
	STR("deleted", struct incr, deleted),
	CYAML_FIELD_FLOAT("lookback", CYAML_FLAG_OPTIONAL, struct incr, lookback),
	STR("probe", struct incr, probe),
	CYAML_FIELD_END
};

static const cyaml_strval_t cy_kinds[] = {
	{ "extract", KIND_EXTRACT },
	{ "table", KIND_TABLE },
	{ "script", KIND_SCRIPT },
};

static const cyaml_schema_field_t cy_target_fields[] = {
	STR("name", struct target, name),
	CYAML_FIELD_ENUM("kind", CYAML_FLAG_OPTIONAL, struct target, kind,
	    cy_kinds, CYAML_ARRAY_LEN(cy_kinds)),
	STR("from", struct target, from),
	STRS("needs", struct target, needs.v, needs.n, &str_schema),
	STR("query", struct target, query),
	STR("script", struct target, script),
	STR("create", struct target, create),
	STR("call", struct target, call),
	STRS("key", struct target, key.v, key.n, &str_schema),
	STRS("indexes", struct target, indexes, nindexes, &cy_index),
	CYAML_FIELD_MAPPING("incremental", CYAML_FLAG_OPTIONAL, struct target, incr,
	    cy_incr_fields),
	CYAML_FIELD_INT("retries", CYAML_FLAG_OPTIONAL, struct target, retries),
	CYAML_FIELD_FLOAT("retry_delay", CYAML_FLAG_OPTIONAL, struct target, retry_delay),
	CYAML_FIELD_FLOAT("timeout", CYAML_FLAG_OPTIONAL, struct target, timeout),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_target = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct target, cy_target_fields),
};

static const cyaml_schema_field_t cy_defaults_fields[] = {
	CYAML_FIELD_INT("retries", CYAML_FLAG_OPTIONAL, struct ydefaults, retries),
	CYAML_FIELD_FLOAT("retry_delay", CYAML_FLAG_OPTIONAL, struct ydefaults, retry_delay),
	CYAML_FIELD_FLOAT("timeout", CYAML_FLAG_OPTIONAL, struct ydefaults, timeout),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t cy_file_fields[] = {
	CYAML_FIELD_INT("chacc", CYAML_FLAG_OPTIONAL, struct yfile, version),
	STR("name", struct yfile, name),
	STRS("connections", struct yfile, conns, nconns, &cy_conn),
	STR("target", struct yfile, target),
	CYAML_FIELD_MAPPING("defaults", CYAML_FLAG_OPTIONAL, struct yfile, defaults, cy_defaults_fields),
	STR("on_failure", struct yfile, on_failure),
	STR("scheduled_rev", struct yfile, scheduled_rev),
	STRS("targets", struct yfile, targets, ntargets, &cy_target),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_file = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct yfile, cy_file_fields),
};

/* position and given fields of one entry of "connections" or "targets" */
struct entry {
	int line;
	unsigned given;
};

struct entries {
	struct entry *v;
	size_t n;
};

struct where {
	char *file;
	int line;
};

struct loader {
	struct recipe *r;
	const struct fsrc *src;
	struct fsrc wt;          /* the working tree, when no src is given */
	char *prefix;            /* the recipe's directory inside src, or NULL */
	const char *file;        /* display path of the file being read */
	yaml_document_t *in;     /* its document */
	yaml_document_t out;     /* its normalised copy */
	int nerr;                /* structure errors: files are not loaded */
	int nsoft;               /* other errors: checking goes on */
	int kind;                /* kind of the target being walked, or -1 */
	struct entries conns;    /* entries of the file being read */
	struct entries targets;
	struct where *connwhere; /* per connection of the recipe */
	struct ydefaults dflt;
	unsigned dgiven;
	char **inc;              /* include patterns and their positions */
	yaml_mark_t *incmark;
	size_t ninc;
	struct strlist seen;     /* files read, relative to the recipe's directory */
	int targetline;          /* line of the top-level "target:" */
	unsigned envbad;         /* environment values already reported */
};

/* files */

static char *
pathjoin(const char *dir, const char *rel)
{
	size_t n;

	if (!dir || !*dir || !strcmp(dir, ".") || rel[0] == '/')
		return xstrdup(rel);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", rel);
}

static char *
dirpart(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xstrndup(path, s - path);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
wt_read(void *ctx, const char *rel, size_t *len)
{
	char *path = pathjoin(ctx, rel), *s = readfile(path, len);

	free(path);
	return s;
}

static long
wt_glob(void *ctx, const char *pattern, char ***paths)
{
	char *full = pathjoin(ctx, pattern);
	size_t skip = strlen(full) - strlen(pattern), i;
	glob_t g;
	int rc = glob(full, 0, NULL, &g);

	free(full);
	*paths = NULL;
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return -1;
	*paths = xcalloc(g.gl_pathc, sizeof(**paths));
	for (i = 0; i < g.gl_pathc; i++)
		(*paths)[i] = xstrdup(g.gl_pathv[i] + skip);
	qsort(*paths, g.gl_pathc, sizeof(**paths), cmpstr);
	globfree(&g);
	return (long)i;
}

/* a file relative to the recipe's directory, or NULL */
static char *
readrel(struct loader *ld, const char *rel, size_t *len)
{
	char *path = pathjoin(ld->prefix, rel), *s;

	s = ld->src->read(ld->src->ctx, path, len);
	free(path);
	return s;
}

/* the sorted matches of a pattern relative to the recipe's directory */
static long
globrel(struct loader *ld, const char *pattern, char ***paths)
{
	char *full = pathjoin(ld->prefix, pattern);
	size_t skip = strlen(full) - strlen(pattern);
	long n = ld->src->glob(ld->src->ctx, full, paths), i;

	free(full);
	for (i = 0; i < n; i++) {
		char *p = (*paths)[i];

		if (skip && strlen(p) >= skip)
			memmove(p, p + skip, strlen(p + skip) + 1);
	}
	if (n > 0)
		qsort(*paths, n, sizeof(**paths), cmpstr);
	return n;
}

/* messages */

/* where this thread's messages go: recipe_errors_to(), else stderr */
static _Thread_local FILE *errf;

void
recipe_errors_to(FILE *f)
{
	errf = f;
}

static FILE *
errs(void)
{
	return errf ? errf : stderr;
}

static void
vreport(const char *file, yaml_mark_t m, const char *fmt, va_list ap)
{
	fprintf(errs(), "%s:%zu:%zu: ", file, m.line + 1, m.column + 1);
	vfprintf(errs(), fmt, ap);
	fputc('\n', errs());
}

/* a structure error at node n: the file will not be loaded */
static void __attribute__((format(printf, 3, 4)))
bad(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld->file, n->start_mark, fmt, ap);
	va_end(ap);
	ld->nerr++;
}

/* an error at node n after which checking goes on */
static void __attribute__((format(printf, 3, 4)))
soft(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ld->file, n->start_mark, fmt, ap);
	va_end(ap);
	ld->nsoft++;
}

/* a problem found after parsing, at file:line */
static void __attribute__((format(printf, 4, 5)))
lerr(struct loader *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(errs(), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(errs(), fmt, ap);
	va_end(ap);
	fputc('\n', errs());
	ld->nsoft++;
}

/* a problem of target t */
static void __attribute__((format(printf, 3, 4)))
terr(struct loader *ld, const struct target *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(errs(), "%s:%d: target '%s': ", t->file, t->line, t->name);
	va_start(ap, fmt);
	vfprintf(errs(), fmt, ap);
	va_end(ap);
	fputc('\n', errs());
	ld->nsoft++;
}

static void
syntax(struct loader *ld, const yaml_parser_t *p, const char *text)
{
	yaml_mark_t m = p->problem_mark;
	size_t i;

	if (p->error == YAML_READER_ERROR) {
		m.line = m.column = 0;
		for (i = 0; i < p->problem_offset && text[i]; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
	}
	fprintf(errs(), "%s:%zu:%zu: syntax error: %s", ld->file, m.line + 1, m.column + 1,
	    p->problem ? p->problem : "invalid YAML");
	if (p->context)
		fprintf(errs(), " (%s at line %zu)", p->context, p->context_mark.line + 1);
	fputc('\n', errs());
	ld->nerr++;
}

/* the normalised copy */

static int
out_scalar(struct loader *ld, const char *s, bool quoted)
{
	int id = yaml_document_add_scalar(&ld->out, NULL, (const yaml_char_t *)s, -1,
	    quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

static int
out_num(struct loader *ld, double v)
{
	char s[64];

	snprintf(s, sizeof(s), "%.17g", v);
	return out_scalar(ld, s, false);
}

static int
out_map(struct loader *ld)
{
	int id = yaml_document_add_mapping(&ld->out, NULL, YAML_BLOCK_MAPPING_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

static int
out_seq(struct loader *ld)
{
	int id = yaml_document_add_sequence(&ld->out, NULL, YAML_BLOCK_SEQUENCE_STYLE);

	if (!id)
		fatal(1, "yaml: out of memory");
	return id;
}

static void
out_pair(struct loader *ld, int map, const char *key, int value)
{
	if (!yaml_document_append_mapping_pair(&ld->out, map, out_scalar(ld, key, false), value))
		fatal(1, "yaml: out of memory");
}

static void
out_item(struct loader *ld, int seq, int value)
{
	if (!yaml_document_append_sequence_item(&ld->out, seq, value))
		fatal(1, "yaml: out of memory");
}

/* walking the document */

static yaml_node_t *
node(struct loader *ld, int id)
{
	return yaml_document_get_node(ld->in, id);
}

static const char *
typename(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a string";
	}
}

/* an empty value: "key:" alone, ~ or null */
static bool
isnull(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL");
}

/* the value of key in mapping n, or NULL */
static yaml_node_t *
mapget(struct loader *ld, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ld, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return node(ld, p->value);
	}
	return NULL;
}

static int
kindof(const char *s)
{
	size_t i;

	for (i = 0; i < LEN(cy_kinds); i++)
		if (!strcmp(s, cy_kinds[i].str))
			return (int)cy_kinds[i].val;
	return -1;
}

/* why s is not a valid target name, or NULL */
static const char *
badname(const char *s)
{
	bool digits = true;
	const char *p;

	if (strlen(s) > 64)
		return "longer than 64 characters";
	for (p = s; *p; p++) {
		if (!env_namechar(*p) && *p != '$')
			return "use letters, digits, '_' and '$'";
		if (*p < '0' || *p > '9')
			digits = false;
	}
	if (digits)
		return "digits only";
	if (!strncasecmp(s, "etl_", 4) || !strncasecmp(s, "_chacc", 6))
		return "names starting with 'etl_' or '_chacc' are reserved";
	return NULL;
}

/*
 * the text of scalar v with variables expanded into *s: 0, or -1 when v is not
 * a scalar, or 1 when a variable is unset (*s is then the text as written)
 */
static int
scalar(struct loader *ld, yaml_node_t *v, const char *key, char **s)
{
	const char *text;
	char *unset;

	*s = NULL;
	if (v->type != YAML_SCALAR_NODE) {
		bad(ld, v, "expected a string for '%s', got %s", key, typename(v));
		return -1;
	}
	text = (const char *)v->data.scalar.value;
	if (isnull(v)) {
		*s = xstrdup("");
		return 0;
	}
	if ((*s = env_expand(text, &unset)))
		return 0;
	soft(ld, v, "unset variable '%s'", unset);
	free(unset);
	*s = xstrdup(text);
	return 1;
}

/* the checked value of a scalar field, or 0 */
static int
walkscalar(struct loader *ld, const struct field *f, yaml_node_t *v, const char *s)
{
	const char *why;
	char *end;
	double secs;
	long n;

	switch (f->type) {
	case V_NAME:
		if ((why = badname(s)))
			soft(ld, v, "invalid target name '%s': %s", s, why);
		break;
	case V_KIND:
		if (kindof(s) < 0) {
			bad(ld, v, "invalid kind '%s' (expected extract, table or script)", s);
			return 0;
		}
		break;
	case V_DRIVER:
		if (strcmp(s, "mariadb")) {
			bad(ld, v, "unsupported driver '%s' (expected mariadb)", s);
			return 0;
		}
		break;
	case V_VERSION:
		if (strcmp(s, "1")) {
			bad(ld, v, "unsupported recipe version '%s' (expected 1)", s);
			return 0;
		}
		return out_scalar(ld, s, false);
	case V_INT:
	case V_PORT:
		errno = 0;
		n = strtol(s, &end, 10);
		if (f->type == V_PORT && (errno || *end || end == s || n < 1 || n > 65535)) {
			bad(ld, v, "invalid port '%s'", s);
			return 0;
		}
		if (errno || *end || end == s || n < 0 || n > INT_MAX) {
			bad(ld, v, "expected a non-negative integer for '%s', got '%s'", f->key, s);
			return 0;
		}
		return out_num(ld, n);
	case V_DUR:
		if (parse_duration(s, &secs) < 0) {
			bad(ld, v, "invalid duration '%s' for '%s' (e.g. 10s, 5m, 1h)", s, f->key);
			return 0;
		}
		return out_num(ld, secs);
	default:
		break;
	}
	return out_scalar(ld, s, true);
}

/* a list of strings, or 0 */
static int
walklist(struct loader *ld, const char *key, yaml_node_t *v, const char *what)
{
	yaml_node_item_t *it;
	int seq;

	if (v->type != YAML_SEQUENCE_NODE) {
		bad(ld, v, "expected %s for '%s', got %s", what, key, typename(v));
		return 0;
	}
	seq = out_seq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(ld, *it);
		char *s;

		if (e->type != YAML_SCALAR_NODE) {
			bad(ld, e, "expected a string in '%s', got %s", key, typename(e));
			continue;
		}
		if (scalar(ld, e, key, &s) == 0 && !*s)
			bad(ld, e, "empty entry in '%s'", key);
		else
			out_item(ld, seq, out_scalar(ld, s, true));
		free(s);
	}
	return seq;
}

/* indexes: [[a], [b, c]] becomes [{columns: [a]}, {columns: [b, c]}] */
static int
walkindexes(struct loader *ld, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int seq, map, cols;

	if (v->type != YAML_SEQUENCE_NODE) {
		bad(ld, v, "expected a sequence of column lists for 'indexes', got %s", typename(v));
		return 0;
	}
	seq = out_seq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(ld, *it);

		if (!(cols = walklist(ld, "indexes", e, "a sequence of columns")))
			continue;
		if (e->data.sequence.items.top == e->data.sequence.items.start)
			bad(ld, e, "empty index in 'indexes'");
		map = out_map(ld);
		out_pair(ld, map, "columns", cols);
		out_item(ld, seq, map);
	}
	return seq;
}

static unsigned walkmap(struct loader *, yaml_node_t *, const struct mapdef *, int);

/* incremental: true, false or {column, deleted, lookback, probe}, as a mapping */
static int
walkincr(struct loader *ld, yaml_node_t *v)
{
	int map;
	bool on;
	char *s;

	if (v->type == YAML_MAPPING_NODE) {
		if (ld->kind == KIND_TABLE || ld->kind == KIND_SCRIPT) {
			bad(ld, v, "incremental on a %s target takes true or false, not a mapping",
			    kind_name(ld->kind));
			return 0;
		}
		map = out_map(ld);
		out_pair(ld, map, "enabled", out_scalar(ld, "true", false));
		if (!(walkmap(ld, v, &incr_def, map) & 1u << I_LOOKBACK))
			out_pair(ld, map, "lookback", out_num(ld, 60));
		return map;
	}
	if (v->type != YAML_SCALAR_NODE) {
		bad(ld, v, "expected true, false or a mapping for 'incremental', got %s", typename(v));
		return 0;
	}
	if (scalar(ld, v, "incremental", &s) || !*s) {
		free(s);
		return 0;
	}
	if (strcasecmp(s, "true") && strcasecmp(s, "false")) {
		bad(ld, v, "expected true, false or a mapping for 'incremental', got '%s'", s);
		free(s);
		return 0;
	}
	on = !strcasecmp(s, "true");
	free(s);
	if (on && ld->kind == KIND_EXTRACT)
		soft(ld, v, "an incremental extract needs a mapping with its watermark 'column', "
		    "e.g. incremental: {column: changed_at}");
	map = out_map(ld);
	out_pair(ld, map, "enabled", out_scalar(ld, on ? "true" : "false", false));
	out_pair(ld, map, "lookback", out_num(ld, 60));
	return map;
}

/* the kind a target entry declares, or -1 */
static int
peekkind(struct loader *ld, yaml_node_t *n)
{
	yaml_node_t *v = mapget(ld, n, "kind");
	char *s;
	int k;

	if (!v || v->type != YAML_SCALAR_NODE)
		return -1;
	if (!(s = env_expand((const char *)v->data.scalar.value, NULL)))
		return -1;
	k = kindof(s);
	free(s);
	return k;
}

/* the entries of "connections" or "targets", with their positions */
static int
walkentries(struct loader *ld, yaml_node_t *v, const struct mapdef *def, struct entries *ents)
{
	yaml_node_item_t *it;
	int seq, map;

	if (v->type != YAML_SEQUENCE_NODE) {
		bad(ld, v, "expected a sequence of %ss, got %s", def->what, typename(v));
		return 0;
	}
	seq = out_seq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(ld, *it);
		struct entry *en;

		if (e->type != YAML_MAPPING_NODE) {
			bad(ld, e, "expected a mapping for a %s, got %s", def->what, typename(e));
			continue;
		}
		map = out_map(ld);
		ld->kind = def == &target_def ? peekkind(ld, e) : -1;
		ents->v = xreallocarray(ents->v, ents->n + 1, sizeof(*ents->v));
		en = &ents->v[ents->n++];
		en->line = (int)e->start_mark.line + 1;
		en->given = walkmap(ld, e, def, map);
		out_item(ld, seq, map);
	}
	return seq;
}

static void
walkinclude(struct loader *ld, yaml_node_t *v)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE) {
		bad(ld, v, "expected a sequence of patterns for 'include', got %s", typename(v));
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(ld, *it);
		char *s;

		if (e->type != YAML_SCALAR_NODE) {
			bad(ld, e, "expected a string in 'include', got %s", typename(e));
			continue;
		}
		if (scalar(ld, e, "include", &s) || !*s) {
			free(s);
			continue;
		}
		ld->inc = xreallocarray(ld->inc, ld->ninc + 1, sizeof(*ld->inc));
		ld->incmark = xreallocarray(ld->incmark, ld->ninc + 1, sizeof(*ld->incmark));
		ld->inc[ld->ninc] = s;
		ld->incmark[ld->ninc++] = e->start_mark;
	}
}

/* check value v of field f and add its normalised form to out; true if added */
static bool
walkval(struct loader *ld, const struct field *f, yaml_node_t *v, int out)
{
	char *s;
	int id = 0, rc;

	if (f->type >= V_LIST && isnull(v))
		return false;
	switch (f->type) {
	case V_LIST:
		id = walklist(ld, f->key, v, "a sequence");
		break;
	case V_INDEXES:
		id = walkindexes(ld, v);
		break;
	case V_INCR:
		id = walkincr(ld, v);
		break;
	case V_CONNS:
		id = walkentries(ld, v, &conn_def, &ld->conns);
		break;
	case V_TARGETS:
		id = walkentries(ld, v, &target_def, &ld->targets);
		break;
	case V_DEFAULTS:
		if (v->type != YAML_MAPPING_NODE) {
			bad(ld, v, "expected a mapping for 'defaults', got %s", typename(v));
			return false;
		}
		id = out_map(ld);
		ld->dgiven = walkmap(ld, v, &defaults_def, id);
		break;
	case V_INCLUDE:
		walkinclude(ld, v);
		return false;
	default:
		if ((rc = scalar(ld, v, f->key, &s)) < 0)
			return false;
		if (rc == 0 && !*s) {
			if (f->required)
				bad(ld, v, "empty value for '%s'", f->key);
		} else if (rc == 0) {
			id = walkscalar(ld, f, v, s);
		} else if (f->type == V_STR || f->type == V_NAME) {
			id = out_scalar(ld, s, true);
		}
		free(s);
	}
	if (!id)
		return false;
	out_pair(ld, out, f->key, id);
	return true;
}

/* check mapping n against def into out; returns the fields added, as bits */
static unsigned
walkmap(struct loader *ld, yaml_node_t *n, const struct mapdef *def, int out)
{
	const struct field *f;
	yaml_node_pair_t *p;
	unsigned got = 0, added = 0, bit;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ld, p->key), *v = node(ld, p->value);
		const char *key;

		if (k->type != YAML_SCALAR_NODE) {
			bad(ld, k, "expected a string key in %s, got %s", def->what, typename(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (f = def->fields; f->key && strcmp(f->key, key); f++)
			;
		if (!f->key) {
			bad(ld, k, "unknown key '%s' in %s", key, def->what);
			continue;
		}
		bit = 1u << (f - def->fields);
		if (got & bit) {
			bad(ld, k, "duplicate key '%s' in %s", key, def->what);
			continue;
		}
		got |= bit;
		if (walkval(ld, f, v, out))
			added |= bit;
	}
	for (f = def->fields; f->key; f++)
		if (f->required && !(got & 1u << (f - def->fields)))
			bad(ld, n, "missing required key '%s' in %s", f->key, def->what);
	return added;
}

/* loading */

static void *
recipe_mem(void *ctx, void *p, size_t n)
{
	if (!n) {
		free(p);
		return NULL;
	}
	return xrealloc(p, n);
}

static const cyaml_config_t cyaml_cfg = {
	.log_fn = NULL,
	.mem_fn = recipe_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_DEFAULT,
};

static int
bufwrite(void *data, unsigned char *s, size_t n)
{
	buf_add(data, (const char *)s, n);
	return 1;
}

/* load the normalised copy (which this consumes) with libcyaml */
static struct yfile *
cyamlload(struct loader *ld)
{
	yaml_emitter_t em;
	struct yfile *yf = NULL;
	struct buf b;
	cyaml_err_t err;
	int ok;

	buf_init(&b);
	if (!yaml_emitter_initialize(&em))
		fatal(1, "yaml: out of memory");
	yaml_emitter_set_output(&em, bufwrite, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	ok = yaml_emitter_dump(&em, &ld->out) && yaml_emitter_close(&em);
	yaml_emitter_delete(&em);
	if (!ok) {
		fprintf(errs(), "%s: cannot normalise recipe\n", ld->file);
		ld->nerr++;
		buf_release(&b);
		return NULL;
	}
	err = cyaml_load_data((const uint8_t *)b.s, b.len, &cyaml_cfg, &cy_file,
	    (cyaml_data_t **)&yf, NULL);
	buf_release(&b);
	if (err != CYAML_OK) {
		fprintf(errs(), "%s: cannot load recipe: %s\n", ld->file, cyaml_strerror(err));
		ld->nerr++;
		return NULL;
	}
	return yf;
}

static int
env_retries(struct loader *ld)
{
	const char *s = env_get("MAX_RETRIES");
	char *end;
	long n;

	if (!s || !*s)
		return 3;
	errno = 0;
	n = strtol(s, &end, 10);
	if (!errno && end != s && !*end && n >= 0 && n <= INT_MAX)
		return (int)n;
	if (!(ld->envbad & 1)) {
		fprintf(errs(), "MAX_RETRIES: expected a non-negative integer, got '%s'\n", s);
		ld->nsoft++;
		ld->envbad |= 1;
	}
	return 3;
}

static double
env_retry_delay(struct loader *ld)
{
	const char *s = env_get("RETRY_DELAY");
	double secs;

	if (!s || !*s)
		return 10;
	if (parse_duration(s, &secs) == 0)
		return secs;
	if (!(ld->envbad & 2)) {
		fprintf(errs(), "RETRY_DELAY: expected seconds or a duration, got '%s'\n", s);
		ld->nsoft++;
		ld->envbad |= 2;
	}
	return 10;
}

/* target settings beat defaults, which beat the environment, then built-ins */
static void
resolve(struct loader *ld, struct target *t, unsigned given)
{
	if (!(given & 1u << T_RETRIES))
		t->retries = ld->dgiven & 1u << D_RETRIES ? ld->dflt.retries : env_retries(ld);
	if (!(given & 1u << T_RETRY_DELAY))
		t->retry_delay = ld->dgiven & 1u << D_RETRY_DELAY ? ld->dflt.retry_delay :
		    env_retry_delay(ld);
	if (!(given & 1u << T_TIMEOUT))
		t->timeout = ld->dgiven & 1u << D_TIMEOUT ? ld->dflt.timeout : 1800;
	if (!t->incr.enabled)
		t->incr.lookback = 60;
}

static void
merge(struct loader *ld, struct yfile *yf, bool top)
{
	struct recipe *r = ld->r;
	size_t i;

	if (top) {
		r->version = yf->version ? yf->version : 1;
		r->name = yf->name;
		r->target_conn = yf->target;
		r->on_failure = yf->on_failure;
		r->scheduled_rev = yf->scheduled_rev ? yf->scheduled_rev : xstrdup("main");
		ld->dflt = yf->defaults;
	} else {
		/* never emitted for an included file */
		free(yf->name);
		free(yf->target);
		free(yf->on_failure);
		free(yf->scheduled_rev);
	}
	r->conns = xreallocarray(r->conns, r->nconns + yf->nconns, sizeof(*r->conns));
	ld->connwhere = xreallocarray(ld->connwhere, r->nconns + yf->nconns, sizeof(*ld->connwhere));
	for (i = 0; i < yf->nconns; i++, r->nconns++) {
		struct conn *c = &r->conns[r->nconns];

		*c = yf->conns[i];
		if (!c->driver)
			c->driver = xstrdup("mariadb");
		ld->connwhere[r->nconns].file = xstrdup(ld->file);
		ld->connwhere[r->nconns].line = i < ld->conns.n ? ld->conns.v[i].line : 0;
	}
	r->targets = xreallocarray(r->targets, r->ntargets + yf->ntargets, sizeof(*r->targets));
	for (i = 0; i < yf->ntargets; i++, r->ntargets++) {
		struct target *t = &r->targets[r->ntargets];

		*t = yf->targets[i];
		t->file = xstrdup(ld->file);
		t->line = i < ld->targets.n ? ld->targets.v[i].line : 0;
		resolve(ld, t, i < ld->targets.n ? ld->targets.v[i].given : 0);
	}
	free(yf->conns);
	free(yf->targets);
	free(yf);
}

/* read, check and load one file; disp is its path for messages */
static void
loadfile(struct loader *ld, const char *rel, const char *disp, bool top)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root, *v;
	struct yfile *yf;
	size_t len;
	char *text;
	int nerr = ld->nerr;

	errno = 0;
	if (!(text = readrel(ld, rel, &len))) {
		fprintf(errs(), "%s: cannot read%s%s\n", disp, errno ? ": " : "",
		    errno ? strerror(errno) : "");
		ld->nerr++;
		return;
	}
	ld->file = disp;
	ld->conns.n = ld->targets.n = 0;
	if (!yaml_parser_initialize(&p))
		fatal(1, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		syntax(ld, &p, text);
		yaml_parser_delete(&p);
		free(text);
		return;
	}
	ld->in = &doc;
	if (!yaml_document_initialize(&ld->out, NULL, NULL, NULL, 1, 1))
		fatal(1, "yaml: out of memory");
	root = yaml_document_get_root_node(&doc);
	if (!root && top) {
		fprintf(errs(), "%s:1:1: empty recipe\n", disp);
		ld->nerr++;
	} else if (root && root->type != YAML_MAPPING_NODE) {
		bad(ld, root, "expected a mapping at the top of the recipe, got %s", typename(root));
	} else {
		/* the first node is the root of the copy */
		int map = out_map(ld);

		if (root)
			walkmap(ld, root, top ? &top_def : &include_def, map);
		if (root && top && (v = mapget(ld, root, "target")))
			ld->targetline = (int)v->start_mark.line + 1;
	}
	if (ld->nerr == nerr && (yf = cyamlload(ld)))
		merge(ld, yf, top);
	else if (ld->nerr != nerr)
		yaml_document_delete(&ld->out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	free(text);
	ld->in = NULL;
}

/* whether rel was read already; remembers it */
static bool
already_read(struct loader *ld, const char *rel)
{
	size_t i;

	for (i = 0; i < ld->seen.n; i++)
		if (!strcmp(ld->seen.v[i], rel))
			return true;
	ld->seen.v = xreallocarray(ld->seen.v, ld->seen.n + 1, sizeof(*ld->seen.v));
	ld->seen.v[ld->seen.n++] = xstrdup(rel);
	return false;
}

/* load the files of include pattern i, which the top-level file names */
static void
include(struct loader *ld, size_t i)
{
	const char *pat = ld->inc[i];
	yaml_mark_t m = ld->incmark[i];
	char **paths = NULL, *disp, *text;
	long n, j;

	if (!strpbrk(pat, "*?[")) {
		if (!(text = readrel(ld, pat, NULL))) {
			fprintf(errs(), "%s:%zu:%zu: included file '%s' not found\n",
			    ld->r->path, m.line + 1, m.column + 1, pat);
			ld->nerr++;
			return;
		}
		free(text);
		paths = xcalloc(1, sizeof(*paths));
		paths[0] = xstrdup(pat);
		n = 1;
	} else if ((n = globrel(ld, pat, &paths)) < 0) {
		fprintf(errs(), "%s:%zu:%zu: cannot expand include pattern '%s'\n",
		    ld->r->path, m.line + 1, m.column + 1, pat);
		ld->nerr++;
		return;
	}
	for (j = 0; j < n; j++) {
		if (!already_read(ld, paths[j])) {
			disp = pathjoin(ld->r->dir, paths[j]);
			loadfile(ld, paths[j], disp, false);
			free(disp);
		}
		free(paths[j]);
	}
	free(paths);
}

/* checks of the whole recipe */

/* the env-expanded text of a target's SQL file, or NULL (reported) */
static char *
readsql(struct loader *ld, const struct target *t, const char *what, const char *path)
{
	char *text, *s, *unset;

	if (!path)
		return NULL;
	if (!(text = readrel(ld, path, NULL))) {
		terr(ld, t, "%s file '%s' not found", what, path);
		return NULL;
	}
	if (!(s = env_expand(text, &unset))) {
		terr(ld, t, "unset variable '%s' in %s file '%s'", unset, what, path);
		free(unset);
	}
	free(text);
	return s;
}

/* a query, DDL or probe file holds exactly one statement */
static void
onestatement(struct loader *ld, const struct target *t, const char *what, const char *path,
             const char *sql)
{
	struct sqlscript s = { 0 };
	char *err = NULL;

	if (!sql)
		return;
	if (sqlsplit(sql, strlen(sql), &s, &err) < 0) {
		terr(ld, t, "%s file '%s': %s", what, path, err);
		free(err);
	} else if (s.nstmts != 1)
		terr(ld, t, "%s file '%s' holds %zu statements; it must hold one", what, path,
		     s.nstmts);
	sqlscript_release(&s);
}

/* a script splits into statements: quotes and comments are closed */
static void
scriptsplits(struct loader *ld, const struct target *t)
{
	struct sqlscript s = { 0 };
	char *err = NULL;

	if (!t->script_sql)
		return;
	if (sqlsplit(t->script_sql, strlen(t->script_sql), &s, &err) < 0) {
		terr(ld, t, "script file '%s': %s", t->script, err);
		free(err);
	}
	sqlscript_release(&s);
}

/* the first ${conn.NAME...} in text whose NAME is no connection, reported */
static void
connrefs(struct loader *ld, const struct target *t, const char *text, const char *where)
{
	const char *p = text, *name;
	char *n;
	size_t len;

	while (p && (p = strstr(p, "${conn."))) {
		name = p + 7;
		len = strcspn(name, ".}");
		p = name + len;
		if (*p != '.')
			continue;
		n = xstrndup(name, len);
		if (!recipe_conn(ld->r, n)) {
			terr(ld, t, "'%s' uses unknown connection '%s'", where, n);
			free(n);
			return;
		}
		free(n);
	}
}

static void
checkkind(struct loader *ld, const struct target *t)
{
	const char *k = kind_name(t->kind);
	const char *a = t->kind == KIND_EXTRACT ? "an extract" : "a table target";

	if (t->kind == KIND_EXTRACT && !t->from)
		terr(ld, t, "an extract needs 'from', the connection it reads");
	if (t->kind != KIND_EXTRACT && t->from)
		terr(ld, t, "'from' is only for extract targets, not %s", k);
	if (t->kind != KIND_SCRIPT && !t->query)
		terr(ld, t, "%s needs 'query'", a);
	if (t->kind != KIND_SCRIPT && t->script)
		terr(ld, t, "'script' is only for script targets (a %s target has 'query')", k);
	if (t->kind == KIND_SCRIPT && !t->script)
		terr(ld, t, "a script target needs 'script'");
	if (t->kind == KIND_SCRIPT && t->query)
		terr(ld, t, "'query' is not for script targets (use 'script')");
	if (t->kind != KIND_SCRIPT && t->call)
		terr(ld, t, "'call' is only for script targets");
	if (t->kind != KIND_SCRIPT && t->incr.enabled && !t->key.n)
		terr(ld, t, "incremental needs 'key', the columns rows are upserted by");
}

static void
checktarget(struct loader *ld, size_t i)
{
	struct recipe *r = ld->r;
	struct target *t = &r->targets[i];
	size_t j;

	for (j = 0; j < i; j++) {
		if (!strcmp(r->targets[j].name, t->name)) {
			lerr(ld, t->file, t->line, "target '%s' defined twice (first at %s:%d)",
			    t->name, r->targets[j].file, r->targets[j].line);
			break;
		}
	}
	checkkind(ld, t);
	if (t->kind == KIND_EXTRACT && t->from && !recipe_conn(r, t->from))
		terr(ld, t, "unknown connection '%s' in 'from'", t->from);
	for (j = 0; j < t->needs.n; j++)
		if (!recipe_target(r, t->needs.v[j]))
			lerr(ld, t->file, t->line, "target '%s' needs unknown target '%s'",
			    t->name, t->needs.v[j]);
	if (t->kind != KIND_SCRIPT)
		t->query_sql = readsql(ld, t, "query", t->query);
	else
		t->script_sql = readsql(ld, t, "script", t->script);
	t->create_sql = readsql(ld, t, "create", t->create);
	t->incr.probe_sql = readsql(ld, t, "probe", t->incr.probe);
	onestatement(ld, t, "query", t->query, t->query_sql);
	onestatement(ld, t, "create", t->create, t->create_sql);
	onestatement(ld, t, "probe", t->incr.probe, t->incr.probe_sql);
	scriptsplits(ld, t);
	connrefs(ld, t, t->query_sql, t->query);
	connrefs(ld, t, t->script_sql, t->script);
	connrefs(ld, t, t->create_sql, t->create);
	connrefs(ld, t, t->incr.probe_sql, t->incr.probe);
	connrefs(ld, t, t->call, "call");
}

static void
cycle(struct loader *ld, const size_t *stack, size_t depth, size_t j)
{
	struct recipe *r = ld->r;
	struct buf b;
	size_t p = 0;

	while (stack[p] != j)
		p++;
	buf_init(&b);
	for (; p <= depth; p++)
		buf_addf(&b, "%s -> ", r->targets[stack[p]].name);
	buf_adds(&b, r->targets[j].name);
	lerr(ld, r->targets[j].file, r->targets[j].line, "dependency cycle: %s", b.s);
	buf_release(&b);
}

/* depth-first from target i; state: 0 new, 1 on the stack, 2 done */
static void
visit(struct loader *ld, size_t i, char *state, size_t *stack, size_t depth)
{
	struct recipe *r = ld->r;
	struct target *t = &r->targets[i], *u;
	size_t k, j;

	state[i] = 1;
	stack[depth] = i;
	for (k = 0; k < t->needs.n; k++) {
		if (!(u = recipe_target(r, t->needs.v[k])))
			continue;
		j = u - r->targets;
		if (state[j] == 1)
			cycle(ld, stack, depth, j);
		else if (state[j] == 0)
			visit(ld, j, state, stack, depth + 1);
	}
	state[i] = 2;
}

static void
check(struct loader *ld)
{
	struct recipe *r = ld->r;
	size_t i, j, *stack;
	char *state;

	for (i = 0; i < r->nconns; i++) {
		for (j = 0; j < i; j++) {
			if (!strcmp(r->conns[i].name, r->conns[j].name)) {
				lerr(ld, ld->connwhere[i].file, ld->connwhere[i].line,
				    "connection '%s' defined twice (first at %s:%d)", r->conns[i].name,
				    ld->connwhere[j].file, ld->connwhere[j].line);
				break;
			}
		}
	}
	if (r->target_conn && !recipe_conn(r, r->target_conn))
		lerr(ld, r->path, ld->targetline, "unknown connection '%s' in 'target'",
		    r->target_conn);
	for (i = 0; i < r->ntargets; i++)
		checktarget(ld, i);
	state = xcalloc(r->ntargets, 1);
	stack = xcalloc(r->ntargets, sizeof(*stack));
	for (i = 0; i < r->ntargets; i++)
		if (!state[i])
			visit(ld, i, state, stack, 0);
	free(state);
	free(stack);
}

static void
loader_release(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->r->nconns && ld->connwhere; i++)
		free(ld->connwhere[i].file);
	free(ld->connwhere);
	for (i = 0; i < ld->ninc; i++)
		free(ld->inc[i]);
	free(ld->inc);
	free(ld->incmark);
	for (i = 0; i < ld->seen.n; i++)
		free(ld->seen.v[i]);
	free(ld->seen.v);
	free(ld->conns.v);
	free(ld->targets.v);
	free(ld->prefix);
}

struct recipe *
recipe_load(const char *path, const char *envdir, const struct fsrc *src)
{
	struct loader ld;
	struct recipe *r = xcalloc(1, sizeof(*r));
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t i;

	memset(&ld, 0, sizeof(ld));
	env_load_dotenv(envdir);
	r->path = xstrdup(path);
	r->dir = dirpart(path);
	ld.r = r;
	ld.kind = -1;
	if (src) {
		ld.src = src;
		ld.prefix = strcmp(r->dir, ".") ? xstrdup(r->dir) : NULL;
	} else {
		ld.wt.ctx = r->dir;
		ld.wt.read = wt_read;
		ld.wt.glob = wt_glob;
		ld.src = &ld.wt;
	}
	already_read(&ld, base);
	loadfile(&ld, base, path, true);
	for (i = 0; i < ld.ninc; i++)
		include(&ld, i);
	if (!ld.nerr)
		check(&ld);
	loader_release(&ld);
	if (ld.nerr || ld.nsoft) {
		recipe_free(r);
		return NULL;
	}
	return r;
}

static void
strlist_release(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void
target_release(struct target *t)
{
	size_t i;

	free(t->name);
	free(t->from);
	strlist_release(&t->needs);
	free(t->query);
	free(t->query_sql);
	free(t->script);
	free(t->script_sql);
	free(t->create);
	free(t->create_sql);
	free(t->call);
	strlist_release(&t->key);
	for (i = 0; i < t->nindexes; i++)
		strlist_release(&t->indexes[i]);
	free(t->indexes);
	free(t->incr.column);
	free(t->incr.deleted);
	free(t->incr.probe);
	free(t->incr.probe_sql);
	free(t->file);
}

void
recipe_free(struct recipe *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nconns; i++) {
		struct conn *c = &r->conns[i];

		free(c->name);
		free(c->driver);
		free(c->host);
		free(c->socket);
		free(c->user);
		if (c->password)
			explicit_bzero(c->password, strlen(c->password));
		free(c->password);
		free(c->database);
	}
	free(r->conns);
	for (i = 0; i < r->ntargets; i++)
		target_release(&r->targets[i]);
	free(r->targets);
	free(r->path);
	free(r->dir);
	free(r->name);
	free(r->target_conn);
	free(r->on_failure);
	free(r->scheduled_rev);
	free(r);
}

struct target *
recipe_target(const struct recipe *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ntargets; i++)
		if (r->targets[i].name && !strcmp(r->targets[i].name, name))
			return &r->targets[i];
	return NULL;
}

struct conn *
recipe_conn(const struct recipe *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nconns; i++)
		if (r->conns[i].name && !strcmp(r->conns[i].name, name))
			return &r->conns[i];
	return NULL;
}

const char *
kind_name(enum kind k)
{
	switch (k) {
	case KIND_EXTRACT:
		return "extract";
	case KIND_TABLE:
		return "table";
	case KIND_SCRIPT:
		return "script";
	}
	return "?";
}
