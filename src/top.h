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

#include "report.h"

enum mt_top_sort {
	MT_SORT_RSS,
	MT_SORT_PEAK,
	MT_SORT_WINDOW, /* peak in the last interval */
	MT_SORT_GROWTH,
	MT_SORT_FAULTS,
};

/* The --sort keys, in enum mt_top_sort's order, NULL-terminated. */
extern const char *const mt_top_sort_names[];

struct mt_top;

struct mt_top *top_new(enum mt_by by, enum mt_top_sort sort, bool batch);
void top_free(struct mt_top *top);

/* A key pressed in the interactive view: changes the sort; returns false on 'q'. */
bool top_key(struct mt_top *top, int key);

/*
 * Print one interval from the report as session_refresh() left it: its
 * processes and cgroups current, their interval peaks those of r->window.
 * 0, or -errno when f cannot be written (a closed pipe: EPIPE).
 */
int top_render(struct mt_top *top, FILE *f, const struct mt_report *r, uint64_t now_ns);

#endif /* MEMTRACE_TOP_H */
