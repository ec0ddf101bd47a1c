/*
 * db_mariadb_ddl.c: the MariaDB engine's column types for the fields of a
 * result, the indexes a table lacks, and creating a missing database
 */
#include "db_mariadb.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysqld_error.h>

#include "util.h"

/* bytes a row may take in a table, less a margin for headers */
#define ROW_MAX 65000
/* charsetnr of binary strings */
#define BINARY_CHARSET 63

/* bytes per character of a result charset */
static unsigned
charset_maxlen(unsigned nr)
{
	const MARIADB_CHARSET_INFO *cs = mariadb_get_charset_by_nr(nr);

	if (cs && cs->char_maxlen)
		return cs->char_maxlen;
	if (nr == 45 || nr == 46 || (nr >= 224 && nr <= 247) || nr >= 255)
		return 4;
	if (nr == 33 || nr == 83 || (nr >= 192 && nr <= 215))
		return 3;
	return 1;
}

static void
add_charset(struct buf *b, const MYSQL_FIELD *f)
{
	const MARIADB_CHARSET_INFO *cs = mariadb_get_charset_by_nr(f->charsetnr);
	const char *name = cs && cs->csname ? cs->csname : "utf8mb4";

	if (f->charsetnr == BINARY_CHARSET)
		name = "utf8mb4"; /* MySQL's JSON */
	buf_addf(b, " CHARACTER SET %s", name);
	/* a _bin collation compares case and accents: keys must keep it */
	if (f->flags & BINARY_FLAG && f->charsetnr != BINARY_CHARSET)
		buf_addf(b, " COLLATE %s_bin", name);
}

static void
add_lob(struct buf *b, unsigned long bytes, bool text)
{
	const char *size = bytes <= 255 ? "TINY" : bytes <= 65535 ? "" :
	                   bytes <= 16777215 ? "MEDIUM" : "LONG";

	buf_addf(b, "%s%s", size, text ? "TEXT" : "BLOB");
}

static void
add_int(struct buf *b, const char *name, const MYSQL_FIELD *f)
{
	buf_adds(b, name);
	if (f->flags & ZEROFILL_FLAG)
		buf_addf(b, "(%lu)", f->length);
	else if (f->type == MYSQL_TYPE_TINY && f->length == 1)
		buf_adds(b, "(1)"); /* a boolean to its readers */
	if (f->flags & UNSIGNED_FLAG)
		buf_adds(b, " UNSIGNED");
	if (f->flags & ZEROFILL_FLAG)
		buf_adds(b, " ZEROFILL");
}

static void
add_decimal(struct buf *b, const MYSQL_FIELD *f)
{
	bool uns = f->flags & UNSIGNED_FLAG;
	long scale = f->decimals > 38 ? 38 : f->decimals;
	long prec = (long)f->length - (scale > 0) - !uns;

	if (prec > 65)
		prec = 65;
	if (prec < scale)
		prec = scale;
	if (prec < 1)
		prec = 1;
	buf_addf(b, "DECIMAL(%ld,%ld)%s", prec, scale, uns ? " UNSIGNED" : "");
}

static void
add_temporal(struct buf *b, const char *name, const MYSQL_FIELD *f)
{
	unsigned dec = f->decimals > 6 ? 6 : f->decimals;

	buf_adds(b, name);
	if (dec)
		buf_addf(b, "(%u)", dec);
}

/* the type of a CHAR, VARCHAR, BINARY, VARBINARY, ENUM or SET result field (see field_type) */
static long
string_type(struct buf *b, const MYSQL_FIELD *f, bool lob)
{
	bool bin = f->charsetnr == BINARY_CHARSET;
	unsigned mb = bin ? 1 : charset_maxlen(f->charsetnr);
	unsigned long len = f->length;

	if (f->type == MYSQL_TYPE_STRING && !(f->flags & (ENUM_FLAG | SET_FLAG)) && len <= 255 * mb) {
		if (bin)
			buf_addf(b, "BINARY(%lu)", len);
		else
			buf_addf(b, "CHAR(%lu)", len / mb);
		if (!bin)
			add_charset(b, f);
		return (long)len;
	}
	if (lob || len > 65532) {
		add_lob(b, len, !bin);
		if (!bin)
			add_charset(b, f);
		return 12;
	}
	if (bin)
		buf_addf(b, "VARBINARY(%lu)", len);
	else
		buf_addf(b, "VARCHAR(%lu)", len / mb);
	if (!bin)
		add_charset(b, f);
	return -(long)(len + 2);
}

