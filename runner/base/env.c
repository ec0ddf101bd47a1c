/* env.c: ${VAR} and ${VAR:-default} from the environment and .env */
#include "env.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * the values of the .env files, fallbacks for getenv, as a set per pair of
 * directories: the recipe directory's are read first and the working
 * directory's after them, and env_get looks from the end, so that the working
 * directory's win (and, in one file, the last line). Sets are kept for the
 * life of the process, so that a thread loading another recipe's never frees
 * values a thread expanding one still reads: each thread uses the set it
 * loaded last, or else the one loaded last by any.
 */
struct envvar {
	char *name;
	char *value;
};

struct envset {
	char *workdir, *recipedir;  /* recipedir NULL: none, or the working directory */
	struct envvar *v;
	size_t n;
	char *files[2];             /* the files looked in, as shown, first the one that wins */
	size_t nfiles;
	struct envset *next;
};

static pthread_mutex_t envmu = PTHREAD_MUTEX_INITIALIZER;
static struct envset *sets;
static struct envset *_Atomic lastset;
static _Thread_local struct envset *myset;
static atomic_bool unset_ok;            /* env_allow_unset() */

static bool
isnamestart(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool
env_namechar(int c)
{
	return isnamestart(c) || (c >= '0' && c <= '9');
}

/* the value part of a .env line: quotes removed, or a trailing comment */
static char *
dotenv_value(char *v)
{
	char *r, *w;

	if (*v == '\'' && (r = strchr(v + 1, '\''))) {
		*r = '\0';
		return v + 1;
	}
	if (*v == '"') {
		for (r = w = v + 1; *r && *r != '"'; r++) {
			if (*r == '\\' && r[1]) {
				r++;
				*w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		return v + 1;
	}
	for (r = v; *r; r++) {
		if (*r == '#' && (r == v || r[-1] == ' ' || r[-1] == '\t')) {
			*r = '\0';
			break;
		}
	}
	return strtrim(v);
}

/* dir/.env as shown in messages: ".env" for the working directory */
static char *
dotenv_path(const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, ".") || !strcmp(dir, "./"))
		return xstrdup(".env");
	return xasprintf("%s%s.env", dir, n && dir[n - 1] == '/' ? "" : "/");
}

/* the KEY=VALUE lines of path, added to set */
static void
dotenv_read(struct envset *set, const char *path)
{
	char *text, *line, *next, *eq, *name;

	if (!(text = readfile(path, NULL)))
		return;
	for (line = text; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		line = strtrim(line);
		if (strstarts(line, "export ") || strstarts(line, "export\t"))
			line = strtrim(line + 7);
		if (*line == '#' || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		name = strtrim(line);
		if (!isnamestart(*name))
			continue;
		set->v = xreallocarray(set->v, set->n + 1, sizeof(*set->v));
		set->v[set->n].name = xstrdup(name);
		set->v[set->n].value = xstrdup(dotenv_value(strtrim(eq + 1)));
		set->n++;
	}
	free(text);
}

/* whether two directories are one (the recipe in the working directory) */
static bool
samedir(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb ? !strcmp(ra, rb) : !strcmp(a, b);

	free(ra);
	free(rb);
	return same;
}

static bool
streq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* the set of a pair of directories, read now (envmu held) */
static struct envset *
envset_read(const char *workdir, const char *recipedir)
{
	struct envset *set = xcalloc(1, sizeof(*set));

	set->workdir = xstrdup(workdir);
	set->recipedir = recipedir ? xstrdup(recipedir) : NULL;
	set->files[set->nfiles++] = dotenv_path(workdir);
	if (recipedir) {
		set->files[set->nfiles++] = dotenv_path(recipedir);
		dotenv_read(set, set->files[1]);
	}
	dotenv_read(set, set->files[0]);
	set->next = sets;
	sets = set;
	return set;
}

void
env_load_dotenvs(const char *workdir, const char *recipedir)
{
	struct envset *set;

	if (!workdir)
		return;
	if (recipedir && samedir(workdir, recipedir))
		recipedir = NULL;
	pthread_mutex_lock(&envmu);
	/* read once per pair, as the process starts using it */
	for (set = sets; set; set = set->next)
		if (!strcmp(set->workdir, workdir) && streq(set->recipedir, recipedir))
			break;
	if (!set)
		set = envset_read(workdir, recipedir);
	myset = set;
	lastset = set;
	pthread_mutex_unlock(&envmu);
}

void
env_load_dotenv(const char *dir)
{
	struct envset *set = myset ? myset : lastset;

	/* a set that holds dir/.env already stays (with its recipe directory's) */
	if (dir && set && !strcmp(set->workdir, dir))
		return;
	env_load_dotenvs(dir, NULL);
}

static struct envset *
current(void)
{
	return myset ? myset : lastset;
}

char *
env_sources(void)
{
	struct envset *set = current();

	if (!set)
		return xstrdup("the environment");
	if (set->nfiles == 1)
		return xasprintf("the environment or %s", set->files[0]);
	return xasprintf("the environment, %s or %s", set->files[0], set->files[1]);
}

const char *
env_get(const char *name)
{
	const char *v = getenv(name);
	struct envset *set = current();
	size_t i;

	if (v || !set)
		return v;
	for (i = set->n; i-- > 0;)
		if (!strcmp(set->v[i].name, name))
			return set->v[i].value;
	return NULL;
}

void
env_dotenv_names(void (*fn)(void *arg, const char *name), void *arg)
{
	struct envset *set = current();

	for (size_t i = 0; set && i < set->n; i++)
		fn(arg, set->v[i].name);
}

/*
 * where each "${" of a text is closed, found in one pass so that expanding stays
 * linear however many "${" a hostile file holds
 */
struct closings {
	size_t *open;   /* offsets of the "${", ascending */
	size_t *close;  /* offsets of their '}', or the text's length when unclosed */
	size_t n;
};

static void
closings_init(struct closings *c, const char *text, size_t len)
{
	size_t i, k, *stack, nstack = 0;

	c->n = 0;
	for (i = 0; i + 1 < len; i++)
		if (text[i] == '$' && text[i + 1] == '{')
			c->n++, i++;
	c->open = xcalloc(c->n + 1, sizeof(*c->open));
	c->close = xcalloc(c->n + 1, sizeof(*c->close));
	stack = xcalloc(c->n + 1, sizeof(*stack));
	for (i = k = 0; i < len; i++) {
		if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
			c->open[k] = i++;
			c->close[k] = len;
			stack[nstack++] = k++;
		} else if (text[i] == '}' && nstack) {
			c->close[stack[--nstack]] = i;
		}
	}
	free(stack);
}

/* the offset of the '}' closing the "${" at offset at */
static size_t
closings_get(const struct closings *c, size_t at)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->open[mid] < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->open[lo] == at ? c->close[lo] : SIZE_MAX;
}

