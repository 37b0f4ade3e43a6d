#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# G.729 through the pstngw daemon, end to end: sipp signals a call from
# the SIP side whose SDP offers only G729 (PT 18) and telephone-event,
# tests/tools/rtpcall owns the RTP port and speaks G.729 with bcg729
# called directly (not through dsp/codec), and pstnsim's 100x digital
# loopback subscriber sends every TDM sample back. So a tone goes
# rtpcall -G.729-> pstngw -A-law-> E1 -> loopback -> E1 -A-law-> pstngw
# -G.729-> rtpcall, through two G.729 encoder/decoder pairs.
#   1. offer with a=fmtp:18 annexb=yes: the 200 OK answers G729 with
#      a=fmtp:18 annexb=no (we send no SID frames) and the gateway's
#      channel runs G729 (pstngwctl media);
#   2. a 1 kHz tone at -10 dBm0 comes back at 1 kHz within 2 dB of its
#      level, every packet PT 18 with 20 octets (two frames), timestamps
#      160 apart;
#   3. tshark's own RTP dissector, on a live capture of the test's RTP
#      port on lo (127.0.0.1 only), sees PT 18 = ITU-T G.729 both ways,
#      20-octet payloads, timestamp steps of 160 (20 ms packets);
#   4. an offer of G729 without fmtp (RFC 3551 static type, no rtpmap
#      either) is accepted the same way, answered annexb=no.
T_NAME=g729
. tests/data/gw/lib.sh
RTPCALL=$BUILD/tools/rtpcall
need_tools gw_g729 sipp tshark "$RTPCALL"
GWPORT=$(port_block 20000 1000)
UACPORT=$((GWPORT + 1))
PEERPORT=$((GWPORT + 2))
RTPP=$((GWPORT + 4))            # rtpcall: RTP and RTP + 1
RTPBASE=$(port_block 30000 500) # the gateway's RTP ports (4 pairs)

cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
[span 1]
type = e1
path = $T/span1.sock
switchtype = euroisdn
node = net
EOC
# the loopback returns the caller's own audio ~20 ms later, which a
# canceller rightly takes for echo and removes: off, to hear it back
cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:$GWPORT
[media]
rtp_address = 127.0.0.1
rtp_port_min = $RTPBASE
rtp_port_max = $((RTPBASE + 7))
codecs = g729, pcma
ptime = 20
echo_cancel = no
faxdet = no
media_timeout = 0
[calls]
accept = trunks
noanswer_timeout = 20s
[cdr]
path = $T/cdr.sqlite
[trunk peers]
address = 127.0.0.1:$PEERPORT
acl = 127.0.0.1
keepalive = 0
[span 1]
socket = $T/span1.sock
signalling = pri_cpe
[group e1]
members = span:1
[route to-pstn]
direction = sip2pstn
called = ^[0-9]+\$
target = group:e1
EOC

# sipp scenarios: the media call of gw_media_calls.sh, offering G729 with
# annexb=yes, and as it is (no fmtp for the codec)
sed 's|^\( *\)a=rtpmap:\[codec_pt\] \[codec_name\]/8000$|&\n\1a=fmtp:[codec_pt] annexb=yes|' \
	tests/data/sipp/media_call_uac.xml >"$T/annexb_yes.xml"
if ! grep -q 'a=fmtp:\[codec_pt\] annexb=yes' "$T/annexb_yes.xml"; then
	fail scenario "could not add the fmtp line to media_call_uac.xml"
	exit 1
fi
sed '/^ *a=rtpmap:\[codec_pt\] \[codec_name\]\/8000$/d' \
	tests/data/sipp/media_call_uac.xml >"$T/static18.xml"

start_sim
start_gw
wait_for 150 "link_up 30" || { fail link_up "$(sim status)"; tail -20 "$T/gw.log"; exit 1; }
sleep 1

