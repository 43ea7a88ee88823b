/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_splice_conn.h - pasta's spliced TCP connection: two sockets, two pipes
 *		       (tcp_splice.c)
 *
 * Part of the flow table: flow.h includes this after the common part of
 * every flow (struct flow_common), to make union flow. Include flow.h,
 * not this file.
 */
#ifndef TCP_SPLICE_CONN_H
#define TCP_SPLICE_CONN_H

#include <stdint.h>

/**
 * struct tcp_splice_conn - Two connected sockets joined with splice(2)
 * @f:		Common fields (the key is unused: no lookups by tuple)
 * @s:		Sockets: [0] accepted, [1] the one we connected
 * @pipe:	Pipes: [0] carries data from s[0] to s[1], [1] the reverse
 * @pending:	Bytes in each pipe
 * @flags:	SPLICE_F_* (tcp_splice.c)
 * @events:	epoll events requested for each socket
 * @pipe_size:	Capacity of each pipe, bytes
 */
struct tcp_splice_conn {
	struct flow_common f;
	int s[2];
	int pipe[2][2];
	uint32_t pending[2];
	uint32_t pipe_size[2];
	uint16_t flags;
	uint32_t events[2];
};

#endif /* TCP_SPLICE_CONN_H */
