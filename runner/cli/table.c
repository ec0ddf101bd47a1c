/* table.c: the command line's text tables (table.h) */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define GAP 2

struct row {
	char **cells;            /* ncols, or NULL for a note */
	char *note;
};

struct table {
	size_t ncols, nrows;
	char **heads;
	int *flags;
	struct row *rows;
};

struct table *
table_new(size_t ncols, const char *const *heads)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->heads = xcalloc(ncols, sizeof(*t->heads));
	t->flags = xcalloc(ncols, sizeof(*t->flags));
	for (size_t i = 0; i < ncols; i++)
		t->heads[i] = xstrdup(heads[i]);
	return t;
}

void
table_column(struct table *t, size_t col, int flags)
{
	if (col < t->ncols)
		t->flags[col] = flags;
}

static struct row *
row_new(struct table *t)
{
	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof(*t->rows));
	t->rows[t->nrows] = (struct row){ 0 };
	return &t->rows[t->nrows++];
}

const char *
out_seconds(const char *ts, char out[20])
{
	size_t n;

	if (!ts || !*ts)
		return "-";
	n = strcspn(ts, ".");
	snprintf(out, 20, "%.*s", (int)(n < 19 ? n : 19), ts);
	return out;
}

void
table_row(struct table *t, const char *const *cells)
{
	struct row *r = row_new(t);

	r->cells = xcalloc(t->ncols, sizeof(*r->cells));
	for (size_t i = 0; i < t->ncols; i++) {
		const char *v = cells[i] && *cells[i] ? cells[i] : "-";
		char ts[20];

		if (t->flags[i] & TABLE_TIME)
			v = out_seconds(cells[i], ts);
		/* one line per row: a newline or tab in a cell would break the columns */
		r->cells[i] = xstrdup(v);
		for (char *p = r->cells[i]; *p; p++)
			if (*p == '\n' || *p == '\t' || *p == '\r')
				*p = ' ';
	}
}

void
table_note(struct table *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	row_new(t)->note = xvasprintf(fmt, ap);
	va_end(ap);
}

/* characters on screen: UTF-8 continuation bytes take no column */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

bool
out_colour(FILE *f)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (no && *no)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(f));
}

const char *
out_state_colour(const char *word)
{
	static const char *const good[] = { "ok", "success", "built", "approved", "merged" };
	static const char *const bad[] = {
		"failed", "failure", "interrupted", "error", "conflicts", "rejected",
	};
	static const char *const busy[] = {
		"out of date", "building", "running", "missing", "partial", "open", "up to date",
		"skipped", "nothing to do",
	};

	for (size_t i = 0; i < LEN(good); i++)
		if (strcmp(word, good[i]) == 0)
			return "\033[32m";
	for (size_t i = 0; i < LEN(bad); i++)
		if (strcmp(word, bad[i]) == 0)
			return "\033[31m";
	for (size_t i = 0; i < LEN(busy); i++)
		if (strcmp(word, busy[i]) == 0)
			return "\033[33m";
	return "";
}

static void
print_cell(const struct table *t, size_t col, const char *v, size_t w, bool colour,
           bool head, FILE *f)
{
	size_t pad = w - width(v);
	bool last = col + 1 == t->ncols;
	const char *c = "";

	if (colour)
		c = head ? "\033[1m" : t->flags[col] & TABLE_STATE ? out_state_colour(v) : "";
	if (col > 0)
		fprintf(f, "%*s", GAP, "");
	if (t->flags[col] & TABLE_RIGHT)
		fprintf(f, "%*s", (int)pad, "");
	fprintf(f, "%s%s%s", c, v, *c ? "\033[0m" : "");
	if (!(t->flags[col] & TABLE_RIGHT) && !last)
		fprintf(f, "%*s", (int)pad, "");
}

void
table_print(const struct table *t, FILE *f)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	bool colour = out_colour(f);

	for (size_t i = 0; i < t->ncols; i++)
		w[i] = width(t->heads[i]);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; t->rows[r].cells && i < t->ncols; i++)
			if (width(t->rows[r].cells[i]) > w[i])
				w[i] = width(t->rows[r].cells[i]);
	for (size_t i = 0; i < t->ncols; i++)
		print_cell(t, i, t->heads[i], w[i], colour, true, f);
	fputc('\n', f);
	for (size_t r = 0; r < t->nrows; r++) {
		if (t->rows[r].note) {
			fprintf(f, "    %s\n", t->rows[r].note);
			continue;
		}
		for (size_t i = 0; i < t->ncols; i++)
			print_cell(t, i, t->rows[r].cells[i], w[i], colour, false, f);
		fputc('\n', f);
	}
	free(w);
}

void
table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; t->rows[r].cells && i < t->ncols; i++)
			free(t->rows[r].cells[i]);
		free(t->rows[r].cells);
		free(t->rows[r].note);
	}
	for (size_t i = 0; i < t->ncols; i++)
		free(t->heads[i]);
	free(t->heads);
	free(t->flags);
	free(t->rows);
	free(t);
}
