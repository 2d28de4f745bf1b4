/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cgroup.h - memory cgroups as userspace sees them: where the memory
 * controller's hierarchy is mounted (cgroup2, or v1 "memory" on legacy and
 * hybrid hosts), from a cgroup id (the kernfs id BPF reports: the inode of
 * the cgroup's directory) to its path, and the memcg's own figures (usage,
 * peak, limit) next to memtrace's exact peaks.
 */
#ifndef MEMTRACE_CGROUP_H
#define MEMTRACE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime_state.h"

struct mt_cgroups;

/* Find the memory hierarchy. NULL with errno set when there is none. */
struct mt_cgroups *cgroups_open(void);
void cgroups_free(struct mt_cgroups *cg);

/*
 * The path of cgroup `id` ("/" for the root), rescanning the hierarchy once
 * when the id is unknown. NULL if it is not (or no longer) there. The
 * string lives as long as `cg`; a path once seen stays known, so a cgroup
 * removed since still resolves.
 */
const char *cgroups_path(struct mt_cgroups *cg, uint64_t id);

/*
 * The memory cgroup path of a process from the text of /proc/PID/cgroup:
 * the "memory" controller's line on v1, the "0::" line on cgroup2.
 * 0, or -ENOENT when there is no such line.
 */
int cgroups_parse_proc_cgroup(const char *text, int version, char *path, size_t size);

/* The memory cgroup id of a running process (0 if unknown). */
uint64_t cgroups_id_of_pid(const struct mt_cgroups *cg, int pid);

/* A cgroup_mkdir event: remember its path if it is in the memory hierarchy. */
void cgroups_learn(struct mt_cgroups *cg, uint64_t id, int hierarchy_id, const char *path);

/*
 * A subtree to trace (--cgroup, --container): its root's id, depth (the
 * hierarchy's root is 0) and path.
 */
struct mt_cgroup_scope {
	uint64_t id;
	unsigned int level;
	char path[4096];
};

/* --cgroup PATH (relative to the memory hierarchy's mount); 0 or -errno. */
int cgroups_scope_from_path(struct mt_cgroups *cg, const char *path, struct mt_cgroup_scope *s);
/*
 * --container ID: the one cgroup whose container id starts with `id` (or
 * whose container name is `id`); -ENOENT if none, -EEXIST if several.
 */
int cgroups_scope_from_container(struct mt_cgroups *cg, const char *id, struct mt_cgroup_scope *s);
/* Is `path` the scope's root or below it? */
bool cgroups_in_scope(const struct mt_cgroup_scope *s, const char *path);

struct mt_memcg {
	bool known;
	uint64_t usage;	    /* memory.current / memory.usage_in_bytes */
	uint64_t peak;	    /* memory.peak / memory.max_usage_in_bytes; 0 if unknown */
	uint64_t limit;	    /* memory.max / memory.limit_in_bytes; 0 if unlimited */
	/* memory.stat's breakdown, from the read at the highest usage (stat_usage) */
	uint64_t stat_usage;
	uint64_t anon;	    /* memory.stat: anon / total_rss (v1) */
	uint64_t file;	    /* memory.stat: file / total_cache (v1): the page cache it is charged */
	uint64_t kernel;    /* memory.stat: kernel (v2 only; 0 on v1) */
	uint64_t pgfault;   /* memory.stat: pgfault / total_pgfault (v1): the kernel's fault count */
};

/* The fields memtrace reports from a memory.stat text; 0 or -EINVAL. */
int cgroups_parse_memory_stat(const char *text, int version, struct mt_memcg *m);

/* The memcg's own figures for a cgroup path. */
int cgroups_read_memcg(const struct mt_cgroups *cg, const char *path, struct mt_memcg *m);

/*
 * A new read `now` into the figures `kept`: all of it, but the memory.stat
 * breakdown of the read at the highest usage.
 */
void cgroups_update_memcg(struct mt_memcg *kept, const struct mt_memcg *now);

/*
 * The figures of cgroup `id`: read now if it still exists, else as last
 * read (a container deleted before the end keeps its last usage, limit and
 * peak). Its memory.stat breakdown is the one read at the highest usage: the
 * last read of a finished container comes after its processes freed their
 * memory. NULL if never read.
 */
const struct mt_memcg *cgroups_memcg(struct mt_cgroups *cg, uint64_t id);

/* The names the container runtime gave cgroup `id`'s container; NULL if none known. */
const struct mt_runtime_names *cgroups_runtime_names(struct mt_cgroups *cg, uint64_t id);

/*
 * A process has just exec'd: if it is in a container created while tracing
 * whose names or memcg figures are not known yet, read them now, while the
 * container and its runtime's state exist (a short container may be gone at
 * the next refresh).
 */
void cgroups_on_exec(struct mt_cgroups *cg, int pid);

#endif /* MEMTRACE_CGROUP_H */
