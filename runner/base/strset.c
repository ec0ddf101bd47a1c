/* strset.c: a set of strings (open addressing, FNV-1a) */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* the strings carry their length in front of them: "LLLLLLLL" then the bytes */
static size_t
len_of(const char *e)
{
	size_t n;

	memcpy(&n, e, sizeof(n));
	return n;
}

static uint64_t
hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static size_t *
find(const struct strset *s, const char *str, size_t len)
{
	size_t i = (size_t)hash(str, len) & (s->cap - 1);

	for (;; i = (i + 1) & (s->cap - 1)) {
		const char *e;

		if (!s->slot[i])
			return &s->slot[i];
		e = s->v[s->slot[i] - 1] - sizeof(size_t);
		if (len_of(e) == len && memcmp(e + sizeof(size_t), str, len) == 0)
			return &s->slot[i];
	}
}

static void
grow(struct strset *s)
{
	size_t old = s->cap;

	s->cap = old ? 2 * old : 64;
	free(s->slot);
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (size_t k = 0; k < s->n; k++) {
		const char *e = s->v[k] - sizeof(size_t);

		*find(s, e + sizeof(size_t), len_of(e)) = k + 1;
	}
	s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
}

bool
strset_has(const struct strset *s, const char *str, size_t len)
{
	return s->cap && *find(s, str, len) != 0;
}

bool
strset_add(struct strset *s, const char *str, size_t len)
{
	size_t *slot;
	char *e;

	if (2 * (s->n + 1) > s->cap)
		grow(s);
	if (*(slot = find(s, str, len)))
		return false;
	e = xmalloc(sizeof(size_t) + len + 1);
	memcpy(e, &len, sizeof(len));
	memcpy(e + sizeof(size_t), str, len);
	e[sizeof(size_t) + len] = '\0';
	s->v[s->n++] = e + sizeof(size_t);
	*slot = s->n;
	return true;
}

void
strset_release(struct strset *s)
{
	for (size_t k = 0; k < s->n; k++)
		free(s->v[k] - sizeof(size_t));
	free(s->v);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
