#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [KVER...]: `make bench`. Builds wms.ko against Debian's headers for
# each kernel (default: the Debian 6.1 and 6.12 kernels, as `make test`) and
# the static userspace-test/wms_bench, boots each kernel under QEMU in the
# bench mode of userspace-test/vm/run-vm.sh, and leaves in docs/bench/:
#
#   results-KVER.csv  kernel,op,facility,N,ns_median,ratio_median,runs,notes
#   summary-KVER.md   the tables and the issue's targets evaluated from them
#   bench-KVER.png    per-op cost (ratio to a null ioctl) against N, log scale,
#                     one line per facility
#
# and prints every kernel's tables and targets at the end.
#
# The whole run is held under WMS_BENCH_TOTAL seconds (default 840): after the
# builds, each VM gets an equal share of what is left, and wms_bench skips,
# and says why, what does not fit its share (see wms_bench.c). Other knobs:
# WMS_BENCH_MEM (guest MiB, default 4096), WMS_BENCH_ARGS (extra wms_bench
# options), WMS_BENCH_OUT (default docs/bench), WMS_VM_CPU (the emulated CPU,
# default max), WMS_CACHE (see lib.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start=$SECONDS
total=${WMS_BENCH_TOTAL:-840}
[[ $total =~ ^[0-9]+$ ]] || die "WMS_BENCH_TOTAL must be whole seconds"
# Per VM, beyond the benchmark itself: boot, the CSV dump, power-off.
vm_overhead=40
# After the last VM: plots and the summary.
tail_time=15

