#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# wmsctl_test.sh: checks every wmsctl subcommand against the real module:
# exact output and exit status, /proc/driver/wms against "wmsctl ls", the
# sysfs counters of "wmsctl stats", and the permission errors as uid 65534.
#
# Runs in the test VM (busybox ash, root, wms.ko loaded):
#
#   /wmsctl_test.sh
#
# Environment: WMSCTL (default /wmsctl), WMS_DEMO (default /wms_demo, for an
# attached entry; those checks are skipped without it), WMSCTL_TEST_BULK
# (entries of the /proc/driver/wms comparison, default 1000).
#
# Output: TAP-like "ok N - ..." / "not ok N - ..." lines, diagnostics as
# "# ..." lines, and last "# Totals: pass:P fail:F xfail:0 xpass:0 skip:S
# error:0". Exit status 1 if a check failed (or the set-up did), else 0.
# Every entry it makes is named "wct.*" and removed at the end; so are the
# /etc/passwd and /etc/group it creates if there are none (for su).

WMSCTL=${WMSCTL:-/wmsctl}
WMS_DEMO=${WMS_DEMO:-/wms_demo}
BULK=${WMSCTL_TEST_BULK:-1000}
PARAMS=/sys/module/wms/parameters
PROC=/proc/driver/wms

N=0
P=0
F=0
S=0
T=""
MADE_PASSWD=0
MADE_GROUP=0
SAVED_MAX_ENTRIES=""
PING_PID=""
CLEANED=0

pass() { N=$((N + 1)); P=$((P + 1)); echo "ok $N - $1"; }
fail() { N=$((N + 1)); F=$((F + 1)); echo "not ok $N - $1"; }
skip() { N=$((N + 1)); S=$((S + 1)); echo "ok $N - $1 # SKIP $2"; }
diag() { echo "# $*"; }

# The page size of the running kernel (4096 on x86, 16384 on arm64-16k,
# 65536 on ppc64el): an entry is charged its size rounded up to pages.
PAGE=$(getconf PAGESIZE 2>/dev/null ||
	awk '/^KernelPageSize:/ { print $2 * 1024; exit }' /proc/self/smaps 2>/dev/null)
case $PAGE in '' | *[!0-9]*) PAGE=4096 ;; esac
# What an 8K entry is charged.
CHARGE_8K=$(((8192 + PAGE - 1) / PAGE * PAGE))
# diag_file LABEL FILE: the first lines of FILE as diagnostics
diag_file() {
	echo "# $1:"
	awk '{ print "#   | " $0 } NR >= 12 { exit }' "$2"
}

totals() {
	echo "1..$N"
	echo "# Totals: pass:$P fail:$F xfail:0 xpass:0 skip:$S error:0"
}

# ---------------------------------------------------------------------------
# Running wmsctl

# run CMD...: run it with stdin from /dev/null; stdout in $T/out, stderr in
# $T/err, exit status in RC.
run() {
	"$@" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
}

# run_in FILE CMD...: the same with stdin from FILE.
run_in() {
	_in=$1
	shift
	"$@" <"$_in" >"$T/out" 2>"$T/err"
	RC=$?
}

# run_nobody [-i FILE] 'SHELL COMMAND': run it as uid/gid 65534 (su to the
# user of uid 65534), stdin from FILE or /dev/null.
run_nobody() {
	_in=/dev/null
	if [ "$1" = -i ]; then
		_in=$2
		shift 2
	fi
	su -s /bin/sh "$NOBODY" -c "$1" <"$_in" >"$T/out" 2>"$T/err"
	RC=$?
}

# lines TEXT: TEXT and a newline, or nothing for an empty TEXT.
lines() {
	if [ -n "$1" ]; then
		printf '%s\n' "$1"
	fi
}

# check DESC RC STDOUT STDERR: the last run exited with RC and printed
# exactly STDOUT and STDERR (each "" for nothing, else lines).
check() {
	lines "$3" >"$T/eout"
	lines "$4" >"$T/eerr"
	if [ "$RC" = "$2" ] && cmp -s "$T/eout" "$T/out" && cmp -s "$T/eerr" "$T/err"; then
		pass "$1"
		return 0
	fi
	fail "$1"
	diag "exit status $RC, expected $2"
	cmp -s "$T/eout" "$T/out" || { diag_file "stdout" "$T/out"; diag_file "expected stdout" "$T/eout"; }
	cmp -s "$T/eerr" "$T/err" || { diag_file "stderr" "$T/err"; diag_file "expected stderr" "$T/eerr"; }
	return 1
}

# check_raw DESC RC BYTES STDERR: like check, with stdout exactly BYTES (no
# newline added): for the raw output of read.
check_raw() {
	printf '%s' "$3" >"$T/raw"
	lines "$4" >"$T/eerr"
	if [ "$RC" = "$2" ] && cmp -s "$T/raw" "$T/out" && cmp -s "$T/eerr" "$T/err"; then
		pass "$1"
		return 0
	fi
	fail "$1"
	diag "exit status $RC, expected $2"
	cmp -s "$T/raw" "$T/out" || { diag_file "stdout" "$T/out"; diag_file "expected stdout" "$T/raw"; }
	cmp -s "$T/eerr" "$T/err" || { diag_file "stderr" "$T/err"; diag_file "expected stderr" "$T/eerr"; }
	return 1
}

# check_usage DESC FIRST_LINE: the last run was a usage error: exit status 2,
# nothing on stdout, FIRST_LINE then a "usage: wmsctl ..." line on stderr.
check_usage() {
	_first=$(head -n 1 "$T/err")
	if [ "$RC" = 2 ] && [ ! -s "$T/out" ] && [ "$_first" = "$2" ] &&
	   sed -n 2p "$T/err" | grep -q '^usage: wmsctl '; then
		pass "$1"
		return 0
	fi
	fail "$1"
	diag "exit status $RC, expected 2"
	diag_file stdout "$T/out"
	diag_file stderr "$T/err"
	diag "expected first stderr line: $2"
	return 1
}

# check_file DESC EXPECTED_FILE GOT_FILE
check_file() {
	if cmp -s "$2" "$3"; then
		pass "$1"
		return 0
	fi
	fail "$1"
	diag_file "got" "$3"
	diag_file "expected" "$2"
	return 1
}

