/*
 * build_sites.c: an extract from a group of sites (DESIGN §10): every site's
 * rows in one table, led by the site's name and keyed by (site, key), with
 * a watermark per site in etl_sites. A site that cannot be read keeps the
 * rows it had and is read again next run; the others are published, and
 * the build succeeds saying which sites failed. A site new to the group is
 * read in full; the rows of a site gone from it are removed, and logged in
 * etl_deletes for the targets downstream.
 */
#include "sites_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "recipe.h"
#include "store.h"
#include "util.h"

/* the sites of the group, with what etl_sites had of them, then the sites gone from it */
static void
plan_reads(struct sites_build *sb, struct store_site *prev, long nprev)
{
	const struct site_group *g = sb->g;
	const struct build_req *q = sb->b->req;
	size_t n = 0;

	sb->reads = xcalloc(g->nsites + (size_t)nprev + 1, sizeof(*sb->reads));
	for (size_t i = 0; i < g->nsites; i++) {
		struct site_read *s = &sb->reads[n++];

		s->conn = &g->sites[i];
		for (long k = 0; k < nprev; k++)
			if (strcmp(prev[k].site, s->conn->name) == 0)
				s->prev = &prev[k];
		/* --since re-reads the sites it knows from that date */
		s->full = sb->full || !s->prev || (!s->prev->watermark && !q->since);
	}
	for (long k = 0; k < nprev; k++) {
		bool listed = false;

		for (size_t i = 0; i < g->nsites && !listed; i++)
			listed = strcmp(prev[k].site, g->sites[i].name) == 0;
		if (!listed) {
			struct site_read *s = &sb->reads[n++];

			s->conn = NULL;
			s->prev = &prev[k];
			s->removed = true;
		}
	}
	sb->nreads = n;
}

static const char *
site_name(const struct site_read *s)
{
	return s->conn ? s->conn->name : s->prev->site;
}

/* the table's key in its column order, as the delete log holds it; free key.v */
static struct db_names
log_key(const struct target *t, const struct db_names *tc)
{
	struct db_names key = { xcalloc(tc->n + 1, sizeof(char *)), 0 };
	struct db_names tkey = bops_names(&t->key);

	for (size_t i = 0; i < tc->n; i++)
		if (db_names_has(&tkey, tc->v[i]))
			key.v[key.n++] = tc->v[i];
	return key;
}

/*
 * remove from the live table the rows of a site gone from the group, and
 * those of a site read in full that its read did not bring (stage)
 */
static int
remove_absent(struct sites_build *sb, const char *stage, const struct db_names *tc)
{
	struct build *b = sb->b;
	struct db_names key = log_key(b->t, tc);
	struct db_delete del = {
		.log = DELETE_LOG, .table = b->t->name, .key = &key, .cols = tc,
		.run_id = b->req->run_id,
	};
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sb->nreads; i++) {
		struct site_read *s = &sb->reads[i];
		long long removed = 0;
		char *qs;

		if (!s->removed && (!s->full || s->error))
			continue;
		qs = db_quote(b->tgt, site_name(s));
		if (db_delete_absent(b->tgt, &del, SITE_COLUMN, qs, s->removed ? NULL : stage,
		                     &removed) < 0)
			rc = bops_fail(b, b->tgt, "target '%s': cannot remove the rows of site '%s'",
			               b->t->name, site_name(s));
		b->res->changed += removed;
		b->res->deleted += removed;
		free(qs);
	}
	free(key.v);
	return rc;
}

