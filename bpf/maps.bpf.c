// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maps.bpf.c - the one definition of the maps, settings and drop counters that
 * the other BPF objects of memtrace declare through common.bpf.h; they are all
 * linked into one object (bpftool gen object) and one skeleton.
 */
#define MT_DEFINE_GLOBALS
#include "maps.bpf.h"

MT_PROC_SLOT_MAP proc_slot SEC(".maps"); /* tgid -> index in procs; 0: not traced */
MT_PROCS_MAP procs SEC(".maps");	  /* traced processes; index 0 unused */
MT_FREE_SLOTS_MAP free_slots SEC(".maps"); /* indices of procs given back */
MT_UNUSED_SLOTS_MAP unused_slots SEC(".maps"); /* indices of procs never used */
MT_GROUP_MAP group SEC(".maps");	  /* their sum */
MT_CGROUPS_MAP cgroups SEC(".maps");	  /* their sum per memory cgroup */
MT_EVENTS_MAP events SEC(".maps");	  /* lifecycle events and timeline rows */
MT_EXACT_STASH_MAP exact_stash SEC(".maps"); /* --exact: classic event -> BTF program */
MT_LOCK_OWNERS_MAP lock_owners SEC(".maps"); /* emulated locks (lock.bpf.h) */
MT_REGS_SCRATCH_MAP regs_scratch SEC(".maps"); /* a sample's user registers */
MT_PY_PROCS_MAP py_procs SEC(".maps");	  /* tgid -> its CPython's layout */
MT_PY_THREADS_MAP py_threads SEC(".maps");  /* tid -> its PyThreadState */
MT_PY_CODES_SEEN_MAP py_codes_seen SEC(".maps"); /* code objects announced */
MT_PY_CODE_EVENTS_MAP py_code_events SEC(".maps"); /* their announcements */

const volatile __u32 cfg_page_shift = 12;
const volatile __u32 cfg_follow_children = 1; /* add forked children to `procs` */
const volatile __u64 cfg_resolution = 0;      /* timeline resolution in bytes; 0: no timeline */
const volatile __u64 cfg_cgroup_resolution = 0; /* the same for each cgroup's series (audit) */
const volatile __u32 cfg_exact = 0;	      /* exact values from the classic event */
const volatile __u32 cfg_trace_all = 0;	      /* -a: every process on the host */
const volatile __u64 cfg_scope_cgroup_id = 0;  /* --cgroup/--container: only this subtree */
const volatile __u32 cfg_scope_level = 0;      /* that cgroup's depth (root: 0) */
const volatile __u32 cfg_self_tgid = 0;	      /* memtrace itself, never traced */
/* stack sampling: MT_SAMPLE_HAS_FP|MT_SAMPLE_HAS_COPY (--unwind); 0: off */
const volatile __u32 cfg_stacks = 0;
/* growth is sampled by bytes: one sample per this many bytes grown, on average */
const volatile __u64 cfg_sample_bytes = 1;
/* bpf_task_pt_regs() exists (5.15+): the user registers without guessing the stack's size */
const volatile __u32 cfg_has_task_pt_regs = 0;
/* sizeof(struct pt_regs) in the running kernel (its BTF) */
const volatile __u32 cfg_pt_regs_size = 0;
const volatile __u64 cfg_big_bytes = 0;	    /* mappings this big are recorded unsampled */
/* tracing programs may not take bpf_spin_lock on this kernel: emulate it (lock.bpf.h) */
const volatile __u32 cfg_emulated_locks = 0;
/* before 6.2 the mm's counters are atomics plus per-thread caches (core_fixes.bpf.h) */
const volatile __u32 cfg_rss_split = 0;
const volatile __u32 cfg_max_procs = MT_DEFAULT_MAX_PROCS; /* procs' last index */

struct mt_stats stats = {};
__u32 live_window = 0; /* the live view's interval number, advanced by userspace */

char LICENSE[] SEC("license") = "Dual BSD/GPL";
