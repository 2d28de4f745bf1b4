# untrusted.sh - names chosen by the traced world (a process's comm, its
# arguments) reach root's terminal, JSON, /metrics and HTML made safe:
# control characters and invalid UTF-8 shown escaped, never passed through.

# a process name that sets a terminal's title and clears its screen
HOSTILE=$'\e]0;PWNED\a\e[2J'
HOSTILE_SHOWN='\x1b]0;PWNED\x07\x1b[2J'

# a link named HOSTILE to the grow workload: exec makes the link's name its comm
hostile_grow() {
	ln -sf "$WL/grow" "$TMP/$HOSTILE"
	echo "$TMP/$HOSTILE"
}

# FILE holds no control character but newlines (and no raw ESC or BEL)
assert_no_controls() {
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1"; then
		fail "$1 holds control characters: $(LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]' "$1" | head -n 3 | od -c | head -n 5)"
	fi
	echo "ok: no control characters in $1"
}

# FILE is valid UTF-8
assert_utf8() {
	/usr/bin/python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$1" ||
		fail "$1 is not valid UTF-8"
	echo "ok: $1 is valid UTF-8"
}

test_hostile_names_reach_no_terminal() {
	require_bpf
	local prog pid
	prog=$(hostile_grow)
	# -- CMD: the header's command and the process table
	"$MEMTRACE" -- "$prog" 8 > cmd.txt 2> cmd.err
	assert_no_controls cmd.txt
	grep -qF "$HOSTILE_SHOWN" cmd.txt || fail "the name is not shown escaped: $(cat cmd.txt)"
	# -p, -a and top, while it runs (large enough to be among the first rows)
	"$prog" 200 4000 > wl.out &
	pid=$!
	wait_for "/proc/$pid/comm" PWNED
	"$MEMTRACE" -p "$pid" -d 0.5 > p.txt 2> /dev/null
	"$MEMTRACE" -a -d 0.5 > a.txt 2> /dev/null
	"$MEMTRACE" top -b -n 1 -i 0.3 > top.txt 2> /dev/null
	# top without -b into a file behaves as -b: no screen codes in it
	"$MEMTRACE" top -n 1 -i 0.3 > topnb.txt 2> /dev/null
	kill "$pid"
	local f
	for f in p.txt a.txt top.txt topnb.txt; do
		assert_no_controls "$f"
		# escaped, and in a table cut to its column
		grep -qF '\x1b]0;PWNED' "$f" || fail "$f does not show the name escaped: $(head -n 20 "$f")"
	done
	# an error message naming a path with a newline stays one line
	set +e
	"$MEMTRACE" -q --json $'/nonexistent/a\nb.json' -- true 2> err.txt
	set -e
	assert_eq "lines of the error" "$(wc -l < err.txt)" 1
	grep -qF 'a\x0ab.json' err.txt || fail "newline not escaped: $(cat err.txt)"
}

# JSON, /metrics and pprof are valid UTF-8 whatever bytes argv and comm hold
test_invalid_utf8_escaped_in_json_and_metrics() {
	require_bpf
	local prog=$TMP/$'\xffgrow\xc3' port pid
	ln -s "$WL/grow" "$prog"
	"$MEMTRACE" -q --json r.json --timeline t.csv --folded f.txt --pprof p.pb.gz -- \
		"$prog" 8 0 $'\xff\xfe' > /dev/null
	assert_utf8 r.json
	/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' r.json ||
		fail "Python's json cannot read the report"
	assert_eq "argument shown escaped" "$(jqf '.command[3]' r.json)" '\xff\xfe'
	assert_eq "comm shown escaped" "$(jqf '.processes[0].comm' r.json)" '\xffgrow\xc3'
	assert_utf8 f.txt
	# proto3 strings must be UTF-8: Python's protobuf refuses the profile otherwise
	protoc --python_out="$TMP" -I"$ROOT/src" "$ROOT/src/profile.proto"
	/usr/bin/python3 "$ROOT/tests/tools/pprof_sum.py" "$TMP" p.pb.gz alloc_space main > pprof.out ||
		fail "the pprof profile does not decode"
	# /metrics under charset=utf-8
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$prog" 8 4000 > wl.out &
	pid=$!
	"$MEMTRACE" serve --listen "127.0.0.1:$port" --top 1000 > serve.out 2> serve.err &
	local serve=$!
	wait_for serve.err "serving http://"
	curl -sf "http://127.0.0.1:$port/metrics" > metrics.txt || fail "scrape failed"
	kill "$serve" "$pid"
	wait "$serve" || true
	assert_utf8 metrics.txt
	# the exposition format escapes the backslashes of "\xff" once more
	grep -qF 'comm="\\xffgrow\\xc3"' metrics.txt || fail "the comm label: $(grep -m 3 'comm=' metrics.txt)"
	command -v promtool > /dev/null && { promtool check metrics < metrics.txt || fail "promtool rejects it"; }
	return 0
}

# --html: no argument can change the HTML parser's state around the data
test_html_data_safe_in_every_parser_state() {
	require_bpf
	"$MEMTRACE" -q --html r.html -- "$WL/grow" 8 0 '<!--<script>' '</script><b>x' > /dev/null
	command -v chromium > /dev/null || fail "chromium is not installed (tools/install-deps.sh test)"
	timeout 90 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chromium" \
		--dump-dom "file://$TMP/r.html" > dom.html 2> chromium.err ||
		fail "chromium failed: $(tail -n 3 chromium.err)"
	grep -q '<td class="l">grow</td>' dom.html || fail "the process table is empty"
	grep -qF '&lt;!--&lt;script&gt;' dom.html || grep -qF '<!--<script>' dom.html ||
		fail "the argument is not shown as text"
}
