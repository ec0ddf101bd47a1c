/* vcs.c: the git repository of a recipe, its paths, and the sides of a comparison */
#include "vcs_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "recipe.h"
#include "util.h"

/* errors */

int
vcs_err(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* the same, followed by libgit2's last error */
int
vcs_gerr(char **err, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (e && e->message && *e->message) {
		*err = xasprintf("%s: %s", msg, e->message);
		free(msg);
	} else
		*err = msg;
	return -1;
}

/* lists */

void
paths_add(struct strlist *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

bool
paths_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* add s (taken) unless NULL or there already */
void
paths_add_new(struct strlist *l, char *s)
{
	if (s && !paths_has(l, s))
		paths_add(l, s);
	else
		free(s);
}

/* 'a', 'b' and 'c' */
char *
paths_quoted(const struct strlist *l)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < l->n; i++)
		buf_addf(&b, "%s'%s'", i == 0 ? "" : i + 1 == l->n ? " and " : ", ", l->v[i]);
	return buf_detach(&b);
}

/* paths */

/* p made absolute against cwd, with '.', '..' and repeated slashes resolved */
static char *
normpath(const char *cwd, const char *p)
{
	char *full = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", cwd, p);
	char *out = xmalloc(strlen(full) + 2);
	const char *s = full, *e;
	size_t len = 0;

	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (!(e - s == 1 && s[0] == '.')) {
			out[len++] = '/';
			memcpy(out + len, s, (size_t)(e - s));
			len += (size_t)(e - s);
		}
		s = e;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	free(full);
	return out;
}

/* path (relative to the working directory) in the repository, or NULL outside it */
char *
vcs_path(const struct vcs *v, const char *path)
{
	char *abs = normpath(v->cwd, path), *rel = NULL, real[PATH_MAX];
	size_t n = strlen(v->top);

	if (strncmp(abs, v->top, n) != 0 || (abs[n] != '/' && abs[n] != '\0')) {
		/* reached through a symbolic link: the top is a real path */
		char *slash = strrchr(abs, '/');

		if (realpath(abs, real)) {
			free(abs);
			abs = xstrdup(real);
		} else if (slash && slash != abs) {
			*slash = '\0';
			if (realpath(abs, real)) {
				char *joined = xasprintf("%s/%s", real, slash + 1);

				free(abs);
				abs = joined;
			} else
				*slash = '/';
		}
	}
	if (strcmp(abs, v->top) == 0)
		rel = xstrdup("");
	else if (strncmp(abs, v->top, n) == 0 && (abs[n] == '/' || v->top[n - 1] == '/'))
		rel = xstrdup(abs + n + (abs[n] == '/'));
	free(abs);
	return rel;
}

/* a path of recipe r (relative to its directory) in the repository, or NULL */
char *
vcs_recipe_path(const struct vcs *v, const struct recipe *r, const char *rel)
{
	char *p, *out;

	if (!rel)
		return NULL;
	p = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", r->dir, rel);
	out = vcs_path(v, p);
	free(p);
	return out;
}

static bool
config_ext(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot && !strchr(dot, '/') && (strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0 ||
	       strcmp(dot, ".json") == 0 || strcmp(dot, ".sql") == 0);
}

/* a file a recipe reads (read1, read2), or a recipe or SQL file under the recipe's directory */
bool
vcs_is_config(const struct vcs *v, const char *path, const struct strlist *read1,
          const struct strlist *read2)
{
	size_t n = strlen(v->rdir);

	if (paths_has(read1, path) || paths_has(read2, path))
		return true;
	if (!config_ext(path))
		return false;
	/* the layout of DESIGN §1: recipes/ and sql/ hold configs, new files too */
	if (strncmp(path, "recipes/", 8) == 0 || strncmp(path, "sql/", 4) == 0)
		return true;
	/* and the recipe at the project root, which the web edits too (DESIGN §8) */
	if (strcmp(path, "chacc.yml") == 0)
		return true;
	return n == 0 || (strncmp(path, v->rdir, n) == 0 && path[n] == '/');
}

