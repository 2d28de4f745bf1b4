# pipeline.py - the Python workload of `make bench` (tools/bench.sh python):
# a seed-style batch job that builds rows, serializes them and sorts them,
# growing memory all along. It times itself (elapsed_ns=), so the tracer's
# start-up is not counted against it.
import json
import sys
import time


def build_rows(n):
    return [{"id": i, "name": "user-%d" % i, "score": (i * 7919) % 1000, "tags": ["a", "b"]}
            for i in range(n)]


def serialize(rows):
    return [json.dumps(row) for row in rows]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600000
    start = time.perf_counter_ns()
    rows = build_rows(n)
    lines = serialize(rows)
    lines.sort()
    print("rows=%d bytes=%d" % (len(rows), sum(len(x) for x in lines)))
    print("elapsed_ns=%d" % (time.perf_counter_ns() - start))


main()
