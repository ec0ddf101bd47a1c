/*
 * store_lease.c: locks that hold across the nodes of a cluster (MariaDB
 * Galera), whose nodes do not share advisory locks (GET_LOCK is one
 * node's). A lock is a row of etl_locks: a lease with a holder, a token
 * and an expiry (the server's clock), taken in a transaction:
 *
 *   - two runners that take one lease on two nodes at once both write its
 *     row; the cluster certifies one commit and fails the other (a
 *     deadlock error): one of them holds it;
 *   - a thread of the process renews the leases it holds (every fifth of
 *     the lease's length) on a connection of its own, while the builds
 *     run their statements on theirs;
 *   - a runner that dies stops renewing: its leases expire, and another
 *     runner takes them over with a new token;
 *   - a runner paused or cut off past its lease must not publish: before a
 *     build publishes, it renews its lease by its token within the
 *     publishing transaction (lease_fence); when another runner took the
 *     lease, no row matches (or the commit fails certification), and
 *     nothing is written.
 *
 * The lease lasts CHACC_LEASE_SECONDS (30 unless set; 2 at least). The
 * nodes' clocks must agree to well within it, as NTP keeps them.
 */
#include "store_sql.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "util.h"

struct lease {
	struct lease *next;
	struct lease_set *owner; /* NULL: given up, for the keeper to delete */
	char *key;
	char *name;
	char *database;          /* where its etl_locks is */
	char *holder;
	long long token;
	bool lost;               /* the keeper found it taken over */
};

struct lease_set {
	struct db *d;
	const struct store_sql *sql;
	char *holder;
	bool ready;              /* etl_locks exists */
};

/*
 * the keeper: one thread per process while some set lives. life_mu orders
 * its start and stop (a set made while the last one goes waits for it);
 * mu guards the list of leases
 */
static pthread_mutex_t life_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct lease *leases;
static size_t nsets;
static bool running, stopping;
static pthread_t keeper_thread;
static struct db *keeper_db;        /* opened like the first set's connection */
static const struct store_sql *keeper_sql;
static unsigned long long serial;

static int
lease_seconds(void)
{
	const char *s = getenv("CHACC_LEASE_SECONDS");
	int n = s ? atoi(s) : 30;

	return n < 2 ? (s ? 2 : 30) : n;
}

/* a name no other runner's store has: host, process, a random part, a serial */
static char *
new_holder(void)
{
	char host[64] = "";
	unsigned long long r;

	gethostname(host, sizeof(host) - 1);
	pthread_mutex_lock(&mu);
	r = ++serial;
	pthread_mutex_unlock(&mu);
	return xasprintf("%.60s:%ld:%08lx:%llu", host, (long)getpid(),
	                 (unsigned long)(mono_seconds() * 1e6) ^ (unsigned long)time(NULL), r);
}

static void
lease_free(struct lease *l)
{
	free(l->key);
	free(l->name);
	free(l->database);
	free(l->holder);
	free(l);
}

/* the set's lease of key (under mu), or NULL */
static struct lease *
find(struct lease_set *ls, const char *key)
{
	for (struct lease *l = leases; l; l = l->next)
		if (l->owner == ls && strcmp(l->key, key) == 0)
			return l;
	return NULL;
}

static void
unlink_lease(struct lease *l)
{
	for (struct lease **p = &leases; *p; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			return;
		}
	}
}

/* what the keeper does for one lease, copied: the lease may go while it works */
struct job {
	char *db, *name, *holder;
	long long token;
	bool give;
};

/* one pass of the keeper over kd: renew what is held, delete what was given up */
static void
keeper_pass(struct db *kd, int secs)
{
	struct job *jobs;
	struct lease *l;
	size_t n = 0, i;

	if (!kd)
		return;
	pthread_mutex_lock(&mu);
	for (l = leases; l; l = l->next)
		n++;
	jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	for (l = leases, i = 0; l; l = l->next, i++)
		jobs[i] = (struct job){ xstrdup(l->database), xstrdup(l->name), xstrdup(l->holder),
		                        l->token, !l->owner };
	pthread_mutex_unlock(&mu);
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		char *db = db_ident(kd, j->db), *qn = db_quote(kd, j->name), *qh = db_quote(kd, j->holder);
		int rc;

		if (j->give)
			rc = db_execf(kd, keeper_sql->lease_release, db, qn, qh, j->token);
		else
			rc = db_execf(kd, keeper_sql->lease_renew, db, secs, qn, qh, j->token);
		if (rc < 0 && db_error_transient(kd))
			db_reconnect(kd);
		free(db);
		free(qn);
		free(qh);
		pthread_mutex_lock(&mu);
		for (l = leases; l; l = l->next) {
			if (l->token != j->token || !l->owner != j->give || strcmp(l->name, j->name) ||
			    strcmp(l->holder, j->holder))
				continue;
			if (rc == 0 && j->give) {
				unlink_lease(l);
				lease_free(l);
			} else if (rc == 0 && db_affected(kd) == 0) {
				l->lost = true;
			}
			break;
		}
		pthread_mutex_unlock(&mu);
		free(j->db);
		free(j->name);
		free(j->holder);
	}
	free(jobs);
}

