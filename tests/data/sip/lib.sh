# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the SIP stack tests that run a tool of tests/tools
# against sipp (tests/integration/sip_*sipp.sh): BUILD, the scenario
# directory SC, the log directory W (BUILD/test-logs/NAME), the list PIDS
# of background processes that one cleanup at exit stops (pass or fail),
# and sip_need, which SKIPs the test without sipp and FAILs it without its
# tool. Set SIP_TEST to the test's name before sourcing it.
BUILD=${BUILD:-build}
SC="$(pwd)/tests/data/sipp"
W="$(pwd)/$BUILD/test-logs/$SIP_TEST"
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=""
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# sip_need TOOL: SKIP the test when sipp is not installed, FAIL it when
# TOOL (a program under BUILD) is not built; then an empty W
sip_need() {
	if ! command -v sipp >/dev/null 2>&1; then
		echo "SKIP $SIP_TEST: sipp not installed"
		exit 0
	fi
	if [ ! -x "$1" ]; then
		echo "FAIL $SIP_TEST: $1 not built"
		exit 1
	fi
	rm -rf "$W"
	mkdir -p "$W"
}
