/* util.h: memory, strings, messages and small helpers shared by every module */
#ifndef CHACC_UTIL_H
#define CHACC_UTIL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* program name used as message prefix ("chacc") */
extern const char *argv0;

/* print "chacc: msg" to stderr; a format ending in ':' appends strerror(errno) */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* print like warning() and exit with status */
void fatal(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* malloc'ed printf */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* growable string; s is always NUL-terminated once anything was added */
struct buf {
	char *s;
	size_t len, cap;
};
void buf_init(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* give up ownership of the string (never NULL) and reset b */
char *buf_detach(struct buf *b);
void buf_release(struct buf *b);

/* read a whole file; NULL with errno set on failure */
char *readfile(const char *path, size_t *len);

/*
 * parse a duration: a number of seconds, alone or with a unit right after it:
 * "30", "30s", "5m", "1.5h", "2d", "250ms"; -1 on anything else ("5 minutes")
 */
int parse_duration(const char *s, double *secs);
/* the forms parse_duration takes, for messages */
#define DURATION_FORMS "seconds, or a number with ms, s, m, h or d (30, 30s, 5m, 1h, 1d)"
/* strip leading and trailing whitespace in place */
char *strtrim(char *s);
bool strstarts(const char *s, const char *prefix);
/* lowercase hex sha256 of data into out[65] */
void sha256_hex(const void *data, size_t len, char out[65]);
/* wall-clock seconds since the epoch, with fractions: for times that are recorded */
double now_seconds(void);
/* seconds of a clock that never jumps (CLOCK_MONOTONIC): for timeouts and durations */
double mono_seconds(void);
/* "YYYY-MM-DD HH:MM:SS[.ffffff]" as seconds of its own clock; -1 when it is none */
double ts_seconds(const char *ts);
/*
 * the nearest of some words to a word that is not one of them, for "did you
 * mean": nearest_init, nearest_add each candidate, nearest_get
 */
struct nearest {
	const char *word;        /* what was written */
	const char *best;        /* the closest candidate so far, or NULL */
	size_t dist;
};
/* edit distance of a and b: insertions, deletions, substitutions, swaps of neighbours */
size_t edit_distance(const char *a, const char *b);
void nearest_init(struct nearest *n, const char *word);
void nearest_add(struct nearest *n, const char *candidate);
/* the closest candidate if it is close: at most 2 edits and a third of the word; else NULL */
const char *nearest_get(const struct nearest *n);

/* sleep for secs seconds, waking early when *stop (may be NULL) becomes non-zero */
void sleep_interruptible(double secs, atomic_int *stop);

/* the directory part of path: "." without a slash, "/" for the root (malloc'ed) */
char *path_dir(const char *path);

/*
 * "host", "host:port", "[v6addr]" or "[v6addr]:port" split into *host
 * (malloc'ed, without brackets) and *port (0 when not given): NULL, or why
 * it is not one (a static string)
 */
const char *hostport_parse(const char *s, char **host, unsigned *port);

#endif
