// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * maxrss - run a command as a child, wait for it, and print the kernel's
 * final high-water mark of its RSS (child_maxrss_bytes, from wait4) and its
 * pid (child_pid): the ground truth for a command whose own VmHWM reading
 * would lack its unfolded counts (kernels before 6.2, see workload.h).
 * usage: maxrss CMD [ARGS...]; exits with CMD's status
 */
#include "workload.h"

int main(int argc, char **argv)
{
	int status;
	struct rusage ru;
	pid_t pid;

	if (argc < 2)
		return 99;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 99;
	printf("child_pid=%d\nchild_maxrss_bytes=%llu\n", pid,
	       (unsigned long long)ru.ru_maxrss * 1024);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
