// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_html.c - --html FILE: one self-contained page (src/report.html,
 * linked in by html_template.S) with the JSON report and the timeline rows
 * inlined; the page's own script draws the timeline with the exact peak
 * marked, the at-peak and overall flame graphs and the tables. Nothing is
 * fetched from the network.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define MT_HTML_DATA_MARK "/*MEMTRACE-DATA*/"

extern const char mt_html_template[];

static int cmp_row_time(const void *a, const void *b)
{
	const struct mt_row *ra = a, *rb = b;

	return (ra->time_ns > rb->time_ns) - (ra->time_ns < rb->time_ns);
}

/* [[time_s, pid, rss_bytes], ...] by time: the processes' and the total's rows. */
static json_object *timeline_json(const struct mt_report *r)
{
	json_object *rows = json_object_new_array(), *row;
	struct mt_row *sorted = malloc((r->nr_rows + 1) * sizeof(*sorted));
	size_t i;

	if (!sorted)
		return rows;
	memcpy(sorted, r->rows, r->nr_rows * sizeof(*sorted));
	qsort(sorted, r->nr_rows, sizeof(*sorted), cmp_row_time);
	for (i = 0; i < r->nr_rows; i++) {
		if (sorted[i].cgroup_id)
			continue;
		row = json_object_new_array();
		json_object_array_add(row, json_object_new_double(report_seconds(r, sorted[i].time_ns)));
		json_object_array_add(row, json_object_new_int64(sorted[i].pid));
		json_object_array_add(row, json_object_new_uint64(sorted[i].rss));
		json_object_array_add(rows, row);
	}
	free(sorted);
	return rows;
}

static int write_html(const struct mt_report *r, FILE *f)
{
	const char *mark = strstr(mt_html_template, MT_HTML_DATA_MARK), *text;
	json_object *o;
	int err = 0;

	if (!mark)
		return -EINVAL;
	o = output_json_report(r);
	json_object_object_add(o, "timeline", timeline_json(r));
	/* plain flags escape '/', so no "</script>" can end the data early */
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!text || fwrite(mt_html_template, 1, mark - mt_html_template, f) !=
			     (size_t)(mark - mt_html_template) ||
	    fputs(text, f) < 0 || fputs(mark + strlen(MT_HTML_DATA_MARK), f) < 0)
		err = -EIO;
	json_object_put(o);
	return err;
}

const struct mt_writer mt_writer_html = { "html", write_html };
