/* luigi_files.c: writing the imported recipe's files whole, or none of them */
#include "luigi_impl.h"
#include "diag.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the directories made and the temporary files written so far, to undo */
struct staging {
	char **dirs;
	size_t ndirs;
	char **tmps;              /* one per file, NULL once renamed */
	char **dests;
	size_t nfiles;
};

static void
mkdirs(struct staging *st, const char *path)
{
	char *p = xstrdup(path);

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0777) == 0) {
			st->dirs = xreallocarray(st->dirs, st->ndirs + 1, sizeof(*st->dirs));
			st->dirs[st->ndirs++] = xstrdup(p);
		}
		*s = '/';
	}
	free(p);
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* file f into a temporary file beside dest; its path, or NULL (reported) */
static char *
stage(struct lconv *c, struct staging *st, const struct lfile *f, const char *dest)
{
	char *tmp = xasprintf("%s.chacc-import.XXXXXX", dest), *text = f->text;
	size_t len = text ? strlen(text) : 0;
	mode_t mask = umask(022);
	int fd;

	umask(mask);
	mkdirs(st, dest);
	if (!text && f->copy_from && !(text = readfile(f->copy_from, &len))) {
		diag_error(c->ds, "cannot read '%s':", f->copy_from);
		free(tmp);
		return NULL;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || fchmod(fd, 0666 & ~mask) < 0 || write_all(fd, text, len) < 0 ||
	    fsync(fd) < 0 || close(fd) < 0) {
		diag_error(c->ds, "cannot write '%s':", dest);
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		tmp = NULL;
	}
	if (text != f->text)
		free(text);
	return tmp;
}

/* remove what was staged and not renamed, and the directories made if empty */
static void
staging_release(struct staging *st)
{
	for (size_t i = 0; i < st->nfiles; i++) {
		if (st->tmps[i])
			unlink(st->tmps[i]);
		free(st->tmps[i]);
		free(st->dests[i]);
	}
	for (size_t i = st->ndirs; i-- > 0; ) {
		rmdir(st->dirs[i]);
		free(st->dirs[i]);
	}
	free(st->tmps);
	free(st->dests);
	free(st->dirs);
}

/* the files that exist and may not be overwritten, reported; their count */
static size_t
refuse(struct lconv *c)
{
	size_t n = 0;
	struct stat sb;

	for (size_t i = 0; i < c->nfiles; i++) {
		char *dest = xasprintf("%s/%s", c->li->outdir, c->files[i].path);

		if (lstat(dest, &sb) == 0 && (!c->li->force || S_ISDIR(sb.st_mode))) {
			diag_add(c->ds, DIAG_ERROR, c->files[i].path, 0, 0, NULL,
			         S_ISDIR(sb.st_mode) ? "is a directory" :
			         "exists (--force overwrites it)");
			n++;
		}
		free(dest);
	}
	return n;
}

/* load the written recipe as a build would */
static enum luigi_outcome
check_recipe(struct lconv *c, FILE *out)
{
	char *path = xasprintf("%s/chacc.yml", c->li->outdir);
	struct recipe *r = recipe_load(path, c->li->outdir, NULL, c->ds);

	if (!r) {
		diag_error(c->ds, "the written recipe '%s' does not validate (see above)", path);
		free(path);
		return LUIGI_FAILED;
	}
	fprintf(out, "%s: recipe '%s' is valid: %zu targets, %zu connections\n", path, r->name,
	        r->ntargets, r->nconns);
	recipe_free(r);
	free(path);
	return LUIGI_OK;
}

enum luigi_outcome
lwrite_files(struct lconv *c, FILE *out)
{
	struct staging st = { 0 };
	size_t n;

	if ((n = refuse(c)) > 0) {
		diag_error(c->ds, "%zu file%s exist%s: nothing written", n, n == 1 ? "" : "s",
		           n == 1 ? "s" : "");
		return LUIGI_BAD_INPUT;
	}
	st.tmps = xcalloc(c->nfiles + 1, sizeof(*st.tmps));
	st.dests = xcalloc(c->nfiles + 1, sizeof(*st.dests));
	for (size_t i = 0; i < c->nfiles; i++, st.nfiles++) {
		st.dests[i] = xasprintf("%s/%s", c->li->outdir, c->files[i].path);
		if (!(st.tmps[i] = stage(c, &st, &c->files[i], st.dests[i]))) {
			st.nfiles++;
			staging_release(&st);
			diag_error(c->ds, "nothing written");
			return LUIGI_FAILED;
		}
	}
	for (size_t i = 0; i < st.nfiles; i++) {
		if (rename(st.tmps[i], st.dests[i]) < 0) {
			diag_error(c->ds, "cannot write '%s':", st.dests[i]);
			staging_release(&st);
			return LUIGI_FAILED;
		}
		free(st.tmps[i]);
		st.tmps[i] = NULL;
	}
	for (size_t i = 0; i < st.ndirs; i++)
		free(st.dirs[i]);
	st.ndirs = 0;
	staging_release(&st);
	fprintf(out, "wrote %zu files into %s\n", c->nfiles, c->li->outdir);
	return check_recipe(c, out);
}