# running PID: the process exists and has not exited (an unreaped child
# is still there for kill -0)
running() {
	kill -0 "$1" 2>/dev/null && ! grep -q ') Z ' "/proc/$1/stat" 2>/dev/null
}

# json_field KEY: the number of "KEY":N in $T/out
json_field() {
	sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" "$T/out"
}

# stat_value KEY: the value of "KEY: V" in $T/stats
stat_value() {
	sed -n "s/^$1: //p" "$T/stats"
}

# idname FILE ID: what wmsctl ls shows for ID: the first name in FILE
# (/etc/passwd or /etc/group) with that id, if the name is plain, else ID.
idname() {
	_n=""
	[ -r "$1" ] && _n=$(awk -F: -v id="$2" '$3 == id { print $1; exit }' "$1")
	case $_n in
	"" | *[!!-~]*) echo "$2" ;;
	*) echo "$_n" ;;
	esac
}

# row NAME SIZE OWNER GROUP MODE: an "ls" row in the documented format
row() {
	printf '%-32s %-8s %-8s %-8s %s\n' "$1" "$2" "$3" "$4" "$5"
}

# ls_rows [LS OPTIONS]: run "wmsctl ls ...", the "wct." rows sorted into $T/rows
ls_rows() {
	run "$WMSCTL" ls "$@"
	grep '^wct\.' "$T/out" | LC_ALL=C sort >"$T/rows"
}

# ---------------------------------------------------------------------------
# Names (the special ones cannot be in a word list)

TAB=$(printf '\t')
NL=$(printf '\n_')
NL=${NL%_}
N_SP='wct.sp ace'
N_TAB="wct.tab${TAB}x"
N_NL="wct.nl${NL}x"
N_BS='wct.back\slash'
N_Q='wct.q"uote'
N_U8=$(printf 'wct.\303\251')
N_LONG=wct.long.name.0123456789abcdefghijklmnopq
N255=$(awk 'BEGIN { s = "wct."; while (length(s) < 255) s = s "n"; print s }')
N256=$(awk 'BEGIN { s = "wct."; while (length(s) < 256) s = s "n"; print s }')
# The plain names this script may create (all removed at the end).
NAMES="wct.a wct.b wct.m wct.z wct.s wct.k wct.r wct.t wct.h wct.q wct.neg wct.ovf wct.big
wct.att wct.priv wct.nob wct.nob2 wct.nospace wct.rm1 wct.rm2 wct.rm3 wct.rm4 wct.rm5
wct.io wct.x $N_LONG $N255 $N256"

rm_all() {
	# shellcheck disable=SC2086 # word splitting of the plain names is meant
	"$WMSCTL" rm $NAMES "$N_SP" "$N_TAB" "$N_NL" "$N_BS" "$N_Q" "$N_U8" >/dev/null 2>&1
	_i=0
	_batch=""
	while [ "$_i" -lt "$BULK" ]; do
		_batch="$_batch wct.bulk.$_i"
		_i=$((_i + 1))
		if [ $((_i % 200)) = 0 ] || [ "$_i" = "$BULK" ]; then
			# shellcheck disable=SC2086
			"$WMSCTL" rm $_batch >/dev/null 2>&1
			_batch=""
		fi
	done
}

cleanup() {
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	if [ -n "$PING_PID" ]; then
		kill "$PING_PID" 2>/dev/null
		wait "$PING_PID" 2>/dev/null
	fi
	[ -n "$SAVED_MAX_ENTRIES" ] && echo "$SAVED_MAX_ENTRIES" >"$PARAMS/max_entries"
	rm_all
	[ "$MADE_PASSWD" = 1 ] && rm -f /etc/passwd
	[ "$MADE_GROUP" = 1 ] && rm -f /etc/group
	[ -n "$T" ] && rm -rf "$T"
}

trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

# ---------------------------------------------------------------------------
# Set-up

echo "TAP version 13"
T=$(mktemp -d /tmp/wmsctl_test.XXXXXX) || { echo "Bail out! mktemp"; F=1; totals; exit 1; }
if [ ! -x "$WMSCTL" ] || [ ! -c /dev/wms ] || [ "$(id -u)" != 0 ]; then
	fail "set-up: $WMSCTL executable, /dev/wms present, running as root"
	totals
	exit 1
fi
START=$(date +%s)

# A user and a group of id 65534 for su (the VM has no /etc/passwd).
if [ ! -e /etc/passwd ]; then
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >/etc/passwd && MADE_PASSWD=1
fi
if [ ! -e /etc/group ]; then
	echo 'nogroup:x:65534:' >/etc/group && MADE_GROUP=1
fi
NOBODY=$(awk -F: '$3 == 65534 { print $1; exit }' /etc/passwd 2>/dev/null)
ROOT_U=$(idname /etc/passwd 0)
ROOT_G=$(idname /etc/group 0)
NOBODY_U=$(idname /etc/passwd 65534)
NOBODY_G=$(idname /etc/group 65534)
diag "wmsctl: $WMSCTL; uid 0 shows as '$ROOT_U', uid 65534 as '$NOBODY_U' (su to '$NOBODY')"

# Leftovers of an earlier, interrupted run would change the results.
rm_all

# ---------------------------------------------------------------------------
# help, version, usage

run "$WMSCTL" --version
check "--version" 0 "wmsctl 0.1.0 (wms ABI 2)" ""

for h in --help -h help; do
	run "$WMSCTL" $h
	if [ "$RC" = 0 ] && [ ! -s "$T/err" ] &&
	   [ "$(head -n 1 "$T/out")" = "usage: wmsctl COMMAND [ARGS...]" ] &&
	   grep -q '^  wmsctl stats$' "$T/out"; then
		pass "$h: overview on stdout, exit 0"
	else
		fail "$h: overview on stdout, exit 0"
		diag_file stdout "$T/out"
	fi
done

for c in "add:add NAME SIZE [--mode MODE] [--excl]" "rm:rm NAME..." \
	 "ls:ls [-l] [-n] [--bytes]" "info:info NAME [--json]" \
	 "write:write NAME [--offset N] < FILE" \
	 "read:read NAME [--offset N] [--len N] > FILE" "stats:stats" \
	 "help:help [COMMAND]"; do
	cmd=${c%%:*}
	run "$WMSCTL" help "$cmd"
	a=$(head -n 1 "$T/out")
	run "$WMSCTL" "$cmd" --help
	b=$(head -n 1 "$T/out")
	if [ "$RC" = 0 ] && [ "$a" = "usage: wmsctl ${c#*:}" ] && [ "$b" = "$a" ]; then
		pass "help $cmd / $cmd --help: '$a'"
	else
		fail "help $cmd / $cmd --help"
		diag "got '$a' and '$b' (exit $RC), expected 'usage: wmsctl ${c#*:}'"
	fi
