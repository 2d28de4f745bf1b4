/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * seed.h - what memtrace traces from its first moment, before any event:
 * the `--` child (counted from its exec on) or the processes already
 * running (-p, -a, a --cgroup/--container scope).
 */
#ifndef MEMTRACE_SEED_H
#define MEMTRACE_SEED_H

#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "report.h"

/* Where the seeds go: the kernel's maps (the session's tracer). */
struct mt_seed_sink {
	/* Trace this process from now on; -ENOSPC when the map is full. */
	int (*add_proc)(void *ctx, const struct mt_proc *k);
	/* The starting sum of a memory cgroup's processes (id 0: of everything). */
	int (*set_group)(void *ctx, uint64_t cgroup_id, const struct mt_group *g);
	void *ctx;
};

/* The `--` child, waiting to exec: memtrace's own copy before the exec is not CMD's. */
int seed_command_child(const struct mt_seed_sink *sink, struct mt_report *r, pid_t pid,
		       uint64_t now);

/*
 * The listed processes (nr_pids > 0: -p; a pid naming a thread is replaced
 * by its process's), or every user process in `scope` (scope->id 0: all).
 * Sets the kernel's sums of the total and of each cgroup. 0, or -errno after
 * one stderr line; under -a, processes gone meanwhile are skipped and those
 * beyond --max-procs counted.
 */
int seed_running(const struct mt_seed_sink *sink, struct mt_report *r, struct mt_cgroups *cg,
		 const struct mt_cgroup_scope *scope, int *pids, int nr_pids, uint64_t now);

#endif /* MEMTRACE_SEED_H */
