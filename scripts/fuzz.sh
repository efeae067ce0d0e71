#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [SECONDS [KVER...]]: `make fuzz SECONDS=N`. For each Debian kernel
# (default: the 6.1 and 6.12 kernels of `make test`), build wms.ko and the
# static binaries and boot the kernel under QEMU in the fuzz mode of
# userspace-test/vm/run-vm.sh (through scripts/vm.sh): wms loaded,
# userspace-test/wms_fuzz runs for SECONDS (default 300) with a random seed
# against its model of the ABI, then wms is unloaded and the kernel log, the
# taint and what is left behind are checked as in `make test`.
#
# The seed of each kernel is printed before its VM boots and in the summary;
# WMS_FUZZ_SEED=S fixes it (both kernels). A divergence prints the op, what
# the model expected and what the module did, and the command that replays
# it: wms_fuzz -s SEED -n OPS (e.g. in `make shell`).
#
# Exit status: 0 if every kernel ran clean (no divergence, no kernel problem
# line, every check passed), 1 otherwise.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

secs=${1:-300}
[[ $secs =~ ^[1-9][0-9]*$ ]] ||
	die "usage: fuzz.sh [SECONDS [KVER...]] (SECONDS: a whole number > 0, not '$secs')"
[ $# -gt 0 ] && shift
resolve_kernels
if [ $# -gt 0 ]; then
	kvers=("$@")
else
	kvers=("$WMS_KVER_61" "$WMS_KVER_612")
fi
if [ -n "${WMS_FUZZ_SEED:-}" ]; then
	[[ $WMS_FUZZ_SEED =~ ^[0-9]+$ ]] || die "WMS_FUZZ_SEED must be a number"
fi

start=$SECONDS
summary=()
rc=0
for k in "${kvers[@]}"; do
	# The seed is chosen here, not in the VM, so that it is known (and
	# printed) even if the VM never gets as far as the fuzzer.
	seed=${WMS_FUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
	say "fuzz $k: $secs s, seed $seed"
	t0=$SECONDS
	krc=0
	log="$WMS_CACHE/logs/vm-$k-fuzz.log"
	rm -f "$log"	# a build that fails leaves no log: never read an old one
	WMS_FUZZ_SECONDS=$secs WMS_FUZZ_SEED=$seed bash "$WMS_ROOT/scripts/vm.sh" fuzz "$k" || krc=$?
	figs=""
	divs=""
	if [ -f "$log" ]; then
		figs=$(tr -d '\r' < "$log" | sed -n 's/^WMS-FUZZ: //p' | paste -sd' ' - |
			sed 's/ *seed=[0-9]*//')
		# The divergence, the line after it (expected/got) and the
		# replay command of the shrink.
		divs=$(tr -d '\r' < "$log" |
			grep -E -A1 '^# DIVERGENCE' | grep -v '^--$' | head -n 4 || true)
		divs+=$(tr -d '\r' < "$log" |
			grep -E '^# shortest failing prefix' | sed '1s/^/\n/' || true)
	fi
	if [ "$krc" -eq 0 ]; then
		verdict=ok
	else
		verdict=FAILED
		rc=1
	fi
	summary+=("$verdict $k: seed $seed, ${figs:-no fuzzer figures}, $((SECONDS - t0)) s wall")
	if [ -n "$divs" ]; then
		while IFS= read -r line; do
			summary+=("  $line")
		done <<<"$divs"
	fi
	[ "$krc" -eq 0 ] || summary+=("  serial log: $log")
done

echo
echo "fuzz results ($secs s per kernel, $((SECONDS - start)) s in all):"
printf '  %s\n' "${summary[@]}"
if [ "$rc" -eq 0 ]; then
	echo "fuzz: passed on ${#kvers[@]} kernel(s), no divergence"
else
	echo "fuzz: FAILED (replay a divergence with wms_fuzz -s SEED -n OPS)"
fi
exit "$rc"
