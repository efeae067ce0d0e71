#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: every stage, whatever fails on the way, then a summary that
# keeps apart what it counts, and one line "N passed, N failed" that adds
# them all up. Each stage appends one record per check to $WMS_RESULTS
# (scripts/records.sh has the format):
#
#   distinct tests  each test of each suite, counted once: on the first
#                   kernel it ran on (its 32-bit build is the same test)
#   repeats         the same tests again: other kernels, 32-bit builds
#   lint            static checks and DKMS builds
#   fuzzer runs     one check per run, with the operations it did
#
# A skipped test fails, and so does a stage that exits non-zero without a
# failed record, or records nothing. The test-time knobs are pinned here.
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
for k in "${knobs[@]}"; do
	if [ -n "${!k+set}" ]; then
		echo "make test: ignoring $k=${!k} from the environment (make test runs the defaults)"
		unset "$k"
	fi
done
echo "make test: every test knob at its default; each stage prints the ones it uses"

WMS_RESULTS=$(mktemp)
export WMS_RESULTS
trap 'rm -f "$WMS_RESULTS"' EXIT
start=$SECONDS

resolve_kernels
# Endurance (about 6 minutes a kernel) runs on the newer kernel here, to keep
# a cold `make test` well under 60 minutes; `make endurance KVER=...` runs it
# on any.
for stage in kunit.sh uml-debug.sh static-checks.sh dkms-check.sh "vm.sh test $WMS_KVER_61" \
	     "vm.sh test $WMS_KVER_612" "vm.sh endurance $WMS_KVER_612"; do
	say "$stage"
	before=$(wc -l < "$WMS_RESULTS")
	# shellcheck disable=SC2086
	bash "$WMS_ROOT/scripts/"$stage
	rc=$?
	added=$(tail -n +$((before + 1)) "$WMS_RESULTS")
	name=${stage%% *}
	name=${name%.sh}
	if [ "$rc" -ne 0 ] && ! grep -q '^[^ ]* [^ ]* FAIL ' <<<"$added"; then
		record "$name" test FAIL stage "exited with status $rc without a failed check"
	elif [ -z "$added" ]; then
		record "$name" test FAIL stage "recorded no result"
	fi
done

echo
echo "stage results:"
awk '{ n[$1]++; if ($3 != "PASS") f[$1]++ }
     END { for (s in n) printf "  %-32s %5d passed, %d failed\n", s, n[s] - f[s], f[s] }' \
	"$WMS_RESULTS" | sort
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
	printf "lint (static checks, DKMS builds): %d passed, %d failed\n", p["lint"], f["lint"]
	printf "fuzzer runs: %d passed, %d failed (%d operations in all)\n", p["fuzz"], f["fuzz"], ops
	tp = p["distinct"] + p["repeat"] + p["lint"] + p["fuzz"]
	tf = f["distinct"] + f["repeat"] + f["lint"] + f["fuzz"]
	printf "%d passed, %d failed\n", tp, tf
	exit tf != 0
}' "$WMS_RESULTS"
