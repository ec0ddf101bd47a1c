/* build.c: building one target into its table (DESIGN §5) */
#include "build.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "marker.h"
#include "recipe.h"
#include "sqlsplit.h"
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
fault_point(const char *point, const char *target)
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

int
conns_open(struct conns *c, const struct recipe *r, char **err)
{
	c->r = r;
	c->src = xcalloc(r->nconns, sizeof(*c->src));
	c->tgt = db_connect(recipe_conn(r, r->target_conn), err);
	if (!c->tgt)
		return -1;
	/*
	 * builds read their inputs with INSERT ... SELECT: under REPEATABLE READ
	 * that locks what it reads, and two targets following the deletes of
	 * etl_deletes at once would deadlock
	 */
	if (db_exec(c->tgt, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") < 0) {
		*err = xasprintf("connection '%s': %s", r->target_conn, db_error(c->tgt));
		db_close(c->tgt);
		c->tgt = NULL;
		return -1;
	}
	return 0;
}

struct db *
conns_get(struct conns *c, const char *name, char **err)
{
	size_t i;

	if (strcmp(name, c->r->target_conn) == 0)
		return c->tgt;
	for (i = 0; i < c->r->nconns; i++) {
		if (strcmp(c->r->conns[i].name, name) != 0)
			continue;
		if (!c->src[i])
			c->src[i] = db_connect(&c->r->conns[i], err);
		return c->src[i];
	}
	*err = xasprintf("unknown connection '%s'", name);
	return NULL;
}

void
conns_close(struct conns *c)
{
	size_t i;

	if (c->src)
		for (i = 0; i < c->r->nconns; i++)
			db_close(c->src[i]);
	free(c->src);
	c->src = NULL;
	db_close(c->tgt);
	c->tgt = NULL;
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
shadow_name(const char *table)
{
	return derived_name("_chacc_new_", table);
}

char *
old_name(const char *table)
{
	return derived_name("_chacc_old_", table);
}

char *
build_lock_name(const char *database, const char *target)
{
	char *s = xasprintf("%s.%s", database, target);
	char hex[65];

	sha256_hex(s, strlen(s), hex);
	free(s);
	return xasprintf("chacc/%.40s", hex);
}

char *
sql_subst(const struct recipe *r, const char *sql, const char *this, const char *since_lit,
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

/* the job failed: keep the first message, classified by the failing connection */
int
fail(struct build_job *job, struct db *d, const char *fmt, ...)
{
	va_list ap;
	char *what;

	if (job->error)
		return -1;
	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	if (d) {
		job->error = xasprintf("%s: %s", what, db_error(d));
		job->transient = db_error_transient(d);
		job->killed = db_error_killed(d);
		free(what);
	} else
		job->error = what;
	return -1;
}

/*
 * a query file's one statement, without comments around it or its
 * delimiter, ending in a newline so that a comment in it cannot swallow
 * what wraps it as a derived table
 */
char *
query_body(const char *sql)
{
	struct sqlscript s = { 0 };
	char *err = NULL, *out;

	if (sqlsplit(sql, strlen(sql), &s, &err) == 0 && s.nstmts == 1)
		out = xasprintf("%s\n", s.stmts[0].sql);
	else
		out = xasprintf("%s\n", sql);
	free(err);
	sqlscript_release(&s);
	return out;
}

void
cols_release(struct cols *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

bool
cols_has(const struct cols *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->v[i], name) == 0)
			return true;
	return false;
}

/* the data columns of a table (all but the change stamp), in order; -1 on error */
int
table_cols(struct db *d, const char *table, struct cols *out)
{
	struct dbres *res;
	char *q = db_quote(d, table);

	res = db_queryf(d, "SELECT column_name FROM information_schema.columns"
	                " WHERE table_schema = DATABASE() AND table_name = %s"
	                " ORDER BY ordinal_position", q);
	free(q);
	if (!res)
		return -1;
	out->v = NULL;
	out->n = 0;
	while (dbres_next(res)) {
		if (strcmp(dbres_get(res, 0), STAMP) == 0)
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(dbres_get(res, 0));
	}
	dbres_free(res);
	return 0;
}

/* the column names a query returns; -1 on error */
int
query_cols(struct db *d, const char *body, struct cols *out)
{
	struct dbres *res = db_queryf(d, "SELECT * FROM (%s) AS q LIMIT 0", body);
	size_t i;

	if (!res)
		return -1;
	out->n = dbres_ncols(res);
	out->v = xcalloc(out->n, sizeof(*out->v));
	for (i = 0; i < out->n; i++)
		out->v[i] = xstrdup(dbres_colname(res, i));
	dbres_free(res);
	return 0;
}

/* `a`, `b`, `c` with an optional prefix before each name */
char *
col_list(const struct cols *c, const char *prefix)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, "%s%s%s", i ? ", " : "", prefix, id);
		free(id);
	}
	return buf_detach(&b);
}

