/* cmd_config.c: config log and diff, and reviews, on the command line */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "session.h"
#include "table.h"
#include "util.h"
#include "vcs.h"

const char usage_config[] =
	"usage: chacc config log [--json] [-l N] [--rev REF] [TARGET]\n"
	"       chacc config diff [--json] [REV [REV]]\n"
	"\n"
	"The history of the recipes and SQL in git, per target.\n"
	"\n"
	"  log [TARGET]     the commits that changed TARGET's definition (its recipe entry\n"
	"                   or a file it reads), newest first; without TARGET the commits\n"
	"                   that changed a recipe or SQL file, with the targets they changed\n"
	"  diff             HEAD against the working tree; diff REV: REV against the\n"
	"                   working tree; diff REV1 REV2: REV1 against REV2. Prints each\n"
	"                   target added, removed or changed, with its diff, and the impact:\n"
	"                   the targets a build would then run, full or incremental\n"
	"  --rev REF        log from REF instead of HEAD\n"
	"  -l, --limit N    at most N commits\n"
	"\n"
	"Reads git only: no database is opened, and the recipe's variables need not\n"
	"be set (an unset one reads as empty), so it runs in CI without secrets.\n";

const char usage_review[] =
	"usage: chacc review propose [--force] -m MESSAGE [FILE...]\n"
	"       chacc review list [--json]\n"
	"       chacc review show [--json] ID\n"
	"       chacc review approve ID\n"
	"       chacc review reject ID\n"
	"\n"
	"Changes to recipes and SQL go to 'main' after a review.\n"
	"\n"
	"  propose   commit the edited FILEs (default: every changed recipe and SQL file\n"
	"            git tracks; a new file only when named) from the working tree onto a\n"
	"            new branch review/ID-... off 'main', and print the files committed;\n"
	"            the checked-out branch, index and working tree stay as they are;\n"
	"            proposals made at the same time get different ids. A change whose\n"
	"            recipe does not load at the proposed commit is refused (exit 2)\n"
	"            unless --force\n"
	"  list      every review: id, branch, author, date, status, message\n"
	"  show      its diff against 'main' and the targets it would rebuild\n"
	"  approve   merge it into 'main' (fast-forward, or a merge commit); conflicts are\n"
	"            refused. When 'main' is checked out the working tree follows, keeping\n"
	"            edits of other files; when it cannot, a note gives the git commands\n"
	"            that bring it. Who approved is noted (git notes, refs/notes/chacc)\n"
	"  reject    close it unmerged (its branch is kept under refs/chacc/rejected/)\n"
	"\n"
	"The author comes from GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL, CHACC_AUTHOR\n"
	"('Name <email>'), or git config user.name and user.email. Approving here is\n"
	"for whoever may push to the repository; the four-eyes rule of 'chacc serve\n"
	"--users' governs the web UI.\n"
	"\n"
	"No database is opened, and the recipe's variables need not be set.\n";

