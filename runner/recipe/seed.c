/* seed.c: a file target's data file read into typed rows (CSV or JSON; see seed.h) */
#include "seed_impl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "recipe.h"
#include "util.h"

/* problems reported of one file; then one line says there are more */
#define MAX_ERRORS 10

struct reader {
	const char *disp, *target, *driver;
	struct diags *ds;
	int nerr;
	struct dfile f;
	struct seed *s;
	const struct dcell **grid;   /* nrows * ncols cells of f; a missing one is NULL */
	const struct colspec *decl;
	size_t ndecl;
};

static const struct dcell null_cell = { .kind = DCELL_NULL };

static void __attribute__((format(printf, 4, 5)))
bad(struct reader *rd, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (rd->nerr++ == MAX_ERRORS)
		diag_add(rd->ds, DIAG_ERROR, rd->disp, 0, 0, rd->target,
		         "more problems: only the first %d are shown", MAX_ERRORS);
	if (rd->nerr > MAX_ERRORS)
		return;
	va_start(ap, fmt);
	diag_vadd(rd->ds, DIAG_ERROR, rd->disp, line, col, rd->target, fmt, ap);
	va_end(ap);
}

/* a column named name, or SIZE_MAX (names compare as the server does: case aside) */
static size_t
colindex(const struct seed *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcasecmp(s->cols[i].name, name))
			return i;
	return SIZE_MAX;
}

/* add column name, written at line:col of the file (0: in the recipe) */
static void
addcol(struct reader *rd, const char *name, int line, int col)
{
	struct seed *s = rd->s;

	if (!name || !*name) {
		bad(rd, line, col, "empty column name");
		name = "";
	} else if (colindex(s, name) != SIZE_MAX) {
		bad(rd, line, col, "column '%s' named twice", name);
	} else if (strlen(name) > 64) {
		bad(rd, line, col, "column name '%.20s...' longer than 64 characters", name);
	} else if (!strcasecmp(name, DB_STAMP)) {
		bad(rd, line, col, "column name '%s' is chacc's own", name);
	}
	s->cols = xreallocarray(s->cols, s->ncols + 1, sizeof(*s->cols));
	memset(&s->cols[s->ncols], 0, sizeof(*s->cols));
	s->cols[s->ncols++].name = xstrdup(name);
}

/* the columns: the CSV header, the keys of JSON objects, or those 'columns' names */
static void
columns(struct reader *rd)
{
	const struct dfile *f = &rd->f;
	struct seed *s = rd->s;

	if (!f->json) {
		for (size_t i = 0; i < f->head.n; i++)
			addcol(rd, f->head.v[i].text, f->head.v[i].line, f->head.v[i].col);
	} else if (f->objects) {
		for (size_t r = 0; r < f->nrows; r++)
			for (size_t i = 0; i < f->rows[r].n; i++)
				if (colindex(s, f->rows[r].v[i].key) == SIZE_MAX)
					addcol(rd, f->rows[r].v[i].key, f->rows[r].v[i].line,
					       f->rows[r].v[i].col);
	}
	if (s->ncols == 0 && f->json && rd->ndecl == 0 && f->nrows > 0)
		bad(rd, 1, 1, "rows that are arrays need 'columns' in the recipe, naming their columns");
	else if (s->ncols == 0 && f->json && rd->ndecl == 0)
		bad(rd, 1, 1, "no rows and no 'columns' in the recipe: the table would have no columns");
	if (s->ncols == 0) {
		for (size_t i = 0; i < rd->ndecl; i++)
			addcol(rd, rd->decl[i].name, 0, 0);
		return;
	}
	for (size_t i = 0; i < rd->ndecl; i++)
		if (colindex(s, rd->decl[i].name) == SIZE_MAX)
			bad(rd, 0, 0, "'columns' names '%s', a column the file does not have",
			    rd->decl[i].name);
}

/* the cells of every row, by column; rows of the wrong length are reported */
static void
grid(struct reader *rd)
{
	const struct dfile *f = &rd->f;
	size_t nc = rd->s->ncols;

	rd->grid = xcalloc(f->nrows * nc + 1, sizeof(*rd->grid));
	for (size_t r = 0; r < f->nrows; r++) {
		const struct drow *row = &f->rows[r];
		const struct dcell **g = rd->grid + r * nc;

		if (f->objects) {
			for (size_t i = 0; i < row->n; i++)
				g[colindex(rd->s, row->v[i].key)] = &row->v[i];
			continue;
		}
		if (row->n != nc) {
			bad(rd, row->n > nc ? row->v[nc].line : row->endline ? row->endline : row->line,
			    row->n > nc ? row->v[nc].col : row->endcol ? row->endcol : row->col,
			    "%zu value%s in a row of %zu columns", row->n, row->n == 1 ? "" : "s", nc);
			continue;
		}
		for (size_t i = 0; i < nc; i++)
			g[i] = &row->v[i];
	}
}

