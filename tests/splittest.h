/* splittest.h: helpers of the splitter suites: split a script in a dialect, compare */
#ifndef CHACC_SPLITTEST_H
#define CHACC_SPLITTEST_H

#include "sqlsplit.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* split text in dialect d, which must split */
static inline void
split_as(enum sql_dialect d, const char *text, struct sqlscript *s)
{
	char *err = NULL;
	int rc = sqlsplit(text, strlen(text), d, s, &err);

	ck_assert_msg(rc == 0, "sqlsplit failed: %s", err ? err : "(no message)");
	ck_assert_ptr_null(err);
}

/* split text in dialect d and compare with a NULL-terminated list of statements */
static inline void
expect_as(enum sql_dialect d, const char *text, const char *const *want)
{
	struct sqlscript s;
	size_t n = 0;

	split_as(d, text, &s);
	while (want[n])
		n++;
	ck_assert_msg(s.nstmts == n, "got %zu statements, want %zu, for: %s",
	    s.nstmts, n, text);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(s.stmts[i].sql, want[i]);
	sqlscript_release(&s);
}

/* split text in dialect d and compare statement lines with a list ending in 0 */
static inline void
expect_lines_as(enum sql_dialect d, const char *text, const int *want)
{
	struct sqlscript s;
	size_t n = 0;

	split_as(d, text, &s);
	while (want[n])
		n++;
	ck_assert_uint_eq(s.nstmts, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s.stmts[i].line == want[i], "statement %zu (%s) at line %d, want %d",
		    i, s.stmts[i].sql, s.stmts[i].line, want[i]);
	sqlscript_release(&s);
}

/* split text in dialect d, which must fail with exactly this message */
static inline void
expect_error_as(enum sql_dialect d, const char *text, const char *msg)
{
	struct sqlscript s;
	char *err = NULL;

	s.stmts = (struct sqlstmt *)&s;
	s.nstmts = 99;
	ck_assert_int_eq(sqlsplit(text, strlen(text), d, &s, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, msg);
	ck_assert_ptr_null(s.stmts);
	ck_assert_uint_eq(s.nstmts, 0);
	free(err);
	sqlscript_release(&s);
}

#endif
