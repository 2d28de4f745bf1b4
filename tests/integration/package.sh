# package.sh - what `make deb` and `make image` built (make test builds
# both), used the way users use them: the package installed with dpkg into a
# fresh Debian 12 root (debootstrap, cached by tools/debian-root.sh), where
# --version, man and a traced command work; the OCI image unpacked with
# umoci and run with runc the way deploy/kubernetes/daemonset.yaml runs it.

# run a command in the root, with /proc, /sys and /dev as a host's, in a
# mount namespace of its own (nothing stays mounted)
in_root() {
	unshare --mount --fork sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" "$@"' _ "$TMP/root" "$@"
}

test_deb_installs_and_runs_in_debian_12() {
	require_bpf
	local deb
	deb=$OUT/memtrace_$(package_version)_$(dpkg --print-architecture).deb
	[ -s "$deb" ] || fail "$deb is missing (make deb)"
	dpkg-deb -c "$deb" > contents.txt
	for path in ./usr/bin/memtrace ./usr/share/man/man1/memtrace.1.gz \
		./usr/share/bash-completion/completions/memtrace ./lib/systemd/system/memtrace.service \
		./usr/share/memtrace/prometheus/memtrace-rules.yml ./usr/share/doc/memtrace/copyright; do
		grep -q " $path\$" contents.txt || fail "the package lacks $path"
	done
	dpkg-deb -f "$deb" Depends | grep -q 'libbpf1' || fail "Depends: $(dpkg-deb -f "$deb" Depends)"

	cp -a "$("$ROOT/tools/debian-root.sh" bookworm man-db "$deb")" root
	grep -q '^12\.' root/etc/debian_version || fail "not a Debian 12 root: $(cat root/etc/debian_version)"
	cp "$deb" root/tmp/memtrace.deb
	in_root dpkg -i /tmp/memtrace.deb > dpkg.out 2>&1 || fail "dpkg -i: $(cat dpkg.out)"
	# installed, not enabled: no unit link under multi-user.target.wants
	[ ! -e root/etc/systemd/system/multi-user.target.wants/memtrace.service ] || fail "the unit is enabled"
	grep -q 'ExecStart=/usr/bin/memtrace serve' root/lib/systemd/system/memtrace.service ||
		fail "the unit does not run /usr/bin/memtrace"

	in_root memtrace --version > version.txt
	assert_eq "--version" "$(head -n 1 version.txt)" "memtrace $(package_version)"
	grep -q '^BTF: yes' version.txt || fail "no BTF line: $(cat version.txt)"
	in_root env MANWIDTH=80 man -P cat memtrace > man.txt 2> man.err || fail "man memtrace: $(cat man.err)"
	grep -q 'memtrace - exact memory peaks' man.txt || fail "man memtrace: $(head -n 5 man.txt)"

	cp "$WL/grow-static" root/usr/local/bin/grow
	in_root memtrace -q --json /tmp/r.json -- /usr/local/bin/grow 48 > grow.out
	assert_ge "peak of the traced command" "$(jqf .peak_rss_bytes root/tmp/r.json)" $((48 * MIB))
	assert_eq "lost events" "$(jqf .lost_events root/tmp/r.json)" 0
}

# the DaemonSet's image, args and mounts, from the manifest; a hostPath the
# kubelet would create (DirectoryOrCreate) and this host lacks is an empty
# directory of the test's instead
daemonset_container() {
	/usr/bin/python3 - "$ROOT/deploy/kubernetes/daemonset.yaml" "$TMP" <<'PY'
import json, os, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
def source(volume):
    path = volume["hostPath"]["path"]
    if os.path.exists(path) or volume["hostPath"].get("type") != "DirectoryOrCreate":
        return path
    empty = os.path.join(sys.argv[2], "created-" + volume["name"])
    os.makedirs(empty, exist_ok=True)
    return empty
volumes = {v["name"]: source(v) for v in spec["volumes"]}
print(json.dumps({"image": c["image"], "args": c["args"], "hostPID": spec["hostPID"],
                  "mounts": [{"host": volumes[m["name"]], "path": m["mountPath"],
                              "ro": m.get("readOnly", False)} for m in c["volumeMounts"]]}))
PY
}

