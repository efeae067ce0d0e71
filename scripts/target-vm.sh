#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# target-vm.sh TARGET [MODE]: test wms on one BUILD=foreign target of
# scripts/targets.conf (i386-6.1, arm64-6.12, ppc64el-6.1, s390x-6.1):
#   1. build wms.ko and wms_example.ko (scripts/build-module.sh TARGET W=1
#      KCFLAGS=-Wmaybe-uninitialized); a compiler warning fails the run
#   2. build the arch's static test binaries (cross_build_tests,
#      scripts/cross.sh) into $WMS_CACHE/userspace-test-ARCH
#   3. fetch the kernel image (scripts/kernel-image.sh TARGET)
#   4. boot it: userspace-test/vm/run-vm.sh --mode MODE (default test)
#      --arch ARCH --kernel IMAGE, with WMS_FUZZ_OPS=100000 unless set
# Prints "build TARGET: N warnings" and run-vm.sh's lines; exits with
# run-vm.sh's status (1 also for a warning or a failed build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$WMS_ROOT/scripts/fetch.sh"
source "$WMS_ROOT/scripts/targets.sh"
source "$WMS_ROOT/scripts/cross.sh"

target=${1:?usage: target-vm.sh TARGET [test|run|shell|fuzz|endurance]}
mode=${2:-test}
target_load "$target"
[ "$T_BUILD" = foreign ] || die "$target is not a BUILD=foreign target (scripts/targets.conf)"

case $T_ARCH in
i386) qpkg=qemu-system-x86 ;;
arm64) qpkg=qemu-system-arm ;;
ppc64el) qpkg=qemu-system-ppc ;;
s390x) qpkg=qemu-system-misc ;;
*) die "no QEMU package known for $T_ARCH" ;;
esac
ensure_pkgs "$qpkg" cpio kmod binutils make
ensure_source_tree

mkdir -p "$WMS_CACHE/logs"
blog=$WMS_CACHE/logs/build-$T_NAME.log
if ! "$WMS_ROOT/scripts/build-module.sh" "$T_NAME" W=1 KCFLAGS=-Wmaybe-uninitialized \
	>"$blog.out" 2>"$blog"; then
	cat "$blog" >&2
	die "build of wms for $T_NAME failed (log: $blog)"
fi
kodir=$(tail -n 1 "$blog.out")
nwarn=$(grep -c 'warning:' "$blog" || true)
echo "build $T_NAME: $nwarn warnings"
if [ "$nwarn" != 0 ]; then
	cat "$blog" >&2
	exit 1
fi

bindir=$(cross_build_tests "$T_ARCH" | tail -n 1) ||
	die "build of the $T_ARCH test binaries failed"
kernel=$("$WMS_ROOT/scripts/kernel-image.sh" "$T_NAME" | tail -n 1)

export WMS_FUZZ_OPS=${WMS_FUZZ_OPS:-100000}
exec bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" --kver "$T_KVER" --mode "$mode" \
	--arch "$T_ARCH" --kernel "$kernel" --ko-dir "$kodir" --bin-dir "$bindir"
