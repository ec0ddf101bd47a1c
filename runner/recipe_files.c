/* recipe_files.c: the files a recipe names, from the working tree or a source */
#include "recipe_impl.h"
#include "util.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* files */

char *
ldpathjoin(const char *dir, const char *rel)
{
	size_t n;

	if (!dir || !*dir || !strcmp(dir, ".") || rel[0] == '/')
		return xstrdup(rel);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", rel);
}

char *
lddirpart(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xstrndup(path, s - path);
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

void
ldworktree(struct fsrc *src, const char *dir)
{
	src->ctx = (void *)dir;
	src->read = wt_read;
	src->glob = wt_glob;
}

/* a file relative to the recipe's directory, or NULL */
char *
ldread(struct loader *ld, const char *rel, size_t *len)
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
	const char *pat = ld->inc[i];
	yaml_mark_t m = ld->incmark[i];
	char **paths = NULL, *disp, *text;
	long n, j;

	if (!strpbrk(pat, "*?[")) {
		if (!(text = ldread(ld, pat, NULL))) {
			fprintf(lderrs(), "%s:%zu:%zu: included file '%s' not found\n",
			    ld->r->path, m.line + 1, m.column + 1, pat);
			ld->nerr++;
			return;
		}
		free(text);
		paths = xcalloc(1, sizeof(*paths));
		paths[0] = xstrdup(pat);
		n = 1;
	} else if ((n = ldglob(ld, pat, &paths)) < 0) {
		fprintf(lderrs(), "%s:%zu:%zu: cannot expand include pattern '%s'\n",
		    ld->r->path, m.line + 1, m.column + 1, pat);
		ld->nerr++;
		return;
	}
	for (j = 0; j < n; j++) {
		if (!ldseen(ld, paths[j])) {
			disp = ldpathjoin(ld->r->dir, paths[j]);
			ldloadfile(ld, paths[j], disp, false);
			free(disp);
		}
		free(paths[j]);
	}
	free(paths);
}
