// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * forkloop - process churn: N times, fork a child that touches MIB MiB and
 * exits, and wait for it. Prints its own elapsed time (elapsed_ns).
 * usage: forkloop N [MIB]
 */
#include <sys/wait.h>

#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 2000), mib = arg_long(argc, argv, 2, 1);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			touch_new(mib * MIB);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_ns=%lld\n", (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec));
	return 0;
}
