/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit.h - the right-sizing audit (`memtrace audit`): for each container or
 * cgroup over the window, its limit, its exact peak, the distribution of its
 * usage over time, its OOM kills, and a suggested limit.
 */
#ifndef MEMTRACE_AUDIT_H
#define MEMTRACE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define MT_AUDIT_OVER_PROVISIONED 0.50 /* peak below this share of the limit */
#define MT_AUDIT_AT_RISK 0.90	       /* peak above this share of the limit */

struct mt_audit_entry {
	const struct mt_cgroup_group *cg;
	uint64_t limit;		 /* the memcg's limit; 0: none */
	uint64_t p50, p95, p99;	 /* time-weighted percentiles of the summed RSS */
	unsigned int oom_kills;
	uint64_t suggested;	 /* peak x (1 + margin) */
	const char *verdict;	 /* "over-provisioned", "at-risk", "ok", "no-limit" */
};

/*
 * The value below which a series spends fraction q of [its first row,
 * end_ns), each row's value holding until the next. 0 for an empty series.
 */
uint64_t audit_percentile(const struct mt_series *s, uint64_t end_ns, double q);

/*
 * One entry per cgroup of the report (only those of containers when
 * containers_only), largest peak first; malloc'd, *n entries.
 */
struct mt_audit_entry *audit_build(const struct mt_report *r, int containers_only, double margin,
				   size_t *n);

#endif /* MEMTRACE_AUDIT_H */
