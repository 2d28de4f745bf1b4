/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * top.h - `memtrace top`: the live table of processes or containers, one
 * screen (or, with -b, one block of lines) per interval: current RSS, exact
 * peak since start, peak within the last interval, growth rate, faults per
 * second, and for containers the memcg's usage and limit; with the
 * processes that exited recently.
 */
#ifndef MEMTRACE_TOP_H
#define MEMTRACE_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "loader.h"
#include "report.h"

enum mt_top_sort {
	MT_SORT_RSS,
	MT_SORT_PEAK,
	MT_SORT_WINDOW, /* peak in the last interval */
	MT_SORT_GROWTH,
	MT_SORT_FAULTS,
};

/* One group as the live view sees it this interval (from the kernel's map). */
struct mt_top;

struct mt_top *top_new(enum mt_by by, enum mt_top_sort sort, bool batch);
void top_free(struct mt_top *top);

/* "rss", "peak", "window", "growth", "faults" -> sort key; -1 if unknown. */
int top_parse_sort(const char *s);

/* A key pressed in the interactive view: changes the sort; returns false on 'q'. */
bool top_key(struct mt_top *top, int key);

/*
 * Print one interval. r's processes are current; cgroups are this interval's
 * groups; window is the interval whose window peaks the entries hold; names
 * resolves cgroup paths and memcg figures (may be NULL).
 */
void top_render(struct mt_top *top, FILE *f, const struct mt_report *r,
		const struct mt_cgroup_snapshot *cgroups, size_t nr_cgroups, uint32_t window,
		struct mt_cgroups *names, uint64_t now_ns);

#endif /* MEMTRACE_TOP_H */