done

run "$WMSCTL"
check_usage "no command: usage error" "wmsctl: missing command"
run "$WMSCTL" frob
check_usage "unknown command: usage error" "wmsctl: unknown command 'frob'"
run "$WMSCTL" help frob
check_usage "help of an unknown command: usage error" "wmsctl: help: unknown command 'frob'"
run "$WMSCTL" add wct.q
check_usage "add without SIZE" "wmsctl: add: missing SIZE"
run "$WMSCTL" rm
check_usage "rm without NAME" "wmsctl: rm: missing NAME"
run "$WMSCTL" ls -x
check_usage "ls -x" "wmsctl: ls: unknown option '-x'"
run "$WMSCTL" info
check_usage "info without NAME" "wmsctl: info: missing NAME"
run "$WMSCTL" add wct.q 4K --mode 0999
check_usage "add --mode 0999" "wmsctl: add: invalid mode '0999' (octal, 0 to 0777)"
run "$WMSCTL" read wct.q --len 1Q
check_usage "read --len 1Q" "wmsctl: read: invalid length '1Q' (bytes, or a number with K, M or G)"
run "$WMSCTL" write wct.q --offset
check_usage "write --offset without a value" "wmsctl: write: missing value of option '--offset'"
run "$WMSCTL" stats extra
check_usage "stats with an argument" "wmsctl: stats: too many arguments"

# ---------------------------------------------------------------------------
# add

SZ_HINT="(bytes, or a number with the suffix K, M or G)"
for s in 12Q -5 "" " 4" +4 4KB 0x10 1.5K 18446744073709551616 17179869184G 4K4; do
	run "$WMSCTL" add wct.q "$s"
	check_usage "add: size '$s' is refused" "wmsctl: add: invalid size '$s' $SZ_HINT"
done
run "$WMSCTL" info wct.q
check "add: a refused size created nothing" 1 "" "wmsctl: info wct.q: No such entry"

run "$WMSCTL" add wct.a 4K
check "add wct.a 4K: created" 0 "created wct.a (4096 bytes)" ""
run "$WMSCTL" add wct.a 4K
check "add wct.a 4K again: exists" 0 "exists wct.a (4096 bytes)" ""
run "$WMSCTL" add wct.a 8K --mode 0600
check "add of an existing name: its own size, untouched" 0 "exists wct.a (4096 bytes)" ""
run "$WMSCTL" add wct.a 4K --excl
check "add --excl of an existing name" 1 "" "wmsctl: add wct.a: Entry exists"
run "$WMSCTL" add --excl wct.x 1K --mode=0644
check "add --excl of a new name, --mode=..." 0 "created wct.x (1024 bytes)" ""
run "$WMSCTL" add wct.b 1536 --mode 640
check "add wct.b 1536 --mode 640" 0 "created wct.b (1536 bytes)" ""
run "$WMSCTL" add wct.m 1M --mode 0600
check "add wct.m 1M --mode 0600" 0 "created wct.m (1048576 bytes)" ""
run "$WMSCTL" add wct.z 0
check "add wct.z 0" 0 "created wct.z (0 bytes)" ""
run "$WMSCTL" add wct.s 512 --mode 0666
check "add wct.s 512 --mode 0666" 0 "created wct.s (512 bytes)" ""
run "$WMSCTL" add wct.k 1023
check "add wct.k 1023" 0 "created wct.k (1023 bytes)" ""
run "$WMSCTL" add wct.r 1048575
check "add wct.r 1048575" 0 "created wct.r (1048575 bytes)" ""
run "$WMSCTL" add wct.t 10485761
check "add wct.t 10485761" 0 "created wct.t (10485761 bytes)" ""
run "$WMSCTL" add wct.h 1280
check "add wct.h 1280" 0 "created wct.h (1280 bytes)" ""
run "$WMSCTL" add "$N_LONG" 4k
check "add a 41-byte name, size 4k" 0 "created $N_LONG (4096 bytes)" ""

run "$WMSCTL" add "$N_SP" 1K
check "add a name with a space" 0 'created wct.sp\040ace (1024 bytes)' ""
run "$WMSCTL" add "$N_TAB" 1K
check "add a name with a tab" 0 'created wct.tab\011x (1024 bytes)' ""
run "$WMSCTL" add "$N_NL" 1K
check "add a name with a newline" 0 'created wct.nl\012x (1024 bytes)' ""
run "$WMSCTL" add "$N_BS" 1K
check "add a name with a backslash" 0 'created wct.back\134slash (1024 bytes)' ""
run "$WMSCTL" add "$N_Q" 1K
check "add a name with a double quote" 0 'created wct.q"uote (1024 bytes)' ""
run "$WMSCTL" add "$N_U8" 1K
check "add a name with UTF-8 bytes" 0 'created wct.\303\251 (1024 bytes)' ""

run "$WMSCTL" add "$N255" 1
check "add a 255-byte name" 0 "created $N255 (1 bytes)" ""
run "$WMSCTL" add "$N256" 1
check "add a 256-byte name: ENAMETOOLONG" 1 "" "wmsctl: add $N256: Name too long"
run "$WMSCTL" add wt/slash 1
check "add a name with '/': EINVAL" 1 "" "wmsctl: add wt/slash: Invalid argument"
run "$WMSCTL" add .. 1
check "add '..': EINVAL" 1 "" "wmsctl: add ..: Invalid argument"
run "$WMSCTL" add "" 1
check "add '': EINVAL" 1 "" "wmsctl: add : Invalid argument"

MAX_ENTRY_SIZE=$(cat "$PARAMS/max_entry_size" 2>/dev/null)
if [ -n "$MAX_ENTRY_SIZE" ]; then
	run "$WMSCTL" add wct.big $((MAX_ENTRY_SIZE + 1))
	check "add of max_entry_size + 1 bytes: EFBIG" 1 "" \
		"wmsctl: add wct.big: Too large for the entry or max_entry_size"
else
	fail "read $PARAMS/max_entry_size"
fi

