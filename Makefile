# SPDX-License-Identifier: BSD-2-Clause
# Makefile for inetd (GNU make).
#
#   make            build ./inetd
#   make run        install missing Debian packages (as root), build, and run
#                   the daemon in the foreground on contrib/inetd.conf.demo
#   make check      build everything, also with sanitizers, and run all tests
#   make fuzz       run each fuzzer (FUZZ_TARGETS: the configuration parser,
#                   auth's queries, the tcpmux line reader, PROXY headers,
#                   loading with includes) for FUZZ_SECONDS (300)
#   make install    PREFIX (/usr/local) and DESTDIR as usual; PREFIX=/usr puts
#                   everything where the Debian package does
#   make deb        build/deb/inetd_VERSION_ARCH.deb (dpkg-buildpackage)
#   make check-deb  build the package and check what it holds, and install
#                   it in a private root (as root; Debian's tcpd,
#                   openbsd-inetd and talkd are fetched into build/test-debs)
#
# CFLAGS, CPPFLAGS and LDFLAGS given by the user are added to the flags the
# project needs (C standard, warnings as errors, libbsd's overlay), so
# `make CFLAGS=-O0` or `make CC=clang` keep the build strict.

PROG		= inetd
# The daemon: main, its loop, and everything about its children.
DAEMON_SRCS	= inetd.c flags.c listen.c children.c exitlog.c handback.c \
		  notify.c reload.c sandbox.c spawn.c upgrade.c wrap.c
# The builtins table and its builtins, the loop's wait, and the layers
# below them.
BUILTIN_SRCS	= config.c resolve.c parse.c keyvalues.c listenopts.c \
		  options.c access.c internal.c tcpmux.c auth.c clientio.c \
		  ratelimit.c forward.c fwd.c relay.c assoc.c proxy.c dgram.c \
		  log.c journal.c util.c lookup.c load.c xinetd.c dump.c event.c \
		  stats.c
SRCS		= $(DAEMON_SRCS) $(BUILTIN_SRCS)
# The parser's test and the loading fuzzer give it a builtins table of
# their own; the parser's fuzzer has the real one, to reach the
# builtins' argument parsers.
PARSER_SRCS	= config.c resolve.c parse.c keyvalues.c listenopts.c options.c \
		  access.c load.c xinetd.c dump.c lookup.c util.c \
		  tests/stub_builtins.c
UNIT_SRCS	= tests/test_config.c $(PARSER_SRCS)
BUILTINS_TEST_SRCS = tests/test_builtins.c $(BUILTIN_SRCS)
RATELIMIT_SRCS	= tests/test_ratelimit.c ratelimit.c
ACCESS_SRCS	= tests/test_access.c access.c
RELOAD_SRCS	= tests/test_reload.c reload.c ratelimit.c
OPTIONS_SRCS	= tests/test_options.c options.c access.c util.c
PROBE_SRCS	= tests/probe.c
# Each fuzzer: tests/fuzz/fuzz_NAME.c with the sources FUZZ_NAME_SRCS.
FUZZ_config_SRCS = $(BUILTIN_SRCS)
FUZZ_auth_SRCS	= $(BUILTIN_SRCS)
FUZZ_tcpmux_SRCS = $(BUILTIN_SRCS)
FUZZ_proxy_SRCS	= $(BUILTIN_SRCS)
FUZZ_load_SRCS	= $(PARSER_SRCS)
FUZZ_HDRS	= access.h auth.h builtin.h clientio.h config.h dgram.h \
		  forward.h fwd.h log.h lookup.h load.h options.h proxy.h \
		  ratelimit.h stats.h util.h \
		  tests/stub_builtins.h

CC		?= cc
PKG_CONFIG	?= pkg-config
INSTALL		?= install
CFLAGS		?= -O2 -g
PREFIX		?= /usr/local
SBINDIR		= $(PREFIX)/sbin
MANDIR		= $(PREFIX)/share/man
DATADIR		= $(PREFIX)/share/inetd
# Debian 12 keeps its units in /lib; a local install in /usr/local/lib.
UNITDIR		?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system

