// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * lifecycle.bpf.c - which processes are traced: sched_process_fork adds the
 * children of traced processes (under -a, every new process),
 * sched_process_exec records the new image, sched_process_exit takes the
 * final state and frees the entry. Each sends one record to userspace, in
 * order, through the ring buffer.
 */
#include "common.bpf.h"
#include "python.bpf.h"

/* include/linux/sched/signal.h: the signal struct's flag for a group exit. */
#define MT_SIGNAL_GROUP_EXIT 0x00000004

/*
 * Kernels that run tracepoint programs preemptibly (seen on 7.2) skip a
 * program for every event on a CPU where that same program is preempted
 * (the kernel counts them: recursion_misses, drops.program_misses). A
 * skipped fork or exit loses a whole process, so each has a second program
 * on the same tracepoint, run right after the first for the same event: it
 * does nothing when the first one ran.
 */
static __always_inline void process_forked(struct task_struct *parent, struct task_struct *child)
{
	struct mm_struct *mm = child->mm;
	__u32 flags = MT_PROC_LAYOUT_KNOWN; /* a copy of its parent's mappings */

	if (child->pid != child->tgid) /* a new thread, not a process */
		return;
	if (!cfg_trace_all && (!cfg_follow_children || !lookup_proc(parent->tgid)))
		return;
	if (!mm || mm == BPF_CORE_READ(parent, mm)) {
		/*
		 * vfork/CLONE_VM: the child borrows its parent's mm until it execs;
		 * counting it for both would double the group's sum.
		 */
		flags |= MT_PROC_AWAIT_EXEC;
		mm = NULL;
	}
	/* fork copied the parent's page tables: that is the child's RSS now */
	if (track_new_process(child, mm, parent->tgid, flags, bpf_ktime_get_ns(), MT_EV_FORK) &&
	    mm)
		py_on_fork(parent->tgid, child->tgid);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	process_forked(parent, child);
	return 0;
}

/* the second program: the child has an entry (or is out of scope) if the first one ran */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_sched_process_fork_again, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = child->tgid, *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	if (slot && !*slot)
		process_forked(parent, child);
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
	/* from now on the entry accounts the new image's mm; exec folded the old one's mark in */
	e->proc.mm = (__u64)mm;
	e->proc.leader = (__u64)task; /* exec made it the leader */
	e->proc.maxrss_base = pages_to_bytes(BPF_CORE_READ(task, signal, maxrss));
	e->proc.flags &= ~(MT_PROC_AWAIT_EXEC | MT_PROC_ADOPT_MM | MT_PROC_LAYOUT_KNOWN);
	py_forget(task->tgid);
	bpf_probe_read_kernel_str(e->proc.comm, sizeof(e->proc.comm), task->comm);
	proc_update_from_mm(e, mm);
	emit_proc_event(MT_EV_EXEC, task, e->proc.ppid, e->proc.start_ns, now);
	return 0;
}

static __always_inline __s32 wait_status(struct task_struct *task)
{
	struct signal_struct *signal = BPF_CORE_READ(task, signal);

	if (BPF_CORE_READ(signal, flags) & MT_SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(signal, group_exit_code);
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
 * The last thread of a traced process exits: take its final state, send it,
 * free the entry. `mm` is the process's mm when the tracepoint fires before
 * exit_mm() (its form with group_dead, newer than 6.12: the counters are read once more), NULL when it
 * fires after (the counters are final already: exit_mm() folds the thread's
 * cache, firing rss_stat, before it lets go). `hiwater_mm` holds the
 * kernel's own high-water marks (VmHWM, VmPeak) for the cross-check: the
 * mm itself, or after exit_mm() the task's active_mm, which it keeps a
 * reference to until it is scheduled out.
 */
static __always_inline void process_exited(struct task_struct *task, struct mm_struct *mm,
					   struct mm_struct *hiwater_mm)
{
	struct mt_proc_entry *e;
	struct mt_exit_event *ev;
	__s64 delta[MT_NR_COUNTERS];
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = task->tgid, flags;
	__u64 hiwater;
	bool locked;
	int i;

	e = lookup_proc(tgid);
	if (!e) {
		forget_not_traced(tgid);
		return;
	}
	/* with the older tracepoint two exiting threads may both find the group dead: one reports */
	locked = lock_proc(e);
	flags = e->proc.flags;
	e->proc.flags |= MT_PROC_EXITING;
	unlock_proc(e, locked);
	if (flags & MT_PROC_EXITING)
		return;
	py_forget(tgid);

	e->proc.faults = task_faults(task) - e->proc.faults_base;
	/*
	 * A -p process exiting before its first event of its own: the mm it
	 * exits from is its own. Not active_mm after exit_mm(): another
	 * process's if the task was scheduled out meanwhile (seed_running_task()
	 * told it its mm at attach).
	 */
	if ((flags & MT_PROC_ADOPT_MM) && mm)
		e->proc.mm = (__u64)mm;
	if (mm && e->proc.mm == (__u64)mm)
		proc_update_from_mm(e, mm);
	if (hiwater_mm && e->proc.mm == (__u64)hiwater_mm) {
		/* VmHWM is the larger of hiwater_rss and the current RSS (get_mm_hiwater_rss()) */
		hiwater = pages_to_bytes(BPF_CORE_READ(hiwater_mm, hiwater_rss));
		e->proc.hiwater_rss = hiwater > e->proc.rss.rss ? hiwater : e->proc.rss.rss;
		hiwater = pages_to_bytes(BPF_CORE_READ(hiwater_mm, hiwater_vm));
		if (hiwater > e->proc.peak_vm)
			e->proc.peak_vm = hiwater;
	} else if (!mm && e->proc.maxrss_base != MT_MAXRSS_UNKNOWN) {
		/*
		 * After exit_mm(), active_mm is another process's if the task was
		 * scheduled out meanwhile (exit_mmap() reschedules): then the mark
		 * do_exit() folded into signal->maxrss before exit_mm() is this
		 * image's VmHWM, if it is above what earlier images left there.
		 */
		hiwater = pages_to_bytes(BPF_CORE_READ(task, signal, maxrss));
		if (hiwater > e->proc.maxrss_base)
			e->proc.hiwater_rss = hiwater;
	}
	/* the teardown that follows (exit_mmap, the OOM reaper) is not accounted */
	e->proc.mm = 0;

	/* the process's memory leaves the group's sum (its teardown is not tracked) */
	locked = lock_proc(e);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		delta[i] = -(__s64)e->proc.counters[i];
	unlock_proc(e, locked);
	groups_add(e->proc.cgroup_id, delta, -(__s64)e->proc.vm, 0, now);

	e->proc.exit_ns = now;
	e->proc.exit_status = wait_status(task);
	e->proc.flags |= MT_PROC_EXITED;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		/* keep the entry: userspace reports it from the map, frees it, counts the drop */
		e->proc.flags |= MT_PROC_EXIT_LOST;
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return;
	}
	ev->hdr.type = MT_EV_EXIT;
	ev->hdr.pid = tgid;
	ev->hdr.time_ns = now;
	ev->proc = e->proc;
	submit_lazily(ev);
	release_slot(e, tgid);
}

/* Newer than 6.12: fired before exit_mm(), and says whether the thread group is dead. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit, struct task_struct *task, bool group_dead)
{
	if (group_dead)
		process_exited(task, task->mm, task->mm);
	return 0;
}

/* the second program (see process_forked()): the entry is gone if the first one ran */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit_again, struct task_struct *task, bool group_dead)
{
	if (group_dead)
		process_exited(task, task->mm, task->mm);
	return 0;
}

