# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Builds in a debootstrap chroot of a Debian suite, with the compiler that
# built that suite's kernel (bullseye's gcc-10, sid's gcc-16). Sourced
# (after lib.sh and fetch.sh), not run.
#
#   chroot_ensure SUITE KVER    make $WMS_CACHE/chroot/SUITE (once), with
#                               make and linux-headers-KVER (installed
#                               later if the chroot exists without them)
#   chroot_build_module SUITE KVER DIR [MAKE ARGS...]
#                               build DIR/module/wms.ko and
#                               DIR/module/example/wms_example.ko there;
#                               make's output on stdout/stderr, non-zero on
#                               failure
#
# A chroot is built in SUITE.tmp and renamed when complete, so an interrupted
# run never leaves one that counts as done. Everything debootstrap and apt
# print goes to $WMS_APT_LOG. All chroot work runs in a private mount
# namespace (unshare) with its own /proc: the mounts die with it, even if it
# is killed, and none is ever left on the host.

WMS_CHROOT_MIRROR=${WMS_MIRROR:-http://deb.debian.org/debian}
WMS_CHROOT_SECURITY_MIRROR=${WMS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# chroot_logged CMD...: run CMD with its output appended to $WMS_APT_LOG.
chroot_logged() {
	mkdir -p "$(dirname "$WMS_APT_LOG")"
	printf '\n=== %s %s\n' "$(date -u +%FT%TZ)" "$*" >> "$WMS_APT_LOG"
	"$@" >> "$WMS_APT_LOG" 2>&1 </dev/null
}

# chroot_exec ROOT BUILDDIR CMD...: run CMD inside ROOT, with a private
# /proc, a minimal /dev and BUILDDIR (if not empty) bind-mounted on /build,
# all in a new mount and PID namespace that dies with this call.
chroot_exec() {
	local root=$1 build=$2
	shift 2
	# shellcheck disable=SC2016
	unshare --mount --propagation private --pid --fork --kill-child \
		bash -euc '
		root=$1 build=$2
		shift 2
		mount -t proc proc "$root/proc"
		# What reaches the host kernel through /proc: read-only.
		for p in sys sysrq-trigger; do
			[ -e "$root/proc/$p" ] || continue
			mount --bind "$root/proc/$p" "$root/proc/$p"
			mount -o remount,bind,ro "$root/proc/$p"
		done
		mount -t tmpfs -o mode=0755,size=1m dev "$root/dev"
		for d in null zero full random urandom tty; do
			touch "$root/dev/$d"
			mount --bind "/dev/$d" "$root/dev/$d"
		done
		ln -s /proc/self/fd "$root/dev/fd"
		if [ -n "$build" ]; then
			mkdir -p "$root/build"
			mount --bind "$build" "$root/build"
		fi
		exec chroot "$root" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
		' chroot-exec "$root" "$build" "$@"
}

# chroot_apt ROOT ARGS...: apt-get inside ROOT, logged.
chroot_apt() {
	local root=$1
	shift
	chroot_logged chroot_exec "$root" "" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 "$@"
}

chroot_sources() {
	case $1 in
	bullseye|bookworm|trixie)
		printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
			"$WMS_CHROOT_MIRROR" "$1" "$WMS_CHROOT_MIRROR" "$1" \
			"$WMS_CHROOT_SECURITY_MIRROR" "$1" ;;
	*)
		printf 'deb %s %s main\n' "$WMS_CHROOT_MIRROR" "$1" ;;
	esac
}

# chroot_install ROOT SUITE PKG...: apt-get install in ROOT; on failure,
# update the index once and try again, then die naming the packages.
chroot_install() {
	local root=$1 suite=$2
	shift 2
	# Finish what an interrupted install left half done.
	chroot_logged chroot_exec "$root" "" dpkg --configure -a || true
	chroot_apt "$root" install -y "$@" && return 0
	if ! chroot_apt "$root" update ||
	   ! chroot_apt "$root" install -y "$@"; then
		die "apt-get install $* in the $suite chroot failed; the end of $WMS_APT_LOG:
$(tail -n 15 "$WMS_APT_LOG")"
	fi
}

# chroot_create SUITE ROOT KVER: debootstrap ROOT.tmp, configure apt,
# install make and linux-headers-KVER, rename.
chroot_create() {
	local suite=$1 root=$2 kver=$3 tmp=$2.tmp start
	start=$(date +%s)
	ensure_pkgs debootstrap
	say "creating the $suite chroot in $root (log: $WMS_APT_LOG)"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# The host's keyring verifies the suite's Release file; sid's is
	# signed by the keys of the current stable releases too, which the
	# host's debian-archive-keyring holds.
	chroot_logged unshare --mount --propagation private \
		debootstrap --variant=minbase \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$tmp" "$WMS_CHROOT_MIRROR" ||
		die "debootstrap of $suite failed (see $WMS_APT_LOG)"
	chroot_sources "$suite" > "$tmp/etc/apt/sources.list"
	# A snapshot of sid (or an old suite) may carry a Valid-Until that
	# has passed; its signature is still checked.
	cat > "$tmp/etc/apt/apt.conf.d/99wms" <<'EOF'
Acquire::Check-Valid-Until "false";
Acquire::Languages "none";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
	chroot_apt "$tmp" update ||
		die "apt-get update in the $suite chroot failed (see $WMS_APT_LOG)"
	chroot_install "$tmp" "$suite" make "linux-headers-$kver"
	chroot_apt "$tmp" clean || true
	echo "$suite" > "$tmp/etc/wms-chroot"
	mv "$tmp" "$root"
	say "the $suite chroot took $(($(date +%s) - start)) s"
}

chroot_ensure() {
	local suite=$1 kver=$2 root lock fd
	root=$WMS_CACHE/chroot/$suite
	lock=$WMS_CACHE/locks/chroot-$suite.lock
	mkdir -p "$WMS_CACHE/chroot" "$WMS_CACHE/locks"
	exec {fd}>"$lock"
	flock "$fd"
	[ -f "$root/etc/wms-chroot" ] || chroot_create "$suite" "$root" "$kver"
	# shellcheck disable=SC2016
	if ! chroot_exec "$root" "" dpkg-query -W -f='${Status}' \
		"linux-headers-$kver" 2>/dev/null | grep -q 'install ok installed'; then
		say "installing linux-headers-$kver in the $suite chroot (log: $WMS_APT_LOG)"
		chroot_install "$root" "$suite" "linux-headers-$kver"
		chroot_apt "$root" clean || true
	fi
	exec {fd}>&-
}

chroot_build_module() {
	local suite=$1 kver=$2 dir=$3
	shift 3
	chroot_ensure "$suite" "$kver"
	chroot_exec "$WMS_CACHE/chroot/$suite" "$dir" \
		make -s -C "/usr/src/linux-headers-$kver" M=/build "$@"
}
