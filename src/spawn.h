/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * spawn.h - run CMD for `memtrace -- CMD`: fork a child that waits until the
 * trace is attached, then drops to the invoking user and execs. No
 * instruction of CMD runs untraced.
 */
#ifndef MEMTRACE_SPAWN_H
#define MEMTRACE_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

struct mt_child {
	pid_t pid;
	int go_fd;  /* parent writes one byte: exec now */
	int err_fd; /* child writes why exec failed; EOF means exec succeeded */
};

/*
 * Fork the child, waiting. `user` (may be NULL) names who runs CMD; without
 * it, the sudo caller (SUDO_UID/SUDO_GID) when memtrace runs as root under
 * sudo, else memtrace's own identity. 0 or -errno after one stderr line.
 */
int spawn_prepare(struct mt_child *c, char **argv, const char *user);

/*
 * Let the child exec. Returns 0 once CMD is running, or the shell-style exit
 * code (127 not found, 126 not executable or no permission) after reporting
 * on stderr why it could not start; the child is then reaped.
 */
int spawn_release(struct mt_child *c, const char *cmd);

/* Tracing could not start: kill and reap the waiting child. */
void spawn_cancel(struct mt_child *c);

#endif /* MEMTRACE_SPAWN_H */
