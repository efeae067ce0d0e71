#!/usr/bin/env bash
# run-vm.sh: boot a Debian distribution kernel under QEMU (TCG, no KVM needed)
# with wms.ko and the static test programs in an initramfs, and test or demo it.
#
#   run-vm.sh --kver KVER --mode test|run|shell|bench|endurance|fuzz [--ko-dir DIR]
#             [--bin-dir DIR] [--out DIR] [--kernel FILE] [--arch ARCH]
#
#   KVER       Debian kernel release, e.g. 6.1.0-56-amd64 or 6.12.117+deb12-amd64
#   --ko-dir   holds module/wms.ko and module/example/wms_example.ko built for KVER
#              (default: the repository root)
#   --bin-dir  holds the static binaries: wms_demo, wmsctl, the suites wms_*test*
#              and libwms_test*, wms_fuzz, wms_load, wmsctl_test.sh and
#              endurance.sh (every executable wms_*, libwms_*, wmsctl* and
#              endurance.sh there is packed; default: <repo>/userspace-test)
#   --kernel   the kernel to boot, in an unpacked image package (its
#              lib/modules/KVER has the distribution modules; made by
#              scripts/kernel-image.sh); default: Debian 12's
#              linux-image-KVER-unsigned, downloaded with the host's APT
#   --arch     the Debian architecture of the kernel, wms.ko and the binaries:
#              amd64 (default), i386, arm64, ppc64el or s390x. Each has its
#              QEMU (qemu-system-x86_64, -i386, -aarch64, -ppc64, -s390x:
#              packages qemu-system-x86, -arm, -ppc, -misc), machine, CPU and
#              console; the guest's busybox is that arch's busybox-static
#              (scripts/cross.sh). Every arch but amd64 needs --kernel, and
#              has no 32-bit compat builds (the guest runs no *32 binaries).
#
# test   runs the test suite in the VM, the differential fuzzer included
#        (wms_fuzz -s WMS_FUZZ_SEED -n WMS_FUZZ_OPS); exit 0 only if the VM
#        printed its "WMS-RESULT: passed=P failed=0" marker and the serial log
#        has no Oops/BUG/WARNING/... line. Prints "vm KVER: P passed, F failed".
# endurance  runs endurance.sh (insmod/rmmod cycles with entries present,
#        then wms_load; memory against a baseline) and the checks of test
#        mode. Prints "endurance KVER: P passed, F failed".
# fuzz   runs wms_fuzz for WMS_FUZZ_SECONDS with the seed WMS_FUZZ_SEED, shown
#        live. Prints "fuzz KVER: P passed, F failed" (the fuzzer run is one
#        check, and so is each check after it).
# run    a short narrated demo, shown live.
# shell  an interactive busybox shell in the VM with wms.ko loaded.
# bench  runs /wms_bench (wms against POSIX shm, SysV shm, keyrings, memfd),
#        shown live, with more memory (-m $WMS_BENCH_MEM), MTTCG and
#        ipcmni_extend on the kernel command line; writes the CSV and the
#        Markdown summary the VM prints between its WMS-BENCH-* marker lines
#        to --out DIR (default <repo>/docs/bench) as results-KVER.csv and
#        summary-KVER.md. Exit 0 only if the bench passed, the CSV came out
#        and the serial log has no problem line.
#
# Environment:
#   WMS_CACHE            cache for .debs, kernels, logs, temp files (default ~/.cache/wms)
#   WMS_RESULTS          if set, a record per check (scripts/records.sh) and one
#                        for the run are appended to this file, under the stage
#                        vm-KVER (test), endurance-KVER or fuzz-KVER
#   WMS_VM_TIMEOUT       QEMU wall-clock limit in seconds (default: run 600,
#                        test 600 + WMS_FUZZ_TIMEOUT, endurance
#                        WMS_ENDURANCE_TIMEOUT + 300, fuzz WMS_FUZZ_TIMEOUT + 300)
#   WMS_VM_SHELL_TIMEOUT the same for shell mode (default 86400)
#   WMS_VM_TEST_TIMEOUT  limit for each test-binary run inside the VM (default 300)
#   WMS_FUZZ_SEED        test, fuzz: the fuzzer's seed (default 1 in test mode,
#                        so that every run does the same ops; fuzz: a random one)
#   WMS_FUZZ_OPS         test: the fuzzer's operations (default 1000000)
#   WMS_FUZZ_SECONDS     fuzz: how long the fuzzer runs (default 300)
#   WMS_FUZZ_TIMEOUT     limit of the fuzzer inside the VM (default: test 900,
#                        fuzz 3 x WMS_FUZZ_SECONDS + 300: after a divergence
#                        its shrinking replays the run twice, plus 120 s)
#   WMS_ENDURANCE_TIMEOUT  endurance: limit of endurance.sh in the VM (default 1200)
#   WMS_ENDURANCE_CYCLES, WMS_ENDURANCE_SECONDS, WMS_ENDURANCE_THREADS
#                        endurance: passed to endurance.sh (defaults 1000, 60, 8)
#   WMS_VM_KERNEL        vmlinux|bzimage: force the kernel format (default vmlinux
#                        when it has a PVH entry note, else bzimage)
#   WMS_VM_VERBOSE=1     show the serial console live in test mode too
#   WMS_VM_KEEP=1        keep the initramfs build directory
#   WMS_VM_QEMU_EXTRA    extra QEMU arguments (split on blanks), e.g. "-s" for gdb
#   WMS_VM_CPU           the emulated CPU model (default max), e.g. max,-erms
#   WMS_BENCH_MEM        bench: guest memory in MiB (default 4096; lowered, with a
#                        note, if the host has less available)
#   WMS_BENCH_BUDGET     bench: seconds the benchmark may take in the guest
#                        (default 330); the QEMU limit is this + 240 unless
#                        WMS_VM_TIMEOUT is set
#   WMS_BENCH_ARGS       bench: extra wms_bench options, e.g. "--quick"
#
# Exit status: 0 passed, 1 failed (tests, kernel problems, timeout), 2 usage or setup error.
set -euo pipefail

