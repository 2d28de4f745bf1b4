# fleet.sh - right-sizing a fleet: --by workload, and the fleet-wide audit
# computed by a real Prometheus (memtrace audit --prometheus URL), on a
# simulated week of 20 nodes and end to end on runc containers scraped live.

# serve.sh's and containers.sh's helpers (sourced in each test: their tests are theirs)
fleet_helpers() {
	source "$ROOT/tests/integration/serve.sh"
	source "$ROOT/tests/integration/containers.sh"
}

require_prometheus() {
	command -v prometheus > /dev/null && command -v promtool > /dev/null ||
		fail "prometheus is not installed (tools/install-deps.sh test)"
}

# start_prometheus CONFIG TSDB: a real Prometheus on a free port; sets PROM_URL, PROM_PID
start_prometheus() {
	local port
	port=$(free_port)
	prometheus --config.file="$1" --storage.tsdb.path="$2" --storage.tsdb.retention.time=30d \
		--web.listen-address="127.0.0.1:$port" > prometheus.log 2>&1 &
	PROM_PID=$!
	PROM_URL=http://127.0.0.1:$port
	wait_until 100 curl -sf -o /dev/null "$PROM_URL/-/ready" ||
		fail "Prometheus did not start: $(tail -n 5 prometheus.log)"
}

# has Prometheus scraped memtrace serve?
scraped() {
	curl -sf --data-urlencode 'query=up{job="memtrace"} == 1' "$PROM_URL/api/v1/query" | grep -q '"value"'
}

# does the fleet audit see both workloads' two runs?
saw_four_runs() {
	"$MEMTRACE" audit --prometheus "$PROM_URL" --window 5m --by workload --json fleet.json \
		> fleet.txt 2> fleet.err &&
		[ "$(jq '[.entries[] | select(.workload == "prod/web" or .workload == "shop/db") |
			.containers] | add' fleet.json)" = 4 ]
}

# A week of 20 nodes running 3 workloads once a day each (420 containers),
# written as OpenMetrics, made into TSDB blocks by promtool and served by
# Prometheus: every workload's peak, limit, OOM kills, nodes and containers
# as generated, over 7 days and over the last day.
test_fleet_audit_of_a_simulated_week() {
	fleet_helpers
	require_prometheus
	/usr/bin/python3 "$ROOT/tests/tools/fleet_openmetrics.py" "$(date +%s)" fleet.om expected.json
	promtool tsdb create-blocks-from openmetrics fleet.om tsdb > promtool.log 2>&1 ||
		fail "promtool: $(tail -n 5 promtool.log)"
	echo 'global: { scrape_interval: 1m }' > prometheus.yml
	start_prometheus prometheus.yml tsdb
	trap 'kill $PROM_PID 2> /dev/null || true' EXIT
	local window w e x
	for window in 7d 1d; do
		"$MEMTRACE" audit --prometheus "$PROM_URL" --window "$window" --by workload \
			--json "fleet-$window.json" > "fleet-$window.txt"
		assert_eq "source" "$(jqf .source "fleet-$window.json")" prometheus
		assert_eq "by" "$(jqf .by "fleet-$window.json")" workload
		assert_eq "workloads" "$(jqf '.entries | length' "fleet-$window.json")" 3
		for w in prod/web shop/db batch/etl; do
			e=".entries[] | select(.workload == \"$w\")"
			x=".\"$window\".\"$w\""
			for field in peak_rss_bytes limit_bytes oom_kills nodes containers; do
				assert_eq "$window $w $field" "$(jqf "$e | .$field" "fleet-$window.json")" \
					"$(jqf "$x.$field" expected.json)"
			done
			jqf "$e | .p50_bytes > 0 and .p50_bytes <= .p95_bytes and .p95_bytes <= .p99_bytes
				and .p99_bytes <= .peak_rss_bytes" "fleet-$window.json" > /dev/null
			assert_eq "$window $w suggested" "$(jqf "$e | .suggested_limit_bytes" "fleet-$window.json")" \
				"$(jqf "$e | .peak_rss_bytes * 1.2 | floor" "fleet-$window.json")"
		done
	done
	# web's largest run (900 MiB of 1 GiB) was 5 days ago: at-risk over the week, ok over a day
	e='.entries[] | select(.workload == "shop/db") | .verdict'
	assert_eq "db over the week (480 of 512 MiB)" "$(jqf "$e" fleet-7d.json)" at-risk
	assert_eq "db over the last day (at most 200 of 512 MiB)" "$(jqf "$e" fleet-1d.json)" over-provisioned
	e='.entries[] | select(.workload == "batch/etl") | .verdict'
	assert_eq "etl, OOM-killed" "$(jqf "$e" fleet-1d.json)" at-risk
	assert_eq "node 3's lost events" "$(jqf .lost_events fleet-7d.json)" 3
	assert_aligned fleet-7d.txt WORKLOAD "RUNS (NODES)"
	grep -q '^prod/web  *140 (20) ' fleet-7d.txt || fail "text audit: $(cat fleet-7d.txt)"
	# by container: one entry per run, named by its labels
	"$MEMTRACE" audit --prometheus "$PROM_URL" --window 1d --by container --json c.json > /dev/null
	assert_eq "containers of the last day" "$(jqf '.entries | length' c.json)" 60
	assert_eq "a run's workload" "$(jqf '.entries[] | select(.container_name == "shop-db-6-13") | .workload' c.json)" shop/db
}

