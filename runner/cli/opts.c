/* opts.c: the options of the command line, each with the commands that take it */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "util.h"

enum {
	OPT_FULL_REFRESH = 256, OPT_INCREMENTAL, OPT_SINCE, OPT_SCHEDULED, OPT_CENTRAL,
	OPT_REV, OPT_JSON, OPT_SVG, OPT_BIND, OPT_PORT, OPT_TOKEN, OPT_USERS, OPT_ADOPT,
	OPT_OLDER_THAN, OPT_REMOVED, OPT_EXCLUDE, OPT_SQL, OPT_TARGET_DRIVER,
};
/* history's filter */
enum { OPT_MODE = 400, OPT_RESULT, OPT_UNTIL };

/* the first of the names of an option is the one the commands' lists use */
static const struct option longopts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "directory", required_argument, NULL, 'C' },
	{ "workers", required_argument, NULL, 'j' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "keep-going", no_argument, NULL, 'k' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "force", no_argument, NULL, 'B' },
	{ "full-refresh", no_argument, NULL, OPT_FULL_REFRESH },
	{ "incremental", no_argument, NULL, OPT_INCREMENTAL },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "last-updated", required_argument, NULL, OPT_SINCE },
	{ "scheduled", no_argument, NULL, OPT_SCHEDULED },
	{ "central-scheduler", no_argument, NULL, OPT_CENTRAL },
	{ "local-scheduler", no_argument, NULL, OPT_CENTRAL },
	{ "rev", required_argument, NULL, OPT_REV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "svg", no_argument, NULL, OPT_SVG },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "adopt", required_argument, NULL, OPT_ADOPT },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "limit", required_argument, NULL, 'l' },
	{ "message", required_argument, NULL, 'm' },
	{ "yes", no_argument, NULL, 'y' },
	{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
	{ "removed", no_argument, NULL, OPT_REMOVED },
	{ "sql", no_argument, NULL, OPT_SQL },
	{ "target-driver", required_argument, NULL, OPT_TARGET_DRIVER },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "result", required_argument, NULL, OPT_RESULT },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* every command takes these */
static const char global_opts[] = "file directory help version";

/* the option getopt_long returned as c, under its first name (or at longindex, >= 0) */
static const struct option *
option_of(int c, int longindex)
{
	if (longindex >= 0)
		return &longopts[longindex];
	for (const struct option *p = longopts; p->name; p++)
		if (p->val == c)
			return p;
	return NULL;
}

/* name is a word of the space-separated list */
static bool
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* how the user wrote option c: -x when it has a letter and was given so, else --name */
static char *
spelled(int c, int longindex)
{
	if (longindex >= 0)
		return xasprintf("--%s", longopts[longindex].name);
	if (c < 256)
		return xasprintf("-%c", c);
	return xasprintf("--%s", option_of(c, -1)->name);
}

void
opts_unknown(const char *arg, int letter, const struct command *cmd)
{
	char *name = letter ? xasprintf("-%c", letter) : xstrdup(arg);
	const char *best = NULL;
	struct nearest near;

	name[strcspn(name, "=")] = '\0';
	if (!letter && strstarts(name, "--")) {
		nearest_init(&near, name + 2);
		for (const struct option *p = longopts; p->name; p++)
			if (in_list(global_opts, p->name) || (cmd && in_list(cmd->options, p->name)))
				nearest_add(&near, p->name);
		best = nearest_get(&near);
	}
	if (best)
		warning("unknown option '%s': did you mean '--%s'? (see 'chacc %s%s--help')", name, best,
		        cmd ? cmd->name : "", cmd ? " " : "");
	else
		warning("unknown option '%s'%s (see 'chacc %s%s--help')", name,
		        cmd ? "" : " before the command", cmd ? cmd->name : "", cmd ? " " : "");
	free(name);
}

/* a number from 1 to most for option name, or -1 after a usage error */
static long
count_arg(const char *name, const char *arg, long most, const char *what)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (!*arg || *end || v < 1 || v > most) {
		warning("invalid %s '%s' for %s: expected a number from 1 to %ld", what, arg, name, most);
		return -1;
	}
	return v;
}

static void
add_arg(char ***v, size_t *n, char *arg)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = arg;
}

