/* diag.h: problems found loading a recipe, planning and running, as data */
#ifndef CHACC_DIAG_H
#define CHACC_DIAG_H

#include <stdarg.h>
#include <stddef.h>

struct buf;

enum diag_severity {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,               /* nothing wrong: said for the user's information, left out when quiet */
};

/* one problem; a field not known is NULL or 0 */
struct diag {
	enum diag_severity severity;
	char *file;              /* the file it is in (or the variable, as "MAX_RETRIES") */
	int line, column;        /* from 1 */
	char *target;            /* the target it is about, as written in the recipe */
	char *message;           /* lowercase, names things in single quotes */
};

/*
 * a list the core appends to and the command line or the web formats. emit,
 * when set, sees each diagnostic as it is added (the command line prints
 * warnings as they happen); the list keeps them all.
 */
struct diags {
	struct diag *v;
	size_t n, cap;
	size_t nerrors;
	void (*emit)(void *arg, const struct diag *d);
	void *arg;
};

void diags_init(struct diags *ds);
/* forget every diagnostic; emit stays */
void diags_release(struct diags *ds);

/* add one (ds NULL: dropped); returns it, or NULL */
struct diag *diag_add(struct diags *ds, enum diag_severity sev, const char *file, int line,
                      int column, const char *target, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
struct diag *diag_vadd(struct diags *ds, enum diag_severity sev, const char *file, int line,
                       int column, const char *target, const char *fmt, va_list ap);
/* an error, a warning about no file; a format ending in ':' appends strerror(errno) */
void diag_error(struct diags *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warn(struct diags *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_note(struct diags *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* copy every diagnostic of from into ds */
void diags_append(struct diags *ds, const struct diags *from);
/* whether ds holds d (every field equal) */
int diags_has(const struct diags *ds, const struct diag *d);

const char *diag_severity_name(enum diag_severity s);
/*
 * the text form: "file:line:col: message", "file:line: target 'x': message",
 * "file: message" or the message alone (no program name, no newline)
 */
void diag_text(const struct diag *d, struct buf *out);
/* every diagnostic's text, one a line (no newline after the last); "" when none */
char *diags_text(const struct diags *ds);

#endif
