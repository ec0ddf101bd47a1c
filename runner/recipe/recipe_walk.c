/* recipe_walk.c: a recipe file's document checked against its fields, normalised */
#include "recipe_impl.h"
#include "env.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
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
	V_RETRIES,   /* a count of retries */
	V_PORT,
	V_DUR,       /* duration, emitted as seconds */
	V_LIST,      /* list of strings */
	V_INDEXES,   /* list of lists of columns */
	V_INCR,      /* true, false or a mapping */
	V_CONNS,
	V_TARGETS,
	V_DEFAULTS,
	V_INCLUDE,
	V_BOOL,      /* true or false */
	V_REVIEW,    /* review: { self_approve } */
	V_COLUMNS,   /* file: list of {name, type} or of names */
	V_CHECKS,    /* checks: list of checks (recipe_checks.c) */
	V_PIVOT,     /* pivot: a mapping (recipe_pivot.c) */
	V_SITES,     /* sites: groups of source connections (recipe_sites.c) */
	V_CHTABLES,  /* incremental.tables: {TABLE: KEYS} (recipe_changes.c) */
	V_HOSTS,     /* hosts: a cluster's nodes (recipe_hosts.c) */
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
	{ "review", V_REVIEW, false },
	{ "sites", V_SITES, false },
	{ NULL, V_STR, false },
};

static const struct field review_fields[] = {
	{ "self_approve", V_BOOL, false },
	{ NULL, V_STR, false },
};

static const struct field include_fields[] = {
	{ "connections", V_CONNS, false },
	{ "targets", V_TARGETS, false },
	{ "sites", V_SITES, false },
	{ NULL, V_STR, false },
};

static const struct field conn_fields[] = {
	{ "name", V_STR, true },
	{ "driver", V_DRIVER, false },
	{ "host", V_STR, false },
	{ "port", V_PORT, false },
	{ "hosts", V_HOSTS, false },
	{ "socket", V_STR, false },
	{ "user", V_STR, false },
	{ "password", V_STR, false },
	{ "database", V_STR, false },
	{ "schema", V_STR, false },
	{ "bind_address", V_STR, false },
	{ NULL, V_STR, false },
};

static const struct field defaults_fields[] = {
	[D_RETRIES] = { "retries", V_RETRIES, false },
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
	[T_RETRIES] = { "retries", V_RETRIES, false },
	[T_RETRY_DELAY] = { "retry_delay", V_DUR, false },
	[T_TIMEOUT] = { "timeout", V_DUR, false },
	[T_TAGS] = { "tags", V_LIST, false },
	[T_IN_PLACE] = { "in_place", V_BOOL, false },
	[T_FILE] = { "file", V_STR, false },
	[T_COLUMNS] = { "columns", V_COLUMNS, false },
	[T_CHECKS] = { "checks", V_CHECKS, false },
	[T_PROFILE] = { "profile", V_BOOL, false },
	[T_PIVOT] = { "pivot", V_PIVOT, false },
	{ NULL, V_STR, false },
};

static const struct field incr_fields[] = {
	[I_COLUMN] = { "column", V_STR, false },
	[I_DELETED] = { "deleted", V_STR, false },
	[I_LOOKBACK] = { "lookback", V_DUR, false },
	[I_PROBE] = { "probe", V_STR, false },
	[I_CHANGES] = { "changes", V_STR, false },
	[I_TABLES] = { "tables", V_CHTABLES, false },
	{ NULL, V_STR, false },
};

static const struct mapdef top_def = { "recipe", top_fields };
static const struct mapdef include_def = { "included recipe", include_fields };
static const struct mapdef conn_def = { "connection", conn_fields };
static const struct mapdef defaults_def = { "defaults", defaults_fields };
static const struct mapdef target_def = { "target", target_fields };
static const struct mapdef incr_def = { "incremental", incr_fields };
static const struct mapdef review_def = { "review", review_fields };
static const char *const kind_words[] = { "extract", "table", "script", "file", "pivot" };

