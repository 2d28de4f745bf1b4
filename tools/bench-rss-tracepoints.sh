#!/bin/bash
# bench-rss-tracepoints.sh - why memtrace attaches to rss_stat as a BTF/raw
# tracepoint and not as the classic trace event: the cost of each on the
# fault loop, measured with bpftrace doing the same work (a count per
# thread) on both, as interleaved runs against the untraced loop.
#
# The classic event (tracepoint:kmem:rss_stat) computes its `size` field with
# percpu_counter_sum_positive(): a spinlock and a walk over all CPUs per
# counter change, host-wide. The raw tracepoint passes (mm, member) only.
#
# usage: tools/bench-rss-tracepoints.sh [ROUNDS]   (root; installs bpftrace)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WL=$ROOT/.output/workloads
ROUNDS=${1:-9}

[ "$(id -u)" -eq 0 ] || { echo "bench-rss-tracepoints.sh: run as root" >&2; exit 1; }
command -v bpftrace > /dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >&2
# classic tracepoints attach through tracefs
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
loop() { "$WL/faultloop" 64 64 | sed -n 's/^elapsed_ns=//p'; }

# run the loop with a bpftrace program attached; print its elapsed ns
traced() {
	local log
	log=$(mktemp)
	bpftrace -e "$1 { @n[tid] = count(); } END { clear(@n); }" > "$log" 2>&1 &
	local bt=$!
	until grep -q Attaching "$log"; do
		kill -0 $bt 2> /dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	sleep 0.5 # "Attaching" is printed just before the attach completes
	loop
	kill -INT $bt
	wait $bt || true
	rm -f "$log"
}

declare -A ratio
for variant in "tracepoint:kmem:rss_stat" "rawtracepoint:rss_stat"; do
	: > /tmp/ratios.$$
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) -eq 0 ]; then a=$(loop); b=$(traced "$variant"); else b=$(traced "$variant"); a=$(loop); fi
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", b / a }' >> /tmp/ratios.$$
	done
	ratio[$variant]=$(median < /tmp/ratios.$$)
done
rm -f /tmp/ratios.$$
echo "| rss_stat attached as (bpftrace, count per thread) | fault loop ratio to untraced ($ROUNDS pairs, median) |"
echo "|---|---|"
for variant in "tracepoint:kmem:rss_stat" "rawtracepoint:rss_stat"; do
	echo "| \`$variant\` | ${ratio[$variant]} |"
done
