#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test` (test-all.sh): every stage, whatever fails on the way, then a
# summary that keeps apart what it counts, and one line "N passed, N failed"
# that adds them all up. `make test-matrix` (test-all.sh --matrix) runs only
# the per-target stages (the builds of the static checks and the QEMU boots)
# of the targets in TARGETS (default: all of scripts/targets.conf).
#
# Each stage appends one record per check to its results file
# (scripts/records.sh has the format):
#
#   distinct tests  each test of each suite, counted once: on the first
#                   kernel it ran on (its 32-bit build is the same test)
#   repeats         the same tests again: other kernels, 32-bit builds
#   lint            static checks, DKMS builds, the Debian packages
#   fuzzer runs     one check per run, with the operations it did
#
# A skipped test fails, and so does a stage that exits non-zero without a
# failed record, or records nothing. The test-time knobs are pinned here.
#
# The stages that boot a kernel under QEMU run two at a time (WMS_JOBS):
# single-threaded TCG keeps one host core busy each. Every target is built
# first, one at a time, so that no two builds share a directory.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

# Knobs that change what a stage checks: `make test` runs the defaults, so
# that no environment can make it check less. The other targets take them.
knobs=(WMS_FUZZ_OPS WMS_FUZZ_SEED WMS_FUZZ_SECONDS WMS_FUZZ_TIMEOUT
	WMS_UML_SUITES WMS_FAILNTH_ARGS WMS_UML_SUITE_TIMEOUT WMS_UML_TIMEOUT
	WMS_UML_ENDURANCE WMS_UML_MEM WMSCTL_TEST_BULK WMS_VM_TEST_TIMEOUT
	WMS_VM_TIMEOUT WMS_VM_CPU WMS_VM_KERNEL WMS_VM_QEMU_EXTRA
	WMS_ENDURANCE_CYCLES WMS_ENDURANCE_SECONDS WMS_ENDURANCE_THREADS
	WMS_ENDURANCE_TIMEOUT WMS_ENDURANCE_TRACE WMS_ENDURANCE_SLAB_NOISE_KB
	WMS_ENDURANCE_MEMFREE_NOISE_KB WMS_ENDURANCE_VMALLOC_NOISE_KB)
knobs+=(WMS_JOBS ARCHFLAGS NO32)
for k in "${knobs[@]}"; do
	if [ -n "${!k+set}" ]; then
		echo "make test: ignoring $k=${!k} from the environment (make test runs the defaults)"
		unset "$k"
	fi
done
echo "make test: every test knob at its default; each stage prints the ones it uses"

matrix=
[ "${1:-}" = --matrix ] && matrix=1
if [ -z "$matrix" ] && [ -n "${TARGETS+set}" ]; then
	echo "make test: ignoring TARGETS=$TARGETS (make test runs every target; make test-matrix takes TARGETS)"
	unset TARGETS
fi
echo "make test: kernels ${KERNELS:-pinned} (scripts/targets.conf${KERNELS:+; KERNELS=latest: the newest of the archive})"

results_dir=$(mktemp -d)
WMS_RESULTS=$results_dir/all
: > "$WMS_RESULTS"
trap 'rm -rf "$results_dir"' EXIT
start=$SECONDS
jobs_max=${WMS_JOBS:-2}

# finish_stage NAME RC: judge a finished stage by its own records, then
# add them to the run's.
finish_stage() {
	local name=$1 rc=$2 rec=$results_dir/$1.rec
	touch "$rec"
	if [ "$rc" -ne 0 ] && ! grep -q '^[^ ]* [^ ]* FAIL ' "$rec"; then
		echo "$name test FAIL stage exited with status $rc without a failed check" >> "$rec"
	elif [ ! -s "$rec" ]; then
		echo "$name test FAIL stage recorded no result" >> "$rec"
	fi
	cat "$rec" >> "$WMS_RESULTS"
}

# run_stage NAME CMD...: one stage in the foreground, shown live.
run_stage() {
	local name=$1 t0=$SECONDS rc
	shift
	say "$name: $*"
	WMS_RESULTS=$results_dir/$name.rec "$@"
	rc=$?
	finish_stage "$name" "$rc"
	say "$name: $((SECONDS - t0)) s"
}

# The background stages: started with spawn_stage, at most $jobs_max at a
# time; each one's output is shown when it ends.
declare -A running=()
reap_one() {
	local pid name rc
	wait -n -p pid "${!running[@]}" 2>/dev/null
	name=${running[$pid]}
	unset "running[$pid]"
	echo
	cat "$results_dir/$name.log"
	# A stage killed before it wrote its status failed.
	rc=$(cat "$results_dir/$name.rc" 2>/dev/null) || rc=1
	finish_stage "$name" "${rc:-1}"
	say "$name: $(cat "$results_dir/$name.time" 2>/dev/null) s"
}
spawn_stage() {
	local name=$1
	shift
	while [ "${#running[@]}" -ge "$jobs_max" ]; do reap_one; done
	say "$name: started: $*"
	(
		t0=$SECONDS
		WMS_RESULTS=$results_dir/$name.rec "$@" > "$results_dir/$name.log" 2>&1
		echo $? > "$results_dir/$name.rc"
		echo $((SECONDS - t0)) > "$results_dir/$name.time"
	) &
	running[$!]=$name
}

