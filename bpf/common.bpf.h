/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * common.bpf.h - what the memtrace BPF programs share: reading an mm's
 * counters, sending timeline rows, and the two update paths every counter
 * change goes through: the process's, then the group's.
 */
#ifndef MEMTRACE_COMMON_BPF_H
#define MEMTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memtrace.h"
#include "core_fixes.bpf.h"
#include "maps.bpf.h"
#include "lock.bpf.h"
#include "rss_track.h"

static __always_inline __u64 pages_to_bytes(__s64 pages)
{
	return pages > 0 ? (__u64)pages << cfg_page_shift : 0;
}

/*
 * The mm's counters as the kernel keeps them. From 6.2 on, the folded value
 * of each percpu_counter: exact up to the per-CPU batch not yet folded
 * (max(32, 2 x CPUs) pages per CPU). Before 6.2, the mm's atomics, which
 * lack what each thread has cached and not yet folded (rss.bpf.c adds the
 * current thread's). The exact per-CPU sum is not readable from BPF
 * (docs/kernels.md). Indices are constants: the verifier rejects a variable
 * index into rss_stat.
 */
static __always_inline void read_counters(struct mm_struct *mm, __u64 c[MT_NR_COUNTERS])
{
	long pages[MT_NR_COUNTERS] = {};

	if (cfg_rss_split) {
		read_split_counters(mm, pages);
	} else {
		pages[MT_FILE] = mm->rss_stat[MM_FILEPAGES].count;
		pages[MT_ANON] = mm->rss_stat[MM_ANONPAGES].count;
		pages[MT_SWAP] = mm->rss_stat[MM_SWAPENTS].count;
		pages[MT_SHMEM] = mm->rss_stat[MM_SHMEMPAGES].count;
	}
	c[MT_FILE] = pages_to_bytes(pages[MT_FILE]);
	c[MT_ANON] = pages_to_bytes(pages[MT_ANON]);
	c[MT_SWAP] = pages_to_bytes(pages[MT_SWAP]);
	c[MT_SHMEM] = pages_to_bytes(pages[MT_SHMEM]);
}

static __always_inline __u64 resident(const __u64 c[MT_NR_COUNTERS])
{
	return c[MT_FILE] + c[MT_ANON] + c[MT_SHMEM];
}

/* The entry of a traced process; NULL for the (many) untraced ones. */
static __always_inline struct mt_proc_entry *lookup_proc(__u32 tgid)
{
	struct mt_proc_entry *e;
	__u32 *slot;

	slot = bpf_map_lookup_elem(&proc_slot, &tgid);
	if (!slot || !*slot || *slot == MT_SLOT_NOT_TRACED)
		return NULL;
	e = bpf_map_lookup_elem(&procs, slot);
	/* a slot freed and reused under a racing event names another process */
	return e && e->proc.tgid == tgid ? e : NULL;
}

/*
 * Submit a ring-buffer record, waking the consumer only once MT_WAKEUP_BYTES
 * are pending: a wakeup is an irq_work self-IPI, which costs ~5 us here
 * (10-17 us per fork+exit measured with bpf_stats); userspace drains the
 * buffer every 50 ms without being woken.
 */
static __always_inline void submit_lazily(void *record)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= MT_WAKEUP_BYTES ?
			      BPF_RB_FORCE_WAKEUP :
			      BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(record, flags);
}

static __always_inline void emit_row(__u32 pid, __u64 cgroup_id, __u64 time_ns, __u64 rss,
				     __u64 vm)
{
	struct mt_row_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return;
	}
	e->hdr.type = MT_EV_ROW;
	e->hdr.pid = pid;
	e->hdr.time_ns = time_ns;
	e->cgroup_id = cgroup_id;
	e->rss = rss;
	e->vm = vm;
	submit_lazily(e);
}

struct row_values {
	__u32 rows; /* MT_ROW_* */
	__u64 rss;
	__u64 peak;
	__u64 peak_ns;
	__u64 vm;
	__u64 vm_at_peak;
};

/* The rows due for a series: a process (pid), a cgroup (cgroup_id) or the total (both 0). */
static __always_inline void emit_rows(__u32 pid, __u64 cgroup_id, const struct row_values *v,
				      __u64 now)
{
	if (v->rows & MT_ROW_PEAK)
		emit_row(pid, cgroup_id, v->peak_ns, v->peak, v->vm_at_peak);
	if (v->rows & MT_ROW_NOW)
		emit_row(pid, cgroup_id, now, v->rss, v->vm);
}

