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
	char *socket;      /* NULL or "" when unset */
	char *user;
	char *password;    /* never printed */
	char *database;
	char *schema;      /* PostgreSQL: the schema chacc works in; NULL: public */
	unsigned connect_timeout; /* seconds, from DB_CONNECT_TIMEOUT; 0: the engine's default */
};

enum kind {
	KIND_EXTRACT,
	KIND_TABLE,
	KIND_SCRIPT,
	KIND_FILE,
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

struct incr {
	bool enabled;      /* incremental: true, or the mapping form */
	char *column;      /* extract: watermark column of the result */
	char *deleted;     /* extract: result column true for voided rows, or NULL */
	double lookback;   /* seconds; default 60 */
	char *probe;       /* path of a probe SQL file, or NULL */
	char *probe_sql;   /* its text, env-expanded */
};

struct target {
	char *name;
	enum kind kind;
	char *from;              /* extract: source connection name */
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
	char *file;              /* recipe file that defines it: recipe dir + relative path */
	int line;                /* line of its "- name:" entry */
};

struct recipe {
	char *path;              /* top-level recipe as given */
	char *dir;               /* its directory: base of relative paths */
	int version;             /* "chacc:" */
	char *name;
	struct conn *conns;
	size_t nconns;
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
/* the SQL dialect of connection name's driver (MariaDB when there is none such) */
enum sql_dialect recipe_conn_dialect(const struct recipe *r, const char *name);
/*
 * the dialect t's query and probe are read in: its source's for an extract,
 * the target connection's otherwise (its create, script and call are the target's)
 */
enum sql_dialect target_query_dialect(const struct recipe *r, const struct target *t);
const char *kind_name(enum kind k);


#endif