static void *
keeper(void *arg)
{
	int secs = lease_seconds();
	double every = secs / 5.0;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		struct timespec until;
		double at = now_seconds() + every;

		until.tv_sec = (time_t)at;
		until.tv_nsec = (long)((at - (double)until.tv_sec) * 1e9);
		pthread_cond_timedwait(&wake, &mu, &until);
		if (stopping)
			break;
		pthread_mutex_unlock(&mu);
		keeper_pass(keeper_db, secs);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
	/* a last try at what was given up; what stays expires */
	keeper_pass(keeper_db, secs);
	return NULL;
}

/* the keeper started, if it is not running, on a connection like ls's */
static void
keeper_start(struct lease_set *ls)
{
	char *err = NULL;

	pthread_mutex_lock(&life_mu);
	if (!running) {
		/* the keeper's own connection, to renew while the builds run statements */
		struct db *kd = db_connect_like(ls->d, &err);

		if (!kd) {
			log_event(LOG_WARN, "lease", NULL, 0,
			          "cannot open the connection that renews locks: %s", err);
			free(err);
		} else {
			keeper_db = kd;
			keeper_sql = ls->sql;
			stopping = false;
			running = pthread_create(&keeper_thread, NULL, keeper, NULL) == 0;
			if (!running) {
				db_close(kd);
				keeper_db = NULL;
			}
		}
	}
	pthread_mutex_unlock(&life_mu);
}

struct lease_set *
lease_set_new(struct db *d, const struct store_sql *sql)
{
	struct lease_set *ls = xcalloc(1, sizeof(*ls));

	ls->d = d;
	ls->sql = sql;
	ls->holder = new_holder();
	pthread_mutex_lock(&life_mu);
	nsets++;
	pthread_mutex_unlock(&life_mu);
	return ls;
}

