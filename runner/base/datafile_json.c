/* datafile_json.c: JSON data files (an array of objects or of arrays) read into rows */
#include "datafile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* a reader of RFC 8259 JSON that knows where each value starts */
struct js {
	const char *p, *end, *bol;
	int line;
	struct dferr *err;
};

static int __attribute__((format(printf, 3, 4)))
bad(struct js *j, const char *at, const char *fmt, ...)
{
	va_list ap;

	j->err->line = j->line;
	j->err->col = dfile_column(j->bol, at);
	va_start(ap, fmt);
	vsnprintf(j->err->msg, sizeof(j->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void
ws(struct js *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) && *j->p) {
		if (*j->p == '\n') {
			j->line++;
			j->bol = j->p + 1;
		}
		j->p++;
	}
}

/* the character at the reader, or 0 at the end */
static char
peek(struct js *j)
{
	ws(j);
	return j->p < j->end ? *j->p : '\0';
}

static const char *
what(struct js *j)
{
	return j->p < j->end ? "unexpected character" : "unexpected end of file";
}

static int
hex4(const char *s, unsigned *u)
{
	*u = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
utf8(struct buf *b, unsigned u)
{
	if (u < 0x80) {
		buf_addc(b, (char)u);
	} else if (u < 0x800) {
		buf_addc(b, (char)(0xC0 | u >> 6));
		buf_addc(b, (char)(0x80 | (u & 0x3F)));
	} else if (u < 0x10000) {
		buf_addc(b, (char)(0xE0 | u >> 12));
		buf_addc(b, (char)(0x80 | (u >> 6 & 0x3F)));
		buf_addc(b, (char)(0x80 | (u & 0x3F)));
	} else {
		buf_addc(b, (char)(0xF0 | u >> 18));
		buf_addc(b, (char)(0x80 | (u >> 12 & 0x3F)));
		buf_addc(b, (char)(0x80 | (u >> 6 & 0x3F)));
		buf_addc(b, (char)(0x80 | (u & 0x3F)));
	}
}

/* \uXXXX at j->p (past the backslash and u), surrogate pairs joined */
static int
escape_u(struct js *j, struct buf *b)
{
	const char *at = j->p - 2;
	unsigned u, lo;

	if (j->end - j->p < 4 || hex4(j->p, &u) < 0)
		return bad(j, at, "invalid \\u escape");
	j->p += 4;
	if (u >= 0xD800 && u <= 0xDBFF) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) < 0 ||
		    lo < 0xDC00 || lo > 0xDFFF)
			return bad(j, at, "invalid \\u escape (a lone surrogate)");
		j->p += 6;
		u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
	} else if (u >= 0xDC00 && u <= 0xDFFF) {
		return bad(j, at, "invalid \\u escape (a lone surrogate)");
	}
	utf8(b, u);
	return 0;
}

/* a string from its opening quote, malloc'ed into *out */
static int
string(struct js *j, char **out)
{
	const char *open = j->p;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "");
	for (j->p++; j->p < j->end && *j->p != '"'; ) {
		unsigned char ch = (unsigned char)*j->p;
		const char *esc = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t", *e;

		if (ch < 0x20) {
			buf_release(&b);
			return bad(j, j->p, "control character in a string (write it as an escape)");
		}
		if (ch != '\\') {
			buf_addc(&b, (char)ch);
			j->p++;
			continue;
		}
		if (++j->p == j->end)
			break;
		if (*j->p == 'u') {
			j->p++;
			if (escape_u(j, &b) < 0) {
				buf_release(&b);
				return -1;
			}
		} else if (*j->p && (e = strchr(esc, *j->p))) {
			buf_addc(&b, to[e - esc]);
			j->p++;
		} else {
			buf_release(&b);
			return bad(j, j->p - 1, "invalid escape in a string");
		}
	}
	if (j->p >= j->end) {
		buf_release(&b);
		return bad(j, open, "unclosed string");
	}
	j->p++;
	*out = buf_detach(&b);
	return 0;
}

static bool
digit(const struct js *j)
{
	return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

/* a number, as written */
static int
number(struct js *j, char **out)
{
	const char *start = j->p;

	if (*j->p == '-')
		j->p++;
	if (!digit(j))
		return bad(j, start, "invalid number");
	if (*j->p == '0')
		j->p++;
	else
		while (digit(j))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!digit(j))
			return bad(j, start, "invalid number");
		while (digit(j))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!digit(j))
			return bad(j, start, "invalid number");
		while (digit(j))
			j->p++;
	}
	*out = xstrndup(start, (size_t)(j->p - start));
	return 0;
}

