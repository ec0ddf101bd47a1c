/*
 * quality.h: chacc test and chacc profile: the checks and profiles of live
 * tables, as data that the command line and the web format
 */
#ifndef CHACC_QUALITY_H
#define CHACC_QUALITY_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "profile.h"
#include "session.h"

struct run_request;

/* the checks of one target on its live table */
struct test_target {
	char *name;              /* the target's */
	bool missing;            /* its table does not exist: nothing checked */
	struct check_result *res;
	size_t n;
	size_t blocking;         /* error-severity checks that failed or could not run */
};

struct test_result {
	enum outcome outcome;
	long long run_id;        /* the run (mode "test") its results are recorded under; 0 none */
	struct test_target *v;   /* the selected targets that have checks, in recipe order */
	size_t n;
	size_t passed, warned, failed, errors;  /* checks, by status */
};

/*
 * run the checks of rq's selection (rq->targets, rq->exclude; every target
 * without) on their live tables, building nothing; the results are recorded
 * in etl_checks under a run of mode "test". outcome OK, or FAILED when an
 * error-severity check failed or could not run (problems in rq->diags)
 */
void quality_test(const struct run_request *rq, struct test_result *out);
void test_result_release(struct test_result *r);

/* a target's profile, and how it drifted from the one before */
struct profile_result {
	enum outcome outcome;
	struct profile cur;
	bool has_prev;
	char prev_at[32];        /* when the previous one was taken */
	char **drift;            /* sentences (profile_drift, drift_defaults) */
	size_t ndrift;
};

/*
 * profile the live table of target (rq's recipe) and record it in
 * etl_profiles (record: false only reads); outcome BAD_REQUEST for an
 * unknown target, FAILED when its table is missing or cannot be read
 */
void quality_profile(const struct run_request *rq, const char *target, bool record,
                     struct profile_result *out);
void profile_result_release(struct profile_result *r);

#endif