PROG=run-vm
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)

CACHE=${WMS_CACHE:-$HOME/.cache/wms}
TIMEOUT=${WMS_VM_TIMEOUT:-600}
TEST_TIMEOUT=${WMS_VM_TEST_TIMEOUT:-300}
FUZZ_OPS=${WMS_FUZZ_OPS:-1000000}
FUZZ_SECONDS=${WMS_FUZZ_SECONDS:-300}
ENDURANCE_TIMEOUT=${WMS_ENDURANCE_TIMEOUT:-1200}
SHELL_TIMEOUT=${WMS_VM_SHELL_TIMEOUT:-86400}

# Lines in the serial log that fail any run.
BAD_RE='Oops|BUG:|WARNING:|Call Trace|KASAN|general protection|[Kk]ernel panic|lockdep|possible circular|possible recursive|suspicious RCU'

KVER=""
MODE=""
KO_DIR=""
BIN_DIR=""
OUT_DIR=""
KERNEL_ARG=""
ARCH=amd64
WORK=""
RESULT_RECORDED=0

msg() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: error: $*" >&2; exit 2; }

usage() {
	cat >&2 <<EOF
usage: $0 --kver KVER --mode test|run|shell|bench|endurance|fuzz [--ko-dir DIR] [--bin-dir DIR] [--out DIR]
          [--kernel FILE] [--arch amd64|i386|arm64|ppc64el|s390x]
  KVER     Debian kernel release, e.g. 6.1.0-56-amd64 or 6.12.117+deb12-amd64
  --ko-dir DIR   has module/wms.ko and module/example/wms_example.ko (default: $REPO)
  --bin-dir DIR  has wms_test, wms_fuzz, wms_demo, wms_load, wmsctl, endurance.sh, optional
                 wms_test32, wms_bench (default: $REPO/userspace-test)
  --out DIR      bench: where results-KVER.csv and summary-KVER.md go (default: $REPO/docs/bench)
  --kernel FILE  the kernel image in an unpacked image package (scripts/kernel-image.sh)
  --arch ARCH    the kernel's Debian architecture (default amd64; the others need --kernel)
EOF
	exit 2
}

# The modes whose result counts in `make test` (WMS_RESULTS), and the name
# their results go under: "vm" for test mode, else the mode.
recorded_mode() { [[ $MODE = test || $MODE = endurance || $MODE = fuzz ]]; }
suite_label() { if [[ $MODE = test ]]; then echo vm; else echo "$MODE"; fi; }

# Append this run's records to WMS_RESULTS (scripts/records.sh): one per
# check the guest printed, and one for the run itself (RESULT, WHAT): it
# booted, ended with one WMS-RESULT line, and the kernel printed nothing bad
# that the guest did not already count.
record_result() { # PASS|FAIL WHAT
	RESULT_RECORDED=1
	[[ -n ${WMS_RESULTS:-} && -n $KVER ]] || return 0
	local stage
	stage=$(suite_label)-$KVER
	if [[ -n ${SERIAL:-} && -f $SERIAL ]]; then
		bash "$REPO/scripts/records.sh" "$stage" "$SERIAL" >>"$WMS_RESULTS"
	fi
	echo "$stage test $1 run $2" >>"$WMS_RESULTS"
}

# shellcheck disable=SC2317  # called through the trap
on_exit() {
	local rc=$?
	# A setup error (or anything else) after --kver was known still counts as a failed VM run.
	if [[ $rc != 0 && $RESULT_RECORDED = 0 ]] && recorded_mode; then
		record_result FAIL "setup of the $MODE run (exit status $rc)"
	fi
	if [[ -n $WORK && -d $WORK && ${WMS_VM_KEEP:-0} != 1 ]]; then
		rm -rf "$WORK"
	elif [[ -n $WORK && -d $WORK ]]; then
		msg "kept $WORK"
	fi
	exit "$rc"
}
trap on_exit EXIT

# ---------------------------------------------------------------------------
while [[ $# -gt 0 ]]; do
	case $1 in
	--kver) KVER=${2:-}; shift 2 || usage ;;
	--kver=*) KVER=${1#*=}; shift ;;
	--mode) MODE=${2:-}; shift 2 || usage ;;
	--mode=*) MODE=${1#*=}; shift ;;
	--ko-dir) KO_DIR=${2:-}; shift 2 || usage ;;
	--ko-dir=*) KO_DIR=${1#*=}; shift ;;
	--bin-dir) BIN_DIR=${2:-}; shift 2 || usage ;;
	--bin-dir=*) BIN_DIR=${1#*=}; shift ;;
	--out) OUT_DIR=${2:-}; shift 2 || usage ;;
	--out=*) OUT_DIR=${1#*=}; shift ;;
	--kernel) KERNEL_ARG=${2:-}; shift 2 || usage ;;
	--kernel=*) KERNEL_ARG=${1#*=}; shift ;;
	--arch) ARCH=${2:-}; shift 2 || usage ;;
	--arch=*) ARCH=${1#*=}; shift ;;
	-h | --help) usage ;;
	*) msg "unknown argument: $1"; usage ;;
	esac
