// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * options.c - parse and validate the command line (see options.h). Every
 * number goes through one checked parser; every combination is checked here,
 * once, so the modes can trust what they get.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "top.h"
#include "util.h"

#ifndef MEMTRACE_VERSION
#define MEMTRACE_VERSION "0.1.0"
#endif

enum {
	OPT_JSON = 0x100,
	OPT_TIMELINE,
	OPT_RESOLUTION,
	OPT_USER,
	OPT_CHILDREN,
	OPT_MAX_PROCS,
	OPT_FAIL_TRACEPOINT,
	OPT_EXACT,
	OPT_BY,
	OPT_MARGIN,
	OPT_CGROUP,
	OPT_CONTAINER,
	OPT_SORT,
	OPT_KEEP,
	OPT_MAX_CGROUPS,
	OPT_RINGBUF,
	OPT_STACKS,
	OPT_NO_STACKS,
	OPT_SAMPLE_BYTES,
	OPT_BIG_BYTES,
	OPT_UNWIND,
	OPT_FOLDED,
	OPT_FOLDED_PEAK,
	OPT_PPROF,
	OPT_LISTEN,
	OPT_PROMETHEUS,
	OPT_TOP,
	OPT_HTML,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "all", no_argument, NULL, 'a' },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "resolution", required_argument, NULL, OPT_RESOLUTION },
	{ "user", required_argument, NULL, OPT_USER },
	{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "max-cgroups", required_argument, NULL, OPT_MAX_CGROUPS },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "exact", no_argument, NULL, OPT_EXACT },
	{ "by", required_argument, NULL, OPT_BY },
	{ "margin", required_argument, NULL, OPT_MARGIN },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "batch", no_argument, NULL, 'b' },
	{ "iterations", required_argument, NULL, 'n' },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "fail-tracepoint", required_argument, NULL, OPT_FAIL_TRACEPOINT },
	{ "stacks", no_argument, NULL, OPT_STACKS },
	{ "no-stacks", no_argument, NULL, OPT_NO_STACKS },
	{ "sample-bytes", required_argument, NULL, OPT_SAMPLE_BYTES },
	{ "big-bytes", required_argument, NULL, OPT_BIG_BYTES },
	{ "unwind", required_argument, NULL, OPT_UNWIND },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "folded-peak", required_argument, NULL, OPT_FOLDED_PEAK },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

