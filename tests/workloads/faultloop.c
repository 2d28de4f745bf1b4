// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * faultloop - the worst case for memtrace: nothing but page faults. ROUNDS
 * times, touch every page of a MIB MiB mapping, then drop them all
 * (MADV_DONTNEED), so each round faults every page in again. Reusing the
 * same small footprint keeps the hypervisor's first-touch cost (and its
 * noise) out of the measurement. Prints its own elapsed time (elapsed_ns),
 * so a benchmark measures the workload, not the tracer's start-up.
 * With "fresh", each round maps new memory and unmaps it instead: every
 * fault is a first touch (~2 us here, most of it the hypervisor's).
 * usage: faultloop MIB ROUNDS [fresh]
 */
#include "workload.h"

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 512), rounds = arg_long(argc, argv, 2, 4);
	struct timespec a, b;

	int fresh = argc > 3 && !strcmp(argv[3], "fresh");
	char *p = fresh ? NULL : touch_new(mib * MIB);

	if (!fresh)
		madvise(p, mib * MIB, MADV_DONTNEED);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; fresh && i < rounds; i++)
		munmap(touch_new(mib * MIB), mib * MIB);
	for (long i = 0; !fresh && i < rounds; i++) {
		for (size_t off = 0; off < mib * MIB; off += 4096)
			p[off] = 1;
		madvise(p, mib * MIB, MADV_DONTNEED);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns=%lld\n", (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
