/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pylinetable.h - CPython 3.11+'s location table (a code object's
 * co_linetable, CPython's Objects/locations.md): which source line each
 * instruction of a Python function comes from, for naming the Python frames
 * of a growth stack "function (file.py:LINE)".
 *
 * The table is a sequence of entries, each covering 1-8 code units (2 bytes
 * each) and moving the line by a delta from co_firstlineno; an entry may say
 * "no line" (-1). Decoded here as code.co_lines() reports it: address
 * ranges in bytes, with consecutive ranges of one line merged.
 */
#ifndef MEMTRACE_PYLINETABLE_H
#define MEMTRACE_PYLINETABLE_H

#include <stddef.h>
#include <stdint.h>

struct mt_py_line_range {
	uint32_t start, end; /* byte offsets into the code, [start, end) */
	int line;	     /* -1: no line */
};

/*
 * The table's ranges, as code.co_lines() yields them, into out (at most
 * max); returns how many there are (possibly more than max), or -1 if the
 * table is malformed (cut short, or longer than any code).
 */
long mt_py_line_ranges(const uint8_t *table, size_t len, int firstlineno,
		       struct mt_py_line_range *out, size_t max);

/* The line of the instruction at byte offset `offset`; -1 if none or unknown. */
int mt_py_line_of(const uint8_t *table, size_t len, int firstlineno, uint32_t offset);

#endif /* MEMTRACE_PYLINETABLE_H */
