/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * python.h - the CPython (3.11, 3.13+) a process runs, for naming the
 * Python frames its growth samples carry (bpf/python.bpf.h walks them):
 * where its threads and frames are (the layout the BPF side walks with),
 * and each frame's function, file and line, read from the code object in
 * the process's memory and its line table (pylinetable.h).
 *
 * The interpreter is found by unwind.c in the process's mappings: the
 * executable or libpython that defines _PyRuntime.
 */
#ifndef MEMTRACE_PYTHON_H
#define MEMTRACE_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

#include "memtrace.h"

/* PY_VERSION_HEX: major << 24 | minor << 16 | micro << 8 | level << 4 | serial */
#define MT_PY_MAJOR(v) ((v) >> 24 & 0xff)
#define MT_PY_MINOR(v) ((v) >> 16 & 0xff)

/* What the interpreter's symbols say, as addresses in the process. */
struct mt_py_symbols {
	uint64_t runtime; /* _PyRuntime */
	uint64_t version; /* Py_Version */
	/* _PyEval_EvalFrameDefault, and its .cold part when a symbol names it */
	uint64_t eval_start, eval_end, cold_start, cold_end;
};

struct mt_python;

/*
 * The interpreter of process pid with these symbols. NULL with errno:
 * ENOTSUP for a version or build memtrace does not read (*why says which,
 * for one line to the user), ESRCH if its memory cannot be read.
 */
struct mt_python *python_open(uint32_t pid, const struct mt_py_symbols *syms, const char **why);
void python_free(struct mt_python *py);

/* The layout the BPF side walks this interpreter's frames with. */
const struct mt_py_layout *python_layout(const struct mt_python *py);
uint32_t python_version(const struct mt_python *py);

enum mt_py_frame_kind {
	MT_PY_FRAME_CODE,  /* a Python function's frame */
	MT_PY_FRAME_ENTRY, /* the same, the first one a call of the eval loop ran (3.11) */
	MT_PY_FRAME_SHIM,  /* the eval loop's own entry frame, before the first it ran (3.13+) */
};

/* What a sampled frame is: the interpreter's marker byte says. */
enum mt_py_frame_kind python_frame_kind(const struct mt_python *py, const struct mt_py_frame *f);

/* Is pc in the eval loop (each native frame there ran Python frames)? */
bool python_in_eval(const struct mt_python *py, uint64_t pc);

/* One Python frame's name; the strings live as long as py. */
struct mt_py_frame_name {
	const char *function; /* co_qualname */
	const char *file;     /* co_filename */
	int line;	      /* 0: unknown */
};

/*
 * The name of a frame of pid's samples: the code object is read from its
 * memory once per (address, check value), unless it was read ahead
 * (python_read_ahead()); 0, or -ENOENT when it cannot be (the process exited first, the
 * code object is gone, or another one took its address).
 */
int python_frame_name(struct mt_python *py, uint32_t pid, const struct mt_py_frame *f,
		      struct mt_py_frame_name *out);

struct mt_py_prefetch;

/*
 * Have pid's code objects read as soon as the BPF side announces them
 * (pyprefetch.h), and take them from there when naming frames.
 */
void python_read_ahead(struct mt_python *py, struct mt_py_prefetch *prefetch, uint32_t pid);

#endif /* MEMTRACE_PYTHON_H */
