#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /test.sh: init (PID 1, busybox ash) of the UML debug kernel booted by
# scripts/uml-debug.sh on a hostfs root. Loads /wms.ko, runs the userspace
# suites on a kernel with KASAN, lockdep, PROVE_RCU, kmemleak, DEBUG_LIST and
# fault injection, unloads wms, and makes kmemleak scan for what was left:
#
#   /wms_badin_test, /wms_test (but its limits fixture), /wms_attach_test,
#   /wms_map_test, /wms_security_test, /wms_hostile_test, /wms_ns_test,
#   /libwms_test
#   /wmsctl_test.sh                                   (WMSCTL_TEST_BULK entries)
#   wms_python_test.py  the Python binding, run by the host's python3 (below)
#   /wms_failnth_test   every call failed at each of its allocations in turn
#   /wms_fuzz           WMS_FUZZ_OPS (100,000) random operations, seed
#                       WMS_FUZZ_SEED (1), against a model of the ABI
#   /endurance.sh       only with WMS_UML_ENDURANCE=1 (long)
#   rmmod wms while a process of a new IPC namespace holds a registry with
#   an entry (no file); kmemleak scan twice; any report fails
#
# The 32-bit builds are not run: UML has no 32-bit syscall emulation.
# Prints a record line per check (/harness.sh, shared with the Debian VMs:
# a skipped test is a failure) and "WMS-RESULT: passed=P failed=F", then
# powers off.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/shm /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
hostname wms-uml

WMSCTL_TEST_BULK=200
WMS_UML_ENDURANCE=0
WMS_UML_SUITE_TIMEOUT=900
WMS_UML_SUITES="wms_badin_test wms_test wms_attach_test wms_map_test wms_security_test wms_hostile_test wms_ns_test libwms_test wmsctl_test wms_python_test wms_failnth_test wms_fuzz"
WMS_FAILNTH_ARGS=
# A fixed seed: the same operations every run, so a divergence is
# reproducible with the seed printed.
WMS_FUZZ_OPS=100000
WMS_FUZZ_SEED=1
WMS_FUZZ_TIMEOUT=
# Its timeout, unless WMS_FUZZ_TIMEOUT: WMS_FUZZ_OPS at FUZZ_RATE ops/s, plus
# 300 s for its start, checks and a shrink. Measured here: 2144 ops/s with
# the host idle (100,000 ops in 47 s); 200 leaves room for a busy host.
FUZZ_RATE=200
# shellcheck disable=SC1091  # written by scripts/uml-debug.sh
[ -r /etc/wms-uml.conf ] && . /etc/wms-uml.conf
export WMSCTL_TEST_BULK WMS_ENDURANCE_CYCLES WMS_ENDURANCE_SECONDS WMS_ENDURANCE_TRACE

DBG=/sys/kernel/debug
# What the init unwind test's kernel log must not hold (the host's list,
# without the stack dumps that expected allocation failures print).
BAD_INIT='BUG:|KASAN|possible circular|possible recursive|suspicious RCU|WARNING:|Oops|[Kk]ernel panic|general protection'
KMEMLEAK=$DBG/kmemleak
finish() {
	sync
	poweroff -f
	sleep 5
	halt -f
	while :; do sleep 60; done
}

# pass, fail, say, run_harness_t, run_fuzz: shared with the Debian VMs.
. /harness.sh

# run_harness LABEL CMD...: a TAP program with the per-suite time limit.
run_harness() {
	run_harness_t "$WMS_UML_SUITE_TIMEOUT" "$@"
}

