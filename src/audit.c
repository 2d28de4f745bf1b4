// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit.c - the right-sizing figures of this host's trace (see audit.h).
 * The percentiles come from each cgroup's exact series (a point each time
 * its summed RSS moved by the resolution, and at each new peak), weighted by
 * how long each value held while anything was: what a sampler would see if
 * it sampled continuously while the container ran (Prometheus has series
 * only then, fleet.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "container.h"
#include "workload_groups.h"

struct segment {
	uint64_t value;
	uint64_t duration;
};

static int cmp_segment(const void *a, const void *b)
{
	const struct segment *sa = a, *sb = b;

	return (sa->value > sb->value) - (sa->value < sb->value);
}

uint64_t audit_percentile(const struct mt_series *s, uint64_t end_ns, double q)
{
	struct segment *seg;
	uint64_t total = 0, acc = 0, result = 0;
	size_t i, n = 0;

	if (!s->n)
		return 0;
	seg = malloc(s->n * sizeof(*seg));
	if (!seg)
		return 0;
	for (i = 0; i < s->n; i++) {
		uint64_t from = s->rows[i]->time_ns, until = i + 1 < s->n ? s->rows[i + 1]->time_ns : end_ns;

		/* time when nothing was held (no process yet, or all gone) is not usage */
		if (!s->rows[i]->rss)
			continue;
		seg[n].value = s->rows[i]->rss;
		seg[n].duration = until > from ? until - from : 0;
		total += seg[n++].duration;
	}
	if (!n) {
		free(seg);
		return 0;
	}
	qsort(seg, n, sizeof(*seg), cmp_segment);
	result = seg[n - 1].value;
	for (i = 0; i < n; i++) {
		acc += seg[i].duration;
		if (total && (double)acc >= q * (double)total) {
			result = seg[i].value;
			break;
		}
	}
	free(seg);
	return result;
}

const char *audit_verdict(uint64_t peak, uint64_t limit, unsigned int oom_kills)
{
	if (oom_kills)
		return "at-risk";
	if (!limit)
		return "no-limit";
	if (peak < MT_AUDIT_OVER_PROVISIONED * limit)
		return "over-provisioned";
	if (peak > MT_AUDIT_AT_RISK * limit)
		return "at-risk";
	return "ok";
}

const char *audit_by_name(enum mt_by by)
{
	return by == MT_BY_WORKLOAD ? "workload" : by == MT_BY_CONTAINER ? "container" : "cgroup";
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void fill_percentiles(struct mt_audit_entry *e, const struct mt_series *s, uint64_t end_ns)
{
	e->p50 = audit_percentile(s, end_ns, 0.50);
	e->p95 = audit_percentile(s, end_ns, 0.95);
	e->p99 = audit_percentile(s, end_ns, 0.99);
}

/* A cgroup or a container: its own figures. */
static int cgroup_entry(const struct mt_report *r, const struct mt_cgroup_group *cg, bool container,
			struct mt_audit_entry *e)
{
	struct mt_series series;
	char label[300];

	container_label(container ? &cg->container : NULL, cg->path, cg->id, label, sizeof(label));
	e->label = strdup(label);
	e->cgroup_id = cg->id;
	e->cgroup = dup_or_null(cg->path);
	e->runtime = dup_or_null(cg->container.runtime);
	e->container_id = dup_or_null(cg->container.id);
	e->name = dup_or_null(cg->container.name);
	e->container_name = dup_or_null(cg->names.container);
	e->pod_name = dup_or_null(cg->names.pod);
	e->namespace_ = dup_or_null(cg->names.namespace_);
	e->workload = dup_or_null(cg->names.workload);
	e->pod_uid = dup_or_null(cg->container.pod_uid);
	e->qos = dup_or_null(cg->container.qos);
	e->limit = cg->memcg.known ? cg->memcg.limit : 0;
	e->peak = cg->g.rss.peak;
	e->peak_time_known = true;
	e->peak_time_s = report_seconds(r, cg->g.rss.peak_ns);
	e->memcg_peak = cg->memcg.peak;
	e->containers = e->nodes = 1;
	if (!report_series(r, 0, cg->id, &series)) {
		fill_percentiles(e, &series, r->end_ns);
		report_series_free(&series);
	}
	e->oom_kills = report_cgroup_ooms(r, cg->id, &e->limit);
	return e->label ? 0 : -ENOMEM;
}

/* A workload: its largest run's peak, its runs' usage over time (workload_groups.h). */
static int workload_entry(const struct mt_report *r, const struct mt_workload_group *w,
			  struct mt_audit_entry *e)
{
	struct mt_series series;
	const struct mt_cgroup_group *top = w->runs[0];

	e->label = strdup(w->name);
	e->workload = strdup(w->name);
	e->namespace_ = dup_or_null(top->names.namespace_);
	e->runtime = dup_or_null(top->container.runtime);
	e->limit = w->limit;
	e->peak = w->peak;
	e->peak_time_known = true;
	e->peak_time_s = report_seconds(r, w->peak_ns);
	e->oom_kills = w->oom_kills;
	e->containers = w->nr_runs;
	e->nodes = 1;
	if (!workload_series(r, w, &series)) {
		fill_percentiles(e, &series, r->end_ns);
		report_series_free(&series);
	}
	return e->label && e->workload ? 0 : -ENOMEM;
}

static int build_by_workload(const struct mt_report *r, struct mt_audit *a)
{
	struct mt_workload_group *groups;
	size_t n, i;
	int err = 0;

	groups = workload_groups(r, &n);
	a->entries = calloc(n + 1, sizeof(*a->entries));
	if (!groups || !a->entries) {
		workload_groups_free(groups, n);
		return -ENOMEM;
	}
	for (i = 0; i < n && !err; i++)
		err = workload_entry(r, &groups[i], &a->entries[a->n++]);
	workload_groups_free(groups, n);
	return err;
}

int audit_build(const struct mt_report *r, struct mt_audit *a)
{
	bool containers = r->by == MT_BY_CONTAINER;
	int err = 0;

	*a = (struct mt_audit){ .source = "local", .by = r->by, .margin = r->audit_margin,
				.duration_s = report_seconds(r, r->end_ns),
				.lost_events = report_lost_events(r) };
	if (r->by == MT_BY_WORKLOAD) {
		err = build_by_workload(r, a);
	} else {
		a->entries = calloc(r->nr_cgroups + 1, sizeof(*a->entries));
		if (!a->entries)
			return -ENOMEM;
		for (size_t i = 0; i < r->nr_cgroups && !err; i++) {
			if (containers && !r->cgroups[i].container.runtime)
				continue;
			err = cgroup_entry(r, &r->cgroups[i], containers, &a->entries[a->n++]);
		}
	}
	if (err) {
		audit_free(a);
		return err;
	}
	audit_finish(a);
	return 0;
}

static int cmp_entry_peak_desc(const void *x, const void *y)
{
	const struct mt_audit_entry *a = x, *b = y;

	return (a->peak < b->peak) - (a->peak > b->peak);
}

void audit_finish(struct mt_audit *a)
{
	qsort(a->entries, a->n, sizeof(*a->entries), cmp_entry_peak_desc);
	for (size_t i = 0; i < a->n; i++) {
		struct mt_audit_entry *e = &a->entries[i];

		e->suggested = (uint64_t)((double)e->peak * (1.0 + a->margin));
		e->verdict = audit_verdict(e->peak, e->limit, e->oom_kills);
	}
}

void audit_free(struct mt_audit *a)
{
	for (size_t i = 0; a->entries && i < a->n; i++) {
		struct mt_audit_entry *e = &a->entries[i];
		char *strings[] = { e->label,	 e->cgroup,   e->runtime,  e->container_id,
				    e->name,	 e->container_name, e->pod_name, e->namespace_,
				    e->workload, e->pod_uid,  e->qos };

		for (size_t j = 0; j < sizeof(strings) / sizeof(strings[0]); j++)
			free(strings[j]);
	}
	free(a->entries);
	a->entries = NULL;
	a->n = 0;
}
