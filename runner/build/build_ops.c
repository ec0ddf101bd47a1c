/* build_ops.c: the table operations every kind of build shares: shadows, restat, swaps, upserts, markers */
#include "build_impl.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "db.h"
#include "marker.h"
#include "recipe.h"
#include "sqlsplit.h"
#include "store.h"
#include "util.h"

/* does the hook value "point[:target]" name this point of this target? */
static bool
hook_matches(const char *hook, const char *point, const char *target)
{
	size_t n = strlen(point);

	if (!hook || strncmp(hook, point, n) != 0)
		return false;
	if (hook[n] == '\0')
		return true;
	return hook[n] == ':' && strcmp(hook + n + 1, target) == 0;
}

void
bops_fault_point(const char *point, const char *target)
{
	static atomic_int paused; /* a process pauses once: retries go on */
	const char *pause = getenv("CHACC_PAUSE"), *file = getenv("CHACC_PAUSE_FILE");

	if (hook_matches(pause, point, target) && file && *file &&
	    atomic_exchange(&paused, 1) == 0) {
		/* tell the test where we are, and wait until it removes the file */
		FILE *f = fopen(file, "w");

		if (f) {
			fprintf(f, "%d %s %s\n", (int)getpid(), point, target);
			fclose(f);
			while (access(file, F_OK) == 0)
				usleep(20000);
		}
	}
	if (hook_matches(getenv("CHACC_FAULT"), point, target)) {
		fprintf(stderr, "chacc: fault injected at '%s' in target '%s'\n", point, target);
		kill(getpid(), SIGKILL);
	}
}

void
bops_publish(struct build *b, int slot, struct db *d)
{
	atomic_store(&b->res->live.query_id[slot], d ? db_thread_id(d) : 0);
}

/* a table name derived from table that fits MariaDB's 64 characters */
static char *
derived_name(const char *prefix, const char *table)
{
	char hex[65];

	if (strlen(prefix) + strlen(table) <= 64)
		return xasprintf("%s%s", prefix, table);
	sha256_hex(table, strlen(table), hex);
	return xasprintf("%s%.*s_%.16s", prefix, (int)(64 - strlen(prefix) - 17), table, hex);
}

char *
build_shadow_name(const char *table)
{
	return derived_name("_chacc_new_", table);
}

char *
build_old_name(const char *table)
{
	return derived_name("_chacc_old_", table);
}

char *
bops_subst(const struct recipe *r, const char *sql, const char *this, const char *since_lit,
           long long run_id)
{
	struct buf b;
	const char *p = sql;

	buf_init(&b);
	while (*p) {
		const char *end;

		if (p[0] != '$' || p[1] != '{' || !(end = strchr(p, '}'))) {
			buf_addc(&b, *p++);
			continue;
		}
		if (end - p == 6 && strncmp(p, "${this}", 7) == 0)
			buf_adds(&b, this);
		else if (end - p == 7 && strncmp(p, "${since}", 8) == 0)
			buf_adds(&b, since_lit);
		else if (end - p == 8 && strncmp(p, "${run_id}", 9) == 0)
			buf_addf(&b, "%lld", run_id);
		else if (strncmp(p, "${conn.", 7) == 0 && end - p > 16 &&
		         strncmp(end - 9, ".database", 9) == 0) {
			char *name = xstrndup(p + 7, (size_t)(end - 9 - (p + 7)));
			struct conn *c = recipe_conn(r, name);

			if (c && c->database)
				buf_adds(&b, c->database);
			else
				buf_add(&b, p, (size_t)(end - p + 1));
			free(name);
		} else
			buf_add(&b, p, (size_t)(end - p + 1));
		p = end + 1;
	}
	return buf_detach(&b);
}

/* the build failed: keep the first message, classified by the failing connection */
int
bops_fail(struct build *b, struct db *d, const char *fmt, ...)
{
	struct build_res *res = b->res;
	va_list ap;
	char *what;

	if (res->error)
		return -1;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	if (d) {
		enum db_err why = db_error_class(d);

		res->error = xasprintf("%s: %s", what, db_error(d));
		res->transient = why == DB_ERR_TRANSIENT;
		res->killed = why == DB_ERR_KILLED;
		res->conflict = res->transient && db_error_conflict(d);
		free(what);
	} else
		res->error = what;
	return -1;
}

/*
 * a query file's one statement, without comments around it or its
 * delimiter, ending in a newline so that a comment in it cannot swallow
 * what wraps it as a derived table
 */
char *
bops_query_body(const struct recipe *r, const struct target *t, const char *sql)
{
	struct sqlscript s = { 0 };
	char *err = NULL, *out;

	if (sqlsplit(sql, strlen(sql), target_query_dialect(r, t), &s, &err) == 0 && s.nstmts == 1)
		out = xasprintf("%s\n", s.stmts[0].sql);
	else
		out = xasprintf("%s\n", sql);
	free(err);
	sqlscript_release(&s);
	return out;
}

struct db_names
bops_names(const struct strlist *l)
{
	return (struct db_names){ l->v, l->n };
}

