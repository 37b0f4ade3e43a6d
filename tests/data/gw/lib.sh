# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the daemon integration tests (tests/integration/gw_*.sh)
# and tests/bench/bench_calls.sh: a scratch directory, PASS/FAIL lines,
# bounded waits, a block of free ports, the control sockets of pstngw and
# pstnsim, the CDR store, and one cleanup at exit that stops every process
# the test started (pass or fail) and fails on sanitizer reports in the
# logs. Source it after setting BUILD; set T_NAME first to name the scratch
# dir, T_DIR to use (and empty) a fixed directory instead, which is kept,
# T_KEEP to keep the scratch dir.
BUILD=${BUILD:-build}
GW=$BUILD/pstngw
SIM=$BUILD/pstnsim
CTL=$BUILD/pstngwctl
if [ -n "$T_DIR" ]; then
	T=$T_DIR
	rm -rf "$T"
	mkdir -p "$T"
else
	T=$(mktemp -d "/tmp/pstngw-${T_NAME:-test}.XXXXXX")
fi
GWPID=""
SIMPID=""
FAILS=0
# EXTRA_PIDS: other processes to stop at exit (bg_add)
EXTRA_PIDS=""

gw_cleanup() {
	# children first (a shell or timeout the test started, and theirs)
	for p in $EXTRA_PIDS; do pkill -P "$p" 2>/dev/null; done
	# a stopped process (SIGSTOP) ends once continued
	for p in $GWPID $SIMPID $EXTRA_PIDS; do kill "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
	# a graceful stop first: sanitizer builds report leaks at exit
	i=0
	while [ $i -lt 30 ]; do
		alive=0
		for p in $GWPID $SIMPID $EXTRA_PIDS; do kill -0 "$p" 2>/dev/null && alive=1; done
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
	if [ -n "$T_DIR" ]; then
		:
	elif [ -n "$T_KEEP" ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap gw_cleanup EXIT
trap 'exit 1' HUP INT PIPE TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP $1: $2"; }

# need_tools NAME TOOL...: SKIP the whole script when a tool is missing
# (a TOOL with a slash: a file that must be executable, e.g. a program
# under BUILD) or pstngw, pstngwctl or pstnsim is not built
need_tools() {
	n=$1; shift
	for t in "$@"; do
		case $t in
		*/*) [ -x "$t" ] && continue; echo "SKIP $n: $t not built" ;;
		*) command -v "$t" >/dev/null 2>&1 && continue; echo "SKIP $n: $t not installed" ;;
		esac
		exit 0
	done
	if [ ! -x "$GW" ] || [ ! -x "$SIM" ] || [ ! -x "$CTL" ]; then
		echo "SKIP $n: pstngw, pstngwctl or pstnsim not built"
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

# bg_add PID: a background process for the cleanup at exit to stop
bg_add() { EXTRA_PIDS="$EXTRA_PIDS $1"; }
# wait_pid TENTHS PID: wait (at most TENTHS) for a background process to
# end, else SIGTERM (and SIGCONT) it and SIGKILL it 3 s later; its exit
# status (1 if it had to be stopped). It leaves EXTRA_PIDS.
wait_pid() {
	if wait_for "$1" "! kill -0 $2"; then
		wait "$2"
		_r=$?
	else
		kill "$2" 2>/dev/null
		kill -CONT "$2" 2>/dev/null
		wait_for 30 "! kill -0 $2" || kill -9 "$2" 2>/dev/null
		wait "$2"
		_r=1
	fi
	EXTRA_PIDS=$(for p in $EXTRA_PIDS; do [ "$p" = "$2" ] || echo "$p"; done)
	return $_r
}

# port_block BASE SPREAD [SIZE]: the first block of SIZE (default 8) ports
# from BASE + (pid % SPREAD) * SIZE upward (wrapping to BASE, at most
# SPREAD blocks tried) that nobody listens on (UDP or TCP)
port_block_free() {
	ss -Hlntu 2>/dev/null | awk -v lo="$1" -v hi="$(($1 + $2 - 1))" '
		{ n = split($5, a, ":"); p = a[n] + 0; if (p >= lo && p <= hi) busy = 1 }
		END { exit busy }'
}
port_block() {
	pz=${3:-8}
	pk=0
	pb=$(($1 + ($$ % $2) * pz))
	while [ $pk -lt "$2" ] && ! port_block_free $pb "$pz"; do
		pb=$(($1 + (($$ + pk + 1) % $2) * pz))
		pk=$((pk + 1))
	done
	echo $pb
}

sim() { "$SIM" -x "$T/sim.ctl" "$@"; }
ctl() { "$CTL" -s "$T/gw.ctl" "$@"; }
# field NAME: the word after NAME in a line on stdin
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }
# kv NAME: the VALUE of the first NAME=VALUE word in a line on stdin
kv() { awk -v k="$1" '{for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {print substr($i, length(k) + 2); exit}}'; }
# the call id in pstnsim's "OK <id> ts <ts>" answer, or the first number
sim_id() { awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) {print $i; exit}}'; }
cdr_q() { sqlite3 -separator '|' "$T/cdr.sqlite" "$1" 2>/dev/null; }

# e1_sim_conf N: $T/sim.conf, pstnsim with N virtual E1 spans (euroisdn,
# network side) whose sockets are $T/span1.sock ... $T/spanN.sock
e1_sim_conf() {
	{
		printf '[general]\nsocket = %s/sim.ctl\nfax_dir = %s/fax\nlog_level = warning\n' "$T" "$T"
		i=1
		while [ $i -le "$1" ]; do
			printf '[span %d]\ntype = e1\npath = %s/span%d.sock\nswitchtype = euroisdn\nnode = net\n' \
				$i "$T" $i
			i=$((i + 1))
		done
	} >"$T/sim.conf"
}
# e1_gw_spans N HUNT: on stdout, pstngw's side of e1_sim_conf (user side):
# N [span] sections, [group e1] of them all hunting HUNT, and a route of
# every number to it
e1_gw_spans() {
	members=""
	i=1
	while [ $i -le "$1" ]; do
		printf '[span %d]\ntype = e1\nbackend = virtual\nsocket = %s/span%d.sock\nsignalling = pri_cpe\nswitchtype = euroisdn\n' \
			$i "$T" $i
		members="$members${members:+, }span:$i"
		i=$((i + 1))
	done
	printf '[group e1]\nmembers = %s\nhunt = %s\n' "$members" "$2"
	printf '[route to-pstn]\ndirection = sip2pstn\ncalled = ^[0-9]+$\ntarget = group:e1\n'
}

# start_sim / start_gw [CONF [LOG]]: run on CONF (default $T/sim.conf,
# $T/gw.conf), logging to LOG (default $T/sim.log, $T/gw.log); wait (at
# most 5 s) for the control socket $T/sim.ctl, $T/gw.ctl
start_sim() {
	"$SIM" -c "${1:-$T/sim.conf}" >>"${2:-$T/sim.log}" 2>&1 &
	SIMPID=$!
	wait_for 50 "[ -S $T/sim.ctl ]"
}
start_gw() {
	"$GW" -f -c "${1:-$T/gw.conf}" >>"${2:-$T/gw.log}" 2>&1 &
	GWPID=$!
	wait_for 50 "[ -S $T/gw.ctl ]"
}
# stop_pid PID [SIG]: end a background process with SIG (default TERM;
# continued should it be stopped), SIGKILL after 5 s; its exit status
stop_pid() {
	[ -n "$1" ] || return 0
	kill -"${2:-TERM}" "$1" 2>/dev/null
	kill -CONT "$1" 2>/dev/null
	wait_pid 50 "$1"
}
# stop_sim / stop_gw [SIG]: stop_pid pstnsim / pstngw
stop_sim() { stop_pid "$SIMPID" "$1"; SIMPID=""; rm -f "$T/sim.ctl"; }
stop_gw() { stop_pid "$GWPID" "$1"; GWPID=""; rm -f "$T/gw.ctl"; }
# link_up N: pstnsim's span 1 D-channel is up with N idle channels
link_up() { sim status | grep -q "link up idle $1 busy 0 restarting 0 down 0"; }
