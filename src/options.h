/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * options.h - memtrace's command line, parsed and validated once into one
 * struct that the rest of the program reads.
 */
#ifndef MEMTRACE_OPTIONS_H
#define MEMTRACE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "report.h" /* enum mt_by */

enum mt_mode {
	MT_MODE_COMMAND, /* memtrace -- CMD ARGS */
	MT_MODE_PIDS,	 /* memtrace -p PID[,PID] */
	MT_MODE_ALL,	 /* memtrace -a: every process on the host */
};

struct mt_options {
	enum mt_mode mode;
	char **command; /* argv of CMD (points into main's argv) */
	int *pids;
	int nr_pids;
	bool all;	 /* -a */
	bool audit;	 /* memtrace audit: -a with the right-sizing report */
	bool top;	 /* memtrace top: -a with the live table */
	bool serve;	 /* memtrace serve: -a with the Prometheus endpoint, until stopped */
	const char *listen; /* serve, -a --prometheus: HOST:PORT of /metrics */
	uint64_t top_processes; /* serve: per-process series for this many (largest peaks) */
	bool batch;	 /* top -b: one block of lines per interval, no screen control */
	long iterations; /* top -n: stop after this many intervals; 0: no limit */
	int sort;	 /* top --sort: enum mt_top_sort */
	const char *scope_cgroup;    /* --cgroup PATH: -a within this subtree */
	const char *scope_container; /* --container ID: -a within its cgroup */
	double margin;	 /* audit: suggested limit = peak x (1 + margin) */
	bool children;	 /* -p: follow new descendants */
	double duration; /* -d seconds; 0: until the traced processes exit */
	double interval; /* -i seconds; 0: no live line */
	bool quiet;
	bool verbose;
	bool exact; /* exact per-CPU sums from the classic rss_stat event */
	enum mt_by by; /* how the text report groups */
	bool by_given;
	const char *json_path;
	const char *timeline_path;
	uint64_t resolution; /* timeline resolution in bytes */
	const char *user;    /* --user: run CMD as this user */
	uint64_t max_procs;  /* size of the process map */
	uint64_t max_cgroups; /* size of the cgroup groups' map */
	uint64_t ringbuf_bytes; /* size of the ring buffer (a power of 2) */
	uint64_t keep;	     /* list at most this many exited processes */
	const char *fail_tracepoint; /* testing aid: act as if the kernel lacked it */

	/* which code made memory grow (profile.h) */
	bool stacks;	       /* sample growth stacks: default with -- and -p */
	bool stacks_given;     /* --stacks or --no-stacks */
	unsigned int unwind;   /* MT_SAMPLE_HAS_FP and/or MT_SAMPLE_HAS_COPY */
	const char *unwind_name; /* fp, dwarf or auto */
	uint64_t sample_bytes; /* a growth sample per this many faulted bytes, on average */
	uint64_t big_bytes;    /* mappings this big are recorded with their stack */
	const char *folded_path;      /* growth over the run, folded stacks */
	const char *folded_peak_path; /* in use at the peak, folded stacks */
	const char *pprof_path;	      /* both, as a gzipped pprof profile */
	const char *html_path;	      /* the self-contained page with plots and flame graphs */
};

/*
 * Fill `opts` from argv. Returns 0 to go on, 1 when --help or --version was
 * handled (exit 0), or -EINVAL after printing one line on stderr (exit 2).
 */
int options_parse(struct mt_options *opts, int argc, char **argv);
void options_free(struct mt_options *opts);

#endif /* MEMTRACE_OPTIONS_H */
