#!/usr/bin/env python3
# py_linetables.py - every code object of this interpreter's standard
# library (compiled from source, nothing imported), with its co_linetable and
# what code.co_lines() says of it, for the decoder's test
# (tests/unit/test_pylinetable.c):
#   F <path>                                   a source file
#   C <co_firstlineno> <co_linetable hex> <co_qualname>
#   L <start> <end> <line, -1 for None>        each of co_lines()
import os
import sys
import sysconfig


def code_objects(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_lines"):
            yield from code_objects(const)


def main():
    root = sysconfig.get_paths()["stdlib"]
    out = sys.stdout
    files = codes = 0
    for dirpath, dirs, names in os.walk(root):
        # the library, not its tests or what was installed into it
        dirs[:] = sorted(d for d in dirs if d not in
                         ("test", "tests", "site-packages", "dist-packages", "__pycache__"))
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    module = compile(f.read(), path, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, UnicodeDecodeError):
                continue  # sample files of bad syntax (lib2to3's data)
            files += 1
            out.write("F %s\n" % path)
            for code in code_objects(module):
                codes += 1
                out.write("C %d %s %s\n" % (code.co_firstlineno, code.co_linetable.hex() or "-",
                                            code.co_qualname))
                for start, end, line in code.co_lines():
                    out.write("L %d %d %d\n" % (start, end, -1 if line is None else line))
    sys.stderr.write("%s: %d files, %d code objects\n" % (sys.version.split()[0], files, codes))


main()