/* take option c with its optarg into o; -1 after a usage error */
static int
take(struct opts *o, int c, const char *name, const struct command *cmd)
{
	switch (c) {
	case 'f': o->file = optarg; break;
	case 'C': o->dir = optarg; break;
	case 'j':
		if ((o->jobs = (int)count_arg(name, optarg, 256, "worker count")) < 0)
			return -1;
		break;
	case 'k': o->keep_going = true; break;
	case 'n': o->dry_run = true; break;
	case 'B': o->force = true; break;
	case 'l':
		if ((o->limit = count_arg(name, optarg, 1000000, "count")) < 0)
			return -1;
		break;
	case 'm': o->message = optarg; break;
	case OPT_FULL_REFRESH: o->full_refresh = true; break;
	case OPT_INCREMENTAL: break;
	case OPT_SINCE: o->since = optarg; break;
	case OPT_SCHEDULED: o->scheduled = true; break;
	case OPT_CENTRAL: break;
	case OPT_REV: o->rev = optarg; break;
	case OPT_JSON: o->json = true; break;
	case OPT_SVG: o->svg = true; break;
	case OPT_SQL: o->sql = true; break;
	case OPT_TARGET_DRIVER: o->target_driver = optarg; break;
	case OPT_BIND: o->bind = optarg; break;
	case OPT_PORT: o->port = optarg; break;
	case OPT_TOKEN: o->token = optarg; break;
	case OPT_USERS: o->users = optarg; break;
	case OPT_ADOPT: add_arg(&o->adopt, &o->nadopt, optarg); break;
	case OPT_EXCLUDE: add_arg(&o->exclude, &o->nexclude, optarg); break;
	case 'y': o->yes = true; break;
	case OPT_OLDER_THAN: o->older_than = optarg; break;
	case OPT_REMOVED: o->removed = true; break;
	case OPT_MODE: o->mode = optarg; break;
	case OPT_RESULT: o->result = optarg; break;
	case OPT_UNTIL: o->until = optarg; break;
	case 'h':
		fputs(cmd->help, stdout);
		exit(EXIT_OK);
	case 'V':
		printf("chacc %s\n", VERSION);
		exit(EXIT_OK);
	}
	return 0;
}

int
opts_parse(int argc, char **argv, struct opts *o, const struct command *cmd)
{
	const struct option *p;
	int c, longindex;

	optind = 0;
	opterr = 0;
	while ((longindex = -1,
	        c = getopt_long(argc, argv, ":f:C:j:knBhVl:m:y", longopts, &longindex)) != -1) {
		char *name;
		int rc;

		if (c == ':') {
			warning("option '%s' needs a value (see 'chacc %s --help')", argv[optind - 1],
			        cmd->name);
			return -1;
		}
		if (c == '?' || !(p = option_of(c, -1))) {
			opts_unknown(argv[optind - 1], optopt, cmd);
			return -1;
		}
		name = spelled(c, longindex);
		if (!in_list(global_opts, p->name) && !in_list(cmd->options, p->name)) {
			warning("'%s' takes no option '%s' (see 'chacc %s --help')", cmd->name, name,
			        cmd->name);
			free(name);
			return -1;
		}
		rc = take(o, c, name, cmd);
		free(name);
		if (rc < 0)
			return -1;
	}
	for (; optind < argc; optind++)
		add_arg(&o->args, &o->nargs, argv[optind]);
	return 0;
}

int
opts_parse_global(int argc, char **argv, struct opts *o, const char *help)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:f:C:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->file = optarg; break;
		case 'C': o->dir = optarg; break;
		case 'h':
			fputs(help, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("chacc %s\n", VERSION);
			exit(EXIT_OK);
		case ':':
			warning("option '%s' needs a value (see 'chacc --help')", argv[optind - 1]);
			return -1;
		default:
			/* a command's option before the command is not a spelling mistake */
			if ((c != '?' && option_of(c, -1)) || (c == '?' && optopt && option_of(optopt, -1)))
				warning("option '%s' goes after the command (see 'chacc --help')",
				        argv[optind - 1]);
			else
				opts_unknown(argv[optind - 1], optopt, NULL);
			return -1;
		}
	}
	return optind;
}
