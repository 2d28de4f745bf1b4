# errors.sh - every error: one clear line on stderr, the documented exit
# status, and no output file left behind.

run_expect() { # want-status stderr-pattern memtrace-args...
	local want=$1 pattern=$2 status
	shift 2
	set +e
	"$MEMTRACE" "$@" > out.txt 2> err.txt
	status=$?
	set -e
	assert_eq "exit status of memtrace $*" "$status" "$want"
	grep -q -- "$pattern" err.txt || fail "stderr lacks '$pattern': $(cat err.txt)"
	[ "$(grep -c . err.txt)" -eq 1 ] || fail "more than one line on stderr: $(cat err.txt)"
}

test_usage_errors() {
	run_expect 2 "unknown option '--bogus'" --bogus -- true
	run_expect 2 "invalid value for -i" -i abc -- true
	run_expect 2 "invalid value for -p" -p 12x
	run_expect 2 "invalid value for -p" -p 0
	run_expect 2 "invalid value for -d" -p 1 -d -3
	run_expect 2 "invalid value for --resolution" --resolution 0 -- true
	run_expect 2 "nothing to trace"
	run_expect 2 "give one of -p PID, -a or a command" -p 1 -- true
	run_expect 2 "give one of -p PID, -a or a command" -a -- true
	run_expect 2 "needs a value" --json
	run_expect 2 "--children goes with -p" --children -- true
}

test_not_root() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$MEMTRACE" -- true > out.txt 2> err.txt && fail "ran as nobody"
	grep -q "CAP_BPF" err.txt || fail "no privilege message: $(cat err.txt)"
	[ "$(grep -c . err.txt)" -eq 1 ] || fail "more than one line: $(cat err.txt)"
}

test_no_such_pid() {
	require_bpf
	run_expect 1 "cannot attach to PID 999999999: no such process" -p 999999999
	run_expect 1 "kernel thread" -p 2
}

test_command_not_runnable() {
	require_bpf
	run_expect 127 "cannot run 'no-such-command-xyz'" -q --json r.json -- no-such-command-xyz
	[ ! -e r.json ] || fail "a report was written for a command that never ran"
	printf 'data' > notexec
	run_expect 126 "Permission denied" -q -- ./notexec
}

test_unwritable_output() {
	require_bpf
	run_expect 1 "cannot write /nonexistent/dir/r.json" --json /nonexistent/dir/r.json -- "$WL/grow" 1
	mkdir ro && chmod 0555 ro
	# root ignores mode bits: use a file system path that cannot be written instead
	run_expect 1 "cannot write /proc/version" --timeline /proc/version -- true
	ls -a | grep -q memtrace- && fail "temporary file left behind"
	return 0
}

# a tracepoint memtrace cannot run without: one line naming it, in every
# mode, before anything starts
test_missing_tracepoint_named() {
	require_bpf
	run_expect 1 "lacks the tracepoint kmem:rss_stat" --fail-tracepoint kmem:rss_stat -- true
	run_expect 1 "lacks the tracepoint sched:sched_process_exec" --fail-tracepoint sched_process_exec -- true
	run_expect 1 "lacks the tracepoint sched:sched_process_free" --fail-tracepoint sched_process_free -p $$
	run_expect 1 "lacks the tracepoint sched:sched_process_fork" -a -d 1 --fail-tracepoint sched_process_fork
	run_expect 1 "lacks the tracepoint kmem:rss_stat" top -b -n 1 --fail-tracepoint rss_stat
	run_expect 1 "lacks the tracepoint sched:sched_process_fork" serve --fail-tracepoint sched_process_fork
}

# a feature the kernel cannot give: named in one line, and everything else runs
test_missing_feature_named_and_the_rest_runs() {
	require_bpf
	local tp feature
	for tp in raw_syscalls:sys_exit:"virtual size" oom:mark_victim:"OOM kills" \
		cgroup:cgroup_mkdir:"naming short-lived cgroups" \
		cgroup:cgroup_attach_task:"following cgroup moves"; do
		feature=${tp##*:}
		tp=${tp%:*}
		run_expect 0 "lacks its tracepoint: no $feature (it needs the tracepoint $tp)" \
			-q --json r.json --fail-tracepoint "$tp" -- "$WL/grow" 20
		assert_ge "$tp: the peak still measured" "$(jqf .peak_rss_bytes r.json)" $((20 * MIB))
		assert_eq "$tp: named in the report" "$(jqf ".kernel.missing | index(\"$feature\") != null" r.json)" true
	done
	# the other modes too
	"$MEMTRACE" top -b -n 1 -i 0.2 --fail-tracepoint mark_victim > out.txt 2> err.txt
	grep -q "no OOM kills" err.txt || fail "top does not name the missing feature: $(cat err.txt)"
	grep -q PID out.txt || fail "top printed no table: $(cat out.txt)"
	run_expect 0 "no virtual size" -q -p $$ -d 0.2 --fail-tracepoint sys_exit
}

test_output_not_half_written() {
	require_bpf
	echo previous > r.json
	set +e
	"$MEMTRACE" -q --json r.json -- no-such-command-xyz 2> /dev/null
	set -e
	assert_eq "old file untouched" "$(cat r.json)" previous
	ls -a | grep -q memtrace- && fail "temporary file left behind"
	return 0
}

# small slips: the right exit status, the limits said, long commands cut
test_option_limits_and_long_commands() {
	run_expect 2 "invalid value for --listen" serve --listen localhost:abc
	run_expect 2 "invalid value for --max-procs: '8' (16 to" --max-procs 8 -- true
	run_expect 2 "audit is by container, cgroup or workload" audit -d 1 --by process
	require_bpf
	# 100,000 arguments: the header is cut, as JSON's cmdline is
	"$MEMTRACE" --json r.json -- true $(seq 100000) > out.txt
	assert_ge "header cut (bytes)" 400 "$(head -n 1 out.txt | wc -c)"
	grep -q "(100001 arguments)" out.txt || fail "the header does not say it is cut: $(head -c 300 out.txt)"
	assert_eq "all arguments in JSON" "$(jqf '.command | length' r.json)" 100001
}
