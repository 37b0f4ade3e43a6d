#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Audio through the pstngw daemon, end to end: a real SIP peer (sipp for
# the signalling with tests/tools/rtpcall owning the RTP port, or baresip
# for SDES-SRTP) calls through pstngw over a virtual E1 to pstnsim
# subscribers, and what comes back is measured:
#   1. G.711 transparency with the echo canceller off: a pseudo-random
#      sequence holding every byte value comes back from the 100x digital
#      loopback byte for byte (PCMA), or as the mu-law -> A-law -> mu-law
#      round trip predicts (PCMU, spandsp's G.711).
#   2. echo cancellation: speech-shaped noise at -20 dBm0 to the 800x
#      G.168 Annex D hybrids: return loss with the canceller on, per
#      model, and with it off (the hybrid's ERL) as the baseline.
#   3. DTMF: RFC 4733 events to the 700x receiver (pstnsim must hear
#      exactly those digits), and pstnsim's in-band digits to the SIP
#      side as RFC 4733 events with end packets and no in-band copy
#      (decoded by rtpcall and by tshark).
#   5. a re-INVITE from PCMA to PCMU mid-call (gateway A):
#      a 1 kHz tone through the 100x loopback keeps its level across the
#      change, both payload types come back, the call keeps its RTP port
#      and the channel is changed in place (no rebuild).
#   4. SDES-SRTP (RFC 4568): baresip with srtp-mand to a gateway with
#      srtp = mandatory; audio both ways; a plain RTP offer gets 488.
#      baresip offers a=rtcp-mux (RFC 5761): SRTCP both ways on the RTP
#      port (the gateway counts baresip's reports, baresip ours).
# Three gateways run at once on one pstnsim (one span each): A with the
# canceller off, B with it on, C with SRTP mandatory.
T_NAME=media
T_KEEP=$GW_MEDIA_KEEP
. tests/data/gw/lib.sh
RTPCALL=$BUILD/tools/rtpcall
# GW_MEDIA_CASES: which parts run (default all: transp echo dtmf recodec srtp)
want() { case " ${GW_MEDIA_CASES:-transp echo dtmf recodec srtp} " in *" $1 "*) return 0;; esac; return 1; }
need_tools gw_media_calls sipp sqlite3 "$RTPCALL"

# 100 ports per run, from the shell's pid, that nobody listens on
B=$(port_block 40000 200 100)
SIPA=$B; SIPB=$((B + 1)); SIPC=$((B + 2))
UAC=$((B + 3))
BSSIP=$((B + 8))
RTPP=$((B + 10))           # rtpcall: RTP and RTP + 1
BSRTP=$((B + 20))          # baresip: B+20..B+29

cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
echo_erl = 12
echo_delay_ms = 4
EOC
for s in 1 2 3; do
	cat >>"$T/sim.conf" <<EOC
[span $s]
type = e1
path = $T/span$s.sock
switchtype = euroisdn
node = net
EOC
done

# gwconf NAME SIPPORT SPAN RTPBASE MEDIA-LINES
gwconf() {
	cat >"$T/gw$1.conf" <<EOC
[general]
control_socket = $T/gw$1.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:$2
[media]
rtp_address = 127.0.0.1
rtp_port_min = $4
rtp_port_max = $(($4 + 19))
media_timeout = 0
$5
[calls]
accept = trunks
noanswer_timeout = 20s
[cdr]
path = $T/cdr$1.sqlite
[trunk peers]
address = 127.0.0.1:$((B + 99))
acl = 127.0.0.1
keepalive = 0
[span 1]
socket = $T/span$3.sock
signalling = pri_cpe
[group e1]
members = span:1
[route to-pstn]
direction = sip2pstn
called = ^[0-9]+\$
target = group:e1
EOC
}
# A carries the transparency calls as a data trunk would: no canceller,
# a fixed playout delay (an adaptive one may slip samples on a loaded
# machine, and a slip is a changed byte)
gwconf A $SIPA 1 $((B + 40)) "echo_cancel = no
faxdet = no
dtmf = rfc4733
codecs = pcma, pcmu
jitter = fixed
jitter_fixed_ms = 80"
gwconf B $SIPB 2 $((B + 60)) "echo_cancel = yes
faxdet = no
dtmf = rfc4733"
# C: the 100x loopback returns the caller's own audio ~20 ms later, which
# a canceller rightly takes for echo and removes: off, to hear it back
gwconf C $SIPC 3 $((B + 80)) "echo_cancel = no
srtp = mandatory"

