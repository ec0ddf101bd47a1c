/* web_files.c: the config files the web UI edits: confinement, validation, proposals */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "recipe.h"
#include "sqlcheck.h"
#include "util.h"
#include "vcs.h"
#include "web.h"

/* the directories the UI may read and write, and the names it may */
static const char *const roots[] = { "recipes", "sql" };
/* the one file outside them it may: the recipe at the project root (DESIGN §8) */
static const char root_recipe[] = "chacc.yml";
static const char *const exts[] = { ".sql", ".yml", ".yaml", ".json" };

/* the largest file the editor opens */
#define MAX_FILE (4 * 1024 * 1024)

/* one proposal or approval at a time: an approval moves HEAD and may check files out */
pthread_mutex_t web_files_mu = PTHREAD_MUTEX_INITIALIZER;

char *
web_path_norm(const char *dir, const char *rel)
{
	char *whole, *p, *tok, *save = NULL;
	char **parts = NULL;
	size_t n = 0;
	struct buf b;

	if (rel[0] == '/' || !dir || !*dir || strcmp(dir, ".") == 0)
		whole = xstrdup(rel);
	else
		whole = xasprintf("%s/%s", dir, rel);
	if (whole[0] == '/') {
		free(whole);
		return xstrdup(rel);
	}
	for (p = whole; (tok = strtok_r(p, "/", &save)); p = NULL) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0 && n > 0 && strcmp(parts[n - 1], "..") != 0) {
			n--;
			continue;
		}
		parts = xreallocarray(parts, n + 1, sizeof(*parts));
		parts[n++] = tok;
	}
	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? "/" : "", parts[i]);
	free(parts);
	free(whole);
	return buf_detach(&b);
}

const char *
web_file_refusal(const char *text, size_t len)
{
	if (!web_utf8(text, len))
		return "it is not UTF-8 text: the editor opens UTF-8 files only";
	/* its text reaches the client as written: see scrub_json() */
	if (scrub_has_secret(text, len))
		return "it holds a password or token of this server's configuration: keep secrets in"
		       " .env and name them as ${VAR}";
	return NULL;
}

static bool
has_ext(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < LEN(exts); i++) {
		size_t k = strlen(exts[i]);

		if (n > k && strcmp(name + n - k, exts[i]) == 0)
			return true;
	}
	return false;
}

