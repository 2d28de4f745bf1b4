# containers.sh - real OCI containers started with runc from a busybox rootfs,
# in cgroups named the way Docker and Kubernetes name them: memtrace -a must
# attribute the workload inside to the right container and pod, with the
# right peak.

CTR_HEX=3f4e0b9a2c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
POD_UID=0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b

require_runc() {
	require_bpf
	command -v runc > /dev/null || fail "runc is not installed (tools/install-deps.sh test)"
	[ -x /bin/busybox ] || fail "busybox-static is not installed (tools/install-deps.sh test)"
}

# make_bundle DIR CGROUPS_PATH LIMIT_BYTES ARGS...: an OCI bundle running ARGS
make_bundle() {
	local dir=$1 cgpath=$2 limit=$3
	shift 3
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev" "$dir/rootfs/tmp"
	cp /bin/busybox "$dir/rootfs/bin/busybox"
	ln -s busybox "$dir/rootfs/bin/sh"
	cp "$WL/grow-static" "$dir/rootfs/grow"
	(cd "$dir" && runc spec)
	jq --arg cg "$cgpath" --argjson limit "$limit" \
		'.process.terminal = false | .process.args = $ARGS.positional
		 | .linux.cgroupsPath = $cg | .linux.resources.memory = { limit: $limit }' \
		"$dir/config.json" --args "$@" > "$dir/config.new"
	mv "$dir/config.new" "$dir/config.json"
}

# run_container NAME BUNDLE OUTPUT: runs to completion, then removes it
run_container() {
	runc run --bundle "$2" "$1" > "$3" 2>&1 < /dev/null || true
	runc delete -f "$1" > /dev/null 2>&1 || true
}

start_all() { # memtrace -a [OPTIONS] in the background; sets MT_PID
	"$MEMTRACE" -a -i 0 --by container --json r.json "$@" > report.txt 2> err.txt &
	MT_PID=$!
	wait_for err.txt "and every new one"
}

stop_all() {
	kill -INT "$MT_PID"
	wait "$MT_PID" || true
	[ -s r.json ] || fail "no report: $(cat err.txt)"
}

# run_traced_container NAME CGROUP_PATH MIB HOLD_MS: a container growing to
# MIB under memtrace -a; checks its group's peak against the workload's VmHWM
# and sets G, the jq path of its group.
run_traced_container() {
	make_bundle bundle "$2" $((256 * MIB)) /grow "$3" "$4"
	start_all
	run_container "$1" bundle ctr.out
	stop_all
	grep -q vmhwm_bytes ctr.out || fail "the container did not run: $(cat ctr.out)"
	G=".groups[] | select(.container_id == \"$CTR_HEX\")"
	assert_within "container peak vs the workload's VmHWM" "$(jqf "$G | .peak_rss_bytes" r.json)" \
		"$(kv vmhwm_bytes ctr.out)" 2
}

test_docker_container_attributed() {
	require_runc
	local name=mt-docker-$$
	run_traced_container "$name" "/docker/$CTR_HEX" 64 600
	local g=$G
	assert_eq "runtime" "$(jqf "$g | .runtime" r.json)" docker
	assert_eq "name from runc's state" "$(jqf "$g | .container_name" r.json)" "$name"
	assert_eq "cgroup path" "$(jqf "$g | .cgroup" r.json)" "/docker/$CTR_HEX"
	assert_eq "memcg limit" "$(jqf "$g | .memcg.limit_bytes" r.json)" $((256 * MIB))
	assert_ge "memcg peak covers the workload" "$(jqf "$g | .memcg.peak_bytes // 0" r.json)" $((64 * MIB))
	assert_ge "memory.stat: its anon" "$(jqf "$g | .memcg.anon_bytes" r.json)" $((60 * MIB))
	grep -q "docker:${CTR_HEX:0:12}" report.txt || fail "text report lacks the container: $(cat report.txt)"
}

test_kubernetes_pod_attributed() {
	require_runc
	run_traced_container mt-k8s-$$ "/kubepods/burstable/pod$POD_UID/$CTR_HEX" 48 300
	assert_eq "pod uid" "$(jqf "$G | .pod_uid" r.json)" "$POD_UID"
	assert_eq "qos" "$(jqf "$G | .qos" r.json)" burstable
}

