/* util.c: memory, strings, messages and small helpers */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *argv0 = "chacc";

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);
	FILE *f = stderr;

	fprintf(f, "%s: ", argv0);
	vfprintf(f, fmt, ap);
	if (n > 0 && fmt[n - 1] == ':')
		fprintf(f, " %s", strerror(saved));
	fputc('\n', f);
}

void
warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatal(1, "malloc:");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fatal(1, "calloc:");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fatal(1, "realloc:");
	return p;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > (size_t)-1 / size)
		fatal(1, "reallocarray: overflow");
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		fatal(1, "vasprintf:");
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
buf_init(struct buf *b)
{
	b->s = NULL;
	b->len = b->cap = 0;
}

static void
buf_grow(struct buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 64;
	b->s = xrealloc(b->s, b->cap);
}

void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

char *
buf_detach(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	buf_init(b);
	return s;
}

void
buf_release(struct buf *b)
{
	free(b->s);
	buf_init(b);
}

char *
readfile(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[65536];
	size_t n;

	if (!f)
		return NULL;
	buf_init(&b);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	if (ferror(f)) {
		int saved = errno;
		fclose(f);
		buf_release(&b);
		errno = saved;
		return NULL;
	}
	fclose(f);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

int
parse_duration(const char *s, double *secs)
{
	char *end;
	double v, mult = 1;

	if (!s || !*s)
		return -1;
	/* digits and a point only: no sign, blank, exponent or hexadecimal */
	if (strspn(s, "0123456789.") != strcspn(s, "mshd") || !strpbrk(s, "0123456789"))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -1;
	if (!*end || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 0.001;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else if (!strcmp(end, "d"))
		mult = 86400;
	else
		return -1;
	*secs = v * mult;
	return 0;
}

char *
strtrim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return s;
}

bool
strstarts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double
ts_seconds(const char *ts)
{
	struct tm tm = { 0 };
	double frac = 0;
	int used = 0;

	if (!ts || sscanf(ts, "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	if (ts[used] == '.')
		frac = atof(ts + used);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + frac;
}

void
sleep_interruptible(double secs, atomic_int *stop)
{
	double end = mono_seconds() + secs;

	while (!(stop && atomic_load(stop))) {
		double left = end - mono_seconds();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *prev2 = xcalloc(lb + 1, sizeof(size_t)), *prev = xcalloc(lb + 1, sizeof(size_t));
	size_t *cur = xcalloc(lb + 1, sizeof(size_t)), *tmp;

	/* Damerau-Levenshtein on three rows (optimal string alignment) */
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	d = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return d;
}

void
nearest_init(struct nearest *n, const char *word)
{
	*n = (struct nearest){ .word = word };
}

void
nearest_add(struct nearest *n, const char *candidate)
{
	size_t d;

	if (!candidate || !*candidate)
		return;
	d = edit_distance(n->word, candidate);
	if (!n->best || d < n->dist) {
		n->best = candidate;
		n->dist = d;
	}
}

const char *
nearest_get(const struct nearest *n)
{
	size_t len = strlen(n->word), most = (len + 1) / 3;

	if (most < 1)
		most = 1;
	if (most > 2)
		most = 2;
	if (!n->best || n->dist == 0 || n->dist > most || n->dist >= len)
		return NULL;
	return n->best;
}

char *
path_dir(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(s - path));
}

const char *
hostport_parse(const char *s, char **host, unsigned *port)
{
	const char *end, *colon;
	char *stop;
	long n;

	*host = NULL;
	*port = 0;
	if (*s == '[') {
		if (!(end = strchr(s, ']')) || end == s + 1)
			return "an IPv6 address in brackets needs its closing ']'";
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return "expected ':PORT' after ']'";
		*host = xstrndup(s + 1, (size_t)(end - s - 1));
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon)
			return "an IPv6 address goes in brackets: [ADDRESS]:PORT";
		end = colon ? colon : s + strlen(s);
		if (end == s)
			return "no host before the port";
		*host = xstrndup(s, (size_t)(end - s));
	}
	for (const char *c = *host; *c; c++) {
		if (*c == ' ' || *c == ',' || *c == '/' || *c == '@' || (unsigned char)*c < 0x20) {
			free(*host);
			*host = NULL;
			return "a host name has no spaces, commas, slashes or '@'";
		}
	}
	if (!colon)
		return NULL;
	errno = 0;
	n = strtol(colon + 1, &stop, 10);
	if (errno || *stop || stop == colon + 1 || n < 1 || n > 65535) {
		free(*host);
		*host = NULL;
		return "the port is a whole number from 1 to 65535";
	}
	*port = (unsigned)n;
	return NULL;
}
