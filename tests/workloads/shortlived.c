// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shortlived - fork a child that lives LIVE_MS, touching MIB MiB, and exits;
 * then exec-free exit of the parent. The child prints its own VmHWM
 * (child_vmhwm_bytes) and pid (child_pid) before exiting; the parent the
 * kernel's final high-water mark of the child (child_maxrss_bytes).
 * usage: shortlived MIB LIVE_MS
 */

#include "workload.h"

int main(int argc, char **argv)
{
	long mib = arg_long(argc, argv, 1, 64), live = arg_long(argc, argv, 2, 20);
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		touch_new(mib * MIB);
		sleep_ms(live);
		printf("child_pid=%d\nchild_vmhwm_bytes=%llu\n", getpid(),
		       (unsigned long long)status_bytes("VmHWM"));
		fflush(stdout);
		_exit(0);
	}
	printf("child_maxrss_bytes=%llu\n", (unsigned long long)wait_child_maxrss(pid));
	return 0;
}
