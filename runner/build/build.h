/* build.h: building one target: a request in, a result out (DESIGN §5) */
#ifndef CHACC_BUILD_H
#define CHACC_BUILD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "plan.h"

struct conn;
struct recipe;
struct store;
struct target;
struct marker;
struct node;

/* one worker's connections: the target and, lazily, each source */
struct conns {
	const struct recipe *r;
	struct db *tgt;
	struct db **src;         /* by index in r->conns */
	struct store *store;     /* the recipe's store on tgt: markers, runs, locks */
	enum db_err why;         /* the kind of error when conns_open failed */
	bool cluster;            /* the target is a node of a Galera cluster */
	bool create_database;    /* conns_open creates the target's database when missing (builds) */
	/*
	 * a build, not a plan: a probe that read a source's binary log to its
	 * end without a change of its tables records how far it read, so that
	 * the next probe does not read those events again
	 */
	bool advance;
};

/* the engine's parameters of a recipe connection (pointing into c) */
struct db_params conns_params(const struct conn *c);
/*
 * open the target connection; 0 or -1 with *err (and its kind in c->why).
 * When its database does not exist, it is created if c->create_database is
 * set; else *err says that nothing was built there yet.
 */
int conns_open(struct conns *c, const struct recipe *r, char **err);
/* the connection named name, opened on first use; NULL with *err and, when why is set, its kind */
struct db *conns_get(struct conns *c, const char *name, char **err, enum db_err *why);
void conns_close(struct conns *c);

/* the table where removed rows are logged, for the targets downstream */
#define DELETE_LOG "etl_deletes"

/* what to build, and what is known of the last build */
struct build_req {
	const char *recipe;      /* recipe name, the markers' key */
	const struct target *t;
	enum reason reason;
	bool full;
	const char *hash;
	const char *inputs_at;   /* newest changed_at of the needs, "" if none */
	const char *prev_inputs_at; /* inputs_at of the last build: ${since} of table and script */
	const char *since;       /* --since DATE for extracts, or NULL */
	const char *watermark;   /* last watermark of an incremental extract, or NULL */
	const char *position;    /* ... or the binary log position its last build read to */
	atomic_int *stop;        /* set when the run is interrupted */
	bool prev_ok;            /* the last build finished: restat may trust the live table */
	bool no_restat;          /* everything downstream is rebuilt anyway: skip the compare */
	long long prev_rows;     /* rows after the last build, -1 if unknown */
	long long run_id;
	const char *rev;         /* config revision, or NULL */
	bool dirty;
	int jobs;                /* an extract from a group of sites reads up to this many at once; 0: 1 */
};

/* what other threads read while a build runs */
struct build_live {
	_Atomic long long moved; /* rows read so far (progress) */
	/*
	 * server thread ids of the running build's connections (0: none), for
	 * db_kill by the scheduler, which never touches a worker's connection:
	 * [0] the target, [1] the source of an extract
	 */
	atomic_ulong query_id[2];
};

/* how a build went */
struct build_res {
	long long rows;          /* rows in the table after the build */
	long long changed;       /* rows inserted, updated with new values or deleted */
	long long inserted;      /* new rows of an upsert, -1 if the server did not say */
	long long deleted;       /* rows an incremental build removed */
	char *error;             /* message naming what failed (the caller frees it) */
	bool transient;          /* the error can pass on retry */
	bool killed;             /* a query was killed (timeout, interrupt) */
	bool conflict;           /* undone for a conflict with another transaction (a deadlock) */
	bool foreign;            /* refused: its table is not this recipe's (no marker to write) */
	/*
	 * an error-severity check failed and the live table was left as it was
	 * (its marker says MARKER_CHECK_FAILED): error says which check
	 */
	bool checks_failed;
	int checks_warned;       /* warn-severity checks that found failing rows */
	/*
	 * an extract from a group of sites: the sites whose read failed (their
	 * rows stay as they were, the other sites' are published, the build
	 * succeeds) and why, "site 'b': ...; site 'c': ..." (malloc'ed, the
	 * caller frees it), NULL when none failed
	 */
	int sites_failed;
	char *sites_error;
	struct build_live live;
};

/* run one build on c; 0, or -1 with res->error set */
int build_run(struct conns *c, const struct build_req *req, struct build_res *res);

/*
 * ask an incremental extract's source whether rows exist past the watermark
 * in m, or whether its lookback window is still open: 1, 0, or -1 with *err.
 * An extract from a group of sites asks each site, and answers 1 with *note
 * (malloc'ed) when a site is new, gone, failed last time or cannot be
 * reached (never -1 for a site)
 */
int build_probe(struct conns *c, const struct target *t, const struct marker *m, char **note,
                char **err);

/*
 * the share of an incremental table or script target's inputs that changed
 * since its last build (build_share.c): per need, rows stamped (DB_STAMP)
 * after the target's inputs_at plus its keys logged in etl_deletes since,
 * against its rows. A need is counted only where that is cheap: through an
 * index the recipe gives it that leads with DB_STAMP, or when it holds at
 * most BUILD_SHARE_SCAN_ROWS rows; the others count their rows only, so the
 * share is a lower bound. At BUILD_SHARE_FULL percent or more, a full build
 * is cheaper than an incremental one.
 */
#define BUILD_SHARE_FULL 30
#define BUILD_SHARE_SCAN_ROWS 10000

struct build_share {
	long long rows;          /* rows of the needs after their last builds */
	long long changed;       /* of those, stamped after the target's inputs_at */
	long long deleted;       /* keys of the needs logged as deleted since */
	int uncounted;           /* changed needs whose stamped rows were not counted */
};

/* the share in percent (0 to 100) */
int build_share_percent(const struct build_share *s);
/* count the changes of n's needs (markers: every node's, by id) into s; 0, or -1 with *err */
int build_share_count(struct conns *c, const struct node *n, const struct marker *markers,
                      struct build_share *s, char **err);
/*
 * the planner's probe of an incremental table or script whose needs changed:
 * PROBE_FULL with *note "N% of keys changed" (malloc'ed) when the share
 * reaches BUILD_SHARE_FULL, else PROBE_YES; -1 with *err
 */
int build_share(struct conns *c, const struct node *n, const struct marker *markers, char **note,
                char **err);

/* drop shadow and old tables left by an interrupted build of t */
int build_cleanup(struct db *tgt, const struct target *t);
/* names of a target's shadow and old tables */
char *build_shadow_name(const char *table);
char *build_old_name(const char *table);

#endif