/*
 * Add a process's change to one group's sum and track that group's peak,
 * under the group's lock: the peak of the sum is exact however many
 * processes change at once. Timeline rows are sent for the cgroup
 * `cgroup_id` (0: the total) when `resolution` is set.
 */
static __always_inline void group_entry_add(struct mt_group_entry *e,
					    const __s64 delta[MT_NR_COUNTERS], __s64 delta_vm,
					    __u64 grown, __u64 now, __u64 cgroup_id, __u64 resolution)
{
	struct row_values v = {};
	__u32 window = live_window;
	__s64 rss;
	int new_peak, i;
	bool locked;

	locked = lock_group(e, cgroup_id);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		e->group.counters[i] += delta[i];
	e->group.vm += delta_vm;
	e->group.grown_bytes += grown;
	rss = e->group.counters[MT_FILE] + e->group.counters[MT_ANON] +
	      e->group.counters[MT_SHMEM];
	if (rss < 0)
		rss = 0;
	mt_track_window(&e->group.rss, rss, window);
	v.rows = mt_track_update(&e->group.rss, rss, now, resolution, &new_peak);
	if (new_peak) {
		for (i = 0; i < MT_NR_COUNTERS; i++)
			e->group.peak_counters[i] = e->group.counters[i];
		e->group.vm_at_peak = e->group.vm;
	}
	v.rss = e->group.rss.rss;
	v.peak = e->group.rss.peak;
	v.peak_ns = e->group.rss.peak_ns;
	v.vm = e->group.vm;
	v.vm_at_peak = e->group.vm_at_peak;
	unlock_group(e, cgroup_id, locked);
	emit_rows(0, cgroup_id, &v, now);
}

static const struct mt_group_entry empty_group = {};

/* The group of a memory cgroup, created at its first use; NULL (counted) when full. */
static __always_inline struct mt_group_entry *cgroup_group(__u64 cgroup_id)
{
	struct mt_group_entry *e = bpf_map_lookup_elem(&cgroups, &cgroup_id);

	if (e)
		return e;
	/* EEXIST: another CPU created it meanwhile */
	bpf_map_update_elem(&cgroups, &cgroup_id, &empty_group, BPF_NOEXIST);
	e = bpf_map_lookup_elem(&cgroups, &cgroup_id);
	if (!e)
		__sync_fetch_and_add(&stats.cgroups_full, 1);
	return e;
}

/*
 * A change of one process: into the sum of everything traced, and its
 * cgroup's; `grown` is what its own counters grew by (0 for a process
 * joining or leaving a sum).
 */
static __always_inline void groups_add(__u64 cgroup_id, const __s64 delta[MT_NR_COUNTERS],
				       __s64 delta_vm, __u64 grown, __u64 now)
{
	struct mt_group_entry *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&group, &zero);
	if (e)
		group_entry_add(e, delta, delta_vm, grown, now, 0, cfg_resolution);
	e = cgroup_id ? cgroup_group(cgroup_id) : NULL;
	if (e)
		group_entry_add(e, delta, delta_vm, grown, now, cgroup_id, cfg_cgroup_resolution);
}

/*
 * Pointer fields off the hot path are read with BPF_CORE_READ, not loaded
 * through the typed pointer: from 6.5 on the verifier looks every pointer
 * field so loaded up by name in the kernel's BTF, linearly, up to four
 * times (btf_nested_type_is_trusted()); the fork, exec, exit and cgroup
 * programs verified in half the time after this (6.18: 30 ms -> 14 ms).
 */

/*
 * The memory controller's state of a task, in whichever hierarchy holds that
 * controller (v1 memory on a hybrid host, the unified one on cgroup2); NULL
 * if there is none. Its cgroup is the one the task's memory is charged to.
 */
static __always_inline struct cgroup_subsys_state *task_memcg_css(struct task_struct *task)
{
	int memory = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);

	if (memory < 0 || memory >= CGROUP_SUBSYS_COUNT)
		return NULL;
	return BPF_CORE_READ(task, cgroups, subsys[memory]);
}

