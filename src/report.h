/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * report.h - the aggregation: every process memtrace traced during a run,
 * the group's totals, the timeline rows and the drop counters, built from the
 * ring-buffer events and the final map contents, read by the output writers.
 */
#ifndef MEMTRACE_REPORT_H
#define MEMTRACE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "container.h"
#include "kernel.h"
#include "memtrace.h"
#include "profile.h"

struct mt_process {
	struct mt_proc k; /* the kernel's record: final once exited */
	char *cmdline;	  /* arguments joined by spaces; NULL if unknown */
	bool exited;	   /* gone; k.flags has MT_PROC_EXITED when its exit status is known */
	bool vmhwm_known;
	uint64_t vmhwm; /* the kernel's VmHWM, at exit or from /proc at the end */
};

/* How reports and the live view group what they show. */
enum mt_by {
	MT_BY_PROCESS,
	MT_BY_CGROUP,
	MT_BY_CONTAINER,
	MT_BY_WORKLOAD, /* the containers that are runs of one workload (workload_groups.h) */
};

/* A memory cgroup's group: the exact peak of its processes' summed RSS, and who it is. */
struct mt_cgroup_group {
	uint64_t id;
	struct mt_group g;	/* the kernel's sum and its peak, as last read */
	char *path;		/* in the memory hierarchy; NULL if it could not be resolved */
	struct mt_container container;
	struct mt_runtime_names names; /* from the runtime's state; empty if unknown */
	struct mt_memcg memcg;	/* the memcg's own figures, as last read */
	size_t nr_procs;	/* traced processes charged to it, exited ones included */
	size_t nr_running;	/* those still running */
	uint64_t running_faults; /* the page faults of those */
};

#define MT_MAX_PROGRAMS 32

struct mt_row {
	uint64_t time_ns;
	uint32_t pid;	    /* 0: all traced processes together, or a cgroup's row */
	uint64_t cgroup_id; /* a cgroup's series (audit); 0 otherwise */
	uint64_t rss;
	uint64_t vm;
};

/* One series of the timeline: its rows, in time order (pointers into the report's). */
struct mt_series {
	const struct mt_row **rows;
	size_t n;
};

struct mt_report {
	struct mt_process **procs; /* in order of appearance */
	size_t nr_procs, cap_procs;
	size_t nr_exited;	   /* of procs */
	size_t keep_exited;	   /* list at most this many exited processes (largest peaks); 0: all */
	uint64_t unlisted;	   /* exited processes traced but dropped from the list */
	void *live; /* tsearch tree of the processes not yet exited, by pid */

	bool keep_rows;
	struct mt_row *rows; /* kept in time order (then pid) as they come */
	size_t nr_rows, cap_rows;

	struct mt_group group;
	/* in order of appearance while tracing; by peak, largest first, once finished */
	struct mt_cgroup_group *cgroups;
	size_t nr_cgroups, cap_cgroups;
	void *cgroup_index; /* tsearch tree: cgroup id -> index in cgroups */
	struct mt_oom_event *ooms; /* OOM kills, as the kernel side sent them */
	size_t nr_ooms, cap_ooms;
	uint32_t window; /* the live view's interval whose peaks the entries hold */
	struct mt_bpf_program programs[MT_MAX_PROGRAMS];
	size_t nr_programs;
	struct mt_stats stats;
	struct mt_kernel kernel; /* how it counts RSS, what it lacks */
	uint64_t records;	     /* ring-buffer records delivered (lost: stats.ringbuf_drops) */
	uint64_t map_in_use;	     /* entries of the kernel's process map in use at the end */
	uint64_t untracked_at_start; /* -a: running processes beyond --max-procs */
	uint64_t start_ns, end_ns;   /* CLOCK_MONOTONIC */

	enum mt_by by;	/* how the text report groups */
	double audit_margin; /* memtrace audit: suggested limit = peak x (1 + margin) */
	struct mt_cgroups *cgroup_names; /* learns cgroup paths from the events; may be NULL */
	char **command; /* NULL under -p */
	const int *pids;
	int nr_pids;
	bool has_exit_code;
	int exit_code; /* CMD's, shell style: 128+N for a signal */

	uint64_t self_user_ns, self_sys_ns; /* memtrace's own CPU time (not CMD's) */
	uint64_t self_max_rss;		    /* and its largest RSS */

	struct mt_profile *profile; /* which code grew memory; NULL without stacks */
	struct mt_unwinder *unwinder;
	struct mt_insn_decoder *insns; /* where each growth sample's memory is */
};