done
[[ -n $KVER ]] || { msg "--kver is required"; usage; }
[[ $KVER =~ ^[A-Za-z0-9.+~_-]+$ ]] || die "odd kernel release '$KVER'"
case $MODE in test | run | shell | bench | endurance | fuzz) ;; *) msg "--mode must be test, run, shell, bench, endurance or fuzz"; usage ;; esac
KO_DIR=${KO_DIR:-$REPO}
BIN_DIR=${BIN_DIR:-$REPO/userspace-test}
[[ -d $KO_DIR ]] || die "--ko-dir $KO_DIR is not a directory"
[[ -d $BIN_DIR ]] || die "--bin-dir $BIN_DIR is not a directory"
KO_DIR=$(cd "$KO_DIR" && pwd)
BIN_DIR=$(cd "$BIN_DIR" && pwd)

# The machine of each arch: QEMU binary and package, machine and CPU
# arguments, the console the kernel writes to.
case $ARCH in
amd64) QEMU_BIN=qemu-system-x86_64 QEMU_PKG=qemu-system-x86 CONSOLE=ttyS0
	QEMU_MACHINE=(-cpu "${WMS_VM_CPU:-max}") ;;
# Plain max (an AMD vendor id) gets a boot WARN in arch/x86/kernel/cpu/amd.c.
i386) QEMU_BIN=qemu-system-i386 QEMU_PKG=qemu-system-x86 CONSOLE=ttyS0
	QEMU_MACHINE=(-cpu "${WMS_VM_CPU:-max,vendor=GenuineIntel}") ;;
arm64) QEMU_BIN=qemu-system-aarch64 QEMU_PKG=qemu-system-arm CONSOLE=ttyAMA0
	QEMU_MACHINE=(-M virt -cpu "${WMS_VM_CPU:-max,pauth-impdef=on}") ;;
ppc64el) QEMU_BIN=qemu-system-ppc64 QEMU_PKG=qemu-system-ppc CONSOLE=hvc0
	QEMU_MACHINE=(-M pseries -cpu "${WMS_VM_CPU:-power9}") ;;
s390x) QEMU_BIN=qemu-system-s390x QEMU_PKG=qemu-system-misc CONSOLE=ttysclp0
	QEMU_MACHINE=(-M s390-ccw-virtio -cpu "${WMS_VM_CPU:-max}") ;;
*) die "--arch must be amd64, i386, arm64, ppc64el or s390x, not '$ARCH'" ;;
esac
[[ $ARCH = amd64 || -n $KERNEL_ARG ]] || die "--arch $ARCH needs --kernel (scripts/kernel-image.sh TARGET)"

for tool in "$QEMU_BIN" timeout cpio dpkg-deb apt-get flock od; do
	command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install $QEMU_PKG cpio coreutils util-linux)"
done

mkdir -p "$CACHE"/{debs,kernels,logs,tmp,locks}
LOG=$CACHE/logs/vm-$KVER-$MODE.log

# ---------------------------------------------------------------------------
# Inputs: modules and binaries.
find_ko() { # name, candidate paths...
	local name=$1 p
	shift
	for p in "$@"; do
		[[ -f $p ]] && { echo "$p"; return 0; }
	done
	return 1
}
WMS_KO=$(find_ko wms.ko "$KO_DIR/module/wms.ko" "$KO_DIR/wms.ko") ||
	die "wms.ko not found: expected $KO_DIR/module/wms.ko (build it for $KVER first)"
EX_KO=$(find_ko wms_example.ko "$KO_DIR/module/example/wms_example.ko" "$KO_DIR/example/wms_example.ko" "$KO_DIR/wms_example.ko") || EX_KO=""
if [[ -z $EX_KO ]]; then
	[[ $MODE = test ]] && die "wms_example.ko not found: expected $KO_DIR/module/example/wms_example.ko"
	msg "note: no wms_example.ko in $KO_DIR/module/example"
fi

check_vermagic() { # file
	command -v modinfo >/dev/null || return 0
	local vm
	vm=$(modinfo -F vermagic "$1" 2>/dev/null | awk '{print $1}') || true
	[[ -z $vm || $vm = "$KVER" ]] ||
		die "$1 was built for kernel $vm, not $KVER (make -C /usr/src/linux-headers-$KVER M=...)"
}
check_vermagic "$WMS_KO"
[[ -n $EX_KO ]] && check_vermagic "$EX_KO"

is_static() { # file: no ELF program interpreter
	if command -v readelf >/dev/null; then
		if readelf -l "$1" 2>/dev/null | grep 'program interpreter' >/dev/null; then return 1; fi
		return 0
	else
		return 0
	fi
}
BINS=()
for f in "$BIN_DIR"/wms_* "$BIN_DIR"/libwms_* "$BIN_DIR"/wmsctl* "$BIN_DIR"/endurance.sh; do
	if [[ -f $f && -x $f ]]; then
		is_static "$f" || die "$f is dynamically linked; the VM has no libc (link it with -static)"
		BINS+=("$f")
	fi
