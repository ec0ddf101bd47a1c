/* db_mariadb_rowimg.h: the row images of MariaDB's binary log (db_mariadb_rowimg.c) */
#ifndef CHACC_DB_MARIADB_ROWIMG_H
#define CHACC_DB_MARIADB_ROWIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the columns of a table map: each one's type and metadata */
struct rowimg_cols {
	unsigned n;
	uint8_t *type;
	uint16_t *meta;
};

/* the column types (ntypes bytes) and metadata of a table map event into out; 0 or -1 */
int rowimg_map(const unsigned char *types, size_t ntypes, const unsigned char *meta, size_t nmeta,
               struct rowimg_cols *out);
void rowimg_cols_release(struct rowimg_cols *c);

/* the columns whose values are asked: column[k] is the k-th value's index in a row */
struct rowimg_want {
	const size_t *column;
	const bool *is_unsigned;
	size_t n;
};

/*
 * the rows of a rows event (data, len bytes; bitmap: the columns its
 * images hold; after_bitmap: an update's after images, else NULL): fn gets
 * each image's values asked, as the text of SQL literals (NULL for SQL
 * NULL). 0, fn's non-zero answer, or -1 when an image cannot be read
 */
int rowimg_rows(const struct rowimg_cols *c, const unsigned char *data, size_t len,
                const unsigned char *bitmap, const unsigned char *after_bitmap,
                const struct rowimg_want *w, int (*fn)(void *arg, const char *const *vals),
                void *arg);

#endif
