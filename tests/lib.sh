# lib.sh - helpers for memtrace's integration tests, sourced by tests/run.sh
# before each test file. A test is a shell function named test_*; it fails by
# calling `fail MESSAGE` (or any command failing under set -e), skips with
# `skip REASON`. Each test runs in its own bash with a private $TMP.

MEMTRACE=${MEMTRACE:-$ROOT/memtrace}
OUT=${MEMTRACE_OUTPUT:-$ROOT/.output}
WL=$OUT/workloads
MIB=1048576

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Skip for a missing prerequisite, unless MEMTRACE_REQUIRE_BPF=1 (CI) makes
# the absence of BPF a failure.
skip() {
	echo "SKIP: $*" >&2
	exit 77
}

require_bpf() {
	local why=
	if [ "$(id -u)" -ne 0 ]; then
		why="needs root"
	elif [ ! -r /sys/kernel/btf/vmlinux ]; then
		why="kernel has no BTF"
	fi
	if [ -n "$why" ]; then
		[ "${MEMTRACE_REQUIRE_BPF:-0}" = 1 ] && fail "$why (MEMTRACE_REQUIRE_BPF=1)"
		skip "$why"
	fi
	return 0
}

# memtrace's version: the Debian package's (debian/changelog's first line)
package_version() {
	sed -n '1s/^memtrace (\([^)]*\)).*/\1/p' "$ROOT/debian/changelog"
}

# runs N IN_GUEST: the run numbers of a test that repeats itself, 1..N on a
# host, 1..IN_GUEST in the kernel matrix's guests (guest-init sets
# MEMTRACE_IN_GUEST), where every memtrace start verifies the BPF programs
# for 2-8 s under TCG
runs() {
	seq 1 "$([ -n "${MEMTRACE_IN_GUEST:-}" ] && echo "$2" || echo "$1")"
}

# value of key=value in a workload's output file
kv() {
	sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$2" | tail -n 1
}

# jq on a JSON file, failing when the file is not valid JSON
jqf() {
	jq -e -r "$1" "$2" || fail "jq '$1' failed on $2: $(head -c 300 "$2")"
}

# assert |a - b| <= pct% of b
assert_within() {
	local name=$1 a=$2 b=$3 pct=$4
	[ -n "$a" ] && [ -n "$b" ] || fail "$name: missing value (got '$a', want '$b')"
	awk -v a="$a" -v b="$b" -v p="$pct" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * p / 100) }' ||
		fail "$name: $a is not within $pct% of $b"
	echo "ok: $name: $a within $pct% of $b"
}

# assert |a - b| <= slack (an absolute bound, for counts that are small)
assert_near() {
	local name=$1 a=$2 b=$3 slack=$4
	[ -n "$a" ] && [ -n "$b" ] || fail "$name: missing value (got '$a', want '$b')"
	awk -v a="$a" -v b="$b" -v s="$slack" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= s) }' ||
		fail "$name: $a is not within $slack of $b"
	echo "ok: $name: $a within $slack of $b"
}

assert_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "ok: $1 = $3"
}

assert_ge() {
	awk -v a="$2" -v b="$3" 'BEGIN { exit !(a >= b) }' || fail "$1: $2 < $3"
	echo "ok: $1: $2 >= $3"
}

# wait_until TRIES CMD...: run CMD every 0.2 s until it succeeds; 1 after TRIES tries
wait_until() {
	local tries=$1
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.2
	done
}

# Wait (bounded) until FILE contains PATTERN: a synchronisation point, not a sleep.
wait_for() {
	local file=$1 pattern=$2 tries=${3:-300}
	while ! grep -q -- "$pattern" "$file" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "timed out waiting for '$pattern' in $file: $(tail -n 5 "$file" 2>/dev/null)"
		sleep 0.05
	done
}

# Start the stepper workload with its stdin on a fifo held open by fd 7.
# Sets STEPPER_PID and STEPPER_OUT.
start_stepper() {
	mkfifo "$TMP/stepper.in"
	STEPPER_OUT=$TMP/stepper.out
	"$WL/stepper" < "$TMP/stepper.in" > "$STEPPER_OUT" &
	STEPPER_PID=$!
	exec 7> "$TMP/stepper.in"
	wait_for "$STEPPER_OUT" ready
}

# Send one command to the stepper and wait for its n-th "ok".
STEPS=0
step() {
	echo "$1" >&7
	STEPS=$((STEPS + 1))
	local tries=400
	while [ "$(grep -c '^ok$' "$STEPPER_OUT")" -lt "$STEPS" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "stepper did not finish '$1'"
		sleep 0.05
	done
}

# In FILE's table whose header line starts with HEADER, every row's first
# column ends before the column COLUMN (a header word) starts, in characters:
# long names are cut, never pushed into the next column.
assert_aligned() {
	/usr/bin/python3 - "$@" <<'PY' || fail "columns of $1 misaligned under $2: $(grep -A 5 "^$2" "$1" | head -n 6)"
import sys
path, header, column = sys.argv[1:4]
lines = open(path, encoding="utf-8").read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith(header))
at = lines[start].index(column)
rows = 0
for line in lines[start + 1:]:
    if not line.strip() or line.startswith("..."):
        break
    if line[at - 1] != " " or line[at] == " ":
        sys.exit(1)
    rows += 1
sys.exit(0 if rows else 1)
PY
	echo "ok: $1: columns aligned under $2"
}

# pprof_sums PROFILE SAMPLE_TYPE FUNCTION...: the profile decoded
# (tests/tools/pprof_sum.py), with a protobuf module generated once per test
# from the repository's schema
pprof_sums() {
	[ -f "$TMP/profile_pb2.py" ] || protoc --python_out="$TMP" -I"$ROOT/src" "$ROOT/src/profile.proto" ||
		fail "protoc cannot compile src/profile.proto"
	/usr/bin/python3 "$ROOT/tests/tools/pprof_sum.py" "$TMP" "$@" || fail "pprof profile does not decode: $1"
}
