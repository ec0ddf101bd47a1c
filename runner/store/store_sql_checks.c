/*
 * store_sql_checks.c: the results of checks (etl_checks) and the profiles of
 * targets (etl_profiles), in the engine's SQL. Both tables came with
 * version 3: on older tables, reads answer no rows and prune nothing.
 */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

/* the rows of one INSERT, so that no statement grows without end */
#define CHECKS_PER_INSERT 100

static const char *const check_cols[] = {
	"run_id", "target", "check", "severity", "status", "failing", "samples", "detail",
	"seconds", "checked_at",
};

/* a run id as a value: none (NULL) when not positive (malloc'ed) */
static char *
run_value(long long run_id)
{
	return run_id > 0 ? xasprintf("%lld", run_id) : xstrdup("NULL");
}

static char *
quote_or_null(struct db *d, const char *s)
{
	return s ? db_quote(d, s) : xstrdup("NULL");
}

/* one result as a row of VALUES, appended to b */
static void
add_check_row(struct store *st, struct buf *b, const char *run, const struct store_check *c)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, c->target);
	char *qc = db_quote(d, c->check), *qv = db_quote(d, c->severity);
	char *qs = db_quote(d, c->status), *qsam = quote_or_null(d, c->samples);
	char *qd = quote_or_null(d, c->detail);
	char *failing = c->failing >= 0 ? xasprintf("%lld", c->failing) : xstrdup("NULL");

	buf_addf(b, store_sql_of(st)->check_row, qr, run, qt, qc, qv, qs, failing, qsam, qd,
	         c->seconds >= 0 ? c->seconds : 0.0);
	free(qr);
	free(qt);
	free(qc);
	free(qv);
	free(qs);
	free(qsam);
	free(qd);
	free(failing);
}

/* the results c[0..n) in one statement */
static int
insert_checks(struct store *st, const char *run, const struct store_check *c, size_t n)
{
	struct buf b;
	int rc;

	buf_init(&b);
	buf_addf(&b, "INSERT INTO etl_checks (recipe, run_id, target, check_name, severity,"
	         " status, failing_rows, sample_keys, detail, seconds, checked_at) VALUES ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addf(&b, ", ");
		add_check_row(st, &b, run, &c[i]);
	}
	rc = db_exec(st->d, b.s);
	buf_release(&b);
	return rc;
}

int
store_sql_checks_record(struct store *st, long long run_id, const struct store_check *c,
                        size_t n)
{
	struct db *d = st->d;
	char *run = run_value(run_id);
	int rc = 0;

	if (n == 0) {
		free(run);
		return 0;
	}
	/* all of them or none */
	if (db_begin(d) < 0) {
		free(run);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i += CHECKS_PER_INSERT)
		rc = insert_checks(st, run, c + i, n - i < CHECKS_PER_INSERT ? n - i :
		                   CHECKS_PER_INSERT);
	if (rc == 0)
		rc = db_commit(d);
	if (rc < 0)
		db_rollback(d);
	free(run);
	return rc;
}

struct store_rows *
store_sql_checks_latest(struct store *st, const char *target)
{
	char *qr = db_quote(st->d, st->recipe);
	char *qt = target ? db_quote(st->d, target) : NULL;
	char *rest, *sql;

	/* the newest row of each (target, check): the highest id */
	rest = xasprintf("JOIN (SELECT MAX(id) AS id FROM etl_checks WHERE recipe = %s%s%s"
	                 " GROUP BY target, check_name) l ON l.id = c.id"
	                 " ORDER BY c.target, c.check_name", qr, qt ? " AND target = " : "",
	                 qt ? qt : "");
	sql = xasprintf(store_sql_of(st)->check_select, rest);
	free(qr);
	free(qt);
	free(rest);
	return store_sql_rows(st, sql, check_cols, LEN(check_cols));
}

struct store_rows *
store_sql_checks_of_run(struct store *st, long long run_id)
{
	char *qr = db_quote(st->d, st->recipe);
	char *rest = xasprintf("WHERE c.recipe = %s AND c.run_id = %lld"
	                       " ORDER BY c.target, c.check_name, c.id", qr, run_id);
	char *sql = xasprintf(store_sql_of(st)->check_select, rest);

	free(qr);
	free(rest);
	return store_sql_rows(st, sql, check_cols, LEN(check_cols));
}

int
store_sql_profile_record(struct store *st, long long run_id, const char *target,
                         long long rows, const char *json)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *run = run_value(run_id);
	char *qt = db_quote(d, target), *qj = db_quote(d, json ? json : "{}");
	int rc = db_execf(d, store_sql_of(st)->profile_insert, qr, run, qt, rows, qj);

	free(qr);
	free(run);
	free(qt);
	free(qj);
	return rc;
}

struct store_rows *
store_sql_profiles(struct store *st, const char *target, long limit)
{
	static const char *const cols[] = { "run_id", "profiled_at", "rows", "profile" };
	char *qr = db_quote(st->d, st->recipe), *qt = db_quote(st->d, target);
	char *sql = xasprintf(store_sql_of(st)->profiles, qr, qt, limit > 0 ? limit : 1);

	free(qr);
	free(qt);
	return store_sql_rows(st, sql, cols, LEN(cols));
}

/*
 * prune one table: the rows of where, counted into *n and, unless dry,
 * removed in batches (so that no statement holds its locks for long) with
 * the engine's statement batch
 */
static int
prune_table(struct store *st, const char *table, const char *batch, const char *where,
            bool dry, long long *n)
{
	struct db *d = st->d;
	int rc = store_sql_count(d, n, xasprintf("SELECT COUNT(*) FROM %s WHERE %s", table,
	                                         where));

	if (rc == 0 && !dry && *n > 0) {
		do
			rc = db_execf(d, batch, where);
		while (rc == 0 && db_affected(d) == 10000);
	}
	return rc;
}

int
store_sql_prune_checks(struct store *st, const char *before, bool dry, long long *checks,
                       long long *profiles)
{
	const struct store_sql *q = store_sql_of(st);
	char *qr = db_quote(st->d, st->recipe), *qb = store_sql_ts_value(st, before);
	/* the newest of each is kept however old (read through a table, as MariaDB wants) */
	char *wc = xasprintf("recipe = %s AND checked_at < %s AND id NOT IN (SELECT id FROM"
	                     " (SELECT MAX(id) AS id FROM etl_checks WHERE recipe = %s"
	                     " GROUP BY target, check_name) k)", qr, qb, qr);
	char *wp = xasprintf("recipe = %s AND profiled_at < %s AND id NOT IN (SELECT id FROM"
	                     " (SELECT MAX(id) AS id FROM etl_profiles WHERE recipe = %s"
	                     " GROUP BY target) k)", qr, qb, qr);
	int rc;

	*checks = *profiles = 0;
	rc = prune_table(st, "etl_checks", q->prune_checks, wc, dry, checks);
	if (rc == 0)
		rc = prune_table(st, "etl_profiles", q->prune_profiles, wp, dry, profiles);
	free(qr);
	free(qb);
	free(wc);
	free(wp);
	return rc < 0 ? -1 : 0;
}