# The workload each container runs: a Kubernetes pod's owner from the CRI
# annotations its runtime's bundle carries, a Docker compose service from
# Docker's own record of the container; in JSON and on /metrics
test_workload_of_kubernetes_and_docker_containers() {
	require_runc
	local docker_id=cccc0b9a2c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f port
	make_bundle pod "/kubepods/burstable/pod$POD_UID/$CTR_HEX" $((256 * MIB)) /grow 24 300
	jq '.annotations = { "io.kubernetes.cri.container-name": "app",
		"io.kubernetes.cri.sandbox-name": "web-7d9f8c6b5-x2x4z",
		"io.kubernetes.cri.sandbox-namespace": "prod" }' pod/config.json > config.new
	mv config.new pod/config.json
	make_bundle compose "/docker/$docker_id" $((256 * MIB)) /grow 24 300
	# Docker's record, as dockerd writes it (the test stands in for dockerd)
	local record=/var/lib/docker/containers/$docker_id
	mkdir -p "$record"
	echo '{"ID":"'$docker_id'","Name":"/shop-db-1","Config":{"Image":"postgres:16",
		"Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}}}' \
		> "$record/config.v2.json"
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	start_all --prometheus "127.0.0.1:$port"
	run_container mt-pod-$$ pod pod.out
	run_container "$docker_id" compose compose.out
	curl -sf "http://127.0.0.1:$port/metrics" > metrics.txt || true
	stop_all
	rm -rf "$record"
	local pod=".groups[] | select(.container_id == \"$CTR_HEX\")"
	local compose=".groups[] | select(.container_id == \"$docker_id\")"
	assert_eq "pod's workload" "$(jqf "$pod | .workload" r.json)" prod/web
	assert_eq "pod's container" "$(jqf "$pod | .container_name" r.json)" app
	assert_eq "compose service's workload" "$(jqf "$compose | .workload" r.json)" shop/db
	assert_eq "its name from Docker's record" "$(jqf "$compose | .container_name" r.json)" shop-db-1
	grep -q '^memtrace_container_peak_rss_bytes{.*pod="web-7d9f8c6b5-x2x4z",namespace="prod",.*workload="prod/web"}' metrics.txt ||
		fail "no workload label for the pod: $(grep peak_rss metrics.txt)"
	grep -q '^memtrace_container_peak_rss_bytes{.*workload="shop/db"}' metrics.txt ||
		fail "no workload label for the compose service: $(grep peak_rss metrics.txt)"
}

# a container pushed past its memory limit: the OOM kill names the container and process
test_oom_kill_in_container() {
	require_runc
	local name=mt-oom-$$
	make_bundle oom "/docker/$CTR_HEX" $((32 * MIB)) /grow 96 0
	start_all --timeline t.csv
	run_container "$name" oom ctr.out
	stop_all
	assert_eq "one OOM kill" "$(jqf '.oom_kills | length' r.json)" 1
	assert_eq "victim" "$(jqf '.oom_kills[0].comm' r.json)" grow
	assert_eq "its container" "$(jqf '.oom_kills[0].container_id' r.json)" "$CTR_HEX"
	assert_eq "the limit it hit" "$(jqf '.oom_kills[0].memcg_limit_bytes' r.json)" $((32 * MIB))
	assert_ge "its memory when chosen" "$(jqf '.oom_kills[0].anon_rss_bytes' r.json)" $((20 * MIB))
	local pid
	pid=$(jqf '.oom_kills[0].pid' r.json)
	assert_eq "process marked" "$(jqf "[.processes[] | select(.pid == $pid) | .oom_killed] | any" r.json)" true
	assert_eq "killed by SIGKILL" "$(jqf ".processes[] | select(.pid == $pid and .comm == \"grow\") | .exit_code" r.json)" 137
	grep -q "OOM kill" report.txt || fail "text report lacks the OOM kill"
	# what led to it: the victim's rising rows before the kill
	assert_ge "rows before the kill" "$(jqf '.oom_kills[0].timeline | length' r.json)" 10
	assert_ge "the last of them" "$(jqf '[.oom_kills[0].timeline[].rss_bytes // 0] | max' r.json)" $((20 * MIB))
}

