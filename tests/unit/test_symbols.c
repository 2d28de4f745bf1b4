// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_symbols.c - code addresses to names: the sorted symbol table's
 * search, a JIT perf map (parsed, searched, read again as it grows), and a
 * real ELF file with its DWARF (this test's own binary).
 */
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "perfmap.h"
#include "symbols.h"

static void test_symbol_table_search(void **state)
{
	const struct mt_elf_symbol table[] = {
		{ 0x1000, 0x100, "a" },
		{ 0x1100, 0, "asm_label" }, /* size 0: its start only */
		{ 0x1200, 0x80, "b" },
	};

	(void)state;
	assert_null(symbols_search(table, 3, 0xfff));
	assert_string_equal(symbols_search(table, 3, 0x1000)->name, "a");
	assert_string_equal(symbols_search(table, 3, 0x10ff)->name, "a");
	assert_string_equal(symbols_search(table, 3, 0x1100)->name, "asm_label");
	assert_null(symbols_search(table, 3, 0x1101)); /* not swallowed by asm_label */
	assert_string_equal(symbols_search(table, 3, 0x127f)->name, "b");
	assert_null(symbols_search(table, 3, 0x1280));
	assert_null(symbols_search(table, 0, 0x1000));
}

static void test_perf_map(void **state)
{
	char path[] = "/tmp/memtrace-perfmap-XXXXXX";
	struct mt_perf_map map = { 0 };
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	/* out of order, with a line that does not parse */
	fputs("7f0000002000 40 LazyCompile:*bar /app/b.js:3\n"
	      "garbage\n"
	      "7f0000001000 100 LazyCompile:*foo /app/a.js:1\n",
	      f);
	fflush(f);
	perf_map_load(&map, path);
	assert_int_equal(map.nr, 2);
	assert_string_equal(perf_map_search(&map, 0x7f0000001010)->name,
			    "LazyCompile:*foo /app/a.js:1");
	assert_string_equal(perf_map_search(&map, 0x7f000000203f)->name,
			    "LazyCompile:*bar /app/b.js:3");
	assert_null(perf_map_search(&map, 0x7f0000002040));
	assert_null(perf_map_search(&map, 0x7f0000000fff));
	/* the runtime appends: read again only when the file grew */
	fputs("7f0000003000 10 Function:baz\n", f);
	fflush(f);
	perf_map_load(&map, path);
	assert_int_equal(map.nr, 3);
	assert_string_equal(perf_map_search(&map, 0x7f0000003004)->name, "Function:baz");
	fclose(f);
	unlink(path);
	perf_map_free(&map);
	assert_int_equal(map.nr, 0);
}

__attribute__((noinline)) int known_function(int x)
{
	return x * 3 + 1;
}

static int find_base(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uint64_t *)data = info->dlpi_addr; /* the first object is the executable */
	return 1;
}

/* This binary's own function, named from its DWARF with its file and line. */
static void test_real_elf(void **state)
{
	struct mt_frame_name frames[MT_MAX_INLINED];
	struct mt_symbols *s;
	uint64_t base = 0;
	int nr;

	(void)state;
	dl_iterate_phdr(find_base, &base);
	s = symbols_open("test_symbols", "/proc/self/exe");
	assert_non_null(s);
	nr = symbols_lookup(s, (uint64_t)(uintptr_t)known_function - base + 4, frames);
	assert_int_equal(nr, 1);
	assert_string_equal(frames[0].function, "known_function");
	assert_non_null(strstr(frames[0].file, "test_symbols.c"));
	assert_true(frames[0].line > 0);
	assert_int_equal(symbols_lookup(s, 0, frames), 0);
	symbols_free(s);
	assert_null(symbols_open("nothing", "/nonexistent/file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbol_table_search),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_real_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
