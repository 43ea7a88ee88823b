// SPDX-License-Identifier: GPL-2.0-or-later
/* pcap.c - Capture of every frame to and from the guest (-p, --pcap)
 *
 * The file is in the classic libpcap format (microsecond timestamps, link
 * type Ethernet), which tcpdump, tshark and wireshark read. Frames are
 * written whole, in the order the tap path sees them. A write error stops
 * the capture (logged once) but never the daemon.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pcap.h"
#include "util.h"

#define PCAP_MAGIC		0xa1b2c3d4
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
#define PCAP_LINKTYPE_ETHERNET	1
#define PCAP_SNAPLEN		(IP_MAXPACKET + ETH_HLEN)

/**
 * struct pcap_file_hdr - Global header of a pcap file
 * @magic:		PCAP_MAGIC in host byte order
 * @version_major:	Major version of the format
 * @version_minor:	Minor version of the format
 * @thiszone:		Timezone offset, unused: 0
 * @sigfigs:		Timestamp accuracy, unused: 0
 * @snaplen:		Maximum length of a captured frame
 * @linktype:		Link layer type
 */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

/**
 * struct pcap_rec_hdr - Header of one captured frame
 * @ts_sec:	Timestamp, seconds
 * @ts_usec:	Timestamp, microseconds
 * @caplen:	Bytes captured
 * @len:	Length of the frame
 */
struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_usec;
	uint32_t caplen;
	uint32_t len;
};

static int pcap_fd = -1;

/**
 * pcap_init() - Create the capture file and write its header
 * @path:	Path of the file, NULL or empty for no capture
 *
 * The file is created with mode 0600, or a stale one of ours emptied: see
 * file_open_own() for what is refused.
 */
void pcap_init(const char *path)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC,
		.version_major = PCAP_VERSION_MAJOR,
		.version_minor = PCAP_VERSION_MINOR,
		.snaplen = PCAP_SNAPLEN,
		.linktype = PCAP_LINKTYPE_ETHERNET,
	};
	char why[128];

	if (!path || !*path)
		return;

	pcap_fd = file_open_own(path, O_WRONLY, why, sizeof(why));
	if (pcap_fd < 0)
		die("Can't use capture file %s: %s", path, why);
	if (write_all(pcap_fd, &h, sizeof(h)))
		die_perror("Can't write capture file %s", path);
	info("Saving packet capture to %s", path);
}

/**
 * pcap_frame() - Append a frame to the capture, if capturing
 * @frame:	Frame, starting with the Ethernet header
 * @len:	Length of the frame
 *
 * syscalls: clock_gettime writev close
 */
void pcap_frame(const void *frame, size_t len)
{
	struct pcap_rec_hdr h;
	struct iovec iov[2];
	struct timespec ts;
	ssize_t n;

	if (pcap_fd < 0)
		return;

	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts_sec = (uint32_t)ts.tv_sec;
	h.ts_usec = (uint32_t)(ts.tv_nsec / 1000);
	h.caplen = h.len = (uint32_t)len;

	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)frame;
	iov[1].iov_len = len;

	n = writev(pcap_fd, iov, 2);
	if (n != (ssize_t)(sizeof(h) + len)) {
		err_perror("Can't write to capture file, capture stopped");
		close(pcap_fd);
		pcap_fd = -1;
	}
}