void
lease_set_free(struct lease_set *ls)
{
	bool last;

	if (!ls)
		return;
	pthread_mutex_lock(&life_mu);
	pthread_mutex_lock(&mu);
	/* what it still holds goes to the keeper to give up */
	for (struct lease *l = leases; l; l = l->next)
		if (l->owner == ls)
			l->owner = NULL;
	last = --nsets == 0;
	if (last && running) {
		stopping = true;
		pthread_cond_broadcast(&wake);
	}
	pthread_mutex_unlock(&mu);
	if (last && running) {
		pthread_join(keeper_thread, NULL);
		running = false;
		db_close(keeper_db);
		keeper_db = NULL;
	}
	if (last) {
		/* the keeper tried once more; what it could not delete expires */
		pthread_mutex_lock(&mu);
		while (leases) {
			struct lease *l = leases;

			leases = l->next;
			lease_free(l);
		}
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_unlock(&life_mu);
	free(ls->holder);
	free(ls);
}

int
lease_ready(struct lease_set *ls)
{
	if (ls->ready)
		return 0;
	if (db_exec(ls->d, ls->sql->lease_table) < 0)
		return -1;
	ls->ready = true;
	return 0;
}

/* one try: 1 taken (*token), 0 held by another, -1 error */
static int
try_take(struct lease_set *ls, const char *name, bool in_txn, long long *token)
{
	struct db *d = ls->d;
	char *qn = db_quote(d, name), *qh = db_quote(d, ls->holder);
	struct dbres *res;
	int rc = -1, secs = lease_seconds();

	if (!in_txn && db_begin(d) < 0)
		goto out;
	if (!(res = db_queryf(d, ls->sql->lease_read, qn)))
		goto fail;
	if (!dbres_next(res)) {
		dbres_free(res);
		*token = 1;
		/* none inserted: another runner of this node inserted it first */
		if (db_execf(d, ls->sql->lease_insert, qn, qh, secs) == 0)
			rc = db_affected(d) == 1;
	} else {
		bool mine = dbres_get(res, 0) && strcmp(dbres_get(res, 0), ls->holder) == 0;
		bool expired = dbres_get(res, 2) && strcmp(dbres_get(res, 2), "1") == 0;

		*token = (dbres_get(res, 1) ? atoll(dbres_get(res, 1)) : 0) + (mine ? 0 : 1);
		dbres_free(res);
		if (mine || expired)
			rc = db_execf(d, ls->sql->lease_take, qh, *token, secs, qn) < 0 ? -1 : 1;
		else
			rc = 0;
	}
	if (in_txn)
		goto out;
	if (rc == 1 && db_commit(d) < 0) {
		/* certification failed: a runner on another node took it first */
		rc = db_error_transient(d) ? 0 : -1;
	}
	if (rc != 1)
		goto fail;
	goto out;
fail:
	if (!in_txn) {
		char *keep = xstrdup(db_error(d) ? db_error(d) : "");
		unsigned code = db_errno(d);

		db_rollback(d);
		db_set_error(d, code, "%s", keep);
		free(keep);
	}
out:
	free(qn);
	free(qh);
	return rc;
}

int
lease_take(struct lease_set *ls, const char *key, const char *name, double timeout,
           bool in_txn)
{
	double until = mono_seconds() + timeout;
	long long token = 0;
	int rc;

	if (!in_txn && lease_ready(ls) < 0)
		return -1;
	for (;;) {
		rc = try_take(ls, name, in_txn, &token);
		if (rc != 0 || in_txn || mono_seconds() >= until)
			break;
		sleep_interruptible(until - mono_seconds() < 0.2 ? until - mono_seconds() : 0.2,
		                    NULL);
	}
	if (rc == 1) {
		struct lease *l = xcalloc(1, sizeof(*l));

		l->owner = ls;
		l->key = xstrdup(key);
		l->name = xstrdup(name);
		l->database = xstrdup(db_name(ls->d));
		l->holder = xstrdup(ls->holder);
		l->token = token;
		pthread_mutex_lock(&mu);
		struct lease *old = find(ls, key);

		if (old) {
			unlink_lease(old);
			lease_free(old);
		}
		l->next = leases;
		leases = l;
		pthread_mutex_unlock(&mu);
		keeper_start(ls);
	}
	return rc;
}

void
lease_give(struct lease_set *ls, const char *key)
{
	struct lease *l;
	char *db = NULL, *qn = NULL, *qh = NULL;
	long long token = 0;

	pthread_mutex_lock(&mu);
	if ((l = find(ls, key))) {
		db = db_ident(ls->d, l->database);
		qn = db_quote(ls->d, l->name);
		qh = db_quote(ls->d, l->holder);
		token = l->token;
	}
	pthread_mutex_unlock(&mu);
	if (!l)
		return;
	/* given up on the set's own connection; when that fails, the keeper does it */
	if (db_execf(ls->d, ls->sql->lease_release, db, qn, qh, token) == 0) {
		pthread_mutex_lock(&mu);
		if ((l = find(ls, key)) && l->token == token) {
			unlink_lease(l);
			lease_free(l);
		}
		pthread_mutex_unlock(&mu);
	} else {
		pthread_mutex_lock(&mu);
		if ((l = find(ls, key)))
			l->owner = NULL;
		pthread_mutex_unlock(&mu);
	}
	free(db);
	free(qn);
	free(qh);
}

int
lease_used(struct lease_set *ls, char *const *names, size_t n, bool *used)
{
	struct buf list;
	struct dbres *res;

	for (size_t i = 0; i < n; i++)
		used[i] = false;
	buf_init(&list);
	for (size_t i = 0; i < n; i++) {
		char *q = db_quote(ls->d, names[i]);

		buf_addf(&list, "%s%s", i ? ", " : "", q);
		free(q);
	}
	res = db_queryf(ls->d, ls->sql->lease_used, list.s);
	buf_release(&list);
	if (!res)
		/* no etl_locks yet: no lease was ever taken */
		return store_sql_no_table(ls->d) ? 0 : -1;
	while (dbres_next(res))
		for (size_t i = 0; i < n; i++)
			if (dbres_get(res, 0) && strcmp(dbres_get(res, 0), names[i]) == 0)
				used[i] = true;
	dbres_free(res);
	return 0;
}

int
lease_fence(struct lease_set *ls, const char *key, char **err)
{
	struct lease *l;
	char *qn = NULL, *qh = NULL, *ok = NULL;
	long long token = 0;
	bool lost = false;
	int rc = 0, secs = lease_seconds();

	*err = NULL;
	pthread_mutex_lock(&mu);
	if ((l = find(ls, key))) {
		qn = db_quote(ls->d, l->name);
		qh = db_quote(ls->d, l->holder);
		token = l->token;
		lost = l->lost;
	}
	pthread_mutex_unlock(&mu);
	if (!l) {
		*err = xstrdup("this runner holds no lease on its lock");
		return -1;
	}
	/*
	 * a read, not a write: a write of the row would conflict with the
	 * keeper's renewals and fail the commit. The lease must have a third
	 * of its time left, which a renewal every fifth of it keeps
	 */
	if (!lost)
		rc = db_value(ls->d, &ok, ls->sql->lease_check, token, qh, secs / 3, qn);
	free(qn);
	free(qh);
	if (rc < 0) {
		*err = xasprintf("cannot read its lease: %s", db_error(ls->d));
		free(ok);
		return -1;
	}
	rc = !lost && ok && strcmp(ok, "1") == 0 ? 0 : -1;
	free(ok);
	if (rc < 0)
		*err = xasprintf("this runner lost its lease on the target's lock (paused or cut off "
		                 "for more than %ds): another runner may build it; nothing is "
		                 "published", secs * 2 / 3);
	return rc;
}