OBJDIR		= build/obj
ASANDIR		= build/asan
FUZZDIR		= build/fuzz
SANITIZE	= -fsanitize=address,undefined -fno-omit-frame-pointer \
		  -fno-sanitize-recover=all
# libFuzzer comes with clang only, whatever CC is.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 300
FUZZ_TARGETS	= $(addprefix $(FUZZDIR)/fuzz_,config auth tcpmux proxy load)

# run and check install the packages first, then build in a sub-make, so
# pkg-config is only needed by the goals that compile.
NOBUILD_GOALS	= deps test-debs clean run check fuzz deb check-deb
ifneq ($(filter-out $(NOBUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
LIBBSD_FOUND	:= $(shell $(PKG_CONFIG) --exists libbsd-overlay 2>/dev/null \
		     && echo yes)
ifneq ($(LIBBSD_FOUND),yes)
$(error libbsd-overlay not found by $(PKG_CONFIG): run `make deps` as root, \
	or install pkg-config and libbsd-dev)
endif
BSD_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags libbsd-overlay)
BSD_LIBS	:= $(shell $(PKG_CONFIG) --libs libbsd-overlay)
endif

# pipe2, accept4, environ and dlsym(RTLD_NEXT) need _GNU_SOURCE.  The
# headers of the tree are found by #include "..." only (-iquote): spawn.h
# must not hide the system's <spawn.h>.
ALL_CFLAGS	= -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -iquote . \
		  $(BSD_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# libbsd is linked statically: the daemon takes a few small functions from
# it (strlcpy, strtonum, pidfile, setproctitle), and libbsd.so with the
# libmd.so it needs would add 0.11 MB to the resident memory of every
# process.  libc comes first, so that arc4random is glibc's own and needs
# no libmd.
LIBS		= -lc -Wl,--push-state,-Bstatic $(BSD_LIBS) -Wl,--pop-state

objs = $(addprefix $(1)/,$(2:.c=.o))

.PHONY: all deps test-debs run check check-build fuzz install deb check-deb \
	clean

all: $(PROG)

$(PROG): $(call objs,$(OBJDIR),$(SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_config: $(call objs,$(OBJDIR),$(UNIT_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_builtins: $(call objs,$(OBJDIR),$(BUILTINS_TEST_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_ratelimit: $(call objs,$(OBJDIR),$(RATELIMIT_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_reload: $(call objs,$(OBJDIR),$(RELOAD_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_access: $(call objs,$(OBJDIR),$(ACCESS_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/test_options: $(call objs,$(OBJDIR),$(OPTIONS_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

tests/probe: $(call objs,$(OBJDIR),$(PROBE_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(ASANDIR)/inetd: $(call objs,$(ASANDIR),$(SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

$(ASANDIR)/test_config: $(call objs,$(ASANDIR),$(UNIT_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

$(ASANDIR)/test_builtins: $(call objs,$(ASANDIR),$(BUILTINS_TEST_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

# One clang command: the sources are few, and the objects of the other
# builds carry neither the fuzzer's coverage hooks nor its compiler.
.SECONDEXPANSION:
$(FUZZ_TARGETS): $(FUZZDIR)/fuzz_%: tests/fuzz/fuzz_%.c $$(FUZZ_$$*_SRCS) \
    $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(SANITIZE) $(LDFLAGS) \
	    -o $@ $< $(FUZZ_$*_SRCS) $(LIBS)

$(ASANDIR)/test_ratelimit: $(call objs,$(ASANDIR),$(RATELIMIT_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

$(ASANDIR)/test_reload: $(call objs,$(ASANDIR),$(RELOAD_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

$(ASANDIR)/test_access: $(call objs,$(ASANDIR),$(ACCESS_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

$(ASANDIR)/test_options: $(call objs,$(ASANDIR),$(OPTIONS_SRCS))
	$(CC) $(CFLAGS) $(SANITIZE) $(LDFLAGS) -o $@ $^ $(LIBS)

# -MMD -MP: each object also depends on the headers it includes.
$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(ASANDIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SANITIZE) -MMD -MP -c -o $@ $<

-include $(wildcard $(OBJDIR)/*.d $(OBJDIR)/tests/*.d $(ASANDIR)/*.d \
	$(ASANDIR)/tests/*.d)

# Debian packages needed to build, run and test.  A package counts as
# present when dpkg says "install ok installed"; with all of them present
# nothing else runs.  apt-get update only runs when there are no package
# lists yet, or when the install fails with the lists we have.
DEPS_PKGS	= build-essential make pkg-config libwrap0-dev libbsd-dev \
		  python3 tftpd-hpa tftp-hpa netcat-openbsd mandoc iproute2 \
		  util-linux clang-14 libclang-rt-14-dev valgrind dpkg-dev \
		  update-inetd strace lintian
APT_GET		= DEBIAN_FRONTEND=noninteractive apt-get -q -y \
		  -o Dpkg::Use-Pty=0

deps:
	@command -v dpkg-query >/dev/null 2>&1 || { \
		echo "deps: not a Debian system; make sure these (or their" \
		    "equivalents) are installed: $(DEPS_PKGS)"; exit 0; }; \
	installed=$$(dpkg-query -W -f='$${Package} $${Status}\n' \
	    $(DEPS_PKGS) 2>/dev/null | sed -n 's/ install ok installed$$//p'); \
	missing=; \
	for pkg in $(DEPS_PKGS); do \
		case " "$$(echo $$installed)" " in \
		*" $$pkg "*) ;; \
		*) missing="$$missing $$pkg" ;; \
		esac; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing packages; as root run:"; \
		echo "    apt-get install --no-install-recommends$$missing"; \
		exit 1; \
	fi; \
	echo "deps: installing$$missing"; \
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then \
		$(APT_GET) update || exit 1; \
	fi; \
	$(APT_GET) install --no-install-recommends $$missing || { \
		$(APT_GET) update && \
		$(APT_GET) install --no-install-recommends $$missing; }

# Debian packages that tests/install.sh installs in its private root
# (after ours, as an administrator would): fetched once from the archive
# with apt-get download, never installed on this machine.  Without them
# that test is skipped.
TEST_DEBS	= tcpd openbsd-inetd talkd
TEST_DEBDIR	= build/test-debs

test-debs:
	@command -v apt-get >/dev/null 2>&1 || exit 0; \
	mkdir -p $(TEST_DEBDIR); \
	for pkg in $(TEST_DEBS); do \
		ls $(TEST_DEBDIR)/$${pkg}_*.deb >/dev/null 2>&1 && continue; \
		(cd $(TEST_DEBDIR) && apt-get -qq download $$pkg 2>/dev/null) || \
		    echo "test-debs: $$pkg not fetched (tests/install.sh" \
		    "will be skipped)"; \
	done

RUN_PIDFILE	= $(CURDIR)/build/inetd.pid

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p build
	./$(PROG) -d -p $(RUN_PIDFILE) contrib/inetd.conf.demo

check-build: $(PROG) tests/test_config tests/test_builtins \
	tests/test_ratelimit tests/test_reload tests/test_access \
	tests/test_options tests/probe $(ASANDIR)/inetd $(ASANDIR)/test_config \
	$(ASANDIR)/test_builtins $(ASANDIR)/test_ratelimit \
	$(ASANDIR)/test_reload $(ASANDIR)/test_access $(ASANDIR)/test_options \
	$(FUZZ_TARGETS)

# The last line of the output is the sum over all parts: "N passed, M failed,
# K skipped" (a build that fails counts as one failure).
check: deps test-debs
	@$(MAKE) --no-print-directory check-build || { \
		echo "FAIL build: make check-build failed"; \
		echo "0 passed, 1 failed"; exit 1; }
	@bash tests/check.sh

fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS)
	@status=0; for fuzzer in $(FUZZ_TARGETS); do \
		sh tests/fuzz/run.sh $$fuzzer $(FUZZ_SECONDS) || status=1; \
	done; exit $$status

# make bench: ours against the peers (Debian packages fetched with apt-get
# download into build/bench, never installed) and the floors; prints one
# table and writes bench/RESULTS.md.  Not part of check.  As root: the
# peers run in private mount namespaces.  BENCH_FLAGS=--quick for a
# one-round check of the machinery.  bench/forward.sh then measures the
# forward builtin against rinetd and socat (FWD_ROUNDS=1 for a quick run).
BENCHDIR	= build/bench
BENCH_TOOLS	= $(BENCHDIR)/load $(BENCHDIR)/floor

# Plain C and libc: the load generator and floors need nothing else.
$(BENCHDIR)/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror $(CPPFLAGS) \
	    $(CFLAGS) $(LDFLAGS) -o $@ $<

.PHONY: bench
bench: $(PROG) $(BENCH_TOOLS)
	python3 bench/bench.py --tools $(BENCHDIR) --scratch $(BENCHDIR) \
	    $(BENCH_FLAGS) $(PROG)
	bash bench/forward.sh $(PROG) $(BENCHDIR)

install: $(PROG)
	$(INSTALL) -d '$(DESTDIR)$(SBINDIR)'
	$(INSTALL) -m 0755 $(PROG) '$(DESTDIR)$(SBINDIR)/$(PROG)'
	@set -e; for page in inetd.8 inetd.conf.5; do \
		[ -f $$page ] || continue; \
		dir='$(DESTDIR)$(MANDIR)'/man$${page##*.}; \
		echo "$(INSTALL) -m 0644 $$page $$dir/$$page"; \
		$(INSTALL) -d "$$dir"; \
		$(INSTALL) -m 0644 $$page "$$dir/$$page"; \
	done
	$(INSTALL) -d '$(DESTDIR)$(UNITDIR)' '$(DESTDIR)/etc/init.d' \
	    '$(DESTDIR)/etc/default' '$(DESTDIR)/etc/inetd.d' \
	    '$(DESTDIR)$(DATADIR)'
	sed 's|/usr/sbin/inetd|$(SBINDIR)/inetd|g' contrib/inetd.service \
	    > '$(DESTDIR)$(UNITDIR)/inetd.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/inetd.service'
	sed 's|^DAEMON=.*|DAEMON=$(SBINDIR)/inetd|' contrib/inetd.init \
	    > '$(DESTDIR)/etc/init.d/inetd'
	chmod 0755 '$(DESTDIR)/etc/init.d/inetd'
	$(INSTALL) -m 0644 contrib/inetd.conf '$(DESTDIR)$(DATADIR)/inetd.conf'
	@# The admin's settings and services stay as they are.
	[ -e '$(DESTDIR)/etc/default/inetd' ] || $(INSTALL) -m 0644 \
	    contrib/inetd.default '$(DESTDIR)/etc/default/inetd'
	[ -e '$(DESTDIR)/etc/inetd.conf' ] || [ -n '$(DESTDIR)' ] || \
	    $(INSTALL) -m 0644 contrib/inetd.conf /etc/inetd.conf

# The package is built by dpkg-buildpackage (debian/rules, no debhelper)
# in a copy of the tree, so that the tree and its build/ stay as they are.
DEBDIR		= build/deb

deb:
	rm -rf '$(DEBDIR)'
	mkdir -p '$(DEBDIR)/src'
	tar -c --exclude=./build --exclude=./.git . | tar -x -C '$(DEBDIR)/src'
	cd '$(DEBDIR)/src' && dpkg-buildpackage -b -us -uc
	@ls '$(DEBDIR)'/*.deb

check-deb: deps test-debs
	@bash tests/package.sh

clean:
	rm -rf build $(PROG) tests/test_config tests/test_builtins \
	    tests/test_ratelimit tests/test_reload tests/test_access \
	    tests/test_options \
	    tests/probe tests/__pycache__
