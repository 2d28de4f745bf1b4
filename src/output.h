/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * output.h - the report writers: one interface, one implementation per
 * format (output_<format>.c). Each writes the whole report to a stream and
 * returns 0 or -errno; the caller owns the file (see mt_outfile).
 */
#ifndef MEMTRACE_OUTPUT_H
#define MEMTRACE_OUTPUT_H

#include <stdio.h>

#include "options.h"
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

/* A JSON string of untrusted text, valid UTF-8 whatever it held (text.h). */
struct json_object *output_json_text(const char *s);
/* A JSON number printed in the fewest digits that read back as the same double. */
struct json_object *output_json_double(double v);

extern const struct mt_writer mt_writer_text;	  /* the human report */
extern const struct mt_writer mt_writer_json;	  /* memtrace.report/1 */
extern const struct mt_writer mt_writer_timeline; /* CSV time_s,pid,rss_bytes,vm_bytes */
extern const struct mt_writer mt_writer_audit_text; /* memtrace audit: the table */
extern const struct mt_writer mt_writer_audit_json; /* memtrace audit: memtrace.audit/1 */
extern const struct mt_writer mt_writer_folded;	    /* growth over the run, folded stacks */
extern const struct mt_writer mt_writer_folded_peak; /* in use at the peak, folded stacks */
extern const struct mt_writer mt_writer_pprof;	    /* both, a gzipped pprof profile */
extern const struct mt_writer mt_writer_html;	    /* the self-contained page with the plots */

/*
 * The outputs of a run: every file an option names, and the text report on
 * stdout unless -q or stdout carries another output (or top's table).
 * Opened before tracing starts: 0, or after one stderr line -EINVAL when
 * two outputs name the same file (a usage error), another -errno when one
 * cannot be written. Written whole or not at all at the end (0, or -EIO
 * after a line per failed output).
 */
struct mt_outputs;
int outputs_open(const struct mt_options *opts, struct mt_outputs **outputs);
int outputs_write(struct mt_outputs *o, const struct mt_report *r);
void outputs_free(struct mt_outputs *o); /* removes what was not written */

#endif /* MEMTRACE_OUTPUT_H */
