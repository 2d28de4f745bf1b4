// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_text.c - the human report, the way time(1) answers "how long?":
 * what ran, the peak of everything traced together and when, then one line
 * per process (largest peak first), the kernel's VmHWM beside memtrace's peak
 * as a cross-check, and what was lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "output.h"
#include "text.h"
#include "util.h"
#include "workload_groups.h"

#define MAX_PROCESS_LINES 25

#define MAX_COMMAND_BYTES 256 /* of CMD in the header, cut as JSON's cmdline is */

/* CMD as typed, made safe, its first MAX_COMMAND_BYTES bytes. */
static void print_command(char *const *argv, FILE *f)
{
	char joined[MAX_COMMAND_BYTES + 1], safe[4 * MAX_COMMAND_BYTES + 1];
	size_t used = 0, n;
	int w;

	for (n = 0; argv[n]; n++) {
		w = snprintf(joined + used, sizeof(joined) - used, "%s%s", n ? " " : "", argv[n]);
		if ((size_t)w >= sizeof(joined) - used)
			break;
		used += w;
	}
	fputs(mt_text_safe(joined, MT_TEXT_TERMINAL, safe, sizeof(safe)), f);
	if (argv[n]) {
		while (argv[n])
			n++;
		fprintf(f, "\u2026 (%zu arguments)", n);
	}
}

static void print_header(const struct mt_report *r, FILE *f)
{
	size_t i;

	fputs("memtrace: ", f);
	if (r->command) {
		print_command(r->command, f);
		fprintf(f, " (pid %d)", r->nr_pids ? r->pids[0] : 0);
	} else if (!r->nr_pids) {
		fputs("all processes", f);
	} else {
		fputs("pid ", f);
		for (i = 0; i < (size_t)r->nr_pids; i++)
			fprintf(f, "%s%d", i ? "," : "", r->pids[i]);
	}
	fprintf(f, ", traced %.3f s", report_seconds(r, r->end_ns));
	if (r->has_exit_code)
		fprintf(f, ", exit status %d", r->exit_code);
	fputc('\n', f);
}

static void print_totals(const struct mt_report *r, FILE *f)
{
	const struct mt_group *g = &r->group;
	char peak[32], anon[32], file[32], shmem[32], end[32];

	fprintf(f, "\npeak RSS   %s at %.3f s (anon %s, file %s, shmem %s)%s\n",
		mt_format_bytes(g->rss.peak, peak, sizeof(peak)), report_seconds(r, g->rss.peak_ns),
		mt_format_bytes(g->peak_counters[MT_ANON], anon, sizeof(anon)),
		mt_format_bytes(g->peak_counters[MT_FILE], file, sizeof(file)),
		mt_format_bytes(g->peak_counters[MT_SHMEM], shmem, sizeof(shmem)),
		r->nr_procs > 1 ? ", all traced processes together" : "");
	fprintf(f, "end RSS    %s\n", mt_format_bytes(g->rss.rss, end, sizeof(end)));
	fprintf(f, "processes  %llu traced", (unsigned long long)(r->nr_procs + r->unlisted));
	if (r->unlisted)
		fprintf(f, " (%llu exited with the smallest peaks not listed, see --keep)",
			(unsigned long long)r->unlisted);
	fputc('\n', f);
	fprintf(f, "lost events %llu", (unsigned long long)report_lost_events(r));
	if (report_lost_events(r))
		fprintf(f, " (ring buffer full %llu, untracked processes %llu, samples unreadable %llu)",
			(unsigned long long)r->stats.ringbuf_drops,
			(unsigned long long)report_untracked(r),
			(unsigned long long)r->stats.regs_unreadable);
	fputc('\n', f);
	if (report_program_misses(r))
		fprintf(f, "kernel events skipped %llu (a program of memtrace's was still running on "
			   "that CPU; forks and exits are caught by a second one)\n",
			(unsigned long long)report_program_misses(r));
	fprintf(f, "memtrace   %.3f s CPU, %s RSS (its own cost)\n",
		(r->self_user_ns + r->self_sys_ns) / 1e9,
		mt_format_bytes(r->self_max_rss, end, sizeof(end)));
	if (r->stats.exact_misses)
		fprintf(f, "exact fallbacks %llu (counter changes taken as folded, not exact)\n",
			(unsigned long long)r->stats.exact_misses);
}