/* the type of a number, date or time result field: the bytes it takes in a row, or -1 for others */
static long
scalar_type(struct buf *b, const MYSQL_FIELD *f)
{
	unsigned long len = f->length;

	switch (f->type) {
	case MYSQL_TYPE_TINY:
		add_int(b, "TINYINT", f);
		return 1;
	case MYSQL_TYPE_SHORT:
		add_int(b, "SMALLINT", f);
		return 2;
	case MYSQL_TYPE_INT24:
		add_int(b, "MEDIUMINT", f);
		return 3;
	case MYSQL_TYPE_LONG:
		add_int(b, "INT", f);
		return 4;
	case MYSQL_TYPE_LONGLONG:
		add_int(b, "BIGINT", f);
		return 8;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		add_decimal(b, f);
		return 30;
	case MYSQL_TYPE_FLOAT:
		buf_adds(b, "FLOAT");
		return 4;
	case MYSQL_TYPE_DOUBLE:
		buf_adds(b, "DOUBLE");
		return 8;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		buf_adds(b, "DATE");
		return 3;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		add_temporal(b, "TIME", f);
		return 6;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		/* no TIMESTAMP: no time zone conversion, no automatic values */
		add_temporal(b, "DATETIME", f);
		return 8;
	case MYSQL_TYPE_YEAR:
		buf_adds(b, "YEAR");
		return 1;
	case MYSQL_TYPE_BIT:
		buf_addf(b, "BIT(%lu)", len < 1 ? 1 : len > 64 ? 64 : len);
		return 8;
	default:
		return -1;
	}
}

/*
 * the column type of result field f. A VARCHAR or VARBINARY becomes a TEXT or
 * BLOB when lob is set or when it is too long for a row. Returns the bytes it
 * takes in a row (roughly, for the 65,535-byte limit), negative when it is a
 * VARCHAR or VARBINARY that could become a TEXT or BLOB.
 */
static long
field_type(struct buf *b, const MYSQL_FIELD *f, bool lob)
{
	bool bin = f->charsetnr == BINARY_CHARSET;
	unsigned mb = bin ? 1 : charset_maxlen(f->charsetnr);
	unsigned long len = f->length;
	long size;

	if ((size = scalar_type(b, f)) >= 0)
		return size;
	switch (f->type) {
	case MYSQL_TYPE_NULL:
		buf_adds(b, "BINARY(0)");
		return 0;
	case MYSQL_TYPE_JSON:
		buf_adds(b, "LONGTEXT");
		add_charset(b, f);
		return 12;
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		/* a TEXT's length counts its bytes times the result's maxlen */
		add_lob(b, bin ? len : len / mb, !bin);
		if (!bin)
			add_charset(b, f);
		return 12;
	case MYSQL_TYPE_ENUM:
	case MYSQL_TYPE_SET:
	case MYSQL_TYPE_STRING:
	case MYSQL_TYPE_VAR_STRING:
	case MYSQL_TYPE_VARCHAR:
		break;
	case MYSQL_TYPE_GEOMETRY:
	default:
		buf_adds(b, "LONGBLOB");
		return 12;
	}
	return string_type(b, f, lob);
}

