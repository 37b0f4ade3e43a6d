#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Calls through the pstngw daemon with real peers on both sides: sipp as
# the SIP side (caller, or the trunk that PSTN calls reach) and pstnsim as
# the PSTN (libpri NET side over a virtual E1, its default subscribers).
# Each case checks what sipp sees (status, Reason, SDP, BYE), what pstnsim
# saw (numbers, presentation, cause), and the CDR row the call left in the
# SQLite store, field by field.
T_NAME=sipcalls
. tests/data/gw/lib.sh
need_tools gw_sip_calls sipp sqlite3
GWPORT=$(port_block 20000 1000)
UASPORT=$((GWPORT + 1))
UACPORT=$((GWPORT + 2))
RTPBASE=$((30000 + ($$ % 500) * 20))

cat >"$T/sim.conf" <<EOC
[general]
socket = $T/sim.ctl
fax_dir = $T/fax
ringback_ms = 1000
[span 1]
type = e1
path = $T/span1.sock
switchtype = euroisdn
node = net
EOC
cat >"$T/gw.conf" <<EOC
[general]
control_socket = $T/gw.ctl
log_level = info
[sip]
listen = udp:127.0.0.1:$GWPORT, tcp:127.0.0.1:$GWPORT
[media]
rtp_port_min = $RTPBASE
rtp_port_max = $((RTPBASE + 19))
[calls]
accept = trunks
noanswer_timeout = 20s
[cdr]
path = $T/cdr.sqlite
[trunk sipp]
address = 127.0.0.1:$UASPORT
acl = 127.0.0.1
keepalive = 0
causes = sipp
[causes sipp]
; this trunk's own map (the profile default until the reload below)
profile = rfc3398
[span 1]
socket = $T/span1.sock
signalling = pri_cpe
[group e1]
members = span:1
[group two]
members = span:1:1-2
[span 2]
; nobody at its far end: red alarm, D-channel down
socket = $T/nowhere.sock
signalling = pri_cpe
[group dead]
members = span:2
[route fo-pstn]
direction = sip2pstn
called = prefix:9
called_strip = 1
target = group:dead, group:e1
[route busy2]
direction = sip2pstn
called = prefix:77
called_strip = 2
target = group:two
[route to-pstn]
direction = sip2pstn
called = ^[0-9]+\$
target = group:e1
[trunk down]
address = 127.0.0.1:$((UASPORT + 3))
acl = 127.0.0.2
keepalive = 0
[route fo-sip]
direction = pstn2sip
called = prefix:9
called_strip = 1
target = trunk:down, trunk:sipp
[route to-sip]
direction = pstn2sip
called = *
target = trunk:sipp
EOC

start_sim
start_gw

# the link is up and the start-up RESTARTs are done
wait_for 150 "link_up 30" || { fail link_up "$(sim status)"; tail -20 "$T/gw.log"; exit 1; }
sleep 1

# sipp_uac NAME SCENARIO SERVICE [extra sipp args]: one call, sipp's exit
sipp_uac() {
	n=$1; sc=$2; svc=$3; shift 3
	timeout 40 sipp -sf "$sc" -s "$svc" -i 127.0.0.1 -p $UACPORT -m 1 -l 1 \
		-timeout 30s -timeout_error -trace_msg -message_file "$T/$n.msg" \
		-trace_err -error_file "$T/$n.err" "$@" 127.0.0.1:$GWPORT \
		>"$T/$n.out" 2>&1
}
# cdr_last: the newest CDR row as "col=value|..." once written
cdr_wait() { wait_for 40 "[ \"\$(cdr_q 'SELECT count(*) FROM cdr')\" -ge $1 ]"; }
NCDR=0
# check_cdr NAME 'SQL condition' : the newest row must satisfy it
check_cdr() {
	NCDR=$((NCDR + 1))
	if ! cdr_wait $NCDR; then
		fail "$1_cdr" "no CDR row ($(cdr_q 'SELECT count(*) FROM cdr') rows)"
		return
	fi
	row=$(cdr_q "SELECT id FROM cdr WHERE id = (SELECT max(id) FROM cdr) AND $2")
	if [ -n "$row" ]; then
		pass "$1_cdr"
	else
		fail "$1_cdr" "$(cdr_q 'SELECT * FROM cdr ORDER BY id DESC LIMIT 1')"
	fi
}
fail_scn() { # STATUS CAUSE -> scenario path
	sed -e "s/@STATUS@/$1/" -e "s/@CAUSE@/$2/" tests/data/sipp/gw_fail_uac.xml.in >"$T/fail_$1_$2.xml"
	echo "$T/fail_$1_$2.xml"
}

