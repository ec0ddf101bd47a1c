/* vcs_diff.c: definitions compared between revisions: per-target diffs, impact, history */
#include "vcs_impl.h"

#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "plan.h"
#include "util.h"

/* comparing two sides */

const char *
vcs_change_name(enum vcs_change c)
{
	switch (c) {
	case VCS_ADDED:
		return "added";
	case VCS_REMOVED:
		return "removed";
	case VCS_CHANGED:
		return "definition changed";
	case VCS_COMMENTS:
		return "comments only, no rebuild";
	}
	return "?";
}

static int
shift(int start, int line0)
{
	return start > 0 && line0 > 0 ? start + line0 - 1 : start;
}

/* a unified diff of two texts (NULL: none), its lines numbered from la and lb */
static void
udiff(struct buf *b, const char *pa, const char *ta, int la, const char *pb, const char *tb,
      int lb)
{
	git_diff_options o;
	git_patch *p = NULL;
	size_t h, l, nl;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if ((!ta && !tb) || (ta && tb && strcmp(ta, tb) == 0))
		return;
	if (git_patch_from_buffers(&p, ta, ta ? strlen(ta) : 0, pa, tb, tb ? strlen(tb) : 0, pb,
	                           &o) < 0)
		return;
	if (ta)
		buf_addf(b, "--- a/%s\n", pa);
	else
		buf_adds(b, "--- /dev/null\n");
	if (tb)
		buf_addf(b, "+++ b/%s\n", pb);
	else
		buf_adds(b, "+++ /dev/null\n");
	for (h = 0; h < git_patch_num_hunks(p); h++) {
		const git_diff_hunk *hk;

		if (git_patch_get_hunk(&hk, &nl, p, h) < 0)
			break;
		buf_addf(b, "@@ -%d", shift(hk->old_start, la));
		if (hk->old_lines != 1)
			buf_addf(b, ",%d", hk->old_lines);
		buf_addf(b, " +%d", shift(hk->new_start, lb));
		if (hk->new_lines != 1)
			buf_addf(b, ",%d", hk->new_lines);
		buf_adds(b, " @@\n");
		for (l = 0; l < nl; l++) {
			const git_diff_line *ln;

			if (git_patch_get_line_in_hunk(&ln, p, h, l) < 0)
				break;
			switch (ln->origin) {
			case GIT_DIFF_LINE_CONTEXT:
			case GIT_DIFF_LINE_ADDITION:
			case GIT_DIFF_LINE_DELETION:
				buf_addc(b, ln->origin);
				buf_add(b, ln->content, ln->content_len);
				if (!ln->content_len || ln->content[ln->content_len - 1] != '\n')
					buf_addc(b, '\n');
				break;
			default:
				buf_adds(b, "\\ No newline at end of file\n");
			}
		}
	}
	git_patch_free(p);
}

/* the lines of a recipe entry starting at line: until one indented no deeper */
static char *
entry_text(const char *text, int line)
{
	const char *p = text, *end, *last;
	size_t indent;
	int n = 1;

	while (p && n < line) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
		n++;
	}
	if (!p || !*p)
		return NULL;
	indent = strspn(p, " \t");
	end = last = strchrnul(p, '\n');
	while (*end) {
		const char *s = end + 1, *next = strchrnul(s, '\n');
		size_t ind = strspn(s, " \t");
		bool blank = s[ind] == '\n' || s[ind] == '\0' || s[ind] == '#';

		if (!blank && ind <= indent)
			break;
		if (!blank)
			last = next;
		end = next;
	}
	return xasprintf("%.*s\n", (int)(last - p), p);
}

static const char *
role_path(const struct target *t, int role)
{
	switch (role) {
	case 0: return t->create;
	case 1: return t->query;
	case 2: return t->script;
	default: return t->incr.probe;
	}
}