/* path (relative to the working directory) and, read through a link, the file it reaches */
static void
add_read(const struct vcs *v, struct strlist *out, const char *path)
{
	char real[PATH_MAX];

	paths_add_new(out, vcs_path(v, path));
	if (realpath(path, real))
		paths_add_new(out, vcs_path(v, real));
}

/* a file of r named relative to its directory */
static void
add_recipe_read(const struct vcs *v, const struct recipe *r, struct strlist *out, const char *rel)
{
	char *p;

	if (!rel)
		return;
	p = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", r->dir, rel);
	add_read(v, out, p);
	free(p);
}

/* the files r reads, as repository paths */
static void
recipe_files(const struct vcs *v, const struct recipe *r, struct strlist *out)
{
	add_read(v, out, r->path);
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct target *t = &r->targets[i];

		if (t->file)
			add_read(v, out, t->file);
		add_recipe_read(v, r, out, t->query);
		add_recipe_read(v, r, out, t->script);
		add_recipe_read(v, r, out, t->create);
		add_recipe_read(v, r, out, t->incr.probe);
		add_recipe_read(v, r, out, t->data);
		add_recipe_read(v, r, out, t->pivot ? t->pivot->map : NULL);
		for (size_t j = 0; j < t->nchecks; j++)
			add_recipe_read(v, r, out, t->checks[j].sql);
	}
}

/* the repository */

int
vcs_open(struct vcs **out, const char *recipe_path, const char *envdir, char **err)
{
	const char *slash = strrchr(recipe_path, '/');
	char *dir, cwd[PATH_MAX], top[PATH_MAX];
	git_repository *repo = NULL;
	struct vcs *v;
	int rc;

	*out = NULL;
	if (!slash)
		dir = xstrdup(".");
	else
		dir = slash == recipe_path ? xstrdup("/") : xstrndup(recipe_path, slash - recipe_path);
	git_libgit2_init();
	rc = git_repository_open_ext(&repo, access(dir, F_OK) == 0 ? dir : ".", 0, NULL);
	if (rc == GIT_ENOTFOUND) {
		free(dir);
		git_libgit2_shutdown();
		return 1;
	}
	if (rc < 0 || !git_repository_workdir(repo) ||
	    !realpath(git_repository_workdir(repo), top) || !getcwd(cwd, sizeof(cwd))) {
		if (rc < 0)
			vcs_gerr(err, "cannot open the git repository of '%s'", dir);
		else
			vcs_err(err, "the git repository of '%s' has no working tree", dir);
		git_repository_free(repo);
		free(dir);
		git_libgit2_shutdown();
		return -1;
	}
	v = xcalloc(1, sizeof(*v));
	v->repo = repo;
	v->top = xstrdup(top);
	v->cwd = xstrdup(cwd);
	v->recipe = xstrdup(recipe_path);
	v->envdir = xstrdup(envdir ? envdir : ".");
	v->rdir = vcs_path(v, dir);
	if (!v->rdir)
		v->rdir = xstrdup("");
	free(dir);
	*out = v;
	return 0;
}

void
vcs_free(struct vcs *v)
{
	if (!v)
		return;
	git_repository_free(v->repo);
	free(v->top);
	free(v->cwd);
	free(v->recipe);
	free(v->envdir);
	free(v->rdir);
	free(v->author);
	free(v->email);
	free(v);
	git_libgit2_shutdown();
}