# 1. answered call, BYE from SIP, digital loopback subscriber
if sipp_uac answered tests/data/sipp/gw_call_uac.xml 1001 -d 500; then
	pass answered_bye_from_sip
else
	fail answered_bye_from_sip "$(tail -3 "$T/answered.out" "$T/answered.err" 2>/dev/null | tr '\n' ' ')"
fi
check_cdr answered "direction = 'sip2pstn' AND called_in = '1001' AND called_out = '1001' \
 AND calling_in LIKE '4930555%' AND sip_status = 200 AND answer_us IS NOT NULL \
 AND hangup_side = 'sip' AND q850_cause = 16 AND span = 1 AND channel BETWEEN 1 AND 31 \
 AND route = 'to-pstn' AND trunk = 'sipp' AND presentation = 'allowed' AND sip_call_id IS NOT NULL"
last=$(sim last in)
if echo "$last" | grep -q "1001" && echo "$last" | grep -q "4930555"; then
	pass answered_numbers_at_pstn
else
	fail answered_numbers_at_pstn "$last"
fi
# COLP: the connected number of the PSTN's CONNECT in the 200's P-Asserted-Identity
if sed -n '/^SIP\/2.0 200/,/^$/p' "$T/answered.msg" | grep -q '^P-Asserted-Identity: <sip:1001@'; then
	pass connected_number_to_pai; else fail connected_number_to_pai "$(sed -n '/^SIP\/2.0 200/,/^$/p' "$T/answered.msg" | head -12 | tr '\n' '|')"; fi
# the From display-name is the calling name (display IE)
echo "$last" | grep -q " name Alice" && pass display_name_to_calling_name || fail display_name_to_calling_name "$last"

# 2. busy: 486 with Reason cause 17
if sipp_uac busy "$(fail_scn 486 17)" 2001; then pass busy_486_reason_17; else
	fail busy_486_reason_17 "$(grep -A3 'SIP/2.0 4' "$T/busy.msg" | head -8 | tr '\n' ' ')"; fi
check_cdr busy "sip_status = 486 AND q850_cause = 17 AND answer_us IS NULL AND hangup_side = 'pstn'"

# 3. unallocated: 404 with cause 1
if sipp_uac unalloc "$(fail_scn 404 1)" 4001; then pass unallocated_404_reason_1; else
	fail unallocated_404_reason_1 "$(grep -A3 'SIP/2.0 4' "$T/unalloc.msg" | head -8 | tr '\n' ' ')"; fi
check_cdr unalloc "sip_status = 404 AND q850_cause = 1"

# 4. ringing, then CANCEL
if sipp_uac cancel tests/data/sipp/gw_cancel_uac.xml 3001 -d 1000; then pass ringing_cancel_487; else
	fail ringing_cancel_487 "$(tail -3 "$T/cancel.out" | tr '\n' ' ')"; fi
check_cdr cancel "sip_status = 487 AND hangup_side = 'sip' AND answer_us IS NULL"
wait_for 30 "sim last in | grep -q 'state released'" 
if sim last in | grep -q "cause 16"; then pass cancel_clears_pstn_16; else fail cancel_clears_pstn_16 "$(sim last in)"; fi

# 5. early media: 183 with SDP (in-band ringback from 600x), then 200
if sipp_uac early tests/data/sipp/gw_early_uac.xml 6001 -d 300; then pass early_media_183; else
	fail early_media_183 "$(tail -3 "$T/early.out" | tr '\n' ' ')"; fi
check_cdr early "sip_status = 200 AND answer_us IS NOT NULL"

# 6. INVITE without SDP: offer in 200, answer in ACK
if sipp_uac nosdp tests/data/sipp/gw_nosdp_uac.xml 1002 -d 300; then pass invite_without_sdp; else
	fail invite_without_sdp "$(tail -3 "$T/nosdp.out" | tr '\n' ' ')"; fi