/* the diff of a target's recipe entry and files from side a (ta) to side b (tb) */
static char *
target_diff(struct vcs *v, struct side *a, const struct target *ta, struct side *b,
            const struct target *tb)
{
	char *pa = ta ? vcs_path(v, ta->file) : NULL, *pb = tb ? vcs_path(v, tb->file) : NULL;
	char *fa = side_read(v, a, pa), *fb = side_read(v, b, pb);
	char *ea = fa ? entry_text(fa, ta->line) : NULL, *eb = fb ? entry_text(fb, tb->line) : NULL;
	struct buf d;

	buf_init(&d);
	udiff(&d, pa, ea, ta ? ta->line : 0, pb, eb, tb ? tb->line : 0);
	free(pa);
	free(pb);
	free(fa);
	free(fb);
	free(ea);
	free(eb);
	for (int role = 0; role < 4; role++) {
		pa = ta ? vcs_recipe_path(v, a->r, role_path(ta, role)) : NULL;
		pb = tb ? vcs_recipe_path(v, b->r, role_path(tb, role)) : NULL;
		fa = side_read(v, a, pa);
		fb = side_read(v, b, pb);
		udiff(&d, pa, fa, 1, pb, fb, 1);
		free(pa);
		free(pb);
		free(fa);
		free(fb);
	}
	if (d.len == 0 && ta && tb)
		buf_adds(&d, "(its recipe entry and files read the same: a connection or variable"
		         " it uses changed)\n");
	if (d.len == 0) {
		buf_release(&d);
		return NULL;
	}
	return buf_detach(&d);
}

static void
add_change(struct vcs_target_change **v, size_t *n, const char *target, enum vcs_change c,
           char *diff)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = (struct vcs_target_change){ .target = xstrdup(target), .change = c,
	                                           .diff = diff };
}

static void
target_changes(struct vcs *v, struct side *a, struct side *b, struct vcs_diff *out)
{
	char ha[65], hb[65];
	size_t i;

	for (i = 0; b->r && i < b->r->ntargets; i++) {
		const struct target *t = &b->r->targets[i];
		const struct target *o = a->r ? recipe_target(a->r, t->name) : NULL;

		enum vcs_change c = o ? VCS_CHANGED : VCS_ADDED;

		if (o) {
			target_hash(a->r, o, ha);
			target_hash(b->r, t, hb);
			if (strcmp(ha, hb) == 0) {
				/* the same definition: did its SQL change as written (format 2)? */
				target_hash_format(a->r, o, 2, ha);
				target_hash_format(b->r, t, 2, hb);
				if (strcmp(ha, hb) == 0)
					continue;
				c = VCS_COMMENTS;
			}
		}
		add_change(&out->changes, &out->nchanges, t->name, c, target_diff(v, a, o, b, t));
	}
	for (i = 0; a->r && i < a->r->ntargets; i++) {
		const struct target *t = &a->r->targets[i];

		if (!b->r || !recipe_target(b->r, t->name))
			add_change(&out->changes, &out->nchanges, t->name, VCS_REMOVED,
			           target_diff(v, a, t, b, NULL));
	}
}

/* the targets of r a build would run after the changes: the planner's rules */
static void
impact(struct vcs_diff *d, struct recipe *r)
{
	struct graph *g = graph_new(r);
	struct node **order = NULL;
	size_t n = graph_order(g, NULL, 0, &order);
	signed char *hit = xcalloc(g->nnodes ? g->nnodes : 1, 1);  /* 1 incremental, 2 full */

	for (size_t i = 0; i < n; i++) {
		struct node *nd = order[i];
		const char *reason = NULL;
		bool full = true;

		for (size_t k = 0; k < d->nchanges; k++)
			if ((d->changes[k].change == VCS_ADDED || d->changes[k].change == VCS_CHANGED) &&
			    strcmp(d->changes[k].target, nd->t->name) == 0)
				reason = reason_name(d->changes[k].change == VCS_ADDED ?
				                     REASON_MISSING : REASON_DEFINITION);
		if (!reason) {
			/* downstream of a full rebuild is full, as plan_node decides */
			full = !nd->t->incr.enabled;
			for (size_t j = 0; j < nd->nneeds; j++) {
				if (!hit[nd->needs[j]->id])
					continue;
				reason = reason_name(REASON_NEEDS);
				full |= hit[nd->needs[j]->id] == 2;
			}
		}
		if (!reason)
			continue;
		hit[nd->id] = full ? 2 : 1;
		d->impact = xreallocarray(d->impact, d->nimpact + 1, sizeof(*d->impact));
		d->impact[d->nimpact++] = (struct vcs_impact){ .target = xstrdup(nd->t->name),
		                                               .reason = reason, .full = full };
	}
	free(hit);
	free(order);
	graph_free(g);
}

