// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trace.c - what the tracing modes (-- CMD, -p, -a, audit, serve) show
 * while they run: a live line on stderr every -i interval, and /metrics
 * where an address is given (serve's --listen, -a's --prometheus), each
 * scrape reading the kernel afresh through the session.
 */
#include <stdio.h>
#include <stdlib.h>

#include "modes.h"
#include "prometheus.h"
#include "util.h"

struct trace_view {
	struct mt_session *session;
	struct mt_server *server; /* NULL: no /metrics */
	uint64_t last_ns, last_faults;
};

/* One scrape: the report brought up to date and written, then the next interval starts. */
static char *scrape(void *ctx, bool openmetrics, size_t *len)
{
	struct trace_view *v = ctx;
	const struct mt_options *opts = session_options(v->session);
	char *body = NULL;
	FILE *f;
	int err;

	if (session_refresh(v->session))
		return NULL;
	f = open_memstream(&body, len);
	if (!f)
		return NULL;
	err = prometheus_write(f, session_report(v->session), opts->top_processes, openmetrics);
	if (fclose(f) || err) {
		free(body);
		return NULL;
	}
	session_next_window(v->session);
	return body;
}

static int trace_start(struct mt_session *s, void **ctx)
{
	const struct mt_options *opts = session_options(s);
	const char *listen = opts->mode == MT_MODE_SERVE ? opts->listen : opts->prometheus;
	struct trace_view *v = calloc(1, sizeof(*v));

	if (!v) {
		mt_err("out of memory");
		return -1;
	}
	v->session = s;
	v->last_ns = session_report(s)->start_ns;
	if (listen) {
		v->server = server_start(listen, scrape, v);
		if (!v->server) {
			free(v);
			return -1;
		}
		if (!opts->quiet || opts->mode == MT_MODE_SERVE)
			fprintf(stderr, "memtrace: serving http://%s/metrics\n", listen);
	}
	*ctx = v;
	return 0;
}

/* The live line: RSS now and its peak, the fault rate, what was lost. */
static bool trace_tick(struct mt_session *s, void *ctx, uint64_t now)
{
	const struct mt_options *opts = session_options(s);
	const struct mt_report *r = session_report(s);
	struct trace_view *v = ctx;
	double dt = (now - v->last_ns) / 1e9;
	char rss[32], peak[32];
	uint64_t faults = 0;

	for (size_t i = 0; i < r->nr_procs; i++)
		faults += r->procs[i]->k.faults;
	if (opts->interval && !opts->quiet)
		fprintf(stderr, "memtrace: %7.1f s  rss %10s  peak %10s  faults/s %9.0f  lost %llu\n",
			report_seconds(r, now), mt_format_bytes(r->group.rss.rss, rss, sizeof(rss)),
			mt_format_bytes(r->group.rss.peak, peak, sizeof(peak)),
			dt > 0 ? (faults - v->last_faults) / dt : 0.0,
			(unsigned long long)report_lost_events(r));
	v->last_ns = now;
	v->last_faults = faults;
	return true;
}

static int trace_fd(void *ctx)
{
	struct trace_view *v = ctx;

	return v->server ? server_fd(v->server) : -1;
}

static bool trace_on_fd(struct mt_session *s, void *ctx)
{
	struct trace_view *v = ctx;

	(void)s;
	server_run(v->server);
	return true;
}

static void trace_stop(void *ctx)
{
	struct trace_view *v = ctx;

	server_stop(v->server);
	free(v);
}

const struct mt_mode_ops mt_trace_ops = {
	.start = trace_start,
	.tick = trace_tick,
	.fd = trace_fd,
	.on_fd = trace_on_fd,
	.stop = trace_stop,
};
