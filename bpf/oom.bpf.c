// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * oom.bpf.c - OOM kills: oom:mark_victim, the moment the OOM killer (global
 * or a memcg's) chooses a victim, as a BTF tracepoint (kprobes are not
 * available on many kernels, this one included). Sends the victim, its
 * memory cgroup and its memory at that moment.
 */
#include "common.bpf.h"

/*
 * The victim's memcg as the kernel counts it, read now: its cgroup may be
 * gone before userspace could read its files (a container is removed as
 * soon as its last process dies).
 */
static __always_inline void read_memcg(struct task_struct *task, struct mt_oom_event *ev)
{
	struct cgroup_subsys_state *css = task_memcg_css(task);
	struct mem_cgroup *memcg;
	unsigned long limit;

	if (!css)
		return;
	/* the verifier types css as itself: read the enclosing memcg with CO-RE probe reads */
	memcg = container_of(css, struct mem_cgroup, css);
	ev->memcg_usage = pages_to_bytes(BPF_CORE_READ(memcg, memory.usage.counter));
	ev->memcg_peak = pages_to_bytes(BPF_CORE_READ(memcg, memory.watermark));
	limit = BPF_CORE_READ(memcg, memory.max);
	/* PAGE_COUNTER_MAX means no limit: report it as 0 */
	ev->memcg_limit = limit < (1ul << 40) ? pages_to_bytes(limit) : 0;
}

static __always_inline struct mt_oom_event *reserve_oom_event(__u32 tgid)
{
	struct mt_oom_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return NULL;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = MT_EV_OOM;
	ev->hdr.pid = tgid;
	ev->hdr.time_ns = bpf_ktime_get_ns();
	return ev;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(on_mark_victim, struct task_struct *task, uid_t uid)
{
	struct mm_struct *mm = task->mm;
	struct mt_proc_entry *e;
	struct mt_oom_event *ev;

	e = lookup_proc(task->tgid);
	if (!e && !cfg_trace_all)
		return 0;
	if (e)
		e->proc.flags |= MT_PROC_OOM_KILLED;
	ev = reserve_oom_event(task->tgid);
	if (!ev)
		return 0;
	ev->cgroup_id = task_memcg_id(task);
	bpf_probe_read_kernel_str(ev->comm, sizeof(ev->comm), task->comm);
	if (mm)
		read_counters(mm, ev->counters);
	read_memcg(task, ev);
	/* an OOM kill is rare and urgent: wake the consumer */
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/*
 * On older kernels (5.10 here) mark_victim carries only the victim's pid (the loader picks one
 * of the two from the tracepoint's BTF): the victim is known only if it is
 * traced, and its memory is its entry's. Its memcg's figures are left for
 * userspace to read from the cgroup's files (MT_OOM_MEMCG_UNREAD).
 */
SEC("tp_btf/mark_victim")
int BPF_PROG(on_mark_victim_pid, int pid)
{
	struct mt_proc_entry *e = lookup_proc(pid);
	struct mt_oom_event *ev;
	bool locked;
	int i;

	if (!e)
		return 0;
	e->proc.flags |= MT_PROC_OOM_KILLED;
	ev = reserve_oom_event(pid);
	if (!ev)
		return 0;
	ev->flags = MT_OOM_FROM_ENTRY | MT_OOM_MEMCG_UNREAD;
	ev->cgroup_id = e->proc.cgroup_id;
	__builtin_memcpy(ev->comm, e->proc.comm, sizeof(ev->comm));
	locked = lock_proc(e);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		ev->counters[i] = e->proc.counters[i];
	unlock_proc(e, locked);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
