#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KVER [MAKE ARGS...]: build wms.ko and wms_example.ko
# against Debian's linux-headers-KVER in a copy of the sources under the
# cache (one per kernel, so two kernels never share objects). Prints the
# build directory on the last line; its make output goes to stderr.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

kver=${1:?usage: build-module.sh KVER [MAKE ARGS...]}
shift
ensure_pkgs gcc make "linux-headers-$kver"
kdir=/usr/src/linux-headers-$kver
[ -d "$kdir" ] || die "no $kdir: install linux-headers-$kver"

dir="$WMS_CACHE/build/$kver"
rm -rf "$dir" && mkdir -p "$dir"
cp -a "$WMS_ROOT/Kbuild" "$WMS_ROOT/module" "$WMS_ROOT/include" "$dir/"
# Debian's headers have no vmlinux to generate BTF from: not our concern.
make -s -C "$kdir" M="$dir" "$@" 2>&1 | grep -v 'Skipping BTF generation' >&2 || true
[ -f "$dir/module/wms.ko" ] || die "build failed for $kver"
echo "$dir"
