/* vcs_log.c: the history of definitions: the commits that changed them */
#include "vcs_impl.h"

#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util.h"

/* the definitions at one commit */
struct defs {
	git_oid commit;
	char **names;
	char (*hashes)[65];
	char (*written)[65];     /* the same in format 2: SQL as written, comments and all */
	size_t n;
	struct strlist files;    /* the config files its recipe reads */
	bool broken;             /* its recipe does not load: these are its first parent's */
};

struct history {
	struct vcs *v;
	struct defs *d;
	size_t n;
};

static void
defs_copy(struct defs *dst, const struct defs *src)
{
	dst->n = src->n;
	dst->names = xcalloc(src->n ? src->n : 1, sizeof(*dst->names));
	dst->hashes = xcalloc(src->n ? src->n : 1, sizeof(*dst->hashes));
	dst->written = xcalloc(src->n ? src->n : 1, sizeof(*dst->written));
	for (size_t i = 0; i < src->n; i++) {
		dst->names[i] = xstrdup(src->names[i]);
		memcpy(dst->hashes[i], src->hashes[i], sizeof(dst->hashes[i]));
		memcpy(dst->written[i], src->written[i], sizeof(dst->written[i]));
	}
	for (size_t i = 0; i < src->files.n; i++)
		paths_add(&dst->files, xstrdup(src->files.v[i]));
}

/* the definitions at commit c, cached by commit */
static size_t
defs_at(struct history *h, git_commit *c)
{
	struct defs d = { .commit = *git_commit_id(c) };
	git_commit *parent;
	struct side s;
	char *err = NULL;

	for (size_t i = 0; i < h->n; i++)
		if (git_oid_equal(&h->d[i].commit, git_commit_id(c)))
			return i;
	if (side_commit(h->v, &s, "", c, &err) < 0) {
		free(err);
		side_tree(&s, "", NULL, NULL);
		s.error = xstrdup("unreadable");
	} else
		side_load(h->v, &s);
	if (s.r) {
		d.n = s.r->ntargets;
		d.names = xcalloc(d.n ? d.n : 1, sizeof(*d.names));
		d.hashes = xcalloc(d.n ? d.n : 1, sizeof(*d.hashes));
		d.written = xcalloc(d.n ? d.n : 1, sizeof(*d.written));
		for (size_t i = 0; i < d.n; i++) {
			d.names[i] = xstrdup(s.r->targets[i].name);
			target_hash(s.r, &s.r->targets[i], d.hashes[i]);
			target_hash_format(s.r, &s.r->targets[i], 2, d.written[i]);
		}
		d.files = s.files;
		s.files = (struct strlist){ 0 };
	} else if (s.error) {
		d.broken = true;
		if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0) {
			size_t pi = defs_at(h, parent);

			defs_copy(&d, &h->d[pi]);
			git_commit_free(parent);
		}
	}
	side_release(&s);
	h->d = xreallocarray(h->d, h->n + 1, sizeof(*h->d));
	h->d[h->n] = d;
	return h->n++;
}

static long
defs_find(const struct defs *d, const char *name)
{
	for (size_t i = 0; d && i < d->n; i++)
		if (strcmp(d->names[i], name) == 0)
			return (long)i;
	return -1;
}

static void
history_release(struct history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		for (size_t j = 0; j < h->d[i].n; j++)
			free(h->d[i].names[j]);
		free(h->d[i].names);
		free(h->d[i].hashes);
		free(h->d[i].written);
		strlist_release(&h->d[i].files);
	}
	free(h->d);
}

/* the definitions that differ from a (NULL: none) to b; only target's if set */
static void
defs_changes(const struct defs *a, const struct defs *b, const char *target,
             struct vcs_target_change **out, size_t *n)
{
	for (size_t i = 0; i < b->n; i++) {
		long j = defs_find(a, b->names[i]);

		if (target && strcmp(target, b->names[i]) != 0)
			continue;
		if (j < 0)
			vcs_add_change(out, n, b->names[i], VCS_ADDED, NULL);
		else if (strcmp(a->hashes[j], b->hashes[i]) != 0)
			vcs_add_change(out, n, b->names[i], VCS_CHANGED, NULL);
		else if (strcmp(a->written[j], b->written[i]) != 0)
			vcs_add_change(out, n, b->names[i], VCS_COMMENTS, NULL);
	}
	for (size_t i = 0; a && i < a->n; i++)
		if ((!target || strcmp(target, a->names[i]) == 0) && defs_find(b, a->names[i]) < 0)
			vcs_add_change(out, n, a->names[i], VCS_REMOVED, NULL);
}

/* keep the changes of c that other has too */
static void
changes_keep_common(struct vcs_target_change *c, size_t *n, const struct vcs_target_change *other,
                    size_t nother)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		bool both = false;

		for (size_t j = 0; j < nother && !both; j++)
			both = strcmp(c[i].target, other[j].target) == 0;
		if (both)
			c[k++] = c[i];
		else {
			free(c[i].target);
			free(c[i].diff);
		}
	}
	*n = k;
}

