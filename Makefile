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

# Fuzzing: libFuzzer targets (test/fuzz/fuzz_*.c) under AddressSanitizer and
# UBSan, built with clang; the daemon's objects are built again for them,
# with the fuzzer's coverage instrumentation (test/fuzz/obj/), and once more
# with llvm's source coverage for the report (test/fuzz/cov/)
FUZZ_CC ?= clang
FUZZ_TARGETS := frames stream flow services auto conf ports
FUZZ_BINS := $(FUZZ_TARGETS:%=test/fuzz/fuzz_%)
FUZZ_SRCS := $(filter-out passt.c,$(SRCS)) test/unit/stubs.c \
	     test/fuzz/harness.c
FUZZ_BASE_CFLAGS := -O1 -g -fno-omit-frame-pointer -Wall -Wextra -std=c11 \
		    -D_GNU_SOURCE -DPASST_VERSION='"fuzz"' -I. \
		    $(filter -DHAVE_LIBCAPNG,$(CFLAGS))
FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	       -fno-sanitize=alignment -fno-sanitize-recover=all
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
FUZZ_COV_CFLAGS := $(FUZZ_BASE_CFLAGS) -fprofile-instr-generate \
		   -fcoverage-mapping
FUZZ_OBJS := $(FUZZ_SRCS:%.c=test/fuzz/obj/%.o)
FUZZ_COV_OBJS := $(FUZZ_SRCS:%.c=test/fuzz/cov/%.o)
FUZZ_HDRS := $(HDRS) test/fuzz/harness.h
# The command-line target turns exit() into a return to the harness
FUZZ_LDFLAGS_conf := -Wl,--wrap=exit

test/fuzz/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<
test/fuzz/cov/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -c -o $@ $<

test/fuzz/fuzz_%: test/fuzz/obj/test/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $(FUZZ_LDFLAGS_$*) -o $@ $^ $(LDLIBS)
test/fuzz/cov/fuzz_%: test/fuzz/cov/test/fuzz/fuzz_%.o $(FUZZ_COV_OBJS)
	$(FUZZ_CC) -fsanitize=fuzzer -fprofile-instr-generate \
		$(FUZZ_LDFLAGS_$*) -o $@ $^ $(LDLIBS)

test/fuzz/obj/seccomp.o test/fuzz/cov/seccomp.o: $(SECCOMP_H)

.PRECIOUS: test/fuzz/obj/%.o test/fuzz/cov/%.o

# Each target for FUZZ_SECONDS, from the corpus in the tree; what they
# find goes to test/fuzz/work/ (fuzz-merge folds it into the corpus)
FUZZ_SECONDS ?= 15
fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) test/fuzz/run.sh $(FUZZ_TARGETS)

fuzz-merge: $(FUZZ_BINS)
	test/fuzz/run.sh --merge $(FUZZ_TARGETS)

# Line coverage per file over the corpus (and test/fuzz/work/)
fuzz-coverage: $(FUZZ_TARGETS:%=test/fuzz/cov/fuzz_%)
	test/fuzz/coverage.sh $(FUZZ_TARGETS)

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; ./$$t || rc=1; done; \
	exit $$rc

setup:
	test/setup.sh

check: setup
	$(MAKE) all test/bench_rr
	$(MAKE) unit
	$(MAKE) fuzz
	test/run-integration.sh

# The real clients (podman 5, rootlesskit 2, qemu 10, libvirt 11) from
# Debian trees built once per machine under /var/cache/passt-clients
# (test/clients/lib/setup.sh)
check-clients: setup
	$(MAKE) all
	test/clients/lib/setup.sh
	TEST_DIR=test/clients test/run-integration.sh

# Benchmarks against the kernel's own paths; settings (BENCH_TIME,
# BENCH_PASTA_ARGS, BENCH_OTHER_PASTA, BENCH_JSON, ...) from the environment,
# see test/bench.sh
bench: all test/bench_seccomp test/bench_rr
	test/bench.sh
	test/bench_seccomp

# What the seccomp filter costs per system call, with and without it
test/bench_seccomp: test/bench_seccomp.c $(UNIT_OBJS) $(HDRS)
	$(CC) $(CFLAGS) -I. -o $@ $< $(UNIT_OBJS) $(LDLIBS)

# The request/response and connections/s client and echo server of bench.sh
test/bench_rr: test/bench_rr.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

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
	rm -f passt pasta qrap *.o test/unit/*.o $(UNIT_TESTS) $(FUZZ_BINS) \
	      test/bench_seccomp test/bench_rr \
	      $(SECCOMP_H) $(SECCOMP_H).tmp
	rm -rf test/fuzz/obj test/fuzz/cov test/fuzz/work

.PHONY: all unit fuzz fuzz-merge fuzz-coverage setup check check-clients bench soak install uninstall clean