# A real Prometheus scrapes memtrace serve every second while runc containers
# of two workloads (a Kubernetes Deployment's two pods, a compose service's two
# containers) spike one after another: the fleet audit from Prometheus agrees
# with a local audit of the same run within 2%.
test_fleet_audit_agrees_with_local_audit() {
	fleet_helpers
	require_runc
	require_prometheus
	local port pod1=1111$CTR_HEX pod2=2222$CTR_HEX db1=3333$CTR_HEX db2=4444$CTR_HEX
	pod1=${pod1:0:64} pod2=${pod2:0:64} db1=${db1:0:64} db2=${db2:0:64}
	port=$(free_port)
	cat > prometheus.yml <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: memtrace
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
	start_serve --listen "127.0.0.1:$port" --by workload
	"$MEMTRACE" audit -d 600 -i 0 --by workload --json local.json > local.txt 2> local.err &
	local audit_pid=$!
	start_prometheus prometheus.yml tsdb
	trap "kill $PROM_PID $audit_pid 2> /dev/null || true; rm -rf /var/lib/docker/containers/{$db1,$db2}" EXIT
	wait_for local.err "and every new one"
	wait_until 100 scraped || fail "Prometheus never scraped memtrace serve: $(tail -n 5 prometheus.log)"
	# prod/web: two pods of one Deployment, from the CRI annotations of their bundles
	local i mib uid name
	for i in 1 2; do
		mib=$((24 + 16 * i)) uid=${POD_UID%?}$i
		name=$([ "$i" = 1 ] && echo web-7d9f8c6b5-x2x4z || echo web-7d9f8c6b5-q8w2n)
		local id=$([ "$i" = 1 ] && echo "$pod1" || echo "$pod2")
		make_bundle "web$i" "/kubepods/burstable/pod$uid/$id" $((256 * MIB)) /grow "$mib" 300
		jq --arg pod "$name" '.annotations = { "io.kubernetes.cri.container-name": "app",
			"io.kubernetes.cri.sandbox-name": $pod, "io.kubernetes.cri.sandbox-namespace": "prod" }' \
			"web$i/config.json" > config.new
		mv config.new "web$i/config.json"
		run_container "mt-web$i-$$" "web$i" "web$i.out"
		grep -q vmhwm_bytes "web$i.out" || fail "web$i did not run: $(cat "web$i.out")"
	done
	# shop/db: two containers of a compose service, from Docker's records
	for id in "$db1" "$db2"; do
		mkdir -p "/var/lib/docker/containers/$id"
		echo '{"ID":"'$id'","Name":"/shop-db-'${id:0:1}'","Config":{"Image":"postgres:16",
			"Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}}}' \
			> "/var/lib/docker/containers/$id/config.v2.json"
		make_bundle "db-$id" "/docker/$id" $((128 * MIB)) /grow $((16 + ${id:0:1} * 4)) 300
		run_container "$id" "db-$id" "db-$id.out"
		grep -q vmhwm_bytes "db-$id.out" || fail "db $id did not run: $(cat "db-$id.out")"
	done
	# every run's last interval peak is scraped once after it ends
	wait_until 50 saw_four_runs ||
		fail "the fleet audit never saw the 4 runs: $(cat fleet.err fleet.txt)
			$(curl -s --data-urlencode "query=max_over_time(memtrace_container_interval_peak_rss_bytes[5m])" \
				"$PROM_URL/api/v1/query" | jq -c '.data.result[] | [.metric.id, .metric.workload, .value[1]]')"
	sleep 1.5
	"$MEMTRACE" audit --prometheus "$PROM_URL" --window 5m --by workload --json fleet.json > fleet.txt
	kill -INT "$audit_pid"
	wait "$audit_pid" || true
	stop_serve
	cat local.txt fleet.txt
	local w l f
	for w in prod/web shop/db; do
		l=".entries[] | select(.workload == \"$w\")"
		assert_within "$w: fleet peak vs local" "$(jqf "$l | .peak_rss_bytes" fleet.json)" \
			"$(jqf "$l | .peak_rss_bytes" local.json)" 2
		assert_eq "$w: runs, fleet" "$(jqf "$l | .containers" fleet.json)" 2
		assert_eq "$w: runs, local" "$(jqf "$l | .containers" local.json)" 2
		assert_eq "$w: nodes" "$(jqf "$l | .nodes" fleet.json)" 1
		assert_eq "$w: limit, fleet vs local" "$(jqf "$l | .limit_bytes" fleet.json)" \
			"$(jqf "$l | .limit_bytes" local.json)"
		assert_eq "$w: verdict, fleet vs local" "$(jqf "$l | .verdict" fleet.json)" \
			"$(jqf "$l | .verdict" local.json)"
	done
	# the workload's peak is its largest run's, not a sum: web's second pod grew 56 MiB
	assert_within "web's peak: its second pod's VmHWM" \
		"$(jqf '.entries[] | select(.workload == "prod/web") | .peak_rss_bytes' local.json)" \
		"$(kv vmhwm_bytes web2.out)" 2
}

