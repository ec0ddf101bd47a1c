/* build.h: building one target: shadow tables, swaps, upserts, markers (DESIGN §5) */
#ifndef CHACC_BUILD_H
#define CHACC_BUILD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

struct db;
struct recipe;
struct store;
struct target;
struct marker;
struct strlist;

/* one worker's connections: the target and, lazily, each source */
struct conns {
	const struct recipe *r;
	struct db *tgt;
	struct store *store;     /* the recipe's store on tgt */
	struct db **src;         /* by index in r->conns */
};

/* open the target connection; 0 or -1 with *err */
int conns_open(struct conns *c, const struct recipe *r, char **err);
/* the connection named name, opened on first use; NULL with *err */
struct db *conns_get(struct conns *c, const char *name, char **err);
void conns_close(struct conns *c);

struct build_job {
	/* in */
	const char *recipe;      /* recipe name, the markers' key */
	const struct target *t;
	enum reason reason;
	bool full;
	const char *hash;
	const char *inputs_at;   /* newest changed_at of the needs, "" if none */
	const char *prev_inputs_at; /* inputs_at of the last build: ${since} of table and script */
	const char *since;       /* --since DATE for extracts, or NULL */
	const char *watermark;   /* last watermark of an incremental extract, or NULL */
	atomic_int *stop;        /* set when the run is interrupted */
	bool prev_ok;            /* the last build finished: restat may trust the live table */
	bool no_restat;          /* everything downstream is rebuilt anyway: skip the compare */
	long long prev_rows;     /* rows after the last build, -1 if unknown */
	long long run_id;
	const char *rev;         /* config revision, or NULL */
	bool dirty;
	struct store *store;     /* where its marker and watermark go: c's (set by build_run) */
	/* out */
	long long rows;          /* rows in the table after the build */
	long long changed;       /* rows inserted, updated with new values or deleted */
	_Atomic long long moved; /* rows read for the build (progress: the scheduler reads it) */
	long long inserted;      /* new rows of an upsert, -1 if the server did not say */
	long long deleted;       /* rows an incremental build removed */
	char *error;             /* message naming what failed */
	bool transient;          /* the error can pass on retry */
	bool killed;             /* a query was killed (timeout, interrupt) */
	bool foreign;            /* refused: its table is not this recipe's (no marker to write) */
	/*
	 * server thread ids of the running job's connections (0: none),
	 * published for KILL QUERY by the scheduler, which never touches a
	 * worker's connection: [0] the target, [1] the source of an extract
	 */
	atomic_ulong query_id[2];
};

/* publish d's thread id (d NULL: none) in slot 0 (target) or 1 (source) of job */
void job_publish(struct build_job *job, int slot, struct db *d);

/* run one build on c; 0, or -1 with job->error set */
int build_run(struct conns *c, struct build_job *job);

/*
 * ask an incremental extract's source whether rows exist past the watermark
 * in m, or whether its lookback window is still open: 1, 0, or -1 with *err
 */
int build_probe(struct conns *c, const struct target *t, const struct marker *m, char **err);

/* drop shadow and old tables left by an interrupted build of t */
int build_cleanup(struct db *tgt, const struct target *t);
/* names of a target's shadow and old tables */
char *shadow_name(const char *table);
char *old_name(const char *table);

/* replace ${this}, ${since}, ${run_id} and ${conn.NAME.database} in sql */
char *sql_subst(const struct recipe *r, const char *sql, const char *this, const char *since_lit,
                long long run_id);

/*
 * hooks for tests at named points of a build: CHACC_FAULT=point[:target]
 * kills the process there; CHACC_PAUSE=point[:target] with CHACC_PAUSE_FILE
 * writes that file and waits until the test removes it
 */
void fault_point(const char *point, const char *target);

/* shared by build.c, build_table.c, build_script.c and extract.c */
#define STAMP "_chacc_changed_at"
#define STAMP_DDL "`" STAMP "` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"

struct cols {
	char **v;
	size_t n;
};
void cols_release(struct cols *c);
bool cols_has(const struct cols *c, const char *name);
/* the data columns of a table (all but the change stamp), in order */
int table_cols(struct db *d, const char *table, struct cols *out);
/* the column names a query returns */
int query_cols(struct db *d, const char *body, struct cols *out);
/* `a`, `b` with prefix before each */
char *col_list(const struct cols *c, const char *prefix);
char *strlist_cols(const struct strlist *l);
/* a.c1 <=> b.c1 AND ...: rows with the same key */
char *match_expr(const struct cols *c, const char *a, const char *b);
/* the same, byte for byte: rows with the same values ('a' is not 'A') */
char *same_values_expr(const struct cols *c, const char *a, const char *b);
char *query_body(const char *sql);
long long count_rows(struct db *d, const char *table);
bool table_exists(struct db *d, const char *table);
/* record the first error of a job, classified by d (NULL: no database error) */
int fail(struct build_job *job, struct db *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int shape_shadow(struct db *tgt, struct build_job *job, const char *shadow);
int add_indexes(struct db *tgt, struct build_job *job, const char *table);
int restat(struct db *tgt, struct build_job *job, const char *shadow, long long newrows);
int swap(struct db *tgt, struct build_job *job, const char *shadow);
int finish(struct db *tgt, struct build_job *job, double started);
/* upsert src_sql's rows into table by key, stamping rows whose values changed */
int upsert(struct db *d, struct build_job *job, const char *table, const struct cols *c,
           const char *select_sql);
int build_extract(struct conns *c, struct build_job *job, double started);
/* the builds of table (build_table.c) and script targets (build_script.c) */
int table_full(struct conns *c, struct build_job *job, double started);
int table_incremental(struct conns *c, struct build_job *job, double started);
int script_full(struct conns *c, struct build_job *job, double started);
int script_incremental(struct conns *c, struct build_job *job, double started);
/* SQL literal of a timestamp string, or NULL */
char *ts_literal(struct db *d, const char *ts);
/* rows in a table after an incremental build, counted only when unknown */
long long rows_after_upsert(struct db *d, struct build_job *job, const char *table);

#endif