int
build_cleanup(struct db *tgt, const struct target *t)
{
	char *s = build_shadow_name(t->name), *o = build_old_name(t->name);
	int rc = 0;

	if (db_drop_table(tgt, s, false) < 0 || db_drop_table(tgt, o, false) < 0)
		rc = -1;
	free(s);
	free(o);
	return rc;
}

char *
bops_select_cols(struct db *d, const char *table, const struct db_names *cols)
{
	char *it = db_ident(d, table), *out;
	struct buf cl;

	buf_init(&cl);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = db_ident(d, cols->v[i]);

		buf_addf(&cl, "%s%s", i ? ", " : "", id);
		free(id);
	}
	out = xasprintf("SELECT %s FROM %s", cl.s ? cl.s : "", it);
	buf_release(&cl);
	free(it);
	return out;
}

int
bops_insert_rows(struct db *d, const char *table, const struct db_names *cols, const char *body,
                 long long *rows)
{
	char *it = db_ident(d, table);
	struct buf cl;
	int rc;

	buf_init(&cl);
	for (size_t i = 0; i < cols->n; i++) {
		char *id = db_ident(d, cols->v[i]);

		buf_addf(&cl, "%s%s", i ? ", " : "", id);
		free(id);
	}
	rc = db_execf(d, "INSERT INTO %s (%s) SELECT * FROM (%s) AS q", it, cl.s ? cl.s : "", body);
	*rows = rc < 0 ? 0 : db_affected(d);
	buf_release(&cl);
	free(it);
	return rc;
}

/*
 * a cluster replicates only tables with a primary key: give the shadow of a
 * target without key: one of its own, numbered by the server, unless the
 * shadow took one from its source
 */
static int
row_id(struct build *b, const char *shadow)
{
	char *pk;
	int rc = 0;

	if (!b->c->cluster)
		return 0;
	if (!(pk = db_primary_key(b->tgt, shadow)))
		return bops_fail(b, b->tgt, "target '%s'", b->t->name);
	if (!*pk && db_add_row_id(b->tgt, shadow) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot give its table a primary key",
		               b->t->name);
	free(pk);
	return rc;
}

