/* build_impl.h: what the build modules share: one build's state and its table operations (build_ops.c) */
#ifndef CHACC_BUILD_IMPL_H
#define CHACC_BUILD_IMPL_H

#include "build.h"

struct strlist;
struct check_result;
struct profile;

/* one build under way */
struct build {
	struct conns *c;
	struct db *tgt;          /* c->tgt */
	const struct build_req *req;
	const struct target *t;  /* req->t */
	struct build_res *res;
	bool full;               /* req->full, or true when the table's key changed */
	double started;          /* mono_seconds() at the start */
	struct check_result *checks; /* results of its checks, recorded when the build ends */
	size_t nchecks;
	struct profile *profile; /* the table's new profile (profile: true, drift), recorded when published */
	long long known_rows;    /* the table's rows once an upsert is counted (bops_rows_after_upsert); -1 */
};

/* the builds of each kind: build_table.c, build_script.c, build_extract.c */
int build_table(struct build *b);
int build_script(struct build *b);
int build_extract(struct build *b);
/*
 * build_pivot.c: the SELECT of t's wide rows from its pivot's long rows, in
 * SQL of d's engine (malloc'ed)
 */
char *build_pivot_select(struct db *d, const struct recipe *r, const struct target *t);
int build_pivot(struct build *b);

/* build_file.c */
int build_file(struct build *b);

/* record the first error of a build, classified by d (NULL: no database error); -1 */
int bops_fail(struct build *b, struct db *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * hooks for tests at named points of a build: CHACC_FAULT=point[:target]
 * kills the process there; CHACC_PAUSE=point[:target] with CHACC_PAUSE_FILE
 * writes that file and waits until the test removes it
 */
void bops_fault_point(const char *point, const char *target);
/* publish d's thread id (d NULL: none) in slot 0 (target) or 1 (source) */
void bops_publish(struct build *b, int slot, struct db *d);

/* replace ${this}, ${since}, ${run_id} and ${conn.NAME.database} in sql */
char *bops_subst(const struct recipe *r, const char *sql, const char *this, const char *since_lit,
                 long long run_id);
/*
 * a query file's one statement, ready to be wrapped as a derived table; sql
 * is t's query or probe, read in the dialect of the connection it runs on
 */
char *bops_query_body(const struct recipe *r, const struct target *t, const char *sql);
/* the names of a recipe list, as the engine takes them (not copied) */
struct db_names bops_names(const struct strlist *l);

/* "SELECT cols FROM table" in d's quoting (malloc'ed) */
char *bops_select_cols(struct db *d, const char *table, const struct db_names *cols);
/* INSERT the rows of body (a query) into table's columns cols; sets *rows */
int bops_insert_rows(struct db *d, const char *table, const struct db_names *cols,
                     const char *body, long long *rows);
/* give a new shadow its change stamp and primary key */
int bops_shape_shadow(struct build *b, const char *shadow);
/* add the target's indexes to table */
int bops_add_indexes(struct build *b, const char *table);
/* compare the shadow with the live table: keep unchanged rows' stamps, count the changes */
int bops_restat(struct build *b, const char *shadow, long long newrows);
/* swap the shadow in for the target's table (on a cluster: when it has a primary key) */
int bops_swap(struct build *b, const char *shadow);
/* on a Galera target, table has a primary key (else the build fails, saying so); 0 or -1 */
int bops_cluster_keyed(struct build *b, const char *table);
/* write the marker of a finished build */
int bops_finish(struct build *b);
/*
 * build_checks.c: write, audit, publish. Run the target's checks on table
 * (the shadow, or the live table inside the build's transaction: in_tx),
 * looking only at rows changed at or after changed_since (a timestamp
 * literal) where a check allows it; profile it when the target asks. 0 when
 * it may be published; -1 (bops_fail naming the check) when an
 * error-severity check failed or could not run
 */
int bops_checks(struct build *b, const char *table, const char *changed_since, bool in_tx);
/* whether the target has checks or a profile to take before publishing */
bool bops_audits(const struct build *b);
/* the server clock as a timestamp literal, for bops_checks' changed_since; NULL on error */
char *bops_now_literal(struct build *b);
/* record the results and profile of the build in the store, and free them */
void bops_checks_end(struct build *b, bool published);
/* upsert select_sql's rows into table by key, stamping rows whose values changed */
int bops_upsert(struct build *b, const char *table, const struct db_names *cols,
                const char *select_sql);
/* rows in a table after an incremental build, counted only when unknown */
long long bops_rows_after_upsert(struct build *b, const char *table);

#endif