static void usage(FILE *f)
{
	fputs("usage: memtrace [OPTIONS] -- CMD [ARGS...]\n"
	      "       memtrace [OPTIONS] -p PID[,PID...]\n"
	      "       memtrace [OPTIONS] -a\n"
	      "       memtrace audit -d SECONDS [--by container|cgroup] [--margin PCT] [--json FILE]\n"
	      "       memtrace top [-b] [-n N] [-i SECS] [--by process|container|cgroup] [--sort KEY]\n"
	      "       memtrace serve [--listen HOST:PORT] [--top N] [--cgroup PATH|--container ID]\n"
	      "\n"
	      "Exact memory peaks of a command or of running processes, from kernel events.\n"
	      "\n"
	      "  -p, --pid PIDS         trace these running processes (comma-separated)\n"
	      "  -a, --all              trace every process on the host, until -d or Ctrl-C\n"
	      "      --cgroup PATH      like -a, within this memory cgroup's subtree only\n"
	      "      --container ID     like -a, within this container's cgroup only\n"
	      "      --children         with -p: also trace their new descendants\n"
	      "  -d, --duration SECS    stop tracing after SECS seconds\n"
	      "  -i, --interval SECS    live line on stderr every SECS seconds (default 1, 0: none)\n"
	      "  -q, --quiet            no live line and no text report\n"
	      "      --by WHAT          text report by process (default), cgroup or container\n"
	      "      --margin PCT       audit: suggested limit = peak + PCT%% (default 20)\n"
	      "      --listen HOST:PORT serve: where /metrics listens (default 127.0.0.1:9464)\n"
	      "      --prometheus HOST:PORT  with -a: serve /metrics there while tracing\n"
	      "      --top N            serve: per-process series for the N largest peaks (default 10)\n"
	      "  -b, --batch            top: print one table per interval (for logs), no screen control\n"
	      "  -n, --iterations N     top: stop after N intervals\n"
	      "      --sort KEY         top: rss, peak, window (peak in the interval), growth, faults\n"
	      "                         (keys m, p, w, g, f change it live; q quits)\n"
	      "      --json FILE        write the report as JSON to FILE ('-': stdout)\n"
	      "      --timeline FILE    write the RSS timeline as CSV to FILE ('-': stdout)\n"
	      "      --html FILE        a self-contained page: timeline plot, flame graphs, tables\n"
	      "      --resolution BYTES timeline row when RSS moved this much (default 1M)\n"
	      "      --user NAME        run CMD as NAME (default: SUDO_UID/SUDO_GID under sudo)\n"
	      "      --max-procs N      track at most N processes at once (default 16384)\n"
	      "      --max-cgroups N    track at most N memory cgroups (default 4096)\n"
	      "      --ringbuf-size B   the kernel-to-memtrace ring buffer (default 8M, a power of 2)\n"
	      "      --keep N           list at most N exited processes, the largest peaks\n"
	      "                         (default 10000; the others are counted)\n"
	      "      --exact            counters exact to the page (classic kmem:rss_stat\n"
	      "                         event: costlier, host-wide; mounts tracefs)\n"
	      "\n"
	      "Which code made memory grow (on by default with -- and -p):\n"
	      "      --stacks, --no-stacks  sample growth stacks, or not (-a: off by default)\n"
	      "      --sample-bytes B   a stack per B faulted bytes on average (default 512K)\n"
	      "      --big-bytes B      record every mapping of at least B (default 1M)\n"
	      "      --unwind HOW       fp (frame pointers), dwarf (8 KiB stack copy, .eh_frame)\n"
	      "                         or auto (both, spliced; the default)\n"
	      "      --folded FILE      growth over the run as folded stacks (flame graphs)\n"
	      "      --folded-peak FILE what was in use at the peak, as folded stacks\n"
	      "      --pprof FILE       both as a gzipped pprof profile (alloc_space, inuse_space)\n"
	      "  -v, --verbose          show libbpf's messages\n"
	      "  -h, --help             this help\n"
	      "  -V, --version          print the version\n"
	      "\n"
	      "Exit status: CMD's (128+N if killed by signal N); 130/143 on SIGINT/SIGTERM;\n"
	      "1 on a runtime failure; 2 on a usage error; 126/127 if CMD cannot be run.\n",
	      f);
}

static int bad_value(const char *option, const char *value)
{
	mt_err("invalid value for %s: '%s'", option, value);
	return -EINVAL;
}

static int parse_seconds_opt(const char *option, const char *value, double *out)
{
	return mt_parse_seconds(value, out) ? bad_value(option, value) : 0;
}

static int parse_count_opt(const char *option, const char *value, bool suffix, uint64_t min,
			   uint64_t max, uint64_t *out)
{
	if (mt_parse_u64(value, suffix, out) || *out < min || *out > max)
		return bad_value(option, value);
	return 0;
}

