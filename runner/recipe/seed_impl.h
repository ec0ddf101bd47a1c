/* seed_impl.h: what the parts of a file target's reading share (seed*.c) */
#ifndef CHACC_SEED_IMPL_H
#define CHACC_SEED_IMPL_H

#include <stdbool.h>

#include "datafile.h"
#include "seed.h"

/* what the values of a column so far allow it to be */
struct infer {
	bool any;                /* a value that is not NULL */
	bool ints, decs, floats, dates, datetimes, bools;
	unsigned intd, frac;     /* most digits before and after the point */
	unsigned dtfrac;         /* most digits of a second's fraction */
	unsigned maxlen;         /* most characters */
};

/* seed_value.c */
void infer_init(struct infer *in);
/* a value of the column; json: read from a JSON file (its strings are no numbers) */
void infer_add(struct infer *in, const struct dcell *c, bool json);
/* the narrowest type that holds every value added */
void infer_type(const struct infer *in, struct db_type *t);
/* why the value of c does not fit t, or NULL */
const char *value_fits(const struct db_type *t, const struct dcell *c);
/* the text of c to load into a column of t (true/false as 1/0 where numbers go), or NULL */
char *value_text(const struct db_type *t, const struct dcell *c);

#endif
