/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define ROUND_UP(x, y)		(((x) + (y) - 1) / (y) * (y))

#define STRINGIFY(x)		#x
#define STR(x)			STRINGIFY(x)

static inline void bitmap_set(uint8_t *map, unsigned int bit)
{
	map[bit / 8] |= (uint8_t)(1U << (bit % 8));
}

static inline void bitmap_clear(uint8_t *map, unsigned int bit)
{
	map[bit / 8] &= (uint8_t)~(1U << (bit % 8));
}

static inline bool bitmap_isset(const uint8_t *map, unsigned int bit)
{
	return map[bit / 8] & (1U << (bit % 8));
}

struct ctx;
union epoll_ref;

int epoll_add(const struct ctx *c, uint32_t events, union epoll_ref ref);
void epoll_del(const struct ctx *c, int fd);
void sock_close_rst(int s);
void fd_spare_init(void);
int sock_accept(int fd, struct sockaddr *sa, socklen_t *sl);
int fd_set_nonblock(int fd);
int write_all(int fd, const void *buf, size_t len);
int write_file(const char *path, const char *buf);
int file_open_own(const char *path, int flags, char *why, size_t len);
long timespec_diff_ms(const struct timespec *a, const struct timespec *b);
void close_open_files(int from, int keep);
int path_dir_open(const char *path, char *name, size_t size);

#define NS_CALL_STACK_SIZE	(256 * 1024)
typedef int (*ns_call_fn)(struct ctx *c, void *arg);
int ns_call(struct ctx *c, ns_call_fn fn, void *arg);
int ns_run(struct ctx *c, ns_call_fn fn, void *arg);
int sock_open(int af, int type, int proto);
int sock_open_many(int af, int type, int proto, int *fds, int n);
int ns_sock(struct ctx *c, bool in_ns, int (*open)(const void *arg),
	    const void *arg);
int str_to_ulong(const char *s, unsigned long max, unsigned long *val);

struct fwd_rule;
int sock_bind_port(sa_family_t af, int type, uint16_t port,
		   const struct fwd_rule *rule);

/* Domain names (RFC 1035 2.3.4): text form without the trailing dot, wire
 * form, labels; compression pointers (4.1.4)
 */
#define DNS_TEXT_MAX		253
#define DNS_NAME_MAX		255
#define DNS_LABEL_MAX		63
#define DNS_PTR			0xc000
#define DNS_PTR_OFF_MAX		0x3fff

/**
 * struct dns_suffix - A name suffix already written, for compression
 * @name:	The suffix as text, not terminated
 * @len:	Its length, without trailing dot
 * @off:	Offset of its wire form in the encoded list
 */
struct dns_suffix {
	const char *name;
	size_t len;
	size_t off;
};

size_t dns_name_put(const char *name, uint8_t *buf, size_t size, size_t off,
		    struct dns_suffix *sfx, size_t *nsfx, size_t sfx_max);

/**
 * dns_name_encode() - Write a domain name in wire format, uncompressed
 * @buf:	Output buffer
 * @size:	Size of @buf
 * @name:	Name, dot-separated, with an optional trailing dot
 *
 * Return: length written, terminating zero label included, 0 if @name is
 *	   empty, the root, has an empty or too long label, is too long, or
 *	   doesn't fit
 */
static inline size_t dns_name_encode(uint8_t *buf, size_t size,
				     const char *name)
{
	return dns_name_put(name, buf, size, 0, NULL, NULL, 0);
}

#endif /* UTIL_H */
