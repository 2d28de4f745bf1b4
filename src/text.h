/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * text.h - untrusted text made safe, in one place. Process names, command
 * lines, cgroup paths, container names, symbol names and JIT map lines are
 * chosen by the traced world; memtrace runs as root and prints them to a
 * terminal, into JSON, Prometheus labels and HTML. Every writer passes them
 * through here: invalid UTF-8 becomes "\xNN" text, and for a terminal (or a
 * line-based format) control characters too, so nothing can move a
 * terminal's cursor, set its title, or split a line.
 */
#ifndef MEMTRACE_TEXT_H
#define MEMTRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

enum mt_text_mode {
	MT_TEXT_UTF8,	  /* valid UTF-8; control characters kept (JSON escapes them) */
	MT_TEXT_TERMINAL, /* valid UTF-8 without control characters (C0, DEL, C1) */
};

/*
 * s made safe into buf (at most size bytes, NUL-terminated, cut at a
 * character if it does not fit); returns buf.
 */
const char *mt_text_safe(const char *s, enum mt_text_mode mode, char *buf, size_t size);

/* The same, malloc'd (NULL when out of memory). */
char *mt_text_safe_dup(const char *s, enum mt_text_mode mode);

/*
 * s made safe for a terminal and fitted to a column of exactly `width`
 * characters: padded with spaces, or cut with "…" where it does not fit, at
 * its end, or (keep_end, for paths, whose end says most) at its start.
 * buf needs 4 * width + 1 bytes; returns buf.
 */
const char *mt_text_cell(const char *s, int width, bool keep_end, char *buf, size_t size);

/* Is s valid UTF-8 without a byte to escape in that mode? */
bool mt_text_is_safe(const char *s, enum mt_text_mode mode);

#endif /* MEMTRACE_TEXT_H */
