/* diag.c: problems found loading a recipe, planning and running, as data */
#include "diag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
diags_init(struct diags *ds)
{
	memset(ds, 0, sizeof(*ds));
}

void
diags_release(struct diags *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		free(ds->v[i].file);
		free(ds->v[i].target);
		free(ds->v[i].message);
	}
	free(ds->v);
	ds->v = NULL;
	ds->n = ds->cap = ds->nerrors = 0;
}

static struct diag *
push(struct diags *ds, enum diag_severity sev, const char *file, int line, int column,
     const char *target, char *message)
{
	struct diag *d;

	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 8;
		ds->v = xreallocarray(ds->v, ds->cap, sizeof(*ds->v));
	}
	d = &ds->v[ds->n++];
	*d = (struct diag){
		.severity = sev, .file = file ? xstrdup(file) : NULL, .line = line,
		.column = column, .target = target ? xstrdup(target) : NULL, .message = message,
	};
	ds->nerrors += sev == DIAG_ERROR;
	if (ds->emit)
		ds->emit(ds->arg, d);
	return d;
}

struct diag *
diag_vadd(struct diags *ds, enum diag_severity sev, const char *file, int line, int column,
          const char *target, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n = strlen(fmt);
	char *msg;

	if (!ds)
		return NULL;
	msg = xvasprintf(fmt, ap);
	if (n > 0 && fmt[n - 1] == ':') {
		char *m = xasprintf("%s %s", msg, strerror(saved));

		free(msg);
		msg = m;
	}
	return push(ds, sev, file, line, column, target, msg);
}

struct diag *
diag_add(struct diags *ds, enum diag_severity sev, const char *file, int line, int column,
         const char *target, const char *fmt, ...)
{
	va_list ap;
	struct diag *d;

	va_start(ap, fmt);
	d = diag_vadd(ds, sev, file, line, column, target, fmt, ap);
	va_end(ap);
	return d;
}

void
diag_error(struct diags *ds, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ds, DIAG_ERROR, NULL, 0, 0, NULL, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diags *ds, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ds, DIAG_WARNING, NULL, 0, 0, NULL, fmt, ap);
	va_end(ap);
}

void
diag_note(struct diags *ds, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(ds, DIAG_NOTE, NULL, 0, 0, NULL, fmt, ap);
	va_end(ap);
}

void
diags_append(struct diags *ds, const struct diags *from)
{
	for (size_t i = 0; ds && i < from->n; i++) {
		const struct diag *d = &from->v[i];

		push(ds, d->severity, d->file, d->line, d->column, d->target, xstrdup(d->message));
	}
}

static int
streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int
diags_has(const struct diags *ds, const struct diag *d)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct diag *e = &ds->v[i];

		if (e->severity == d->severity && e->line == d->line && e->column == d->column &&
		    streq(e->file, d->file) && streq(e->target, d->target) &&
		    streq(e->message, d->message))
			return 1;
	}
	return 0;
}

const char *
diag_severity_name(enum diag_severity s)
{
	return s == DIAG_NOTE ? "note" : s == DIAG_WARNING ? "warning" : "error";
}

void
diag_text(const struct diag *d, struct buf *out)
{
	if (d->file) {
		buf_adds(out, d->file);
		if (d->line > 0)
			buf_addf(out, ":%d", d->line);
		if (d->line > 0 && d->column > 0)
			buf_addf(out, ":%d", d->column);
		buf_adds(out, ": ");
	}
	if (d->target)
		buf_addf(out, "target '%s': ", d->target);
	buf_adds(out, d->message);
}

char *
diags_text(const struct diags *ds)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	for (size_t i = 0; i < ds->n; i++) {
		if (i)
			buf_addc(&b, '\n');
		diag_text(&ds->v[i], &b);
	}
	return buf_detach(&b);
}
