#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the system.conf vectors in this directory with the real
# dahdi_genconf (Debian package `dahdi`), run against fake /proc/dahdi
# trees (DAHDI_VIRT_TOP) describing cards we do not have. Each NAME.conf
# is exactly what dahdi_genconf wrote, except the timestamp line, which is
# fixed so the files do not change on every run.
#   sh tests/data/dahdi/gen.sh        (from the repository root)
set -e
command -v dahdi_genconf >/dev/null || { echo "dahdi_genconf not found: apt-get install --no-install-recommends dahdi-source dahdi (dahdi-source first, so dahdi-dkms is not pulled in)"; exit 1; }
OUT=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# span NUM FIRSTCHAN NCHANS NAME DESCRIPTION [SIGNALLING]
span() {
	f="$TOP/proc/dahdi/$1"
	mkdir -p "$TOP/proc/dahdi" "$TOP/sys"
	printf 'Span %s: %s %s\n\n' "$1" "$4" "$5" >"$f"
	i=1
	while [ "$i" -le "$3" ]; do
		printf '%12d %s/%d %s\n' $(($2 + i - 1)) "$4" "$((i - 1))" "$6" >>"$f"
		i=$((i + 1))
	done
}

# gen NAME  (uses $TOP and $TMP/params.NAME if present)
gen() {
	params="$TMP/params.$1"
	[ -f "$params" ] || : >"$params"
	DAHDI_VIRT_TOP="$TOP" GENCONF_PARAMETERS="$params" \
		DAHDI_CONF_FILE="$TMP/$1.conf" dahdi_genconf system
	sed -e '1s/ on .*/ on Tue Nov 24 12:00:00 2026/' "$TMP/$1.conf" >"$OUT/$1.conf"
	echo "wrote $OUT/$1.conf"
}

# Two E1 PRI spans on a quad card, defaults (TE, oslec, zone us).
TOP=$TMP/e1; span 1 1 31 TE4/0/1 '"T4XXP (PCI) Card 0 Span 1" (MASTER) HDB3/CCS/CRC4 RED'
span 2 32 31 TE4/0/2 '"T4XXP (PCI) Card 0 Span 2" HDB3/CCS/CRC4 RED'
cat >"$TMP/params.e1_pri_2span" <<P
lc_country	nl
P
gen e1_pri_2span

# Four T1 spans, span 1 NT (clock master towards a PBX), mg2 canceller.
TOP=$TMP/t1
for n in 1 2 3 4; do
	span $n $(( (n - 1) * 24 + 1 )) 24 TE4/0/$n "\"T4XXP (PCI) Card 0 Span $n\" B8ZS/ESF RED"
done
cat >"$TMP/params.t1_pri_4span" <<P
echo_can	mg2
pri_termtype
	SPAN/1		NT
	SPAN/*		TE
P
gen t1_pri_4span

# An analog card (4 ports) before an E1: the E1 starts at channel 5.
TOP=$TMP/ana
span 1 1 2 WCTDM/0 '"Wildcard TDM400P REV I Board 1"' FXOKS
span 2 3 2 WCTDM/1 '"Wildcard TDM400P REV I Board 2"' FXSKS
span 3 5 31 WCTE13x/0 '"Wildcard TE131/TE133 Card 0" (MASTER) HDB3/CCS/CRC4 RED'
cat >"$TMP/params.analog_e1" <<P
echo_can	none
P
gen analog_e1

# Two BRI ports (hardware HDLC) then an E1: BRI spans take 3 channels.
TOP=$TMP/bri
span 1 1 3 B4/0/1 '"B4XXP (PCI) Card 0 Span 1" BRI_TE AMI/CCS'
span 2 4 3 B4/0/2 '"B4XXP (PCI) Card 0 Span 2" BRI_NT AMI/CCS'
span 3 7 31 TE2/0/1 '"T2XXP (PCI) Card 0 Span 1" HDB3/CCS/CRC4 RED'
cat >"$TMP/params.bri_e1" <<P
bri_hardhdlc	yes
P
gen bri_e1

# MFC/R2 E1: cas= channels, which are not ours.
TOP=$TMP/r2; span 1 1 31 TE4/0/1 '"T4XXP (PCI) Card 0 Span 1" HDB3/CCS/CRC4 RED'
cat >"$TMP/params.e1_r2" <<P
pri_connection_type	R2
P
gen e1_r2
