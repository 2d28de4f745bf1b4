// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle.bpf.c - which processes are traced: sched_process_fork adds the
 * children of traced processes to `procs`, sched_process_exec records the new
 * image, sched_process_exit takes the final state and removes the entry.
 * Each sends one record to userspace, in order, through the ring buffer.
 */
#include "common.bpf.h"

/* include/linux/sched/signal.h: the signal struct's flag for a group exit. */
#define MT_SIGNAL_GROUP_EXIT 0x00000004

static __always_inline void emit_proc_event(__u32 type, struct task_struct *task, __u32 ppid,
					    __u64 now, int with_args)
{
	struct mt_proc_event *e;
	unsigned long start, len;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return;
	}
	e->hdr.type = type;
	e->hdr.pid = task->tgid;
	e->hdr.time_ns = now;
	e->ppid = ppid;
	e->args_len = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	if (with_args && task->mm) {
		/* argv as the new image sees it: exec has just written it to its stack */
		start = task->mm->arg_start;
		len = task->mm->arg_end - start;
		if (len > MT_ARGS_LEN)
			len = MT_ARGS_LEN;
		if (len && bpf_probe_read_user(e->args, len & (2 * MT_ARGS_LEN - 1), (void *)start) == 0)
			e->args_len = len;
	}
	submit_lazily(e);
}

/* Take a free entry for tgid and publish it; NULL (counted) when none is left. */
static __always_inline struct mt_proc_entry *claim_slot(__u32 tgid, __u32 *slot)
{
	struct mt_proc_entry *e;
	__u32 *published;

	published = bpf_map_lookup_elem(&proc_slot, &tgid);
	if (!published || bpf_map_pop_elem(&free_slots, slot)) {
		__sync_fetch_and_add(&stats.untracked_procs, 1);
		return NULL;
	}
	e = bpf_map_lookup_elem(&procs, slot);
	if (!e) {
		__sync_fetch_and_add(&stats.untracked_procs, 1);
		return NULL;
	}
	return e;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct mt_proc_entry init = {}, *e;
	struct mt_proc *p = &init.proc;
	__s64 delta[MT_NR_COUNTERS];
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = child->tgid, slot;
	struct mm_struct *mm = child->mm;
	__u32 *published;
	int i;

	if (!cfg_follow_children || child->pid != tgid) /* a new thread, not a process */
		return 0;
	if (!lookup_proc(parent->tgid))
		return 0;

	p->tgid = tgid;
	p->ppid = parent->tgid;
	p->start_ns = now;
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), child->comm);
	if (!mm || mm == parent->mm) {
		/*
		 * vfork/CLONE_VM: the child borrows its parent's mm until it execs;
		 * counting it for both would double the group's sum.
		 */
		p->flags = MT_PROC_AWAIT_EXEC;
	} else {
		/* fork copied the parent's page tables: that is the child's RSS now */
		p->mm = (__u64)mm;
		read_counters(mm, p->counters);
		p->vm = pages_to_bytes(mm->total_vm);
		p->peak_vm = p->vm;
		for (i = 0; i < MT_NR_COUNTERS; i++)
			p->peak_counters[i] = p->counters[i];
		mt_track_init(&p->rss, resident(p->counters), now);
	}
	e = claim_slot(tgid, &slot);
	if (!e)
		return 0;
	/* fill the entry, then publish it (a leftover of a reused pid is swept by userspace) */
	e->proc = init.proc;
	published = bpf_map_lookup_elem(&proc_slot, &tgid);
	if (published)
		*published = slot;
	emit_proc_event(MT_EV_FORK, child, parent->tgid, now, 0);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		delta[i] = p->counters[i];
	group_add(delta, p->vm, now);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_sched_process_exec, struct task_struct *task, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	struct mt_proc_entry *e;
	struct mm_struct *mm = task->mm;
	__u64 now = bpf_ktime_get_ns();

	e = lookup_proc(task->tgid);
	if (!e || !mm)
		return 0;
	/* faults of memtrace's own copy before exec are not CMD's */
	if (e->proc.flags & MT_PROC_AWAIT_EXEC)
		e->proc.faults_base = task_faults(task);
	/* from now on the entry accounts the new image's mm */
	e->proc.mm = (__u64)mm;
	e->proc.flags &= ~(MT_PROC_AWAIT_EXEC | MT_PROC_ADOPT_MM);
	bpf_probe_read_kernel_str(e->proc.comm, sizeof(e->proc.comm), task->comm);
	proc_update_from_mm(e, mm);
	emit_proc_event(MT_EV_EXEC, task, e->proc.ppid, now, 1);
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
	if (!e)
		return 0;
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
	group_add(delta, -(__s64)e->proc.vm, now);

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
