/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prometheus.h - `memtrace serve`: the metrics of a running trace (writer:
 * output_prometheus.c) served over HTTP with libmicrohttpd (serve.c).
 */
#ifndef MEMTRACE_PROMETHEUS_H
#define MEMTRACE_PROMETHEUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cgroup.h"
#include "loader.h"
#include "report.h"


/* Everything one scrape shows, read fresh by the caller. */
struct mt_metrics {
	const struct mt_report *report; /* processes brought up to date, drops, OOM kills */
	const struct mt_cgroup_snapshot *cgroup_groups;
	size_t nr_cgroups;
	struct mt_cgroups *cgroups; /* names and memcg figures; may be NULL */
	uint32_t window;	    /* the interval whose peaks are "since the previous scrape" */
	size_t top;		    /* per-process series for this many processes */
	const struct mt_program_stats *programs; /* BPF programs' run counts and times */
	size_t nr_programs;
};

/* The text exposition format 0.0.4, or OpenMetrics 1.0; 0 or -errno. */
int prometheus_write(FILE *f, const struct mt_metrics *m, bool openmetrics);

/*
 * The HTTP side. The scrape callback fills a malloc'd body for /metrics
 * (NULL on failure); the server runs in the caller's event loop: wait on
 * server_fd() with the rest, then call server_run().
 */
typedef char *(*mt_scrape_fn)(void *ctx, bool openmetrics, size_t *len);

struct mt_server;

/* Listen on "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"); NULL after one stderr line. */
struct mt_server *server_start(const char *listen, mt_scrape_fn scrape, void *ctx);
int server_fd(struct mt_server *s);
void server_run(struct mt_server *s);
void server_stop(struct mt_server *s);

#endif /* MEMTRACE_PROMETHEUS_H */
