// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stepper - a process the tests drive step by step through its stdin, so
 * that memtrace can attach (-p) before it grows. One command per line:
 *   grow MIB     touch MIB more MiB of fresh memory
 *   free         unmap everything grown so far
 *   spawn MIB    fork a child that touches MIB MiB and exits; wait for it
 *                (child_pid, child_vmhwm_bytes, child_maxrss_bytes)
 *   status       print vmhwm_bytes and vmrss_bytes
 *   exit CODE    exit with CODE
 * It prints "ready" at start and "ok" after each command, flushed, so the
 * test knows when a step is done.
 */

#include "workload.h"

int main(void)
{
	char line[128];
	char *blocks[256];
	size_t sizes[256];
	int nr = 0;
	long n;

	printf("ready pid=%d\n", getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "grow %ld", &n) == 1 && nr < 256) {
			sizes[nr] = n * MIB;
			blocks[nr++] = touch_new(n * MIB);
		} else if (!strncmp(line, "free", 4)) {
			while (nr > 0) {
				nr--;
				munmap(blocks[nr], sizes[nr]);
			}
		} else if (sscanf(line, "spawn %ld", &n) == 1) {
			pid_t pid = fork();

			if (pid == 0) {
				touch_new(n * MIB);
				printf("child_pid=%d child_vmhwm_bytes=%llu\n", getpid(),
				       (unsigned long long)status_bytes("VmHWM"));
				fflush(stdout);
				_exit(0);
			}
			printf("child_maxrss_bytes=%llu\n", (unsigned long long)wait_child_maxrss(pid));
		} else if (!strncmp(line, "status", 6)) {
			printf("vmhwm_bytes=%llu\nvmrss_bytes=%llu\n",
			       (unsigned long long)status_bytes("VmHWM"),
			       (unsigned long long)status_bytes("VmRSS"));
		} else if (sscanf(line, "exit %ld", &n) == 1) {
			printf("ok\n");
			return (int)n;
		}
		printf("ok\n");
		fflush(stdout);
	}
	return 0;
}