static const struct field colspec_fields[] = {
	{ "name", V_STR, true },
	{ "type", V_STR, false },
	{ NULL, V_STR, false },
};
static const struct mapdef colspec_def = { "column", colspec_fields };

bool
lddriver(struct loader *ld, yaml_node_t *v, const char *s)
{
	static const char *const drivers[] = { "mariadb", "postgres" };
	const char *near, *w = (const char *)v->data.scalar.value;

	if (!strcmp(s, "mariadb") || !strcmp(s, "postgres"))
		return true;
	near = ldnearest(w, drivers, LEN(drivers));
	/* the other names of the two */
	if (!strcasecmp(s, "mysql") || !strcasecmp(s, "MariaDB"))
		near = "mariadb";
	else if (!strcasecmp(s, "postgresql") || !strcasecmp(s, "pg") ||
	         !strcasecmp(s, "pgsql") || !strcasecmp(s, "postgres"))
		near = "postgres";
	if (near)
		ldbad(ld, v, "unsupported driver '%s': did you mean '%s'? (expected mariadb or "
		      "postgres)", w, near);
	else
		ldbad(ld, v, "unsupported driver '%s' (expected mariadb or postgres)", w);
	return false;
}

long
ldport(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno || *end || end == s || n < 1 || n > 65535 ? -1 : n;
}

/*
 * the checked value of a scalar field, or 0. s is its text with variables expanded;
 * messages quote it as written, so that no value of a variable is shown
 */
static int
walkscalar(struct loader *ld, const struct field *f, yaml_node_t *v, const char *s)
{
	const char *why, *w = (const char *)v->data.scalar.value;
	double secs;
	long n;

	switch (f->type) {
	case V_NAME:
		if ((why = ldbadname(s)))
			ldsoft(ld, v, "invalid target name '%s': %s", w, why);
		break;
	case V_KIND:
		if (ldkindof(s) < 0) {
			const char *near = ldnearest(w, kind_words, LEN(kind_words));

			if (near)
				ldbad(ld, v, "invalid kind '%s': did you mean '%s'?", w, near);
			else
				ldbad(ld, v, "invalid kind '%s' (expected extract, table, script or file)",
				    w);
			return 0;
		}
		break;
	case V_DRIVER:
		if (!lddriver(ld, v, s))
			return 0;
		break;
	case V_VERSION:
		if (strcmp(s, "1")) {
			ldbad(ld, v, "unsupported recipe version '%s' (expected 1)", w);
			return 0;
		}
		return ldoutscalar(ld, s, false);
	case V_PORT:
		if ((n = ldport(s)) < 0) {
			ldbad(ld, v, "invalid port '%s': " LD_PORT_RULE, w);
			return 0;
		}
		return ldoutnum(ld, n);
	case V_RETRIES:
		if (ldretries(s, &n) < 0) {
			ldbad(ld, v, "invalid count '%s' for '%s': " LD_RETRIES_RULE, w, f->key);
			return 0;
		}
		return ldoutnum(ld, n);
	case V_DUR:
		if (ldduration(s, &secs) < 0) {
			ldbad(ld, v, "invalid duration '%s' for '%s': " LD_DURATION_RULE, w, f->key);
			return 0;
		}
		return ldoutnum(ld, secs);
	case V_BOOL:
		if (strcasecmp(s, "true") && strcasecmp(s, "false")) {
			ldbad(ld, v, "expected true or false for '%s', got '%s'", f->key, w);
			return 0;
		}
		return ldoutscalar(ld, strcasecmp(s, "true") ? "false" : "true", false);
	default:
		break;
	}
	return ldoutscalar(ld, s, true);
}

