// SPDX-License-Identifier: GPL-2.0-or-later
/* stubs.c - What the unit tests link instead of passt.o
 *
 * Unit tests link every daemon object except passt.o, which holds main()
 * and the process teardown. The only symbol the other objects need from it
 * is passt_exit(): here it just exits, so that a test of a path ending the
 * daemon sees the exit status and nothing else (no socket or PID file is
 * removed, since a test creates none).
 */

#include <stdlib.h>

#include "passt.h"

/**
 * passt_exit() - Exit with a status, without the daemon's cleanup
 * @c:		Execution context, unused
 * @status:	Exit status
 */
void passt_exit(const struct ctx *c, int status)
{
	(void)c;
	exit(status);
}
