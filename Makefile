# SPDX-License-Identifier: GPL-2.0-or-later
#
# pstngw build. One static library per layer (base, sip, dsp, isup, gw),
# programs linked against them. Sources are discovered by directory, so a
# new module is a new file, not a Makefile edit:
#   base/*.c sip/*.c dsp/*.c isup/*.c gw/*.c   -> build/lib/lib<layer>.a
#   gw/main.c                                  -> build/pstngw
#   gw/pstngwctl.c                             -> build/pstngwctl
#   tests/pstnsim/*.c                          -> build/pstnsim
#   tests/tools/NAME.c                         -> build/tools/NAME
#   tests/unit/test_NAME.c                     -> build/tests/test_NAME
#   tests/bench/NAME.c                         -> build/bench/NAME
#   tests/fuzz/fuzz_NAME.c                     -> build/fuzz/fuzz_NAME (clang, libFuzzer)

CC       ?= gcc
BUILD    ?= build
PREFIX   ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SAN      ?=
V        ?= 0

# Debian packages the project needs: the one list, used by `make deps`
# and .ci/run. See README.md for why each one is here.
DEB_PKGS := $(shell sed -e 's/\#.*//' packages.txt)

PKGS     := libuv inih libcares openssl spandsp libsrtp2 sqlite3 libbcg729
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

HAVE_DAHDI := $(shell test -f /usr/include/dahdi/user.h && echo 1)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -I. -D_GNU_SOURCE -MMD -MP
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -pthread -fno-strict-aliasing $(PKG_CFLAGS)
LDLIBS   := -Wl,--start-group $(PKG_LIBS) -lpri -lss7 -ltiff -lm -Wl,--end-group -pthread

ifeq ($(HAVE_DAHDI),1)
CPPFLAGS += -DHAVE_DAHDI=1
endif

ifneq ($(SAN),)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),0)
Q := @
endif

LAYERS   := base sip dsp isup gw
gw_EXCLUDE := gw/main.c gw/pstngwctl.c
ifneq ($(HAVE_DAHDI),1)
gw_EXCLUDE += gw/tdm_dahdi.c
endif

define layer_srcs
$(filter-out $($(1)_EXCLUDE),$(sort $(wildcard $(1)/*.c)))
endef

$(foreach l,$(LAYERS),$(eval $(l)_SRCS := $(call layer_srcs,$(l))))
$(foreach l,$(LAYERS),$(eval $(l)_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$($(l)_SRCS))))

LIBS     := $(BUILD)/lib/libgw.a $(BUILD)/lib/libisup.a $(BUILD)/lib/libdsp.a \
            $(BUILD)/lib/libsip.a $(BUILD)/lib/libbase.a

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS  := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
BENCH_SRCS := $(sort $(wildcard tests/bench/*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
SIM_SRCS   := $(sort $(wildcard tests/pstnsim/*.c))
SIM_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(SIM_SRCS))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

PROGS := $(BUILD)/pstngw
ifneq ($(wildcard gw/pstngwctl.c),)
PROGS += $(BUILD)/pstngwctl
endif
ifneq ($(SIM_SRCS),)
PROGS += $(BUILD)/pstnsim
endif

# Per-program extra link flags: <NAME>_LDLIBS (e.g. a bench that links a
# peer implementation for comparison). Included fragments may set them.
-include tests/bench/bench.mk

.SECONDARY:

.PHONY: all deps run test test-unit test-asan bench fuzz install clean tools

all: $(PROGS) $(TOOL_BINS)

deps:
	@sh tests/deps.sh $(DEB_PKGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

define layer_lib
$(BUILD)/lib/lib$(1).a: $($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$(Q)ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l))))

$(BUILD)/pstngw: $(BUILD)/obj/gw/main.o $(LIBS)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/pstngwctl: $(BUILD)/obj/gw/pstngwctl.o $(LIBS)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/pstnsim: $(SIM_OBJS) $(LIBS)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SIM_OBJS) $(LIBS) $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS) -lcmocka

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS) $($(notdir $@)_LDLIBS)

# Fuzz harnesses: clang + libFuzzer + ASan/UBSan, compiled straight from
# the layer sources so every parser is instrumented.
FUZZ_CC     ?= clang
FUZZ_BASE   := -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -fno-omit-frame-pointer \
               $(PKG_CFLAGS) $(if $(HAVE_DAHDI),-DHAVE_DAHDI=1)
FUZZ_CFLAGS := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_OBJ_CFLAGS := $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIBSRCS := $(base_SRCS) $(sip_SRCS) $(dsp_SRCS) $(isup_SRCS) $(gw_SRCS)
FUZZ_LIBOBJS := $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(FUZZ_LIBSRCS))

$(BUILD)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_OBJ_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIBOBJS)
	@mkdir -p $(dir $@)
	@[ "$(V)" != 0 ] || echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIBOBJS) $(LDLIBS)

FUZZ_SECONDS ?= 30
fuzz: deps $(FUZZ_BINS)
	@sh tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BINS)

tools: $(TOOL_BINS)

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@sh tests/run.sh $(BUILD)

test-unit: $(UNIT_BINS)
	@TEST_UNIT_ONLY=1 sh tests/run.sh $(BUILD)

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 all $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS) $(TOOL_BINS) $(BENCH_BINS))
	@ASAN_OPTIONS=detect_leaks=1:suppressions=$(CURDIR)/tests/asan.supp \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp sh tests/run.sh build-asan

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@sh tests/bench/run.sh $(BUILD)

run: deps
	@$(MAKE) --no-print-directory all
	@sh tests/run_default.sh $(BUILD)

# The sample configuration is installed as pstngw.conf.sample, and as
# pstngw.conf only when there is none (an operator's file is never replaced).
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/pstngw
	install -m 755 $(BUILD)/pstngw $(DESTDIR)$(PREFIX)/sbin/pstngw
	install -m 755 $(BUILD)/pstngwctl $(DESTDIR)$(PREFIX)/bin/pstngwctl
	install -m 644 etc/pstngw.conf $(DESTDIR)$(SYSCONFDIR)/pstngw/pstngw.conf.sample
	[ -e $(DESTDIR)$(SYSCONFDIR)/pstngw/pstngw.conf ] || \
		install -m 644 etc/pstngw.conf $(DESTDIR)$(SYSCONFDIR)/pstngw/pstngw.conf

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
