/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * workload_groups.h - the report's cgroups grouped by workload (--by
 * workload): each container is one run of its workload (workload.h), and a
 * limit is set per run, so a workload's peak is its largest run's, not a sum.
 */
#ifndef MEMTRACE_WORKLOAD_GROUPS_H
#define MEMTRACE_WORKLOAD_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct mt_workload_group {
	const char *name;		     /* the runs' names.workload */
	const struct mt_cgroup_group **runs; /* its cgroups, in the report's order */
	size_t nr_runs;
	uint64_t peak, peak_ns;	 /* the largest run's peak, and when */
	uint64_t window_peak;	 /* the largest run's peak in the live view's interval */
	uint64_t rss;		 /* its runs' RSS now, summed */
	uint64_t limit;		 /* the largest memcg limit of its runs; 0: none */
	uint64_t memcg_usage;	 /* its runs' memcg usage now, summed */
	size_t nr_running;	 /* traced processes running in its runs */
	uint64_t running_faults; /* their page faults */
	unsigned int oom_kills;	 /* in any of its runs */
};

/*
 * One group per workload named by the report's cgroups (those without one
 * are left out), largest peak first; malloc'd, *n groups, or NULL.
 */
struct mt_workload_group *workload_groups(const struct mt_report *r, size_t *n);
void workload_groups_free(struct mt_workload_group *groups, size_t n);

/*
 * A workload's usage over time: at each moment the largest of its runs'
 * summed RSS (what the largest run needed then), from their series. 0, or
 * -ENOMEM; free with report_series_free().
 */
int workload_series(const struct mt_report *r, const struct mt_workload_group *w,
		    struct mt_series *s);

#endif /* MEMTRACE_WORKLOAD_GROUPS_H */
