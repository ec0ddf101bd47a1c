/* datafile_csv.c: CSV files (RFC 4180) read into rows, and what data files share */
#include "datafile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* reading: where the scanner is */
struct csv {
	const char *p, *end;
	const char *bol;         /* start of the current line */
	int line;
	struct dferr *err;
};

int
dfile_column(const char *bol, const char *p)
{
	int col = 1;

	/* characters, not bytes: UTF-8 continuation bytes do not count */
	for (; bol < p; bol++)
		col += ((unsigned char)*bol & 0xC0) != 0x80;
	return col;
}

static int __attribute__((format(printf, 3, 4)))
bad(struct csv *c, const char *at, const char *fmt, ...)
{
	va_list ap;

	c->err->line = c->line;
	c->err->col = dfile_column(c->bol, at);
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* at a line break: past it */
static bool
newline(struct csv *c)
{
	if (c->p < c->end && *c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
		c->p++;
	if (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		c->p++;
		c->line++;
		c->bol = c->p;
		return true;
	}
	return false;
}

static bool
at_eol(const struct csv *c)
{
	return c->p == c->end || *c->p == '\n' || *c->p == '\r';
}

/* a quoted field from its opening quote */
static int
quoted(struct csv *c, struct dcell *cell)
{
	const char *open = c->p, *openbol = c->bol;
	int openline = c->line;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	c->p++;
	for (;;) {
		if (c->p == c->end) {
			buf_release(&b);
			c->line = openline;
			c->bol = openbol;
			return bad(c, open, "unclosed quote");
		}
		if (*c->p == '"' && c->p + 1 < c->end && c->p[1] == '"') {
			buf_addc(&b, '"');
			c->p += 2;
		} else if (*c->p == '"') {
			c->p++;
			break;
		} else if (*c->p == '\n' || *c->p == '\r') {
			/* a newline inside quotes is kept as written */
			if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
				buf_addc(&b, *c->p++);
			buf_addc(&b, *c->p);
			newline(c);
		} else {
			buf_addc(&b, *c->p++);
		}
	}
	if (!at_eol(c) && *c->p != ',') {
		buf_release(&b);
		return bad(c, c->p, "unexpected character after a closing quote (a quote inside a "
		           "quoted field is written twice: \"\")");
	}
	cell->kind = DCELL_TEXT;
	cell->text = buf_detach(&b);
	return 0;
}

/* an unquoted field: NULL when empty */
static int
plain(struct csv *c, struct dcell *cell)
{
	const char *start = c->p;

	while (!at_eol(c) && *c->p != ',') {
		if (*c->p == '"')
			return bad(c, c->p, "quote inside an unquoted field (quote the whole field and "
			           "write the quote twice)");
		c->p++;
	}
	cell->kind = c->p == start ? DCELL_NULL : DCELL_TEXT;
	cell->text = c->p == start ? NULL : xstrndup(start, (size_t)(c->p - start));
	return 0;
}

/* one record into row; the scanner is at its first character */
static int
record(struct csv *c, struct drow *row)
{
	row->line = c->line;
	row->col = dfile_column(c->bol, c->p);
	for (;;) {
		struct dcell *cell;

		row->v = xreallocarray(row->v, row->n + 1, sizeof(*row->v));
		cell = &row->v[row->n++];
		memset(cell, 0, sizeof(*cell));
		cell->line = c->line;
		cell->col = dfile_column(c->bol, c->p);
		if ((c->p < c->end && *c->p == '"' ? quoted(c, cell) : plain(c, cell)) < 0)
			return -1;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		row->endline = c->line;
		row->endcol = dfile_column(c->bol, c->p);
		newline(c);
		return 0;
	}
}

static void
row_release(struct drow *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].text);
		free(r->v[i].key);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void
dfile_release(struct dfile *f)
{
	row_release(&f->head);
	for (size_t i = 0; i < f->nrows; i++)
		row_release(&f->rows[i]);
	free(f->rows);
	memset(f, 0, sizeof(*f));
}

int
dfile_csv(const char *text, size_t len, struct dfile *out, struct dferr *err)
{
	struct csv c = { .p = text, .end = text + len, .bol = text, .line = 1, .err = err };
	const char *nul = memchr(text, '\0', len);
	bool head = true;

	memset(out, 0, sizeof(*out));
	if (nul) {
		c.p = nul;
		for (const char *s = text; s < nul; s++)
			if (*s == '\n') {
				c.line++;
				c.bol = s + 1;
			}
		return bad(&c, nul, "NUL byte: a data file is text");
	}
	/* a byte order mark is no column */
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		c.p = c.bol = text + 3;
	while (c.p < c.end) {
		struct drow *row;

		if (newline(&c))
			continue;
		if (head) {
			row = &out->head;
			head = false;
		} else {
			out->rows = xreallocarray(out->rows, out->nrows + 1, sizeof(*out->rows));
			row = &out->rows[out->nrows++];
			memset(row, 0, sizeof(*row));
		}
		if (record(&c, row) < 0) {
			dfile_release(out);
			return -1;
		}
	}
	if (head) {
		c.line = 1;
		c.bol = c.p = text;
		return bad(&c, text, "empty: a CSV file starts with a header row naming its columns");
	}
	return 0;
}

int
dfile_parse(const char *name, const char *text, size_t len, struct dfile *out, struct dferr *err)
{
	size_t n = strlen(name), i = 0;

	if (n >= 5 && !strcasecmp(name + n - 5, ".json"))
		return dfile_json(text, len, out, err);
	if (n >= 4 && !strcasecmp(name + n - 4, ".csv"))
		return dfile_csv(text, len, out, err);
	while (i < len && strchr(" \t\r\n", text[i]))
		i++;
	if (i < len && text[i] == '[')
		return dfile_json(text, len, out, err);
	return dfile_csv(text, len, out, err);
}
