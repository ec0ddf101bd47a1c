/*
 * checks.h: a target's checks (recipe.h struct check) run on a table of the
 * target database: the shadow of a build before it is published (write,
 * audit, publish), or the live table (chacc test). The SQL is the same on
 * every engine, written through db.h (db_ident, db_quote, db_ts_*).
 */
#ifndef CHACC_CHECKS_H
#define CHACC_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "recipe.h"

struct db;
struct profile;
struct store;

/* how one check went */
enum check_status {
	CHECK_PASS,
	CHECK_WARN,              /* a warn-severity check found failing rows */
	CHECK_FAIL,              /* an error-severity check found failing rows */
	CHECK_ERROR,             /* the check itself could not run (its SQL failed...) */
};
/* "pass", "warn", "fail", "error" */
const char *check_status_name(enum check_status s);

/* most sample keys a result keeps */
#define CHECK_SAMPLES 10

struct check_result {
	char *name;              /* the check's name (struct check's) */
	enum check_kind kind;
	enum check_severity severity;
	enum check_status status;
	long long failing;       /* failing rows (row_count, freshness: 1 when it fails; drift: drifts); -1 not known */
	/*
	 * what failed, in words, for messages and the UI: "17 rows", "row count 0
	 * is below the minimum 1", "newest encounter_datetime 2017-01-01 00:00:00
	 * is older than 2d before 2017-03-04 10:00:00", or "could not run: " and
	 * the error of a check that could not run; NULL when it passed
	 */
	char *detail;
	/* up to CHECK_SAMPLES keys of failing rows, as a JSON array of arrays of text ("[[\"1\"],[null]]"), or NULL */
	char *samples;
	double seconds;
	bool changed_only;       /* it looked at the rows changed in this build only */
};

/* where and what to check */
struct check_ctx {
	struct db *d;            /* the target connection */
	const struct recipe *r;
	const struct target *t;
	const char *table;       /* the table checked: a shadow, or the target's own */
	/*
	 * a timestamp literal (db_ts_literal): the checks that allow it (not_null,
	 * accepted_values, range, expression) look only at rows whose DB_STAMP is
	 * at or after it; NULL: every row
	 */
	const char *changed_since;
	/*
	 * with changed_since, in an incremental build: the deletes of the needs
	 * logged in delete_log later than deletes_since (a timestamp literal).
	 * A relationships check to a need's key that logs its deletes then looks
	 * at the rows changed and at the rows those deletes may have left
	 * without a match, not at every row. NULL: every row
	 */
	const char *delete_log;
	const char *deletes_since;
	/*
	 * the table a relationships check names as to: TARGET, when it is being
	 * built in the same transaction or shadow (NULL: TARGET itself)
	 */
	const char *(*table_of)(void *arg, const char *target);
	/* another connection of the recipe (row_count equals, freshness from); NULL with *err */
	struct db *(*conn)(void *arg, const char *name, char **err);
	void *arg;
	/* drift: the table's last profile (NULL: none, drift passes) and this one (computed when NULL) */
	const struct profile *prev;
	struct profile *cur;
	/*
	 * the caller is in a transaction on d: each check runs in a savepoint,
	 * rolled back when it could not run, so that a failed statement does not
	 * spoil the transaction (PostgreSQL aborts it)
	 */
	bool in_transaction;
	/*
	 * the table's rows when the caller knows them (an incremental build
	 * counts what it inserted and removed), for row_count without a where:
	 * COUNT(*) of a large table takes seconds; NULL to count
	 */
	const long long *rows;
};

/*
 * run the target's checks in recipe order; *out gets one result each. Returns
 * the number of error-severity checks that failed or could not run (0: the
 * build may publish).
 */
size_t checks_run(const struct check_ctx *x, struct check_result **out, size_t *n);
/* one check */
void check_run(const struct check_ctx *x, const struct check *c, struct check_result *out);
/* the first result that stops a publication (error severity, fail or error), or NULL */
const struct check_result *checks_blocking(const struct check_result *res, size_t n);
void check_results_free(struct check_result *res, size_t n);
/* record target's results of run run_id in etl_checks (store.h); 0 or -1 (store_error) */
int checks_record(struct store *st, long long run_id, const char *target,
                  const struct check_result *res, size_t n);
/*
 * whether the target has a check that stops a publication (error severity):
 * its incremental builds then go through a shadow (scripts) or a check
 * before commit
 */
bool checks_any_error(const struct target *t);

#endif
