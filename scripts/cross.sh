# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Builds for the BUILD=foreign targets of scripts/targets.conf: wms.ko
# against another architecture's Debian headers, and the static test
# binaries of that architecture. Sourced (after lib.sh and fetch.sh), not
# run. Everything is unpacked under $WMS_CACHE/cross, once per directory
# (DIR.tmp, then renamed), without installing anything but the host's
# linux-kbuild-* (the kbuild tools are host programs, the same for every
# architecture).
#
#   cross_build_module ARCH SUITE KVER DIR [MAKE ARGS...]
#                       build DIR/module/wms.ko and
#                       DIR/module/example/wms_example.ko (DIR holds a copy
#                       of Kbuild, module/ and include/) with make -C
#                       HEADERS M=DIR ARCH=... CROSS_COMPILE=...; make's
#                       output on stdout, non-zero on failure
#   cross_build_tests ARCH [OUT]
#                       the static test binaries of ARCH (userspace-test/
#                       Makefile, no 32-bit builds) into OUT (default
#                       $WMS_CACHE/userspace-test-ARCH), with
#                       wmsctl_test.sh, endurance.sh and wmsctl next to
#                       them; prints OUT on the last line
#   cross_headers ARCH SUITE KVER   prints the flavour header tree
#   cross_toolchain ARCH            unpacks ARCH's toolchain, prints its bin
#                                   directory ("" for i386: the host's gcc-12)
#   cross_run ARCH CMD...           CMD with the toolchain's bin directory
#                                   first in PATH and its host libraries
#                                   (libbfd-*-ARCH.so...) in LD_LIBRARY_PATH
#   cross_kernel_arch ARCH          the kernel's ARCH= for a Debian ARCH
#   cross_busybox ARCH              prints the path of a static busybox of ARCH
#
# ARCH is a Debian architecture: i386, arm64, ppc64el or s390x. i386 is
# built by the host's gcc-12 (the kernel's ARCH=i386 passes -m32; the test
# binaries use gcc -m32 from gcc-multilib); the others by Debian 12's
# gcc-12 cross compiler, unpacked into the cache (installing it would
# remove gcc-multilib).

WMS_CROSS=$WMS_CACHE/cross

# cross_lock NAME ... cross_unlock: hold $WMS_CACHE/locks/cross-NAME.lock,
# so that two jobs never unpack into the same .tmp directory (the caller
# checks again under the lock).
cross_lock() {
	mkdir -p "$WMS_CACHE/locks"
	exec {WMS_CROSS_LOCK_FD}>"$WMS_CACHE/locks/cross-$1.lock"
	flock "$WMS_CROSS_LOCK_FD"
}
cross_unlock() { exec {WMS_CROSS_LOCK_FD}>&-; }

cross_kernel_arch() {
	case $1 in
	i386) echo i386 ;;
	arm64) echo arm64 ;;
	ppc64el) echo powerpc ;;
	s390x) echo s390 ;;
	*) die "cross.sh: no kernel ARCH for Debian architecture '$1'" ;;
	esac
}

cross_triplet() {
	case $1 in
	i386) echo "" ;;
	arm64) echo aarch64-linux-gnu ;;
	ppc64el) echo powerpc64le-linux-gnu ;;
	s390x) echo s390x-linux-gnu ;;
	*) die "cross.sh: unknown architecture '$1'" ;;
	esac
}

# The suffix of Debian's *-cross library packages for ARCH.
cross_pkg_arch() { echo "$1"; }

# The toolchain: gcc-12 for the triplet and what its static links need,
# from bookworm's amd64 archive (the cross compilers are amd64 packages).
cross_toolchain() {
	local arch=$1 t dir a
	t=$(cross_triplet "$arch")
	if [ -z "$t" ]; then
		ensure_pkgs gcc-12 gcc-multilib make >&2
		echo ""
		return 0
	fi
	a=$(cross_pkg_arch "$arch")
	dir=$WMS_CROSS/toolchain-$arch
	if [ ! -x "$dir/usr/bin/$t-gcc-12" ]; then
		cross_lock "toolchain-$arch"
		if [ ! -x "$dir/usr/bin/$t-gcc-12" ]; then
			rm -rf "$dir.tmp"
			fetch_unpack bookworm amd64 "$dir.tmp" \
				"gcc-12-$t" "cpp-12-$t" "gcc-12-$t-base" "binutils-$t" \
				"libgcc-12-dev-$a-cross" "libgcc-s1-$a-cross" \
				"libc6-dev-$a-cross" "libc6-$a-cross" "linux-libc-dev-$a-cross" \
				"libgomp1-$a-cross" "libatomic1-$a-cross" >&2 ||
				die "cannot get the $arch cross toolchain"
			# gcc finds cc1, as, ld, crt*.o and the sysroot relative to
			# its own binary.
			rm -rf "$dir" && mv "$dir.tmp" "$dir"
		fi
		cross_unlock
	fi
	echo "$dir/usr/bin"
}

# Debian's kernel Makefiles call $(CROSS_COMPILE)gcc-12 by name, and the
# cross binutils need their own libbfd/libctf (no RUNPATH): run the build
# with the unpacked toolchain in PATH and LD_LIBRARY_PATH.
cross_run() {
	local arch=$1 bin
	shift
	bin=$(cross_toolchain "$arch") || return 1
	if [ -z "$bin" ]; then
		"$@"
	else
		PATH=$bin:$PATH LD_LIBRARY_PATH=${bin%/bin}/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"
	fi
}