static void print_process(const struct mt_report *r, const struct mt_process *p, FILE *f)
{
	const struct mt_proc *k = &p->k;
	char peak[32], anon[32], file[32], shmem[32], end[32], vm[32], hwm[32], status[16];
	char comm[4 * 16 + 1];

	if (!p->exited)
		snprintf(status, sizeof(status), "running");
	else if (!(k->flags & MT_PROC_EXITED))
		snprintf(status, sizeof(status), "?");
	else
		snprintf(status, sizeof(status), "%d", mt_exit_code(k->exit_status));
	fprintf(f, "%7u %7u %s %10s %8.3f %10s %10s %10s %10s %10s %8llu %7s %10s\n", k->tgid,
		k->ppid, mt_text_cell(k->comm, 16, false, comm, sizeof(comm)),
		mt_format_bytes(k->rss.peak, peak, sizeof(peak)),
		report_seconds(r, k->rss.peak_ns),
		mt_format_bytes(k->peak_counters[MT_ANON], anon, sizeof(anon)),
		mt_format_bytes(k->peak_counters[MT_FILE], file, sizeof(file)),
		mt_format_bytes(k->peak_counters[MT_SHMEM], shmem, sizeof(shmem)),
		mt_format_bytes(k->rss.rss, end, sizeof(end)),
		mt_format_bytes(k->peak_vm, vm, sizeof(vm)), (unsigned long long)k->faults, status,
		p->vmhwm_known ? mt_format_bytes(p->vmhwm, hwm, sizeof(hwm)) : "-");
}

static void print_cgroups(const struct mt_report *r, FILE *f)
{
	bool by_container = r->by == MT_BY_CONTAINER;
	char label[300], cell[4 * 40 + 1], pod[4 * 36 + 1], peak[32], end[32], usage[32],
		mpeak[32], limit[32];
	size_t i;

	fprintf(f, "\n%-40s %-36s %10s %8s %10s %5s %10s %10s %10s\n",
		by_container ? "CONTAINER" : "CGROUP", "POD", "PEAK RSS", "AT (s)", "END RSS",
		"PROCS", "MEMCG", "MEMCG PEAK", "LIMIT");
	for (i = 0; i < r->nr_cgroups && i < MAX_PROCESS_LINES; i++) {
		const struct mt_cgroup_group *cg = &r->cgroups[i];
		const struct mt_memcg *m = &cg->memcg;

		container_label(by_container ? &cg->container : NULL, cg->path, cg->id, label,
				sizeof(label));
		fprintf(f, "%s %s %10s %8.3f %10s %5zu %10s %10s %10s\n",
			mt_text_cell(label, 40, true, cell, sizeof(cell)),
			mt_text_cell(cg->container.pod_uid[0] ? cg->container.pod_uid : "-", 36, false,
				     pod, sizeof(pod)),
			mt_format_bytes(cg->g.rss.peak, peak, sizeof(peak)),
			report_seconds(r, cg->g.rss.peak_ns),
			mt_format_bytes(cg->g.rss.rss, end, sizeof(end)), cg->nr_procs,
			m->known ? mt_format_bytes(m->usage, usage, sizeof(usage)) : "-",
			m->known && m->peak ? mt_format_bytes(m->peak, mpeak, sizeof(mpeak)) : "-",
			m->known && m->limit ? mt_format_bytes(m->limit, limit, sizeof(limit)) : "-");
	}
	if (i < r->nr_cgroups)
		fprintf(f, "... and %zu more cgroups with smaller peaks (all are in --json)\n",
			r->nr_cgroups - i);
}

