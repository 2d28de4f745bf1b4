/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * arch.bpf.h - what differs between the architectures memtrace's BPF side
 * is built for (x86_64, arm64: -D__TARGET_ARCH_*): the user registers a
 * sample carries, in DWARF order, and the syscalls sys_exit looks at, with
 * their number and arguments in the saved user registers at exit.
 */
#ifndef MEMTRACE_ARCH_BPF_H
#define MEMTRACE_ARCH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "memtrace.h"

#if defined(__TARGET_ARCH_arm64)

/* include/uapi/asm-generic/unistd.h */
#define MT_NR_MMAP 222
#define MT_NR_MUNMAP 215
#define MT_NR_BRK 214
#define MT_NR_MREMAP 216
#define MT_NR_MADVISE 233

/* the syscall being run (NO_SYSCALL, -1, outside one); x0 holds the result at exit */
#define MT_SYSCALL_NR(regs) ((long)(regs)->syscallno)
#define MT_SYSCALL_ARG0(regs) ((regs)->orig_x0)
#define MT_SYSCALL_ARG1(regs) ((regs)->regs[1])
#define MT_SYSCALL_ARG2(regs) ((regs)->regs[2])

static __always_inline void copy_user_regs(__u64 *out, const struct pt_regs *regs)
{
	for (int i = 0; i < 31; i++)
		out[i] = regs->regs[i];
	out[MT_REG_SP] = regs->sp;
	out[MT_REG_IP] = regs->pc;
}

#else /* x86_64 */

/* arch/x86/entry/syscalls/syscall_64.tbl */
#define MT_NR_MMAP 9
#define MT_NR_MUNMAP 11
#define MT_NR_BRK 12
#define MT_NR_MREMAP 25
#define MT_NR_MADVISE 28

/* orig_ax: the syscall being run, -1 outside one (ax holds the result at exit) */
#define MT_SYSCALL_NR(regs) ((long)(regs)->orig_ax)
#define MT_SYSCALL_ARG0(regs) ((regs)->di)
#define MT_SYSCALL_ARG1(regs) ((regs)->si)
#define MT_SYSCALL_ARG2(regs) ((regs)->dx)

static __always_inline void copy_user_regs(__u64 *out, const struct pt_regs *regs)
{
	out[0] = regs->ax;
	out[1] = regs->dx;
	out[2] = regs->cx;
	out[3] = regs->bx;
	out[4] = regs->si;
	out[5] = regs->di;
	out[6] = regs->bp;
	out[7] = regs->sp;
	out[8] = regs->r8;
	out[9] = regs->r9;
	out[10] = regs->r10;
	out[11] = regs->r11;
	out[12] = regs->r12;
	out[13] = regs->r13;
	out[14] = regs->r14;
	out[15] = regs->r15;
	out[16] = regs->ip;
}

#endif

#endif /* MEMTRACE_ARCH_BPF_H */
