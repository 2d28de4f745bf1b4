// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rss.bpf.c - resident memory: kmem:rss_stat, every change of an mm's
 * counters.
 *
 * A BTF tracepoint: it attaches without tracefs, and skips the
 * percpu_counter_sum() that the classic trace event computes, under a
 * spinlock and over every CPU, for every process on the host (1.03x against
 * 1.09x on the fault loop of KERNEL_FACTS.md). An untraced process costs one
 * array load (lookup_proc()).
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

SEC("tp_btf/rss_stat")
int BPF_PROG(on_rss_stat, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mt_proc_entry *e;
	__u32 tgid;

	tgid = mm_owner_tgid(task, mm);
	if (!tgid)
		return 0;
	e = lookup_proc(tgid);
	if (!e)
		return 0;

	if (e->proc.mm != (__u64)mm) {
		/*
		 * Not the mm this entry accounts: the `--` child's pre-exec copy of
		 * memtrace, a vfork child's borrowed mm, the next image during exec
		 * (sched_process_exec switches over), or the old one torn down after.
		 * A process found running (-p) learns its mm at its own first event.
		 */
		if (!(e->proc.flags & MT_PROC_ADOPT_MM) || task->mm != mm)
			return 0;
		e->proc.mm = (__u64)mm;
		e->proc.flags &= ~MT_PROC_ADOPT_MM;
	}
	proc_update_from_mm(e, mm);
	return 0;
}
