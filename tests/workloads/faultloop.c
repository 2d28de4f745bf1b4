// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * faultloop - the worst case for memtrace: nothing but page faults. ROUNDS
 * times, touch every page of a MIB MiB mapping, then drop them all
 * (MADV_DONTNEED), so each round faults every page in again. Reusing the
 * same small footprint keeps the hypervisor's first-touch cost (and its
 * noise) out of the measurement. Prints its own elapsed time (elapsed_ns),
 * so a benchmark measures the workload, not the tracer's start-up.
 * With "fresh", each round maps new memory and unmaps it instead: every
 * fault is a first touch (~2 us here, most of it the hypervisor's). With
 * "huge", the same in transparent huge pages (MADV_HUGEPAGE on a 2 MiB-
 * aligned region): one fault maps 2 MiB.
 * usage: faultloop MIB ROUNDS [fresh|huge]
 */
#include "workload.h"

#define HUGE_PAGE (2 * MIB)

/* MIB of fresh memory in huge pages, every 4 KiB touched (2 MiB per fault). */
static void touch_huge(size_t bytes)
{
	char *map = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));

	if (map == MAP_FAILED)
		exit(99);
	madvise(p, bytes, MADV_HUGEPAGE);
	for (size_t off = 0; off < bytes; off += 4096)
		p[off] = 1;
	munmap(map, bytes + HUGE_PAGE);
}

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 512), rounds = arg_long(argc, argv, 2, 4);
	struct timespec a, b;

	int fresh = argc > 3 && !strcmp(argv[3], "fresh");
	int huge = argc > 3 && !strcmp(argv[3], "huge");
	char *p = fresh || huge ? NULL : touch_new(mib * MIB);

	if (p)
		madvise(p, mib * MIB, MADV_DONTNEED);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; fresh && i < rounds; i++)
		munmap(touch_new(mib * MIB), mib * MIB);
	for (long i = 0; huge && i < rounds; i++)
		touch_huge(mib * MIB);
	for (long i = 0; p && i < rounds; i++) {
		for (size_t off = 0; off < mib * MIB; off += 4096)
			p[off] = 1;
		madvise(p, mib * MIB, MADV_DONTNEED);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns=%lld\n", (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
