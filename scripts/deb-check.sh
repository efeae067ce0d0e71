#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-check.sh (`make deb-check`, a stage of `make test`): the Debian
# packages, built and installed as a user would.
#
#   1. `make deb` (scripts/deb.sh) in a temporary directory: the build is
#      one check, lintian (no error, no warning) another;
#   2. in a bookworm chroot (debootstrap, cached as $WMS_CACHE/chroot/bookworm
#      with both Debian kernels' headers, scripts/chroot.sh), used through
#      an overlay so that every run starts from the same clean chroot and
#      leaves it so: `apt-get install ./wms-dkms_*.deb ./wms-tools_*.deb
#      ./libwms1_*.deb ./libwms-dev_*.deb ./python3-wms_*.deb` must have
#      DKMS build and install wms.ko for both kernels (a check per kernel:
#      `dkms status` says installed, modinfo finds it through depmod's
#      index, with the kernel's vermagic); wmsctl must run, the udev rule
#      and the group wms be there; a program built with `pkg-config
#      --cflags --libs wms` must link and run, and so must `import wms`
#      (without /dev/wms, which the chroot has not, both get ENOENT from
#      libwms); `dpkg -r` of the packages must leave no trace (no DKMS
#      tree, sources, module, library, header, udev rule or Python
#      package; the group wms stays, as system groups do); then, from
#      a copy of the source, `make install` must give the same (pkg-config,
#      a program on /usr/local's libwms.so.1, wmsctl, import wms) and `make
#      uninstall` must take it back;
#   3. the wms.ko DKMS built there for each kernel is booted in QEMU with
#      the test binaries and kernel of `scripts/vm.sh prepare` (run-vm.sh
#      test mode, the fuzzer at 100,000 ops as on the abi targets); its
#      records go under the stage deb-vm-KVER.
#
# What the packages depend on (dkms and what it needs) is downloaded into
# the cached chroot's apt cache before the check, so that the install
# fetches nothing. Everything apt, dpkg and DKMS print goes to $WMS_APT_LOG.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
resolve_kernels
# shellcheck source=chroot.sh
source "$WMS_ROOT/scripts/chroot.sh"

kvers=("$WMS_KVER_61" "$WMS_KVER_612")
kver_targets=(amd64-6.1 amd64-6.12)
mapfile -t packages < <(sed -n 's/^Package: *//p' "$WMS_ROOT/debian/control")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$WMS_ROOT/dkms.conf")
mkdir -p "$WMS_CACHE/tmp" "$WMS_CACHE/locks"
work=$(mktemp -d "$WMS_CACHE/tmp/deb-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # RESULT NAME [WHY]: one record, and a line on stdout
	if [ "$1" = PASS ]; then
		passed=$((passed + 1))
		echo "deb: ok: $2"
	else
		failed=$((failed + 1))
		echo "deb: FAILED: $2${3:+ ($3)}"
	fi
	record deb lint "$1" deb "$2"
}
chroot_names=("apt-get install the packages in a bookworm chroot")
for k in "${kvers[@]}"; do chroot_names+=("dkms build and install $k in the chroot"); done
chroot_names+=("wmsctl, its manual page, the udev rule and the group wms in the chroot"
	"a program built with pkg-config wms runs in the chroot"
	"python3 imports wms in the chroot"
	"dpkg -r of the packages leaves nothing behind"
	"make install from the source: pkg-config wms, wmsctl, import wms; make uninstall")
fail_rest() { # WHY: every chroot check and VM boot fails
	local n k
	for n in "${chroot_names[@]}"; do check FAIL "$n" "$1"; done
	for k in "${kvers[@]}"; do check FAIL "boot the DKMS-built wms.ko of $k" "$1"; done
	echo "deb: $passed passed, $failed failed"
	exit 1
}

# 1. The packages and lintian.
debs=$work/debs
bash "$WMS_ROOT/scripts/deb.sh" "$debs" > "$work/deb.log" 2>&1
rc=$?
case $rc in
0 | 2)
	check PASS "dpkg-buildpackage (make deb)"
	sed -n '/^==> lintian/,$p' "$work/deb.log"
	if [ "$rc" -eq 0 ]; then
		check PASS "lintian: no errors, no warnings"
	else
		check FAIL "lintian: no errors, no warnings"
	fi
	;;