/* record every site's read, the group's watermark (the oldest site's) and the marker */
static int
record_sites(struct sites_build *sb)
{
	struct build *b = sb->b;
	const struct target *t = b->t;
	struct store *st = b->c->store;
	const char *oldest = NULL;
	bool open = false;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sb->nreads; i++) {
		struct site_read *s = &sb->reads[i];
		struct store_site rec = { .target = t->name, .site = (char *)site_name(s), .rows = -1 };

		if (s->removed) {
			rc = store_site_delete(st, t->name, s->prev->site);
			continue;
		}
		if (s->error) {
			snprintf(rec.status, sizeof(rec.status), "failed");
			rec.error = s->error;
			/* after a full build its rows may be another definition's: read it in full */
			if (!sb->full && s->prev) {
				rec.watermark = s->prev->watermark;
				rec.window_open = s->prev->window_open;
			}
		} else {
			snprintf(rec.status, sizeof(rec.status), "ok");
			rec.watermark = s->wm;
			rec.window_open = s->open;
			rec.rows = s->rows;
		}
		if (rec.watermark && (!oldest || strcmp(rec.watermark, oldest) < 0))
			oldest = rec.watermark;
		open = open || rec.window_open;
		rc = store_site_record(st, &rec);
	}
	if (rc < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot record its sites", t->name);
	if (t->incr.enabled &&
	    store_watermark_set(st, t->name, t->from, t->incr.column, oldest, open) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot record the watermark", t->name);
	return bops_finish(b);
}

/* the sites' records and the marker, in one transaction */
static int
record_sites_tx(struct sites_build *sb)
{
	struct db *tgt = sb->b->tgt;

	if (db_begin(tgt) < 0)
		return bops_fail(sb->b, tgt, "target '%s'", sb->b->t->name);
	if (record_sites(sb) < 0) {
		db_rollback(tgt);
		return -1;
	}
	if (db_commit(tgt) < 0)
		return bops_fail(sb->b, tgt, "target '%s': commit failed", sb->b->t->name);
	return 0;
}

/*
 * a full build's shadow: the recipe's DDL, or shaped like the rows of the
 * first site that answers (those that do not are failed reads)
 */
static int
create_shadow(struct sites_build *sb, const char *shadow)
{
	struct build *b = sb->b;
	const struct target *t = b->t;
	struct buf why;
	char *ddl = NULL;
	int rc;

	if (t->create_sql)
		ddl = bops_subst(b->c->r, t->create_sql, shadow, "NULL", b->req->run_id);
	buf_init(&why);
	for (size_t i = 0; !ddl && i < sb->nreads; i++) {
		struct site_read *s = &sb->reads[i];
		struct db_params p;
		struct extract x = { .b = b, .tgt = b->tgt };
		char *err = NULL, *select;

		if (s->removed)
			continue;
		p = conns_params(s->conn);
		x.site = s->conn->name;
		if (!(x.src = db_connect(&p, &err, NULL))) {
			s->error = xasprintf("cannot connect: %s", err);
			free(err);
		} else {
			select = extract_select(&x, "NULL", false);
			if (!(ddl = db_result_ddl(x.src, select, b->tgt, shadow)))
				s->error = xasprintf("query '%s' failed: %s", t->query, db_error(x.src));
			free(select);
			db_close(x.src);
		}
		if (s->error)
			buf_addf(&why, "%ssite '%s': %s", why.len ? "; " : "", s->conn->name, s->error);
	}
	if (!ddl) {
		rc = bops_fail(b, NULL, "target '%s': no site of group '%s' could be read: %s",
		               t->name, sb->g->name, why.s ? why.s : "it lists none");
		buf_release(&why);
		return rc;
	}
	buf_release(&why);
	if ((rc = db_exec(b->tgt, ddl)) < 0)
		bops_fail(b, b->tgt, "target '%s': %s failed", t->name,
		          t->create ? t->create : "creating the table");
	free(ddl);
	return rc;
}

/* into the shadow, the rows the live table has of the sites that could not be read */
static int
keep_failed(struct sites_build *sb, const char *shadow)
{
	struct build *b = sb->b;
	struct db *tgt = b->tgt;
	struct db_names live = { 0 };
	int rc = 0;

	if (!db_table_exists(tgt, b->t->name))
		return 0;
	if (db_table_columns(tgt, b->t->name, &live) < 0)
		return bops_fail(b, tgt, "target '%s'", b->t->name);
	for (size_t i = 0; i < sb->cols.n; i++)
		if (!db_names_has(&live, sb->cols.v[i]))
			goto out;  /* another shape: nothing to keep */
	for (size_t i = 0; rc == 0 && i < sb->nreads; i++) {
		struct site_read *s = &sb->reads[i];
		char *it, *is, *qs, *body;
		struct buf cl;
		long long kept = 0;

		if (!s->error)
			continue;
		buf_init(&cl);
		for (size_t k = 0; k < sb->cols.n; k++) {
			char *id = db_ident(tgt, sb->cols.v[k]);

			buf_addf(&cl, "%s%s", k ? ", " : "", id);
			free(id);
		}
		it = db_ident(tgt, b->t->name);
		is = db_ident(tgt, SITE_COLUMN);
		qs = db_quote(tgt, s->conn->name);
		body = xasprintf("SELECT %s FROM %s WHERE %s = %s", cl.s, it, is, qs);
		if (bops_insert_rows(tgt, shadow, &sb->cols, body, &kept) < 0)
			rc = bops_fail(b, tgt, "target '%s': cannot keep the rows of site '%s'",
			               b->t->name, s->conn->name);
		buf_release(&cl);
		free(it);
		free(is);
		free(qs);
		free(body);
	}
out:
	db_names_release(&live);
	return rc;
}

static int
sites_full(struct sites_build *sb)
{
	struct build *b = sb->b;
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *shadow = build_shadow_name(t->name);
	int rc = -1;

	sb->table = shadow;
	if (build_cleanup(tgt, t) < 0) {
		bops_fail(b, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (create_shadow(sb, shadow) < 0 || bops_shape_shadow(b, shadow) < 0)
		goto out;
	if (db_table_columns(tgt, shadow, &sb->cols) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (sites_read(sb) < 0 || keep_failed(sb, shadow) < 0)
		goto out;
	bops_fault_point("after-load", t->name);
	if ((b->res->rows = db_count_rows(tgt, shadow)) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (bops_restat(b, shadow, b->res->rows) < 0 || bops_add_indexes(b, shadow) < 0 ||
	    bops_checks(b, shadow, NULL, false) < 0 || bops_swap(b, shadow) < 0)
		goto out;
	rc = record_sites_tx(sb);
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(shadow);
	return rc;
}

/* move the stage's rows into the table with the sites' records, in one transaction */
static int
commit_stage(struct sites_build *sb, const char *stage, const struct db_names *tc)
{
	struct build *b = sb->b;
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	char *from_stage = bops_select_cols(tgt, stage, tc), *t0 = NULL;
	if (db_begin(tgt) < 0) {
		free(from_stage);
		return bops_fail(b, tgt, "target '%s'", t->name);
	}
	if (bops_audits(b) && !(t0 = bops_now_literal(b))) {
		bops_fail(b, tgt, "target '%s': cannot read the clock", t->name);
		goto rollback;
	}
	if (remove_absent(sb, stage, tc) < 0 ||
	    (t->incr.deleted && extract_remove_flagged(b, stage, tc) < 0) ||
	    bops_upsert(b, t->name, tc, from_stage) < 0)
		goto rollback;
	bops_fault_point("before-commit", t->name);
	if ((b->res->rows = bops_rows_after_upsert(b, t->name)) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (bops_checks(b, t->name, t0, true) < 0 || record_sites(sb) < 0)
		goto rollback;
	free(from_stage);
	free(t0);
	if (db_commit(tgt) < 0)
		return bops_fail(b, tgt, "target '%s': commit failed", t->name);
	return 0;
rollback:
	db_rollback(tgt);
	free(from_stage);
	free(t0);
	return -1;
}

static int
sites_incremental(struct sites_build *sb)
{
	struct build *b = sb->b;
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	/* a table, not a temporary one: every reader has its own connection */
	char *stage = xasprintf("_chacc_stage_%.40s", t->name);
	struct db_names tc = { 0 };
	int rc = -1;

	sb->table = stage;
	if (db_drop_table(tgt, stage, false) < 0 || db_create_like(tgt, stage, t->name, false) < 0) {
		bops_fail(b, tgt, "target '%s': cannot create a staging table", t->name);
		goto out;
	}
	if (db_table_columns(tgt, stage, &sb->cols) < 0 || db_table_columns(tgt, t->name, &tc) < 0) {
		bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (sites_read(sb) < 0)
		goto out;
	bops_fault_point("after-load", t->name);
	rc = commit_stage(sb, stage, &tc);
out:
	db_drop_table(tgt, stage, false);
	db_names_release(&tc);
	free(stage);
	return rc;
}

/* which sites failed, in words, into the result */
static void
say_failed(struct sites_build *sb)
{
	struct buf why;

	buf_init(&why);
	for (size_t i = 0; i < sb->nreads; i++)
		if (sb->reads[i].error) {
			buf_addf(&why, "%ssite '%s': %s", why.len ? "; " : "", site_name(&sb->reads[i]),
			         sb->reads[i].error);
			sb->b->res->sites_failed++;
		}
	if (sb->b->res->sites_failed)
		sb->b->res->sites_error = buf_detach(&why);
	else
		buf_release(&why);
}

int
build_sites(struct build *b)
{
	struct sites_build sb = { .b = b, .g = target_sites(b->c->r, b->t), .full = b->full };
	struct store_site *prev = NULL;
	long nprev;
	int rc;

	bops_publish(b, 1, NULL);
	if ((nprev = store_sites_load(b->c->store, b->t->name, &prev)) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot read its sites", b->t->name);
	plan_reads(&sb, prev, nprev);
	rc = sb.full ? sites_full(&sb) : sites_incremental(&sb);
	if (rc == 0)
		say_failed(&sb);
	for (size_t i = 0; i < sb.nreads; i++) {
		free(sb.reads[i].error);
		free(sb.reads[i].wm);
	}
	free(sb.reads);
	free(sb.fatal);
	db_names_release(&sb.cols);
	store_sites_free(prev, nprev);
	return rc;
}

/* add name to the list of words in b ("a, b") */
static void
note_add(struct buf *b, const char *name)
{
	buf_addf(b, "%s%s", b->len ? ", " : "", name);
}

/* whether site s (recorded as rec, read fine last time) has rows to read: 1, 0, or -1 */
static int
site_news(struct conns *c, const struct target *t, const struct conn *s,
          const struct store_site *rec)
{
	struct db_params p = conns_params(s);
	struct db *src;
	char *err = NULL;
	int rc;

	if (rec->window_open)
		return 1;
	if (!(src = db_connect(&p, &err, NULL))) {
		free(err);
		return -1;
	}
	rc = extract_probe(c->r, src, t, rec->watermark);
	db_close(src);
	return rc;
}

int
sites_probe(struct conns *c, const struct target *t, char **note, char **err)
{
	const struct site_group *g = target_sites(c->r, t);
	struct store_site *prev = NULL;
	struct buf added, failed, gone, down, all;
	long nprev = store_sites_load(c->store, t->name, &prev);
	int answer = 0;

	if (nprev < 0) {
		*err = xasprintf("target '%s': cannot read its sites: %s", t->name,
		                 store_error(c->store));
		return -1;
	}
	buf_init(&added);
	buf_init(&failed);
	buf_init(&gone);
	buf_init(&down);
	for (size_t i = 0; i < g->nsites; i++) {
		const struct store_site *rec = NULL;

		for (long k = 0; k < nprev && !rec; k++)
			if (strcmp(prev[k].site, g->sites[i].name) == 0)
				rec = &prev[k];
		if (!rec)
			note_add(&added, g->sites[i].name);
		else if (strcmp(rec->status, "ok") != 0)
			note_add(&failed, g->sites[i].name);
	}
	for (long k = 0; k < nprev; k++) {
		bool listed = false;

		for (size_t i = 0; i < g->nsites && !listed; i++)
			listed = strcmp(prev[k].site, g->sites[i].name) == 0;
		if (!listed)
			note_add(&gone, prev[k].site);
	}
	answer = added.len || failed.len || gone.len;
	/* the sites read fine last time: the first with news is enough */
	for (size_t i = 0; i < g->nsites && !answer && t->incr.enabled; i++)
		for (long k = 0; k < nprev; k++) {
			int rc;

			if (strcmp(prev[k].site, g->sites[i].name) != 0 || strcmp(prev[k].status, "ok"))
				continue;
			if ((rc = site_news(c, t, &g->sites[i], &prev[k])) < 0)
				note_add(&down, g->sites[i].name);
			else if (rc > 0)
				answer = 1;
		}
	answer = answer || down.len;
	buf_init(&all);
	if (added.len)
		buf_addf(&all, "sites added: %s", added.s);
	if (failed.len)
		buf_addf(&all, "%sfailed last time: %s", all.len ? "; " : "sites ", failed.s);
	if (gone.len)
		buf_addf(&all, "%sremoved: %s", all.len ? "; " : "sites ", gone.s);
	if (down.len)
		buf_addf(&all, "%scannot be reached: %s", all.len ? "; " : "sites ", down.s);
	*note = all.len ? buf_detach(&all) : NULL;
	if (!*note)
		buf_release(&all);
	buf_release(&added);
	buf_release(&failed);
	buf_release(&gone);
	buf_release(&down);
	store_sites_free(prev, nprev);
	return answer;
}
