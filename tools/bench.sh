#!/bin/bash
# bench.sh - memtrace's benchmark: what tracing costs and what sampling misses.
#
# Overhead: each workload runs untraced and under `memtrace -- ...` (growth
# stacks sampled at the default rate) or `memtrace --no-stacks -- ...`, as
# interleaved pairs (the order inside each pair alternates), ROUNDS pairs; the
# table gives the medians and the median of the per-pair ratios. Workloads
# time themselves (elapsed_ns), so memtrace's own start-up (loading BPF) is
# not counted against the workload; the build is timed by a shell around it.
#
# Compared with: memtrace -a (system-wide), --exact, the usual way to see
# allocations (a bpftrace uprobe on libc's malloc) and the usual way to see
# RSS (a poller reading /proc/PID/status every 100 ms).
#
# Stacks: for each workload, the last `memtrace --` run's samples, samples
# per second of the run, and memtrace's own CPU time and RSS (its JSON).
#
# Accuracy: the spike workload under memtrace and under a poller that reads
# /proc/PID/status VmRSS every 100 ms (the usual sampling approach), against
# the kernel's VmHWM.
#
# Python: a seed-style pipeline (tests/workloads/python/pipeline.py: build
# rows, serialize, sort) untraced, under `memtrace -- python3` (Python frames
# named) and under `python3 -X tracemalloc=25` (the in-process way).
#
# usage: tools/bench.sh [ROUNDS] [stacks|python]   (run as root; `make bench` builds first)
#   stacks: only what growth stacks cost against --no-stacks on the fault
#   loops, and the samples they took (a machine whose faults are slow makes
#   the whole run hours long)
#   python: only the Python pipeline
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MT=$ROOT/memtrace
WL=$ROOT/.output/workloads
ROUNDS=${1:-${ROUNDS:-9}}
PART=${2:-all}
OUT=$ROOT/bench-results
mkdir -p "$OUT"

