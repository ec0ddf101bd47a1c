/* plan.h: deciding which targets are out of date and why, like make */
#ifndef CHACC_PLAN_H
#define CHACC_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "marker.h"

struct graph;
struct node;
struct target;
struct recipe;

/* the reasons of DESIGN §3, in order of precedence */
enum reason {
	REASON_NONE,             /* up to date */
	REASON_FORCED,
	REASON_MISSING,
	REASON_DEFINITION,
	REASON_FAILED,
	REASON_NEEDS,
	REASON_SOURCE,
};

const char *reason_name(enum reason r);

struct plan_opts {
	bool force_all;          /* -B/--force without names */
	char **force;            /* targets named with --force NAME */
	size_t nforce;
	bool full_refresh;       /* --full-refresh: everything selected, full */
	bool have_since;         /* --since DATE: extracts re-read from that date */
};

/*
 * what the planner knows about every node, indexed by node id: markers from
 * the target database and definition hashes of the current recipe. probe asks
 * an extract's source for rows past its watermark (or changes in its log):
 * PROBE_YES, PROBE_NO, PROBE_FULL (yes, and only a full build will do; its
 * note says why: "binlog position lost"), or -1 on error. Its words beyond
 * yes go to notes[n->id]. An incremental table or script planned because its
 * needs changed, once they are built (none pending), is asked too: PROBE_FULL
 * when so large a share of its inputs changed that a full build is cheaper
 * ("40% of keys changed"), anything else keeps it incremental.
 */
enum { PROBE_NO = 0, PROBE_YES = 1, PROBE_FULL = 2 };

struct plan_state {
	struct graph *g;
	struct marker *markers;
	char (*hashes)[65];
	const struct plan_opts *opts;
	int (*probe)(void *arg, struct node *n);
	void *probe_arg;
	bool *pending;           /* node is planned in this run and not yet built */
	bool *pending_full;      /* ... and its build is full */
	signed char *probed;     /* cached probe answers: -2 not asked */
	char **notes;            /* per node, what its probe said beyond yes (DETAIL_PROBE), or NULL */
	bool offline;            /* ask no source: what only a probe could tell is up to date, unchecked */
};

/* what the user should know of a planned target beyond its reason */
enum plan_detail {
	DETAIL_NONE,
	DETAIL_FOREIGN_TABLE,    /* its table exists but chacc did not make it: a build refuses */
	DETAIL_ADOPTED,          /* adopted: its first build replaces the table in full */
	/*
	 * an extract planned for its source only because its lookback window
	 * (DESIGN §3) is open until item.window, or closed at item.window since
	 * it was last read: the last rows are read once more, for late ones
	 */
	DETAIL_WINDOW_OPEN,
	DETAIL_WINDOW_CLOSED,
	/*
	 * planned only because a need is planned in this run: built only if that
	 * need's build changes rows (restat, DESIGN §3), pruned otherwise
	 */
	DETAIL_IF_NEEDS_CHANGE,
	/*
	 * a script with in_place: it replaces its table itself, without a
	 * shadow table and a swap: readers may see it half written. Another
	 * detail of the item wins, and plan_item_detail adds this one to it.
	 */
	DETAIL_NOT_ATOMIC,
	/* a file target: its columns with their types (declared or inferred) and rows */
	DETAIL_FILE_COLUMNS,
	/*
	 * its last build failed its checks, and left the table before it in
	 * place: built again, incrementally when it can be
	 */
	DETAIL_CHECKS_FAILED,
	/*
	 * its probe said more than yes (item.note): sites added, removed,
	 * failed last time or not reached; binlog position lost; change capture
	 * unavailable; the share of keys changed that makes a full build cheaper
	 */
	DETAIL_PROBE,
};

/* a detail in words, or NULL for DETAIL_NONE (the window's without its time) */
const char *plan_detail_text(enum plan_detail d);

struct plan_item {
	struct node *n;
	enum reason reason;
	bool full;
	enum plan_detail detail;
	char window[20];         /* DETAIL_WINDOW_*: when, "HH:MM:SS" today or "YYYY-MM-DD HH:MM:SS" */
	bool unchecked;          /* up to date as far as the target database tells: the source was not asked */
	const char *note;        /* DETAIL_PROBE: the probe's words (ps->notes) */
};

/*
 * the item's detail in words (into buf when it has a time, or when an
 * in_place target has another detail too), or NULL when it has none
 */
const char *plan_item_detail(const struct plan_item *it, char *buf, size_t size);

/*
 * definition hashes carry the format of the rule that made them: a marker
 * stores "2:<hex>" (a bare digest is format 1, chacc 0.1's). A marker of an
 * older format is compared with the definition hashed in that format, and
 * takes the current one at its next build: a new rule rebuilds nothing.
 * Format 2 hashes SQL without trailing white space; format 3 hashes its
 * normal form (sqlnormal: comments and white space are no change).
 */
#define HASH_FORMAT 3

/* hash of a target's definition (DESIGN §3 reason 3) in the current format into out */
void target_hash(const struct recipe *r, const struct target *t, char out[65]);
/* the same in format (1 to HASH_FORMAT); -1 for a format this chacc does not know */
int target_hash_format(const struct recipe *r, const struct target *t, int format, char out[65]);

/* the reason node n must be built now, and whether the build is full; -1 on probe error */
int plan_node(struct plan_state *ps, struct node *n, enum reason *reason, bool *full);

/*
 * plan the nodes in build order; fills every item (caller allocates norder)
 * and marks ps->pending. Returns how many are to be built, or -1 on probe
 * error (every item is still filled: those not planned as up to date).
 */
long plan_all(struct plan_state *ps, struct node **order, size_t norder, struct plan_item *items);

#endif
