#!/usr/bin/python3
# fleet_openmetrics.py - a week of a simulated fleet's `memtrace serve`
# series, as OpenMetrics with timestamps (for `promtool tsdb
# create-blocks-from openmetrics`), and the figures a fleet audit of it must
# report (tests/integration/fleet.sh).
#
# usage: fleet_openmetrics.py NOW OUT.om EXPECTED.json
#   20 nodes run each workload once a day for 7 days, one hour per run,
#   scraped every minute; each workload has one run with a known largest
#   peak, and batch/etl three OOM-killed runs (one killed before its first
#   scrape: a counter born at 1). The last day's runs are all inside the
#   last 24 h, the other days' outside it.
import json
import random
import sys

MIB = 1 << 20
STEP = 60
NODES = 20
DAYS = 7
RUN_SAMPLES = 60

# name: (runtime, limit, usual peak range in MiB, (day, node, largest peak MiB))
WORKLOADS = {
    "prod/web": ("containerd", 1024 * MIB, (300, 700), (2, 7, 900)),
    "shop/db": ("docker", 512 * MIB, (100, 200), (5, 13, 480)),
    "batch/etl": ("containerd", 2048 * MIB, (1000, 1800), (6, 4, 1950)),
}
OOM_KILLED = {("batch/etl", 1, 2): "in-series", ("batch/etl", 4, 9): "in-series",
              ("batch/etl", 6, 15): "born-killed"}


def main():
    now, out_path, expected_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    now -= now % STEP
    base = now - DAYS * 86400 + 1800
    rnd = random.Random(42)
    runs = []  # (workload, day, node, id, start, samples, peak, ooms per sample)
    for w, (runtime, limit, (lo, hi), (top_day, top_node, top_mib)) in WORKLOADS.items():
        for day in range(DAYS):
            for node in range(NODES):
                peak = top_mib * MIB if (day, node) == (top_day, top_node) else \
                    rnd.randint(lo, hi) * MIB
                start = base + day * 86400 + node * 300
                kind = OOM_KILLED.get((w, day, node))
                n = 2 if kind == "born-killed" else RUN_SAMPLES
                ooms = [0] * n
                if kind == "in-series":
                    ooms[-1] = 1
                elif kind == "born-killed":
                    ooms = [1] * n
                cid = "%s-%d-%02d" % (w.replace("/", "-"), day, node)
                runs.append((w, day, node, cid, start, n, peak, ooms))

    with open(out_path, "w") as out:
        def labels(w, node, cid):
            runtime = WORKLOADS[w][0]
            ns, _, owner = w.partition("/")
            return ('id="/kubepods/%s",name="%s",pod="%s",namespace="%s",runtime="%s",'
                    'workload="%s",instance="node-%02d:9464",job="memtrace"'
                    % (cid, cid, cid, ns, runtime, w, node))

        out.write("# TYPE memtrace_container_interval_peak_rss_bytes gauge\n")
        for w, day, node, cid, start, n, peak, ooms in runs:
            for i in range(n):
                # the peak at one scrape, half of it at the others
                v = peak if i == n - 1 - (n > 10) * 15 else peak // 2
                out.write("memtrace_container_interval_peak_rss_bytes{%s} %d %d\n"
                          % (labels(w, node, cid), v, start + i * STEP))
        out.write("# TYPE memtrace_container_memory_limit_bytes gauge\n")
        for w, day, node, cid, start, n, peak, ooms in runs:
            for i in range(n):
                out.write("memtrace_container_memory_limit_bytes{%s} %d %d\n"
                          % (labels(w, node, cid), WORKLOADS[w][1], start + i * STEP))
        out.write("# TYPE memtrace_container_oom_kills counter\n")
        for w, day, node, cid, start, n, peak, ooms in runs:
            for i in range(n):
                out.write("memtrace_container_oom_kills_total{%s} %d %d\n"
                          % (labels(w, node, cid), ooms[i], start + i * STEP))
        out.write("# TYPE memtrace_lost_events counter\n")
        # node 3 lost 4 events over the week, the others none
        for node in range(NODES):
            for t in range(base, now, 600):
                lost = 4 * (t - base) // (now - base) if node == 3 else 0
                out.write('memtrace_lost_events_total{instance="node-%02d:9464",job="memtrace"} '
                          '%d %d\n' % (node, lost, t))
        out.write("# EOF\n")

    expected = {}
    for window, first_day in (("7d", 0), ("1d", DAYS - 1)):
        expected[window] = {}
        for w, (runtime, limit, _, _) in WORKLOADS.items():
            mine = [r for r in runs if r[0] == w and r[1] >= first_day]
            expected[window][w] = {
                "peak_rss_bytes": max(r[6] for r in mine),
                "limit_bytes": limit,
                "oom_kills": sum(1 for r in mine if (w, r[1], r[2]) in OOM_KILLED),
                "nodes": len({r[2] for r in mine}),
                "containers": len(mine),
            }
    with open(expected_path, "w") as f:
        json.dump(expected, f, indent=1)


main()
