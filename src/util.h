/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * util.h - small helpers used across memtrace: checked number parsing, the
 * clock, byte formatting, error messages.
 */
#ifndef MEMTRACE_UTIL_H
#define MEMTRACE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define MT_NS_PER_SEC 1000000000ull

/* `memtrace: <message>` on stderr. */
void mt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Parse a whole string as a number; 0 on success, -EINVAL otherwise.
 * mt_parse_u64 accepts an optional K/M/G/T suffix (powers of 1024) when
 * `allow_suffix`; mt_parse_seconds accepts decimals ("0.5").
 */
int mt_parse_u64(const char *s, bool allow_suffix, uint64_t *out);
int mt_parse_seconds(const char *s, double *out);
/*
 * "HOST:PORT" with a numeric IPv4 or [IPv6] host (or localhost) into a
 * socket address; 0 or -EINVAL.
 */
struct sockaddr_storage;
int mt_parse_listen(const char *listen, struct sockaddr_storage *addr);
/* A pid list "12,34": strictly positive numbers; *pids is malloc'd. */
int mt_parse_pid_list(const char *s, int **pids, int *nr);

/*
 * Who ran memtrace through sudo: SUDO_UID/SUDO_GID when running as root
 * with them set. Returns false otherwise (or when they are malformed).
 */
bool mt_sudo_caller(unsigned int *uid, unsigned int *gid);

/*
 * A tsearch tree of malloc'd structs whose first field is a uint32_t pid:
 * the one for pid (a zeroed one of `size` bytes is added if `create`), or
 * NULL. Removing unlinks it; the caller frees it.
 */
void *mt_pid_table_get(void **root, uint32_t pid, size_t size, bool create);
void mt_pid_table_remove(void **root, uint32_t pid);

/*
 * Room for at least `need` elements of `elem_size` bytes in *items, whose
 * capacity is *cap elements: grows geometrically (x1.5, at least 16), the
 * size checked for overflow. 0, or -ENOMEM with *items untouched.
 */
int mt_ensure_mem(void **items, size_t *cap, size_t elem_size, size_t need);

/* Append one element (copied from `elem`) to an array of *nr: mt_ensure_mem, then copy. */
int mt_append(void **items, size_t *nr, size_t *cap, size_t elem_size, const void *elem);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). */
uint64_t mt_now_ns(void);

/* "1.5 MiB": writes at most `size` bytes into buf and returns buf. */
char *mt_format_bytes(uint64_t bytes, char *buf, size_t size);

#endif /* MEMTRACE_UTIL_H */