*)
	cat "$work/deb.log"
	check FAIL "dpkg-buildpackage (make deb)"
	check FAIL "lintian: no errors, no warnings" "no packages"
	fail_rest "no packages"
	;;
esac
debfiles=()
for p in "${packages[@]}"; do
	f=$(compgen -G "$debs/${p}_*.deb" | head -n 1) || true
	[ -n "$f" ] || fail_rest "make deb made no $p package"
	debfiles+=("$(basename "$f")")
done

# 2. The chroot: made once (debootstrap, both kernels' headers), then what
# the packages depend on is downloaded into it; all under its lock, which
# the check holds too.
lower=$WMS_CACHE/chroot/bookworm
if ! (chroot_ensure bookworm "${kvers[0]}" && chroot_ensure bookworm "${kvers[1]}") \
	> "$work/chroot.log" 2>&1; then
	cat "$work/chroot.log"
	fail_rest "no bookworm chroot"
fi
grep '^==>' "$work/chroot.log"
exec {lockfd}>"$WMS_CACHE/locks/chroot-bookworm.lock"
flock "$lockfd"
# The checks of libwms-dev and of `make install` compile: gcc (the headers
# have only gcc-12), libc6-dev, make, pkgconf.
missing=()
for p in gcc libc6-dev make pkgconf; do
	# shellcheck disable=SC2016
	chroot_exec "$lower" "" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]} in the bookworm chroot (log: $WMS_APT_LOG)"
	(chroot_install "$lower" bookworm "${missing[@]}" && chroot_apt "$lower" clean) ||
		fail_rest "cannot install ${missing[*]} in the chroot"
fi
# (Nothing is fetched when it is there already.)
fetch_deps() {
	chroot_logged chroot_exec "$lower" "$debs" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 install -y --download-only \
		"${debfiles[@]/#//build/}"
}
if ! fetch_deps && ! { chroot_apt "$lower" update && fetch_deps; }; then
	fail_rest "downloading the packages' dependencies into the chroot failed (see $WMS_APT_LOG)"
fi

# What runs in the chroot: each check's result on a line of /build/results
# ("PASS name" or "FAIL name: why"), apt's and DKMS's output in
# /build/install.log, each kernel's wms.ko copied to /build/ko-KVER/.
cat > "$debs/in-chroot.sh" <<'EOF'
set -u
res=/build/results log=/build/install.log
pass() { echo "PASS $1" >> "$res"; }
fail() { echo "FAIL $1: $2" >> "$res"; }
version=$1
shift
kvers=()
while [ "$1" != -- ]; do kvers+=("$1"); shift; done
shift
debfiles=("$@")
pkgs=("${debfiles[@]%%_*}")
export DEBIAN_FRONTEND=noninteractive
# As a user would: apt-get install ./wms-dkms_*.deb ... (what they depend
# on is in apt's cache already; --no-download would be apt's
# "Pathname to install is not absolute" with local packages).
cd /build || exit 1
name="apt-get install the packages in a bookworm chroot"
installed=
if apt-get install -y "${debfiles[@]/#/./}" >> "$log" 2>&1; then
	installed=1
	pass "$name"
else
	fail "$name" "apt-get install failed"
	cat /var/lib/dkms/wms/"$version"/build/make.log > /build/make.log 2>/dev/null
fi
for k in "${kvers[@]}"; do
	name="dkms build and install $k in the chroot"
	st=$(dkms status -m wms -v "$version" -k "$k" 2>&1)
	path=$(modinfo -k "$k" -n wms 2>/dev/null)
	vm=$(modinfo -k "$k" -F vermagic wms 2>/dev/null | awk '{ print $1 }')
	if [[ $st != *": installed"* ]]; then
		fail "$name" "dkms status: ${st:-nothing}"
	elif [[ $path != "/lib/modules/$k/updates/dkms/wms.ko"* ]]; then
		fail "$name" "modinfo -k $k wms finds ${path:-nothing}"
	elif [ "$vm" != "$k" ]; then
		fail "$name" "vermagic ${vm:-none}"
	else
		mkdir -p "/build/ko-$k/module"
		case $path in
		*.ko) cp "$path" "/build/ko-$k/module/wms.ko" ;;
		*.ko.xz) xz -dc "$path" > "/build/ko-$k/module/wms.ko" ;;
		*.ko.zst) zstd -dcq "$path" > "/build/ko-$k/module/wms.ko" ;;
		*.ko.gz) gzip -dc "$path" > "/build/ko-$k/module/wms.ko" ;;
		esac
		if [ -s "/build/ko-$k/module/wms.ko" ]; then
			echo "$path" > "/build/ko-$k/from"
			pass "$name"
		else
			fail "$name" "cannot copy $path"
		fi
	fi
