/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fleet.h - the fleet-wide audit (`memtrace audit --prometheus URL`): the
 * same table as a local audit (audit.h), computed by Prometheus, through its
 * HTTP API (/api/v1/query, libcurl), from the series every node's `memtrace
 * serve` exported (output_prometheus.c), over a window. Per entry: the
 * largest interval peak of any of its containers, the quantiles over time of
 * the per-step largest across them, the largest limit, the OOM kills' increase,
 * and the distinct nodes (`instance`) and containers (`id`) seen.
 */
#ifndef MEMTRACE_FLEET_H
#define MEMTRACE_FLEET_H

#include "audit.h"

struct mt_options;

/*
 * Seconds in a Prometheus duration ("7d", "1h30m": units s m h d w y), or
 * -1 if it is not one.
 */
double fleet_parse_window(const char *window);

/* Is url an http:// or https:// URL libcurl can parse? */
bool fleet_url_valid(const char *url);

/*
 * The audit of the fleet by workload or by container over `window`, from
 * the Prometheus server at url. 0, or -errno after one line on stderr (the
 * server unreachable or refusing the query, no memtrace series in the window).
 */
int fleet_audit(const char *url, const char *window, enum mt_by by, double margin,
		struct mt_audit *a);

/*
 * `memtrace audit --prometheus URL`: the audit's table on stdout (unless -q
 * or --json -), its JSON to --json. The exit status: 0, or 1 after one line.
 */
int fleet_run(const struct mt_options *opts);

#endif /* MEMTRACE_FLEET_H */
