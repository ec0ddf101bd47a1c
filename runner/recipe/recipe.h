/* recipe.h: the recipe (YAML/JSON) a user writes, loaded and checked */
#ifndef CHACC_RECIPE_H
#define CHACC_RECIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "env.h"
#include "sqlsplit.h"

struct diags;

/*
 * where recipe and SQL files are read from: the working tree by default, or a
 * git revision (vcs.c). Paths are relative to the recipe's directory.
 */
struct fsrc {
	void *ctx;
	/* whole file, NUL-terminated, malloc'ed; NULL if missing */
	char *(*read)(void *ctx, const char *relpath, size_t *len);
	/* expand a glob into sorted malloc'ed relative paths; returns count or -1 */
	long (*glob)(void *ctx, const char *pattern, char ***paths);
	/* reads the working tree: symbolic links must stay in the project */
	bool worktree;
};

struct conn {
	char *name;
	char *driver;      /* "mariadb" or "postgres" */
	char *host;        /* NULL or "" when unset */
	unsigned port;     /* 0 when unset (3306) */
	char **hosts;      /* hosts: the nodes of a cluster, "host:port" each, in place of host */
	size_t nhosts;
	char *socket;      /* NULL or "" when unset */
	char *user;
	char *password;    /* never printed */
	char *database;
	char *schema;      /* PostgreSQL: the schema chacc works in; NULL: public */
	char *bind_address; /* MariaDB: the local address to connect from; NULL or "": any */
	unsigned connect_timeout; /* seconds, from DB_CONNECT_TIMEOUT; 0: the engine's default */
};

enum kind {
	KIND_EXTRACT,
	KIND_TABLE,
	KIND_SCRIPT,
	KIND_FILE,
	KIND_PIVOT,
};

struct strlist {
	char **v;
	size_t n;
};
/* free the strings and the list; l is then empty */
void strlist_release(struct strlist *l);

/* a column of a file target as the recipe declares it: columns: [{name, type}] */
struct colspec {
	char *name;
	char *type;        /* SQL type, or NULL: inferred from the values */
};

struct seed;

/*
 * a source table whose row changes touch an extract's keys (incremental:
 * {changes: binlog, tables: {TABLE: KEYS}}): a changed row's columns that
 * hold the key (one per key column, in the key's order), or a SQL file run
 * on the source with ${row.COLUMN} of the changed row, returning keys
 */
struct change_table {
	char *table;
	char **columns;
	size_t ncolumns;
	char *file;        /* path of the SQL file, or NULL */
	char *sql;         /* its text, env-expanded */
};

/* incremental.changes: how an extract learns what changed */
#define CHANGES_BINLOG "binlog"

struct incr {
	bool enabled;      /* incremental: true, or the mapping form */
	char *changes;     /* extract: CHANGES_BINLOG (change capture), or NULL */
	struct change_table *tables;   /* ... the source tables it follows */
	size_t ntables;
	char *column;      /* extract: watermark column of the result, or NULL with changes */
	char *deleted;     /* extract: result column true for voided rows, or NULL */
	double lookback;   /* seconds; default 60 */
	char *probe;       /* path of a probe SQL file, or NULL */
	char *probe_sql;   /* its text, env-expanded */
};

/* the kinds of check a target's checks: list may hold (DESIGN §10, README "Checks") */
enum check_kind {
	CHECK_NOT_NULL,          /* columns: no row has NULL in any of them */
	CHECK_UNIQUE,            /* columns: no two rows share the column set */
	CHECK_ACCEPTED_VALUES,   /* column, values: the column holds only those (or NULL) */
	CHECK_RELATIONSHIPS,     /* column, to_target, to_column: every non-NULL value is there */
	CHECK_RANGE,             /* column, min and/or max (inclusive; NULL passes) */
	CHECK_EXPRESSION,        /* expr: true for every good row */
	CHECK_ROW_COUNT,         /* min and/or max, or equals (SQL run on from) */
	CHECK_FRESHNESS,         /* column, max_age; relative_to (SQL on from) or the clock */
	CHECK_DRIFT,             /* row_count_drop, null_increase, new_values */
	CHECK_SQL,               /* sql: a query returning the failing rows */
};
#define CHECK_NKINDS (CHECK_SQL + 1)

