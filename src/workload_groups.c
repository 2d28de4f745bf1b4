// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * workload_groups.c - the report's cgroups grouped by workload (see
 * workload_groups.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rss_track.h"
#include "workload_groups.h"

static struct mt_workload_group *find(struct mt_workload_group *groups, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(groups[i].name, name))
			return &groups[i];
	return NULL;
}

static int cmp_peak_desc(const void *a, const void *b)
{
	const struct mt_workload_group *wa = a, *wb = b;

	return (wa->peak < wb->peak) - (wa->peak > wb->peak);
}

static void add_run(const struct mt_report *r, struct mt_workload_group *w,
		    const struct mt_cgroup_group *cg)
{
	const struct mt_rss_track *t = &cg->g.rss;
	uint64_t window_peak = mt_track_window_peak(t, r->window);

	/* in the report's order: by peak, largest first, once finished */
	w->runs[w->nr_runs++] = cg;
	if (t->peak > w->peak) {
		w->peak = t->peak;
		w->peak_ns = t->peak_ns;
	}
	if (window_peak > w->window_peak)
		w->window_peak = window_peak;
	w->rss += t->rss;
	if (cg->memcg.known) {
		if (cg->memcg.limit > w->limit)
			w->limit = cg->memcg.limit;
		w->memcg_usage += cg->memcg.usage;
	}
	w->nr_running += cg->nr_running;
	w->running_faults += cg->running_faults;
	w->oom_kills += report_cgroup_ooms(r, cg->id, &w->limit);
}

struct mt_workload_group *workload_groups(const struct mt_report *r, size_t *n)
{
	struct mt_workload_group *groups = calloc(r->nr_cgroups + 1, sizeof(*groups)), *w;
	size_t i;

	*n = 0;
	if (!groups)
		return NULL;
	for (i = 0; i < r->nr_cgroups; i++) {
		const struct mt_cgroup_group *cg = &r->cgroups[i];

		if (!cg->names.workload[0])
			continue;
		w = find(groups, *n, cg->names.workload);
		if (!w) {
			w = &groups[(*n)++];
			w->name = cg->names.workload;
			w->runs = calloc(r->nr_cgroups, sizeof(*w->runs));
			if (!w->runs) {
				workload_groups_free(groups, *n);
				return NULL;
			}
		}
		add_run(r, w, cg);
	}
	qsort(groups, *n, sizeof(*groups), cmp_peak_desc);
	return groups;
}

void workload_groups_free(struct mt_workload_group *groups, size_t n)
{
	for (size_t i = 0; groups && i < n; i++)
		free(groups[i].runs);
	free(groups);
}

/* Index of cgroup `id` among w's runs, or -1. */
static long run_index(const struct mt_workload_group *w, uint64_t id)
{
	for (size_t i = 0; i < w->nr_runs; i++)
		if (w->runs[i]->id == id)
			return (long)i;
	return -1;
}

int workload_series(const struct mt_report *r, const struct mt_workload_group *w,
		    struct mt_series *s)
{
	uint64_t *now = calloc(w->nr_runs + 1, sizeof(*now));
	struct mt_row *rows;
	size_t i, j, n = 0;
	long k;

	memset(s, 0, sizeof(*s));
	/* one block: the row pointers, then the rows (report_series_free() frees both) */
	s->rows = malloc((r->nr_rows + 1) * (sizeof(*s->rows) + sizeof(*rows)));
	if (!now || !s->rows) {
		free(now);
		free(s->rows);
		s->rows = NULL;
		return -ENOMEM;
	}
	rows = (struct mt_row *)(s->rows + r->nr_rows + 1);
	/* the report's rows are in time order: step through the runs' values together */
	for (i = 0; i < r->nr_rows; i = j) {
		uint64_t top = 0;
		bool moved = false;

		for (j = i; j < r->nr_rows && r->rows[j].time_ns == r->rows[i].time_ns; j++) {
			k = r->rows[j].pid ? -1 : run_index(w, r->rows[j].cgroup_id);
			if (k >= 0) {
				now[k] = r->rows[j].rss;
				moved = true;
			}
		}
		if (!moved)
			continue;
		for (k = 0; k < (long)w->nr_runs; k++)
			if (now[k] > top)
				top = now[k];
		rows[n] = (struct mt_row){ .time_ns = r->rows[i].time_ns, .rss = top };
		s->rows[n] = &rows[n];
		n++;
	}
	s->n = n;
	free(now);
	return 0;
}