static int validate(struct mt_options *opts)
{
	if (opts->scope_cgroup && opts->scope_container) {
		mt_err("give either --cgroup or --container");
		return -EINVAL;
	}
	/* a scope is -a within a subtree */
	if ((opts->scope_cgroup || opts->scope_container) && !opts->audit && !opts->top &&
	    !opts->serve)
		opts->all = true;
	if ((opts->audit || opts->top || opts->serve) && (opts->nr_pids || opts->command || opts->all)) {
		mt_err("%s covers every process: it takes neither -p, -a nor a command",
		       opts->audit ? "audit" : opts->top ? "top" : "serve");
		return -EINVAL;
	}
	if (opts->serve) {
		opts->all = true;
		opts->quiet = true;
		if (!opts->listen)
			opts->listen = "127.0.0.1:9464"; /* loopback unless told otherwise */
	}
	if ((opts->batch || opts->iterations || opts->sort) && !opts->top) {
		mt_err("-b, -n and --sort go with memtrace top");
		return -EINVAL;
	}
	if (opts->top) {
		opts->all = true;
		if (!opts->interval)
			opts->interval = 1;
	}
	if (opts->audit && !opts->duration) {
		mt_err("audit needs a window: -d SECONDS");
		return -EINVAL;
	}
	if (opts->audit) {
		opts->all = true;
		if (!opts->by_given)
			opts->by = MT_BY_CONTAINER;
	}
	if ((opts->nr_pids > 0) + (opts->command != NULL) + opts->all > 1) {
		mt_err("give one of -p PID, -a or a command");
		return -EINVAL;
	}
	if (!opts->nr_pids && !opts->command && !opts->all) {
		mt_err("nothing to trace: give -- CMD [ARGS...], -p PID or -a (see --help)");
		return -EINVAL;
	}
	if (opts->children && !opts->nr_pids) {
		mt_err("--children goes with -p (a command's descendants are always traced)");
		return -EINVAL;
	}
	if (opts->user && !opts->command) {
		mt_err("--user goes with a command");
		return -EINVAL;
	}
	opts->mode = opts->command ? MT_MODE_COMMAND : opts->all ? MT_MODE_ALL : MT_MODE_PIDS;
	if (opts->listen && opts->mode != MT_MODE_ALL) {
		mt_err("--prometheus goes with -a (or use memtrace serve)");
		return -EINVAL;
	}
	if (!opts->stacks_given)
		opts->stacks = opts->mode != MT_MODE_ALL && !opts->top && !opts->audit;
	if (!opts->stacks && (opts->folded_path || opts->folded_peak_path || opts->pprof_path)) {
		if (opts->stacks_given) {
			mt_err("--folded, --folded-peak and --pprof need stacks (not --no-stacks)");
			return -EINVAL;
		}
		opts->stacks = true;
	}
	if (opts->quiet)
		opts->interval = 0;
	return 0;
}

static int stdout_outputs(const struct mt_options *opts)
{
	const char *paths[] = { opts->json_path, opts->timeline_path, opts->folded_path,
				opts->folded_peak_path, opts->pprof_path, opts->html_path };
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		n += paths[i] && !strcmp(paths[i], "-");
	return n;
}