/* the changed config files from a to b, and their diff when a recipe does not load */
static int
file_changes(struct vcs *v, struct side *a, struct side *b, struct vcs_diff *out, char **err)
{
	git_diff_options o;
	git_diff *d = NULL;
	struct buf raw;
	int rc;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if (b->worktree) {
		o.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS;
		rc = git_diff_tree_to_workdir(&d, v->repo, a->tree, &o);
	} else
		rc = git_diff_tree_to_tree(&d, v->repo, a->tree, b->tree, &o);
	if (rc < 0)
		return vcs_gerr(err, "cannot vcs_compare '%s' with '%s'", a->name, b->name);
	buf_init(&raw);
	for (size_t i = 0; i < git_diff_num_deltas(d); i++) {
		const git_diff_delta *dd = git_diff_get_delta(d, i);
		const char *path = dd->new_file.path ? dd->new_file.path : dd->old_file.path;
		char st, *ta, *tb;

		switch (dd->status) {
		case GIT_DELTA_ADDED:
		case GIT_DELTA_UNTRACKED: st = 'A'; break;
		case GIT_DELTA_DELETED: st = 'D'; break;
		case GIT_DELTA_MODIFIED: st = 'M'; break;
		case GIT_DELTA_TYPECHANGE: st = 'T'; break;
		default: continue;
		}
		if (!vcs_is_config(v, path, &a->files, &b->files))
			continue;
		paths_add(&out->files, xasprintf("%c %s", st, path));
		if (a->r && b->r)
			continue;
		ta = side_read(v, a, path);
		tb = side_read(v, b, path);
		udiff(&raw, path, ta, 1, path, tb, 1);
		free(ta);
		free(tb);
	}
	git_diff_free(d);
	if (raw.len)
		out->raw_diff = buf_detach(&raw);
	buf_release(&raw);
	return 0;
}

/* vcs_compare side a with side b into out */
int
vcs_compare(struct vcs *v, struct side *a, struct side *b, struct vcs_diff *out, char **err)
{
	out->old_name = xstrdup(a->name);
	out->new_name = xstrdup(b->name);
	memcpy(out->old_id, a->id, sizeof(out->old_id));
	memcpy(out->new_id, b->id, sizeof(out->new_id));
	side_load(v, a);
	side_load(v, b);
	if (file_changes(v, a, b, out, err) < 0)
		return -1;
	out->old_error = a->error;
	out->new_error = b->error;
	a->error = b->error = NULL;
	if (out->old_error || out->new_error)
		return 0;
	target_changes(v, a, b, out);
	if (b->r)
		impact(out, b->r);
	return 0;
}

int
vcs_diff(struct vcs *v, const char *rev1, const char *rev2, struct vcs_diff *out, char **err)
{
	struct side a, b;
	int rc;

	memset(out, 0, sizeof(*out));
	if (side_rev(v, &a, rev1 ? rev1 : "HEAD", err) < 0)
		return -1;
	if (rev2 && side_rev(v, &b, rev2, err) < 0) {
		side_release(&a);
		return -1;
	}
	if (!rev2)
		side_worktree(&b);
	rc = vcs_compare(v, &a, &b, out, err);
	side_release(&a);
	side_release(&b);
	if (rc < 0)
		vcs_diff_release(out);
	return rc;
}

static void
changes_free(struct vcs_target_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].target);
		free(c[i].diff);
	}
	free(c);
}

void
vcs_diff_release(struct vcs_diff *d)
{
	free(d->old_name);
	free(d->new_name);
	changes_free(d->changes, d->nchanges);
	for (size_t i = 0; i < d->nimpact; i++)
		free(d->impact[i].target);
	free(d->impact);
	paths_release(&d->files);
	free(d->raw_diff);
	free(d->old_error);
	free(d->new_error);
	paths_release(&d->conflicts);
	memset(d, 0, sizeof(*d));
}

/* history */

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
		paths_release(&h->d[i].files);
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
			add_change(out, n, b->names[i], VCS_ADDED, NULL);
		else if (strcmp(a->hashes[j], b->hashes[i]) != 0)
			add_change(out, n, b->names[i], VCS_CHANGED, NULL);
		else if (strcmp(a->written[j], b->written[i]) != 0)
			add_change(out, n, b->names[i], VCS_COMMENTS, NULL);
	}
	for (size_t i = 0; a && i < a->n; i++)
		if ((!target || strcmp(target, a->names[i]) == 0) && defs_find(b, a->names[i]) < 0)
			add_change(out, n, a->names[i], VCS_REMOVED, NULL);
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
			changes_free(pc, npc);
			paths_keep_common(&files, &pf);
		}
		paths_release(&pf);
		git_tree_free(pt);
		git_commit_free(p);
	}
	git_tree_free(ct);
	*listed = target ? *n > 0 : files.n > 0 || *n > 0;
	paths_release(&files);
	if (rc < 0) {
		changes_free(*out, *n);
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
			changes_free(ch, nch);
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
		changes_free(e[i].targets, e[i].ntargets);
	}
	free(e);
}
