// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * container.c - cgroup path to container, pod and runtime (see container.h).
 *
 * The rules are those of the field (../shared/CONTAINERS.md): walk the path's
 * components from the leaf up, and the first component that names a
 * container wins; the pod UID and QoS class are found anywhere in the path.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "container.h"

#define HEX_ID_LEN 64

static bool is_hex_id(const char *s, size_t len)
{
	if (len != HEX_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

static void set_id(struct mt_container *c, const char *runtime, const char *id)
{
	c->runtime = runtime;
	memcpy(c->id, id, HEX_ID_LEN);
	c->id[HEX_ID_LEN] = '\0';
}

static void set_name(struct mt_container *c, const char *runtime, const char *name, size_t len)
{
	c->runtime = runtime;
	if (len >= sizeof(c->name))
		len = sizeof(c->name) - 1;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
}

/* systemd escapes "-" and other bytes in unit names as \xNN */
static void unescape_systemd(char *s)
{
	char *out = s;
	unsigned int byte;

	while (*s) {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3]) && sscanf(s + 2, "%2x", &byte) == 1 && byte) {
			*out++ = (char)byte;
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/*
 * One component, given its parent: does it name a container? `comp` is not
 * NUL-terminated; its length is `len`.
 */
static bool match_component(const char *comp, size_t len, const char *parent, size_t parent_len,
			    struct mt_container *c)
{
	const char *colon;

	/* docker, systemd driver; also cri-dockerd */
	if (starts_with(comp, len, "docker-") && ends_with(comp, len, ".scope") &&
	    is_hex_id(comp + 7, len - 7 - 6)) {
		set_id(c, "docker", comp + 7);
		return true;
	}
	/* containerd/CRI, systemd driver */
	if (starts_with(comp, len, "cri-containerd-") && ends_with(comp, len, ".scope") &&
	    is_hex_id(comp + 15, len - 15 - 6)) {
		set_id(c, "containerd", comp + 15);
		return true;
	}
	/* containerd with SystemdCgroup=false: "<slice>:cri-containerd:<id>" */
	colon = len > HEX_ID_LEN + 16 ? comp + len - HEX_ID_LEN - 16 : NULL;
	if (colon && !memcmp(colon, ":cri-containerd:", 16) && is_hex_id(colon + 16, HEX_ID_LEN)) {
		set_id(c, "containerd", colon + 16);
		return true;
	}
	/* CRI-O: crio-<id>.scope or crio-<id>, never its conmon */
	if (starts_with(comp, len, "crio-") && !starts_with(comp, len, "crio-conmon-") &&
	    (is_hex_id(comp + 5, len - 5) ||
	     (ends_with(comp, len, ".scope") && is_hex_id(comp + 5, len - 5 - 6)))) {
		set_id(c, "cri-o", comp + 5);
		return true;
	}
	/* podman: libpod-<id>[.scope] or libpod-payload-<id>, never its conmon */
	if (starts_with(comp, len, "libpod-") && !starts_with(comp, len, "libpod-conmon-")) {
		const char *id = comp + 7;
		size_t id_len = len - 7;

		if (starts_with(id, id_len, "payload-")) {
			id += 8;
			id_len -= 8;
		}
		if (ends_with(id, id_len, ".scope"))
			id_len -= 6;
		if (is_hex_id(id, id_len)) {
			set_id(c, "podman", id);
			return true;
		}
	}
	/* nerdctl, systemd driver */
	if (starts_with(comp, len, "nerdctl-") && ends_with(comp, len, ".scope") &&
	    is_hex_id(comp + 8, len - 8 - 6)) {
		set_id(c, "nerdctl", comp + 8);
		return true;
	}
	/* LXC/LXD: lxc.payload.<name>, older /lxc/<name>; never the monitor */
	if (starts_with(comp, len, "lxc.payload.") && len > 12) {
		set_name(c, "lxc", comp + 12, len - 12);
		return true;
	}
	if (parent_len == 3 && !memcmp(parent, "lxc", 3) && !starts_with(comp, len, "lxc.monitor")) {
		set_name(c, "lxc", comp, len);
		return true;
	}
	/* systemd-nspawn: machine-<escaped name>.scope */
	if (starts_with(comp, len, "machine-") && ends_with(comp, len, ".scope") && len > 14) {
		set_name(c, "nspawn", comp + 8, len - 8 - 6);
		unescape_systemd(c->name);
		return true;
	}
	/* a bare 64-hex id: docker with cgroupfs (/docker/<id>), Kubernetes cgroupfs (pod<uid>/<id>) */
	if (is_hex_id(comp, len)) {
		if (parent_len == 6 && !memcmp(parent, "docker", 6)) {
			set_id(c, "docker", comp);
			return true;
		}
		if (starts_with(parent, parent_len, "pod")) {
			set_id(c, "kubernetes", comp);
			return true;
		}
	}
	return false;
}

/* "pod" followed by a UID, with "-" or (systemd driver) "_" between its groups */
static void find_pod(const char *path, struct mt_container *c)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	const char *p;

	for (p = strstr(path, "pod"); p; p = strstr(p + 1, "pod")) {
		const char *q = p + 3;
		char uid[MT_POD_UID_LEN];
		size_t n = 0;
		int g, i;

		for (g = 0; g < 5; g++) {
			for (i = 0; i < groups[g]; i++, q++) {
				if (!isxdigit((unsigned char)*q))
					break;
				uid[n++] = *q;
			}
			if (i < groups[g])
				break;
			if (g < 4) {
				if (*q != '-' && *q != '_')
					break;
				uid[n++] = '-';
				q++;
			}
		}
		if (g == 5) {
			uid[n] = '\0';
			memcpy(c->pod_uid, uid, n + 1);
			return;
		}
	}
}

static void find_qos(const char *path, struct mt_container *c)
{
	const char *k = strstr(path, "kubepods");

	if (!k)
		return;
	if (strstr(k, "burstable"))
		c->qos = "burstable";
	else if (strstr(k, "besteffort"))
		c->qos = "besteffort";
	else
		c->qos = "guaranteed";
}

bool container_from_cgroup_path(const char *path, struct mt_container *c)
{
	const char *end, *start, *parent_end, *parent_start;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (!path)
		return false;
	end = path + strlen(path);
	while (end > path && end[-1] == '/')
		end--;
	/* from the leaf up: the first component that names a container wins */
	while (end > path && !c->runtime) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		len = end - start;
		parent_end = start > path ? start - 1 : path;
		parent_start = parent_end;
		while (parent_start > path && parent_start[-1] != '/')
			parent_start--;
		/* podman's "container" leaf stands for its parent */
		if (!(len == 9 && !memcmp(start, "container", 9)))
			match_component(start, len, parent_start, parent_end - parent_start, c);
		end = start > path ? start - 1 : path;
	}
	find_pod(path, c);
	find_qos(path, c);
	if (!c->runtime && (c->pod_uid[0] || c->qos))
		c->runtime = "kubernetes";
	if (!c->runtime) {
		/* a systemd service is the last resort: name the leaf unit */
		end = path + strlen(path);
		start = strrchr(path, '/');
		start = start ? start + 1 : path;
		len = end - start;
		if (ends_with(start, len, ".service")) {
			set_name(c, "systemd", start, len);
			unescape_systemd(c->name);
		}
	}
	return c->runtime != NULL;
}

void container_label(const struct mt_container *c, const char *path, unsigned long long id,
		     char *buf, size_t size)
{
	if (c && c->runtime && c->id[0])
		snprintf(buf, size, "%s:%.12s", c->runtime, c->id);
	else if (c && c->runtime && c->name[0])
		snprintf(buf, size, "%s:%.64s", c->runtime, c->name);
	else if (path)
		snprintf(buf, size, "%s", path);
	else
		snprintf(buf, size, "cgroup %llu", id);
}
