/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unit.h - What every unit test program shares: building its suite from
 * lists of tests, and running it
 *
 * Include after check.h.
 */

#ifndef TEST_UNIT_UNIT_H
#define TEST_UNIT_UNIT_H

#include <stddef.h>

/* A list of tests, for unit_tcase(): the names given to START_TEST() */
#define TESTS(...)							\
	(const TTest *const []){ __VA_ARGS__ },				\
	sizeof((const TTest *const []){ __VA_ARGS__ }) / sizeof(TTest *)

/* Add a loop test to @tc, run once for each entry of the array @table */
#define UNIT_LOOP(tc, test, table)					\
	tcase_add_loop_test((tc), (test), 0,				\
			    (int)(sizeof(table) / sizeof((table)[0])))

TCase *unit_tcase(Suite *s, const char *name, SFun setup, SFun teardown,
		  const TTest *const *tests, size_t n);
int unit_run(Suite *s);

#endif /* TEST_UNIT_UNIT_H */
