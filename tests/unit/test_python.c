// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_python.c - CPython's location tables as memtrace reads them
 * (src/pylinetable.h). Alone: tables written by hand, one of each entry
 * kind. With arguments, for tests/integration/python.sh, which runs each
 * interpreter:
 *   test_python lines DUMP...    every code object of the dumps
 *                                (tests/tools/py_linetables.py) against its
 *                                interpreter's own code.co_lines()
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pylinetable.h"

#define MAX_RANGES 65536

/* entry header: top bit, kind in bits 3-6, code units - 1 in bits 0-2 */
#define ENTRY(kind, units) ((uint8_t)(0x80 | (kind) << 3 | ((units) - 1)))

static void test_entry_kinds(void **state)
{
	const uint8_t table[] = {
		ENTRY(14, 1), 0x03, 0x00, 0x01, 0x02, /* long: line -1 (svarint 3), end, cols */
		ENTRY(11, 2), 0x04, 0x08,	      /* one line, +1 */
		ENTRY(3, 1), 0x05,		      /* short: same line, columns */
		ENTRY(15, 2),			      /* no line */
		ENTRY(13, 3), 0x54, 0x01,	      /* no columns: +42 (svarint 84: 0x54 0x01 -> 20 + 64) */
		ENTRY(12, 1), 0x00, 0x01,	      /* one line, +2 */
	};
	struct mt_py_line_range r[8];

	(void)state;
	assert_int_equal(mt_py_line_ranges(table, sizeof(table), 10, r, 8), 5);
	assert_int_equal(r[0].line, 9);
	assert_int_equal(r[0].end, 2);
	/* +1 then same line: merged, as co_lines() does */
	assert_int_equal(r[1].line, 10);
	assert_int_equal(r[1].start, 2);
	assert_int_equal(r[1].end, 8);
	assert_int_equal(r[2].line, -1);
	assert_int_equal(r[2].end, 12);
	/* 0x54 = 20 | more, 0x01 -> 20 + 64 = 84: +42 from the running line 10 */
	assert_int_equal(r[3].line, 52);
	assert_int_equal(r[3].end, 18);
	assert_int_equal(r[4].line, 54);
	assert_int_equal(mt_py_line_of(table, sizeof(table), 10, 4), 10);
	assert_int_equal(mt_py_line_of(table, sizeof(table), 10, 10), -1);
	assert_int_equal(mt_py_line_of(table, sizeof(table), 10, 18), 54);
	assert_int_equal(mt_py_line_of(table, sizeof(table), 10, 20), -1);
	/* more ranges than room: still counted */
	assert_int_equal(mt_py_line_ranges(table, sizeof(table), 10, r, 2), 5);
}

static void test_malformed(void **state)
{
	const uint8_t no_header[] = { 0x03 };
	const uint8_t cut_varint[] = { ENTRY(13, 1), 0x40 };

	(void)state;
	assert_int_equal(mt_py_line_ranges(no_header, sizeof(no_header), 1, NULL, 0), -1);
	assert_int_equal(mt_py_line_ranges(cut_varint, sizeof(cut_varint), 1, NULL, 0), -1);
	assert_int_equal(mt_py_line_ranges(NULL, 0, 1, NULL, 0), 0);
}

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (!strcmp(hex, "-"))
		return 0;
	for (; hex[0] && hex[1] && n < max; hex += 2)
		sscanf(hex, "%2hhx", &out[n++]);
	return n;
}

/* One code object's ranges against co_lines()'s; 0 if equal. */
static int check_code(const char *file, const char *qualname, int firstlineno,
		      const uint8_t *table, size_t len, const struct mt_py_line_range *want,
		      long nwant, struct mt_py_line_range *got)
{
	long n = mt_py_line_ranges(table, len, firstlineno, got, MAX_RANGES);

	if (n == nwant && !memcmp(got, want, n * sizeof(*got)))
		return 0;
	fprintf(stderr, "%s: %s: %ld ranges, co_lines() has %ld\n", file, qualname, n, nwant);
	for (long i = 0; i < nwant && i < n; i++)
		if (memcmp(&got[i], &want[i], sizeof(*got)))
			fprintf(stderr, "  first difference at %ld: (%u, %u, %d), co_lines() (%u, %u, %d)\n", i,
				got[i].start, got[i].end, got[i].line, want[i].start, want[i].end,
				want[i].line);
	return 1;
}

/* Every code object of a dump; the number that differ, or -1. */
static long check_dump(const char *path, long *codes)
{
	static struct mt_py_line_range want[MAX_RANGES], got[MAX_RANGES];
	static uint8_t table[1 << 20];
	static char line[(1 << 21) + 4096], hex[1 << 21], file[4096] = "?", qualname[4096] = "";
	FILE *f = fopen(path, "r");
	long bad = 0, nwant = 0;
	size_t len = 0;
	int firstlineno = 0;
	bool open_code = false;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mt_py_line_range r;

		if (line[0] == 'L' && nwant < MAX_RANGES &&
		    sscanf(line, "L %u %u %d", &r.start, &r.end, &r.line) == 3) {
			/* co_lines() of 3.11 yields consecutive ranges of one line apart */
			if (nwant && want[nwant - 1].line == r.line && want[nwant - 1].end == r.start)
				want[nwant - 1].end = r.end;
			else
				want[nwant++] = r;
			continue;
		}
		if (open_code)
			bad += check_code(file, qualname, firstlineno, table, len, want, nwant, got);
		open_code = false;
		if (line[0] == 'F') {
			sscanf(line, "F %4095[^\n]", file);
		} else if (line[0] == 'C' &&
			   sscanf(line, "C %d %2097151s %4095[^\n]", &firstlineno, hex, qualname) >= 2) {
			len = unhex(hex, table, sizeof(table));
			nwant = 0;
			open_code = true;
			(*codes)++;
		}
	}
	if (open_code)
		bad += check_code(file, qualname, firstlineno, table, len, want, nwant, got);
	fclose(f);
	return bad;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_kinds),
		cmocka_unit_test(test_malformed),
	};
	long bad = 0, codes = 0, n;

	if (argc == 1)
		return cmocka_run_group_tests(tests, NULL, NULL);
	if (argc < 3 || strcmp(argv[1], "lines"))
		return 2;
	for (int i = 2; i < argc; i++) {
		n = check_dump(argv[i], &codes);
		if (n < 0)
			return 2;
		bad += n;
	}
	printf("%ld code objects, %ld decoded differently from co_lines()\n", codes, bad);
	return bad || !codes ? 1 : 0;
}
