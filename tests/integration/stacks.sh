# stacks.sh - which code made memory grow: sampled fault stacks, DWARF and
# frame-pointer unwinding, symbolization, at-peak attribution, and the
# folded, pprof, JSON and text outputs. Workloads grow memory in functions
# known by name (tests/workloads/sites.c).

# The rate the share tests sample at: 16 KiB gives ~14,000 samples for 220
# MiB (the small site's ~1,300 samples: 2.8% standard error), and a ring
# buffer that holds them all (12 KiB each) even if memtrace falls behind,
# as a sanitized build does.
SAMPLING="--sample-bytes 16K --ringbuf-size 256M"

# bytes of the folded lines whose stack contains FUNCTION (a whole frame)
folded_bytes() {
	awk -v fn="$1" '{ stack = $0; sub(/ [0-9]+$/, "", stack); k = split(stack, frames, ";")
		for (i = 1; i <= k; i++) if (frames[i] == fn) { s += $NF; break } } END { print s + 0 }' "$2"
}

folded_total() {
	awk '{ s += $NF } END { print s + 0 }' "$1"
}

# bytes of the JSON sites (KEY: growth_sites or peak_sites) whose stack has FUNCTION
json_site_bytes() {
	jqf "[.$1[] | select(.stack | index(\"$2\")) | .bytes] | add // 0" "$3"
}

# share of `part` in `whole` within 10% of the expected share num/den
assert_share() {
	local name=$1 part=$2 whole=$3 num=$4 den=$5
	[ "$whole" -gt 0 ] || fail "$name: nothing sampled"
	assert_within "$name" "$(awk -v p="$part" -v w="$whole" 'BEGIN { printf "%.6f", p / w }')" \
		"$(awk -v n="$num" -v d="$den" 'BEGIN { printf "%.6f", n / d }')" 10
}

# 200 MiB through grow_big_buffer(), 20 MiB through grow_small_pieces()
# (1 KiB mallocs: the faults are inside Debian's libc, which has no frame
# pointers): both named, each within 10% of its share, in the folded stacks
# and the JSON (the kernel matrix runs these; the pprof test below needs
# protoc and python).
check_split_sites() {
	local build=$1
	"$MEMTRACE" -q $SAMPLING --folded f.txt --json r.json -- "$WL/$build" split > wl.out
	assert_eq "$build: samples lost" "$(jqf .stacks.samples_lost r.json)" 0
	assert_eq "$build: lost events" "$(jqf .lost_events r.json)" 0

	local total big small
	total=$(folded_total f.txt)
	big=$(folded_bytes grow_big_buffer f.txt)
	small=$(folded_bytes grow_small_pieces f.txt)
	assert_within "$build: folded total vs VmHWM" "$total" "$(kv vmhwm_bytes wl.out)" 10
	assert_share "$build: folded grow_big_buffer share" "$big" "$total" 200 220
	assert_share "$build: folded grow_small_pieces share" "$small" "$total" 20 220

	total=$(jqf '[.growth_sites[].bytes] | add' r.json)
	assert_share "$build: JSON grow_big_buffer share" "$(json_site_bytes growth_sites grow_big_buffer r.json)" "$total" 200 220
	assert_share "$build: JSON grow_small_pieces share" "$(json_site_bytes growth_sites grow_small_pieces r.json)" "$total" 20 220
	# innermost frame first: the stacks start inside libc
	jqf '.growth_sites[0].stack[0]' r.json | grep -q memset || fail "$build: innermost frame is not memset"
}

test_growth_sites_without_frame_pointers() {
	require_bpf
	check_split_sites sites
}

test_growth_sites_with_frame_pointers() {
	require_bpf
	check_split_sites sites-fp
}

# share of `part` in `whole` within `points` percentage points of num/den
assert_points() {
	local name=$1 part=$2 whole=$3 num=$4 den=$5 points=$6
	[ "$whole" -gt 0 ] || fail "$name: nothing sampled"
	awk -v p="$part" -v w="$whole" -v n="$num" -v d="$den" -v pts="$points" \
		'BEGIN { x = 100 * p / w - 100 * n / d; if (x < 0) x = -x; exit !(x <= pts) }' ||
		fail "$name: $(awk -v p="$part" -v w="$whole" 'BEGIN { printf "%.1f%%", 100 * p / w }') is not within $points points of $(awk -v n="$num" -v d="$den" 'BEGIN { printf "%.1f%%", 100 * n / d }')"
	echo "ok: $name: $(awk -v p="$part" -v w="$whole" 'BEGIN { printf "%.1f%%", 100 * p / w }') of $(awk -v n="$num" -v d="$den" 'BEGIN { printf "%.1f%%", 100 * n / d }') expected"
}

