/* build.c: building one target: connections, names, ownership, and the start of every build (DESIGN §5) */
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
	c->store = store_open(c->tgt, r->name);
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
	store_close(c->store);
	c->store = NULL;
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
job_publish(struct build_job *job, int slot, struct db *d)
{
	atomic_store(&job->query_id[slot], d ? db_thread_id(d) : 0);
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
	if (!(who = store_marker_owner(c->store, t->name)))
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
	job->store = c->store;
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
	    store_marker_begin(c->store, job->t->name, job->run_id) < 0) {
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
