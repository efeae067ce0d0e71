#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh [OUTDIR]: `make deb`. The Debian source package (an orig tarball
# of this tree without debian/, and debian/) and the binary packages of
# debian/control, built by dpkg-buildpackage in OUTDIR (default
# build/deb; emptied first), then lintian on the result. dpkg-buildpackage's
# output goes to OUTDIR/build.log (its end is shown if it fails); lintian's
# tags are shown. Exit status: 0 when the build worked and lintian reported
# no error and no warning, 1 when the build failed, 2 when lintian did (or
# could not run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

out=${1:-$WMS_ROOT/build/deb}
ensure_pkgs dpkg-dev debhelper dh-dkms dh-python python3 lintian
out=$(realpath -m "$out")
# Inside the tree only under build/ (which the orig tarball leaves out); a
# directory with files in it only if an earlier deb.sh made it (it is
# emptied).
case $out/ in
"$WMS_ROOT"/build/?*) ;;
"$WMS_ROOT"/*) die "OUTDIR $out is in the tree, and not under build/" ;;
esac
if [ -n "$(ls -A "$out" 2>/dev/null)" ] && [ ! -f "$out/.wms-deb" ]; then
	die "OUTDIR $out has files that deb.sh did not make: give an empty or new directory"
fi
mkdir -p "$out"

cd "$WMS_ROOT"
version=$(dpkg-parsechangelog -S Version)
upstream=${version%-*}
module_version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ "$upstream" = "$module_version" ] ||
	die "debian/changelog has $upstream, dkms.conf $module_version"
grep -qF "MODULE_VERSION(\"$upstream\")" module/main.c ||
	die "module/main.c's MODULE_VERSION is not $upstream"

# The orig tarball: the tree as .gitignore leaves it (no build products,
# whatever was built here), without debian/, reproducible.
find "$out" -mindepth 1 -delete
echo "made by scripts/deb.sh, which empties it" > "$out/.wms-deb"
excludes=$out/.excludes
{
	sed -n 's:/$::; /^[^#]/p' .gitignore
	printf '%s\n' ./debian ./.git
} > "$excludes"
epoch=$(dpkg-parsechangelog -S Timestamp)
tar --create --sort=name --mtime="@$epoch" --owner=0 --group=0 \
	--numeric-owner --exclude-from="$excludes" \
	--transform="s,^\.,wms-$upstream," . |
	gzip -n9 > "$out/wms_$upstream.orig.tar.gz"
rm -f "$excludes"
tar -xzf "$out/wms_$upstream.orig.tar.gz" -C "$out"
cp -a debian "$out/wms-$upstream/"

say "dpkg-buildpackage wms $version in $out (log: $out/build.log)"
cd "$out/wms-$upstream"
if ! dpkg-checkbuilddeps > "$out/build.log" 2>&1 ||
   ! dpkg-buildpackage -us -uc >> "$out/build.log" 2>&1; then
	# (Without install's notes that debhelper's INSTALL ignores stripping.)
	grep -v 'ignoring --strip-program' "$out/build.log" | tail -n 40
	echo "dpkg-buildpackage failed (see $out/build.log)"
	exit 1
fi
cd "$out"
rm -rf "wms-$upstream"
changes=$(ls "$out"/wms_"$version"_*.changes)
echo "built:"
sed -n '/^Files:/,$p' "$changes" | awk 'NR > 1 { print "  " $NF }'

# lintian on everything the .changes names (the source package and the
# binary packages): an error (E:) or a warning (W:) fails; info and pedantic
# tags do not, and are not shown. Overridden tags (debian/*.lintian-overrides,
# each with its reason there) are shown as "O:" lines. (With
# --show-overrides, lintian's --fail-on counts them too: the verdict is
# read from its output.)
say "lintian $(basename "$changes")"
rc=0
lintian --fail-on none --show-overrides "$changes" > "$out/lintian.log" 2>&1 || rc=$?
# (Not its notes: the overrides' comments, and that it runs as root.)
grep -v -e '^N: ' -e '^running with root privileges is not recommended!$' \
	"$out/lintian.log" | sed 's/^/  /' || true
if [ "$rc" -ne 0 ]; then
	echo "lintian failed (exit status $rc)"
	exit 2
elif grep -q '^[EW]: ' "$out/lintian.log"; then
	echo "lintian: errors or warnings (above)"
	exit 2
fi
echo "lintian: no errors, no warnings"
