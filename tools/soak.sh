#!/bin/bash
# soak.sh - memtrace -a for SECONDS under process churn (fork/exec/exit and
# allocation), sampling memtrace's own RSS: it must stay flat (< 64 MiB),
# and at the end the kernel's process map must hold only the processes still
# running (no entry leaked), with nothing lost.
#
# usage: tools/soak.sh [SECONDS] [DIR]   (root; make soak runs 600 s)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_TOTAL=${1:-600}
DIR=${2:-$(mktemp -d)}
WL=${MEMTRACE_OUTPUT:-$ROOT/.output}/workloads
MT=${MEMTRACE:-$ROOT/memtrace}
# memtrace's own RSS bound; MEMTRACE_SOAK_RSS_LIMIT_MB=0 checks only the rest
# (an ASan build carries its shadow memory and quarantine)
LIMIT=$((${MEMTRACE_SOAK_RSS_LIMIT_MB:-64} * 1024 * 1024))

"$MT" -a -i 0 --json "$DIR/soak.json" > /dev/null 2> "$DIR/soak.err" &
mt=$!
until grep -q "every new one" "$DIR/soak.err" 2> /dev/null; do
	kill -0 "$mt" || { cat "$DIR/soak.err" >&2; exit 1; }
	sleep 0.1
done

# churn: fork/exit with allocation, and fork/exec of short commands
end=$((SECONDS + SECONDS_TOTAL))
(while [ $SECONDS -lt $end ]; do "$WL/forkloop" 200 2 > /dev/null; done) &
churn1=$!
(while [ $SECONDS -lt $end ]; do /bin/true; sh -c 'exit 0'; done) &
churn2=$!

max=0 first=0
while [ $SECONDS -lt $end ]; do
	rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$mt/status")
	[ "$first" -eq 0 ] && first=$rss
	[ "$rss" -gt "$max" ] && max=$rss
	sleep 1
done
wait "$churn1" "$churn2"
kill -INT "$mt"
wait "$mt" || true

running=$(jq '[.processes[] | select(.running_at_end)] | length' "$DIR/soak.json")
entries=$(jq .kernel_map_entries "$DIR/soak.json")
echo "soak: ${SECONDS_TOTAL}s, $(jq .process_count "$DIR/soak.json") processes traced," \
	"memtrace RSS $((first / 1048576)) MiB at start, $((max / 1048576)) MiB at most;" \
	"map entries at the end $entries for $running running; lost $(jq .lost_events "$DIR/soak.json")"
[ "$LIMIT" -eq 0 ] || [ "$max" -lt "$LIMIT" ] || { echo "soak: memtrace's RSS reached $max bytes" >&2; exit 1; }
[ "$entries" -eq "$running" ] || { echo "soak: $entries map entries for $running processes" >&2; exit 1; }
[ "$(jq .lost_events "$DIR/soak.json")" -eq 0 ] || { echo "soak: events lost" >&2; exit 1; }
