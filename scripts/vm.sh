#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh test|run|shell [KVER]: build wms.ko against Debian's headers for KVER
# (default: the Debian 6.12 kernel), build the static test binaries, and
# boot that kernel under QEMU with them (userspace-test/vm/run-vm.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mode=${1:?usage: vm.sh test|run|shell [KVER]}
resolve_kernels
kver=${2:-$WMS_KVER_612}

ensure_pkgs qemu-system-x86 busybox-static cpio kmod gcc make gcc-multilib zstd \
	xz-utils binutils libc6-dev-i386
ensure_source_tree

kodir=$("$WMS_ROOT/scripts/build-module.sh" "$kver" | tail -n1)
bindir="$WMS_CACHE/userspace-test"
make -s -C "$WMS_ROOT/userspace-test" O="$bindir" \
	KSFT="$WMS_SRC/tools/testing/selftests" >&2

exec bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" --kver "$kver" \
	--mode "$mode" --ko-dir "$kodir" --bin-dir "$bindir"
