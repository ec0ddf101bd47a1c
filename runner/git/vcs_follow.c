/*
 * vcs_follow.c: after an approval, the working tree follows 'main'. Each
 * file the approval changes is updated when the working tree and index
 * still hold its old text, or only its index entry when the file holds the
 * approved text already (the usual case after 'chacc review propose', which
 * leaves the edits in place); the user's edits of other files stay. When a
 * file holds edits of its own, nothing is touched and the note says which
 * git commands bring the files (git merges the edits in).
 */
#include "vcs_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* what to do for a file the approval changes */
enum step { STEP_INDEX, STEP_WRITE, STEP_CONFLICT };

/* the blob id the working tree holds at path; false when there is no file */
static bool
worktree_id(struct vcs *v, const char *path, git_oid *id, bool *ok)
{
	char *full = xasprintf("%s/%s", v->top, path);
	struct stat st;
	bool present = lstat(full, &st) == 0;

	*ok = true;
	if (present && S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(full, target, sizeof(target));

		*ok = n >= 0 && git_odb_hash(id, target, (size_t)n, GIT_OBJECT_BLOB) == 0;
	} else if (present && S_ISREG(st.st_mode))
		*ok = git_repository_hashfile(id, v->repo, path, GIT_OBJECT_BLOB, NULL) == 0;
	else if (present)
		*ok = false;
	free(full);
	return present;
}

/* a side of the file (present, id) is the same as blob f of a diff (absent when !exists) */
static bool
same(bool present, const git_oid *id, const git_diff_file *f, bool exists)
{
	return present == exists && (!present || git_oid_equal(id, &f->id));
}

/* what the file of delta d needs */
static enum step
plan_step(struct vcs *v, git_index *idx, const git_diff_delta *d)
{
	const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;
	bool had = d->status != GIT_DELTA_ADDED, has = d->status != GIT_DELTA_DELETED, ok;
	const git_index_entry *ie = git_index_get_bypath(idx, path, 0);
	git_oid wid;
	bool wpresent = worktree_id(v, path, &wid, &ok);

	if (!ok)
		return STEP_CONFLICT;
	if (same(wpresent, &wid, &d->new_file, has))
		return STEP_INDEX;
	if (same(wpresent, &wid, &d->old_file, had) &&
	    same(ie != NULL, ie ? &ie->id : &wid, &d->old_file, had))
		return STEP_WRITE;
	return STEP_CONFLICT;
}

/* the index entries of the files that hold the approved text already */
static int
update_index(struct vcs *v, const struct strlist *paths, const struct strlist *gone, char **err)
{
	git_index *idx = NULL;
	int rc = 0;

	if (git_repository_index(&idx, v->repo) < 0 || git_index_read(idx, 1) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < paths->n; i++)
		rc = git_index_add_bypath(idx, paths->v[i]);
	for (size_t i = 0; rc == 0 && i < gone->n; i++)
		if (git_index_get_bypath(idx, gone->v[i], 0))
			rc = git_index_remove_bypath(idx, gone->v[i]);
	if (rc == 0)
		rc = git_index_write(idx);
	git_index_free(idx);
	return rc < 0 ? vcs_gerr(err, "cannot update the index to the approved 'main'") : 0;
}

/* write the files of paths as in commit c, with their index entries */
static int
write_files(struct vcs *v, git_commit *c, struct strlist *paths, char **err)
{
	git_checkout_options co;

	if (paths->n == 0)
		return 0;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.paths.strings = paths->v;
	co.paths.count = paths->n;
	if (git_checkout_tree(v->repo, (const git_object *)c, &co) < 0)
		return vcs_gerr(err, "cannot update the working tree to the approved 'main'");
	return 0;
}

/* the checked-out branch's short name, or NULL when main is checked out */
static char *
other_branch(struct vcs *v)
{
	git_reference *head = NULL;
	char *name;

	if (git_repository_head(&head, v->repo) < 0) {
		git_error_clear();
		return xstrdup("no branch");
	}
	if (git_repository_head_detached(v->repo) == 1)
		name = xstrdup("a detached HEAD");
	else if (strcmp(git_reference_name(head), MAIN_REF) == 0)
		name = NULL;
	else
		name = xasprintf("'%s'", git_reference_shorthand(head));
	git_reference_free(head);
	return name;
}

/* plan every changed file: to write, to index, gone (index only), conflicting */
static int
plan(struct vcs *v, git_commit *old, git_commit *new, struct strlist *write,
     struct strlist *index, struct strlist *gone, struct strlist *conflicts, char **err)
{
	git_tree *ot = NULL, *nt = NULL;
	git_diff *diff = NULL;
	git_index *idx = NULL;
	int rc = -1;

	if (git_commit_tree(&ot, old) < 0 || git_commit_tree(&nt, new) < 0 ||
	    git_diff_tree_to_tree(&diff, v->repo, ot, nt, NULL) < 0 ||
	    git_repository_index(&idx, v->repo) < 0) {
		vcs_gerr(err, "cannot compare the working tree with the approved 'main'");
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;

		switch (plan_step(v, idx, d)) {
		case STEP_WRITE:
			paths_add(write, xstrdup(path));
			break;
		case STEP_INDEX:
			paths_add(d->status == GIT_DELTA_DELETED ? gone : index, xstrdup(path));
			break;
		default:
			paths_add(conflicts, xstrdup(path));
		}
	}
	rc = 0;
out:
	git_index_free(idx);
	git_diff_free(diff);
	git_tree_free(ot);
	git_tree_free(nt);
	return rc;
}

int
vcs_follow_main(struct vcs *v, git_commit *old, git_commit *new, struct vcs_approval *out,
                char **err)
{
	struct strlist write = { 0 }, index = { 0 }, gone = { 0 }, conflicts = { 0 };
	char oid[GIT_OID_HEXSZ + 1], *branch = other_branch(v), *list;
	int rc = 0;

	git_oid_tostr(oid, sizeof(oid), git_commit_id(old));
	if (branch) {
		out->note = xasprintf("'main' is not checked out here (%s is): only the branch"
		                      " moved. To switch to it, keeping your edits: git checkout -m main",
		                      branch);
		free(branch);
		return 0;
	}
	if (plan(v, old, new, &write, &index, &gone, &conflicts, err) < 0)
		rc = -1;
	else if (conflicts.n) {
		list = paths_quoted(&conflicts);
		out->note = xasprintf("the working tree has edits of its own in %s, which the approval"
		                      " changes: only the branch moved, the files and index are still"
		                      " those of %.10s plus your edits. To bring them up to date,"
		                      " merging your edits: git checkout -q --detach %.10s &&"
		                      " git checkout -m main", list, oid, oid);
		free(list);
	} else if (write_files(v, new, &write, err) < 0 || update_index(v, &index, &gone, err) < 0)
		rc = -1;
	else
		out->checked_out = true;
	strlist_release(&write);
	strlist_release(&index);
	strlist_release(&gone);
	strlist_release(&conflicts);
	return rc;
}
