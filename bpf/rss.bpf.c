// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rss.bpf.c - resident memory: kmem:rss_stat, every change of an mm's
 * counters, as a BTF tracepoint (default) or as the classic trace event
 * (--exact).
 *
 * A BTF tracepoint: it attaches without tracefs, and skips the
 * percpu_counter_sum() that the classic trace event computes, under a
 * spinlock and over every CPU, for every process on the host (make bench:
 * 1.36x on the fault loops with --exact, 1.00-1.08x without). An untraced
 * process costs one array load (lookup_proc()).
 */
#include "common.bpf.h"

/*
 * Whose memory an mm is. Usually current's; but exec fills the new mm before
 * switching to it, exit and the OOM reaper tear an mm down, and khugepaged or
 * another process's GUP change it remotely: then mm->owner names it (NULL for
 * an mm being torn down after exec or exit, which nobody owns any more).
 */
static __always_inline __u32 mm_owner_tgid(struct task_struct *task, struct mm_struct *mm)
{
	struct task_struct *owner;

	if (task->mm == mm)
		return task->tgid;
	owner = mm->owner;
	return owner ? owner->tgid : 0;
}

/*
 * --exact: the classic trace event runs first for the same counter change
 * (loader.c attaches it first, and tracepoint probes run in the order they
 * were registered) and leaves the exact value here, on this CPU, for
 * on_rss_stat to take. It cannot do the accounting itself: classic
 * tracepoint programs may not take a bpf_spin_lock, and it has no mm pointer.
 */
static __always_inline int take_exact(int member, __u64 *bytes)
{
	struct mt_exact_stash *stash;
	__u32 zero = 0;

	stash = bpf_map_lookup_elem(&exact_stash, &zero);
	if (!stash || !stash->valid || stash->member != member) {
		__sync_fetch_and_add(&stats.exact_misses, 1);
		return 0;
	}
	stash->valid = 0;
	*bytes = stash->size > 0 ? stash->size : 0;
	return 1;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(on_rss_stat, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mt_proc_entry *e;
	__u64 c[MT_NR_COUNTERS];
	__u32 tgid;

	tgid = mm_owner_tgid(task, mm);
	if (!tgid)
		return 0;
	e = lookup_proc(tgid);
	if (e)
		e = entry_for_mm(e, task, mm);
	else if (task->mm == mm) /* -a: found in its own context, not remotely */
		e = track_found_process(task, mm);
	if (!e)
		return 0;
	read_counters(mm, c);
	if (cfg_exact && member >= 0 && member < MT_NR_COUNTERS &&
	    take_exact(member, &c[member & (MT_NR_COUNTERS - 1)])) {
		/* the exact value of the member that changed; the others keep theirs */
		proc_update(e, c, 1u << member, pages_to_bytes(mm->total_vm));
		return 0;
	}
	proc_update(e, c, MT_ALL_COUNTERS, pages_to_bytes(mm->total_vm));
	return 0;
}

/*
 * --exact: kmem:rss_stat as the classic trace event, whose `size` the kernel
 * computes with percpu_counter_sum_positive(): exact to the page, at the
 * cost of a spinlock and a walk over every CPU for every counter change of
 * every process on the host while attached, and it needs tracefs.
 */
SEC("tp/kmem/rss_stat")
int on_rss_stat_exact(struct trace_event_raw_rss_stat *ctx)
{
	struct mt_exact_stash *stash;
	__u32 zero = 0;

	stash = bpf_map_lookup_elem(&exact_stash, &zero);
	if (!stash)
		return 0;
	stash->member = ctx->member;
	stash->size = ctx->size;
	stash->valid = 1;
	return 0;
}