/* real is real_root itself or inside it */
static bool
within(const char *real, const char *real_root)
{
	size_t n = strlen(real_root);

	return strncmp(real, real_root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

static char *
refuse(int *status, int code, char **err, char *msg)
{
	*status = code;
	*err = msg;
	return NULL;
}

/*
 * the recipe at the project root: the file itself, never a symlink (it
 * could lead to .env or out of the project), a regular file when it exists
 */
static char *
root_recipe_check(bool must_exist, int *status, char **err)
{
	struct stat st;

	if (lstat(root_recipe, &st) < 0) {
		if (errno != ENOENT)
			return refuse(status, 403, err, xasprintf("'%s': %s", root_recipe, strerror(errno)));
		if (must_exist)
			return refuse(status, 404, err, xasprintf("no file '%s'", root_recipe));
		return xstrdup(root_recipe);
	}
	if (S_ISLNK(st.st_mode))
		return refuse(status, 403, err, xasprintf("'%s' is a symlink: the editor opens the"
		                                          " recipe file itself only", root_recipe));
	if (!S_ISREG(st.st_mode))
		return refuse(status, 403, err, xasprintf("'%s' is not a regular file", root_recipe));
	return xstrdup(root_recipe);
}

char *
web_path_check(const char *rel, bool must_exist, int *status, char **err)
{
	char root[PATH_MAX], real[PATH_MAX], *copy, *p, *tok, *save = NULL, *slash;
	const char *first = NULL;
	size_t nparts = 0;
	struct stat st;
	bool bad = false, found;

	if (!rel || !*rel)
		return refuse(status, 400, err, xstrdup("no file named"));
	if (strlen(rel) > 1024)
		return refuse(status, 400, err, xstrdup("file name too long"));
	if (rel[0] == '/')
		return refuse(status, 403, err, xasprintf("'%s': absolute paths are not allowed", rel));
	if (strchr(rel, '\\') || strstr(rel, "//") || rel[strlen(rel) - 1] == '/')
		return refuse(status, 400, err, xasprintf("'%s': malformed file name", rel));
	copy = xstrdup(rel);
	for (p = copy; (tok = strtok_r(p, "/", &save)); p = NULL) {
		if (nparts++ == 0)
			first = rel;
		if (tok[0] == '.')
			bad = true;
	}
	free(copy);
	if (bad)
		return refuse(status, 403, err, xasprintf("'%s': '.', '..' and hidden names are not"
		                                          " allowed", rel));
	if (strcmp(rel, root_recipe) == 0)
		return root_recipe_check(must_exist, status, err);
	for (size_t i = 0; i < LEN(roots); i++)
		if (strncmp(first, roots[i], strlen(roots[i])) == 0 && first[strlen(roots[i])] == '/') {
			if (!realpath(roots[i], root))
				return refuse(status, 404, err, xasprintf("no directory '%s/'", roots[i]));
			goto root_found;
		}
	return refuse(status, 403, err, xasprintf("'%s': only files under recipes/ and sql/, and %s,"
	                                          " are allowed", rel, root_recipe));
root_found:
	if (!has_ext(rel))
		return refuse(status, 403, err, xasprintf("'%s': only .sql, .yml, .yaml and .json"
		                                          " files are allowed", rel));
	if (realpath(rel, real)) {
		if (!within(real, root))
			return refuse(status, 403, err, xasprintf("'%s' leads out of its directory"
			                                          " through a symlink", rel));
		if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
			return refuse(status, 403, err, xasprintf("'%s' is not a regular file", rel));
		return xstrdup(rel);
	}
	if (errno != ENOENT)
		return refuse(status, 403, err, xasprintf("'%s': %s", rel, strerror(errno)));
	if (must_exist)
		return refuse(status, 404, err, xasprintf("no file '%s'", rel));
	if (lstat(rel, &st) == 0)
		return refuse(status, 403, err, xasprintf("'%s' is a dangling symlink", rel));
	/* a new file, maybe in new folders: its nearest folder that exists decides */
	copy = xstrdup(rel);
	found = false;
	while (!found && (slash = strrchr(copy, '/'))) {
		*slash = '\0';
		found = realpath(copy, real) != NULL;
		if (!found && errno != ENOENT)
			break;
	}
	if (!found || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		char *msg = xasprintf("'%s': '%s' is not a directory", rel, copy);

		free(copy);
		return refuse(status, 403, err, msg);
	}
	free(copy);
	if (!within(real, root))
		return refuse(status, 403, err, xasprintf("'%s' leads out of its directory through a"
		                                          " symlink", rel));
	return xstrdup(rel);
}

static const char *
language(const char *path)
{
	size_t n = strlen(path);

	if (n > 4 && strcmp(path + n - 4, ".sql") == 0)
		return "sql";
	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		return "json";
	return "yaml";
}

/* the editable files under dir into out and its folders into dirs, depth first, no symlinked directories */
static void
walk(const char *dir, json_t *out, json_t *dirs, int depth)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, ents[i]->d_name), *ok, *err = NULL;
		struct stat st;
		int status;

		/* a name that is not UTF-8 cannot be asked for in a URL the UI makes: left out */
		if (ents[i]->d_name[0] != '.' && web_utf8(path, strlen(path)) && lstat(path, &st) == 0 &&
		    json_array_size(out) < 5000) {
			if (S_ISDIR(st.st_mode) && depth < 16) {
				if (json_array_size(dirs) < 5000)
					json_array_append_new(dirs, web_jstr(path));
				walk(path, out, dirs, depth + 1);
			}
			else if ((ok = web_path_check(path, true, &status, &err))) {
				stat(path, &st);
				json_array_append_new(out, json_pack("{s:s, s:I, s:s}", "path", path,
				                                     "size", (json_int_t)st.st_size,
				                                     "language", language(path)));
				free(ok);
			}
		}
		free(err);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

void
api_files(struct web_req *rq, struct web_reply *rp)
{
	json_t *arr = json_array(), *dirs = json_array();
	int status;
	char *err = NULL, *top = web_path_check(root_recipe, true, &status, &err);
	struct stat st;

	if (top) {
		stat(top, &st);
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s}", "path", top,
		                                     "size", (json_int_t)st.st_size, "language", "yaml"));
	}
	for (size_t i = 0; i < LEN(roots); i++) {
		/* a root that is a real directory: uploads may go there */
		if (stat(roots[i], &st) == 0 && S_ISDIR(st.st_mode))
			json_array_append_new(dirs, json_string(roots[i]));
		walk(roots[i], arr, dirs, 0);
	}
	web_json(rp, 200, json_pack("{s:s, s:o, s:o, s:I}", "recipe", web_recipe(), "files", arr,
	                            "dirs", dirs, "max_upload", (json_int_t)WEB_MAX_BODY));
	free(top);
	free(err);
}

