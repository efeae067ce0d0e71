#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh test|run|shell|endurance|fuzz [KVER]: build wms.ko against Debian's
# headers for KVER (default: the Debian 6.12 kernel), build the static test
# binaries, and boot that kernel under QEMU with them in that mode
# (userspace-test/vm/run-vm.sh, which also lists the knobs: WMS_FUZZ_SEED,
# WMS_FUZZ_OPS, WMS_FUZZ_SECONDS, WMS_ENDURANCE_*, WMS_VM_TIMEOUT...).
#   test       the suites and 1,000,000 fuzzer ops with seed 1
#   endurance  1000 insmod/rmmod cycles with entries, 60 s of wms_load, memory
#              against a baseline (userspace-test/endurance.sh)
#   fuzz       wms_fuzz for WMS_FUZZ_SECONDS (`make fuzz`, scripts/fuzz.sh)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

mode=${1:?usage: vm.sh test|run|shell|endurance|fuzz [KVER]}
resolve_kernels
kver=${2:-$WMS_KVER_612}

ensure_pkgs qemu-system-x86 busybox-static cpio kmod gcc make gcc-multilib zstd \
	xz-utils binutils libc6-dev-i386
ensure_source_tree

kodir=$("$WMS_ROOT/scripts/build-module.sh" "$kver" | tail -n1)
bindir="$WMS_CACHE/userspace-test"
make -s -C "$WMS_ROOT/userspace-test" O="$bindir" \
	KSFT="$WMS_SRC/tools/testing/selftests" >&2
make -s -C "$WMS_ROOT/tools" O="$bindir" STATIC=1 >&2
install -m 0755 "$WMS_ROOT/userspace-test/wmsctl_test.sh" \
	"$WMS_ROOT/userspace-test/endurance.sh" "$bindir/"

# No second boot after a failed one: a boot that dies is a failure to fix
# (TCG's text-patching races were, by running it single-threaded).
exec bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" --kver "$kver" \
	--mode "$mode" --ko-dir "$kodir" --bin-dir "$bindir"