# Growth by four paths in four functions (no frame pointers): 192 MiB of THP
# faults (2 MiB each), 64 MiB read() into fresh memory (the kernel faults),
# 64 MiB MAP_POPULATE (no fault at all), 64 MiB touched page by page. The
# samples weigh bytes where the counters grow: each function's share is its
# share of the growth, overall and at the peak, and the samples stand for
# what the counters saw grow.
test_growth_paths_weighted_by_bytes() {
	require_bpf
	"$MEMTRACE" -q --json r.json -- "$WL/paths" "$TMP/paths.data" > wl.out
	assert_ge "THP really used" "$(kv anon_huge_bytes wl.out)" $((150 * MIB))
	assert_within "sampled bytes vs the exact growth" "$(jqf .stacks.sampled_bytes r.json)" \
		"$(jqf .stacks.grown_bytes r.json)" 10
	local key total fn want
	for key in growth_sites peak_sites; do
		total=$(jqf "[.$key[].bytes] | add" r.json)
		for fn in grow_huge:192 grow_by_read:64 grow_populated:64 grow_touched:64; do
			want=${fn#*:}
			fn=${fn%:*}
			assert_points "$key: $fn" "$(json_site_bytes "$key" "$fn" r.json)" "$total" "$want" 384 5
		done
	done
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
}

# The text report names the code that called malloc, not malloc or memset
test_sites_name_the_caller() {
	require_bpf
	"$MEMTRACE" -i 0 -- "$WL/sites" split > report.txt
	sed -n '/^top growth sites overall/,/^$/p' report.txt | sed -n '3,4p' | awk '{ print $1 }' > top2.txt
	grep -qx grow_big_buffer top2.txt || fail "grow_big_buffer is not a top site: $(cat report.txt)"
	grep -qx new_piece top2.txt || fail "new_piece (grow_small_pieces' inline helper) is not a top site: $(cat report.txt)"
	! grep -qiE 'malloc|memset' top2.txt || fail "an allocator is named as a site: $(cat top2.txt)"
}

# the pprof profile holds the same samples as the folded stacks, both sites named
test_pprof_matches_folded() {
	require_bpf
	"$MEMTRACE" -q $SAMPLING --folded f.txt --pprof p.pb.gz -- "$WL/sites" split > wl.out
	local total
	total=$(folded_total f.txt)
	pprof_sums p.pb.gz alloc_space grow_big_buffer grow_small_pieces > pprof.out
	assert_eq "pprof total = folded total" "$(kv total pprof.out)" "$total"
	assert_share "pprof grow_big_buffer share" "$(kv grow_big_buffer pprof.out)" "$total" 200 220
	assert_share "pprof grow_small_pieces share" "$(kv grow_small_pieces pprof.out)" "$total" 20 220
}

# Frame pointers alone: the frame-pointer build's own frames are there, but a
# fault inside libc's frameless memset skips its caller (why auto exists).
test_unwind_fp_only() {
	require_bpf
	"$MEMTRACE" -q --unwind fp $SAMPLING --json r.json --folded f.txt -- "$WL/sites-fp" split > wl.out
	assert_eq "unwinder" "$(jqf .stacks.unwind r.json)" fp
	assert_eq "no DWARF stacks" "$(jqf .stacks.dwarf_stacks r.json)" 0
	assert_ge "main found by frame pointers" "$(folded_bytes main f.txt)" $((150 * MIB))
	assert_ge "grow_small_pieces (its own frame)" "$(folded_bytes grow_small_pieces f.txt)" 1
}

# DWARF alone gives the whole stack through libc, without frame pointers
test_unwind_dwarf_only() {
	require_bpf
	"$MEMTRACE" -q --unwind dwarf $SAMPLING --json r.json --folded f.txt -- "$WL/sites" split > wl.out
	assert_eq "no frame-pointer stacks" "$(jqf .stacks.fp_stacks r.json)" 0
	assert_share "grow_big_buffer share" "$(folded_bytes grow_big_buffer f.txt)" "$(folded_total f.txt)" 200 220
}

# 300 MiB grown and freed in phase A, then a 200 MiB peak in phase B: at the
# peak only phase B holds memory; over the run both grew. (Phase A's memset
# may be the first to touch a page of libc's data, which stays: a sample or
# two of phase A at the peak is right, so "none" means under 1%.)
test_at_peak_sites_are_the_peak_phase() {
	require_bpf
	# 500 MiB grown: 32 KiB samples keep the ring buffer's worst case under 256 MiB
	"$MEMTRACE" --sample-bytes 32K --ringbuf-size 256M --json r.json --folded f.txt \
		--folded-peak fp.txt -- "$WL/sites" phases > out.txt
	local a b peak
	a=$(folded_bytes phase_a_churn f.txt)
	b=$(folded_bytes phase_b_hold f.txt)
	assert_share "overall: phase A" "$a" "$(folded_total f.txt)" 300 500
	assert_share "overall: phase B" "$b" "$(folded_total f.txt)" 200 500
	peak=$(folded_bytes phase_b_hold fp.txt)
	assert_ge "at peak: (almost) no phase A" $((peak / 100)) "$(folded_bytes phase_a_churn fp.txt)"
	assert_within "at peak: phase B holds its 200 MiB" "$peak" $((200 * MIB)) 10
	assert_ge "JSON at peak: (almost) no phase A" $((peak / 100)) "$(json_site_bytes peak_sites phase_a_churn r.json)"
	assert_within "JSON at peak: phase B" "$(json_site_bytes peak_sites phase_b_hold r.json)" $((200 * MIB)) 10
	assert_ge "JSON overall: phase A" "$(json_site_bytes growth_sites phase_a_churn r.json)" $((250 * MIB))
	# the snapshot is at the last sample before the peak memtrace reports
	assert_within "snapshot at the reported peak" "$(jqf .stacks.peak_rss_bytes r.json)" "$(jqf .peak_rss_bytes r.json)" 1
	# the text report's two tables, each led by its phase
	grep -A2 '^top growth sites at peak' out.txt | tail -n 1 | grep -q '^phase_b_hold .*sites.c:' ||
		fail "text: at-peak table not led by phase_b_hold: $(grep -A3 'at peak' out.txt)"
	grep -A2 '^top growth sites overall' out.txt | tail -n 1 | grep -q '^phase_a_churn ' ||
		fail "text: overall table not led by phase_a_churn"
}

# an always-inlined function is a frame of its own, from the DWARF inline info
test_inlined_frames() {
	require_bpf
	"$MEMTRACE" -q $SAMPLING --folded f.txt -- "$WL/sites" split > wl.out
	grep -q ';grow_small_pieces;new_piece;' f.txt || fail "no inlined new_piece frame: $(grep small f.txt | head -n 2)"
}

# a child that exits long before the report: its frames are still named
test_exited_process_symbolized() {
	require_bpf
	"$MEMTRACE" -q --json r.json -- "$WL/sites" child 64 > wl.out
	assert_ge "child_grows" "$(json_site_bytes growth_sites child_grows r.json)" $((48 * MIB))
	# an unknown frame: say which stack (the child's samples are unwound
	# with the maps its parent's first samples read, before libc was mapped)
	[ "$(jqf .stacks.unknown_frames r.json)" -eq 0 ] ||
		fail "$(jqf .stacks.unknown_frames r.json) unknown frames: $(jq -c '[.growth_sites[] |
			select(.stack | map(test("unknown")) | any) | {bytes, comm, stack}] | .[:3]' r.json)"
}