/* --by workload: one row per workload, its runs (containers) together */
static int print_workloads(const struct mt_report *r, FILE *f)
{
	char cell[4 * 40 + 1], peak[32], end[32], usage[32], limit[32];
	struct mt_workload_group *w;
	size_t n, i;

	w = workload_groups(r, &n);
	if (!w)
		return -ENOMEM;
	fprintf(f, "\n%-40s %5s %10s %8s %10s %5s %10s %10s\n", "WORKLOAD", "RUNS", "PEAK RSS",
		"AT (s)", "END RSS", "PROCS", "MEMCG", "LIMIT");
	for (i = 0; i < n && i < MAX_PROCESS_LINES; i++)
		fprintf(f, "%s %5zu %10s %8.3f %10s %5zu %10s %10s\n",
			mt_text_cell(w[i].name, 40, true, cell, sizeof(cell)), w[i].nr_runs,
			mt_format_bytes(w[i].peak, peak, sizeof(peak)), report_seconds(r, w[i].peak_ns),
			mt_format_bytes(w[i].rss, end, sizeof(end)), w[i].nr_running,
			w[i].memcg_usage ? mt_format_bytes(w[i].memcg_usage, usage, sizeof(usage)) : "-",
			w[i].limit ? mt_format_bytes(w[i].limit, limit, sizeof(limit)) : "-");
	if (i < n)
		fprintf(f, "... and %zu more workloads with smaller peaks\n", n - i);
	workload_groups_free(w, n);
	return 0;
}

static void print_ooms(const struct mt_report *r, FILE *f)
{
	char anon[32], file[32], limit[32], label[300], safe_label[1200], comm[4 * 16 + 1];

	for (size_t i = 0; i < r->nr_ooms; i++) {
		const struct mt_oom_event *k = &r->ooms[i];
		const struct mt_cgroup_group *cg = report_find_cgroup(r, k->cgroup_id);

		container_label(cg ? &cg->container : NULL, cg ? cg->path : NULL, k->cgroup_id, label,
				sizeof(label));
		fprintf(f, "OOM kill   %.3f s: pid %u (%s) in %s, anon %s, file %s, limit %s\n",
			report_seconds(r, k->hdr.time_ns), k->hdr.pid,
			mt_text_safe(k->comm, MT_TEXT_TERMINAL, comm, sizeof(comm)),
			mt_text_safe(label, MT_TEXT_TERMINAL, safe_label, sizeof(safe_label)),
			mt_format_bytes(k->counters[MT_ANON], anon, sizeof(anon)),
			mt_format_bytes(k->counters[MT_FILE], file, sizeof(file)),
			k->memcg_limit ? mt_format_bytes(k->memcg_limit, limit, sizeof(limit)) : "-");
	}
}

#define MAX_SITE_LINES 10

/* "file.c:42", the file's last path component; "" when unknown. */
static const char *site_position(const struct mt_function *fn, uint32_t line, char *buf,
				 size_t size)
{
	const char *slash = strrchr(fn->file, '/');
	const char *file = slash ? slash + 1 : fn->file;

	if (!*file)
		return "";
	if (line)
		snprintf(buf, size, "%s:%u", file, line);
	else
		snprintf(buf, size, "%s", file);
	return buf;
}

