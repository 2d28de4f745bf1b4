// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * outfile.c - one output file (see outfile.h): in place for what is not a
 * regular file, otherwise an unnamed temporary renamed over the name at
 * commit, created with the file-system identity of sudo's caller when the
 * name is new.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

#define MAX_SYMLINKS 40 /* the kernel's limit on a path's symlinks */

/*
 * Does the path lead through one of /proc's links to an open file, following
 * its symlinks? /dev/stdout, /dev/fd/N and /proc/self/fd/N name an open file
 * of this process, which may be one the shell opened for appending: never
 * replace it. (/proc's own files, /proc/version, are not links.)
 */
static bool reached_through_proc(const char *path)
{
	char cur[PATH_MAX], dir[PATH_MAX], link[PATH_MAX];
	struct statfs fs;
	const char *slash;
	ssize_t n;

	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return false;
	for (int hop = 0; hop < MAX_SYMLINKS; hop++) {
		slash = strrchr(cur, '/');
		if (!slash)
			strcpy(dir, ".");
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - cur) + 1, cur);
		n = readlink(cur, link, sizeof(link) - 1);
		if (n < 0)
			return false; /* not a symlink: the end of the way */
		if (statfs(dir, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
			return true;
		link[n] = '\0';
		if (link[0] == '/')
			strcpy(cur, link);
		else if (snprintf(cur, sizeof(cur), "%s%s", slash ? dir : "", link) >= (int)sizeof(cur))
			return false;
	}
	return false;
}

static int open_stdout(struct mt_outfile *out)
{
	struct stat st;

	out->f = stdout;
	out->in_place = true;
	if (fstat(STDOUT_FILENO, &st) == 0) {
		out->dev = st.st_dev;
		out->ino = st.st_ino;
		out->exists = true;
	}
	return 0;
}

static int open_in_place(struct mt_outfile *out, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !(out->f = fdopen(fd, "a"))) {
		int err = -errno;

		close(fd);
		return err;
	}
	out->in_place = true;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->exists = true;
	return 0;
}

/*
 * sudo's caller, for the file system only (fsuid, fsgid, their groups), so
 * that a new file is created where and as they would create it.
 */
struct fs_identity {
	bool switched;
	gid_t *groups; /* root's, to restore */
	int nr_groups;
};

static int caller_groups(unsigned int uid, unsigned int gid, gid_t **groups)
{
	struct passwd *pw = getpwuid(uid);
	int n = 32;

	for (;;) {
		gid_t *more = realloc(*groups, n * sizeof(gid_t));

		if (!more)
			return -ENOMEM;
		*groups = more;
		if (!pw) {
			(*groups)[0] = gid;
			return 1;
		}
		if (getgrouplist(pw->pw_name, gid, *groups, &n) >= 0)
			return n;
	}
}

static int become_caller(struct fs_identity *id)
{
	unsigned int uid, gid;
	gid_t *groups = NULL;
	int n, err = 0;

	memset(id, 0, sizeof(*id));
	if (!mt_sudo_caller(&uid, &gid))
		return 0;
	id->nr_groups = getgroups(0, NULL);
	id->groups = calloc(id->nr_groups + 1, sizeof(gid_t));
	if (!id->groups)
		return -ENOMEM;
	n = caller_groups(uid, gid, &groups);
	if (n < 0 || getgroups(id->nr_groups, id->groups) < 0 || setgroups(n, groups))
		err = n < 0 ? n : -errno;
	free(groups);
	if (err) {
		free(id->groups);
		return err;
	}
	setfsgid(gid);
	setfsuid(uid);
	id->switched = true;
	return 0;
}

static void become_root_again(struct fs_identity *id)
{
	if (!id->switched)
		return;
	setfsuid(geteuid());
	setfsgid(getegid());
	if (setgroups(id->nr_groups, id->groups))
		mt_err("cannot restore the supplementary groups: %s", strerror(errno));
	free(id->groups);
}

/*
 * A fresh hidden name in the directory, short so that any valid name still
 * fits beside it: the file fd is linked there, or (fd < 0) a new file of
 * that mode is created there. Returns the new file's fd, or 0, or -errno.
 */