start_sim
DAEMONS=$SIMPID
for g in A B C; do
	"$GW" -f -c "$T/gw$g.conf" >"$T/gw$g.log" 2>&1 &
	bg_add $!
	DAEMONS="$DAEMONS $!"
done

# gctl G ARGS: pstngwctl of gateway G (A, B or C)
gctl() { g=$1; shift; "$CTL" -s "$T/gw$g.ctl" "$@"; }
# all three links up and their start-up RESTARTs done
if ! wait_for 200 "[ \$(sim status | grep -c 'link up idle 30 busy 0 restarting 0 down 0') = 3 ]"; then
	fail links_up "$(sim status | tr '\n' ' ')"
	tail -5 "$T"/gw*.log
	exit 1
fi
sleep 1

# the newest pstnsim call from the gateways: its id
last_id() { sim last in | sim_id; }

# media_call NAME GWPORT SERVICE CODEC HOLD_MS RTPCALL-ARGS...: one call,
# sipp signalling, rtpcall media on RTPP; rtpcall's result line is in
# $T/NAME.rtp; returns sipp's exit status (rtpcall's in $T/NAME.rc)
media_call() {
	n=$1; gp=$2; svc=$3; codec=$4; hold=$5; shift 5
	if [ "$codec" = pcmu ]; then pt=0; name=PCMU; else pt=8; name=PCMA; fi
	timeout 40 "$RTPCALL" -l $RTPP -c "$codec" -w 8000 "$@" >"$T/$n.rtp" 2>"$T/$n.rtperr" &
	rp=$!
	bg_add $rp
	timeout 40 sipp -sf "tests/data/sipp/${MEDIA_SCEN:-media_call_uac}.xml" \
		-s "$svc" -i 127.0.0.1 -p $UAC \
		-m 1 -l 1 -d "$hold" -timeout 30s -timeout_error \
		-key rtp_port $RTPP -key codec_pt $pt -key codec_name $name $MEDIA_KEYS \
		-trace_msg -message_file "$T/$n.msg" -trace_err -error_file "$T/$n.err" \
		127.0.0.1:$gp >"$T/$n.out" 2>&1 &
	sp=$!
	bg_add $sp
	[ -n "$MEDIA_HOOK" ] && eval "$MEDIA_HOOK"
	wait_pid 450 $rp
	echo $? >"$T/$n.rc"
	wait_pid 450 $sp
}
sipp_why() { tail -3 "$T/$1.out" "$T/$1.err" 2>/dev/null | tr '\n' ' '; }

# ---- 1. transparency (gateway A: canceller and fax detection off) ----
for codec in $(want transp && echo pcma pcmu); do
	n=transp_$codec
	if ! media_call $n $SIPA 1001 $codec 9500 -u 1000 -t 6 pattern; then
		fail ${n}_call "$(sipp_why $n)"
		continue
	fi
	line=$(cat "$T/$n.rtp")
	echo "# $n: $line"
	ch=$(echo "$line" | kv changed); eq=$(echo "$line" | kv equal)
	run=$(echo "$line" | kv longest_exact); vals=$(echo "$line" | kv values)
	mis=$(echo "$line" | kv missing); fb=$(echo "$line" | kv first_bad)
	# 6 s sent: every byte back (>= 5 s of them in one unbroken run), no
	# byte changed, every value seen (PCMA: 256; PCMU: what mu->A->mu keeps)
	slips=$(echo "$line" | kv slips)
	if [ "$(echo "$line" | kv locked)" = 1 ] && [ "$ch" = 0 ] && [ "$fb" = -1 ] &&
		[ "${run:-0}" -ge 40000 ] && [ "${mis:-1}" = 0 ]; then
		pass "${n}_exact"
	else
		# (slips: the playout buffer moved samples with no loss and no
		# drift; dsp/jitter.c has a dead band against that since)
		fail "${n}_exact" "$line (slips: ${slips:-none})"
	fi
	if [ $codec = pcma ] && [ "$vals" != 256 ]; then fail "${n}_values" "$vals values"; fi
done

