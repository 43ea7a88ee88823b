/* SPDX-License-Identifier: GPL-2.0-or-later */
/* harness.h - What the libFuzzer targets share: a private network
 * namespace, a context like the daemon's after start-up, the reading of
 * fuzzer input, frames fixed up on the way in and checked on the way out,
 * and the log watched for floods
 *
 * Every check that fails calls fz_fail(), which prints what was wrong and
 * aborts: libFuzzer saves the input that did it as a crash.
 */

#ifndef TEST_FUZZ_HARNESS_H
#define TEST_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ctx;
struct in_addr;
struct in6_addr;

/* Harness code that loops over data: no coverage feedback wanted from it,
 * and instrumenting it would slow every input down
 */
#define FZ_NOCOV	__attribute__((no_sanitize("coverage"), noinline))

/* Addresses of the context fz_ctx_init() sets up */
#define FZ_GUEST4	"198.51.100.2"
#define FZ_GW4		"198.51.100.1"
#define FZ_DNS4		"198.51.100.53"
#define FZ_GUEST6	"2001:db8::2"
#define FZ_GW6		"2001:db8::1"
#define FZ_LL6		"fe80::1"
#define FZ_GUEST_LL6	"fe80::42"
#define FZ_DNS6		"2001:db8::53"
#define FZ_MTU		65520

extern const uint8_t fz_guest_mac[6];
extern const uint8_t fz_our_mac[6];

/**
 * struct fz_in - Fuzzer input being read
 * @p:		Data
 * @len:	Bytes left at @p
 */
struct fz_in {
	const uint8_t *p;
	size_t len;
};

uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
size_t fz_bytes(struct fz_in *in, void *dst, size_t len);

void fz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

void fz_netns_setup(void);
void fz_lo_up(void);
void fz_lo_addrs(const struct in_addr *a4, const struct in6_addr *a6,
		 int prefix6);
int fz_netns_enter(int fd);
void fz_fds_run_out(bool out);
void fz_ctx_init(struct ctx *c, int mode);
void fz_setup(struct ctx *c, int mode);
int fz_pasta_tap(struct ctx *c);
void fz_daemon_init(struct ctx *c);
void fz_ready(void);
void fz_log_init(void);
void fz_log_check(void);

void fz_host_change(struct ctx *c, struct fz_in *in,
		    const struct timespec *now);
void fz_host_back(struct ctx *c, const struct timespec *now);

void fz_frame_fix(uint8_t *f, size_t len);
void fz_tap_read_back(struct ctx *c, int fd);
const uint8_t *fz_frame_check(const struct ctx *c, const uint8_t *f,
			      size_t len, size_t max, size_t *whole);
int fz_tap_real(void);
void fz_vnet_set(struct ctx *c, unsigned int sel);
uint8_t *fz_vnet_frame(const struct ctx *c, uint8_t *buf, size_t n,
		       size_t *len, size_t *max);
extern size_t fz_udp_seg;
uint16_t fz_csum(const void *buf, size_t len, uint32_t sum);
uint32_t fz_pseudo(int af, const void *src, const void *dst, uint8_t proto,
		   size_t len);

/**
 * struct fz_rx - Frames from passt's stream socket, as the guest reads them
 * @buf:	Data read and not yet made into frames
 * @len:	Bytes in @buf
 */
struct fz_rx {
	uint8_t buf[1 << 18];
	size_t len;
};

typedef void (*fz_frame_fn)(const uint8_t *f, size_t len);
void fz_stream_rx(struct fz_rx *rx, int fd, fz_frame_fn fn);

void fz_fds_baseline(void);
void fz_fds_check(void);

#endif /* TEST_FUZZ_HARNESS_H */
