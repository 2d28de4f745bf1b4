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
#include "loader.h"
#include "report.h"

/* The `--` child, waiting to exec: memtrace's own copy before the exec is not CMD's. */
int seed_command_child(struct mt_tracer *t, struct mt_report *r, pid_t pid, uint64_t now);

/*
 * The listed processes (nr_pids > 0: -p; a pid naming a thread is replaced
 * by its process's), or every user process in `scope` (scope->id 0: all).
 * Sets the kernel's sums of the total and of each cgroup. 0, or -errno after
 * one stderr line; under -a, processes gone meanwhile are skipped and those
 * beyond --max-procs counted.
 */
int seed_running(struct mt_tracer *t, struct mt_report *r, struct mt_cgroups *cg,
		 const struct mt_cgroup_scope *scope, int *pids, int nr_pids, uint64_t now);

#endif /* MEMTRACE_SEED_H */
