// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * workload.c - which workload a container runs (see workload.h). Names and
 * labels are untrusted text: bounded copies, json-c, any field may be
 * missing.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

/* The characters Kubernetes generates name suffixes from (SafeEncodeString). */
static bool is_generated(const char *s, size_t len, size_t min, size_t max)
{
	if (len < min || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!s[i] || !strchr("bcdfghjklmnpqrstvwxz2456789", s[i]))
			return false;
	}
	return true;
}

static bool is_number(const char *s, size_t len, size_t min)
{
	if (len < min)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* The start of the last "-"-separated part of s[0..len), and its length. */
static const char *last_part(const char *s, size_t len, size_t *part_len)
{
	const char *dash = memrchr(s, '-', len);

	if (!dash || dash == s)
		return NULL;
	*part_len = len - (dash + 1 - s);
	return dash + 1;
}

void workload_pod_owner(const char *pod, char *buf, size_t size)
{
	size_t len = strlen(pod), last_len = 0, prev_len = 0;
	const char *last = last_part(pod, len, &last_len), *prev = NULL;

	if (last)
		prev = last_part(pod, last - 1 - pod, &prev_len);
	if (last && is_generated(last, last_len, 5, 5) && prev &&
	    (is_number(prev, prev_len, 8) ||		    /* CronJob: scheduled minute */
	     is_generated(prev, prev_len, 6, 10)))	    /* Deployment: template hash */
		len = prev - 1 - pod;
	else if (last && (is_generated(last, last_len, 5, 5) ||  /* DaemonSet, Job, ReplicaSet */
			  is_number(last, last_len, 1)))	  /* StatefulSet: ordinal */
		len = last - 1 - pod;
	snprintf(buf, size, "%.*s", (int)len, pod);
}

/* "registry:5000/team/app:1.2@sha256:..." -> "registry:5000/team/app" */
static void image_without_tag(const char *image, char *buf, size_t size)
{
	size_t len = strcspn(image, "@");
	const char *slash = memrchr(image, '/', len), *colon;

	colon = memrchr(slash ? slash : image, ':', len - (slash ? slash - image : 0));
	if (colon)
		len = colon - image;
	snprintf(buf, size, "%.*s", (int)len, image);
}

int workload_from_docker(const char *docker_root, const char *id, char *workload,
			 size_t workload_size, char *name, size_t name_size)
{
	const char *family, *container, *project, *service, *image, *n;
	json_object *record, *config = NULL, *labels = NULL;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", docker_root, id);
	record = json_object_from_file(path);
	if (!record)
		return -ENOENT;
	json_object_object_get_ex(record, "Config", &config);
	if (config)
		json_object_object_get_ex(config, "Labels", &labels);
	family = runtime_json_string(labels, "com.amazonaws.ecs.task-definition-family");
	container = runtime_json_string(labels, "com.amazonaws.ecs.container-name");
	project = runtime_json_string(labels, "com.docker.compose.project");
	service = runtime_json_string(labels, "com.docker.compose.service");
	image = runtime_json_string(config, "Image");
	if (family)
		snprintf(workload, workload_size, "%s%s%s", family, container ? "/" : "",
			 container ? container : "");
	else if (project && service)
		snprintf(workload, workload_size, "%s/%s", project, service);
	else if (image)
		image_without_tag(image, workload, workload_size);
	else
		workload[0] = '\0';
	n = runtime_json_string(record, "Name");
	if (n)
		snprintf(name, name_size, "%s", n[0] == '/' ? n + 1 : n);
	json_object_put(record);
	return 0;
}

void workload_learn(const struct mt_container *c, const char *docker_root,
		    struct mt_runtime_names *names)
{
	char owner[MT_RUNTIME_NAME_LEN];

	if (c->runtime && !strcmp(c->runtime, "docker") && c->id[0] &&
	    !workload_from_docker(docker_root, c->id, names->workload, sizeof(names->workload),
				  names->container, sizeof(names->container)) &&
	    names->workload[0])
		return;
	if (names->pod[0]) {
		workload_pod_owner(names->pod, owner, sizeof(owner));
		snprintf(names->workload, sizeof(names->workload), "%s%s%s", names->namespace_,
			 names->namespace_[0] ? "/" : "", owner);
	} else if (c->name[0]) { /* a systemd unit, an LXC or nspawn machine */
		snprintf(names->workload, sizeof(names->workload), "%s", c->name);
	} else {
		snprintf(names->workload, sizeof(names->workload), "%s", names->container);
	}
}
