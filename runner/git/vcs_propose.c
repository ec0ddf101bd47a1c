/* vcs_propose.c: proposing a review: its tree (from the working tree, or an edit in memory) and its number */
#include "vcs_impl.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* names tried after the next free review number is taken by a branch chacc did not make */
#define MAX_TRIES 100

/* a branch name's part from a message: lowercase words joined by '-' */
static char *
slugify(const char *msg)
{
	struct buf b;
	bool dash = false;

	buf_init(&b);
	for (const char *p = msg; *p && *p != '\n' && b.len < 40; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 128 && isalnum(c)) {
			if (dash && b.len)
				buf_addc(&b, '-');
			buf_addc(&b, (char)tolower(c));
			dash = false;
		} else
			dash = true;
	}
	if (b.len == 0)
		buf_adds(&b, "change");
	return buf_detach(&b);
}

/* "M path" into committed when entry up differs from HEAD's (e) */
static void
note_committed(struct strlist *committed, const git_tree_update *up, const git_tree_entry *e)
{
	if (up->action == GIT_TREE_UPDATE_REMOVE)
		paths_add(committed, xasprintf("D %s", up->path));
	else if (!e)
		paths_add(committed, xasprintf("A %s", up->path));
	else if (!git_oid_equal(git_tree_entry_id(e), &up->id) ||
	         git_tree_entry_filemode(e) != up->filemode)
		paths_add(committed, xasprintf("M %s", up->path));
}

/*
 * the tree of HEAD with paths as in the working tree: files, executables
 * and symbolic links; what differs from HEAD into committed
 */
static int
worktree_tree(struct vcs *v, git_tree *head, const struct strlist *paths, git_oid *out,
              struct strlist *committed, char **err)
{
	git_tree_update *up = xcalloc(paths->n ? paths->n : 1, sizeof(*up));
	git_tree_entry *e = NULL;
	int rc = -1;
	size_t i;

	for (i = 0; i < paths->n; i++) {
		char *full = xasprintf("%s/%s", v->top, paths->v[i]);
		struct stat st;
		int gone = lstat(full, &st) < 0 && errno == ENOENT;

		free(full);
		up[i].path = paths->v[i];
		if (!gone && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
			if (git_blob_create_from_workdir(&up[i].id, v->repo, paths->v[i]) < 0) {
				vcs_gerr(err, "cannot read '%s'", paths->v[i]);
				goto out;
			}
			up[i].action = GIT_TREE_UPDATE_UPSERT;
			up[i].filemode = S_ISLNK(st.st_mode) ? GIT_FILEMODE_LINK :
			                 st.st_mode & S_IXUSR ? GIT_FILEMODE_BLOB_EXECUTABLE :
			                 GIT_FILEMODE_BLOB;
			if (git_tree_entry_bypath(&e, head, paths->v[i]) < 0)
				e = NULL;
			note_committed(committed, &up[i], e);
			git_tree_entry_free(e);
			e = NULL;
		} else if (!gone) {
			vcs_err(err, "'%s' is not a file: name the files to propose", paths->v[i]);
			goto out;
		} else if (git_tree_entry_bypath(&e, head, paths->v[i]) == 0) {
			up[i].action = GIT_TREE_UPDATE_REMOVE;
			note_committed(committed, &up[i], e);
			git_tree_entry_free(e);
			e = NULL;
		} else {
			vcs_err(err, "no file '%s'", paths->v[i]);
			goto out;
		}
	}
	if (git_tree_create_updated(out, v->repo, head, paths->n, up) < 0)
		vcs_gerr(err, "cannot make the tree of the proposal");
	else
		rc = 0;
out:
	free(up);
	return rc;
}

/*
 * the tree of the proposal: main with the changes tree w makes to HEAD's
 * (w itself when HEAD is main); conflict says what conflicts, in messages
 */
