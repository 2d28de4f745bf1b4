# guest_cgroup2.sh - tests the kernel matrix runs in its guests only: a pure
# cgroup2 host (the guest mounts nothing else), where memory limits and the
# memory controller live in the unified hierarchy. The development machine
# is hybrid (v1 memory), so these run nowhere else.

CG=/sys/fs/cgroup
CTR_ID=4b825dc642cb6eb9a060e54bf8d69288fbee4904aabbccddeeff001122334455

require_cgroup2() {
	grep -q " $CG cgroup2 " /proc/mounts || fail "$CG is not cgroup2 in this guest"
	grep -qw memory $CG/cgroup.controllers || fail "no memory controller in $CG"
}

# A Docker-shaped cgroup (systemd driver) with a memory limit and no swap.
make_container_cgroup() {
	local limit=$1
	echo +memory > $CG/cgroup.subtree_control
	mkdir -p $CG/system.slice
	echo +memory > $CG/system.slice/cgroup.subtree_control
	CTR=$CG/system.slice/docker-$CTR_ID.scope
	mkdir -p "$CTR"
	echo "$limit" > "$CTR/memory.max"
	[ -e "$CTR/memory.swap.max" ] && echo 0 > "$CTR/memory.swap.max"
	return 0
}

# Run a command inside the container's cgroup, waiting for it.
in_container() {
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CTR" "$@"
}

# -a on cgroup2: a process in a container is attributed to it (the exact peak
# of its processes' sum, the runtime and id from the path, the memcg's limit),
# and an OOM kill inside it is reported with its cgroup and the limit it hit
test_cgroup2_container_and_oom_kill() {
	require_bpf
	require_cgroup2
	make_container_cgroup $((48 * MIB))
	"$MEMTRACE" -a -i 0 --by container --json r.json > report.txt 2> err.txt &
	local mt=$!
	wait_for err.txt "and every new one"
	in_container "$WL/grow" 32 > grow.out
	set +e
	in_container "$WL/grow" 96 > oom.out
	local status=$?
	set -e
	assert_eq "the 96 MiB process was killed" "$status" 137
	kill -INT "$mt"
	wait "$mt" || true
	local g=".groups[] | select(.container_id == \"$CTR_ID\")"
	assert_eq "runtime" "$(jqf "$g | .runtime" r.json)" docker
	assert_eq "cgroup path" "$(jqf "$g | .cgroup" r.json)" "/system.slice/docker-$CTR_ID.scope"
	assert_eq "memcg limit" "$(jqf "$g | .memcg.limit_bytes" r.json)" $((48 * MIB))
	assert_ge "container peak covers the 32 MiB process" "$(jqf "$g | .peak_rss_bytes" r.json)" \
		"$(kv vmhwm_bytes grow.out)"
	assert_eq "one OOM kill" "$(jqf '.oom_kills | length' r.json)" 1
	assert_eq "victim" "$(jqf '.oom_kills[0].comm' r.json)" grow
	assert_eq "its container" "$(jqf '.oom_kills[0].container_id' r.json)" "$CTR_ID"
	assert_eq "its cgroup" "$(jqf '.oom_kills[0].cgroup' r.json)" "/system.slice/docker-$CTR_ID.scope"
	assert_eq "the limit it hit" "$(jqf '.oom_kills[0].memcg_limit_bytes' r.json)" $((48 * MIB))
	assert_ge "its memory when chosen" "$(jqf '.oom_kills[0].anon_rss_bytes' r.json)" $((24 * MIB))
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
	grep -q "OOM kill" report.txt || fail "text report lacks the OOM kill: $(cat report.txt)"
}

# --container ID on cgroup2: only that container's processes are traced
test_cgroup2_container_scope() {
	require_bpf
	require_cgroup2
	make_container_cgroup max
	"$MEMTRACE" --container "${CTR_ID:0:12}" -i 0 --json r.json > /dev/null 2> err.txt &
	local mt=$!
	wait_for err.txt "and every new one"
	in_container "$WL/maxrss" "$WL/grow" 24 > in.out
	"$WL/grow" 40 > out.out
	kill -INT "$mt"
	wait "$mt" || true
	assert_eq "only the container's process" "$(jqf '[.processes[] | select(.comm == "grow")] | length' r.json)" 1
	assert_within "its peak vs its maxrss" "$(jqf '.processes[] | select(.comm == "grow") | .peak_rss_bytes' r.json)" \
		"$(kv child_maxrss_bytes in.out)" 1
	assert_eq "lost events" "$(jqf .lost_events r.json)" 0
}
