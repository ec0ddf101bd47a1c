/* recipe_yaml.c: one recipe file read with libyaml and loaded with libcyaml */
#include "recipe_impl.h"
#include "env.h"
#include "util.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* review: { self_approve } */
struct yreview {
	bool self_approve;
};

/* what libcyaml loads from one normalised file */
struct yfile {
	int version;
	char *name;
	struct conn *conns;
	size_t nconns;
	char *target;
	struct ydefaults defaults;
	char *on_failure;
	char *scheduled_rev;
	struct yreview review;
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
	STRS("hosts", struct conn, hosts, nhosts, &str_schema),
	STR("socket", struct conn, socket),
	STR("bind_address", struct conn, bind_address),
	STR("user", struct conn, user),
	STR("password", struct conn, password),
	STR("database", struct conn, database),
	STR("schema", struct conn, schema),
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

static const cyaml_schema_field_t cy_change_fields[] = {
	STR("table", struct change_table, table),
	STRS("columns", struct change_table, columns, ncolumns, &str_schema),
	STR("file", struct change_table, file),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_change = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct change_table, cy_change_fields),
};

static const cyaml_schema_field_t cy_incr_fields[] = {
	CYAML_FIELD_BOOL("enabled", CYAML_FLAG_OPTIONAL, struct incr, enabled),
	STR("changes", struct incr, changes),
	STRS("tables", struct incr, tables, ntables, &cy_change),
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
	{ "file", KIND_FILE },
	{ "pivot", KIND_PIVOT },
};

static const cyaml_schema_field_t cy_colspec_fields[] = {
	STR("name", struct colspec, name),
	STR("type", struct colspec, type),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_colspec = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct colspec, cy_colspec_fields),
};

static const cyaml_strval_t cy_check_kinds[] = {
	{ "not_null", CHECK_NOT_NULL },
	{ "unique", CHECK_UNIQUE },
	{ "accepted_values", CHECK_ACCEPTED_VALUES },
	{ "relationships", CHECK_RELATIONSHIPS },
	{ "range", CHECK_RANGE },
	{ "expression", CHECK_EXPRESSION },
	{ "row_count", CHECK_ROW_COUNT },
	{ "freshness", CHECK_FRESHNESS },
	{ "drift", CHECK_DRIFT },
	{ "sql", CHECK_SQL },
};

static const cyaml_strval_t cy_severities[] = {
	{ "error", SEVERITY_ERROR },
	{ "warn", SEVERITY_WARN },
};

/* a check as recipe_checks.c normalises it: every key but the strings always there */
static const cyaml_schema_field_t cy_check_fields[] = {
	CYAML_FIELD_ENUM("kind", CYAML_FLAG_DEFAULT, struct check, kind,
	    cy_check_kinds, CYAML_ARRAY_LEN(cy_check_kinds)),
	STR("name", struct check, name),
	STR("where", struct check, where),
	CYAML_FIELD_ENUM("severity", CYAML_FLAG_DEFAULT, struct check, severity,
	    cy_severities, CYAML_ARRAY_LEN(cy_severities)),
	STRS("columns", struct check, columns.v, columns.n, &str_schema),
	STR("column", struct check, column),
	STRS("values", struct check, values.v, values.n, &str_schema),
	STR("to_target", struct check, to_target),
	STR("to_column", struct check, to_column),
	STR("min", struct check, min),
	STR("max", struct check, max),
	CYAML_FIELD_INT("min_rows", CYAML_FLAG_DEFAULT, struct check, min_rows),
	CYAML_FIELD_INT("max_rows", CYAML_FLAG_DEFAULT, struct check, max_rows),
	STR("expr", struct check, expr),
	STR("equals", struct check, equals),
	STR("from", struct check, from),
	CYAML_FIELD_FLOAT("max_age", CYAML_FLAG_OPTIONAL, struct check, max_age),
	STR("relative_to", struct check, relative_to),
	CYAML_FIELD_FLOAT("row_count_drop", CYAML_FLAG_DEFAULT, struct check, row_count_drop),
	CYAML_FIELD_FLOAT("null_increase", CYAML_FLAG_DEFAULT, struct check, null_increase),
	CYAML_FIELD_BOOL("new_values", CYAML_FLAG_OPTIONAL, struct check, new_values),
	STR("sql", struct check, sql),
	CYAML_FIELD_INT("line", CYAML_FLAG_DEFAULT, struct check, line),
	CYAML_FIELD_INT("column_no", CYAML_FLAG_DEFAULT, struct check, column_no),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_check = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct check, cy_check_fields),
};

