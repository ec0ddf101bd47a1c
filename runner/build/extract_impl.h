/*
 * extract_impl.h: what extracts from one source (build_extract.c) and from
 * a group of sites (build_sites.c) share
 */
#ifndef CHACC_EXTRACT_IMPL_H
#define CHACC_EXTRACT_IMPL_H

#include "build_impl.h"

/* one read of a source: the build, the source and where its rows go */
struct extract {
	struct build *b;
	struct db *src;
	struct db *tgt;          /* b->tgt, or a site reader's own connection to the target */
	bool same;               /* src and tgt are one server: rows are pushed down */
	const char *site;        /* a site of a group: its name leads every row; else NULL */
};

/* which side of a copy failed */
enum copy_fail {
	COPY_QUERY,              /* the query, run on the target's server (pushed down) */
	COPY_READ,               /* reading the source */
	COPY_LOAD,               /* loading rows into the target */
	COPY_BACK,               /* returning to the target's database */
};

/*
 * the SELECT x runs on its source, from since (a SQL literal, "NULL": from
 * the start); incremental: only rows at or past since. A site's rows lead
 * with its name (SITE_COLUMN). Malloc'ed
 */
char *extract_select(struct extract *x, const char *since, bool incremental);
/* select (consumed) without the rows the target's incremental.deleted flags */
char *extract_not_deleted(struct extract *x, char *select);
/*
 * the lower bound of an incremental read as a literal of x's source:
 * --since, or watermark minus lookback, or NULL (everything) without one
 */
char *extract_since(struct extract *x, const char *watermark);
/*
 * put select's rows into table on x->tgt: pushed down as INSERT ... SELECT
 * when both are one server, else streamed (progress gets the rows so far).
 * 0 with *rows, or -1 with *why (the failing connection's db_error says more)
 */
int extract_copy(struct extract *x, const char *select, const char *table, long long *rows,
                 db_progress_fn progress, void *arg, enum copy_fail *why);
/* remove the target's rows the stage flags as deleted, and those stage rows (b->tgt) */
int extract_remove_flagged(struct build *b, const char *stage, const struct db_names *tc);

/*
 * whether src has rows of t past watermark (NULL: any row at all), by t's
 * probe or its query: 1, 0, or -1 (db_error(src) says why)
 */
int extract_probe(const struct recipe *r, struct db *src, const struct target *t,
                  const char *watermark);

/* build_extract.c: a full read of x's source, and an incremental one by its watermark */
int extract_full(struct extract *x);
int extract_by_watermark(struct extract *x);

/*
 * build_changes.c: where a full read of an extract that captures changes
 * starts in its source's binary log (*pos, NULL when the log cannot be
 * followed): streamed, in a snapshot begun on x->src (*snapshot) whose
 * place in the log it is; pushed down, the log's end before the read
 */
int changes_position(struct extract *x, char **pos, bool *snapshot);
/* an incremental read of the changes x's source's binary log names */
int changes_incremental(struct extract *x);
/* build_probe of an extract that captures changes: PROBE_* of plan.h, or -1 */
int changes_probe(struct conns *c, const struct target *t, const struct marker *m, char **note,
                  char **err);

/* build_sites.c: an extract from a group of sites */
int build_sites(struct build *b);
/* build_probe of an extract from a group of sites */
int sites_probe(struct conns *c, const struct target *t, char **note, char **err);

#endif