/* The id of that cgroup: its kernfs id, the inode of its directory. */
static __always_inline __u64 task_memcg_id(struct task_struct *task)
{
	struct cgroup_subsys_state *css = task_memcg_css(task);

	return css ? BPF_CORE_READ(css, cgroup, kn, id) : 0;
}

#define MT_ALL_COUNTERS ((1u << MT_NR_COUNTERS) - 1)

/*
 * Set the counters selected by `mask` and the virtual size to what the mm
 * holds now, track the peak, and pass the change on to the group. The
 * unlocked comparison first is the fast path: the folded counters move once
 * per 32-page batch, so most events change nothing. Returns the resident
 * bytes the process grew by (0 if it did not).
 */
static __always_inline __u64 proc_update(struct mt_proc_entry *e, const __u64 c[MT_NR_COUNTERS],
					 __u32 mask, __u64 vm)
{
	struct mt_proc *p = &e->proc;
	__s64 delta[MT_NR_COUNTERS] = {}, delta_vm;
	struct row_values v = {};
	int new_peak, changed = vm != p->vm, i;
	__u64 now, cgroup_id, before, grown;
	__u32 window;
	bool locked;

	for (i = 0; i < MT_NR_COUNTERS; i++)
		changed |= (mask & (1u << i)) && c[i] != p->counters[i];
	if (!changed)
		return 0;

	now = bpf_ktime_get_ns(); /* not before the fast path: it costs ~25 ns here */
	window = live_window;
	locked = lock_proc(e);
	before = resident(p->counters);
	for (i = 0; i < MT_NR_COUNTERS; i++) {
		if (!(mask & (1u << i)))
			continue;
		delta[i] = c[i] - p->counters[i];
		p->counters[i] = c[i];
	}
	delta_vm = vm - p->vm;
	p->vm = vm;
	if (vm > p->peak_vm)
		p->peak_vm = vm;
	mt_track_window(&p->rss, resident(p->counters), window);
	v.rows = mt_track_update(&p->rss, resident(p->counters), now, cfg_resolution, &new_peak);
	if (new_peak) {
		for (i = 0; i < MT_NR_COUNTERS; i++)
			p->peak_counters[i] = p->counters[i];
		p->vm_at_peak = vm;
	}
	v.rss = p->rss.rss;
	v.peak = p->rss.peak;
	v.peak_ns = p->rss.peak_ns;
	v.vm = vm;
	v.vm_at_peak = p->vm_at_peak;
	/* read with the counters: cgroup_attach_task moves both under this lock */
	cgroup_id = p->cgroup_id;
	grown = v.rss > before ? v.rss - before : 0;
	unlock_proc(e, locked);

	emit_rows(p->tgid, 0, &v, now);
	groups_add(cgroup_id, delta, delta_vm, grown, now);
	return grown;
}

/*
 * `e` if it accounts `mm`, else NULL. An event for an mm other than the one
 * the entry accounts is ignored: the `--` child's pre-exec copy of
 * memtrace, the next image during exec (sched_process_exec switches over),
 * the old one torn down after. A process found running (-p) learns its mm
 * at its first event where `owner` (mm->owner, the process) runs on it.
 */
static __always_inline struct mt_proc_entry *entry_for_mm(struct mt_proc_entry *e,
							  struct task_struct *owner,
							  struct mm_struct *mm)
{
	if (e->proc.mm == (__u64)mm)
		return e;
	if (!(e->proc.flags & MT_PROC_ADOPT_MM) || BPF_CORE_READ(owner, mm) != mm)
		return NULL;
	e->proc.mm = (__u64)mm;
	e->proc.flags &= ~MT_PROC_ADOPT_MM;
	return e;
}

/* proc_update() of the virtual size alone. */
static __always_inline void proc_update_vm(struct mt_proc_entry *e, __u64 vm)
{
	const __u64 unused[MT_NR_COUNTERS] = {};

	proc_update(e, unused, 0, vm);
}

/* proc_update() from the mm itself: counters and total_vm read now. */
static __always_inline void proc_update_from_mm(struct mt_proc_entry *e, struct mm_struct *mm)
{
	__u64 c[MT_NR_COUNTERS];

	read_counters(mm, c);
	proc_update(e, c, MT_ALL_COUNTERS, pages_to_bytes(mm->total_vm));
}

