/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * loader.h - the BPF side as userspace sees it: open, configure, load and
 * attach the skeleton; seed the maps with processes found running; read the
 * maps and the drop counters; poll the ring buffer.
 */
#ifndef MEMTRACE_LOADER_H
#define MEMTRACE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel.h"
#include "memtrace.h"

struct mt_tracer;

struct mt_tracer_config {
	bool follow_children;
	bool exact;	/* exact values from the classic kmem:rss_stat event */
	bool trace_all; /* -a: every process, found at its first event */
	uint64_t scope_cgroup_id;    /* with trace_all: only this memory cgroup's subtree */
	unsigned int scope_level;    /* its depth */
	uint64_t resolution; /* timeline resolution; 0: no timeline rows */
	uint64_t cgroup_resolution; /* the same for each cgroup's series (audit) */
	uint32_t max_procs;
	uint32_t max_cgroups;
	uint32_t ringbuf_bytes;
	bool verbose;		     /* pass libbpf's messages through */
	const char *fail_tracepoint; /* act as if the kernel lacked this tracepoint */
	unsigned int stacks;	     /* MT_SAMPLE_HAS_FP|MT_SAMPLE_HAS_COPY; 0: no stack samples */
	uint64_t sample_bytes;	     /* a growth sample per this many faulted bytes, on average */
	uint64_t big_bytes;	     /* mappings this big are recorded with their stack */
};

/* Ring-buffer callback: one record, in order. Returns 0 or -errno (stops the poll). */
typedef int (*mt_event_fn)(void *ctx, const void *data, size_t size);

/* The BPF features of the running kernel memtrace uses, one line each (--version). */
void mt_tracer__print_features(FILE *f);

/* Checks the kernel, opens and loads. NULL with errno set, after one stderr line. */
struct mt_tracer *mt_tracer__open(const struct mt_tracer_config *cfg, mt_event_fn fn, void *ctx);
int mt_tracer__attach(struct mt_tracer *t);
/*
 * After attaching: the processes seeded from /proc (-p, -a) learn from the
 * kernel what /proc lacks (their mm, their earlier images' VmHWM). 0 or -errno.
 */
int mt_tracer__complete_seeds(struct mt_tracer *t);
/* What the running kernel gives: its RSS counting, the features it lacks (each said once). */
const struct mt_kernel *mt_tracer__kernel(const struct mt_tracer *t);
void mt_tracer__destroy(struct mt_tracer *t);

/* Seed: a process to trace from now on, and the group's starting sum. */
int mt_tracer__add_proc(struct mt_tracer *t, const struct mt_proc *p);
int mt_tracer__set_group(struct mt_tracer *t, const struct mt_group *g);
int mt_tracer__set_cgroup_group(struct mt_tracer *t, uint64_t id, const struct mt_group *g);

/* The py_procs map: where each process's CPython keeps its frames (src/python.c fills it). */
int mt_tracer__python_layouts_fd(struct mt_tracer *t);
/* The py_code_events ring buffer: code objects sampled for the first time. */
int mt_tracer__python_codes_fd(struct mt_tracer *t);

/* The ring buffer's epoll fd: readable when records wait (to wait on it with other fds). */
int mt_tracer__epoll_fd(struct mt_tracer *t);

/* Each loaded program's run count and time (counted under kernel.bpf_stats_enabled=1). */
size_t mt_tracer__program_stats(struct mt_tracer *t, struct mt_bpf_program *stats, size_t max);

/* Deliver pending records to the callback; waits up to timeout_ms for the first. */
int mt_tracer__poll(struct mt_tracer *t, int timeout_ms);

int mt_tracer__read_group(struct mt_tracer *t, struct mt_group *g);
void mt_tracer__read_stats(struct mt_tracer *t, struct mt_stats *s);

/*
 * Call fn for every process in the map (a consistent copy of each); entries
 * of exited processes whose exit record was lost (MT_PROC_EXIT_LOST) are
 * freed after the call.
 * Returns how many entries were in use, or -errno.
 */
int mt_tracer__for_each_proc(struct mt_tracer *t, int (*fn)(void *ctx, const struct mt_proc *p),
			     void *ctx);

/*
 * The live view's interval: entries' window_peak belongs to the current
 * number; advancing starts the next interval's peaks afresh.
 */
uint32_t mt_tracer__window(struct mt_tracer *t);
void mt_tracer__advance_window(struct mt_tracer *t);

/* Call fn for every memory cgroup's group (a consistent copy of each). */
int mt_tracer__for_each_cgroup(struct mt_tracer *t,
			       int (*fn)(void *ctx, uint64_t id, const struct mt_group *g), void *ctx);

#endif /* MEMTRACE_LOADER_H */