SAVED_MAX_ENTRIES=$(cat "$PARAMS/max_entries" 2>/dev/null)
if [ -n "$SAVED_MAX_ENTRIES" ] && echo 0 >"$PARAMS/max_entries"; then
	run "$WMSCTL" add wct.nospace 1
	check "add past max_entries: ENOSPC" 1 "" \
		"wmsctl: add wct.nospace: Limit reached (max_entries, max_*_bytes or max_user_entries)"
	run "$WMSCTL" add wct.a 4K
	check "add of an existing name past max_entries: exists" 0 "exists wct.a (4096 bytes)" ""
	echo "$SAVED_MAX_ENTRIES" >"$PARAMS/max_entries" && SAVED_MAX_ENTRIES=""
else
	fail "set $PARAMS/max_entries to 0"
	SAVED_MAX_ENTRIES=""
fi

# ---------------------------------------------------------------------------
# ls

HDR='NAME                             SIZE     OWNER    GROUP    MODE'
HDR_L='NAME                             SIZE     OWNER    GROUP    MODE ATTACHED CREATED'

LC_ALL=C sort >"$T/exp" <<'EOF'
wct.a                            4.0K     0        0        0644
wct.b                            1.5K     0        0        0640
wct.m                            1.0M     0        0        0600
wct.z                            0        0        0        0644
wct.s                            512      0        0        0666
wct.k                            1023     0        0        0644
wct.r                            1.0M     0        0        0644
wct.t                            10.0M    0        0        0644
wct.h                            1.3K     0        0        0644
wct.x                            1.0K     0        0        0644
wct.sp\040ace                    1.0K     0        0        0644
wct.tab\011x                     1.0K     0        0        0644
wct.nl\012x                      1.0K     0        0        0644
wct.back\134slash                1.0K     0        0        0644
wct.q"uote                       1.0K     0        0        0644
wct.\303\251                     1.0K     0        0        0644
wct.long.name.0123456789abcdefghijklmnopq 4.0K     0        0        0644
EOF
row "$N255" 1 0 0 0644 >>"$T/exp"
LC_ALL=C sort -o "$T/exp" "$T/exp"

ls_rows -n
if [ "$RC" = 0 ] && [ ! -s "$T/err" ] && [ "$(head -n 1 "$T/out")" = "$HDR" ]; then
	pass "ls -n: exit 0, header '$HDR'"
else
	fail "ls -n: exit 0, header"
	diag "exit status $RC"
	diag_file stdout "$T/out"
	diag_file stderr "$T/err"
fi
check_file "ls -n: exact rows (human sizes, escaped names, long names)" "$T/exp" "$T/rows"

LC_ALL=C sort >"$T/exp" <<'EOF'
wct.a                            4096     0        0        0644
wct.b                            1536     0        0        0640
wct.m                            1048576  0        0        0600
wct.z                            0        0        0        0644
wct.s                            512      0        0        0666
wct.k                            1023     0        0        0644
wct.r                            1048575  0        0        0644
wct.t                            10485761 0        0        0644
wct.h                            1280     0        0        0644
EOF
ls_rows --bytes --numeric
grep -E '^wct\.[abmzskrth] ' "$T/rows" >"$T/rows2"
if [ "$RC" = 0 ] && [ "$(head -n 1 "$T/out")" = "$HDR" ]; then
	check_file "ls --bytes --numeric: exact rows" "$T/exp" "$T/rows2"
else
	fail "ls --bytes --numeric: exit 0 and the header"
	diag_file stdout "$T/out"
	diag_file stderr "$T/err"
fi

# Without -n: names from /etc/passwd and /etc/group (or numbers).
ls_rows
row wct.a 4.0K "$ROOT_U" "$ROOT_G" 0644 >"$T/exp"
grep '^wct\.a ' "$T/rows" >"$T/rows2"
check_file "ls: OWNER/GROUP of root as '$ROOT_U'/'$ROOT_G'" "$T/exp" "$T/rows2"

# ls -l: ATTACHED and CREATED, the local time of ctime_ns.
run "$WMSCTL" info wct.a --json
ns=$(json_field ctime_ns)
if [ -n "$ns" ]; then
	when=$(date -d "@$((ns / 1000000000))" '+%Y-%m-%d %H:%M:%S')
	ls_rows -ln
	if [ "$RC" = 0 ] && [ "$(head -n 1 "$T/out")" = "$HDR_L" ]; then
		pass "ls -ln: header '$HDR_L'"
	else
		fail "ls -ln: exit 0 and header"
		diag_file stdout "$T/out"
		diag_file stderr "$T/err"
	fi
	echo "wct.a                            4.0K     0        0        0644 0        $when" >"$T/exp"
	grep '^wct\.a ' "$T/rows" >"$T/rows2"
	check_file "ls -ln: exact wct.a row with ATTACHED 0 and CREATED" "$T/exp" "$T/rows2"
	echo "wct.m                            1048576  0        0        0600 0       " >"$T/exp"
	run "$WMSCTL" ls --long --bytes -n
	grep '^wct\.m ' "$T/out" | cut -c 1-73 >"$T/rows2"
	check_file "ls --long --bytes -n: wct.m row" "$T/exp" "$T/rows2"
	bad=$(grep '^wct\.' "$T/out" | grep -cvE ' [0-7]{4} [0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$')
	if [ "$bad" = 0 ]; then
		pass "ls -l: every row ends in 'MODE ATTACHED YYYY-MM-DD HH:MM:SS'"
	else
		fail "ls -l: $bad rows do not end in 'MODE ATTACHED YYYY-MM-DD HH:MM:SS'"
		diag_file stdout "$T/out"
	fi
else
	fail "info wct.a --json gives ctime_ns (needed for the ls -l checks)"
fi

# ---------------------------------------------------------------------------
# info

run "$WMSCTL" info wct.b
head -n 6 "$T/out" >"$T/got"
printf '%s\n' "name: wct.b" "size: 1536" "uid: 0" "gid: 0" "mode: 0640" "attached: 0" >"$T/exp"
if [ "$RC" = 0 ] && [ ! -s "$T/err" ] && [ "$(wc -l <"$T/out")" = 8 ] &&
   cmp -s "$T/exp" "$T/got" &&
   sed -n 7p "$T/out" | grep -qE '^created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}$' &&
   sed -n 8p "$T/out" | grep -qE '^ctime_ns: [0-9]+$'; then
	pass "info wct.b: name, size, uid, gid, mode, attached, created (ISO 8601), ctime_ns"
