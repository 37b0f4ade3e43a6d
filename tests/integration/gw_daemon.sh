#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The pstngw daemon skeleton as an operator sees it: config check (-t),
# errors naming file:line:key, control socket commands via pstngwctl,
# SIGHUP reload (good and bad file), SIGTERM graceful stop, background
# (daemon) mode with a pidfile.
BUILD=${BUILD:-build}
GW=$BUILD/pstngw
CTL=$BUILD/pstngwctl
T=$(mktemp -d /tmp/pstngw-daemon.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	[ -f "$T/gw.pid" ] && kill "$(cat "$T/gw.pid")" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { if eval "$2"; then pass "$1"; else fail "$1" "$3"; fi; }

# wait until a command succeeds, at most N tenths of a second
waitfor() {
	n=$1; shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

SIPPORT=15501
cat >"$T/good.conf" <<EOC
[general]
log_level = info
control_socket = $T/gw.ctl
[sip]
listen = udp:127.0.0.1:$SIPPORT, tcp:127.0.0.1:$SIPPORT
EOC
printf '[general]\nlog_level = loud\n' >"$T/badval.conf"
printf '[general]\n[sip]\nlisten = udp:localhost:5060\n' >"$T/badlisten.conf"
printf '[general]\nlog_levl = info\n' >"$T/typo.conf"
printf '[general]\ncontrol_socket = %s/gw.ctl\n[nosuch]\nx = 1\n' "$T" >"$T/sect.conf"

out=$($GW -t -c "$T/good.conf" 2>&1); rc=$?
check config_check_ok '[ $rc = 0 ] && echo "$out" | grep -q "configuration OK"' "rc=$rc out=$out"
out=$($GW -t -c "$T/badval.conf" 2>&1); rc=$?
check config_bad_value '[ $rc = 1 ] && echo "$out" | grep -q "badval.conf:2: \[general\] log_level: .loud. is not valid"' "rc=$rc out=$out"
out=$($GW -t -c "$T/typo.conf" 2>&1); rc=$?
check config_typo_hint '[ $rc = 1 ] && echo "$out" | grep -q "typo.conf:2: \[general\] unknown key .log_levl. (did you mean .log_level.?)"' "rc=$rc out=$out"
out=$($GW -t -c "$T/sect.conf" 2>&1); rc=$?
check config_unknown_section '[ $rc = 1 ] && echo "$out" | grep -q "sect.conf:3: unknown section \[nosuch\]"' "rc=$rc out=$out"
out=$($GW -t -c "$T/missing.conf" 2>&1); rc=$?
check config_missing_file '[ $rc = 1 ] && echo "$out" | grep -q "missing.conf: cannot open"' "rc=$rc out=$out"
out=$($GW -t -c "$T/badlisten.conf" 2>&1); rc=$?
check config_bad_listen '[ $rc = 1 ] && echo "$out" | grep -q "badlisten.conf:3: \[sip\] listen: .udp:localhost:5060. is not"' "rc=$rc out=$out"
out=$($GW -x 2>&1); rc=$?
check usage_error '[ $rc = 2 ] && echo "$out" | grep -q usage' "rc=$rc"

# foreground daemon
$GW -f -c "$T/good.conf" >"$T/fg.log" 2>&1 &
PID=$!
waitfor 50 $CTL -s "$T/gw.ctl" status
out=$($CTL -s "$T/gw.ctl" status 2>&1); rc=$?
check ctl_status '[ $rc = 0 ] && echo "$out" | grep -q "^pid: $PID"' "rc=$rc out=$out"
out=$($CTL -s "$T/gw.ctl" nosuchcmd 2>&1); rc=$?
check ctl_unknown_command '[ $rc = 1 ] && echo "$out" | grep -q "unknown command"' "rc=$rc out=$out"
out=$($CTL -s "$T/gw.ctl" loglevel debug sip 2>&1); rc=$?
check ctl_loglevel '[ $rc = 0 ]' "rc=$rc out=$out"

# SIP: the stack answers OPTIONS (RFC 3261 §11.2) over UDP and TCP; sipp
# is the peer. An INVITE nobody handles yet gets a final response.
if command -v sipp >/dev/null; then
	cat >"$T/options.xml" <<'EOX'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:gw@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:probe@[local_ip]:[local_port]>;tag=[call_number]
      To: <sip:gw@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
EOX
	for tp in u1 t1; do
		timeout 20 sipp -sf "$T/options.xml" -t $tp -i 127.0.0.1 -p 0 -m 5 -r 50 \
			-timeout 10 127.0.0.1:$SIPPORT >"$T/sipp-$tp.log" 2>&1 </dev/null
		rc=$?
		check sip_options_$tp '[ $rc = 0 ]' "sipp rc=$rc $(tail -3 "$T/sipp-$tp.log")"
	done
	out=$($CTL -s "$T/gw.ctl" sip 2>&1)
	check ctl_sip_counters 'echo "$out" | grep -q "^options_200: 10"' "$out"
else
	echo "SKIP sip_options: sipp not installed"
fi

# a second instance whose SIP port is taken fails cleanly, naming it
printf '[general]\ncontrol_socket = %s/gw2.ctl\n[sip]\nlisten = udp:127.0.0.1:%s\n' "$T" $SIPPORT >"$T/port.conf"
out=$($GW -f -c "$T/port.conf" 2>&1); rc=$?
check sip_port_in_use '[ $rc = 1 ] && echo "$out" | grep -q "\[sip\] listen UDP 127.0.0.1 port $SIPPORT" && [ ! -e "$T/gw2.ctl" ]' "rc=$rc out=$out"

# second instance on the same control socket refuses to start
out=$($GW -f -c "$T/good.conf" 2>&1); rc=$?
check second_instance_refused '[ $rc = 1 ] && echo "$out" | grep -q "in use"' "rc=$rc out=$out"

# SIGHUP with a broken file: keeps running, error names file:line:key
cp "$T/good.conf" "$T/good.conf.orig"
printf '[general]\nlog_level = info\ncontrol_socket = %s/gw.ctl\nbogus = 1\n[sip]\nlisten = udp:127.0.0.1:%s, tcp:127.0.0.1:%s\n' "$T" $SIPPORT $SIPPORT >"$T/good.conf"
kill -HUP $PID
waitfor 30 grep -q "reload failed" "$T/fg.log"
check reload_bad_kept 'grep -q "good.conf:4: \[general\] unknown key .bogus." "$T/fg.log" && kill -0 $PID' "$(tail -3 "$T/fg.log")"
out=$($CTL -s "$T/gw.ctl" status 2>&1)
check reload_bad_counted 'echo "$out" | grep -q "reloads: 0 ok, 1 failed"' "$out"

# SIGHUP with a good file, changed level
printf '[general]\nlog_level = debug\ncontrol_socket = %s/gw.ctl\n[sip]\nlisten = udp:127.0.0.1:%s, tcp:127.0.0.1:%s\n' "$T" $SIPPORT $SIPPORT >"$T/good.conf"
kill -HUP $PID
waitfor 30 sh -c "$CTL -s $T/gw.ctl status | grep -q 'reloads: 1 ok'"
out=$($CTL -s "$T/gw.ctl" status 2>&1)
check reload_ok 'echo "$out" | grep -q "log_level: debug"' "$out"
out=$($CTL -s "$T/gw.ctl" reload 2>&1); rc=$?
check ctl_reload '[ $rc = 0 ]' "rc=$rc out=$out"

# SIGTERM: graceful stop, exit 0, socket removed
kill -TERM $PID
i=0; while kill -0 $PID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
wait $PID; rc=$?
PID=""
check sigterm_stop '[ $rc = 0 ] && [ ! -e "$T/gw.ctl" ] && grep -q stopped "$T/fg.log"' "rc=$rc"

# background mode with pidfile; stop through the control socket
printf '[general]\ncontrol_socket = %s/gw.ctl\npidfile = %s/gw.pid\nlog_target = syslog\n[sip]\nlisten = udp:127.0.0.1:0\n' "$T" "$T" >"$T/bg.conf"
$GW -c "$T/bg.conf"; rc=$?
waitfor 50 $CTL -s "$T/gw.ctl" status
bgpid=$(cat "$T/gw.pid" 2>/dev/null)
check daemon_mode '[ $rc = 0 ] && [ -n "$bgpid" ] && kill -0 "$bgpid"' "rc=$rc pid=$bgpid"
out=$($CTL -s "$T/gw.ctl" stop 2>&1); rc=$?
i=0; while [ -n "$bgpid" ] && kill -0 "$bgpid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
check ctl_stop '[ $rc = 0 ] && ! kill -0 "$bgpid" 2>/dev/null && [ ! -e "$T/gw.pid" ]' "rc=$rc out=$out"
exit 0
