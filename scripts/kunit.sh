#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites on UML from Debian's linux-source-6.1 with KASAN,
# KASAN_VMALLOC, PROVE_LOCKING, DEBUG_KMEMLEAK and DEBUG_LIST. The tree and the
# build directory live in the cache: the first run builds the kernel (about
# six minutes on two cores), later ones only rebuild what changed.
#
# kunit.py builds the kernel; this script boots it (the suites run during
# boot) on a hostfs root whose /init (kunit/kmemleak-init.c, built static)
# makes kmemleak scan once the suites are done and prints its report;
# kunit.py then parses the console log. kmemleak's own scans start only 60 s
# after boot, long after the suites are over (13 s after boot on a loaded
# host): without that /init it would never look.
#
# kunit.py exits 0 after a KASAN report or a lockdep splat, so the raw
# console log is searched for them as well; and the kmemleak report for
# objects allocated in the cases' threads (kunit_try_catch, and the wms_*
# kthreads two cases start). UML's kmemleak records no backtraces; objects
# allocated by boot and by KUnit's executor (comm "swapper": 44 of KUnit's
# own log buffers) are counted and shown, not failed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ensure_pkgs gcc make bc flex bison python3 libelf-dev xz-utils libc6-dev
ensure_source_tree
build_dir="$WMS_CACHE/kunit-build"
root="$WMS_CACHE/kunit-root"
link="$WMS_SRC/wms"
# The tree descends into our top-level Kbuild through this link.
ln -sfn "$WMS_ROOT" "$link"
log="$build_dir/test.log"
# Only ends a hung kernel. Measured with the host's two cores at a load
# average of 7 to 8: /init started 12.7 s after boot, the kernel was off at
# 22 s; with 105,390 leaks to report (an entry struct leaked on purpose) it
# took 115 s.
timeout=300

say "KUnit on UML (build dir $build_dir)"
show='^\[..:..:..\] (\[|=|Testing|Elapsed)|ERROR|error:'
set +e
( cd "$WMS_SRC" && python3 tools/testing/kunit/kunit.py build \
	--build_dir "$build_dir" \
	--kunitconfig "$WMS_ROOT/kunit/.kunitconfig" \
	--make_options drivers-m=wms/ \
	--jobs "$(nproc)" ) 2>&1 |
	tee "$WMS_CACHE/kunit.out" | grep -E "$show"
kunit_rc=${PIPESTATUS[0]}
set -e
rm -f "$log"
if [ "$kunit_rc" -eq 0 ] && [ -x "$build_dir/linux" ]; then
	rm -rf "$root"
	mkdir -p "$root"/{dev,debug}
	gcc -static -O2 -Wall -Werror -o "$root/init" "$WMS_ROOT/kunit/kmemleak-init.c"
	say "booting it (console log $log)"
	set +e
	timeout -k 10 "$timeout" "$build_dir/linux" mem=1G console=tty \
		con=null con0=fd:0,fd:1 ssl=null \
		kunit.filter_glob='wms_*' kunit.enable=1 \
		rootfstype=hostfs rootflags="$root" rw init=/init \
		< /dev/null > "$log" 2>&1
	boot_rc=$?
	( cd "$WMS_SRC" && python3 tools/testing/kunit/kunit.py parse "$log" ) 2>&1 |
		tee -a "$WMS_CACHE/kunit.out" | grep -E "$show"
	kunit_rc=${PIPESTATUS[0]}
	set -e
	if [ "$boot_rc" -ne 0 ]; then
		echo "the UML kernel exited with status $boot_rc (124: killed after ${timeout}s)"
		kunit_rc=1
	fi
fi

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
	# The kmemleak report, between its markers, is judged below.
	splats=$(sed '/^WMS-KMEMLEAK-BEGIN/,/^WMS-KMEMLEAK-END/d' "$log" |
		grep -E 'BUG:|KASAN|possible circular|possible recursive|suspicious RCU|WARNING:|unreferenced object|memory leak detector disabled' |
		grep -v 'virt-pci' || true)
	if ! grep -q '^WMS-KMEMLEAK-END' "$log"; then
		echo "no kmemleak report in $log:"
		grep -a 'WMS-KMEMLEAK' "$log" || echo "(the kernel never reached /init)"
		failed=$((failed + 1))
		record kunit test FAIL run "kmemleak scan after the suites"
	else
		# One record per object: "unreferenced object ..." up to the next.
		# Ours: allocated in a case's thread, or by a wms function (if
		# there is a backtrace).
		counts=$(sed -n '/^WMS-KMEMLEAK-BEGIN/,/^WMS-KMEMLEAK-END/p' "$log" |
			awk -v shown="$WMS_CACHE/kmemleak.ours" '
			function done_record() {
				if (rec == "")
					return
				if (rec ~ /comm "(kunit_try_catch|wms[^"]*)"/ ||
				    rec ~ /\] [a-z_]*wms/) {
					if (ours++ < 5)
						printf "%s", rec > shown
				} else {
					others++
				}
				rec = ""
			}
			/^unreferenced object/ { done_record(); rec = $0 "\n"; next }
			/^WMS-KMEMLEAK-END/ { done_record(); next }
			rec != "" { rec = rec $0 "\n" }
			END { print ours + 0, others + 0 }')
		leaks=${counts% *} others=${counts#* }
		if [ "$leaks" -ne 0 ]; then
			echo "kmemleak: unreferenced objects of wms or its tests (the first 5):"
			cat "$WMS_CACHE/kmemleak.ours"
		fi
		rm -f "$WMS_CACHE/kmemleak.ours"
		echo "kmemleak: scanned after the suites; $leaks unreferenced objects of wms or its tests, $others others (allocated outside the cases; not counted)"
		if [ "$leaks" -eq 0 ]; then
			record kunit test PASS run "kmemleak scan after the suites"
		else
			failed=$((failed + 1))
			record kunit test FAIL run "kmemleak scan after the suites"
		fi
	fi
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
