/*
 * checks_run.c: running a target's checks on a table: the queries of
 * checks_sql.c, counts, sample keys, the comparisons of row_count,
 * freshness and drift, and each check's result
 */
#include "checks_impl.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "profile.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

/* the savepoint a check runs in when the caller is in a transaction */
#define SAVEPOINT "chacc_check"

/* one check under way */
struct crun {
	const struct check_ctx *x;
	const struct check *c;
	struct check_result *res;
	char *why;               /* why it could not run */
};

const char *
check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_PASS:
		return "pass";
	case CHECK_WARN:
		return "warn";
	case CHECK_FAIL:
		return "fail";
	case CHECK_ERROR:
		return "error";
	}
	return "?";
}

/* the check could not run: why, from d's last error; -1 */
static int
cant_db(struct crun *k, struct db *d)
{
	if (!k->why)
		k->why = xstrdup(db_error(d));
	return -1;
}

/* the check could not run: why, in words (taken); -1 */
static int
cant(struct crun *k, char *why)
{
	if (!k->why)
		k->why = why;
	else
		free(why);
	return -1;
}

/* a whole number a query returned */
static bool
parse_count(const char *v, long long *out)
{
	char *end;

	if (!v || !*v)
		return false;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno == 0 && end != v && (*end == '\0' || *end == '.');
}

/* the one value sql returns on d, as a count; 0 or -1 */
static int
query_count(struct crun *k, struct db *d, const char *sql, long long *out)
{
	char *v = NULL;
	int rc = db_value(d, &v, "%s", sql);

	if (rc < 0)
		return cant_db(k, d);
	if (!parse_count(rc ? v : "0", out)) {
		rc = cant(k, xasprintf("'%s' is not a count", v ? v : "NULL"));
		free(v);
		return rc;
	}
	free(v);
	return 0;
}

/* the rows of sql on d as a JSON array of arrays of strings or null; NULL on error */
static char *
rows_json(struct crun *k, struct db *d, const char *sql)
{
	struct dbres *r = db_query(d, sql);
	json_t *all;
	char *out;

	if (!r) {
		cant_db(k, d);
		return NULL;
	}
	all = json_array();
	while (dbres_next(r)) {
		json_t *row = json_array();

		for (size_t i = 0; i < dbres_ncols(r); i++) {
			const char *v = dbres_get(r, i);

			json_array_append_new(row, v ? json_string(v) : json_null());
		}
		json_array_append_new(all, row);
	}
	dbres_free(r);
	out = json_dumps(all, JSON_COMPACT);
	json_decref(all);
	return out;
}

/* not_null ... sql: count the failing rows, and list some when there are */
static int
run_rows(struct crun *k, const struct check_sql *s)
{
	struct check_result *res = k->res;

	res->changed_only = s->changed_only;
	if (query_count(k, k->x->d, s->count, &res->failing) < 0)
		return -1;
	if (res->failing == 0)
		return 0;
	res->detail = xasprintf("%lld %s", res->failing, res->failing == 1 ? "row" : "rows");
	if (s->samples && !(res->samples = rows_json(k, k->x->d, s->samples)))
		return -1;
	return 0;
}

/* do two lists hold the same names (as sets)? */
static bool
same_set(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb || na == 0)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;

		for (size_t j = 0; j < nb && !found; j++)
			found = strcmp(a[i], b[j]) == 0;
		if (!found)
			return false;
	}
	for (size_t j = 0; j < nb; j++) {
		bool found = false;

		for (size_t i = 0; i < na && !found; i++)
			found = strcmp(a[i], b[j]) == 0;
		if (!found)
			return false;
	}
	return true;
}

/*
 * is unique's column set the table's primary key? The key of a table, extract
 * or file target is: chacc gives their tables that key. 1, 0 or -1
 */