done
name="wmsctl, its manual page, the udev rule and the group wms in the chroot"
if ! out=$(wmsctl --version 2>&1) || [[ $out != *"$version"* ]]; then
	fail "$name" "wmsctl --version: $out"
elif [ ! -f /usr/share/man/man1/wmsctl.1.gz ]; then
	fail "$name" "no /usr/share/man/man1/wmsctl.1.gz"
elif ! grep -q '^KERNEL=="wms", .*GROUP="wms"' /lib/udev/rules.d/60-wms.rules 2>/dev/null; then
	fail "$name" "no /lib/udev/rules.d/60-wms.rules for the group wms"
elif ! getent group wms > /dev/null; then
	fail "$name" "no group wms"
else
	pass "$name"
fi
# libwms-dev: the header (and <linux/wms.h>), wms.pc and libwms.so; the
# program runs on libwms.so.1 of libwms1. The chroot has no /dev/wms.
name="a program built with pkg-config wms runs in the chroot"
cat > /tmp/t.c <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <libwms.h>

int main(void)
{
	int fd = wms_open(O_RDWR);

	printf("wms_open: %d, %s; WMS_NAME_MAX %d\n", fd, strerror(errno), WMS_NAME_MAX);
	return fd == -1 && errno == ENOENT ? 0 : 1;
}
C
# pc_program BIN PATH: /tmp/t.c built with pkg-config's flags for wms into
# BIN must link the libwms.so.1 at PATH (an ERE) and run; else say why.
pc_program() {
	local flags out
	if ! flags=$(pkg-config --cflags --libs wms 2>&1); then
		echo "pkg-config --cflags --libs wms: $flags"
	elif ! out=$(gcc -Wall -Werror -o "$1" /tmp/t.c $flags 2>&1); then
		echo "gcc: $out"
	elif ! ldd "$1" | grep -Eq "libwms\.so\.1 => $2 "; then
		echo "not linked with $2: $(ldd "$1" | tr '\n' ' ')"
	elif ! out=$("$1" 2>&1); then
		echo "$out"
	else
		return 0
	fi
	return 1
}
if why=$(pc_program /tmp/t '/(usr/)?lib/[^ ]+/libwms\.so\.1'); then
	pass "$name"
else
	fail "$name" "$why"
fi
name="python3 imports wms in the chroot"
# shellcheck disable=SC2016
py='
import wms
try:
    wms.entries()
except FileNotFoundError:
    print("wms.entries(): no /dev/wms, as expected")
else:
    raise SystemExit("wms.entries() did not fail without /dev/wms")
'
if ! out=$(python3 -c "$py" 2>&1); then
	fail "$name" "$(tail -n 1 <<<"$out")"
else
	pass "$name"
fi
name="dpkg -r of the packages leaves nothing behind"
left=()
if [ -z "$installed" ]; then
	fail "$name" "nothing was installed"
elif ! dpkg -r "${pkgs[@]}" >> "$log" 2>&1; then
	fail "$name" "dpkg -r failed"
