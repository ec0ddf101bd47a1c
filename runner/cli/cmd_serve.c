/* cmd_serve.c: 'chacc serve', the web UI and REST API */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "recipe.h"
#include "session.h"
#include "util.h"
#include "web.h"
#include "web_users.h"

const char usage_serve[] =
	"usage: chacc serve [--bind ADDRESS] [--port PORT] [--token TOKEN | --users FILE]\n"
	"\n"
	"Serves the web UI and the REST API (/api/...) and Prometheus metrics\n"
	"(/metrics) for the recipe: targets and why they would rebuild, builds run in\n"
	"the background with live progress, the graph, run history, editors whose\n"
	"saves become review branches, and reviews.\n"
	"\n"
	"      --bind ADDRESS   address to listen on (default 127.0.0.1)\n"
	"      --port PORT      port to listen on (default 5000; 0 picks a free one)\n"
	"      --token TOKEN    ask every request for TOKEN (default: CHACC_UI_TOKEN);\n"
	"                       needed when ADDRESS is not loopback\n"
	"      --users FILE     named users instead of one token: a YAML list of name,\n"
	"                       email, token_sha256 (the hex SHA-256 of the user's token)\n"
	"                       and role: viewer (reads), editor (also edits, proposes,\n"
	"                       uploads, starts and cancels builds) or approver (also\n"
	"                       approves and rejects reviews). Proposals are authored by\n"
	"                       their user; nobody approves their own proposal unless\n"
	"                       the recipe says review: { self_approve: true }\n"
	"  -f RECIPE, -C DIR    as for chacc\n"
	"\n"
	"Up to 1024 clients are served at once (fewer when the limit of open files\n"
	"is low); event streams hold no thread. A client idle for 30 seconds, or\n"
	"CHACC_UI_TIMEOUT seconds, is disconnected. Answers and events never hold\n"
	"a password, nor the users, hosts and sockets of connections.\n";

static atomic_int stopping;

static void
on_stop(int sig)
{
	if (stopping)
		_exit(EXIT_INTERRUPTED);
	stopping = sig;
}

/* ADDRESS and PORT into a socket address; prints and returns -1 when they are wrong */
static int
resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char *end;
	long p = strtol(port, &end, 10);
	int rc;

	if (*port == '\0' || *end || p < 0 || p > 65535) {
		warning("invalid port '%s': expected a number from 0 to 65535", port);
		return -1;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		warning("cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* CHACC_UI_TIMEOUT, seconds from 1 to 86400, into *secs (0 when unset); prints and returns -1 when wrong */
static int
timeout_env(unsigned *secs)
{
	const char *v = getenv("CHACC_UI_TIMEOUT");
	char *end;
	long n;

	*secs = 0;
	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < 1 || n > 86400) {
		warning("invalid CHACC_UI_TIMEOUT '%s': expected seconds from 1 to 86400", v);
		return -1;
	}
	*secs = (unsigned)n;
	return 0;
}

/* the users file; prints its problems and returns -1 when it has any */
static int
load_users(const char *path, struct web_users *u)
{
	struct diags d;
	char *text;
	int rc;

	diags_init(&d);
	rc = web_users_load(path, u, &d);
	if (rc < 0) {
		text = diags_text(&d);
		fprintf(stderr, "%s\n", text);
		free(text);
	}
	diags_release(&d);
	return rc;
}

int
cmd_serve(struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct web_config c = { 0 };
	struct session s;
	struct sigaction sa = { 0 };
	const char *token = o->token ? o->token : o->users ? NULL : getenv("CHACC_UI_TOKEN");
	struct web_users users = { 0 };
	const char *bind = o->bind ? o->bind : "127.0.0.1";
	char addr[INET6_ADDRSTRLEN] = "", *err = NULL;
	int rc;

	if (o->nargs > 0) {
		warning("serve takes no arguments (see 'chacc serve --help')");
		return EXIT_USAGE;
	}
	if (resolve(bind, o->port ? o->port : "5000", &ss, &sslen) < 0)
		return EXIT_USAGE;
	if (timeout_env(&c.timeout) < 0)
		return EXIT_USAGE;
	if (o->users && o->token) {
		warning("--token and --users exclude each other: with --users each user has a token");
		return EXIT_USAGE;
	}
	if (o->users && load_users(o->users, &users) < 0)
		return EXIT_USAGE;
	/* the recipe must be there; a recipe with errors is served, to be fixed in the editor */
	rc = open_session(&s, o, false);
	if (rc == EXIT_OK)
		printf("chacc: recipe '%s': %zu targets\n", s.r->name, s.r->ntargets);
	/* its connections are known before the first request */
	scrub_add_recipe(s.r);
	session_release(&s);
	if (rc != EXIT_OK && access(o->file ? o->file : "chacc.yml", F_OK) < 0) {
		web_users_release(&users);
		return rc;
	}
	c.recipe = o->file;
	c.addr = (struct sockaddr *)&ss;
	c.addrlen = sslen;
	c.token = token && *token ? token : NULL;
	c.users = o->users ? &users : NULL;
	if (web_start(&c, &err) < 0) {
		warning("%s", err);
		free(err);
		web_users_release(&users);
		return web_needs_token(c.addr) && !c.token && !c.users ? EXIT_USAGE : EXIT_FAILED;
	}
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
	printf("chacc: serving on http://%s%s%s:%d/%s\n", ss.ss_family == AF_INET6 ? "[" : "", addr,
	       ss.ss_family == AF_INET6 ? "]" : "", web_port(),
	       c.token || c.users ? " (open /?token=TOKEN once in a browser)" : "");
	if (c.users)
		printf("chacc: %zu users from '%s'\n", users.n, o->users);
	fflush(stdout);
	while (!stopping)
		sleep_interruptible(3600, &stopping);
	printf("chacc: stopping: cancelling builds\n");
	web_stop();
	web_users_release(&users);
	return EXIT_OK;
}
