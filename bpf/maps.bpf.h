/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.bpf.h - the maps, settings and drop counters of memtrace's BPF side.
 * maps.bpf.c defines them once (MT_DEFINE_GLOBALS); the other objects see
 * extern declarations, and bpftool gen object links them into one skeleton.
 */
#ifndef MEMTRACE_MAPS_BPF_H
#define MEMTRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "memtrace.h"

/*
 * Sizes that userspace overrides before load (bpf_map__set_max_entries):
 * proc_slot gets one entry per possible pid (/proc/sys/kernel/pid_max).
 */
#define MT_DEFAULT_MAX_PROCS 16384
#define MT_DEFAULT_PID_MAX 32768
#define MT_DEFAULT_RINGBUF_BYTES (8u << 20)

/* Wake the consumer only once this much is pending (see submit_lazily()). */
#define MT_WAKEUP_BYTES (256u << 10)

/*
 * Which processes are traced, and their entries. Every rss_stat event on the
 * host asks "is this tgid traced?": an array indexed by tgid answers with an
 * inlined load (~5 ns) where a hash lookup took ~30 ns. proc_slot[tgid] is the
 * index of the process's entry in procs (0: not traced); free_slots holds the
 * unused indices (userspace fills it at start).
 */
#define MT_PROC_SLOT_MAP                                                                           \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, MT_DEFAULT_PID_MAX);                                           \
		__type(key, __u32);                                                                \
		__type(value, __u32);                                                              \
	}
#define MT_PROCS_MAP                                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, MT_DEFAULT_MAX_PROCS + 1);                                     \
		__type(key, __u32);                                                                \
		__type(value, struct mt_proc_entry);                                               \
	}
#define MT_FREE_SLOTS_MAP                                                                          \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_QUEUE);                                                  \
		__uint(max_entries, MT_DEFAULT_MAX_PROCS);                                         \
		__type(value, __u32);                                                              \
	}
#define MT_UNUSED_SLOTS_MAP                                                                        \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct mt_unused_slots);                                             \
	}
#define MT_GROUP_MAP                                                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct mt_group_entry);                                              \
	}
/* The group of each memory cgroup, by its id (the kernfs id: the directory's inode). */
#define MT_DEFAULT_MAX_CGROUPS 4096
#define MT_CGROUPS_MAP                                                                             \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, MT_DEFAULT_MAX_CGROUPS);                                       \
		__type(key, __u64);                                                                \
		__type(value, struct mt_group_entry);                                              \
	}
#define MT_EXACT_STASH_MAP                                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct mt_exact_stash);                                              \
	}
/* Emulated locks held now (lock.bpf.h): at most one per CPU at a time. */
#define MT_LOCK_OWNERS_MAP                                                                         \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_HASH);                                                   \
		__uint(max_entries, 1024);                                                         \
		__type(key, struct mt_lock_key);                                                   \
		__type(value, __u8);                                                               \
	}
/* The user registers of a sample (the running kernel's struct pt_regs), per CPU. */
struct mt_regs_copy {
	__u8 bytes[512];
};
#define MT_REGS_SCRATCH_MAP                                                                        \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                           \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct mt_regs_copy);                                                \
	}
/*
 * Python: the interpreter layout of each process running CPython (by tgid,
 * set by userspace), and the thread state last found for each thread (by
 * tid), checked at each use. LRU: an entry whose process went unnoticed
 * makes room for the next.
 */
#define MT_DEFAULT_MAX_PY_PROCS 4096
#define MT_PY_PROCS_MAP                                                                            \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                               \
		__uint(max_entries, MT_DEFAULT_MAX_PY_PROCS);                                      \
		__type(key, __u32);                                                                \
		__type(value, struct mt_py_layout);                                                \
	}
#define MT_PY_THREADS_MAP                                                                          \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                               \
		__uint(max_entries, 4 * MT_DEFAULT_MAX_PY_PROCS);                                  \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
	}
#define MT_PY_CODES_SEEN_MAP                                                                       \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                               \
		__uint(max_entries, 65536);                                                        \
		__type(key, struct mt_py_new_code);                                                    \
		__type(value, __u8);                                                               \
	}
#define MT_PY_CODE_EVENTS_MAP                                                                      \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                                \
		__uint(max_entries, 256u << 10);                                                   \
	}
#define MT_EVENTS_MAP                                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                                \
		__uint(max_entries, MT_DEFAULT_RINGBUF_BYTES);                                     \
	}

#ifndef MT_DEFINE_GLOBALS
extern MT_PROC_SLOT_MAP proc_slot SEC(".maps");
extern MT_PROCS_MAP procs SEC(".maps");
extern MT_FREE_SLOTS_MAP free_slots SEC(".maps");
extern MT_UNUSED_SLOTS_MAP unused_slots SEC(".maps");
extern MT_GROUP_MAP group SEC(".maps");
extern MT_CGROUPS_MAP cgroups SEC(".maps");
extern MT_EVENTS_MAP events SEC(".maps");
extern MT_EXACT_STASH_MAP exact_stash SEC(".maps");
extern MT_LOCK_OWNERS_MAP lock_owners SEC(".maps");
extern MT_REGS_SCRATCH_MAP regs_scratch SEC(".maps");
extern MT_PY_PROCS_MAP py_procs SEC(".maps");
extern MT_PY_THREADS_MAP py_threads SEC(".maps");
extern MT_PY_CODES_SEEN_MAP py_codes_seen SEC(".maps");
extern MT_PY_CODE_EVENTS_MAP py_code_events SEC(".maps");
extern const volatile __u32 cfg_page_shift;
extern const volatile __u32 cfg_follow_children;
extern const volatile __u64 cfg_resolution;
extern const volatile __u64 cfg_cgroup_resolution;
extern const volatile __u32 cfg_exact;
extern const volatile __u32 cfg_trace_all;
extern const volatile __u64 cfg_scope_cgroup_id;
extern const volatile __u32 cfg_scope_level;
extern const volatile __u32 cfg_self_tgid;
extern const volatile __u32 cfg_stacks;
extern const volatile __u64 cfg_sample_bytes;
extern const volatile __u32 cfg_has_task_pt_regs;
extern const volatile __u32 cfg_pt_regs_size;
extern const volatile __u64 cfg_big_bytes;
extern const volatile __u32 cfg_emulated_locks;
extern const volatile __u32 cfg_rss_split;
extern const volatile __u32 cfg_max_procs;
extern struct mt_stats stats;
extern __u32 live_window;
#endif

#endif /* MEMTRACE_MAPS_BPF_H */
