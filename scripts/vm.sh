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
make -s -C "$WMS_ROOT/tools" O="$bindir" STATIC=1 >&2
install -m 0755 "$WMS_ROOT/userspace-test/wmsctl_test.sh" "$bindir/"

run_vm() {
	bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" --kver "$kver" \
		--mode "$mode" --ko-dir "$kodir" --bin-dir "$bindir"
}
[ "$mode" = test ] || { run_vm; exit; }

# A test boot that dies before it reaches wms (QEMU's TCG has been seen to
# panic while patching kernel text at boot) says nothing about wms: boot
# once more. Anything that happens once wms is loading counts.
results_before=$( [ -n "${WMS_RESULTS:-}" ] && wc -l < "$WMS_RESULTS" || echo 0)
run_vm && exit 0
rc=$?
log="$WMS_CACHE/logs/vm-$kver-test.log"
if [ "$rc" -eq 1 ] && [ -f "$log" ] && ! grep -q '### insmod /wms.ko' "$log"; then
	echo "vm.sh: the $kver VM died before loading wms; booting it again"
	if [ -n "${WMS_RESULTS:-}" ]; then
		head -n "$results_before" "$WMS_RESULTS" > "$WMS_RESULTS.tmp" &&
			mv "$WMS_RESULTS.tmp" "$WMS_RESULTS"
	fi
	run_vm
	exit
fi
exit "$rc"