# audit: one container far under its limit, one close to it
test_audit_flags_containers() {
	require_runc
	local roomy=aaaa0b9a2c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
	local tight=bbbb0b9a2c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
	make_bundle roomy "/docker/$roomy" $((256 * MIB)) /grow 32 400
	make_bundle tight "/docker/$tight" $((64 * MIB)) /grow 58 400
	"$MEMTRACE" audit -d 600 -i 0 --json audit.json > audit.txt 2> err.txt &
	MT_PID=$!
	wait_for err.txt "and every new one"
	run_container mt-roomy-$$ roomy roomy.out
	run_container mt-tight-$$ tight tight.out
	kill -INT "$MT_PID"
	wait "$MT_PID" || true
	grep -q vmhwm_bytes roomy.out || fail "roomy did not run: $(cat roomy.out)"
	assert_eq "schema" "$(jqf .schema audit.json)" memtrace.audit/1
	local e=".entries[] | select(.container_id == \"$roomy\")"
	assert_eq "roomy verdict" "$(jqf "$e | .verdict" audit.json)" over-provisioned
	assert_eq "roomy limit" "$(jqf "$e | .limit_bytes" audit.json)" $((256 * MIB))
	assert_within "roomy peak vs its VmHWM" "$(jqf "$e | .peak_rss_bytes" audit.json)" "$(kv vmhwm_bytes roomy.out)" 2
	assert_within "suggested = peak + 20%" "$(jqf "$e | .suggested_limit_bytes" audit.json)" \
		"$(jqf "$e | .peak_rss_bytes * 1.2 | floor" audit.json)" 0.01
	jqf "$e | (.p50_bytes <= .p95_bytes) and (.p95_bytes <= .p99_bytes) and (.p99_bytes <= .peak_rss_bytes)" \
		audit.json > /dev/null
	assert_eq "roomy headroom" "$(jqf "$e | .headroom_bytes" audit.json)" \
		"$(jqf "$e | .limit_bytes - .peak_rss_bytes" audit.json)"
	e=".entries[] | select(.container_id == \"$tight\")"
	assert_eq "tight verdict" "$(jqf "$e | .verdict" audit.json)" at-risk
	assert_eq "tight limit" "$(jqf "$e | .limit_bytes" audit.json)" $((64 * MIB))
	grep -q "over-provisioned" audit.txt || fail "text audit: $(cat audit.txt)"
	# 64-character ids are cut to their column
	assert_aligned audit.txt CONTAINER POD
	assert_eq "the margin as written" "$(grep -o '"margin":[^,}]*' audit.json | tr -d ' ')" '"margin":0.2'
}

# --container ID: only that container's processes are traced; the host's are not
test_container_scope_filter() {
	require_runc
	local name=mt-scope-$$
	make_bundle scoped "/docker/$CTR_HEX" $((256 * MIB)) /grow 64 1500
	runc run --bundle scoped "$name" > ctr.out 2>&1 < /dev/null &
	local runc_pid=$! tries=200
	until [ -d "/sys/fs/cgroup/memory/docker/$CTR_HEX" ] || [ -d "/sys/fs/cgroup/docker/$CTR_HEX" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "the container's cgroup never appeared"
		sleep 0.05
	done
	"$MEMTRACE" --container "${CTR_HEX:0:12}" -i 0 --json r.json > /dev/null 2> err.txt &
	MT_PID=$!
	wait_for err.txt "and every new one"
	"$WL/grow" 40 0 > host.out &
	local host_pid=$!
	wait "$host_pid"
	wait "$runc_pid" || true
	runc delete -f "$name" > /dev/null 2>&1 || true
	stop_all
	grep -q vmhwm_bytes ctr.out || fail "the container did not run: $(cat ctr.out)"
	local g=".groups[] | select(.container_id == \"$CTR_HEX\")"
	assert_within "container peak" "$(jqf "$g | .peak_rss_bytes" r.json)" "$(kv vmhwm_bytes ctr.out)" 2
	assert_eq "the host's workload is not traced" "$(jqf "[.processes[] | select(.pid == $host_pid)] | length" r.json)" 0
	assert_eq "the container's workload is" "$(jqf '[.processes[] | select(.comm == "grow")] | length' r.json)" 1
	assert_eq "only the container's cgroup" "$(jqf "[.groups[] | select(.container_id != \"$CTR_HEX\")] | length" r.json)" 0
	run_expect_scope_errors
}

run_expect_scope_errors() {
	local status
	set +e
	"$MEMTRACE" --container ffffffffffff -d 1 > /dev/null 2> e1.txt
	status=$?
	set -e
	assert_eq "unknown container exits 1" "$status" 1
	grep -q "no running container matches 'ffffffffffff'" e1.txt || fail "message: $(cat e1.txt)"
	set +e
	"$MEMTRACE" --cgroup /no/such/cgroup -d 1 > /dev/null 2> e2.txt
	status=$?
	set -e
	assert_eq "unknown cgroup exits 1" "$status" 1
	grep -q "no memory cgroup '/no/such/cgroup'" e2.txt || fail "message: $(cat e2.txt)"
}

# a cgroup path longer than its column is cut (its end kept), never
# pushing the columns after it
test_long_cgroup_paths_cut_to_their_column() {
	require_bpf
	local base=/sys/fs/cgroup/memory
	[ -d "$base" ] || base=/sys/fs/cgroup
	local cg=$base/memtrace-test-$$-a-cgroup-name-far-too-long-for-forty-columns
	mkdir "$cg"
	trap 'rmdir "'"$cg"'" 2> /dev/null || true' EXIT
	"$MEMTRACE" --by cgroup -- sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" 20' sh "$cg" \
		"$WL/grow" > out.txt
	grep -q "^….*-far-too-long-for-forty-columns " out.txt || fail "the path's end is not shown: $(cat out.txt)"
	assert_aligned out.txt CGROUP POD
}
