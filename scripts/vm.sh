#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh MODE [TARGET|KVER]: build wms.ko for a target of scripts/targets.conf
# (default amd64-6.12; an amd64 KVER names its target), build the static test
# binaries for its architecture, fetch its kernel, and boot it under QEMU in
# that mode (userspace-test/vm/run-vm.sh, which also lists the knobs:
# WMS_FUZZ_SEED, WMS_FUZZ_OPS, WMS_FUZZ_SECONDS, WMS_ENDURANCE_*,
# WMS_VM_TIMEOUT...).
#   test       the suites and the fuzzer with seed 1: targets with SUITES
#              full run every suite and 1,000,000 ops; abi targets the ABI
#              suites, the hostile tests and 100,000 ops
#   endurance  1000 insmod/rmmod cycles with entries, 60 s of wms_load, memory
#              against a baseline (userspace-test/endurance.sh)
#   fuzz       wms_fuzz for WMS_FUZZ_SECONDS (`make fuzz`, scripts/fuzz.sh)
#   run|shell  the demo, or a shell
#   prepare    only the builds and downloads; then `vm.sh boot MODE TARGET`
#              boots what prepare made (`make test` prepares every target
#              first, then boots two at a time)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$WMS_ROOT/scripts/fetch.sh"
source "$WMS_ROOT/scripts/targets.sh"

usage="usage: vm.sh test|run|shell|endurance|fuzz|prepare [TARGET|KVER], vm.sh boot MODE TARGET"
mode=${1:?$usage}
boot_only=
if [ "$mode" = boot ]; then
	boot_only=1
	mode=${2:?$usage}
	shift
fi
sel=${2:-amd64-6.12}
target_select "$sel"
env=$WMS_CACHE/prepared/$T_NAME.env

prepare() {
	local kodir bindir kernel
	ensure_pkgs busybox-static cpio kmod gcc make zstd xz-utils binutils
	ensure_source_tree
	kodir=$("$WMS_ROOT/scripts/build-module.sh" "$sel" | tail -n1)
	case $T_ARCH in
	amd64 | i386) ensure_pkgs qemu-system-x86 ;;
	arm64) ensure_pkgs qemu-system-arm ;;
	ppc64el) ensure_pkgs qemu-system-ppc ;;
	s390x) ensure_pkgs qemu-system-misc ;;
	*) die "no QEMU package known for $T_ARCH" ;;
	esac
	if [ "$T_ARCH" = amd64 ]; then
		ensure_pkgs gcc-multilib libc6-dev-i386
		bindir="$WMS_CACHE/userspace-test"
		make -s -C "$WMS_ROOT/userspace-test" O="$bindir" \
			KSFT="$WMS_SRC/tools/testing/selftests" ARCHFLAGS=-m64 NO32= >&2
		make -s -C "$WMS_ROOT/tools" O="$bindir" STATIC=1 >&2
		install -m 0755 "$WMS_ROOT/userspace-test/wmsctl_test.sh" \
			"$WMS_ROOT/userspace-test/endurance.sh" "$bindir/"
	else
		source "$WMS_ROOT/scripts/cross.sh"
		bindir=$(cross_build_tests "$T_ARCH" | tail -n1)
	fi
	kernel=$("$WMS_ROOT/scripts/kernel-image.sh" "$sel" | tail -n1)
	mkdir -p "$(dirname "$env")"
	printf 'kodir=%q\nbindir=%q\nkernel=%q\n' "$kodir" "$bindir" "$kernel" > "$env"
}

if [ -z "$boot_only" ] || [ ! -f "$env" ]; then
	[ -n "$boot_only" ] && say "$T_NAME was not prepared: preparing it now"
	prepare
fi
[ "$mode" = prepare ] && exit 0
# shellcheck disable=SC1090
source "$env"

# abi targets: a tenth of the fuzzer's operations.
if [ "$mode" = test ] && [ "$T_SUITES" = abi ]; then
	export WMS_FUZZ_OPS=${WMS_FUZZ_OPS:-100000}
fi

# No second boot after a failed one: a boot that dies is a failure to fix
# (TCG's text-patching races were, by running it single-threaded).
exec bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" \
	--kver "$T_KVER" --arch "$T_ARCH" --mode "$mode" --ko-dir "$kodir" \
	--bin-dir "$bindir" --kernel "$kernel"