resolve_kernels
targets=()
target_list targets
echo "make test: targets ${targets[*]}"
if [ -z "$matrix" ]; then
	run_stage kunit bash "$WMS_ROOT/scripts/kunit.sh"
	run_stage uml-debug bash "$WMS_ROOT/scripts/uml-debug.sh"
fi
# Every target built and fetched first, one at a time (shown live); a
# target that cannot be is one failed check, and is not booted.
booted=()
for t in "${targets[@]}"; do
	say "prepare $t"
	t0=$SECONDS
	if bash "$WMS_ROOT/scripts/vm.sh" prepare "$t"; then
		booted+=("$t")
	else
		echo "vm-$t test FAIL stage build or download of the target failed" >> "$WMS_RESULTS"
	fi
	say "prepare $t: $((SECONDS - t0)) s"
done
if [ -z "$matrix" ]; then
	run_stage static bash "$WMS_ROOT/scripts/static-checks.sh"
	run_stage dkms bash "$WMS_ROOT/scripts/dkms-check.sh"
	run_stage deb bash "$WMS_ROOT/scripts/deb-check.sh"
else
	run_stage static bash "$WMS_ROOT/scripts/static-checks.sh" --builds
fi
# The longest first: endurance (about 6 minutes, on the newer Debian 12
# kernel only, to keep a cold `make test` well under 60 minutes; `make
# endurance KVER=...` runs it on any), then the targets in order.
if [ -z "$matrix" ] && [[ " ${booted[*]} " = *" amd64-6.12 "* ]]; then
	spawn_stage endurance bash "$WMS_ROOT/scripts/vm.sh" boot endurance amd64-6.12
fi
for t in "${booted[@]}"; do
	spawn_stage "vm-$t" bash "$WMS_ROOT/scripts/vm.sh" boot test "$t"
done
while [ "${#running[@]}" -gt 0 ]; do reap_one; done

echo
echo "stage results:"
awk '{ n[$1]++; if ($3 != "PASS") f[$1]++ }
     END { for (s in n) printf "  %-32s %5d passed, %d failed\n", s, n[s] - f[s], f[s] }' \
	"$WMS_RESULTS" | sort
# One line per target: every check that names its kernel (its build, its
# boot, its suites).
echo "targets:"
for t in "${targets[@]}"; do
	target_load "$t"
	awk -v k="$T_KVER" -v n="$t" -v a="$T_ARCH" '
		index($0, k) || $1 == "vm-" n { if ($3 == "PASS") p++; else f++ }
		END { printf "  %-12s %-7s %-26s %5d passed, %d failed\n", n, a, k, p, f }' \
		"$WMS_RESULTS"
done
if grep -q ' \(FAIL\|SKIP\) ' "$WMS_RESULTS"; then
	echo "failed or skipped:"
	grep ' \(FAIL\|SKIP\) ' "$WMS_RESULTS" | sed 's/^/  /' | head -n 60
fi
echo "make test took $((SECONDS - start)) s"
# A test's identity is its suite (the 32-bit build and the limits run are
# the same suite) and its name; the first run of it is the distinct test.
awk '
function add(what, res) { if (res == "PASS") p[what]++; else f[what]++ }
{
	res = $3
	if ($2 == "lint") { add("lint", res); next }
	if ($2 == "fuzz") {
		add("fuzz", res)
		if (match($0, /ops=[0-9]+/)) ops += substr($0, RSTART + 4, RLENGTH - 4)
		next
	}
	suite = $4
	sub(/32$/, "", suite)
	sub(/-limits$/, "", suite)
	name = $0
	sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", name)
	key = suite SUBSEP name
	if (key in seen) add("repeat", res); else { seen[key] = 1; add("distinct", res) }
}
END {
	printf "distinct tests: %d passed, %d failed\n", p["distinct"], f["distinct"]
	printf "repeats (other kernels, 32-bit builds): %d passed, %d failed\n", p["repeat"], f["repeat"]
	printf "lint (static checks, DKMS builds, Debian packages): %d passed, %d failed\n", p["lint"], f["lint"]
	printf "fuzzer runs: %d passed, %d failed (%d operations in all)\n", p["fuzz"], f["fuzz"], ops
	tp = p["distinct"] + p["repeat"] + p["lint"] + p["fuzz"]
	tf = f["distinct"] + f["repeat"] + f["lint"] + f["fuzz"]
	printf "%d passed, %d failed\n", tp, tf
	exit tf != 0
}' "$WMS_RESULTS"