else
	fail "info wct.b"
	diag "exit status $RC"
	diag_file stdout "$T/out"
	diag_file stderr "$T/err"
fi
ns=$(sed -n 's/^ctime_ns: //p' "$T/out")
iso=$(sed -n 's/^created: //p' "$T/out")
if [ -n "$ns" ] && [ "${iso%??????}" = "$(date -d "@$((ns / 1000000000))" '+%Y-%m-%dT%H:%M:%S')" ]; then
	pass "info: created is the local time of ctime_ns"
else
	fail "info: created is the local time of ctime_ns"
fi
# (A test's name is the same in every run and on every kernel: the values
# it saw go in a comment.)
diag "created $iso, ctime_ns $ns"
NOW=$(date +%s)
if [ -n "$ns" ] && [ $((ns / 1000000000)) -ge $((START - 2)) ] &&
   [ $((ns / 1000000000)) -le $((NOW + 2)) ]; then
	pass "info: ctime_ns is within the run of this script"
else
	fail "info: ctime_ns is within the run of this script"
	diag "ctime_ns $ns, the run $START..$NOW"
fi

run "$WMSCTL" info wct.b --json
sed 's/"ctime_ns":[0-9][0-9]*}$/"ctime_ns":N}/' "$T/out" >"$T/got"
cp "$T/got" "$T/out"
check "info wct.b --json" 0 '{"name":"wct.b","size":1536,"uid":0,"gid":0,"mode":"0640","attached":0,"ctime_ns":N}' ""
run "$WMSCTL" info --json wct.m
jns=$(json_field ctime_ns)
if [ "$RC" = 0 ] && [ -n "$jns" ] && [ "$jns" -gt 0 ]; then
	pass "info --json: ctime_ns is a number"
	diag "ctime_ns $jns"
else
	fail "info --json: ctime_ns is a number"
	diag_file stdout "$T/out"
fi