# ---- 2. echo cancellation: 8002..8009, canceller on (B) and off (A) ----
echo_call() { # NAME GWPORT SERVICE -> the ECHO line
	media_call "$1" "$2" "$3" pcma 4600 -t 3 echo -20 || { echo "sipp failed: $(sipp_why "$1")"; return; }
	cat "$T/$1.rtp"
}
if want echo; then
line=$(echo_call echo_off $SIPA 8002)
echo "# echo D.2 canceller off: $line"
rl=$(echo "$line" | kv rl_conv_db)
# the hybrid alone: ERL 12 dB (white noise); speech-shaped noise and the
# A-law path move it a little
if awk -v r="${rl:-0}" 'BEGIN {exit !(r >= 8 && r <= 18)}'; then pass echo_baseline_erl; else
	fail echo_baseline_erl "$line"; fi
for m in 2 3 4 5 6 7 8 9; do
	line=$(echo_call echo_d$m $SIPB 800$m)
	echo "# echo D.$m canceller on: $line"
	rl=$(echo "$line" | kv rl_conv_db)
	if awk -v r="${rl:-0}" 'BEGIN {exit !(r >= 30)}'; then pass echo_d${m}_30db; else
		fail echo_d${m}_30db "$line"; fi
done
# double talk: once the canceller has converged (1.5 s), pstnsim adds a
# near-end talker (1 kHz, -25 dBm0) to the D.2 echo; it must come through
# (the NLP must not clip it) while the echo stays cancelled
for g in A B; do
	[ $g = A ] && gp=$SIPA || gp=$SIPB
	prev=$(last_id)
	MEDIA_HOOK='wait_for 80 "[ \"\$(last_id)\" != \"$prev\" ] && sim last in | grep -q \"state active\"";
		sleep 1.5; sim play "$(last_id)" near 1000 -25 >"$T/near.out"'
	media_call dt_$g $gp 8002 pcma 4600 -n 1000 -t 3 echo -20
	MEDIA_HOOK=""
	line=$(grep '^NEAR' "$T/dt_$g.rtp")
	echo "# double talk, canceller $([ $g = A ] && echo off || echo on): $line (play: $(cat "$T/near.out"))"
	nl=$(echo "$line" | kv near_dbm0)
	if awk -v l="${nl:--99}" 'BEGIN {exit !(l >= -28 && l <= -22)}'; then pass "double_talk_near_end_$g"; else
		fail "double_talk_near_end_$g" "$line"; fi
done
fi

# ---- 3. DTMF ----
DIGITS='0123456789*#ABCD'
if want dtmf; then
prev=$(last_id)
if media_call dtmf_tx $SIPA 7001 pcma 6000 -u 600 dtmf "$DIGITS"; then
	echo "# dtmf to pstn: $(cat "$T/dtmf_tx.rtp")"
	id=$(last_id)
	got=$(sim digits "$id" | sed -n 's/^OK //p')
	echo "# dtmf to pstn: pstnsim call $id heard '$got'"
	if [ "$id" != "$prev" ] && [ "$got" = "$DIGITS" ]; then pass rfc4733_to_pstn_digits; else
		fail rfc4733_to_pstn_digits "pstnsim call $id heard '$got', sent '$DIGITS'"; fi
else
	fail rfc4733_to_pstn_call "$(sipp_why dtmf_tx)"
fi

# pstnsim plays the digits in-band on a 1001 call; rtpcall listens
prev=$(last_id)
MEDIA_HOOK='wait_for 80 "[ \"\$(last_id)\" != \"$prev\" ] && sim last in | grep -q \"state active\"";
	sleep 0.8; sim play "$(last_id)" dtmf "$DIGITS" >"$T/play.out"'