void
api_file(struct web_req *rq, struct web_reply *rp)
{
	int status;
	char *err = NULL, *path = web_path_check(rq->rest, true, &status, &err), *text;
	size_t len;
	struct stat st;

	if (!path) {
		web_error(rp, status, "%s", err);
		free(err);
		return;
	}
	if (stat(path, &st) == 0 && st.st_size > MAX_FILE)
		web_error(rp, 413, "'%s' is over %d bytes", path, MAX_FILE);
	else if (!(text = readfile(path, &len)))
		web_error(rp, 404, "cannot read '%s': %s", path, strerror(errno));
	else {
		const char *why = web_file_refusal(text, len);

		if (why)
			web_error(rp, 415, "cannot open '%s': %s", path, why);
		else
			web_json(rp, 200, json_pack("{s:o, s:s%, s:s, s:b}", "path", web_jstr(path),
			                            "content", text, len, "language", language(path),
			                            "recipe", strcmp(path, web_recipe()) == 0));
		free(text);
	}
	free(path);
}

/* the working tree, but one file as the editor has it */
struct overlay {
	const char *path;            /* normalised, relative to the working directory */
	const char *text;
	size_t len;
	bool is_new;
	bool deleted;                /* the edit deletes the file: text is NULL */
};

/* a file the checks of an edit may read: under recipes/ or sql/, or the served recipe */
static bool
ov_allowed(const char *norm)
{
	char *top = web_path_norm(NULL, web_recipe());
	bool ok = strstarts(norm, "recipes/") || strstarts(norm, "sql/") || strcmp(norm, top) == 0;

	free(top);
	return ok;
}

static char *
ov_read(void *ctx, const char *rel, size_t *len)
{
	struct overlay *ov = ctx;
	char *norm = web_path_norm(NULL, rel), *s;

	if (!ov_allowed(norm)) {
		/* an edited recipe includes or names nothing outside the config files */
		free(norm);
		errno = EACCES;
		return NULL;
	} else if (strcmp(norm, ov->path) == 0 && ov->deleted) {
		errno = ENOENT;
		s = NULL;
	} else if (strcmp(norm, ov->path) == 0) {
		s = xstrndup(ov->text, ov->len);
		if (len)
			*len = ov->len;
	} else
		s = readfile(rel, len);
	free(norm);
	return s;
}

static int
cmpstrp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static long
ov_glob(void *ctx, const char *pattern, char ***paths)
{
	struct overlay *ov = ctx;
	glob_t g;
	int rc = glob(pattern, 0, NULL, &g);
	size_t n = 0;
	char *npat;

	*paths = NULL;
	if (rc && rc != GLOB_NOMATCH)
		return -1;
	*paths = xcalloc((rc ? 0 : g.gl_pathc) + 1, sizeof(**paths));
	for (size_t i = 0; !rc && i < g.gl_pathc; i++) {
		char *norm = web_path_norm(NULL, g.gl_pathv[i]);

		if (ov_allowed(norm) && !(ov->deleted && strcmp(norm, ov->path) == 0))
			(*paths)[n++] = xstrdup(g.gl_pathv[i]);
		free(norm);
	}
	if (!rc)
		globfree(&g);
	npat = web_path_norm(NULL, pattern);
	if (ov->is_new && fnmatch(npat, ov->path, FNM_PATHNAME) == 0) {
		const char *slash = strrchr(pattern, '/'), *base = strrchr(ov->path, '/');

		(*paths)[n++] = slash ? xasprintf("%.*s/%s", (int)(slash - pattern), pattern,
		                                  base ? base + 1 : ov->path) : xstrdup(ov->path);
	}
	free(npat);
	qsort(*paths, n, sizeof(**paths), cmpstrp);
	return (long)n;
}

/* recipe_load's problems with path (read through src, or the working tree) into d; none when it loads */
static void
recipe_problems(const char *path, const struct fsrc *src, struct diags *d)
{
	struct recipe *r = recipe_load(path, ".", src, d);

	if (r)
		recipe_free(r);
	else if (d->nerrors == 0)
		diag_error(d, "the recipe does not load");
}

/* a YAML syntax error of text, as a problem, or nothing */
static void
yaml_syntax(struct diags *out, const char *path, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	size_t before = out->n;

	/* hostile YAML (deep nesting, alias bombs) is refused before libyaml loads it */
	if (!recipe_yaml_check(path, text, len, out)) {
		if (out->n == before)
			diag_error(out, "the YAML is refused");
		return;
	}
	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_node_t *root;

		if (!yaml_parser_load(&p, &doc)) {
			yaml_mark_t m = p.problem_mark;

			diag_add(out, DIAG_ERROR, path, (int)m.line + 1, (int)m.column + 1, NULL,
			         "syntax error: %s", p.problem ? p.problem : "bad YAML");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		yaml_document_delete(&doc);
		if (!root)
			break;
	}
	yaml_parser_delete(&p);
}

