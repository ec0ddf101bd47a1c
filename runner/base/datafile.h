/* datafile.h: the rows of a CSV or JSON data file, as text with their positions */
#ifndef CHACC_DATAFILE_H
#define CHACC_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>

/* what a value was written as */
enum dcell_kind {
	DCELL_TEXT,              /* a CSV field or a JSON string */
	DCELL_NUMBER,            /* a JSON number, as written */
	DCELL_BOOL,              /* JSON true or false: text "1" or "0" */
	DCELL_NULL,              /* an empty unquoted CSV field, JSON null: text NULL */
};

struct dcell {
	enum dcell_kind kind;
	char *text;              /* the value (UTF-8), NULL for NULL */
	char *key;               /* a member of a JSON object: its key; else NULL */
	int line, col;           /* where it starts, from 1 (col counts characters) */
};

struct drow {
	struct dcell *v;
	size_t n;
	int line, col;           /* where the row starts */
	int endline, endcol;     /* where it ends (CSV: its last character) */
};

/*
 * a data file: CSV has a header row (head, whose cells name the columns);
 * JSON is an array of objects (objects: every cell has its key) or of arrays
 */
struct dfile {
	struct drow head;        /* CSV: the header; JSON: empty */
	struct drow *rows;
	size_t nrows;
	bool objects;            /* JSON: an array of objects */
	bool json;
};

/* where and why a file does not parse */
struct dferr {
	int line, col;
	char msg[200];
};

/*
 * CSV as RFC 4180 has it: fields separated by commas, records by CRLF or LF,
 * a field in double quotes may hold commas, newlines and doubled quotes; an
 * empty unquoted field is NULL, a quoted empty field the empty string. The
 * first record is the header; blank lines are skipped. 0, or -1 with err.
 */
int dfile_csv(const char *text, size_t len, struct dfile *out, struct dferr *err);
/* a JSON array of objects or of arrays of strings, numbers, booleans and nulls; 0 or -1 */
int dfile_json(const char *text, size_t len, struct dfile *out, struct dferr *err);
/* JSON when the name ends in ".json" or the text starts with '[', else CSV; 0 or -1 */
int dfile_parse(const char *name, const char *text, size_t len, struct dfile *out,
                struct dferr *err);
void dfile_release(struct dfile *f);

/* the column (from 1, in characters) of p on its line, which starts at bol */
int dfile_column(const char *bol, const char *p);

#endif