char *
strlist_cols(const struct strlist *l)
{
	struct cols c = { l->v, l->n };

	return col_list(&c, "");
}

char *
match_expr(const struct cols *c, const char *a, const char *b)
{
	struct buf bb;
	size_t i;

	buf_init(&bb);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&bb, "%s%s.%s <=> %s.%s", i ? " AND " : "", a, id, b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, "1");
	return buf_detach(&bb);
}

char *
same_values_expr(const struct cols *c, const char *a, const char *b)
{
	struct buf bb;
	size_t i;

	buf_init(&bb);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&bb, "%sCAST(%s.%s AS BINARY) <=> CAST(%s.%s AS BINARY)", i ? " AND " : "",
		         a, id, b, id);
		free(id);
	}
	if (c->n == 0)
		buf_adds(&bb, "1");
	return buf_detach(&bb);
}

long long
count_rows(struct db *d, const char *table)
{
	char *v = NULL, *id = db_ident(table);
	long long n = -1;

	if (db_value(d, &v, "SELECT COUNT(*) FROM %s", id) > 0 && v)
		n = atoll(v);
	free(v);
	free(id);
	return n;
}

bool
table_exists(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT 1 FROM information_schema.tables"
	                  " WHERE table_schema = DATABASE() AND table_name = %s", q);

	free(q);
	free(v);
	return rc > 0;
}

static bool
has_primary_key(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT 1 FROM information_schema.table_constraints"
	                  " WHERE table_schema = DATABASE() AND table_name = %s"
	                  " AND constraint_type = 'PRIMARY KEY'", q);

	free(q);
	free(v);
	return rc > 0;
}

int
build_cleanup(struct db *tgt, const struct target *t)
{
	char *s = shadow_name(t->name), *o = old_name(t->name);
	char *is = db_ident(s), *io = db_ident(o);
	int rc;

	rc = db_execf(tgt, "DROP TABLE IF EXISTS %s, %s", is, io);
	free(s);
	free(o);
	free(is);
	free(io);
	return rc;
}

/*
 * give the shadow its change stamp and primary key, after the DDL or the
 * result shape created it
 */