static const cyaml_strval_t cy_pivot_rules[] = {
	{ "latest", PIVOT_LATEST },
	{ "first", PIVOT_FIRST },
	{ "count", PIVOT_COUNT },
	{ "all", PIVOT_ALL },
};

static const cyaml_schema_field_t cy_pivot_col_fields[] = {
	STR("name", struct pivot_col, name),
	STR("attribute", struct pivot_col, attribute),
	STR("type", struct pivot_col, type),
	CYAML_FIELD_ENUM("rule", CYAML_FLAG_OPTIONAL, struct pivot_col, rule,
	    cy_pivot_rules, CYAML_ARRAY_LEN(cy_pivot_rules)),
	STR("file", struct pivot_col, file),
	CYAML_FIELD_INT("line", CYAML_FLAG_DEFAULT, struct pivot_col, line),
	CYAML_FIELD_INT("column_no", CYAML_FLAG_DEFAULT, struct pivot_col, column_no),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_pivot_col = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pivot_col, cy_pivot_col_fields),
};

static const cyaml_schema_field_t cy_pivot_value_fields[] = {
	STR("type", struct pivot_value, type),
	STR("column", struct pivot_value, column),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_pivot_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct pivot_value, cy_pivot_value_fields),
};

static const cyaml_schema_field_t cy_pivot_fields[] = {
	STR("from", struct pivot, from),
	STRS("key", struct pivot, key.v, key.n, &str_schema),
	STR("attribute", struct pivot, attribute),
	STRS("values", struct pivot, values, nvalues, &cy_pivot_value),
	STR("order", struct pivot, order),
	STR("voided", struct pivot, voided),
	STRS("keep", struct pivot, keep.v, keep.n, &str_schema),
	STR("map", struct pivot, map),
	STRS("columns", struct pivot, columns, ncolumns, &cy_pivot_col),
	CYAML_FIELD_END
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
	STRS("tags", struct target, tags.v, tags.n, &str_schema),
	CYAML_FIELD_BOOL("in_place", CYAML_FLAG_OPTIONAL, struct target, in_place),
	STR("file", struct target, data),
	STRS("columns", struct target, columns, ncolumns, &cy_colspec),
	STRS("checks", struct target, checks, nchecks, &cy_check),
	CYAML_FIELD_BOOL("profile", CYAML_FLAG_OPTIONAL, struct target, profile),
	CYAML_FIELD_MAPPING_PTR("pivot", OPTPTR, struct target, pivot, cy_pivot_fields),
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

static const cyaml_schema_field_t cy_review_fields[] = {
	CYAML_FIELD_BOOL("self_approve", CYAML_FLAG_OPTIONAL, struct yreview, self_approve),
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
	CYAML_FIELD_MAPPING("review", CYAML_FLAG_OPTIONAL, struct yfile, review, cy_review_fields),
	STRS("targets", struct yfile, targets, ntargets, &cy_target),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t cy_file = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct yfile, cy_file_fields),
};

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
		ldmsg(ld, ld->file, 0, 0, "cannot normalise recipe");
		ld->nerr++;
		buf_release(&b);
		return NULL;
	}
	err = cyaml_load_data((const uint8_t *)b.s, b.len, &cyaml_cfg, &cy_file,
	    (cyaml_data_t **)&yf, NULL);
	buf_release(&b);
	if (err != CYAML_OK) {
		ldmsg(ld, ld->file, 0, 0, "cannot load recipe: %s", cyaml_strerror(err));
		ld->nerr++;
		return NULL;
	}
	return yf;
}

