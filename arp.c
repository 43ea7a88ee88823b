// SPDX-License-Identifier: GPL-2.0-or-later
/* arp.c - Answer the guest's ARP requests
 *
 * For the guest we are the whole network: every IPv4 address it asks about,
 * except its own, is at our MAC address. Requests for the guest's own
 * address (duplicate address probes) and gratuitous announcements are left
 * unanswered.
 */

#include <arpa/inet.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <string.h>

#include "arp.h"
#include "fwd.h"
#include "log.h"
#include "passt.h"
#include "tap.h"

/**
 * struct arp_payload - ARP body for IPv4 over Ethernet
 * @sha:	Sender hardware address
 * @sip:	Sender IP address
 * @tha:	Target hardware address
 * @tip:	Target IP address
 */
struct arp_payload {
	unsigned char sha[ETH_ALEN];
	unsigned char sip[4];
	unsigned char tha[ETH_ALEN];
	unsigned char tip[4];
} __attribute__((packed));

/**
 * struct arp_frame - A whole ARP frame
 * @eh:		Ethernet header
 * @ah:		ARP header
 * @am:		ARP payload
 */
struct arp_frame {
	struct ethhdr eh;
	struct arphdr ah;
	struct arp_payload am;
} __attribute__((packed));

/**
 * arp() - Handle one ARP frame from the guest
 * @c:		Execution context
 * @frames:	Pool of frames
 * @idx:	Index of the ARP frame in @frames
 *
 * Return: true if the frame was well-formed (answered or not), false if not
 */
bool arp(struct ctx *c, const struct pool *frames, size_t idx)
{
	const struct arp_payload *am;
	const struct arphdr *ah;
	struct arp_frame reply;

	ah = packet_get_hdr(frames, idx, ETH_HLEN, struct arphdr);
	am = packet_get_hdr(frames, idx, ETH_HLEN + sizeof(*ah),
			    struct arp_payload);
	if (!ah || !am)
		return false;

	if (ah->ar_hrd != htons(ARPHRD_ETHER) ||
	    ah->ar_pro != htons(ETH_P_IP) ||
	    ah->ar_hln != ETH_ALEN || ah->ar_pln != 4)
		return false;

	/* The sender's address is the guest's, unless it's probing */
	{
		in_addr_t sip;

		memcpy(&sip, am->sip, sizeof(sip));
		if (sip && memcmp(am->sha, c->our_tap_mac, ETH_ALEN))
			fwd_learn_addr4(c, sip);
	}

	if (ah->ar_op != htons(ARPOP_REQUEST))
		return true;

	/* Gratuitous ARP, or probes for the guest's own address */
	if (!memcmp(am->sip, am->tip, sizeof(am->tip)) ||
	    !memcmp(am->tip, &c->ip4.addr, sizeof(am->tip)) ||
	    !memcmp(am->tip, &c->ip4.addr_seen, sizeof(am->tip)))
		return true;

	memcpy(reply.eh.h_dest, am->sha, ETH_ALEN);
	memcpy(reply.eh.h_source, c->our_tap_mac, ETH_ALEN);
	reply.eh.h_proto = htons(ETH_P_ARP);

	reply.ah = *ah;
	reply.ah.ar_op = htons(ARPOP_REPLY);

	memcpy(reply.am.sha, c->our_tap_mac, ETH_ALEN);
	memcpy(reply.am.sip, am->tip, sizeof(reply.am.sip));
	memcpy(reply.am.tha, am->sha, ETH_ALEN);
	memcpy(reply.am.tip, am->sip, sizeof(reply.am.tip));

	tap_send_frame(c, &reply, sizeof(reply));
	return true;
}
