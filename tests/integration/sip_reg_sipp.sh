#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Outbound registration (sip/reg, RFC 3261 §10.2) against a real peer:
# sipp as registrar (tests/data/sipp/reg_*.xml, whose regexps check the
# REGISTERs: Expires, CSeq, credentials via verifyauth, Expires: 0 on
# stop) and regtest (tests/tools/regtest.c) as the client. Each case
# checks sipp's verdict and regtest's STATS line. The refresh case uses a
# 4 s binding to stay short. Prints PASS/FAIL/SKIP lines; every process
# started here is killed on exit. Ports: 127.0.0.1, 15600-15619.
SIP_TEST=sip_reg_sipp
. tests/data/sip/lib.sh
REG="$BUILD/tools/regtest"
sip_need "$REG"

# check_stats LOG EXPECT...: key=value words that must be on the STATS line
check_stats() {
	log=$1
	shift
	line=$(grep '^STATS ' "$log" | tail -1)
	[ -n "$line" ] || { echo "no STATS line"; return 1; }
	for e in "$@"; do
		case " $line " in
		*" $e "*) ;;
		*) echo "want $e in: $line"; return 1 ;;
		esac
	done
	return 0
}

# reg_case NAME PORT SCENARIO "REGTEST ARGS" EXPECT...
# sipp listens on PORT as registrar; regtest registers from PORT+1.
reg_case() {
	name=$1
	port=$2
	scen=$3
	args=$4
	shift 4
	timeout 60 sipp -sf "$SC/$scen.xml" -i 127.0.0.1 -p "$port" -m 1 \
		-timeout 30 -timeout_error -trace_msg -message_file "$W/$name.sipp.msg" \
		-trace_err -error_file "$W/$name.sipp.err" \
		>"$W/$name.sipp.out" 2>&1 </dev/null &
	spid=$!
	PIDS="$PIDS $spid"
	sleep 0.3
	# shellcheck disable=SC2086
	timeout 40 "$REG" -l 127.0.0.1:$((port + 1)) -r 127.0.0.1:"$port" \
		-a sip:alice@sipp.test $args >"$W/$name.regtest.log" 2>&1 </dev/null
	rrc=$?
	wait "$spid"
	src=$?
	PIDS=""
	if [ "$src" != 0 ]; then
		echo "FAIL $name: sipp exited $src (see $W/$name.sipp.*)"
		tail -3 "$W/$name.sipp.err" 2>/dev/null
		return
	fi
	if [ "$rrc" != 0 ]; then
		echo "FAIL $name: regtest exited $rrc"
		return
	fi
	if ! why=$(check_stats "$W/$name.regtest.log" "$@"); then
		echo "FAIL $name: $why"
		return
	fi
	echo "PASS $name"
}

reg_case reg_auth 15600 reg_auth "-u alice -p secret -n 1" \
	tx=3 auth=1 ok=1 fail=0 final=idle last=200
grep -q '^STATE registered 200 60$' "$W/reg_auth.regtest.log" &&
	echo "PASS reg_auth_granted_from_contact" ||
	echo "FAIL reg_auth_granted_from_contact: $(grep '^STATE' "$W/reg_auth.regtest.log" | tr '\n' ' ')"
reg_case reg_refresh 15602 reg_refresh "-e 4 -n 2" \
	tx=3 ok=2 fail=0 final=idle last=200
reg_case reg_423 15604 reg_423 "-e 60 -n 1" \
	tx=3 i423=1 ok=1 fail=0 final=idle last=200
reg_case reg_403 15606 reg_403 "-R 1 -n 1" \
	tx=3 ok=1 fail=1 final=idle last=200
grep -q '^STATE failed 403 0$' "$W/reg_403.regtest.log" &&
	echo "PASS reg_403_failed_state" ||
	echo "FAIL reg_403_failed_state: $(grep '^STATE' "$W/reg_403.regtest.log" | tr '\n' ' ')"
exit 0
