# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# /harness.sh: sourced by the test VM's /init (userspace-test/vm/init.sh) and
# the UML debug kernel's /test.sh (userspace-test/uml/test.sh), busybox ash.
#
# Every check prints one record line that the host turns into one result of
# `make test` (scripts/records.sh):
#   WMS-T LABEL PASS|FAIL|SKIP NAME    a test of a TAP program (run_harness)
#   WMS-CHECK ok: TEXT                 a check of the script itself (pass)
#   WMS-CHECK FAILED: TEXT             (fail)
# and the totals go into P and F for the WMS-RESULT line. A skipped test is
# a failure here: the runners select what applies to the kernel (-f/-F/-t/-T)
# and say so, so a skip is always a surprise.

P=0
F=0
pass() { P=$((P + 1)); echo "WMS-CHECK ok: $*"; }
fail() { F=$((F + 1)); echo "WMS-CHECK FAILED: $*"; }
say() { echo; echo "### $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The TAP results in $1 as WMS-T lines. kselftest_harness.h of 6.1 names a
# test in its "#  OK  fixture.test" line and leaves the name out of its
# "ok N # SKIP reason" line; other programs print "ok N - name".
tap_records() {
	awk -v label="$2" '
	/^#[ \t]+(OK|FAIL)[ \t]+[^ \t]+$/ { last = $NF; next }
	/^(not )?ok [0-9]+/ {
		res = ($1 == "not") ? "FAIL" : "PASS"
		line = $0
		sub(/^(not )?ok [0-9]+ ?(- )?/, "", line)
		if (line ~ /# SKIP/) res = "SKIP"
		sub(/ *# (SKIP|XFAIL|TODO).*$/, "", line)
		name = (line == "") ? last : line
		if (name == "") name = "test-" $2
		print "WMS-T " label " " res " " name
		last = ""
	}' "$1"
}

# run_harness_t SECONDS LABEL CMD...: run a TAP program (a kselftest-harness
# binary, or a script that prints the harness's "# Totals:" line) for at most
# SECONDS, print a record per test, add its totals to P and F.
run_harness_t() {
	limit=$1
	label=$2
	shift 2
	say "$label: $* (at $(uptime_s)s, limit ${limit}s)"
	t_start=$(uptime_s)
	# shellcheck disable=SC3040  # busybox ash has pipefail
	set -o pipefail
	timeout -s KILL "$limit" "$@" 2>&1 | tee /tmp/harness.out
	rc=$?
	# shellcheck disable=SC3040
	set +o pipefail
	echo "WMS-TIME $label: $(awk -v a="$t_start" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }') s"
	tap_records /tmp/harness.out "$label"
	tot=$(grep '^# Totals:' /tmp/harness.out | tail -n 1)
	if [ -z "$tot" ]; then
		if [ "$rc" = 137 ]; then
			fail "$label: killed after ${limit}s, no '# Totals' line"
		else
			fail "$label: no '# Totals' line (exit status $rc)"
		fi
		return 1
	fi
	num() { echo "$tot" | sed -n "s/.* $1:\([0-9][0-9]*\).*/\1/p"; }
	np=$(num pass)
	nf=$(num fail)
	nxf=$(num xfail)
	nxp=$(num xpass)
	ns=$(num skip)
	ne=$(num error)
	: "${np:=0}" "${nf:=0}" "${nxf:=0}" "${nxp:=0}" "${ns:=0}" "${ne:=0}"
	# pass and xfail count as passed; fail, xpass, error and skip as failed.
	P=$((P + np + nxf))
	F=$((F + nf + nxp + ne + ns))
	echo "WMS-HARNESS $label: pass=$np fail=$nf xfail=$nxf xpass=$nxp skip=$ns error=$ne exit=$rc (at $(uptime_s)s)"
	if [ "$rc" != 0 ] && [ $((nf + nxp + ne)) = 0 ]; then
		fail "$label: exit status $rc although the totals show no failure"
	fi
	[ $((nf + nxp + ne + ns)) = 0 ] && [ "$rc" = 0 ]
}

# run_fuzz BIN SECONDS MIN_OPS SEED ARGS...: the differential fuzzer BIN
# (wms_fuzz, or its 32-bit build wms_fuzz32; wms loaded) with SEED and ARGS
# (-n OPS, -t SECONDS), so that a divergence can be replayed with
# BIN -s SEED -n OPS. One run is one check, whatever its length; its record
# names the operations done, and a run that did fewer than MIN_OPS (or
# none) fails.
run_fuzz() {
	fz_bin=$1
	fz_limit=$2
	fz_min=$3
	fz_seed=$4
	shift 4
	if [ ! -x "/$fz_bin" ]; then
		fail "/$fz_bin missing"
		return
	fi
	run_harness_t "$fz_limit" "$fz_bin" "/$fz_bin" -s "$fz_seed" "$@"
	fz_ok=$?
	fz_done=$(sed -n 's/^# fuzz: \([0-9]*\) ops, seed.*/\1/p' /tmp/harness.out | tail -n 1)
	: "${fz_done:=0}"
	# For the host's summary (run-vm.sh): what ran, how fast, with what seed.
	sed -n 's/^# ran \([0-9]*\) ops in \([0-9.]*\) s: \([0-9]*\) ops\/s.*/WMS-FUZZ: ops=\1 seconds=\2 rate=\3/p' \
		/tmp/harness.out
	sed -n 's/^# fuzz: \([0-9]*\) ops, seed \([0-9]*\), \([0-9]*\) divergences.*/WMS-FUZZ: seed=\2 divergences=\3/p' \
		/tmp/harness.out
	fz_res=FAIL
	[ "$fz_ok" = 0 ] && [ "$fz_min" -ge 1 ] && [ "$fz_done" -ge "$fz_min" ] &&
		fz_res=PASS
	echo "WMS-T $fz_bin $fz_res run seed=$fz_seed ops=$fz_done"
	# A run that passed its own totals but did too few operations.
	[ "$fz_res" = FAIL ] && [ "$fz_ok" = 0 ] && F=$((F + 1))
	return 0
}

# ns_holder_start: a process in a new IPC namespace (unshare -i) that made
# the entry ns.rmmod there with /wmsctl and holds no file of /dev/wms: the
# namespace's registry lives on with nothing pinning the module, as a
# container's does between its programs. NS_HOLDER is its pid. Returns 0
# once sysfs counts the registry (within 10 s), else 1.
# ns_holder_stop: kill it and reap it.
ns_holder_start() {
	NS_HOLDER=
	nh_reg0=$(cat /sys/class/misc/wms/registries 2>/dev/null) || return 1
	rm -f /tmp/ns_holder
	unshare -i sh -c '/wmsctl add ns.rmmod 4096 > /dev/null && echo ok > /tmp/ns_holder && exec sleep 600' &
	NS_HOLDER=$!
	nh_i=0
	while [ "$nh_i" -lt 100 ]; do
		if [ -s /tmp/ns_holder ] &&
		   [ "$(cat /sys/class/misc/wms/registries)" = $((nh_reg0 + 1)) ]; then
			return 0
		fi
		sleep 0.1
		nh_i=$((nh_i + 1))
	done
	echo "registries: $nh_reg0 before, $(cat /sys/class/misc/wms/registries) after; holder: $(cat /tmp/ns_holder 2>/dev/null)"
	return 1
}

ns_holder_stop() {
	if [ -n "$NS_HOLDER" ]; then
		kill "$NS_HOLDER" 2>/dev/null
		wait "$NS_HOLDER" 2>/dev/null
	fi
	NS_HOLDER=
	rm -f /tmp/ns_holder
}

# rmmod_with_namespace: rmmod wms while a namespace of ns_holder_start holds
# a registry with an entry; one check, whose failure says which part
# failed. The module's exit frees them (the debug kernel's kmemleak scan and
# both kernels' log checks see the rest). 0 when wms was unloaded (even if
# the namespace could not be made: then the check has failed).
rmmod_with_namespace() {
	rn_name="rmmod wms while an IPC namespace (a process, no file) holds a registry with an entry"
	rn_rc=1
	if ! ns_holder_start; then
		fail "$rn_name: no such namespace (unshare -i, /wmsctl add)"
		rmmod wms && rn_rc=0
	elif rmmod wms; then
		pass "$rn_name"
		rn_rc=0
	else
		fail "$rn_name: rmmod failed"
	fi
	ns_holder_stop
	return "$rn_rc"
}
