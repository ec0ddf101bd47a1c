/* vcs_tree.c: a commit's tree read as files, its symbolic links followed as the working tree would */
#include "vcs_impl.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

/* the links one lookup follows at most, as SYMLOOP_MAX */
#define MAX_LINKS 40

/* the content of blob id, NUL-terminated, or NULL */
static char *
blob_text(git_repository *repo, const git_oid *id, size_t *len)
{
	git_blob *b = NULL;
	char *s;
	size_t n;

	if (git_blob_lookup(&b, repo, id) < 0)
		return NULL;
	n = (size_t)git_blob_rawsize(b);
	s = xmalloc(n + 1);
	memcpy(s, git_blob_rawcontent(b), n);
	s[n] = '\0';
	if (len)
		*len = n;
	git_blob_free(b);
	return s;
}

/* drop the last component of a path ("a/b" -> "a", "a" -> "") */
static void
pop_dir(struct buf *b)
{
	while (b->len > 0 && b->s[b->len - 1] != '/')
		b->len--;
	if (b->len > 0)
		b->len--;
	b->s[b->len] = '\0';
}

static void
push_name(struct buf *b, const char *name, size_t n)
{
	if (b->len)
		buf_addc(b, '/');
	buf_add(b, name, n);
}

/* more components after p: anything but slashes */
static bool
has_more(const char *p)
{
	return p[strspn(p, "/")] != '\0';
}

/* a lookup through links */
struct walk {
	struct buf done;         /* the directories resolved so far: no link in them */
	char *rest;              /* the path walked, rewritten at each link */
	char *link, *ltarget;    /* the last link followed and its target, for messages */
	int links;               /* the links followed */
};

static void
walk_release(struct walk *w)
{
	buf_release(&w->done);
	free(w->rest);
	free(w->link);
	free(w->ltarget);
}

/* "..": up one directory; -1 when that leaves the repository */
static int
walk_up(struct walk *w, const char *path, char **err)
{
	if (w->done.len == 0 && w->link)
		return vcs_err(err, "symbolic link '%s' leads out of the repository (to '%s')",
		               w->link, w->ltarget);
	if (w->done.len == 0)
		return vcs_err(err, "'%s' leads out of the repository", path);
	pop_dir(&w->done);
	return 0;
}

/*
 * follow link e, the last component of w->done; *next is the rest of the
 * path after it, and then where the walk goes on. 1 when the link leads to
 * the top itself with nothing after it, -1 with *err
 */
static int
walk_link(struct vcs *v, struct walk *w, const git_tree_entry *e, char **next, char **err)
{
	char *target = blob_text(v->repo, git_tree_entry_id(e), NULL), *more;
	const char *rel;
	size_t tl = strlen(v->top);
	int rc;

	if (!target)
		return vcs_gerr(err, "cannot read the symbolic link '%s'", w->done.s);
	if (++w->links > MAX_LINKS) {
		rc = vcs_err(err, "symbolic link '%s' is part of a loop (over %d links followed)",
		             w->done.s, MAX_LINKS);
		free(target);
		return rc;
	}
	free(w->link);
	free(w->ltarget);
	w->link = xstrdup(w->done.s);
	w->ltarget = xstrdup(target);
	if (target[0] != '/') {
		rel = target;
		pop_dir(&w->done);
	} else if (strncmp(target, v->top, tl) == 0 && (target[tl] == '/' || target[tl] == '\0')) {
		/* absolute, into this working tree: as a path from its top */
		rel = target + tl;
		w->done.len = 0;
		w->done.s[0] = '\0';
	} else {
		rc = vcs_err(err, "symbolic link '%s' leads out of the repository (to '%s')",
		             w->done.s, target);
		free(target);
		return rc;
	}
	if (!*rel && !has_more(*next)) {
		/* a link to the top itself */
		free(target);
		return 1;
	}
	more = xasprintf("%s%s", rel, *next);
	free(target);
	free(w->rest);
	*next = w->rest = more;
	return 0;
}

