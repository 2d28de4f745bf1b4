// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * forkloop - process churn: N times, fork a child that touches MIB MiB and
 * exits, and wait for it. Prints its own elapsed time (elapsed_ns). With a
 * GATE (a fifo), starts only once a byte can be read from it.
 * usage: forkloop N [MIB [GATE]]
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "workload.h"

/* Wait for a byte on the fifo: whoever opens it for writing says when. */
static void wait_at_gate(const char *path)
{
	int fd = open(path, O_RDONLY);
	char c;

	if (fd < 0 || read(fd, &c, 1) != 1) {
		perror(path);
		exit(2);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 2000), mib = arg_long(argc, argv, 2, 1);
	struct timespec a, b;

	if (argc > 3)
		wait_at_gate(argv[3]);
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