static int
unique_by_key(struct crun *k)
{
	const struct check_ctx *x = k->x;
	const struct target *t = x->t;
	const struct strlist *cols = &k->c->columns;
	struct strlist pk = { 0 };
	char *text, *p, *save = NULL;
	int rc;

	if (t && t->kind != KIND_SCRIPT && same_set(cols->v, cols->n, t->key.v, t->key.n))
		return 1;
	if (!(text = db_primary_key(x->d, x->table)))
		return cant_db(k, x->d);
	for (p = strtok_r(text, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		pk.v = xreallocarray(pk.v, pk.n + 1, sizeof(*pk.v));
		pk.v[pk.n++] = p;
	}
	rc = same_set(cols->v, cols->n, pk.v, pk.n);
	free(pk.v);
	free(text);
	return rc;
}

/* another connection of the recipe (NULL name: the target's); NULL when it cannot be had */
static struct db *
conn_of(struct crun *k, const char *name)
{
	char *err = NULL;
	struct db *d;

	if (!name || !*name)
		return k->x->d;
	if (!k->x->conn) {
		cant(k, xasprintf("connection '%s' is not available here", name));
		return NULL;
	}
	if (!(d = k->x->conn(k->x->arg, name, &err)))
		cant(k, xasprintf("connection '%s': %s", name, err ? err : "cannot connect"));
	free(err);
	return d;
}

/* the one value sql (${this} replaced) returns on connection from; 1, 0 (no value) or -1 */
static int
from_value(struct crun *k, const char *sql, const char *from, char **out)
{
	struct db *d = conn_of(k, from);
	char *text;
	int rc;

	*out = NULL;
	if (!d)
		return -1;
	text = check_sql_subst(k->x, sql);
	rc = db_value(d, out, "%s", text);
	free(text);
	if (rc < 0)
		return cant_db(k, d);
	return rc > 0 && *out;
}

static int
run_row_count(struct crun *k, const struct check_sql *s)
{
	const struct check *c = k->c;
	struct check_result *res = k->res;
	long long rows, want;
	char *v = NULL;
	int rc;

	if (k->x->rows && !(c->where && *c->where))
		rows = *k->x->rows;
	else if (query_count(k, k->x->d, s->count, &rows) < 0)
		return -1;
	if (c->equals) {
		if ((rc = from_value(k, c->equals, c->from, &v)) < 0)
			return -1;
		if (!rc || !parse_count(v, &want)) {
			rc = cant(k, xasprintf("equals returned %s%s%s, not a count", v ? "'" : "",
			                       v ? v : "nothing", v ? "'" : ""));
			free(v);
			return rc;
		}
		free(v);
		if (rows != want)
			res->detail = xasprintf("row count %lld differs from %lld (equals)", rows, want);
	} else if (c->min_rows >= 0 && rows < c->min_rows)
		res->detail = xasprintf("row count %lld is below the minimum %lld", rows, c->min_rows);
	else if (c->max_rows >= 0 && rows > c->max_rows)
		res->detail = xasprintf("row count %lld is above the maximum %lld", rows, c->max_rows);
	res->failing = res->detail ? 1 : 0;
	return 0;
}

/* a max_age as it is written: "2d", "3h", "90m", "45s" */
static char *
age_text(double secs)
{
	static const struct {
		double unit;
		const char *name;
	} units[] = { { 86400, "d" }, { 3600, "h" }, { 60, "m" } };

	for (size_t i = 0; i < LEN(units); i++)
		if (secs >= units[i].unit && (long long)secs % (long long)units[i].unit == 0 &&
		    secs == (double)(long long)secs)
			return xasprintf("%lld%s", (long long)secs / (long long)units[i].unit,
			                 units[i].name);
	return xasprintf("%gs", secs);
}

static int
run_freshness(struct crun *k, const struct check_sql *s)
{
	const struct check *c = k->c;
	struct check_result *res = k->res;
	struct db *d = k->x->d;
	char *newest = NULL, *ref = NULL, *age = age_text(c->max_age);
	int rc;

	if (db_value(d, &newest, "%s", s->count) < 0)
		rc = cant_db(k, d);
	else if (!c->relative_to)
		rc = db_now(d, &ref) < 0 ? cant_db(k, d) : 0;
	else if ((rc = from_value(k, c->relative_to, c->from, &ref)) == 0)
		rc = cant(k, xstrdup("relative_to returned no time"));
	if (rc < 0)
		goto out;
	rc = 0;
	if (!newest)
		res->detail = xasprintf("no %s in the rows checked", c->column);
	else if ((rc = db_ts_after(d, newest, ref, c->max_age)) < 0)
		cant_db(k, d);
	else if (rc == 0)
		res->detail = xasprintf("newest %s %s is older than %s before %s", c->column, newest,
		                        age, ref);
	rc = rc < 0 ? -1 : 0;
	res->failing = res->detail ? 1 : 0;
out:
	free(newest);
	free(ref);
	free(age);
	return rc;
}

/* drift: the table's profile against the last one */
static int
run_drift(struct crun *k)
{
	const struct check_ctx *x = k->x;
	const struct check *c = k->c;
	struct check_result *res = k->res;
	struct profile local = { 0 };
	const struct profile *cur = x->cur;
	struct drift_opts o = { c->row_count_drop, c->null_increase, c->new_values };
	char **drifts = NULL;
	struct buf b;
	size_t n;

	if (!x->prev)
		return 0;
	if (!cur) {
		if (profile_table(x->d, x->table, &local) < 0) {
			profile_clear(&local);
			return cant_db(k, x->d);
		}
		cur = &local;
	}
	if (o.row_count_drop < 0 && o.null_increase < 0 && !o.new_values)
		o = drift_defaults;
	n = profile_drift(x->prev, cur, &o, &drifts);
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		buf_addf(&b, "%s%s", i ? "; " : "", drifts[i]);
		free(drifts[i]);
	}
	free(drifts);
	res->failing = (long long)n;
	res->detail = n ? buf_detach(&b) : NULL;
	buf_release(&b);
	if (cur == &local)
		profile_clear(&local);
	return 0;
}

