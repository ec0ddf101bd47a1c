/*
 * fuzz_sqlsplit.c: libFuzzer target for the SQL splitter and the normal form,
 * in both dialects. The input is a script of any bytes, not NUL-terminated:
 * the splitter must stay within its length. Statements are never empty, and
 * start on a line of the script; the normal form scans when the split does.
 */
#include "sqlsplit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const uint8_t *data, size_t size, enum sql_dialect d, int lines)
{
	struct sqlscript s = { 0 };
	char *err = NULL, *norm;
	size_t i;
	int rc;

	if ((rc = sqlsplit((const char *)data, size, d, &s, &err)) < 0) {
		if (!err || !*err || s.stmts || s.nstmts)
			abort();
	} else {
		if (err)
			abort();
		for (i = 0; i < s.nstmts; i++) {
			if (!s.stmts[i].sql || !*s.stmts[i].sql || strlen(s.stmts[i].sql) > size)
				abort();
			if (s.stmts[i].line < 1 || s.stmts[i].line > lines)
				abort();
			if (i && s.stmts[i].line < s.stmts[i - 1].line)
				abort();
		}
	}
	free(err);
	sqlscript_release(&s);
	norm = sqlnormal((const char *)data, size, d, NULL);
	if ((norm == NULL) != (rc < 0))
		abort();
	free(norm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;
	int lines = 1;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	check(data, size, SQL_MARIADB, lines);
	check(data, size, SQL_POSTGRES, lines);
	return 0;
}
