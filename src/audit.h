/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * audit.h - the right-sizing audit (`memtrace audit`): for each container,
 * cgroup or workload over the window, its limit, its exact peak, the
 * distribution of its usage over time, its OOM kills, and a suggested limit.
 * One table, filled from this host's trace (audit_build()) or from the
 * series a fleet's `memtrace serve` exported to Prometheus (fleet.h), and
 * written the same way (output_audit.c).
 */
#ifndef MEMTRACE_AUDIT_H
#define MEMTRACE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

#define MT_AUDIT_OVER_PROVISIONED 0.50 /* peak below this share of the limit */
#define MT_AUDIT_AT_RISK 0.90	       /* peak above this share of the limit */

/* One audited container, cgroup or workload. Strings are owned; NULL: unknown. */
struct mt_audit_entry {
	char *label;			  /* the table's first column */
	uint64_t cgroup_id;		  /* 0: by workload, or from Prometheus */
	char *cgroup, *runtime, *container_id, *name, *container_name, *pod_name, *namespace_,
		*workload, *pod_uid, *qos;
	uint64_t limit;			  /* the memcg's (by workload: the largest); 0: none */
	uint64_t peak;			  /* exact; by workload the largest run's */
	bool peak_time_known;
	double peak_time_s;
	uint64_t memcg_peak;		  /* the memcg's own peak; 0: unknown */
	uint64_t p50, p95, p99;		  /* over time, weighted by how long each value held */
	unsigned int oom_kills;
	uint64_t containers, nodes;	  /* seen: runs, and hosts */
	uint64_t suggested;		  /* peak x (1 + margin) */
	const char *verdict;		  /* "over-provisioned", "at-risk", "ok", "no-limit" */
};

struct mt_audit {
	const char *source;	/* "local" or "prometheus" */
	enum mt_by by;		/* cgroup, container or workload */
	double duration_s;	/* the window */
	double margin;
	uint64_t lost_events;	/* local: the trace's; Prometheus: memtrace_lost_events_total's increase */
	struct mt_audit_entry *entries; /* largest peak first */
	size_t n;
};

/*
 * The value below which a series spends fraction q of the time it holds
 * memory in [its first row, end_ns), each row's value holding until the
 * next; 0 for a series that never holds any.
 */
uint64_t audit_percentile(const struct mt_series *s, uint64_t end_ns, double q);

/* The verdict for a peak under a limit (0: none), and whether it was OOM-killed. */
const char *audit_verdict(uint64_t peak, uint64_t limit, unsigned int oom_kills);

/*
 * The audit of this host's trace, r->by as the grouping: one entry per
 * cgroup (only those of containers by container, only those with a workload
 * by workload). 0 or -ENOMEM.
 */
int audit_build(const struct mt_report *r, struct mt_audit *a);

/* Sort by peak, largest first, and fill each suggested limit and verdict. */
void audit_finish(struct mt_audit *a);
void audit_free(struct mt_audit *a);

/* "cgroup", "container", "workload" */
const char *audit_by_name(enum mt_by by);

/* The table, and memtrace.audit/1 (output_audit.c). 0 or -errno. */
int audit_write_text(const struct mt_audit *a, FILE *f);
int audit_write_json(const struct mt_audit *a, FILE *f);

#endif /* MEMTRACE_AUDIT_H */
