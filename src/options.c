// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * options.c - the command line (see options.h). One table, `options[]`,
 * holds every option: its names, what its value is and where it goes, its
 * limits and default, the modes that take it and its help. getopt_long's
 * table, the checks and --help are made from it, so they cannot drift.
 * Parsing fills the struct from the defaults and argv; the mode's own
 * defaults come next (one table, `modes[]`); validate() only checks.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "memtrace.h"
#include "fleet.h"
#include "options.h"
#include "output.h"
#include "top.h"
#include "util.h"
#include "version.h"

#define BIT(mode) (1u << (mode))
#define TRACE_MODES (BIT(MT_MODE_COMMAND) | BIT(MT_MODE_PIDS) | BIT(MT_MODE_ALL))
#define HOST_MODES (BIT(MT_MODE_ALL) | BIT(MT_MODE_TOP) | BIT(MT_MODE_AUDIT) | BIT(MT_MODE_SERVE))
#define ALL_MODES ((1u << MT_MODE_COUNT) - 1)

/* Each mode: how it is asked for, its usage line, and its own defaults. */
static const struct mode {
	const char *subcommand; /* NULL: chosen by -- CMD, -p or -a */
	const char *name;	/* in messages */
	const char *usage;
	enum mt_by by;
	bool stacks;
	bool quiet;
} modes[MT_MODE_COUNT] = {
	[MT_MODE_COMMAND] = { NULL, "a command", "[OPTIONS] -- CMD [ARGS...]", MT_BY_PROCESS, true,
			      false },
	[MT_MODE_PIDS] = { NULL, "-p", "[OPTIONS] -p PID[,PID...]", MT_BY_PROCESS, true, false },
	[MT_MODE_ALL] = { NULL, "-a", "[OPTIONS] -a | --cgroup PATH | --container ID", MT_BY_PROCESS,
			  false, false },
	[MT_MODE_TOP] = { "top", "memtrace top", "top [-b] [-n N] [-i SECS] [--by WHAT] [--sort KEY]",
			  MT_BY_PROCESS, false, false },
	[MT_MODE_AUDIT] = { "audit", "memtrace audit",
			    "audit -d SECS | --prometheus URL [--window D] [--by WHAT]",
			    MT_BY_CONTAINER, false, false },
	[MT_MODE_SERVE] = { "serve", "memtrace serve",
			    "serve [--listen HOST:PORT] [--cgroup PATH|--container ID]",
			    MT_BY_CONTAINER, false, true },
};

enum kind {
	K_FLAG,	   /* sets a bool to `value` */
	K_STRING,  /* const char * */
	K_ADDRESS, /* const char *, a HOST:PORT to listen on */
	K_SECONDS, /* double, decimals allowed */
	K_PERCENT, /* double: the value / 100 */
	K_COUNT,   /* uint64_t, no suffix */
	K_BYTES,   /* uint64_t, K/M/G/T suffix */
	K_CHOICE,  /* int: the index of a name in `choices` */
	K_PIDS,	   /* the pid list */
	K_HELP,
	K_VERSION,
};

#define POSITIVE (1u << 0) /* more than 0 */
#define POW2 (1u << 1)	   /* a power of 2 */

enum section { S_TRACE, S_OUTPUT, S_STACKS, S_TOP, S_AUDIT, S_SERVE, S_LIMITS, S_OTHER };

static const char *const section_titles[] = {
	[S_TRACE] = "What to trace",
	[S_OUTPUT] = "Reports",
	[S_STACKS] = "Which code made memory grow (on by default with -- and -p)",
	[S_TOP] = "memtrace top",
	[S_AUDIT] = "memtrace audit",
	[S_SERVE] = "memtrace serve",
	[S_LIMITS] = "Limits",
	[S_OTHER] = "Other",
};

static const char *const by_names[] = { "process", "cgroup", "container", "workload", NULL };
static const char *const unwind_names[] = { "fp", "dwarf", "auto", NULL };

