/* table.h: the command line's text tables: aligned columns, '-' for what is unknown */
#ifndef CHACC_TABLE_H
#define CHACC_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

/* how a column shows its cells (table_column) */
enum {
	TABLE_RIGHT = 1,         /* numbers: aligned to the right */
	TABLE_TIME = 2,          /* "YYYY-MM-DD HH:MM:SS.ffffff" cut to the second */
	TABLE_STATE = 4,         /* state words, coloured on a terminal (out_colour) */
};

/* a table with ncols columns under these heads */
struct table *table_new(size_t ncols, const char *const *heads);
/* how column col shows: TABLE_ flags */
void table_column(struct table *t, size_t col, int flags);
/* add a row of ncols cells (copied); NULL or "" shows as '-' */
void table_row(struct table *t, const char *const *cells);
/* a line of its own under the last row, indented, outside the columns */
void table_note(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* print the heads and rows to f, columns two spaces apart; colour when out_colour(f) */
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);

/*
 * colour on f: only on a terminal, never with NO_COLOR set (no-color.org)
 * or TERM=dumb
 */
bool out_colour(FILE *f);
/* the escape sequence that colours a state word ("" for none) */
const char *out_state_colour(const char *word);
/* a timestamp cut to the second into out[20] ('-' when empty or NULL) */
const char *out_seconds(const char *ts, char out[20]);

#endif