if media_call dtmf_rx $SIPA 1001 pcma 5500 -t 4 -P "$T/dtmf_rx.pcap" listen; then
	line=$(cat "$T/dtmf_rx.rtp")
	echo "# dtmf from pstn: $line (play: $(cat "$T/play.out"))"
	n=$(echo "$line" | kv n)
	if [ "$(echo "$line" | kv events)" = "$DIGITS" ] && [ "$(echo "$line" | kv ended)" = "$n" ] &&
		[ "$(echo "$line" | kv marked)" = "$n" ]; then
		pass rfc4733_from_pstn_events
	else
		fail rfc4733_from_pstn_events "$line"
	fi
	if [ "$(echo "$line" | kv inband)" = "-" ]; then pass rfc4733_from_pstn_no_inband; else
		fail rfc4733_from_pstn_no_inband "$line"; fi
	if command -v tshark >/dev/null 2>&1; then
		# tshark's own RTP/RTPEVENT dissector on what was received: the
		# digits of the end packets, each event once (end packets are
		# sent three times: keep the first per timestamp)
		ts=$(tshark -r "$T/dtmf_rx.pcap" -d udp.port==$RTPP,rtp -Y 'rtpevent && rtpevent.end_of_event == 1' \
			-T fields -e rtp.timestamp -e rtpevent.event_id 2>"$T/tshark.err" |
			awk '!seen[$1]++ {printf "%s", substr("0123456789*#ABCD", $2 + 1, 1)}')
		echo "# dtmf from pstn: tshark end-of-event digits '$ts'"
		if [ "$ts" = "$DIGITS" ]; then pass rfc4733_from_pstn_tshark; else
			fail rfc4733_from_pstn_tshark "tshark decoded '$ts' $(head -2 "$T/tshark.err")"; fi
	else
		skip rfc4733_from_pstn_tshark "tshark not installed"
	fi
else
	fail rfc4733_from_pstn_call "$(sipp_why dtmf_rx)"
fi
MEDIA_HOOK=""
fi

# ---- 5. codec change by re-INVITE (gateway A; the canceller would
# rightly take the loopback's return of our own tone for echo) ----
if want recodec; then
	# the re-INVITE goes 3 s after the ACK; rtpcall sends PCMU from 3 s
	# after the first packet (the gateway's 200 OK answer starts both)
	MEDIA_SCEN=media_reinvite_uac \
	MEDIA_HOOK="sleep 2; gctl A media | grep '^chan ' >'$T/recodec.m1'; sleep 3; gctl A media | grep '^chan ' >'$T/recodec.m2'" \
		media_call recodec $SIPA 1001 pcma 4000 -C 3000:pcmu -u 500 -t 6 tone 1000 -10
	r=$?
	line=$(cat "$T/recodec.rtp")
	m1=$(cat "$T/recodec.m1" 2>/dev/null); m2=$(cat "$T/recodec.m2" 2>/dev/null)
	echo "# recodec: $line"
	echo "# recodec: gateway before: $m1"
	echo "# recodec: gateway after:  $m2"
	if [ $r != 0 ]; then
		fail recodec_reinvite_answered_pcmu "$(sipp_why recodec)"
	else
		pass recodec_reinvite_answered_pcmu
	fi
	# the tone through two G.711 laws: the same level, no gap worth a
	# block, both payload types back from the gateway
	if [ "$(echo "$line" | kv peak_hz)" = 1000 ] &&
	   awk -v l="$(echo "$line" | kv tone_dbm0)" 'BEGIN {exit !(l > -11 && l < -9)}' &&
	   [ "$(echo "$line" | kv rx_pt0)" -gt 50 ] && [ "$(echo "$line" | kv rx_pt1)" -gt 50 ]; then
		pass recodec_tone_across_change
	else
		fail recodec_tone_across_change "$line"
	fi
	# the same channel: codec changed, the port kept, the same RTP
	# sender (a rebuilt channel starts a new SSRC), no rebuild logged
	if echo "$m1" | grep -q 'codec=PCMA' && echo "$m2" | grep -q 'codec=PCMU' &&
	   [ "$(echo "$m1" | kv port)" = "$(echo "$m2" | kv port)" ] &&
	   [ "$(echo "$line" | kv ssrc_changes)" = 0 ] &&
	   ! grep -q 'cannot change the payload in place' "$T/gwA.log"; then
		pass recodec_channel_kept
	else
		fail recodec_channel_kept "$m1 | $m2 | $line"
	fi
fi

# ---- 4. SDES-SRTP with baresip (gateway C: srtp = mandatory) ----
if want srtp; then
if timeout 20 sipp -sf tests/data/sipp/media_488_uac.xml -s 1001 -i 127.0.0.1 -p $UAC -m 1 -l 1 \
	-mp $((B + 30)) -timeout 15s -timeout_error 127.0.0.1:$SIPC >"$T/p488.out" 2>&1; then
	pass srtp_mandatory_plain_offer_488
else
	fail srtp_mandatory_plain_offer_488 "$(sipp_why p488)"
