/*
 * db_mariadb_connect.c: opening a MariaDB connection, on one server or on
 * the first ready node of a cluster's list (hosts:): a node that answers
 * but is cut off from its cluster's primary component (Galera) is passed
 * over as one that does not answer
 */
#include "db_mariadb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "util.h"

#include <pthread.h>

static const char *
nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* where p points, for messages: host:port, the socket or localhost */
static char *
endpoint(const struct db_params *p)
{
	const char *host = nonempty(p->host), *sock = nonempty(p->socket);

	if (host && !sock)
		return xasprintf("%s:%u", host, p->port ? p->port : 3306);
	if (sock)
		return xasprintf("socket %s", sock);
	return xstrdup("localhost");
}

/*
 * why a Galera node cannot take writes (malloc'ed), or NULL when it can or
 * is no Galera node (no provider: a plain server says wsrep_ready OFF too):
 * wsrep_ready is OFF outside the primary component
 */
static char *
not_ready(MYSQL *my)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char ready[8] = "", status[32] = "", provider[32] = "";

	if (mysql_query(my, "SHOW GLOBAL STATUS WHERE Variable_name IN "
	                    "('wsrep_ready', 'wsrep_cluster_status', 'wsrep_provider_name')") ||
	    !(res = mysql_store_result(my)))
		return NULL;
	while ((row = mysql_fetch_row(res))) {
		if (!row[0] || !row[1])
			continue;
		if (strcasecmp(row[0], "wsrep_ready") == 0)
			snprintf(ready, sizeof(ready), "%s", row[1]);
		else if (strcasecmp(row[0], "wsrep_provider_name") == 0)
			snprintf(provider, sizeof(provider), "%s", row[1]);
		else
			snprintf(status, sizeof(status), "%s", row[1]);
	}
	mysql_free_result(res);
	if (!*provider || !*ready || strcasecmp(ready, "ON") == 0)
		return NULL;
	return xasprintf("the node is not ready: its cluster status is '%s', not Primary "
	                 "(cut off from the other nodes, or the cluster lost its quorum)",
	                 *status ? status : "unknown");
}

/*
 * the client's error after a failed connect, saying so when the local
 * address of bind_address is what failed (the client's own words for that
 * are errno numbers, or garbled)
 */
static char *
bind_error(const struct db_params *p, MYSQL *my)
{
	const char *bind = p->bind_address;

	if (!bind || !*bind)
		return xstrdup(mysql_error(my));
	if (mysql_errno(my) == CR_BIND_ADDR_FAILED)
		return xasprintf("cannot connect from bind_address '%s': it is no address of this "
		                 "host, nor a name that resolves to one", bind);
	if (mysql_errno(my) == CR_IPSOCK_ERROR)
		return xasprintf("cannot connect from bind_address '%s' (%s): it is no address of "
		                 "this host, or of another family than the server's", bind,
		                 mysql_error(my));
	return xasprintf("%s (connecting from bind_address '%s')", mysql_error(my), bind);
}

/* one server at host:port or sock; NULL with *why (malloc'ed) and *code */
static MYSQL *
open_one(const struct db_params *p, const char *host, unsigned port, const char *sock,
         const char *database, char **why, unsigned *code)
{
	MYSQL *my;
	unsigned int one = 1, timeout = p->connect_timeout ? p->connect_timeout : 10;

	mdb_library_init();
	*why = NULL;
	*code = 0;
	if (!(my = mysql_init(NULL))) {
		*why = xstrdup("out of memory");
		*code = CR_OUT_OF_MEMORY;
		return NULL;
	}
	mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &one);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (p->bind_address && *p->bind_address)
		mysql_options(my, MYSQL_OPT_BIND, p->bind_address);
	/* a socket, when given, wins over host and port */
	if (!mysql_real_connect(my, sock ? "localhost" : host, p->user, p->password,
	                        nonempty(database), port, sock, CLIENT_MULTI_RESULTS)) {
		*code = mysql_errno(my);
		*why = bind_error(p, my);
		db_scrub(why, p->password);
		mysql_close(my);
		return NULL;
	}
	if ((*why = not_ready(my))) {
		*code = ER_UNKNOWN_COM_ERROR;
		mysql_close(my);
		return NULL;
	}
	mdb_refuse_infile(my);
	return my;
}

/*
 * the cluster each node list reached first in this process (its state
 * UUID): a node of another cluster in the list must not take over a run
 */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seen {
	char *list, *uuid, *node;
} *seen;
static size_t nseen;

static char *
list_key(const struct db_params *p)
{
	struct buf b;

	buf_init(&b);
	buf_addf(&b, "%s/%s", p->name ? p->name : "", p->user ? p->user : "");
	for (size_t i = 0; i < p->nhosts; i++)
		buf_addf(&b, ",%s", p->hosts[i]);
	return buf_detach(&b);
}

