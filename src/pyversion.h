/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pyversion.h - which CPython an executable runs: its `Py_Version` (3.11+,
 * PY_VERSION_HEX), read from the executable itself (Debian's python3.x links
 * libpython in) or from the libpython*.so it needs (`--enable-shared`
 * builds), for choosing how to read that interpreter's frames.
 */
#ifndef MEMTRACE_PYVERSION_H
#define MEMTRACE_PYVERSION_H

#include <stdint.h>

/* PY_VERSION_HEX: major << 24 | minor << 16 | micro << 8 | level << 4 | serial */
#define MT_PY_MAJOR(v) ((v) >> 24 & 0xff)
#define MT_PY_MINOR(v) ((v) >> 16 & 0xff)
#define MT_PY_MICRO(v) ((v) >> 8 & 0xff)

/*
 * The Py_Version of the ELF file at path; if it has none, of the libpython
 * it needs (DT_NEEDED), looked for where the loader would: its run path,
 * then `libdirs` (colon-separated; NULL: none), then the system's
 * directories; every path under `root` ("/proc/PID/root" for a container's
 * files, "" for this host's). 0 and *version, or -ENOENT when neither says
 * (not CPython 3.11+), another -errno if unreadable.
 */
int mt_py_version(const char *root, const char *path, const char *libdirs, uint32_t *version);

#endif /* MEMTRACE_PYVERSION_H */
