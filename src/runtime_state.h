/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * runtime_state.h - container names without a daemon call: the OCI
 * runtime's state on disk (runc's state.json under /run/runc and under
 * containerd's /run/containerd/runc/<namespace>/) gives each container's
 * name and cgroup path, and its bundle's config.json the Kubernetes
 * annotations (container, pod, namespace).
 */
#ifndef MEMTRACE_RUNTIME_STATE_H
#define MEMTRACE_RUNTIME_STATE_H

#include <json-c/json.h>

#define MT_RUNTIME_NAME_LEN 128

struct mt_runtime_names {
	char container[MT_RUNTIME_NAME_LEN]; /* the runtime's name or id for it */
	char pod[MT_RUNTIME_NAME_LEN];	     /* Kubernetes pod name; empty off k8s */
	char namespace_[MT_RUNTIME_NAME_LEN];
	char workload[2 * MT_RUNTIME_NAME_LEN]; /* what it is a run of (workload.h) */
};

/*
 * Look `cgroup_path` (as in the memory hierarchy, "/docker/<id>") up in the
 * runtimes' state directories under `run_dir` ("/run" on a host). 0 when
 * found, -ENOENT otherwise.
 */
int runtime_names_for_cgroup(const char *run_dir, const char *cgroup_path,
			     struct mt_runtime_names *names);

/* A string member of a runtime's JSON object (o may be NULL); NULL if absent or not a string. */
const char *runtime_json_string(json_object *o, const char *key);

#endif /* MEMTRACE_RUNTIME_STATE_H */
