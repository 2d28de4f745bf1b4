# deploy.sh - the deployment files under deploy/: the systemd unit checked by
# systemd-analyze and its command run for real; the DaemonSet's structure
# checked, and its container's arguments run for real. (No Kubernetes
# cluster or systemd as PID 1 here: neither is started by its manager.) And
# the Prometheus rules, checked and unit-tested with promtool.

test_systemd_unit_verifies_and_serves() {
	require_bpf
	command -v systemd-analyze > /dev/null || fail "systemd-analyze is missing"
	sed "s|/usr/local/bin/memtrace|$MEMTRACE|" "$ROOT/deploy/memtrace.service" > memtrace.service
	systemd-analyze verify ./memtrace.service || fail "systemd-analyze rejects the unit"
	local cmd
	cmd=$(sed -n 's/^ExecStart=//p' memtrace.service)
	grep -q -- '--listen 127.0.0.1:' <<< "$cmd" || fail "the unit does not bind to loopback: $cmd"
	# shellcheck disable=SC2086
	$cmd > serve.out 2> serve.err &
	local pid=$! status=0
	wait_for serve.err "serving http://127.0.0.1:9464/metrics"
	curl -sf http://127.0.0.1:9464/metrics | grep -q '^memtrace_traced_processes ' || fail "no metrics"
	kill -TERM "$pid" # systemctl stop
	wait "$pid" || status=$?
	assert_eq "stops cleanly on SIGTERM" "$status" 0
}

test_daemonset_manifest() {
	require_bpf
	/usr/bin/python3 - "$ROOT/deploy/kubernetes/daemonset.yaml" > args.txt <<'PY' || fail "manifest check failed"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
pod = ds["spec"]["template"]
spec, meta = pod["spec"], pod["metadata"]
c = spec["containers"][0]
assert ds["spec"]["selector"]["matchLabels"].items() <= meta["labels"].items(), "selector"
assert spec["hostPID"] is True, "hostPID"
assert c["securityContext"]["privileged"] is True, "privileged"
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
volumes = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]}
for path in ("/sys/kernel/btf", "/sys/fs/cgroup"):
    assert volumes[mounts[path]] == path, path
ann = meta["annotations"]
assert ann["prometheus.io/scrape"] == "true", "scrape annotation"
port = ann["prometheus.io/port"]
assert str(c["ports"][0]["containerPort"]) == port, "annotation port vs containerPort"
args = c["args"]
# the image's entrypoint is `memtrace serve` (tests/integration/package.sh runs it)
assert args[args.index("--listen") + 1].endswith(":" + port), "listen port"
print(" ".join(["serve"] + args))
PY
	# the container's arguments, run here (on loopback and a free port instead of the pod's IP)
	local port args
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	args=$(sed "s/0.0.0.0:9464/127.0.0.1:$port/" args.txt)
	# shellcheck disable=SC2086
	"$MEMTRACE" $args > serve.out 2> serve.err &
	local pid=$!
	wait_for serve.err "serving http://127.0.0.1:$port/metrics"
	curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^memtrace_build_info' || fail "no metrics"
	kill -TERM "$pid"
	wait "$pid" || true
}

# deploy/prometheus/memtrace-rules.yml: valid, and its recording rules and
# alerts give the known answers on series shaped like memtrace serve's
# (tests/prometheus/memtrace-rules.test.yml)
test_prometheus_rules() {
	command -v promtool > /dev/null || fail "promtool is missing (tools/install-deps.sh test)"
	promtool check rules "$ROOT/deploy/prometheus/memtrace-rules.yml" > check.out 2>&1 ||
		fail "promtool check rules: $(cat check.out)"
	(cd "$ROOT/tests/prometheus" && promtool test rules memtrace-rules.test.yml) > test.out 2>&1 ||
		fail "promtool test rules: $(cat test.out)"
}