int
vcs_tree_find(struct vcs *v, git_tree *tree, const char *path, git_tree_entry **out, char **real,
              char **err)
{
	struct walk w = { .rest = xstrdup(path) };
	char *s, *next;
	git_tree_entry *e = NULL;
	bool missing = false;
	int rc = 0;

	*out = NULL;
	if (real)
		*real = NULL;
	buf_init(&w.done);
	buf_adds(&w.done, "");
	for (s = w.rest; ; s = next) {
		size_t n;

		s += strspn(s, "/");
		if (!*s)
			break;
		next = strchrnul(s, '/');
		n = (size_t)(next - s);
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			if ((rc = walk_up(&w, path, err)) < 0)
				goto out;
			continue;
		}
		push_name(&w.done, s, n);
		if (missing)
			continue;
		git_tree_entry_free(e);
		e = NULL;
		if (!tree || git_tree_entry_bypath(&e, tree, w.done.s) < 0) {
			/* nothing there: the rest is read as written */
			missing = true;
			continue;
		}
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
			if ((rc = walk_link(v, &w, e, &next, err)) < 0)
				goto out;
			if (rc == 1)
				break;
			continue;
		}
		if (has_more(next)) {
			if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
				missing = true;
			continue;
		}
		/* the last component */
		*out = e;
		e = NULL;
	}
	/* a path ending in a link to a directory, or "..": the directory reached */
	if (!missing && !*out && w.done.len && tree && git_tree_entry_bypath(out, tree, w.done.s) < 0)
		missing = true;
	rc = missing ? 1 : 0;
	if (real)
		*real = xstrdup(w.done.s);
out:
	git_tree_entry_free(e);
	if (rc < 0 || rc == 1) {
		git_tree_entry_free(*out);
		*out = NULL;
	}
	if (rc < 0 && real) {
		free(*real);
		*real = NULL;
	}
	walk_release(&w);
	return rc;
}

/* the tree of directory dir (NULL, "" or "." for the top); 1 when there is none */
static int
tree_dir(struct vcs *v, git_tree *tree, const char *dir, git_tree **out, char **real, char **err)
{
	git_tree_entry *e = NULL;
	int rc;

	*out = NULL;
	if (!tree)
		return 1;
	rc = vcs_tree_find(v, tree, dir, &e, real, err);
	if (rc != 0)
		return rc;
	if (!e)
		return git_object_dup((git_object **)out, (git_object *)tree) < 0 ? 1 : 0;
	rc = git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	     git_tree_lookup(out, v->repo, git_tree_entry_id(e)) == 0 ? 0 : 1;
	git_tree_entry_free(e);
	return rc;
}

char *
vcs_tree_text(struct vcs *v, git_tree *tree, const char *path, size_t *len, char **err)
{
	git_tree_entry *e = NULL;
	char *s = NULL, *msg = NULL;

	if (err)
		*err = NULL;
	if (!tree || !path || !*path)
		return NULL;
	if (vcs_tree_find(v, tree, path, &e, NULL, &msg) == 0 && e &&
	    git_tree_entry_type(e) == GIT_OBJECT_BLOB)
		s = blob_text(v->repo, git_tree_entry_id(e), len);
	git_tree_entry_free(e);
	if (err)
		*err = msg;
	else
		free(msg);
	return s;
}

/* say once per path why it cannot be read, where the loader's messages go */
static void
tree_report(struct treesrc *ts, const char *rel, const char *msg)
{
	if (paths_has(&ts->reported, rel))
		return;
	paths_add(&ts->reported, xstrdup(rel));
	if (ts->diags)
		diag_add(ts->diags, DIAG_WARNING, rel, 0, 0, NULL, "cannot read it from '%s': %s",
		         ts->name, msg);
	else
		warning("%s: cannot read it from '%s': %s", rel, ts->name, msg);
}

