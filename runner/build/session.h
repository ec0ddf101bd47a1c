/* session.h: what every command that talks to the target database sets up */
#ifndef CHACC_SESSION_H
#define CHACC_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "build.h"
#include "plan.h"

struct diags;
struct recipe;
struct graph;
struct vcs_src;
struct node;

/* what a command's work came to; the command line maps it to an exit code (DESIGN §6) */
enum outcome {
	OUTCOME_OK,                  /* done, or nothing to do */
	OUTCOME_FAILED,              /* a target failed (SQL, a source, a check) */
	OUTCOME_BAD_REQUEST,         /* the request or the recipe is wrong: nothing was run */
	OUTCOME_UNREACHABLE,         /* the target database cannot be reached */
	OUTCOME_LOCKED,              /* another scheduled run is active */
	OUTCOME_INTERRUPTED,         /* stopped (a signal, a cancel) */
};

/* "ok", "failed", "bad request", "unreachable", "locked", "interrupted" */
const char *outcome_name(enum outcome o);

struct session {
	struct diags *diags;         /* where its problems go (diag.h) */
	struct recipe *r;
	struct graph *g;
	struct conns conns;          /* the command's own connections */
	struct marker *markers;      /* by node id */
	char (*hashes)[65];
	bool *pending, *pending_full;
	signed char *probed;
	char **notes;            /* per node, what its probe said beyond yes (plan.h) */
	struct plan_opts opts;
	struct plan_state ps;
	char *probe_error;
	struct vcs_src *vcs;         /* where the recipe was read (vcs.h), or NULL */
	const char *config_rev;      /* the commit runs and markers record, or NULL */
	bool config_dirty;           /* the working tree's config files differ from it */
	bool *selected;              /* by node id: what run_plan's selectors chose, or NULL */
	char **forced;               /* the names -B or --full-refresh force (plan_opts.force) */
	/* when the run was asked for, in seconds of the target's clock (ts_seconds), or 0 */
	double asked_at;
};

/*
 * load the recipe into s and build the graph, reading the recipe from git:
 * rev, the scheduled revision (scheduled), or the working tree (a bad
 * revision is a bad request); outside a git repository it warns that
 * revisions are not recorded (a scheduled run only the first time in the
 * state directory under dir). Problems go to diags, which s keeps.
 */
enum outcome session_load_rev(struct session *s, const char *recipe_path, const char *dir,
                              const char *rev, bool scheduled, struct diags *diags);
/* connect to the target and read every marker; creates and changes no table */
enum outcome session_connect(struct session *s);
/* create or migrate the etl_ tables (schema.h) before a command writes them */
enum outcome session_upgrade(struct session *s);
void session_release(struct session *s);

/*
 * when the lookback window of node n, an incremental extract whose marker
 * says it is open, ends by its source's clock: the watermark plus lookback,
 * into out ("HH:MM:SS" when it is today there, else "YYYY-MM-DD HH:MM:SS").
 * 1 while it is open, 0 once it has closed (the next build reads the last
 * rows once more, and closes it), -1 when that cannot be told (no window, a
 * watermark that is no time, the source unreachable).
 */
int session_window(struct session *s, const struct node *n, char out[20]);

/*
 * make the existing tables of the named targets, which chacc did not build,
 * theirs (build --adopt): a marker each, so that their first build replaces
 * them in full instead of being refused. dry_run changes only the markers in
 * memory.
 */
enum outcome session_adopt(struct session *s, char **names, size_t n, bool dry_run);

/*
 * the targets selectors choose (select.h: NAME, +NAME, NAME+, globs,
 * tag:TAG; every target without any) minus what excls choose, in recipe
 * order into *sel; their count, or -1 when a selector chooses nothing (each
 * a diagnostic, with "did you mean")
 */
long session_select(struct session *s, char **sels, size_t nsel, char **excls, size_t nexcl,
                    struct node ***sel);

#endif
