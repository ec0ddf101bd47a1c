/* strset.h: a set of strings (open addressing), kept in the order they were added */
#ifndef CHACC_STRSET_H
#define CHACC_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **v;                /* the strings, in the order added */
	size_t n;
	size_t *slot;            /* index + 1 into v, 0 empty; cap slots */
	size_t cap;
};

/* add a copy of s (len bytes, NULs allowed); true if it was not there */
bool strset_add(struct strset *s, const char *str, size_t len);
bool strset_has(const struct strset *s, const char *str, size_t len);
/* free the strings and the set; s is then empty */
void strset_release(struct strset *s);

#endif
