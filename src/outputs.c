// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * outputs.c - the outputs of a run (see output.h): one table of the
 * options that name an output file and the writer of each, the text report
 * on stdout unless stdout carries something else. Every file is created
 * before tracing starts, so an unwritable path fails first, and written
 * whole or not at all at the end.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "output.h"
#include "util.h"

static const struct {
	const char *option;
	size_t path; /* offset of the const char * in struct mt_options */
	const struct mt_writer *writer;
	const struct mt_writer *audit_writer; /* memtrace audit's, when it differs */
} output_options[] = {
	{ "--json", offsetof(struct mt_options, json_path), &mt_writer_json, &mt_writer_audit_json },
	{ "--timeline", offsetof(struct mt_options, timeline_path), &mt_writer_timeline, NULL },
	{ "--folded", offsetof(struct mt_options, folded_path), &mt_writer_folded, NULL },
	{ "--folded-peak", offsetof(struct mt_options, folded_peak_path), &mt_writer_folded_peak, NULL },
	{ "--pprof", offsetof(struct mt_options, pprof_path), &mt_writer_pprof, NULL },
	{ "--html", offsetof(struct mt_options, html_path), &mt_writer_html, NULL },
};

#define NR_OUTPUT_OPTIONS (sizeof(output_options) / sizeof(output_options[0]))

struct output {
	struct mt_outfile file;
	const char *option; /* that named it */
	const char *path;   /* as given */
	const struct mt_writer *writer;
};

struct mt_outputs {
	struct output items[NR_OUTPUT_OPTIONS + 1]; /* + the text report */
	size_t nr;
};

static const char *path_of(const struct mt_options *opts, size_t i)
{
	return *(const char *const *)((const char *)opts + output_options[i].path);
}

static const char *shown(const char *path)
{
	return *path ? path : "''";
}

/* Open one output; refused when an earlier one names the same file. */
static int open_output(struct mt_outputs *o, const char *option, const char *path,
		       const struct mt_writer *writer)
{
	struct output *out = &o->items[o->nr];
	int err = mt_outfile_open(&out->file, path);

	if (err) {
		mt_err("cannot write %s: %s", shown(path), strerror(-err));
		return err;
	}
	o->nr++;
	out->option = option;
	out->path = path;
	out->writer = writer;
	for (size_t i = 0; i + 1 < o->nr; i++) {
		if (mt_outfile_same(&o->items[i].file, &out->file)) {
			mt_err("%s and %s name the same file: %s", o->items[i].option, option,
			       shown(path));
			return -EINVAL;
		}
	}
	return 0;
}

static bool any_on_stdout(const struct mt_outputs *o)
{
	for (size_t i = 0; i < o->nr; i++)
		if (mt_outfile_is_stdout(&o->items[i].file))
			return true;
	return false;
}

int outputs_open(const struct mt_options *opts, struct mt_outputs **outputs)
{
	struct mt_outputs *o = calloc(1, sizeof(*o));
	bool audit = opts->mode == MT_MODE_AUDIT;
	const struct mt_writer *w;
	int err = 0;

	if (!o) {
		mt_err("out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < NR_OUTPUT_OPTIONS && !err; i++) {
		w = audit && output_options[i].audit_writer ? output_options[i].audit_writer :
							       output_options[i].writer;
		if (path_of(opts, i))
			err = open_output(o, output_options[i].option, path_of(opts, i), w);
	}
	/* the text report goes to stdout unless stdout carries a machine format or top's table */
	if (!err && !opts->quiet && !any_on_stdout(o) && opts->mode != MT_MODE_TOP)
		err = open_output(o, "the text report", "-",
				  audit ? &mt_writer_audit_text : &mt_writer_text);
	if (err) {
		outputs_free(o);
		return err;
	}
	*outputs = o;
	return 0;
}

/* Write one report and move it into place, or remove the temporary: never half a file. */
static int write_output(struct output *out, const struct mt_report *r)
{
	int err;

	err = out->writer->write(r, out->file.f);
	if (err)
		mt_outfile_abort(&out->file);
	else
		err = mt_outfile_commit(&out->file);
	if (err)
		mt_err("cannot write the %s report to %s: %s", out->writer->name,
		       strcmp(out->path, "-") ? out->path : "stdout", strerror(-err));
	return err;
}

int outputs_write(struct mt_outputs *o, const struct mt_report *r)
{
	bool failed = false;

	for (size_t i = 0; i < o->nr; i++)
		failed |= write_output(&o->items[i], r) != 0;
	return failed ? -EIO : 0;
}

void outputs_free(struct mt_outputs *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nr; i++)
		mt_outfile_abort(&o->items[i].file); /* whatever was not committed */
	free(o);
}