int
vcs_lookup(struct vcs *v, const char *rev, git_commit **out, char **err)
{
	git_object *o = NULL, *c = NULL;
	int rc;

	*out = NULL;
	rc = git_revparse_single(&o, v->repo, rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EUNBORNBRANCH) {
		if (strcmp(rev, "HEAD") == 0 && git_repository_head_unborn(v->repo) == 1)
			return vcs_err(err, "no commit yet in the git repository at '%s'", v->top);
		return vcs_err(err, "unknown revision '%s'", rev);
	}
	if (rc == GIT_EAMBIGUOUS)
		return vcs_err(err, "ambiguous revision '%s'", rev);
	if (rc < 0)
		return vcs_gerr(err, "cannot read revision '%s'", rev);
	rc = git_object_peel(&c, o, GIT_OBJECT_COMMIT);
	git_object_free(o);
	if (rc < 0)
		return vcs_err(err, "revision '%s' is not a commit", rev);
	*out = (git_commit *)c;
	return 0;
}

int
vcs_lookup_main(struct vcs *v, git_commit **out, char **err)
{
	git_reference *ref = NULL;
	git_object *o = NULL;
	int rc;

	*out = NULL;
	if (git_reference_lookup(&ref, v->repo, MAIN_REF) < 0)
		return vcs_err(err, "no branch 'main' in the git repository at '%s'", v->top);
	rc = git_reference_peel(&o, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	if (rc < 0)
		return vcs_gerr(err, "cannot read branch 'main'");
	*out = (git_commit *)o;
	return 0;
}

int
vcs_lookup_id(struct vcs *v, const char *hex, git_commit **out, char **err)
{
	git_oid oid;

	*out = NULL;
	if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(out, v->repo, &oid) < 0)
		return vcs_gerr(err, "cannot read commit %s", hex);
	return 0;
}

