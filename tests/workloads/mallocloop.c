// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mallocloop - the malloc-heavy case: N times, malloc a small block (16 to
 * 272 bytes) into a live set of 4096 slots and free the block it replaces,
 * so the compiler cannot drop the pairs and the heap stays warm. Prints its
 * own elapsed time (elapsed_ns).
 * usage: mallocloop N
 */
#include "workload.h"

#define SLOTS 4096

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 20000000);
	static void *live[SLOTS];
	unsigned int x = 12345;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		free(live[i % SLOTS]);
		live[i % SLOTS] = malloc(16 + (x >> 24));
		*(volatile char *)live[i % SLOTS] = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns=%lld\n", (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