/* One table of growth sites: what grew over the run, or what was in use at the peak. */
static void print_sites(const struct mt_report *r, FILE *f, enum mt_stack_value which)
{
	const struct mt_profile *p = r->profile;
	uint64_t whole = which == MT_VALUE_AT_PEAK ? p->peak_rss : p->sampled_bytes;
	char bytes[32], position[PATH_MAX], name[4 * 40 + 1], where[4 * 32 + 1];
	struct mt_site *sites;
	long nr, i;

	nr = profile_sites(p, which, &sites);
	if (nr < 0)
		return;
	if (which == MT_VALUE_AT_PEAK && !p->peak_ns) /* no sample came: no moment to name */
		fprintf(f, "\ntop growth sites at peak (%% of the peak RSS)\n");
	else if (which == MT_VALUE_AT_PEAK)
		fprintf(f, "\ntop growth sites at peak (in use at %.3f s; %% of the peak RSS)\n",
			report_seconds(r, p->peak_ns));
	else
		fprintf(f, "\ntop growth sites overall (%% of all sampled growth)\n");
	fprintf(f, "%-40s %-32s %10s %6s\n", "FUNCTION", "FILE:LINE", "BYTES", "%");
	for (i = 0; i < nr && i < MAX_SITE_LINES; i++) {
		const struct mt_function *fn = &p->functions[sites[i].function];

		fprintf(f, "%s %s %10s %5.1f%%\n", mt_text_cell(fn->name, 40, false, name, sizeof(name)),
			mt_text_cell(site_position(fn, sites[i].line, position, sizeof(position)), 32,
				     true, where, sizeof(where)),
			mt_format_bytes(sites[i].bytes, bytes, sizeof(bytes)),
			whole ? 100.0 * sites[i].bytes / whole : 0.0);
	}
	if (!nr)
		fputs("(no samples)\n", f);
	free(sites);
}

static void print_stacks_summary(const struct mt_report *r, FILE *f)
{
	const struct mt_profile *p = r->profile;
	char every[32], sampled[32], grown[32], lost[32];

	/* what the samples stand for against what the counters saw grow: no hole can hide */
	fprintf(f, "\nstacks     %llu samples (one per %s grown on average, --unwind %s): sampled %s "
		   "of %s grown",
		(unsigned long long)p->samples, mt_format_bytes(p->sample_bytes, every, sizeof(every)),
		p->unwind, mt_format_bytes(p->sampled_bytes, sampled, sizeof(sampled)),
		mt_format_bytes(r->group.grown_bytes, grown, sizeof(grown)));
	if (r->stats.samples_lost)
		fprintf(f, "; %llu lost (%s)", (unsigned long long)r->stats.samples_lost,
			mt_format_bytes(r->stats.sampled_bytes_lost, lost, sizeof(lost)));
	fprintf(f, "; %llu of %llu frames unknown\n", (unsigned long long)p->unknown_frames,
		(unsigned long long)p->frames);
}

static int write_text(const struct mt_report *r, FILE *f)
{
	struct mt_process **sorted;
	size_t i, shown;

	sorted = report_by_peak(r);
	if (!sorted)
		return -ENOMEM;
	print_header(r, f);
	print_totals(r, f);
	print_ooms(r, f);
	if (r->by == MT_BY_WORKLOAD && print_workloads(r, f)) {
		free(sorted);
		return -ENOMEM;
	}
	if (r->by == MT_BY_CGROUP || r->by == MT_BY_CONTAINER)
		print_cgroups(r, f);

	fprintf(f, "\n%7s %7s %-16s %10s %8s %10s %10s %10s %10s %10s %8s %7s %10s\n", "PID", "PPID",
		"COMMAND", "PEAK RSS", "AT (s)", "ANON", "FILE", "SHMEM", "END RSS", "PEAK VM",
		"FAULTS", "EXIT", "VmHWM");
	shown = r->nr_procs < MAX_PROCESS_LINES ? r->nr_procs : MAX_PROCESS_LINES;
	for (i = 0; i < shown; i++)
		print_process(r, sorted[i], f);
	if (shown < r->nr_procs)
		fprintf(f, "... and %zu more processes with smaller peaks (all are in --json)\n",
			r->nr_procs - shown);
	if (r->profile) {
		print_stacks_summary(r, f);
		print_sites(r, f, MT_VALUE_AT_PEAK);
		print_sites(r, f, MT_VALUE_GROWTH);
	}
	free(sorted);
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

const struct mt_writer mt_writer_text = { "text", write_text };
