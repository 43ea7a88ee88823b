// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_ports.c - libFuzzer target: the port forwarding grammar (-t -u -T -U)
 *
 * The input is a flags byte (bit 0: "auto" allowed, as for pasta; bit 1:
 * check interface names) and up to four specifications separated by NUL
 * bytes, parsed in turn into one forwarding table with fwd_parse_spec(),
 * as repeated options are. After each one that parses, the table must
 * hold together: no port 0 either side, every forwarded port belongs to a
 * rule that covers it and maps it where the rule says, no more rules than
 * the table holds. An error must come with a message.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd.h"
#include "harness.h"
#include "util.h"

#define FZ_SPECS_MAX	4

/**
 * check_fwd() - The table a specification left must hold together
 * @fwd:	Forwarding table
 */
static void check_fwd(const struct fwd_ports *fwd)
{
	unsigned int p;

	if (fwd->rule_count > FWD_RULES_MAX)
		fz_fail("%u forwarding rules", fwd->rule_count);
	if (bitmap_isset(fwd->map, 0))
		fz_fail("port 0 forwarded");

	for (p = 1; p < NUM_PORTS; p++) {
		const struct fwd_rule *r;
		uint16_t to;

		if (!fwd->map[p / 8]) {
			p |= 7;		/* Nothing in this byte */
			continue;
		}
		if (!fwd_port_is_fwd(fwd, (uint16_t)p))
			continue;
		r = fwd_port_rule(fwd, (uint16_t)p);
		to = fwd_port_target(fwd, (uint16_t)p);
		if (!r || fwd->rule_of[p] >= fwd->rule_count)
			fz_fail("port %u forwarded without a rule", p);
		if (p < r->first || p > r->last)
			fz_fail("port %u under rule %u-%u", p, r->first,
				r->last);
		if (!to || to != (uint16_t)(r->to + (p - r->first)))
			fz_fail("port %u mapped to %u, rule %u-%u:%u", p, to,
				r->first, r->last, r->to);
		if (fwd->mode == FWD_NONE || fwd->mode == FWD_UNSET)
			fz_fail("port %u forwarded in mode %u", p, fwd->mode);
	}
}

/**
 * LLVMFuzzerTestOneInput() - Up to four specifications into one table
 * @data:	Input
 * @size:	Its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fwd_ports fwd;
	char spec[BUFSIZ + 16], err[256];
	struct fz_in in = { data, size };
	uint8_t flags = fz_u8(&in);
	unsigned int n;

	memset(&fwd, 0, sizeof(fwd));
	for (n = 0; n < FZ_SPECS_MAX && in.len; n++) {
		const uint8_t *nul = memchr(in.p, '\0', in.len);
		size_t len = nul ? (size_t)(nul - in.p) : in.len;

		len = MIN(len, sizeof(spec) - 1);
		fz_bytes(&in, spec, len);
		spec[len] = '\0';
		fz_u8(&in);		/* The separator */

		*err = '\0';
		if (fwd_parse_spec(&fwd, spec, flags & 1, flags & 2, err,
				   sizeof(err))) {
			if (!*err)
				fz_fail("\"%s\" refused without a message",
					spec);
			break;
		}
		check_fwd(&fwd);
	}
	return 0;
}