check_cdr nosdp "sip_status = 200 AND answer_us IS NOT NULL"

# 7. only a codec we do not have: 488 before any PSTN call
n_before=$(sim calls | grep -c .)
sed -e 's/RTP\/AVP 8 0 101/RTP\/AVP 18/' -e '/a=rtpmap:8 /d' -e '/a=rtpmap:0 /d' \
	-e 's/a=rtpmap:101 telephone-event\/8000/a=rtpmap:18 G729\/8000/' -e '/a=fmtp:101/d' \
	"$(fail_scn 488 65)" >"$T/g729.xml"
sed -i 's/<action>.*//; s/<ereg .*//; s/<\/action>//; s/<Reference .*//' "$T/g729.xml"
if sipp_uac codec "$T/g729.xml" 1001; then pass unsupported_codec_488; else
	fail unsupported_codec_488 "$(grep 'SIP/2.0' "$T/codec.msg" | head -3 | tr '\n' ' ')"; fi
check_cdr codec "sip_status = 488 AND span IS NULL"
[ "$(sim calls | grep -c .)" = "$n_before" ] && pass codec_no_pstn_call || fail codec_no_pstn_call "pstnsim saw a call"

# 8. the PSTN hangs up: BYE with Reason cause 16
sed "s/@CAUSE@/16/" tests/data/sipp/gw_farbye_uac.xml.in >"$T/farbye.xml"
sipp_uac farbye "$T/farbye.xml" 1003 &
SP=$!
wait_for 100 "sim last in | grep -q 'state active'" || true
id=$(sim last in | sim_id)
sim hangup "$id" 16 >/dev/null
if wait "$SP"; then pass pstn_hangup_bye_reason_16; else
	fail pstn_hangup_bye_reason_16 "id=$id $(sim last in) $(tail -3 "$T/farbye.out" | tr '\n' ' ')"; fi
check_cdr farbye "sip_status = 200 AND hangup_side = 'pstn' AND q850_cause = 16"

# 9. all channels of a group busy: 503 with cause 34
timeout 30 sipp -sf tests/data/sipp/gw_cancel_uac.xml -s 773001 -i 127.0.0.1 -p $((UACPORT + 3)) \
	-m 2 -l 2 -d 4000 -timeout 25s 127.0.0.1:$GWPORT >"$T/hold.out" 2>&1 &
HP=$!
wait_for 50 "[ \$(ctl calls | grep -c '^call ') -ge 2 ]"
if sipp_uac congest "$(fail_scn 503 34)" 773002; then pass all_busy_503_cause_34; else
	fail all_busy_503_cause_34 "$(grep -A6 'SIP/2.0 5' "$T/congest.msg" | head -8 | tr '\n' ' ')"; fi
check_cdr congest "sip_status = 503 AND q850_cause = 34"
wait $HP
NCDR=$((NCDR + 2))

# 10. PSTN -> SIP: answered by the trunk, cleared from the PSTN
timeout 40 sipp -sf tests/data/sipp/gw_uas_answer.xml -i 127.0.0.1 -p $UASPORT -m 1 \
	-timeout 30s -trace_msg -message_file "$T/uas.msg" 127.0.0.1:$GWPORT >"$T/uas.out" 2>&1 &
UP=$!
sleep 0.5
out=$(sim call 1 5551000 4930111222 allowed speech name=Bob)
id=$(echo "$out" | awk '/^OK/ {print $2}')
wait_for 50 "sim stats $id | grep -q 'state active'"
sleep 0.3
sim hangup "$id" 16 >/dev/null
if wait $UP; then pass pstn_to_sip_answered; else fail pstn_to_sip_answered "$out $(tail -3 "$T/uas.out" | tr '\n' ' ')"; fi
# the 200's P-Asserted-Identity as the connected number of our CONNECT (COLP)
st=$(sim calls | grep "^$id span\|^OK $id span\| $id span" | head -1)
[ -z "$st" ] && st=$(sim last out)
echo "$st" | grep -q "connected 4930555000" && pass pai_to_connected_number || fail pai_to_connected_number "$st"
inv=$(sed -n '/^INVITE /,/^$/p' "$T/uas.msg")
if echo "$inv" | grep -q '^From: "Bob" <sip:4930111222@' && echo "$inv" | grep -q '^P-Asserted-Identity: .*4930111222' \
	&& echo "$inv" | grep -q '^INVITE sip:5551000@'; then pass pstn_to_sip_identity; else
	fail pstn_to_sip_identity "$(echo "$inv" | tr '\n' '|')"; fi
