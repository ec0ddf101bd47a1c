/* run.h: one build run, as the command line and the web UI ask for it */
#ifndef CHACC_RUN_H
#define CHACC_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "session.h"

struct diags;
struct node;
struct plan_item;

/* what to build, and how */
struct run_request {
	const char *recipe;          /* path of the recipe; NULL: chacc.yml */
	const char *dir;             /* the directory asked for, for messages; NULL: the working one */
	char **targets;              /* selectors (select.h); none: every target */
	size_t ntargets;
	char **exclude;              /* selectors of targets not to select */
	size_t nexclude;
	bool force;                  /* the selected targets even if up to date */
	bool full_refresh;           /* the selected targets from scratch */
	bool dry_run;                /* plan, build nothing */
	bool scheduled;              /* the cron mode of DESIGN §6 */
	bool keep_going;             /* build what does not depend on a failure */
	int jobs;                    /* targets built at once; 0: 1 */
	const char *since;           /* extracts re-read from this date, or NULL */
	const char *rev;             /* git revision to read the recipe from, or NULL */
	const char *started_by;      /* who asks; NULL: CHACC_STARTED_BY or user@host */
	char **adopt;                /* existing tables to take over first */
	size_t nadopt;
	atomic_int *stop;            /* becomes non-zero to cancel, or NULL */
	struct diags *diags;         /* where problems go, as they are found */
	/* with dry_run: the plan, in build order, before run_build returns */
	void (*show_plan)(void *arg, const struct plan_item *items, size_t n);
	void *arg;
};

/* what a run came to */
struct run_result {
	enum outcome outcome;
	long long run_id;            /* once the run is recorded (stored atomically: another
	                                thread may read it while the run goes on), else 0 */
	size_t ntargets;             /* targets planned, up to date ones included */
	long todo;                   /* of them to build */
	int built, failed, skipped, interrupted, pruned, uptodate;
	int sites_failed;            /* sites of groups that could not be read (their targets built) */
};

/* load the recipe the request names and, if connect, reach the target (problems in rq->diags) */
enum outcome session_open(struct session *s, const struct run_request *rq, bool connect);
/* a since date is YYYY-MM-DD[ HH:MM:SS] (or NULL), not in the future; -1 and a diagnostic if not */
int run_check_since(const char *since, struct diags *d);
/*
 * plan rq's selection in s (every target when it has no selectors): the
 * selected targets and, before them, what they need (make's rule: built when
 * out of date), in build order, and an item each (caller frees both); -B and
 * --full-refresh force the selected targets only. s->selected marks the
 * selection. Returns the count to build, -1 on a probe error, -2 when a
 * selector chooses nothing; problems go to s->diags.
 */
long run_plan(struct session *s, const struct run_request *rq, struct node ***order,
              size_t *norder, struct plan_item **items);
/*
 * plan and build as rq says (the build command and the web UI) into res,
 * which the caller zeroes. Prints nothing: problems go to rq->diags, progress
 * to the log (log.h).
 */
void run_build(const struct run_request *rq, struct run_result *res);
/* who asks for rq (started_by, CHACC_STARTED_BY or user@host), and its selection in words; malloc'ed */
char *run_started_by(const struct run_request *rq);
char *run_selection_text(const struct run_request *rq);
/*
 * run command (sh -c) as a failed scheduled run runs the recipe's on_failure,
 * with CHACC_RUN_ID, CHACC_FAILED (the failed targets, space-separated),
 * CHACC_FAILED_SITES (the failed sites as TARGET:SITE, space-separated) and
 * CHACC_RECIPE in its environment; failed and failed_sites may be NULL (none).
 * Waits for it; problems go to diags
 */
void run_failure_hook(const char *command, const char *recipe, long long run_id,
                      const char *failed, const char *failed_sites, struct diags *diags);

#endif