int
shape_shadow(struct db *tgt, struct build_job *job, const char *shadow)
{
	const struct target *t = job->t;
	struct cols have = { 0 };
	char *id = db_ident(shadow);
	int rc = 0;

	if (db_execf(tgt, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS " STAMP_DDL, id) < 0)
		rc = fail(job, tgt, "target '%s': cannot add the change stamp", t->name);
	if (rc == 0 && t->key.n > 0 && !has_primary_key(tgt, shadow)) {
		char *k = strlist_cols(&t->key);

		if (table_cols(tgt, shadow, &have) < 0)
			rc = fail(job, tgt, "target '%s'", t->name);
		for (size_t i = 0; rc == 0 && i < t->key.n; i++)
			if (!cols_has(&have, t->key.v[i]))
				rc = fail(job, NULL, "target '%s': key column '%s' is not in the result",
				          t->name, t->key.v[i]);
		if (rc == 0 && db_execf(tgt, "ALTER TABLE %s ADD PRIMARY KEY (%s)", id, k) < 0)
			rc = fail(job, tgt, "target '%s': cannot make (%s) the primary key",
			          t->name, k);
		free(k);
		cols_release(&have);
	}
	free(id);
	return rc;
}

int
add_indexes(struct db *tgt, struct build_job *job, const char *table)
{
	const struct target *t = job->t;
	struct buf b;
	char *id;
	size_t i;
	int rc = 0;

	if (t->nindexes == 0)
		return 0;
	id = db_ident(table);
	buf_init(&b);
	buf_addf(&b, "ALTER TABLE %s", id);
	for (i = 0; i < t->nindexes; i++) {
		char *c = strlist_cols(&t->indexes[i]);

		buf_addf(&b, "%s ADD INDEX (%s)", i ? "," : "", c);
		free(c);
	}
	if (db_exec(tgt, b.s) < 0)
		rc = fail(job, tgt, "target '%s': cannot add indexes", t->name);
	buf_release(&b);
	free(id);
	return rc;
}

/*
 * compare the new shadow with the live table: keep the change stamp of rows
 * whose values did not change, and count the rows that did (restat)
 */
int
restat(struct db *tgt, struct build_job *job, const char *shadow, long long newrows)
{
	const struct target *t = job->t;
	struct cols oldc = { 0 }, newc = { 0 };
	long long oldrows;
	int rc = 0;

	job->changed = newrows > 0 ? newrows : 1;
	if (job->no_restat || !table_exists(tgt, t->name))
		return 0;
	if (table_cols(tgt, t->name, &oldc) < 0 || table_cols(tgt, shadow, &newc) < 0) {
		rc = fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (oldc.n != newc.n)
		goto out;
	for (size_t i = 0; i < newc.n; i++)
		if (strcasecmp(oldc.v[i], newc.v[i]) != 0)
			goto out;
	oldrows = count_rows(tgt, t->name);
	if (oldrows < 0) {
		rc = fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (t->key.n > 0) {
		struct cols key = { t->key.v, t->key.n };
		char *on = match_expr(&key, "s", "o"), *same = same_values_expr(&newc, "s", "o");
		char *is = db_ident(shadow), *io = db_ident(t->name);
		long long kept;

		rc = db_execf(tgt, "UPDATE %s s JOIN %s o ON %s SET s.`" STAMP "` = o.`" STAMP "`"
		              " WHERE %s", is, io, on, same);
		kept = db_affected(tgt);
		if (rc < 0)
			fail(job, tgt, "target '%s': cannot compare with the live table", t->name);
		else
			job->changed = newrows + oldrows - 2 * kept;
		free(on);
		free(same);
		free(is);
		free(io);
	} else {
		char *sn = NULL, *so = NULL;
		char *cl = col_list(&newc, "");
		struct buf expr;

		buf_init(&expr);
		buf_adds(&expr, "CONCAT(COUNT(*), '/', SUM(CAST(CONV(LEFT(MD5(CONCAT_WS(','");
		for (size_t i = 0; i < newc.n; i++) {
			char *id = db_ident(newc.v[i]);

			buf_addf(&expr, ", QUOTE(%s)", id);
			free(id);
		}
		buf_adds(&expr, ")), 15), 16, 10) AS DECIMAL(65,0))))");
		if (db_value(tgt, &sn, "SELECT %s FROM `%s`", expr.s, shadow) < 0 ||
		    db_value(tgt, &so, "SELECT %s FROM `%s`", expr.s, t->name) < 0)
			rc = fail(job, tgt, "target '%s': cannot checksum", t->name);
		else if (sn && so && strcmp(sn, so) == 0)
			job->changed = 0;
		free(sn);
		free(so);
		free(cl);
		buf_release(&expr);
	}
out:
	cols_release(&oldc);
	cols_release(&newc);
	return rc;
}

/* swap the shadow in with one atomic RENAME TABLE */
int
swap(struct db *tgt, struct build_job *job, const char *shadow)
{
	const struct target *t = job->t;
	char *old = old_name(t->name);
	char *is = db_ident(shadow), *io = db_ident(old), *it = db_ident(t->name);
	int rc = 0;

	fault_point("before-swap", t->name);
	if (table_exists(tgt, t->name)) {
		if (db_execf(tgt, "DROP TABLE IF EXISTS %s", io) < 0 ||
		    db_execf(tgt, "RENAME TABLE %s TO %s, %s TO %s", it, io, is, it) < 0 ||
		    db_execf(tgt, "DROP TABLE %s", io) < 0)
			rc = fail(job, tgt, "target '%s': cannot swap in the new table", t->name);
	} else if (db_execf(tgt, "RENAME TABLE %s TO %s", is, it) < 0)
		rc = fail(job, tgt, "target '%s': cannot swap in the new table", t->name);
	fault_point("after-swap", t->name);
	free(old);
	free(is);
	free(io);
	free(it);
	return rc;
}

int
finish(struct db *tgt, struct build_job *job, double started)
{
	const struct target *t = job->t;

	/*
	 * after an unfinished build the live table may hold rows that no
	 * consumer has seen yet: never prune them
	 */
	if (!job->prev_ok && job->changed == 0)
		job->changed = 1;
	if (marker_finish(tgt, job->recipe, t->name, job->run_id, job->hash,
	                  job->inputs_at, job->full, job->changed, job->rows,
	                  mono_seconds() - started, job->rev, job->dirty) < 0)
		return fail(job, tgt, "target '%s': cannot record the marker", t->name);
	return 0;
}


long long
rows_after_upsert(struct db *d, struct build_job *job, const char *table)
{
	/* COUNT(*) of a large InnoDB table takes seconds: add up what changed */
	if (job->prev_rows >= 0 && job->inserted >= 0)
		return job->prev_rows + job->inserted - job->deleted;
	return count_rows(d, table);
}

int
upsert(struct db *d, struct build_job *job, const char *table, const struct cols *c,
       const char *select_sql)
{
	struct buf b;
	char *it = db_ident(table), *cl = col_list(c, "");
	size_t i;
	int rc = 0;

	buf_init(&b);
	/* target columns are qualified: the select may carry the same names */
	buf_addf(&b, "INSERT INTO %s (%s) SELECT * FROM (%s) AS _chacc_rows"
	         " ON DUPLICATE KEY UPDATE %s.`" STAMP "` = IF(", it, cl, select_sql, it);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, "%sCAST(%s.%s AS BINARY) <=> CAST(VALUES(%s) AS BINARY)",
		         i ? " AND " : "", it, id, id);
		free(id);
	}
	buf_addf(&b, ", %s.`" STAMP "`, NOW(6))", it);
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]);

		buf_addf(&b, ", %s.%s = VALUES(%s)", it, id, id);
		free(id);
	}
	if (db_exec(d, b.s) < 0)
		rc = fail(job, d, "target '%s': cannot upsert into '%s'", job->t->name, table);
	else {
		long long n = db_inserted(d), affected = db_affected(d);

		/* affected rows count 1 per insert and 2 per changed update */
		job->changed += n < 0 ? affected : n + (affected - n) / 2;
		job->inserted = n < 0 || job->inserted < 0 ? -1 : job->inserted + n;
	}
	buf_release(&b);
	free(it);
	free(cl);
	return rc;
}

