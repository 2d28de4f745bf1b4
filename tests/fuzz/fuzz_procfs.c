// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_procfs.c - libFuzzer target: the parsers of /proc text and of
 * option values. The first byte picks the parser, the rest is its input:
 * /proc/PID/status, /proc/PID/stat (a process names itself, so its comm may
 * hold anything), /proc/PID/cgroup, argv bytes, numbers, pid lists, lines
 * of a JIT's perf map (any process writes /tmp/perf-PID.map) and --listen
 * addresses.
 */
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "procfs.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_proc_status status;
	struct mt_proc_stat stat;
	char path[256], *text, *line;
	struct sockaddr_storage addr;
	uint64_t u, start, len;
	size_t name_at;
	double d;
	int *pids, n;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 9) {
	case 0:
		if (!procfs_parse_status(text, &status) && strlen(status.name) >= sizeof(status.name))
			abort();
		break;
	case 1: procfs_parse_stat(text, &stat); break;
	case 2:
		if (!cgroups_parse_proc_cgroup(text, 1 + (size & 1), path, sizeof(path)) &&
		    strlen(path) >= sizeof(path))
			abort();
		break;
	case 3:
		line = procfs_join_args((const char *)data + 1, size - 1);
		free(line);
		break;
	case 4: mt_parse_u64(text, size & 1, &u); break;
	case 5: mt_parse_seconds(text, &d); break;
	case 6:
		if (!procfs_parse_perf_map_line(text, &start, &len, &name_at) &&
		    (name_at >= size - 1 || !text[name_at]))
			abort();
		break;
	case 7: mt_parse_listen(text, &addr); break;
	default:
		if (!mt_parse_pid_list(text, &pids, &n)) {
			for (int i = 0; i < n; i++) {
				if (pids[i] <= 0)
					abort();
			}
			free(pids);
		}
		break;
	}
	free(text);
	return 0;
}
