/*
 * store_sql_live.c: following runs as they go (store_live_read), in one
 * query on etl_runs, etl_run_targets and etl_metadata, in the engine's SQL
 */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "util.h"

/* the runs a read wants (after: see store.h), as a condition on r */
static char *
wanted(struct store *st, const struct store_live_query *q)
{
	struct buf b;

	buf_init(&b);
	if (q->after < 0) {
		buf_adds(&b, "r.result = 'running'");
		return buf_detach(&b);
	}
	buf_addf(&b, "(r.run_id > %lld OR r.result = 'running'", q->after);
	if (q->since && *q->since) {
		char *qs = db_quote(st->d, q->since);

		/* a run that ended as the previous read ran, committed after it */
		buf_adds(&b, " OR r.ended_at >= ");
		buf_addf(&b, store_sql_of(st)->live_since, qs);
		free(qs);
	}
	if (q->nids > 0) {
		buf_adds(&b, " OR r.run_id IN (");
		for (size_t i = 0; i < q->nids; i++)
			buf_addf(&b, "%s%lld", i ? ", " : "", q->ids[i]);
		buf_adds(&b, ")");
	}
	buf_adds(&b, ")");
	return buf_detach(&b);
}

int
store_sql_live_read(struct store *st, const struct store_live_query *q, struct store_live *out)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *cond = wanted(st, q);
	struct dbres *res;

	/*
	 * one row even without runs (the clock, the newest id); a target's build
	 * changed its rows when its marker, still of this run, changed then
	 */
	res = db_queryf(d, store_sql_of(st)->live, qr, qr, cond);
	free(qr);
	free(cond);
	if (!res)
		return store_sql_no_table(d) ? 0 : -1;
	while (dbres_next(res)) {
		if (!*out->now) {
			snprintf(out->now, TS_LEN, "%s", dbres_get(res, 0) ? dbres_get(res, 0) : "");
			out->top = dbres_get(res, 1) ? atoll(dbres_get(res, 1)) : 0;
		}
		if (dbres_get(res, 2))
			store_live_add_row(out, res);
	}
	dbres_free(res);
	return 0;
}
