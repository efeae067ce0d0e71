#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# uml-debug.sh [all|build|run]: the whole userspace suite on a debug kernel.
#
# Builds a UML kernel from Debian's linux-source-6.1 (the tree kunit.sh uses)
# in its own build directory, $WMS_CACHE/uml-debug-build, with KASAN,
# KASAN_VMALLOC, PROVE_LOCKING (and so PROVE_RCU), DEBUG_KMEMLEAK, DEBUG_LIST,
# fault injection (FAILSLAB, FAIL_PAGE_ALLOC, fail-nth, debugfs) and
# pattern-initialised stacks (INIT_STACK_ALL_PATTERN), and wms.ko as a
# module of it (WMS_MODULE=1). Then boots it on a host directory
# ($WMS_CACHE/uml-root, rebuilt each run: busybox, wms.ko, the static test
# binaries, the Python binding with libwms.so.1 in /python,
# userspace-test/uml/test.sh as /test.sh) and runs wms_badin_test,
# wms_test, wms_attach_test, wms_map_test, wms_security_test,
# wms_hostile_test, wms_ns_test, libwms_test, wmsctl_test.sh,
# wms_python_test.py (the host's python3, see test.sh), wms_failnth_test,
# wms_fuzz (100,000 operations, seed 1) and a kmemleak scan after rmmod
# (see userspace-test/uml/test.sh).
#
# The first run builds the kernel (about 7-8 minutes on two cores); later
# runs rebuild only what changed (wms.ko) and take only the run.
#
#   all    build, then run (default)
#   build  only build the kernel and wms.ko
#   run    only run (the kernel must have been built)
#
# Environment: WMS_CACHE (default ~/.cache/wms), WMS_UML_TIMEOUT (seconds the
# UML kernel may run, default 1800), WMS_UML_MEM (default 1024M),
# WMSCTL_TEST_BULK (entries of wmsctl_test.sh's bulk comparison; default 200
# here, 1000 in the Debian VMs: slow under KASAN on UML),
# WMS_UML_ENDURANCE=1 (also run userspace-test/endurance.sh; it takes long;
# WMS_ENDURANCE_CYCLES and WMS_ENDURANCE_SECONDS are passed on),
# WMS_FUZZ_OPS and WMS_FUZZ_SEED (wms_fuzz's -n and -s, default 100000 and
# 1), WMS_FUZZ_TIMEOUT (seconds; default from the ops at 200 ops/s), for
# debugging: WMS_UML_SUITES (default "wms_badin_test wms_test
# wms_attach_test wms_map_test wms_security_test wms_hostile_test
# wms_ns_test libwms_test wmsctl_test wms_python_test wms_failnth_test
# wms_fuzz"),
# WMS_FAILNTH_ARGS (e.g. "-x -v mmap"), WMS_UML_SUITE_TIMEOUT (seconds per
# suite, default 900).
#
# Output: the console in $WMS_CACHE/logs/uml-debug.log; last line
# "uml-debug: P passed, F failed"; exit status 1 if anything failed (a
# missing WMS-RESULT marker, F > 0, or a kernel report line in the log).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

what=${1:-all}
case "$what" in
all|build|run) ;;
*) die "usage: uml-debug.sh [all|build|run]" ;;
esac

BUILD="$WMS_CACHE/uml-debug-build"
ROOT="$WMS_CACHE/uml-root"
LOG_DIR="$WMS_CACHE/logs"
LOG="$LOG_DIR/uml-debug.log"
BINDIR="$WMS_CACHE/userspace-test"
TIMEOUT=${WMS_UML_TIMEOUT:-1800}
MEM=${WMS_UML_MEM:-1024M}
mkdir -p "$LOG_DIR" "$WMS_CACHE/locks"