/* open the repository of the recipe; an exit code */
static int
open_vcs(const struct opts *o, struct vcs **v)
{
	char *err = NULL, cwd[PATH_MAX];
	int rc = vcs_open(v, o->file ? o->file : "chacc.yml", ".", &err);

	if (rc == 1) {
		warning("'%s' is not in a git repository: configs are versioned with git (see git-init(1))",
		        getcwd(cwd, sizeof(cwd)) ? cwd : ".");
		return EXIT_USAGE;
	}
	if (rc < 0) {
		warning("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static void
print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	printf("%s\n", s);
	free(s);
	json_decref(j);
}

/* "2026-01-02 10:00:00 +0100" */
static void
format_time(char *buf, size_t n, long long t, int offset, bool iso)
{
	time_t local = (time_t)(t + offset * 60LL);
	int off = offset < 0 ? -offset : offset;
	struct tm tm;
	size_t k;

	gmtime_r(&local, &tm);
	k = strftime(buf, n, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + k, n - k, iso ? "%c%02d:%02d" : " %c%02d%02d", offset < 0 ? '-' : '+',
	         off / 60, off % 60);
}

static json_t *
commit_json(const struct vcs_commit *c)
{
	char when[40];

	format_time(when, sizeof(when), c->time, c->offset, true);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "commit", c->id, "author", c->author,
	                 "email", c->email, "date", when, "message", c->summary);
}

/* config log */

static int
config_log(struct vcs *v, struct opts *o)
{
	const char *target = o->nargs > 1 ? o->args[1] : NULL;
	struct vcs_log_entry *e = NULL;
	json_t *arr = NULL;
	size_t n = 0;
	char *err = NULL;

	if (o->nargs > 2) {
		warning("config log takes one target at most (see 'chacc config --help')");
		return EXIT_USAGE;
	}
	if (vcs_log(v, o->rev, target, o->limit, &e, &n, &err) < 0) {
		if (!target || !say_unknown_target(o, target))
			warning("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	if (o->json)
		arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char when[40];

		if (o->json) {
			json_t *obj = commit_json(&e[i].c), *ts = json_array();

			for (size_t j = 0; j < e[i].ntargets; j++)
				json_array_append_new(ts, json_pack("{s:s, s:s}", "target",
				        e[i].targets[j].target, "change",
				        vcs_change_name(e[i].targets[j].change)));
			json_object_set_new(obj, "targets", ts);
			json_object_set_new(obj, "recipe_loads", json_boolean(!e[i].broken));
			json_array_append_new(arr, obj);
			continue;
		}
		format_time(when, sizeof(when), e[i].c.time, e[i].c.offset, false);
		if (target) {
			printf("%.10s  %s  %-20s %-18s %s\n", e[i].c.id, when, e[i].c.author,
			       vcs_change_name(e[i].targets[0].change), e[i].c.summary);
			continue;
		}
		printf("%.10s  %s  %s  %s\n", e[i].c.id, when, e[i].c.author, e[i].c.summary);
		if (e[i].broken)
			printf("    (the recipe does not load at this commit)\n");
		else if (e[i].ntargets == 0)
			printf("    (no target definition changed)\n");
		for (size_t j = 0; j < e[i].ntargets; j++)
			printf("    %-18s %s\n", vcs_change_name(e[i].targets[j].change),
			       e[i].targets[j].target);
	}
	if (o->json)
		print_json(arr);
	else if (n == 0)
		printf("no commit changed a recipe or SQL file\n");
	vcs_log_free(e, n);
	return EXIT_OK;
}

/* diffs */

static json_t *
diff_json(const struct vcs_diff *d)
{
	json_t *obj = json_object(), *files = json_array(), *ts = json_array(), *imp = json_array();

	json_object_set_new(obj, "from", json_pack("{s:s, s:s?}", "rev", d->old_name, "commit",
	                                           *d->old_id ? d->old_id : NULL));
	json_object_set_new(obj, "to", json_pack("{s:s, s:s?}", "rev", d->new_name, "commit",
	                                         *d->new_id ? d->new_id : NULL));
	for (size_t i = 0; i < d->files.n; i++)
		json_array_append_new(files, json_pack("{s:s#, s:s}", "status", d->files.v[i], 1,
		                                       "path", d->files.v[i] + 2));
	for (size_t i = 0; i < d->nchanges; i++)
		json_array_append_new(ts, json_pack("{s:s, s:s, s:s?}", "target", d->changes[i].target,
		                                    "change", vcs_change_name(d->changes[i].change),
		                                    "diff", d->changes[i].diff));
	for (size_t i = 0; i < d->nimpact; i++)
		json_array_append_new(imp, json_pack("{s:s, s:s, s:s}", "target", d->impact[i].target,
		                                     "reason", d->impact[i].reason, "mode",
		                                     d->impact[i].full ? "full" : "incremental"));
	json_object_set_new(obj, "files", files);
	json_object_set_new(obj, "targets", ts);
	json_object_set_new(obj, "impact", imp);
	if (d->old_error)
		json_object_set_new(obj, "from_error", json_string(d->old_error));
	if (d->new_error)
		json_object_set_new(obj, "to_error", json_string(d->new_error));
	if (d->raw_diff)
		json_object_set_new(obj, "diff", json_string(d->raw_diff));
	if (d->conflicts.n) {
		json_t *c = json_array();

		for (size_t i = 0; i < d->conflicts.n; i++)
			json_array_append_new(c, json_string(d->conflicts.v[i]));
		json_object_set_new(obj, "conflicts", c);
	}
	return obj;
}

static void
print_side(const char *name, const char *id)
{
	if (*id && strncmp(name, id, strlen(name)) != 0)
		printf("%s (%.10s)", name, id);
	else if (*id)
		printf("%.10s", id);
	else
		printf("%s%s", strcmp(name, "working tree") == 0 ? "the " : "", name);
}

static void
print_diff(const struct vcs_diff *d)
{
	printf("comparing ");
	print_side(d->old_name, d->old_id);
	printf(" with ");
	print_side(d->new_name, d->new_id);
	printf("\n");
	if (d->conflicts.n) {
		printf("\nconflicts with 'main' in:");
		for (size_t i = 0; i < d->conflicts.n; i++)
			printf(" %s", d->conflicts.v[i]);
		printf("\n(below: the change itself, from where it forked)\n");
	}
	if (d->files.n) {
		printf("\nfiles:\n");
		for (size_t i = 0; i < d->files.n; i++)
			printf("  %s\n", d->files.v[i]);
	}
	if (d->old_error || d->new_error) {
		if (d->raw_diff)
			printf("\n%s", d->raw_diff);
		printf("\nthe recipe does not load at the %s:\n%s\n", d->old_error ? d->old_name :
		       d->new_name, d->old_error ? d->old_error : d->new_error);
		return;
	}
	if (d->nchanges == 0)
		printf("\nno target definition changed\n");
	for (size_t i = 0; i < d->nchanges; i++)
		printf("\ntarget %s: %s\n%s", d->changes[i].target,
		       vcs_change_name(d->changes[i].change), d->changes[i].diff ? d->changes[i].diff : "");
	if (d->nimpact == 0) {
		printf("\nimpact: nothing to rebuild\n");
		return;
	}
	printf("\nimpact: %zu target%s to rebuild\n", d->nimpact, d->nimpact == 1 ? "" : "s");
	for (size_t i = 0; i < d->nimpact; i++)
		printf("  %-32s %-18s %s\n", d->impact[i].target, d->impact[i].reason,
		       d->impact[i].full ? "full" : "incremental");
}

static int
config_diff(struct vcs *v, struct opts *o)
{
	struct vcs_diff d;
	char *err = NULL;
	int rc;

	if (o->nargs > 3) {
		warning("config diff takes two revisions at most (see 'chacc config --help')");
		return EXIT_USAGE;
	}
	if (vcs_diff(v, o->nargs > 1 ? o->args[1] : NULL, o->nargs > 2 ? o->args[2] : NULL, &d,
	             &err) < 0) {
		warning("%s", err);
		free(err);
		return EXIT_USAGE;
	}
	if (o->json)
		print_json(diff_json(&d));
	else
		print_diff(&d);
	rc = d.old_error || d.new_error ? EXIT_USAGE : EXIT_OK;
	vcs_diff_release(&d);
	return rc;
}

int
cmd_config(struct opts *o)
{
	struct vcs *v = NULL;
	int rc;

	if (o->nargs == 0 || (strcmp(o->args[0], "log") != 0 && strcmp(o->args[0], "diff") != 0)) {
		warning("%s (see 'chacc config --help')", o->nargs ? "unknown config command" :
		        "config needs a command: log or diff");
		return EXIT_USAGE;
	}
	if ((rc = open_vcs(o, &v)) != EXIT_OK)
		return rc;
	rc = strcmp(o->args[0], "log") == 0 ? config_log(v, o) : config_diff(v, o);
	vcs_free(v);
	return rc;
}

/* reviews */

static json_t *
review_json(const struct vcs_review *rv)
{
	json_t *obj = commit_json(&rv->c);

	json_object_set_new(obj, "id", json_integer(rv->id));
	json_object_set_new(obj, "branch", json_string(rv->branch));
	json_object_set_new(obj, "status", json_string(vcs_review_state_name(rv->state)));
	if (rv->decider) {
		char when[40];

		format_time(when, sizeof(when), rv->decided, rv->decided_offset, true);
		json_object_set_new(obj, "decided_by", json_pack("{s:s, s:s, s:s}", "name",
		                    rv->decider, "email", rv->decider_email, "date", when));
	}
	return obj;
}

static int
review_propose(struct vcs *v, struct opts *o)
{
	struct vcs_proposal pr = {
		.message = o->message, .files = o->args + 1, .nfiles = o->nargs - 1,
		.force = o->force,
	};
	struct vcs_review rv;
	char *err = NULL;
	int rc;

	if (!o->message) {
		warning("review propose needs a message: -m MESSAGE");
		return EXIT_USAGE;
	}
	if ((rc = vcs_review_propose(v, &pr, &rv, &err)) < 0) {
		warning("%s", err);
		free(err);
		vcs_proposal_release(&pr);
		return rc == VCS_RECIPE_BROKEN ? EXIT_USAGE : EXIT_FAILED;
	}
	if (o->json) {
		json_t *obj = review_json(&rv), *files = json_array(), *left = json_array();

		for (size_t i = 0; i < pr.committed.n; i++)
			json_array_append_new(files, json_pack("{s:s#, s:s}", "status",
			                      pr.committed.v[i], 1, "path", pr.committed.v[i] + 2));
		for (size_t i = 0; i < pr.untracked.n; i++)
			json_array_append_new(left, json_string(pr.untracked.v[i]));
		json_object_set_new(obj, "files", files);
		json_object_set_new(obj, "untracked", left);
		print_json(obj);
	} else {
		printf("proposed review %d on branch '%s' (%.10s):\n", rv.id, rv.branch, rv.c.id);
		for (size_t i = 0; i < pr.committed.n; i++)
			printf("  %s\n", pr.committed.v[i]);
	}
	for (size_t i = 0; i < pr.untracked.n; i++)
		warning("left out '%s': git does not track it (name it to propose it)",
		        pr.untracked.v[i]);
	vcs_review_release(&rv);
	vcs_proposal_release(&pr);
	return EXIT_OK;
}

static int
review_list(struct vcs *v, struct opts *o)
{
	struct vcs_review *rv;
	size_t n;
	char *err = NULL;
	json_t *arr = o->json ? json_array() : NULL;

	if (vcs_review_list(v, &rv, &n, &err) < 0) {
		warning("%s", err);
		free(err);
		json_decref(arr);
		return EXIT_FAILED;
	}
	if (!o->json && n) {
		static const char *const heads[] = {
			"ID", "BRANCH", "AUTHOR", "DATE", "STATUS", "MESSAGE",
		};
		struct table *t = table_new(LEN(heads), heads);

		table_column(t, 0, TABLE_RIGHT);
		table_column(t, 4, TABLE_STATE);
		for (size_t i = 0; i < n; i++) {
			char id[16], when[40];
			const char *cells[] = {
				id, rv[i].branch, rv[i].c.author, when,
				vcs_review_state_name(rv[i].state), rv[i].c.summary,
			};

			snprintf(id, sizeof(id), "%d", rv[i].id);
			format_time(when, sizeof(when), rv[i].c.time, rv[i].c.offset, false);
			table_row(t, cells);
		}
		table_print(t, stdout);
		table_free(t);
	}
	for (size_t i = 0; i < n && o->json; i++)
		json_array_append_new(arr, review_json(&rv[i]));
	if (o->json)
		print_json(arr);
	else if (n == 0)
		printf("no reviews (propose one with 'chacc review propose -m MESSAGE')\n");
	vcs_reviews_free(rv, n);
	return EXIT_OK;
}

static int
review_show(struct vcs *v, struct opts *o, struct vcs_review *rv)
{
	struct vcs_diff d;
	char *err = NULL, when[40];

	if (vcs_review_show(v, rv, &d, &err) < 0) {
		warning("%s", err);
		free(err);
		return EXIT_FAILED;
	}
	if (o->json) {
		json_t *obj = diff_json(&d);

		json_object_set_new(obj, "review", review_json(rv));
		print_json(obj);
	} else {
		format_time(when, sizeof(when), rv->c.time, rv->c.offset, false);
		printf("review %d: %s\nbranch: %s\nauthor: %s <%s>\ndate:   %s\nstatus: %s\n",
		       rv->id, rv->c.summary, rv->branch, rv->c.author, rv->c.email, when,
		       vcs_review_state_name(rv->state));
		if (rv->decider) {
			format_time(when, sizeof(when), rv->decided, rv->decided_offset, false);
			printf("%s by: %s <%s> at %s\n", vcs_review_state_name(rv->state), rv->decider,
			       rv->decider_email, when);
		}
		printf("\n");
		print_diff(&d);
	}
	vcs_diff_release(&d);
	return EXIT_OK;
}

static int
review_approve(struct vcs *v, struct vcs_review *rv)
{
	struct vcs_approval a;
	char *err = NULL;

	if (vcs_review_approve(v, rv, &a, &err) < 0) {
		warning("%s", err);
		free(err);
		return EXIT_FAILED;
	}
	printf("approved review %d: %s 'main' %s %.10s%s\n", rv->id,
	       a.merge ? "merged into" : "fast-forwarded", a.merge ? "as" : "to", a.id,
	       a.checked_out ? "; the working tree is up to date" : "");
	if (a.note)
		warning("note: %s", a.note);
	free(a.note);
	return EXIT_OK;
}

static int
review_reject(struct vcs *v, struct vcs_review *rv)
{
	char *err = NULL;

	if (vcs_review_reject(v, rv, &err) < 0) {
		warning("%s", err);
		free(err);
		return EXIT_FAILED;
	}
	printf("rejected review %d (%s)\n", rv->id, rv->branch);
	return EXIT_OK;
}

int
cmd_review(struct opts *o)
{
	static const char *const sub[] = { "propose", "list", "show", "approve", "reject" };
	struct vcs_review rv = { 0 };
	struct vcs *v = NULL;
	const char *what = o->nargs ? o->args[0] : "";
	char *err = NULL;
	size_t k;
	int rc;

	for (k = 0; k < LEN(sub) && strcmp(what, sub[k]) != 0; k++)
		;
	if (k == LEN(sub)) {
		warning("%s (see 'chacc review --help')", *what ? "unknown review command" :
		        "review needs a command: propose, list, show, approve or reject");
		return EXIT_USAGE;
	}
	if (k >= 2 && o->nargs != 2) {
		warning("review %s takes one review id (see 'chacc review list')", what);
		return EXIT_USAGE;
	}
	if (k == 1 && o->nargs != 1) {
		warning("review list takes no arguments");
		return EXIT_USAGE;
	}
	if ((rc = open_vcs(o, &v)) != EXIT_OK)
		return rc;
	if (k >= 2 && vcs_review_get(v, o->args[1], &rv, &err) < 0) {
		warning("%s", err);
		free(err);
		vcs_free(v);
		return EXIT_USAGE;
	}
	switch (k) {
	case 0: rc = review_propose(v, o); break;
	case 1: rc = review_list(v, o); break;
	case 2: rc = review_show(v, o, &rv); break;
	case 3: rc = review_approve(v, &rv); break;
	default: rc = review_reject(v, &rv); break;
	}
	vcs_review_release(&rv);
	vcs_free(v);
	return rc;
}
