/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * unwind.h - from a sample's registers, stack copy and frame-pointer
 * addresses to symbolized locations in the profile, with elfutils' libdwfl:
 * DWARF unwinding from .eh_frame/.debug_frame, symbols and inlined frames
 * from the ELF and its debuginfo (build-id lookup), JIT code from
 * /tmp/perf-PID.map. A process's mappings are read when its first sample
 * arrives (the BPF side wakes memtrace for it), so frames of processes that
 * exit early still resolve.
 */
#ifndef MEMTRACE_UNWIND_H
#define MEMTRACE_UNWIND_H

#include <stdint.h>

#include "memtrace.h"
#include "profile.h"

struct mt_unwinder;

/* A stack's locations: its native frames, and the Python frames that replace some (and a mark) */
#define MT_MAX_LOCATIONS (MT_MAX_FRAMES + MT_PY_MAX_FRAMES + 1)

struct mt_unwinder *unwinder_new(struct mt_profile *profile);
void unwinder_free(struct mt_unwinder *u);

/*
 * Name the Python frames of processes running CPython, telling the BPF
 * side where each one's interpreter keeps them (its py_procs map,
 * py_layouts_fd) and reading the code objects it announces
 * (py_code_events, py_codes_fd) as they come. 0 or -errno.
 */
int unwinder_walk_python(struct mt_unwinder *u, int py_layouts_fd, int py_codes_fd);

/*
 * The locations of e's stack, innermost first, into locs (room for
 * MT_MAX_LOCATIONS); returns how many (at least 1), or -ENOMEM.
 */
int unwinder_resolve(struct mt_unwinder *u, const struct mt_sample_event *e, uint32_t *locs);

/* Tracing ended: name the JIT frames whose perf-map lines came after their samples. */
void unwinder_finish(struct mt_unwinder *u);

/* child was forked from parent: until it execs, it has its parent's mappings. 0 or -ENOMEM. */
int unwinder_on_fork(struct mt_unwinder *u, uint32_t child, uint32_t parent);

/* The process exited or exec'd: its mappings are no longer what they were. */
void unwinder_forget(struct mt_unwinder *u, uint32_t pid);

#endif /* MEMTRACE_UNWIND_H */
