#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# pstnsim's default subscribers (tests/pstnsim/README.md) reached from the
# gateway driver over E1/euroisdn (gateway = user side): digital loopback
# is sample-exact, busy gives cause 17, unallocated cause 1, 300x alerts
# and never answers, 600x gives in-band ringback (PI 8) then a 1 kHz tone,
# 700x records DTMF digits, 800x returns echo about 12 dB down, 500x
# receives a two-page T.30 fax sent by the driver. Then loopback and busy
# again over T1/national.
. tests/data/pstnsim/lib.sh
need_bins pri_subscribers

# active_call NUMBER: place a call, wait for answer, print its id
active_call() {
	set -- $(drv_call "$1" 5551000)
	c=$1
	if wait_for 50 "[ \"\$(dstat $c state)\" = active ]"; then
		echo "$c"
	else
		echo "FAILED:$c"
	fi
}

# in_range VALUE LOW HIGH (decimals allowed)
in_range() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN {exit !(v >= lo && v <= hi)}'; }

start_sim e1-euroisdn-net.conf
start_drv e1 cpe euroisdn -o
wait_for 150 "link_ready 30" || fail "e1 link up"

# 100x digital loopback, sample-exact
c=$(active_call 1001)
drv play "$c" pattern >/dev/null
sleep 2
s=$(drv stats "$c")
ok=$(echo "$s" | field ok)
bad=$(echo "$s" | field bad)
if [ "$(echo "$s" | field locked)" = 1 ] && [ "$bad" = 0 ] && [ "${ok:-0}" -ge 8000 ]; then
	pass "1001 loopback sample-exact ($ok samples, delay $(echo "$s" | field delay))"
else
	fail "1001 loopback: $s"
fi
drv hangup "$c" >/dev/null

# 200x busy, 4xxx unallocated
for v in "2001 17" "4123 1" "9999 1"; do
	set -- $v
	set -- $(drv_call "$1" 5551000) "$1" "$2"
	c=$1 num=$3 want=$4
	if wait_for 50 "[ \"\$(dstat $c state)\" = released ]" &&
		[ "$(dstat "$c" cause)" = "$want" ]; then
		pass "$num released with cause $want"
	else
		fail "$num: $(drv stats "$c")"
	fi
done

# 300x alerts, never answers
set -- $(drv_call 3001 5551000)
c=$1
sleep 3
if [ "$(dstat "$c" state)" = alerting ]; then
	pass "3001 alerting, no answer after 3 s"
else
	fail "3001: $(drv stats "$c")"
fi
drv hangup "$c" >/dev/null

# 600x in-band ringback with progress indicator 8 for 2 s, then 1 kHz
set -- $(drv_call 6001 5551000)
c=$1
wait_for 20 "[ \"\$(dstat $c state)\" = alerting ]"
sleep 0.8
s=$(drv stats "$c")
lvl=$(echo "$s" | field rx_dbm0)
if [ "$(echo "$s" | field state)" = alerting ] && [ "$(echo "$s" | field inband)" = 1 ] &&
	in_range "$lvl" -25 -5; then
	pass "6001 alerting with in-band ringback (PI 8, $lvl dBm0)"
else
	fail "6001 ringback: $s"
fi
if wait_for 40 "[ \"\$(dstat $c state)\" = active ]"; then
	sleep 1.5
	lvl=$(dstat "$c" rx_dbm0)
	if in_range "$lvl" -13 -7; then
		pass "6001 answered after ringback, tone at $lvl dBm0"
	else
		fail "6001 tone level $lvl"
	fi
else
	fail "6001 never answered: $(drv stats "$c")"
fi
drv hangup "$c" >/dev/null

# 700x DTMF recorder
c=$(active_call 7001)
drv play "$c" dtmf 159D#0 >/dev/null
sid=$(sim_last_in)
if wait_for 50 "[ \"\$(sim digits $sid | head -1)\" = 'OK 159D#0' ]"; then
	pass "7001 recorded DTMF 159D#0"
else
	fail "7001 digits: $(sim digits "$sid")"
fi
drv hangup "$c" >/dev/null

# 800x echo through the G.168 D.2 hybrid model, ERL about 12 dB
c=$(active_call 8002)
drv play "$c" noise -10 >/dev/null
sleep 2.5
s=$(drv stats "$c")
tx=$(echo "$s" | field tx_dbm0)
rx=$(echo "$s" | field rx_dbm0)
erl=$(awk -v a="$tx" -v b="$rx" 'BEGIN {printf "%.1f", a - b}')
if in_range "$erl" 9 15; then
	pass "8002 echo return loss $erl dB (sent $tx, echo $rx dBm0)"
else
	fail "8002 ERL $erl dB: $s"
fi
drv hangup "$c" >/dev/null

# 500x fax receiver: a two-page T.30 fax from a TIFF
drv mkfax "$DIR/tx.tif" 2 >/dev/null
c=$(active_call 5001)
sid=$(sim_last_in)
drv play "$c" fax "$DIR/tx.tif" >/dev/null
if wait_for 900 "[ \"\$(dstat $c fax_result)\" != -1 ]"; then
	sp=$(sstat "$sid" fax_pages)
	dp=$(dstat "$c" fax_pages)
	if [ "$sp" = 2 ] && [ "$dp" = 2 ] && [ -s "$DIR/fax/rx-$sid.tif" ]; then
		pass "5001 fax: 2 pages sent and received ($DIR/fax/rx-$sid.tif)"
	else
		fail "5001 fax: sent $dp, received $sp, result $(dstat "$c" fax_result)"
	fi
else
	fail "5001 fax did not finish in 90 s: $(drv stats "$c"); $(sim stats "$sid")"
fi
drv hangup "$c" >/dev/null 2>&1
wait_for 50 "link_ready 30" || fail "e1 channels idle after the subscriber calls"
stop_drv
stop_sim

# T1/national, mu-law: loopback and busy
start_sim t1-national-net.conf
start_drv t1 cpe national
wait_for 150 "link_ready 23" || fail "t1 link up"
c=$(active_call 1005)
drv play "$c" pattern >/dev/null
sleep 1.5
s=$(drv stats "$c")
if [ "$(echo "$s" | field locked)" = 1 ] && [ "$(echo "$s" | field bad)" = 0 ]; then
	pass "t1 1005 loopback sample-exact ($(echo "$s" | field ok) samples)"
else
	fail "t1 1005 loopback: $s"
fi
drv hangup "$c" >/dev/null
set -- $(drv_call 2002 5551000)
c=$1
wait_for 50 "[ \"\$(dstat $c state)\" = released ]"
[ "$(dstat "$c" cause)" = 17 ] && pass "t1 2002 busy, cause 17" ||
	fail "t1 2002: $(drv stats "$c")"
finish