# answer200 NAME: the SDP-carrying 200 OK to the INVITE that sipp received
answer200() {
	awk '/^-----/ { if (b ~ /SIP\/2.0 200 OK/ && b ~ /CSeq: 1 INVITE/) printf "%s", b; b = ""; rx = 0; next }
	     /message received/ { rx = 1 }
	     rx { b = b $0 "\n" }
	     END { if (b ~ /SIP\/2.0 200 OK/ && b ~ /CSeq: 1 INVITE/) printf "%s", b }' "$T/$1.msg"
}
# g729_call NAME SCENARIO HOLD_MS SECONDS: one call to the 100x loopback,
# rtpcall sends a 1 kHz tone at -10 dBm0 as G.729; its TONE line is in
# $T/NAME.rtp; returns sipp's status
g729_call() {
	n=$1; sc=$2; hold=$3; secs=$4
	timeout 40 "$RTPCALL" -l $RTPP -c g729 -w 8000 -u 1000 -t "$secs" tone 1000 -10 \
		>"$T/$n.rtp" 2>"$T/$n.rtperr" &
	rp=$!
	timeout 40 sipp -sf "$sc" -s 1001 -i 127.0.0.1 -p $UACPORT \
		-m 1 -l 1 -d "$hold" -timeout 30s -timeout_error \
		-key rtp_port $RTPP -key codec_pt 18 -key codec_name G729 \
		-trace_msg -message_file "$T/$n.msg" -trace_err -error_file "$T/$n.err" \
		127.0.0.1:$GWPORT >"$T/$n.out" 2>&1 &
	sp=$!
	bg_add $rp
	bg_add $sp
	# the gateway's view while the call is up
	wait_for 80 "ctl media | grep -q 'codec=G729'" && ctl media >"$T/$n.media" 2>&1
	wait_pid 450 $rp
	echo $? >"$T/$n.rc"
	wait_pid 450 $sp
}
sipp_why() { tail -3 "$T/$1.out" "$T/$1.err" 2>/dev/null | tr '\n' ' '; }

# check_answer NAME: the answer is G729 alone (+ telephone-event) with
# annexb=no, and nothing else about Annex B
check_answer() {
	ans=$(answer200 "$1")
	echo "# $1: answer: $(echo "$ans" | grep -E '^(m=|a=rtpmap|a=fmtp|a=ptime)' | tr -d '\r' | tr '\n' ' ')"
	if echo "$ans" | grep -q '^m=audio [1-9][0-9]* RTP/AVP 18 101' &&
		echo "$ans" | grep -q '^a=rtpmap:18 G729/8000' &&
		echo "$ans" | grep -q '^a=fmtp:18 annexb=no' &&
		! echo "$ans" | grep -q 'annexb=yes'; then
		pass "$1_answer_annexb_no"
	else
		fail "$1_answer_annexb_no" "$(echo "$ans" | tr '\r\n' '  ')"
	fi
	if grep -q 'codec=G729' "$T/$1.media" 2>/dev/null; then
		pass "$1_gw_codec"
	else
		fail "$1_gw_codec" "pstngwctl media: $(tr '\n' ' ' <"$T/$1.media" 2>/dev/null)"
	fi
}

# check_tone NAME: the tone came back as G.729 at 1 kHz and its level
check_tone() {
	line=$(cat "$T/$1.rtp")
	echo "# $1: $line"
	lvl=$(echo "$line" | kv tone_dbm0); peak=$(echo "$line" | kv peak_hz)
	rest=$(echo "$line" | kv tone_to_rest_db); blocks=$(echo "$line" | kv blocks)
	if [ "$(cat "$T/$1.rc")" = 0 ] && [ -n "$lvl" ] &&
		awk -v l="$lvl" -v p="$peak" -v r="$rest" -v b="$blocks" \
			'BEGIN { exit !(l >= -12 && l <= -8 && p >= 990 && p <= 1010 && r >= 10 && b >= 20) }'; then
		pass "$1_tone_back"
	else
		fail "$1_tone_back" "rc $(cat "$T/$1.rc") $line $(head -2 "$T/$1.rtperr")"
	fi
	if [ "$(echo "$line" | kv plen_min)" = 20 ] && [ "$(echo "$line" | kv plen_max)" = 20 ] &&
		[ "$(echo "$line" | kv ts_step_min)" = 160 ] &&
		[ "$(echo "$line" | kv ts_step_max)" = 160 ] &&
		[ "$(echo "$line" | kv badlen)" = 0 ] && [ "$(echo "$line" | kv badpt)" = 0 ]; then
		pass "$1_g729_packets"
	else
		fail "$1_g729_packets" "$line"
	fi
}