done
need_bin() { [[ -f $BIN_DIR/$1 ]] || die "$BIN_DIR/$1 not found (build the static test binaries first)"; }
case $MODE in
test) need_bin wms_test; need_bin wms_fuzz ;;
run) need_bin wms_demo ;;
bench) need_bin wms_bench ;;
endurance) need_bin endurance.sh; need_bin wms_load; need_bin wmsctl ;;
fuzz) need_bin wms_fuzz ;;
esac

# The fuzzer and endurance knobs go into /etc/wms-vm.conf, which /init sources.
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in FUZZ_OPS FUZZ_SECONDS ENDURANCE_TIMEOUT; do
	is_uint "${!v}" || die "WMS_$v must be a whole number, not '${!v}'"
done
for v in WMS_FUZZ_SEED WMS_FUZZ_TIMEOUT WMS_ENDURANCE_CYCLES WMS_ENDURANCE_SECONDS \
	WMS_ENDURANCE_THREADS; do
	[[ -z ${!v:-} ]] || is_uint "${!v}" || die "$v must be a whole number, not '${!v}'"
done
case $MODE in
test)
	# A fixed seed: every run of the suite does the same ops.
	FUZZ_SEED=${WMS_FUZZ_SEED:-1}
	FUZZ_TIMEOUT=${WMS_FUZZ_TIMEOUT:-900}
	TIMEOUT=${WMS_VM_TIMEOUT:-$((600 + FUZZ_TIMEOUT))}
	;;
fuzz)
	FUZZ_SEED=${WMS_FUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
	# On a divergence, wms_fuzz shrinks: it re-runs the prefix (as long as
	# the run), replays it once more, then spends up to 120 s on deltas.
	FUZZ_TIMEOUT=${WMS_FUZZ_TIMEOUT:-$((3 * FUZZ_SECONDS + 300))}
	TIMEOUT=${WMS_VM_TIMEOUT:-$((FUZZ_TIMEOUT + 300))}
	;;
endurance)
	TIMEOUT=${WMS_VM_TIMEOUT:-$((ENDURANCE_TIMEOUT + 300))}
	;;
esac
if [[ $MODE = bench ]]; then
	OUT_DIR=${OUT_DIR:-$REPO/docs/bench}
	mkdir -p "$OUT_DIR" || die "cannot create --out $OUT_DIR"
	OUT_DIR=$(cd "$OUT_DIR" && pwd)
	BENCH_BUDGET=${WMS_BENCH_BUDGET:-330}
	[[ $BENCH_BUDGET =~ ^[0-9]+$ ]] || die "WMS_BENCH_BUDGET must be whole seconds"
	TIMEOUT=${WMS_VM_TIMEOUT:-$((BENCH_BUDGET + 240))}
	BENCH_MEM=${WMS_BENCH_MEM:-4096}
	[[ $BENCH_MEM =~ ^[0-9]+$ ]] || die "WMS_BENCH_MEM must be MiB"
	# Leave the host 1 GiB beyond the guest's memory.
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	if [[ -n $avail ]] && ((avail - 1024 < BENCH_MEM)); then
		new=$(((avail - 1024) / 256 * 256))
		((new < 2048)) && die "the host has only ${avail} MiB available; the bench VM needs 2 GiB and the host 1 GiB more"
		msg "note: the host has ${avail} MiB available: guest memory ${new} MiB instead of ${BENCH_MEM} MiB (larger N may be skipped)"
		BENCH_MEM=$new
	fi
	# Options only: no shell metacharacters reach /init.
	[[ ${WMS_BENCH_ARGS:-} =~ ^[A-Za-z0-9\ ,._=-]*$ ]] || die "odd WMS_BENCH_ARGS '${WMS_BENCH_ARGS:-}'"
fi

# ---------------------------------------------------------------------------
# Kernel: download, extract, make the uncompressed vmlinux (all cached).
KDIR=$CACHE/kernels/$KVER
exec 9>"$CACHE/locks/kernel-$KVER.lock"
flock 9

ensure_deb() {
	local pkg=$1 deb tmp
	deb=$(compgen -G "$CACHE/debs/${pkg}_*_amd64.deb" | head -n 1 || true)
	if [[ -z $deb ]]; then
		msg "downloading $pkg"
		tmp=$(mktemp -d "$CACHE/debs/.dl.XXXXXX")
		local sandbox=()
		[[ $(id -u) = 0 ]] && sandbox=(-o APT::Sandbox::User=root)
		if ! (cd "$tmp" && apt-get -q "${sandbox[@]}" download "$pkg" >&2); then
			rm -rf "$tmp"
			die "apt-get download $pkg failed (is '$KVER' a Debian kernel release? try apt-get update; apt-cache search linux-image-)"
		fi
		mv "$tmp"/"${pkg}"_*_amd64.deb "$CACHE/debs/"
		rm -rf "$tmp"
		deb=$(compgen -G "$CACHE/debs/${pkg}_*_amd64.deb" | head -n 1)
	fi
	echo "$deb"
}

