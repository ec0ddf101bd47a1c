/*
 * store_sql_sites.c: the sites of the extracts that read a group of sites
 * (etl_sites), in the engine's SQL. The table came with version 4: on older
 * tables, a load answers no sites and a delete forgets nothing.
 */
#include "store_sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

static char *
quote_or_null(struct db *d, const char *s)
{
	return s ? db_quote(d, s) : xstrdup("NULL");
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* one row of site_select into s */
static void
site_row(struct store_site *s, struct dbres *res)
{
	const char *v;

	s->target = xstrdup(dbres_get(res, 0) ? dbres_get(res, 0) : "");
	s->site = xstrdup(dbres_get(res, 1) ? dbres_get(res, 1) : "");
	snprintf(s->status, sizeof(s->status), "%s", dbres_get(res, 2) ? dbres_get(res, 2) : "");
	s->error = dup_or_null(dbres_get(res, 3));
	s->watermark = dup_or_null(dbres_get(res, 4));
	s->window_open = dbres_get(res, 5) && atoi(dbres_get(res, 5));
	snprintf(s->last_attempt, TS_LEN, "%s", dbres_get(res, 6) ? dbres_get(res, 6) : "");
	snprintf(s->last_success, TS_LEN, "%s", dbres_get(res, 7) ? dbres_get(res, 7) : "");
	s->rows = (v = dbres_get(res, 8)) ? atoll(v) : -1;
	s->lag = (v = dbres_get(res, 9)) ? atof(v) : -1;
	/* a success a moment ahead of the clock (a statement's own time) is no lag: -1 is never */
	if (v && s->lag < 0)
		s->lag = 0;
}

long
store_sql_sites_load(struct store *st, const char *target, struct store_site **out)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = target ? db_quote(d, target) : NULL;
	char *rest = xasprintf("WHERE recipe = %s%s%s ORDER BY target, site", qr,
	                       qt ? " AND target = " : "", qt ? qt : "");
	struct dbres *res = db_queryf(d, store_sql_of(st)->site_select, rest);
	size_t n = 0, cap = 0;

	free(qr);
	free(qt);
	free(rest);
	*out = NULL;
	if (!res)
		return store_sql_no_table(d) ? 0 : -1;
	while (dbres_next(res)) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		memset(&(*out)[n], 0, sizeof(**out));
		site_row(&(*out)[n++], res);
	}
	dbres_free(res);
	return (long)n;
}

int
store_sql_site_record(struct store *st, const struct store_site *s)
{
	const struct store_sql *q = store_sql_of(st);
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, s->target);
	char *qs = db_quote(d, s->site), *qw = quote_or_null(d, s->watermark);
	int rc;

	if (strcmp(s->status, "ok") == 0) {
		char *rows = s->rows >= 0 ? xasprintf("%lld", s->rows) : xstrdup("NULL");

		rc = db_execf(d, q->site_ok, qr, qt, qs, qw, s->window_open ? 1 : 0, rows);
		free(rows);
	} else {
		char *qst = db_quote(d, s->status), *qe = quote_or_null(d, s->error);

		rc = db_execf(d, q->site_failed, qr, qt, qs, qst, qe, qw, s->window_open ? 1 : 0);
		free(qst);
		free(qe);
	}
	free(qr);
	free(qt);
	free(qs);
	free(qw);
	return rc;
}

int
store_sql_site_delete(struct store *st, const char *target, const char *site)
{
	struct db *d = st->d;
	char *qr = db_quote(d, st->recipe), *qt = db_quote(d, target);
	char *qs = site ? db_quote(d, site) : NULL;
	int rc = db_execf(d, "DELETE FROM etl_sites WHERE recipe = %s AND target = %s%s%s", qr,
	                  qt, qs ? " AND site = " : "", qs ? qs : "");

	free(qr);
	free(qt);
	free(qs);
	/* no etl_sites (tables older than version 4): no site to forget */
	return rc < 0 && store_sql_no_table(d) ? 0 : rc;
}