/* SQL literal of a timestamp string, or NULL */
static char *
ts_literal(struct db *d, const char *ts)
{
	return ts && *ts ? db_quote(d, ts) : xstrdup("NULL");
}

/*
 * remove rows whose key a need deleted since the last build, recording them
 * in etl_deletes so that targets downstream follow
 */
static int
follow_deletes(struct db *tgt, struct build_job *job, const struct cols *c, const char *since)
{
	const struct target *t = job->t;
	struct buf on, paths, keyobj, rowobj;
	char *it = db_ident(t->name), *qt = db_quote(tgt, t->name);
	size_t i;
	int rc = 0;

	buf_init(&on);
	buf_init(&paths);
	buf_init(&keyobj);
	buf_init(&rowobj);
	for (i = 0; i < t->key.n; i++) {
		char *id = db_ident(t->key.v[i]), *name = db_quote(tgt, t->key.v[i]);
		char *path = xasprintf("$.%s", t->key.v[i]), *qp = db_quote(tgt, path);

		buf_addf(&on, " AND t.%s = JSON_VALUE(d.key_json, %s)", id, qp);
		buf_addf(&paths, ", %s", qp);
		buf_addf(&keyobj, "%s%s, t.%s", i ? ", " : "", name, id);
		free(id);
		free(name);
		free(path);
		free(qp);
	}
	for (i = 0; i < c->n; i++) {
		char *id = db_ident(c->v[i]), *name = db_quote(tgt, c->v[i]);

		buf_addf(&rowobj, "%s%s, t.%s", i ? ", " : "", name, id);
		free(id);
		free(name);
	}
	for (i = 0; rc == 0 && i < t->needs.n; i++) {
		char *qn = db_quote(tgt, t->needs.v[i]);
		char *from = xasprintf("FROM %s t JOIN etl_deletes d ON d.target = %s"
		                       " AND d.deleted_at > %s AND JSON_CONTAINS_PATH(d.key_json,"
		                       " 'all'%s)%s", it, qn, since, paths.s, on.s);

		if (db_execf(tgt, "INSERT INTO etl_deletes (target, key_json, row_json, run_id,"
		             " deleted_at) SELECT DISTINCT %s, JSON_OBJECT(%s), JSON_OBJECT(%s),"
		             " %lld, NOW(6) %s", qt, keyobj.s, rowobj.s, job->run_id, from) < 0 ||
		    db_execf(tgt, "DELETE t %s", from) < 0)
			rc = fail(job, tgt, "target '%s': cannot follow the deletes of '%s'",
			          t->name, t->needs.v[i]);
		else {
			job->changed += db_affected(tgt);
			job->deleted += db_affected(tgt);
		}
		free(qn);
		free(from);
	}
	buf_release(&on);
	buf_release(&paths);
	buf_release(&keyobj);
	buf_release(&rowobj);
	free(it);
	free(qt);
	return rc;
}

