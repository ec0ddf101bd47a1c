/* db_postgres_table.c: the PostgreSQL engine's clock and advisory locks */
#include "db_postgres.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* a timestamp as text, in the form of db_now: YYYY-MM-DD HH:MM:SS.ffffff */
#define TS_FORMAT "'YYYY-MM-DD HH24:MI:SS.US'"

int
pdb_now(struct db *d, char **out)
{
	/* the wall clock of the server's time zone, as MariaDB's NOW(6) */
	if (db_value(d, out, "SELECT to_char(clock_timestamp()::timestamp, %s)", TS_FORMAT) <= 0 ||
	    !*out)
		return -1;
	return 0;
}

int
pdb_ts_minus(struct db *d, const char *ts, double seconds, char **out)
{
	char *q = pdb_literal(ts);
	int rc = db_value(d, out, "SELECT to_char(CAST(%s AS timestamp(6)) - make_interval(secs => %.6f),"
	                  " %s)", q, seconds, TS_FORMAT);

	free(q);
	return rc > 0 && *out ? 0 : -1;
}

int
pdb_ts_after(struct db *d, const char *ts, const char *at, double seconds)
{
	char *qt = pdb_literal(ts), *qa = pdb_literal(at), *v = NULL;
	int rc = db_value(d, &v, "SELECT CAST(%s AS timestamp(6)) > CAST(%s AS timestamp(6))"
	                  " - make_interval(secs => %.6f)", qt, qa, seconds);

	if (rc >= 0)
		rc = v && strcmp(v, "t") == 0;
	free(v);
	free(qt);
	free(qa);
	return rc;
}

/*
 * advisory locks: a lock's name is hashed to the bigint key of the session
 * lock functions. They belong to the database (as GET_LOCK's names belong to
 * the server), are taken again by the session that holds one, and never
 * raise an error: trying does not spoil the transaction around it.
 */
static int
try_lock(struct db *d, const char *q)
{
	char *got = NULL;
	int rc = db_value(d, &got, "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", q);

	if (rc >= 0)
		rc = got && strcmp(got, "t") == 0;
	free(got);
	return rc;
}

int
pdb_lock(struct db *d, const char *name, double timeout)
{
	char *q = pdb_literal(name);
	double until = now_seconds() + (timeout > 0 ? timeout : 0), pause = 0.005;
	int rc;

	while ((rc = try_lock(d, q)) == 0 && now_seconds() < until) {
		struct timespec ts = { 0, (long)(pause * 1e9) };

		nanosleep(&ts, NULL);
		if (pause < 0.1)
			pause *= 2;
	}
	free(q);
	return rc;
}

int
pdb_unlock(struct db *d, const char *name)
{
	char *q = pdb_literal(name);
	int rc = db_execf(d, "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", q);

	free(q);
	return rc;
}

int
pdb_locks_used(struct db *d, const char *const *names, size_t n, bool *used)
{
	/* a bigint key is held as classid (high half) and objid (low half), objsubid 1 */
	return db_locks_held(d, names, n, "(SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l, "
	                     "(SELECT hashtextextended(%s, 0) AS k) h"
	                     " WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted"
	                     " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
	                     " WHERE datname = current_database())"
	                     " AND l.classid = ((h.k >> 32) & 4294967295)::oid"
	                     " AND l.objid = (h.k & 4294967295)::oid))", "t", used);
}
