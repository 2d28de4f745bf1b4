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
#include "sample.bpf.h"

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

/*
 * Split counting (before 6.2): the current thread's faults not yet folded
 * into its mm, for the counters other than `member`. When the event is the
 * fold itself (sync_mm_rss()), `member` already holds the thread's cache,
 * which is cleared only after the event; the members after it are still
 * to come. Exact for the current thread at the fold; other threads' caches
 * stay unknown (at most 64 faults' pages each), as for the kernel's VmHWM.
 */
static __always_inline void add_current_cache(struct mm_struct *mm, int member,
					      __u64 c[MT_NR_COUNTERS])
{
	int cached[MT_NR_COUNTERS] = {}, i;

	if (!cfg_rss_split || current_mm() != (__u64)mm)
		return;
	read_current_cache(cached);
	for (i = 0; i < MT_NR_COUNTERS; i++) {
		if (i != member)
			c[i] += pages_to_bytes(cached[i]);
	}
}

/*
 * Whose memory an mm is: mm->owner, the process it belongs to, whoever
 * changes it (the process itself; exec filling the next image; khugepaged,
 * another process's GUP or the OOM reaper remotely). Nobody owns an mm torn
 * down after exit or exec. Under -a a process is found at its own first
 * change (from its own context, where its argv can be read).
 *
 * Growth stacks are sampled here too, by the bytes each change adds, when
 * the change is the process's own (a fault, a read() into fresh memory, a
 * populating mmap, a THP fault of 2 MiB alike): no second program runs per
 * fault, and no tracepoint of one architecture is needed.
 */
SEC("tp_btf/rss_stat")
int BPF_PROG(on_rss_stat, struct mm_struct *mm, int member)
{
	struct task_struct *owner = mm->owner;
	struct mt_proc_entry *e;
	__u64 c[MT_NR_COUNTERS], grown;
	__u32 tgid;

	if (!owner)
		return 0;
	tgid = owner->tgid;
	e = lookup_proc(tgid);
	if (e)
		e = entry_for_mm(e, owner, mm);
	else if (tgid == bpf_get_current_pid_tgid() >> 32 && BPF_CORE_READ(owner, mm) == mm)
		e = track_found_process(owner, mm);
	if (!e)
		return 0;
	read_counters(mm, c);
	add_current_cache(mm, member, c);
	if (cfg_exact && member >= 0 && member < MT_NR_COUNTERS &&
	    take_exact(member, &c[member & (MT_NR_COUNTERS - 1)]))
		/* the exact value of the member that changed; the others keep theirs */
		grown = proc_update(e, c, 1u << member, pages_to_bytes(mm->total_vm));
	else
		grown = proc_update(e, c, MT_ALL_COUNTERS, pages_to_bytes(mm->total_vm));
	/* its own thread grew it (threads share the mm e accounts): the user stack is the cause */
	if (cfg_stacks && grown && tgid == bpf_get_current_pid_tgid() >> 32)
		sample_growth(ctx, e, grown);
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
