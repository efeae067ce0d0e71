#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh TARGET|KVER [MAKE ARGS...]: build wms.ko and wms_example.ko
# for a target of scripts/targets.conf (or the amd64 target whose release is
# KVER) in a copy of the sources under the cache (one per target, so two
# never share objects). Prints the build directory on the last line; make's
# output goes to stderr.
#   host     the machine's gcc-12 and its installed linux-headers-KVER
#   chroot   a debootstrap chroot of the target's suite (scripts/chroot.sh)
#   foreign  headers of another architecture, unpacked (scripts/cross.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$WMS_ROOT/scripts/fetch.sh"
source "$WMS_ROOT/scripts/targets.sh"

what=${1:?usage: build-module.sh TARGET|KVER [MAKE ARGS...]}
shift
target_select "$what"

# A build with extra make arguments (the static checks) gets its own directory.
dir="$WMS_CACHE/build/$T_NAME${1:+-args}"
rm -rf "$dir" && mkdir -p "$dir"
cp -a "$WMS_ROOT/Kbuild" "$WMS_ROOT/module" "$WMS_ROOT/include" "$dir/"
# Debian's headers have no vmlinux to generate BTF from: not our concern.
filter() { grep -v 'Skipping BTF generation' >&2 || true; }
case $T_BUILD in
host)
	ensure_pkgs gcc make "linux-headers-$T_KVER"
	kdir=/usr/src/linux-headers-$T_KVER
	[ -d "$kdir" ] || die "no $kdir: install linux-headers-$T_KVER"
	make -s -C "$kdir" M="$dir" "$@" 2>&1 | filter
	;;
chroot)
	source "$WMS_ROOT/scripts/chroot.sh"
	# Made and filled first, its notes on stdout as ensure_pkgs's are.
	chroot_ensure "$T_SUITE" "$T_KVER"
	chroot_build_module "$T_SUITE" "$T_KVER" "$dir" "$@" 2>&1 | filter
	;;
foreign)
	source "$WMS_ROOT/scripts/cross.sh"
	cross_build_module "$T_ARCH" "$T_SUITE" "$T_KVER" "$dir" "$@" 2>&1 | filter
	;;
*) die "$T_NAME: unknown BUILD '$T_BUILD'" ;;
esac
[ -f "$dir/module/wms.ko" ] || die "build failed for $T_NAME ($T_KVER)"
echo "$dir"
