// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroup.bpf.c - cgroups: a traced process moving to another cgroup
 * (cgroup:cgroup_attach_task), and every new cgroup's id and path
 * (cgroup:cgroup_mkdir), so that userspace can name the cgroup of a
 * container that lived for milliseconds, gone before anyone could look.
 */
#include "common.bpf.h"

/*
 * A process moved to another cgroup (a container runtime placing its init,
 * systemd moving a service): its memory moves from one cgroup's sum to the
 * other's; the sum of everything traced does not change.
 */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(on_cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	__s64 out[MT_NR_COUNTERS], in[MT_NR_COUNTERS];
	struct mt_group_entry *g;
	struct mt_proc_entry *e;
	__u64 now, from, to;
	__s64 vm;
	bool locked;
	int i;

	e = lookup_proc(task->tgid);
	if (!e) {
		/* --cgroup/--container: a process moving into the subtree is traced from now on */
		if (cfg_scope_cgroup_id) {
			forget_not_traced(task->tgid); /* outside before the move: ask again */
			track_found_process(task, task->mm);
		}
		return 0;
	}
	to = task_memcg_id(task);
	locked = lock_proc(e);
	from = e->proc.cgroup_id;
	e->proc.cgroup_id = to;
	for (i = 0; i < MT_NR_COUNTERS; i++) {
		in[i] = e->proc.counters[i];
		out[i] = -in[i];
	}
	vm = e->proc.vm;
	unlock_proc(e, locked);
	if (from == to)
		return 0;
	now = bpf_ktime_get_ns();
	g = from ? cgroup_group(from) : NULL;
	if (g)
		group_entry_add(g, out, -vm, 0, now, from, cfg_cgroup_resolution);
	g = to ? cgroup_group(to) : NULL;
	if (g)
		group_entry_add(g, in, vm, 0, now, to, cfg_cgroup_resolution);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct mt_cgroup_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return 0;
	}
	e->hdr.type = MT_EV_CGROUP;
	e->hdr.pid = 0;
	e->hdr.time_ns = bpf_ktime_get_ns();
	e->id = BPF_CORE_READ(cgrp, kn, id);
	e->hierarchy_id = BPF_CORE_READ(cgrp, root, hierarchy_id);
	e->pad = 0;
	if (bpf_probe_read_kernel_str(e->path, sizeof(e->path), path) < 0)
		e->path[0] = '\0';
	submit_lazily(e);
	return 0;
}