/* the recipes the edit is part of: only what the edit breaks, into out */
static void
recipe_checks(struct diags *out, const char *norm, const char *top, const char *lang,
              const char *text, const struct fsrc *src)
{
	struct diags before, after;

	diags_init(&before);
	diags_init(&after);
	/* a recipe broken already does not block the edit */
	recipe_problems(top, NULL, &before);
	recipe_problems(top, src, &after);
	for (size_t i = 0; i < after.n; i++) {
		const struct diag *d = &after.v[i];

		if (!diags_has(&before, d))
			diag_add(out, d->severity, d->file, d->line, d->column, d->target, "%s",
			         d->message);
	}
	diags_release(&before);
	diags_release(&after);
	/* another recipe under recipes/: checked as itself */
	if (strcmp(lang, "sql") != 0 && strcmp(norm, top) != 0 && strstarts(norm, "recipes/") &&
	    (strstarts(text, "chacc:") || strstr(text, "\nchacc:")))
		recipe_problems(norm, src, out);
}

/* every problem the edit would bring: its own syntax, then the recipes it is part of */
static json_t *
web_validate(const char *path, const char *text, size_t len)
{
	struct diags out;
	const char *lang = language(path);
	struct overlay ov = { .text = text, .len = len };
	struct fsrc src = { .ctx = &ov, .read = ov_read, .glob = ov_glob };
	char *norm = web_path_norm(NULL, path), *top = web_path_norm(NULL, web_recipe());
	struct stat st;
	json_t *j;

	diags_init(&out);
	ov.path = norm;
	ov.is_new = stat(path, &st) < 0;
	if (memchr(text, '\0', len))
		diag_add(&out, DIAG_ERROR, norm, 0, 0, NULL, "the file holds a NUL byte: not text");
	if (strcmp(lang, "json") == 0) {
		json_error_t e;

		if (!(j = json_loadb(text, len, JSON_DECODE_ANY, &e)))
			diag_add(&out, DIAG_ERROR, norm, e.line, e.column, NULL, "%s", e.text);
		json_decref(j);
	} else if (strcmp(lang, "yaml") == 0)
		yaml_syntax(&out, norm, text, len);
	if (out.n == 0)
		recipe_checks(&out, norm, top, lang, text, &src);
	j = web_diags_json(&out);
	diags_release(&out);
	free(norm);
	free(top);
	return j;
}

/*
 * Check only: the SQL of the served recipe as the edit makes it, prepared on
 * the servers it would run on (sqlcheck.h); its problems, with file names
 * relative to the working directory as the editor has them
 */
static json_t *
sql_problems(const char *path, const char *text, size_t len)
{
	struct overlay ov = { .text = text, .len = len };
	struct fsrc src = { .ctx = &ov, .read = ov_read, .glob = ov_glob };
	struct diags d;
	struct recipe *r;
	struct stat st;
	json_t *j;

	ov.path = web_path_norm(NULL, path);
	ov.is_new = stat(path, &st) < 0;
	diags_init(&d);
	/* a recipe that does not load has no SQL to check: its problems are web_validate's */
	r = recipe_load(web_recipe(), ".", &src, &d);
	diags_release(&d);
	if (r) {
		/* its users, hosts and passwords stay out of the server's messages */
		scrub_add_recipe(r);
		sqlcheck_recipe(r, &d, NULL);
		recipe_free(r);
	}
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].file) {
			char *norm = web_path_norm(NULL, d.v[i].file);

			free(d.v[i].file);
			d.v[i].file = norm;
		}
	j = web_diags_json(&d);
	diags_release(&d);
	free((char *)ov.path);
	return j;
}

/* the problems deleting path brings to the served recipe (those it has already do not count) */
static json_t *
delete_problems(const char *path)
{
	struct overlay ov = { .deleted = true };
	struct fsrc src = { .ctx = &ov, .read = ov_read, .glob = ov_glob };
	char *norm = web_path_norm(NULL, path), *top = web_path_norm(NULL, web_recipe());
	struct diags out;
	json_t *j;

	diags_init(&out);
	ov.path = norm;
	recipe_checks(&out, norm, top, "sql", "", &src);
	j = web_diags_json(&out);
	diags_release(&out);
	free(norm);
	free(top);
	return j;
}

/*
 * the review of path's new content (NULL: its deletion) with message, as the
 * reply; call with web_files_mu held. what names the change for a project
 * outside git.
 */
