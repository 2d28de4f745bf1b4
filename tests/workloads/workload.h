/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * workload.h - helpers for the test workloads: programs whose memory use is
 * known in advance and which print their own ground truth (the kernel's
 * VmHWM/VmRSS read from /proc/self/status) as key=value lines on stdout.
 */
#ifndef MEMTRACE_WORKLOAD_H
#define MEMTRACE_WORKLOAD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ull * 1024)

static inline long arg_long(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 10) : def;
}

/* Fresh anonymous memory, every page touched (so it is resident). */
static inline char *touch_new(size_t bytes)
{
	char *p;

	if (!bytes)
		return NULL;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (char)i | 1;
	return p;
}

/* A field of a /proc/self file in bytes (its value is in kB). */
static inline uint64_t proc_self_bytes(const char *file, const char *key)
{
	char line[256], path[64];
	size_t len = strlen(key);
	uint64_t kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb * 1024;
}

/* A /proc/self/status field in bytes. */
static inline uint64_t status_bytes(const char *key)
{
	return proc_self_bytes("status", key);
}

/*
 * Wait for a child and return the kernel's own final high-water mark of its
 * RSS (ru_maxrss, taken at its exit after its threads' cached counts were
 * folded in): the ground truth for a child's peak on every kernel. Before
 * 6.2 the VmHWM a process reads of itself lacks what its threads have
 * faulted but not yet folded into the mm (up to 64 faults each).
 */
static inline uint64_t wait_child_maxrss(pid_t pid)
{
	struct rusage ru;

	if (wait4(pid, NULL, 0, &ru) != pid)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;
}

/* Page faults of this process so far (minor + major), as the kernel counts them. */
static inline uint64_t own_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

#endif /* MEMTRACE_WORKLOAD_H */