struct option_spec {
	const char *name;
	char short_name;
	enum kind kind;
	size_t offset; /* into struct mt_options */
	const char *arg;
	const char *def; /* the default, as it would be typed */
	uint64_t min, max;
	unsigned int flags;
	int value;		     /* K_FLAG */
	const char *const *choices;  /* K_CHOICE */
	unsigned int modes;	     /* the modes that take it */
	enum section section;
	const char *help;
};

#define F(field) offsetof(struct mt_options, field)

static const struct option_spec options[] = {
	{ "pid", 'p', K_PIDS, F(pids), "PIDS", NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_TRACE,
	  "trace these running processes (comma-separated)" },
	{ "all", 'a', K_FLAG, F(all), NULL, NULL, 0, 0, 0, 1, NULL, ALL_MODES, S_TRACE,
	  "trace every process on the host, until -d or Ctrl-C" },
	{ "cgroup", 0, K_STRING, F(scope_cgroup), "PATH", NULL, 0, 0, 0, 0, NULL, HOST_MODES, S_TRACE,
	  "like -a, within this memory cgroup's subtree only" },
	{ "container", 0, K_STRING, F(scope_container), "ID", NULL, 0, 0, 0, 0, NULL, HOST_MODES,
	  S_TRACE, "like -a, within this container's cgroup only (an id prefix or its name)" },
	{ "children", 0, K_FLAG, F(children), NULL, NULL, 0, 0, 0, 1, NULL, BIT(MT_MODE_PIDS),
	  S_TRACE, "with -p: also trace their new descendants" },
	{ "user", 0, K_STRING, F(user), "USER", NULL, 0, 0, 0, 0, NULL, BIT(MT_MODE_COMMAND), S_TRACE,
	  "run CMD as USER, a name or a uid (default: sudo's caller)" },
	{ "duration", 'd', K_SECONDS, F(duration), "SECS", NULL, 0, 0, POSITIVE, 0, NULL, ALL_MODES,
	  S_TRACE, "stop tracing after SECS seconds" },
	{ "exact", 0, K_FLAG, F(exact), NULL, NULL, 0, 0, 0, 1, NULL, ALL_MODES, S_TRACE,
	  "counters exact to the page (classic kmem:rss_stat event: costlier, host-wide; mounts "
	  "tracefs)" },

	{ "interval", 'i', K_SECONDS, F(interval), "SECS", "1", 0, 0, 0, 0, NULL, ALL_MODES, S_OUTPUT,
	  "live line on stderr (top: a table) every SECS seconds (0: none)" },
	{ "quiet", 'q', K_FLAG, F(quiet), NULL, NULL, 0, 0, 0, 1, NULL, ALL_MODES, S_OUTPUT,
	  "no live line and no text report" },
	{ "by", 0, K_CHOICE, F(by), "WHAT", NULL, 0, 0, 0, 0, by_names, ALL_MODES, S_OUTPUT,
	  "group the text report, top, audit and serve by process, cgroup, container or workload "
	  "(the containers that are runs of one job; default: process, audit and serve: container)" },
	{ "json", 0, K_STRING, F(json_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_OUTPUT,
	  "write the report as JSON to FILE ('-': stdout)" },
	{ "timeline", 0, K_STRING, F(timeline_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES,
	  S_OUTPUT, "write the RSS timeline as CSV to FILE ('-': stdout)" },
	{ "html", 0, K_STRING, F(html_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_OUTPUT,
	  "a self-contained page: timeline plot, flame graphs, tables" },
	{ "resolution", 0, K_BYTES, F(resolution), "BYTES", "1M", 1, 1ull << 50, 0, 0, NULL, ALL_MODES,
	  S_OUTPUT, "a timeline row each time RSS moved this much" },

	{ "stacks", 0, K_FLAG, F(stacks), NULL, NULL, 0, 0, 0, 1, NULL, ALL_MODES, S_STACKS,
	  "sample growth stacks (-a, top, audit, serve: off by default)" },
	{ "no-stacks", 0, K_FLAG, F(stacks), NULL, NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_STACKS,
	  "do not sample growth stacks" },
	{ "sample-bytes", 0, K_BYTES, F(sample_bytes), "B", "512K", 1, 1ull << 30, 0, 0, NULL,
	  ALL_MODES, S_STACKS, "a stack per B bytes grown, on average (1 GiB at most)" },
	{ "big-bytes", 0, K_BYTES, F(big_bytes), "B", "1M", 4096, 1ull << 50, 0, 0, NULL, ALL_MODES,
	  S_STACKS, "record every mapping of at least B, with its stack" },
	{ "unwind", 0, K_CHOICE, F(unwind), "HOW", "auto", 0, 0, 0, 0, unwind_names, ALL_MODES,
	  S_STACKS, "fp (frame pointers), dwarf (8 KiB stack copy, .eh_frame) or auto (both, spliced)" },
	{ "folded", 0, K_STRING, F(folded_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_STACKS,
	  "growth over the run as folded stacks (flame graphs)" },
	{ "folded-peak", 0, K_STRING, F(folded_peak_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES,
	  S_STACKS, "what was in use at the peak, as folded stacks" },
	{ "pprof", 0, K_STRING, F(pprof_path), "FILE", NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_STACKS,
	  "both as a gzipped pprof profile (alloc_space, inuse_space)" },

	{ "batch", 'b', K_FLAG, F(batch), NULL, NULL, 0, 0, 0, 1, NULL, BIT(MT_MODE_TOP), S_TOP,
	  "print one table per interval (for logs), no screen control" },
	{ "iterations", 'n', K_COUNT, F(iterations), "N", NULL, 1, 1u << 30, 0, 0, NULL,
	  BIT(MT_MODE_TOP), S_TOP, "stop after N intervals" },
	{ "sort", 0, K_CHOICE, F(sort), "KEY", "rss", 0, 0, 0, 0, mt_top_sort_names, BIT(MT_MODE_TOP),
	  S_TOP, "rss, peak, window (peak in the interval), growth or faults (keys m, p, w, g, f "
	  "change it live; q quits)" },

	{ "margin", 0, K_PERCENT, F(margin), "PCT", "20", 0, 0, 0, 0, NULL, BIT(MT_MODE_AUDIT),
	  S_AUDIT, "suggested limit = peak + PCT%" },
	{ "window", 0, K_STRING, F(window), "DURATION", "7d", 0, 0, 0, 0, NULL, BIT(MT_MODE_AUDIT),
	  S_AUDIT, "with --prometheus: the window audited, a Prometheus duration (30m, 1d, 7d)" },

	{ "listen", 0, K_ADDRESS, F(listen), "HOST:PORT", "127.0.0.1:9464", 0, 0, 0, 0, NULL,
	  BIT(MT_MODE_SERVE), S_SERVE, "where /metrics listens" },
	{ "top", 0, K_COUNT, F(top_processes), "N", "10", 0, 100000, 0, 0, NULL,
	  BIT(MT_MODE_SERVE) | BIT(MT_MODE_ALL), S_SERVE,
	  "per-process series for the N running processes with the largest peaks" },
	{ "prometheus", 0, K_STRING, F(prometheus), "ADDRESS", NULL, 0, 0, 0, 0, NULL,
	  BIT(MT_MODE_ALL) | BIT(MT_MODE_AUDIT), S_SERVE,
	  "with -a: serve /metrics at HOST:PORT while tracing; audit: audit the fleet from the "
	  "Prometheus server at this URL (http://HOST:PORT), from every node's memtrace serve" },

	{ "max-procs", 0, K_COUNT, F(max_procs), "N", "16384", 16, 1 << 22, 0, 0, NULL, ALL_MODES,
	  S_LIMITS, "track at most N processes at once (at least 16)" },
	{ "max-cgroups", 0, K_COUNT, F(max_cgroups), "N", "4096", 16, 1 << 20, 0, 0, NULL, ALL_MODES,
	  S_LIMITS, "track at most N memory cgroups (at least 16)" },
	{ "ringbuf-size", 0, K_BYTES, F(ringbuf_bytes), "B", NULL, 4096, 1ull << 30, POW2, 0, NULL,
	  ALL_MODES, S_LIMITS,
	  "the kernel-to-memtrace ring buffer, a power of 2 (default 8M, with stacks 32M)" },
	{ "keep", 0, K_COUNT, F(keep), "N", "10000", 1, 1ull << 32, 0, 0, NULL, ALL_MODES, S_LIMITS,
	  "list at most N exited processes, the largest peaks (the others are counted)" },

	{ "verbose", 'v', K_FLAG, F(verbose), NULL, NULL, 0, 0, 0, 1, NULL, ALL_MODES, S_OTHER,
	  "show libbpf's messages" },
	{ "fail-tracepoint", 0, K_STRING, F(fail_tracepoint), "TP", NULL, 0, 0, 0, 0, NULL, ALL_MODES,
	  S_OTHER, "testing aid: act as if the kernel lacked the tracepoint TP" },
	{ "help", 'h', K_HELP, 0, NULL, NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_OTHER, "this help" },
	{ "version", 'V', K_VERSION, 0, NULL, NULL, 0, 0, 0, 0, NULL, ALL_MODES, S_OTHER,
	  "print the version" },
};

#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

const char *options_long_name(size_t i)
{
	return i < NR_OPTIONS ? options[i].name : NULL;
}

const char *options_mode_name(enum mt_mode mode)
{
	return modes[mode].name;
}

/* "-d" or "--resolution": how messages name an option. */
static const char *display_name(const struct option_spec *o, char *buf, size_t size)
{
	if (o->short_name)
		snprintf(buf, size, "-%c", o->short_name);
	else
		snprintf(buf, size, "--%s", o->name);
	return buf;
}

/* What a value of the option may be, for the error message ("" when it says nothing more). */
static const char *valid_values(const struct option_spec *o, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (o->kind == K_COUNT || o->kind == K_BYTES) {
		snprintf(buf, size, " (%s%llu to %llu%s)", o->flags & POW2 ? "a power of 2, " : "",
			 (unsigned long long)o->min, (unsigned long long)o->max,
			 o->kind == K_BYTES ? " bytes; K, M, G, T multiply by 1024" : "");
	} else if (o->kind == K_CHOICE) {
		for (int i = 0; o->choices[i] && used < size; i++)
			used += snprintf(buf + used, size - used, "%s%s", i ? ", " : " (one of ",
					 o->choices[i]);
		if (used < size)
			snprintf(buf + used, size - used, ")");
	}
	return buf;
}

static int bad_value(const struct option_spec *o, const char *value)
{
	char name[32], valid[160];

	mt_err("invalid value for %s: '%s'%s", display_name(o, name, sizeof(name)), value,
	       valid_values(o, valid, sizeof(valid)));
	return -EINVAL;
}

static int parse_choice(const struct option_spec *o, const char *value)
{
	for (int i = 0; o->choices[i]; i++) {
		if (!strcmp(value, o->choices[i]))
			return i;
	}
	return -1;
}

/* Store `value` where the option says; -EINVAL after one line if it is not valid. */
static int set_value(struct mt_options *opts, const struct option_spec *o, const char *value)
{
	void *dest = (char *)opts + o->offset;
	uint64_t n;
	double d;
	int i;

	switch (o->kind) {
	case K_FLAG:
		*(bool *)dest = o->value;
		return 0;
	case K_ADDRESS:
		if (mt_parse_listen(value, &(struct sockaddr_storage){ 0 }))
			return bad_value(o, value);
		/* fall through */
	case K_STRING:
		*(const char **)dest = value;
		return 0;
	case K_SECONDS:
	case K_PERCENT:
		if (mt_parse_seconds(value, &d) || ((o->flags & POSITIVE) && d == 0))
			return bad_value(o, value);
		*(double *)dest = o->kind == K_PERCENT ? d / 100 : d;
		return 0;
	case K_COUNT:
	case K_BYTES:
		if (mt_parse_u64(value, o->kind == K_BYTES, &n) || n < o->min || n > o->max ||
		    ((o->flags & POW2) && (n & (n - 1))))
			return bad_value(o, value);
		*(uint64_t *)dest = n;
		return 0;
	case K_CHOICE:
		i = parse_choice(o, value);
		if (i < 0)
			return bad_value(o, value);
		*(int *)dest = i;
		return 0;
	case K_PIDS:
		free(opts->pids);
		opts->pids = NULL;
		if (mt_parse_pid_list(value, &opts->pids, &opts->nr_pids))
			return bad_value(o, value);
		return 0;
	default:
		return 0;
	}
}

/* getopt_long's table and short-option string, from options[]. */
static void getopt_tables(struct option *longs, char *shorts)
{
	size_t i, n = 0;

	*shorts++ = '+'; /* stop at the first non-option: it starts CMD */
	*shorts++ = ':'; /* a missing value is ':' */
	for (i = 0; i < NR_OPTIONS; i++) {
		bool has_arg = options[i].arg != NULL;

		longs[i] = (struct option){ options[i].name, has_arg ? required_argument : no_argument,
					    NULL, (int)(0x100 + i) };
		if (options[i].short_name) {
			shorts[n++] = options[i].short_name;
			if (has_arg)
				shorts[n++] = ':';
		}
	}
	longs[i] = (struct option){};
	shorts[n] = '\0';
}

static const struct option_spec *find_short(int c)
{
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		if (options[i].short_name == c)
			return &options[i];
	}
	return NULL;
}

static void wrap(FILE *f, const char *text, int indent, int width)
{
	int col = indent;
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, ' ');
		int len = end ? (int)(end - p) : (int)strlen(p);

		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, p);
		col += len;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void options_usage(FILE *f)
{
	char lead[64], help[512];
	int s, m;

	for (m = 0; m < MT_MODE_COUNT; m++)
		fprintf(f, "%s memtrace %s\n", m ? "      " : "usage:", modes[m].usage);
	fputs("\nExact memory peaks of a command, running processes or the whole host, and the\n"
	      "code that made memory grow, from kernel events.\n",
	      f);
	for (s = S_TRACE; s <= S_OTHER; s++) {
		fprintf(f, "\n%s:\n", section_titles[s]);
		for (size_t i = 0; i < NR_OPTIONS; i++) {
			const struct option_spec *o = &options[i];

			if (o->section != (enum section)s)
				continue;
			if (o->short_name)
				snprintf(lead, sizeof(lead), "  -%c, --%s%s%s", o->short_name, o->name,
					 o->arg ? " " : "", o->arg ? o->arg : "");
			else
				snprintf(lead, sizeof(lead), "      --%s%s%s", o->name, o->arg ? " " : "",
					 o->arg ? o->arg : "");
			if (o->def)
				snprintf(help, sizeof(help), "%s (default %s)", o->help, o->def);
			else
				snprintf(help, sizeof(help), "%s", o->help);
			if (strlen(lead) > 25)
				fprintf(f, "%s\n%27s", lead, "");
			else
				fprintf(f, "%-27s", lead);
			wrap(f, help, 27, 80);
		}
	}
	fputs("\nExit status: CMD's (128+N if killed by signal N); 130/143/129 on\n"
	      "SIGINT/SIGTERM/SIGHUP; 1 on a runtime failure; 2 on a usage error; 126/127\n"
	      "if CMD cannot be run.\n",
	      f);
}

/* The mode's own defaults, for the options the command line did not give. */
static void apply_mode_defaults(struct mt_options *opts, const bool *given)
{
	const struct mode *m = &modes[opts->mode];
	bool by_given = false, stacks_given = false;

	for (size_t i = 0; i < NR_OPTIONS; i++) {
		by_given |= given[i] && options[i].offset == F(by);
		stacks_given |= given[i] && options[i].kind == K_FLAG && options[i].offset == F(stacks);
	}
	if (!by_given)
		opts->by = m->by;
	/* --folded, --folded-peak and --pprof ask for stacks */
	if (!stacks_given)
		opts->stacks = m->stacks || opts->folded_path || opts->folded_peak_path ||
			       opts->pprof_path;
	if (m->quiet)
		opts->quiet = true;
	/*
	 * A burst of growth sends a ~13 KiB stack sample per --sample-bytes:
	 * 8 threads growing 512 MiB at once lost 40% of them with 8M while
	 * memtrace waited for a CPU, none with 16M (README.md, "Ring buffer").
	 */
	if (!opts->ringbuf_bytes)
		opts->ringbuf_bytes = opts->stacks ? 32ull << 20 : 8ull << 20;
}

/* A mode from the subcommand, or from -- CMD, -p, -a and a scope. */
static int choose_mode(struct mt_options *opts, int subcommand)
{
	bool scope = opts->scope_cgroup || opts->scope_container;
	int ways = (opts->nr_pids > 0) + (opts->command != NULL) + (opts->all || scope);

	if (subcommand >= 0) {
		if (opts->nr_pids || opts->command || opts->all) {
			mt_err("%s covers every process: it takes neither -p, -a nor a command",
			       modes[subcommand].subcommand);
			return -EINVAL;
		}
		opts->mode = subcommand;
		return 0;
	}
	if (ways > 1) {
		mt_err("give one of -p PID, -a or a command");
		return -EINVAL;
	}
	if (!ways) {
		mt_err("nothing to trace: give -- CMD [ARGS...], -p PID or -a (see --help)");
		return -EINVAL;
	}
	opts->mode = opts->command ? MT_MODE_COMMAND : opts->nr_pids ? MT_MODE_PIDS : MT_MODE_ALL;
	return 0;
}

static bool option_given(const bool *given, const char *name)
{
	for (size_t i = 0; i < NR_OPTIONS; i++)
		if (given[i] && !strcmp(options[i].name, name))
			return true;
	return false;
}

/* audit: of this host over -d, or of the fleet from Prometheus over --window */
static int validate_audit(const struct mt_options *opts, const bool *given)
{
	if (opts->by == MT_BY_PROCESS) {
		mt_err("audit is by container, cgroup or workload, not by process");
		return -EINVAL;
	}
	if (!opts->prometheus) {
		if (option_given(given, "window")) {
			mt_err("--window is the window of a fleet audit (--prometheus URL); here give -d");
			return -EINVAL;
		}
		if (!opts->duration) {
			mt_err("audit needs a window: -d SECONDS (or --prometheus URL [--window 7d])");
			return -EINVAL;
		}
		return 0;
	}
	if (!fleet_url_valid(opts->prometheus)) {
		mt_err("--prometheus: '%s' is not an http:// or https:// URL", opts->prometheus);
		return -EINVAL;
	}
	if (fleet_parse_window(opts->window) < 0) {
		mt_err("--window: '%s' is not a Prometheus duration (e.g. 30m, 1d, 7d)", opts->window);
		return -EINVAL;
	}
	if (opts->duration) {
		mt_err("a fleet audit's window is --window, not -d");
		return -EINVAL;
	}
	if (opts->by == MT_BY_CGROUP) {
		mt_err("a fleet audit is by workload or container (Prometheus has no cgroups)");
		return -EINVAL;
	}
	return 0;
}

/* Every option given goes with the mode, and the combinations make sense. */
static int validate(const struct mt_options *opts, const bool *given)
{
	char name[32];
	size_t i;

	for (i = 0; i < NR_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		char modes_text[128] = "";

		if (!given[i] || (o->modes & BIT(opts->mode)))
			continue;
		for (int m = 0, n = 0; m < MT_MODE_COUNT; m++) {
			if (!(o->modes & BIT(m)))
				continue;
			n++;
			snprintf(modes_text + strlen(modes_text), sizeof(modes_text) - strlen(modes_text),
				 "%s%s", n > 1 ? " or " : "", modes[m].name);
		}
		mt_err("%s goes with %s", display_name(o, name, sizeof(name)), modes_text);
		return -EINVAL;
	}
	if (opts->scope_cgroup && opts->scope_container) {
		mt_err("give either --cgroup or --container");
		return -EINVAL;
	}
	if (opts->mode == MT_MODE_ALL && opts->prometheus &&
	    mt_parse_listen(opts->prometheus, &(struct sockaddr_storage){ 0 })) {
		mt_err("--prometheus: '%s' is not a HOST:PORT to listen on", opts->prometheus);
		return -EINVAL;
	}
	if (opts->mode == MT_MODE_AUDIT)
		return validate_audit(opts, given);
	if (opts->mode == MT_MODE_TOP && !opts->interval) {
		mt_err("top needs an interval: -i SECS, more than 0");
		return -EINVAL;
	}
	if (!opts->stacks && (opts->folded_path || opts->folded_peak_path || opts->pprof_path)) {
		mt_err("--folded, --folded-peak and --pprof need stacks (not --no-stacks)");
		return -EINVAL;
	}
	return 0;
}

/* What the stored choices mean for the rest of the program. */
static void resolve_choices(struct mt_options *opts)
{
	static const unsigned int unwind_bits[] = { MT_SAMPLE_HAS_FP, MT_SAMPLE_HAS_COPY,
						    MT_SAMPLE_HAS_FP | MT_SAMPLE_HAS_COPY };
	int unwind = (int)opts->unwind;

	opts->unwind_name = unwind_names[unwind];
	opts->unwind = unwind_bits[unwind];
}

int options_parse(struct mt_options *opts, int argc, char **argv)
{
	struct option longs[NR_OPTIONS + 1];
	char shorts[2 * NR_OPTIONS + 3];
	bool given[NR_OPTIONS] = {};
	const struct option_spec *o;
	int subcommand = -1, c, err;
	size_t i;

	memset(opts, 0, sizeof(*opts));
	for (i = 0; i < NR_OPTIONS; i++) {
		if (options[i].def && set_value(opts, &options[i], options[i].def))
			return -EINVAL; /* a default that does not parse: a bug, said once */
	}
	/* `memtrace audit|top|serve ...`: a subcommand, then the same options */
	for (int m = 0; argc > 1 && m < MT_MODE_COUNT; m++) {
		if (modes[m].subcommand && !strcmp(argv[1], modes[m].subcommand)) {
			subcommand = m;
			argv++;
			argc--;
			break;
		}
	}
	getopt_tables(longs, shorts);
	opterr = 0;
	optind = 0; /* glibc: start afresh (options_parse may run more than once) */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == ':') {
			mt_err("option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		}
		o = c >= 0x100 ? &options[c - 0x100] : find_short(c);
		if (!o) {
			if (optopt && optopt < 0x100)
				mt_err("unknown option '-%c' (see --help)", optopt);
			else
				mt_err("unknown option '%s' (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (o->kind == K_HELP) {
			options_usage(stdout);
			return 1;
		}
		if (o->kind == K_VERSION) {
			version_print(stdout);
			return 1;
		}
		err = set_value(opts, o, optarg);
		if (err)
			return err;
		given[o - options] = true;
	}
	if (optind < argc)
		opts->command = &argv[optind];
	err = choose_mode(opts, subcommand);
	if (err)
		return err;
	resolve_choices(opts);
	apply_mode_defaults(opts, given);
	return validate(opts, given);
}

void options_free(struct mt_options *opts)
{
	free(opts->pids);
	opts->pids = NULL;
}
