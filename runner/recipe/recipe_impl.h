/* recipe_impl.h: what the parts of the recipe loader share (recipe*.c) */
#ifndef CHACC_RECIPE_IMPL_H
#define CHACC_RECIPE_IMPL_H

#include <stdbool.h>
#include <yaml.h>

#include "diag.h"
#include "recipe.h"
#include "util.h"

/* the fields of a target, of defaults and of incremental, as bits of their "given" */
enum {
	T_NAME, T_KIND, T_FROM, T_NEEDS, T_QUERY, T_SCRIPT, T_CREATE, T_CALL,
	T_KEY, T_INDEXES, T_INCR, T_RETRIES, T_RETRY_DELAY, T_TIMEOUT, T_TAGS,
	T_IN_PLACE,
	T_FILE, T_COLUMNS, T_CHECKS, T_PROFILE, T_PIVOT,
};
enum { D_RETRIES, D_RETRY_DELAY, D_TIMEOUT };
enum { I_COLUMN, I_DELETED, I_LOOKBACK, I_PROBE, I_CHANGES, I_TABLES };

/* the "defaults" of a recipe */
struct ydefaults {
	int retries;
	double retry_delay;
	double timeout;
};

/* position and fields of one entry of "connections" or "targets" */
struct entry {
	int line;
	unsigned given;          /* fields with a valid value, as bits */
	unsigned keys;           /* fields written, valid or not */
	bool unknown;            /* a key no field has (a misspelt one?) */
};

struct entries {
	struct entry *v;
	size_t n;
};

struct where {
	char *file;
	int line;
};

/* a value with variables expanded, and its text as written where */
struct asis {
	char *value;
	char *raw;
	char *file;
	int line;
};

struct loader {
	struct recipe *r;
	struct diags *diags;     /* where problems go (NULL: nowhere) */
	const struct fsrc *src;
	struct fsrc wt;          /* the working tree, when no src is given */
	char *prefix;            /* the recipe's directory inside src, or NULL */
	char *root;              /* real path of the project's directory */
	int updepth;             /* levels of ".." from the recipe's directory to it */
	const char *file;        /* display path of the file being read */
	yaml_document_t *in;     /* its document */
	yaml_document_t out;     /* its normalised copy */
	int nerr;                /* files that could not be read or parsed */
	int nsoft;               /* other errors: checking goes on */
	bool lostconns;          /* some connection was left out: names may be missing */
	bool losttargets;        /* some target was left out */
	unsigned mapkeys;        /* of the mapping walked last: its keys, as bits */
	bool mapunknown;         /* ... and whether it had an unknown key */
	struct entry *tinfo;     /* per target of the recipe: its entry */
	int kind;                /* kind of the target being walked, or -1 */
	const char *tname;       /* its name as written, or NULL (for messages) */
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
	struct asis *asis;       /* expanded values, for messages */
	size_t nasis, asiscap;
	bool asis_sorted;
};

/* recipe.c: the strings of c freed (its password wiped) */
void ldconnrelease(struct conn *c);

