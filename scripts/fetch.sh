# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Debian packages of any suite and architecture, without touching the
# machine's own APT: a private APT configuration per SUITE-ARCH under
# $WMS_CACHE/apt, whose downloads land in $WMS_CACHE/debs/SUITE-ARCH.
# Sourced (after lib.sh), not run.
#
#   fetch_debs SUITE ARCH PKG...   download the packages (cached); prints
#                                  one .deb path per package, in order
#   fetch_unpack SUITE ARCH DIR PKG...
#                                  fetch_debs, then dpkg-deb -x each into
#                                  DIR (once: DIR/.done lists what is in it)
#   fetch_newest SUITE ARCH REGEX  the newest package name matching REGEX
#
# SUITE is a Debian suite (bookworm, bookworm-security, bullseye, sid...);
# "bookworm" also searches bookworm-updates and bookworm-security, where
# Debian 12's newer kernels live. Everything apt prints goes to
# $WMS_APT_LOG; a failure is one error naming the packages.

WMS_MIRROR=${WMS_MIRROR:-http://deb.debian.org/debian}
WMS_SECURITY_MIRROR=${WMS_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# apt_private SUITE ARCH: write the private configuration (once) and
# update its index (once a day); prints the APT_CONFIG file.
apt_private() {
	local suite=$1 arch=$2 dir conf list stamp
	dir=$WMS_CACHE/apt/$suite-$arch
	conf=$dir/apt.conf
	list=$dir/sources.list
	mkdir -p "$dir"/{lists/partial,archives/partial,parts,prefs}
	if [ ! -f "$conf" ]; then
		case $suite in
		bookworm)
			printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
				"$WMS_MIRROR" "$WMS_MIRROR" "$WMS_SECURITY_MIRROR" ;;
		bullseye)
			printf 'deb %s bullseye main\ndeb %s bullseye-updates main\ndeb %s bullseye-security main\n' \
				"$WMS_MIRROR" "$WMS_MIRROR" "$WMS_SECURITY_MIRROR" ;;
		*)
			printf 'deb %s %s main\n' "$WMS_MIRROR" "$suite" ;;
		esac > "$list"
		cat > "$conf.tmp" <<EOF
Dir::State "$dir";
Dir::State::Lists "$dir/lists";
Dir::State::status "/dev/null";
Dir::Cache "$dir";
Dir::Cache::archives "$dir/archives";
Dir::Etc::SourceList "$list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$dir/prefs";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Check-Valid-Until "false";
Acquire::IndexTargets::deb::DEP-11::DefaultEnabled "false";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
EOF
		mv "$conf.tmp" "$conf"
	fi
	stamp=$dir/updated
	if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		say "apt-get update for $suite $arch (log: $WMS_APT_LOG)" >&2
		APT_CONFIG=$conf apt_logged update ||
			die "apt-get update for $suite $arch failed (see $WMS_APT_LOG)"
		touch "$stamp"
	fi
	echo "$conf"
}

fetch_debs() {
	local suite=$1 arch=$2 conf out p deb
	shift 2
	conf=$(apt_private "$suite" "$arch") || exit 1
	out=$WMS_CACHE/debs/$suite-$arch
	mkdir -p "$out"
	for p in "$@"; do
		deb=$(compgen -G "$out/${p}_*.deb" | head -n 1 || true)
		if [ -z "$deb" ]; then
			say "downloading $p ($suite $arch)" >&2
			rm -rf "$out/.dl" && mkdir -p "$out/.dl"
			(cd "$out/.dl" && APT_CONFIG=$conf apt_logged download "$p") ||
				die "apt-get download $p ($suite $arch) failed; the end of $WMS_APT_LOG:
$(tail -n 15 "$WMS_APT_LOG")"
			mv "$out"/.dl/*.deb "$out/"
			deb=$(compgen -G "$out/${p}_*.deb" | head -n 1)
		fi
		echo "$deb"
	done
}

fetch_unpack() {
	local suite=$1 arch=$2 dir=$3 deb debs
	shift 3
	mkdir -p "$dir"
	# (A failed download fails the unpack: no half-filled tree.)
	debs=$(fetch_debs "$suite" "$arch" "$@") || return 1
	for deb in $debs; do
		grep -qxF "$(basename "$deb")" "$dir/.done" 2>/dev/null && continue
		dpkg-deb -x "$deb" "$dir" || die "dpkg-deb -x $deb failed"
		basename "$deb" >> "$dir/.done"
	done
}

fetch_newest() {
	local suite=$1 arch=$2 re=$3 conf
	conf=$(apt_private "$suite" "$arch") || exit 1
	APT_CONFIG=$conf apt-cache pkgnames 2>/dev/null | grep -E "^($re)\$" |
		sort -V | tail -n 1
}