int
vcs_resolve(struct vcs *v, const char *rev, char id[41], char **err)
{
	git_commit *c;

	if (vcs_lookup(v, rev, &c, err) < 0)
		return -1;
	git_oid_tostr(id, 41, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

void
vcs_commit_info(git_commit *c, struct vcs_commit *out)
{
	const git_signature *a = git_commit_author(c);
	const char *summary = git_commit_summary(c), *msg = git_commit_message(c);

	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(c));
	out->author = xstrdup(a && a->name ? a->name : "");
	out->email = xstrdup(a && a->email ? a->email : "");
	out->time = a ? (long long)a->when.time : 0;
	out->offset = a ? a->when.offset : 0;
	out->summary = xstrdup(summary ? summary : "");
	out->message = xstrdup(msg ? msg : "");
}

void
vcs_commit_release(struct vcs_commit *c)
{
	free(c->author);
	free(c->email);
	free(c->summary);
	free(c->message);
}

/* loading recipes */

/*
 * recipe_load, its problems kept as text in *problems instead of shown: a
 * revision other than the one a command builds is only reported on
 */
static struct recipe *
load_quiet(struct vcs *v, const struct fsrc *src, struct treesrc *ts, char **problems)
{
	struct diags ds;
	struct recipe *r;

	diags_init(&ds);
	if (ts)
		ts->diags = &ds;
	r = recipe_load(v->recipe, v->envdir, src, &ds);
	if (ts)
		ts->diags = NULL;
	if (!r && problems)
		*problems = ds.n ? diags_text(&ds) : xstrdup("the recipe does not load");
	diags_release(&ds);
	return r;
}

void
side_tree(struct side *s, const char *name, git_tree *tree, const git_oid *commit)
{
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->tree = tree;
	if (commit)
		git_oid_tostr(s->id, sizeof(s->id), commit);
}

int
side_commit(struct vcs *v, struct side *s, const char *name, git_commit *c, char **err)
{
	git_tree *t;

	if (git_commit_tree(&t, c) < 0)
		return vcs_gerr(err, "cannot read the tree of '%s'", name);
	side_tree(s, name, t, git_commit_id(c));
	return 0;
}

int
side_rev(struct vcs *v, struct side *s, const char *rev, char **err)
{
	git_commit *c;
	int rc;

	if (vcs_lookup(v, rev, &c, err) < 0)
		return -1;
	rc = side_commit(v, s, rev, c, err);
	git_commit_free(c);
	return rc;
}

void
side_worktree(struct side *s)
{
	memset(s, 0, sizeof(*s));
	s->name = xstrdup("working tree");
	s->worktree = true;
}

/* load the side's recipe; without a recipe file it has no targets */
void
side_load(struct vcs *v, struct side *s)
{
	char *p = vcs_path(v, v->recipe), *msg = NULL;
	git_tree_entry *e = NULL;
	bool absent;

	if (s->worktree)
		absent = access(v->recipe, F_OK) < 0;
	else
		absent = !p || !*p || vcs_tree_find(v, s->tree, p, &e, NULL, &msg) == 1;
	git_tree_entry_free(e);
	free(msg);
	free(p);
	if (absent)
		return;
	vcs_treesrc_init(&s->ts, v, s->tree, s->name);
	s->fs = (struct fsrc){ .ctx = &s->ts, .read = vcs_treesrc_read, .glob = vcs_treesrc_glob };
	s->r = load_quiet(v, s->worktree ? NULL : &s->fs, s->worktree ? NULL : &s->ts, &s->error);
	if (s->r)
		recipe_files(v, s->r, &s->files);
}

char *
side_read(struct vcs *v, const struct side *s, const char *path)
{
	char *full, *text, *msg = NULL;

	if (!path)
		return NULL;
	if (!s->worktree) {
		/* a link that cannot be followed shows as its problem */
		text = vcs_tree_text(v, s->tree, path, NULL, &msg);
		if (msg) {
			text = xasprintf("(%s)\n", msg);
			free(msg);
		}
		return text;
	}
	full = xasprintf("%s/%s", v->top, path);
	text = readfile(full, NULL);
	free(full);
	return text;
}

void
side_release(struct side *s)
{
	free(s->name);
	git_tree_free(s->tree);
	vcs_treesrc_release(&s->ts);
	recipe_free(s->r);
	free(s->error);
	strlist_release(&s->files);
}

/* the config files (by read, or by name) of the working tree that differ from HEAD */
int
vcs_status_files(struct vcs *v, const struct strlist *read, bool all, struct strlist *out,
                 struct strlist *untracked, char **err)
{
	git_status_options o;
	git_status_list *st = NULL;
	size_t i, n;

	git_status_options_init(&o, GIT_STATUS_OPTIONS_VERSION);
	o.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	o.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (!all)
		o.flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	if (git_status_list_new(&st, v->repo, &o) < 0)
		return vcs_gerr(err, "cannot read the status of the working tree");
	n = git_status_list_entrycount(st);
	for (i = 0; i < n; i++) {
		const git_status_entry *e = git_status_byindex(st, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
		const char *path;

		if (!d || e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED))
			continue;
		path = d->new_file.path ? d->new_file.path : d->old_file.path;
		if (all || vcs_is_config(v, path, read, NULL))
			paths_add_new(untracked && e->status == GIT_STATUS_WT_NEW ? untracked : out,
			              xstrdup(path));
	}
	git_status_list_free(st);
	return 0;
}

void
vcs_src_check(struct vcs_src *s, const struct recipe *r)
{
	struct strlist read = { 0 }, changed = { 0 };
	char *err = NULL;

	if (!s->vcs || s->commit)
		return;
	recipe_files(s->vcs, r, &read);
	if (vcs_status_files(s->vcs, &read, false, &changed, NULL, &err) < 0)
		s->dirty = true;
	else
		s->dirty = changed.n > 0;
	free(err);
	strlist_release(&read);
	strlist_release(&changed);
}

int
vcs_changed_files(struct vcs *v, struct strlist *out, char **err)
{
	struct side s;
	int rc;

	memset(out, 0, sizeof(*out));
	side_worktree(&s);
	side_load(v, &s);
	rc = vcs_status_files(v, &s.files, false, out, NULL, err);
	side_release(&s);
	return rc;
}
