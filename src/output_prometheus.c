// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_prometheus.c - the metrics of `memtrace serve` in the Prometheus
 * text exposition format (0.0.4) or OpenMetrics 1.0 (see prometheus.h).
 *
 * Label names follow cAdvisor where they mean the same thing: `id` is the
 * cgroup path, `name` the runtime's name for the container, `pod` and
 * `namespace` Kubernetes'. A cgroup is exported while it holds traced
 * memory or processes (and once more after, with its final peak);
 * processes only as the --top N largest peaks among those running, so the
 * series count stays bounded on a busy host.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "prometheus.h"
#include "text.h"
#include "rss_track.h"
#include "version.h"
#include "workload_groups.h"

struct writer {
	FILE *f;
	bool openmetrics;
};

/* A label value: valid UTF-8 (charset=utf-8 says so), \, " and newlines escaped. */
static void put_value(FILE *f, const char *s)
{
	char safe[1024];

	for (s = mt_text_safe(s, MT_TEXT_UTF8, safe, sizeof(safe)); *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* # HELP and # TYPE of a family; counters are named without _total in OpenMetrics. */
static void family(struct writer *w, const char *name, const char *type, const char *help)
{
	size_t len = strlen(name);

	if (w->openmetrics && !strcmp(type, "counter") && len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	fprintf(w->f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name, type);
}

/* A sample; labels are "key", "value" pairs ending with NULL. */
static void sample(struct writer *w, const char *name, unsigned long long value, ...)
{
	const char *key, *sep = "{";
	va_list ap;

	fputs(name, w->f);
	va_start(ap, value);
	while ((key = va_arg(ap, const char *))) {
		fprintf(w->f, "%s%s=\"", sep, key);
		put_value(w->f, va_arg(ap, const char *));
		fputc('"', w->f);
		sep = ",";
	}
	va_end(ap);
	fprintf(w->f, "%s %llu\n", *sep == ',' ? "}" : "", value);
}

static void sample_seconds(struct writer *w, const char *name, double value, const char *key,
			   const char *label)
{
	fprintf(w->f, "%s{%s=\"", name, key);
	put_value(w->f, label);
	fprintf(w->f, "\"} %.9f\n", value);
}

/* The labels of a cgroup: cAdvisor's id, name, pod, namespace; the runtime and the workload. */
struct cgroup_labels {
	const char *id, *name, *pod, *namespace_, *runtime, *workload;
	char label[256];
};

static void cgroup_labels(const struct mt_report *r, uint64_t id, struct cgroup_labels *l)
{
	const struct mt_cgroup_group *cg = report_find_cgroup(r, id);
	const struct mt_container none = { 0 }, *c = cg ? &cg->container : &none;
	const char *path = cg ? cg->path : NULL;

	container_label(c, path, id, l->label, sizeof(l->label));
	l->id = path ? path : l->label;
	l->name = cg && cg->names.container[0] ? cg->names.container : c->runtime ? l->label : "";
	l->pod = cg ? cg->names.pod : "";
	l->namespace_ = cg ? cg->names.namespace_ : "";
	l->runtime = c->runtime ? c->runtime : "";
	l->workload = cg ? cg->names.workload : "";
}

#define CGROUP_LABELS(l)                                                                           \
	"id", (l)->id, "name", (l)->name, "pod", (l)->pod, "namespace", (l)->namespace_, "runtime",  \
		(l)->runtime, "workload", (l)->workload, NULL

enum cgroup_value {
	CG_RSS,
	CG_PEAK,
	CG_INTERVAL_PEAK,
	CG_PROCESSES,
	CG_USAGE,
	CG_LIMIT,
	CG_FAULTS,
	CG_OOMS,
	CG_NR_VALUES,
};

static const struct {
	const char *name, *type, *help;
} cgroup_families[CG_NR_VALUES] = {
	{ "memtrace_container_rss_bytes", "gauge",
	  "Resident memory of the traced processes of the memory cgroup, summed." },
	{ "memtrace_container_peak_rss_bytes", "gauge",
	  "Exact peak of that sum since memtrace started, kept in the kernel." },
	{ "memtrace_container_interval_peak_rss_bytes", "gauge",
	  "Exact peak of that sum since the previous scrape." },
	{ "memtrace_container_processes", "gauge", "Traced processes running in the cgroup." },
	{ "memtrace_container_memory_usage_bytes", "gauge",
	  "The memcg's own usage (includes page cache and kernel memory)." },
	{ "memtrace_container_memory_limit_bytes", "gauge",
	  "The memcg's limit (absent when unlimited)." },
	{ "memtrace_container_page_faults_total", "counter",
	  "Page faults in the cgroup, the kernel's memory.stat pgfault." },
	{ "memtrace_container_oom_kills_total", "counter",
	  "OOM kills of traced processes of the cgroup seen by memtrace." },
};

/* One exported cgroup: its labels and values, gathered once per scrape. */
struct cgroup_row {
	struct cgroup_labels labels;
	unsigned long long values[CG_NR_VALUES];
	unsigned int present; /* bit per enum cgroup_value */
};

static bool gather_cgroup(const struct mt_report *r, const struct mt_cgroup_group *cg,
			  struct cgroup_row *row)
{
	const struct mt_rss_track *t = &cg->g.rss;

	/*
	 * Exported while it holds traced memory or processes, and at the one
	 * scrape after it ended (its final peak); then its series end.
	 */
	if (!t->rss && !cg->nr_running && t->window != r->window)
		return false;
	cgroup_labels(r, cg->id, &row->labels);
	row->values[CG_RSS] = t->rss;
	row->values[CG_PEAK] = t->peak;
	row->values[CG_INTERVAL_PEAK] = mt_track_window_peak(t, r->window);
	row->values[CG_PROCESSES] = cg->nr_running;
	row->values[CG_OOMS] = report_cgroup_ooms(r, cg->id, NULL);
	row->present = 1u << CG_RSS | 1u << CG_PEAK | 1u << CG_INTERVAL_PEAK |
		       1u << CG_PROCESSES | 1u << CG_OOMS;
	if (cg->memcg.known) {
		row->values[CG_USAGE] = cg->memcg.usage;
		row->values[CG_LIMIT] = cg->memcg.limit;
		row->values[CG_FAULTS] = cg->memcg.pgfault;
		row->present |= 1u << CG_USAGE | 1u << CG_FAULTS;
		if (cg->memcg.limit)
			row->present |= 1u << CG_LIMIT;
	}
	return true;
}

static int write_cgroups(struct writer *w, const struct mt_report *r)
{
	struct cgroup_row *rows = calloc(r->nr_cgroups + 1, sizeof(*rows));
	size_t nr = 0, i;
	int v;

	if (!rows)
		return -ENOMEM;
	for (i = 0; i < r->nr_cgroups; i++)
		nr += gather_cgroup(r, &r->cgroups[i], &rows[nr]);
	for (v = 0; v < CG_NR_VALUES; v++) {
		family(w, cgroup_families[v].name, cgroup_families[v].type, cgroup_families[v].help);
		for (i = 0; i < nr; i++) {
			if (rows[i].present & (1u << v))
				sample(w, cgroup_families[v].name, rows[i].values[v],
				       CGROUP_LABELS(&rows[i].labels));
		}
	}
	free(rows);
	return 0;
}

/* serve --by workload: each workload's runs together (workload_groups.h), beside the containers */
static int write_workloads(struct writer *w, const struct mt_report *r)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
		{ "memtrace_workload_rss_bytes", "gauge", "Resident memory of its running containers, summed." },
		{ "memtrace_workload_peak_rss_bytes", "gauge",
		  "Exact peak of its largest run (one container) since memtrace started." },
		{ "memtrace_workload_interval_peak_rss_bytes", "gauge",
		  "Exact peak of its largest run since the previous scrape." },
		{ "memtrace_workload_runs", "gauge", "Its containers memtrace has seen, ended ones included." },
		{ "memtrace_workload_memory_limit_bytes", "gauge",
		  "The largest memcg limit of its runs (absent when none has one)." },
		{ "memtrace_workload_oom_kills_total", "counter", "OOM kills in any of its runs." },
	};
	struct mt_workload_group *groups;
	size_t n, i, f;

	groups = workload_groups(r, &n);
	if (!groups)
		return -ENOMEM;
	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(w, families[f].name, families[f].type, families[f].help);
		for (i = 0; i < n; i++) {
			const struct mt_workload_group *g = &groups[i];
			unsigned long long v[] = { g->rss, g->peak, g->window_peak, g->nr_runs, g->limit,
						   g->oom_kills };

			if (f != 4 || g->limit)
				sample(w, families[f].name, v[f], "workload", g->name, NULL);
		}
	}
	workload_groups_free(groups, n);
	return 0;
}

