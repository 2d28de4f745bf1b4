// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spawn.c - start CMD under the trace (see spawn.h). The child blocks on a
 * pipe until memtrace has put its pid in the traced set and attached; a
 * close-on-exec pipe carries back the errno of a failed exec, the way
 * posix_spawn reports it, so "command not found" is told apart from CMD's
 * own exit status 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

struct identity {
	bool change;
	uid_t uid;
	gid_t gid;
	char *name; /* for the supplementary groups; may be NULL */
};

struct exec_failure {
	int stage; /* 1: switching user, 2: exec */
	int err;
};

static int resolve_identity(const char *user, struct identity *id)
{
	struct passwd *pw;

	memset(id, 0, sizeof(*id));
	if (user) {
		uint64_t uid;

		pw = getpwnam(user);
		/* a number names a uid, as for sudo -u '#UID': its group is its own without an entry */
		if (!pw && !mt_parse_u64(user, false, &uid) && uid < 0xffffffff) {
			pw = getpwuid(uid);
			id->uid = id->gid = uid;
		} else if (!pw) {
			mt_err("unknown user '%s'", user);
			return -ENOENT;
		}
		if (pw) {
			id->uid = pw->pw_uid;
			id->gid = pw->pw_gid;
			id->name = strdup(pw->pw_name);
		}
		id->change = true;
		return 0;
	}
	if (!mt_sudo_caller(&id->uid, &id->gid)) {
		if (geteuid() == 0 && getenv("SUDO_UID")) {
			mt_err("invalid SUDO_UID/SUDO_GID in the environment");
			return -EINVAL;
		}
		return 0;
	}
	pw = getpwuid(id->uid);
	id->name = pw ? strdup(pw->pw_name) : NULL;
	id->change = true;
	return 0;
}

static int drop_privileges(const struct identity *id)
{
	if (!id->change)
		return 0;
	if (id->name ? initgroups(id->name, id->gid) : setgroups(0, NULL))
		return -errno;
	if (setgid(id->gid) || setuid(id->uid))
		return -errno;
	return 0;
}

static void report_failure(int fd, int stage, int err)
{
	struct exec_failure f = { stage, err };
	ssize_t n;

	n = write(fd, &f, sizeof(f));
	(void)n;
}

/* In the child: wait for the go, become the user, exec. Never returns. */
static void run_child(int go_fd, int err_fd, char **argv, const struct identity *id)
{
	char go;
	int err;

	if (read(go_fd, &go, 1) != 1)
		_exit(127); /* memtrace gave up before tracing started */
	close(go_fd);
	/* memtrace ignores SIGPIPE; CMD must not inherit that */
	signal(SIGPIPE, SIG_DFL);
	err = drop_privileges(id);
	if (err) {
		report_failure(err_fd, 1, -err);
		_exit(126);
	}
	execvp(argv[0], argv);
	err = errno;
	report_failure(err_fd, 2, err);
	_exit(err == ENOENT ? 127 : 126);
}

int spawn_prepare(struct mt_child *c, char **argv, const char *user)
{
	int go[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct identity id;
	int err;

	memset(c, 0, sizeof(*c));
	c->go_fd = c->err_fd = -1;
	err = resolve_identity(user, &id);
	if (err)
		return err;
	if (pipe2(go, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		err = -errno;
		mt_err("cannot create a pipe: %s", strerror(errno));
		goto cleanup;
	}
	c->pid = fork();
	if (c->pid < 0) {
		err = -errno;
		mt_err("cannot fork: %s", strerror(errno));
		goto cleanup;
	}
	if (c->pid == 0) {
		close(go[1]);
		close(errp[0]);
		run_child(go[0], errp[1], argv, &id);
	}
	c->go_fd = go[1];
	c->err_fd = errp[0];
	go[1] = errp[0] = -1;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	free(id.name);
	return err;
}

int spawn_release(struct mt_child *c, const char *cmd)
{
	struct exec_failure f;
	ssize_t n;
	int status;

	n = write(c->go_fd, "g", 1);
	close(c->go_fd);
	c->go_fd = -1;
	if (n != 1) {
		mt_err("cannot start '%s': %s", cmd, strerror(errno));
		spawn_cancel(c);
		return 126;
	}
	do
		n = read(c->err_fd, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	close(c->err_fd);
	c->err_fd = -1;
	if (n == 0)
		return 0; /* exec succeeded: the pipe closed on exec */

	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	if (n != sizeof(f)) {
		mt_err("cannot start '%s'", cmd);
		return 126;
	}
	if (f.stage == 1) {
		mt_err("cannot switch to the invoking user to run '%s': %s", cmd, strerror(f.err));
		return 126;
	}
	mt_err("cannot run '%s': %s", cmd, strerror(f.err));
	return f.err == ENOENT ? 127 : 126;
}

void spawn_cancel(struct mt_child *c)
{
	if (c->go_fd >= 0)
		close(c->go_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->go_fd = c->err_fd = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	c->pid = 0;
}