static int
onto_main(struct vcs *v, git_commit *head, git_commit *mainc, const git_oid *w,
          const char *conflict, git_oid *out, char **err)
{
	git_tree *ht = NULL, *mt = NULL, *wt = NULL;
	git_index *idx = NULL;
	struct strlist conflicts = { 0 };
	int rc = -1;

	if (git_commit_tree(&ht, head) < 0 || git_commit_tree(&mt, mainc) < 0) {
		vcs_gerr(err, "cannot read the trees of 'HEAD' and 'main'");
		goto out;
	}
	if (git_oid_equal(git_commit_id(head), git_commit_id(mainc)))
		*out = *w;
	else if (git_tree_lookup(&wt, v->repo, w) < 0 ||
	         git_merge_trees(&idx, v->repo, ht, mt, wt, NULL) < 0) {
		vcs_gerr(err, "cannot apply the proposal to 'main'");
		goto out;
	} else if (git_index_has_conflicts(idx)) {
		char *list;

		vcs_conflict_paths(idx, &conflicts);
		list = paths_quoted(&conflicts);
		vcs_err(err, "%s with 'main' in %s: bring the working tree up to date with 'main'"
		        " first", conflict, list);
		free(list);
		goto out;
	} else if (git_index_write_tree_to(out, idx, v->repo) < 0) {
		vcs_gerr(err, "cannot write the tree of the proposal");
		goto out;
	}
	if (git_oid_equal(out, git_tree_id(mt))) {
		vcs_err(err, "nothing to propose: 'main' has these changes already");
		goto out;
	}
	rc = 0;
out:
	strlist_release(&conflicts);
	git_index_free(idx);
	git_tree_free(ht);
	git_tree_free(mt);
	git_tree_free(wt);
	return rc;
}

/*
 * the lock that numbers reviews: flock(2) on the repository's git
 * directory, which exists already, so nothing is created and the kernel
 * lets go when the process ends, however it ends. Returns the descriptor
 * to close, or -1 with *err; where locks are unsupported, -2 (no lock).
 */
static int
number_lock(struct vcs *v, char **err)
{
	const char *dir = git_repository_commondir(v->repo);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		vcs_err(err, "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == ENOLCK || errno == EOPNOTSUPP || errno == EINVAL)
			return -2;
		vcs_err(err, "cannot lock '%s': %s", dir, strerror(errno));
		return -1;
	}
	return fd;
}

/*
 * under number_lock, no chacc is creating a review branch: a lock file of
 * one (refs/heads/review/<id>-<words>.lock) was left by a proposal killed
 * while it renamed the file into place, and would block that name
 */
static void
drop_stale_locks(struct vcs *v)
{
	const char *common = git_repository_commondir(v->repo);
	size_t n = strlen(common);
	char *dir = xasprintf("%s%srefs/heads/review", common, n && common[n - 1] == '/' ? "" : "/");
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (isdigit((unsigned char)de->d_name[0]) && len > 5 &&
		    strcmp(de->d_name + len - 5, ".lock") == 0)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dir);
}

/*
 * commit tree toid on top of main and give it the next review number: the
 * number is taken under number_lock and its branch created only if no ref
 * has that name (else the next number), so two proposals never share one
 */
static int
review_create(struct vcs *v, const char *message, git_commit *mainc, const git_oid *toid,
              struct vcs_review *out, char **err)
{
	struct vcs_review *all = NULL;
	size_t nall = 0;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	git_tree *tree = NULL;
	git_oid coid;
	char *msg = NULL, *slug = NULL, *name = NULL;
	int rc = -1, id = 1, lock = -1, grc = GIT_EEXISTS;

	if (vcs_author(v, &sig, err) < 0)
		return -1;
	msg = message[strlen(message) - 1] == '\n' ? xstrdup(message) : xasprintf("%s\n", message);
	if (git_tree_lookup(&tree, v->repo, toid) < 0 ||
	    git_commit_create(&coid, v->repo, NULL, sig, sig, NULL, msg, tree, 1,
	                      (const git_commit *[]){ mainc }) < 0) {
		vcs_gerr(err, "cannot commit the proposal");
		goto out;
	}
	if ((lock = number_lock(v, err)) == -1)
		goto out;
	if (lock >= 0)
		drop_stale_locks(v);
	if (vcs_review_list(v, &all, &nall, err) < 0)
		goto out;
	for (size_t i = 0; i < nall; i++)
		if (all[i].id >= id)
			id = all[i].id + 1;
	slug = slugify(message);
	for (int tries = 0; grc == GIT_EEXISTS && tries < MAX_TRIES; tries++, id++) {
		free(name);
		name = xasprintf(REVIEW_REFS "%d-%s", id, slug);
		grc = git_reference_create(&ref, v->repo, name, &coid, 0, "chacc review propose");
	}
	if (grc < 0) {
		vcs_gerr(err, "cannot create branch '%s'", name + strlen("refs/heads/"));
		goto out;
	}
	rc = vcs_review_read(v, ref, git_commit_id(mainc), out) == 0 ? 0 : -1;
	if (rc < 0)
		vcs_err(err, "cannot read back branch '%s'", name);
out:
	if (lock >= 0)
		close(lock);
	vcs_reviews_free(all, nall);
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(tree);
	free(msg);
	free(slug);
	free(name);
	return rc;
}