static int claim_fresh_name(struct mt_outfile *out, int fd, mode_t mode)
{
	char name[32], proc_path[64];
	unsigned int r;
	int made = -1;

	snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
	for (int tries = 0; tries < 100; tries++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -EIO;
		snprintf(name, sizeof(name), ".memtrace-%08x", r);
		/* linking an O_TMPFILE file through /proc needs no CAP_DAC_READ_SEARCH */
		made = fd >= 0 ? linkat(AT_FDCWD, proc_path, out->dir_fd, name, AT_SYMLINK_FOLLOW) :
				 openat(out->dir_fd, name,
					O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
		if (made >= 0 || errno != EEXIST)
			break;
	}
	if (made < 0)
		return -errno;
	out->tmp_name = strdup(name);
	if (!out->tmp_name) {
		unlinkat(out->dir_fd, name, 0);
		if (fd < 0)
			close(made);
		return -ENOMEM;
	}
	return fd >= 0 ? 0 : made;
}

static int create_temporary(struct mt_outfile *out, mode_t mode)
{
	int fd = openat(out->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);

	if (fd >= 0)
		return fd;
	/* a file system without O_TMPFILE: a hidden name until commit */
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
		return claim_fresh_name(out, -1, mode);
	return -errno;
}

/* The directory part of path ("." or "/" when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? strndup(path, slash - path + 1) : strdup(".");
}

static int open_replacement(struct mt_outfile *out, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct stat link_st, st;
	struct fs_identity id = { 0 };
	bool regular;
	char *dir;
	int fd, err;

	if (!*base)
		return -EISDIR;
	dir = dir_of(path);
	out->name = strdup(base);
	if (!dir || !out->name) {
		free(dir);
		return -ENOMEM;
	}
	/* an existing file is replaced as root and keeps its owner; a new one is the caller's */
	regular = lstat(path, &link_st) == 0 && S_ISREG(link_st.st_mode);
	err = regular ? 0 : become_caller(&id);
	if (!err) {
		out->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		fd = out->dir_fd < 0 ? -errno : create_temporary(out, regular ? 0600 : 0666);
		become_root_again(&id);
		err = fd < 0 ? fd : 0;
	}
	free(dir);
	if (err)
		return err;
	if (regular && (fchown(fd, link_st.st_uid, link_st.st_gid) ||
			fchmod(fd, link_st.st_mode & 07777))) {
		err = -errno;
		close(fd);
		return err;
	}
	/* what the path names now: the file it reaches, or the name in its directory */
	out->exists = stat(path, &st) == 0;
	if (!out->exists)
		fstat(out->dir_fd, &st);
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->f = fdopen(fd, "w");
	if (!out->f) {
		err = -errno;
		close(fd);
		return err;
	}
	return 0;
}

int mt_outfile_open(struct mt_outfile *out, const char *path)
{
	struct stat st;
	int err;

	memset(out, 0, sizeof(*out));
	out->dir_fd = -1;
	if (!strcmp(path, "-"))
		return open_stdout(out);
	if (!*path)
		return -ENOENT;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode) || reached_through_proc(path))
			return open_in_place(out, path);
	} else if (errno != ENOENT) {
		return -errno;
	}
	err = open_replacement(out, path);
	if (err)
		mt_outfile_abort(out);
	return err;
}

bool mt_outfile_same(const struct mt_outfile *a, const struct mt_outfile *b)
{
	if (a->f == stdout && b->f == stdout)
		return true;
	if (a->exists != b->exists || a->dev != b->dev || a->ino != b->ino)
		return false;
	return a->exists || !strcmp(a->name, b->name);
}

bool mt_outfile_is_stdout(const struct mt_outfile *out)
{
	struct mt_outfile std = { 0 };

	open_stdout(&std);
	return mt_outfile_same(out, &std);
}

static int flush_error(FILE *f)
{
	if (fflush(f) || ferror(f))
		return -(errno ? errno : EIO);
	return 0;
}

int mt_outfile_commit(struct mt_outfile *out)
{
	int err;

	if (!out->f)
		return 0;
	err = flush_error(out->f);
	if (!err && !out->in_place && !out->tmp_name)
		err = claim_fresh_name(out, fileno(out->f), 0);
	if (!err && !out->in_place && renameat(out->dir_fd, out->tmp_name, out->dir_fd, out->name))
		err = -errno;
	if (!err) {
		free(out->tmp_name); /* renamed: nothing to remove */
		out->tmp_name = NULL;
	}
	mt_outfile_abort(out);
	return err;
}

void mt_outfile_abort(struct mt_outfile *out)
{
	if (out->f && out->f != stdout)
		fclose(out->f);
	if (out->tmp_name)
		unlinkat(out->dir_fd, out->tmp_name, 0);
	if (out->dir_fd >= 0)
		close(out->dir_fd);
	free(out->tmp_name);
	free(out->name);
	memset(out, 0, sizeof(*out));
	out->dir_fd = -1;
}