/* run k's check: its failing rows, detail and samples in k->res; 0 or -1 */
static int
run_kind(struct crun *k)
{
	struct check_sql s;
	char *err = NULL;
	int rc;

	if (k->c->kind == CHECK_DRIFT)
		return run_drift(k);
	if (k->c->kind == CHECK_UNIQUE && (rc = unique_by_key(k)) != 0)
		return rc < 0 ? -1 : 0;
	if (check_sql_make(k->x, k->c, &s, &err) < 0)
		return cant(k, err);
	switch (k->c->kind) {
	case CHECK_ROW_COUNT:
		rc = run_row_count(k, &s);
		break;
	case CHECK_FRESHNESS:
		rc = run_freshness(k, &s);
		break;
	default:
		rc = run_rows(k, &s);
		break;
	}
	check_sql_release(&s);
	return rc;
}

void
check_run(const struct check_ctx *x, const struct check *c, struct check_result *out)
{
	struct crun k = { x, c, out, NULL };
	double started = mono_seconds();
	int rc;

	*out = (struct check_result){ 0 };
	out->name = xstrdup(c->name ? c->name : "check");
	out->kind = c->kind;
	out->severity = c->severity;
	if (x->in_transaction && db_exec(x->d, "SAVEPOINT " SAVEPOINT) < 0)
		rc = cant_db(&k, x->d);
	else {
		rc = run_kind(&k);
		/* a failed statement spoils the transaction on some engines: undo it */
		if (x->in_transaction)
			db_exec(x->d, rc < 0 ? "ROLLBACK TO SAVEPOINT " SAVEPOINT
			                     : "RELEASE SAVEPOINT " SAVEPOINT);
	}
	if (rc < 0) {
		free(out->detail);
		free(out->samples);
		out->samples = NULL;
		out->failing = -1;
		out->detail = xasprintf("could not run: %s", k.why ? k.why : "?");
		out->status = CHECK_ERROR;
	} else if (out->failing > 0)
		out->status = c->severity == SEVERITY_WARN ? CHECK_WARN : CHECK_FAIL;
	else
		out->status = CHECK_PASS;
	free(k.why);
	out->seconds = mono_seconds() - started;
}

size_t
checks_run(const struct check_ctx *x, struct check_result **out, size_t *n)
{
	const struct target *t = x->t;
	size_t blocking = 0;

	*out = t->nchecks ? xcalloc(t->nchecks, sizeof(**out)) : NULL;
	*n = t->nchecks;
	for (size_t i = 0; i < t->nchecks; i++) {
		check_run(x, &t->checks[i], &(*out)[i]);
		if (checks_blocking(&(*out)[i], 1))
			blocking++;
	}
	return blocking;
}

const struct check_result *
checks_blocking(const struct check_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (res[i].severity == SEVERITY_ERROR &&
		    (res[i].status == CHECK_FAIL || res[i].status == CHECK_ERROR))
			return &res[i];
	return NULL;
}

void
check_results_free(struct check_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(res[i].name);
		free(res[i].detail);
		free(res[i].samples);
	}
	free(res);
}

bool
checks_any_error(const struct target *t)
{
	for (size_t i = 0; i < t->nchecks; i++)
		if (t->checks[i].severity == SEVERITY_ERROR)
			return true;
	return false;
}

int
checks_record(struct store *st, long long run_id, const char *target,
              const struct check_result *res, size_t n)
{
	struct store_check *rows = xcalloc(n ? n : 1, sizeof(*rows));
	int rc;

	for (size_t i = 0; i < n; i++)
		rows[i] = (struct store_check){
			.target = target, .check = res[i].name,
			.severity = check_severity_name(res[i].severity),
			.status = check_status_name(res[i].status), .failing = res[i].failing,
			.samples = res[i].samples, .detail = res[i].detail, .seconds = res[i].seconds,
		};
	rc = store_checks_record(st, run_id, rows, n);
	free(rows);
	return rc;
}