static int
table_full(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *shadow = shadow_name(t->name), *is = db_ident(shadow);
	char *sql = sql_subst(c->r, t->query_sql, shadow, "NULL", job->run_id);
	char *body = query_body(sql);
	struct cols qc = { 0 };
	char *cl = NULL;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		fail(job, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (t->create_sql) {
		char *ddl = sql_subst(c->r, t->create_sql, shadow, "NULL", job->run_id);

		if (db_exec(tgt, ddl) < 0)
			fail(job, tgt, "target '%s': create '%s' failed", t->name, t->create);
		free(ddl);
	} else if (db_execf(tgt, "CREATE TABLE %s AS SELECT * FROM (%s) AS q LIMIT 0", is, body) < 0)
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
	if (job->error || shape_shadow(tgt, job, shadow) < 0)
		goto out;
	if (query_cols(tgt, body, &qc) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	cl = col_list(&qc, "");
	if (db_execf(tgt, "INSERT INTO %s (%s) SELECT * FROM (%s) AS q", is, cl, body) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	job->moved = job->rows = db_affected(tgt);
	fault_point("after-load", t->name);
	if (restat(tgt, job, shadow, job->rows) < 0 || add_indexes(tgt, job, shadow) < 0 ||
	    swap(tgt, job, shadow) < 0 || finish(tgt, job, started) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	cols_release(&qc);
	free(cl);
	free(shadow);
	free(is);
	free(sql);
	free(body);
	return rc;
}

static int
table_incremental(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *since = ts_literal(tgt, job->prev_inputs_at);
	char *sql = sql_subst(c->r, t->query_sql, t->name, since, job->run_id);
	char *body = query_body(sql), *select = NULL;
	struct cols qc = { 0 };
	int rc = -1;

	if (query_cols(tgt, body, &qc) < 0) {
		fail(job, tgt, "target '%s': query '%s' failed", t->name, t->query);
		goto out;
	}
	select = xasprintf("SELECT * FROM (%s) AS q", body);
	if (db_exec(tgt, "START TRANSACTION") < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto out;
	}
	if (follow_deletes(tgt, job, &qc, since) < 0 || upsert(tgt, job, t->name, &qc, select) < 0)
		goto rollback;
	job->moved = job->changed;
	fault_point("before-commit", t->name);
	if ((job->rows = rows_after_upsert(tgt, job, t->name)) < 0) {
		fail(job, tgt, "target '%s'", t->name);
		goto rollback;
	}
	if (finish(tgt, job, started) < 0)
		goto rollback;
	if (db_exec(tgt, "COMMIT") < 0) {
		fail(job, tgt, "target '%s': commit failed", t->name);
		goto out;
	}
	rc = 0;
	goto out;
rollback:
	db_exec(tgt, "ROLLBACK");
out:
	cols_release(&qc);
	free(since);
	free(sql);
	free(body);
	free(select);
	return rc;
}

/* CHECKSUM TABLE of table, "" when it does not exist */
static int
checksum(struct db *d, const char *table, char **out)
{
	struct dbres *res;
	char *id = db_ident(table);

	*out = NULL;
	res = db_queryf(d, "CHECKSUM TABLE %s", id);
	free(id);
	if (!res)
		return -1;
	if (dbres_next(res) && dbres_get(res, 1))
		*out = xstrdup(dbres_get(res, 1));
	dbres_free(res);
	if (!*out)
		*out = xstrdup("");
	return 0;
}

/* run a script's statements, then its call, with ${this} naming table */
static int
run_script(struct conns *c, struct build_job *job, const char *table, const char *since)
{
	const struct target *t = job->t;
	char *sql = sql_subst(c->r, t->script_sql, table, since, job->run_id);
	struct sqlscript s = { 0 };
	char *err = NULL;
	int rc = 0;

	if (sqlsplit(sql, strlen(sql), &s, &err) < 0) {
		rc = fail(job, NULL, "target '%s': script '%s': %s", t->name, t->script, err);
		free(err);
	}
	for (size_t i = 0; rc == 0 && i < s.nstmts; i++)
		if (db_exec(c->tgt, s.stmts[i].sql) < 0)
			rc = fail(job, c->tgt, "target '%s': %s:%d", t->name, t->script,
			          s.stmts[i].line);
	if (rc == 0 && t->call) {
		char *call = sql_subst(c->r, t->call, table, since, job->run_id);

		if (db_exec(c->tgt, call) < 0)
			rc = fail(job, c->tgt, "target '%s': call failed", t->name);
		free(call);
	}
	sqlscript_release(&s);
	free(sql);
	return rc;
}

static int
script_full(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *shadow = shadow_name(t->name), *before = NULL, *after = NULL;
	int rc = -1;

	if (build_cleanup(tgt, t) < 0) {
		fail(job, tgt, "target '%s': cannot drop leftover tables", t->name);
		goto out;
	}
	if (run_script(c, job, shadow, "NULL") < 0)
		goto out;
	if (!table_exists(tgt, shadow)) {
		fail(job, NULL, "target '%s': script '%s' did not create its table (${this})",
		     t->name, t->script);
		goto out;
	}
	fault_point("after-load", t->name);
	job->moved = job->rows = count_rows(tgt, shadow);
	job->changed = job->rows > 0 ? job->rows : 1;
	if (table_exists(tgt, t->name)) {
		if (checksum(tgt, shadow, &after) < 0 || checksum(tgt, t->name, &before) < 0) {
			fail(job, tgt, "target '%s': cannot checksum", t->name);
			goto out;
		}
		if (strcmp(before, after) == 0 && count_rows(tgt, t->name) == job->rows)
			job->changed = 0;
	}
	if (add_indexes(tgt, job, shadow) < 0 || swap(tgt, job, shadow) < 0 ||
	    finish(tgt, job, started) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		build_cleanup(tgt, t);
	free(shadow);
	free(before);
	free(after);
	return rc;
}

static int
script_incremental(struct conns *c, struct build_job *job, double started)
{
	const struct target *t = job->t;
	struct db *tgt = c->tgt;
	char *since = ts_literal(tgt, job->prev_inputs_at), *before = NULL, *after = NULL;
	int rc = -1;

	if (checksum(tgt, t->name, &before) < 0) {
		fail(job, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	if (run_script(c, job, t->name, since) < 0)
		goto out;
	if (checksum(tgt, t->name, &after) < 0) {
		fail(job, tgt, "target '%s': cannot checksum", t->name);
		goto out;
	}
	job->moved = job->rows = count_rows(tgt, t->name);
	job->changed = strcmp(before, after) != 0;
	if (finish(tgt, job, started) < 0)
		goto out;
	rc = 0;
out:
	free(since);
	free(before);
	free(after);
	return rc;
}

void
job_publish(struct build_job *job, int slot, struct db *d)
{
	atomic_store(&job->query_id[slot], d ? db_thread_id(d) : 0);
}

/* the recipe whose marker names table, "" when there is none; NULL on error */
static char *
marker_owner(struct db *d, const char *recipe, const char *table)
{
	char *qr = db_quote(d, recipe), *qt = db_quote(d, table), *who = NULL;
	int rc;

	/* this recipe's marker first, then any other's */
	rc = db_value(d, &who, "SELECT recipe FROM etl_metadata WHERE target = %s"
	              " ORDER BY recipe = %s DESC, recipe LIMIT 1", qt, qr);
	free(qr);
	free(qt);
	if (rc < 0)
		return NULL;
	return who ? who : xstrdup("");
}

/*
 * a table chacc did not make (no marker of this recipe) is never replaced:
 * 0 when the target's table is absent or this recipe's, else -1 naming it
 */
static int
check_owned(struct conns *c, struct build_job *job)
{
	const struct target *t = job->t;
	char *who;
	int rc = 0;

	if (!table_exists(c->tgt, t->name))
		return 0;
	if (!(who = marker_owner(c->tgt, job->recipe, t->name)))
		return fail(job, c->tgt, "target '%s': cannot read its marker", t->name);
	job->foreign = strcmp(who, job->recipe) != 0;
	if (job->foreign && *who)
		rc = fail(job, NULL, "target '%s': table '%s' in database '%s' belongs to recipe"
		          " '%s', not '%s'; refusing to replace it (to take it over: chacc build"
		          " --adopt %s)", t->name, t->name, db_name(c->tgt), who, job->recipe,
		          t->name);
	else if (job->foreign)
		rc = fail(job, NULL, "target '%s': table '%s' in database '%s' was not made by chacc"
		          " (it has no marker); refusing to replace it (to keep it as the target's"
		          " table until its first build: chacc build --adopt %s; or drop it)",
		          t->name, t->name, db_name(c->tgt), t->name);
	free(who);
	return rc;
}

/* the primary key columns of a table, comma-separated ("" for none); NULL on error */
static char *
primary_key(struct db *d, const char *table)
{
	char *q = db_quote(d, table), *v = NULL;
	int rc = db_value(d, &v, "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index"
	                  " SEPARATOR ',') FROM information_schema.statistics"
	                  " WHERE table_schema = DATABASE() AND table_name = %s"
	                  " AND index_name = 'PRIMARY'", q);

	free(q);
	if (rc < 0)
		return NULL;
	return v ? v : xstrdup("");
}

/*
 * an incremental build upserts by the primary key: when it is no longer the
 * target's key (dropped or changed by hand) the build goes full instead of
 * duplicating rows. -1 on a database error.
 */
static int
check_key(struct conns *c, struct build_job *job)
{
	const struct target *t = job->t;
	char *have, *want;
	struct buf b;

	if (job->full || t->kind == KIND_SCRIPT || t->key.n == 0)
		return 0;
	if (!(have = primary_key(c->tgt, t->name)))
		return fail(job, c->tgt, "target '%s': cannot read its primary key", t->name);
	buf_init(&b);
	for (size_t i = 0; i < t->key.n; i++)
		buf_addf(&b, "%s%s", i ? "," : "", t->key.v[i]);
	want = buf_detach(&b);
	if (strcasecmp(have, want) != 0) {
		log_event(LOG_WARN, "rebuild", t->name, job->run_id,
		          "target '%s': the primary key of its table is %s%s%s, not (%s): building"
		          " it in full", t->name, *have ? "(" : "", *have ? have : "missing",
		          *have ? ")" : "", want);
		job->full = true;
	}
	free(have);
	free(want);
	return 0;
}

int
build_run(struct conns *c, struct build_job *job)
{
	double started = mono_seconds();
	int rc;

	job->rows = job->changed = job->moved = job->inserted = job->deleted = 0;
	free(job->error);
	job->error = NULL;
	job->transient = job->killed = job->foreign = false;
	job_publish(job, 0, c->tgt);
	job_publish(job, 1, NULL);
	if (check_owned(c, job) < 0 || check_key(c, job) < 0) {
		job_publish(job, 0, NULL);
		return -1;
	}
	/*
	 * a build that may leave the live table changed before its marker is
	 * written says so first, so that a crash makes the next run rebuild it;
	 * an incremental extract or table commits data and marker together
	 */
	if ((job->full || job->t->kind == KIND_SCRIPT) &&
	    marker_begin(c->tgt, job->recipe, job->t->name, job->run_id) < 0) {
		job_publish(job, 0, NULL);
		return fail(job, c->tgt, "target '%s': cannot record the build", job->t->name);
	}
	fault_point("begin", job->t->name);
	switch (job->t->kind) {
	case KIND_EXTRACT:
		rc = build_extract(c, job, started);
		break;
	case KIND_TABLE:
		rc = job->full ? table_full(c, job, started) : table_incremental(c, job, started);
		break;
	case KIND_SCRIPT:
	default:
		rc = job->full ? script_full(c, job, started) : script_incremental(c, job, started);
		break;
	}
	job_publish(job, 0, NULL);
	job_publish(job, 1, NULL);
	if (rc < 0 && !job->error)
		job->error = xasprintf("target '%s': build failed", job->t->name);
	return rc;
}