check_cdr p2s "direction = 'pstn2sip' AND calling_in = '4930111222' AND called_in = '5551000' \
 AND sip_status = 200 AND answer_us IS NOT NULL AND hangup_side = 'pstn' AND trunk = 'sipp' \
 AND route = 'to-sip' AND span = 1"

# 11. PSTN -> SIP, caller ID restricted: anonymous From, PAI + Privacy: id
timeout 40 sipp -sf tests/data/sipp/gw_uas_busy.xml -i 127.0.0.1 -p $UASPORT -m 1 \
	-timeout 30s -trace_msg -message_file "$T/uasb.msg" 127.0.0.1:$GWPORT >"$T/uasb.out" 2>&1 &
UP=$!
sleep 0.5
out=$(sim call 1 5551001 4930111333 restricted speech)
id=$(echo "$out" | awk '/^OK/ {print $2}')
if wait $UP; then pass pstn_to_sip_busy; else fail pstn_to_sip_busy "$(tail -3 "$T/uasb.out" | tr '\n' ' ')"; fi
inv=$(sed -n '/^INVITE /,/^$/p' "$T/uasb.msg")
if echo "$inv" | grep -q '^From: .*anonymous@anonymous.invalid' && echo "$inv" | grep -q '^Privacy: id' \
	&& echo "$inv" | grep -q '^P-Asserted-Identity: .*4930111333'; then pass restricted_caller_id; else
	fail restricted_caller_id "$(echo "$inv" | tr '\n' '|')"; fi
wait_for 30 "sim stats $id | grep -q 'cause 17'"
if sim stats "$id" | grep -q "cause 17"; then pass busy_to_pstn_cause_17; else fail busy_to_pstn_cause_17 "$(sim stats "$id")"; fi
check_cdr p2sbusy "direction = 'pstn2sip' AND sip_status = 486 AND q850_cause = 17 AND presentation = 'restricted'"

# 11b. SIP -> PSTN identity: trusted PAI + Privacy: id -> restricted calling
# number; Diversion -> redirecting number and reason (RFC 5806 user-busy = 1)
awk 'done != 1 && /Max-Forwards: 70/ {print; print "      P-Asserted-Identity: <sip:+4930555999@127.0.0.1;user=phone>"; print "      Privacy: id"; print "      Diversion: <sip:4930777666@127.0.0.1;user=phone>;reason=user-busy;counter=1"; done = 1; next} {print}' \
	tests/data/sipp/gw_call_uac.xml >"$T/ident.xml"
if sipp_uac ident "$T/ident.xml" 1004 -d 200; then pass ident_call; else fail ident_call "$(tail -3 "$T/ident.out" | tr '\n' ' ')"; fi
last=$(sim last in)
if echo "$last" | grep -q "pres restricted" && echo "$last" | grep -q "calling 4930555999" \
	&& echo "$last" | grep -q "redir 4930777666 redir_reason 1"; then pass pai_privacy_diversion_to_pstn; else
	fail pai_privacy_diversion_to_pstn "$last"; fi
check_cdr ident "presentation = 'restricted' AND redirecting = '4930777666' AND sip_status = 200"

# 11c. PSTN -> SIP redirecting number -> Diversion
timeout 40 sipp -sf tests/data/sipp/gw_uas_busy.xml -i 127.0.0.1 -p $UASPORT -m 1 \
	-timeout 30s -trace_msg -message_file "$T/uasr.msg" 127.0.0.1:$GWPORT >"$T/uasr.out" 2>&1 &
UP=$!
sleep 0.5
sim call 1 5551002 4930111444 allowed speech redir=4930777555:1 >/dev/null
wait $UP
inv=$(sed -n '/^INVITE /,/^$/p' "$T/uasr.msg")
if echo "$inv" | grep -q '^Diversion: <sip:4930777555@.*reason=user-busy'; then pass redirecting_to_diversion; else
	fail redirecting_to_diversion "$(echo "$inv" | tr '\n' '|')"; fi
