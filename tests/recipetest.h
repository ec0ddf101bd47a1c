/* recipetest.h: helpers of the recipe suites: loading, a .env, projects made by a test */
#ifndef CHACC_RECIPETEST_H
#define CHACC_RECIPETEST_H

#include "diag.h"
#include "plan.h"
#include "recipe.h"
#include "testutil.h"
#include "util.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIX "tests/fixtures/recipes/"
#define ERR FIX "errors/"
/* a directory without .env: drops the one an earlier test loaded */
#define NOENV "/nonexistent"

static char envdir[] = "/tmp/check_recipe.XXXXXX";

/* a .env in a fresh directory (the project may git-ignore .env files) */
static inline void
setup(void)
{
	static const char *dotenv =
	    "# secrets stay out of git\n"
	    "CHT_SOURCE_USER=dotenv_user\n"
	    "export CHT_SOURCE_PASSWORD=\"s3cret # not a comment\"\n"
	    "CHT_LOOKUP_DB='lookup_db'   \n"
	    "CHT_SCHEMA=clinic # a comment\n"
	    "MAX_RETRIES=7\n"
	    "RETRY_DELAY=20\n"
	    "\n"
	    "not a line\n";
	char *path;
	FILE *f;

	strcpy(envdir, "/tmp/check_recipe.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(envdir));
	path = xasprintf("%s/.env", envdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(dotenv, f);
	fclose(f);
	free(path);
	unsetenv("MAX_RETRIES");
	unsetenv("RETRY_DELAY");
	unsetenv("CHT_SOURCE_USER");
	unsetenv("CHT_SOURCE_PORT");
	unsetenv("CHT_TEST_UNSET_USER");
	unsetenv("CHT_TEST_UNSET_SQL");
}

static inline void
teardown(void)
{
	char *path = xasprintf("%s/.env", envdir);

	unlink(path);
	free(path);
	rmdir(envdir);
}

/* load a recipe with its problems, as text one a line, into *err */
static inline struct recipe *
load(const char *path, const char *dir, const struct fsrc *src, char **err)
{
	struct diags ds;
	struct recipe *r;
	struct buf b;

	diags_init(&ds);
	r = recipe_load(path, dir, src, &ds);
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < ds.n; i++) {
		diag_text(&ds.v[i], &b);
		buf_addc(&b, '\n');
	}
	diags_release(&ds);
	*err = buf_detach(&b);
	return r;
}

/* load a recipe that must fail; returns its messages */
static inline char *
fails(const char *path)
{
	char *err;
	struct recipe *r = load(path, NULL, NULL, &err);

	ck_assert_msg(r == NULL, "%s loaded", path);
	return err;
}

#define ck_assert_has(text, want) \
	ck_assert_msg(strstr((text), (want)) != NULL, "missing \"%s\" in:\n%s", (want), (text))

static inline size_t
nlines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* an in-memory source, as a git revision would be */
struct memfile {
	const char *path;
	const char *text;
	size_t len;       /* 0: strlen(text) */
};

static inline char *
mem_read(void *ctx, const char *path, size_t *len)
{
	const struct memfile *f;

	for (f = ctx; f->path; f++) {
		if (!strcmp(f->path, path)) {
			size_t n = f->len ? f->len : strlen(f->text);
			char *s = xmalloc(n + 1);

			memcpy(s, f->text, n);
			s[n] = '\0';
			if (len)
				*len = n;
			return s;
		}
	}
	return NULL;
}

static inline long
mem_glob(void *ctx, const char *pattern, char ***paths)
{
	const struct memfile *f;
	long n = 0;

	*paths = NULL;
	for (f = ctx; f->path; f++) {
		if (!fnmatch(pattern, f->path, FNM_PATHNAME)) {
			*paths = xreallocarray(*paths, n + 1, sizeof(**paths));
			(*paths)[n++] = xstrdup(f->path);
		}
	}
	return n;
}

/* files of a recipe made by a test, in a fresh directory */

static char proj[PATH_MAX];

static inline void
proj_new(void)
{
	strcpy(proj, "/tmp/check_recipe.proj.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(proj));
}

/* rel in the project, with its directories */
static inline char *
proj_path(const char *rel)
{
	char *path = xasprintf("%s/%s", proj, rel), *slash;

	for (slash = strchr(path + strlen(proj) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	return path;
}

static inline void
put(const char *rel, const char *text, size_t len)
{
	char *path = proj_path(rel);
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	free(path);
}

#define puts_(rel, text) put((rel), (text), strlen(text))

static inline int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline void
proj_rm(void)
{
	nftw(proj, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* load rel of the project (the working directory stays where it is) */
static inline struct recipe *
proj_load(const char *rel, char **err)
{
	char *path = xasprintf("%s/%s", proj, rel);
	struct recipe *r = load(path, NOENV, NULL, err);

	free(path);
	return r;
}

#define HEAD "chacc: 1\nname: p\nconnections: [{name: db}]\ntarget: db\n"

/* a recipe of the project with one target whose entry ends with extra */
static inline struct recipe *
one_target(const char *extra, char **err)
{
	struct buf b;
	struct recipe *r;

	buf_init(&b);
	buf_addf(&b, "chacc: 1\nname: t\nconnections:\n  - { name: db, host: h, database: d }\n"
	         "target: db\ntargets:\n  - name: a\n    kind: table\n    query: a.sql\n%s",
	         extra);
	proj_new();
	puts_("a.sql", "SELECT 1\n");
	puts_("r.yml", b.s);
	buf_release(&b);
	r = proj_load("r.yml", err);
	proj_rm();
	return r;
}

#endif
