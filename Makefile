# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt / pasta - user-mode networking for virtual machines and namespaces

VERSION ?= $(shell git describe --tags --always 2>/dev/null || echo 0.1)

CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=c11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
	  -fstack-protector-strong -DPASST_VERSION='"$(VERSION)"'
LDLIBS ?=

# seccomp: the filter is always built in and installed. For development:
# SECCOMP_DEBUG=1 traps refused calls and names them before dying;
# SECCOMP=0 leaves it out, only to measure its cost: never for production
SECCOMP ?= 1
ifeq ($(SECCOMP),0)
CFLAGS += -DSECCOMP_OFF
endif
ifneq ($(SECCOMP_DEBUG),)
CFLAGS += -DSECCOMP_DEBUG
endif

SRCS := passt.c conf.c log.c util.c netlink.c pasta.c isolation.c tap.c \
	frame.c dispatch.c packet.c fwd.c pcap.c arp.c checksum.c dhcp.c dhcpv6.c ndp.c icmp.c \
	flow.c tcp.c tcp_splice.c udp.c broker.c seccomp.c hostwatch.c
# seccomp_filter.h is generated from every source: only seccomp.o needs it
SECCOMP_H := seccomp_filter.h
HDRS := $(filter-out $(SECCOMP_H),$(wildcard *.h))
OBJS := $(SRCS:.c=.o)

UNIT_TESTS := $(patsubst %.c,%,$(wildcard test/unit/test_*.c))

all: passt pasta qrap

passt: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

pasta: passt
	ln -sf passt pasta

qrap: qrap.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

%.o: %.c $(HDRS)
	$(CC) $(CFLAGS) -c -o $@ $<

# The allow-lists, from the "syscalls:" annotations: prints the counts
$(SECCOMP_H): seccomp.sh $(SRCS) $(HDRS)
	@CC="$(CC)" ./seccomp.sh $@.tmp $(SRCS) $(HDRS)
	@mv $@.tmp $@

seccomp.o: $(SECCOMP_H)

# Unit tests: each test/unit/test_X.c links with every object but passt.o
UNIT_OBJS := $(filter-out passt.o,$(OBJS)) test/unit/stubs.o
test/unit/stubs.o: test/unit/stubs.c $(HDRS)
	$(CC) $(CFLAGS) -I. -c -o $@ $<

# ...and with the helpers the tests share: suites, frames, fixtures
UNIT_LIB := test/unit/unit.o test/unit/frames.o
UNIT_HDRS := $(wildcard test/unit/*.h)
$(UNIT_LIB): test/unit/%.o: test/unit/%.c $(UNIT_HDRS) $(HDRS)
	$(CC) $(CFLAGS) -I. $$(pkg-config --cflags check) -c -o $@ $<

test/unit/test_%: test/unit/test_%.c $(UNIT_HDRS) $(UNIT_LIB) $(UNIT_OBJS) \
		$(HDRS) $(SECCOMP_H)
	$(CC) $(CFLAGS) -I. -o $@ $< $(UNIT_LIB) $(UNIT_OBJS) $(LDLIBS) \
		$$(pkg-config --cflags --libs check)

# Fuzzing: every parser under AddressSanitizer and UBSan, hostile frames
FUZZ_SRCS := $(filter-out passt.c,$(SRCS)) test/unit/stubs.c
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize=alignment \
	       -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer -Wall -Wextra -std=c11 -D_GNU_SOURCE \
	       -DPASST_VERSION='"fuzz"' -I.
test/fuzz/fuzz_tap: test/fuzz/fuzz_tap.c $(FUZZ_SRCS) $(HDRS) $(SECCOMP_H)
	$(CC) $(FUZZ_CFLAGS) -o $@ \
		test/fuzz/fuzz_tap.c $(FUZZ_SRCS) $(LDLIBS)

FUZZ_ITERATIONS ?= 200000
fuzz: test/fuzz/fuzz_tap
	./test/fuzz/fuzz_tap $(FUZZ_ITERATIONS)

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t || rc=1; done; \
	exit $$rc

setup:
	test/setup.sh

check: setup
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz
	test/run-integration.sh

bench: all test/bench_seccomp
	test/bench.sh
	test/bench_seccomp

# What the seccomp filter costs per system call, with and without it
test/bench_seccomp: test/bench_seccomp.c $(UNIT_OBJS) $(HDRS)
	$(CC) $(CFLAGS) -I. -o $@ $< $(UNIT_OBJS) $(LDLIBS)

# Mixed traffic through pasta and passt for SOAK_TIME seconds (600)
soak: all
	test/soak.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 passt qrap $(DESTDIR)$(BINDIR)
	ln -sf passt $(DESTDIR)$(BINDIR)/pasta
	install -m 644 passt.1 qrap.1 $(DESTDIR)$(MANDIR)/man1
	ln -sf passt.1 $(DESTDIR)$(MANDIR)/man1/pasta.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/passt $(DESTDIR)$(BINDIR)/pasta \
	      $(DESTDIR)$(BINDIR)/qrap $(DESTDIR)$(MANDIR)/man1/passt.1 \
	      $(DESTDIR)$(MANDIR)/man1/pasta.1 $(DESTDIR)$(MANDIR)/man1/qrap.1

clean:
	rm -f passt pasta qrap *.o test/unit/*.o $(UNIT_TESTS) test/fuzz/fuzz_tap \
	      test/bench_seccomp \
	      $(SECCOMP_H) $(SECCOMP_H).tmp

.PHONY: all unit fuzz setup check bench soak install uninstall clean
