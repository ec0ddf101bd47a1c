/* vcs_review.c: reviews: branches review/<id>-<slug> off main, approved by merging */
#include "vcs_impl.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/*
 * who decided on the review whose newest commit is id: its note, "approved"
 * or "rejected" and on the next line who and when, as git writes an author
 * ("Name <email> 1767225600 +0100"). The notes commit's own author is only
 * the last note's.
 */
static void
read_decision(struct vcs *v, const git_oid *id, struct vcs_review *out)
{
	git_note *note = NULL;
	git_signature *sig = NULL;
	const char *msg, *nl;

	if (git_note_read(&note, v->repo, NOTES_REF, id) < 0) {
		git_error_clear();
		return;
	}
	msg = git_note_message(note);
	if (msg && (nl = strchr(msg, '\n')) && git_signature_from_buffer(&sig, nl + 1) == 0) {
		out->decider = xstrdup(sig->name);
		out->decider_email = xstrdup(sig->email);
		out->decided = (long long)sig->when.time;
		out->decided_offset = sig->when.offset;
	}
	git_error_clear();
	git_signature_free(sig);
	git_note_free(note);
}

int
vcs_note_decision(struct vcs *v, const git_oid *id, const char *what, char **err)
{
	git_signature *sig = NULL;
	git_oid noid;
	char *msg;
	int rc = 0, off;

	if (vcs_author(v, &sig, err) < 0)
		return -1;
	off = sig->when.offset < 0 ? -sig->when.offset : sig->when.offset;
	msg = xasprintf("%s\n%s <%s> %lld %c%02d%02d\n", what, sig->name, sig->email,
	                (long long)sig->when.time, sig->when.offset < 0 ? '-' : '+', off / 60,
	                off % 60);
	if (git_note_create(&noid, v->repo, NOTES_REF, sig, sig, id, msg, 1) < 0)
		rc = vcs_gerr(err, "cannot note who %s it", what);
	free(msg);
	git_signature_free(sig);
	return rc;
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
	read_decision(v, git_object_id(o), out);
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
	free(rv->decider);
	free(rv->decider_email);
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

void
vcs_set_author(struct vcs *v, const char *name, const char *email)
{
	free(v->author);
	free(v->email);
	v->author = name ? xstrdup(name) : NULL;
	v->email = name ? xstrdup(email ? email : "") : NULL;
}

/* the same person: a name or an email (not empty) in common */
static bool
same_person(const git_signature *a, const char *name, const char *email)
{
	return (name && *name && a->name && strcmp(a->name, name) == 0) ||
	       (email && *email && a->email && strcasecmp(a->email, email) == 0);
}

int
vcs_review_authored_by(struct vcs *v, const struct vcs_review *rv, const char *name,
                       const char *email, char **err)
{
	git_revwalk *walk = NULL;
	git_commit *tip = NULL, *mainc = NULL, *c;
	git_oid id;
	int rc = 0;

	if (vcs_lookup_id(v, rv->c.id, &tip, err) < 0)
		return -1;
	rc = same_person(git_commit_author(tip), name, email);
	if (git_revwalk_new(&walk, v->repo) < 0 || git_revwalk_push(walk, git_commit_id(tip)) < 0) {
		rc = vcs_gerr(err, "cannot read the commits of review %d", rv->id);
		goto out;
	}
	if (vcs_lookup_main(v, &mainc, err) == 0)
		git_revwalk_hide(walk, git_commit_id(mainc));
	else {
		free(*err);
		*err = NULL;
	}
	while (rc == 0 && git_revwalk_next(&id, walk) == 0) {
		if (git_commit_lookup(&c, v->repo, &id) < 0)
			continue;
		rc = same_person(git_commit_author(c), name, email);
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	git_commit_free(tip);
	git_commit_free(mainc);
	return rc;
}

/* who commits: vcs_set_author, the environment, then git config */
int
vcs_author(struct vcs *v, git_signature **sig, char **err)
{
	const char *name = getenv("GIT_AUTHOR_NAME"), *email = getenv("GIT_AUTHOR_EMAIL");
	const char *ca = getenv("CHACC_AUTHOR");
	int rc;

	if (v->author)
		rc = git_signature_now(sig, v->author, v->email);
	else if (name && *name)
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
	strlist_release(&conflicts);
	free(e);
	git_tree_free(merged);
	git_commit_free(tip);
	git_commit_free(mainc);
	git_commit_free(base);
	return rc;
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
	strlist_release(&conflicts);
	git_signature_free(sig);
	git_tree_free(tree);
	free(msg);
	free(e);
	return rc;
}

int
vcs_review_approve(struct vcs *v, const struct vcs_review *rv, struct vcs_approval *out,
                   char **err)
{
	git_commit *tip = NULL, *mainc = NULL, *newc = NULL;
	git_reference *ref = NULL;
	git_oid noid;
	char *logmsg = NULL, *e = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (rv->state == REVIEW_APPROVED)
		return vcs_err(err, "review %d is approved already: it is in 'main'", rv->id);
	if (rv->state == REVIEW_REJECTED)
		return vcs_err(err, "review %d was rejected", rv->id);
	if (vcs_lookup_id(v, rv->c.id, &tip, err) < 0 || vcs_lookup_main(v, &mainc, err) < 0)
		goto out;
	if (approved_commit(v, rv, mainc, tip, &noid, &out->merge, err) < 0)
		goto out;
	if (git_commit_lookup(&newc, v->repo, &noid) < 0) {
		vcs_gerr(err, "cannot read the approved commit");
		goto out;
	}
	/* before 'main' moves: when the files cannot follow, 'main' stays */
	if (vcs_follow_main(v, mainc, newc, out, err) < 0)
		goto out;
	logmsg = xasprintf("chacc review approve %d: %s", rv->id,
	                   out->merge ? "merge" : "fast-forward");
	if (git_reference_create_matching(&ref, v->repo, MAIN_REF, &noid, 1, git_commit_id(mainc),
	                                  logmsg) < 0) {
		vcs_gerr(err, "cannot move branch 'main'");
		goto out;
	}
	git_oid_tostr(out->id, sizeof(out->id), &noid);
	/* who approved; without an author the approval stands unnoted */
	if (vcs_note_decision(v, git_commit_id(tip), "approved", &e) < 0)
		free(e);
	rc = 0;
out:
	if (rc < 0) {
		free(out->note);
		out->note = NULL;
	}
	git_reference_free(ref);
	git_commit_free(tip);
	git_commit_free(mainc);
	git_commit_free(newc);
	free(logmsg);
	return rc;
}

int
vcs_review_reject(struct vcs *v, const struct vcs_review *rv, char **err)
{
	git_reference *ref = NULL, *rej = NULL, *head = NULL;
	char *name = xasprintf("refs/heads/%s", rv->branch);
	char *rname = xasprintf(REJECTED_REFS "%s", rv->branch + strlen("review/")), *e = NULL;
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
	if (vcs_note_decision(v, git_reference_target(rej), "rejected", &e) < 0)
		free(e);
	rc = 0;
out:
	git_reference_free(ref);
	git_reference_free(rej);
	git_reference_free(head);
	free(name);
	free(rname);
	return rc;
}
