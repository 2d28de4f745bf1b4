# serve.sh - memtrace serve: the Prometheus endpoint checked by promtool,
# scraped by a real Prometheus server while a real runc container spikes,
# and bad HTTP clients that must not disturb it.

# a TCP port nobody listens on
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_serve [OPTIONS]: memtrace serve in the background; sets SERVE_PID
start_serve() {
	"$MEMTRACE" serve "$@" > serve.out 2> serve.err &
	SERVE_PID=$!
	wait_for serve.err "serving http://"
}

stop_serve() {
	kill -TERM "$SERVE_PID"
	local status=0
	wait "$SERVE_PID" || status=$?
	assert_eq "serve exits 0 on SIGTERM" "$status" 0
}

test_metrics_valid_and_on_loopback_by_default() {
	require_bpf
	command -v promtool > /dev/null || fail "promtool is not installed (tools/install-deps.sh test: prometheus)"
	start_serve
	# loopback only, on the default port
	ss -Hltn 'sport = :9464' | grep -q '127.0.0.1:9464' || fail "not on 127.0.0.1:9464: $(ss -Hltn)"
	ss -Hltn 'sport = :9464' | grep -q '0.0.0.0:9464\|\*:9464' && fail "listens beyond loopback"
	"$WL/grow" 64 300 > wl.out # a process to see
	curl -sf -D headers.txt http://127.0.0.1:9464/metrics > metrics.txt || fail "scrape failed"
	grep -qi '^content-type: text/plain; version=0.0.4' headers.txt || fail "content type: $(cat headers.txt)"
	promtool check metrics < metrics.txt || fail "promtool rejects the exposition"
	for m in memtrace_container_rss_bytes memtrace_container_peak_rss_bytes \
		memtrace_container_interval_peak_rss_bytes memtrace_container_page_faults_total \
		memtrace_process_peak_rss_bytes memtrace_lost_events_total memtrace_ringbuf_drops_total \
		memtrace_map_full_drops_total memtrace_bpf_run_seconds_total; do
		grep -q "^$m" metrics.txt || fail "no $m"
	done
	# OpenMetrics when asked
	curl -sf -D headers.txt -H 'Accept: application/openmetrics-text; version=1.0.0' \
		http://127.0.0.1:9464/metrics > om.txt || fail "OpenMetrics scrape failed"
	grep -qi '^content-type: application/openmetrics-text' headers.txt || fail "OpenMetrics content type"
	assert_eq "OpenMetrics ends with # EOF" "$(tail -n 1 om.txt)" "# EOF"
	grep -q '^# TYPE memtrace_lost_events counter' om.txt || fail "OpenMetrics counter family name"
	# per-process series are bounded by --top (10 by default)
	assert_ge "at most 10 processes" 10 "$(grep -c '^memtrace_process_rss_bytes' metrics.txt)"
	stop_serve
}

# bad requests get HTTP errors; a flood of connections does not stop tracing
test_bad_requests_get_errors() {
	require_bpf
	local port code
	port=$(free_port)
	start_serve --listen "127.0.0.1:$port" --top 3
	assert_eq "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")" 404
	assert_eq "POST" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "http://127.0.0.1:$port/metrics")" 405
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Huge: $(head -c 100000 /dev/zero | tr '\0' a)" \
		"http://127.0.0.1:$port/metrics")
	[ "$code" -ge 400 ] && [ "$code" -lt 500 ] || fail "huge header: HTTP $code"
	echo "ok: huge header: HTTP $code"
	# 300 idle connections held open while a workload runs, then a scrape
	"$WL/grow" 96 4000 > wl.out &
	local wl=$!
	/usr/bin/python3 -c '
import socket, sys, time
conns = []
for i in range(300):
    try:
        conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        pass