static int cmp_peak_desc(const void *a, const void *b)
{
	const struct mt_process *pa = *(struct mt_process *const *)a;
	const struct mt_process *pb = *(struct mt_process *const *)b;

	return (pa->k.rss.peak < pb->k.rss.peak) - (pa->k.rss.peak > pb->k.rss.peak);
}

/* The --top running processes with the largest peaks; returns how many. */
static size_t top_processes(const struct mt_report *r, size_t top, struct mt_process ***out)
{
	struct mt_process **v = malloc((r->nr_procs + 1) * sizeof(*v));
	size_t i, nr = 0;

	*out = v;
	if (!v)
		return 0;
	for (i = 0; i < r->nr_procs; i++) {
		if (!r->procs[i]->exited)
			v[nr++] = r->procs[i];
	}
	qsort(v, nr, sizeof(*v), cmp_peak_desc);
	return nr < top ? nr : top;
}

static void write_processes(struct writer *w, const struct mt_report *r, size_t top_n)
{
	static const struct {
		const char *name, *type, *help;
	} families[] = {
		{ "memtrace_process_rss_bytes", "gauge", "Resident memory of a traced process." },
		{ "memtrace_process_peak_rss_bytes", "gauge", "Its exact peak since it was traced." },
		{ "memtrace_process_interval_peak_rss_bytes", "gauge",
		  "Its exact peak since the previous scrape." },
		{ "memtrace_process_page_faults_total", "counter", "Its page faults (minor + major)." },
	};
	struct mt_process **top;
	struct cgroup_labels l;
	size_t nr = top_processes(r, top_n, &top), f, i;
	char pid[16];

	for (f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		family(w, families[f].name, families[f].type, families[f].help);
		for (i = 0; i < nr; i++) {
			const struct mt_proc *k = &top[i]->k;
			unsigned long long v = f == 0 ? k->rss.rss :
					       f == 1 ? k->rss.peak :
					       f == 2 ? mt_track_window_peak(&k->rss, r->window) :
							k->faults;

			snprintf(pid, sizeof(pid), "%u", k->tgid);
			cgroup_labels(r, k->cgroup_id, &l);
			sample(w, families[f].name, v, "pid", pid, "comm", k->comm, CGROUP_LABELS(&l));
		}
	}
	free(top);
}