bool *
mdb_fit_row(size_t n, bool (*size)(void *arg, size_t i, bool lob, long *bytes), void *arg)
{
	bool *lob = xcalloc(n ? n : 1, sizeof(*lob));
	long bytes, total, widest;
	size_t wi;

	for (;;) {
		total = widest = 0;
		wi = 0;
		for (size_t i = 0; i < n; i++) {
			if (!size(arg, i, lob[i], &bytes)) {
				free(lob);
				return NULL;
			}
			total += bytes < 0 ? -bytes : bytes;
			if (bytes < 0 && -bytes > widest) {
				widest = -bytes;
				wi = i;
			}
		}
		if (total <= ROW_MAX || widest == 0)
			return lob;
		lob[wi] = true;
	}
}

static bool
field_size(void *arg, size_t i, bool lob, long *bytes)
{
	struct buf scratch;

	buf_init(&scratch);
	*bytes = field_type(&scratch, &((const MYSQL_FIELD *)arg)[i], lob);
	buf_release(&scratch);
	return true;
}

/* the column definitions of fields, fitted into the row size limit */
char *
mdb_columns_ddl(const MYSQL_FIELD *f, unsigned n)
{
	bool *lob = mdb_fit_row(n, field_size, (void *)f);
	struct buf b;
	unsigned i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		char *id = mdb_ident(f[i].name);

		buf_addf(&b, "%s%s ", i ? ", " : "", id);
		free(id);
		field_type(&b, &f[i], lob[i]);
		if (f[i].flags & NOT_NULL_FLAG)
			buf_adds(&b, " NOT NULL");
	}
	free(lob);
	return buf_detach(&b);
}

/* the columns of each index of table, comma-separated, in *have; 0 or -1 */
static int
table_indexes(struct db *d, const char *table, struct db_names *have)
{
	char *lit = db_quote(d, table);
	char *sql = xasprintf("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX"
	                      " SEPARATOR ',') FROM information_schema.STATISTICS"
	                      " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s"
	                      " GROUP BY INDEX_NAME", lit);
	int rc = db_names_query(d, sql, have);

	free(lit);
	free(sql);
	return rc;
}

int
mdb_add_missing_indexes(struct db *d, const char *table, const struct db_names *index, size_t n)
{
	struct db_names have = { 0 };
	struct db_names *add = xcalloc(n, sizeof(*add));
	size_t nadd = 0;
	int rc = -1;

	if (table_indexes(d, table, &have) < 0)
		goto out;
	nadd = db_missing_indexes(&have, index, n, add);
	rc = nadd ? mdb_add_indexes(d, table, add, nadd) : 0;
out:
	db_names_release(&have);
	free(add);
	return rc;
}

/* "'user'@'host'" of the account the server matched, or "the target user" */
static char *
account(struct db *d)
{
	char *who = NULL, *at, *out;

	if (db_value(d, &who, "SELECT CURRENT_USER()") <= 0 || !who || !(at = strrchr(who, '@'))) {
		free(who);
		return xstrdup("the connection's user");
	}
	*at = '\0';
	out = xasprintf("'%s'@'%s'", who, at + 1);
	free(who);
	return out;
}

int
mdb_create_database(const struct db_params *p, char **err)
{
	struct db_params q = *p;
	const char *name = p->name ? p->name : "?";
	struct db *d;
	char *id, *who;
	unsigned code;

	q.database = NULL;
	if (!(d = db_connect(&q, err, NULL)))
		return -1;
	id = mdb_ident(p->database);
	if (db_execf(d, "CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4", id) == 0) {
		free(id);
		db_close(d);
		return 0;
	}
	code = d->errnum;
	if (code == ER_DBACCESS_DENIED_ERROR || code == ER_ACCESS_DENIED_ERROR ||
	    code == ER_SPECIFIC_ACCESS_DENIED_ERROR) {
		who = account(d);
		*err = xasprintf("connection '%s': database '%s' does not exist, and %s may not create"
		                 " it: it needs the CREATE privilege on %s (GRANT CREATE ON %s.* TO %s),"
		                 " or create it for it", name, p->database, who, id, id, who);
		free(who);
	} else
		*err = xasprintf("connection '%s': cannot create database '%s': %s", name, p->database,
		                 db_error(d));
	free(id);
	db_close(d);
	return -1;
}
