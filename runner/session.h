/* session.h: what every command that talks to the target database sets up */
#ifndef CHACC_SESSION_H
#define CHACC_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "build.h"
#include "plan.h"

struct recipe;
struct graph;
struct vcs_src;

/* exit codes of DESIGN §6 */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_LOCKED = 75,
	EXIT_INTERRUPTED = 130,
};

struct session {
	struct recipe *r;
	struct graph *g;
	struct conns conns;          /* the command's own connections */
	struct marker *markers;      /* by node id */
	char (*hashes)[65];
	bool *pending, *pending_full;
	signed char *probed;
	struct plan_opts opts;
	struct plan_state ps;
	char *probe_error;
	struct vcs_src *vcs;         /* where the recipe was read (vcs.h), or NULL */
	const char *config_rev;      /* the commit runs and markers record, or NULL */
	bool config_dirty;           /* the working tree's config files differ from it */
};

/* load the recipe (exit code 2 on error) and build the graph; returns an exit code */
int session_load(struct session *s, const char *recipe_path, const char *dir);
/*
 * the same, reading the recipe from git: rev, the scheduled revision
 * (scheduled), or the working tree (exit code 2 for a bad revision);
 * outside a git repository it says once that revisions are not recorded
 */
int session_load_rev(struct session *s, const char *recipe_path, const char *dir,
                     const char *rev, bool scheduled);
/* connect to the target and read every marker; creates and changes no table */
int session_connect(struct session *s);
/* create or migrate the etl_ tables (schema.h) before a command writes them; an exit code */
int session_upgrade(struct session *s);
void session_release(struct session *s);

/*
 * make the existing tables of the named targets, which chacc did not build,
 * theirs (build --adopt): a marker each, so that their first build replaces
 * them in full instead of being refused. dry_run changes only the markers in
 * memory. Returns an exit code.
 */
int session_adopt(struct session *s, char **names, size_t n, bool dry_run);

/* resolve target names to nodes; prints unknown names; -1 on any unknown */
int session_select(struct session *s, char **names, size_t nnames, struct node ***sel);

#endif
