// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_audit.c - the right-sizing audit (audit.h) as a text table and as
 * JSON (schema memtrace.audit/1, field names a contract like the report's),
 * whether it was computed from this host's trace or from Prometheus.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "audit.h"
#include "output.h"
#include "text.h"
#include "util.h"

static const char *by_heading(enum mt_by by)
{
	return by == MT_BY_WORKLOAD ? "WORKLOAD" : by == MT_BY_CONTAINER ? "CONTAINER" : "CGROUP";
}

static const char *bytes_or_dash(uint64_t v, char *buf, size_t size)
{
	return v ? mt_format_bytes(v, buf, size) : "-";
}

int audit_write_text(const struct mt_audit *a, FILE *f)
{
	char label[4 * 30 + 1], pod[4 * 36 + 1], lim[32], peak[32], mpeak[32], p50[32], p95[32],
		p99[32], head[32], sug[32];
	bool by_workload = a->by == MT_BY_WORKLOAD;
	int second = by_workload ? 12 : 36; /* a workload's runs and nodes, or a container's pod */

	fprintf(f, "memtrace audit (%s): %.1f s, %zu %ss, suggested limit = peak + %.0f%%, "
		   "lost events %llu\n\n",
		a->source, a->duration_s, a->n, audit_by_name(a->by), a->margin * 100,
		(unsigned long long)a->lost_events);
	fprintf(f, "%-30s %-*s %10s %10s %10s %10s %10s %10s %10s %4s %10s %s\n",
		by_heading(a->by), second, by_workload ? "RUNS (NODES)" : "POD", "LIMIT", "PEAK RSS",
		"MEMCG PEAK", "P50", "P95", "P99", "HEADROOM", "OOM", "SUGGESTED", "VERDICT");
	for (size_t i = 0; i < a->n; i++) {
		const struct mt_audit_entry *e = &a->entries[i];
		char runs[64];

		snprintf(runs, sizeof(runs), "%llu (%llu)", (unsigned long long)e->containers,
			 (unsigned long long)e->nodes);
		fprintf(f, "%s %s %10s %10s %10s %10s %10s %10s %10s %4u %10s %s\n",
			mt_text_cell(e->label, 30, true, label, sizeof(label)),
			mt_text_cell(by_workload ? runs : e->pod_uid ? e->pod_uid : "-", second, false,
				     pod, sizeof(pod)),
			bytes_or_dash(e->limit, lim, sizeof(lim)),
			mt_format_bytes(e->peak, peak, sizeof(peak)),
			bytes_or_dash(e->memcg_peak, mpeak, sizeof(mpeak)),
			mt_format_bytes(e->p50, p50, sizeof(p50)),
			mt_format_bytes(e->p95, p95, sizeof(p95)),
			mt_format_bytes(e->p99, p99, sizeof(p99)),
			bytes_or_dash(e->limit > e->peak ? e->limit - e->peak : 0, head, sizeof(head)),
			e->oom_kills, mt_format_bytes(e->suggested, sug, sizeof(sug)), e->verdict);
	}
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}

static json_object *u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *str(const char *s)
{
	return s && *s ? output_json_text(s) : NULL;
}

static json_object *entry_json(const struct mt_audit_entry *e)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cgroup_id", e->cgroup_id ? u64(e->cgroup_id) : NULL);
	json_object_object_add(o, "cgroup", str(e->cgroup));
	json_object_object_add(o, "runtime", str(e->runtime));
	json_object_object_add(o, "container_id", str(e->container_id));
	json_object_object_add(o, "name", str(e->name));
	json_object_object_add(o, "container_name", str(e->container_name));
	json_object_object_add(o, "pod_name", str(e->pod_name));
	json_object_object_add(o, "namespace", str(e->namespace_));
	json_object_object_add(o, "workload", str(e->workload));
	json_object_object_add(o, "pod_uid", str(e->pod_uid));
	json_object_object_add(o, "qos", str(e->qos));
	json_object_object_add(o, "limit_bytes", e->limit ? u64(e->limit) : NULL);
	json_object_object_add(o, "peak_rss_bytes", u64(e->peak));
	json_object_object_add(o, "peak_time_s",
			       e->peak_time_known ? output_json_double(e->peak_time_s) : NULL);
	json_object_object_add(o, "memcg_peak_bytes", e->memcg_peak ? u64(e->memcg_peak) : NULL);
	json_object_object_add(o, "p50_bytes", u64(e->p50));
	json_object_object_add(o, "p95_bytes", u64(e->p95));
	json_object_object_add(o, "p99_bytes", u64(e->p99));
	json_object_object_add(o, "headroom_bytes",
			       e->limit ? json_object_new_int64((int64_t)e->limit - (int64_t)e->peak) :
					  NULL);
	json_object_object_add(o, "oom_kills", json_object_new_int(e->oom_kills));
	json_object_object_add(o, "suggested_limit_bytes", u64(e->suggested));
	json_object_object_add(o, "verdict", json_object_new_string(e->verdict));
	json_object_object_add(o, "containers", u64(e->containers));
	json_object_object_add(o, "nodes", u64(e->nodes));
	return o;
}

int audit_write_json(const struct mt_audit *a, FILE *f)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int err;

	json_object_object_add(o, "schema", json_object_new_string("memtrace.audit/1"));
	json_object_object_add(o, "source", json_object_new_string(a->source));
	json_object_object_add(o, "duration_s", output_json_double(a->duration_s));
	json_object_object_add(o, "by", json_object_new_string(audit_by_name(a->by)));
	json_object_object_add(o, "margin", output_json_double(a->margin));
	json_object_object_add(o, "lost_events", u64(a->lost_events));
	for (size_t i = 0; i < a->n; i++)
		json_object_array_add(arr, entry_json(&a->entries[i]));
	json_object_object_add(o, "entries", arr);
	err = output_json_document(o, f);
	json_object_put(o);
	return err;
}

/* The writers of a local audit: its table built from the report. */
static int write_local(const struct mt_report *r, FILE *f,
		       int (*write)(const struct mt_audit *a, FILE *f))
{
	struct mt_audit a;
	int err = audit_build(r, &a);

	if (err)
		return err;
	err = write(&a, f);
	audit_free(&a);
	return err;
}

static int write_audit_text(const struct mt_report *r, FILE *f)
{
	return write_local(r, f, audit_write_text);
}

static int write_audit_json(const struct mt_report *r, FILE *f)
{
	return write_local(r, f, audit_write_json);
}

const struct mt_writer mt_writer_audit_text = { "audit", write_audit_text };
const struct mt_writer mt_writer_audit_json = { "audit JSON", write_audit_json };
