// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_timeline.c - the timeline as CSV: `time_s,pid,rss_bytes,vm_bytes`,
 * one row each time a process's RSS moved by the resolution and one at each
 * new peak; pid 0 is all traced processes together, in time order (the
 * report keeps them so).
 */
#include <errno.h>

#include "output.h"

static int write_timeline(const struct mt_report *r, FILE *f)
{
	fputs("time_s,pid,rss_bytes,vm_bytes\n", f);
	for (size_t i = 0; i < r->nr_rows; i++) { /* in time order */
		const struct mt_row *row = &r->rows[i];

		if (row->cgroup_id)
			continue; /* cgroups' series feed the audit */
		fprintf(f, "%.6f,%u,%llu,%llu\n", report_seconds(r, row->time_ns), row->pid,
			(unsigned long long)row->rss, (unsigned long long)row->vm);
	}
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

const struct mt_writer mt_writer_timeline = { "timeline", write_timeline };