# memtrace -a, top and serve --by workload: a row (a series) per workload, its runs together
test_by_workload_in_report_top_and_serve() {
	fleet_helpers
	require_runc
	local port a=5555$CTR_HEX b=6666$CTR_HEX runs=()
	a=${a:0:64} b=${b:0:64}
	port=$(free_port)
	start_serve --listen "127.0.0.1:$port" --by workload
	"$MEMTRACE" top -b -i 0.5 --by workload > top.txt 2> top.err &
	local top_pid=$!
	trap "kill $top_pid 2> /dev/null || true; rm -rf /var/lib/docker/containers/{$a,$b}" EXIT
	start_all --by workload
	wait_for top.err "and every new one"
	for id in "$a" "$b"; do
		mkdir -p "/var/lib/docker/containers/$id"
		echo '{"ID":"'$id'","Name":"/api-'${id:0:1}'","Config":{"Image":"registry.example/api:1.4",
			"Labels":{}}}' > "/var/lib/docker/containers/$id/config.v2.json"
		make_bundle "b-$id" "/docker/$id" $((128 * MIB)) /grow 40 1200
		run_container "$id" "b-$id" "b-$id.out" &
		runs+=($!)
	done
	sleep 0.8 # both hold their 40 MiB
	curl -sf "http://127.0.0.1:$port/metrics" > metrics.txt
	wait "${runs[@]}"
	stop_all
	kill "$top_pid"
	stop_serve
	# Docker's image without its tag names the workload
	local g='.groups[] | select(.workload == "registry.example/api")'
	assert_eq "two containers of the workload" "$(jqf "[$g] | length" r.json)" 2
	grep -q '^registry.example/api  *2 ' report.txt || fail "text report: $(cat report.txt)"
	grep -q '^registry.example/api ' top.txt || fail "top: $(tail -n 20 top.txt)"
	grep -q '^memtrace_workload_runs{workload="registry.example/api"} 2$' metrics.txt ||
		fail "no workload series: $(grep workload_ metrics.txt)"
	local rss
	rss=$(sed -n 's/^memtrace_workload_rss_bytes{workload="registry.example\/api"} //p' metrics.txt)
	assert_ge "both runs' RSS summed" "$rss" $((80 * MIB))
	local peak
	peak=$(sed -n 's/^memtrace_workload_peak_rss_bytes{workload="registry.example\/api"} //p' metrics.txt)
	assert_within "the workload's peak: one run's" "$peak" "$(kv vmhwm_bytes "b-$a.out")" 3
}

# bad input to the fleet audit: one line, a non-zero exit, no half-written file
test_fleet_audit_errors() {
	fleet_helpers
	require_prometheus
	local port
	port=$(free_port)
	! "$MEMTRACE" audit --prometheus "http://127.0.0.1:$port" --json out.json 2> err.txt ||
		fail "an unreachable server succeeded"
	grep -q "cannot query Prometheus at http://127.0.0.1:$port" err.txt || fail "$(cat err.txt)"
	[ ! -e out.json ] || fail "a file was left behind"
	! "$MEMTRACE" audit --prometheus "ftp://example" 2> err.txt || fail "ftp:// accepted"
	grep -q "is not an http:// or https:// URL" err.txt || fail "$(cat err.txt)"
	! "$MEMTRACE" audit --prometheus "http://127.0.0.1:$port" --window 7x 2> err.txt || fail "7x accepted"
	grep -q "is not a Prometheus duration" err.txt || fail "$(cat err.txt)"
	echo 'global: { scrape_interval: 1m }' > prometheus.yml
	start_prometheus prometheus.yml tsdb
	trap 'kill $PROM_PID 2> /dev/null || true' EXIT
	! "$MEMTRACE" audit --prometheus "$PROM_URL" --window 1h 2> err.txt || fail "no data succeeded"
	grep -q "has no memtrace_container_interval_peak_rss_bytes series of a container in the last 1h" \
		err.txt || fail "$(cat err.txt)"
	! "$MEMTRACE" audit --prometheus "$PROM_URL/elsewhere" 2> err.txt || fail "a 404 succeeded"
	grep -q "did not answer as Prometheus's API does (HTTP 404)" err.txt || fail "$(cat err.txt)"
	[ "$(wc -l < err.txt)" = 1 ] || fail "more than one line: $(cat err.txt)"
}
