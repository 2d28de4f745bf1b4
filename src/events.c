// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * events.c - dispatch ring-buffer records to the report by their type tag,
 * after checking that each is as long as its type says (see events.h).
 */
#include <errno.h>

#include "events.h"
#include "memtrace.h"
#include "report.h"

int events_handle(void *ctx, const void *data, size_t size)
{
	const struct mt_event_header *hdr = data;
	struct mt_report *r = ctx;

	if (size < sizeof(*hdr))
		return -EINVAL;
	r->records++;
	switch (hdr->type) {
	case MT_EV_ROW: {
		const struct mt_row_event *e = data;

		if (size < sizeof(*e))
			return -EINVAL;
		if (e->cgroup_id)
			return report_add_cgroup_row(r, e->cgroup_id, hdr->time_ns, e->rss);
		return report_add_row(r, hdr->pid, hdr->time_ns, e->rss, e->vm);
	}
	case MT_EV_FORK:
	case MT_EV_FOUND:
	case MT_EV_EXEC:
		if (size < sizeof(struct mt_proc_event))
			return -EINVAL;
		return hdr->type == MT_EV_EXEC ? report_on_exec(r, data) : report_on_new(r, data);
	case MT_EV_OOM:
		if (size < sizeof(struct mt_oom_event))
			return -EINVAL;
		return report_on_oom(r, data);
	case MT_EV_CGROUP:
		if (size < sizeof(struct mt_cgroup_event))
			return -EINVAL;
		report_on_cgroup(r, data);
		return 0;
	case MT_EV_SAMPLE:
		if (size < sizeof(struct mt_sample_event))
			return -EINVAL;
		return report_on_sample(r, data);
	case MT_EV_UNMAP:
		if (size < sizeof(struct mt_unmap_event))
			return -EINVAL;
		return report_on_unmap(r, data);
	case MT_EV_EXIT:
		if (size < sizeof(struct mt_exit_event))
			return -EINVAL;
		return report_on_exit(r, &((const struct mt_exit_event *)data)->proc);
	default:
		return -EINVAL;
	}
}
