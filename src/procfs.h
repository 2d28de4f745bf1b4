/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * procfs.h - what memtrace reads from /proc: a process's status (its starting
 * point under -p and the VmHWM cross-check), its stat line (kernel thread?
 * start time) and its command line. The parsers take text, so unit tests and
 * fuzzers feed them directly.
 */
#ifndef MEMTRACE_PROCFS_H
#define MEMTRACE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mt_proc_status {
	char name[16];
	int tgid;
	int ppid;
	/* bytes; 0 when the line is absent (a zombie has no memory lines) */
	uint64_t rss_anon;
	uint64_t rss_file;
	uint64_t rss_shmem;
	uint64_t vm_swap;
	uint64_t vm_size;
	uint64_t vm_peak;
	uint64_t vm_hwm;
	bool has_mm; /* the memory lines were there */
	uint64_t cap_eff; /* effective capabilities */
};

struct mt_proc_stat {
	unsigned int flags;	      /* task flags (PF_*) */
	unsigned long long faults;    /* minflt + majflt of the whole process */
	unsigned long long starttime; /* clock ticks after boot */
};

int procfs_parse_status(const char *text, struct mt_proc_status *st);
int procfs_parse_stat(const char *text, struct mt_proc_stat *st);

/*
 * A line of a JIT's /tmp/perf-PID.map, "START SIZE NAME" (hex numbers): 0
 * with the name's offset in the line, or -EINVAL. Any process can write
 * that file: it is untrusted text.
 */
int procfs_parse_perf_map_line(const char *line, uint64_t *start, uint64_t *size,
			       size_t *name_at);

/* Read and parse /proc/PID/...; 0, or -errno (-ENOENT: no such process). */
int procfs_read_status(int pid, struct mt_proc_status *st);
int procfs_read_stat(int pid, struct mt_proc_stat *st);
bool procfs_is_kernel_thread(const struct mt_proc_stat *st);

/*
 * argv as NUL-separated bytes (from /proc/PID/cmdline or the exec event) to
 * one line, arguments separated by spaces; malloc'd, NULL on failure.
 */
char *procfs_join_args(const char *args, size_t len);
/* /proc/PID/cmdline joined; NULL when unreadable or empty (kernel thread, zombie). */
char *procfs_read_cmdline(int pid);

#endif /* MEMTRACE_PROCFS_H */