check_cdr p2sredir "direction = 'pstn2sip' AND redirecting = '4930777555'"

# 11d. PSTN -> SIP failover: the first trunk answers 503, the second takes it
sed -e 's/486 Busy Here/503 Service Unavailable/' -e 's/cause=17;text="User busy"/cause=41/' \
	tests/data/sipp/gw_uas_busy.xml >"$T/uas503.xml"
timeout 40 sipp -sf "$T/uas503.xml" -i 127.0.0.1 -p $((UASPORT + 3)) -m 1 \
	-timeout 30s 127.0.0.1:$GWPORT >"$T/uasfo1.out" 2>&1 &
FP=$!
timeout 40 sipp -sf tests/data/sipp/gw_uas_answer.xml -i 127.0.0.1 -p $UASPORT -m 1 \
	-timeout 30s -trace_msg -message_file "$T/uasfo.msg" 127.0.0.1:$GWPORT >"$T/uasfo.out" 2>&1 &
UP=$!
sleep 0.5
id=$(sim call 1 95551003 4930111222 allowed speech | awk '/^OK/ {print $2}')
wait_for 50 "sim stats $id | grep -q 'state active'"
sim hangup "$id" 16 >/dev/null
if wait $FP && wait $UP && grep -q '^INVITE sip:5551003@' "$T/uasfo.msg"; then pass pstn_to_sip_failover_503; else
	fail pstn_to_sip_failover_503 "$(sim stats "$id") $(tail -2 "$T/uasfo1.out" "$T/uasfo.out" | tr '\n' ' ')"; fi
check_cdr p2sfo "direction = 'pstn2sip' AND route = 'fo-sip' AND trunk = 'sipp' AND sip_status = 200"

# 11e. an answered call over TCP
if sipp_uac tcp tests/data/sipp/gw_call_uac.xml 1005 -d 200 -t t1; then pass answered_over_tcp; else
	fail answered_over_tcp "$(tail -3 "$T/tcp.out" | tr '\n' ' ')"; fi
check_cdr tcp "sip_status = 200 AND called_in = '1005' AND answer_us IS NOT NULL"

# 11f. local ringback (reload with local_ringback = yes): a PSTN that alerts
# without in-band tones gives 183 with SDP, not a bare 180
sed -i -e 's/^noanswer_timeout = 20s$/noanswer_timeout = 20s\nlocal_ringback = yes/' \
	-e 's/^profile = rfc3398$/profile = rfc3398\nq850.1 = 410/' \
	-e 's/^causes = sipp$/causes = sipp\ntrust_pai = no\nsend_pai = no\nredirect_header = history-info/' "$T/gw.conf"
ctl reload >/dev/null
sed 's/<recv response="180" response_txn="invite"\/>/<recv response="183" response_txn="invite"><action><ereg regexp="m=audio [1-9]" search_in="body" check_it="true" assign_to="9"\/><\/action><\/recv>/; s/<\/scenario>/<Reference variables="9"\/><\/scenario>/' \
	tests/data/sipp/gw_cancel_uac.xml >"$T/lrb.xml"
if sipp_uac lrb "$T/lrb.xml" 3002 -d 500; then pass local_ringback_183; else
	fail local_ringback_183 "$(grep 'SIP/2.0 18' "$T/lrb.msg" | head -3 | tr '\n' ' ')"; fi
check_cdr lrb "sip_status = 487"

# 11f2. the trunk's own cause map after the reload: cause 1 as 410 Gone
if sipp_uac unalloc2 "$(fail_scn 410 1)" 4002; then pass trunk_cause_map_410; else
	fail trunk_cause_map_410 "$(grep 'SIP/2.0 4' "$T/unalloc2.msg" | head -3 | tr '\n' ' ')"; fi
check_cdr unalloc2 "sip_status = 410 AND q850_cause = 1"

# 11f3. per-trunk identity policy after the reload: this trunk is not
# trusted (its PAI is ignored: the calling number comes from From), gets no
# PAI from us, and a redirection as History-Info (RFC 7044), not Diversion
if sipp_uac ident2 "$T/ident.xml" 1007 -d 200; then pass ident_untrusted_call; else fail ident_untrusted_call "$(tail -3 "$T/ident2.out" | tr '\n' ' ')"; fi
last=$(sim last in)
if echo "$last" | grep -q "calling 4930555" && ! echo "$last" | grep -q "calling 4930555999"; then
	pass untrusted_pai_ignored; else fail untrusted_pai_ignored "$last"; fi