/* whether ${name...} is filled in at run time: this, since, run_id, conn.*, row.* */
static bool
runtime(const char *name, size_t n)
{
	return (n == 4 && !memcmp(name, "this", 4)) ||
	    (n == 5 && !memcmp(name, "since", 5)) ||
	    (n == 6 && !memcmp(name, "run_id", 6)) ||
	    (n == 4 && !memcmp(name, "conn", 4) && name[4] == '.') ||
	    (n == 3 && !memcmp(name, "row", 3) && name[3] == '.');
}

/*
 * the '}' closing the "${" at s before end, or NULL; the closings of the
 * whole text are found once, at its first "${"
 */
static const char *
closing(struct closings *cl, bool *scanned, const char *text, size_t len, const char *s,
        const char *end)
{
	size_t at;

	if (s + 1 >= end || s[1] != '{')
		return NULL;
	if (!*scanned) {
		closings_init(cl, text, len);
		*scanned = true;
	}
	at = closings_get(cl, (size_t)(s - text));
	return at < (size_t)(end - text) ? text + at : NULL;
}

/*
 * the length of the name in "${name...}" (c: its '}'), or 0 when it is kept
 * as written: a runtime placeholder, or not a variable
 */
static size_t
var_len(const char *name, const char *c)
{
	size_t n;

	for (n = 0; name + n < c && env_namechar(name[n]); n++)
		;
	if (!n || !isnamestart(*name) || runtime(name, n) ||
	    (name + n != c && (name[n] != ':' || name[n + 1] != '-')))
		return 0;
	return n;
}

/* where to go on after the default of a variable, which is expanded in place */
struct resume {
	const char *s;
	const char *end;
};

static void
resume_push(struct resume **stack, size_t *n, size_t *cap, const char *s, const char *end)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		*stack = xreallocarray(*stack, *cap, sizeof(**stack));
	}
	(*stack)[(*n)++] = (struct resume){ s, end };
}

/* text into b; defaults nest without recursion, so no text can exhaust the stack */
static int
expand(struct buf *b, const char *text, size_t len, char **unset)
{
	const char *s = text, *end = text + len;
	struct closings cl = { NULL, NULL, 0 };
	struct resume *stack = NULL;
	size_t nstack = 0, cap = 0;
	bool scanned = false;
	int rc = 0;

	for (;;) {
		const char *d, *name, *c, *v;
		char *var;
		size_t n;

		if (s >= end) {
			if (!nstack)
				break;
			nstack--;
			s = stack[nstack].s;
			end = stack[nstack].end;
			continue;
		}
		if (!(d = memchr(s, '$', end - s))) {
			buf_add(b, s, end - s);
			s = end;
			continue;
		}
		buf_add(b, s, d - s);
		s = d;
		if (s + 1 < end && s[1] == '$') {
			buf_add(b, "$$", 2);
			s += 2;
			continue;
		}
		if (!(c = closing(&cl, &scanned, text, len, s, end))) {
			buf_addc(b, '$');
			s++;
			continue;
		}
		name = s + 2;
		if (!(n = var_len(name, c))) {
			/* a runtime placeholder, or not a variable: kept */
			buf_add(b, s, c + 1 - s);
			s = c + 1;
			continue;
		}
		var = xstrndup(name, n);
		v = env_get(var);
		if (name + n == c && !v && unset_ok) {
			free(var);
			s = c + 1;
			continue;
		}
		if (name + n == c && !v) {
			if (unset)
				*unset = var;
			else
				free(var);
			rc = -1;
			break;
		}
		free(var);
		if (name + n == c || (v && *v)) {
			buf_adds(b, v);
			s = c + 1;
			continue;
		}
		/* the default, then what follows the '}' */
		resume_push(&stack, &nstack, &cap, c + 1, end);
		s = name + n + 2;
		end = c;
	}
	free(stack);
	free(cl.open);
	free(cl.close);
	return rc;
}

char *
env_expand(const char *text, char **unset)
{
	struct buf b;

	if (unset)
		*unset = NULL;
	buf_init(&b);
	if (expand(&b, text, strlen(text), unset) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}


void
env_allow_unset(bool on)
{
	unset_ok = on;
}