if [[ -n $KERNEL_ARG ]]; then
	[[ -f $KERNEL_ARG ]] || die "--kernel $KERNEL_ARG is not a file"
	KERNEL_ARG=$(cd "$(dirname "$KERNEL_ARG")" && pwd)/$(basename "$KERNEL_ARG")
	# The root of the unpacked package: above boot/ or usr/lib/modules/.
	KDIR=${KERNEL_ARG%/boot/*}
	KDIR=${KDIR%/usr/lib/modules/*}
elif [[ ! -e $KDIR/.extracted ]]; then
	deb=$(ensure_deb "linux-image-$KVER-unsigned")
	msg "extracting $(basename "$deb")"
	rm -rf "$KDIR" "$KDIR.tmp"
	mkdir -p "$KDIR.tmp"
	dpkg-deb -x "$deb" "$KDIR.tmp"
	mv "$KDIR.tmp" "$KDIR"
	touch "$KDIR/.extracted"
fi
BZIMAGE=${KERNEL_ARG:-$KDIR/boot/vmlinuz-$KVER}
[[ -f $BZIMAGE ]] || die "$BZIMAGE missing from the package"

# The compressed payload of a bzImage (boot protocol >= 2.08): it starts at
# (setup_sects + 1) * 512 + payload_offset and its last 4 bytes are the
# uncompressed size, for every compressor the kernel uses.
extract_vmlinux() { # bzImage out
	local img=$1 out=$2 ss po pl off want magic dec
	ss=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
	po=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
	pl=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
	[[ -n $ss && -n $po && -n $pl && $pl -gt 4 ]] || return 1
	((ss == 0)) && ss=4
	off=$(((ss + 1) * 512 + po))
	want=$(tail -c +$((off + pl - 3)) "$img" | head -c 4 | od -An -tu4 | tr -d ' ')
	magic=$(tail -c +$((off + 1)) "$img" | head -c 6 | od -An -tx1 | tr -d ' \n')
	case $magic in
	fd377a585a00*) dec="xz -dc --single-stream" ;;
	28b52ffd*) dec="zstd -dcq" ;;
	1f8b*) dec="gzip -dc" ;;
	02214c18*) dec="lz4 -dc" ;;
	425a68*) dec="bzip2 -dc" ;;
	5d0000*) dec="xz -dc --format=lzma" ;;
	894c5a4f*) dec="lzop -dc" ;;
	*) msg "unknown kernel compression (magic $magic)"; return 1 ;;
	esac
	command -v "${dec%% *}" >/dev/null || { msg "'${dec%% *}' not installed"; return 1; }
	# The trailing size field is garbage to some decompressors: ignore their status, check the size.
	tail -c +$((off + 1)) "$img" | head -c "$pl" | $dec >"$out.tmp" 2>/dev/null || true
	if [[ $(stat -c %s "$out.tmp") != "$want" || $(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' \n') != 7f454c46 ]]; then
		rm -f "$out.tmp"
		return 1
	fi
	mv "$out.tmp" "$out"
}

has_pvh_note() { # ELF with XEN_ELFNOTE_PHYS32_ENTRY (type 18), which QEMU -kernel needs
	command -v readelf >/dev/null || return 0
	readelf -n "$1" 2>/dev/null | grep -E 'Xen[[:space:]]+0x[0-9a-f]+[[:space:]]+(Unknown note type: \(0x00000012\)|.*PHYS32_ENTRY)' >/dev/null
}

# (Only success is cached: a missing decompressor may be installed later.)
# Only x86 kernels are bzImages; QEMU boots the others' images as they are
# (arm64: a gzip'd Image; ppc64el: the vmlinux ELF; s390x: the image).
VMLINUX=$KDIR/vmlinux
if [[ $ARCH != amd64 && $ARCH != i386 ]]; then
	[[ -z ${WMS_VM_KERNEL:-} ]] || die "WMS_VM_KERNEL applies to x86 kernels only"
	WMS_VM_KERNEL=bzimage
elif [[ ! -e $KDIR/.vmlinux-ok ]]; then
	if extract_vmlinux "$BZIMAGE" "$VMLINUX" && has_pvh_note "$VMLINUX"; then
		touch "$KDIR/.vmlinux-ok"
	else
		rm -f "$VMLINUX"
		msg "note: no bootable (PVH) vmlinux from $BZIMAGE; using the bzImage (slower boot)"
	fi
fi
case ${WMS_VM_KERNEL:-auto} in
auto) if [[ -e $KDIR/.vmlinux-ok ]]; then KERNEL=$VMLINUX; else KERNEL=$BZIMAGE; fi ;;
vmlinux) [[ -f $VMLINUX ]] || die "no PVH vmlinux for $KVER"; KERNEL=$VMLINUX ;;
bzimage) KERNEL=$BZIMAGE ;;
*) die "WMS_VM_KERNEL must be vmlinux or bzimage" ;;
esac

# Distribution modules that wms.ko / wms_example.ko need (none, usually).
# The package has no modules.dep (the installer makes it): run depmod once.
MODDIR=""
find_moddir() {
	local d
	[[ -n $MODDIR ]] && return 0
	for d in "$KDIR/lib/modules/$KVER" "$KDIR/usr/lib/modules/$KVER"; do
		[[ -d $d/kernel ]] || continue
		if [[ ! -s $d/modules.dep ]]; then
			command -v depmod >/dev/null || die "depmod not found (apt-get install kmod)"
			msg "running depmod for $KVER"
			depmod -b "${d%/lib/modules/*}" "$KVER" || die "depmod -b ${d%/lib/modules/*} $KVER failed"
		fi
		MODDIR=$d
		return 0
	done
	die "no lib/modules/$KVER in $KDIR"
}
DEP_PATHS=()
add_dep() { # module name: append it and its dependencies in load order
	local name=$1 line path deps d i
	find_moddir
	name=${name//-/_}
	line=$(awk -v n="$name" '{ p = $1; sub(/:$/, "", p); b = p; sub(/.*\//, "", b); sub(/\.ko.*$/, "", b); gsub(/-/, "_", b); if (b == n) { print; exit } }' "$MODDIR/modules.dep")
	[[ -n $line ]] || die "module dependency '$name' not found in $MODDIR/modules.dep"
	path=${line%%:*}
	read -r -a deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		d=${deps[i]}
		[[ " ${DEP_PATHS[*]-} " == *" $d "* ]] || DEP_PATHS+=("$d")
	done
	[[ " ${DEP_PATHS[*]-} " == *" $path "* ]] || DEP_PATHS+=("$path")
}
for ko in "$WMS_KO" ${EX_KO:+"$EX_KO"}; do
	command -v modinfo >/dev/null || break
	IFS=, read -r -a mdeps <<<"$(modinfo -F depends "$ko" 2>/dev/null || true)"
	for m in "${mdeps[@]}"; do
		[[ -z $m || $m = wms ]] && continue
		add_dep "$m"
	done
done

# ---------------------------------------------------------------------------
# busybox: must be static. Use the host's if it is, else a cached busybox-static.
BUSYBOX=""
if [[ $ARCH != amd64 ]]; then
	# That arch's busybox-static, unpacked into the cache by scripts/cross.sh.
	BUSYBOX=$(bash -c 'source "$1/scripts/lib.sh" && source "$1/scripts/fetch.sh" &&
		source "$1/scripts/cross.sh" && cross_busybox "$2"' _ "$REPO" "$ARCH" | tail -n 1) ||
		die "no busybox-static for $ARCH"
	[[ -x $BUSYBOX ]] || die "no busybox-static for $ARCH ($BUSYBOX)"
elif [[ -x /bin/busybox ]] && is_static /bin/busybox && /bin/busybox --list | grep -x cttyhack >/dev/null; then
	BUSYBOX=/bin/busybox
elif [[ -x $CACHE/busybox/bin/busybox ]]; then
	BUSYBOX=$CACHE/busybox/bin/busybox
else
	deb=$(ensure_deb busybox-static)
	rm -rf "$CACHE/busybox.tmp"
	dpkg-deb -x "$deb" "$CACHE/busybox.tmp"
	rm -rf "$CACHE/busybox"
	mv "$CACHE/busybox.tmp" "$CACHE/busybox"
	BUSYBOX=$CACHE/busybox/bin/busybox
fi
exec 9>&-   # unlock

# ---------------------------------------------------------------------------
# initramfs
WORK=$(mktemp -d "$CACHE/tmp/vm-$KVER-$MODE.XXXXXX")
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,deps,root}
cp "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"   # /init runs "busybox --install -s" for the other applets
cp "$SCRIPT_DIR/init.sh" "$ROOT/init"
chmod 755 "$ROOT/init"
cp "$SCRIPT_DIR/../harness.sh" "$ROOT/harness.sh"
# root, and nobody (65534) for the checks that run as a user (su).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
cat >"$ROOT/etc/wms-vm.conf" <<EOF
MODE=$MODE
WMS_VM_TEST_TIMEOUT=$TEST_TIMEOUT
EOF
# Only amd64 has 32-bit compat builds (wms_test32...) for the guest to run;
# ppc64el's firmware leaves the console mid-line.
[[ $ARCH = amd64 ]] || echo "WMS_VM_COMPAT32=0" >>"$ROOT/etc/wms-vm.conf"
[[ $ARCH != ppc64el ]] || echo "WMS_VM_NEWLINE=1" >>"$ROOT/etc/wms-vm.conf"
case $MODE in
test | fuzz)
	printf 'WMS_FUZZ_SEED=%s\nWMS_FUZZ_OPS=%s\nWMS_FUZZ_SECONDS=%s\nWMS_FUZZ_TIMEOUT=%s\n' \
		"$FUZZ_SEED" "$FUZZ_OPS" "$FUZZ_SECONDS" "$FUZZ_TIMEOUT" >>"$ROOT/etc/wms-vm.conf"
	;;
endurance)
	printf 'WMS_ENDURANCE_TIMEOUT=%s\nWMS_ENDURANCE_CYCLES=%s\nWMS_ENDURANCE_SECONDS=%s\nWMS_ENDURANCE_THREADS=%s\n' \
		"$ENDURANCE_TIMEOUT" "${WMS_ENDURANCE_CYCLES:-}" "${WMS_ENDURANCE_SECONDS:-}" \
		"${WMS_ENDURANCE_THREADS:-}" >>"$ROOT/etc/wms-vm.conf"
	;;
esac
if [[ $MODE = bench ]]; then
	printf 'WMS_BENCH_BUDGET=%s\nWMS_BENCH_ARGS="%s"\n' "$BENCH_BUDGET" \
		"${WMS_BENCH_ARGS:-}" >>"$ROOT/etc/wms-vm.conf"
fi
cp "$WMS_KO" "$ROOT/wms.ko"
[[ -n $EX_KO ]] && cp "$EX_KO" "$ROOT/wms_example.ko"
for f in "${BINS[@]}"; do
	cp "$f" "$ROOT/"
	chmod 755 "$ROOT/$(basename "$f")"
done
i=0
for p in "${DEP_PATHS[@]}"; do
	i=$((i + 1))
	out=$ROOT/deps/$(printf %02d $i)-$(basename "${p%%.ko*}").ko
	case $p in
	*.ko.xz) xz -dc "$MODDIR/$p" >"$out" ;;
	*.ko.zst) zstd -dcq "$MODDIR/$p" >"$out" ;;
	*.ko.gz) gzip -dc "$MODDIR/$p" >"$out" ;;
	*) cp "$MODDIR/$p" "$out" ;;
	esac
done
[[ ${#DEP_PATHS[@]} -gt 0 ]] && msg "also packing distribution modules: ${DEP_PATHS[*]##*/}"
# /dev/console must exist before /init runs (needs root; /init reopens it from devtmpfs otherwise).
mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
INITRD=$WORK/initramfs.cpio
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 >"$INITRD")

