/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * container.h - from a cgroup path to the container, pod or service that
 * owns it, by the naming conventions of the runtimes (docker, containerd/CRI,
 * CRI-O, podman, LXC, systemd-nspawn, Kubernetes with either cgroup driver,
 * systemd services). The path is untrusted text: every rule is bounded.
 */
#ifndef MEMTRACE_CONTAINER_H
#define MEMTRACE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>

#define MT_CONTAINER_ID_LEN 65 /* 64 hex digits */
#define MT_POD_UID_LEN 37      /* 8-4-4-4-12 */
#define MT_NAME_LEN 256

struct mt_container {
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "lxc", "nspawn",
				"kubernetes", "systemd"; NULL: none recognised */
	char id[MT_CONTAINER_ID_LEN];  /* container id (hex), empty if the runtime has none */
	char name[MT_NAME_LEN];	       /* LXC/nspawn machine or systemd unit; empty if none */
	char pod_uid[MT_POD_UID_LEN];  /* Kubernetes pod UID with dashes; empty if none */
	const char *qos;	       /* "guaranteed", "burstable", "besteffort"; NULL off k8s */
};

/* Parse a cgroup path ("/kubepods/burstable/pod.../<id>"). Returns whether anything matched. */
bool container_from_cgroup_path(const char *path, struct mt_container *c);

/*
 * How a cgroup is named for people: "runtime:<12 hex>" or "runtime:name"
 * for a container, else its path, else "cgroup <id>".
 */
void container_label(const struct mt_container *c, const char *path, unsigned long long id,
		     char *buf, size_t size);

#endif /* MEMTRACE_CONTAINER_H */
