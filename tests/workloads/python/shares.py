# shares.py - two functions that grow memory in a known way: many small
# objects (dicts and strings, pymalloc's pools) and medium bytearrays (libc's
# malloc), every page written, everything kept alive. With
# MEMTRACE_TEST_TRACEMALLOC=1 it prints each function's share of what
# Python's own tracemalloc saw allocated, the reference memtrace's shares
# are compared with (tests/integration/python.sh). An argument scales the
# work (the kernel matrix's guests run a quarter of it).
import os
import sys


def small_objects(n):
    keep = []
    for i in range(n):
        keep.append({"i": i, "name": "row-%d" % i})
    return keep


def medium_buffers(n):
    keep = []
    for _ in range(n):
        keep.append(bytearray(b"\x01" * 20000))
    return keep


def main():
    tracing = os.environ.get("MEMTRACE_TEST_TRACEMALLOC") == "1"
    if tracing:
        import tracemalloc
        tracemalloc.start(1)
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    kept = [small_objects(int(250000 * scale)), medium_buffers(int(3000 * scale))]
    if tracing:
        stats = tracemalloc.take_snapshot().statistics("lineno")
        lines = {f.__name__: {line for _, _, line in f.__code__.co_lines() if line}
                 for f in (small_objects, medium_buffers)}
        sizes = {name: sum(s.size for s in stats if s.traceback[0].filename == __file__
                           and s.traceback[0].lineno in ls) for name, ls in lines.items()}
        for name, size in sizes.items():
            print(name, size)
    print("done", len(kept), file=sys.stderr)


main()
