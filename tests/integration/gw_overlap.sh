#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PSTN -> SIP overlap receiving (Q.931 §5.2.4) through the pstngw daemon:
# pstnsim (libpri NET) places calls whose SETUP is incomplete and sends
# the rest of the called number in INFORMATION messages; pstngw collects
# digits until its inter-digit timer expires (or '#', or the maximum
# length), then routes and sends the INVITE to the trunk (sipp). Too few
# digits when the timer expires clear the call with cause 28.
T_NAME=overlap
. tests/data/gw/lib.sh
need_tools gw_overlap sipp sqlite3
GWPORT=$(port_block 28000 400)
UASPORT=$((GWPORT + 1))
RTPBASE=$((31000 + ($$ % 400) * 20))
cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
[span 1]
type = e1
path = $T/span1.sock
switchtype = euroisdn
node = net
overlapdial = yes
EOC
cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = debug
[sip]
listen = udp:127.0.0.1:$GWPORT
[media]
rtp_port_min = $RTPBASE
rtp_port_max = $((RTPBASE + 19))
[calls]
overlap_timeout = 1s
overlap_min_digits = 4
overlap_max_digits = 10
[cdr]
path = $T/cdr.sqlite
[trunk sipp]
address = 127.0.0.1:$UASPORT
acl = 127.0.0.1
keepalive = 0
[span 1]
socket = $T/span1.sock
signalling = pri_cpe
overlapdial = yes
[group e1]
members = span:1
[route to-sip]
direction = pstn2sip
called = *
target = trunk:sipp
EOC
start_sim
start_gw
wait_for 150 "link_up 30" || { fail link_up "$(sim status)"; exit 0; }
sleep 1
uas() { # NAME: one INVITE answered 486 by sipp
	timeout 30 sipp -sf tests/data/sipp/gw_uas_busy.xml -i 127.0.0.1 -p $UASPORT -m 1 \
		-timeout 20s -trace_msg -message_file "$T/$1.msg" 127.0.0.1:$GWPORT >"$T/$1.out" 2>&1 &
	UP=$!
	sleep 0.5
}

# 1. digits in SETUP and two INFORMATION messages; the timer ends collection
uas timer
id=$(sim call 1 55 4930111222 allowed speech overlap | sim_id)
sleep 0.3; sim info "$id" 510 >/dev/null
sleep 0.3; sim info "$id" 00 >/dev/null
wait $UP
if grep -q '^INVITE sip:5551000@' "$T/timer.msg"; then pass overlap_timer_invite; else
	fail overlap_timer_invite "$(grep '^INVITE' "$T/timer.msg") $(grep overlap "$T/gw.log" | tail -3)"; fi
wait_for 30 "sim stats $id | grep -q 'state released'"
sim stats "$id" | grep -q "cause 17" && pass overlap_timer_busy_17 || fail overlap_timer_busy_17 "$(sim stats "$id")"

# 2. '#' completes at once (no 1 s wait needed, but the INVITE has no '#')
uas hash
id=$(sim call 1 555 4930111222 allowed speech overlap | sim_id)
sleep 0.2; sim info "$id" "1001#" >/dev/null
wait $UP
if grep -q '^INVITE sip:5551001@' "$T/hash.msg"; then pass overlap_hash_complete; else
	fail overlap_hash_complete "$(grep '^INVITE' "$T/hash.msg")"; fi

# 3. maximum length completes at once
uas max
id=$(sim call 1 49301234 4930111222 allowed speech overlap | sim_id)
sleep 0.2; sim info "$id" 56 >/dev/null
wait $UP
if grep -q '^INVITE sip:4930123456@' "$T/max.msg"; then pass overlap_max_digits; else
	fail overlap_max_digits "$(grep '^INVITE' "$T/max.msg")"; fi

# 4. too few digits when the timer expires: cause 28, no INVITE, a CDR
id=$(sim call 1 12 4930111222 allowed speech overlap | sim_id)
wait_for 40 "sim stats $id | grep -q 'state released'"
sim stats "$id" | grep -q "cause 28" && pass overlap_incomplete_28 || fail overlap_incomplete_28 "$(sim stats "$id")"
wait_for 30 "[ -n \"\$(cdr_q \"SELECT id FROM cdr WHERE called_in = '12' AND q850_cause = 28\")\" ]" \
	&& pass overlap_incomplete_cdr || fail overlap_incomplete_cdr "$(cdr_q 'SELECT * FROM cdr')"

# 5. the caller hangs up while digits are collected: nothing stuck
id=$(sim call 1 55 4930111222 allowed speech overlap | sim_id)
sleep 0.2; sim hangup "$id" 16 >/dev/null
wait_for 30 "sim stats $id | grep -q 'state released'"
sleep 1.5
if ctl calls | grep -q '^calls active 0 '; then pass overlap_abandoned_clean; else
	fail overlap_abandoned_clean "$(ctl calls)"; fi
sim status | grep -q 'idle 30 busy 0' && pass overlap_channels_idle || fail overlap_channels_idle "$(sim status)"
exit 0
