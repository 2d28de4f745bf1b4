/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - the one ring-buffer callback: every record from the kernel side
 * enters userspace here and goes to the report.
 */
#ifndef MEMTRACE_EVENTS_H
#define MEMTRACE_EVENTS_H

#include <stddef.h>

/* ctx is a struct mt_report. Returns 0, or -errno to stop polling. */
int events_handle(void *ctx, const void *data, size_t size);

#endif /* MEMTRACE_EVENTS_H */
