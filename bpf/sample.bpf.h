/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sample.bpf.h - stack samples and unmapped ranges, the kernel half of
 * "which code made memory grow" (userspace unwinds and symbolizes).
 */
#ifndef MEMTRACE_SAMPLE_BPF_H
#define MEMTRACE_SAMPLE_BPF_H

#include "arch.bpf.h"
#include "common.bpf.h"
#include "python.bpf.h"

#define MT_USER_PAGE 4096ull

/* The traced total's current and peak RSS (unlocked: a snapshot is enough here). */
static __always_inline void read_group_rss(__u64 *rss, __u64 *peak)
{
	struct mt_group_entry *g;
	__u32 zero = 0;

	g = bpf_map_lookup_elem(&group, &zero);
	*rss = g ? g->group.rss.rss : 0;
	*peak = g ? g->group.rss.peak : 0;
}

/*
 * Copy the user stack above sp, up to MT_STACK_BYTES, page by page: a read
 * is all or nothing, and a page past the stack's end (or not yet present)
 * fails, so the copy stops there with what it has (docs/kernels.md: one 8
 * KiB read failed on 2% to 86% of faults). Clamping with bpf_find_vma()
 * instead cost ~15 us per sample here: with interrupts off, as in the fault
 * handler, it releases the mmap lock through an irq_work self-IPI. Returns
 * the bytes copied.
 */
static __always_inline __u32 copy_user_stack(struct mt_sample_event *rec, __u64 sp)
{
	__u64 off = 0, chunk;
	int i;

	for (i = 0; i < MT_STACK_BYTES / MT_USER_PAGE + 1; i++) {
		if (off >= MT_STACK_BYTES)
			break;
		chunk = MT_USER_PAGE - ((sp + off) & (MT_USER_PAGE - 1));
		if (chunk > MT_STACK_BYTES - off)
			chunk = MT_STACK_BYTES - off;
		/*
		 * Tell the verifier what the min above means; the barrier keeps
		 * clang from dropping a test it can prove, which older verifiers
		 * (6.1) cannot.
		 */
		barrier_var(chunk);
		if (chunk > MT_USER_PAGE)
			break;
		if (bpf_probe_read_user(rec->stack + off, chunk, (void *)(sp + off)))
			break;
		off += chunk;
	}
	return off;
}

/* Count a record the ring buffer had no room for; a growth sample with what it stood for. */
static __always_inline void count_lost_sample(__u32 kind, __u64 bytes)
{
	__sync_fetch_and_add(&stats.ringbuf_drops, 1);
	if (kind != MT_SAMPLE_GROWTH)
		return;
	__sync_fetch_and_add(&stats.samples_lost, 1);
	__sync_fetch_and_add(&stats.sampled_bytes_lost, bytes);
}

/* the kernel stack's size (x86_64 and arm64 without KASAN): pt_regs sit at its top */
#define MT_THREAD_SIZE (16u << 10)

/*
 * The current task's user registers, copied into a per-CPU slot: with
 * bpf_task_pt_regs() (5.15+; the loader says), else from the top of the
 * task's kernel stack, where the entry code saved them (task_pt_regs()).
 * The copy is the running kernel's struct pt_regs, cfg_pt_regs_size bytes
 * (the loader reads it from BTF): it sits at the very top of the stack, so
 * reading the build machine's size could run past the stack's end (7.2's
 * arm64 pt_regs is smaller than 6.12's). Fields are read at the running
 * kernel's offsets (CO-RE).
 */
static __always_inline struct pt_regs *current_user_regs(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct mt_regs_copy *copy;
	__u32 zero = 0, size = cfg_pt_regs_size;
	void *regs;

	copy = bpf_map_lookup_elem(&regs_scratch, &zero);
	if (!copy || !size || size > sizeof(copy->bytes))
		return NULL;
	if (cfg_has_task_pt_regs)
		regs = (void *)bpf_task_pt_regs(bpf_get_current_task_btf());
	else
		regs = BPF_CORE_READ(task, stack) + MT_THREAD_SIZE - size;
	if (bpf_probe_read_kernel(copy->bytes, size, regs))
		return NULL;
	return (struct pt_regs *)copy->bytes;
}

