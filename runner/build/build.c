/* build.c: building one target: ownership, the table's key, and the dispatch to its kind (DESIGN §5) */
#include "build_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

/*
 * a table chacc did not make (no marker of this recipe) is never replaced:
 * 0 when the target's table is absent or this recipe's, else -1 naming it
 */
static int
check_owned(struct build *b)
{
	const struct target *t = b->t;
	const char *recipe = b->req->recipe;
	char *who;
	int rc = 0;

	if (!db_table_exists(b->tgt, t->name))
		return 0;
	if (!(who = store_marker_owner(b->c->store, t->name)))
		return bops_fail(b, b->tgt, "target '%s': cannot read its marker", t->name);
	b->res->foreign = strcmp(who, recipe) != 0;
	if (b->res->foreign && *who)
		rc = bops_fail(b, NULL, "target '%s': table '%s' in database '%s' belongs to recipe"
		               " '%s', not '%s'; refusing to replace it (to take it over: chacc build"
		               " --adopt %s)", t->name, t->name, db_name(b->tgt), who, recipe,
		               t->name);
	else if (b->res->foreign)
		rc = bops_fail(b, NULL, "target '%s': table '%s' in database '%s' was not made by chacc"
		               " (it has no marker); refusing to replace it (to keep it as the"
		               " target's table until its first build: chacc build --adopt %s; or"
		               " drop it)",
		               t->name, t->name, db_name(b->tgt), t->name);
	free(who);
	return rc;
}

/*
 * an incremental build upserts by the primary key: when it is no longer the
 * target's key (dropped or changed by hand) the build goes full instead of
 * duplicating rows. -1 on a database error.
 */
static int
check_key(struct build *b)
{
	const struct target *t = b->t;
	char *have, *want;
	struct buf k;

	if (b->full || t->kind == KIND_SCRIPT || t->key.n == 0)
		return 0;
	if (!(have = db_primary_key(b->tgt, t->name)))
		return bops_fail(b, b->tgt, "target '%s': cannot read its primary key", t->name);
	buf_init(&k);
	for (size_t i = 0; i < t->key.n; i++)
		buf_addf(&k, "%s%s", i ? "," : "", t->key.v[i]);
	want = buf_detach(&k);
	if (strcasecmp(have, want) != 0) {
		log_event(LOG_WARN, "rebuild", t->name, b->req->run_id,
		          "target '%s': the primary key of its table is %s%s%s, not (%s): building"
		          " it in full", t->name, *have ? "(" : "", *have ? have : "missing",
		          *have ? ")" : "", want);
		b->full = true;
	}
	free(have);
	free(want);
	return 0;
}

int
build_run(struct conns *c, const struct build_req *req, struct build_res *res)
{
	struct build b = {
		.c = c, .tgt = c->tgt, .req = req, .t = req->t, .res = res, .full = req->full,
		.started = mono_seconds(), .known_rows = -1,
	};
	const char *name = req->t->name;
	int rc;

	free(res->error);
	res->error = NULL;
	res->rows = res->changed = res->inserted = res->deleted = 0;
	res->transient = res->killed = res->foreign = res->checks_failed = false;
	res->checks_warned = 0;
	res->live.moved = 0;
	bops_publish(&b, 0, c->tgt);
	bops_publish(&b, 1, NULL);
	if (check_owned(&b) < 0 || check_key(&b) < 0) {
		bops_publish(&b, 0, NULL);
		return -1;
	}
	/*
	 * a build that may leave the live table changed before its marker is
	 * written says so first, so that a crash makes the next run rebuild it;
	 * an incremental extract or table commits data and marker together
	 */
	if ((b.full || req->t->kind == KIND_SCRIPT) &&
	    store_marker_begin(c->store, name, req->run_id) < 0) {
		bops_publish(&b, 0, NULL);
		return bops_fail(&b, c->tgt, "target '%s': cannot record the build", name);
	}
	bops_fault_point("begin", name);
	switch (req->t->kind) {
	case KIND_EXTRACT:
		rc = build_extract(&b);
		break;
	case KIND_TABLE:
		rc = build_table(&b);
		break;
	case KIND_FILE:
		rc = build_file(&b);
		break;
	case KIND_PIVOT:
		rc = build_pivot(&b);
		break;
	case KIND_SCRIPT:
	default:
		rc = build_script(&b);
		break;
	}
	bops_publish(&b, 0, NULL);
	bops_publish(&b, 1, NULL);
	bops_checks_end(&b, rc == 0);
	if (rc < 0 && !res->error)
		res->error = xasprintf("target '%s': build failed", name);
	return rc;
}