enum check_severity {
	SEVERITY_ERROR,          /* a failure stops the publication */
	SEVERITY_WARN,           /* recorded and shown; the build publishes */
};

/* one entry of a target's checks: */
struct check {
	enum check_kind kind;
	char *name;              /* given, or made from the kind and columns: "not_null(a, b)" */
	char *where;             /* SQL condition: only rows where it holds are checked, or NULL */
	enum check_severity severity;
	struct strlist columns;  /* not_null, unique */
	char *column;            /* accepted_values, relationships, range, freshness */
	struct strlist values;   /* accepted_values: the values as text */
	char *to_target;         /* relationships: "to: TARGET.column" */
	char *to_column;
	char *min, *max;         /* range: values as written (compared as SQL literals), or NULL */
	long long min_rows, max_rows; /* row_count: -1 when not given */
	char *expr;              /* expression */
	char *equals;            /* row_count: SQL whose one value the count must equal */
	char *from;              /* row_count equals, freshness relative_to: its connection, NULL the target's */
	double max_age;          /* freshness: seconds */
	char *relative_to;       /* freshness: SQL giving the time "now" is taken as, or NULL */
	double row_count_drop;   /* drift: fractions (0.1 for 10%), -1 when not given */
	double null_increase;
	bool new_values;         /* drift: a new value in a column of few values is reported */
	char *sql;               /* sql: path of the file, relative to the recipe's directory */
	char *sql_text;          /* its text, env-expanded */
	int line, column_no;     /* where the entry is, in the target's file */
};

/* how a pivot column takes one value from several long rows of its key and attribute */
enum pivot_rule {
	PIVOT_LATEST,            /* the value of the row last in 'order' (the default) */
	PIVOT_FIRST,             /* of the row first in 'order' */
	PIVOT_COUNT,             /* how many rows there are */
	PIVOT_ALL,               /* the values as text, joined by ", " in 'order' */
};

/* one column of a pivot: columns: [{name, attribute, type, rule}], or an entry of its map */
struct pivot_col {
	char *name;
	char *attribute;         /* the value of the attribute column it takes, as text */
	char *type;              /* a key of the pivot's values: numeric, coded, text... */
	enum pivot_rule rule;
	char *file;              /* the map file it comes from (as messages show it), or NULL */
	int line, column_no;     /* where the entry is, in that file or the target's */
};

/* values: {TYPE: COLUMN}: the long column holding the values of a type */
struct pivot_value {
	char *type;
	char *column;
};

/* kind: pivot: long rows of a need (key, attribute, values) as one wide row per key */
struct pivot {
	char *from;              /* the target of long rows; among needs */
	struct strlist key;      /* the wide table's key: columns of the long rows */
	char *attribute;         /* the long column naming the attribute */
	struct pivot_value *values;
	size_t nvalues;
	char *order;             /* the long column latest and first go by, or NULL */
	char *voided;            /* a long column true for rows that do not count, or NULL */
	struct strlist keep;     /* long columns carried as they are (one value per key) */
	char *map;               /* map: the map file, relative to the recipe, or NULL */
	struct pivot_col *columns; /* those of columns: and of the map, as written */
	size_t ncolumns;
};

struct target {
	char *name;
	enum kind kind;
	char *from;              /* extract: source connection name, or a group of sites (key then leads with SITE_COLUMN) */
	struct strlist needs;
	char *query;             /* path (extract, table) or NULL */
	char *query_sql;         /* its text, env-expanded, runtime placeholders kept */
	char *script;            /* path (script) or NULL */
	char *script_sql;
	char *create;            /* path of optional DDL, or NULL */
	char *create_sql;
	char *call;              /* script: statement run after the script, or NULL */
	bool in_place;           /* script: writes its table itself: no shadow, no swap */
	struct strlist key;
	struct strlist *indexes; /* each a list of columns */
	size_t nindexes;
	struct incr incr;
	int retries;             /* resolved: target, defaults, env MAX_RETRIES, built-in 3 */
	double retry_delay;      /* seconds; resolved the same way (RETRY_DELAY), built-in 10 */
	double timeout;          /* seconds; 0 = none; built-in 30m */
	struct strlist tags;     /* labels for selecting it (tag:NAME); not part of its definition */
	char *data;              /* file: path of its CSV or JSON data file (key "file"), or NULL */
	struct colspec *columns; /* file: columns declared, with their types */
	size_t ncolumns;
	struct seed *seed;       /* file: its rows and columns, read (seed.h) */
	struct check *checks;    /* checks: run before a build is published; not part of its definition */
	size_t nchecks;
	bool profile;            /* profile: true: profiled after each build */
	struct pivot *pivot;     /* pivot: its definition, or NULL */
	char *file;              /* recipe file that defines it: recipe dir + relative path */
	int line;                /* line of its "- name:" entry */
};

