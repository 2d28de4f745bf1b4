// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fuzz_pylinetable.c - libFuzzer target: CPython location tables
 * (pylinetable.c). A table is read from a traced process's memory: any
 * bytes. Checks the decoder's promises, not only that it survives.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pylinetable.h"

#define MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mt_py_line_range r[MAX];
	long n = mt_py_line_ranges(data, size, 1, r, MAX);

	if (n < -1)
		abort();
	/* ranges are contiguous from 0, each 2 to 16 bytes per entry merged */
	for (long i = 0; i < n && i < MAX; i++) {
		if (r[i].end <= r[i].start || (i == 0 ? r[i].start != 0 : r[i].start != r[i - 1].end))
			abort();
		if (i > 0 && r[i].line == r[i - 1].line)
			abort(); /* equal neighbours are merged */
		if (mt_py_line_of(data, size, 1, r[i].start) != r[i].line)
			abort();
	}
	return 0;
}
