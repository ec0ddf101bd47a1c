/*
 * store_mariadb_live.c: following runs as they go (store_live_read), in one
 * query on etl_runs, etl_run_targets and etl_metadata (MariaDB/MySQL)
 */
#include "store_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "marker.h"
#include "util.h"

#define TS(col) "DATE_FORMAT(" col ", '%%Y-%%m-%%d %%H:%%i:%%s.%%f')"

/* the runs a read wants (after: see store.h), as a condition on r */
static char *
wanted(struct db *d, const struct store_live_query *q)
{
	struct buf b;

	buf_init(&b);
	if (q->after < 0) {
		buf_adds(&b, "r.result = 'running'");
		return buf_detach(&b);
	}
	buf_addf(&b, "(r.run_id > %lld OR r.result = 'running'", q->after);
	if (q->since && *q->since) {
		char *qs = db_quote(d, q->since);

		/* a run that ended as the previous read ran, committed after it */
		buf_addf(&b, " OR r.ended_at >= %s - INTERVAL 2 SECOND", qs);
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

static void
copy_ts(char *out, const char *s)
{
	snprintf(out, TS_LEN, "%s", s ? s : "");
}

int
store_mariadb_live_read(struct store *st, const struct store_live_query *q,
                        struct store_live *out)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *cond = wanted(d, q);
	struct dbres *res;

	/*
	 * one row even without runs (the clock, the newest id); a target's build
	 * changed its rows when its marker, still of this run, changed then
	 */
	res = db_queryf(d,
	        "SELECT n.now, n.top, r.run_id, r.result, r.mode, r.selection, r.started_by,"
	        " " TS("r.started_at") ", " TS("r.ended_at") ","
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, r.started_at, r.ended_at) / 1e6, 3),"
	        " t.target, t.outcome, t.reason, t.mode, " TS("t.started_at") ","
	        " " TS("t.ended_at") ", t.row_count, t.attempts, t.error_message,"
	        " ROUND(TIMESTAMPDIFF(MICROSECOND, t.started_at, t.ended_at) / 1e6, 3),"
	        " CASE WHEN m.target IS NULL THEN NULL WHEN m.changed_at >= m.built_at THEN 1"
	        " ELSE 0 END"
	        " FROM (SELECT " TS("NOW(6)") " AS now,"
	        " (SELECT MAX(run_id) FROM etl_runs WHERE recipe = %s) AS top) n"
	        " LEFT JOIN etl_runs r ON r.recipe = %s AND %s"
	        " LEFT JOIN etl_run_targets t ON t.run_id = r.run_id"
	        " LEFT JOIN etl_metadata m ON m.recipe = r.recipe AND m.target = t.target"
	        " AND m.last_run_id = t.run_id AND m.status = 'ok' AND t.outcome = 'built'"
	        " ORDER BY r.run_id, t.started_at IS NULL, t.started_at, t.target",
	        qr, qr, cond);
	free(qr);
	free(cond);
	if (!res)
		return store_mariadb_no_table(d) ? 0 : -1;
	while (dbres_next(res)) {
		if (!*out->now) {
			copy_ts(out->now, dbres_get(res, 0));
			out->top = dbres_get(res, 1) ? atoll(dbres_get(res, 1)) : 0;
		}
		if (dbres_get(res, 2))
			store_live_add_row(out, res);
	}
	dbres_free(res);
	return 0;
}