int options_parse(struct mt_options *opts, int argc, char **argv)
{
	int c, err;

	memset(opts, 0, sizeof(*opts));
	opts->interval = 1;
	opts->resolution = 1 << 20;
	opts->max_procs = 16384;
	opts->margin = 0.20;
	opts->keep = 10000;
	opts->max_cgroups = 4096;
	opts->ringbuf_bytes = 8 << 20;
	opts->sample_bytes = 512 << 10;
	opts->big_bytes = 1 << 20;
	opts->unwind = MT_SAMPLE_HAS_FP | MT_SAMPLE_HAS_COPY;
	opts->unwind_name = "auto";
	opts->top_processes = 10;

	/* `memtrace audit|top|serve ...`: a subcommand, then the same options */
	if (argc > 1 && (!strcmp(argv[1], "audit") || !strcmp(argv[1], "top") ||
			 !strcmp(argv[1], "serve"))) {
		opts->audit = !strcmp(argv[1], "audit");
		opts->top = !strcmp(argv[1], "top");
		opts->serve = !strcmp(argv[1], "serve");
		argv++;
		argc--;
	}
	opterr = 0;
	/* '+': stop at the first non-option, which starts CMD */
	while ((c = getopt_long(argc, argv, "+:p:ad:i:qvhVbn:", long_options, NULL)) != -1) {
		err = 0;
		switch (c) {
		case 'p':
			free(opts->pids);
			opts->pids = NULL;
			if (mt_parse_pid_list(optarg, &opts->pids, &opts->nr_pids))
				err = bad_value("-p", optarg);
			break;
		case 'a': opts->all = true; break;
		case OPT_CHILDREN: opts->children = true; break;
		case 'd':
			err = parse_seconds_opt("-d", optarg, &opts->duration);
			if (!err && opts->duration == 0)
				err = bad_value("-d", optarg);
			break;
		case 'i': err = parse_seconds_opt("-i", optarg, &opts->interval); break;
		case 'q': opts->quiet = true; break;
		case 'v': opts->verbose = true; break;
		case OPT_JSON: opts->json_path = optarg; break;
		case OPT_TIMELINE: opts->timeline_path = optarg; break;
		case OPT_RESOLUTION:
			err = parse_count_opt("--resolution", optarg, true, 1, 1ull << 50,
					      &opts->resolution);
			break;
		case OPT_USER: opts->user = optarg; break;
		case OPT_MAX_CGROUPS:
			err = parse_count_opt("--max-cgroups", optarg, false, 16, 1 << 20,
					      &opts->max_cgroups);
			break;
		case OPT_RINGBUF:
			err = parse_count_opt("--ringbuf-size", optarg, true, 4096, 1ull << 30,
					      &opts->ringbuf_bytes);
			if (!err && (opts->ringbuf_bytes & (opts->ringbuf_bytes - 1)))
				err = bad_value("--ringbuf-size", optarg);
			break;
		case OPT_KEEP:
			err = parse_count_opt("--keep", optarg, false, 1, 1ull << 32, &opts->keep);
			break;
		case OPT_MAX_PROCS:
			err = parse_count_opt("--max-procs", optarg, false, 16, 1 << 22,
					      &opts->max_procs);
			break;
		case OPT_FAIL_TRACEPOINT: opts->fail_tracepoint = optarg; break;
		case OPT_EXACT: opts->exact = true; break;
		case OPT_CGROUP: opts->scope_cgroup = optarg; break;
		case 'b': opts->batch = true; break;
		case 'n': {
			uint64_t n;

			err = parse_count_opt("-n", optarg, false, 1, 1u << 30, &n);
			opts->iterations = n;
			break;
		}
		case OPT_SORT:
			opts->sort = top_parse_sort(optarg);
			if (opts->sort < 0)
				err = bad_value("--sort", optarg);
			break;
		case OPT_CONTAINER: opts->scope_container = optarg; break;
		case OPT_STACKS:
		case OPT_NO_STACKS:
			opts->stacks = c == OPT_STACKS;
			opts->stacks_given = true;
			break;
		case OPT_SAMPLE_BYTES:
			err = parse_count_opt("--sample-bytes", optarg, true, 1, 1ull << 40,
					      &opts->sample_bytes);
			break;
		case OPT_BIG_BYTES:
			err = parse_count_opt("--big-bytes", optarg, true, 4096, 1ull << 50,
					      &opts->big_bytes);
			break;
		case OPT_UNWIND:
			if (!strcmp(optarg, "fp"))
				opts->unwind = MT_SAMPLE_HAS_FP;
			else if (!strcmp(optarg, "dwarf"))
				opts->unwind = MT_SAMPLE_HAS_COPY;
			else if (!strcmp(optarg, "auto"))
				opts->unwind = MT_SAMPLE_HAS_FP | MT_SAMPLE_HAS_COPY;
			else
				err = bad_value("--unwind", optarg);
			opts->unwind_name = optarg;
			break;
		case OPT_FOLDED: opts->folded_path = optarg; break;
		case OPT_FOLDED_PEAK: opts->folded_peak_path = optarg; break;
		case OPT_PPROF: opts->pprof_path = optarg; break;
		case OPT_HTML: opts->html_path = optarg; break;
		case OPT_LISTEN:
		case OPT_PROMETHEUS: opts->listen = optarg; break;
		case OPT_TOP:
			err = parse_count_opt("--top", optarg, false, 0, 100000, &opts->top_processes);
			break;
		case OPT_MARGIN: {
			double pct;

			err = parse_seconds_opt("--margin", optarg, &pct);
			opts->margin = pct / 100;
			break;
		}
		case OPT_BY:
			if (!strcmp(optarg, "process"))
				opts->by = MT_BY_PROCESS;
			else if (!strcmp(optarg, "cgroup"))
				opts->by = MT_BY_CGROUP;
			else if (!strcmp(optarg, "container"))
				opts->by = MT_BY_CONTAINER;
			else
				err = bad_value("--by", optarg);
			opts->by_given = true;
			break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("memtrace %s\n", MEMTRACE_VERSION); return 1;
		case ':':
			mt_err("option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				mt_err("unknown option '-%c' (see --help)", optopt);
			else
				mt_err("unknown option '%s' (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc)
		opts->command = &argv[optind];
	if (stdout_outputs(opts) > 1) {
		mt_err("only one of --json, --timeline, --folded, --folded-peak, --pprof, --html can go to stdout");
		return -EINVAL;
	}
	return validate(opts);
}

void options_free(struct mt_options *opts)
{
	free(opts->pids);
	opts->pids = NULL;
}
