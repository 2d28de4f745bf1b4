// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * forktree - NCHILD children each grow by MIB MiB; all hold at once, then
 * exit. The tree's summed peak is known: each process reports its VmRSS at
 * the moment they all hold, and the parent prints the sum (tree_rss_bytes).
 * usage: forktree NCHILD MIB
 */
#include <sys/wait.h>

#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 4), mib = arg_long(argc, argv, 2, 32);
	int ready[2], release[2];
	uint64_t total = 0, rss;
	char go;

	if (pipe(ready) || pipe(release))
		return 99;
	for (long i = 0; i < n; i++) {
		if (fork() == 0) {
			close(ready[0]);
			close(release[1]);
			touch_new(mib * MIB);
			rss = status_bytes("VmRSS");
			if (write(ready[1], &rss, sizeof(rss)) != sizeof(rss))
				_exit(98);
			if (read(release[0], &go, 1) < 0) /* EOF when the parent releases */
				_exit(97);
			_exit(0);
		}
	}
	close(ready[1]);
	close(release[0]);
	for (long i = 0; i < n; i++) {
		if (read(ready[0], &rss, sizeof(rss)) != sizeof(rss))
			return 96;
		total += rss;
	}
	total += status_bytes("VmRSS");
	close(release[1]);
	while (wait(NULL) > 0)
		;
	printf("tree_rss_bytes=%llu\n", (unsigned long long)total);
	return 0;
}
