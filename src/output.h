/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * output.h - the report writers: one interface, one implementation per
 * format (output_<format>.c). Each writes the whole report to a stream and
 * returns 0 or -errno; the caller owns the file (see mt_outfile).
 */
#ifndef MEMTRACE_OUTPUT_H
#define MEMTRACE_OUTPUT_H

#include <stdio.h>

#include "report.h"

struct mt_writer {
	const char *name;
	int (*write)(const struct mt_report *r, FILE *f);
};

struct json_object;

/* The report as a memtrace.report/1 JSON object (the caller puts it). */
struct json_object *output_json_report(const struct mt_report *r);

/* Write a JSON document, pretty-printed, with a final newline; 0 or -EIO. */
int output_json_document(struct json_object *o, FILE *f);

extern const struct mt_writer mt_writer_text;	  /* the human report */
extern const struct mt_writer mt_writer_json;	  /* memtrace.report/1 */
extern const struct mt_writer mt_writer_timeline; /* CSV time_s,pid,rss_bytes,vm_bytes */
extern const struct mt_writer mt_writer_audit_text; /* memtrace audit: the table */
extern const struct mt_writer mt_writer_audit_json; /* memtrace audit: memtrace.audit/1 */
extern const struct mt_writer mt_writer_folded;	    /* growth over the run, folded stacks */
extern const struct mt_writer mt_writer_folded_peak; /* in use at the peak, folded stacks */
extern const struct mt_writer mt_writer_pprof;	    /* both, a gzipped pprof profile */
extern const struct mt_writer mt_writer_html;	    /* the self-contained page with the plots */

#endif /* MEMTRACE_OUTPUT_H */
