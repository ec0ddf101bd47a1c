/*
 * profile.h: a table's profile, column by column (chacc profile, profile:
 * true), kept as JSON in etl_profiles, and the drift between two profiles
 */
#ifndef CHACC_PROFILE_H
#define CHACC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

struct db;
struct store;

/* values of a profile's most common values and histogram buckets */
#define PROFILE_TOP 10
#define PROFILE_BUCKETS 20

struct profile_value {
	char *value;             /* as text; NULL for SQL NULL */
	long long count;
};

struct profile_col {
	char *name;
	char *type;              /* "int", "decimal", "float", "bool", "date", "datetime", "string", ... */
	bool numeric;            /* a number: mean and histogram */
	bool temporal;           /* a date or time: histogram */
	long long nulls;
	double null_fraction;    /* nulls / rows; 0 for an empty table */
	long long distinct;      /* distinct non-NULL values; -1 when they do not compare (json) */
	bool distinct_approx;    /* estimated (the table has more than PROFILE_EXACT rows) */
	char *min, *max;         /* as text; NULL when every value is NULL */
	bool has_mean;
	double mean;
	/* most common non-NULL values, most first (then by value); none when all differ */
	struct profile_value top[PROFILE_TOP];
	size_t ntop;
	/* numbers, dates: PROFILE_BUCKETS counts of equal width from min to max */
	bool has_hist;
	long long hist[PROFILE_BUCKETS];
};

struct profile {
	char *table;
	long long rows;
	struct profile_col *cols;
	size_t ncols;
};

/* above this many rows, distinct counts may be estimated (and say so) */
#define PROFILE_EXACT 100000

/* profile table (every column but DB_STAMP) on d; 0, or -1 with the error in db_error(d) */
int profile_table(struct db *d, const char *table, struct profile *out);
/*
 * free what p holds, leaving it empty (not profile_release: libkrb5, which
 * libpq loads, has one, and a name of the program's would take its place)
 */
void profile_clear(struct profile *p);
/* the profile as a JSON object (malloc'ed) */
char *profile_to_json(const struct profile *p);
/* read one back; 0, or -1 when json is not a profile */
int profile_from_json(const char *json, struct profile *out);
/*
 * the newest profile of target in etl_profiles (store.h) into out, and when
 * it was taken into at (TS_LEN bytes; may be NULL): true when there is one
 */
bool profile_stored(struct store *st, const char *target, struct profile *out, char *at);

/* what drift reports; a threshold below 0 is off */
struct drift_opts {
	double row_count_drop;   /* rows fell by more than this fraction of the old count */
	double null_increase;    /* a column's null fraction rose by more than this */
	bool new_values;         /* a column of few values (at most PROFILE_TOP) got a value it never had */
};
/* the defaults of chacc profile and profile: true: 10%, 5%, new values on */
extern const struct drift_opts drift_defaults;
/*
 * the drifts from prev to cur, each a sentence ("rows fell from 1200 to 900
 * (25%)", "column 'gender': nulls rose from 0% to 12%", "column 'status':
 * new value 'X'"), into *out (malloc'ed strings); their count
 */
size_t profile_drift(const struct profile *prev, const struct profile *cur,
                     const struct drift_opts *o, char ***out);

#endif
