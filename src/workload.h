/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * workload.h - the workload a container is one run of: what a fleet sizes a
 * limit for, across its many containers on many nodes. Read from what the
 * runtimes leave on disk, with no daemon call:
 *   Kubernetes  "<namespace>/<owner>", the owner from the pod's name
 *   Docker      (config.v2.json) "<ECS task-definition family>/<container>",
 *               else "<compose project>/<service>", else the image, untagged
 *   systemd     the unit
 *   otherwise   the container's name
 *
 * From a pod's name alone, the owner's kind cannot be told, and an owner
 * whose own name ends like a generated suffix ("cache-7bd9f") loses that
 * part; the rules are workload_pod_owner()'s.
 */
#ifndef MEMTRACE_WORKLOAD_H
#define MEMTRACE_WORKLOAD_H

#include <stddef.h>

#include "container.h"
#include "runtime_state.h"

/* Where Docker keeps containers/<id>/config.v2.json. */
#define MT_DOCKER_ROOT "/var/lib/docker"

/*
 * The name of the pod's owner: a Deployment's (name-<hash>-<5>), a CronJob's
 * (name-<minutes>-<5>), a DaemonSet's, Job's or ReplicaSet's (name-<5>), a
 * StatefulSet's (name-<ordinal>); a bare pod's own name.
 */
void workload_pod_owner(const char *pod, char *buf, size_t size);

/*
 * Docker's record of container `id` under `docker_root`: its workload and
 * name ("/web-1" -> "web-1"). 0, or -ENOENT if there is none.
 */
int workload_from_docker(const char *docker_root, const char *id, char *workload,
			 size_t workload_size, char *name, size_t name_size);

/* Fill names->workload (and a Docker container's name) for container c. */
void workload_learn(const struct mt_container *c, const char *docker_root,
		    struct mt_runtime_names *names);

#endif /* MEMTRACE_WORKLOAD_H */
