/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * session.h - one run of memtrace, whatever the mode: the outputs opened
 * before anything starts, the BPF side opened, seeded and attached (the
 * command started), one loop that polls the kernel and brings the report up
 * to date, the final state read, the outputs written. A mode adds what it
 * shows while tracing through struct mt_mode_ops: the live line, top's
 * table, the /metrics endpoint.
 */
#ifndef MEMTRACE_SESSION_H
#define MEMTRACE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "report.h"

struct mt_session;

/* What a mode does during the run; every member may be NULL. */
struct mt_mode_ops {
	/* Tracing has started; *ctx is the mode's state. 0, or -1 after one line. */
	int (*start)(struct mt_session *s, void **ctx);
	/* Every -i interval, the report just brought up to date. false: stop the run. */
	bool (*tick)(struct mt_session *s, void *ctx, uint64_t now_ns);
	/*
	 * An fd to wait on with the ring buffer (-1: none), and the mode's turn,
	 * after every wait (not only when the fd is readable). false: stop the run.
	 */
	int (*fd)(void *ctx);
	bool (*on_fd)(struct mt_session *s, void *ctx);
	/* The run is ending (before the final state is read); free the state. */
	void (*stop)(void *ctx);
};

/*
 * The whole run of `opts` with `ops`: returns memtrace's exit status (the
 * command's, 128+N after signal N, 1 on a failure after one stderr line).
 */
int session_run(const struct mt_options *opts, const struct mt_mode_ops *ops);

/* For the modes, during the run. */
const struct mt_options *session_options(const struct mt_session *s);
struct mt_report *session_report(struct mt_session *s);

/*
 * Bring the report up to date from the kernel: the records waiting in the
 * ring buffer, every process's and cgroup's entry, the drop counters, the
 * faults of the running processes, the BPF programs' statistics. What the
 * live line, top and each scrape show, and the final report too.
 */
int session_refresh(struct mt_session *s);

/* Live views: the entries' interval peaks start afresh (report->window moves on). */
void session_next_window(struct mt_session *s);

#endif /* MEMTRACE_SESSION_H */
