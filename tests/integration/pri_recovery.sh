#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PRI recovery against pstnsim (E1/euroisdn, gateway = user side):
#  - D-channel loss: pstnsim is killed during a call; the gateway releases
#    the call with cause 38 and marks its channels down; pstnsim comes back,
#    the link returns, RESTART leaves every channel idle and calls work.
#  - Line loss (pstnsim drops the connection): the same, and the gateway
#    side reconnects by itself.
#  - RESTART of a busy channel from the far end clears the call (cause 41)
#    and the channel carries a new call.
#  - Overlap dialling in both directions (SETUP ACK, INFORMATION digits).
. tests/data/pstnsim/lib.sh
need_bins pri_recovery

start_sim e1-euroisdn-net.conf
start_drv e1 cpe euroisdn -o
wait_for 150 "link_ready 30" || fail "link up"

# -- D-channel loss and return
set -- $(drv_call 1001 5551000)
c=$1
wait_for 50 "[ \"\$(dstat $c state)\" = active ]" || fail "call before loss: $(drv stats "$c")"
stop_sim KILL
if wait_for 50 "[ \"\$(dstat $c state)\" = released ]"; then
	cause=$(dstat "$c" cause)
	if [ "$cause" = 38 ] || [ "$cause" = 27 ]; then
		pass "D-channel loss released the call with cause $cause"
	else
		fail "D-channel loss: cause $cause"
	fi
else
	fail "D-channel loss: call not released: $(drv stats "$c")"
fi
if wait_for 50 "drv status | grep -q 'link down idle 0 busy 0 restarting 0 down 30'"; then
	pass "link down: all 30 channels out of use, none stuck busy"
else
	fail "link down state: $(drv status | head -1)"
fi
set -- $(drv call 1 1001 5551000 2>&1)
case "$*" in
ERR*) pass "no call placed while the link is down" ;;
*) fail "call placed while the link is down: $*" ;;
esac
start_sim e1-euroisdn-net.conf
if wait_for 200 "link_ready 30"; then
	pass "link back after pstnsim restart, 30 channels idle at both ends"
else
	fail "link back: $(drv status | head -1) / $(sim status | head -1)"
fi
set -- $(drv_call 1001 5551000)
c=$1
drv play "$c" pattern >/dev/null
sleep 1
if [ "$(dstat "$c" state)" = active ] && [ "$(dstat "$c" locked)" = 1 ] &&
	[ "$(dstat "$c" bad)" = 0 ]; then
	pass "call after recovery carries exact audio on ts $(dstat "$c" ts)"
else
	fail "call after recovery: $(drv stats "$c")"
fi

# -- line loss without a restart of pstnsim: it drops the connection, the
#    gateway side reconnects by itself
set -- $(drv_call 1003 5551000)
c=$1
wait_for 50 "[ \"\$(dstat $c state)\" = active ]"
sim drop 1 >/dev/null
if wait_for 50 "[ \"\$(dstat $c state)\" = released ]" && [ "$(dstat "$c" cause)" = 38 ]; then
	pass "line drop released the call with cause 38"
else
	fail "line drop: $(drv stats "$c")"
fi
if wait_for 200 "link_ready 30"; then
	pass "link back after the line drop, 30 channels idle at both ends"
else
	fail "after line drop: $(drv status | head -1) / $(sim status | head -1)"
fi
set -- $(drv_call 1001 5551000)
c=$1

# -- RESTART of the busy channel from pstnsim
ts=$(dstat "$c" ts)
sim restart 1 "$ts" >/dev/null
if wait_for 50 "[ \"\$(dstat $c state)\" = released ]" && [ "$(dstat "$c" cause)" = 41 ]; then
	pass "RESTART of ts $ts cleared the call (cause 41)"
else
	fail "RESTART: $(drv stats "$c")"
fi
wait_for 50 "link_ready 30" && pass "ts $ts idle at both ends after RESTART" ||
	fail "after RESTART: $(drv status | head -1) / $(sim status | head -1)"
set -- $(drv call 1 1001 5551000 | awk '/^OK/ {print $2, $4}')
c=$1
if wait_for 50 "[ \"\$(dstat $c state)\" = active ]" && [ "$(dstat "$c" ts)" = "$ts" ]; then
	pass "ts $ts carries a new call after RESTART"
else
	fail "call after RESTART: $(drv stats "$c")"
fi
drv hangup "$c" >/dev/null

# -- RESTART from the gateway side of an idle channel
drv restart 5 >/dev/null
wait_for 50 "link_ready 30" && pass "gateway RESTART of ts 5 acknowledged" ||
	fail "gateway RESTART: $(drv status | head -1)"

# -- overlap dialling, gateway -> PSTN: SETUP with "10", INFORMATION "01"
set -- $(drv call 1 10 5551000 overlap | awk '/^OK/ {print $2, $4}')
c=$1
wait_for 30 "[ \"\$(dstat $c state)\" = overlap ]" || fail "no SETUP ACK: $(drv stats "$c")"
drv info "$c" 01 >/dev/null
if wait_for 50 "[ \"\$(dstat $c state)\" = active ]"; then
	sid=$(sim_last_in)
	[ "$(sim last in | field called)" = 1001 ] &&
		pass "overlap sending: 10 + 01 reached 1001" ||
		fail "overlap sending: $(sim last in)"
else
	fail "overlap sending: $(drv stats "$c")"
fi
drv hangup "$c" >/dev/null
stop_drv
stop_sim

# -- overlap dialling, PSTN -> gateway (gateway is the network side here)
start_sim e1-euroisdn-cpe.conf
start_drv e1 net euroisdn -o -p ring
wait_for 150 "link_ready 30" || fail "link up (gateway net)"
out=$(sim call 1 55 5552000 allowed speech overlap)
sid=$(echo "$out" | awk '/^OK/ {print $2}')
wait_for 30 "[ \"\$(sstat $sid state)\" = overlap ]" || fail "no SETUP ACK from the gateway: $out"
sim info "$sid" 512 >/dev/null
sleep 0.5
did=$(drv_last_in)
drv alert "$did" >/dev/null 2>&1
if [ "$(drv last in | field called)" = 55512 ]; then
	pass "overlap receiving: 55 + 512 collected as 55512"
else
	fail "overlap receiving: $(drv last in)"
fi
drv answer "$did" >/dev/null
wait_for 50 "[ \"\$(sstat $sid state)\" = active ]" && pass "overlap call answered" ||
	fail "overlap call: $(sim stats "$sid")"
sim hangup "$sid" >/dev/null
wait_for 50 "link_ready 30" || fail "channels idle at the end"
finish