/* a list of strings, or 0 */
static int
walklist(struct loader *ld, const char *key, yaml_node_t *v, const char *what)
{
	yaml_node_item_t *it;
	int seq;

	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected %s for '%s', got %s", what, key, ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);
		char *s;

		if (e->type != YAML_SCALAR_NODE) {
			ldbad(ld, e, "expected a string in '%s', got %s", key, ldtypename(e));
			continue;
		}
		if (ldscalar(ld, e, key, &s) == 0 && !*s)
			ldbad(ld, e, "empty entry in '%s'", key);
		else
			ldoutitem(ld, seq, ldoutscalar(ld, s, true));
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
		ldbad(ld, v, "expected a sequence of column lists for 'indexes', got %s", ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		if (!(cols = walklist(ld, "indexes", e, "a sequence of columns")))
			continue;
		if (e->data.sequence.items.top == e->data.sequence.items.start)
			ldbad(ld, e, "empty index in 'indexes'");
		map = ldoutmap(ld);
		ldoutpair(ld, map, "columns", cols);
		ldoutitem(ld, seq, map);
	}
	return seq;
}

static unsigned walkmap(struct loader *, yaml_node_t *, const struct mapdef *, int);

/* columns: [id, {name: born, type: DATE}] becomes [{name: id}, {name: born, type: DATE}] */
static int
walkcolumns(struct loader *ld, yaml_node_t *v)
{
	yaml_node_item_t *it;
	int seq, map;
	char *s;

	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of columns ({name, type} or a name) for 'columns', "
		      "got %s", ldtypename(v));
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);

		map = ldoutmap(ld);
		if (e->type == YAML_MAPPING_NODE) {
			walkmap(ld, e, &colspec_def, map);
		} else if (e->type == YAML_SCALAR_NODE && ldscalar(ld, e, "columns", &s) == 0) {
			if (!*s)
				ldbad(ld, e, "empty entry in 'columns'");
			ldoutpair(ld, map, "name", ldoutscalar(ld, s, true));
			free(s);
		} else if (e->type != YAML_SCALAR_NODE) {
			ldbad(ld, e, "expected a column ({name, type} or a name) in 'columns', got %s",
			      ldtypename(e));
		}
		ldoutitem(ld, seq, map);
	}
	return seq;
}

/* incremental: true, false or {column, deleted, lookback, probe, changes, tables}, as a mapping */
static int
walkincr(struct loader *ld, yaml_node_t *v)
{
	int map;
	bool on;
	char *s;

	if (v->type == YAML_MAPPING_NODE) {
		if (ld->kind == KIND_TABLE || ld->kind == KIND_SCRIPT || ld->kind == KIND_PIVOT) {
			ldbad(ld, v, "incremental on a %s target takes true or false, not a mapping",
			    kind_name(ld->kind));
			return 0;
		}
		map = ldoutmap(ld);
		ldoutpair(ld, map, "enabled", ldoutscalar(ld, "true", false));
		if (!(walkmap(ld, v, &incr_def, map) & 1u << I_LOOKBACK))
			ldoutpair(ld, map, "lookback", ldoutnum(ld, 60));
		ldcheckchanges(ld, v, ld->mapkeys);
		return map;
	}
	if (v->type != YAML_SCALAR_NODE) {
		ldbad(ld, v, "expected true, false or a mapping for 'incremental', got %s", ldtypename(v));
		return 0;
	}
	if (ldscalar(ld, v, "incremental", &s) || !*s) {
		free(s);
		return 0;
	}
	if (strcasecmp(s, "true") && strcasecmp(s, "false")) {
		ldbad(ld, v, "expected true, false or a mapping for 'incremental', got '%s'",
		    (const char *)v->data.scalar.value);
		free(s);
		return 0;
	}
	on = !strcasecmp(s, "true");
	free(s);
	if (on && ld->kind == KIND_EXTRACT)
		ldsoft(ld, v, "an incremental extract needs a mapping with its watermark 'column', "
		    "e.g. incremental: {column: changed_at}");
	map = ldoutmap(ld);
	ldoutpair(ld, map, "enabled", ldoutscalar(ld, on ? "true" : "false", false));
	ldoutpair(ld, map, "lookback", ldoutnum(ld, 60));
	return map;
}

/* the kind a target entry declares, or -1 */
static int
peekkind(struct loader *ld, yaml_node_t *n)
{
	yaml_node_t *v = ldmapget(ld, n, "kind");
	char *s;
	int k;

	if (!v || v->type != YAML_SCALAR_NODE)
		return -1;
	if (!(s = env_expand((const char *)v->data.scalar.value, NULL)))
		return -1;
	k = ldkindof(s);
	free(s);
	return k;
}

