#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The module must build warning-free with W=1 and -Wmaybe-uninitialized
# (which Debian's kernels do not turn on) for every target of
# scripts/targets.conf (TARGETS: some of them), and be clean under sparse
# against the targets the host builds (Debian 12's amd64 kernels); every
# source file of the module, its headers, wmsctl and libwms must be clean
# under checkpatch --strict, and every man page under groff's warnings
# (man --warnings). Each target's build and each file is one check; `static-checks.sh --builds` checks only the
# builds. Packages are installed and downloads made first, so that a check
# judges only what its own command printed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

builds_only=
[ "${1:-}" = --builds ] && builds_only=1
ensure_pkgs sparse gcc make man-db groff-base
ensure_source_tree
resolve_kernels
targets=()
target_list targets
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

for t in "${targets[@]}"; do
	target_load "$t"
	args=(W=1 KCFLAGS=-Wmaybe-uninitialized)
	what="W=1 -Wmaybe-uninitialized"
	if [ "$T_BUILD" = host ]; then
		# sparse (C=2 checks every file) in the same build.
		args+=(C=2 CHECK="sparse -Wsparse-error")
		what+=" + sparse"
	fi
	# The toolchain and headers first (`make test` has prepared every
	# target already): their installers' output is no part of the check
	# (a failure to get them is one, below).
	if [ ! -f "$WMS_CACHE/prepared/$t.env" ] &&
	   ! "$WMS_ROOT/scripts/build-module.sh" "$t" >/dev/null 2>"$WMS_CACHE/logs/static-$t.log"; then
		check "$what, $t $T_KVER" "could not build at all:
$(tail -n 20 "$WMS_CACHE/logs/static-$t.log")"
		continue
	fi
	out=$("$WMS_ROOT/scripts/build-module.sh" "$t" "${args[@]}" 2>&1 >/dev/null)
	check "$what, $t $T_KVER" "$out"
done
[ -n "$builds_only" ] && { echo "static builds: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

cd "$WMS_ROOT" || exit 1
mapfile -t files < <(git ls-files -co --exclude-standard -- \
	'module/*.[ch]' 'kunit/*.[ch]' 'include/*.h' 'tools/*.[ch]' 'lib/*.[ch]')
for f in "${files[@]}"; do
	out=$("$WMS_SRC/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types -f "$f" 2>&1 | grep -v '^total:\|^$' || true)
	check "checkpatch $f" "$out"
done
mapfile -t pages < <(git ls-files -co --exclude-standard -- 'tools/*.1' 'lib/man/*.3')
for f in "${pages[@]}"; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null)
	check "man --warnings $f" "$out"
done

echo "static checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
