// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * perfmap.c - a JIT runtime's perf map (see perfmap.h). Runtimes write
 * their lines while they run, sometimes after samples from that code have
 * come (V8 does), so a map is read again when it grew: at a frame no map
 * line names, and once more when tracing ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "perfmap.h"
#include "procfs.h"
#include "util.h"

#define MT_PERF_MAP_RECHECK_NS (50 * 1000000ull)

const char *perf_map_path(uint32_t pid, char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/perf-%u.map", pid);
	return buf;
}

void perf_map_free(struct mt_perf_map *map)
{
	for (size_t i = 0; i < map->nr; i++)
		free(map->syms[i].name);
	free(map->syms);
	map->syms = NULL;
	map->nr = map->cap = 0;
	map->size = 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct mt_perf_symbol *sa = a, *sb = b;

	return (sa->start > sb->start) - (sa->start < sb->start);
}

void perf_map_load(struct mt_perf_map *map, const char *path)
{
	struct mt_perf_symbol sym;
	char *line = NULL;
	size_t cap = 0, name_at;
	struct stat st;
	FILE *f;

	if (stat(path, &st) || st.st_size == map->size)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	perf_map_free(map);
	map->size = st.st_size;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (procfs_parse_perf_map_line(line, &sym.start, &sym.size, &name_at))
			continue;
		sym.name = strdup(line + name_at);
		if (!sym.name || mt_append((void **)&map->syms, &map->nr, &map->cap, sizeof(sym), &sym)) {
			free(sym.name);
			break;
		}
	}
	free(line);
	fclose(f);
	qsort(map->syms, map->nr, sizeof(*map->syms), cmp_start);
}

void perf_map_refresh(struct mt_perf_map *map, uint32_t pid)
{
	uint64_t now = mt_now_ns();
	char path[64];

	if (now - map->checked_ns < MT_PERF_MAP_RECHECK_NS)
		return;
	map->checked_ns = now;
	perf_map_load(map, perf_map_path(pid, path, sizeof(path)));
}

const struct mt_perf_symbol *perf_map_search(const struct mt_perf_map *map, uint64_t pc)
{
	size_t lo = 0, hi = map->nr, mid;

	while (lo < hi) { /* the last symbol starting at or before pc */
		mid = (lo + hi) / 2;
		if (map->syms[mid].start <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || pc - map->syms[lo - 1].start >= map->syms[lo - 1].size)
		return NULL;
	return &map->syms[lo - 1];
}
