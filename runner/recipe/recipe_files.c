/* recipe_files.c: the files a recipe names, from the working tree or a source */
#include "recipe_impl.h"
#include "util.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A recipe reads files of its project only: paths are relative, never name a
 * hidden file or directory (.env, .git), and climb with ".." no higher than the
 * project's directory: the working directory when the recipe is inside it, else
 * the git work tree holding the recipe, else the recipe's own directory. In the
 * working tree, the file a path leads to through symbolic links must be in the
 * project too.
 */

char *
ldpathjoin(const char *dir, const char *rel)
{
	size_t n;

	if (!dir || !*dir || !strcmp(dir, ".") || rel[0] == '/')
		return xstrdup(rel);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", rel);
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
wt_read(void *ctx, const char *rel, size_t *len)
{
	char *path = ldpathjoin(ctx, rel), *s = readfile(path, len);

	free(path);
	return s;
}

static long
wt_glob(void *ctx, const char *pattern, char ***paths)
{
	char *full = ldpathjoin(ctx, pattern);
	size_t skip = strlen(full) - strlen(pattern), i;
	glob_t g;
	int rc = glob(full, 0, NULL, &g);

	free(full);
	*paths = NULL;
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return -1;
	*paths = xcalloc(g.gl_pathc, sizeof(**paths));
	for (i = 0; i < g.gl_pathc; i++)
		(*paths)[i] = xstrdup(g.gl_pathv[i] + skip);
	qsort(*paths, g.gl_pathc, sizeof(**paths), cmpstr);
	globfree(&g);
	return (long)i;
}

/* path made absolute and lexically clean ("." and ".." resolved), malloc'ed */
static char *
abspath(const char *path)
{
	char cwd[PATH_MAX], *full, *out, *c, *save = NULL;
	size_t n = 0;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		full = xstrdup(path);
	else
		full = xasprintf("%s/%s", cwd, path);
	out = xcalloc(strlen(full) + 2, 1);
	for (c = strtok_r(full, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (n > 0 && out[--n] != '/')
				;
			out[n] = '\0';
			continue;
		}
		n += (size_t)sprintf(out + n, "/%s", c);
	}
	if (!n)
		strcpy(out, "/");
	free(full);
	return out;
}

/* the real path of path, or its clean absolute form where it does not exist */
static char *
realorabs(const char *path)
{
	char *r = realpath(path, NULL);

	return r ? r : abspath(path);
}

/* whether path is dir or inside it */
static bool
inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* slashes of path below dir, which holds it */
static int
depthbelow(const char *path, const char *dir)
{
	const char *p = path + (strcmp(dir, "/") ? strlen(dir) : 0);
	int n = 0;

	for (; *p; p++)
		n += *p == '/' && p[1];
	return n;
}

/* the nearest directory at or above dir holding ".git", or NULL */
static char *
gittop(const char *dir)
{
	char *top = xstrdup(dir), *git, *slash;
	struct stat st;

	for (;;) {
		git = xasprintf("%s/.git", strcmp(top, "/") ? top : "");
		if (stat(git, &st) == 0) {
			free(git);
			return top;
		}
		free(git);
		if (!strcmp(top, "/") || !(slash = strrchr(top, '/')))
			break;
		if (slash == top)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(top);
	return NULL;
}

void
ldproject(struct loader *ld)
{
	char *dir = realorabs(ld->r->dir), *cwd = realorabs(".");

	if (inside(dir, cwd)) {
		ld->root = cwd;
	} else {
		free(cwd);
		if (!(ld->root = gittop(dir)))
			ld->root = xstrdup(dir);
	}
	ld->updepth = depthbelow(dir, ld->root);
	free(dir);
}

/* why rel, a path as the recipe names it, leaves the project (lexically), or NULL */
static const char *
lexical(const struct loader *ld, const char *rel)
{
	const char *c = rel, *e;
	int level = 0;

	if (rel[0] == '/')
		return "is an absolute path: paths are relative to the recipe";
	for (; *c; c = *e ? e + 1 : e) {
		size_t n;

		e = strchr(c, '/');
		if (!e)
			e = c + strlen(c);
		n = (size_t)(e - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (--level < -ld->updepth)
				return "leaves the project's directory";
		} else if (c[0] == '.') {
			return "names a hidden file or directory";
		} else {
			level++;
		}
	}
	return NULL;
}

const char *
ldforbidden(struct loader *ld, const char *rel)
{
	const char *why = lexical(ld, rel), *p;
	char *path, *real;

	if (why || !ld->src->worktree)
		return why;
	/* where symbolic links lead */
	path = ldpathjoin(ld->r->dir, rel);
	real = realpath(path, NULL);
	free(path);
	if (!real)
		return NULL;
	if (!inside(real, ld->root)) {
		why = "leads out of the project through a symbolic link";
	} else {
		for (p = real + strlen(ld->root); (p = strchr(p, '/')); p++) {
			if (p[1] == '.') {
				why = "leads to a hidden file through a symbolic link";
				break;
			}
		}
	}
	free(real);
	return why;
}

void
ldworktree(struct fsrc *src, const char *dir)
{
	src->ctx = (void *)dir;
	src->read = wt_read;
	src->glob = wt_glob;
	src->worktree = true;
}

/* a file relative to the recipe's directory, or NULL */
char *
ldread(struct loader *ld, const char *rel, size_t *len)
{
	if (ldforbidden(ld, rel)) {
		errno = EACCES;
		return NULL;
	}
	return ldreadtop(ld, rel, len);
}

char *
ldreadtop(struct loader *ld, const char *rel, size_t *len)
{
	char *path = ldpathjoin(ld->prefix, rel), *s;

	s = ld->src->read(ld->src->ctx, path, len);
	free(path);
	return s;
}

/* the sorted matches of a pattern relative to the recipe's directory */
static long
ldglob(struct loader *ld, const char *pattern, char ***paths)
{
	char *full = ldpathjoin(ld->prefix, pattern);
	size_t skip = strlen(full) - strlen(pattern);
	long n = ld->src->glob(ld->src->ctx, full, paths), i;

	free(full);
	for (i = 0; i < n; i++) {
		char *p = (*paths)[i];

		if (skip && strlen(p) >= skip)
			memmove(p, p + skip, strlen(p + skip) + 1);
	}
	if (n > 0)
		qsort(*paths, n, sizeof(**paths), cmpstr);
	return n;
}

bool
ldseen(struct loader *ld, const char *rel)
{
	size_t i;

	for (i = 0; i < ld->seen.n; i++)
		if (!strcmp(ld->seen.v[i], rel))
			return true;
	ld->seen.v = xreallocarray(ld->seen.v, ld->seen.n + 1, sizeof(*ld->seen.v));
	ld->seen.v[ld->seen.n++] = xstrdup(rel);
	return false;
}

/* load the files of include pattern i, which the top-level file names */
void
ldinclude(struct loader *ld, size_t i)
{
	const char *pat = ld->inc[i], *why;
	yaml_mark_t m = ld->incmark[i];
	char **paths = NULL, *disp, *text;
	long n, j;

	if ((why = ldforbidden(ld, pat))) {
		ldmsg(ld, ld->r->path, (int)m.line + 1, (int)m.column + 1, "include '%s' %s",
		      ldshown(ld, pat, ld->r->path, (int)m.line + 1), why);
		ld->nerr++;
		return;
	}
	if (!strpbrk(pat, "*?[")) {
		if (!(text = ldread(ld, pat, NULL))) {
			ldmsg(ld, ld->r->path, (int)m.line + 1, (int)m.column + 1,
			      "included file '%s' not found", ldshown(ld, pat, ld->r->path, (int)m.line + 1));
			ld->nerr++;
			return;
		}
		free(text);
		paths = xcalloc(1, sizeof(*paths));
		paths[0] = xstrdup(pat);
		n = 1;
	} else if ((n = ldglob(ld, pat, &paths)) < 0) {
		ldmsg(ld, ld->r->path, (int)m.line + 1, (int)m.column + 1,
		      "cannot expand include pattern '%s'", ldshown(ld, pat, ld->r->path, (int)m.line + 1));
		ld->nerr++;
		return;
	}
	for (j = 0; j < n; j++) {
		if ((why = ldforbidden(ld, paths[j]))) {
			ldmsg(ld, ld->r->path, (int)m.line + 1, (int)m.column + 1,
			      "included file '%s' %s", paths[j], why);
			ld->nerr++;
		} else if (!ldseen(ld, paths[j])) {
			disp = ldpathjoin(ld->r->dir, paths[j]);
			ldloadfile(ld, paths[j], disp, false);
			free(disp);
		}
		free(paths[j]);
	}
	free(paths);
}