/*
 * sites: a group of source connections an extract reads with from: GROUP
 * (DESIGN §10). Each site is a connection named as the site; its rows carry
 * the site's name in the column SITE_COLUMN, which leads the target's key.
 * Which sites a group lists is not part of any target's definition.
 */
#define SITE_COLUMN "site"
/* a site's name is at most DB_SITE_NAME_MAX (db.h) characters: the site column's width */
struct site_group {
	char *name;
	char *driver;            /* every site's: "mariadb" or "postgres" */
	struct conn *sites;      /* in the order listed; sites[i].name is the site's name */
	size_t nsites;
	int *lines;              /* sites[i]'s line in list (0: unknown) */
	char *list;              /* where the sites are listed: the sites file or the recipe file */
	char *file;              /* the recipe file that defines the group */
	int line;                /* line of its "- name:" entry there */
};

struct recipe {
	char *path;              /* top-level recipe as given */
	char *dir;               /* its directory: base of relative paths */
	int version;             /* "chacc:" */
	char *name;
	struct conn *conns;
	size_t nconns;
	struct site_group *sites; /* sites: groups of source connections */
	size_t nsites;
	char *target_conn;       /* name of the connection holding built tables */
	char *on_failure;        /* command run when a scheduled run fails, or NULL */
	char *scheduled_rev;     /* revision --scheduled builds from; default "main" */
	bool self_approve;       /* review: { self_approve: true }: the web lets authors approve */
	struct target *targets;  /* in recipe order, includes appended in sorted order */
	size_t ntargets;
};

/*
 * load and check a recipe. Variables ${VAR} and ${VAR:-default} are expanded
 * from the environment, then from .env in envdir (the working directory), then
 * from .env in the recipe's directory (in the working tree); envdir NULL reads
 * no .env but keeps what was read before. src NULL reads
 * the working tree; otherwise path is read through src, and the files it names
 * relative to dirname(path) there. On error, adds every problem to diags
 * (syntax and structure at file, line and column; semantics at file, line and
 * target) and returns NULL.
 */
struct recipe *recipe_load(const char *path, const char *envdir, const struct fsrc *src,
                           struct diags *diags);
void recipe_free(struct recipe *r);
/*
 * whether text (of file, for messages) is one YAML document of text within
 * the limits recipe_load keeps (nesting, anchors, aliases): a check that costs
 * little however hostile the text. Problems go to diags, as recipe_load's.
 */
bool recipe_yaml_check(const char *file, const char *text, size_t len, struct diags *diags);

struct target *recipe_target(const struct recipe *r, const char *name);
struct conn *recipe_conn(const struct recipe *r, const char *name);
/* the group of sites named name, or NULL */
const struct site_group *recipe_sites(const struct recipe *r, const char *name);
/* the group of sites an extract reads from (its from: names one), or NULL */
const struct site_group *target_sites(const struct recipe *r, const struct target *t);
/* the SQL dialect of connection name's driver (MariaDB when there is none such) */
enum sql_dialect recipe_conn_dialect(const struct recipe *r, const char *name);
/*
 * the dialect t's query and probe are read in: its source's for an extract,
 * the target connection's otherwise (its create, script and call are the target's)
 */
enum sql_dialect target_query_dialect(const struct recipe *r, const struct target *t);
const char *kind_name(enum kind k);
/* "not_null", "unique"...: as the recipe writes the kind */
const char *check_kind_name(enum check_kind k);
/* "latest", "first" or "count" */
const char *pivot_rule_name(enum pivot_rule r);
/* "error" or "warn" */
const char *check_severity_name(enum check_severity s);


#endif
