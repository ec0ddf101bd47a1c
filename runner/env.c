/* env.c: ${VAR} and ${VAR:-default} from the environment and .env */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* values of .env, fallbacks for getenv */
struct envvar {
	char *name;
	char *value;
};

static struct envvar *dotenv;
static size_t ndotenv;
static char *dotenvdir;

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

static void
dotenv_clear(void)
{
	size_t i;

	for (i = 0; i < ndotenv; i++) {
		free(dotenv[i].name);
		free(dotenv[i].value);
	}
	free(dotenv);
	free(dotenvdir);
	dotenv = NULL;
	dotenvdir = NULL;
	ndotenv = 0;
}

void
env_load_dotenv(const char *dir)
{
	char *path, *text, *line, *next, *eq, *name;

	if (!dir || (dotenvdir && !strcmp(dotenvdir, dir)))
		return;
	dotenv_clear();
	dotenvdir = xstrdup(dir);
	path = xasprintf("%s/.env", dir);
	text = readfile(path, NULL);
	free(path);
	if (!text)
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
		dotenv = xreallocarray(dotenv, ndotenv + 1, sizeof(*dotenv));
		dotenv[ndotenv].name = xstrdup(name);
		dotenv[ndotenv].value = xstrdup(dotenv_value(strtrim(eq + 1)));
		ndotenv++;
	}
	free(text);
}

const char *
env_get(const char *name)
{
	const char *v = getenv(name);
	size_t i;

	if (v)
		return v;
	for (i = ndotenv; i-- > 0;)
		if (!strcmp(dotenv[i].name, name))
			return dotenv[i].value;
	return NULL;
}

/* the '}' closing a "${" whose body starts at s, or NULL */
static const char *
closing(const char *s, const char *end)
{
	int depth = 1;

	for (; s < end; s++) {
		if (*s == '$' && s + 1 < end && s[1] == '{') {
			depth++;
			s++;
		} else if (*s == '}' && --depth == 0) {
			return s;
		}
	}
	return NULL;
}

/* whether ${name...} is filled in at run time: this, since, run_id, conn.* */
static bool
runtime(const char *name, size_t n)
{
	return (n == 4 && !memcmp(name, "this", 4)) ||
	    (n == 5 && !memcmp(name, "since", 5)) ||
	    (n == 6 && !memcmp(name, "run_id", 6)) ||
	    (n == 4 && !memcmp(name, "conn", 4) && name[4] == '.');
}

static int
expand(struct buf *b, const char *s, const char *end, char **unset)
{
	while (s < end) {
		const char *d = memchr(s, '$', end - s), *name, *close, *v;
		char *var;
		size_t n;

		if (!d) {
			buf_add(b, s, end - s);
			break;
		}
		buf_add(b, s, d - s);
		s = d;
		if (s + 1 < end && s[1] == '$') {
			buf_add(b, "$$", 2);
			s += 2;
			continue;
		}
		if (s + 1 >= end || s[1] != '{' || !(close = closing(s + 2, end))) {
			buf_addc(b, '$');
			s++;
			continue;
		}
		name = s + 2;
		for (n = 0; name + n < close && env_namechar(name[n]); n++)
			;
		if (!n || !isnamestart(*name) || runtime(name, n) ||
		    (name + n != close && (name[n] != ':' || name[n + 1] != '-'))) {
			/* a runtime placeholder, or not a variable: kept */
			buf_add(b, s, close + 1 - s);
			s = close + 1;
			continue;
		}
		var = xstrndup(name, n);
		v = env_get(var);
		if (name + n == close && !v) {
			if (unset)
				*unset = var;
			else
				free(var);
			return -1;
		}
		free(var);
		if (name + n == close || (v && *v))
			buf_adds(b, v);
		else if (expand(b, name + n + 2, close, unset) < 0)
			return -1;
		s = close + 1;
	}
	return 0;
}

char *
env_expand(const char *text, char **unset)
{
	struct buf b;

	if (unset)
		*unset = NULL;
	buf_init(&b);
	if (expand(&b, text, text + strlen(text), unset) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

