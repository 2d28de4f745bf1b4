/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * kernel.h - what the running kernel gives memtrace: how it counts RSS and
 * which of memtrace's features it cannot give (docs/kernels.md). Filled by
 * the loader from the kernel's BTF before anything is loaded; every output
 * reports it.
 */
#ifndef MEMTRACE_KERNEL_H
#define MEMTRACE_KERNEL_H

#include <stdbool.h>

/* Features a kernel may lack while the rest of memtrace still runs (mt_kernel.missing). */
enum mt_feature {
	MT_FEATURE_VM = 1u << 0,	    /* virtual size: raw_syscalls:sys_exit */
	MT_FEATURE_CGROUP_MOVES = 1u << 1,  /* cgroup:cgroup_attach_task */
	MT_FEATURE_CGROUP_NAMES = 1u << 2,  /* cgroup:cgroup_mkdir */
	MT_FEATURE_OOM = 1u << 3,	    /* oom:mark_victim */
	MT_FEATURE_STACKS = 1u << 4,	    /* growth stacks */
	MT_FEATURE_OOM_MEMCG = 1u << 5,	    /* the memcg's figures read in the kernel at the kill */
	MT_FEATURE_EXIT_TIME = 1u << 6,	    /* sched:sched_process_exit (else taken at the task's free) */
	MT_FEATURE_COUNT = 7,
};

struct mt_kernel {
	char release[65];  /* uname -r */
	bool rss_split;	   /* before 6.2: the mm's atomics plus per-thread caches */
	bool emulated_locks; /* tracing programs may not take bpf_spin_lock: emulated */
	unsigned int missing; /* enum mt_feature bits */
};

/*
 * One of memtrace's BPF programs: its runs and their time
 * (kernel.bpf_stats_enabled=1), and the events it missed because it was
 * still running on that CPU (the kernel's recursion_misses, 5.12 and later;
 * the forks and exits one misses are handled by a second program,
 * "<name>_again", bpf/lifecycle.bpf.c).
 */
struct mt_bpf_program {
	char name[40];
	unsigned long long runs;
	unsigned long long run_ns;
	unsigned long long misses;
};

/* "growth stacks (exceptions:page_fault_user)": a feature and what it needs, for messages. */
const char *mt_feature_name(enum mt_feature f);
const char *mt_feature_needs(enum mt_feature f);

/* "split" or "percpu", as the JSON report says it. */
const char *mt_kernel_rss_counting(const struct mt_kernel *k);

#endif /* MEMTRACE_KERNEL_H */