# JSON escaping: \" \\ and \u00XX for control bytes and bytes >= 0x80.
for c in "$N_TAB|wct.tab\\u0009x" "$N_NL|wct.nl\\u000ax" "$N_BS|wct.back\\\\slash" \
	 "$N_Q|wct.q\\\"uote" "$N_U8|wct.\\u00c3\\u00a9" "$N_SP|wct.sp ace"; do
	name=${c%%|*}
	esc=${c#*|}
	run "$WMSCTL" info "$name" --json
	sed 's/"ctime_ns":[0-9][0-9]*}$/"ctime_ns":N}/' "$T/out" >"$T/got"
	cp "$T/got" "$T/out"
	check "info --json of \"$esc\"" 0 \
		"{\"name\":\"$esc\",\"size\":1024,\"uid\":0,\"gid\":0,\"mode\":\"0644\",\"attached\":0,\"ctime_ns\":N}" ""
done
run "$WMSCTL" info "$N_BS"
if [ "$(head -n 1 "$T/out")" = 'name: wct.back\134slash' ]; then
	pass "info: name escaped like ls"
else
	fail "info: name escaped like ls"
	diag_file stdout "$T/out"
fi

run "$WMSCTL" info wct.nosuch
check "info of a missing name" 1 "" "wmsctl: info wct.nosuch: No such entry"

# ---------------------------------------------------------------------------
# write and read

dd if=/dev/urandom of="$T/in" bs=1000 count=3 2>/dev/null
run_in "$T/in" "$WMSCTL" write wct.a
check "write wct.a < 3000 bytes: silent" 0 "" ""
run "$WMSCTL" read wct.a --len 3000
cp "$T/out" "$T/r"
check_file "read wct.a --len 3000: the bytes written" "$T/in" "$T/r"
run "$WMSCTL" read wct.a
dd if=/dev/zero bs=1096 count=1 2>/dev/null >"$T/zero"
cat "$T/in" "$T/zero" >"$T/exp"
if [ "$RC" = 0 ] && [ ! -s "$T/err" ]; then
	check_file "read wct.a: all 4096 bytes, zero-filled after the data" "$T/exp" "$T/out"
else
	fail "read wct.a: exit 0"
	diag_file stderr "$T/err"
fi

printf 'HELLO' >"$T/hello"
run_in "$T/hello" "$WMSCTL" write wct.a --offset 4091
check "write --offset 4091 of 5 bytes (ends at the end)" 0 "" ""
run "$WMSCTL" read wct.a --offset 4091 --len 5
check_raw "read --offset 4091 --len 5" 0 "HELLO" ""
run "$WMSCTL" read wct.a --offset 4094
printf 'LO' >"$T/exp"
check_file "read --offset 4094: to the end (2 bytes)" "$T/exp" "$T/out"
run "$WMSCTL" read wct.a --offset 4000 --len 1K
if [ "$RC" = 0 ] && [ "$(wc -c <"$T/out")" = 96 ]; then
	pass "read --offset 4000 --len 1K: short read of 96 bytes"
else
	fail "read --offset 4000 --len 1K: short read of 96 bytes (got $(wc -c <"$T/out"), exit $RC)"
fi
run "$WMSCTL" read wct.a --offset 5000
check "read at an offset past the end: nothing, exit 0" 0 "" ""

printf 'HELLO!' >"$T/hello6"
run_in "$T/hello6" "$WMSCTL" write wct.a --offset 4091
check "write crossing the end: EFBIG" 1 "" "wmsctl: write wct.a: Too large for the entry or max_entry_size"
run "$WMSCTL" read wct.a --offset 4091 --len 5
check_raw "a failed write wrote nothing" 0 "HELLO" ""
dd if=/dev/urandom of="$T/toomuch" bs=4097 count=1 2>/dev/null
run_in "$T/toomuch" "$WMSCTL" write wct.a
check "write of 4097 bytes into 4096: EFBIG" 1 "" "wmsctl: write wct.a: Too large for the entry or max_entry_size"
run "$WMSCTL" read wct.a --len 3000
cp "$T/out" "$T/r"
check_file "... and nothing written" "$T/in" "$T/r"

run_in /dev/null "$WMSCTL" write wct.z
check "write of nothing into a 0-byte entry" 0 "" ""
run "$WMSCTL" read wct.z
check "read of a 0-byte entry: nothing" 0 "" ""

dd if=/dev/urandom of="$T/big" bs=1024 count=1024 2>/dev/null
run_in "$T/big" "$WMSCTL" write wct.m
check "write 1 MiB into wct.m (1M)" 0 "" ""
run "$WMSCTL" read wct.m
cp "$T/out" "$T/r"
check_file "read wct.m: the same 1 MiB" "$T/big" "$T/r"
dd if="$T/big" of="$T/exp" bs=1024 skip=1 count=2 2>/dev/null
run "$WMSCTL" read wct.m --offset 1K --len 2K
cp "$T/out" "$T/r"
check_file "read wct.m --offset 1K --len 2K" "$T/exp" "$T/r"
printf 'abc' >"$T/abc"
run_in "$T/abc" "$WMSCTL" write wct.m --offset=1M
check "write 3 bytes at --offset=1M (the end of wct.m): EFBIG" 1 "" \
	"wmsctl: write wct.m: Too large for the entry or max_entry_size"
run_in "$T/abc" "$WMSCTL" write wct.m --offset=1023K
run "$WMSCTL" read wct.m --offset=1047552 --len=3
check_raw "write --offset=1023K, read --offset=1047552 --len=3" 0 "abc" ""

run_in "$T/abc" "$WMSCTL" write wct.nosuch
check "write to a missing name" 1 "" "wmsctl: write wct.nosuch: No such entry"
run "$WMSCTL" read wct.nosuch
check "read of a missing name" 1 "" "wmsctl: read wct.nosuch: No such entry"

# ---------------------------------------------------------------------------
# rm

for n in wct.rm1 wct.rm2 wct.rm3 wct.rm4 wct.rm5; do
	"$WMSCTL" add "$n" 100 >/dev/null
done
run "$WMSCTL" rm wct.rm1 wct.rm2 wct.rm3
check "rm of three names: silent" 0 "" ""
gone=0
for n in wct.rm1 wct.rm2 wct.rm3; do
	"$WMSCTL" info "$n" >/dev/null 2>&1 || gone=$((gone + 1))
done
if [ "$gone" = 3 ]; then
	pass "rm: all three gone"
else
	fail "rm: $gone of three gone"
fi
run "$WMSCTL" rm wct.rm4 nosuch wct.rm5
check "rm past a missing name: one error, exit 1" 1 "" "wmsctl: rm nosuch: No such entry"
if ! "$WMSCTL" info wct.rm4 >/dev/null 2>&1 && ! "$WMSCTL" info wct.rm5 >/dev/null 2>&1; then
	pass "rm: the names around the missing one were removed"
else
	fail "rm: the names around the missing one were removed"
fi
run "$WMSCTL" rm nosuch
check "rm nosuch" 1 "" "wmsctl: rm nosuch: No such entry"
run "$WMSCTL" rm "$N256"
check "rm of a 256-byte name" 1 "" "wmsctl: rm $N256: Name too long"
run "$WMSCTL" rm -- "$N_LONG"
check "rm -- NAME" 0 "" ""

# ---------------------------------------------------------------------------
# An attached entry: ATTACHED in ls -l, info, /proc/driver/wms

if [ -x "$WMS_DEMO" ]; then
	# ping waits for the pong without a time limit (0); it is attached
	# once it has said that it stored its text in its mapping. No time
	# bound here either: wait for that line, or for ping to end.
	"$WMS_DEMO" ping wct.att 0 >"$T/ping.out" 2>&1 &
	PING_PID=$!
	while ! grep -q '^\[A\] stored in my mapping' "$T/ping.out" &&
	      running "$PING_PID"; do
		sleep 0.05
	done
	att=""
	if grep -q '^\[A\] stored in my mapping' "$T/ping.out"; then
		"$WMSCTL" info wct.att --json >"$T/out" 2>/dev/null
		att=$(json_field attached)
	fi
	if [ "$att" = 1 ]; then
		pass "info --json: attached 1 while wms_demo ping holds wct.att"
		run "$WMSCTL" ls -ln
		grep '^wct\.att ' "$T/out" | cut -c 1-73 >"$T/got"
		echo "wct.att                          4.0K     0        0        0644 1       " >"$T/exp"
		check_file "ls -ln: ATTACHED 1" "$T/exp" "$T/got"
		if [ -r "$PROC" ]; then
			grep '^wct\.att ' "$PROC" >"$T/got"
			echo "wct.att 4096 0 0 0644 1" >"$T/exp"
			check_file "$PROC: wct.att attached 1" "$T/exp" "$T/got"
		else
			fail "$PROC readable"
		fi
	else
		fail "info --json: attached 1 while wms_demo ping holds wct.att (got '$att')"
		diag_file "wms_demo ping" "$T/ping.out"
	fi
	# A failed pong stores nothing: end ping rather than wait for ever.
	"$WMS_DEMO" pong wct.att >/dev/null 2>&1 || kill "$PING_PID" 2>/dev/null
	wait "$PING_PID"
	rc=$?
	PING_PID=""
	run "$WMSCTL" info wct.att --json
	att=$(json_field attached)
	if [ "$rc" = 0 ] && [ "$att" = 0 ]; then
		pass "attached back to 0 when wms_demo ping and pong are done"
	else
		fail "attached back to 0 when wms_demo ping and pong are done (ping exit $rc, attached '$att')"
		diag_file "wms_demo ping" "$T/ping.out"
	fi
else
	skip "ATTACHED in ls -l, info, $PROC" "no $WMS_DEMO"
fi

# ---------------------------------------------------------------------------
# Permissions, as uid/gid 65534

if [ -z "$NOBODY" ]; then
	skip "permission checks as uid 65534" "/etc/passwd has no user of uid 65534"
else
	"$WMSCTL" add wct.priv 4K --mode 0600 >/dev/null
	run_nobody "$WMSCTL rm wct.priv"
	check "rm of root's entry by uid 65534: EPERM" 1 "" \
		"wmsctl: rm wct.priv: Operation not permitted (not the owner, or a reserved '.' name)"
	run_nobody "$WMSCTL read wct.priv"
	check "read of a 0600 root entry by uid 65534: EACCES" 1 "" "wmsctl: read wct.priv: Permission denied"
	run_nobody "$WMSCTL add wct.priv 4K"
	check "add of an unreadable existing entry by uid 65534: EACCES" 1 "" \
		"wmsctl: add wct.priv: Permission denied"
	run_nobody -i "$T/abc" "$WMSCTL write wct.a"
	check "write to a 0644 root entry by uid 65534: EACCES" 1 "" "wmsctl: write wct.a: Permission denied"
	run_nobody "$WMSCTL read wct.a --offset 4091"
	check_raw "read of a 0644 root entry by uid 65534" 0 "HELLO" ""
	run_nobody "$WMSCTL info wct.priv --json"
	sed 's/"ctime_ns":[0-9][0-9]*}$/"ctime_ns":N}/' "$T/out" >"$T/got"
	cp "$T/got" "$T/out"
	check "info of a 0600 root entry by uid 65534 (metadata is public)" 0 \
		'{"name":"wct.priv","size":4096,"uid":0,"gid":0,"mode":"0600","attached":0,"ctime_ns":N}' ""
	run_nobody "$WMSCTL add wct.nob 1K --mode 0640"
	check "add by uid 65534" 0 "created wct.nob (1024 bytes)" ""
	run_nobody "$WMSCTL ls"
	grep '^wct\.nob ' "$T/out" >"$T/got"
	row wct.nob 1.0K "$NOBODY_U" "$NOBODY_G" 0640 >"$T/exp"
	check_file "ls by uid 65534: its entry, OWNER/GROUP '$NOBODY_U'/'$NOBODY_G'" "$T/exp" "$T/got"
	run "$WMSCTL" ls -n
	grep '^wct\.nob ' "$T/out" >"$T/got"
	row wct.nob 1.0K 65534 65534 0640 >"$T/exp"
	check_file "ls -n: OWNER/GROUP 65534/65534" "$T/exp" "$T/got"
	run_nobody "$WMSCTL rm wct.nob"
	check "rm of its own entry by uid 65534" 0 "" ""
	run_nobody "$WMSCTL add wct.nob2 1K"
	run "$WMSCTL" rm wct.nob2
	check "rm of uid 65534's entry by root (CAP_SYS_ADMIN)" 0 "" ""
	"$WMSCTL" rm wct.priv >/dev/null 2>&1
fi

# ---------------------------------------------------------------------------
# stats

STAT_KEYS="max_entries max_entry_size max_total_bytes max_user_bytes max_user_entries entries bytes peak_bytes adds removes registries"

stats() {
	"$WMSCTL" stats >"$T/stats" 2>"$T/stats.err"
	RC=$?
}

stats
bad=""
i=0
for k in $STAT_KEYS; do
	i=$((i + 1))
	sed -n "${i}p" "$T/stats" | grep -qE "^$k: [0-9]+\$" || bad="$bad $k"
done
if [ "$RC" = 0 ] && [ ! -s "$T/stats.err" ] && [ -z "$bad" ]; then
	pass "stats: exit 0, '$(echo "$STAT_KEYS" | sed 's/ /, /g')' in this order, each a number"
else
	fail "stats: exit status $RC, keys missing, misplaced or not numbers:$bad"
	diag_file stdout "$T/stats"
	diag_file stderr "$T/stats.err"
fi
tail -n +"$(($(echo $STAT_KEYS | wc -w) + 1))" "$T/stats" >"$T/fa"
LC_ALL=C sort "$T/fa" >"$T/fa.sorted"
nfa=$(grep -cE '^failed_adds\.[A-Z0-9]+: [0-9]+$' "$T/fa")
if [ "$nfa" -gt 0 ] && [ "$nfa" = "$(wc -l <"$T/fa")" ] && cmp -s "$T/fa" "$T/fa.sorted"; then
	pass "stats: $nfa failed_adds.ERRNO lines, sorted, each a number"
else
	fail "stats: failed_adds.ERRNO lines, sorted, each a number"
	diag_file "failed_adds lines" "$T/fa"
fi
for f in /sys/class/misc/wms/failed_adds/*; do
	[ -e "$f" ] && echo "failed_adds.${f##*/}"
