// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_timeline.c - the timeline as CSV: `time_s,pid,rss_bytes,vm_bytes`,
 * one row each time a process's RSS moved by the resolution and one at each
 * new peak; pid 0 is all traced processes together. Rows come from the ring
 * buffer in the order they were sent, and a peak row is sent after its time
 * (when RSS falls again), so they are sorted by time here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

static int cmp_row_time(const void *a, const void *b)
{
	const struct mt_row *ra = a, *rb = b;

	if (ra->time_ns != rb->time_ns)
		return ra->time_ns < rb->time_ns ? -1 : 1;
	return (ra->pid > rb->pid) - (ra->pid < rb->pid);
}

static int write_timeline(const struct mt_report *r, FILE *f)
{
	struct mt_row *rows;
	size_t i;

	rows = malloc((r->nr_rows + 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	memcpy(rows, r->rows, r->nr_rows * sizeof(*rows));
	qsort(rows, r->nr_rows, sizeof(*rows), cmp_row_time);

	fputs("time_s,pid,rss_bytes,vm_bytes\n", f);
	for (i = 0; i < r->nr_rows; i++) {
		if (rows[i].cgroup_id)
			continue; /* cgroups' series feed the audit */
		fprintf(f, "%.6f,%u,%llu,%llu\n", report_seconds(r, rows[i].time_ns), rows[i].pid,
			(unsigned long long)rows[i].rss, (unsigned long long)rows[i].vm);
	}
	free(rows);
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

const struct mt_writer mt_writer_timeline = { "timeline", write_timeline };
