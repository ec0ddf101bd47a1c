/* cmd.h: the commands of the chacc command line */
#ifndef CHACC_CMD_H
#define CHACC_CMD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "session.h"

struct session;
struct node;
struct plan_item;
struct run_request;

#define VERSION "0.1.0"

/* exit codes of DESIGN §6 */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_LOCKED = 75,
	EXIT_INTERRUPTED = 130,
};

/* the command line, parsed */
struct opts {
	const char *file;        /* -f */
	const char *dir;         /* -C */
	int jobs;                /* -j, --workers */
	bool keep_going, dry_run, force, full_refresh, scheduled, json, svg;
	const char *since;       /* --since, --last-updated */
	const char *rev;         /* --rev */
	long limit;              /* history, config log: -l, --limit */
	const char *message;     /* review propose -m */
	char **args;             /* selectors (select.h), a run id, ... */
	size_t nargs;
	char **exclude;          /* --exclude SELECTOR, each */
	size_t nexclude;
	const char *started_by;  /* who asked for a build (default: user@host) */
	const char *bind, *port; /* serve --bind, --port */
	const char *token;       /* serve --token */
	const char *users;       /* serve --users FILE */
	char **adopt;            /* build --adopt TARGET, each */
	size_t nadopt;
	bool yes;                /* clean -y, --yes: no question */
	const char *older_than;  /* prune --older-than */
	bool removed;            /* prune --removed */
	bool sql;                /* validate --sql */
	const char *mode, *result, *until;  /* history --mode, --result, --until */
	const char *target_driver;  /* import --target-driver */
};

/* a command of the command line */
struct command {
	const char *name;
	int (*fn)(struct opts *);
	const char *help;
	const char *options;     /* the options it takes, by first long name, space-separated */
};

/*
 * opts.c: options may come anywhere after the command. An option the
 * command does not take is a usage error naming it; an unknown one gets the
 * nearest the command takes, when one is close.
 */
/* parse cmd's line (argv[0] is its name) into o; -1 after printing a usage error */
int opts_parse(int argc, char **argv, struct opts *o, const struct command *cmd);
/* the global options before the command into o (help printed, exits); the command's index, or -1 */
int opts_parse_global(int argc, char **argv, struct opts *o, const char *help);
/* print that option arg (or letter, if not 0) is unknown to cmd (NULL: before any command) */
void opts_unknown(const char *arg, int letter, const struct command *cmd);

/*
 * main.c: what the commands share. Problems the core finds (diag.h) are
 * printed to stderr as they happen: "file:line:col: message", or "chacc: "
 * and the message when it is not about a file.
 */
/* the exit code of an outcome */
int exit_code(enum outcome o);
/* the request the command line asks for (diagnostics printed to stderr) */
void opts_request(const struct opts *o, struct run_request *rq);
/* load the recipe and, if connect, reach the target; returns an exit code */
int open_session(struct session *s, const struct opts *o, bool connect);
/* plan the selection in o; the count to build, -1 on probe error, -2 on unknown names */
long make_plan(struct session *s, const struct opts *o, struct node ***order, size_t *norder,
               struct plan_item **items);
/*
 * when name is no target of the recipe (at --rev), say so with the nearest
 * target's name and return true; false when there is none near (or no recipe)
 */
bool say_unknown_target(const struct opts *o, const char *name);
/* print a plan as text or JSON */
void print_plan(const struct plan_item *items, size_t n, bool json);

int cmd_status(struct opts *o);
int cmd_history(struct opts *o);
int cmd_clean(struct opts *o);
int cmd_config(struct opts *o);
int cmd_review(struct opts *o);
int cmd_serve(struct opts *o);
int cmd_prune(struct opts *o);
int cmd_import(struct opts *o);
int cmd_test(struct opts *o);
int cmd_profile(struct opts *o);

extern const char usage_status[], usage_history[], usage_clean[];
extern const char usage_config[], usage_review[];
extern const char usage_serve[];
extern const char usage_prune[];
extern const char usage_import[];
extern const char usage_test[], usage_profile[];

#endif
