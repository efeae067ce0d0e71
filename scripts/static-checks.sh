#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module must build warning-free with W=1 and -Wmaybe-uninitialized
# (which Debian's kernels do not turn on) and be clean under sparse against
# both Debian kernels, and every source file clean under checkpatch
# --strict. Each kernel's build and each file is one check. Packages are
# installed first, so that a check judges only what its own command printed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ensure_pkgs sparse
ensure_source_tree
resolve_kernels
ensure_pkgs gcc make "linux-headers-$WMS_KVER_61" "linux-headers-$WMS_KVER_612"
passed=0 failed=0

check() {
	local what=$1 out=$2
	if [ -z "$out" ]; then
		passed=$((passed + 1))
		record static lint PASS static "$what"
	else
		failed=$((failed + 1))
		record static lint FAIL static "$what"
		printf 'FAIL %s:\n%s\n' "$what" "$out"
	fi
}

for kver in "$WMS_KVER_61" "$WMS_KVER_612"; do
	# W=1 compiler warnings and sparse (C=2 checks every file) in one build.
	out=$("$WMS_ROOT/scripts/build-module.sh" "$kver" W=1 C=2 \
		KCFLAGS=-Wmaybe-uninitialized CHECK="sparse -Wsparse-error" \
		2>&1 >/dev/null)
	check "W=1 -Wmaybe-uninitialized + sparse, $kver" "$out"
done

cd "$WMS_ROOT"
mapfile -t files < <(git ls-files -co --exclude-standard -- \
	'module/*.[ch]' 'kunit/*.[ch]' 'include/*.h' 'tools/*.[ch]')
for f in "${files[@]}"; do
	out=$("$WMS_SRC/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types -f "$f" 2>&1 | grep -v '^total:\|^$' || true)
	check "checkpatch $f" "$out"
done

echo "static checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
