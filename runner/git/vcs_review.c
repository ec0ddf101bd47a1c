/* vcs_review.c: reviews: branches review/<id>-<slug> off main, approved by merging */
#include "vcs_impl.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* reviews */

const char *
vcs_review_state_name(enum vcs_review_state s)
{
	switch (s) {
	case REVIEW_OPEN:
		return "open";
	case REVIEW_APPROVED:
		return "approved";
	case REVIEW_REJECTED:
		return "rejected";
	}
	return "?";
}

/* the number that starts a review ref's name ("3-fix-people"), or -1 */
static int
review_num(const char *name)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*name))
		return -1;
	n = strtol(name, &end, 10);
	if ((*end && *end != '-') || n <= 0 || n > INT_MAX)
		return -1;
	return (int)n;
}

/* a review from its ref; 1 when the ref is no review */
int
vcs_review_read(struct vcs *v, git_reference *ref, const git_oid *main, struct vcs_review *out)
{
	const char *name = git_reference_name(ref);
	bool rejected = strstarts(name, REJECTED_REFS);
	const char *rest = name + strlen(rejected ? REJECTED_REFS : REVIEW_REFS);
	git_object *o = NULL;
	int id = review_num(rest);

	if (id < 0 || git_reference_peel(&o, ref, GIT_OBJECT_COMMIT) < 0)
		return 1;
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->branch = xasprintf("review/%s", rest);
	vcs_commit_info((git_commit *)o, &out->c);
	if (rejected)
		out->state = REVIEW_REJECTED;
	else if (main && (git_oid_equal(main, git_object_id(o)) ||
	                  git_graph_descendant_of(v->repo, main, git_object_id(o)) == 1))
		out->state = REVIEW_APPROVED;
	else
		out->state = REVIEW_OPEN;
	git_object_free(o);
	return 0;
}

void
vcs_review_release(struct vcs_review *rv)
{
	free(rv->branch);
	vcs_commit_release(&rv->c);
	memset(rv, 0, sizeof(*rv));
}

void
vcs_reviews_free(struct vcs_review *rv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vcs_review_release(&rv[i]);
	free(rv);
}