char *
vcs_treesrc_read(void *ctx, const char *rel, size_t *len)
{
	struct treesrc *ts = ctx;
	char *p = vcs_path(ts->v, rel), *s = NULL, *msg = NULL;

	if (p)
		s = vcs_tree_text(ts->v, ts->tree, p, len, &msg);
	if (msg) {
		tree_report(ts, rel, msg);
		errno = ELOOP;
	} else if (!s)
		errno = ENOENT;
	free(msg);
	free(p);
	return s;
}

struct globwalk {
	struct vcs *v;
	git_tree *top;           /* the whole tree, to follow links */
	const char *dir;         /* the pattern's directory as written, with its '/' */
	char **comps;            /* the rest, one component each */
	size_t ncomps;
	struct strlist found;
};

static int
cmpstrp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * match component i of the pattern in directory t (at, in the repository;
 * shown, as the pattern writes it): files at the last component, symbolic
 * links to directories followed on the way, as glob(3) in the working tree
 */
static void
glob_dir(struct globwalk *w, git_tree *t, const char *at, const char *shown, size_t i)
{
	size_t n = git_tree_entrycount(t);

	for (size_t k = 0; k < n; k++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, k);
		const char *name = git_tree_entry_name(e);
		git_tree *sub = NULL;
		char *path, *real = NULL, *err = NULL;

		if (fnmatch(w->comps[i], name, FNM_PERIOD) != 0)
			continue;
		if (i + 1 == w->ncomps) {
			if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
				paths_add(&w->found, xasprintf("%s%s%s", w->dir, shown, name));
			continue;
		}
		path = *at ? xasprintf("%s/%s", at, name) : xstrdup(name);
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			if (git_tree_lookup(&sub, w->v->repo, git_tree_entry_id(e)) == 0)
				real = xstrdup(path);
		} else if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
			tree_dir(w->v, w->top, path, &sub, &real, &err);
		if (sub) {
			char *deeper = xasprintf("%s%s/", shown, name);

			glob_dir(w, sub, real, deeper, i + 1);
			free(deeper);
		}
		git_tree_free(sub);
		free(real);
		free(err);
		free(path);
	}
}

long
vcs_treesrc_glob(void *ctx, const char *pattern, char ***paths)
{
	struct treesrc *ts = ctx;
	struct globwalk w = { .v = ts->v, .top = ts->tree };
	const char *magic = strpbrk(pattern, "*?["), *q;
	git_tree *start = NULL;
	size_t dlen = 0;
	char *dir, *rp, *rest, *tok, *save = NULL, *real = NULL, *err = NULL;

	if (!magic)
		magic = pattern + strlen(pattern);
	for (q = pattern; q < magic; q++)
		if (*q == '/')
			dlen = (size_t)(q - pattern) + 1;
	dir = xstrndup(pattern, dlen);
	w.dir = dir;
	rest = xstrdup(pattern + dlen);
	for (tok = strtok_r(rest, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		w.comps = xreallocarray(w.comps, w.ncomps + 1, sizeof(*w.comps));
		w.comps[w.ncomps++] = tok;
	}
	rp = vcs_path(ts->v, dlen ? dir : ".");
	if (rp && w.ncomps && tree_dir(ts->v, ts->tree, rp, &start, &real, &err) == 0)
		glob_dir(&w, start, real, "", 0);
	git_tree_free(start);
	free(real);
	free(err);
	free(rp);
	free(w.comps);
	free(rest);
	free(dir);
	if (w.found.n)
		qsort(w.found.v, w.found.n, sizeof(*w.found.v), cmpstrp);
	*paths = w.found.v;
	return (long)w.found.n;
}

void
vcs_treesrc_init(struct treesrc *ts, struct vcs *v, git_tree *tree, const char *name)
{
	memset(ts, 0, sizeof(*ts));
	ts->v = v;
	ts->tree = tree;
	ts->name = xstrdup(name ? name : "the commit");
}

void
vcs_treesrc_release(struct treesrc *ts)
{
	free(ts->name);
	strlist_release(&ts->reported);
	ts->name = NULL;
}
