# top.sh - memtrace top -b: the live table, parsed.

# bytes from two fields "109.1 MiB"
to_bytes() {
	awk -v v="$1" -v u="$2" 'BEGIN { m = 1; if (u == "KiB") m = 1024; if (u == "MiB") m = 1048576;
		if (u == "GiB") m = 1073741824; printf "%.0f\n", v * m }'
}

# the stepper's rows in every table: rss_bytes peak_bytes window_peak_bytes
stepper_rows() {
	awk -v pid="$1" '$1 == pid && $2 == "stepper" { print $3, $4, $5, $6, $7, $8 }' "$2" |
		while read -r a au b bu c cu; do
			echo "$(to_bytes "$a" "$au") $(to_bytes "$b" "$bu") $(to_bytes "$c" "$cu")"
		done
}

# a spike between two screens shows in PEAK/INT though RSS at the screen is low
test_top_batch_shows_spike_between_screens() {
	require_bpf
	start_stepper
	step "grow 20"
	"$MEMTRACE" top -b -i 0.5 -n 8 > top.txt 2> err.txt &
	local mt=$!
	wait_for top.txt "memtrace top -"
	step "grow 100"
	step "free"
	step "grow 10"
	wait "$mt" || fail "memtrace top exited $?"
	grep -q "PEAK/INT" top.txt || fail "no table: $(head -n 5 top.txt)"
	[ "$(grep -c '^memtrace top -' top.txt)" -eq 8 ] || fail "not 8 tables"
	stepper_rows "$STEPPER_PID" top.txt > rows.txt
	[ -s rows.txt ] || fail "the stepper is not in the tables: $(head -n 20 top.txt)"
	# some screen: an interval peak of the whole spike, well above the RSS it shows
	# (the free may still be under way as the screen is read: 20 MiB below is enough)
	awk -v mib=1048576 '$3 >= 115 * mib && $3 - $1 >= 20 * mib { found = 1 } END { exit !found }' rows.txt ||
		fail "no interval peak above RSS: $(cat rows.txt)"
	# the peak since start covers the spike in the last table
	assert_ge "peak since start" "$(tail -n 1 rows.txt | cut -d' ' -f2)" $((115 * MIB))
	step "exit 0"
}

test_top_by_container_and_usage_errors() {
	require_bpf
	"$MEMTRACE" top -b -i 0.2 -n 2 --by cgroup > top.txt 2> err.txt
	grep -q "^CGROUP" top.txt || fail "no cgroup table: $(cat top.txt)"
	local status
	set +e
	"$MEMTRACE" top -b --sort nonsense > /dev/null 2> e.txt
	status=$?
	set -e
	assert_eq "bad sort key" "$status" 2
	grep -q "invalid value for --sort" e.txt || fail "message: $(cat e.txt)"
	set +e
	"$MEMTRACE" -b -- true > /dev/null 2> e.txt
	status=$?
	set -e
	assert_eq "-b without top" "$status" 2
}

# a closed pipe ends top (| head), and into a pipe it prints lines, not screens
test_top_stops_at_closed_pipe() {
	require_bpf
	local status
	set +e
	timeout 60 "$MEMTRACE" top -i 0.2 2> /dev/null | head -n 1 > first.txt
	status=${PIPESTATUS[0]}
	set -e
	[ "$status" -ne 124 ] || fail "top kept running after head exited"
	grep -q "^memtrace top -" first.txt || fail "first line: $(cat first.txt)"
	"$MEMTRACE" top -i 0.2 -n 2 > piped.txt 2> /dev/null
	LC_ALL=C grep -q $'\e' piped.txt && fail "terminal codes written into a pipe"
	assert_eq "tables" "$(grep -c '^memtrace top -' piped.txt)" 2
}
