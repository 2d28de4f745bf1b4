// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * audit.c - the right-sizing figures (see audit.h). The percentiles come
 * from each cgroup's exact series (a point each time its summed RSS moved by
 * the resolution, and at each new peak), weighted by how long each value
 * held: what a sampler would see if it sampled continuously.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"

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
	size_t i, n = s->n;

	if (!n)
		return 0;
	seg = malloc(n * sizeof(*seg));
	if (!seg)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t until = i + 1 < n ? s->rows[i + 1]->time_ns : end_ns;

		seg[i].value = s->rows[i]->rss;
		seg[i].duration = until > s->rows[i]->time_ns ? until - s->rows[i]->time_ns : 0;
		total += seg[i].duration;
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

static const char *verdict(uint64_t peak, uint64_t limit)
{
	if (!limit)
		return "no-limit";
	if (peak < MT_AUDIT_OVER_PROVISIONED * limit)
		return "over-provisioned";
	if (peak > MT_AUDIT_AT_RISK * limit)
		return "at-risk";
	return "ok";
}

struct mt_audit_entry *audit_build(const struct mt_report *r, int containers_only, double margin,
				   size_t *n)
{
	struct mt_audit_entry *entries = calloc(r->nr_cgroups + 1, sizeof(*entries));
	struct mt_series series;
	size_t i, j;

	*n = 0;
	if (!entries)
		return NULL;
	/* r->cgroups is sorted by peak already */
	for (i = 0; i < r->nr_cgroups; i++) {
		const struct mt_cgroup_group *cg = &r->cgroups[i];
		struct mt_audit_entry *e;

		if (containers_only && !cg->container.runtime)
			continue;
		e = &entries[(*n)++];
		e->cg = cg;
		e->limit = cg->memcg.known ? cg->memcg.limit : 0;
		if (!report_series(r, 0, cg->id, &series)) {
			e->p50 = audit_percentile(&series, r->end_ns, 0.50);
			e->p95 = audit_percentile(&series, r->end_ns, 0.95);
			e->p99 = audit_percentile(&series, r->end_ns, 0.99);
			report_series_free(&series);
		}
		for (j = 0; j < r->nr_ooms; j++)
			e->oom_kills += r->ooms[j].cgroup_id == cg->id;
		/* a killed container's limit is the one the OOM killer saw, if memtrace missed it */
		for (j = 0; j < r->nr_ooms && !e->limit; j++) {
			if (r->ooms[j].cgroup_id == cg->id)
				e->limit = r->ooms[j].memcg_limit;
		}
		e->suggested = (uint64_t)((double)cg->g.rss.peak * (1.0 + margin));
		e->verdict = e->oom_kills ? "at-risk" : verdict(cg->g.rss.peak, e->limit);
	}
	return entries;
}