test_image_runs_like_the_daemonset() {
	require_bpf
	local version image port
	version=$(package_version)
	image=$OUT/memtrace-$version-oci.tar
	[ -s "$image" ] || fail "$image is missing (make image)"
	daemonset_container > ds.json
	assert_eq "the DaemonSet's image" "$(jq -r .image ds.json)" "memtrace:$version"
	assert_eq "hostPID" "$(jq -r .hostPID ds.json)" true

	# what registries and podman take: skopeo reads it as an OCI archive
	skopeo copy -q "oci-archive:$image:$version" dir:copied || fail "skopeo cannot read $image"
	assert_eq "architecture" "$(jq -r .architecture copied/"$(jq -r .config.digest copied/manifest.json | cut -d: -f2)")" \
		"$(dpkg --print-architecture)"
	mkdir layout
	tar -C layout -xf "$image"
	umoci unpack --image "layout:$version" bundle > /dev/null
	# entrypoint `memtrace serve`, by default on every address of the pod
	assert_eq "entrypoint and cmd" "$(jq -c .process.args bundle/config.json)" \
		'["/usr/bin/memtrace","serve","--listen","0.0.0.0:9464"]'
	[ "$(du -sm bundle/rootfs | cut -f1)" -lt 64 ] || fail "the image is $(du -sh bundle/rootfs | cut -f1)"

	# runc as the kubelet would: the entrypoint with the manifest's args (on a
	# free port of the host's network: there is no pod network here), the
	# host's pids (hostPID), privileged (every capability, no seccomp, no
	# masked paths), the manifest's mounts read-only
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# privileged: every capability this host's runtime has
	capsh --decode="$(awk '/^CapBnd/ { print $2 }' /proc/self/status)" |
		sed 's/.*=//' | tr ',' '\n' | tr '[:lower:]' '[:upper:]' | jq -R . | jq -s . > caps.json
	jq --argjson ds "$(cat ds.json)" --arg port "$port" --argjson caps "$(cat caps.json)" '
		.process.args = (.process.args[0:2] + ($ds.args | map(sub(":9464$"; ":" + $port))))
		| .process.terminal = false
		| .process.capabilities = (.process.capabilities | map_values($caps))
		| del(.linux.seccomp, .linux.maskedPaths, .linux.readonlyPaths)
		| .linux.namespaces = (.linux.namespaces | map(select(.type != "pid" and .type != "network")))
		| .mounts = [.mounts[] | select(.destination as $d | $ds.mounts | map(.path) | index($d) | not)]
		| .mounts += ($ds.mounts | map({destination: .path, source: .host, type: "bind",
			options: (["rbind"] + (if .ro then ["ro"] else [] end))}))
		| .root.readonly = true' bundle/config.json > config.json
	mv config.json bundle/config.json
	jq -r '.process.args | join(" ")' bundle/config.json
	local name=memtrace-image-$$
	runc run -d --bundle bundle "$name" > runc.out 2>&1 || fail "runc run: $(cat runc.out)"
	local tries=100 metrics=
	while [ $tries -gt 0 ]; do
		metrics=$(curl -sf "http://127.0.0.1:$port/metrics") && break
		tries=$((tries - 1))
		sleep 0.1
	done
	runc kill "$name" TERM 2>/dev/null || true
	sleep 0.5
	runc delete --force "$name" 2>/dev/null || true
	[ -n "$metrics" ] || fail "no /metrics on port $port"
	grep -q "^memtrace_build_info{version=\"$version\"" <<< "$metrics" || fail "no build info"
	# hostPID: it sees the host's processes, not just its own
	local traced
	traced=$(sed -n 's/^memtrace_traced_processes \([0-9]*\)$/\1/p' <<< "$metrics")
	assert_ge "host processes traced" "${traced:-0}" 10
	assert_eq "lost events" "$(sed -n 's/^memtrace_lost_events_total \([0-9]*\)$/\1/p' <<< "$metrics")" 0
}
