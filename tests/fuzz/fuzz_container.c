// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_container.c - libFuzzer target: cgroup paths to containers
 * (container.c). A path is untrusted: anyone who can create a cgroup
 * chooses it. Checks the parser's promises, not only that it survives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_container c;
	char *path = malloc(size + 1);

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (container_from_cgroup_path(path, &c)) {
		/* an id is 64 lower-case hex digits or nothing; a pod UID is 36 characters */
		if (c.id[0] && strlen(c.id) != 64)
			abort();
		if (c.pod_uid[0] && strlen(c.pod_uid) != 36)
			abort();
		if (strlen(c.name) >= sizeof(c.name))
			abort();
	}
	free(path);
	return 0;
}
