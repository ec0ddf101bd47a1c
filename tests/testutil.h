/* testutil.h: helpers shared by the Check suites */
#ifndef CHACC_TESTUTIL_H
#define CHACC_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* run one suite and return a process exit status */
static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/*
 * whether to run the tests of suite that need shared data at path (what they
 * check, for the message). Present: yes. Absent: with CI set in the
 * environment, yes (and they fail on the missing file); otherwise no, and a
 * line "SUITE: SKIP WHAT: PATH not found" says so: a skip is not a pass.
 */
static inline bool
need_shared(const char *suite, const char *what, const char *path)
{
	const char *ci = getenv("CI");

	if (access(path, R_OK) == 0)
		return true;
	if (ci && *ci && strcmp(ci, "0") && strcmp(ci, "false"))
		return true;
	printf("%s: SKIP %s: %s not found\n", suite, what, path);
	fflush(stdout);
	return false;
}

#endif
