// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * paths - memory grown by four paths in four functions, all kept until
 * exit, for the growth-sampler tests. Built without frame pointers (the
 * default flags), like Debian's packages.
 *
 *   grow_huge()      THP_MIB in transparent huge pages (MADV_HUGEPAGE on a
 *                    2 MiB-aligned region): one fault maps 2 MiB
 *   grow_by_read()   MIB read() from FILE into fresh memory: the kernel takes
 *                    the faults, inside the syscall
 *   grow_populated() MIB mapped with MAP_POPULATE: no fault at all
 *   grow_touched()   MIB touched page by page
 *
 * usage: paths FILE [THP_MIB [MIB]]   (FILE is created, MIB long, and removed)
 * Prints each function's bytes (huge_bytes, read_bytes, populated_bytes,
 * touched_bytes), the kernel's AnonHugePages and VmHWM.
 */
#include <fcntl.h>

#include "workload.h"

#define HUGE_PAGE (2 * MIB)

static void *volatile keep[4]; /* the optimizer must not drop what is grown */

__attribute__((noinline)) static void grow_huge(size_t bytes)
{
	char *p = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		exit(99);
	p = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	madvise(p, bytes, MADV_HUGEPAGE);
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 3;
	keep[0] = p;
}

__attribute__((noinline)) static void grow_by_read(const char *file, size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open(file, O_RDONLY);
	size_t done = 0;
	ssize_t n;

	if (p == MAP_FAILED || fd < 0)
		exit(99);
	while (done < bytes && (n = read(fd, p + done, bytes - done)) > 0)
		done += n;
	close(fd);
	if (done != bytes)
		exit(99);
	keep[1] = p;
}

__attribute__((noinline)) static void grow_populated(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		exit(99);
	keep[2] = p;
}

__attribute__((noinline)) static void grow_touched(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(99);
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 4;
	keep[3] = p;
}

/* The file read() reads from, written with a small buffer (no growth of ours). */
static void make_file(const char *file, size_t bytes)
{
	static char block[64 * 1024];
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	memset(block, 5, sizeof(block));
	for (size_t done = 0; fd >= 0 && done < bytes; done += sizeof(block)) {
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			exit(99);
	}
	if (fd < 0 || close(fd))
		exit(99);
}

int main(int argc, char **argv)
{
	long huge = arg_long(argc, argv, 2, 192), mib = arg_long(argc, argv, 3, 64);

	if (argc < 2)
		return 99;
	make_file(argv[1], mib * MIB);
	grow_huge(huge * MIB);
	grow_by_read(argv[1], mib * MIB);
	grow_populated(mib * MIB);
	grow_touched(mib * MIB);
	unlink(argv[1]);
	printf("huge_bytes=%llu\nread_bytes=%llu\npopulated_bytes=%llu\ntouched_bytes=%llu\n",
	       huge * MIB, mib * MIB, mib * MIB, mib * MIB);
	printf("anon_huge_bytes=%llu\n",
	       (unsigned long long)proc_self_bytes("smaps_rollup", "AnonHugePages"));
	printf("vmhwm_bytes=%llu\n", (unsigned long long)status_bytes("VmHWM"));
	return 0;
}
