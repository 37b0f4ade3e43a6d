#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Q.931 messages gw/pri puts on the D-channel, checked with an
# independent decoder: the gateway driver captures its D-channel
# (gw_pri_set_capture, pcap) while it calls pstnsim, and tshark decodes the
# capture. SETUP carries the called/calling numbers, presentation, bearer
# (speech, 3.1 kHz, UDI; A-law on E1, mu-law on T1) and the channel the
# call really uses; the busy subscriber's DISCONNECT carries cause 17.
. tests/data/pstnsim/lib.sh
need_bins pri_wire
if ! command -v tshark >/dev/null 2>&1; then
	skip "pri_wire: tshark not installed"
	exit 0
fi

# decode PCAP FIELDS...: one line per Q.931 message, fields separated by |
decode() {
	f=$1
	shift
	args=""
	for x in "$@"; do
		args="$args -e $x"
	done
	tshark -o 'uat:user_dlts:"User 0 (DLT=147)","lapd","0","","0",""' \
		-r "$f" -Y q931 -T fields -E separator='|' $args 2>/dev/null
}

for combo in "e1 euroisdn net 3 speech 0x00" "t1 national net 2 3k1 0x10"; do
	set -- $combo
	t=$1 w=$2 simnode=$3 law=$4 bearer=$5 itc=$6
	cap="$DIR/$t.pcap"
	start_sim "$t-$w-$simnode.conf"
	start_drv "$t" cpe "$w" -P "$cap"
	nb=30
	[ "$t" = t1 ] && nb=23
	wait_for 150 "link_ready $nb" || fail "$t link up"

	set -- $(drv call 1 1001 5551234 restricted "$bearer" | awk '/^OK/ {print $2, $4}')
	c1=$1 ts1=$2
	wait_for 50 "[ \"\$(dstat $c1 state)\" = active ]" || fail "$t call 1001: $(drv stats "$c1")"
	drv hangup "$c1" >/dev/null
	wait_for 50 "[ \"\$(dstat $c1 state)\" = released ]"
	set -- $(drv call 1 2001 5550000 allowed udi | awk '/^OK/ {print $2, $4}')
	c2=$1
	wait_for 50 "[ \"\$(dstat $c2 state)\" = released ]"
	stop_drv

	setup=$(decode "$cap" q931.message_type q931.called_party_number.digits \
		q931.calling_party_number.digits q931.presentation_ind \
		q931.information_transfer_capability q931.uil1 q931.channel.number |
		grep '^0x05|1001|')
	# 0x05 SETUP | called | calling | presentation 1 (restricted) |
	# ITC | user layer 1 (0x03 A-law, 0x02 mu-law) | channel
	want="0x05|1001|5551234|0x01|$itc|0x0$law|$ts1"
	if [ "$setup" = "$want" ]; then
		pass "$t SETUP decoded by tshark: $setup"
	else
		fail "$t SETUP: got '$setup', wanted '$want'"
	fi
	udi=$(decode "$cap" q931.message_type q931.called_party_number.digits \
		q931.information_transfer_capability | grep '^0x05|2001|')
	[ "$udi" = "0x05|2001|0x08" ] && pass "$t UDI bearer in SETUP ($udi)" ||
		fail "$t UDI SETUP: '$udi'"
	busy=$(decode "$cap" q931.message_type q931.cause_value | grep '^0x45|17$' | head -1)
	[ -n "$busy" ] && pass "$t DISCONNECT with cause 17 from the busy line" ||
		fail "$t no DISCONNECT cause 17: $(decode "$cap" q931.message_type q931.cause_value | tr '\n' ' ')"
	n=$(decode "$cap" q931.message_type | grep -c '^0x46$')
	[ "$n" -ge "$nb" ] && pass "$t RESTART of all $nb channels at link up ($n RESTART messages seen, both ways)" ||
		fail "$t RESTART messages: $n"
	stop_sim
done
finish