# ---------------------------------------------------------------------------
# Boot. The mode is baked into the initramfs (/etc/wms-vm.conf).
APPEND="console=$CONSOLE panic=-1 oops=panic panic_on_warn=1 quiet loglevel=4"
# One host thread for both vCPUs: with a thread per vCPU (MTTCG, QEMU's
# default for x86 on x86), a vCPU can run stale translated code while the
# other patches kernel text, and the guest dies of an "int3" Oops in
# whatever function it was in (seen when the memcg test's first cgroup flips
# a static key: Oops: int3 in kmem_cache_free). Single-threaded TCG switches
# vCPUs between translated blocks, so the guest still has two CPUs that
# interleave and preempt each other, and every code write is seen at once.
ACCEL=tcg,thread=single
MEM=1024
# A 32-bit PAE kernel keeps 896 MiB in its direct map: with 2 GiB, user
# pages (and so the pages wms pins and kmaps) are mostly highmem.
[[ $ARCH = i386 ]] && MEM=2048
if [[ $MODE = bench ]]; then
	# ipcmni_extend: SysV ids up to 16M, so kernel.shmmni can pass 32768.
	APPEND+=" ipcmni_extend"
	# One host thread per vCPU (the default for x86 on x86; made explicit
	# because the two-thread lookup figure depends on it).
	ACCEL=tcg,thread=multi
	MEM=$BENCH_MEM
