#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# records.sh STAGE LOG: the results of one test kernel's console log (the
# Debian VMs' serial log, the UML debug kernel's console) as `make test`
# records, one per check, on stdout:
#
#   STAGE KIND RESULT SUITE NAME
#
# KIND is "fuzz" for a fuzzer run and "test" otherwise; RESULT is PASS, FAIL
# or SKIP; SUITE is the TAP program's label (or "check" for a check of the
# runner script itself); NAME is the test's name, with a check's numbers
# turned into '#' so that the same check on another kernel has the same
# name. It reads the lines userspace-test/harness.sh prints.
set -euo pipefail

stage=${1:?usage: records.sh STAGE LOG}
log=${2:?usage: records.sh STAGE LOG}

tr -d '\r' < "$log" | awk -v stage="$stage" '
/^WMS-T [^ ]+ (PASS|FAIL|SKIP) / {
	kind = ($2 ~ /^wms_fuzz/) ? "fuzz" : "test"
	name = $0
	sub(/^WMS-T [^ ]+ [A-Z]+ /, "", name)
	print stage, kind, $3, $2, name
	next
}
/^WMS-CHECK (ok|FAILED): / {
	res = ($2 == "ok:") ? "PASS" : "FAIL"
	name = $0
	sub(/^WMS-CHECK [A-Za-z]+: /, "", name)
	gsub(/[0-9]+/, "#", name)
	print stage, "test", res, "check", name
}'
