/* vcs_diff.c: definitions compared between revisions: per-target diffs and impact */
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

void
vcs_add_change(struct vcs_target_change **v, size_t *n, const char *target, enum vcs_change c,
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
		vcs_add_change(&out->changes, &out->nchanges, t->name, c, target_diff(v, a, o, b, t));
	}
	for (i = 0; a->r && i < a->r->ntargets; i++) {
		const struct target *t = &a->r->targets[i];

		if (!b->r || !recipe_target(b->r, t->name))
			vcs_add_change(&out->changes, &out->nchanges, t->name, VCS_REMOVED,
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

void
vcs_changes_free(struct vcs_target_change *c, size_t n)
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
	vcs_changes_free(d->changes, d->nchanges);
	for (size_t i = 0; i < d->nimpact; i++)
		free(d->impact[i].target);
	free(d->impact);
	strlist_release(&d->files);
	free(d->raw_diff);
	free(d->old_error);
	free(d->new_error);
	strlist_release(&d->conflicts);
	memset(d, 0, sizeof(*d));
}