fi
QEMU=("$QEMU_BIN" "${QEMU_MACHINE[@]}" -accel "$ACCEL" -smp 2 -m "$MEM" -no-reboot
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND")
read -r -a QEMU_EXTRA <<<"${WMS_VM_QEMU_EXTRA:-}"
QEMU+=("${QEMU_EXTRA[@]}")

msg "booting $KVER ($ARCH, $(basename "$KERNEL")) in mode $MODE; serial log: $LOG"
case $MODE in
test) msg "fuzzer: seed $FUZZ_SEED, $FUZZ_OPS ops (wms_fuzz -s $FUZZ_SEED -n $FUZZ_OPS); QEMU limit ${TIMEOUT}s" ;;
fuzz) msg "fuzzer: seed $FUZZ_SEED for ${FUZZ_SECONDS}s (wms_fuzz -s $FUZZ_SEED -t $FUZZ_SECONDS); QEMU limit ${TIMEOUT}s" ;;
endurance) msg "endurance: QEMU limit ${TIMEOUT}s" ;;
esac

if [[ $MODE = shell ]]; then
	[[ -t 0 ]] || die "--mode shell needs a terminal on stdin"
	msg "exit the shell to power off; Ctrl-A x kills QEMU"
	# Like -nographic, but Ctrl-C goes to the guest and the console is also logged.
	# --foreground keeps QEMU in the terminal's process group so that it can read it.
	set +e
	timeout --foreground "$SHELL_TIMEOUT" "${QEMU[@]}" -display none \
		-chardev "stdio,id=con0,mux=on,signal=off,logfile=$LOG" \
		-serial chardev:con0 -mon chardev=con0,mode=readline
	qrc=$?
	set -e
	stty sane 2>/dev/null || true
	[[ $qrc = 124 ]] && msg "QEMU stopped after ${SHELL_TIMEOUT}s"
	if grep -aqE "$BAD_RE" "$LOG"; then
		msg "the kernel log has problem lines:"
		grep -aE "$BAD_RE" "$LOG" | tr -d '\r' | head -n 20 >&2
		exit 1
	fi
	exit 0
fi

QEMU+=(-nographic)
start=$(date +%s.%N)
set +e
if [[ $MODE = run || $MODE = bench || $MODE = fuzz || ${WMS_VM_VERBOSE:-0} = 1 ]]; then
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 | tee "$LOG"
	qrc=${PIPESTATUS[0]}
else
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$LOG" 2>&1
	qrc=$?
fi
set -e
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')

# ---------------------------------------------------------------------------
# Verdict from the serial log (QEMU's exit status means nothing).
SERIAL=$WORK/serial.txt
tr -d '\r' <"$LOG" >"$SERIAL"
marker=$(grep -ao 'WMS-RESULT: passed=[0-9]* failed=[0-9]*' "$SERIAL" | tail -n 1 || true)
nmarkers=$(grep -ac 'WMS-RESULT: ' "$SERIAL" || true)
bad=$(grep -anE "$BAD_RE" "$SERIAL" || true)
guest_t=$(sed -n 's/^WMS-VM: result at \([0-9.]*\)s.*/\1/p' "$SERIAL" | tail -n 1)