/* NULL when node i of p is of the cluster the list reached first, else why not */
static char *
other_cluster(const struct db_params *p, size_t i, MYSQL *my)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *uuid = NULL, *key, *why = NULL;

	if (mysql_query(my, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_state_uuid'") ||
	    !(res = mysql_store_result(my)))
		return NULL;
	if ((row = mysql_fetch_row(res)) && row[1] && *row[1])
		uuid = xstrdup(row[1]);
	mysql_free_result(res);
	if (!uuid)
		return NULL;
	key = list_key(p);
	pthread_mutex_lock(&seen_mu);
	size_t k;

	for (k = 0; k < nseen && strcmp(seen[k].list, key); k++)
		;
	if (k == nseen) {
		seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
		seen[nseen++] = (struct seen){ key, uuid, xstrdup(p->hosts[i]) };
		key = uuid = NULL;
	} else if (strcmp(seen[k].uuid, uuid)) {
		why = xasprintf("the node is of another cluster (state UUID %s) than %s (%s): "
		                "'hosts' lists the nodes of one cluster", uuid, seen[k].node,
		                seen[k].uuid);
	}
	pthread_mutex_unlock(&seen_mu);
	free(key);
	free(uuid);
	return why;
}

/*
 * node i of p lacks p's database: on a node of another cluster, say that
 * instead (a build would create the database there)
 */
static void
no_database_here(const struct db_params *p, size_t i, const char *host, unsigned port,
                 char **why, unsigned *code)
{
	char *w;
	unsigned c;
	MYSQL *my = open_one(p, host, port, NULL, NULL, &w, &c);

	if (!my) {
		free(w);
		return;
	}
	if ((w = other_cluster(p, i, my))) {
		free(*why);
		*why = w;
		*code = CR_CONNECTION_ERROR;
	}
	mysql_close(my);
}

MYSQL *
mdb_open(const struct db_params *p, char **err, unsigned *code)
{
	size_t node;

	return mdb_open_at(p, 0, &node, err, code);
}

/*
 * which error of the nodes' speaks for them all: a wrong password or a
 * missing database on a node that answers wins over one that does not
 */
static bool
outranks(unsigned code, unsigned than)
{
	bool a = code == ER_ACCESS_DENIED_ERROR || code == ER_BAD_DB_ERROR ||
	         code == ER_DBACCESS_DENIED_ERROR;
	bool b = than == ER_ACCESS_DENIED_ERROR || than == ER_BAD_DB_ERROR ||
	         than == ER_DBACCESS_DENIED_ERROR;

	return !than || (a && !b);
}

MYSQL *
mdb_open_at(const struct db_params *p, size_t start, size_t *node, char **err, unsigned *code)
{
	struct buf msg;
	MYSQL *my;
	char *why;

	*err = NULL;
	*code = 0;
	if (!p->nhosts) {
		*node = 0;
		if ((my = open_one(p, nonempty(p->host), p->port, nonempty(p->socket), p->database, &why,
		                   code)))
			return my;
		char *where = endpoint(p);

		*err = xasprintf("connection '%s': cannot connect to %s as '%s': %s",
		                 p->name ? p->name : "?", where, p->user ? p->user : "", why);
		free(where);
		free(why);
		return NULL;
	}
	buf_init(&msg);
	for (size_t k = 0; k < p->nhosts; k++) {
		size_t i = (start + k) % p->nhosts;
		const char *bad;
		char *host;
		unsigned port, c;

		if ((bad = hostport_parse(p->hosts[i], &host, &port))) {
			why = xstrdup(bad);
			c = CR_UNKNOWN_HOST;
		} else {
			my = open_one(p, host, port, NULL, p->database, &why, &c);
			if (!my && c == ER_BAD_DB_ERROR)
				no_database_here(p, i, host, port, &why, &c);
			free(host);
			if (my && (why = other_cluster(p, i, my))) {
				mysql_close(my);
				my = NULL;
				c = CR_CONNECTION_ERROR;
			}
			if (my) {
				*node = i;
				buf_release(&msg);
				return my;
			}
		}
		buf_addf(&msg, "%s%s: %s", msg.len ? "; " : "", p->hosts[i], why);
		if (outranks(c, *code))
			*code = c;
		free(why);
	}
	*err = xasprintf("connection '%s': cannot connect to any of its %zu nodes as '%s': %s",
	                 p->name ? p->name : "?", p->nhosts, p->user ? p->user : "",
	                 msg.s ? msg.s : "");
	buf_release(&msg);
	return NULL;
}
