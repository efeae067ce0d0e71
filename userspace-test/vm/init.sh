#!/bin/sh
# /init of the wms test VM (busybox ash). run-vm.sh packs this file as /init
# together with /etc/wms-vm.conf: MODE=test|run|shell|bench|endurance|fuzz,
# WMS_VM_TEST_TIMEOUT=seconds (each test binary), WMS_FUZZ_SEED,
# WMS_FUZZ_OPS, WMS_FUZZ_TIMEOUT (test and fuzz), WMS_FUZZ_SECONDS (fuzz),
# WMS_ENDURANCE_TIMEOUT and WMS_ENDURANCE_{CYCLES,SECONDS,THREADS}
# (endurance); bench also WMS_BENCH_BUDGET=seconds and WMS_BENCH_ARGS;
# WMS_VM_COMPAT32=0 on the kernels with no 32-bit builds to run (every
# arch but amd64), WMS_VM_NEWLINE=1 where the firmware leaves the console
# mid-line (ppc64el).
#
# test:  load wms.ko, run /wms_badin_test, /wms_test (but its limits
#        fixture), /wms_attach_test, /wms_map_test,
#        /wms_security_test, /wms_hostile_test, /wms_ns_test, /libwms_test
#        (each also 32-bit: all sixteen must be there),
#        /wmsctl_test.sh and the differential
#        fuzzer (/wms_fuzz -s WMS_FUZZ_SEED -n WMS_FUZZ_OPS, a fixed seed so
#        that every run does the same ops), the example module, unload while
#        a process of a new IPC namespace holds a registry with an entry
#        (no file), reload with
#        small limits and run "/wms_test -f limits", unload, check nothing is
#        left behind and the taint; print a record line per check
#        (/harness.sh: a skipped test is a failure) and one marker line
#        "WMS-RESULT: passed=P failed=F".
# run:   a short narrated demo of two processes sharing an entry.
# shell: load wms.ko and hand over an interactive shell on the console.
# bench: raise the limits of the anchors (SysV shm, tmpfs, keyrings, open
#        files), load wms.ko with room for 2e6 entries, run /wms_bench, print
#        its CSV and Markdown summary between WMS-BENCH-*-BEGIN/END lines and
#        "WMS-RESULT: passed=P failed=F" (failed: the bench's exit status,
#        missing output, a problem line in the kernel log).
# endurance: /endurance.sh (it loads and unloads wms itself: insmod/rmmod
#        cycles with entries present, then /wms_load; memory against a
#        baseline), then the checks of test mode: wms gone, taint, kernel log.
# fuzz:  load wms.ko, run /wms_fuzz -s WMS_FUZZ_SEED -t WMS_FUZZ_SECONDS with
#        no op limit to speak of, unload, the checks of test mode.
# Every mode powers the VM off at the end.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

# The initramfs has only /bin/busybox and /bin/sh: make the applet links now
# (needs /proc for busybox to find itself).
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /tmp
# The cpio carries a /dev/console node; re-open it from devtmpfs anyway, in
# case the archive was packed without one.
exec 0</dev/console 1>/dev/console 2>&1

MODE=test
WMS_VM_TEST_TIMEOUT=300
WMS_FUZZ_SEED=1
WMS_FUZZ_OPS=1000000
WMS_FUZZ_TIMEOUT=900
WMS_FUZZ_SECONDS=300
WMS_ENDURANCE_TIMEOUT=1200
WMS_VM_COMPAT32=1
WMS_VM_NEWLINE=0
[ -r /etc/wms-vm.conf ] && . /etc/wms-vm.conf
# End the firmware's line: every marker line starts a line of its own.
[ "$WMS_VM_NEWLINE" = 1 ] && echo

# Lines that mean the kernel is unhappy (the host greps the same on the whole log).
BAD='Oops|BUG:|WARNING:|Call Trace|KASAN|general protection|[Kk]ernel panic|lockdep|possible circular|possible recursive|suspicious RCU'

# Kernel log, collected piecewise (dmesg -c) so that no ring-buffer wrap loses it.
kcollect() { dmesg -c >>/tmp/kmsg 2>/dev/null || dmesg >>/tmp/kmsg; }

finish() {
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}