P=0
F=0
problems=()
if [[ -n $marker ]]; then
	P=$(sed 's/.*passed=\([0-9]*\).*/\1/' <<<"$marker")
	F=$(sed 's/.*failed=\([0-9]*\).*/\1/' <<<"$marker")
	((F > 0)) && problems+=("$F check(s) failed in the VM")
	[[ $nmarkers = 1 ]] || problems+=("$nmarkers WMS-RESULT lines instead of one")
elif [[ $qrc = 124 || $qrc = 137 ]]; then
	problems+=("timed out after ${TIMEOUT}s without a WMS-RESULT line")
else
	problems+=("no WMS-RESULT line (kernel panic or crash? QEMU exit status $qrc)")
fi
[[ -n $bad ]] && problems+=("kernel problem lines in the serial log")
# bench: the CSV and the summary, from between their marker lines.
if [[ $MODE = bench ]]; then
	csv_out=$OUT_DIR/results-$KVER.csv
	md_out=$OUT_DIR/summary-$KVER.md
	# Only the header and this kernel's rows: a kernel message printed in
	# the middle of the dump cannot end up in the file.
	sed -n '/^WMS-BENCH-CSV-BEGIN$/,/^WMS-BENCH-CSV-END$/p' "$SERIAL" |
		awk -v k="$KVER," 'NR > 1 && (index($0, "kernel,op,facility,") == 1 || index($0, k) == 1)' \
			>"$csv_out.tmp" || true
	sed -n '/^WMS-BENCH-SUMMARY-BEGIN$/,/^WMS-BENCH-SUMMARY-END$/p' "$SERIAL" |
		sed '1d;$d' >"$md_out.tmp" || true
	nrows=$(($(wc -l <"$csv_out.tmp") - 1))
	if ((nrows > 0)) && grep -aq '^WMS-BENCH-CSV-END$' "$SERIAL"; then
		mv "$csv_out.tmp" "$csv_out"
		msg "wrote $csv_out ($nrows rows)"
	else
		rm -f "$csv_out.tmp"
		problems+=("no complete CSV between the WMS-BENCH-CSV markers")
	fi
	if [[ -s $md_out.tmp ]]; then
		mv "$md_out.tmp" "$md_out"
		msg "wrote $md_out"
	else
		rm -f "$md_out.tmp"
	fi
fi

if ((${#problems[@]} > 0)) && ((F < 1)); then F=1; fi

if ((${#problems[@]} > 0)); then
	{
		echo "$PROG: FAILED on $KVER ($MODE): $(IFS=';'; echo "${problems[*]}")"
		if [[ -n $bad ]]; then
			echo "---- problem lines (line:text) ----"
			head -n 40 <<<"$bad"
		fi
		if grep -aqE '^(not ok|WMS-CHECK FAILED)' "$SERIAL"; then
			echo "---- failed tests / checks ----"
			grep -aE '^(not ok|WMS-CHECK FAILED)' "$SERIAL" | head -n 60
		fi
		if [[ -z $marker ]]; then
			echo "---- last 40 lines of the serial log ----"
			tail -n 40 "$SERIAL"
		fi
		echo "---- full log: $LOG"
	} >&2
fi

msg "$KVER $MODE: QEMU wall time ${wall}s${guest_t:+, guest uptime at result ${guest_t}s} ($(basename "$KERNEL"))"
# How long each binary took in the guest ("WMS-TIME label: N s").
times=$(sed -n 's/^WMS-TIME \(.*\): \([0-9.]*\) s$/\1 \2 s/p' "$SERIAL" | paste -sd, - | sed 's/,/, /g')
[[ -n $times ]] && msg "$KVER $MODE: guest times: $times"
if [[ $MODE = test || $MODE = fuzz ]]; then
	fz=$(sed -n 's/^WMS-FUZZ: //p' "$SERIAL" | paste -sd' ' -)
	if [[ -n $fz ]]; then
		msg "$KVER $MODE: fuzzer: $fz"
	else
		msg "$KVER $MODE: fuzzer: no summary (seed $FUZZ_SEED; see $LOG)"
	fi
fi
if [[ $MODE = endurance ]]; then
	# endurance.sh's figures: baseline, end, and each comparison.
	sed -n 's/^# \(baseline: .*\|end: .*\)/\1/p; s/^\(ok\|not ok\) [0-9]* - \(.*\)/\1: \2/p' "$SERIAL" |
		sed "s/^/$PROG: $KVER endurance: /" >&2
fi
if recorded_mode; then
	# Failed checks are records of their own; the run's record is about
	# the run: its end, and kernel problem lines the guest did not count.
	run_problems=()
	for p in "${problems[@]}"; do
		[[ $p = *"check(s) failed in the VM" ]] && continue
		[[ $p = "kernel problem lines"* ]] &&
			grep -aq '^WMS-CHECK FAILED: kernel log has problem lines' "$SERIAL" &&
			continue
		run_problems+=("$p")
	done
	if ((${#run_problems[@]} == 0)); then
		record_result PASS "booted, one WMS-RESULT line, clean serial log"
	else
		record_result FAIL "$(IFS=';'; echo "${run_problems[*]}")"
	fi
	echo "$(suite_label) $KVER: $P passed, $F failed"
else
	echo "vm $KVER ($MODE): $P steps ok, $F failed"
fi
((${#problems[@]} == 0)) || exit 1
exit 0
