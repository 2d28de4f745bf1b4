#!/bin/bash
# bench.sh - memtrace's benchmark: what tracing costs and what sampling misses.
#
# Overhead: each workload runs untraced and under `memtrace -- ...`, as
# interleaved pairs (the order inside each pair alternates), ROUNDS pairs; the
# table gives the medians and the median of the per-pair ratios. Workloads
# time themselves (elapsed_ns), so memtrace's own start-up (loading BPF) is
# not counted against the workload; the build is timed by a shell around it.
#
# Accuracy: the spike workload under memtrace and under a poller that reads
# /proc/PID/status VmRSS every 100 ms (the usual sampling approach), against
# the kernel's VmHWM.
#
# usage: tools/bench.sh [ROUNDS]     (run as root; `make bench` builds first)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MT=$ROOT/memtrace
WL=$ROOT/.output/workloads
ROUNDS=${1:-${ROUNDS:-9}}
OUT=$ROOT/bench-results
mkdir -p "$OUT"

[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

elapsed_of() { sed -n 's/^elapsed_ns=//p' | tail -n 1; }

# The real build: compile a snapshot of memtrace's userspace sources (taken
# now, so that editing the tree meanwhile changes nothing), timed from inside
# the traced command.
SNAPSHOT=$OUT/build-src
rm -rf "$SNAPSHOT" && mkdir -p "$SNAPSHOT"
cp -r "$ROOT/src" "$ROOT/bpf" "$ROOT/.output/memtrace.skel.h" "$SNAPSHOT/"
BUILD_CMD="cd $SNAPSHOT && s=\$(date +%s%N) && for i in 1 2 3; do for f in src/*.c; do gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. -Ibpf -Isrc -c \$f -o /dev/null || exit 1; done; done && echo elapsed_ns=\$((\$(date +%s%N) - s))"

# the workloads, by name
workload() {
	case $1 in
	faults) echo "$WL/faultloop 64 64" ;;
	fresh) echo "$WL/faultloop 512 4 fresh" ;;
	forks) echo "$WL/forkloop 2000 1" ;;
	esac
}

run_plain() { # name
	if [ "$1" = build ]; then sh -c "$BUILD_CMD"; else $(workload "$1"); fi
}

run_traced() { # name [memtrace options]
	local name=$1
	shift
	if [ "$name" = build ]; then "$MT" -q "$@" -- sh -c "$BUILD_CMD"; else "$MT" -q "$@" -- $(workload "$name"); fi
}

overhead() { # name label rounds [memtrace options]
	local name=$1 label=$2 rounds=$3 i a b key
	shift 3
	key=$name$(printf '%s' "$*" | tr -c 'a-z0-9' '-') # results of each variant apart
	: > "$OUT/$key.plain"
	: > "$OUT/$key.traced"
	: > "$OUT/$key.ratio"
	run_plain "$name" > /dev/null # warm-up: first touch of memory, page cache
	for i in $(seq "$rounds"); do
		if [ $((i % 2)) -eq 0 ]; then
			a=$(run_plain "$name" | elapsed_of)
			b=$(run_traced "$name" "$@" | elapsed_of)
		else
			b=$(run_traced "$name" "$@" | elapsed_of)
			a=$(run_plain "$name" | elapsed_of)
		fi
		echo "$a" >> "$OUT/$key.plain"
		echo "$b" >> "$OUT/$key.traced"
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", b / a }' >> "$OUT/$key.ratio"
	done
	printf '| %s | %d | %.3f s | %.3f s | %.3f |\n' "$label" "$rounds" \
		"$(median < "$OUT/$key.plain" | awk '{ print $1 / 1e9 }')" \
		"$(median < "$OUT/$key.traced" | awk '{ print $1 / 1e9 }')" \
		"$(median < "$OUT/$key.ratio")"
}

# Poll VmRSS of PID every 100 ms until it exits; print the largest value seen (bytes).
poll_vmrss() {
	local pid=$1 max=0 kb
	while kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2> /dev/null) && [ -n "$kb" ]; do
		[ "$kb" -gt "$max" ] && max=$kb
		sleep 0.1
	done
	echo $((max * 1024))
}

accuracy() { # rounds
	local i hwm mt polled caught=0 polled_caught=0
	: > "$OUT/spike.csv"
	for i in $(seq "$1"); do
		# memtrace
		"$MT" -q --json "$OUT/spike.json" -- "$WL/spike" 64 20 8 300 > "$OUT/spike.out"
		hwm=$(sed -n 's/^vmhwm_bytes=//p' "$OUT/spike.out")
		mt=$(jq .peak_rss_bytes "$OUT/spike.json")
		# the poller, on its own run of the same workload
		"$WL/spike" 64 20 8 300 > "$OUT/spike-poll.out" &
		polled=$(poll_vmrss $!)
		wait
		echo "$hwm,$mt,$(sed -n 's/^vmhwm_bytes=//p' "$OUT/spike-poll.out"),$polled" >> "$OUT/spike.csv"
	done
	# error of each tracer's peak against the VmHWM of its own run, in %
	awk -F, '{ e = ($2 - $1) / $1 * 100; print (e < 0 ? -e : e) }' "$OUT/spike.csv" > "$OUT/spike.mt"
	awk -F, '{ e = ($4 - $3) / $3 * 100; print (e < 0 ? -e : e) }' "$OUT/spike.csv" > "$OUT/spike.poll"
	printf '| memtrace | %d/%d | %.2f%% |\n' "$(awk '$1 <= 1' "$OUT/spike.mt" | wc -l)" "$1" \
		"$(median < "$OUT/spike.mt")"
	printf '| VmRSS poller, 100 ms | %d/%d | %.1f%% |\n' "$(awk '$1 <= 1' "$OUT/spike.poll" | wc -l)" "$1" \
		"$(median < "$OUT/spike.poll")"
}

echo "memtrace benchmark: $(uname -r), $(nproc) CPUs, $ROUNDS interleaved pairs"
echo
echo "| workload | pairs | untraced (median) | memtrace -- (median) | ratio (median of pairs) |"
echo "|---|---|---|---|---|"
overhead fresh "page faults, first touch 4 x 512 MiB" "$ROUNDS"
overhead fresh "page faults, first touch, with --exact (classic rss_stat)" "$ROUNDS" --exact
overhead faults "page faults, re-faulting 64 MiB x 64" "$ROUNDS"
overhead faults "page faults, re-faulting, with --exact (classic rss_stat)" "$ROUNDS" --exact
overhead forks "fork + exit loop (2000 x 1 MiB)" "$ROUNDS"
overhead build "real build (gcc -O2, src/*.c x 3)" $(((ROUNDS + 2) / 3))
echo
echo "Spike of 64 MiB held 20 ms ($ROUNDS runs): reported peak within 1% of the kernel's VmHWM"
echo
echo "| tracer | runs within 1% | median error |"
echo "|---|---|---|"
accuracy "$ROUNDS"
