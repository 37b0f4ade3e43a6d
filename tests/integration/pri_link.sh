#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# PRI link and channel selection against pstnsim: for E1/euroisdn and
# T1/national, with the gateway driver (gw/span + gw/tdm_virt + gw/pri) as
# user side and as network side: the D-channel comes up, RESTART leaves
# every B-channel idle at both ends, and calls in both directions land on
# the same B-channel at both ends (asked channel and chosen channel);
# a call from pstnsim brings its calling number, presentation and bearer
# and carries exact audio and DTMF.
. tests/data/pstnsim/lib.sh
need_bins pri_link

for combo in "e1 euroisdn cpe net 30" "e1 euroisdn net cpe 30" \
	"t1 national cpe net 23" "t1 national net cpe 23"; do
	set -- $combo
	t=$1 w=$2 gwnode=$3 simnode=$4 nb=$5
	name="$t-$w-gw$gwnode"
	start_sim "$t-$w-$simnode.conf"
	start_drv "$t" "$gwnode" "$w"
	if wait_for 150 "link_ready $nb"; then
		pass "$name link up, $nb B-channels idle at both ends"
	else
		fail "$name link up"
		sim status; drv status
	fi

	# gateway -> PSTN, channel left to the module
	set -- $(drv_call 1001 5551000)
	id=$1 ts=$2
	if wait_for 50 "[ \"\$(dstat $id state)\" = active ]"; then
		sid=$(sim_last_in)
		sts=$(sstat "$sid" ts)
		if [ -n "$ts" ] && [ "$sts" = "$ts" ]; then
			pass "$name outgoing call on ts $ts at both ends"
		else
			fail "$name outgoing call: gateway ts $ts, pstnsim ts $sts"
		fi
		drv hangup "$id" >/dev/null
		wait_for 50 "[ \"\$(sstat $sid state)\" = released ]" ||
			fail "$name release of outgoing call"
	else
		fail "$name outgoing call not answered: $(drv stats "$id")"
	fi

	# PSTN -> gateway: the driver answers and loops audio back
	out=$(sim call 1 3001 5552000 allowed)
	sid=$(echo "$out" | awk '/^OK/ {print $2}')
	sts=$(echo "$out" | awk '/^OK/ {print $4}')
	if wait_for 50 "[ \"\$(sstat $sid state)\" = active ]"; then
		did=$(drv_last_in)
		dts=$(dstat "$did" ts)
		dcalled=$(drv stats "$did" >/dev/null; drv last in | field called)
		if [ "$dts" = "$sts" ] && [ "$dcalled" = 3001 ]; then
			pass "$name incoming call to 3001 on ts $sts at both ends"
		else
			fail "$name incoming call: pstnsim ts $sts, gateway ts $dts called $dcalled"
		fi
		sim hangup "$sid" 16 >/dev/null
		wait_for 50 "[ \"\$(dstat $did state)\" = released ]" &&
			[ "$(dstat "$did" cause)" = 16 ] ||
			fail "$name release of incoming call: $(drv stats "$did")"
	else
		fail "$name incoming call not answered: $out"
	fi

	# media from pstnsim on its own call: exact pattern through the
	# gateway's loopback, then DTMF recorded by the gateway side
	if [ "$t" = e1 ] && [ "$gwnode" = cpe ]; then
		out=$(sim call 1 3002 5552000 restricted 3k1)
		sid=$(echo "$out" | awk '/^OK/ {print $2}')
		wait_for 50 "[ \"\$(sstat $sid state)\" = active ]"
		did=$(drv_last_in)
		l=$(drv last in)
		if [ "$(echo "$l" | field calling)" = 5552000 ] &&
			[ "$(echo "$l" | field pres)" = restricted ] &&
			[ "$(echo "$l" | field bearer)" = 3k1 ]; then
			pass "$name calling number, presentation and bearer from pstnsim"
		else
			fail "$name incoming SETUP contents: $l"
		fi
		sim play "$sid" pattern >/dev/null
		sleep 1
		s=$(sim stats "$sid")
		if [ "$(echo "$s" | field locked)" = 1 ] && [ "$(echo "$s" | field bad)" = 0 ]; then
			pass "$name pstnsim-originated call carries exact audio both ways"
		else
			fail "$name pstnsim pattern: $s"
		fi
		drv play "$did" dtmfrx >/dev/null
		sim play "$sid" dtmf 4711 >/dev/null
		if wait_for 50 "[ \"\$(drv digits $did | head -1)\" = 'OK 4711' ]"; then
			pass "$name DTMF from pstnsim received by the gateway side"
		else
			fail "$name DTMF: $(drv digits "$did")"
		fi
		sim hangup "$sid" >/dev/null
		wait_for 50 "[ \"\$(dstat $did state)\" = released ]"
	fi

	# an exclusive channel asked by the network side is the one used
	if [ "$gwnode" = net ]; then
		set -- $(drv call 1 1002 5551000 | awk '/^OK/ {print $2, $4}')
		id=$1 ts=$2
		wait_for 50 "[ \"\$(dstat $id state)\" = active ]"
		sid=$(sim_last_in)
		[ "$(sstat "$sid" ts)" = "$ts" ] &&
			pass "$name network-chosen channel $ts honoured" ||
			fail "$name network-chosen channel: $(sim stats "$sid")"
		drv hangup "$id" >/dev/null
	fi
	wait_for 50 "link_ready $nb" || fail "$name channels idle after calls"
	stop_drv
	stop_sim
done
finish
