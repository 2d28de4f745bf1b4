/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile.h - one output file, checked before tracing starts and written
 * whole or not at all.
 *
 * What a path names decides how it is written:
 * - "-" is stdout, used as it is;
 * - a FIFO, a device, a socket, or anything reached through /proc (as
 *   /dev/stdout and /dev/fd/N are: a shell's `>(cmd)` and redirections) is
 *   opened and written in place, appending;
 * - a regular file, or a new name, gets an unnamed temporary file in the
 *   same directory (O_TMPFILE, so even kill -9 leaves nothing behind), given
 *   its name at commit by one rename. An existing file keeps its owner and
 *   mode; a new file is created as the user who ran sudo would create it,
 *   and where they may not, the open fails.
 * A directory is refused at open.
 */
#ifndef MEMTRACE_OUTFILE_H
#define MEMTRACE_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct mt_outfile {
	FILE *f;
	bool in_place;	/* stdout, a pipe, a device...: nothing to rename */
	int dir_fd;	/* the directory the name is given in; -1 when in place */
	char *name;	/* the name within dir_fd */
	char *tmp_name; /* a temporary's name in dir_fd, while it has one */
	/* what the path names: an existing object, or `name` in a directory */
	dev_t dev;
	ino_t ino;
	bool exists;
};

/* 0, or -errno (-EISDIR for a directory, -EACCES where sudo's caller may not create it). */
int mt_outfile_open(struct mt_outfile *out, const char *path);
/* Do a and b name the same file (stdout included)? */
bool mt_outfile_same(const struct mt_outfile *a, const struct mt_outfile *b);
/* Is it the file memtrace's stdout is (also when named /dev/stdout)? */
bool mt_outfile_is_stdout(const struct mt_outfile *out);
/* Flush, check for write errors, give the file its name; 0 or -errno. */
int mt_outfile_commit(struct mt_outfile *out);
/* Drop what was written (a regular file is left as it was). */
void mt_outfile_abort(struct mt_outfile *out);

#endif /* MEMTRACE_OUTFILE_H */