# Kernel modules that wms.ko / wms_example.ko depend on (from the distribution
# kernel; run-vm.sh puts them in /deps in load order).
load_deps() {
	for d in /deps/*.ko; do
		[ -e "$d" ] || continue
		insmod "$d" || echo "warning: insmod $d failed"
	done
}

# pass, fail, say, run_harness_t, run_fuzz: shared with the UML debug kernel.
. /harness.sh

# run_harness LABEL CMD...: a TAP program with the per-binary time limit.
run_harness() {
	run_harness_t "$WMS_VM_TEST_TIMEOUT" "$@"
}

print_kernel_log() {
	kcollect
	if [ -s /tmp/kmsg ]; then
		say "kernel log since the first insmod (last 120 lines)"
		tail -n 120 /tmp/kmsg
	fi
	if grep -Eq "$BAD" /tmp/kmsg 2>/dev/null; then
		say "kernel log problems"
		grep -E -A 30 "$BAD" /tmp/kmsg | head -n 300
		fail "kernel log has problem lines (see above)"
	fi
}

# The start of a mode that checks the kernel: say where we are, keep the boot
# log apart (only its problems are shown), and show kernel warnings (level 4)
# live from here on, next to the test that caused them (loglevel=4 on the
# command line hides them).
begin_checked() {
	echo
	echo "WMS-VM: kernel $(uname -r), userspace up at $(uptime_s)s, mode $1, tainted at boot: $(cat /proc/sys/kernel/tainted)"
	dmesg -c >/tmp/kmsg.boot 2>/dev/null
	if grep -Eq "$BAD" /tmp/kmsg.boot; then
		say "boot log problems (before any wms module was loaded)"
		grep -E -A 30 "$BAD" /tmp/kmsg.boot | head -n 200
	fi
	echo 5 >/proc/sys/kernel/printk
}

# The end of such a mode: no wms module, device or sysfs directory left,
# no taint beyond out-of-tree/unsigned, a clean kernel log, the marker.
end_checked() {
	left=""
	for f in /dev/wms /sys/module/wms /sys/module/wms_example /proc/driver/wms; do
		[ -e "$f" ] && left="$left $f"
	done
	if [ -z "$left" ]; then
		pass "nothing left behind (/dev/wms, /sys/module/wms, /proc/driver/wms gone)"
	else
		fail "left behind after rmmod:$left"
	fi

	T1=$(cat /proc/sys/kernel/tainted)
	if [ $((T1 & ~0x3000)) = 0 ]; then
		pass "taint $T1 (only out-of-tree/unsigned bits allowed)"
	else
		fail "taint $T1: bits outside 0x3000 set ($((T1 & ~0x3000)))"
	fi

	print_kernel_log
	echo
	echo "WMS-VM: result at $(uptime_s)s"
	echo "WMS-RESULT: passed=$P failed=$F"
}

# ---------------------------------------------------------------------------
mode_test() {
	begin_checked test
	load_deps
	rmmod_ok=1

	say "insmod /wms.ko"
	if insmod /wms.ko; then
		if [ -c /dev/wms ]; then
			ls -l /dev/wms
			# The limits fixture runs below, under small limits.
			# wms_badin_test first: wms_test checks that the
			# registry is empty at its start and end.
			for t in wms_badin_test wms_test wms_attach_test \
				 wms_map_test wms_security_test wms_hostile_test \
				 wms_ns_test libwms_test; do
				args=
				[ "$t" = wms_test ] && args="-F limits"
				for b in "$t" "${t}32"; do
					[ "$b" = "$t" ] || [ "$WMS_VM_COMPAT32" = 1 ] || continue
					if [ -x "/$b" ]; then
						# shellcheck disable=SC2086
						run_harness "$b" "/$b" $args
					else
						fail "/$b missing from the initramfs"
					fi
				done
			done
			if [ -x /wmsctl ] && [ -x /wmsctl_test.sh ]; then
				run_harness wmsctl_test /wmsctl_test.sh
			else
				fail "/wmsctl or /wmsctl_test.sh missing from the initramfs"
			fi
			run_fuzz wms_fuzz "$WMS_FUZZ_TIMEOUT" "$WMS_FUZZ_OPS" \
				"$WMS_FUZZ_SEED" -n "$WMS_FUZZ_OPS"
			# The 32-bit build (compat ioctls): a tenth as long.
			[ "$WMS_VM_COMPAT32" = 1 ] && run_fuzz wms_fuzz32 "$WMS_FUZZ_TIMEOUT" \
				$((WMS_FUZZ_OPS / 10)) "$WMS_FUZZ_SEED" \
				-n $((WMS_FUZZ_OPS / 10))
		else
			fail "/dev/wms does not exist after insmod"
		fi
	else
		fail "insmod /wms.ko"
	fi

	say "example module"
	kcollect
	ex_ok=1
	if [ ! -e /wms_example.ko ]; then
		echo "no /wms_example.ko in the initramfs"
		ex_ok=0
	elif insmod /wms_example.ko; then
		# What it published: the kernel's, readable by a user, not
		# writable, not removable by one.
		got=$(su -s /bin/sh nobody -c '/wmsctl read .wms_example --len 22' 2>&1)
		if [ "$got" = "hello from the kernel" ]; then
			pass "a user reads what wms_example published"
		else
			fail "a user reading .wms_example got '$got'"
		fi
		if echo x | su -s /bin/sh nobody -c '/wmsctl write .wms_example' 2>/dev/null ||
		   su -s /bin/sh nobody -c '/wmsctl rm .wms_example' 2>/dev/null; then
			fail "a user wrote or removed .wms_example"
		else
			pass "a user can neither write nor remove .wms_example"
		fi
		rmmod wms_example || { echo "rmmod wms_example failed"; ex_ok=0; }
		if /wmsctl info .wms_example >/dev/null 2>&1; then
			fail ".wms_example still there after rmmod wms_example"
		fi
	else
		echo "insmod /wms_example.ko failed"
		ex_ok=0
	fi
	dmesg >/tmp/kmsg.example
	kcollect
	if [ "$ex_ok" = 1 ] && grep -q 'wms_example: ok' /tmp/kmsg.example; then
		grep 'wms_example' /tmp/kmsg.example
		pass "example module loaded, logged 'wms_example: ok', unloaded"
	else
		[ -s /tmp/kmsg.example ] && cat /tmp/kmsg.example
		fail "example module (load/unload or 'wms_example: ok' in dmesg)"
	fi

	say "rmmod wms while an IPC namespace holds a registry"
	rmmod_with_namespace

	say "insmod /wms.ko with small limits"
	if insmod /wms.ko max_entries=16 max_entry_size=65536 max_total_bytes=262144 max_user_bytes=262144; then
		for p in max_entries max_entry_size max_total_bytes max_user_bytes; do
			[ -r /sys/module/wms/parameters/$p ] && echo "$p=$(cat /sys/module/wms/parameters/$p)"
		done
		run_harness wms_test-limits /wms_test -f limits
		say "rmmod wms"
		rmmod wms || { echo "rmmod wms (after limits) failed"; rmmod_ok=0; }
	else
		fail "insmod /wms.ko with limits"
		rmmod_ok=0
	fi
	if [ "$rmmod_ok" = 1 ]; then pass "rmmod wms after the limits run"; else fail "rmmod wms after the limits run"; fi
	end_checked
}

# ---------------------------------------------------------------------------
mode_endurance() {
	begin_checked endurance
	load_deps
	# endurance.sh reads its knobs from the environment.
	export WMS_ENDURANCE_CYCLES WMS_ENDURANCE_SECONDS WMS_ENDURANCE_THREADS
	if [ -x /endurance.sh ] && [ -x /wms_load ] && [ -x /wmsctl ]; then
		# It loads wms.ko itself, cycles it, runs /wms_load, checks that
		# /proc/driver/wms is empty before its final rmmod and compares
		# the memory figures with its baseline.
		run_harness_t "$WMS_ENDURANCE_TIMEOUT" endurance /endurance.sh
	else
		fail "/endurance.sh, /wms_load or /wmsctl missing from the initramfs"
	fi
	# endurance.sh should have unloaded wms (a failed check may not have).
	if [ -e /sys/module/wms ]; then
		fail "wms still loaded after endurance.sh"
		rmmod wms
	fi
	end_checked
}

# ---------------------------------------------------------------------------
mode_fuzz() {
	begin_checked fuzz
	load_deps
	say "insmod /wms.ko"
	if insmod /wms.ko && [ -c /dev/wms ]; then
		# -n: more than any -t can reach; the time limit ends the run.
		run_fuzz wms_fuzz "$WMS_FUZZ_TIMEOUT" 1 "$WMS_FUZZ_SEED" \
			-t "$WMS_FUZZ_SECONDS" -n 1000000000000
		say "rmmod wms"
		if rmmod wms; then pass "rmmod wms"; else fail "rmmod wms"; fi
	else
		fail "insmod /wms.ko (or /dev/wms missing)"
	fi
	end_checked
}

# ---------------------------------------------------------------------------
mode_run() {
	dmesg -c >/tmp/kmsg.boot 2>/dev/null
	echo
	echo "=== wms demo on Linux $(uname -r) ==="
	echo "wms keeps named blocks of kernel memory that outlive the process that made them."
	load_deps
	say "Load the module: insmod /wms.ko"
	if insmod /wms.ko && [ -c /dev/wms ]; then
		pass "module loaded"
	else
		fail "insmod /wms.ko (or /dev/wms missing)"
	fi
	ls -l /dev/wms
	grep -w wms /proc/modules

	say "Process A stores a greeting, then exits"
	sh -c 'echo "[A] I am pid $$"; exec /wms_demo put greeting "hello from pid $$"' &
	wait $! && pass "process A stored the entry" || fail "process A (wms_demo put)"

	say "Process B (a different process) reads it back"
	sh -c 'echo "[B] I am pid $$"; exec /wms_demo get greeting' >/tmp/demo.get 2>&1 &
	wait $!
	rc=$?
	cat /tmp/demo.get
	if [ "$rc" = 0 ] && grep -q 'hello from pid' /tmp/demo.get; then
		pass "process B saw process A's data"
	else
		fail "process B did not read the greeting (exit $rc)"
	fi

	say "Sharing without copies: A and B map one entry and see each other's stores"
	sh -c 'echo "[A] I am pid $$"; exec /wms_demo ping board' >/tmp/demo.ping 2>&1 &
	ping_pid=$!
	sleep 1
	sh -c 'echo "[B] I am pid $$"; exec /wms_demo pong board'
	pong_rc=$?
	wait $ping_pid
	ping_rc=$?
	cat /tmp/demo.ping
	if [ "$pong_rc" = 0 ] && [ "$ping_rc" = 0 ] &&
	   grep -q 'my mapping now says: pong' /tmp/demo.ping; then
		pass "A saw B's store through its own mapping"
	else
		fail "mapping demo (ping exit $ping_rc, pong exit $pong_rc)"
	fi

	say "List the entries: /wms_demo ls"
	/wms_demo ls && pass "ls" || fail "wms_demo ls"

	say "Remove them: /wms_demo rm greeting board"
	/wms_demo rm greeting && /wms_demo rm board && pass "rm" || fail "wms_demo rm"
	/wms_demo ls

	say "Unload the module: rmmod wms"
	if rmmod wms && [ ! -e /dev/wms ] && [ ! -e /sys/module/wms ]; then
		echo "/dev/wms and /sys/module/wms are gone; lsmod now:"
		lsmod
		pass "module unloaded cleanly"
	else
		fail "rmmod wms (or /dev/wms, /sys/module/wms still there)"
	fi
	kcollect
	if grep -Eq "$BAD" /tmp/kmsg 2>/dev/null; then
		print_kernel_log
	else
		say "kernel messages"
		cat /tmp/kmsg
	fi
	echo
	echo "WMS-RESULT: passed=$P failed=$F"
}

# ---------------------------------------------------------------------------
mode_shell() {
	load_deps
	if insmod /wms.ko; then
		ls -l /dev/wms
	else
		echo "insmod /wms.ko FAILED; you get the shell anyway"
	fi
	cat <<'EOF'

=== wms VM shell ===
/wms.ko is loaded. Around: /wmsctl /wms_demo /wms_test /wms_attach_test /libwms_test
/wms_example.ko. Try: /wmsctl add a 4K; echo hi | /wmsctl write a; /wmsctl ls -l;
cat /proc/driver/wms; /wmsctl stats; rmmod wms; insmod /wms.ko max_entries=16
Leave with "exit" (or Ctrl-D): the VM powers off. Ctrl-A x kills QEMU.

EOF
	export PS1='wms-vm:\w# '
	export HOME=/
	setsid cttyhack sh
	echo "shell exited; powering off"
}

# ---------------------------------------------------------------------------
# set_sysctl NAME VALUE: write /proc/sys/NAME, say what it is now.
set_sysctl() {
	if echo "$2" >"/proc/sys/$1" 2>/dev/null; then
		echo "  $1 = $(cat "/proc/sys/$1")"
	else
		echo "  $1: could not set $2 (it is $(cat "/proc/sys/$1" 2>/dev/null))"
	fi
}

mode_bench() {
	WMS_BENCH_BUDGET=${WMS_BENCH_BUDGET:-330}
	T0=$(cat /proc/sys/kernel/tainted)
	echo
	echo "WMS-VM: kernel $(uname -r), userspace up at $(uptime_s)s, mode bench, tainted at boot: $T0"
	dmesg -c >/tmp/kmsg.boot 2>/dev/null
	if grep -Eq "$BAD" /tmp/kmsg.boot; then
		say "boot log problems (before any wms module was loaded)"
		grep -E -A 30 "$BAD" /tmp/kmsg.boot | head -n 200
	fi
	load_deps

	say "limits of the anchors (kernel command line: $(cat /proc/cmdline))"
	set_sysctl fs/nr_open 4194304
	set_sysctl fs/file-max 16777216
	# Up to IPCMNI_EXTEND (16M) with ipcmni_extend on the command line, else 32768.
	set_sysctl kernel/shmmni 2097152
	set_sysctl kernel/keys/root_maxkeys 4000000
	set_sysctl kernel/keys/root_maxbytes 2000000000
	mkdir -p /dev/shm
	if mount -t tmpfs -o mode=1777,nr_inodes=4000000 tmpfs /dev/shm; then
		echo "  /dev/shm: $(grep ' /dev/shm ' /proc/mounts)"
	else
		fail "mount tmpfs on /dev/shm"
	fi
	grep -E 'MemTotal|MemAvailable' /proc/meminfo

	say "insmod /wms.ko max_entries=2000000 max_total_bytes=1099511627776"
	if insmod /wms.ko max_entries=2000000 max_total_bytes=1099511627776 && [ -c /dev/wms ]; then
		say "/wms_bench --budget $WMS_BENCH_BUDGET $WMS_BENCH_ARGS"
		# shellcheck disable=SC2086  # WMS_BENCH_ARGS is a list of options
		timeout -s KILL $((WMS_BENCH_BUDGET + 150)) /wms_bench \
			--budget "$WMS_BENCH_BUDGET" --csv /tmp/results.csv \
			--summary /tmp/summary.md $WMS_BENCH_ARGS
		rc=$?
		if [ "$rc" = 0 ]; then
			pass "wms_bench"
		else
			fail "wms_bench exit status $rc"
		fi
	else
		fail "insmod /wms.ko (or /dev/wms missing)"
	fi

	echo
	echo "WMS-BENCH-CSV-BEGIN"
	[ -r /tmp/results.csv ] && cat /tmp/results.csv
	echo "WMS-BENCH-CSV-END"
	echo "WMS-BENCH-SUMMARY-BEGIN"
	[ -r /tmp/summary.md ] && cat /tmp/summary.md
	echo "WMS-BENCH-SUMMARY-END"
	[ -s /tmp/results.csv ] || fail "no results.csv"

	kcollect
	if grep -Eq "$BAD" /tmp/kmsg 2>/dev/null; then
		say "kernel log problems"
		grep -E -A 30 "$BAD" /tmp/kmsg | head -n 300
		fail "kernel log has problem lines (see above)"
	fi
	echo
	echo "WMS-VM: result at $(uptime_s)s"
	echo "WMS-RESULT: passed=$P failed=$F"
}

case "$MODE" in
test) mode_test ;;
run) mode_run ;;
shell) mode_shell ;;
bench) mode_bench ;;
endurance) mode_endurance ;;
fuzz) mode_fuzz ;;
*) echo "WMS-VM: unknown MODE '$MODE'"; echo "WMS-RESULT: passed=0 failed=1" ;;
esac
finish