/* recipe.c: problems, as diagnostics of ld->diags */
/* a problem at file:line:column (0 when not known), counted by the caller */
void ldmsg(struct loader *ld, const char *file, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * an error at node n, whose value is left out of the normalised copy: the
 * rest of the file is still checked and loaded, so that every problem shows
 */
void ldbad(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* an error at node n, whose value is kept */
void ldsoft(struct loader *ld, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a problem found after parsing, at file:line */
void lderr(struct loader *ld, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* a problem of target t */
void ldterr(struct loader *ld, const struct target *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a problem of target t at line and column of its file; only an error is counted */
void ldtat(struct loader *ld, enum diag_severity sev, const struct target *t, int line,
           int column, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* a syntax error of parser p reading text (a file that is not loaded) */
void ldsyntax(struct loader *ld, const yaml_parser_t *p, const char *text);
/* MAX_RETRIES and the durations: the one rule of every recipe value and variable */
enum { LD_MAX_RETRIES = 100, LD_MAX_DURATION = 7 * 86400 };
/* s as a duration of at most LD_MAX_DURATION; -1 if not */
int ldduration(const char *s, double *secs);
/* s as a count of retries; -1 if not */
int ldretries(const char *s, long *n);
/* why a duration or a count of retries is refused, after "invalid ... 'x' for 'key'" */
#define LD_DURATION_RULE "expected " DURATION_FORMS ", at most 7d"
#define LD_RETRIES_RULE "expected a whole number from 0 to 100"
/* remember raw, the text as written at line of value (which has variables expanded) */
void ldasis(struct loader *ld, const char *value, const char *raw, int line);
/*
 * what a message shows for s: its text as written when s is a value with
 * variables expanded (the one written in file at line or nearest after it), so
 * that messages never show a variable's value
 */
const char *ldshown(struct loader *ld, const char *s, const char *file, int line);

/* recipe_files.c: files relative to the recipe's directory */
char *ldpathjoin(const char *dir, const char *rel);
/* read src from the working tree at dir (the recipe's directory) */
void ldworktree(struct fsrc *src, const char *dir);
/* find the project's directory (ld->root, ld->updepth) */
void ldproject(struct loader *ld);
/* why the recipe may not read rel (it leaves the project...), or NULL */
const char *ldforbidden(struct loader *ld, const char *rel);
/* a file relative to the recipe's directory, or NULL (errno EACCES when forbidden) */
char *ldread(struct loader *ld, const char *rel, size_t *len);
/* the top-level recipe, which the command line names: read unchecked */
char *ldreadtop(struct loader *ld, const char *rel, size_t *len);
/* whether rel was read already; remembers it */
bool ldseen(struct loader *ld, const char *rel);
/* load the files of include pattern i, which the top-level file names */
void ldinclude(struct loader *ld, size_t i);

/* recipe_walk.c: check a file's document and build its normalised copy in ld->out */
void ldwalk(struct loader *ld, yaml_node_t *root, bool top);
/* whether s, the value of node v, names a driver (mariadb, postgres); reported when not */
bool lddriver(struct loader *ld, yaml_node_t *v, const char *s);
/* s as a port number, or -1 */
long ldport(const char *s);
#define LD_PORT_RULE "expected a whole number from 1 to 65535"

/* recipe_node.c: the nodes of ld->in read, and the normalised copy ld->out written */
/* the nearest of words to w when it is close, or NULL */
const char *ldnearest(const char *w, const char *const *words, size_t n);
/* the index of key k (of a mapping that is what) in keys[n], or -1 (reported, with the nearest) */
int ldkeyof(struct loader *ld, yaml_node_t *k, const char *const *keys, size_t n,
            const char *what);
/* a node added to ld->out: a scalar (double-quoted if quoted), a number, a mapping, a sequence */
int ldoutscalar(struct loader *ld, const char *s, bool quoted);
int ldoutnum(struct loader *ld, double v);
int ldoutmap(struct loader *ld);
int ldoutseq(struct loader *ld);
/* add key: value to mapping map, value to sequence seq */
void ldoutpair(struct loader *ld, int map, const char *key, int value);
void ldoutitem(struct loader *ld, int seq, int value);
/* node id of ld->in; "a string", "a sequence" or "a mapping" for messages */
yaml_node_t *ldnode(struct loader *ld, int id);
const char *ldtypename(const yaml_node_t *n);
/* an empty value: "key:" alone, ~ or null */
bool ldisnull(const yaml_node_t *n);
/* the value of key in mapping n, or NULL */
yaml_node_t *ldmapget(struct loader *ld, yaml_node_t *n, const char *key);
/* the kind named s, or -1 */
int ldkindof(const char *s);
/* why s is not a valid target name, or NULL */
const char *ldbadname(const char *s);
/*
 * the text of scalar v with variables expanded into *s: 0, or -1 when v is not
 * a scalar, or 1 when a variable is unset (*s is then the text as written)
 */
int ldscalar(struct loader *ld, yaml_node_t *v, const char *key, char **s);

/* recipe_yaml.c: read, check and load one file; disp is its path for messages */
void ldloadfile(struct loader *ld, const char *rel, const char *disp, bool top);
/*
 * text (of the file ld->file names, which is not a recipe: a pivot's map)
 * parsed into doc within the limits of a recipe; false when not (reported)
 */
bool ldparsedoc(struct loader *ld, const char *text, size_t len, yaml_document_t *doc);

/* recipe_check.c: the checks of the whole recipe (needs, cycles, names, SQL files) */
void ldcheck(struct loader *ld);
/* the text of check c's sql file, env-expanded, or NULL (reported at the check) */
char *ldchecksql(struct loader *ld, const struct target *t, const struct check *c, bool conns);
/* the first ${conn.NAME...} of text naming no connection, reported at line and column */
void ldconnrefs(struct loader *ld, const struct target *t, int line, int column,
                const char *text, const char *raw, const char *where);

/*
 * recipe_checks.c: a target's checks: list, sequence v, checked; its
 * normalised copy (0 when it is not a sequence): one mapping per check with
 * the fields of struct check
 */
int ldwalkchecks(struct loader *ld, yaml_node_t *v);

/*
 * recipe_checkrefs.c: target t's loaded checks checked against the recipe
 * (targets and connections when conns and targets: all were loaded; columns
 * where ldcolumns knows them), their sql files read
 */
void ldcheckchecks(struct loader *ld, struct target *t, bool conns, bool targets);
/*
 * the columns of t's table when the recipe alone shows them (those its
 * create's CREATE TABLE declares, a file target's data's), with DB_STAMP,
 * into cols; false when not known
 */
bool ldcolumns(const struct target *t, struct strlist *cols);

/*
 * recipe_pivot.c: a pivot target's pivot: mapping v checked; its normalised
 * copy (0 when it is not a mapping), with the fields of struct pivot
 */
int ldwalkpivot(struct loader *ld, yaml_node_t *v);
/* pivot target t checked against its target (its needs; the recipe's targets when targets) */
void ldcheckpivot(struct loader *ld, struct target *t, bool targets);
void pivot_free(struct pivot *p);
/* what a map gives the columns it lists: their file; a type and rule if they have none */
struct pivottype {
	char *name, *type;       /* types: {column: type} of the map in the recipe */
	yaml_node_t *at;         /* the column's key there */
	bool used;
};
struct pivotdflt {
	const char *file;        /* the map file as messages show it */
	const char *type;        /* the map's type, or NULL */
	const char *rule;        /* the map's rule, or NULL */
	struct pivottype *types;
	size_t ntypes;
};
/*
 * a pivot column into sequence seq from the nodes of its name, attribute, type
 * and rule (NULL when not given) at node at; d: of a map, or NULL (the recipe's
 * columns). In a map, a type may be an OpenMRS concept datatype name.
 */
void ldpivotcolumn(struct loader *ld, int seq, yaml_node_t *at, yaml_node_t *const f[4],
                   struct pivotdflt *d);
/* a pivot column {name, attribute, type, rule}, node n, into sequence seq */
void ldpivotentry(struct loader *ld, yaml_node_t *n, int seq, struct pivotdflt *d);
/* the rule word of node v (latest, first, count), or NULL (reported) */
const char *ldpivotrule(struct loader *ld, yaml_node_t *v);
/*
 * recipe_pivotmap.c: map: v of a pivot (a file, or {file, form, type, rule,
 * types}): its file read and its columns added to seq, "map" to mapping map
 */
void ldwalkpivotmap(struct loader *ld, yaml_node_t *v, int map, int seq);

/* recipe_hosts.c: hosts: v of a connection checked; its normalised sequence, or 0 */
int ldwalkhosts(struct loader *ld, yaml_node_t *v);

/* recipe_changes.c: incremental.tables: mapping v checked; its normalised sequence, or 0 */
int ldwalkchanges(struct loader *ld, yaml_node_t *v);
/* incremental mapping n with keys (bits of I_*): column or changes, and changes' word */
void ldcheckchanges(struct loader *ld, yaml_node_t *n, unsigned keys);
/* extract t's change capture checked against its kind, key and source (sites: a group) */
void ldchecktargetchanges(struct loader *ld, const struct target *t, bool sites);

/*
 * recipe_sites.c: sites: v, a sequence of groups of sites (and the sites
 * files they name), checked and added to ld->r->sites
 */
void ldwalksites(struct loader *ld, yaml_node_t *v);
/* the groups checked against the whole recipe: their names; extracts from them */
void ldchecksites(struct loader *ld);
/* extract t reading group g: its key led by SITE_COLUMN, its create declaring it */
void ldchecksitetarget(struct loader *ld, struct target *t, const struct entry *en,
                       const struct site_group *g);
void site_group_release(struct site_group *g);

/*
 * recipe_env.c: DB_CONNECT_TIMEOUT into the connections (an error when bad),
 * and a warning naming the Luigi settings of .env that chacc ignores
 */
void ldenv(struct loader *ld);

#endif
