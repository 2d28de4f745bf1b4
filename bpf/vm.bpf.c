// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vm.bpf.c - virtual size: the exit of brk, mmap, munmap and mremap.
 *
 * A mapping grows the address space without touching a page (no rss_stat
 * event), so these calls are where the virtual size and its peak move. The
 * size comes from mm->total_vm after the call, which is exact (not a per-CPU
 * counter), and its change is what the call mapped or unmapped: MAP_FIXED
 * over an old mapping, munmap of a hole and failed calls all count right.
 *
 * raw_syscalls:sys_exit (tp_btf) is used rather than the four syscalls:
 * events, which need tracefs; both put every task on the syscall slow path.
 */
#include "sample.bpf.h"

/* madvise advice that drops pages (include/uapi/asm-generic/mman-common.h) */
#define MT_MADV_DONTNEED 4
#define MT_MADV_FREE 8
#define MT_MADV_REMOVE 9

static __always_inline int is_vm_syscall(long nr)
{
	return nr == MT_NR_MMAP || nr == MT_NR_MUNMAP || nr == MT_NR_BRK || nr == MT_NR_MREMAP ||
	       (cfg_stacks && nr == MT_NR_MADVISE);
}

static __always_inline int drops_pages(long advice)
{
	return advice == MT_MADV_DONTNEED || advice == MT_MADV_FREE || advice == MT_MADV_REMOVE;
}

/*
 * With stacks, the pages that left a process that has samples, so that "in
 * use at the peak" forgets them. The arguments are still in the saved user
 * registers at exit (arch.bpf.h says where: the result replaced one).
 */
static __always_inline void send_unmaps(struct mt_proc_entry *e, struct pt_regs *regs, long nr,
					long ret, __s64 change)
{
	__u32 tgid = e->proc.tgid;

	if (!(e->proc.flags & MT_PROC_SAMPLED))
		return;
	switch (nr) {
	case MT_NR_MUNMAP:
		emit_unmap(tgid, MT_SYSCALL_ARG0(regs), MT_SYSCALL_ARG1(regs), 0, 0);
		break;
	case MT_NR_MADVISE:
		if (drops_pages(MT_SYSCALL_ARG2(regs)))
			emit_unmap(tgid, MT_SYSCALL_ARG0(regs), MT_SYSCALL_ARG1(regs), 0, 0);
		break;
	case MT_NR_BRK: /* ret is the new break: a shrink freed what lies above it */
		if (change < 0)
			emit_unmap(tgid, (ret + MT_USER_PAGE - 1) & ~(MT_USER_PAGE - 1), -change, 0, 0);
		break;
	case MT_NR_MREMAP:
		emit_unmap(tgid, MT_SYSCALL_ARG0(regs), MT_SYSCALL_ARG1(regs), ret,
			   MT_SYSCALL_ARG2(regs));
		break;
	}
}

/* Every mapping of at least --big-bytes, with its stack. */
static __always_inline void record_big_mapping(void *ctx, struct mt_proc_entry *e, long nr,
					       long ret, __s64 change)
{
	__u64 addr = ret;
	__u32 kind;

	if (!cfg_big_bytes || change < (__s64)cfg_big_bytes)
		return;
	if (nr == MT_NR_MMAP) {
		kind = MT_SAMPLE_MMAP;
	} else if (nr == MT_NR_BRK) {
		kind = MT_SAMPLE_BRK;
		addr = ret - change;
	} else if (nr == MT_NR_MREMAP) {
		kind = MT_SAMPLE_MREMAP;
	} else {
		return;
	}
	/* one call: each inlined sampler is verified again (the Python walk's loops) */
	emit_sample(ctx, e, kind, addr, change);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	/* the current task is untyped before 5.11 (no bpf_get_current_task_btf): read it */
	struct task_struct *task = (void *)bpf_get_current_task();
	long nr = MT_SYSCALL_NR(regs);
	struct mt_proc_entry *e;
	struct mm_struct *mm;
	__u64 before;
	__s64 change;

	if (!is_vm_syscall(nr))
		return 0;
	e = lookup_proc(bpf_get_current_pid_tgid() >> 32);
	if (!e)
		return 0;
	mm = BPF_CORE_READ(task, mm);
	if (!mm || e->proc.mm != (__u64)mm)
		return 0;

	/* the counters move on rss_stat; the virtual size moves here */
	before = e->proc.vm;
	proc_update_vm(e, pages_to_bytes(BPF_CORE_READ(mm, total_vm)));
	change = e->proc.vm - before;
	if (change > 0)
		__sync_fetch_and_add(&e->proc.mapped_bytes, change);
	else if (change < 0)
		__sync_fetch_and_add(&e->proc.unmapped_bytes, -change);
	if (cfg_stacks && (ret >= 0 || ret <= -4096)) { /* not a failed call */
		send_unmaps(e, regs, nr, ret, change);
		record_big_mapping(ctx, e, nr, ret, change);
	}
	return 0;
}
