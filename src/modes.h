/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * modes.h - what each mode shows while it traces (struct mt_mode_ops, run
 * by session.c): main.c picks one per mode.
 */
#ifndef MEMTRACE_MODES_H
#define MEMTRACE_MODES_H

#include "session.h"

/* -- CMD, -p, -a, audit, serve: the live line, and /metrics with an address (trace.c) */
extern const struct mt_mode_ops mt_trace_ops;
/* memtrace top: the live table, its keys and its terminal (top.c) */
extern const struct mt_mode_ops mt_top_ops;

#endif /* MEMTRACE_MODES_H */
