# cext.py - memory grown inside a C extension: zlib compressing random
# (incompressible) data into new bytes objects, kept alive. Its growth
# stacks hold both the Python caller and zlib's native frames
# (tests/integration/python.sh).
import os
import zlib


def compress_all(n):
    data = os.urandom(1 << 20)
    keep = []
    for _ in range(n):
        keep.append(zlib.compress(data, 1))
    return keep


print("done", len(compress_all(64)))
