/*
 * sched_store.c: what the scheduler records and the target locks its
 * workers take, in the target database: the scheduler's side through the
 * run's own connection (the history, markers read again, queries killed),
 * a worker's through its own (the target's lock, its failure marker). The
 * one place the scheduler calls the store (store.h) and the engine (db.h).
 */
#include "sched_impl.h"

#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "db.h"
#include "graph.h"
#include "log.h"
#include "marker.h"
#include "plan.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

/* the scheduler's connection, reconnected (with the run's lock) if a server restart took it */
static struct db *
main_db(struct sched *s)
{
	if (db_exec(s->main, "SELECT 1") < 0 && db_error_transient(s->main)) {
		if (db_reconnect(s->main) < 0)
			log_event(LOG_WARN, "reconnect", NULL, s->run_id,
			          "cannot reconnect to the target database: %s", db_error(s->main));
		else if (s->run_lock)
			store_lock_run(s->store, s->run_id);
	}
	return s->main;
}

/* the scheduler's store, on main_db() */
static struct store *
main_store(struct sched *s)
{
	main_db(s);
	return s->store;
}

static const char *
mode_name(const struct sched_task *t)
{
	return t->it->full ? "full" : "incremental";
}

static void
store_record(void *ctx, const struct sched_task *t, const char *outcome, const char *error)
{
	struct sched *s = ctx;
	const struct plan_item *it = t->it;

	store_run_target_record(main_store(s), s->run_id, it->n->t->name, reason_name(it->reason),
	                        mode_name(t), t->started ? t->started : now_seconds(),
	                        t->ended ? t->ended : now_seconds(), t->out.rows, t->attempts,
	                        outcome, error);
}

static void
store_unstarted(void *ctx, const struct sched_task *t, const char *error)
{
	struct sched *s = ctx;

	store_run_target_unstarted(main_store(s), s->run_id, t->it->n->t->name,
	                           reason_name(t->it->reason), mode_name(t), "skipped", error);
}

static void
store_refresh(void *ctx, const struct sched_task *t)
{
	struct sched *s = ctx;
	struct node *nd = t->it->n;

	store_marker_load(main_store(s), nd->t->name, &s->ps->markers[nd->id]);
}

void
sched_store_init(struct sched_store *st, struct sched *s)
{
	*st = (struct sched_store){
		.ctx = s, .record = store_record, .unstarted = store_unstarted,
		.refresh = store_refresh,
	};
}

/*
 * KILL QUERY the statements a running build has on its servers: on the
 * target through the scheduler's own connection, on an extract's source
 * through a short connection of its own
 */
void
sched_kill_queries(struct sched *s, const struct target *t, unsigned long tgt_id,
                   unsigned long src_id)
{
	if (tgt_id)
		db_kill(main_db(s), tgt_id);
	if (src_id && t->from) {
		const struct conn *c = recipe_conn(s->r, t->from);

		if (c) {
			struct db_params dp = conns_params(c);

			db_kill_query(&dp, src_id);
		}
	}
}

static bool
stopped(const struct sched *s)
{
	return s->stop && atomic_load(s->stop);
}

/*
 * does another runner's build of t, finished since this run planned (m), do
 * for this run's? Always when t is only out of date. When t is forced (-B,
 * --full-refresh), only a build that began after this run was asked for,
 * and a full one for a full build: runners started together with -B build
 * each target once, and a -B given while a build runs still builds again.
 */
static bool
does_for(const struct sched *s, const struct sched_task *t, const struct marker *m)
{
	double built = ts_seconds(m->built_at);

	if (t->it->reason != REASON_FORCED)
		return true;
	if (t->it->full && strcmp(m->full_at, m->built_at) != 0)
		return false;
	return s->asked_at > 0 && built > 0 && built - m->duration >= s->asked_at;
}

int
sched_lock_target(struct conns *c, const struct sched *s, const struct sched_task *t,
                  const char *hash, const char *seen_built_at, const atomic_bool *timed_out,
                  char **lockname, bool *skip, char **error, bool *transient)
{
	const char *name = t->it->n->t->name;
	struct marker m = { 0 };
	bool said = false;

	*skip = false;
	*lockname = xstrdup(name);
	for (;;) {
		int rc = store_lock_build(c->store, name, 1);

		if (rc < 0) {
			*error = xasprintf("target '%s': cannot take its lock: %s", name, db_error(c->tgt));
			*transient = !stopped(s) && db_error_transient(c->tgt);
			return -1;
		}
		if (rc == 1)
			break;
		if (stopped(s) || atomic_load(timed_out)) {
			*error = xasprintf("target '%s': %s while another runner built it", name,
			                   stopped(s) ? "interrupted" : "timed out");
			*transient = false;
			return -1;
		}
		if (!said)
			log_event(LOG_INFO, "wait", name, s->run_id,
			          "waiting: another runner is building '%s'", name);
		said = true;
	}
	/* another runner may have built it since we planned */
	if (store_marker_load(c->store, name, &m) == 0 && m.present &&
	    strcmp(m.status, "ok") == 0 && strcmp(m.hash, hash) == 0 &&
	    strcmp(m.built_at, seen_built_at) > 0 && does_for(s, t, &m))
		*skip = true;
	marker_release(&m);
	return 0;
}

void
sched_unlock_target(struct conns *c, const char *lockname)
{
	if (lockname && c->tgt)
		store_unlock_build(c->store, lockname);
}

void
sched_note_building(struct conns *c, const struct sched *s, const struct sched_task *t)
{
	store_run_target_building(c->store, s->run_id, t->it->n->t->name,
	                          reason_name(t->it->reason), mode_name(t), t->started, t->attempts);
}

void
sched_note_failed(struct conns *c, const struct sched *s, const struct sched_task *t,
                  const char *status, const char *error, double seconds)
{
	store_marker_fail(c->store, t->it->n->t->name, s->run_id, status, error, seconds);
}

void
sched_rollback(struct db *tgt)
{
	db_rollback(tgt);
}