# The header tree: linux-headers-KVER and its -common, for ARCH (the
# -common package is arch all, fetched through the same ARCH index). Its
# Makefile includes /usr/src/linux-headers-...-common/Makefile and its
# scripts/ and tools/ are links to ../../lib/linux-kbuild-VER: point both
# into the unpacked tree and at the host's linux-kbuild-VER.
# cross_kbuild FLAVOUR: the linux-kbuild-VER package a flavour's header
# tree links its scripts/ to.
cross_kbuild() {
	local kb
	kb=$(readlink "$1/scripts")
	kb=${kb#../../lib/}
	kb=${kb%/scripts}
	[ -n "$kb" ] && [ "$kb" != "${kb#linux-kbuild-}" ] ||
		die "$1: odd scripts link '$kb'"
	echo "$kb"
}

cross_headers() {
	local arch=$1 suite=$2 kver=$3 dir flavour common kb
	dir=$WMS_CROSS/headers-$arch-$kver
	flavour=$dir/usr/src/linux-headers-$kver
	if [ ! -f "$dir/.ready" ]; then
		cross_lock "headers-$arch-$kver"
		if [ ! -f "$dir/.ready" ]; then
			rm -rf "$dir.tmp"
			fetch_unpack "$suite" "$arch" "$dir.tmp" "linux-headers-$kver" >&2 ||
				die "cannot get linux-headers-$kver ($arch)"
			common=$(ls -d "$dir.tmp"/usr/src/linux-headers-*-common 2>/dev/null | head -n 1)
			if [ -z "$common" ]; then
				common=$(dpkg-deb -f "$(fetch_debs "$suite" "$arch" "linux-headers-$kver")" Depends |
					grep -o 'linux-headers-[^ ,]*-common' | head -n 1)
				[ -n "$common" ] || die "linux-headers-$kver ($arch) names no -common package"
				fetch_unpack "$suite" "$arch" "$dir.tmp" "$common" >&2 ||
					die "cannot get $common ($arch)"
			fi
			common=$(ls -d "$dir.tmp"/usr/src/linux-headers-*-common | head -n 1)
			[ -n "$common" ] || die "no -common tree for linux-headers-$kver ($arch)"
			common=$(basename "$common")
			# (The final path: the directory is renamed below.)
			sed -i "s|/usr/src/$common/|$dir/usr/src/$common/|" \
				"$dir.tmp/usr/src/linux-headers-$kver/Makefile"
			kb=$(cross_kbuild "$dir.tmp/usr/src/linux-headers-$kver") || exit 1
			mkdir -p "$dir.tmp/usr/lib"
			ln -sfn "/usr/lib/$kb" "$dir.tmp/usr/lib/$kb"
			touch "$dir.tmp/.ready"
			rm -rf "$dir" && mv "$dir.tmp" "$dir"
		fi
		cross_unlock
	fi
	# The tree links to the host's linux-kbuild-VER: it must still be
	# there (quiet when it is).
	kb=$(cross_kbuild "$flavour") || exit 1
	ensure_pkgs "$kb" >&2
	[ -d "/usr/lib/$kb/scripts" ] || die "/usr/lib/$kb/scripts missing (is $kb installed?)"
	echo "$flavour"
}

cross_build_module() {
	local arch=$1 suite=$2 kver=$3 dir=$4 kdir t karch
	shift 4
	kdir=$(cross_headers "$arch" "$suite" "$kver") || return 1
	cross_toolchain "$arch" >/dev/null || return 1
	t=$(cross_triplet "$arch")
	karch=$(cross_kernel_arch "$arch")
	ensure_pkgs make >&2
	# i386: the host's gcc-12 (ARCH=i386 builds with -m32) is the compiler
	# of Debian 12's i386 kernels.
	cross_run "$arch" make -s -C "$kdir" M="$dir" ARCH="$karch" \
		CROSS_COMPILE="${t:+$t-}" "$@"
}

cross_build_tests() {
	local arch=$1 out=${2:-$WMS_CACHE/userspace-test-$1} t cc flags
	cross_toolchain "$arch" >/dev/null || return 1
	t=$(cross_triplet "$arch")
	ensure_source_tree >&2
	mkdir -p "$out"
	if [ -z "$t" ]; then
		# i386: the 32-bit builds are the binaries (no -m64 ones).
		cc=gcc-12 flags=-m32
	else
		cc=$t-gcc-12 flags=
	fi
	cross_run "$arch" make -s -C "$WMS_ROOT/userspace-test" O="$out" \
		KSFT="$WMS_SRC/tools/testing/selftests" CC="$cc" ARCHFLAGS="$flags" \
		NO32=1 >&2 || return 1
	cross_run "$arch" make -s -C "$WMS_ROOT/tools" O="$out" STATIC=1 \
		CC="$cc${flags:+ $flags}" >&2 || return 1
	install -m 755 "$WMS_ROOT/userspace-test/wmsctl_test.sh" \
		"$WMS_ROOT/userspace-test/endurance.sh" "$out/"
	echo "$out"
}

cross_busybox() {
	local arch=$1 dir
	dir=$WMS_CROSS/busybox-$arch
	if [ ! -x "$dir/bin/busybox" ]; then
		cross_lock "busybox-$arch"
		if [ ! -x "$dir/bin/busybox" ]; then
			rm -rf "$dir.tmp"
			fetch_unpack bookworm "$arch" "$dir.tmp" busybox-static >&2 ||
				die "cannot get busybox-static ($arch)"
			rm -rf "$dir" && mv "$dir.tmp" "$dir"
		fi
		cross_unlock
	fi
	echo "$dir/bin/busybox"
}