# ---- 1-3: annexb=yes offer, tone through the loopback, live capture ----
# (-i lo with a capture filter on the test's RTP port: both directions of
# this call's media, nothing else)
tshark -i lo -n -f "udp and host 127.0.0.1 and port $RTPP" -w "$T/rtp.pcapng" \
	>"$T/tshark_cap.log" 2>&1 &
TSPID=$!
bg_add $TSPID
wait_for 100 "grep -q Capturing $T/tshark_cap.log" || fail tshark_start "$(cat "$T/tshark_cap.log")"
if g729_call annexb "$T/annexb_yes.xml" 7500 4; then
	check_answer annexb
	check_tone annexb
else
	fail annexb_call "$(sipp_why annexb)"
fi
sleep 0.5
stop_pid $TSPID INT

# tshark's view: every RTP packet on the port, per direction (gw: from
# the gateway, peer: from rtpcall): PT, payload octets (UDP length - 8 -
# the 12-octet RTP header), timestamp steps; the mean packet spacing is
# printed, not judged
tshark -r "$T/rtp.pcapng" -n -d udp.port==$RTPP,rtp -Y rtp \
	-T fields -e udp.dstport -e rtp.p_type -e udp.length -e rtp.timestamp -e frame.time_relative \
	>"$T/rtp.fields" 2>"$T/tshark.err"
awk -v p=$RTPP '
	{ d = ($1 == p) ? "gw" : "peer"; n[d]++; if ($2 != 18) bad[d]++
	  pl = $3 - 8 - 12; if (pl != 20) badlen[d]++
	  if (d in ts) { s = $4 - ts[d]; if (s < 0) s += 4294967296; if (s != 160) badstep[d]++
	                 gap[d] += $5 - t[d] }
	  ts[d] = $4; t[d] = $5 }
	END { for (d in n) printf("%s packets=%d not_pt18=%d not_20_octets=%d ts_step_not_160=%d mean_gap_ms=%.2f\n",
	        d, n[d], bad[d] + 0, badlen[d] + 0, badstep[d] + 0, (n[d] > 1) ? 1000 * gap[d] / (n[d] - 1) : 0) }' \
	"$T/rtp.fields" | sort >"$T/rtp.sum"
tshark -r "$T/rtp.pcapng" -n -d udp.port==$RTPP,rtp -Y "rtp && udp.dstport == $RTPP" -c 1 \
	>"$T/rtp.info" 2>>"$T/tshark.err"
tshark -r "$T/rtp.pcapng" -n -d udp.port==$RTPP,rtp -q -z rtp,streams \
	>"$T/rtp.streams" 2>>"$T/tshark.err"
echo "# tshark: $(tr '\n' ';' <"$T/rtp.sum")"
echo "# tshark: $(cat "$T/rtp.info")"
grep -i 'g729\|g.729' "$T/rtp.streams" | sed 's/^/# tshark streams: /'
from_gw=$(grep '^gw ' "$T/rtp.sum"); from_peer=$(grep '^peer ' "$T/rtp.sum")
ok=1
for l in "$from_gw" "$from_peer"; do
	[ -n "$l" ] || ok=0
	[ "$(echo "$l" | kv not_pt18)" = 0 ] || ok=0
	[ "$(echo "$l" | kv not_20_octets)" = 0 ] || ok=0
	[ "$(echo "$l" | kv ts_step_not_160)" = 0 ] || ok=0
	[ "${l:+$(echo "$l" | kv packets)}" -ge 200 ] 2>/dev/null || ok=0
done
if [ $ok = 1 ] && grep -q 'G\.729\|G729' "$T/rtp.info"; then
	pass tshark_rtp_g729
else
	fail tshark_rtp_g729 "$(tr '\n' ' ' <"$T/rtp.sum") | $(cat "$T/rtp.info") | $(head -3 "$T/tshark.err")"
fi

# ---- 4: G729 offered without fmtp (static type, no rtpmap) ----
if g729_call static18 "$T/static18.xml" 5000 2; then
	check_answer static18
	check_tone static18
else
	fail static18_call "$(sipp_why static18)"
fi

if ! kill -0 "$GWPID" 2>/dev/null; then
	fail gw_alive "pstngw exited: $(tail -5 "$T/gw.log" | tr '\n' ' ')"
fi
[ $FAILS = 0 ]
