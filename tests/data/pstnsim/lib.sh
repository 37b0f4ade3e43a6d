# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for the PRI integration tests (tests/integration/pri_*.sh):
# start pstnsim and the pritest driver on a scratch directory, talk to
# their control sockets, wait for conditions with bounded loops, and stop
# every process at exit, pass or fail.
BUILD=${BUILD:-build}
SIM="$BUILD/pstnsim"
DRV="$BUILD/tools/pritest"
DIR=$(mktemp -d /tmp/pritest.XXXXXX)
SIM_PID=""
DRV_PID=""
FAILS=0

cleanup() {
	[ -n "$DRV_PID" ] && kill -TERM "$DRV_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null
	sleep 0.2
	[ -n "$DRV_PID" ] && kill -KILL "$DRV_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill -KILL "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP $*"; }

need_bins() {
	if [ ! -x "$SIM" ] || [ ! -x "$DRV" ]; then
		skip "$1: $SIM or $DRV not built"
		exit 0
	fi
}

sim() { "$SIM" -x "$DIR/pstnsim.ctl" "$@"; }
drv() { "$SIM" -x "$DIR/drv.ctl" "$@"; }

# field NAME: the word after NAME in a stats/call line on stdin
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}'; }

# start_sim CONF (a tests/data/pstnsim/*.conf name)
start_sim() {
	sed "s|@DIR@|$DIR|g" "tests/data/pstnsim/$1" >"$DIR/sim.conf"
	"$SIM" -c "$DIR/sim.conf" >>"$DIR/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for 50 "[ -S $DIR/pstnsim.ctl ]" || { fail "pstnsim did not start"; tail "$DIR/sim.log"; }
}

stop_sim() {
	[ -n "$SIM_PID" ] && kill -"${1:-TERM}" "$SIM_PID" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=""
	rm -f "$DIR/pstnsim.ctl"
}

# start_drv TYPE NODE SWITCH [extra pritest options]
start_drv() {
	t=$1 n=$2 w=$3
	shift 3
	"$DRV" -s "$DIR/span1.sock" -C "$DIR/drv.ctl" -t "$t" -n "$n" -w "$w" "$@" \
		>>"$DIR/drv.log" 2>&1 &
	DRV_PID=$!
	wait_for 50 "[ -S $DIR/drv.ctl ]" || { fail "pritest did not start"; tail "$DIR/drv.log"; }
}

stop_drv() {
	[ -n "$DRV_PID" ] && kill -TERM "$DRV_PID" 2>/dev/null
	wait "$DRV_PID" 2>/dev/null
	DRV_PID=""
	rm -f "$DIR/drv.ctl"
}

# wait_for TENTHS 'shell condition': poll every 0.1 s, at most TENTHS times
wait_for() {
	i=0
	while [ "$i" -lt "$1" ]; do
		if eval "$2" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# both ends have the link up and every B-channel idle
link_ready() {
	nb=$1
	sim status | grep -q "link up idle $nb busy 0 restarting 0 down 0" &&
		drv status | grep -q "link up idle $nb busy 0 restarting 0 down 0"
}

# call state / cause of call ID on the driver or the simulator
dstat() { drv stats "$1" | field "$2"; }
sstat() { sim stats "$1" | field "$2"; }

# id of the simulator's last incoming call
sim_last_in() { sim last in | awk '{print $2}'; }
drv_last_in() { drv last in | awk '{print $2}'; }

# place a call from the driver, print "ID TS"
drv_call() { drv call 1 "$@" | awk '/^OK/ {print $2, $4}'; }

finish() {
	if [ "$FAILS" != 0 ]; then
		echo "--- pstnsim log (tail)"
		tail -n 30 "$DIR/sim.log"
		echo "--- pritest log (tail)"
		tail -n 30 "$DIR/drv.log"
	fi
	exit 0
}
