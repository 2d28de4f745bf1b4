// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sites - memory grown by functions known by name, for the stack tests.
 * Built twice: with frame pointers (sites-fp) and with the default flags
 * (sites: no frame pointers, like Debian's packages), both on Debian's libc.
 *
 *   sites split [BIG_MIB SMALL_MIB]   grow_big_buffer() 200 MiB in one malloc,
 *                                     grow_small_pieces() 20 MiB of 1 KiB mallocs
 *   sites phases [A_MIB B_MIB]        phase_a_churn() grows 300 MiB 10 MiB at a
 *                                     time, freeing each; then phase_b_hold()
 *                                     holds 200 MiB: the peak
 *   sites child [MIB]                 a child grows MIB in child_grows() and
 *                                     exits; the parent lives on a while
 *
 * Memory is written with a non-zero byte (malloc+memset(0) could become
 * calloc), a different one per function (identical functions get merged).
 */
#include <malloc.h>
#include <sys/wait.h>

#include "workload.h"

static void *volatile keep; /* the optimizer must not drop what is grown */

/* The writes before this happen, even to memory freed right after. */
#define MEMORY_BARRIER(p) __asm__ volatile("" : : "r"(p) : "memory")

__attribute__((noinline)) static void grow_big_buffer(size_t bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(99);
	memset(p, 1, bytes);
	keep = p;
}

/* always inlined: its frame exists only in the DWARF of grow_small_pieces */
static inline __attribute__((always_inline)) void *new_piece(size_t bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(99);
	memset(p, 2, bytes);
	return p;
}

__attribute__((noinline)) static void grow_small_pieces(size_t bytes)
{
	void **pieces = malloc((bytes / 1024) * sizeof(*pieces));
	size_t i;

	if (!pieces)
		exit(99);
	for (i = 0; i < bytes / 1024; i++)
		pieces[i] = new_piece(1024 - 16); /* 1 KiB with malloc's header */
	keep = pieces;
}

__attribute__((noinline)) static void phase_a_churn(size_t bytes)
{
	size_t done;
	char *p;

	for (done = 0; done < bytes; done += 10 * MIB) {
		p = malloc(10 * MIB);
		if (!p)
			exit(99);
		memset(p, 3, 10 * MIB);
		MEMORY_BARRIER(p);
		free(p);
	}
}

__attribute__((noinline)) static void phase_b_hold(size_t bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(99);
	memset(p, 4, bytes);
	keep = p;
}

__attribute__((noinline)) static void child_grows(size_t bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(99);
	memset(p, 5, bytes);
	keep = p;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "split";
	pid_t child;

	if (!strcmp(mode, "split")) {
		grow_big_buffer(arg_long(argc, argv, 2, 200) * MIB);
		grow_small_pieces(arg_long(argc, argv, 3, 20) * MIB);
	} else if (!strcmp(mode, "phases")) {
		/* every 10 MiB chunk its own mapping, really unmapped by free() */
		mallopt(M_MMAP_THRESHOLD, 1 << 20);
		phase_a_churn(arg_long(argc, argv, 2, 300) * MIB);
		phase_b_hold(arg_long(argc, argv, 3, 200) * MIB);
	} else if (!strcmp(mode, "child")) {
		child = fork();
		if (child == 0) {
			child_grows(arg_long(argc, argv, 2, 64) * MIB);
			_exit(0);
		}
		waitpid(child, NULL, 0);
		/* the child is long gone when its samples are read; the parent, whose
		 * maps stand for it, lives on a while (1 s: memtrace may lag under load) */
		usleep(1000 * 1000);
	} else {
		fprintf(stderr, "sites: unknown mode %s\n", mode);
		return 2;
	}
	printf("vmhwm_bytes=%llu\n", (unsigned long long)status_bytes("VmHWM"));
	return 0;
}
