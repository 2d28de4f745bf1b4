// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle.bpf.c - which processes are traced: sched_process_fork adds the
 * children of traced processes (under -a, every new process),
 * sched_process_exec records the new image, sched_process_exit takes the
 * final state and frees the entry. Each sends one record to userspace, in
 * order, through the ring buffer.
 */
#include "common.bpf.h"

/* include/linux/sched/signal.h: the signal struct's flag for a group exit. */
#define MT_SIGNAL_GROUP_EXIT 0x00000004

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct mm_struct *mm = child->mm;
	__u32 flags = MT_PROC_LAYOUT_KNOWN; /* a copy of its parent's mappings */

	if (child->pid != child->tgid) /* a new thread, not a process */
		return 0;
	if (!cfg_trace_all && (!cfg_follow_children || !lookup_proc(parent->tgid)))
		return 0;
	if (!mm || mm == parent->mm) {
		/*
		 * vfork/CLONE_VM: the child borrows its parent's mm until it execs;
		 * counting it for both would double the group's sum.
		 */
		flags |= MT_PROC_AWAIT_EXEC;
		mm = NULL;
	}
	/* fork copied the parent's page tables: that is the child's RSS now */
	track_new_process(child, mm, parent->tgid, flags, bpf_ktime_get_ns(), MT_EV_FORK);
	return 0;
}
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct mt_proc_entry *e;
	struct mm_struct *mm = task->mm;
	__u64 now = bpf_ktime_get_ns();

	if (!mm)
		return 0;
	e = lookup_proc(task->tgid);
	if (!e) {
		track_found_process(task, mm); /* -a: it starts with this image */
		return 0;
	}
	/* memtrace's own copy before exec is not CMD: its faults, its cgroup (no memory yet) */
	if (e->proc.flags & MT_PROC_AWAIT_EXEC) {
		e->proc.faults_base = task_faults(task);
		e->proc.cgroup_id = task_memcg_id(task);
	}
	/* from now on the entry accounts the new image's mm */
	e->proc.mm = (__u64)mm;
	e->proc.flags &= ~(MT_PROC_AWAIT_EXEC | MT_PROC_ADOPT_MM | MT_PROC_LAYOUT_KNOWN);
	bpf_probe_read_kernel_str(e->proc.comm, sizeof(e->proc.comm), task->comm);
	proc_update_from_mm(e, mm);
	emit_proc_event(MT_EV_EXEC, task, e->proc.ppid, e->proc.start_ns, now);
	return 0;
}

static __always_inline __s32 wait_status(struct task_struct *task)
{
	struct signal_struct *signal = task->signal;

	if (signal->flags & MT_SIGNAL_GROUP_EXIT)
		return signal->group_exit_code;
	return task->exit_code;
}

/* The process is reported: unpublish its entry and give the slot back. */
static __always_inline void release_slot(struct mt_proc_entry *e, __u32 tgid)
{
	__u32 *published = bpf_map_lookup_elem(&proc_slot, &tgid);
	__u32 slot;

	if (!published)
		return;
	slot = *published;
	*published = 0;
	e->proc.tgid = 0;
	bpf_map_push_elem(&free_slots, &slot, 0);
}

/*
 * The last thread of a traced process exits. The tracepoint fires before
 * exit_mm(), so the mm still holds the final counters and the kernel's own
 * high-water marks (VmHWM, VmPeak) for the cross-check.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit, struct task_struct *task, bool group_dead)
{
	struct mt_proc_entry *e;
	struct mt_exit_event *ev;
	struct mm_struct *mm = task->mm;
	__s64 delta[MT_NR_COUNTERS];
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = task->tgid;
	__u64 hiwater;
	int i;

	if (!group_dead)
		return 0;
	e = lookup_proc(tgid);
	if (!e) {
		forget_out_of_scope(tgid);
		return 0;
	}
	e->proc.faults = task_faults(task) - e->proc.faults_base;
	if (mm && e->proc.mm == (__u64)mm) {
		proc_update_from_mm(e, mm);
		hiwater = pages_to_bytes(mm->hiwater_rss);
		e->proc.hiwater_rss = hiwater > e->proc.rss.rss ? hiwater : e->proc.rss.rss;
		hiwater = pages_to_bytes(mm->hiwater_vm);
		if (hiwater > e->proc.peak_vm)
			e->proc.peak_vm = hiwater;
	}
	/* the teardown that follows (exit_mmap, the OOM reaper) is not accounted */
	e->proc.mm = 0;

	/* the process's memory leaves the group's sum (its teardown is not tracked) */
	bpf_spin_lock(&e->lock);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		delta[i] = -(__s64)e->proc.counters[i];
	bpf_spin_unlock(&e->lock);
	groups_add(e->proc.cgroup_id, delta, -(__s64)e->proc.vm, now);

	e->proc.exit_ns = now;
	e->proc.exit_status = wait_status(task);
	e->proc.flags |= MT_PROC_EXITED;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		/* keep the entry: userspace reports it from the map and counts the drop */
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return 0;
	}
	ev->hdr.type = MT_EV_EXIT;
	ev->hdr.pid = tgid;
	ev->hdr.time_ns = now;
	ev->proc = e->proc;
	submit_lazily(ev);
	release_slot(e, tgid);
	return 0;
}
