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

test_missing_tracepoint_named() {
	require_bpf
	run_expect 1 "lacks the tracepoint kmem:rss_stat" --fail-tracepoint kmem:rss_stat -- true
	run_expect 1 "lacks the tracepoint sched:sched_process_exec" --fail-tracepoint sched_process_exec -- true
	# every mode checks before it starts anything
	run_expect 1 "lacks the tracepoint raw_syscalls:sys_exit" --fail-tracepoint sys_exit -p $$
	run_expect 1 "lacks the tracepoint oom:mark_victim" --fail-tracepoint oom:mark_victim -a -d 1
	run_expect 1 "lacks the tracepoint cgroup:cgroup_mkdir" top -b -n 1 --fail-tracepoint cgroup_mkdir
	run_expect 1 "lacks the tracepoint sched:sched_process_fork" serve --fail-tracepoint sched_process_fork
	# the stacks' hook: named, and --no-stacks goes without it
	run_expect 1 "lacks the tracepoint exceptions:page_fault_user" --fail-tracepoint page_fault_user -- true
	"$MEMTRACE" -q --no-stacks --fail-tracepoint page_fault_user -- true ||
		fail "--no-stacks still needs page_fault_user"
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