/* the name a target entry has as written, or NULL */
static const char *
peekname(struct loader *ld, yaml_node_t *n)
{
	yaml_node_t *v = ldmapget(ld, n, "name");

	return v && v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : NULL;
}

/* some entry of def (connections or targets) is left out */
static void
lost(struct loader *ld, const struct mapdef *def)
{
	if (def == &conn_def)
		ld->lostconns = true;
	else
		ld->losttargets = true;
}

/* the entries of "connections" or "targets", with their positions */
static int
walkentries(struct loader *ld, yaml_node_t *v, const struct mapdef *def, struct entries *ents)
{
	yaml_node_item_t *it;
	int seq, map;

	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of %ss, got %s", def->what, ldtypename(v));
		lost(ld, def);
		return 0;
	}
	seq = ldoutseq(ld);
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);
		struct entry *en;

		if (e->type != YAML_MAPPING_NODE) {
			ldbad(ld, e, "expected a mapping for a %s, got %s", def->what, ldtypename(e));
			lost(ld, def);
			continue;
		}
		map = ldoutmap(ld);
		ld->kind = def == &target_def ? peekkind(ld, e) : -1;
		ld->tname = def == &target_def ? peekname(ld, e) : NULL;
		ents->v = xreallocarray(ents->v, ents->n + 1, sizeof(*ents->v));
		en = &ents->v[ents->n++];
		en->line = (int)e->start_mark.line + 1;
		en->given = walkmap(ld, e, def, map);
		en->keys = ld->mapkeys;
		en->unknown = ld->mapunknown;
		/* without its name, what refers to it cannot be checked */
		if (!(en->given & 1u))
			lost(ld, def);
		ldoutitem(ld, seq, map);
	}
	ld->tname = NULL;
	return seq;
}

static void
walkinclude(struct loader *ld, yaml_node_t *v)
{
	yaml_node_item_t *it;

	if (v->type != YAML_SEQUENCE_NODE) {
		ldbad(ld, v, "expected a sequence of patterns for 'include', got %s", ldtypename(v));
		return;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		yaml_node_t *e = ldnode(ld, *it);
		char *s;

		if (e->type != YAML_SCALAR_NODE) {
			ldbad(ld, e, "expected a string in 'include', got %s", ldtypename(e));
			continue;
		}
		if (ldscalar(ld, e, "include", &s) || !*s) {
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

	if (f->type >= V_LIST && ldisnull(v))
		return false;
	if (f == &target_fields[T_IN_PLACE] && ld->kind >= 0 && ld->kind != KIND_SCRIPT) {
		ldbad(ld, v, "'in_place' is only for script targets, not %s %s target",
		    ld->kind == KIND_EXTRACT ? "an" : "a", kind_name(ld->kind));
		return false;
	}
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
	case V_COLUMNS:
		id = walkcolumns(ld, v);
		break;
	case V_CHECKS:
		id = ldwalkchecks(ld, v);
		break;
	case V_PIVOT:
		id = ldwalkpivot(ld, v);
		break;
	case V_CHTABLES:
		id = ldwalkchanges(ld, v);
		break;
	case V_HOSTS:
		id = ldwalkhosts(ld, v);
		break;
	case V_CONNS:
		id = walkentries(ld, v, &conn_def, &ld->conns);
		break;
	case V_TARGETS:
		id = walkentries(ld, v, &target_def, &ld->targets);
		break;
	case V_DEFAULTS:
		if (v->type != YAML_MAPPING_NODE) {
			ldbad(ld, v, "expected a mapping for 'defaults', got %s", ldtypename(v));
			return false;
		}
		id = ldoutmap(ld);
		ld->dgiven = walkmap(ld, v, &defaults_def, id);
		break;
	case V_INCLUDE:
		walkinclude(ld, v);
		return false;
	case V_SITES:
		ldwalksites(ld, v);
		return false;
	case V_REVIEW:
		if (v->type != YAML_MAPPING_NODE) {
			ldbad(ld, v, "expected a mapping for 'review', got %s", ldtypename(v));
			return false;
		}
		id = ldoutmap(ld);
		walkmap(ld, v, &review_def, id);
		break;
	default:
		if ((rc = ldscalar(ld, v, f->key, &s)) < 0)
			return false;
		if (rc == 0 && !*s) {
			if (f->required)
				ldbad(ld, v, "empty value for '%s'", f->key);
		} else if (rc == 0) {
			id = walkscalar(ld, f, v, s);
		} else if (f->type == V_STR || f->type == V_NAME) {
			id = ldoutscalar(ld, s, true);
		}
		free(s);
	}
	if (!id)
		return false;
	ldoutpair(ld, out, f->key, id);
	return true;
}

/* whether mapping n has a key that def has no field for */
static bool
unknownkeys(struct loader *ld, yaml_node_t *n, const struct mapdef *def)
{
	const struct field *f;
	yaml_node_pair_t *p;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key);

		if (k->type != YAML_SCALAR_NODE)
			continue;
		for (f = def->fields; f->key && strcmp(f->key, (const char *)k->data.scalar.value); f++)
			;
		if (!f->key)
			return true;
	}
	return false;
}

