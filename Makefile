# Paddock: one non-recursive Makefile for the whole tree.
#
# Build order: BPF objects (clang -target bpf) -> skeletons (bpftool gen
# skeleton) -> libcommon.a -> the five binaries in bin/.  Every intermediate
# file lives under build/, which is the only directory `make clean` removes
# besides bin/.  Header dependencies come from -MMD -MP.
#
#   make deps     install what is missing from Debian (idempotent)
#   make          build everything into bin/
#   make check    deps + build + every test (root-only tests skip when not root)
#   make bench    benchmarks (root), results in bench/results/
#   make demo     the end-to-end story on this host (root)
#   make install  PREFIX=/usr/local DESTDIR= (binaries, systemd units,
#                 man pages, the example config, the signature catalog)

O       := build
BIN     := bin
CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
PREFIX  ?= /usr/local
ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian packages needed to build, test and run.  jansson: JSON for
# paddockctl and the CycloneDX AI-BOM; libssl-dev: SHA-256 for the audit hash
# chain and model digests; iproute2: network namespaces in tests; python3:
# the Python agent of tests/integration/ai_discovery.sh; curl: the
# downloader that the demo's prompt injection runs.
DEB_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libuv1-dev \
	libmsgpack-dev libhiredis-dev libyaml-dev libcmocka-dev pkg-config \
	redis-server libjansson-dev libssl-dev iproute2 util-linux procps bsdextrautils \
	valgrind python3 curl

PKGS     := libbpf libelf zlib libuv msgpack hiredis yaml-0.1 jansson libcrypto
# Evaluated lazily so that `make deps` can run before pkg-config is asked.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wpointer-arith -Wvla -Wno-unused-parameter
ifneq ($(CI),)
WARN += -Werror
endif