resolve_kernels
if [ $# -gt 0 ]; then
	kvers=("$@")
else
	kvers=("$WMS_KVER_61" "$WMS_KVER_612")
fi

ensure_pkgs qemu-system-x86 busybox-static cpio kmod gcc make zstd xz-utils \
	binutils libc6-dev gnuplot-nox
ensure_source_tree

out=${WMS_BENCH_OUT:-$WMS_ROOT/docs/bench}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bindir="$WMS_CACHE/bench-bin"
mkdir -p "$bindir"

say "building wms_bench and wms.ko for ${kvers[*]}"
make -s -C "$WMS_ROOT/userspace-test" O="$bindir" \
	KSFT="$WMS_SRC/tools/testing/selftests" "$bindir/wms_bench" >&2
declare -A kodir
for k in "${kvers[@]}"; do
	kodir[$k]=$("$WMS_ROOT/scripts/build-module.sh" "$k" | tail -n1)
done
# What is measured: the tree's state at build time.
tree="git $(git -C "$WMS_ROOT" describe --always --dirty 2>/dev/null || echo '?')"
tree+=" (wms_bench.c sha256 $(sha256sum "$WMS_ROOT/userspace-test/wms_bench.c" | cut -c1-12))"
say "builds took $((SECONDS - start)) s"

# plot KVER: docs/bench/bench-KVER.png from results-KVER.csv.
plot() {
	local k=$1 csv="$out/results-$1.csv" png="$out/bench-$1.png" gp op fac i
	local ops=(create_destroy create_fill_destroy lookup)
	local facs=(wms posix_shm sysv_shm keyring memfd)
	[ -s "$csv" ] || return 1
	gp=$(mktemp)
	{
		echo "set terminal pngcairo noenhanced size 1800,640 font ',10'"
		echo "set output '$png'"
		echo "set multiplot layout 1,3 title 'wms and the anchors on Linux $k (QEMU TCG): cost per operation / null ioctl, median of the runs; N = 0 drawn at 100'"
		echo "set logscale xy"
		echo "set xrange [50:2000000]"
		echo "set xtics ('0' 100, '1e3' 1000, '1e4' 10000, '1e5' 100000, '1e6' 1000000)"
		echo "set xlabel 'N other objects present'"
		echo "set ylabel 'ns per op / ns per null ioctl'"
		echo "set grid"
		echo "set key below horizontal"
		for op in "${ops[@]}"; do
			for fac in "${facs[@]}"; do
				echo "\$d_${op}_${fac} << EOD"
				# fields: kernel,op,facility,N,ns_median,ratio_median,...
				awk -F, -v op="$op" -v fac="$fac" \
					'$2 == op && $3 == fac && $6 != "" { print ($4 == 0 ? 100 : $4), $6 }' "$csv"
				echo "EOD"
			done
		done
		for op in "${ops[@]}"; do
			echo "set title '$op'"
			printf "plot 1 with lines dt 2 lc 'gray' title 'null ioctl'"
			i=1
			for fac in "${facs[@]}"; do
				[ "$op" = lookup ] && [ "$fac" = memfd ] && continue
				[ $i -gt 0 ] && printf ', '
				printf "\$d_%s_%s using 1:2 with linespoints lw 2 pt 7 title '%s'" "$op" "$fac" "$fac"
				i=$((i + 1))
			done
			echo
		done
		echo "unset multiplot"
	} >"$gp"
	if gnuplot "$gp" 2>"$gp.err"; then
		say "wrote $png"
	else
		cat "$gp.err" >&2
		rm -f "$gp" "$gp.err"
		return 1
	fi
	rm -f "$gp" "$gp.err"
}

# host_sampler FILE: every 5 s, "load-average qemu-processes" (the numbers
# of this host's CPUs are shared with whatever else runs on it).
host_sampler() {
	while :; do
		echo "$(cut -d' ' -f1 /proc/loadavg) $(pgrep -c '^qemu-system' || true)" >>"$1"
		sleep 5
	done
}

# host_note FILE: one line on how busy the host was (our VM is one QEMU).
host_note() {
	awk -v cpus="$(nproc)" '
		{ n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; if ($2 > 1) busy++ }
		END {
			if (!n) exit
			printf "host during the run: %d CPUs, 1-min load average %.2f..%.2f over %d samples (5 s apart); another QEMU was running in %d of them\n", cpus, lo, hi, n, busy
		}' "$1"
}

rc=0
n=${#kvers[@]}
for i in "${!kvers[@]}"; do
	k=${kvers[i]}
	left=$((total - (SECONDS - start) - tail_time))
	budget=$((left / (n - i) - vm_overhead))
	if [ "$budget" -lt 90 ]; then
		echo "error: only ${budget}s left for the benchmark on $k (WMS_BENCH_TOTAL=$total); skipping it" >&2
		rc=1
		continue
	fi
	say "bench on $k: ${budget}s for the benchmark in the VM"
	rm -f "$out/results-$k.csv" "$out/summary-$k.md" "$out/bench-$k.png"
	samples=$(mktemp)
	host_sampler "$samples" &
	sampler=$!
	WMS_BENCH_BUDGET=$budget bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" \
		--kver "$k" --mode bench --ko-dir "${kodir[$k]}" \
		--bin-dir "$bindir" --out "$out" || rc=1
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	note=$(host_note "$samples")
	rm -f "$samples"
	# What was measured: the module's source checksum and the tree's state.
	build="module: wms.ko srcversion $(modinfo -F srcversion "${kodir[$k]}/module/wms.ko" 2>/dev/null || echo '?'), built from $tree; QEMU -cpu ${WMS_VM_CPU:-max}"
	say "$build"
	[ -n "$note" ] && say "$note"
	if [ -s "$out/summary-$k.md" ]; then
		printf '\n## Host and build\n\n- %s\n' "$build" >>"$out/summary-$k.md"
		[ -n "$note" ] && printf -- '- %s\n' "$note" >>"$out/summary-$k.md"
	fi
	plot "$k" || { echo "error: no plot for $k" >&2; rc=1; }
done

echo
echo "==================== make bench: summary ===================="
for k in "${kvers[@]}"; do
	md="$out/summary-$k.md"
	echo
	echo "######## Linux $k"
	if [ -s "$md" ]; then
		# The tables and the targets; the list of every figure is in the file.
		sed -n '/^## ns per operation/,/^## All figures/p' "$md" | sed '$d'
		grep -E '^- (host during the run|module:)' "$md" || true
	else
		echo "(no summary: the run failed, see ${WMS_CACHE}/logs/vm-$k-bench.log)"
	fi
done
echo
echo "files: $out/{results-KVER.csv,summary-KVER.md,bench-KVER.png}"
echo "make bench took $((SECONDS - start)) s"
exit $rc
