/* cmd_clean.c: chacc clean: drop what the target database keeps for targets */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "graph.h"
#include "leftovers.h"
#include "recipe.h"
#include "session.h"
#include "store.h"
#include "util.h"

/* ask on the terminal whether to drop every target; true for yes */
static bool
confirm_all(struct session *s)
{
	char line[64];

	fprintf(stderr, "drop the tables of all %zu targets of recipe '%s' in database '%s'? [y/N] ",
	        s->g->nnodes, s->r->name, db_name(s->conns.tgt));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcasecmp(strtrim(line), "y") == 0 || strcasecmp(strtrim(line), "yes") == 0;
}

/* what is kept for the selected targets (in recipe order) into found */
static int
find_selected(struct session *s, struct node **sel, size_t nsel, struct leftovers *found,
              size_t *nfound)
{
	for (size_t i = 0; i < nsel; i++)
		if (leftovers_find(&s->conns, sel[i]->t->name, false, &found[(*nfound)++]) < 0) {
			warning("cannot read what is kept for '%s': %s", sel[i]->t->name,
			        store_error(s->conns.store));
			return EXIT_FAILED;
		}
	return EXIT_OK;
}

/* say what would be dropped (with dry_run) and which tables are kept; the number to drop */
static size_t
show_found(const struct leftovers *found, size_t nfound, bool dry_run)
{
	size_t ndrop = 0;

	for (size_t i = 0; i < nfound; i++) {
		char *what = leftovers_describe(&found[i]);

		if (what && dry_run)
			printf("would drop %s: %s\n", found[i].name, what);
		if (found[i].keep_table)
			printf("%s table '%s': %s\n", dry_run ? "would keep" : "keeping",
			       found[i].name, found[i].others ? "another recipe's marker names it" :
			       "chacc did not make it (no marker; see 'build --adopt')");
		ndrop += what != NULL;
		free(what);
	}
	return ndrop;
}

/* drop what found keeps, as far as no other runner builds it */
static int
drop_found(struct session *s, struct leftovers *found, size_t nfound)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < nfound; i++) {
		char *what = leftovers_describe(&found[i]), *err = NULL;
		int dropped;

		if (!what)
			continue;
		if ((dropped = leftovers_drop(&s->conns, &found[i], &err)) < 0) {
			warning("cannot clean '%s': %s", found[i].name, err);
			free(err);
			rc = EXIT_FAILED;
		} else if (dropped > 0) {
			warning("cannot clean '%s': another runner is building it", found[i].name);
			rc = EXIT_FAILED;
		} else
			printf("cleaned %s: %s\n", found[i].name, what);
		free(what);
	}
	return rc;
}

int
cmd_clean(struct opts *o)
{
	struct session s;
	struct node **sel = NULL;
	struct leftovers *found = NULL;
	size_t nfound = 0, ndrop;
	long nsel;
	int rc;

	/* every target at once is asked for, on a terminal, or said with --yes */
	if (o->nargs == 0 && !o->dry_run && !o->yes && !isatty(STDIN_FILENO)) {
		warning("clean without target names drops every target's table: pass --yes to"
		        " confirm (or name the targets, or -n to see what it would drop)");
		return EXIT_USAGE;
	}
	if ((rc = open_session(&s, o, true)) != EXIT_OK)
		goto out;
	if ((nsel = session_select(&s, o->args, o->nargs, o->exclude, o->nexclude, &sel)) < 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	found = xcalloc(s.g->nnodes + 1, sizeof(*found));
	if ((rc = find_selected(&s, sel, (size_t)nsel, found, &nfound)) != EXIT_OK)
		goto out;
	ndrop = show_found(found, nfound, o->dry_run);
	if (ndrop == 0) {
		printf("nothing to clean\n");
		goto out;
	}
	if (o->dry_run) {
		printf("clean -n: would drop what %zu of %zu targets keep; nothing dropped\n", ndrop,
		       nfound);
		goto out;
	}
	if (o->nargs == 0 && !o->yes && !confirm_all(&s)) {
		printf("nothing dropped\n");
		rc = EXIT_FAILED;
		goto out;
	}
	if ((rc = exit_code(session_upgrade(&s))) != EXIT_OK)
		goto out;
	rc = drop_found(&s, found, nfound);
out:
	for (size_t i = 0; i < nfound; i++)
		leftovers_release(&found[i]);
	free(found);
	free(sel);
	session_release(&s);
	return rc;
}
