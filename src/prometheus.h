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

#include "report.h"

/*
 * The report as session_refresh() left it, in the text exposition format
 * 0.0.4 or OpenMetrics 1.0: every cgroup holding traced memory or
 * processes, the `top` running processes with the largest peaks, the
 * health counters. 0 or -errno.
 */
int prometheus_write(FILE *f, const struct mt_report *r, size_t top, bool openmetrics);

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