timeout 40 sipp -sf tests/data/sipp/gw_uas_busy.xml -i 127.0.0.1 -p $UASPORT -m 1 \
	-timeout 30s -trace_msg -message_file "$T/uash.msg" 127.0.0.1:$GWPORT >"$T/uash.out" 2>&1 &
UP=$!
sleep 0.5
sim call 1 5551004 4930111555 allowed speech redir=4930777444:1 >/dev/null
wait $UP
inv=$(sed -n '/^INVITE /,/^$/p' "$T/uash.msg")
if echo "$inv" | grep -q '^History-Info: <sip:4930777444@' && ! echo "$inv" | grep -q '^Diversion:' \
	&& ! echo "$inv" | grep -q '^P-Asserted-Identity:'; then pass trunk_identity_policy; else
	fail trunk_identity_policy "$(echo "$inv" | tr '\n' '|')"; fi
NCDR=$((NCDR + 2))

# 11g. SIP -> PSTN failover: the first group's span is down (cause 38),
# the call goes out on the next group
if sipp_uac spanfo tests/data/sipp/gw_call_uac.xml 91006 -d 200; then pass sip_to_pstn_failover_span; else
	fail sip_to_pstn_failover_span "$(grep 'SIP/2.0' "$T/spanfo.msg" | head -3 | tr '\n' ' ')"; fi
check_cdr spanfo "route = 'fo-pstn' AND called_out = '1006' AND span = 1 AND sip_status = 200"

# 11h. the trunk's INVITEs must authenticate (reload with inbound_user):
# 401 with a digest challenge, the retry with credentials goes through,
# wrong credentials get 403; then the credentials are taken out again
sed -i 's/^causes = sipp$/causes = sipp\ninbound_user = alice\ninbound_password = secret/' "$T/gw.conf"
ctl reload >/dev/null
sed -e 's/<recv response="100" optional="true" response_txn="inv2"\/>/<recv response="100" optional="true" response_txn="inv2"\/><recv response="180" optional="true" response_txn="inv2"\/><recv response="183" optional="true" response_txn="inv2"\/>/' \
	tests/data/sipp/dlg_auth_uac.xml >"$T/auth.xml"
if sipp_uac auth "$T/auth.xml" 1008; then pass trunk_inbound_digest; else
	fail trunk_inbound_digest "$(grep 'SIP/2.0' "$T/auth.msg" | head -4 | tr '\n' ' ')"; fi
check_cdr auth "called_in = '1008' AND sip_status = 200"
if sipp_uac authbad tests/data/sipp/gw_auth_bad_uac.xml 1008; then pass trunk_inbound_digest_wrong_403; else
	fail trunk_inbound_digest_wrong_403 "$(grep 'SIP/2.0' "$T/authbad.msg" | head -4 | tr '\n' ' ') $(tail -2 "$T/authbad.err" 2>/dev/null)"; fi
sed -i -e '/^inbound_user = alice$/d' -e '/^inbound_password = secret$/d' "$T/gw.conf"
ctl reload >/dev/null

# 12. the D-channel is down: 503 with Reason cause 38 (or 27)
kill "$SIMPID"; wait "$SIMPID" 2>/dev/null; SIMPID=""
sleep 1
if sipp_uac dchan "$(fail_scn 503 '\(27\|38\)')" 1001; then pass dchan_down_503; else
	fail dchan_down_503 "$(grep -A6 'SIP/2.0 5' "$T/dchan.msg" | head -8 | tr '\n' ' ')"; fi
check_cdr dchan "sip_status = 503 AND q850_cause IN (27, 38)"

# nothing stuck, the daemon still runs
n=$(ctl calls | grep -c '^call ')
[ "$n" = 0 ] && pass no_call_left || fail no_call_left "$(ctl calls)"
kill -0 "$GWPID" 2>/dev/null && pass gateway_alive || fail gateway_alive "$(tail -5 "$T/gw.log")"
if [ "$FAILS" != 0 ]; then
	echo "--- gw.log (tail)"; tail -40 "$T/gw.log"
fi
exit 0
