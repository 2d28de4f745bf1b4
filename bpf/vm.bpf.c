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
#include "common.bpf.h"

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define MT_NR_MMAP 9
#define MT_NR_MUNMAP 11
#define MT_NR_BRK 12
#define MT_NR_MREMAP 25

static __always_inline int is_vm_syscall(long nr)
{
	return nr == MT_NR_MMAP || nr == MT_NR_MUNMAP || nr == MT_NR_BRK || nr == MT_NR_MREMAP;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct mt_proc_entry *e;
	struct mm_struct *mm;
	__u64 before;
	__s64 change;

	if (!is_vm_syscall(regs->orig_ax))
		return 0;
	e = lookup_proc(bpf_get_current_pid_tgid() >> 32);
	if (!e)
		return 0;
	task = bpf_get_current_task_btf();
	mm = task->mm;
	if (!mm || e->proc.mm != (__u64)mm)
		return 0;

	before = e->proc.vm;
	proc_update_from_mm(e, mm);
	change = e->proc.vm - before;
	if (change > 0)
		__sync_fetch_and_add(&e->proc.mapped_bytes, change);
	else if (change < 0)
		__sync_fetch_and_add(&e->proc.unmapped_bytes, -change);
	return 0;
}
