// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * procfs.c - read and parse /proc/PID/status, /proc/PID/stat and
 * /proc/PID/cmdline (see procfs.h). The text is untrusted: a process chooses
 * its own name, which may hold spaces, parentheses or newlines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "util.h"

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* Read a whole small /proc file into a NUL-terminated malloc'd buffer. */
static int read_proc_file(int pid, const char *name, char **text, size_t *len)
{
	char path[64], *buf = NULL;
	size_t size = 0, used = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (used + 1 >= size) {
			if (size >= (1 << 24)) {
				err = -EFBIG;
				goto cleanup;
			}
			if (mt_ensure_mem((void **)&buf, &size, 1, used + 4096)) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		n = read(fd, buf + used, size - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ESRCH: the process went away between open and read */
			err = errno == ESRCH ? -ENOENT : -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		used += n;
	}
	buf[used] = '\0';
	*text = buf;
	if (len)
		*len = used;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return err;
}

/* "  1234 kB" → bytes */
static uint64_t parse_kb(const char *value)
{
	return strtoull(value, NULL, 10) * 1024;
}

int procfs_parse_status(const char *text, struct mt_proc_status *st)
{
	const char *line = text, *colon, *value, *eol;
	size_t key_len;

	memset(st, 0, sizeof(*st));
	st->tgid = -1;
	while (line && *line) {
		eol = strchr(line, '\n');
		colon = strchr(line, ':');
		if (!colon || (eol && colon > eol))
			goto next;
		key_len = colon - line;
		value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
#define KEY(k) (key_len == sizeof(k) - 1 && memcmp(line, k, key_len) == 0)
		if (KEY("Name")) {
			size_t n = eol ? (size_t)(eol - value) : strlen(value);

			if (n >= sizeof(st->name))
				n = sizeof(st->name) - 1;
			memcpy(st->name, value, n);
			st->name[n] = '\0';
		} else if (KEY("Tgid")) {
			st->tgid = atoi(value);
		} else if (KEY("PPid")) {
			st->ppid = atoi(value);
		} else if (KEY("RssAnon")) {
			st->rss_anon = parse_kb(value);
			st->has_mm = true;
		} else if (KEY("RssFile")) {
			st->rss_file = parse_kb(value);
		} else if (KEY("RssShmem")) {
			st->rss_shmem = parse_kb(value);
		} else if (KEY("VmSwap")) {
			st->vm_swap = parse_kb(value);
		} else if (KEY("VmSize")) {
			st->vm_size = parse_kb(value);
		} else if (KEY("VmPeak")) {
			st->vm_peak = parse_kb(value);
		} else if (KEY("VmHWM")) {
			st->vm_hwm = parse_kb(value);
		} else if (KEY("CapEff")) {
			st->cap_eff = strtoull(value, NULL, 16);
		}
#undef KEY
next:
		line = eol ? eol + 1 : NULL;
	}
	return st->tgid > 0 ? 0 : -EINVAL;
}

int procfs_parse_stat(const char *text, struct mt_proc_stat *st)
{
	const char *p = strrchr(text, ')'); /* comm may itself hold ')' */
	unsigned long long v;
	int field;

	memset(st, 0, sizeof(*st));
	if (!p)
		return -EINVAL;
	p++;
	/* fields after comm start at 3 (state); flags 9, minflt 10, majflt 12, starttime 22 */
	for (field = 3; field <= 22; field++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 3) {
			p++;
			continue;
		}
		v = strtoull(p, &end, 10);
		if (end == p && *p != '-')
			return -EINVAL;
		if (*p == '-') /* negative fields (priority, nice) */
			strtoll(p, &end, 10);
		if (field == 9)
			st->flags = (unsigned int)v;
		else if (field == 10 || field == 12)
			st->faults += v;
		else if (field == 22)
			st->starttime = v;
		p = end;
	}
	return 0;
}

int procfs_read_status(int pid, struct mt_proc_status *st)
{
	char *text;
	int err;

	err = read_proc_file(pid, "status", &text, NULL);
	if (err)
		return err;
	err = procfs_parse_status(text, st);
	free(text);
	return err;
}

int procfs_read_stat(int pid, struct mt_proc_stat *st)
{
	char *text;
	int err;

	err = read_proc_file(pid, "stat", &text, NULL);
	if (err)
		return err;
	err = procfs_parse_stat(text, st);
	free(text);
	return err;
}

bool procfs_is_kernel_thread(const struct mt_proc_stat *st)
{
	return st->flags & PF_KTHREAD;
}

char *procfs_join_args(const char *args, size_t len)
{
	char *line;
	size_t i;

	/* drop trailing NULs, then every inner NUL separates two arguments */
	while (len && args[len - 1] == '\0')
		len--;
	line = malloc(len + 1);
	if (!line)
		return NULL;
	for (i = 0; i < len; i++)
		line[i] = args[i] ? args[i] : ' ';
	line[len] = '\0';
	return line;
}

char *procfs_read_cmdline(int pid)
{
	char *text, *line;
	size_t len;

	if (read_proc_file(pid, "cmdline", &text, &len))
		return NULL;
	line = len ? procfs_join_args(text, len) : NULL;
	free(text);
	return line;
}

int procfs_parse_perf_map_line(const char *line, uint64_t *start, uint64_t *size, size_t *name_at)
{
	unsigned long long s, n;
	int at = 0;

	if (sscanf(line, "%llx %llx %n", &s, &n, &at) != 2 || !at || !line[at] || line[at] == '\n')
		return -EINVAL;
	*start = s;
	*size = n;
	*name_at = at;
	return 0;
}