void
vcs_proposal_release(struct vcs_proposal *p)
{
	strlist_release(&p->committed);
	strlist_release(&p->untracked);
}

/* the changed config files of the working tree: tracked ones into paths, the others into untracked */
static int
changed_config(struct vcs *v, struct strlist *paths, struct strlist *untracked, char **err)
{
	struct side s;
	int rc;

	side_worktree(&s);
	side_load(v, &s);
	rc = vcs_status_files(v, &s.files, false, paths, untracked, err);
	side_release(&s);
	return rc;
}

/* the recipe loads from tree toid; else VCS_RECIPE_BROKEN with *err */
static int
check_loads(struct vcs *v, const git_oid *toid, char **err)
{
	git_tree *tree = NULL;
	struct side s;
	int rc = 0;

	if (git_tree_lookup(&tree, v->repo, toid) < 0)
		return vcs_gerr(err, "cannot read the tree of the proposal");
	side_tree(&s, "proposed commit", tree, NULL);
	side_load(v, &s);
	if (!s.r) {
		vcs_err(err, "the recipe '%s' does not load at the proposed commit%s%s\n(propose it"
		        " anyway with --force)", v->recipe, s.error ? ":\n" : ": it is not there",
		        s.error ? s.error : "");
		rc = VCS_RECIPE_BROKEN;
	}
	side_release(&s);
	return rc;
}

int
vcs_review_propose(struct vcs *v, struct vcs_proposal *pr, struct vcs_review *out, char **err)
{
	struct strlist paths = { 0 };
	git_commit *head = NULL, *mainc = NULL;
	git_tree *ht = NULL;
	git_oid w, toid;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&pr->committed, 0, sizeof(pr->committed));
	memset(&pr->untracked, 0, sizeof(pr->untracked));
	if (!pr->message || !*pr->message)
		return vcs_err(err, "a review needs a message (-m MESSAGE)");
	if (vcs_lookup(v, "HEAD", &head, err) < 0 || vcs_lookup_main(v, &mainc, err) < 0)
		goto out;
	if (pr->nfiles == 0 && changed_config(v, &paths, &pr->untracked, err) < 0)
		goto out;
	if (pr->nfiles == 0 && paths.n == 0) {
		vcs_err(err, "nothing to propose: no recipe or SQL file git tracks differs from HEAD%s",
		        pr->untracked.n ? " (name new files to propose them)" : "");
		goto out;
	}
	for (size_t i = 0; i < pr->nfiles; i++) {
		char *p = vcs_path(v, pr->files[i]);

		if (!p || !*p) {
			free(p);
			vcs_err(err, "'%s' is outside the git repository at '%s'", pr->files[i], v->top);
			goto out;
		}
		paths_add_new(&paths, p);
	}
	if (git_commit_tree(&ht, head) < 0) {
		vcs_gerr(err, "cannot read the tree of 'HEAD'");
		goto out;
	}
	if (worktree_tree(v, ht, &paths, &w, &pr->committed, err) < 0)
		goto out;
	if (git_oid_equal(&w, git_tree_id(ht))) {
		vcs_err(err, "nothing to propose: the files are as in HEAD");
		goto out;
	}
	if (onto_main(v, head, mainc, &w, "your changes conflict", &toid, err) < 0)
		goto out;
	if (!pr->force && (rc = check_loads(v, &toid, err)) < 0)
		goto out;
	rc = review_create(v, pr->message, mainc, &toid, out, err);
out:
	strlist_release(&paths);
	git_tree_free(ht);
	git_commit_free(head);
	git_commit_free(mainc);
	return rc;
}

/*
 * where path (relative to the working directory) leads in the working
 * tree, as a repository path: through its links, or for a new file its
 * nearest directory that exists, then the rest as written (new
 * directories); NULL when it leads out of the repository or nowhere
 */
