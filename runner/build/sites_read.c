/*
 * sites_read.c: reading the sites of a group into one table, up to -j at a
 * time: each reader has its own connections to the site and to the target.
 * A site that cannot be read leaves no row behind and says why; the build
 * (build_sites.c) decides what the others' rows become.
 */
#include "sites_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "recipe.h"
#include "util.h"

/* one reader's progress: the rows of its current copy already counted */
struct reader {
	struct sites_build *sb;
	struct db *tgt;          /* the build's connection (the first reader) or its own */
	long long counted;
};

static int
reader_progress(void *arg, long long rows)
{
	struct reader *rd = arg;
	struct build *b = rd->sb->b;

	atomic_fetch_add(&b->res->live.moved, rows - rd->counted);
	rd->counted = rows;
	return b->req->stop && atomic_load(b->req->stop);
}

static void __attribute__((format(printf, 2, 3)))
site_fail(struct site_read *s, const char *fmt, ...)
{
	va_list ap;

	if (s->error)
		return;
	va_start(ap, fmt);
	s->error = xvasprintf(fmt, ap);
	va_end(ap);
}

/* the site's rows have the table's columns, no more, no fewer */
static int
same_shape(struct sites_build *sb, struct site_read *s, struct extract *x, const char *select)
{
	struct db_names got = { 0 };
	int rc = 0;

	if (db_result_columns(x->src, select, &got) < 0) {
		site_fail(s, "query '%s' failed: %s", sb->b->t->query, db_error(x->src));
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < sb->cols.n; i++)
		if (!db_names_has(&got, sb->cols.v[i])) {
			site_fail(s, "its rows have no column '%s', which the table has", sb->cols.v[i]);
			rc = -1;
		}
	for (size_t i = 0; rc == 0 && i < got.n; i++)
		if (!db_names_has(&sb->cols, got.v[i])) {
			site_fail(s, "its rows have a column '%s', which the table does not have",
			          got.v[i]);
			rc = -1;
		}
	db_names_release(&got);
	return rc;
}

/* the newest watermark of the site's rows in table, and whether its window is open */
static int
site_watermark(struct sites_build *sb, struct site_read *s, struct db *tgt, const char *read_at)
{
	const struct target *t = sb->b->t;
	char *it = db_ident(tgt, sb->table), *ic = db_ident(tgt, t->incr.column);
	char *is = db_ident(tgt, SITE_COLUMN), *qs = db_quote(tgt, s->conn->name), *wm = NULL;
	int rc;

	rc = db_value(tgt, &wm, "SELECT MAX(%s) FROM %s WHERE %s = %s", ic, it, is, qs);
	free(it);
	free(ic);
	free(is);
	free(qs);
	if (rc < 0) {
		site_fail(s, "cannot read its watermark: %s", db_error(tgt));
		return -1;
	}
	if (!wm && !s->full && s->prev && s->prev->watermark)
		wm = xstrdup(s->prev->watermark);  /* nothing new: it stays */
	s->wm = wm;
	s->open = wm && db_ts_after(tgt, wm, read_at, t->incr.lookback) > 0;
	return 0;
}

/* read site s into the build's table through tgt */
static void
read_site(struct reader *rd, struct site_read *s)
{
	struct sites_build *sb = rd->sb;
	struct build *b = sb->b;
	struct db_params p = conns_params(s->conn);
	struct extract x = { .b = b, .tgt = rd->tgt, .site = s->conn->name };
	char *err = NULL, *since = NULL, *select = NULL, *read_at = NULL;
	enum copy_fail why;

	bops_fault_point("site-read", s->conn->name);
	if (!(x.src = db_connect(&p, &err, NULL))) {
		site_fail(s, "cannot connect: %s", err);
		free(err);
		return;
	}
	x.same = db_same_server(x.src, rd->tgt);
	since = s->full ? xstrdup("NULL") : extract_since(&x, s->prev->watermark);
	select = extract_select(&x, since, !sb->full);
	if (sb->full && b->t->incr.deleted)
		select = extract_not_deleted(&x, select);
	if (db_now(x.src, &read_at) < 0)
		site_fail(s, "cannot read its clock: %s", db_error(x.src));
	else if (same_shape(sb, s, &x, select) == 0) {
		bops_fault_point("site-connected", s->conn->name);
		rd->counted = 0;
		if (extract_copy(&x, select, sb->table, &s->rows, reader_progress, rd, &why) < 0)
			site_fail(s, "%s: %s",
			          why == COPY_READ ? "reading its rows failed" :
			          why == COPY_QUERY ? "its query failed" : "loading its rows failed",
			          db_error(why == COPY_READ ? x.src : rd->tgt));
		else {
			atomic_fetch_add(&b->res->live.moved, s->rows - rd->counted);
			if (b->t->incr.enabled)
				site_watermark(sb, s, rd->tgt, read_at);
		}
	}
	db_close(x.src);
	free(since);
	free(select);
	free(read_at);
}