# What the kernel must have: kunit/.kunitconfig's debug options (minus
# KUNIT), and what the suites, the root on hostfs and the fault injection
# need (wms_failnth_test names each failed allocation's call site through
# the kmem trace events: EVENT_TRACING). Checked against the final .config:
# olddefconfig drops silently what it cannot satisfy.
CONFIGS=(
	DEBUG_KERNEL KASAN KASAN_VMALLOC PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK
	DEBUG_LIST FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC
	FAULT_INJECTION_DEBUG_FS DEBUG_FS DEBUG_FS_ALLOW_ALL
	FTRACE EVENT_TRACING
	HOSTFS DEVTMPFS DEVTMPFS_MOUNT PROC_FS PROC_SYSCTL SYSFS TMPFS SHMEM
	BINFMT_ELF BINFMT_SCRIPT NET UNIX MODULES MODULE_UNLOAD CGROUPS MEMCG
	MULTIUSER FUTEX EPOLL STDERR_CONSOLE TTY NULL_CHAN SYSCTL
	INIT_STACK_ALL_PATTERN USERFAULTFD
	NAMESPACES SYSVIPC IPC_NS USER_NS POSIX_MQUEUE
)
# USERFAULTFD: wms_hostile_test stalls a READ on a fault that never
# completes, and checks that no WRITE of the entry waits for it.
# NAMESPACES ... POSIX_MQUEUE: wms_ns_test unshares IPC namespaces (with
# user namespaces too), each of which has a registry of its own.
# INIT_STACK_ALL_PATTERN: every automatic variable starts as 0xfe bytes
# (gcc's -ftrivial-auto-var-init=pattern) instead of zero as on Debian's
# kernels (INIT_STACK_ALL_ZERO), so that a result returned before it is set
# reaches the test as garbage, not as a 0 that looks like success.
#
# Must be off: kmemleak has to be on from boot. INIT_STACK_ALL_ZERO: the
# default of the choice that the pattern replaces. VMAP_STACK: 6.1's UML
# flushes a kernel range by unmapping and mapping again, on the host, every
# page whose pte it ever changed (kernel ptes keep their "new page" bit), so
# a vfree() whose purge covers the running task's vmalloc'ed stack leaves
# it unmapped for a moment; a signal then (the timer) faults on the stack in
# to_irq_stack() and the kernel loops in its SIGSEGV handler for ever (seen
# after ~100 insmod/rmmod cycles: rmmod or do_free_init stuck in
# __purge_vmap_area_lazy -> flush_tlb_kernel_range_common).
CONFIGS_OFF=(DEBUG_KMEMLEAK_DEFAULT_OFF KUNIT VMAP_STACK INIT_STACK_ALL_ZERO)

# ---------------------------------------------------------------------------
patch_tree() {
	# 6.1's UML walks the maple tree without the mmap lock on every fork
	# ("suspicious RCU usage" from force_flush_all(), with PROVE_RCU). Fixed
	# here by taking the mmap read lock around the walk, and by moving the
	# walk after schedule_tail() in fork_handler(), where the runqueue lock
	# is no longer held (down_read() may sleep: before schedule_tail() that
	# is "BUG: spinlock recursion" on the runqueue lock). Applied to the
	# throwaway extracted tree, once; each file carries a marker.
	python3 - "$WMS_SRC" <<'EOF' || die "patching arch/um in $WMS_SRC failed"
import sys
root = sys.argv[1]
MARK = "wms uml-debug:"
patches = [
    ("arch/um/kernel/tlb.c",
     """	VMA_ITERATOR(vmi, mm, 0);

	for_each_vma(vmi, vma)
		fix_range(mm, vma->vm_start, vma->vm_end, 1);
}""",
     """	VMA_ITERATOR(vmi, mm, 0);

	/* wms uml-debug: mmap lock around the maple tree walk */
	mmap_read_lock(mm);
	for_each_vma(vmi, vma)
		fix_range(mm, vma->vm_start, vma->vm_end, 1);
	mmap_read_unlock(mm);
}"""),
    ("arch/um/kernel/process.c",
     """void fork_handler(void)
{
	force_flush_all();

	schedule_tail(current->thread.prev_sched);
""",
     """void fork_handler(void)
{
	schedule_tail(current->thread.prev_sched);

	/* wms uml-debug: after schedule_tail(), it takes the mmap lock */
	force_flush_all();
"""),
]
for rel, old, new in patches:
    path = f"{root}/{rel}"
    src = open(path).read()
    if new in src:
        continue
    if MARK in src or src.count(old) != 1:
        sys.exit(f"{rel}: does not look as expected")
    open(path, "w").write(src.replace(old, new))
    print(f"==> patched {rel}")
EOF
}

