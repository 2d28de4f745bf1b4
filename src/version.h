/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * version.h - what memtrace is and what it runs on: the version (from
 * debian/changelog), the git commit it was built from, and for --version,
 * libbpf's version and the running kernel's BPF features, so that a bug
 * report carries what matters.
 */
#ifndef MEMTRACE_VERSION_H
#define MEMTRACE_VERSION_H

#include <stdio.h>

extern const char mt_version[];
extern const char mt_commit[];

/* memtrace --version: one line each. */
void version_print(FILE *f);

#endif /* MEMTRACE_VERSION_H */
