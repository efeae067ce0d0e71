#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-image.sh TARGET|KVER: download and unpack the kernel image package of a
# target of scripts/targets.conf (cached under $WMS_CACHE/kernels) and
# print the path of the kernel QEMU boots: /boot/vmlinuz-KVER or
# /boot/vmlinux-KVER, or sid's /usr/lib/modules/KVER/vmlinuz.unsigned.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$WMS_ROOT/scripts/fetch.sh"
source "$WMS_ROOT/scripts/targets.sh"

target_select "${1:?usage: kernel-image.sh TARGET|KVER}"
dir=$WMS_CACHE/kernels/$T_ARCH-$T_KVER
if [ ! -f "$dir/.done" ] || ! grep -q "^${T_IMAGE}_" "$dir/.done"; then
	fetch_unpack "$T_SUITE" "$T_ARCH" "$dir" "$T_IMAGE" >&2
fi
for f in "$dir/boot/vmlinuz-$T_KVER" "$dir/boot/vmlinux-$T_KVER" \
	 "$dir/usr/lib/modules/$T_KVER/vmlinuz.unsigned" \
	 "$dir/usr/lib/modules/$T_KVER/vmlinuz"; do
	[ -f "$f" ] && { echo "$f"; exit 0; }
done
die "$T_IMAGE has no kernel image for $T_KVER (looked in $dir)"