configure() {
	local frag="$BUILD/wms-debug.config" c missing=()
	mkdir -p "$BUILD"
	{
		echo "# generated by scripts/uml-debug.sh"
		for c in "${CONFIGS[@]}"; do echo "CONFIG_$c=y"; done
		for c in "${CONFIGS_OFF[@]}"; do echo "# CONFIG_$c is not set"; done
		# stderr console and con0 on stdin/stdout; nothing on the other lines
		echo 'CONFIG_CON_ZERO_CHAN="fd:0,fd:1"'
		echo 'CONFIG_CON_CHAN="null"'
		echo 'CONFIG_SSL_CHAN="null"'
	} > "$frag.new"
	if [ -f "$BUILD/.config" ] && cmp -s "$frag.new" "$frag"; then
		rm -f "$frag.new"
	else
		mv "$frag.new" "$frag"
		say "configuring $BUILD (ARCH=um, the defaults plus $(basename "$frag"))"
		cp "$frag" "$BUILD/.config"
		make -s -C "$WMS_SRC" ARCH=um O="$BUILD" olddefconfig >/dev/null
	fi
	for c in "${CONFIGS[@]}"; do
		grep -qx "CONFIG_$c=y" "$BUILD/.config" || missing+=("$c")
	done
	for c in "${CONFIGS_OFF[@]}"; do
		grep -q "^CONFIG_$c=y" "$BUILD/.config" && missing+=("!$c")
	done
	if [ ${#missing[@]} -ne 0 ]; then
		rm -f "$frag"	# configure again next time
		die "$BUILD/.config lacks ${missing[*]} after olddefconfig (a dependency is missing)"
	fi
}

build_kernel() {
	ensure_pkgs gcc make bc flex bison python3 libelf-dev xz-utils
	ensure_source_tree
	# The tree descends into our top-level Kbuild through this link (as in
	# kunit.sh); WMS_MODULE=1 makes it build module/wms.ko.
	ln -sfn "$WMS_ROOT" "$WMS_SRC/wms"
	patch_tree
	configure
	say "building the UML debug kernel and wms.ko in $BUILD"
	local t0=$SECONDS
	if ! make -s -C "$WMS_SRC" ARCH=um O="$BUILD" WMS_MODULE=1 \
		drivers-m=wms/ -j"$(nproc)" > "$LOG_DIR/uml-debug-build.log" 2>&1; then
		tail -n 40 "$LOG_DIR/uml-debug-build.log"
		die "kernel build failed (see $LOG_DIR/uml-debug-build.log)"
	fi
	[ -x "$BUILD/linux" ] || die "no $BUILD/linux after the build"
	[ -f "$BUILD/wms/module/wms.ko" ] || die "no $BUILD/wms/module/wms.ko after the build"
	say "kernel and wms.ko built in $((SECONDS - t0)) s"
}

# The static test binaries, as scripts/vm.sh builds them (same directory).
build_binaries() {
	ensure_pkgs busybox-static gcc make gcc-multilib libc6-dev-i386 python3
	ensure_source_tree
	local ksft="$WMS_SRC/tools/testing/selftests"
	(
		flock 9
		make -s -C "$WMS_ROOT/userspace-test" O="$BINDIR" KSFT="$ksft" >&2
		make -s -C "$WMS_ROOT/tools" O="$BINDIR" STATIC=1 >&2
		# libwms.so.1 too, for the Python binding (host's python3)
		make -s -C "$WMS_ROOT/lib" O="$BINDIR/libwms" ARCHFLAGS=-m64 >&2
		install -m 0755 "$WMS_ROOT/userspace-test/wmsctl_test.sh" "$BINDIR/"
	) 9>"$WMS_CACHE/locks/userspace-test.lock"
}

make_root() {
	local a f
	rm -rf "$ROOT"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,run,mnt}
	chmod 1777 "$ROOT/tmp"
	install -m 0755 /bin/busybox "$ROOT/bin/busybox"
	# The applet links, made here rather than with --install at boot.
	for a in $(/bin/busybox --list-full); do
		[ -e "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
	done
	install -m 0644 "$BUILD/wms/module/wms.ko" "$ROOT/wms.ko"
	for f in wms_test wms_badin_test wms_attach_test wms_map_test wms_security_test \
		 wms_hostile_test wms_failnth_test wms_init_test \
		 libwms_test wms_fuzz wms_load wms_demo wmsctl wmsctl_test.sh wms_ns_test; do
		[ -e "$BINDIR/$f" ] && install -m 0755 "$BINDIR/$f" "$ROOT/$f"
	done
	# The Python binding, its test and the shared libwms the binding loads.
	install -D -m 0644 "$WMS_ROOT/python/wms/__init__.py" "$ROOT/python/wms/__init__.py"
	install -m 0755 "$WMS_ROOT/userspace-test/wms_python_test.py" "$ROOT/python/"
	install -m 0755 "$BINDIR/libwms/libwms.so.1.0.0" "$ROOT/python/libwms.so.1"
	install -m 0755 "$WMS_ROOT/userspace-test/uml/test.sh" "$ROOT/test.sh"
	install -m 0644 "$WMS_ROOT/userspace-test/harness.sh" "$ROOT/harness.sh"
	install -m 0755 "$WMS_ROOT/userspace-test/endurance.sh" "$ROOT/endurance.sh"
	{
		echo "WMSCTL_TEST_BULK=${WMSCTL_TEST_BULK:-200}"
		echo "WMS_UML_ENDURANCE=${WMS_UML_ENDURANCE:-0}"
		echo "WMS_ENDURANCE_CYCLES=${WMS_ENDURANCE_CYCLES:-}"
		echo "WMS_ENDURANCE_SECONDS=${WMS_ENDURANCE_SECONDS:-}"
		echo "WMS_ENDURANCE_TRACE=${WMS_ENDURANCE_TRACE:-}"
		[ -n "${WMS_UML_SUITES:-}" ] && echo "WMS_UML_SUITES=\"$WMS_UML_SUITES\""
		[ -n "${WMS_FAILNTH_ARGS:-}" ] && echo "WMS_FAILNTH_ARGS=\"$WMS_FAILNTH_ARGS\""
		[ -n "${WMS_UML_SUITE_TIMEOUT:-}" ] && echo "WMS_UML_SUITE_TIMEOUT=$WMS_UML_SUITE_TIMEOUT"
		[ -n "${WMS_FUZZ_OPS:-}" ] && echo "WMS_FUZZ_OPS=$WMS_FUZZ_OPS"
		[ -n "${WMS_FUZZ_SEED:-}" ] && echo "WMS_FUZZ_SEED=$WMS_FUZZ_SEED"
		[ -n "${WMS_FUZZ_TIMEOUT:-}" ] && echo "WMS_FUZZ_TIMEOUT=$WMS_FUZZ_TIMEOUT"
		:
	} > "$ROOT/etc/wms-uml.conf"
}

# A temporary directory UML can map executable memory from.
uml_tmpdir() {
	local d
	for d in /dev/shm "$WMS_CACHE/tmp"; do
		mkdir -p "$d" 2>/dev/null || continue
		if [ -w "$d" ] && ! findmnt -no OPTIONS --target "$d" 2>/dev/null |
			grep -qw noexec; then
			echo "$d"
			return
		fi
	done
	die "no writable, exec-mounted directory for UML's memory file"
}

# Kernel report lines; fault injection is made quiet (verbose=0) by test.sh.
BAD='BUG:|KASAN|possible circular|possible recursive|suspicious RCU|WARNING:|unreferenced object|Oops|Call Trace|[Kk]ernel panic|general protection'

run_uml() {
	if [ ! -x "$BUILD/linux" ] || [ ! -f "$BUILD/wms/module/wms.ko" ]; then
		die "no kernel in $BUILD: run 'uml-debug.sh build' first"
	fi
	build_binaries
	for f in wms_test wms_badin_test wms_attach_test wms_map_test wms_security_test \
		 wms_hostile_test wms_failnth_test wms_init_test \
		 libwms_test wms_fuzz wms_load wmsctl wmsctl_test.sh wms_ns_test libwms/libwms.so.1.0.0; do
		[ -x "$BINDIR/$f" ] || die "$BINDIR/$f missing after the build"
	done
	make_root
	local tmp marker rc t0=$SECONDS
	passed=0 failed=0
	tmp=$(uml_tmpdir)
	say "booting the UML debug kernel (root $ROOT, log $LOG)"
	set +e
	# uml_dir: its mconsole socket, in the cache rather than ~/.uml
	mkdir -p "$WMS_CACHE/tmp/uml"
	TMPDIR="$tmp" timeout -k 30 "$TIMEOUT" "$BUILD/linux" mem="$MEM" \
		rootfstype=hostfs rootflags="$ROOT" rw init=/test.sh \
		uml_dir="$WMS_CACHE/tmp/uml" con=null con0=fd:0,fd:1 ssl=null \
		</dev/null 2>&1 |
		tee "$LOG" | grep --line-buffered -E \
		'^(### |WMS-CHECK|WMS-HARNESS|WMS-RESULT|# fail-nth|# fuzz|# ran |# DIVERGENCE|# Totals|not ok )'
	rc=${PIPESTATUS[0]}
	set -e
	say "UML exited with status $rc after $((SECONDS - t0)) s"

	# The run's own verdict: it ended with its marker, and the kernel
	# reported nothing. Each check is a record of its own.
	marker=$(grep -a '^WMS-RESULT: ' "$LOG" | tail -n 1 || true)
	run_problems=()
	if [ -z "$marker" ]; then
		echo "uml-debug: no WMS-RESULT line (panic, hang or timeout after ${TIMEOUT}s); last lines:"
		tail -n 40 "$LOG"
		run_problems+=("no WMS-RESULT line (UML exit status $rc)")
	else
		passed=$(echo "$marker" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')
		failed=$(echo "$marker" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
		: "${passed:=0}" "${failed:=1}"
		[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && run_problems+=("nothing ran")
	fi
	if grep -aEq "$BAD" "$LOG"; then
		echo "uml-debug: kernel reports in $LOG:"
		grep -aE -A 25 "$BAD" "$LOG" | head -n 200
		run_problems+=("kernel report lines in the console log")
	fi
	if grep -aq '^not ok ' "$LOG"; then
		echo "uml-debug: failed checks:"
		grep -a '^not ok ' "$LOG" | head -n 40
	fi
	[ ${#run_problems[@]} -eq 0 ] || failed=$((failed + 1))
	if [ -n "${WMS_RESULTS:-}" ]; then
		bash "$WMS_ROOT/scripts/records.sh" uml-debug "$LOG" >> "$WMS_RESULTS"
		if [ ${#run_problems[@]} -eq 0 ]; then
			echo "uml-debug test PASS run one WMS-RESULT line, no kernel report" >> "$WMS_RESULTS"
		else
			echo "uml-debug test FAIL run $(IFS=';'; echo "${run_problems[*]}")" >> "$WMS_RESULTS"
		fi
	fi
}

# ---------------------------------------------------------------------------
[ "$what" = run ] || build_kernel
[ "$what" = build ] && exit 0
ensure_source_tree
run_uml
echo "uml-debug: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
