# system.sh - memtrace -a: every process on the host.

# a process that lives 20 ms and touches 64 MiB is reported with its peak
test_all_catches_short_lived_process() {
	require_bpf
	"$MEMTRACE" -a -i 0 --json r.json > report.txt 2> err.txt &
	local mt=$! status child
	wait_for err.txt "and every new one"
	"$WL/shortlived" 64 20 > wl.out
	kill -INT "$mt"
	set +e
	wait "$mt"
	status=$?
	set -e
	assert_eq "exit after SIGINT" "$status" 130
	child=$(kv child_pid wl.out)
	assert_within "20 ms child's peak vs its maxrss" \
		"$(jqf ".processes[] | select(.pid == $child) | .peak_rss_bytes" r.json)" \
		"$(kv child_maxrss_bytes wl.out)" 1
	assert_eq "child exit" "$(jqf ".processes[] | select(.pid == $child) | .exit_code" r.json)" 0
	assert_eq "mode" "$(jqf .mode r.json)" all
	assert_ge "processes running before are traced too" \
		"$(jqf '[.processes[] | select(.attached)] | length' r.json)" 2
	assert_eq "memtrace does not trace itself" "$(jqf "[.processes[] | select(.pid == $mt)] | length" r.json)" 0
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
	grep -q "all processes" report.txt || fail "text header: $(head -n 1 report.txt)"
}

# a process running before -a started, and met only at its first fault after
test_all_finds_running_process_growing() {
	require_bpf
	start_stepper
	"$MEMTRACE" -a -i 0 --json r.json > /dev/null 2> err.txt &
	local mt=$!
	wait_for err.txt "and every new one"
	step "grow 80"
	step "status"
	kill -INT "$mt"
	wait "$mt" || true
	assert_within "peak vs VmHWM" \
		"$(jqf ".processes[] | select(.pid == $STEPPER_PID) | .peak_rss_bytes" r.json)" \
		"$(kv vmhwm_bytes "$STEPPER_OUT")" 1
	step "exit 0"
}

# memtrace's own memory stays bounded: only the --keep largest exited processes are listed
test_keep_bounds_the_list() {
	require_bpf
	"$MEMTRACE" -q --keep 5 --json r.json -- "$WL/forkloop" 60 1 > /dev/null
	assert_eq "traced" "$(jqf .process_count r.json)" 61
	assert_eq "listed" "$(jqf '.processes | length' r.json)" 5
	assert_eq "counted, not listed" "$(jqf .unlisted_processes r.json)" 56
	assert_eq "the listed have the largest peaks" \
		"$(jqf '[.processes[].peak_rss_bytes] | min >= 1048576' r.json)" true
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
}

# a short soak: -a under fork/exec churn; memtrace's RSS stays under 64 MiB,
# the kernel's map holds only the processes still running, nothing is lost
# (make soak runs the same for 10 minutes)
test_soak_short() {
	require_bpf
	local limit=64
	# an ASan build's RSS is its shadow memory and quarantine: check the map and losses only
	case $OUT in *-sanitize) limit=0 ;; esac
	MEMTRACE="$MEMTRACE" MEMTRACE_SOAK_RSS_LIMIT_MB=$limit "$ROOT/tools/soak.sh" \
		"${SOAK_TEST_SECONDS:-15}" "$TMP"
}