# wms_python_test: the Python binding (/python: the wms package,
# libwms.so.1 and the test). python3 is the host's: the root of this kernel
# is a directory of the host (hostfs), so the host's / is mounted read-only
# at /host and the test runs chrooted there, with this kernel's /proc, /sys
# and /dev and a tmpfs on /tmp that holds a copy of /python. No python3 on
# the host, or no Totals line from the test (wms not importable), fails.
python_suite() {
	ph=/host
	mkdir -p "$ph"
	if ! mount -t hostfs -o ro,/ hostfs "$ph"; then
		fail "wms_python_test: cannot mount the host's / (hostfs) on $ph"
		return
	fi
	if [ ! -x "$ph/usr/bin/python3" ]; then
		fail "wms_python_test: no python3 on the host (/usr/bin/python3)"
	elif ! { mount -t proc proc "$ph/proc" && mount -t sysfs sysfs "$ph/sys" &&
		 mount -t devtmpfs devtmpfs "$ph/dev" &&
		 mount -t tmpfs -o mode=1777 tmpfs "$ph/tmp"; }; then
		fail "wms_python_test: cannot mount /proc, /sys, /dev or /tmp under $ph"
	elif ! { mkdir "$ph/tmp/wms-python" && cp -R /python/. "$ph/tmp/wms-python/" &&
		 chmod -R a+rX "$ph/tmp/wms-python"; }; then
		fail "wms_python_test: cannot copy /python to $ph/tmp"
	else
		echo "(python3: $(chroot "$ph" /usr/bin/python3 --version 2>&1), the host's, in a chroot of its read-only /)"
		run_harness wms_python_test chroot "$ph" /usr/bin/env -i \
			PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 \
			PYTHONDONTWRITEBYTECODE=1 LD_LIBRARY_PATH=/tmp/wms-python \
			PYTHONPATH=/tmp/wms-python \
			/usr/bin/python3 /tmp/wms-python/wms_python_test.py
	fi
	for m in tmp dev sys proc; do
		grep -q " $ph/$m " /proc/mounts && umount "$ph/$m"
	done
	umount "$ph"
}

# Fault injection must not print (FAULT_INJECTION: forcing a failure, and a
# stack dump) when a test fails an allocation on purpose.
quiet_faults() {
	for a in failslab fail_page_alloc fail_wms; do
		[ -w "$DBG/$a/verbose" ] && echo 0 >"$DBG/$a/verbose"
	done
}

# ---------------------------------------------------------------------------
echo
echo "WMS-UML: kernel $(uname -r), userspace up at $(uptime_s)s, tainted at boot: $(cat /proc/sys/kernel/tainted)"
T0=$(cat /proc/sys/kernel/tainted)

# kmemleak: no automatic scans (a leak reported by one and then cleared
# would be missed); what boot itself left is scanned and cleared once the
# boot objects are older than kmemleak's minimum age (5 s).
if [ -w "$KMEMLEAK" ]; then
	echo scan=off >"$KMEMLEAK"
	while [ "$(cut -d. -f1 /proc/uptime)" -lt 7 ]; do sleep 1; done
	echo scan >"$KMEMLEAK"
	n=$(grep -c '^unreferenced object' "$KMEMLEAK")
	echo "kmemleak: $n suspects from boot, cleared (not counted)"
	echo clear >"$KMEMLEAK"
	pass "kmemleak is on"
else
	fail "no $KMEMLEAK: the kernel lacks DEBUG_KMEMLEAK or debugfs"
fi
quiet_faults

say "insmod /wms.ko"
loaded=0
if insmod /wms.ko && [ -c /dev/wms ]; then
	loaded=1
	pass "insmod /wms.ko, /dev/wms there"
	quiet_faults
	for t in $WMS_UML_SUITES; do
		args=
		case "$t" in
		none) continue ;;
		wms_test)
			# Its limits fixture needs small limits: the VMs run it.
			args="-F limits" ;;
		wms_attach_test)
			# UML's uaccess takes a PROT_NONE page for present
			# (pte_present() includes _PAGE_PROTNONE), so a write(2)
			# from a partly PROT_NONE buffer cannot fault there.
			echo "(not selected: attach.rw_partly_unmapped_efault: PROT_NONE does not fault in UML's copy_from_user)"
			args="-T rw_partly_unmapped_efault" ;;
		wms_ns_test)
			# Its churn compares memory with a baseline: allow for
			# the address sanitizer's quarantine, as endurance below.
			kb=$(awk '$1 == "MemTotal:" { print int($2 / 32) + 512 }' /proc/meminfo)
			echo "(wms_ns_test: Slab noise $kb kB, MemFree noise $((kb + 8192)) kB, for the quarantine)"
			export WMS_ENDURANCE_SLAB_NOISE_KB="${WMS_ENDURANCE_SLAB_NOISE_KB:-$kb}"
			export WMS_ENDURANCE_MEMFREE_NOISE_KB="${WMS_ENDURANCE_MEMFREE_NOISE_KB:-$((kb + 8192))}" ;;
		wmsctl_test)
			echo "(wmsctl_test.sh with WMSCTL_TEST_BULK=$WMSCTL_TEST_BULK: lowered for UML speed, 1000 in the Debian VMs)"
			t=wmsctl_test.sh ;;
		wms_python_test)
			python_suite
			continue ;;
		wms_failnth_test)
			args=$WMS_FAILNTH_ARGS
			quiet_faults ;;
		wms_fuzz)
			# Last: the check below sees what it left.
			run_fuzz wms_fuzz \
				"${WMS_FUZZ_TIMEOUT:-$((WMS_FUZZ_OPS / FUZZ_RATE + 300))}" \
				"$WMS_FUZZ_OPS" "$WMS_FUZZ_SEED" -n "$WMS_FUZZ_OPS"
			continue ;;
		esac
		if [ -x "/$t" ]; then
			# shellcheck disable=SC2086  # args is a list of options
			run_harness "$t" "/$t" $args
		else
			fail "/$t missing from the root"
		fi
	done
	left=$(tail -n +2 /proc/driver/wms | wc -l)
	if [ "$left" = 0 ]; then
		pass "/proc/driver/wms empty after the suites"
	else
		fail "$left entries left after the suites"
		head -n 20 /proc/driver/wms
	fi
