/*
 * fuzz_sqlsplit.c: libFuzzer target for the SQL splitter. The input is a script
 * of any bytes, not NUL-terminated: the splitter must stay within its length.
 * Statements are never empty, and start on a line of the script.
 */
#include "sqlsplit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlscript s = { 0 };
	char *err = NULL;
	size_t i;
	int lines = 1;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (sqlsplit((const char *)data, size, &s, &err) < 0) {
		if (!err || !*err)
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
	return 0;
}