static const struct dcell *
cell(const struct reader *rd, size_t r, size_t c)
{
	const struct dcell *x = rd->grid[r * rd->s->ncols + c];

	return x ? x : &null_cell;
}

/* the type of column c: declared in the recipe, or inferred from its values */
static void
type(struct reader *rd, size_t c)
{
	struct seedcol *col = &rd->s->cols[c];
	struct infer in;

	for (size_t i = 0; i < rd->ndecl; i++) {
		if (rd->decl[i].type && *rd->decl[i].type &&
		    !strcasecmp(rd->decl[i].name, col->name)) {
			db_type_parse(rd->driver, rd->decl[i].type, &col->t);
			col->type = xstrdup(rd->decl[i].type);
			return;
		}
	}
	infer_init(&in);
	for (size_t r = 0; r < rd->f.nrows; r++)
		infer_add(&in, cell(rd, r, c), rd->f.json);
	infer_type(&in, &col->t);
	col->inferred = true;
	if (!(col->type = db_type_sql(rd->driver, &col->t)))
		col->type = db_type_sql("mariadb", &col->t);
}

/* every value checked against its column's type, and kept as the text to load */
static void
values(struct reader *rd)
{
	struct seed *s = rd->s;

	s->nrows = rd->f.nrows;
	s->values = xcalloc(s->nrows * s->ncols + 1, sizeof(*s->values));
	s->lines = xcalloc(s->nrows + 1, sizeof(*s->lines));
	for (size_t r = 0; r < s->nrows; r++) {
		s->lines[r] = rd->f.rows[r].line;
		for (size_t c = 0; c < s->ncols; c++) {
			const struct dcell *x = cell(rd, r, c);
			const char *why = value_fits(&s->cols[c].t, x);

			if (why)
				bad(rd, x->line, x->col, "value '%.40s%s' of column '%s' does not fit %s: %s",
				    x->text, strlen(x->text) > 40 ? "..." : "", s->cols[c].name,
				    s->cols[c].type, why);
			s->values[r * s->ncols + c] = value_text(&s->cols[c].t, x);
		}
	}
}

static void
summarise(struct seed *s)
{
	struct buf b;

	buf_init(&b);
	buf_adds(&b, "columns ");
	for (size_t i = 0; i < s->ncols; i++)
		buf_addf(&b, "%s%s %s", i ? ", " : "", s->cols[i].name, s->cols[i].type);
	buf_addf(&b, "; %zu row%s", s->nrows, s->nrows == 1 ? "" : "s");
	s->summary = buf_detach(&b);
}

struct seed *
seed_read(const char *disp, char *text, size_t len, const struct colspec *decl, size_t ndecl,
          const char *driver, const char *target, struct diags *ds)
{
	struct reader rd = {
		.disp = disp, .target = target, .driver = driver ? driver : "mariadb", .ds = ds,
		.decl = decl, .ndecl = ndecl,
	};
	struct dferr e;

	rd.s = xcalloc(1, sizeof(*rd.s));
	rd.s->text = text;
	rd.s->len = len;
	if (dfile_parse(disp, text, len, &rd.f, &e) < 0) {
		bad(&rd, e.line, e.col, "%s", e.msg);
		seed_free(rd.s);
		return NULL;
	}
	columns(&rd);
	/* with its columns known, every row's problems show (a short row's cells are NULL) */
	if (!rd.nerr) {
		grid(&rd);
		for (size_t c = 0; c < rd.s->ncols; c++)
			type(&rd, c);
		values(&rd);
	}
	free(rd.grid);
	dfile_release(&rd.f);
	if (rd.nerr) {
		seed_free(rd.s);
		return NULL;
	}
	summarise(rd.s);
	return rd.s;
}

void
seed_free(struct seed *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrows * s->ncols; i++)
		free(s->values[i]);
	for (size_t i = 0; i < s->ncols; i++) {
		free(s->cols[i].name);
		free(s->cols[i].type);
	}
	free(s->values);
	free(s->lines);
	free(s->cols);
	free(s->text);
	free(s->summary);
	free(s);
}