void report_init(struct mt_report *r, uint64_t start_ns, bool keep_rows);
void report_free(struct mt_report *r);

/* A process whose tracing starts now (a -p process, the `--` child). */
struct mt_process *report_add(struct mt_report *r, const struct mt_proc *k, const char *cmdline);
struct mt_process *report_find_live(struct mt_report *r, uint32_t pid);

/* Events, in ring-buffer order. */
/* A new traced process: forked (MT_EV_FORK) or, under -a, found running (MT_EV_FOUND). */
int report_on_new(struct mt_report *r, const struct mt_proc_event *e);
int report_on_exec(struct mt_report *r, const struct mt_proc_event *e);
int report_on_exit(struct mt_report *r, const struct mt_proc *k);
int report_add_row(struct mt_report *r, uint32_t pid, uint64_t time_ns, uint64_t rss, uint64_t vm);
int report_add_cgroup_row(struct mt_report *r, uint64_t cgroup_id, uint64_t time_ns, uint64_t rss);
int report_on_oom(struct mt_report *r, const struct mt_oom_event *e);
void report_on_cgroup(struct mt_report *r, const struct mt_cgroup_event *e);
/* Stack samples (after report_enable_stacks) and the ranges that unmap them. */
int report_on_sample(struct mt_report *r, const struct mt_sample_event *e);
int report_on_unmap(struct mt_report *r, const struct mt_unmap_event *e);

/* Attribute growth to code: keep a profile of the stack samples. 0 or -ENOMEM. */
int report_enable_stacks(struct mt_report *r, const char *unwind, uint64_t sample_bytes,
			 uint64_t big_bytes);
/* The group of a memory cgroup, NULL if none was reported. */
const struct mt_cgroup_group *report_find_cgroup(const struct mt_report *r, uint64_t id);

/*
 * A memory cgroup's group as the kernel has it now: added at first sight
 * (its path, container and runtime names resolved while it exists), its sum
 * and its memcg's figures refreshed. 0 or -ENOMEM.
 */
int report_update_cgroup(struct mt_report *r, uint64_t id, const struct mt_group *g);

/* Each cgroup's processes (all, and running) and the running ones' faults. */
void report_count_cgroups(struct mt_report *r);

/* A series of the timeline: a process's (pid), a cgroup's (cgroup_id), the total's (both 0). */
int report_series(const struct mt_report *r, uint32_t pid, uint64_t cgroup_id,
		  struct mt_series *s);
void report_series_free(struct mt_series *s);

/*
 * A fresh copy of a map entry: a live process's current state, or an exited
 * one whose exit record was lost (MT_PROC_EXITED).
 */
int report_update(struct mt_report *r, const struct mt_proc *k);

/* A process gone without an exit record: it exited before tracing attached. */
void report_mark_gone(struct mt_report *r, struct mt_process *p, uint64_t time_ns);

/* Tracing ended at end_ns (r->group holds the group's final state): close the timeline. */
int report_finish(struct mt_report *r, uint64_t end_ns);

/* Exit status from wait(2) to a shell-style code (128+N for signal N). */
int mt_exit_code(int wait_status);

/* Seconds of a CLOCK_MONOTONIC time relative to the start of tracing. */
double report_seconds(const struct mt_report *r, uint64_t time_ns);

/* Processes sorted by peak RSS, largest first; malloc'd array of r->nr_procs. */
struct mt_process **report_by_peak(const struct mt_report *r);

/* Order the cgroups by peak, largest first: the final writers' order. */
void report_sort_cgroups(struct mt_report *r);

/*
 * The OOM kills in cgroup id; *limit (if given and 0) becomes the limit the
 * OOM killer saw, for a cgroup memtrace could not read while it existed.
 */
unsigned int report_cgroup_ooms(const struct mt_report *r, uint64_t id, uint64_t *limit);

/* Processes that could not be traced (the process map was full). */
uint64_t report_untracked(const struct mt_report *r);

/*
 * Kernel events memtrace's programs were not run for (each was still running
 * on that CPU), whichever process they concerned: most concern processes
 * memtrace does not trace, so they are reported beside lost_events, not in it.
 */
uint64_t report_program_misses(const struct mt_report *r);

/* All lost or undelivered events: what every output reports as lost_events. */
uint64_t report_lost_events(const struct mt_report *r);

#endif /* MEMTRACE_REPORT_H */
