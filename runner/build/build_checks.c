/*
 * build_checks.c: write, audit, publish: a build runs its target's checks on
 * the new rows before they are published, and profiles its table when asked
 */
#include "build_impl.h"

#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "db.h"
#include "log.h"
#include "profile.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

/* the table being checked stands for the target itself in a relationships check */
struct audit {
	struct build *b;
	const char *table;
};

static const char *
table_of(void *arg, const char *target)
{
	struct audit *a = arg;

	return strcmp(target, a->b->t->name) == 0 ? a->table : NULL;
}

static struct db *
other_conn(void *arg, const char *name, char **err)
{
	struct audit *a = arg;

	return conns_get(a->b->c, name, err, NULL);
}

static bool
has_drift(const struct target *t)
{
	for (size_t i = 0; i < t->nchecks; i++)
		if (t->checks[i].kind == CHECK_DRIFT)
			return true;
	return false;
}

bool
bops_audits(const struct build *b)
{
	return b->t->nchecks > 0 || b->t->profile;
}

char *
bops_now_literal(struct build *b)
{
	char *now = NULL, *lit;

	if (db_now(b->tgt, &now) < 0)
		return NULL;
	lit = db_ts_literal(b->tgt, now);
	free(now);
	return lit;
}

/* profile table into b->profile; the drift from the last one is logged as warnings */
static void
take_profile(struct build *b, const char *table, const struct profile *prev)
{
	char **drift = NULL;
	size_t n;

	b->profile = xcalloc(1, sizeof(*b->profile));
	if (profile_table(b->tgt, table, b->profile) < 0) {
		log_event(LOG_WARN, "profile", b->t->name, b->req->run_id,
		          "target '%s': cannot profile its table: %s", b->t->name, db_error(b->tgt));
		profile_clear(b->profile);
		free(b->profile);
		b->profile = NULL;
		return;
	}
	free(b->profile->table);
	b->profile->table = xstrdup(b->t->name);
	if (!prev || has_drift(b->t))
		return;  /* a drift check says it itself */
	n = profile_drift(prev, b->profile, &drift_defaults, &drift);
	for (size_t i = 0; i < n; i++) {
		log_event(LOG_WARN, "drift", b->t->name, b->req->run_id, "target '%s': drift: %s",
		          b->t->name, drift[i]);
		free(drift[i]);
	}
	free(drift);
}

/* say what the checks found: warnings, and errors that did not stop it */
static void
log_results(struct build *b)
{
	for (size_t i = 0; i < b->nchecks; i++) {
		const struct check_result *r = &b->checks[i];

		if (r->status == CHECK_WARN || (r->status == CHECK_ERROR &&
		                                r->severity == SEVERITY_WARN)) {
			b->res->checks_warned++;
			log_event(LOG_WARN, "check", b->t->name, b->req->run_id,
			          "target '%s': check %s %s: %s", b->t->name, r->name,
			          r->status == CHECK_WARN ? "warns" : "could not run",
			          r->detail ? r->detail : "");
		}
	}
}

int
bops_checks(struct build *b, const char *table, const char *changed_since, bool in_tx)
{
	const struct target *t = b->t;
	struct audit a = { .b = b, .table = table };
	struct profile last = { 0 }, *prev = NULL;
	const struct check_result *stop;
	const char *inputs_at = b->req->prev_inputs_at;
	int rc = 0;

	if (!bops_audits(b))
		return 0;
	bops_fault_point("before-checks", t->name);
	if (t->profile || has_drift(t)) {
		if (profile_stored(b->c->store, t->name, &last, NULL))
			prev = &last;
		take_profile(b, table, prev);
	}
	if (t->nchecks > 0) {
		/* the needs' deletes since they were last read, in an incremental build */
		char *deletes_since = changed_since && inputs_at && *inputs_at ?
		                      db_ts_literal(b->tgt, inputs_at) : NULL;
		struct check_ctx x = {
			.d = b->tgt, .r = b->c->r, .t = t, .table = table,
			.changed_since = changed_since, .table_of = table_of, .conn = other_conn,
			.arg = &a, .prev = prev, .cur = b->profile, .in_transaction = in_tx,
			.rows = b->known_rows >= 0 && strcmp(table, t->name) == 0 ? &b->known_rows : NULL,
			.delete_log = DELETE_LOG, .deletes_since = deletes_since,
		};

		check_results_free(b->checks, b->nchecks);
		b->checks = NULL;
		b->nchecks = 0;
		checks_run(&x, &b->checks, &b->nchecks);
		free(deletes_since);
		log_results(b);
		if ((stop = checks_blocking(b->checks, b->nchecks))) {
			b->res->checks_failed = !t->in_place;
			if (stop->status == CHECK_ERROR)
				rc = bops_fail(b, NULL, "target '%s': check %s could not run: %s", t->name,
				               stop->name, stop->detail ? stop->detail : "?");
			else
				rc = bops_fail(b, NULL, "target '%s': check %s failed: %s%s", t->name,
				               stop->name, stop->detail ? stop->detail : "",
				               t->in_place ? " (in_place: its script had written the table"
				               " already)" : "");
		}
	}
	profile_clear(&last);
	return rc;
}

void
bops_checks_end(struct build *b, bool published)
{
	if (b->nchecks > 0 &&
	    checks_record(b->c->store, b->req->run_id, b->t->name, b->checks, b->nchecks) < 0)
		log_event(LOG_WARN, "check", b->t->name, b->req->run_id,
		          "target '%s': cannot record its checks: %s", b->t->name,
		          store_error(b->c->store));
	if (b->profile && published) {
		char *json = profile_to_json(b->profile);

		if (store_profile_record(b->c->store, b->req->run_id, b->t->name, b->profile->rows,
		                         json) < 0)
			log_event(LOG_WARN, "profile", b->t->name, b->req->run_id,
			          "target '%s': cannot record its profile: %s", b->t->name,
			          store_error(b->c->store));
		free(json);
	}
	check_results_free(b->checks, b->nchecks);
	b->checks = NULL;
	b->nchecks = 0;
	if (b->profile) {
		profile_clear(b->profile);
		free(b->profile);
		b->profile = NULL;
	}
}