done | LC_ALL=C sort >"$T/exp"
sed 's/:.*//' "$T/fa" >"$T/got"
check_file "stats: one failed_adds line per file of /sys/class/misc/wms/failed_adds" "$T/exp" "$T/got"
bad=""
for k in max_entries max_entry_size max_total_bytes max_user_bytes max_user_entries; do
	[ "$(stat_value $k)" = "$(cat "$PARAMS/$k" 2>/dev/null)" ] || bad="$bad $k"
done
for k in entries bytes peak_bytes adds removes registries; do
	[ "$(stat_value $k)" = "$(cat "/sys/class/misc/wms/$k" 2>/dev/null)" ] || bad="$bad $k"
done
if [ -z "$bad" ]; then
	pass "stats: values are those of sysfs"
else
	fail "stats: values differ from sysfs:$bad"
fi
bytes=$(stat_value bytes)
peak=$(stat_value peak_bytes)
if [ -n "$bytes" ] && [ -n "$peak" ] && [ "$peak" -ge "$bytes" ]; then
	pass "stats: peak_bytes >= bytes"
else
	fail "stats: peak_bytes >= bytes"
fi
diag "peak_bytes $peak, bytes $bytes"

# Counters move as the calls go.
e0=$(stat_value entries)
b0=$(stat_value bytes)
a0=$(stat_value adds)
r0=$(stat_value removes)
x0=$(stat_value failed_adds.EEXIST)
f0=$(stat_value failed_adds.EFBIG)
p0=$(stat_value failed_adds.EPERM)
"$WMSCTL" add wct.io 8K >/dev/null
stats
if [ "$(stat_value entries)" = $((e0 + 1)) ] && [ "$(stat_value bytes)" = $((b0 + CHARGE_8K)) ] &&
   [ "$(stat_value adds)" = $((a0 + 1)) ]; then
	pass "stats: an 8K add: entries +1, bytes + 8K rounded up to pages, adds +1"
else
	fail "stats: an 8K add: entries +1, bytes + 8K rounded up to pages, adds +1"
	diag "expected bytes +$CHARGE_8K"
	diag "before: entries $e0 bytes $b0 adds $a0"
	diag_file after "$T/stats"
fi
"$WMSCTL" add wct.io 8K --excl >/dev/null 2>&1
"$WMSCTL" add wct.big $((MAX_ENTRY_SIZE + 1)) >/dev/null 2>&1
stats
if [ -n "$x0" ] && [ -n "$f0" ] && [ "$(stat_value failed_adds.EEXIST)" = $((x0 + 1)) ] &&
   [ "$(stat_value failed_adds.EFBIG)" = $((f0 + 1)) ]; then
	pass "stats: failed_adds.EEXIST +1 after add --excl, failed_adds.EFBIG +1 after a too large add"