/* the config files that differ between trees a (NULL: empty) and b */
static int
config_changes(struct vcs *v, git_tree *a, git_tree *b, const struct defs *da,
               const struct defs *db, struct strlist *out)
{
	git_diff *d = NULL;

	if (git_diff_tree_to_tree(&d, v->repo, a, b, NULL) < 0)
		return -1;
	for (size_t i = 0; i < git_diff_num_deltas(d); i++) {
		const git_diff_delta *dd = git_diff_get_delta(d, i);
		const char *path = dd->new_file.path ? dd->new_file.path : dd->old_file.path;

		if (vcs_is_config(v, path, da ? &da->files : NULL, &db->files))
			paths_add_new(out, xstrdup(path));
	}
	git_diff_free(d);
	return 0;
}

/* keep the paths of l that other has too */
static void
paths_keep_common(struct strlist *l, const struct strlist *other)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		if (paths_has(other, l->v[i]))
			l->v[k++] = l->v[i];
		else
			free(l->v[i]);
	l->n = k;
}

/* what commit c changed against each of its parents: changes and whether it is listed */
static int
commit_changes(struct history *h, git_commit *c, const char *target,
               struct vcs_target_change **out, size_t *n, bool *listed)
{
	size_t ci = defs_at(h, c), np = git_commit_parentcount(c);
	struct strlist files = { 0 };
	git_tree *ct = NULL;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (git_commit_tree(&ct, c) < 0)
		return -1;
	if (np == 0) {
		defs_changes(NULL, &h->d[ci], target, out, n);
		rc = config_changes(h->v, NULL, ct, NULL, &h->d[ci], &files);
	}
	/* a merge lists what differs from every parent: what it brought itself */
	for (size_t i = 0; i < np && rc == 0; i++) {
		struct vcs_target_change *pc = NULL;
		struct strlist pf = { 0 };
		git_commit *p = NULL;
		git_tree *pt = NULL;
		size_t npc = 0, pi;

		if (git_commit_parent(&p, c, (unsigned)i) < 0 || git_commit_tree(&pt, p) < 0) {
			git_commit_free(p);
			rc = -1;
			break;
		}
		pi = defs_at(h, p);
		rc = config_changes(h->v, pt, ct, &h->d[pi], &h->d[ci], i ? &pf : &files);
		defs_changes(&h->d[pi], &h->d[ci], target, &pc, &npc);
		if (i == 0) {
			*out = pc;
			*n = npc;
		} else {
			changes_keep_common(*out, n, pc, npc);
			vcs_changes_free(pc, npc);
			paths_keep_common(&files, &pf);
		}
		strlist_release(&pf);
		git_tree_free(pt);
		git_commit_free(p);
	}
	git_tree_free(ct);
	*listed = target ? *n > 0 : files.n > 0 || *n > 0;
	strlist_release(&files);
	if (rc < 0) {
		vcs_changes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* the recipe at the newest commit loads, or the log would be about nothing */
static int
start_loads(struct vcs *v, git_commit *c, const char *rev, char **err)
{
	struct side s;
	int rc = 0;

	if (side_commit(v, &s, rev, c, err) < 0)
		return -1;
	side_load(v, &s);
	if (s.error)
		rc = vcs_err(err, "the recipe at '%s' does not load:\n%s", rev, s.error);
	side_release(&s);
	return rc;
}

int
vcs_log(struct vcs *v, const char *rev, const char *target, long limit,
        struct vcs_log_entry **out, size_t *n, char **err)
{
	struct history h = { .v = v };
	git_revwalk *w = NULL;
	git_commit *start = NULL, *c = NULL;
	git_oid oid;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (vcs_lookup(v, rev ? rev : "HEAD", &start, err) < 0)
		return -1;
	if (start_loads(v, start, rev ? rev : "HEAD", err) < 0) {
		git_commit_free(start);
		return -1;
	}
	if (git_revwalk_new(&w, v->repo) < 0 || git_revwalk_push(w, git_commit_id(start)) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0) {
		vcs_gerr(err, "cannot walk the history of '%s'", rev ? rev : "HEAD");
		goto out;
	}
	while ((limit <= 0 || (long)*n < limit) && git_revwalk_next(&oid, w) == 0) {
		struct vcs_target_change *ch;
		size_t nch;
		bool listed;

		if (git_commit_lookup(&c, v->repo, &oid) < 0 ||
		    commit_changes(&h, c, target, &ch, &nch, &listed) < 0) {
			vcs_gerr(err, "cannot read commit %.12s", git_oid_tostr_s(&oid));
			goto out;
		}
		if (listed) {
			struct vcs_log_entry *e;

			*out = xreallocarray(*out, *n + 1, sizeof(**out));
			e = &(*out)[(*n)++];
			memset(e, 0, sizeof(*e));
			vcs_commit_info(c, &e->c);
			e->targets = ch;
			e->ntargets = nch;
			e->broken = h.d[defs_at(&h, c)].broken;
		} else
			vcs_changes_free(ch, nch);
		git_commit_free(c);
		c = NULL;
	}
	if (target && *n == 0) {
		vcs_err(err, "unknown target '%s': no commit up to '%s' defines it", target,
		     rev ? rev : "HEAD");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		vcs_log_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	git_commit_free(c);
	git_commit_free(start);
	git_revwalk_free(w);
	history_release(&h);
	return rc;
}

void
vcs_log_free(struct vcs_log_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vcs_commit_release(&e[i].c);
		vcs_changes_free(e[i].targets, e[i].ntargets);
	}
	free(e);
}
