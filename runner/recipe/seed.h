/* seed.h: the rows of a file target: its CSV or JSON file read, its columns typed */
#ifndef CHACC_SEED_H
#define CHACC_SEED_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct colspec;
struct diags;

struct seedcol {
	char *name;
	char *type;              /* its SQL type: as declared, or inferred (spelled by the engine) */
	bool inferred;
	struct db_type t;        /* what its values were checked against */
};

struct seed {
	char *text;              /* the file as read: part of the target's definition */
	size_t len;
	struct seedcol *cols;
	size_t ncols;
	char **values;           /* nrows rows of ncols, row-major; NULL is SQL NULL */
	int *lines;              /* per row, the line of the file it starts at */
	size_t nrows;
	char *summary;           /* "id BIGINT, name VARCHAR(3)": what plan shows */
};

/*
 * the rows of data file text (len bytes, taken over; disp is its path in
 * messages and decides its format, see dfile_parse), with the columns decl[n]
 * declares and the types of the others inferred from their values, spelled
 * for driver's engine. Every problem goes to ds at disp:line:column, about
 * target; NULL when there was one.
 */
struct seed *seed_read(const char *disp, char *text, size_t len, const struct colspec *decl,
                       size_t ndecl, const char *driver, const char *target, struct diags *ds);
void seed_free(struct seed *s);

#endif