CFLAGS   ?= -O2 -g
XCFLAGS   = -std=gnu11 -D_GNU_SOURCE $(WARN) -MMD -MP -Ilibcommon -I$(O)/bpf \
	-Ibpf $(PKG_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Wno-unused-function -Ibpf -I$(O)/bpf

# ---------------------------------------------------------------- sources
LIBCOMMON_SRC := $(wildcard libcommon/*.c)
LIBCOMMON_OBJ := $(LIBCOMMON_SRC:%.c=$(O)/%.o)
LIBCOMMON     := $(O)/libcommon.a

BPF_SRC  := $(wildcard bpf/*.bpf.c)
BPF_OBJ  := $(BPF_SRC:bpf/%.bpf.c=$(O)/bpf/%.bpf.o)
BPF_SKEL := $(BPF_SRC:bpf/%.bpf.c=$(O)/bpf/%.skel.h)

DAEMONS  := collectd profiled policyd enforced
BINARIES := $(DAEMONS:%=$(BIN)/paddock-%) $(BIN)/paddockctl

# Each program directory builds every .c in it; main.c holds main() so the
# other objects can be linked into unit tests.
prog_objs = $(patsubst %.c,$(O)/%.o,$(wildcard $(1)/*.c))

define PROG
$(BIN)/$(1): $(call prog_objs,$(2)) $(LIBCOMMON) | $(BIN)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $(LIBCOMMON) $$(PKG_LIBS)
endef

all: $(BINARIES)

$(foreach d,$(DAEMONS),$(eval $(call PROG,paddock-$(d),$(d))))
$(eval $(call PROG,paddockctl,paddockctl))

$(LIBCOMMON): $(LIBCOMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Every C object may include a skeleton; the first build needs them first.
$(O)/%.o: %.c | $(BPF_SKEL)
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(O)/bpf/%.skel.h: $(O)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BIN):
	@mkdir -p $@

# ---------------------------------------------------------------- tests
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%)
HELP_SRC  := $(wildcard tests/helpers/*.c)
HELP_BIN  := $(HELP_SRC:tests/helpers/%.c=$(O)/tests/helpers/%)

# Objects from program directories that a unit test links (never main.o).
TEST_OBJS_test_collect = $(filter-out %/main.o,$(call prog_objs,collectd))
TEST_OBJS_test_profile = $(filter-out %/main.o,$(call prog_objs,profiled))
TEST_OBJS_test_policy  = $(filter-out %/main.o,$(call prog_objs,policyd))
TEST_OBJS_test_enforce = $(filter-out %/main.o,$(call prog_objs,enforced))
TEST_OBJS_test_ctl     = $(filter-out %/main.o,$(call prog_objs,paddockctl))

.SECONDEXPANSION:
TEST_UTIL := $(O)/tests/unit/testutil.o

# Unit tests see the daemons' private headers.
$(O)/tests/unit/%.o: XCFLAGS += $(DAEMONS:%=-I%) -Ipaddockctl

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(TEST_UTIL) $$(TEST_OBJS_test_$$*) $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(PKG_LIBS) -lcmocka

$(O)/tests/helpers/%: $(O)/tests/helpers/%.o $(LIBCOMMON)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBCOMMON) $(PKG_LIBS)

# The attack tool: raw syscalls only, no Paddock code (tests/attack/).
ATTACK_BIN := $(O)/tests/attack/attack

$(ATTACK_BIN): tests/attack/attack.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -o $@ $< -lpthread

testbins: $(TEST_BIN) $(HELP_BIN) $(ATTACK_BIN)

check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all testbins
	@tests/run.sh

# ---------------------------------------------------------------- setup
deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: missing Debian packages:$$missing (run as root)" >&2; exit 1; \
		fi; \
		echo "make deps: installing$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	else \
		echo "make deps: all packages present"; \
	fi

# Regenerate the checked-in kernel type header from this host's BTF.
vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h

# Regenerate the checked-in syscall name table (x86_64, like the collector).
SYSHDR ?= /usr/include/x86_64-linux-gnu/asm/unistd_64.h
sysnames:
	{ echo '/* Generated by `make sysnames` from $(SYSHDR); do not edit. */'; \
	  echo '#include <stdio.h>'; echo '#include <stdlib.h>'; \
	  echo '#include <string.h>'; echo; echo '#include "sysnames.h"'; echo; \
	  echo 'static const char *const names[SYSNAMES_MAX] = {'; \
	  awk '$$1 == "#define" && $$2 ~ /^__NR_/ { sub(/^__NR_/, "", $$2); \
	    printf "\t[%d] = \"%s\",\n", $$3, $$2 }' $(SYSHDR); \
	  echo '};'; echo; cat libcommon/sysnames.tail; } > libcommon/sysnames.c

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

# The benchmark's own programs: storm (no Paddock code) and the pipeline
# and propagation drivers (libcommon's publishing path and hiredis).
BENCH_BIN := $(O)/bench/storm $(O)/bench/pipe $(O)/bench/propagate

$(O)/bench/storm: bench/storm.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -o $@ $< -lpthread

$(O)/bench/%: bench/%.c $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(XCFLAGS) $(LDFLAGS) -o $@ $< $(LIBCOMMON) $(PKG_LIBS)

benchbins: $(BENCH_BIN)

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all testbins benchbins
	@bench/run.sh

# ---------------------------------------------------------------- install
BINDIR   = $(PREFIX)/bin
UNITDIR  = $(PREFIX)/lib/systemd/system
MANDIR   = $(PREFIX)/share/man
DATADIR  = $(PREFIX)/share/paddock
CONFDIR ?= /etc/paddock
UNITS    := $(patsubst systemd/%.in,%,$(wildcard systemd/*.service.in))

# systemd units with the binaries' directory filled in (into DIR).
units-into:
	@mkdir -p $(DIR)
	@for u in $(UNITS); do \
		sed 's|@BINDIR@|$(UNIT_BINDIR)|g' systemd/$$u.in > $(DIR)/$$u; \
	done
	@cp systemd/paddock.target $(DIR)/

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(CONFDIR)/signatures.d
	install -m 0755 $(BINARIES) $(DESTDIR)$(BINDIR)/
	$(MAKE) --no-print-directory units-into DIR=$(DESTDIR)$(UNITDIR) \
		UNIT_BINDIR=$(BINDIR)
	install -m 0644 systemd/paddock.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/paddock.conf
	install -m 0644 systemd/paddock.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/paddock.conf
	install -m 0644 docs/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 docs/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 profiled/signatures.yaml $(DESTDIR)$(DATADIR)/signatures.yaml
	@# The example configuration, pointing at this PREFIX's catalog; an
	@# existing configuration is never overwritten.
	@if [ ! -e $(DESTDIR)$(CONFDIR)/paddock.yaml ]; then \
		sed 's|/usr/local/share/paddock/|$(DATADIR)/|' etc/paddock.yaml \
			> $(DESTDIR)$(CONFDIR)/paddock.yaml; \
		echo "installed $(DESTDIR)$(CONFDIR)/paddock.yaml"; \
	else \
		echo "kept $(DESTDIR)$(CONFDIR)/paddock.yaml"; \
	fi

clean:
	rm -rf $(O) $(BIN)

.PHONY: all check deps demo bench benchbins clean testbins vmlinux sysnames install units-into
.DELETE_ON_ERROR:
.SECONDARY:

-include $(shell find $(O) -path $(O)/npm -prune -o -name '*.d' -type f -print 2>/dev/null)
