/* luigi_impl.h: what the modules of the Luigi importer share */
#ifndef CHACC_LUIGI_IMPL_H
#define CHACC_LUIGI_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "luigi.h"
#include "luigi_sql.h"
#include "recipe.h"

struct sqlscript;

enum ltype {
	LT_SCHEMA,
	LT_PROCEDURE,
	LT_EXTRACT_LOAD,
	LT_LOAD,
	LT_FLATTENED,
	LT_SUMMARY,
	LT_UNKNOWN,
};

/* what became of a task */
enum lfate {
	LF_PENDING,
	LF_TARGET,               /* it is a target of the recipe */
	LF_FOLDED,               /* it is part of other targets (folded[]) */
	LF_NOT_NEEDED,           /* the pipeline's own bookkeeping */
	LF_UNUSED,               /* converted into nothing, with a warning (why) */
	LF_ERROR,                /* cannot be converted (why) */
};

struct ltask {
	char *name;
	char *json;              /* the config file it is in, relative to DIR */
	enum ltype type;
	char *typename;          /* as written */
	struct strlist deps;
	char *sql, *query, *full_load_sql;  /* SQL text (read from a file when named) */
	char *sql_path;          /* the file 'sql' named, or NULL */
	char *target_table, *incremental_field, *source_file, *procedure_call;
	struct strlist indexes;  /* summary: statements */
	enum lfate fate;
	char *why;               /* LF_NOT_NEEDED, LF_UNUSED, LF_ERROR: why */
	size_t *folded;          /* LF_FOLDED: the targets it is part of */
	size_t nfolded;
	size_t target;           /* LF_TARGET: its target */
	bool unported;           /* LF_UNUSED: its SQL cannot run on the target's engine as written */
};

/* a column of a file target */
struct lfcol {
	char *name, *type;
};

/* a target of the recipe being written */
struct ltarget {
	char *name;
	enum kind kind;          /* KIND_EXTRACT, KIND_TABLE, KIND_SCRIPT; file when file */
	bool filekind;
	size_t task;             /* the task it came from */
	struct strlist with;     /* other tasks folded into it, for its comment */
	char *query_path, *query_sql;
	char *create_path, *create_sql;
	char *script_path;       /* a script file, maybe shared by targets */
	char *call;
	struct strlist key;
	struct strlist *indexes;
	size_t nindexes;
	char *incremental;       /* extract: the watermark column, or NULL */
	bool in_place;
	char *file, *file_src;   /* file: data/... in the project, and the file copied */
	struct lfcol *cols;
	size_t ncols;
	struct strlist needs;
	struct strlist notes;    /* comments written above it */
};

/* a file to write: path relative to outdir, and its text (or a file to copy) */
struct lfile {
	char *path;
	char *text;
	char *copy_from;
};

struct lconv {
	const struct luigi_import *li;
	struct diags *ds;
	struct ltask *tasks;
	size_t ntasks;
	struct ltarget *targets;
	size_t ntargets;
	struct lfile *files;
	size_t nfiles;
	size_t nerrors;
	bool postgres;           /* the target is PostgreSQL (--target-driver postgres) */
};

/* luigi.c */
struct ltask *lconv_task(struct lconv *c, const char *name);
/* task t cannot be converted: why (printf) */
void lconv_error(struct lconv *c, struct ltask *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a warning about task t, not stopping the import */
void lconv_warn(struct lconv *c, struct ltask *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a new target named name for task t (its index) */
size_t lconv_target(struct lconv *c, struct ltask *t, const char *name, enum kind k);
/* the target writing table name, or -1 */
long lconv_find(struct lconv *c, const char *name);
/* task t is part of target i */
void lconv_fold(struct lconv *c, struct ltask *t, size_t i);
/* a file to write (text is taken); returns its path */
const char *lconv_file(struct lconv *c, char *path, char *text, const char *copy_from);

/* the targets marked in drop[ntargets] removed, the indexes of the tasks renumbered */
void lconv_drop_targets(struct lconv *c, const bool *drop);

/* luigi_conv.c: the tasks of each type into targets */
void lconv_extract(struct lconv *c, struct ltask *t);
void lconv_load(struct lconv *c, struct ltask *t);
void lconv_summary(struct lconv *c, struct ltask *t);
void lconv_flattened(struct lconv *c, struct ltask *t);
void lconv_schema(struct lconv *c, struct ltask *t);
/* the CREATE TABLE of table among the schema tasks (d filled), preferring t's dependencies */
struct ltask *lconv_schema_of(struct lconv *c, struct ltask *t, const char *table, struct lddl *d);

/* luigi_proc.c: procedure tasks */
/* the statements of a procedure task's script, as the pipeline runs them (-1: bad) */
int lproc_split(struct lconv *c, struct ltask *t, struct sqlscript *s);
/* the procedure task defining routine name, and the table it writes (malloc'ed) */
struct ltask *lproc_defining(struct lconv *c, const char *routine, char **table);
/* the script file of procedure task t, written once */
const char *lproc_script(struct lconv *c, struct ltask *t);

/* luigi_postgres.c: a PostgreSQL target, for which the pipeline's SQL is MariaDB's */
/* the PostgreSQL spelling of MariaDB column type type (malloc'ed), or NULL when it has none */
char *lpg_column_type(const char *type);
/*
 * the KEY, INDEX and UNIQUE definitions of extract g's CREATE TABLE d (not run
 * on PostgreSQL) as its indexes, on the columns its result has (cols)
 */
void lpg_extract_indexes(struct lconv *c, struct ltask *t, struct ltarget *g, const struct lddl *d,
                         const struct strlist *cols);
/* scripts, and table targets reading what they write, not converted; warnings on the others */
void lpg_convert(struct lconv *c);

/* luigi_write.c */
char *lwrite_recipe(struct lconv *c);
void lwrite_plan(struct lconv *c, FILE *out);
/* write every file (refusing to overwrite unless force) and check the recipe */
enum luigi_outcome lwrite_files(struct lconv *c, FILE *out);

/* a table the pipeline keeps for itself */
bool luigi_bookkeeping_table(const char *table);

#endif
