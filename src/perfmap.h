/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * perfmap.h - a JIT runtime's symbols: /tmp/perf-PID.map (Node
 * --perf-basic-prof, Python 3.12+ -X perf), one "START SIZE NAME" line per
 * code object, appended to as the runtime compiles. Read whole, sorted by
 * address, read again when the file grows.
 */
#ifndef MEMTRACE_PERFMAP_H
#define MEMTRACE_PERFMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mt_perf_symbol {
	uint64_t start, size;
	char *name;
};

struct mt_perf_map {
	struct mt_perf_symbol *syms; /* by start */
	size_t nr, cap;
	off_t size;	     /* of the file when read; 0: none seen */
	uint64_t checked_ns; /* when it was last looked at (perf_map_refresh) */
};

/* Read the map at path if its size changed since (or it appeared); lines that do not parse are skipped. */
void perf_map_load(struct mt_perf_map *map, const char *path);
/* pid's map (/tmp/perf-PID.map), looked at again at most every 50 ms. */
void perf_map_refresh(struct mt_perf_map *map, uint32_t pid);
/* The symbol containing pc, or NULL. */
const struct mt_perf_symbol *perf_map_search(const struct mt_perf_map *map, uint64_t pc);
void perf_map_free(struct mt_perf_map *map);

/* "/tmp/perf-PID.map" into buf. */
const char *perf_map_path(uint32_t pid, char *buf, size_t size);

#endif /* MEMTRACE_PERFMAP_H */
