# outputs.sh - what an output path names decides how it is written: in
# place for stdout, pipes, FIFOs and devices; whole or not at all for
# regular files, checked before tracing starts, never two outputs in one
# file, and owned as the user who ran sudo would own them.

# memtrace ARGS... ; sets STATUS, stderr in err.txt
run_status() {
	set +e
	"$MEMTRACE" "$@" 2> err.txt
	STATUS=$?
	set -e
}

# /dev/stdout, /dev/fd/N and process substitution are written in place
test_outputs_in_place_for_stdout_and_pipes() {
	require_bpf
	"$MEMTRACE" -q --json /dev/stdout -- true > out.json
	jq -e .peak_rss_bytes out.json > /dev/null || fail "/dev/stdout into a file: $(head -c 200 out.json)"
	[ -L /dev/stdout ] || fail "/dev/stdout was replaced"
	# into a pipe, the text report not mixed in (/dev/stdout is stdout)
	"$MEMTRACE" --json /dev/stdout -- true 2> /dev/null | cat > piped.json
	jq -e .peak_rss_bytes piped.json > /dev/null || fail "/dev/stdout into a pipe: $(head -c 200 piped.json)"
	"$MEMTRACE" -q --json >(cat > sub.json) --timeline /dev/fd/5 -- true 5> t.csv
	wait $! # the process substitution's cat
	jq -e .peak_rss_bytes sub.json > /dev/null || fail "process substitution: $(head -c 200 sub.json)"
	assert_eq "timeline through /dev/fd/5" "$(head -n 1 t.csv)" "time_s,pid,rss_bytes,vm_bytes"
	# appended where a shell said >>
	echo previous > log.json
	"$MEMTRACE" -q --json /proc/self/fd/1 -- true >> log.json
	assert_eq "appended after what was there" "$(head -n 1 log.json)" previous
}

# a FIFO is written in place: its reader gets the report, the FIFO stays
test_output_fifo_and_devices() {
	require_bpf
	mkfifo p
	cat p > got.json &
	local reader=$!
	"$MEMTRACE" -q --json p -- true
	wait "$reader"
	jq -e .peak_rss_bytes got.json > /dev/null || fail "FIFO reader got: $(head -c 200 got.json)"
	[ -p p ] || fail "the FIFO was replaced"
	run_status -q --json /dev/full -- true
	[ "$STATUS" -ne 0 ] || fail "/dev/full: exit 0"
	grep -q "No space left on device" err.txt || fail "/dev/full: $(cat err.txt)"
	[ -c /dev/full ] || fail "/dev/full was replaced"
	run_status -q --html /dev/full -- true
	grep -q "No space left on device" err.txt || fail "--html on a full device: $(cat err.txt)"
	"$MEMTRACE" -q --json /dev/null -- true
	[ -c /dev/null ] || fail "/dev/null was replaced"
}

# a directory or an empty path fails before CMD runs, with one clear line
test_output_directory_refused_before_tracing() {
	require_bpf
	local path
	for path in "$TMP" . "" "new/"; do
		run_status -q --json "$path" -- touch ran
		assert_eq "exit status for '$path'" "$STATUS" 1
		[ ! -e ran ] || fail "CMD ran before '$path' was refused"
		[ "$(grep -c . err.txt)" -eq 1 ] || fail "not one line: $(cat err.txt)"
	done
	grep -q "cannot write new/: Is a directory" err.txt || fail "message: $(cat err.txt)"
	run_status -q --json "$TMP" -- true
	grep -q "Is a directory" err.txt || fail "message: $(cat err.txt)"
	run_status -q --json "" -- true
	grep -q "cannot write '': No such file or directory" err.txt || fail "message: $(cat err.txt)"
}

# two outputs naming one file, however spelt, are refused
test_two_outputs_one_file_refused() {
	require_bpf
	ln -s r.json link.json
	local pair
	for pair in "r.json r.json" "r.json ./r.json" "r.json $TMP/r.json" "- /dev/stdout"; do
		set -- $pair
		run_status -q --json "$1" --timeline "$2" -- touch ran
		assert_eq "exit status for $pair" "$STATUS" 2
		grep -q -- "--json and --timeline name the same file" err.txt || fail "$pair: $(cat err.txt)"
		[ ! -e ran ] || fail "CMD ran"
	done
	echo '{}' > r.json
	run_status -q --json r.json --timeline link.json -- true
	grep -q "name the same file" err.txt || fail "through a symlink: $(cat err.txt)"
}

# any valid name works: the temporary's name does not lengthen it
test_output_long_name() {
	require_bpf
	local name
	name=$(printf 'r%.0s' $(seq 240)).json
	"$MEMTRACE" -q --json "$name" -- true
	jq -e .schema "$name" > /dev/null
}

# kill -9 while tracing leaves no temporary file behind
test_output_kill9_leaves_nothing() {
	require_bpf
	mkdir d
	"$MEMTRACE" -q --json d/r.json -- sleep 31 &
	local mt=$! child
	wait_for_pid_child "$mt"
	child=$(pgrep -P "$mt")
	kill -9 "$mt"
	wait "$mt" || true
	kill "$child"
	assert_eq "files left in the directory" "$(ls -A d | wc -l)" 0
}

# wait (bounded) until a process has a child: tracing has started
wait_for_pid_child() {
	local tries=200
	while ! pgrep -P "$1" > /dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "pid $1 started no child"
		sleep 0.05
	done
}

# under sudo: a new file is the caller's, created only where they may create
# it; an existing file keeps its owner and mode
test_output_ownership_under_sudo() {
	require_bpf
	chmod 0755 "$TMP" # the caller must reach the directories
	mkdir mine && chown 65534:65534 mine
	mkdir -m 0755 roots
	SUDO_UID=65534 SUDO_GID=65534 "$MEMTRACE" -q --json mine/r.json -- true
	assert_eq "new file's owner" "$(stat -c %u:%g mine/r.json)" 65534:65534
	set +e
	SUDO_UID=65534 SUDO_GID=65534 "$MEMTRACE" -q --json roots/r.json -- touch ran 2> err.txt
	STATUS=$?
	set -e
	assert_eq "exit where the caller may not create" "$STATUS" 1
	grep -q "cannot write roots/r.json: Permission denied" err.txt || fail "message: $(cat err.txt)"
	[ ! -e ran ] && [ ! -e roots/r.json ] || fail "traced anyway"
	echo previous > roots/theirs.json
	chown 1234:1234 roots/theirs.json
	chmod 0600 roots/theirs.json
	SUDO_UID=65534 SUDO_GID=65534 "$MEMTRACE" -q --json roots/theirs.json -- true
	assert_eq "existing file's owner and mode" "$(stat -c %u:%g:%a roots/theirs.json)" 1234:1234:600
	jq -e .schema roots/theirs.json > /dev/null
}
