// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_json.c - the report as one JSON object, schema memtrace.report/1.
 * The field names are a contract (README.md); fields may be added, never
 * renamed. json-c does the escaping: comm and cmdline are chosen by the
 * traced program and may hold quotes, control characters or invalid UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "output.h"
#include "text.h"

struct json_object *output_json_text(const char *s)
{
	char *safe;
	json_object *o;

	if (mt_text_is_safe(s, MT_TEXT_UTF8))
		return json_object_new_string(s ? s : "");
	safe = mt_text_safe_dup(s, MT_TEXT_UTF8);
	o = json_object_new_string(safe ? safe : "");
	free(safe);
	return o;
}

struct json_object *output_json_double(double v)
{
	char text[32];

	/* %.17g always reads back, but 0.2 would print as 0.20000000000000001 */
	for (int digits = 6; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, v);
		if (strtod(text, NULL) == v)
			break;
	}
	return json_object_new_double_s(v, text);
}

/* Seconds since the start of tracing, to the microsecond. */
static json_object *seconds(const struct mt_report *r, uint64_t time_ns)
{
	double v = report_seconds(r, time_ns);
	char text[32];

	snprintf(text, sizeof(text), "%.6f", v);
	return json_object_new_double_s(v, text);
}

static json_object *seconds_or_null(const struct mt_report *r, uint64_t time_ns)
{
	return time_ns ? seconds(r, time_ns) : NULL;
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static void add(json_object *obj, const char *key, json_object *value)
{
	json_object_object_add(obj, key, value);
}

static json_object *process_json(const struct mt_report *r, const struct mt_process *p)
{
	const struct mt_proc *k = &p->k;
	bool status_known = p->exited && (k->flags & MT_PROC_EXITED);
	json_object *o = json_object_new_object();

	add(o, "pid", json_object_new_int64(k->tgid));
	add(o, "ppid", json_object_new_int64(k->ppid));
	add(o, "comm", output_json_text(k->comm));
	add(o, "cmdline", p->cmdline ? output_json_text(p->cmdline) : NULL);
	add(o, "start_s", seconds(r, k->start_ns));
	add(o, "end_s", p->exited ? seconds_or_null(r, k->exit_ns) : NULL);
	add(o, "exit_code",
	    status_known ? json_object_new_int(mt_exit_code(k->exit_status)) : NULL);
	add(o, "peak_rss_bytes", u64(k->rss.peak));
	add(o, "peak_time_s", seconds(r, k->rss.peak_ns));
	add(o, "peak_anon_bytes", u64(k->peak_counters[MT_ANON]));
	add(o, "peak_file_bytes", u64(k->peak_counters[MT_FILE]));
	add(o, "peak_shmem_bytes", u64(k->peak_counters[MT_SHMEM]));
	add(o, "peak_swap_bytes", u64(k->peak_counters[MT_SWAP]));
	add(o, "peak_vm_bytes", u64(k->peak_vm));
	add(o, "rss_end_bytes", u64(k->rss.rss));
	add(o, "vm_end_bytes", u64(k->vm));
	add(o, "mapped_bytes", u64(k->mapped_bytes));
	add(o, "unmapped_bytes", u64(k->unmapped_bytes));
	add(o, "page_faults", u64(k->faults));
	add(o, "vmhwm_bytes", p->vmhwm_known ? u64(p->vmhwm) : NULL);
	add(o, "running_at_end", json_object_new_boolean(!p->exited));
	add(o, "attached", json_object_new_boolean(k->flags & MT_PROC_ATTACHED));
	add(o, "oom_killed", json_object_new_boolean(k->flags & MT_PROC_OOM_KILLED));
	return o;
}

static json_object *string_or_null(const char *s)
{
	return s && *s ? output_json_text(s) : NULL;
}

/* One memory cgroup: memtrace's exact peak of its processes, the memcg's own figures. */
static json_object *cgroup_json(const struct mt_report *r, const struct mt_cgroup_group *cg)
{
	const struct mt_container *c = &cg->container;
	json_object *o = json_object_new_object(), *m;

	add(o, "cgroup_id", u64(cg->id));
	add(o, "cgroup", string_or_null(cg->path));
	add(o, "runtime", string_or_null(c->runtime));
	add(o, "container_id", string_or_null(c->id));
	add(o, "name", string_or_null(c->name));
	add(o, "container_name", string_or_null(cg->names.container));
	add(o, "pod_name", string_or_null(cg->names.pod));
	add(o, "namespace", string_or_null(cg->names.namespace_));
	add(o, "workload", string_or_null(cg->names.workload));
	add(o, "pod_uid", string_or_null(c->pod_uid));
	add(o, "qos", string_or_null(c->qos));
	add(o, "processes", u64(cg->nr_procs));
	add(o, "peak_rss_bytes", u64(cg->g.rss.peak));
	add(o, "peak_time_s", seconds(r, cg->g.rss.peak_ns));
	add(o, "peak_anon_bytes", u64(cg->g.peak_counters[MT_ANON]));
	add(o, "peak_file_bytes", u64(cg->g.peak_counters[MT_FILE]));
	add(o, "peak_shmem_bytes", u64(cg->g.peak_counters[MT_SHMEM]));
	add(o, "rss_end_bytes", u64(cg->g.rss.rss));
	if (cg->memcg.known) {
		m = json_object_new_object();
		add(m, "usage_bytes", u64(cg->memcg.usage));
		add(m, "peak_bytes", cg->memcg.peak ? u64(cg->memcg.peak) : NULL);
		add(m, "limit_bytes", cg->memcg.limit ? u64(cg->memcg.limit) : NULL);
		add(m, "anon_bytes", u64(cg->memcg.anon));
		add(m, "file_bytes", u64(cg->memcg.file));
		/* v1 has no such figure */
		add(m, "kernel_bytes", cg->memcg.kernel ? u64(cg->memcg.kernel) : NULL);
		add(o, "memcg", m);
	} else {
		add(o, "memcg", NULL);
	}
	return o;
}

#define OOM_TIMELINE_NS (10 * 1000000000ull)

/*
 * What led to an OOM kill: the victim's rows and its cgroup's in the 10 s
 * before it (the rows memtrace keeps with --timeline, and in an audit).
 */
static json_object *oom_timeline(const struct mt_report *r, const struct mt_oom_event *k)
{
	uint64_t from = k->hdr.time_ns > OOM_TIMELINE_NS ? k->hdr.time_ns - OOM_TIMELINE_NS : 0;
	json_object *arr = json_object_new_array(), *row;

	for (size_t i = 0; i < r->nr_rows; i++) {
		const struct mt_row *w = &r->rows[i];

		if (w->time_ns < from || w->time_ns > k->hdr.time_ns)
			continue;
		if (!(w->cgroup_id ? w->cgroup_id == k->cgroup_id : w->pid == k->hdr.pid))
			continue;
		row = json_object_new_object();
		add(row, "time_s", seconds(r, w->time_ns));
		add(row, w->cgroup_id ? "cgroup_rss_bytes" : "rss_bytes", u64(w->rss));
		json_object_array_add(arr, row);
	}
	return arr;
}

/* An OOM kill: the victim, its memory then, its container and the limit it hit. */
static json_object *oom_json(const struct mt_report *r, const struct mt_oom_event *k)
{
	const struct mt_cgroup_group *cg = report_find_cgroup(r, k->cgroup_id);
	json_object *o = json_object_new_object();

	add(o, "time_s", seconds(r, k->hdr.time_ns));
	add(o, "pid", json_object_new_int64(k->hdr.pid));
	add(o, "comm", output_json_text(k->comm));
	add(o, "anon_rss_bytes", u64(k->counters[MT_ANON]));
	add(o, "file_rss_bytes", u64(k->counters[MT_FILE]));
	add(o, "shmem_rss_bytes", u64(k->counters[MT_SHMEM]));
	add(o, "cgroup_id", u64(k->cgroup_id));
	add(o, "cgroup", string_or_null(cg ? cg->path : NULL));
	add(o, "container_id", string_or_null(cg ? cg->container.id : NULL));
	add(o, "pod_uid", string_or_null(cg ? cg->container.pod_uid : NULL));
	add(o, "memcg_usage_bytes", u64(k->memcg_usage));
	add(o, "memcg_peak_bytes", u64(k->memcg_peak));
	add(o, "memcg_limit_bytes", k->memcg_limit ? u64(k->memcg_limit) : NULL);
	add(o, "cgroup_peak_rss_bytes", cg ? u64(cg->g.rss.peak) : NULL);
	add(o, "timeline", r->keep_rows ? oom_timeline(r, k) : NULL);
	return o;
}

/* A stack as frame labels (Python frames with their file and line), innermost first, inlined frames included. */
static json_object *stack_frames(const struct mt_profile *p, const struct mt_stack *s)
{
	json_object *arr = json_object_new_array();
	char label[MT_FRAME_LABEL_LEN];
	const struct mt_location *l;
	uint32_t i, j;

	for (i = 0; i < s->nr_locs; i++) {
		l = &p->locations[s->locs[i]];
		for (j = 0; j < l->nr_lines; j++)
			json_object_array_add(arr, output_json_text(profile_frame_label(
							   p, l, &l->lines[j], label, sizeof(label))));
	}
	return arr;
}

/* Stacks with their bytes of one kind, largest first. */
static json_object *sites_json(const struct mt_profile *p, enum mt_stack_value which)
{
	json_object *arr = json_object_new_array(), *o;
	uint32_t *order;
	long nr, i;

	nr = profile_sorted_stacks(p, which, &order);
	for (i = 0; i < nr; i++) {
		const struct mt_stack *s = &p->stacks[order[i]];

		o = json_object_new_object();
		add(o, "stack", stack_frames(p, s));
		add(o, "bytes", u64(profile_stack_value(s, which)));
		add(o, "comm", output_json_text(s->comm));
		json_object_array_add(arr, o);
	}
	if (nr >= 0)
		free(order);
	return arr;
}

static json_object *stacks_json(const struct mt_report *r)
{
	const struct mt_profile *p = r->profile;
	json_object *o = json_object_new_object();

	add(o, "unwind", json_object_new_string(p->unwind));
	add(o, "sample_bytes", u64(p->sample_bytes));
	add(o, "big_bytes", u64(p->big_bytes));
	add(o, "samples", u64(p->samples));
	add(o, "sampled_bytes", u64(p->sampled_bytes));
	/* the exact growth the counters saw, which the samples estimate */
	add(o, "grown_bytes", u64(r->group.grown_bytes));
	add(o, "samples_lost", u64(r->stats.samples_lost));
	add(o, "sampled_bytes_lost", u64(r->stats.sampled_bytes_lost));
	add(o, "big_mappings", u64(p->big_mappings));
	add(o, "frames", u64(p->frames));
	add(o, "unknown_frames", u64(p->unknown_frames));
	add(o, "dwarf_stacks", u64(p->dwarf_stacks));
	add(o, "fp_stacks", u64(p->fp_stacks));
	/* the moment "in use at the peak" describes */
	add(o, "peak_rss_bytes", u64(p->peak_rss));
	add(o, "peak_time_s", seconds_or_null(r, p->peak_ns));
	add(o, "peak_inuse_sampled_bytes", u64(p->peak_inuse_bytes));
	return o;
}

/* The kernel: its RSS counting (docs/kernels.md) and what it cannot give. */
static json_object *kernel_json(const struct mt_kernel *k)
{
	json_object *o = json_object_new_object(), *missing = json_object_new_array();

	add(o, "release", json_object_new_string(k->release));
	add(o, "rss_counting", json_object_new_string(mt_kernel_rss_counting(k)));
	add(o, "locks", json_object_new_string(k->emulated_locks ? "emulated" : "bpf_spin_lock"));
	for (int i = 0; i < MT_FEATURE_COUNT; i++) {
		if (k->missing & (1u << i))
			json_object_array_add(missing,
					      json_object_new_string(mt_feature_name(1u << i)));
	}
	add(o, "missing", missing);
	return o;
}

/* Each program's misses (a fork's or an exit's are handled by a second program, kernel.h). */
static json_object *program_misses_json(const struct mt_report *r)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < r->nr_programs; i++)
		if (r->programs[i].misses)
			add(o, r->programs[i].name, u64(r->programs[i].misses));
	return o;
}