static void write_health(struct writer *w, const struct mt_report *r)
{
	size_t i;

	family(w, "memtrace_traced_rss_bytes", "gauge", "Resident memory of everything traced.");
	sample(w, "memtrace_traced_rss_bytes", r->group.rss.rss, NULL);
	family(w, "memtrace_traced_peak_rss_bytes", "gauge",
	       "Exact peak of everything traced, summed, since memtrace started.");
	sample(w, "memtrace_traced_peak_rss_bytes", r->group.rss.peak, NULL);
	family(w, "memtrace_traced_processes", "gauge", "Processes being traced.");
	sample(w, "memtrace_traced_processes", r->nr_procs - r->nr_exited, NULL);
	family(w, "memtrace_lost_events_total", "counter",
	       "Everything that could not be delivered or tracked (the sum of the drops).");
	sample(w, "memtrace_lost_events_total", report_lost_events(r), NULL);
	family(w, "memtrace_ringbuf_drops_total", "counter",
	       "Records the kernel-to-memtrace ring buffer had no room for.");
	sample(w, "memtrace_ringbuf_drops_total", r->stats.ringbuf_drops, NULL);
	family(w, "memtrace_map_full_drops_total", "counter",
	       "Processes or cgroups not tracked because their BPF map was full.");
	sample(w, "memtrace_map_full_drops_total", report_untracked(r), "map", "procs", NULL);
	sample(w, "memtrace_map_full_drops_total", r->stats.cgroups_full, "map", "cgroups", NULL);
	family(w, "memtrace_events_total", "counter", "Ring-buffer records delivered to memtrace.");
	sample(w, "memtrace_events_total", r->records, NULL);
	family(w, "memtrace_bpf_runs_total", "counter",
	       "Runs of each BPF program (counted while kernel.bpf_stats_enabled=1).");
	for (i = 0; i < r->nr_programs; i++)
		sample(w, "memtrace_bpf_runs_total", r->programs[i].runs, "program",
		       r->programs[i].name, NULL);
	family(w, "memtrace_bpf_run_seconds_total", "counter",
	       "Time spent in each BPF program (counted while kernel.bpf_stats_enabled=1).");
	for (i = 0; i < r->nr_programs; i++)
		sample_seconds(w, "memtrace_bpf_run_seconds_total", r->programs[i].run_ns / 1e9,
			       "program", r->programs[i].name);
	family(w, "memtrace_bpf_misses_total", "counter",
	       "Kernel events a BPF program was not run for: it was still running on that CPU.");
	for (i = 0; i < r->nr_programs; i++)
		sample(w, "memtrace_bpf_misses_total", r->programs[i].misses, "program",
		       r->programs[i].name, NULL);
	family(w, "memtrace_build_info", "gauge", "memtrace's version and the commit it was built from.");
	sample(w, "memtrace_build_info", 1, "version", mt_version, "commit", mt_commit, NULL);
}

int prometheus_write(FILE *f, const struct mt_report *r, size_t top, bool openmetrics)
{
	struct writer w = { .f = f, .openmetrics = openmetrics };
	int err;

	err = write_cgroups(&w, r);
	if (!err && r->by == MT_BY_WORKLOAD)
		err = write_workloads(&w, r);
	if (err)
		return err;
	write_processes(&w, r, top);
	write_health(&w, r);
	if (openmetrics)
		fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}
