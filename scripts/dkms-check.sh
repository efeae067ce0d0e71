#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `dkms add` and `dkms build` of this tree against both Debian kernels'
# headers, in a private DKMS tree (nothing installed on the machine), then
# `modinfo` of the result: it must name every module parameter with a
# description. Each kernel is one check.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ensure_pkgs dkms kmod
resolve_kernels
ensure_pkgs "linux-headers-$WMS_KVER_61" "linux-headers-$WMS_KVER_612"
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$WMS_ROOT/dkms.conf")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/src/wms-$version"
mkdir -p "$src" "$work/tree"
cp -a "$WMS_ROOT/Kbuild" "$WMS_ROOT/Makefile" "$WMS_ROOT/dkms.conf" \
	"$WMS_ROOT/module" "$WMS_ROOT/include" "$src/"
dkms=(dkms --dkmstree "$work/tree" --sourcetree "$work/src")
passed=0 failed=0

if "${dkms[@]}" add -m wms -v "$version" >"$work/add.log" 2>&1; then
	touch "$work/add.ok"
else
	echo "dkms add failed:"
	cat "$work/add.log"
fi
# Every kernel is checked, whatever happened to the one before.
for kver in "$WMS_KVER_61" "$WMS_KVER_612"; do
	if [ ! -f "$work/add.ok" ]; then
		failed=$((failed + 1))
		record dkms lint FAIL dkms "build $kver (dkms add failed)"
		continue
	fi
	log="$work/build-$kver.log"
	if ! "${dkms[@]}" build -m wms -v "$version" -k "$kver" \
		--kernelsourcedir "/usr/src/linux-headers-$kver" >"$log" 2>&1; then
		echo "dkms build for $kver failed:"
		tail -n 30 "$log"
		find "$work/tree" -name make.log -exec tail -n 30 {} \;
		failed=$((failed + 1))
		record dkms lint FAIL dkms "build $kver"
		continue
	fi
	ko=$(find "$work/tree/wms/$version/$kver" -name 'wms.ko*' | head -n1)
	info=$(modinfo "$ko" 2>&1)
	missing=
	for p in max_entries max_entry_size max_total_bytes max_user_bytes; do
		grep -Eq "^parm: +$p:.+" <<<"$info" || missing+=" $p"
	done
	for f in description author license version; do
		grep -Eq "^$f: +.+" <<<"$info" || missing+=" $f"
	done
	if [ -n "$missing" ]; then
		echo "modinfo of the DKMS build for $kver lacks:$missing"
		failed=$((failed + 1))
		record dkms lint FAIL dkms "build $kver"
	else
		echo "dkms build $kver: ok ($(basename "$ko"))"
		passed=$((passed + 1))
		record dkms lint PASS dkms "build $kver"
	fi
done
echo "dkms: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