static void
propose_reply(struct web_req *rq, struct web_reply *rp, const char *message, const char *path,
              const char *content, size_t clen, const char *what)
{
	struct vcs *v = NULL;
	struct vcs_review rv;
	char *err = NULL;
	int status;

	memset(&rv, 0, sizeof(rv));
	if ((status = web_vcs_open(rq, &v, &err)) != 0)
		web_error(rp, 409, status > 0 ? "the recipe is not in a git repository: %s" : "%s",
		          status > 0 ? what : err);
	else if (vcs_review_propose_text(v, message, path, content, clen, &rv, &err) < 0)
		web_error(rp, 409, "%s", err);
	else
		web_json(rp, 201, json_pack("{s:o}", "review", web_review_json(&rv)));
	vcs_review_release(&rv);
	if (v)
		vcs_free(v);
	free(err);
}

/* a review whose commit deletes path, unless the recipe needs it (422 with the problems) */
static void
file_delete(struct web_req *rq, struct web_reply *rp, const char *rel, const char *message,
            bool check)
{
	int status;
	char *err = NULL, *path = web_path_check(rel, true, &status, &err), *norm = NULL, *top;
	char *msg = NULL;
	json_t *problems = NULL;

	if (!path) {
		web_error(rp, status, "%s", err);
		goto out;
	}
	norm = web_path_norm(NULL, path);
	top = web_path_norm(NULL, web_recipe());
	status = strcmp(norm, top);
	free(top);
	if (status == 0) {
		web_error(rp, 409, "'%s' is the recipe this server serves: it cannot be deleted", path);
		goto out;
	}
	problems = delete_problems(path);
	if (json_array_size(problems) > 0) {
		web_json(rp, 422, json_pack("{s:s, s:O}", "error", "the recipe needs the file",
		                            "problems", problems));
		goto out;
	}
	if (check) {
		web_json(rp, 200, json_pack("{s:b, s:O}", "ok", 1, "problems", problems));
		goto out;
	}
	msg = message && *message ? xstrdup(message) : xasprintf("delete %s", path);
	pthread_mutex_lock(&web_files_mu);
	propose_reply(rq, rp, msg, path, NULL, 0, "a deletion is proposed as a git commit");
	pthread_mutex_unlock(&web_files_mu);
out:
	json_decref(problems);
	free(msg);
	free(norm);
	free(path);
	free(err);
}

void
api_file_propose(struct web_req *rq, struct web_reply *rp)
{
	json_t *body = web_body_json(rq, rp), *problems = NULL;
	const char *content = NULL, *message = NULL;
	size_t clen = 0, oldlen = 0;
	int check = 0, del = 0, status;
	char *path = NULL, *err = NULL, *old = NULL;
	json_error_t e;

	if (!body)
		return;
	if ((status = json_unpack_ex(body, &e, 0, "{s?s%, s?s, s?b, s?b}", "content", &content,
	                             &clen, "message", &message, "check", &check, "delete",
	                             &del)) < 0 || !content == !del) {
		web_error(rp, 400, "bad request: %s (expected {\"content\": TEXT, \"message\": TEXT}"
		          " or {\"delete\": true, \"message\": TEXT})", status < 0 ? e.text :
		          del ? "'content' and 'delete' together" : "no 'content'");
		goto out;
	}
	if (del) {
		file_delete(rq, rp, rq->rest, message, check);
		goto out;
	}
	if (!(path = web_path_check(rq->rest, false, &status, &err))) {
		web_error(rp, status, "%s", err);
		goto out;
	}
	problems = web_validate(path, content, clen);
	if (check && json_array_size(problems) == 0) {
		json_decref(problems);
		problems = sql_problems(path, content, clen);
	}
	if (json_array_size(problems) > 0) {
		web_json(rp, 422, json_pack("{s:s, s:O}", "error", "the file has problems",
		                            "problems", problems));
		goto out;
	}
	if (check) {
		web_json(rp, 200, json_pack("{s:b, s:O}", "ok", 1, "problems", problems));
		goto out;
	}
	if (!message || !*message)
		message = "edit from the web UI";
	/* the review is made from the edit in memory: no file of the working tree is written */
	pthread_mutex_lock(&web_files_mu);
	old = readfile(path, &oldlen);
	if (old && oldlen == clen && memcmp(old, content, clen) == 0)
		web_error(rp, 409, "'%s' is unchanged: nothing to propose", path);
	else
		propose_reply(rq, rp, message, path, content, clen, "edits are proposed as git commits");
	pthread_mutex_unlock(&web_files_mu);
out:
	json_decref(problems);
	json_decref(body);
	free(old);
	free(path);
	free(err);
}