/*
 * Page faults of a process so far: the kernel's own per-task counters (those
 * of getrusage and /proc/PID/stat), summed over the live thread and the
 * threads that already exited. Exact, and free: no program runs per fault.
 */
static __always_inline __u64 task_faults(struct task_struct *task)
{
	struct signal_struct *signal = BPF_CORE_READ(task, signal);

	return task->min_flt + task->maj_flt + BPF_CORE_READ(signal, min_flt) +
	       BPF_CORE_READ(signal, maj_flt);
}

static __always_inline void emit_proc_event(__u32 type, struct task_struct *task, __u32 ppid,
					    __u64 start_ns, __u64 now)
{
	struct mt_proc_event *e;
	struct mm_struct *mm;
	unsigned long start, len;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return;
	}
	e->hdr.type = type;
	e->hdr.pid = task->tgid;
	e->hdr.time_ns = now;
	e->start_ns = start_ns;
	e->ppid = ppid;
	e->args_len = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	/*
	 * argv, except at fork (the child runs its parent's until it execs), and
	 * only from the task's own context: a user address means nothing in
	 * another process (a runtime moving it to a cgroup); userspace reads
	 * /proc then.
	 */
	mm = BPF_CORE_READ(task, mm);
	if (type != MT_EV_FORK && mm && (__u64)task == bpf_get_current_task()) {
		start = BPF_CORE_READ(mm, arg_start);
		len = BPF_CORE_READ(mm, arg_end) - start;
		if (len > MT_ARGS_LEN)
			len = MT_ARGS_LEN;
		if (len && bpf_probe_read_user(e->args, len & (2 * MT_ARGS_LEN - 1), (void *)start) == 0)
			e->args_len = len;
	}
	submit_lazily(e);
}

/* a process already seen and not traced (outside --cgroup/--container, or the map was full) */
static __always_inline int seen_not_traced(__u32 tgid)
{
	__u32 *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	return slot && *slot == MT_SLOT_NOT_TRACED;
}

/* Whether to trace tgid is to be decided again: it exited (its pid may come back), or moved. */
static __always_inline void forget_not_traced(__u32 tgid)
{
	__u32 *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	if (slot && *slot == MT_SLOT_NOT_TRACED)
		*slot = 0;
}

/* Remember that tgid is not traced: later events stop at the lookup. */
static __always_inline void mark_not_traced(__u32 tgid)
{
	__u32 *slot = bpf_map_lookup_elem(&proc_slot, &tgid);

	if (slot)
		*slot = MT_SLOT_NOT_TRACED;
}

/* The next entry of procs never used; 0 when all have been (or, emulated, the lock was not taken). */
static __always_inline __u32 take_unused_slot(void)
{
	__u32 zero = 0, slot = 0;
	struct mt_unused_slots *u = bpf_map_lookup_elem(&unused_slots, &zero);
	bool locked;

	if (!u)
		return 0;
	locked = lock_take(&u->lock, MT_LOCK_SLOTS, 0);
	if (locked && u->next <= cfg_max_procs)
		slot = u->next++;
	lock_release(&u->lock, MT_LOCK_SLOTS, 0, locked);
	return slot;
}

/*
 * Take a free entry for tgid; NULL when none is left: counted once, the
 * process marked not traced for the rest of its life.
 */
static __always_inline struct mt_proc_entry *claim_slot(__u32 tgid, __u32 *slot)
{
	struct mt_proc_entry *e;

	*slot = 0;
	if (bpf_map_lookup_elem(&proc_slot, &tgid) && bpf_map_pop_elem(&free_slots, slot))
		*slot = take_unused_slot();
	if (!*slot) {
		__sync_fetch_and_add(&stats.untracked_procs, 1);
		mark_not_traced(tgid);
		return NULL;
	}
	e = bpf_map_lookup_elem(&procs, slot);
	if (!e)
		__sync_fetch_and_add(&stats.untracked_procs, 1);
	return e;
}

/*
 * Under --cgroup/--container: is the task's memory cgroup inside the chosen
 * subtree? Its ancestor at the subtree root's depth must be that root.
 */
