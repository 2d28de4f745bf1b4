// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * runtime_state.c - container names from the runtimes' state on disk (see
 * runtime_state.h). The files are written by root-owned runtimes but still
 * parsed defensively: json-c, bounded copies, any field may be missing.
 */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runtime_state.h"

const char *runtime_json_string(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

static void copy(char *dst, const char *src)
{
	snprintf(dst, MT_RUNTIME_NAME_LEN, "%s", src ? src : "");
}

/* The bundle's config.json annotations: Kubernetes names for CRI containers. */
static void read_annotations(const char *bundle, struct mt_runtime_names *names)
{
	char path[PATH_MAX];
	json_object *config, *ann;
	const char *v;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	config = json_object_from_file(path);
	if (!config)
		return;
	if (json_object_object_get_ex(config, "annotations", &ann)) {
		/* containerd, then CRI-O */
		if ((v = runtime_json_string(ann, "io.kubernetes.cri.container-name")) ||
		    (v = runtime_json_string(ann, "io.kubernetes.container.name")))
			copy(names->container, v);
		if ((v = runtime_json_string(ann, "io.kubernetes.cri.sandbox-name")) ||
		    (v = runtime_json_string(ann, "io.kubernetes.pod.name")))
			copy(names->pod, v);
		if ((v = runtime_json_string(ann, "io.kubernetes.cri.sandbox-namespace")) ||
		    (v = runtime_json_string(ann, "io.kubernetes.pod.namespace")))
			copy(names->namespace_, v);
	}
	json_object_put(config);
}

/* One state.json: does it describe the container in cgroup_path? */
static int match_state(const char *file, const char *cgroup_path, struct mt_runtime_names *names)
{
	json_object *state, *config, *cgroups, *labels;
	const char *path, *id;
	int found = 0;

	state = json_object_from_file(file);
	if (!state)
		return 0;
	if (json_object_object_get_ex(state, "config", &config) &&
	    json_object_object_get_ex(config, "cgroups", &cgroups) &&
	    (path = runtime_json_string(cgroups, "path")) && !strcmp(path, cgroup_path) &&
	    (id = runtime_json_string(state, "id"))) {
		memset(names, 0, sizeof(*names));
		copy(names->container, id);
		/* containerd records the bundle as a label "bundle=<dir>" */
		if (json_object_object_get_ex(config, "labels", &labels) &&
		    json_object_is_type(labels, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(labels); i++) {
				const char *l = json_object_get_string(json_object_array_get_idx(labels, i));

				if (l && !strncmp(l, "bundle=", 7))
					read_annotations(l + 7, names);
			}
		}
		found = 1;
	}
	json_object_put(state);
	return found;
}

/* Every <dir>/<id>/state.json. */
static int scan_dir(const char *dir, const char *cgroup_path, struct mt_runtime_names *names)
{
	char file[PATH_MAX + 512];
	struct dirent *d;
	DIR *dp = opendir(dir);
	int found = 0;

	if (!dp)
		return 0;
	while (!found && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/state.json", dir, d->d_name);
		found = match_state(file, cgroup_path, names);
	}
	closedir(dp);
	return found;
}

int runtime_names_for_cgroup(const char *run_dir, const char *cgroup_path,
			     struct mt_runtime_names *names)
{
	char dir[PATH_MAX], sub[PATH_MAX + 256];
	struct dirent *d;
	DIR *dp;
	int found;

	/* plain runc, then containerd's runc shims, one directory per namespace */
	snprintf(dir, sizeof(dir), "%s/runc", run_dir);
	found = scan_dir(dir, cgroup_path, names);
	snprintf(dir, sizeof(dir), "%s/containerd/runc", run_dir);
	dp = found ? NULL : opendir(dir);
	while (dp && !found && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, d->d_name);
		found = scan_dir(sub, cgroup_path, names);
	}
	if (dp)
		closedir(dp);
	return found ? 0 : -ENOENT;
}
