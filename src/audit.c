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

uint64_t audit_percentile(const struct mt_row *rows, size_t n, uint64_t end_ns, double q)
{
	struct segment *seg;
	uint64_t total = 0, acc = 0, result = 0;
	size_t i;

	if (!n)
		return 0;
	seg = malloc(n * sizeof(*seg));
	if (!seg)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t until = i + 1 < n ? rows[i + 1].time_ns : end_ns;

		seg[i].value = rows[i].rss;
		seg[i].duration = until > rows[i].time_ns ? until - rows[i].time_ns : 0;
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

static int cmp_row_time(const void *a, const void *b)
{
	const struct mt_row *ra = a, *rb = b;

	return (ra->time_ns > rb->time_ns) - (ra->time_ns < rb->time_ns);
}

/* One cgroup's series, sorted by time; malloc'd. */
static struct mt_row *series_of(const struct mt_report *r, uint64_t id, size_t *n)
{
	struct mt_row *rows = malloc((r->nr_rows + 1) * sizeof(*rows));

	*n = 0;
	if (!rows)
		return NULL;
	for (size_t i = 0; i < r->nr_rows; i++) {
		if (r->rows[i].cgroup_id == id)
			rows[(*n)++] = r->rows[i];
	}
	qsort(rows, *n, sizeof(*rows), cmp_row_time);
	return rows;
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
	size_t i, j, nr_rows;
	struct mt_row *rows;

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
		rows = series_of(r, cg->id, &nr_rows);
		e->p50 = audit_percentile(rows, nr_rows, r->end_ns, 0.50);
		e->p95 = audit_percentile(rows, nr_rows, r->end_ns, 0.95);
		e->p99 = audit_percentile(rows, nr_rows, r->end_ns, 0.99);
		free(rows);
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