open("flood.started", "w").write(str(len(conns)))
time.sleep(2)
' "$port" &
	local flood=$!
	wait_for flood.started .
	wait "$flood"
	curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" > metrics.txt || fail "no scrape after the flood"
	wait "$wl"
	grep 'memtrace_process_peak_rss_bytes{pid="'"$wl"'"' metrics.txt > wl.metric ||
		fail "the workload run during the flood is missing: $(grep process_peak metrics.txt)"
	assert_within "its peak, traced during the flood" "$(awk '{ print $NF }' wl.metric)" \
		"$(kv vmhwm_bytes wl.out)" 2
	assert_eq "--top 3" "$(grep -c '^memtrace_process_rss_bytes' metrics.txt)" 3
	assert_eq "nothing lost" "$(awk '/^memtrace_lost_events_total/ { print $2 }' metrics.txt)" 0
	stop_serve
}

# A real Prometheus scrapes memtrace serve every second while a runc
# container spikes for 300 ms: the peak series in Prometheus holds the
# workload's peak within 2%, where the RSS series sampled by scrapes does not.
test_prometheus_server_sees_the_peak() {
	require_bpf
	command -v prometheus > /dev/null || fail "prometheus is not installed (tools/install-deps.sh test)"
	source "$ROOT/tests/integration/containers.sh"
	require_runc
	local port pport cgpath=/docker/$CTR_HEX q result peak interval rss
	port=$(free_port)
	pport=$(free_port)
	cat > prometheus.yml <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: memtrace
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
	start_serve --listen "127.0.0.1:$port"
	prometheus --config.file=prometheus.yml --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$pport" > prometheus.log 2>&1 &
	local prom=$!
	q() { curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$pport/api/v1/query" | jq -r '.data.result[0].value[1] // empty'; }
	local tries=100
	until [ "$(q 'up{job="memtrace"}')" = 1 ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "Prometheus never scraped memtrace: $(tail -n 5 prometheus.log)"
		sleep 0.2
	done
	make_bundle bundle "$cgpath" $((512 * MIB)) /grow 160 300
	run_container spiky bundle ctr.out
	grep -q vmhwm_bytes ctr.out || fail "the container did not run: $(cat ctr.out)"
	sel="{id=\"$cgpath\"}"
	tries=50
	until [ -n "$(q "max_over_time(memtrace_container_peak_rss_bytes$sel[5m])")" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "no peak series for $cgpath in Prometheus"
		sleep 0.2
	done
	sleep 1.5 # the scrape after the container ended
	peak=$(q "max_over_time(memtrace_container_peak_rss_bytes$sel[5m])")
	interval=$(q "max_over_time(memtrace_container_interval_peak_rss_bytes$sel[5m])")
	rss=$(q "max_over_time(memtrace_container_rss_bytes$sel[5m])")
	assert_within "Prometheus: peak series vs VmHWM" "$peak" "$(kv vmhwm_bytes ctr.out)" 2
	assert_within "Prometheus: interval peak vs VmHWM" "$interval" "$(kv vmhwm_bytes ctr.out)" 2
	echo "scraped RSS at most $rss (the spike lasted 300 ms between 1 s scrapes)"
	kill "$prom"
	wait "$prom" || true
	stop_serve
}

# clients that trickle their request or sit idle hold no scrape up: a
# scraper from another address is answered while 96 of them hang on
test_slow_clients_do_not_block_scrapes() {
	require_bpf
	local port slow i
	port=$(free_port)
	start_serve --listen "127.0.0.1:$port"
	/usr/bin/python3 -c '
import socket, sys, time
port = int(sys.argv[1])
conns = []
for i in range(96):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        if i % 3:  # two in three trickle a request, one header line every 3 s
            c.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        conns.append(c)
    except OSError:
        pass
open("slow.started", "w").write(str(len(conns)))
for _ in range(5):
    time.sleep(3)
    for c in conns:
        try:
            c.send(b"X-Slow: 1\r\n")
        except OSError:
            pass
' "$port" &
	slow=$!
	wait_for slow.started .
	for i in 1 2 3 4 5; do
		curl -sf --interface 127.0.0.2 --max-time 3 "http://127.0.0.1:$port/metrics" > m$i.txt ||
			fail "scrape $i not answered within 3 s while slow clients hang on"
		grep -q '^memtrace_lost_events_total' m$i.txt || fail "scrape $i incomplete"
		sleep 1
	done
	kill "$slow" 2> /dev/null || true
	wait "$slow" 2> /dev/null || true
	stop_serve
}
