/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * core_fixes.bpf.h - the kernel structures whose shape changed between the
 * kernels memtrace runs on (5.8 and later), as CO-RE "flavours": a local
 * struct named <kernel struct>___<suffix> holding only the fields used, with
 * the shape they had. libbpf matches it to the running kernel's BTF, and
 * bpf_core_*_exists() tells at load time which shape the kernel has; the
 * branch for the other shape is dead code the verifier never walks. Where
 * the loader already knows the shape from the kernel's BTF, a setting says
 * it (cfg_rss_split): libbpf 1.1's type-exists relocation reads an
 * uninitialised value (valgrind).
 * vmlinux.h is the build machine's, so every older shape lives here.
 */
#ifndef MEMTRACE_CORE_FIXES_BPF_H
#define MEMTRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * Before 6.2 (commit f1a7941243c1, "mm: convert mm's rss stats into
 * percpu_counter"): the mm's counters are atomics, and each thread caches
 * its own faults in task->rss_stat until 64 of them (TASK_RSS_EVENTS_THRESH)
 * or a slow path folds them into the mm (SPLIT_RSS_COUNTING).
 */
struct mm_rss_stat___split {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___split {
	struct mm_rss_stat___split rss_stat;
} __attribute__((preserve_access_index));

struct task_rss_stat___split {
	int events;
	int count[4];
} __attribute__((preserve_access_index));

struct task_struct___split {
	struct task_rss_stat___split rss_stat;
} __attribute__((preserve_access_index));

/* Before 6.0 (commit 7f203bc89eb6): a cgroup's ancestors by id, not by pointer. */
struct cgroup___ancestor_ids {
	int level;
	u64 ancestor_ids[];
} __attribute__((preserve_access_index));

/*
 * Split counting: the mm's four counters in pages, read in one go (the
 * verifier cannot walk into an array of atomic_long_t typedefs: it says
 * "Type 'atomic_long_t' is not a struct").
 */
static __always_inline void read_split_counters(struct mm_struct *mm, long pages[4])
{
	struct mm_struct___split *old = (void *)mm;

	bpf_core_read(pages, 4 * sizeof(long), &old->rss_stat.count);
}

/*
 * Split counting: the pages the current thread faulted that its mm does not
 * count yet (task->rss_stat). Read from `current`, which before 5.11 (no
 * bpf_get_current_task_btf) is an untyped pointer.
 */
static __always_inline void read_current_cache(int pages[4])
{
	struct task_struct___split *task = (void *)bpf_get_current_task();

	if (bpf_core_field_exists(task->rss_stat))
		bpf_core_read(pages, 4 * sizeof(int), &task->rss_stat.count);
}

/* The current task's mm, as an integer (works on every kernel). */
static __always_inline __u64 current_mm(void)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	return (__u64)BPF_CORE_READ(task, mm);
}

#endif /* MEMTRACE_CORE_FIXES_BPF_H */
