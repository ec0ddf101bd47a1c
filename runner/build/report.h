/* report.h: what the target database says about targets and runs, for the command line and the web UI */
#ifndef CHACC_REPORT_H
#define CHACC_REPORT_H

#include <stdbool.h>
#include <stddef.h>

struct buf;
struct json_t;
struct marker;
struct plan_item;
struct session;
struct store_runs_filter;

/*
 * a target's state (DESIGN §10): "ok", "out of date", "building", "failed",
 * "interrupted" or "missing" (it may be NULL). "building" needs the lock
 * checked by report_check_building(); a build left 'running' whose lock is
 * free is "interrupted".
 */
const char *report_state(const struct marker *m, const struct plan_item *it);
/* whether m's row count is known: a missing target has none */
bool report_rows_known(const struct marker *m);
/* read whether a runner builds each item now, with its run and since when, into s's markers */
void report_check_building(struct session *s, const struct plan_item *items, size_t n);
/* one object per item: the shape of 'status --json' */
struct json_t *report_status(struct session *s, const struct plan_item *items, size_t n);
/* one object per item that is to be built: the shape of 'plan --json' */
struct json_t *report_plan(const struct plan_item *items, size_t n);

/* the target server's clock ("YYYY-MM-DD HH:MM:SS.ffffff"), to age its timestamps; malloc'ed or NULL */
char *report_now(struct session *s);
/* the newest runs of the recipe, newest first; NULL with *err */
struct json_t *report_runs(struct session *s, long limit, char **err);
/* the runs that match f (store.h), one page, newest first, *total how many match; NULL with *err */
struct json_t *report_runs_find(struct session *s, const struct store_runs_filter *f,
                                long long *total, char **err);
/* one run of the recipe with its targets in "targets"; NULL with *err, or with *err NULL when there is no such run */
struct json_t *report_run(struct session *s, long long id, char **err);
/* the newest builds of one target, with their run's mode and who started it; NULL with *err */
struct json_t *report_target_runs(struct session *s, const char *target, long limit, char **err);

/* runs, failures, rows, durations and last success per target in Prometheus text; 0 or -1 with *err */
/* report_checks.c: the latest result of each check (of target, NULL: all); NULL with *err */
struct json_t *report_checks_latest(struct session *s, const char *target, char **err);
/* the check results of run id; NULL with *err */
struct json_t *report_run_checks(struct session *s, long long id, char **err);
/* counts by status ({"pass": n, "warn": n, "fail": n, "error": n}) of target in latest, or NULL when none */
struct json_t *report_checks_summary(struct json_t *latest, const char *target);
/* a Prometheus label value into out: backslash, quote and newline escaped */
void report_label(struct buf *out, const char *v);
/* chacc_check_failures of every target with results, into out */
void report_checks_metrics(struct session *s, struct buf *out);
int report_metrics(struct session *s, struct buf *out, char **err);

/*
 * report_sites.c: the sites of targets that read a group (recipe.h), as
 * recorded by their builds. An object {TARGET: [site, ...]} of target's
 * sites (NULL: of every target), each {"site", "state" ("ok" or "failed"),
 * "error" (of a failed site), "watermark", "last_attempt", "last_success",
 * "lag_seconds" (since its last success, by the target server's clock),
 * "rows"}, null where unknown or never; NULL with *err
 */
struct json_t *report_sites(struct session *s, const char *target, char **err);
/* how many of sites (an array of report_sites) failed */
size_t report_sites_failed(struct json_t *sites);
/* "N of M sites failed" into out when some of sites failed; else NULL */
const char *report_sites_detail(struct json_t *sites, char *out, size_t size);
/* seconds from ts to now (timestamps of one clock); -1 when either is none */
double report_age(const char *ts, const char *now);
/* seconds as a short age into out: "40s", "5m", "2h", "3d" */
const char *report_age_words(double secs, char *out, size_t size);
/* chacc_site_up, chacc_site_lag_seconds and chacc_site_last_success_timestamp_seconds into out */
void report_sites_metrics(struct session *s, struct buf *out);

#endif
