/* vcs_src.c: the source of a command: the working tree, or a revision's tree read as files */
#include "vcs_impl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recipe.h"
#include "util.h"

static void
src_tree_free(struct vcs_src *s)
{
	struct treesrc *ts = s->priv;

	if (ts) {
		git_tree_free(ts->tree);
		vcs_treesrc_release(ts);
	}
	free(ts);
	s->priv = NULL;
}

/* the revision --scheduled builds: scheduled_rev of the recipe on main, else main */
static char *
scheduled_rev(struct vcs *v, char **err)
{
	git_commit *c = NULL;
	struct side s;
	char *rev = NULL;

	if (vcs_lookup_main(v, &c, err) == 0 && side_commit(v, &s, "main", c, err) == 0) {
		free(*err);
		*err = NULL;
	} else {
		free(*err);
		*err = NULL;
		side_worktree(&s);
	}
	git_commit_free(c);
	side_load(v, &s);
	if (s.r && s.r->scheduled_rev && *s.r->scheduled_rev &&
	    (!s.worktree || strcmp(s.r->scheduled_rev, "main") != 0))
		rev = xstrdup(s.r->scheduled_rev);
	else if (!s.worktree)
		rev = xstrdup("main");
	else
		vcs_err(err, "--scheduled builds branch 'main', which the git repository at '%s' does not"
		     " have (or set 'scheduled_rev:' in the recipe)", v->top);
	side_release(&s);
	return rev;
}

struct vcs_src *
vcs_src_open(const char *recipe_path, const char *envdir, const char *rev, bool scheduled,
             char **err)
{
	struct vcs_src *s = xcalloc(1, sizeof(*s));
	struct treesrc *ts;
	git_commit *c = NULL;
	char cwd[PATH_MAX];
	int rc = vcs_open(&s->vcs, recipe_path, envdir, err);

	if (rc < 0)
		goto fail;
	if (rc == 1) {
		if (!getcwd(cwd, sizeof(cwd)))
			snprintf(cwd, sizeof(cwd), ".");
		if (rev) {
			vcs_err(err, "cannot read revision '%s': '%s' is not in a git repository", rev, cwd);
			goto fail;
		}
		s->note = xasprintf("'%s' is not in a git repository: reading the working tree,"
		                    " revisions are not recorded", cwd);
		return s;
	}
	if (rev)
		s->rev = xstrdup(rev);
	else if (scheduled && !(s->rev = scheduled_rev(s->vcs, err)))
		goto fail;
	if (!s->rev) {
		if (git_repository_head_unborn(s->vcs->repo) == 1) {
			s->note = xasprintf("no commit yet in the git repository at '%s': reading the"
			                    " working tree, revisions are not recorded", s->vcs->top);
			return s;
		}
		if (vcs_lookup(s->vcs, "HEAD", &c, err) < 0)
			goto fail;
		git_oid_tostr(s->id, sizeof(s->id), git_commit_id(c));
		git_commit_free(c);
		return s;
	}
	if (vcs_lookup(s->vcs, s->rev, &c, err) < 0)
		goto fail;
	ts = s->priv = xcalloc(1, sizeof(*ts));
	vcs_treesrc_init(ts, s->vcs, NULL, s->rev);
	if (git_commit_tree(&ts->tree, c) < 0) {
		vcs_gerr(err, "cannot read the tree of '%s'", s->rev);
		goto fail;
	}
	s->fs = (struct fsrc){ .ctx = ts, .read = vcs_treesrc_read, .glob = vcs_treesrc_glob };
	s->commit = true;
	git_oid_tostr(s->id, sizeof(s->id), git_commit_id(c));
	git_commit_free(c);
	return s;
fail:
	git_commit_free(c);
	vcs_src_free(s);
	return NULL;
}

void
vcs_src_diags(struct vcs_src *s, struct diags *d)
{
	if (s->commit)
		((struct treesrc *)s->priv)->diags = d;
}

void
vcs_src_free(struct vcs_src *s)
{
	if (!s)
		return;
	src_tree_free(s);
	vcs_free(s->vcs);
	free(s->rev);
	free(s->note);
	free(s);
}
