/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * rss_track.h - the peak and timeline rule, shared by the BPF programs (which
 * run it on every counter change, under the entry's spin lock) and the unit
 * tests (which check it against known series).
 *
 * Rows: the timeline gets a row each time rss moved by at least `resolution`
 * since the last row, and one row per new peak. The peak row is only known to
 * be the top once rss falls again, so it is sent then, with the peak's own
 * time: a short spike costs two or three rows, never one row per page.
 */
#ifndef MEMTRACE_RSS_TRACK_H
#define MEMTRACE_RSS_TRACK_H

#include "memtrace.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define MT_ROW_PEAK (1u << 0) /* send (peak, peak_ns) */
#define MT_ROW_NOW (1u << 1)  /* send (rss, now) */

/*
 * Record that the series is now at `rss` bytes at time `now`. Returns which
 * timeline rows are due (MT_ROW_*); none when resolution is 0 (no timeline).
 * Returns whether the peak moved through *new_peak, so the caller can snapshot
 * the split of the counters at the peak.
 */
static __always_inline __u32 mt_track_update(struct mt_rss_track *t, __u64 rss, __u64 now,
					     __u64 resolution, int *new_peak)
{
	__u32 rows = 0;
	__u64 diff;

	*new_peak = rss > t->peak;
	t->rss = rss;
	if (*new_peak) {
		t->peak = rss;
		t->peak_ns = now;
	}
	if (!resolution)
		return 0;

	if (*new_peak) {
		t->peak_unsent = 1;
	} else if (t->peak_unsent && rss < t->peak) {
		rows |= MT_ROW_PEAK;
		t->peak_unsent = 0;
		t->last_row_rss = t->peak;
	}
	diff = rss > t->last_row_rss ? rss - t->last_row_rss : t->last_row_rss - rss;
	if (diff >= resolution) {
		rows |= MT_ROW_NOW;
		t->last_row_rss = rss;
		if (rss == t->peak)
			t->peak_unsent = 0;
	}
	return rows;
}

/* Start a series at `rss` (a process found running, or a new child's copy). */
static __always_inline void mt_track_init(struct mt_rss_track *t, __u64 rss, __u64 now)
{
	t->rss = rss;
	t->peak = rss;
	t->peak_ns = now;
	t->last_row_rss = rss;
	t->peak_unsent = 0;
	t->window = 0;
	t->window_peak = rss;
}

/*
 * The live view's "peak in the last interval", the one figure a poller can
 * never get: userspace numbers its intervals (window). Called with the new
 * rss before mt_track_update(), while t->rss is still what held until now:
 * the first change in a new interval starts its peak at the larger of the
 * two, since the old value held from the interval's start.
 */
static __always_inline void mt_track_window(struct mt_rss_track *t, __u64 rss, __u32 window)
{
	if (t->window != window) {
		t->window = window;
		t->window_peak = t->rss;
	}
	if (rss > t->window_peak)
		t->window_peak = rss;
}

/* The peak within interval `window`: without a change in it, rss held all along. */
static __always_inline __u64 mt_track_window_peak(const struct mt_rss_track *t, __u32 window)
{
	return t->window == window && t->window_peak > t->rss ? t->window_peak : t->rss;
}

#endif /* MEMTRACE_RSS_TRACK_H */