static bool
word(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

/* one value of a row into cell: a string, number, true, false or null */
static int
scalar(struct js *j, struct dcell *cell)
{
	char c = peek(j);

	cell->line = j->line;
	cell->col = dfile_column(j->bol, j->p);
	if (c == '"') {
		cell->kind = DCELL_TEXT;
		return string(j, &cell->text);
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		cell->kind = DCELL_NUMBER;
		return number(j, &cell->text);
	}
	if (word(j, "true") || word(j, "false")) {
		/* the word read ends in "ue" or "se" */
		cell->kind = DCELL_BOOL;
		cell->text = xstrdup(j->p[-2] == 'u' ? "1" : "0");
		return 0;
	}
	if (word(j, "null")) {
		cell->kind = DCELL_NULL;
		return 0;
	}
	if (c == '[' || c == '{')
		return bad(j, j->p, "a nested %s: a value is a string, number, true, false or null",
		           c == '[' ? "array" : "object");
	return bad(j, j->p, "%s: expected a value", what(j));
}

static struct dcell *
addcell(struct drow *row)
{
	row->v = xreallocarray(row->v, row->n + 1, sizeof(*row->v));
	memset(&row->v[row->n], 0, sizeof(*row->v));
	return &row->v[row->n++];
}

/* the members or items of one row, from its '{' or '[' */
static int
row(struct js *j, struct drow *r, bool object)
{
	char close = object ? '}' : ']';

	r->line = j->line;
	r->col = dfile_column(j->bol, j->p);
	j->p++;
	if (peek(j) == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		struct dcell *cell = addcell(r);
		char *key = NULL;

		if (object) {
			if (peek(j) != '"')
				return bad(j, j->p, "%s: expected a key in quotes", what(j));
			const char *at = j->p;

			cell->line = j->line;
			cell->col = dfile_column(j->bol, j->p);
			if (string(j, &key) < 0)
				return -1;
			for (size_t i = 0; i + 1 < r->n; i++)
				if (!strcmp(r->v[i].key, key)) {
					free(key);
					return bad(j, at, "duplicate key in an object");
				}
			cell->key = key;
			if (peek(j) != ':')
				return bad(j, j->p, "%s: expected ':'", what(j));
			j->p++;
		}
		if (scalar(j, cell) < 0)
			return -1;
		if (peek(j) == ',') {
			j->p++;
			continue;
		}
		if (peek(j) == close) {
			j->p++;
			return 0;
		}
		return bad(j, j->p, "%s: expected ',' or '%c'", what(j), close);
	}
}

static int
rows(struct js *j, struct dfile *out)
{
	if (peek(j) != '[')
		return bad(j, j->p, "%s: a JSON data file is an array (of objects or of arrays)",
		           what(j));
	j->p++;
	if (peek(j) == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		char c = peek(j);
		struct drow *r;

		if (c != '{' && c != '[')
			return bad(j, j->p, "%s: expected an object or an array (a row)", what(j));
		if (out->nrows && out->objects != (c == '{'))
			return bad(j, j->p, "a row %s among rows that are %s", c == '{' ? "object" :
			           "array", out->objects ? "objects" : "arrays");
		out->objects = c == '{';
		out->rows = xreallocarray(out->rows, out->nrows + 1, sizeof(*out->rows));
		r = &out->rows[out->nrows++];
		memset(r, 0, sizeof(*r));
		if (row(j, r, c == '{') < 0)
			return -1;
		if (peek(j) == ',') {
			j->p++;
			continue;
		}
		if (peek(j) == ']') {
			j->p++;
			return 0;
		}
		return bad(j, j->p, "%s: expected ',' or ']'", what(j));
	}
}

int
dfile_json(const char *text, size_t len, struct dfile *out, struct dferr *err)
{
	struct js j = { .p = text, .end = text + len, .bol = text, .line = 1, .err = err };

	memset(out, 0, sizeof(*out));
	out->json = true;
	if (memchr(text, '\0', len)) {
		const char *nul = memchr(text, '\0', len);

		for (const char *s = text; s < nul; s++)
			if (*s == '\n') {
				j.line++;
				j.bol = s + 1;
			}
		return bad(&j, nul, "NUL byte: a data file is text");
	}
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		j.p = j.bol = text + 3;
	if (rows(&j, out) < 0 || (peek(&j) && bad(&j, j.p, "more after the array") < 0)) {
		dfile_release(out);
		out->json = true;
		return -1;
	}
	return 0;
}
