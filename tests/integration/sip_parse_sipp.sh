#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The SIP message parser on messages written by a real peer, sipp:
#  - sipp's built-in UAC sends INVITEs to a UDP sink (127.0.0.1:15460),
#    which saves each datagram (the INVITE and its retransmission);
#  - a small UAC sends INVITE to sipp's built-in UAS (127.0.0.1:15462)
#    and saves the responses (100/180/200 as sipp sends them).
# Every saved message must parse (sip_parse_bench -c, no FAIL), keep
# the Call-ID and CSeq it was sent with, and requests must carry a top
# Via branch. Prints PASS/FAIL/SKIP; every process is killed on exit.
BUILD=${BUILD:-build}
P=$BUILD/bench/sip_parse_bench
W=$(mktemp -d)
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=""
	rm -rf "$W"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

for t in sipp python3; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP sip_parse_sipp: $t not installed"
		exit 0
	fi
done
if [ ! -x "$P" ]; then
	make --no-print-directory BUILD="$BUILD" "$P" >"$W/make.log" 2>&1 ||
		{ echo "FAIL sip_parse_sipp: cannot build $P"; tail -5 "$W/make.log"; exit 1; }
fi

# wait_file FILE: bounded wait (5 s) for FILE to appear
wait_file() {
	i=0
	while [ $i -lt 50 ]; do
		[ -e "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# check DIR CALLID: every DIR/*.sip parses and has this Call-ID
check() {
	dir=$1
	cid=$2
	n=$(ls "$dir"/*.sip 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] || { echo "no messages captured in $dir"; return 1; }
	timeout 30 "$P" -c "$dir" >"$dir.out" 2>&1
	cat "$dir.out"
	grep -q '^FAIL' "$dir.out" && return 1
	[ "$(grep -c '^CHECK' "$dir.out")" = "$n" ] || return 1
	[ -z "$cid" ] || [ "$(grep -c "	call_id=$cid	" "$dir.out")" = "$n" ] || return 1
	return 0
}

# 1. sipp UAC -> sink
mkdir -p "$W/uac"
python3 - "$W/uac" 15460 <<'PY' &
import os, socket, sys, time
d, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.2)
open(os.path.join(d, "ready"), "w").close()
end, n = time.time() + 10, 0
while time.time() < end and n < 2:
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    with open(os.path.join(d, "%03d.sip" % n), "wb") as f:
        f.write(data)
    n += 1
PY
SINK=$!
PIDS="$PIDS $SINK"
if wait_file "$W/uac/ready"; then
	(cd "$W" && exec timeout 20 sipp -sn uac -m 1 -p 15461 -i 127.0.0.1 -nostdin \
		-timeout 8 127.0.0.1:15460 >"$W/sipp_uac.log" 2>&1) &
	SIPP=$!
	PIDS="$PIDS $SIPP"
	wait "$SINK"
	kill "$SIPP" 2>/dev/null
	rm -f "$W/uac/ready"
	cid=$(sed -n 's/^[Cc]all-I[Dd]: *//p' "$W/uac/000.sip" 2>/dev/null | tr -d '\r' | head -1)
	if check "$W/uac" "$cid" && grep -q '	method=INVITE	' "$W/uac.out" &&
		! grep -q '	branch=	' "$W/uac.out"; then
		echo "PASS sip_parse_sipp_uac"
	else
		echo "FAIL sip_parse_sipp_uac"
	fi
else
	echo "FAIL sip_parse_sipp_uac: sink did not start"
fi

# 2. our INVITE -> sipp UAS; save its responses
mkdir -p "$W/uas"
(cd "$W" && exec timeout 20 sipp -sn uas -p 15462 -i 127.0.0.1 -nostdin -m 1 -timeout 10 \
	>"$W/sipp_uas.log" 2>&1) &
PIDS="$PIDS $!"
sleep 0.5
timeout 15 python3 - "$W/uas" 15463 15462 <<'PY'
import os, socket, sys, time
d, lport, rport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", lport))
s.settimeout(0.2)
sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n")
hdr = ("INVITE sip:service@127.0.0.1:%d SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-parse-sipp-1;rport\r\n"
       "Max-Forwards: 70\r\n"
       "From: \"Parse Test\" <sip:tester@127.0.0.1:%d>;tag=pt-1\r\n"
       "To: <sip:service@127.0.0.1:%d>\r\n"
       "Call-ID: parse-sipp-uas-1@127.0.0.1\r\n"
       "CSeq: 1 INVITE\r\n"
       "Contact: <sip:tester@127.0.0.1:%d>\r\n"
       "Content-Type: application/sdp\r\n"
       "Content-Length: %d\r\n\r\n") % (rport, lport, lport, rport, lport, len(sdp))
msg = (hdr + sdp).encode()
end, n, last = time.time() + 8, 0, 0.0
while time.time() < end:
    if n == 0 and time.time() - last > 0.5:
        s.sendto(msg, ("127.0.0.1", rport))
        last = time.time()
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    with open(os.path.join(d, "%03d.sip" % n), "wb") as f:
        f.write(data)
    n += 1
    if data.startswith(b"SIP/2.0 2"):
        break
PY
if check "$W/uas" "parse-sipp-uas-1@127.0.0.1" &&
	grep -q '	branch=z9hG4bK-parse-sipp-1	' "$W/uas.out" &&
	grep -q '	from_tag=pt-1	' "$W/uas.out"; then
	echo "PASS sip_parse_sipp_uas"
else
	echo "FAIL sip_parse_sipp_uas"
fi
exit 0