else
	fail "insmod /wms.ko (or no /dev/wms)"
fi

if [ "$loaded" = 1 ]; then
	say "rmmod wms while an IPC namespace holds a registry"
	if rmmod_with_namespace; then
		if [ -e /dev/wms ] || [ -e /sys/module/wms ]; then
			fail "rmmod wms left /dev/wms or /sys/module/wms"
		else
			pass "rmmod wms left no /dev/wms or /sys/module/wms"
		fi
	fi
fi

# Module init's unwind (wms_init_test, with wms unloaded): a failed load
# of the kernel's own prints allocation-failure reports (warn_alloc: a
# stack dump), which are expected here. For its run the console shows
# errors and worse (KASAN reports are errors), not warnings; its kernel
# log is then searched for what must never appear, as the host searches
# the console.
if [ -x /wms_init_test ] && [ ! -e /sys/module/wms ]; then
	dmesg -c >/dev/null
	printk_was=$(cut -f1 /proc/sys/kernel/printk)
	echo 4 >/proc/sys/kernel/printk
	run_harness wms_init_test /wms_init_test -m /wms.ko
	echo "$printk_was" >/proc/sys/kernel/printk
	if dmesg | grep -Eq "$BAD_INIT"; then
		dmesg | grep -E -A 20 "$BAD_INIT" | head -n 60
		fail "wms_init_test: the kernel log has problem lines (above)"
	else
		pass "wms_init_test: its kernel log has no problem line"
	fi
elif [ ! -x /wms_init_test ]; then
	fail "/wms_init_test missing from the root"
else
	fail "wms still loaded: the init unwind test needs it unloaded"
fi
if [ "$WMS_UML_ENDURANCE" = 1 ]; then
	# KASAN keeps freed objects in its quarantine (up to 1/32 of the
	# memory), which Slab counts: kmemleak is the leak check here.
	if [ -z "$WMS_ENDURANCE_SLAB_NOISE_KB" ]; then
		WMS_ENDURANCE_SLAB_NOISE_KB=$(( $(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo) / 32 + 512 ))
		export WMS_ENDURANCE_SLAB_NOISE_KB
		echo "(endurance: Slab noise $WMS_ENDURANCE_SLAB_NOISE_KB kB, for the address sanitizer's quarantine)"
	fi
	if [ -z "$WMS_ENDURANCE_MEMFREE_NOISE_KB" ]; then
		WMS_ENDURANCE_MEMFREE_NOISE_KB=$((WMS_ENDURANCE_SLAB_NOISE_KB + 8192))
		export WMS_ENDURANCE_MEMFREE_NOISE_KB
	fi
	if [ -x /endurance.sh ]; then
		run_harness endurance /endurance.sh
		rmmod wms 2>/dev/null
	else
		fail "/endurance.sh missing from the root"
	fi
fi

if [ -w "$KMEMLEAK" ]; then
	say "kmemleak (at $(uptime_s)s)"
	# Objects freed by RCU after the unload, and kmemleak's minimum age.
	sleep 6
	echo scan >"$KMEMLEAK"
	sleep 2
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK" >/tmp/kmemleak.out
	n=$(grep -c '^unreferenced object' /tmp/kmemleak.out)
	if [ "$n" = 0 ]; then
		pass "kmemleak: nothing reported after the tests and rmmod"
	else
		cat /tmp/kmemleak.out
		fail "kmemleak: $n unreferenced objects (above)"
	fi
fi

T1=$(cat /proc/sys/kernel/tainted)
if [ $((T1 & ~0x3000)) = 0 ]; then
	pass "taint $T1 (at boot $T0)"
else
	fail "taint $T1: bits outside 0x3000 set ($((T1 & ~0x3000)))"
fi

echo
echo "WMS-UML: done at $(uptime_s)s"
echo "WMS-RESULT: passed=$P failed=$F"
finish