int
bops_shape_shadow(struct build *b, const char *shadow)
{
	const struct target *t = b->t;
	struct db_names have = { 0 }, key = bops_names(&t->key);
	char *pk;
	int rc = 0;

	if (db_add_stamp(b->tgt, shadow) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot add the change stamp", t->name);
	if (t->key.n == 0)
		return row_id(b, shadow);
	if (!(pk = db_primary_key(b->tgt, shadow)))
		return bops_fail(b, b->tgt, "target '%s'", t->name);
	if (*pk) {
		free(pk);
		return 0;
	}
	free(pk);
	if (db_table_columns(b->tgt, shadow, &have) < 0)
		rc = bops_fail(b, b->tgt, "target '%s'", t->name);
	for (size_t i = 0; rc == 0 && i < t->key.n; i++)
		if (!db_names_has(&have, t->key.v[i]))
			rc = bops_fail(b, NULL, "target '%s': key column '%s' is not in the result",
			               t->name, t->key.v[i]);
	if (rc == 0 && db_add_primary_key(b->tgt, shadow, &key) < 0) {
		struct buf k;

		buf_init(&k);
		for (size_t i = 0; i < t->key.n; i++) {
			char *id = db_ident(b->tgt, t->key.v[i]);

			buf_addf(&k, "%s%s", i ? ", " : "", id);
			free(id);
		}
		rc = bops_fail(b, b->tgt, "target '%s': cannot make (%s) the primary key", t->name,
		               k.s);
		buf_release(&k);
	}
	db_names_release(&have);
	return rc;
}

int
bops_add_indexes(struct build *b, const char *table)
{
	const struct target *t = b->t;
	struct db_names *ix;
	int rc = 0;

	if (t->nindexes == 0)
		return 0;
	ix = xcalloc(t->nindexes, sizeof(*ix));
	for (size_t i = 0; i < t->nindexes; i++)
		ix[i] = bops_names(&t->indexes[i]);
	/* a table written in place may keep the indexes of its last build */
	if ((t->in_place ? db_add_missing_indexes : db_add_indexes)(b->tgt, table, ix,
	                                                            t->nindexes) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot add indexes", t->name);
	free(ix);
	return rc;
}

/* do two tables have the same data columns, by name and order? */
static bool
same_columns(const struct db_names *a, const struct db_names *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcasecmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

/*
 * whether table has the change stamp column: a table chacc did not make
 * (adopted from the Luigi pipeline, say) has none. -1 on error.
 */
static int
has_stamp(struct db *d, const char *table)
{
	char *id = db_ident(d, table), *q = xasprintf("SELECT * FROM %s", id);
	struct db_names all = { 0 };
	int rc = db_result_columns(d, q, &all);

	if (rc == 0)
		rc = db_names_has(&all, DB_STAMP);
	db_names_release(&all);
	free(q);
	free(id);
	return rc;
}

int
bops_restat(struct build *b, const char *shadow, long long newrows)
{
	const struct target *t = b->t;
	struct db *tgt = b->tgt;
	struct db_names oldc = { 0 }, newc = { 0 };
	long long oldrows, kept = 0;
	int rc = 0;

	b->res->changed = newrows > 0 ? newrows : 1;
	if (b->req->no_restat || !db_table_exists(tgt, t->name))
		return 0;
	if (db_table_columns(tgt, t->name, &oldc) < 0 || db_table_columns(tgt, shadow, &newc) < 0) {
		rc = bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (!same_columns(&oldc, &newc))
		goto out;
	if ((oldrows = db_count_rows(tgt, t->name)) < 0) {
		rc = bops_fail(b, tgt, "target '%s'", t->name);
		goto out;
	}
	if (t->key.n > 0) {
		struct db_names key = bops_names(&t->key);
		/* a table chacc did not make has no stamps to keep: every row is new */
		int stamped = has_stamp(tgt, t->name);

		if (stamped < 0)
			rc = bops_fail(b, tgt, "target '%s'", t->name);
		else if (stamped && db_keep_stamps(tgt, shadow, t->name, &key, &newc, &kept) < 0)
			rc = bops_fail(b, tgt, "target '%s': cannot compare with the live table", t->name);
		else if (stamped)
			b->res->changed = newrows + oldrows - 2 * kept;
	} else {
		char *sn = NULL, *so = NULL;

		if (db_digest(tgt, shadow, &newc, &sn) < 0 || db_digest(tgt, t->name, &newc, &so) < 0)
			rc = bops_fail(b, tgt, "target '%s': cannot checksum", t->name);
		else if (sn && so && strcmp(sn, so) == 0)
			b->res->changed = 0;
		free(sn);
		free(so);
	}
out:
	db_names_release(&oldc);
	db_names_release(&newc);
	return rc;
}

/*
 * this runner still holds the target's lock (on a cluster a lease, which a
 * runner paused or cut off too long loses to another): else publish nothing,
 * and try again, when the other runner's build may make this one needless
 */
static int
fence(struct build *b)
{
	char *err;

	if (store_fence_build(b->c->store, b->t->name, &err) == 0)
		return 0;
	bops_fail(b, NULL, "target '%s': %s", b->t->name, err);
	b->res->transient = true;
	free(err);
	return -1;
}

int
bops_cluster_keyed(struct build *b, const char *table)
{
	const struct target *t = b->t;
	char *pk;
	int rc = 0;

	if (!b->c->cluster)
		return 0;
	if (!(pk = db_primary_key(b->tgt, table)))
		return bops_fail(b, b->tgt, "target '%s'", t->name);
	if (!*pk)
		rc = bops_fail(b, NULL, "target '%s': its table has no primary key, and the target "
		               "database is a Galera cluster, which needs one on every table it "
		               "replicates: %s", t->name,
		               t->kind == KIND_SCRIPT ? "declare one in the CREATE TABLE of its "
		               "script" : "give the target a key:");
	free(pk);
	return rc;
}

int
bops_swap(struct build *b, const char *shadow)
{
	const struct target *t = b->t;
	char *old = build_old_name(t->name);
	int rc = 0;

	bops_fault_point("before-swap", t->name);
	if (fence(b) < 0 || bops_cluster_keyed(b, shadow) < 0)
		rc = -1;
	else if (db_swap(b->tgt, t->name, shadow, old) < 0)
		rc = bops_fail(b, b->tgt, "target '%s': cannot swap in the new table", t->name);
	bops_fault_point("after-swap", t->name);
	free(old);
	return rc;
}

int
bops_finish(struct build *b)
{
	const struct build_req *q = b->req;
	struct build_res *res = b->res;

	/*
	 * after an unfinished build the live table may hold rows that no
	 * consumer has seen yet: never prune them
	 */
	if (!q->prev_ok && res->changed == 0)
		res->changed = 1;
	if (fence(b) < 0)
		return -1;
	if (store_marker_finish(b->c->store, b->t->name, q->run_id, q->hash, q->inputs_at, b->full,
	                        res->changed, res->rows, mono_seconds() - b->started, q->rev,
	                        q->dirty) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot record the marker", b->t->name);
	return 0;
}

long long
bops_rows_after_upsert(struct build *b, const char *table)
{
	/* COUNT(*) of a large InnoDB table takes seconds: add up what changed */
	if (b->req->prev_rows >= 0 && b->res->inserted >= 0)
		b->known_rows = b->req->prev_rows + b->res->inserted - b->res->deleted;
	else
		b->known_rows = db_count_rows(b->tgt, table);
	return b->known_rows;
}

int
bops_upsert(struct build *b, const char *table, const struct db_names *cols,
            const char *select_sql)
{
	struct build_res *res = b->res;
	struct db_upsert u;

	if (db_upsert(b->tgt, table, cols, select_sql, &u) < 0)
		return bops_fail(b, b->tgt, "target '%s': cannot upsert into '%s'", b->t->name, table);
	res->changed += u.changed;
	res->inserted = u.inserted < 0 || res->inserted < 0 ? -1 : res->inserted + u.inserted;
	return 0;
}
