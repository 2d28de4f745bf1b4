// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pylinetable.c - decode CPython 3.11+'s location table (see pylinetable.h).
 *
 * An entry's first byte has its top bit set; bits 3-6 are its kind, bits
 * 0-2 its length in code units minus one. Kinds 0-9 (short form) and 10-12
 * (one line, delta 0-2) carry columns in the bytes that follow; 13 (no
 * columns) and 14 (long form) start with the line delta as a signed varint;
 * 15 means no line. Varints are 6-bit chunks, least significant first, bit 6
 * set while more follow; a signed one keeps its sign in bit 0.
 */
#include <stdbool.h>

#include "pylinetable.h"

#define KIND_ONE_LINE0 10
#define KIND_NO_COLUMNS 13
#define KIND_LONG 14
#define KIND_NONE 15
#define CODE_UNIT 2
#define MAX_LINE (1 << 30)

/* An unsigned varint at *p, within end; false if cut short. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint32_t *value)
{
	uint32_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (*p >= end || shift > 30)
			return false;
		b = *(*p)++;
		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*value = v;
	return true;
}

/* The line delta an entry starting at p makes; false if cut short. */
static bool line_delta(const uint8_t *p, const uint8_t *end, int *delta)
{
	unsigned int kind = (*p >> 3) & 15;
	const uint8_t *q = p + 1;
	uint32_t v;

	if (kind == KIND_NO_COLUMNS || kind == KIND_LONG) {
		if (!read_varint(&q, end, &v))
			return false;
		*delta = v & 1 ? -(int)(v >> 1) : (int)(v >> 1);
	} else if (kind >= KIND_ONE_LINE0 && kind < KIND_NO_COLUMNS) {
		*delta = kind - KIND_ONE_LINE0;
	} else {
		*delta = 0;
	}
	return true;
}

struct cursor {
	const uint8_t *p, *end;
	int computed_line; /* the running line, kept through entries without one */
	uint32_t start, end_offset;
	int line;
};

/* The next entry's range; 1, 0 at the end, -1 if malformed. */
static int next_range(struct cursor *c)
{
	int delta;

	if (c->p >= c->end)
		return 0;
	if (!(*c->p & 128) || !line_delta(c->p, c->end, &delta))
		return -1;
	/* no source has a billion lines: a table that says so is not one */
	if ((long long)c->computed_line + delta > MAX_LINE ||
	    (long long)c->computed_line + delta < -MAX_LINE)
		return -1;
	c->computed_line += delta;
	c->line = ((*c->p >> 3) & 15) == KIND_NONE ? -1 : c->computed_line;
	c->start = c->end_offset;
	c->end_offset += ((*c->p & 7) + 1) * CODE_UNIT;
	/* the entry's other bytes have the top bit clear */
	do
		c->p++;
	while (c->p < c->end && !(*c->p & 128));
	return 1;
}

long mt_py_line_ranges(const uint8_t *table, size_t len, int firstlineno,
		       struct mt_py_line_range *out, size_t max)
{
	struct cursor c = { table, table + len, firstlineno, 0, 0, 0 };
	int rc, last_line = 0;
	long n = 0;

	while ((rc = next_range(&c)) > 0) {
		/* co_lines() merges consecutive ranges of one line (they are contiguous) */
		if (n > 0 && c.line == last_line) {
			if ((size_t)n <= max)
				out[n - 1].end = c.end_offset;
			continue;
		}
		if ((size_t)n < max)
			out[n] = (struct mt_py_line_range){ c.start, c.end_offset, c.line };
		last_line = c.line;
		n++;
	}
	return rc < 0 ? -1 : n;
}

int mt_py_line_of(const uint8_t *table, size_t len, int firstlineno, uint32_t offset)
{
	struct cursor c = { table, table + len, firstlineno, 0, 0, 0 };

	while (next_range(&c) > 0) {
		if (offset >= c.start && offset < c.end_offset)
			return c.line;
	}
	return -1;
}