static char *
worktree_real(struct vcs *v, const char *path)
{
	char real[PATH_MAX], *dir, *slash, *out = NULL, *full;

	if (realpath(path, real))
		return vcs_path(v, real);
	if (errno != ENOENT)
		return NULL;
	dir = xstrdup(path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (realpath(slash ? (*dir ? dir : "/") : ".", real)) {
			full = xasprintf("%s/%s", real, slash ? path + (slash - dir) + 1 : path);
			out = vcs_path(v, full);
			free(full);
			break;
		}
		if (errno != ENOENT || !slash)
			break;
	}
	free(dir);
	return out;
}

/* the change of the file at repository path p to delete it: it must be a file of HEAD's tree */
static int
removal(git_tree *ht, const char *p, git_tree_update *up, char **err)
{
	git_tree_entry *e = NULL;
	int rc = 0;

	if (git_tree_entry_bypath(&e, ht, p) < 0)
		rc = vcs_err(err, "cannot delete '%s': it is not in HEAD (git does not track it)", p);
	else if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		rc = vcs_err(err, "cannot delete '%s': it is not a file", p);
	up->action = GIT_TREE_UPDATE_REMOVE;
	up->path = p;
	git_tree_entry_free(e);
	return rc;
}

int
vcs_review_propose_text(struct vcs *v, const char *message, const char *path, const char *text,
                        size_t len, struct vcs_review *out, char **err)
{
	git_commit *head = NULL, *mainc = NULL;
	git_tree *ht = NULL;
	git_tree_entry *e = NULL;
	git_tree_update up;
	git_oid w, toid;
	char *p = NULL, *real = NULL, *wreal = NULL, *msg = NULL;
	int rc = -1, found;

	memset(out, 0, sizeof(*out));
	memset(&up, 0, sizeof(up));
	if (!message || !*message)
		return vcs_err(err, "a review needs a message (-m MESSAGE)");
	if (!(p = vcs_path(v, path)) || !*p) {
		vcs_err(err, "'%s' is outside the git repository at '%s'", path, v->top);
		goto out;
	}
	if (vcs_lookup(v, "HEAD", &head, err) < 0 || vcs_lookup_main(v, &mainc, err) < 0)
		goto out;
	if (git_commit_tree(&ht, head) < 0) {
		vcs_gerr(err, "cannot read the tree of 'HEAD'");
		goto out;
	}
	/* a deletion removes the entry itself, a symbolic link too */
	if (!text) {
		if (removal(ht, p, &up, err) < 0 ||
		    git_tree_create_updated(&w, v->repo, ht, 1, &up) < 0) {
			if (!*err)
				vcs_gerr(err, "cannot make the tree of the proposal");
			goto out;
		}
		goto propose;
	}
	/* through symbolic links: the file they lead to is edited, they stay links */
	if ((found = vcs_tree_find(v, ht, p, &e, &real, &msg)) < 0) {
		vcs_err(err, "cannot propose '%s': %s", p, msg);
		goto out;
	}
	if (found == 0 && (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)) {
		vcs_err(err, "cannot propose '%s': it is not a file", p);
		goto out;
	}
	wreal = worktree_real(v, path);
	if (!wreal || strcmp(wreal, real) != 0) {
		vcs_err(err, "cannot propose '%s': it leads to %s%s%s in the working tree but to '%s'"
		        " in HEAD (commit the symbolic link first)", p, wreal ? "'" : "",
		        wreal ? wreal : "outside the repository", wreal ? "'" : "", real);
		goto out;
	}
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.path = real;
	/* the mode it has: an executable stays one */
	up.filemode = e ? git_tree_entry_filemode(e) : GIT_FILEMODE_BLOB;
	if (git_blob_create_from_buffer(&up.id, v->repo, text, len) < 0 ||
	    git_tree_create_updated(&w, v->repo, ht, 1, &up) < 0) {
		vcs_gerr(err, "cannot make the tree of the proposal");
		goto out;
	}
	if (git_oid_equal(&w, git_tree_id(ht))) {
		vcs_err(err, "nothing to propose: '%s' is as in HEAD", p);
		goto out;
	}
propose:
	if (onto_main(v, head, mainc, &w, text ? "the edit conflicts" : "the deletion conflicts",
	              &toid, err) < 0)
		goto out;
	rc = review_create(v, message, mainc, &toid, out, err);
out:
	git_tree_entry_free(e);
	git_tree_free(ht);
	git_commit_free(head);
	git_commit_free(mainc);
	free(p);
	free(real);
	free(wreal);
	free(msg);
	return rc;
}
