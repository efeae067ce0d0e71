# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The test targets of scripts/targets.conf. Sourced (after lib.sh and
# fetch.sh), not run.
#
#   target_names            the targets to run: $TARGETS if set (names,
#                           blank-separated), else every target, in order
#   target_load NAME        set T_NAME T_ARCH T_SUITE T_KVER T_BUILD
#                           T_IMAGE T_SUITES T_LATEST for NAME; with
#                           KERNELS=latest, T_KVER and T_IMAGE name the
#                           newest release that matches T_LATEST instead
#   target_for_kver KVER    the name of the target whose KVER is KVER
#   target_select TARGET|KVER  target_load a target, or by its release

WMS_TARGETS_CONF=$WMS_ROOT/scripts/targets.conf

target_names() {
	local all n seen=" "
	all=$(awk '!/^#/ && NF { print $1 }' "$WMS_TARGETS_CONF")
	[ -z "${TARGETS:-}" ] && { echo "$all"; return 0; }
	for n in $TARGETS; do
		grep -qxF "$n" <<<"$all" ||
			die "unknown target '$n' (scripts/targets.conf has: ${all//$'\n'/ })"
		[[ $seen = *" $n "* ]] && continue
		seen+="$n "
		echo "$n"
	done
}

# target_list ARRAY: target_names into the array named, or exit: an
# unknown name stops the caller, not only a subshell.
target_list() {
	local names
	names=$(target_names) || exit 1
	mapfile -t "$1" <<<"$names"
}

target_load() {
	local line newest
	line=$(awk -v n="$1" '!/^#/ && $1 == n' "$WMS_TARGETS_CONF")
	[ -n "$line" ] || die "unknown target '$1' (scripts/targets.conf)"
	read -r T_NAME T_ARCH T_SUITE T_KVER T_BUILD T_IMAGE T_SUITES T_LATEST <<<"$line"
	case ${KERNELS:-pinned} in
	pinned) ;;
	latest)
		newest=$(fetch_newest "$T_SUITE" "$T_ARCH" "linux-headers-($T_LATEST)")
		[ -n "$newest" ] || die "$T_NAME: no linux-headers-* in $T_SUITE ($T_ARCH) matches $T_LATEST"
		newest=${newest#linux-headers-}
		T_IMAGE=${T_IMAGE/"$T_KVER"/"$newest"}
		T_KVER=$newest
		;;
	*) die "KERNELS must be pinned (scripts/targets.conf) or latest, not '$KERNELS'" ;;
	esac
	export T_NAME T_ARCH T_SUITE T_KVER T_BUILD T_IMAGE T_SUITES T_LATEST
}

target_for_kver() {
	awk -v k="$1" '!/^#/ && $4 == k { print $1; exit }' "$WMS_TARGETS_CONF"
}

# target_select TARGET|KVER: target_load the target, or the one whose
# release KVER is; any other Debian 12 amd64 KVER (make endurance
# KVER=..., KERNELS=latest's releases) is a host target of its own.
target_select() {
	local name=$1
	case $name in
	[0-9]*)
		name=$(target_for_kver "$1")
		if [ -z "$name" ]; then
			[[ $1 = *-amd64 ]] ||
				die "no target in scripts/targets.conf has the release $1"
			T_NAME=amd64-$1 T_ARCH=amd64 T_SUITE=bookworm T_KVER=$1
			T_BUILD=host T_IMAGE=linux-image-$1-unsigned T_SUITES=full
			T_LATEST=
			export T_NAME T_ARCH T_SUITE T_KVER T_BUILD T_IMAGE T_SUITES T_LATEST
			return 0
		fi
		;;
	esac
	target_load "$name"
}
