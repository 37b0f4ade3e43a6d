#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make run: start pstnsim (the PSTN far end, clock master of the virtual
# E1) and pstngw on the embedded default configuration in etc/, print how
# to use them, and run until Ctrl-C; then stop both cleanly.
# pstngw keeps running if pstnsim dies or is restarted by hand.
BUILD=${1:-build}
mkdir -p run
SIM_PID=""
GW_PID=""
stop() {
	trap - INT TERM EXIT
	echo
	echo "make run: stopping"
	[ -n "$GW_PID" ] && kill -TERM "$GW_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	exit 0
}
trap stop INT TERM EXIT

if [ -x "$BUILD/pstnsim" ] && [ -f etc/pstnsim.conf ]; then
	"$BUILD/pstnsim" -c etc/pstnsim.conf &
	SIM_PID=$!
	echo "make run: pstnsim started (pid $SIM_PID, config etc/pstnsim.conf)"
fi
"$BUILD/pstngw" -f -c etc/pstngw.conf &
GW_PID=$!
sleep 0.5
if ! kill -0 "$GW_PID" 2>/dev/null; then
	echo "make run: pstngw did not start; see the messages above"
	GW_PID=""
	stop
fi
cat <<EOT

pstngw is running (pid $GW_PID) on etc/pstngw.conf.
  SIP:       UDP and TCP on 127.0.0.1:5060, calls taken from 127.0.0.0/8
  TDM:       span 1, a virtual E1 to pstnsim (euroisdn, pstngw is CPE)
  Place a call to a pstnsim subscriber (tests/pstnsim/README.md):
             sipp -sn uac -i 127.0.0.1 -s 1001 -m 1 -d 2000 127.0.0.1:5060  (answers, loops audio)
             sipp -sn uac -i 127.0.0.1 -s 2001 -m 1 127.0.0.1:5060         (busy: 486, cause 17)
             or a softphone: sip:1001@127.0.0.1:5060
  subscribers: 100x loopback, 200x busy, 300x no answer, 4xxx unallocated,
             500x fax, 600x ringback+tone, 700x DTMF recorder, 800x line echo
  PSTN -> SIP: run a SIP phone or "sipp -sn uas -i 127.0.0.1 -p 5070" on 127.0.0.1:5070, then
             $BUILD/pstnsim -x run/pstnsim.ctl call 1 5551000 4930111222
  control:   $BUILD/pstngwctl calls | spans | media | help   (socket run/pstngw.ctl)
  CDRs:      sqlite3 run/cdr.sqlite 'select * from cdr'
  reload:    kill -HUP $GW_PID
Kill pstnsim (or restart it by hand) and watch the span go into alarm
and recover. Stop with Ctrl-C.
EOT
# run until Ctrl-C; pstnsim may come and go, the gateway stays
while kill -0 "$GW_PID" 2>/dev/null; do
	sleep 1
done
echo "make run: pstngw exited"
GW_PID=""
stop