# separate debuginfo found by build id: a stripped binary still gets file:line
test_separate_debuginfo_by_build_id() {
	require_bpf
	local id dir
	cp "$WL/sites" sites
	id=$(readelf -n sites | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
	[ -n "$id" ] || fail "workload has no build id"
	dir=/usr/lib/debug/.build-id/${id:0:2}
	mkdir -p "$dir"
	objcopy --only-keep-debug sites "$dir/${id:2}.debug"
	trap "rm -f '$dir/${id:2}.debug'" EXIT
	strip --strip-all sites
	readelf -S sites | grep -q '\.debug_info' && fail "strip left debuginfo"
	"$MEMTRACE" -q $SAMPLING --json r.json -- ./sites split > wl.out
	assert_share "grow_big_buffer share" "$(json_site_bytes growth_sites grow_big_buffer r.json)" \
		"$(jqf '[.growth_sites[].bytes] | add' r.json)" 200 220
	"$MEMTRACE" $SAMPLING -- ./sites split > out.txt
	grep -q '^grow_big_buffer  *sites\.c:[0-9]' out.txt || fail "no file:line from the debuginfo: $(grep -A4 'sites overall' out.txt)"
}

# JIT code: Node's /tmp/perf-PID.map names the JavaScript functions. The
# arrays hold 200 x 64K elements x 8 bytes = 100 MiB: at least half of it must
# be found under the function, also for frames whose map line came late.
test_node_perf_map_names_js_functions() {
	require_bpf
	command -v node > /dev/null || fail "node is not installed (tools/install-deps.sh test)"
	cat > grow.js <<'JS'
function growJsArrays(n) {
  const keep = [];
  for (let i = 0; i < n; i++) {
    const a = new Array(64 * 1024);
    for (let j = 0; j < a.length; j++) a[j] = j + i;
    keep.push(a);
  }
  return keep;
}
console.log("arrays=" + growJsArrays(200).length);
JS
	"$MEMTRACE" -q --sample-bytes 64K --json r.json -- node --perf-basic-prof grow.js > wl.out
	rm -f "/tmp/perf-$(jqf '.pids[0]' r.json).map"
	assert_eq "script ran" "$(kv arrays wl.out)" 200
	assert_ge "growth under the JS function" "$(jqf '[.growth_sites[] | select(any(.stack[]; test("growJsArrays"))) | .bytes] | add // 0' r.json)" $((50 * MIB))
}

# every mapping of at least --big-bytes is recorded with its stack, unsampled
test_big_mappings_recorded() {
	require_bpf
	"$MEMTRACE" -q --big-bytes 100M --json r.json -- "$WL/sites" split > wl.out
	assert_eq "one big mapping" "$(jqf '.big_mappings | length' r.json)" 1
	assert_ge "its size" "$(jqf '.big_mappings[0].bytes' r.json)" $((200 * MIB))
	jqf '.big_mappings[0].stack | index("grow_big_buffer")' r.json > /dev/null
}

test_no_stacks() {
	require_bpf
	"$MEMTRACE" -q --no-stacks --json r.json -- "$WL/grow" 16 > wl.out
	assert_eq "no stacks object" "$(jq 'has("stacks")' r.json)" false
	assert_eq "no sites" "$(jq 'has("growth_sites")' r.json)" false
}

test_stack_option_errors() {
	local out code
	for args in "--unwind frames" "--sample-bytes 0" "--big-bytes 12" "--no-stacks --folded x.txt" \
		"--folded - --json -"; do
		code=0
		# shellcheck disable=SC2086
		out=$("$MEMTRACE" $args -- true 2>&1) || code=$?
		assert_eq "'$args' exit" "$code" 2
		[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "'$args': not one line: $out"
	done
	[ ! -e x.txt ] || fail "x.txt written after a usage error"
}

# samples the ring buffer had no room for are counted, with the growth they
# stood for: received + lost samples account for every faulted byte
test_lost_samples_counted() {
	require_bpf
	"$MEMTRACE" --sample-bytes 16K --ringbuf-size 64K --json r.json -- "$WL/sites" split > out.txt
	assert_ge "samples lost" "$(jqf .stacks.samples_lost r.json)" 1
	# every sample stands for a multiple of --sample-bytes: what was received and
	# what was lost add up to the growth
	assert_within "received + lost sampled bytes = grown bytes" \
		"$(jqf '.stacks.sampled_bytes + .stacks.sampled_bytes_lost' r.json)" "$(kv vmhwm_bytes out.txt)" 10
	assert_ge "lost bytes" "$(jqf '.stacks.sampled_bytes_lost' r.json)" "$(jqf '.stacks.samples_lost * 16384' r.json)"
	assert_ge "lost_events includes them" "$(jqf .lost_events r.json)" "$(jqf .stacks.samples_lost r.json)"
	grep -q "samples; *[0-9]* lost\|[0-9]* lost (" out.txt || fail "the text report hides lost samples: $(grep stacks out.txt)"
}

# the defaults keep up with 8 threads growing at once (512 MiB in a burst)
test_default_ring_buffer_loses_no_samples() {
	require_bpf
	"$MEMTRACE" -q --json r.json -- "$WL/threads" 8 64 > wl.out
	assert_ge "samples" "$(jqf .stacks.samples r.json)" 500
	assert_eq "samples lost" "$(jqf .stacks.samples_lost r.json)" 0
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
}
