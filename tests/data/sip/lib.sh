# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the SIP stack tests that run a tool of tests/tools
# against sipp (tests/integration/sip_*sipp.sh): BUILD, the scenario
# directory SC, the log directory W (BUILD/test-logs/NAME), the list PIDS
# of background processes that one cleanup at exit stops (pass or fail),
# sip_need, which SKIPs the test without sipp and FAILs it without its
# tool, and bounded waits for a tool to listen and to stop. Set SIP_TEST
# to the test's name before sourcing it.
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

# wait_listening LOG PID: bounded wait (5 s) for the tool's "listening on"
# line in LOG; fails at once should PID end
wait_listening() {
	i=0
	while [ $i -lt 50 ]; do
		grep -q "listening on" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_pid PID: SIGTERM, bounded wait (5 s), SIGKILL; returns the exit
# status (137 when it had to be killed)
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while [ $i -lt 50 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}