/*
 * Send the user stack of the current thread, as --unwind asked:
 * frame-pointer addresses, a stack copy, or both, with the registers and
 * the instruction being run, and its Python frames if it runs CPython. The first sample of an image wakes the
 * consumer at once, so that it reads the process's mappings while the
 * process still runs.
 */
static __always_inline void emit_sample(void *ctx, struct mt_proc_entry *e, __u32 kind,
					__u64 addr, __u64 bytes)
{
	struct pt_regs *regs = current_user_regs();
	struct mt_sample_event *rec;
	long n;

	if (!regs) {
		__sync_fetch_and_add(&stats.regs_unreadable, 1);
		return;
	}
	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count_lost_sample(kind, bytes);
		return;
	}
	rec->hdr.type = MT_EV_SAMPLE;
	rec->hdr.pid = e->proc.tgid;
	rec->hdr.time_ns = bpf_ktime_get_ns();
	rec->tid = (__u32)bpf_get_current_pid_tgid();
	rec->kind = kind;
	rec->addr = addr;
	rec->bytes = bytes;
	read_group_rss(&rec->group_rss, &rec->group_peak);
	rec->flags = 0;
	rec->nr_ips = 0;
	rec->stack_len = 0;
	copy_user_regs(rec->regs, regs);
	rec->syscall = MT_SYSCALL_NR(regs); /* -1 after a fault in user code */
	rec->insn_len = bpf_probe_read_user(rec->insn, sizeof(rec->insn),
					    (void *)rec->regs[MT_REG_IP]) ? 0 : sizeof(rec->insn);
	if (cfg_stacks & MT_SAMPLE_HAS_FP) {
		n = bpf_get_stack(ctx, rec->ips, sizeof(rec->ips), BPF_F_USER_STACK);
		if (n > 0) {
			rec->nr_ips = n / sizeof(__u64);
			rec->flags |= MT_SAMPLE_HAS_FP;
		}
	}
	if (cfg_stacks & MT_SAMPLE_HAS_COPY) {
		rec->stack_len = copy_user_stack(rec, rec->regs[MT_REG_SP]);
		rec->flags |= MT_SAMPLE_HAS_COPY;
	}
	read_py_frames(rec, e->proc.tgid);
	if (kind == MT_SAMPLE_GROWTH && !(e->proc.flags & MT_PROC_SAMPLED))
		e->proc.flags |= MT_PROC_SAMPLED;
	if (!(e->proc.flags & MT_PROC_LAYOUT_KNOWN)) {
		e->proc.flags |= MT_PROC_LAYOUT_KNOWN;
		bpf_ringbuf_submit(rec, BPF_RB_FORCE_WAKEUP);
		return;
	}
	submit_lazily(rec);
}

/*
 * A process grew by `grown` bytes in its own context (its fault, its
 * syscall): sample it by bytes. Each byte is sampled with probability
 * 1 / --sample-bytes (S): floor(grown / S) samples for sure, one more with
 * probability (grown mod S) / S, taken together as one stack standing for
 * S bytes each, so every stack's expected total is its true growth, for a
 * 4 KiB fault as for a 2 MiB THP fault or a whole read().
 */
static __always_inline void sample_growth(void *ctx, struct mt_proc_entry *e, __u64 grown)
{
	__u64 samples = grown / cfg_sample_bytes, rest = grown % cfg_sample_bytes;

	/* rest < S <= 1 GiB: rest << 32 does not overflow */
	if ((__u64)bpf_get_prandom_u32() * cfg_sample_bytes < (rest << 32))
		samples++;
	if (samples)
		emit_sample(ctx, e, MT_SAMPLE_GROWTH, 0, samples * cfg_sample_bytes);
}

/* Pages [addr, addr + len) left the process; for mremap, new_len of them moved to new_addr. */
static __always_inline void emit_unmap(__u32 tgid, __u64 addr, __u64 len, __u64 new_addr,
				       __u64 new_len)
{
	struct mt_unmap_event *rec;

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&stats.ringbuf_drops, 1);
		return;
	}
	rec->hdr.type = MT_EV_UNMAP;
	rec->hdr.pid = tgid;
	rec->hdr.time_ns = bpf_ktime_get_ns();
	rec->addr = addr;
	rec->len = len;
	rec->new_addr = new_addr;
	rec->new_len = new_len;
	submit_lazily(rec);
}

#endif /* MEMTRACE_SAMPLE_BPF_H */