else
	# (A removed package without conffiles is forgotten: no status. The
	# group wms stays, as Debian's system groups do.)
	for p in "${pkgs[@]}"; do
		s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
		[ -z "$s" ] || [ "$s" = not-installed ] || left+=("$p: $s")
	done
	for f in /usr/src/wms-"$version" /var/lib/dkms/wms /usr/bin/wmsctl \
		/lib/udev/rules.d/60-wms.rules /usr/lib/udev/rules.d/60-wms.rules \
		/usr/include/libwms.h /usr/include/linux/wms.h \
		/usr/lib/python3/dist-packages/wms; do
		[ -e "$f" ] && left+=("$f")
	done
	while read -r f; do left+=("$f"); done < <(find /lib/modules /usr/lib \
		\( -name 'wms.ko*' -o -name 'libwms*' -o -name wms.pc \) -print)
	for k in "${kvers[@]}"; do
		modinfo -k "$k" -n wms > /dev/null 2>&1 && left+=("wms in $k's modules.dep")
	done
	if [ "${#left[@]}" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "left: ${left[*]}"
	fi
fi
# From the source, without the packages: `make install` (PREFIX /usr/local)
# gives pkg-config's wms, a program linked with /usr/local's libwms.so.1,
# wmsctl and `import wms`; `make uninstall` takes it all back (but the
# uapi header <linux/wms.h>, which it leaves by design, and the group).
name="make install from the source: pkg-config wms, wmsctl, import wms; make uninstall"
left=()
if ! (cd /build/src && make install) >> "$log" 2>&1; then
	fail "$name" "make install failed (see the install log)"
elif [[ $(pkg-config --cflags wms 2>&1) != *-I/usr/local/include* ]]; then
	fail "$name" "pkg-config --cflags wms: $(pkg-config --cflags wms 2>&1)"
elif ! why=$(pc_program /tmp/t2 '/usr/local/lib/libwms\.so\.1'); then
	fail "$name" "$why"
elif ! out=$(/usr/local/bin/wmsctl --version 2>&1) || [[ $out != *"$version"* ]]; then
	fail "$name" "/usr/local/bin/wmsctl --version: $out"
elif ! out=$(cd / && python3 -c "$py" 2>&1); then
	fail "$name" "python3: $(tail -n 1 <<<"$out")"
elif ! (cd /build/src && make uninstall) >> "$log" 2>&1; then
	fail "$name" "make uninstall failed"
else
	while read -r f; do left+=("$f"); done < <(find /usr/local \
		-path /usr/local/include/linux/wms.h -prune -o -name '*wms*' -print)
	if [ "${#left[@]}" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "make uninstall left: ${left[*]}"
	fi
fi
EOF
# The chroot through an overlay: the cached chroot is its read-only lower
# layer, the changes go to a directory under $work, and the mount lives in
# a mount namespace that ends with this command.
# The source for `make install`: the tree's files (git's list, else all
# but what builds leave).
mkdir -p "$debs/src"
if git -C "$WMS_ROOT" rev-parse --git-dir > /dev/null 2>&1; then
	git -C "$WMS_ROOT" ls-files -z --cached --others --exclude-standard |
		tar -C "$WMS_ROOT" --null -T - --ignore-failed-read -cf - 2> /dev/null
else
	tar -C "$WMS_ROOT" --exclude=.git --exclude=build -cf - .
fi | tar -C "$debs/src" -xf -
mkdir -p "$work/ovl/upper" "$work/ovl/work" "$work/ovl/root"
: > "$debs/results"
: > "$debs/install.log"
t0=$SECONDS
# shellcheck disable=SC2016
unshare --mount --propagation private bash -c '
	set -e
	lower=$1 ovl=$2 debs=$3
	shift 3
	mount -t overlay overlay \
		-o "lowerdir=$lower,upperdir=$ovl/upper,workdir=$ovl/work" "$ovl/root"
	source "$WMS_ROOT/scripts/lib.sh"
	source "$WMS_ROOT/scripts/chroot.sh"
	chroot_exec "$ovl/root" "$debs" bash /build/in-chroot.sh "$@"
' overlay "$lower" "$work/ovl" "$debs" "$version" "${kvers[@]}" -- "${debfiles[@]}" \
	> "$work/chroot-run.log" 2>&1
rc=$?
exec {lockfd}>&-
{
	printf '\n=== %s deb-check: the packages in the bookworm chroot\n' "$(date -u +%FT%TZ)"
	cat "$debs/install.log" "$work/chroot-run.log"
} >> "$WMS_APT_LOG"
echo "deb: the chroot's install, DKMS builds, checks and remove took $((SECONDS - t0)) s"
for n in "${chroot_names[@]}"; do
	line=$(grep -F -m1 -e "PASS $n" -e "FAIL $n:" "$debs/results")
	case $line in
	"PASS $n") check PASS "$n" ;;
	"FAIL $n:"*) check FAIL "$n" "${line#"FAIL $n: "}" ;;
	*) check FAIL "$n" "no result from the chroot (status $rc)" ;;
	esac
