// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * faultloop - the worst case for memtrace: nothing but page faults. ROUNDS
 * times, touch every page of a MIB MiB mapping, then drop them all
 * (MADV_DONTNEED), so each round faults every page in again. Reusing the
 * same small footprint keeps the hypervisor's first-touch cost (and its
 * noise) out of the measurement. Prints its own elapsed time (elapsed_ns),
 * so a benchmark measures the workload, not the tracer's start-up.
 * usage: faultloop MIB ROUNDS
 */
#include "workload.h"

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 512), rounds = arg_long(argc, argv, 2, 4);
	struct timespec a, b;

	char *p = touch_new(mib * MIB);

	madvise(p, mib * MIB, MADV_DONTNEED);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < rounds; i++) {
		for (size_t off = 0; off < mib * MIB; off += 4096)
			p[off] = 1;
		madvise(p, mib * MIB, MADV_DONTNEED);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns=%lld\n", (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
