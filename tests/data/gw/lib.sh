# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the daemon integration tests (tests/integration/gw_*.sh):
# a scratch directory, PASS/FAIL lines, bounded waits, a block of free
# ports, the control sockets of pstngw and pstnsim, the CDR store, and one
# cleanup at exit that stops every process the test started (pass or fail).
# Source it after setting BUILD; set T_NAME first to name the scratch dir.
BUILD=${BUILD:-build}
GW=$BUILD/pstngw
SIM=$BUILD/pstnsim
T=$(mktemp -d "/tmp/pstngw-${T_NAME:-test}.XXXXXX")
GWPID=""
SIMPID=""
FAILS=0
EXTRA_PIDS=""

gw_cleanup() {
	for p in $GWPID $SIMPID $EXTRA_PIDS; do kill "$p" 2>/dev/null; done
	# a graceful stop first: sanitizer builds report leaks at exit
	i=0
	while [ $i -lt 30 ]; do
		alive=0
		for p in $GWPID $SIMPID; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $GWPID $SIMPID $EXTRA_PIDS; do kill -9 "$p" 2>/dev/null; done
	pkill -f "sipp.*$T" 2>/dev/null
	wait 2>/dev/null
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		if grep -q "ERROR: \(Address\|Leak\|Undefined\|Thread\)Sanitizer\|runtime error:" "$f"; then
			echo "FAIL sanitizer: $(basename "$f"): $(grep -m1 -A3 "Sanitizer\|runtime error:" "$f" | tr '\n' ' ')"
		fi
	done
	rm -rf "$T"
}
trap gw_cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILS=$((FAILS + 1)); }

# need_tools NAME TOOL...: SKIP the whole script when a tool is missing
need_tools() {
	n=$1; shift
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "SKIP $n: $t not installed"
			exit 0
		fi
	done
	if [ ! -x "$GW" ] || [ ! -x "$SIM" ]; then
		echo "SKIP $n: pstngw or pstnsim not built"
		exit 0
	fi
}

# wait_for TENTHS 'shell condition': poll every 0.1 s, at most TENTHS times
wait_for() {
	i=0
	while [ "$i" -lt "$1" ]; do
		eval "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# port_block BASE SPREAD: the first block of 8 ports from BASE + (pid %
# SPREAD) * 8 upward that nobody listens on (UDP or TCP)
port_block_free() {
	for q in 0 1 2 3 4 5 6 7; do
		ss -Hlun "sport = :$(($1 + q))" | grep -q . && return 1
		ss -Hltn "sport = :$(($1 + q))" | grep -q . && return 1
	done
	return 0
}
port_block() {
	pb=$(($1 + ($$ % $2) * 8))
	while ! port_block_free $pb; do pb=$((pb + 8)); done
	echo $pb
}

sim() { "$SIM" -x "$T/sim.ctl" "$@"; }
ctl() { "$BUILD/pstngwctl" -s "$T/gw.ctl" "$@"; }
# field NAME: the word after NAME in a line on stdin
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }
# the call id in pstnsim's "OK <id> ts <ts>" answer, or the first number
sim_id() { awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) {print $i; exit}}'; }
cdr_q() { sqlite3 -separator '|' "$T/cdr.sqlite" "$1" 2>/dev/null; }

# start_sim / start_gw: run on $T/sim.conf and $T/gw.conf
start_sim() {
	"$SIM" -c "$T/sim.conf" >>"$T/sim.log" 2>&1 &
	SIMPID=$!
	wait_for 50 "[ -S $T/sim.ctl ]"
}
start_gw() {
	"$GW" -f -c "$T/gw.conf" >>"$T/gw.log" 2>&1 &
	GWPID=$!
	wait_for 50 "[ -S $T/gw.ctl ]"
}
stop_sim() {
	[ -n "$SIMPID" ] && kill -"${1:-TERM}" "$SIMPID" 2>/dev/null
	wait "$SIMPID" 2>/dev/null
	SIMPID=""
	rm -f "$T/sim.ctl"
}
# link_up N: pstnsim's span 1 D-channel is up with N idle channels
link_up() { sim status | grep -q "link up idle $1 busy 0 restarting 0 down 0"; }