/*
 * 6.12 and older (the loader picks one of the two from the tracepoint's BTF):
 * fired after exit_mm(), one argument. Every exiting thread has decremented
 * signal->live by then: the group is dead when it is 0.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit_after_mm, struct task_struct *task)
{
	if (!BPF_CORE_READ(task, signal, live.counter))
		process_exited(task, NULL, BPF_CORE_READ(task, active_mm));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_sched_process_exit_after_mm_again, struct task_struct *task)
{
	if (!BPF_CORE_READ(task, signal, live.counter))
		process_exited(task, NULL, BPF_CORE_READ(task, active_mm));
	return 0;
}

/*
 * The last resort for an exit both programs above missed (7.2 runs them
 * preemptibly, migration off: a program preempted on a CPU is skipped there
 * for every other task until it resumes; 4 exiting children under TCG lose
 * one in a run of 10). A task is freed an RCU grace period after it is
 * reaped, in softirq context, which nothing preempts; its mm is gone, its
 * VmHWM is the signal->maxrss fallback, and the exit time is the free's
 * (a zombie's, when its parent reaps it). The pid was released before and
 * may name a new process already (ns_last_pid, clone3's set_tid): the
 * entry must be this task's.
 */
SEC("tp_btf/sched_process_free")
int BPF_PROG(on_sched_process_free, struct task_struct *task)
{
	struct mt_proc_entry *e = lookup_proc(task->tgid);

	if (e && e->proc.leader == (__u64)task)
		process_exited(task, NULL, NULL);
	return 0;
}

/*
 * Run once by userspace after it seeded the processes it found running and
 * attached (mt_tracer__complete_seeds(), src/loader.c): each learns its mm,
 * its leader task and the marks its earlier images left in signal->maxrss,
 * which /proc does not show (the base of the VmHWM fallback at exit in
 * process_exited()).
 */
SEC("iter/task")
int seed_running_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct mm_struct *mm;
	struct mt_proc_entry *e;
	__u64 maxrss;
	bool locked;

	if (!task || task->pid != task->tgid)
		return 0;
	e = lookup_proc(task->tgid);
	if (!e || e->proc.maxrss_base != MT_MAXRSS_UNKNOWN)
		return 0;
	mm = BPF_CORE_READ(task, mm);
	maxrss = pages_to_bytes(BPF_CORE_READ(task, signal, maxrss));
	locked = lock_proc(e);
	/* an exec since seeding has set both (on_sched_process_exec()) */
	if (e->proc.maxrss_base == MT_MAXRSS_UNKNOWN) {
		e->proc.maxrss_base = maxrss;
		e->proc.leader = (__u64)task;
		if ((e->proc.flags & MT_PROC_ADOPT_MM) && mm) {
			e->proc.mm = (__u64)mm;
			e->proc.flags &= ~MT_PROC_ADOPT_MM;
		}
	}
	unlock_proc(e, locked);
	return 0;
}
