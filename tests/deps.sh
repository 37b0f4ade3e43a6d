#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian packages named on the command line that are missing.
# A no-op (one dpkg-query) when everything is present.
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || exit 1
$SUDO apt-get install -y -qq --no-install-recommends $missing || {
	echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
