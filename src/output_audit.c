// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_audit.c - the right-sizing audit (audit.c) as a text table and as
 * JSON (schema memtrace.audit/1, field names a contract like the report's).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "audit.h"
#include "container.h"
#include "output.h"
#include "text.h"
#include "util.h"

static int write_audit_text(const struct mt_report *r, FILE *f)
{
	char l[300], label[4 * 30 + 1], pod[4 * 36 + 1], lim[32], peak[32], mpeak[32], p50[32], p95[32], p99[32], head[32], sug[32];
	struct mt_audit_entry *e;
	size_t n, i;

	e = audit_build(r, r->by == MT_BY_CONTAINER, r->audit_margin, &n);
	if (!e)
		return -ENOMEM;
	fprintf(f, "memtrace audit: %.1f s, %zu %s, suggested limit = peak + %.0f%%, lost events %llu\n\n",
		report_seconds(r, r->end_ns), n, r->by == MT_BY_CONTAINER ? "containers" : "cgroups",
		r->audit_margin * 100, (unsigned long long)report_lost_events(r));
	fprintf(f, "%-30s %-36s %10s %10s %10s %10s %10s %10s %10s %4s %10s %s\n",
		r->by == MT_BY_CONTAINER ? "CONTAINER" : "CGROUP", "POD", "LIMIT", "PEAK RSS",
		"MEMCG PEAK", "P50", "P95", "P99", "HEADROOM", "OOM", "SUGGESTED", "VERDICT");
	for (i = 0; i < n; i++) {
		const struct mt_cgroup_group *cg = e[i].cg;
		uint64_t pk = cg->g.rss.peak;

		container_label(&cg->container, cg->path, cg->id, l, sizeof(l));
		fprintf(f, "%s %s %10s %10s %10s %10s %10s %10s %10s %4u %10s %s\n",
			mt_text_cell(l, 30, true, label, sizeof(label)),
			mt_text_cell(cg->container.pod_uid[0] ? cg->container.pod_uid : "-", 36, false,
				     pod, sizeof(pod)),
			e[i].limit ? mt_format_bytes(e[i].limit, lim, sizeof(lim)) : "-",
			mt_format_bytes(pk, peak, sizeof(peak)),
			cg->memcg.peak ? mt_format_bytes(cg->memcg.peak, mpeak, sizeof(mpeak)) : "-",
			mt_format_bytes(e[i].p50, p50, sizeof(p50)),
			mt_format_bytes(e[i].p95, p95, sizeof(p95)),
			mt_format_bytes(e[i].p99, p99, sizeof(p99)),
			e[i].limit && e[i].limit > pk ? mt_format_bytes(e[i].limit - pk, head, sizeof(head)) :
							 "-",
			e[i].oom_kills, mt_format_bytes(e[i].suggested, sug, sizeof(sug)), e[i].verdict);
	}
	free(e);
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

static json_object *entry_json(const struct mt_report *r, const struct mt_audit_entry *e)
{
	const struct mt_cgroup_group *cg = e->cg;
	json_object *o = json_object_new_object();
	uint64_t peak = cg->g.rss.peak;

	json_object_object_add(o, "cgroup_id", u64(cg->id));
	json_object_object_add(o, "cgroup", str(cg->path));
	json_object_object_add(o, "runtime", str(cg->container.runtime));
	json_object_object_add(o, "container_id", str(cg->container.id));
	json_object_object_add(o, "name", str(cg->container.name));
	json_object_object_add(o, "container_name", str(cg->names.container));
	json_object_object_add(o, "pod_name", str(cg->names.pod));
	json_object_object_add(o, "namespace", str(cg->names.namespace_));
	json_object_object_add(o, "workload", str(cg->names.workload));
	json_object_object_add(o, "pod_uid", str(cg->container.pod_uid));
	json_object_object_add(o, "qos", str(cg->container.qos));
	json_object_object_add(o, "limit_bytes", e->limit ? u64(e->limit) : NULL);
	json_object_object_add(o, "peak_rss_bytes", u64(peak));
	json_object_object_add(o, "peak_time_s",
			       output_json_double(report_seconds(r, cg->g.rss.peak_ns)));
	json_object_object_add(o, "memcg_peak_bytes", cg->memcg.peak ? u64(cg->memcg.peak) : NULL);
	json_object_object_add(o, "p50_bytes", u64(e->p50));
	json_object_object_add(o, "p95_bytes", u64(e->p95));
	json_object_object_add(o, "p99_bytes", u64(e->p99));
	json_object_object_add(o, "headroom_bytes",
			       e->limit ? json_object_new_int64((int64_t)e->limit - (int64_t)peak) :
					  NULL);
	json_object_object_add(o, "oom_kills", json_object_new_int(e->oom_kills));
	json_object_object_add(o, "suggested_limit_bytes", u64(e->suggested));
	json_object_object_add(o, "verdict", json_object_new_string(e->verdict));
	return o;
}

static int write_audit_json(const struct mt_report *r, FILE *f)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	struct mt_audit_entry *e;
	size_t n, i;
	int err;

	e = audit_build(r, r->by == MT_BY_CONTAINER, r->audit_margin, &n);
	if (!e) {
		json_object_put(o);
		json_object_put(arr);
		return -ENOMEM;
	}
	json_object_object_add(o, "schema", json_object_new_string("memtrace.audit/1"));
	json_object_object_add(o, "duration_s",
			       output_json_double(report_seconds(r, r->end_ns)));
	json_object_object_add(o, "by", json_object_new_string(r->by == MT_BY_CONTAINER ?
									  "container" :
									  "cgroup"));
	json_object_object_add(o, "margin", output_json_double(r->audit_margin));
	json_object_object_add(o, "lost_events", u64(report_lost_events(r)));
	for (i = 0; i < n; i++)
		json_object_array_add(arr, entry_json(r, &e[i]));
	json_object_object_add(o, "entries", arr);
	free(e);
	err = output_json_document(o, f);
	json_object_put(o);
	return err;
}

const struct mt_writer mt_writer_audit_text = { "audit", write_audit_text };
const struct mt_writer mt_writer_audit_json = { "audit JSON", write_audit_json };
