// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_python.c - CPython as memtrace reads it: its location tables
 * (src/pylinetable.h), and where its layout and its frames' names come
 * from (src/python.h), read from this test's own memory laid out as an
 * interpreter's would be. Alone: tables and objects written by hand. With
 * arguments, for tests/integration/python.sh, which runs each
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

#include <errno.h>
#include <unistd.h>

#include "pylinetable.h"
#include "python.h"

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

#define ADDR(p) ((uint64_t)(uintptr_t)(p))

static void put64(uint8_t *obj, size_t off, uint64_t v)
{
	memcpy(obj + off, &v, sizeof(v));
}

/* _PyRuntime of a 3.13 build: _Py_DebugOffsets with distinct values where memtrace reads */
static void test_layout_from_debug_offsets(void **state)
{
	static uint8_t runtime[1024];
	static uint32_t version = 0x030d12f0; /* 3.13.18 */
	struct mt_py_symbols syms = { ADDR(runtime), ADDR(&version), 1, 2, 0, 0 };
	const struct mt_py_layout *l;
	struct mt_python *py;
	const char *why;

	(void)state;
	memcpy(runtime, "xdebugpy", 8);
	put64(runtime, 8, version);
	put64(runtime, 40, 1040);  /* runtime_state.interpreters_head */
	put64(runtime, 72, 1072);  /* interpreter_state.threads_head */
	put64(runtime, 168, 1168); /* thread_state.next */
	put64(runtime, 184, 1184); /* thread_state.current_frame */
	put64(runtime, 200, 1200); /* thread_state.native_thread_id */
	put64(runtime, 232, 1232); /* interpreter_frame.previous */
	put64(runtime, 240, 1240); /* interpreter_frame.executable */
	put64(runtime, 248, 1248); /* interpreter_frame.instr_ptr */
	put64(runtime, 264, 1264); /* interpreter_frame.owner */
	put64(runtime, 312, 1312); /* code_object.firstlineno */
	py = python_open(getpid(), &syms, &why);
	assert_non_null(py);
	assert_int_equal(python_version(py), version);
	l = python_layout(py);
	assert_int_equal(l->runtime, ADDR(runtime));
	assert_int_equal(l->interpreters_head, 1040);
	assert_int_equal(l->threads_head, 1072);
	assert_int_equal(l->thread_next, 1168);
	assert_int_equal(l->thread_frame, 1184);
	assert_int_equal(l->cframe_frame, MT_PY_NO_FIELD);
	assert_int_equal(l->thread_native_id, 1200);
	assert_int_equal(l->frame_previous, 1232);
	assert_int_equal(l->frame_code, 1240);
	assert_int_equal(l->frame_instr, 1248);
	assert_int_equal(l->frame_marker, 1264);
	assert_int_equal(l->code_check, 1312);
	assert_true(python_in_eval(py, 1));
	assert_false(python_in_eval(py, 2));
	python_free(py);

	/* what memtrace does not read is named, not guessed at */
	put64(runtime, 16, 1); /* free_threaded */
	assert_null(python_open(getpid(), &syms, &why));
	assert_int_equal(errno, ENOTSUP);
	assert_non_null(strstr(why, "free-threaded"));
	put64(runtime, 16, 0);
	memcpy(runtime, "xdebugpz", 8);
	assert_null(python_open(getpid(), &syms, &why));
	assert_non_null(strstr(why, "debug offsets"));
	version = 0x030c04f0; /* 3.12: no debug offsets, no table */
	assert_null(python_open(getpid(), &syms, &why));
	assert_non_null(strstr(why, "version"));
	version = 0x030a00f0;
	assert_null(python_open(getpid(), &syms, &why));
	assert_int_equal(errno, ENOTSUP);
}

/* A compact str object of 3.11 (PyASCIIObject with wstr: 48 bytes): kind 1, 2 or 4. */
static void make_str(uint8_t *obj, const void *chars, size_t length, unsigned kind, bool ascii)
{
	uint32_t state = kind << 2 | 1u << 5 | (ascii ? 1u << 6 : 0);

	put64(obj, 16, length);
	memcpy(obj + 32, &state, sizeof(state));
	memcpy(obj + (ascii ? 48 : 72), chars, length * kind);
}

/* A 3.11 code object: names, file and line table read from memory, the line of an instruction */
static void test_frame_name_from_memory(void **state)
{
	static uint8_t code[256], qualname[128], filename[128], linetable[64];
	static uint32_t version = 0x030b02f0; /* 3.11.2 */
	/* units 0-1: line +1 (11); unit 2: +2 (13) */
	const uint8_t table[] = { ENTRY(11, 2), 0x04, 0x08, ENTRY(12, 1), 0x00, 0x01 };
	const uint16_t name16[] = { 'f', 0x00e9, 'e' }; /* "fée", kind 2 */
	struct mt_py_symbols syms = { ADDR(&version), ADDR(&version), 1, 2, 0, 0 };
	struct mt_py_frame f = { .code = ADDR(code), .check = 10 };
	struct mt_py_frame_name name;
	struct mt_python *py;
	const char *why;
	int32_t firstlineno = 10;

	(void)state;
	memcpy(code + 72, &firstlineno, sizeof(firstlineno));
	put64(code, 112, ADDR(filename));
	put64(code, 128, ADDR(qualname));
	put64(code, 136, ADDR(linetable));
	make_str(filename, "/app/job.py", 11, 1, true);
	make_str(qualname, name16, 3, 2, false);
	put64(linetable, 16, sizeof(table));
	memcpy(linetable + 32, table, sizeof(table));
	py = python_open(getpid(), &syms, &why);
	assert_non_null(py);
	assert_int_equal(python_layout(py)->cframe_frame, 8);

	f.instr = ADDR(code) + 184 + 2; /* the second code unit (2 bytes each): line 11 */
	assert_int_equal(python_frame_name(py, getpid(), &f, &name), 0);
	assert_string_equal(name.function, "f\xc3\xa9" "e");
	assert_string_equal(name.file, "/app/job.py");
	assert_int_equal(name.line, 11);
	f.instr = ADDR(code) + 184 + 4; /* the third: line 13 */
	assert_int_equal(python_frame_name(py, getpid(), &f, &name), 0);
	assert_int_equal(name.line, 13);
	f.instr = ADDR(code) + 184 - 2; /* 3.11 before the first instruction */
	assert_int_equal(python_frame_name(py, getpid(), &f, &name), 0);
	assert_int_equal(name.line, 10);

	/* another code object at that address now: not named after the one sampled */
	f.check = 12;
	assert_int_equal(python_frame_name(py, getpid(), &f, &name), -ENOENT);
	f.code = 0;
	assert_int_equal(python_frame_name(py, getpid(), &f, &name), -ENOENT);
	python_free(py);
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
		cmocka_unit_test(test_layout_from_debug_offsets),
		cmocka_unit_test(test_frame_name_from_memory),
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
