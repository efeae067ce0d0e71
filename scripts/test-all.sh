#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: every suite, whatever fails on the way, then one line
# "N passed, N failed" that adds them all up.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

WMS_RESULTS=$(mktemp)
export WMS_RESULTS
trap 'rm -f "$WMS_RESULTS"' EXIT
start=$SECONDS
rc=0

resolve_kernels
# Endurance (about 6 minutes a kernel) runs on the newer kernel here, to keep
# a cold `make test` well under 45 minutes; `make endurance KVER=...` runs it
# on any.
for stage in kunit.sh uml-debug.sh static-checks.sh dkms-check.sh "vm.sh test $WMS_KVER_61" \
	     "vm.sh test $WMS_KVER_612" "vm.sh endurance $WMS_KVER_612"; do
	say "$stage"
	# shellcheck disable=SC2086
	bash "$WMS_ROOT/scripts/"$stage || rc=1
done

echo
echo "suite results:"
passed=0 failed=0
while read -r suite p f; do
	printf '  %-28s %6s passed, %s failed\n' "$suite" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
done < "$WMS_RESULTS"
# A stage that died before recording anything is a failure too.
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "make test took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
