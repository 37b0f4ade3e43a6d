# SPDX-License-Identifier: GPL-2.0-or-later
# Link flags for benchmarks that compare against a peer implementation.
# sofia_parse_bench: sofia-sip's msg/sip parser (libsofia-sip-ua-dev).
SOFIA_CFLAGS := $(shell pkg-config --cflags sofia-sip-ua 2>/dev/null)
SOFIA_LIBS   := $(shell pkg-config --libs sofia-sip-ua 2>/dev/null)
sofia_parse_bench_LDLIBS := $(SOFIA_LIBS)
$(BUILD)/obj/tests/bench/sofia_parse_bench.o: CFLAGS += $(SOFIA_CFLAGS) -Wno-strict-prototypes