static int
cmp_review(const void *a, const void *b)
{
	const struct vcs_review *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int
vcs_review_list(struct vcs *v, struct vcs_review **out, size_t *n, char **err)
{
	static const char *const globs[] = { REVIEW_REFS "*", REJECTED_REFS "*" };
	git_commit *mainc = NULL;
	const git_oid *main;

	*out = NULL;
	*n = 0;
	if (vcs_lookup_main(v, &mainc, err) < 0) {
		free(*err);
		*err = NULL;
	}
	main = mainc ? git_commit_id(mainc) : NULL;
	for (size_t g = 0; g < LEN(globs); g++) {
		git_reference_iterator *it = NULL;
		git_reference *ref;

		if (git_reference_iterator_glob_new(&it, v->repo, globs[g]) < 0) {
			vcs_gerr(err, "cannot list the reviews");
			vcs_reviews_free(*out, *n);
			*out = NULL;
			*n = 0;
			git_commit_free(mainc);
			return -1;
		}
		while (git_reference_next(&ref, it) == 0) {
			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			if (vcs_review_read(v, ref, main, &(*out)[*n]) == 0)
				(*n)++;
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	git_commit_free(mainc);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_review);
	return 0;
}

int
vcs_review_get(struct vcs *v, const char *id, struct vcs_review *out, char **err)
{
	struct vcs_review *all;
	size_t n;
	int num = review_num(strstarts(id, "review/") ? id + strlen("review/") : id), rc = -1;

	memset(out, 0, sizeof(*out));
	if (vcs_review_list(v, &all, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (all[i].id == num && num > 0) {
			*out = all[i];
			memset(&all[i], 0, sizeof(all[i]));
			rc = 0;
			break;
		}
	vcs_reviews_free(all, n);
	if (rc < 0)
		vcs_err(err, "unknown review '%s' (see 'chacc review list')", id);
	return rc;
}

/* who commits: the environment, then git config */
int
vcs_author(struct vcs *v, git_signature **sig, char **err)
{
	const char *name = getenv("GIT_AUTHOR_NAME"), *email = getenv("GIT_AUTHOR_EMAIL");
	const char *ca = getenv("CHACC_AUTHOR");
	int rc;

	if (name && *name)
		rc = git_signature_now(sig, name, email ? email : "");
	else if (ca && *ca) {
		const char *lt = strchr(ca, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		char *n = lt && gt ? xstrndup(ca, (size_t)(lt - ca)) : xstrdup(ca);
		char *e = lt && gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : xstrdup("");

		rc = git_signature_now(sig, strtrim(n), strtrim(e));
		free(n);
		free(e);
	} else if (git_signature_default(sig, v->repo) == 0)
		return 0;
	else
		return vcs_err(err, "no author for the commit: set GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL,"
		            " CHACC_AUTHOR='Name <email>', or git config user.name and user.email");
	if (rc < 0)
		return vcs_gerr(err, "invalid author");
	return 0;
}

/* the files of a merge that conflict */
void
vcs_conflict_paths(git_index *idx, struct strlist *out)
{
	git_index_conflict_iterator *it = NULL;
	const git_index_entry *a, *o, *t;

	if (git_index_conflict_iterator_new(&it, idx) < 0)
		return;
	while (git_index_conflict_next(&a, &o, &t, it) == 0)
		paths_add_new(out, xstrdup(o ? o->path : t ? t->path : a->path));
	git_index_conflict_iterator_free(it);
}

/* the tree of merging tip into main, or a message naming the conflicts */
static int
merge_tree(struct vcs *v, git_commit *mainc, git_commit *tip, git_oid *tree, struct strlist *conflicts,
           char **err)
{
	git_index *idx = NULL;
	int rc = -1;

	if (git_merge_commits(&idx, v->repo, mainc, tip, NULL) < 0)
		return vcs_gerr(err, "cannot merge into 'main'");
	if (git_index_has_conflicts(idx)) {
		vcs_conflict_paths(idx, conflicts);
		vcs_err(err, "conflicts with 'main'");
	} else if (git_index_write_tree_to(tree, idx, v->repo) < 0)
		vcs_gerr(err, "cannot write the merged tree");
	else
		rc = 0;
	git_index_free(idx);
	return rc;
}

int
vcs_review_show(struct vcs *v, const struct vcs_review *rv, struct vcs_diff *out, char **err)
{
	git_commit *tip = NULL, *mainc = NULL, *base = NULL;
	struct strlist conflicts = { 0 };
	struct side a, b;
	bool have_a = false, have_b = false;
	git_tree *merged = NULL;
	git_oid tree, mb;
	char *e = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (vcs_lookup_id(v, rv->c.id, &tip, err) < 0)
		goto out;
	if (rv->state == REVIEW_OPEN && vcs_lookup_main(v, &mainc, err) < 0)
		goto out;
	if (rv->state != REVIEW_OPEN) {
		/* its own change: from its first parent */
		if (git_commit_parentcount(tip) > 0 && git_commit_parent(&base, tip, 0) == 0) {
			if (side_commit(v, &a, "its parent", base, err) < 0)
				goto out;
		} else
			side_tree(&a, "nothing", NULL, NULL);
		have_a = true;
	} else {
		if (side_commit(v, &a, "main", mainc, err) < 0)
			goto out;
		have_a = true;
		if (git_graph_descendant_of(v->repo, git_commit_id(tip), git_commit_id(mainc)) != 1 &&
		    merge_tree(v, mainc, tip, &tree, &conflicts, &e) == 0) {
			/* what approving would make of main */
			if (git_tree_lookup(&merged, v->repo, &tree) < 0) {
				vcs_gerr(err, "cannot read the merged tree");
				goto out;
			}
			char *name = xasprintf("main + %s", rv->branch);

			side_tree(&b, name, merged, NULL);
			free(name);
			merged = NULL;
			have_b = true;
		} else if (conflicts.n && git_merge_base(&mb, v->repo, git_commit_id(mainc),
		                                         git_commit_id(tip)) == 0 &&
		           git_commit_lookup(&base, v->repo, &mb) == 0) {
			/* it cannot merge: show its own change, from where it forked */
			side_release(&a);
			if (side_commit(v, &a, "its base", base, err) < 0) {
				have_a = false;
				goto out;
			}
		} else if (e) {
			*err = e;
			e = NULL;
			goto out;
		}
	}
	if (!have_b) {
		if (side_commit(v, &b, rv->branch, tip, err) < 0)
			goto out;
		have_b = true;
	}
	rc = vcs_compare(v, &a, &b, out, err);
	out->conflicts = conflicts;
	conflicts = (struct strlist){ 0 };
out:
	if (rc < 0)
		vcs_diff_release(out);
	if (have_a)
		side_release(&a);
	if (have_b)
		side_release(&b);
	paths_release(&conflicts);
	free(e);
	git_tree_free(merged);
	git_commit_free(tip);
	git_commit_free(mainc);
	git_commit_free(base);
	return rc;
}

/* tracked files of the working tree or index differ from HEAD */
static int
tracked_changes(struct vcs *v, bool *dirty, char **err)
{
	struct strlist changed = { 0 };

	if (vcs_status_files(v, NULL, true, &changed, err) < 0)
		return -1;
	*dirty = changed.n > 0;
	paths_release(&changed);
	return 0;
}

/* main is the checked-out branch */
static bool
main_checked_out(struct vcs *v)
{
	git_reference *head = NULL;
	bool yes = git_repository_head(&head, v->repo) == 0 &&
	           git_repository_head_detached(v->repo) != 1 &&
	           strcmp(git_reference_name(head), MAIN_REF) == 0;

	git_reference_free(head);
	return yes;
}

/* the commit 'main' moves to: tip when it descends from main, else a merge of both (*merged) */
static int
approved_commit(struct vcs *v, const struct vcs_review *rv, git_commit *mainc, git_commit *tip,
                git_oid *noid, bool *merged, char **err)
{
	const git_commit *parents[] = { mainc, tip };
	struct strlist conflicts = { 0 };
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid toid;
	char *msg = NULL, *e = NULL;
	int rc = -1;

	if (git_graph_descendant_of(v->repo, git_commit_id(tip), git_commit_id(mainc)) == 1) {
		*noid = *git_commit_id(tip);
		return 0;
	}
	if (merge_tree(v, mainc, tip, &toid, &conflicts, &e) < 0) {
		if (conflicts.n) {
			char *list = paths_quoted(&conflicts);

			vcs_err(err, "review %d conflicts with 'main' in %s: nothing merged; propose the"
			     " change again on top of 'main'", rv->id, list);
			free(list);
		} else {
			*err = e;
			e = NULL;
		}
		goto out;
	}
	msg = xasprintf("Merge %s into main\n\n%s\n", rv->branch, rv->c.summary);
	if (vcs_author(v, &sig, err) < 0)
		goto out;
	if (git_tree_lookup(&tree, v->repo, &toid) < 0 ||
	    git_commit_create(noid, v->repo, NULL, sig, sig, NULL, msg, tree, 2, parents) < 0) {
		vcs_gerr(err, "cannot commit the merge of review %d", rv->id);
		goto out;
	}
	*merged = true;
	rc = 0;
out:
	paths_release(&conflicts);
	git_signature_free(sig);
	git_tree_free(tree);
	free(msg);
	free(e);
	return rc;
}

/*
 * before 'main' moves from old to noid: update the working tree when 'main'
 * is checked out without changes, else say in out->note why not
 */
static int
checkout_approved(struct vcs *v, const git_oid *noid, const char *old, struct vcs_approval *out,
                  char **err)
{
	git_checkout_options co;
	git_commit *newc = NULL;
	bool dirty = false;
	int rc = 0;

	if (!main_checked_out(v)) {
		out->note = xstrdup("'main' is not checked out here: only the branch moved");
		return 0;
	}
	if (tracked_changes(v, &dirty, err) < 0)
		return -1;
	if (dirty) {
		out->note = xasprintf("'main' is checked out with uncommitted changes, so only the"
		                      " branch moved: the index and files are still those of %.10s"
		                      " plus your edits. To update them and keep your edits:"
		                      " git read-tree -m -u %.10s main", old, old);
		return 0;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (git_commit_lookup(&newc, v->repo, noid) < 0 ||
	    git_checkout_tree(v->repo, (const git_object *)newc, &co) < 0)
		rc = vcs_gerr(err, "cannot update the working tree to the approved 'main'; 'main' not moved");
	else
		out->checked_out = true;
	git_commit_free(newc);
	return rc;
}

int
vcs_review_approve(struct vcs *v, const struct vcs_review *rv, struct vcs_approval *out,
                   char **err)
{
	git_commit *tip = NULL, *mainc = NULL;
	git_reference *ref = NULL;
	git_oid noid;
	char old[41], *logmsg = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (rv->state == REVIEW_APPROVED)
		return vcs_err(err, "review %d is approved already: it is in 'main'", rv->id);
	if (rv->state == REVIEW_REJECTED)
		return vcs_err(err, "review %d was rejected", rv->id);
	if (vcs_lookup_id(v, rv->c.id, &tip, err) < 0 || vcs_lookup_main(v, &mainc, err) < 0)
		goto out;
	git_oid_tostr(old, sizeof(old), git_commit_id(mainc));
	if (approved_commit(v, rv, mainc, tip, &noid, &out->merge, err) < 0 ||
	    checkout_approved(v, &noid, old, out, err) < 0)
		goto out;
	logmsg = xasprintf("chacc review approve %d: %s", rv->id,
	                   out->merge ? "merge" : "fast-forward");
	if (git_reference_create_matching(&ref, v->repo, MAIN_REF, &noid, 1, git_commit_id(mainc),
	                                  logmsg) < 0) {
		vcs_gerr(err, "cannot move branch 'main'");
		goto out;
	}
	git_oid_tostr(out->id, sizeof(out->id), &noid);
	rc = 0;
out:
	if (rc < 0) {
		free(out->note);
		out->note = NULL;
	}
	git_reference_free(ref);
	git_commit_free(tip);
	git_commit_free(mainc);
	free(logmsg);
	return rc;
}

int
vcs_review_reject(struct vcs *v, const struct vcs_review *rv, char **err)
{
	git_reference *ref = NULL, *rej = NULL, *head = NULL;
	char *name = xasprintf("refs/heads/%s", rv->branch);
	char *rname = xasprintf(REJECTED_REFS "%s", rv->branch + strlen("review/"));
	int rc = -1;

	if (rv->state != REVIEW_OPEN) {
		vcs_err(err, "review %d is %s already", rv->id, vcs_review_state_name(rv->state));
		goto out;
	}
	if (git_repository_head(&head, v->repo) == 0 && strcmp(git_reference_name(head), name) == 0) {
		vcs_err(err, "the branch '%s' of review %d is checked out: check out another branch first",
		     rv->branch, rv->id);
		goto out;
	}
	if (git_reference_lookup(&ref, v->repo, name) < 0 ||
	    git_reference_create(&rej, v->repo, rname, git_reference_target(ref), 0,
	                         "chacc review reject") < 0 ||
	    git_reference_delete(ref) < 0) {
		vcs_gerr(err, "cannot reject review %d", rv->id);
		goto out;
	}
	rc = 0;
out:
	git_reference_free(ref);
	git_reference_free(rej);
	git_reference_free(head);
	free(name);
	free(rname);
	return rc;
}