fi
if ! command -v baresip >/dev/null 2>&1 || [ ! -f /usr/lib/baresip/modules/srtp.so ]; then
	skip srtp_baresip "baresip or its srtp module not installed"
else
	mkdir -p "$T/bs"
	"$RTPCALL" wav "$T/bs/tone.wav" 30 440 -15
	sed -e "s|@DIR@|$T/bs|g" -e "s|@SIP@|$BSSIP|g" -e "s|@RTPMIN@|$BSRTP|g" \
		-e "s|@RTPMAX@|$((BSRTP + 9))|g" tests/data/baresip/srtp/config.in >"$T/bs/config"
	cp tests/data/baresip/srtp/accounts "$T/bs/accounts"
	baresip -4 -f "$T/bs" -t 12 -e "/dial sip:1001@127.0.0.1:$SIPC" >"$T/bs.log" 2>&1 &
	BSPID=$!
	bg_add $BSPID
	wait_for 60 "gctl C media | grep -q 'srtp=yes'"
	sleep 2.5
	# the first reports go out within about 5 s of the media
	wait_for 80 "gctl C media | grep '^chan ' | grep -q 'rtcp_rx=[1-9]'"
	med=$(gctl C media | grep '^chan ')
	id=$(last_id)
	st=$(sim stats "$id" | tr '\n' ' ')
	wait_pid 150 $BSPID
	echo "# srtp: gateway: $med"
	echo "# srtp: pstnsim: $st"
	tx=$(echo "$med" | kv rtp_tx); rx=$(echo "$med" | kv rtp_rx)
	if echo "$med" | grep -q 'srtp=yes' && [ "${tx:-0}" -gt 50 ] && [ "${rx:-0}" -gt 50 ]; then
		pass srtp_baresip_media_both_ways
	else
		fail srtp_baresip_media_both_ways "$med | $(grep -i 'srtp\|error\|call' "$T/bs.log" | tail -5 | tr '\n' ' ')"
	fi
	# RFC 5761 with a peer that offers it: baresip's SRTCP reports came
	# in on our RTP port and were authenticated and parsed
	if echo "$med" | grep -q 'rtcp=mux' && [ "$(echo "$med" | kv rtcp_rx)" -gt 0 ] &&
	   [ "$(echo "$med" | kv rtcp_tx)" -gt 0 ]; then
		pass srtp_baresip_rtcp_mux
	else
		fail srtp_baresip_rtcp_mux "$med"
	fi
	wait_for 50 "[ \$(sqlite3 '$T/cdrC.sqlite' 'SELECT count(*) FROM cdr WHERE sip_status = 200') -gt 0 ]"
	row=$(sqlite3 -separator ' ' "$T/cdrC.sqlite" \
		'SELECT sip_status, rtp_rx_packets, rtp_tx_packets, codec FROM cdr WHERE sip_status = 200 ORDER BY id DESC LIMIT 1')
	echo "# srtp: CDR sip_status rtp_rx rtp_tx codec: $row"
	set -- $row
	if [ "$1" = 200 ] && [ "${2:-0}" -gt 0 ] && [ "${3:-0}" -gt 0 ]; then pass srtp_cdr_rtp_packets; else
		fail srtp_cdr_rtp_packets "$row"; fi
	# baresip's tone went through the loopback and back: it decrypted ours
	lv=$("$RTPCALL" wavlevel "$(ls "$T"/bs/dump-*-dec.wav 2>/dev/null | head -1)" 440)
	echo "# srtp: baresip heard: $lv"
	if awk -v l="$(echo "$lv" | kv tone_dbm0)" 'BEGIN {exit !(l > -25)}'; then
		pass srtp_loopback_tone_heard
	else
		fail srtp_loopback_tone_heard "$lv"
	fi
fi
fi

for g in A B C; do
	n=$(gctl $g calls | grep -c '^call ')
	[ "$n" = 0 ] || fail "no_call_left_$g" "$(gctl $g calls | tr '\n' ' ')"
done
alive=1
for p in $DAEMONS; do kill -0 "$p" 2>/dev/null || alive=0; done
[ $alive = 1 ] && pass daemons_alive || fail daemons_alive "a process died"
if [ "$FAILS" != 0 ]; then
	for g in A B C; do echo "--- gw$g.log (tail)"; tail -15 "$T/gw$g.log"; done
fi
exit 0