done
if [ "$failed" -gt 0 ]; then
	echo "deb: the end of the chroot's install log ($WMS_APT_LOG):"
	tail -n 30 "$debs/install.log"
	cat "$work/chroot-run.log"
	if [ -s "$debs/make.log" ]; then
		echo "deb: the end of DKMS's make.log:"
		tail -n 30 "$debs/make.log"
	fi
fi

# 3. Each kernel booted with the wms.ko DKMS built for it, two at a time
# as make test boots its targets; the outputs shown in order. The test
# binaries and the kernel are those of `vm.sh prepare TARGET` (make test
# has prepared every target before this stage; alone, this prepares the
# two that are not, one after the other).
for t in "${kver_targets[@]}"; do
	[ -f "$WMS_CACHE/prepared/$t.env" ] && continue
	echo "deb: preparing $t (scripts/vm.sh prepare)"
	WMS_RESULTS='' bash "$WMS_ROOT/scripts/vm.sh" prepare "$t" > "$work/prepare-$t.log" 2>&1 ||
		tail -n 30 "$work/prepare-$t.log"
done
pids=()
for i in "${!kvers[@]}"; do
	k=${kvers[i]} t=${kver_targets[i]}
	env=$WMS_CACHE/prepared/$t.env
	(
		if [ ! -s "$debs/ko-$k/module/wms.ko" ]; then
			echo "deb: FAILED: no wms.ko from DKMS for $k"
			exit 1
		fi
		if [ ! -f "$env" ]; then
			echo "deb: FAILED: $t is not prepared (scripts/vm.sh prepare $t)"
			exit 1
		fi
		kodir='' bindir='' kernel=''
		# shellcheck disable=SC1090
		source "$env"
		echo "deb: $k boots the wms.ko DKMS installed as $(cat "$debs/ko-$k/from") in the chroot" \
			"(sha256 $(sha256sum < "$debs/ko-$k/module/wms.ko" | cut -c1-16))"
		# wms_example.ko of the tree's build for this kernel, beside it.
		mkdir -p "$debs/ko-$k/module/example"
		cp "$kodir/module/example/wms_example.ko" "$debs/ko-$k/module/example/" || exit 1
		WMS_FUZZ_OPS=100000 WMS_RESULTS=$work/vm-$k.rec \
			bash "$WMS_ROOT/userspace-test/vm/run-vm.sh" --kver "$k" --arch amd64 \
			--mode test --ko-dir "$debs/ko-$k" --bin-dir "$bindir" --kernel "$kernel"
	) > "$work/vm-$k.out" 2>&1 &
	pids+=($!)
done
for i in "${!kvers[@]}"; do
	k=${kvers[i]}
	wait "${pids[i]}"
	rc=$?
	cat "$work/vm-$k.out"
	# run-vm.sh's records (one per check in the guest, one for the run)
	# under deb-vm-KVER, apart from the target's own run; a boot that
	# never started is a failed check of this stage.
	if [ -s "$work/vm-$k.rec" ]; then
		sed 's/^vm-/deb-vm-/' "$work/vm-$k.rec" >> "${WMS_RESULTS:-/dev/null}"
		# Its serial log, which the target's own boot overwrites.
		cp "$WMS_CACHE/logs/vm-$k-test.log" "$WMS_CACHE/logs/deb-vm-$k-test.log" &&
			echo "deb: the serial log of that boot: $WMS_CACHE/logs/deb-vm-$k-test.log"
		if [ "$rc" -eq 0 ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	else
		check FAIL "boot the DKMS-built wms.ko of $k" "exit status $rc"
	fi
done
echo "deb: $passed passed, $failed failed (a boot is one here; its suites count under deb-vm-KVER)"
[ "$failed" -eq 0 ]
