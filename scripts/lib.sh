# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers of the wms scripts; sourced, not run.

WMS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WMS_CACHE=${WMS_CACHE:-$HOME/.cache/wms}
export WMS_ROOT WMS_CACHE
mkdir -p "$WMS_CACHE"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# record STAGE KIND RESULT SUITE NAME...: append one check's result to the
# results file of `make test`, if any (the format of scripts/records.sh;
# KIND is test, lint or fuzz, RESULT PASS, FAIL or SKIP).
record() {
	[ -n "${WMS_RESULTS:-}" ] && echo "$*" >> "$WMS_RESULTS"
	return 0
}

# Installing is a step of its own: everything apt and dpkg print goes to
# $WMS_APT_LOG, never into the output of a check, and a failure is one clear
# error that names the packages.
WMS_APT_LOG=$WMS_CACHE/logs/apt.log
export WMS_APT_LOG

# apt-get with its output appended to the log; waits for another apt's lock.
apt_logged() {
	mkdir -p "$(dirname "$WMS_APT_LOG")"
	printf '\n=== %s apt-get %s\n' "$(date -u +%FT%TZ)" "$*" >> "$WMS_APT_LOG"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
		"$@" >> "$WMS_APT_LOG" 2>&1 </dev/null
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update (log: $WMS_APT_LOG)"
	apt_logged update -qq || die "apt-get update failed (see $WMS_APT_LOG)"
	apt_updated=1
}

# Install the Debian packages named that are not installed yet; quiet when
# everything is there.
ensure_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	say "installing ${missing[*]} (log: $WMS_APT_LOG)"
	if ! apt_logged install -y -qq --no-install-recommends "${missing[@]}"; then
		apt_update_once
		apt_logged install -y -qq --no-install-recommends "${missing[@]}" ||
			die "apt-get install ${missing[*]} failed; the end of $WMS_APT_LOG:
$(tail -n 15 "$WMS_APT_LOG")"
	fi
}

# The Debian 6.1 and 6.12 amd64 kernels of scripts/targets.conf (the host
# builds the stages that are not per target use: static checks, DKMS,
# bench, fuzz, endurance), as WMS_KVER_61 and WMS_KVER_612.
resolve_kernels() {
	# shellcheck source=fetch.sh
	source "$WMS_ROOT/scripts/fetch.sh"
	# shellcheck source=targets.sh
	source "$WMS_ROOT/scripts/targets.sh"
	target_load amd64-6.1
	WMS_KVER_61=$T_KVER
	target_load amd64-6.12
	WMS_KVER_612=$T_KVER
	export WMS_KVER_61 WMS_KVER_612
}

# The extracted Debian linux-source-6.1 tree (KUnit, checkpatch, harness).
ensure_source_tree() {
	WMS_SRC="$WMS_CACHE/linux-source-6.1"
	export WMS_SRC
	[ -f "$WMS_SRC/Makefile" ] && return 0
	ensure_pkgs linux-source-6.1 xz-utils
	say "extracting linux-source-6.1 into $WMS_CACHE"
	rm -rf "$WMS_SRC.tmp" && mkdir -p "$WMS_SRC.tmp"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$WMS_SRC.tmp"
	mv "$WMS_SRC.tmp/linux-source-6.1" "$WMS_SRC" && rmdir "$WMS_SRC.tmp"
}