/* an unknown key, with the nearest known one when it is close */
static void
unknown_key(struct loader *ld, yaml_node_t *k, const char *key, const struct mapdef *def)
{
	struct nearest near;
	const char *best;

	nearest_init(&near, key);
	for (const struct field *f = def->fields; f->key; f++)
		nearest_add(&near, f->key);
	if ((best = nearest_get(&near)))
		ldbad(ld, k, "unknown key '%s' in %s: did you mean '%s'?", key, def->what, best);
	else
		ldbad(ld, k, "unknown key '%s' in %s", key, def->what);
}

/* check mapping n against def into out; returns the fields added, as bits */
static unsigned
walkmap(struct loader *ld, yaml_node_t *n, const struct mapdef *def, int out)
{
	const struct field *f;
	yaml_node_pair_t *p;
	unsigned got = 0, added = 0, bit;

	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ldnode(ld, p->key), *v = ldnode(ld, p->value);
		const char *key;

		if (k->type != YAML_SCALAR_NODE) {
			ldbad(ld, k, "expected a string key in %s, got %s", def->what, ldtypename(k));
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (f = def->fields; f->key && strcmp(f->key, key); f++)
			;
		if (!f->key) {
			unknown_key(ld, k, key, def);
			continue;
		}
		bit = 1u << (f - def->fields);
		if (got & bit) {
			ldbad(ld, k, "duplicate key '%s' in %s", key, def->what);
			continue;
		}
		got |= bit;
		if (walkval(ld, f, v, out))
			added |= bit;
	}
	for (f = def->fields; f->key; f++)
		if (f->required && !(got & 1u << (f - def->fields)))
			ldbad(ld, n, "missing required key '%s' in %s", f->key, def->what);
	ld->mapkeys = got;
	ld->mapunknown = unknownkeys(ld, n, def);
	return added;
}

void
ldwalk(struct loader *ld, yaml_node_t *root, bool top)
{
	/* the first node is the root of the copy */
	int map = ldoutmap(ld);
	yaml_node_t *v;

	if (!root)
		return;
	if (root->type != YAML_MAPPING_NODE) {
		ldbad(ld, root, "expected a mapping at the top of the recipe, got %s", ldtypename(root));
		ld->lostconns = ld->losttargets = true;
		return;
	}
	walkmap(ld, root, top ? &top_def : &include_def, map);
	/* a misspelt "connections" or "targets" leaves its entries out */
	if (ld->mapunknown && !ldmapget(ld, root, "connections"))
		ld->lostconns = true;
	if (ld->mapunknown && !ldmapget(ld, root, "targets"))
		ld->losttargets = true;
	if (top && (v = ldmapget(ld, root, "target")))
		ld->targetline = (int)v->start_mark.line + 1;
}