[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
LIBC=$(ldd "$WL/mallocloop" | awk '/libc.so/ { print $3 }')
PYTHON=/usr/bin/python3.11 # Debian 12's (stripped, libpython linked in)

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

elapsed_of() { sed -n 's/^elapsed_ns=//p' | tail -n 1; }

# The real build: compile a snapshot of memtrace's userspace sources (taken
# now, so that editing the tree meanwhile changes nothing), timed from inside
# the traced command.
SNAPSHOT=$OUT/build-src
rm -rf "$SNAPSHOT" && mkdir -p "$SNAPSHOT"
cp -r "$ROOT/src" "$ROOT/bpf" "$ROOT"/.output/*.skel.h "$ROOT/.output/src/profile.pb-c.h" "$SNAPSHOT/"
BUILD_CMD="cd $SNAPSHOT && s=\$(date +%s%N) && for i in 1 2 3; do for f in src/*.c; do gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. -Ibpf -Isrc -c \$f -o /dev/null || exit 1; done; done && echo elapsed_ns=\$((\$(date +%s%N) - s))"

# the workloads, by name
workload() {
	case $1 in
	faults) echo "$WL/faultloop 64 64" ;;
	fresh) echo "$WL/faultloop 512 4 fresh" ;;
	huge) echo "$WL/faultloop 512 4 huge" ;;
	forks) echo "$WL/forkloop 2000 1" ;;
	malloc) echo "$WL/mallocloop 5000000" ;;
	python) echo "$PYTHON $ROOT/tests/workloads/python/pipeline.py 300000" ;;
	esac
}

run_plain() { # name
	if [ "$1" = build ]; then sh -c "$BUILD_CMD"; else $(workload "$1"); fi
}

# A system-wide tracer in the background while the workload runs: memtrace -a,
# or the usual uprobe-on-malloc tracer (bpftrace), each attached before it starts.
with_background_tracer() { # tracer name
	local log=$OUT/tracer.log pid
	case $1 in
	all) "$MT" -a -i 0 -q > /dev/null 2> "$log" & ;;
	malloc-uprobe) bpftrace -e "uprobe:$LIBC:malloc { @[pid] = count(); } END { clear(@); }" > "$log" 2>&1 & ;;
	esac
	pid=$!
	# memtrace -a is quiet: give it the time its attach takes; bpftrace says when it attached
	case $1 in
	all) sleep 1 ;;
	*) until grep -q Attaching "$log"; do sleep 0.1; done; sleep 0.5 ;;
	esac
	run_plain "$2"
	kill -INT "$pid"
	wait "$pid" 2> /dev/null || true
}

# The workload with the 100 ms VmRSS poller on it (the poller's output is discarded).
with_poller() { # name
	local out=$OUT/poller.out pid
	if [ "$1" = build ]; then sh -c "$BUILD_CMD" > "$out" & else $(workload "$1") > "$out" & fi
	pid=$!
	poll_vmrss "$pid" > /dev/null
	wait "$pid"
	cat "$out"
}

run_traced() { # tracer name
	case $1 in
	all | malloc-uprobe) with_background_tracer "$1" "$2" ;;
	poller) with_poller "$2" ;;
	tracemalloc) $PYTHON -X tracemalloc=25 $(workload "$2" | cut -d' ' -f2-) ;;
	*)
		local opts=(--json "$OUT/$2-$1.json")
		case $1 in
		exact) opts+=(--no-stacks --exact) ;;
		nostacks) opts+=(--no-stacks) ;;
		esac
		if [ "$2" = build ]; then "$MT" -q "${opts[@]}" -- sh -c "$BUILD_CMD"
		else "$MT" -q "${opts[@]}" -- $(workload "$2"); fi
		;;
	esac
}

# The workload untraced, or under the baseline tracer (stacks against --no-stacks).
run_baseline() { # baseline name
	if [ "$1" = untraced ]; then run_plain "$2"; else run_traced "$1" "$2"; fi
}

overhead() { # tracer name label rounds [baseline]
	local tracer=$1 name=$2 label=$3 rounds=$4 base=${5:-untraced} i a b key=$2-$1-${5:-untraced}
	: > "$OUT/$key.plain"
	: > "$OUT/$key.traced"
	: > "$OUT/$key.ratio"
	run_plain "$name" > /dev/null # warm-up: first touch of memory, page cache
	for i in $(seq "$rounds"); do
		if [ $((i % 2)) -eq 0 ]; then
			a=$(run_baseline "$base" "$name" | elapsed_of)
			b=$(run_traced "$tracer" "$name" | elapsed_of)
		else
			b=$(run_traced "$tracer" "$name" | elapsed_of)
			a=$(run_baseline "$base" "$name" | elapsed_of)
		fi
		echo "$a" >> "$OUT/$key.plain"
		echo "$b" >> "$OUT/$key.traced"
		awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", b / a }' >> "$OUT/$key.ratio"
	done
	printf '| %s | %s | %d | %.3f s | %.3f s | %.3f |\n' "$label" "$(tracer_label "$tracer" "$base")" \
		"$rounds" "$(median < "$OUT/$key.plain" | awk '{ print $1 / 1e9 }')" \
		"$(median < "$OUT/$key.traced" | awk '{ print $1 / 1e9 }')" \
		"$(median < "$OUT/$key.ratio")"
}

tracer_label() { # tracer [baseline]
	case $1-${2:-untraced} in
	command-nostacks) echo "stacks, against --no-stacks" ;;
	command-*) echo "memtrace -- CMD (stacks)" ;;
	nostacks-*) echo "memtrace --no-stacks -- CMD" ;;
	exact-*) echo "memtrace --no-stacks --exact -- CMD" ;;
	poller-*) echo "VmRSS poller, 100 ms" ;;
	all-*) echo "memtrace -a" ;;
	malloc-uprobe-*) echo "bpftrace uprobe on malloc" ;;
	tracemalloc-*) echo "python3 -X tracemalloc=25" ;;
	esac
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
FRESH="page faults, first touch 4 x 512 MiB"
REFAULT="page faults, re-faulting 64 MiB x 64"
FORKS="fork + exit loop (2000 x 1 MiB)"
MALLOC="malloc + free loop (5M, small blocks)"
BUILD="real build (gcc -O2, src/*.c x 3)"
HUGE="THP faults, 4 x 512 MiB in 2 MiB pages"
BUILD_ROUNDS=$(((ROUNDS + 2) / 3))
SAMPLED="fresh faults huge"
PIPELINE="Python pipeline ($PYTHON, 300,000 rows)"
if [ "$PART" = python ]; then
	echo
	echo "| workload | traced by | pairs | untraced (median) | traced (median) | ratio (median of pairs) |"
	echo "|---|---|---|---|---|---|"
	for tracer in command nostacks tracemalloc; do overhead $tracer python "$PIPELINE" "$ROUNDS"; done
	overhead command python "$PIPELINE" "$ROUNDS" nostacks
	echo
	jq -r '"memtrace: \(.stacks.samples) samples, \(.stacks.frames) frames, \(.stacks.unknown_frames) unknown"' \
		"$OUT/python-command.json"
	exit 0
fi
if [ "$PART" = all ]; then
	SAMPLED="fresh faults huge forks malloc build"
	echo
	echo "| workload | traced by | pairs | untraced (median) | traced (median) | ratio (median of pairs) |"
	echo "|---|---|---|---|---|---|"
	for tracer in command nostacks all exact poller; do overhead $tracer fresh "$FRESH" "$ROUNDS"; done
	for tracer in command nostacks exact; do overhead $tracer faults "$REFAULT" "$ROUNDS"; done
	for tracer in command nostacks; do overhead $tracer huge "$HUGE" "$ROUNDS"; done
	for tracer in command nostacks all poller; do overhead $tracer forks "$FORKS" "$ROUNDS"; done
	for tracer in command nostacks malloc-uprobe; do overhead $tracer malloc "$MALLOC" "$ROUNDS"; done
	for tracer in command nostacks all poller; do overhead $tracer build "$BUILD" "$BUILD_ROUNDS"; done
	for tracer in command tracemalloc; do overhead $tracer python "$PIPELINE" "$ROUNDS"; done
fi
echo
echo "What the growth stacks cost on their own: the same workloads under memtrace with stacks"
echo "(default rate) against memtrace --no-stacks, interleaved:"
echo
echo "| workload | traced by | pairs | --no-stacks (median) | stacks (median) | ratio (median of pairs) |"
echo "|---|---|---|---|---|---|"
overhead command fresh "$FRESH" "$ROUNDS" nostacks
overhead command faults "$REFAULT" "$ROUNDS" nostacks
overhead command huge "$HUGE" "$ROUNDS" nostacks
if [ "$PART" = all ]; then
	overhead command forks "$FORKS" "$ROUNDS" nostacks
	overhead command build "$BUILD" "$BUILD_ROUNDS" nostacks
fi
echo
echo "Growth stacks at the default rate (the last memtrace -- run of each workload; memtrace's own"
echo "CPU and RSS include loading the BPF programs, ~0.1 s):"
echo
echo "| workload | samples | samples/s | sampled of grown | memtrace CPU (user + sys) | CPU per sample | memtrace RSS |"
echo "|---|---|---|---|---|---|---|"
for name in $SAMPLED; do
	jq -r --arg name "$name" '"| \($name) | \(.stacks.samples) | \(.stacks.samples / .duration_s | floor) | \(.stacks.sampled_bytes / 1048576 | floor) of \(.stacks.grown_bytes / 1048576 | floor) MiB | \(.memtrace.cpu_user_s + .memtrace.cpu_sys_s | . * 1000 | round / 1000) s | \(if .stacks.samples > 0 then (.memtrace.cpu_user_s + .memtrace.cpu_sys_s) / .stacks.samples * 1e6 | round | tostring + " us" else "-" end) | \(.memtrace.max_rss_bytes / 1048576 | floor) MiB |"' \
		"$OUT/$name-command.json"
done
echo
[ "$PART" = all ] || exit 0
echo "Spike of 64 MiB held 20 ms ($ROUNDS runs): reported peak within 1% of the kernel's VmHWM"
echo
echo "| tracer | runs within 1% | median error |"
echo "|---|---|---|"
accuracy "$ROUNDS"
