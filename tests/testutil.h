/* testutil.h: helpers shared by the Check suites */
#ifndef CHACC_TESTUTIL_H
#define CHACC_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

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

#endif
