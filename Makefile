# mxgate - email security gateway appliance.
#
#   make            build mxsh and mxgated into build/
#   make run        install missing Debian packages (as root), build, start
#                   the daemon on ./var and open the shell
#   make test       install test packages, build plain and ASan+UBSan, run
#                   every test; ends with "N passed, N failed"
#   make fuzz       build and run the libFuzzer harnesses (FUZZ_SECONDS each)
#   make bench      side-by-side benchmarks (see tests/bench/)
#   make install    binaries, man pages, the systemd units and setup-ssh.sh
#                   under $(DESTDIR)$(PREFIX)
#   make checksrc   refuse banned C functions

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
SAN ?=
FUZZ_SECONDS ?= 60

PKGS := libedit sqlite3 openssl libcurl libcjson libevent libevent_openssl \
	libevent_pthreads libpcre2-8 libcares libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) -I. $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(wildcard util/*.c store/*.c mail/*.c net/*.c)
CLI_SRC := $(wildcard commands/*.c) $(filter-out shell/main.c,$(wildcard shell/*.c))
DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
HELPER_SRC := $(filter-out tests/helpers/netguard.c,$(wildcard tests/helpers/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(LIB_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPER_BIN := $(patsubst tests/helpers/%.c,$(BUILD)/tests/%,$(HELPER_SRC))
NETGUARD := $(BUILD)/tests/netguard.so

MXSH := $(BUILD)/mxsh
MXGATED := $(BUILD)/mxgated
PROGS := $(MXSH) $(if $(wildcard daemon/main.c),$(MXGATED))

.PHONY: all run test fuzz fuzz-build bench install clean checksrc deps test-deps \
	unit-bins asan

all: $(PROGS) $(UNIT_BIN) $(HELPER_BIN) $(NETGUARD)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libmx.a: $(LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/libcli.a: $(CLI_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(MXSH): $(call obj,shell/main.c) $(BUILD)/libcli.a $(BUILD)/libmx.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(MXGATED): $(call obj,daemon/main.c) $(DAEMON_OBJ) $(BUILD)/libmx.a
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link every layer; each file is its own program.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libcli.a $(DAEMON_OBJ) $(BUILD)/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libcli.a $(DAEMON_OBJ) $(BUILD)/libmx.a $(LDLIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libmx.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libmx.a $(LDLIBS)

# The tests' LD_PRELOAD guard (tests/helpers/netguard.c): never built with
# sanitizers, since it is preloaded into uninstrumented programs too.
$(NETGUARD): tests/helpers/netguard.c
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -std=c11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

asan:
	$(MAKE) BUILD=build/asan SAN=1 all

# ---------------------------------------------------------------- set-up

BUILD_PKGS := gcc make pkg-config libedit-dev libsqlite3-dev libssl-dev \
	libcurl4-openssl-dev libcjson-dev libevent-dev libpcre2-dev libc-ares-dev libsodium-dev \
	iputils-ping traceroute
TEST_PKGS := $(BUILD_PKGS) clang libclang-rt-14-dev sqlite3 tmux openssl postfix swaks libnet-ssleay-perl \
	python3 python3-aiosmtpd python3-jwt python3-cryptography dnsmasq-base procps psmisc \
	openssh-server openssh-client passwd dovecot-imapd etcd-server etcd-client

deps:
	@sh .ci/deps $(BUILD_PKGS)

# the tests start mxgated as root: it runs as the account mxgate
test-deps:
	@sh .ci/deps $(TEST_PKGS)
	@sh daemon/account.sh

DATA ?= ./var

# run: a first start gets a public listener on 127.0.0.1:2525 (for
# @localhost.localdomain; change it with listenerconfig), then mxgated
# starts in the background unless it already runs, then the shell opens.
run: deps
	@$(MAKE) --no-print-directory all
	@[ "$$(id -u)" != 0 ] || sh daemon/account.sh
	@mkdir -p $(DATA) && chmod 700 $(DATA)
	@$(MXSH) -D $(DATA) -c 'listenerconfig print' 2>/dev/null | grep -q 'SMTP TCP Port' || \
		$(MXSH) -D $(DATA) -e -c 'listenerconfig new IncomingMail ip=127.0.0.1 port=2525 type=public domains=@localhost.localdomain' \
			-c 'commit make run: default listener on 127.0.0.1:2525' >/dev/null
	@if $(MXSH) -D $(DATA) -c status 2>/dev/null | grep -q 'not running'; then \
		$(MXGATED) -D $(DATA) && echo "mxgated started on $(DATA) (listener 127.0.0.1:2525)"; \
	else echo "mxgated already running on $(DATA)"; fi
	@$(MXSH) -D $(DATA)

# ---------------------------------------------------------------- tests

# the builds use every processor (CI calls plain "make test")
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: test-deps
	@$(MAKE) --no-print-directory checksrc
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/asan SAN=1 all
	@sh tests/run.sh build build/asan

checksrc:
	@bad=$$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol)[[:space:]]*\(' \
		$$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.c' -o -name '*.h') \
		| grep -v '^tests/unit/unit.h' || true); \
	if [ -n "$$bad" ]; then echo "checksrc: banned functions:"; echo "$$bad"; exit 1; fi; \
	echo "checksrc: ok"

# libFuzzer harnesses: tests/fuzz/fuzz_NAME.c -> build/fuzz/fuzz_NAME. The
# library and CLI sources (not shell/main.c: libFuzzer has main) are built
# once, instrumented, into build/fuzz/libfuzz.a. UBSan does not recover, so
# undefined behaviour is a crash with an artifact like any other.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
FUZZ_LIB_SRC := $(LIB_SRC) $(CLI_SRC)
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -I. $(PKG_CFLAGS) -MMD -MP

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libfuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	@ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libfuzz.a
	@echo "  FUZZLD  $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libfuzz.a $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# run.sh builds the harnesses (fuzz-build) and runs each FUZZ_SECONDS seconds.
fuzz: test-deps
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: test-deps
	@$(MAKE) --no-print-directory all
	@bash tests/bench/run.sh $(BUILD)

# ---------------------------------------------------------------- install

MANPAGES := $(wildcard man/man1/*.1 man/man8/*.8)

# the account mxgated runs as is made on this machine, not in a DESTDIR staging tree;
# SSH access for operators (mxgate-ssh(8)): PREFIX/lib/mxgate/setup-ssh.sh, run by
# hand as root, sets up the private sshd that mxgate-sshd.service starts
install: all
	$(if $(DESTDIR),,sh daemon/account.sh)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(MXSH) $(DESTDIR)$(PREFIX)/bin/mxsh
	$(if $(wildcard $(MXGATED)),install -m 0755 $(MXGATED) $(DESTDIR)$(PREFIX)/sbin/mxgated)
	$(if $(wildcard man/man1/*.1),install -m 0644 man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(wildcard man/man8/*.8),install -m 0644 man/man8/*.8 $(DESTDIR)$(PREFIX)/share/man/man8)
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/mxgated|$(PREFIX)/sbin/mxgated|' daemon/mxgated.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/mxgated.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/mxgated.service
	install -d $(DESTDIR)$(PREFIX)/lib/mxgate
	sed 's|/usr/local/bin/mxsh|$(PREFIX)/bin/mxsh|' daemon/setup-ssh.sh \
		>$(DESTDIR)$(PREFIX)/lib/mxgate/setup-ssh.sh
	chmod 0755 $(DESTDIR)$(PREFIX)/lib/mxgate/setup-ssh.sh
	install -m 0644 daemon/mxgate-sshd.service $(DESTDIR)$(PREFIX)/lib/systemd/system/

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
