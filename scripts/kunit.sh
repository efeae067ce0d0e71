#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites on UML from Debian's linux-source-6.1 with KASAN,
# KASAN_VMALLOC, PROVE_LOCKING, DEBUG_KMEMLEAK and DEBUG_LIST. The tree and the
# build directory live in the cache: the first run builds the kernel (about
# six minutes on two cores), later ones only rebuild what changed.
#
# kunit.py exits 0 after a KASAN report or a lockdep splat, so the raw
# console log is searched for them as well.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_pkgs gcc make bc flex bison python3 libelf-dev xz-utils
ensure_source_tree
build_dir="$WMS_CACHE/kunit-build"
link="$WMS_SRC/wms"
# The tree descends into our top-level Kbuild through this link.
ln -sfn "$WMS_ROOT" "$link"

say "KUnit on UML (build dir $build_dir)"
set +e
( cd "$WMS_SRC" && python3 tools/testing/kunit/kunit.py run \
	--build_dir "$build_dir" \
	--kunitconfig "$WMS_ROOT/kunit/.kunitconfig" \
	--make_options drivers-m=wms/ \
	--jobs "$(nproc)" --timeout 180 'wms_*' ) 2>&1 |
	tee "$WMS_CACHE/kunit.out" | grep -E '^\[..:..:..\] (\[|=|Testing|Elapsed)|ERROR|error:' 
kunit_rc=${PIPESTATUS[0]}
set -e

log="$build_dir/test.log"
passed=0 failed=0 skipped=0
if [ -f "$log" ]; then
	# A record per test case: the indented TAP lines ("    ok 3 - name"),
	# under the "# Subtest: suite" line of their suite. A skip is a failure.
	awk '
	/^    # Subtest: / { suite = $NF; next }
	/^ +(not )?ok [0-9]+ / {
		res = ($0 ~ /^ +not ok/) ? "FAIL" : "PASS"
		if ($0 ~ /# SKIP/) res = "SKIP"
		name = $0
		sub(/^ +(not )?ok [0-9]+ (- )?/, "", name)
		sub(/ *# SKIP.*$/, "", name)
		print "kunit test " res " " suite " " name
	}' "$log" > "$build_dir/records"
	passed=$(grep -c ' PASS ' "$build_dir/records" || true)
	skipped=$(grep -c ' SKIP ' "$build_dir/records" || true)
	failed=$(grep -c ' FAIL ' "$build_dir/records" || true)
	[ -n "${WMS_RESULTS:-}" ] && cat "$build_dir/records" >> "$WMS_RESULTS"
	failed=$((failed + skipped))
	splats=$(grep -E 'BUG:|KASAN|possible circular|possible recursive|suspicious RCU|WARNING:|unreferenced object|suspected memory leak' "$log" |
		grep -v 'virt-pci' || true)
else
	splats="no console log: the kernel did not build or boot"
fi
# The run itself: it built, booted, ran cases and the kernel reported nothing.
problems=
if [ -n "$splats" ]; then
	echo "kernel reports in $log:"
	echo "$splats" | head -n 40
	problems="kernel reports in the console log"
fi
if [ "$kunit_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "kunit.py exited $kunit_rc (see $WMS_CACHE/kunit.out)"
	problems="${problems:+$problems; }kunit.py exited $kunit_rc"
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "no KUnit case ran"
	problems="${problems:+$problems; }no KUnit case ran"
fi
if [ -n "$problems" ]; then
	failed=$((failed + 1))
	record kunit test FAIL run "$problems"
else
	record kunit test PASS run "built, booted, no kernel report"
fi
echo "kunit: $passed passed, $failed failed, $skipped skipped (a skip fails)"
[ "$failed" -eq 0 ]