static int
env_retries(struct loader *ld)
{
	const char *s = env_get("MAX_RETRIES");
	long n;

	if (!s || !*s)
		return 3;
	if (ldretries(s, &n) == 0)
		return (int)n;
	if (!(ld->envbad & 1)) {
		ldmsg(ld, NULL, 0, 0, "MAX_RETRIES: invalid count '%s': " LD_RETRIES_RULE, s);
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
	if (ldduration(s, &secs) == 0)
		return secs;
	if (!(ld->envbad & 2)) {
		ldmsg(ld, NULL, 0, 0, "RETRY_DELAY: invalid duration '%s': " LD_DURATION_RULE, s);
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
		r->self_approve = yf->review.self_approve;
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
	ld->tinfo = xreallocarray(ld->tinfo, r->ntargets + yf->ntargets, sizeof(*ld->tinfo));
	for (i = 0; i < yf->ntargets; i++, r->ntargets++) {
		struct target *t = &r->targets[r->ntargets];
		struct entry *en = &ld->tinfo[r->ntargets];

		*t = yf->targets[i];
		*en = i < ld->targets.n ? ld->targets.v[i] : (struct entry){ 0 };
		t->file = xstrdup(ld->file);
		t->line = en->line;
		resolve(ld, t, en->given);
	}
	free(yf->conns);
	free(yf->targets);
	free(yf);
}

/*
 * Limits on a recipe's YAML, checked on libyaml's events before the document is
 * loaded, so that a hostile file is refused before it costs anything: libyaml's
 * loader takes time quadratic in the nesting depth and in the number of anchors,
 * and aliases let a few kilobytes stand for millions of nodes that the walk
 * would visit (the "billion laughs"). Aliases may repeat as many nodes as the
 * file writes itself, and at least ALIAS_FLOOR, as YAML loaders elsewhere
 * budget them.
 */
enum {
	MAX_DEPTH = 64,          /* sequences and mappings inside each other */
	MAX_ANCHORS = 1000,
	ALIAS_FLOOR = 10000,     /* nodes aliases may repeat in any recipe */
};

struct anchor {
	char *name;
	size_t size;             /* nodes, those repeated through aliases included */
	bool open;               /* its collection is still being read */
};

struct guard {
	struct anchor *anchors;
	size_t nanchors;
	size_t open[MAX_DEPTH];  /* per open collection: its anchor, or SIZE_MAX */
	size_t start[MAX_DEPTH]; /* and the node count at its start */
	size_t depth;
	size_t nodes;            /* nodes so far, those repeated through aliases included */
	size_t written;          /* nodes the file writes */
	size_t repeated;         /* nodes aliases repeat */
	int docs;
};

static void __attribute__((format(printf, 3, 4)))
gbad(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ld->diags, DIAG_ERROR, ld->file, (int)m.line + 1, (int)m.column + 1, NULL, fmt, ap);
	va_end(ap);
	ld->nerr++;
}

/* a node that may carry an anchor; returns its anchor's index, or SIZE_MAX */
static size_t
gnode(struct loader *ld, struct guard *g, const yaml_event_t *e, const yaml_char_t *anchor)
{
	g->nodes++;
	g->written++;
	if (!anchor)
		return SIZE_MAX;
	if (g->nanchors == MAX_ANCHORS) {
		gbad(ld, e->start_mark, "more than %d anchors", MAX_ANCHORS);
		return SIZE_MAX;
	}
	g->anchors = xreallocarray(g->anchors, g->nanchors + 1, sizeof(*g->anchors));
	g->anchors[g->nanchors] = (struct anchor){ xstrdup((const char *)anchor), 1, false };
	return g->nanchors++;
}

static void
galias(struct loader *ld, struct guard *g, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	size_t i = g->nanchors, budget;

	while (i > 0 && strcmp(g->anchors[i - 1].name, name))
		i--;
	if (!i) {
		/* the loader reports it */
		g->nodes++;
		return;
	}
	if (g->anchors[i - 1].open) {
		gbad(ld, e->start_mark, "alias '*%s' refers to a node that contains it", name);
		return;
	}
	g->nodes += g->anchors[i - 1].size;
	g->repeated += g->anchors[i - 1].size;
	budget = g->written > ALIAS_FLOOR ? g->written : ALIAS_FLOOR;
	if (g->repeated > budget)
		gbad(ld, e->start_mark, "alias '*%s' repeats too much: aliases may repeat at most "
		    "%zu nodes here", name, budget);
}

/* whether text is one YAML document within the limits above; reports why not */
static bool
guard(struct loader *ld, const char *text, size_t len)
{
	struct guard g = { .docs = 0 };
	yaml_parser_t p;
	yaml_event_t e;
	int nerr = ld->nerr;
	bool end = false;
	size_t i;

	if (!yaml_parser_initialize(&p))
		fatal(1, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!end && ld->nerr == nerr) {
		if (!yaml_parser_parse(&p, &e)) {
			ldsyntax(ld, &p, text);
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			end = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++g.docs > 1)
				gbad(ld, e.start_mark, "a second YAML document: a recipe is one document");
			break;
		case YAML_SCALAR_EVENT:
			if ((i = gnode(ld, &g, &e, e.data.scalar.anchor)) != SIZE_MAX)
				g.anchors[i].size = 1;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (g.depth == MAX_DEPTH) {
				gbad(ld, e.start_mark, "nested more than %d levels deep", MAX_DEPTH);
				break;
			}
			g.start[g.depth] = g.nodes;
			i = gnode(ld, &g, &e, e.type == YAML_SEQUENCE_START_EVENT ?
			    e.data.sequence_start.anchor : e.data.mapping_start.anchor);
			if (i != SIZE_MAX)
				g.anchors[i].open = true;
			g.open[g.depth++] = i;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (g.depth && (i = g.open[--g.depth]) != SIZE_MAX) {
				g.anchors[i].open = false;
				g.anchors[i].size = g.nodes - g.start[g.depth];
			}
			break;
		case YAML_ALIAS_EVENT:
			galias(ld, &g, &e);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	for (i = 0; i < g.nanchors; i++)
		free(g.anchors[i].name);
	free(g.anchors);
	yaml_parser_delete(&p);
	return ld->nerr == nerr;
}

/* the line and column of the first NUL byte of text, reported; false if none */
static bool
nulbyte(struct loader *ld, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len), *s;
	yaml_mark_t m = { 0, 0, 0 };

	if (!nul)
		return false;
	for (s = text; s < nul; s++) {
		if (*s == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	gbad(ld, m, "NUL byte: a recipe is text");
	return true;
}

bool
recipe_yaml_check(const char *file, const char *text, size_t len, struct diags *diags)
{
	struct loader ld;

	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	ld.diags = diags;
	return !nulbyte(&ld, text, len) && guard(&ld, text, len);
}

bool
ldparsedoc(struct loader *ld, const char *text, size_t len, yaml_document_t *doc)
{
	yaml_parser_t p;
	bool ok;

	if (nulbyte(ld, text, len) || !guard(ld, text, len))
		return false;
	if (!yaml_parser_initialize(&p))
		fatal(1, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!(ok = yaml_parser_load(&p, doc)))
		ldsyntax(ld, &p, text);
	yaml_parser_delete(&p);
	return ok;
}

/* read, check and load one file; disp is its path for messages */
void
ldloadfile(struct loader *ld, const char *rel, const char *disp, bool top)
{
	yaml_parser_t p;
	yaml_document_t doc;
	yaml_node_t *root;
	struct yfile *yf;
	size_t len;
	char *text;
	int nerr = ld->nerr;

	errno = 0;
	len = SIZE_MAX;
	if (!(text = top ? ldreadtop(ld, rel, &len) : ldread(ld, rel, &len))) {
		ldmsg(ld, disp, 0, 0, "cannot read%s%s", errno ? ": " : "", errno ? strerror(errno) : "");
		ld->nerr++;
		ld->lostconns = ld->losttargets = true;
		return;
	}
	if (len == SIZE_MAX)
		len = strlen(text);
	ld->file = disp;
	ld->conns.n = ld->targets.n = 0;
	if (nulbyte(ld, text, len) || !guard(ld, text, len)) {
		free(text);
		return;
	}
	if (!yaml_parser_initialize(&p))
		fatal(1, "yaml: out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		ldsyntax(ld, &p, text);
		yaml_parser_delete(&p);
		free(text);
		return;
	}
	ld->in = &doc;
	if (!yaml_document_initialize(&ld->out, NULL, NULL, NULL, 1, 1))
		fatal(1, "yaml: out of memory");
	root = yaml_document_get_root_node(&doc);
	if (!root && top) {
		ldmsg(ld, disp, 1, 1, "empty recipe");
		ld->nerr++;
	} else {
		ldwalk(ld, root, top);
	}
	if (ld->nerr == nerr && (yf = cyamlload(ld)))
		merge(ld, yf, top);
	else if (ld->nerr != nerr)
		yaml_document_delete(&ld->out);
	if (ld->nerr != nerr)
		ld->lostconns = ld->losttargets = true;
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	free(text);
	ld->in = NULL;
}

