/*
 * fuzz_recipe.c: libFuzzer target for the recipe loader, read through an
 * in-memory source as a git revision would be.
 *
 * An input is the recipe recipes/chacc.yml, then any more files, each after a
 * line "%% PATH" (PATH from the project's top: sql/a.sql, recipes/parts/b.yml).
 * Besides crashes, leaks and undefined behaviour, it fails when a message
 * shows the value of a variable that the input does not hold itself.
 * FUZZ_SHOW=1 prints the loader's messages (to replay an input by hand).
 */
#include "diag.h"
#include "recipe.h"
#include "util.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "Qx7-fuzz-secret-value"

struct mfile {
	char *path;
	const char *text;
	size_t len;
};

struct mtree {
	struct mfile *v;
	size_t n;
};

/* path with "." and "x/.." removed ("../" at the top stays), malloc'ed */
static char *
clean(const char *path)
{
	char *copy = xstrdup(path), *c, *save = NULL, **part;
	size_t n = 0, i;
	struct buf b;

	part = xcalloc(strlen(path) + 1, sizeof(*part));
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..") && n > 0 && strcmp(part[n - 1], ".."))
			n--;
		else
			part[n++] = c;
	}
	buf_init(&b);
	buf_adds(&b, "");
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? "/" : "", part[i]);
	free(part);
	free(copy);
	return buf_detach(&b);
}

static char *
mread(void *ctx, const char *path, size_t *len)
{
	struct mtree *t = ctx;
	char *p = clean(path), *s = NULL;
	size_t i;

	for (i = 0; i < t->n && !s; i++) {
		if (!strcmp(t->v[i].path, p)) {
			s = xmalloc(t->v[i].len + 1);
			memcpy(s, t->v[i].text, t->v[i].len);
			s[t->v[i].len] = '\0';
			if (len)
				*len = t->v[i].len;
		}
	}
	free(p);
	return s;
}

/* matches of pattern, named with its directory as written, as git trees do */
static long
mglob(void *ctx, const char *pattern, char ***paths)
{
	struct mtree *t = ctx;
	const char *magic = strpbrk(pattern, "*?["), *q;
	size_t dlen = 0, i, k;
	char *dir, *ndir, *npat;
	long n = 0;

	if (!magic)
		magic = pattern + strlen(pattern);
	for (q = pattern; q < magic; q++)
		if (*q == '/')
			dlen = (size_t)(q - pattern) + 1;
	dir = xstrndup(pattern, dlen);
	ndir = clean(dir);
	npat = clean(pattern);
	k = strlen(ndir);
	*paths = xcalloc(t->n + 1, sizeof(**paths));
	for (i = 0; i < t->n; i++) {
		const char *p = t->v[i].path;

		if (fnmatch(npat, p, FNM_PATHNAME | FNM_PERIOD) == 0)
			(*paths)[n++] = xasprintf("%s%s", dir, p + (k && !strncmp(p, ndir, k) ?
			    k + (p[k] == '/') : 0));
	}
	free(dir);
	free(ndir);
	free(npat);
	return n;
}

/* the files of an input */
static void
split(struct mtree *t, const char *data, size_t size)
{
	const char *s = data, *end = data + size, *mark;
	char *path = xstrdup("recipes/chacc.yml"), *raw;

	t->v = NULL;
	t->n = 0;
	for (;;) {
		mark = memmem(s, (size_t)(end - s), "\n%% ", 4);
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n].path = path;
		t->v[t->n].text = s;
		t->v[t->n].len = (size_t)((mark ? mark + 1 : end) - s);
		t->n++;
		if (!mark)
			break;
		s = mark + 4;
		mark = memchr(s, '\n', (size_t)(end - s));
		raw = xstrndup(s, (size_t)((mark ? mark : end) - s));
		path = clean(raw);
		free(raw);
		s = mark ? mark + 1 : end;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("SOURCE_DB_PASSWORD", SECRET, 1);
	setenv("SOURCE_DB_USER", "reader", 1);
	setenv("SOURCE_DB_NAME", "openmrs", 1);
	setenv("TARGET_DB_PASSWORD", SECRET, 1);
	setenv("TARGET_DB_USER", "analytics", 1);
	setenv("TARGET_DB_NAME", "analytics", 1);
	setenv("EMPTY", "", 1);
	/* the test fixtures' variables */
	setenv("CHT_SOURCE_USER", "reader", 1);
	setenv("CHT_SOURCE_PASSWORD", SECRET, 1);
	unsetenv("MAX_RETRIES");
	unsetenv("RETRY_DELAY");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fsrc src = { .read = mread, .glob = mglob };
	struct mtree t;
	struct recipe *r;
	struct diags ds;
	char *msgs;
	size_t i;

	split(&t, (const char *)data, size);
	src.ctx = &t;
	diags_init(&ds);
	r = recipe_load("recipes/chacc.yml", NULL, &src, &ds);
	msgs = diags_text(&ds);
	if (getenv("FUZZ_SHOW"))
		fprintf(stderr, "%s%s%s", msgs, *msgs ? "\n" : "", r ? "loaded\n" : "");
	if (!r && ds.nerrors == 0)
		abort();        /* refused without saying why */
	/* every field of every diagnostic: the text shows them all */
	if (strstr(msgs, SECRET) && !memmem(data, size, SECRET, strlen(SECRET))) {
		fprintf(stderr, "a message shows a variable's value:\n%s\n", msgs);
		abort();
	}
	recipe_free(r);
	free(msgs);
	diags_release(&ds);
	for (i = 0; i < t.n; i++)
		free(t.v[i].path);
	free(t.v);
	return 0;
}
