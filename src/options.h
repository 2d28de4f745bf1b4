/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * options.h - memtrace's command line: one table of options (options.c)
 * from which the parser, the per-mode checks and --help all come, parsed
 * and validated once into one struct that the rest of the program reads.
 */
#ifndef MEMTRACE_OPTIONS_H
#define MEMTRACE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h" /* enum mt_by */

/* What a run does: a way to trace, or a subcommand. */
enum mt_mode {
	MT_MODE_COMMAND, /* memtrace -- CMD ARGS */
	MT_MODE_PIDS,	 /* memtrace -p PID[,PID] */
	MT_MODE_ALL,	 /* memtrace -a (or a --cgroup/--container scope) */
	MT_MODE_TOP,	 /* memtrace top: the live table */
	MT_MODE_AUDIT,	 /* memtrace audit: right-size each container */
	MT_MODE_SERVE,	 /* memtrace serve: Prometheus metrics until stopped */
	MT_MODE_COUNT,
};

struct mt_options {
	enum mt_mode mode;
	char **command; /* argv of CMD (points into main's argv) */
	int *pids;
	int nr_pids;
	bool all;	 /* -a */
	bool children;	 /* -p: follow new descendants */
	const char *scope_cgroup;    /* --cgroup PATH: every process within this subtree */
	const char *scope_container; /* --container ID: within its cgroup */
	double duration; /* -d seconds; 0: until the traced processes exit */
	double interval; /* -i seconds: the live line's (0: none) or top's refresh */
	bool quiet;
	bool verbose;
	bool exact; /* exact per-CPU sums from the classic rss_stat event */
	enum mt_by by; /* how the text report, top and audit group */
	const char *user; /* --user: run CMD as this user */

	/* outputs */
	const char *json_path;
	const char *timeline_path;
	const char *html_path;	      /* the self-contained page with plots and flame graphs */
	const char *folded_path;      /* growth over the run, folded stacks */
	const char *folded_peak_path; /* in use at the peak, folded stacks */
	const char *pprof_path;	      /* both, as a gzipped pprof profile */
	uint64_t resolution;	      /* timeline resolution in bytes */

	/* limits */
	uint64_t max_procs;	/* size of the process map */
	uint64_t max_cgroups;	/* size of the cgroup groups' map */
	uint64_t ringbuf_bytes; /* size of the ring buffer (a power of 2) */
	uint64_t keep;		/* list at most this many exited processes */
	const char *fail_tracepoint; /* testing aid: act as if the kernel lacked it */

	/* top */
	bool batch;	     /* -b: one block of lines per interval, no screen control */
	uint64_t iterations; /* -n: stop after this many intervals; 0: no limit */
	int sort;	     /* --sort: enum mt_top_sort */
	/* audit */
	double margin; /* suggested limit = peak x (1 + margin) */
	/* serve, and -a --prometheus */
	const char *listen;	/* serve: HOST:PORT of /metrics */
	const char *prometheus; /* -a: HOST:PORT of /metrics while tracing; audit: the server's URL */
	const char *window;	/* audit --prometheus: a Prometheus duration ("7d") */
	uint64_t top_processes; /* per-process series for this many (largest peaks) */

	/* which code made memory grow (profile.h) */
	bool stacks;	       /* sample growth stacks: default with -- and -p */
	unsigned int unwind;   /* MT_SAMPLE_HAS_FP and/or MT_SAMPLE_HAS_COPY */
	const char *unwind_name; /* fp, dwarf or auto */
	uint64_t sample_bytes; /* a growth sample per this many faulted bytes, on average */
	uint64_t big_bytes;    /* mappings this big are recorded with their stack */
};

/*
 * Fill `opts` from argv. Returns 0 to go on, 1 when --help or --version was
 * handled (exit 0), or -EINVAL after printing one line on stderr (exit 2).
 */
int options_parse(struct mt_options *opts, int argc, char **argv);
void options_free(struct mt_options *opts);

/* --help: the usage lines and every option, from the table. */
void options_usage(FILE *f);

/* "memtrace top", "-p", ...: how a mode is asked for, for messages. */
const char *options_mode_name(enum mt_mode mode);

/* The i-th long option the parser accepts ("json"); NULL past the last. */
const char *options_long_name(size_t i);

#endif /* MEMTRACE_OPTIONS_H */