static __always_inline int in_scope(struct task_struct *task)
{
	struct cgroup_subsys_state *css;
	struct cgroup *cgrp, *ancestor = NULL;

	if (!cfg_scope_cgroup_id)
		return 1;
	css = task_memcg_css(task);
	if (!css)
		return 0;
	cgrp = BPF_CORE_READ(css, cgroup);
	if (BPF_CORE_READ(cgrp, level) < (int)cfg_scope_level)
		return 0;
	if (bpf_core_field_exists(((struct cgroup___ancestor_ids *)cgrp)->ancestor_ids)) {
		__u64 id = 0;

		bpf_probe_read_kernel(&id, sizeof(id),
				      &((struct cgroup___ancestor_ids *)cgrp)->ancestor_ids[cfg_scope_level]);
		return id == cfg_scope_cgroup_id;
	}
	/* ancestors[] is a flexible array the verifier cannot bound: read it as memory */
	bpf_probe_read_kernel(&ancestor, sizeof(ancestor), &cgrp->ancestors[cfg_scope_level]);
	return ancestor && BPF_CORE_READ(ancestor, kn, id) == cfg_scope_cgroup_id;
}

/*
 * Start tracing `task`: a forked child (MT_EV_FORK) or, under -a, a process
 * seen for the first time (MT_EV_FOUND). Its memory now, read from `mm`
 * (NULL: a vfork child, counted from its exec), is its starting point and
 * joins the group's sum. Returns its entry, or NULL (counted) if full.
 */
static __always_inline struct mt_proc_entry *track_new_process(struct task_struct *task,
							       struct mm_struct *mm, __u32 ppid,
							       __u32 flags, __u64 now, __u32 type)
{
	struct mt_proc_entry init = {}, *e;
	struct mt_proc *p = &init.proc;
	__s64 delta[MT_NR_COUNTERS];
	__u32 tgid = task->tgid, slot, *published;
	int i;

	if (cfg_trace_all && !in_scope(task)) {
		mark_not_traced(tgid);
		return NULL;
	}
	p->tgid = tgid;
	p->ppid = ppid;
	p->flags = flags;
	/* a process found running started before tracing: task->start_time is CLOCK_MONOTONIC */
	p->start_ns = type == MT_EV_FORK ? now : task->start_time;
	p->leader = (__u64)BPF_CORE_READ(task, group_leader);
	p->cgroup_id = task_memcg_id(task);
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), task->comm);
	if (mm) {
		p->mm = (__u64)mm;
		read_counters(mm, p->counters);
		p->vm = pages_to_bytes(mm->total_vm);
		p->peak_vm = p->vm_at_peak = p->vm;
		for (i = 0; i < MT_NR_COUNTERS; i++)
			p->peak_counters[i] = p->counters[i];
		mt_track_init(&p->rss, resident(p->counters), now);
		if (type == MT_EV_FOUND)
			p->faults_base = task_faults(task);
	}
	/* a forked child's own signal_struct starts at 0; a found one holds its images' marks so far */
	if (type == MT_EV_FOUND)
		p->maxrss_base = pages_to_bytes(BPF_CORE_READ(task, signal, maxrss));
	e = claim_slot(tgid, &slot);
	if (!e)
		return NULL;
	/* fill the entry, then publish it (a leftover of a reused pid is swept by userspace) */
	e->proc = init.proc;
	published = bpf_map_lookup_elem(&proc_slot, &tgid);
	if (published)
		*published = slot;
	emit_proc_event(type, task, ppid, p->start_ns, now);
	for (i = 0; i < MT_NR_COUNTERS; i++)
		delta[i] = p->counters[i];
	groups_add(p->cgroup_id, delta, p->vm, 0, now);
	return e;
}

/*
 * -a: a running process met for the first time (its first memory change in
 * its own context, an exec, a move into the --cgroup subtree) is traced from
 * now on, unless it is memtrace itself or already found outside the scope.
 */
static __always_inline struct mt_proc_entry *track_found_process(struct task_struct *task,
								 struct mm_struct *mm)
{
	__u32 tgid = task->tgid;

	if (!cfg_trace_all || !mm || tgid == cfg_self_tgid || seen_not_traced(tgid))
		return NULL;
	return track_new_process(task, mm, BPF_CORE_READ(task, real_parent, tgid), MT_PROC_ATTACHED,
				 bpf_ktime_get_ns(), MT_EV_FOUND);
}

#endif /* MEMTRACE_COMMON_BPF_H */
