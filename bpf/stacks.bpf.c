// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stacks.bpf.c - growth sampling: exceptions:page_fault_user.
 *
 * Each fault of a traced process is sampled with probability
 * page / --sample-bytes (a Bernoulli trial per page: the discrete form of
 * tcmalloc's Poisson byte sampler), and a sample stands for --sample-bytes
 * of growth, so the expected bytes per stack are exact and the cost is
 * bounded however fast the process faults. Untraced processes cost the one
 * array load of lookup_proc().
 */
#include "sample.bpf.h"

SEC("tp_btf/page_fault_user")
int BPF_PROG(on_page_fault_user, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct mt_proc_entry *e;

	e = lookup_proc(bpf_get_current_pid_tgid() >> 32);
	if (!e)
		return 0;
	if ((__u64)bpf_get_prandom_u32() >= cfg_sample_threshold)
		return 0;
	/* memtrace's own pre-exec copy, or a vfork child on its parent's mm */
	if (e->proc.mm != current_mm())
		return 0;
	emit_sample(ctx, e, regs, MT_SAMPLE_FAULT, address & ~(MT_USER_PAGE - 1),
		    cfg_sample_weight);
	return 0;
}