/* remove the rows a failed read of s left in the table: -1 when even that fails */
static int
site_clear(struct sites_build *sb, struct site_read *s, struct db *tgt)
{
	char *it = db_ident(tgt, sb->table), *is = db_ident(tgt, SITE_COLUMN);
	char *qs = db_quote(tgt, s->conn->name);
	int rc = db_execf(tgt, "DELETE FROM %s WHERE %s = %s", it, is, qs);

	free(it);
	free(is);
	free(qs);
	return rc;
}

/* take the next site to read, or NULL */
static struct site_read *
next_site(struct sites_build *sb)
{
	struct site_read *s = NULL;

	pthread_mutex_lock(&sb->mu);
	if (!sb->fatal && sb->next < sb->nreads &&
	    !(sb->b->req->stop && atomic_load(sb->b->req->stop)))
		s = &sb->reads[sb->next++];
	pthread_mutex_unlock(&sb->mu);
	return s;
}

static void
read_sites(struct reader *rd)
{
	struct sites_build *sb = rd->sb;
	struct site_read *s;

	while ((s = next_site(sb))) {
		if (s->removed || s->error)
			continue;  /* gone from the group, or failed already (the shadow's shape) */
		read_site(rd, s);
		if (s->error && site_clear(sb, s, rd->tgt) < 0) {
			pthread_mutex_lock(&sb->mu);
			if (!sb->fatal)
				sb->fatal = xasprintf("cannot remove the rows of site '%s' whose read failed:"
				                      " %s", s->conn->name, db_error(rd->tgt));
			pthread_mutex_unlock(&sb->mu);
		}
		if (s->error)
			log_event(LOG_WARN, "site", sb->b->t->name, sb->b->req->run_id,
			          "target '%s': site '%s': %s", sb->b->t->name, s->conn->name, s->error);
	}
}

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	struct sites_build *sb = rd->sb;
	struct db_params p = conns_params(recipe_conn(sb->b->c->r, sb->b->c->r->target_conn));
	char *err = NULL;

	if (!(rd->tgt = db_connect(&p, &err, NULL))) {
		/* the others read on: this reader is one fewer */
		log_event(LOG_WARN, "site", sb->b->t->name, sb->b->req->run_id,
		          "target '%s': a reader cannot connect to the target: %s", sb->b->t->name, err);
		free(err);
		return NULL;
	}
	read_sites(rd);
	db_close(rd->tgt);
	return NULL;
}

int
sites_read(struct sites_build *sb)
{
	int jobs = sb->b->req->jobs > 0 ? sb->b->req->jobs : 1;
	size_t n = (size_t)jobs < sb->nreads ? (size_t)jobs : sb->nreads;
	struct reader *rds = xcalloc(n ? n : 1, sizeof(*rds));
	pthread_t *th = xcalloc(n ? n : 1, sizeof(*th));
	bool *started = xcalloc(n ? n : 1, sizeof(*started));

	pthread_mutex_init(&sb->mu, NULL);
	sb->next = 0;
	for (size_t i = 1; i < n; i++) {
		rds[i].sb = sb;
		started[i] = pthread_create(&th[i], NULL, reader_main, &rds[i]) == 0;
	}
	/* the build's own connection is the first reader */
	rds[0].sb = sb;
	rds[0].tgt = sb->b->tgt;
	read_sites(&rds[0]);
	for (size_t i = 1; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	pthread_mutex_destroy(&sb->mu);
	free(rds);
	free(th);
	free(started);
	if (sb->fatal)
		return bops_fail(sb->b, NULL, "target '%s': %s", sb->b->t->name, sb->fatal);
	if (sb->b->req->stop && atomic_load(sb->b->req->stop))
		return bops_fail(sb->b, NULL, "target '%s': interrupted", sb->b->t->name);
	return 0;
}