json_object *output_json_report(const struct mt_report *r)
{
	const struct mt_group *g = &r->group;
	json_object *o = json_object_new_object(), *arr, *drops, *self;
	size_t i;

	add(o, "schema", json_object_new_string("memtrace.report/1"));
	add(o, "mode", json_object_new_string(r->command ? "command" : r->nr_pids ? "pids" : "all"));
	if (r->command) {
		arr = json_object_new_array();
		for (i = 0; r->command[i]; i++)
			json_object_array_add(arr, output_json_text(r->command[i]));
		add(o, "command", arr);
	} else {
		add(o, "command", NULL);
	}
	arr = json_object_new_array();
	for (i = 0; i < (size_t)r->nr_pids; i++)
		json_object_array_add(arr, json_object_new_int64(r->pids[i]));
	add(o, "pids", arr);
	add(o, "duration_s", seconds(r, r->end_ns));
	add(o, "exit_code", r->has_exit_code ? json_object_new_int(r->exit_code) : NULL);
	add(o, "lost_events", u64(report_lost_events(r)));
	drops = json_object_new_object();
	add(drops, "ringbuf_full", u64(r->stats.ringbuf_drops));
	add(drops, "untracked_processes", u64(report_untracked(r)));
	add(drops, "untracked_cgroups", u64(r->stats.cgroups_full));
	/* growth samples not taken: the task's user registers could not be read */
	add(drops, "samples_unreadable", u64(r->stats.regs_unreadable));
	/* older kernels' emulated locks (docs/kernels.md): updates made without their lock */
	add(drops, "lock_timeouts", u64(r->stats.lock_timeouts));
	/* kernel events a program was not run for, it was still running (preempted) on that CPU */
	add(drops, "program_misses", u64(report_program_misses(r)));
	add(drops, "misses_by_program", program_misses_json(r));
	/* every record the kernel side sent is here or in drops.ringbuf_full */
	add(drops, "records_delivered", u64(r->records));
	/* entries of the kernel's process map still in use at the end: the live processes */
	add(o, "kernel_map_entries", u64(r->map_in_use));
	add(o, "drops", drops);
	/* --exact: changes whose exact value was missing, so the folded one was used */
	add(o, "exact_fallbacks", u64(r->stats.exact_misses));
	add(o, "kernel", kernel_json(&r->kernel));
	self = json_object_new_object(); /* what tracing cost memtrace itself */
	add(self, "cpu_user_s", output_json_double(r->self_user_ns / 1e9));
	add(self, "cpu_sys_s", output_json_double(r->self_sys_ns / 1e9));
	add(self, "max_rss_bytes", u64(r->self_max_rss));
	add(o, "memtrace", self);
	add(o, "peak_rss_bytes", u64(g->rss.peak));
	add(o, "peak_time_s", seconds(r, g->rss.peak_ns));
	add(o, "peak_anon_bytes", u64(g->peak_counters[MT_ANON]));
	add(o, "peak_file_bytes", u64(g->peak_counters[MT_FILE]));
	add(o, "peak_shmem_bytes", u64(g->peak_counters[MT_SHMEM]));
	add(o, "rss_end_bytes", u64(g->rss.rss));
	add(o, "process_count", u64(r->nr_procs + r->unlisted));
	/* exited processes with the smallest peaks, beyond --keep: traced, not listed */
	add(o, "unlisted_processes", u64(r->unlisted));
	arr = json_object_new_array();
	for (i = 0; i < r->nr_procs; i++)
		json_object_array_add(arr, process_json(r, r->procs[i]));
	add(o, "processes", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->nr_cgroups; i++)
		json_object_array_add(arr, cgroup_json(r, &r->cgroups[i]));
	add(o, "groups", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->nr_ooms; i++)
		json_object_array_add(arr, oom_json(r, &r->ooms[i]));
	add(o, "oom_kills", arr);
	if (r->profile) {
		add(o, "stacks", stacks_json(r));
		add(o, "peak_sites", sites_json(r->profile, MT_VALUE_AT_PEAK));
		add(o, "growth_sites", sites_json(r->profile, MT_VALUE_GROWTH));
		add(o, "big_mappings", sites_json(r->profile, MT_VALUE_MAPPED));
	}
	return o;
}

int output_json_document(json_object *o, FILE *f)
{
	const char *text;

	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE);
	errno = 0;
	if (text && fputs(text, f) >= 0 && fputc('\n', f) >= 0)
		return 0;
	return errno ? -errno : -EIO; /* ENOSPC says more than EIO */
}

static int write_json(const struct mt_report *r, FILE *f)
{
	json_object *o = output_json_report(r);
	int err = output_json_document(o, f);

	json_object_put(o);
	return err;
}

const struct mt_writer mt_writer_json = { "json", write_json };