else
	fail "stats: failed_adds.EEXIST and failed_adds.EFBIG +1 (before: '$x0' '$f0')"
	diag_file after "$T/stats"
fi
run "$WMSCTL" add .wct.reserved 1
check "add of a '.' name (the kernel's): EPERM" 1 "" \
	"wmsctl: add .wct.reserved: Operation not permitted (not the owner, or a reserved '.' name)"
stats
if [ -n "$p0" ] && [ "$(stat_value failed_adds.EPERM)" = $((p0 + 1)) ]; then
	pass "stats: failed_adds.EPERM +1 after the add of a '.' name"
else
	fail "stats: failed_adds.EPERM +1 (before: '$p0')"
	diag_file after "$T/stats"
fi
"$WMSCTL" rm wct.io
stats
if [ "$(stat_value entries)" = "$e0" ] && [ "$(stat_value bytes)" = "$b0" ] &&
   [ "$(stat_value removes)" = $((r0 + 1)) ]; then
	pass "stats: rm: entries -1, bytes - 8K rounded up to pages, removes +1"
else
	fail "stats: rm: entries -1, bytes - 8K rounded up to pages, removes +1"
	diag "expected bytes -$CHARGE_8K"
	diag "before the add: entries $e0 bytes $b0 removes $r0"
	diag_file after "$T/stats"
fi

# ---------------------------------------------------------------------------
# /proc/driver/wms against ls --bytes -n, with $BULK more entries

t0=$(date +%s)
i=0
nbad=0
while [ $i -lt "$BULK" ]; do
	case $((i % 5)) in
	0) m=0600 ;;
	1) m=0640 ;;
	2) m=0644 ;;
	3) m=0660 ;;
	*) m=0666 ;;
	esac
	"$WMSCTL" add "wct.bulk.$i" $((i * 37 % 9001)) --mode $m >/dev/null 2>>"$T/bulk.err" ||
		nbad=$((nbad + 1))
	i=$((i + 1))
done
t1=$(date +%s)
diag "$BULK x wmsctl add took $((t1 - t0)) s"
if [ "$nbad" = 0 ]; then
	pass "$BULK x wmsctl add wct.bulk.N"
else
	fail "$BULK x wmsctl add wct.bulk.N: $nbad failed"
	diag_file stderr "$T/bulk.err"
fi

if [ -r "$PROC" ]; then
	cat "$PROC" >"$T/proc"
	if [ "$(head -n 1 "$T/proc")" = "name size uid gid mode attached" ]; then
		pass "$PROC: header 'name size uid gid mode attached'"
	else
		fail "$PROC: header 'name size uid gid mode attached'"
		diag_file "$PROC" "$T/proc"
	fi
	nbadl=$(tail -n +2 "$T/proc" | grep -cvE '^[^ ]+ [0-9]+ [0-9]+ [0-9]+ [0-7]{4} [0-9]+$')
	if [ "$nbadl" = 0 ]; then
		pass "$PROC: every line is 'NAME SIZE UID GID MODE ATTACHED'"
	else
		fail "$PROC: $nbadl lines are not 'NAME SIZE UID GID MODE ATTACHED'"
		tail -n +2 "$T/proc" | grep -vE '^[^ ]+ [0-9]+ [0-9]+ [0-9]+ [0-7]{4} [0-9]+$' >"$T/got"
		diag_file "bad lines" "$T/got"
	fi
	# The same (name, size, uid, gid, mode) for every wct.* entry, the names
	# escaped alike (\ooo for every byte outside 0x21..0x7e, and '\').
	grep '^wct\.' "$T/proc" | awk '{ print $1, $2, $3, $4, $5 }' | LC_ALL=C sort >"$T/p"
	run "$WMSCTL" ls --bytes -n
	grep '^wct\.' "$T/out" | awk '{ print $1, $2, $3, $4, $5 }' | LC_ALL=C sort >"$T/l"
	np=$(wc -l <"$T/p")
	if [ "$np" -ge "$BULK" ]; then
		check_file "$PROC and wmsctl ls --bytes -n: the same $np wct.* entries" "$T/l" "$T/p"
	else
		fail "$PROC has $np wct.* entries, fewer than $BULK"
	fi
	grep -E '^wct\.(sp|tab|nl|back|\\303)' "$T/p" >"$T/got"
	LC_ALL=C sort >"$T/exp" <<'EOF'
wct.\303\251 1024 0 0 0644
wct.back\134slash 1024 0 0 0644
wct.nl\012x 1024 0 0 0644
wct.sp\040ace 1024 0 0 0644
wct.tab\011x 1024 0 0 0644
EOF
	check_file "$PROC: names escaped with \\ooo, as ls escapes them" "$T/exp" "$T/got"
	grep '^wct\.bulk\.' "$T/proc" | sed 's/^wct\.bulk\.\([0-9]*\) .*/\1/' >"$T/got"
	seq 0 $((BULK - 1)) >"$T/exp"
	check_file "$PROC: wct.bulk.N in creation order" "$T/exp" "$T/got"
else
	fail "$PROC readable"
fi

# One rm of all of them.
i=0
names=""
while [ $i -lt "$BULK" ]; do
	names="$names wct.bulk.$i"
	i=$((i + 1))
done
t0=$(date +%s)
# shellcheck disable=SC2086
run "$WMSCTL" rm $names
t1=$(date +%s)
check "rm of $BULK names in one call ($((t1 - t0)) s)" 0 "" ""
run "$WMSCTL" ls -n
if [ "$(grep -c '^wct\.bulk\.' "$T/out")" = 0 ]; then
	pass "ls: no wct.bulk.* left"
else
	fail "ls: wct.bulk.* left"
fi

# ---------------------------------------------------------------------------
# Clean up, and nothing of ours may be left.

cleanup
T=$(mktemp -d /tmp/wmsctl_test.XXXXXX) || T=/tmp
"$WMSCTL" ls -n >"$T/out" 2>&1
left=$(grep -c '^wct\.' "$T/out")
if [ "$left" = 0 ]; then
	pass "every wct.* entry removed"
else
	fail "$left wct.* entries left"
	diag_file "ls" "$T/out"
fi
[ "$T" != /tmp ] && rm -rf "$T"

totals
[ "$F" = 0 ]
