// SPDX-License-Identifier: GPL-2.0-or-later
/* unit.c - What every unit test program shares: building its suite from
 * lists of tests, and running it
 *
 * A suite is a few test cases, each a list of tests with an optional
 * checked fixture. unit_tcase() adds one such case from a list written
 * with TESTS(), and unit_run() is the whole of a test program's main().
 */

#include <check.h>
#include <stdlib.h>

#include "unit.h"

/**
 * unit_tcase() - Add a test case made of a list of tests to a suite
 * @s:		Suite
 * @name:	Name of the test case
 * @setup:	Checked fixture run before each test, or NULL
 * @teardown:	Checked fixture run after each test, or NULL
 * @tests:	Tests, as declared by START_TEST()
 * @n:		Number of @tests
 *
 * Return: the test case, for tests of other kinds (loop, exit) and timeouts
 */
TCase *unit_tcase(Suite *s, const char *name, SFun setup, SFun teardown,
		  const TTest *const *tests, size_t n)
{
	TCase *tc = tcase_create(name);
	size_t i;

	if (setup || teardown)
		tcase_add_checked_fixture(tc, setup, teardown);
	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return tc;
}

/**
 * unit_run() - Run a suite, print the results, free it
 * @s:		Suite
 *
 * Return: EXIT_SUCCESS if every test passed, EXIT_FAILURE otherwise
 */
int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
