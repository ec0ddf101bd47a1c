/* build_script.c: script targets: a SQL script and its call write ${this} */
#include "build.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "recipe.h"
#include "sqlsplit.h"
#include "util.h"

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

int
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

int
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
