#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# SIP parser cross-check on the benchmark corpus (tests/data/sip/bench):
#  1. sip_parse_bench -c output equals expected.txt (branch, tags,
#     Call-ID, CSeq, first Contact user/host, Content-Length, body parts);
#  2. sofia-sip's parser (sofia_parse_bench -c) reads the same values;
#  3. Wireshark's SIP dissector (tshark, each message wrapped in a UDP
#     pcap by text2pcap) reports the same values.
# Prints PASS/FAIL/SKIP lines. No processes outlive the script.
BUILD=${BUILD:-build}
CORPUS=tests/data/sip/bench
EXP=$CORPUS/expected.txt
P=$BUILD/bench/sip_parse_bench
S=$BUILD/bench/sofia_parse_bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ ! -x "$P" ] || [ ! -x "$S" ]; then
	make --no-print-directory BUILD="$BUILD" "$P" "$S" >"$tmp/make.log" 2>&1 ||
		{ echo "FAIL sip_parse_build"; tail -5 "$tmp/make.log"; exit 1; }
fi

if timeout 60 "$P" -c "$CORPUS" >"$tmp/p.txt" && diff -u "$EXP" "$tmp/p.txt"; then
	echo "PASS sip_parse_check_expected"
else
	echo "FAIL sip_parse_check_expected"
fi

if timeout 60 "$S" -c "$CORPUS" >"$tmp/s.txt" &&
	sed 's/^CHECK\tsofia\t/CHECK\tpstngw\t/' "$tmp/s.txt" | diff -u "$EXP" -; then
	echo "PASS sip_parse_check_sofia"
else
	echo "FAIL sip_parse_check_sofia"
fi

if ! command -v tshark >/dev/null 2>&1 || ! command -v text2pcap >/dev/null 2>&1; then
	echo "SKIP sip_parse_check_tshark (tshark/text2pcap not installed)"
	exit 0
fi
ok=1
for f in "$CORPUS"/*.sip; do
	name=$(basename "$f")
	od -Ax -tx1 -v "$f" >"$tmp/m.hex"
	text2pcap -q -u 5060,5060 "$tmp/m.hex" "$tmp/m.pcap" >/dev/null 2>&1 || { ok=0; echo "text2pcap failed on $name"; continue; }
	# top Via branch = first of the comma-joined occurrences
	timeout 60 tshark -r "$tmp/m.pcap" -T fields -E separator='|' -E occurrence=f \
		-e sip.Via.branch -e sip.from.tag -e sip.to.tag -e sip.Call-ID \
		-e sip.CSeq.seq -e sip.CSeq.method -e sip.contact.user -e sip.contact.host \
		-e sip.Content-Length 2>/dev/null >"$tmp/t.txt"
	parts=$(timeout 60 tshark -r "$tmp/m.pcap" -T fields -e mime_multipart.part 2>/dev/null |
		awk '{ n = gsub(/,/, ","); print ($0 == "" && n == 0) ? 0 : n + 1 }')
	IFS='|' read -r br ft tt ci cs me cu ch cl <"$tmp/t.txt"
	want=$(grep "	$name	" "$EXP" | cut -f4-12)
	got=$(printf 'branch=%s\tfrom_tag=%s\tto_tag=%s\tcall_id=%s\tcseq=%s\tmethod=%s\tcontact_user=%s\tcontact_host=%s\tclen=%s' \
		"$br" "$ft" "$tt" "$ci" "$cs" "$me" "$cu" "$ch" "${cl:-0}")
	if [ "$want" != "$got" ]; then
		ok=0
		echo "tshark mismatch on $name:"
		echo "  ours:   $want"
		echo "  tshark: $got"
	fi
	# multipart: tshark counts the parts it dissects
	wp=$(grep "	$name	" "$EXP" | sed 's/.*bodyparts=//')
	if [ "$wp" -gt 1 ] && [ "$parts" != "$wp" ]; then
		ok=0
		echo "tshark part count on $name: ours $wp, tshark $parts"
	fi
done
if [ $ok = 1 ]; then
	echo "PASS sip_parse_check_tshark"
else
	echo "FAIL sip_parse_check_tshark"
fi
