/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * lock.bpf.h - the lock of an entry (a process's, the total's, a cgroup's):
 * its counters and peak change together, from any CPU.
 *
 * bpf_spin_lock where the kernel lets tracing programs take it (the loader
 * probes it before loading). Before 5.13-ish it does not ("unknown func
 * bpf_spin_lock": 5.10 here), and kernels newer than 7.2 are expected to
 * refuse it in tracing programs again; there an entry's lock is a key in
 * lock_owners that only one CPU at a time can insert (BPF_NOEXIST under the
 * hash bucket's lock), tried a bounded number of times. Tracepoint programs
 * run with preemption off and hold a lock for a few dozen instructions, so
 * the tries are for another CPU's critical section, not a sleeping holder;
 * a lock not taken after them is counted (stats.lock_timeouts) and the
 * update goes ahead unlocked.
 */
#ifndef MEMTRACE_LOCK_BPF_H
#define MEMTRACE_LOCK_BPF_H

#include "maps.bpf.h"

#define MT_LOCK_TRIES 64

/* Take the lock of entry (kind, id); returns whether it was taken (for lock_release()). */
static __always_inline bool lock_take(struct bpf_spin_lock *lock, __u32 kind, __u64 id)
{
	struct mt_lock_key key = { .kind = kind, .id = id };
	__u8 one = 1;
	int i;

	if (!cfg_emulated_locks) {
		bpf_spin_lock(lock);
		return true;
	}
	for (i = 0; i < MT_LOCK_TRIES; i++) {
		if (!bpf_map_update_elem(&lock_owners, &key, &one, BPF_NOEXIST))
			return true;
	}
	__sync_fetch_and_add(&stats.lock_timeouts, 1);
	return false;
}

static __always_inline void lock_release(struct bpf_spin_lock *lock, __u32 kind, __u64 id,
					 bool taken)
{
	struct mt_lock_key key = { .kind = kind, .id = id };

	if (!cfg_emulated_locks)
		bpf_spin_unlock(lock);
	else if (taken)
		bpf_map_delete_elem(&lock_owners, &key);
}

/* A process's entry, by tgid; a group's, by cgroup id (0: the total). */
#define lock_proc(e) lock_take(&(e)->lock, MT_LOCK_PROC, (e)->proc.tgid)
#define unlock_proc(e, taken) lock_release(&(e)->lock, MT_LOCK_PROC, (e)->proc.tgid, taken)
#define lock_group(e, cgroup_id) lock_take(&(e)->lock, MT_LOCK_GROUP, cgroup_id)
#define unlock_group(e, cgroup_id, taken) lock_release(&(e)->lock, MT_LOCK_GROUP, cgroup_id, taken)

#endif /* MEMTRACE_LOCK_BPF_H */
