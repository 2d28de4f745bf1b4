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

/* [[time_s, pid, rss_bytes], ...] by time: the processes' and the total's rows. */
static json_object *timeline_json(const struct mt_report *r)
{
	json_object *rows = json_object_new_array(), *row;

	for (size_t i = 0; i < r->nr_rows; i++) { /* in time order */
		if (r->rows[i].cgroup_id)
			continue;
		row = json_object_new_array();
		json_object_array_add(row, output_json_double(report_seconds(r, r->rows[i].time_ns)));
		json_object_array_add(row, json_object_new_int64(r->rows[i].pid));
		json_object_array_add(row, json_object_new_uint64(r->rows[i].rss));
		json_object_array_add(rows, row);
	}
	return rows;
}

/*
 * The JSON inside a <script> element: every '<' as \u003c (and '>', '&'
 * alike), so that no "</script>", "<!--" or "<script" in a process's name
 * or arguments can change the HTML parser's state, and the data stays one
 * JavaScript string literal's worth of JSON.
 */
static int put_script_json(const char *text, FILE *f)
{
	for (; *text; text++) {
		if ((*text == '<' || *text == '>' || *text == '&') ? fprintf(f, "\\u%04x", *text) < 0 :
								    fputc(*text, f) == EOF)
			return -1;
	}
	return 0;
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
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	errno = 0;
	if (!text || fwrite(mt_html_template, 1, mark - mt_html_template, f) !=
			     (size_t)(mark - mt_html_template) ||
	    put_script_json(text, f) || fputs(mark + strlen(MT_HTML_DATA_MARK), f) < 0)
		err = errno ? -errno : -EIO; /* ENOSPC says more than EIO */
	json_object_put(o);
	return err;
}

const struct mt_writer mt_writer_html = { "html", write_html };
