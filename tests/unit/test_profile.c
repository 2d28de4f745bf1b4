// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_profile.c - the growth profile (profile.c) driven with hand-made
 * samples and unmaps: which stacks held memory at the peak, mremap moves,
 * exits, interning (a module's system mark), and the folded writer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"
#include "profile.h"

#define KIB 1024ull

/* A profile with two one-frame stacks: functions "alpha" (stack 0) and "beta". */
struct fixture {
	struct mt_profile p;
	uint32_t alpha, beta; /* their locations */
};

static void setup_profile(struct fixture *f)
{
	struct mt_line line = { 0 };
	long module;

	profile_init(&f->p, "auto", 64 * KIB, 1 << 20);
	module = profile_module(&f->p, "/opt/app", "abcd");
	assert_true(module >= 0);
	line.function = profile_function(&f->p, "alpha", "a.c");
	f->alpha = profile_add_location(&f->p, module, 0x10, &line, 1);
	line.function = profile_function(&f->p, "beta", "b.c");
	f->beta = profile_add_location(&f->p, module, 0x20, &line, 1);
	assert_int_equal(profile_find_location(&f->p, module, 0x20), f->beta);
	assert_int_equal(profile_find_location(&f->p, module, 0x30), -1);
	/* interned: the same name and file is the same function */
	assert_int_equal(profile_function(&f->p, "beta", "b.c"), line.function);
}

static void sample(struct fixture *f, uint32_t pid, uint32_t loc, uint64_t addr, uint64_t rss,
		   uint64_t peak)
{
	struct mt_sample_event e = { 0 };

	e.hdr.type = MT_EV_SAMPLE;
	e.hdr.pid = pid;
	e.hdr.time_ns = rss; /* any increasing time */
	e.kind = MT_SAMPLE_GROWTH;
	e.addr = addr;
	e.bytes = 64 * KIB;
	e.group_rss = rss;
	e.group_peak = peak;
	assert_int_equal(profile_on_sample(&f->p, &e, e.addr, 0, "app", &loc, 1), 0);
}

static void unmap(struct fixture *f, uint32_t pid, uint64_t addr, uint64_t len, uint64_t new_addr,
		  uint64_t new_len)
{
	struct mt_unmap_event e = { .hdr = { .type = MT_EV_UNMAP, .pid = pid },
				    .addr = addr, .len = len, .new_addr = new_addr,
				    .new_len = new_len };

	assert_int_equal(profile_on_unmap(&f->p, &e), 0);
}

static uint64_t stack_bytes(struct fixture *f, const char *name, enum mt_stack_value which)
{
	size_t i;

	for (i = 0; i < f->p.nr_stacks; i++) {
		const struct mt_stack *s = &f->p.stacks[i];
		const struct mt_location *l = &f->p.locations[s->locs[0]];

		if (!strcmp(f->p.functions[l->lines[0].function].name, name))
			return profile_stack_value(s, which);
	}
	return 0;
}

/* alpha grows and frees, beta then grows to a higher peak: beta alone holds the peak */
static void test_at_peak_is_the_last_rise(void **state)
{
	struct fixture f;

	(void)state;
	setup_profile(&f);
	sample(&f, 1, f.alpha, 0x1000, 100, 100);
	sample(&f, 1, f.alpha, 0x2000, 200, 200);
	unmap(&f, 1, 0x1000, 0x2000, 0, 0); /* the first peak (200) is snapshot here */
	assert_int_equal(stack_bytes(&f, "alpha", MT_VALUE_AT_PEAK), 128 * KIB);
	sample(&f, 1, f.beta, 0x9000, 150, 200); /* below the peak: not a new one */
	sample(&f, 1, f.beta, 0xa000, 250, 250);
	sample(&f, 1, f.beta, 0xb000, 300, 300);
	unmap(&f, 1, 0x9000, 0x1000, 0, 0);
	profile_finish(&f.p);
	assert_int_equal(stack_bytes(&f, "alpha", MT_VALUE_AT_PEAK), 0);
	assert_int_equal(stack_bytes(&f, "beta", MT_VALUE_AT_PEAK), 3 * 64 * KIB);
	assert_int_equal(f.p.peak_rss, 300);
	assert_int_equal(stack_bytes(&f, "alpha", MT_VALUE_GROWTH), 128 * KIB);
	assert_int_equal(stack_bytes(&f, "beta", MT_VALUE_GROWTH), 3 * 64 * KIB);
	assert_int_equal(f.p.inuse_bytes, 2 * 64 * KIB);
	profile_free(&f.p);
}

/* a page sampled again replaces its old sample; mremap moves samples; exit drops them */
static void test_pages_move_and_leave(void **state)
{
	struct fixture f;

	(void)state;
	setup_profile(&f);
	sample(&f, 1, f.alpha, 0x1000, 10, 10);
	sample(&f, 1, f.beta, 0x1000, 20, 20); /* the same page again */
	assert_int_equal(stack_bytes(&f, "alpha", MT_VALUE_GROWTH), 64 * KIB);
	assert_int_equal(f.p.inuse_bytes, 64 * KIB);
	sample(&f, 1, f.alpha, 0x5000, 30, 30);
	unmap(&f, 1, 0x1000, 0x8000, 0x100000, 0x2000); /* mremap: the first 8 KiB move */
	assert_int_equal(f.p.inuse_bytes, 64 * KIB);	/* 0x5000 was beyond new_len */
	unmap(&f, 1, 0x100000, 0x1000, 0, 0);
	assert_int_equal(f.p.inuse_bytes, 0);
	sample(&f, 2, f.beta, 0x1000, 40, 40);
	profile_forget_process(&f.p, 2);
	assert_int_equal(f.p.inuse_bytes, 0);
	/* the peak state (rss 40) was snapshot before the exit dropped it */
	assert_int_equal(stack_bytes(&f, "beta", MT_VALUE_AT_PEAK), 64 * KIB);
	profile_free(&f.p);
}

/* folded output: comm first, outermost frame first, inlined lines expanded */
static void test_folded_writer(void **state)
{
	struct mt_report r = { 0 };
	struct mt_line lines[2];
	struct fixture f;
	uint32_t locs[2];
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	setup_profile(&f);
	lines[0].function = profile_function(&f.p, "inner;odd", "i.c");
	lines[0].line = 3;
	lines[1].function = profile_function(&f.p, "outer", "o.c");
	lines[1].line = 9;
	locs[0] = profile_add_location(&f.p, 0, 0x40, lines, 2);
	locs[1] = f.alpha;
	struct mt_sample_event e = { .hdr = { .type = MT_EV_SAMPLE, .pid = 1 },
				     .kind = MT_SAMPLE_GROWTH, .bytes = 4096 };
	assert_int_equal(profile_on_sample(&f.p, &e, e.addr, 0, "app", locs, 2), 0);
	r.profile = &f.p;
	out = open_memstream(&text, &len);
	assert_int_equal(mt_writer_folded.write(&r, out), 0);
	fclose(out);
	assert_string_equal(text, "app;alpha;outer;inner:odd 4096\n");
	free(text);
	profile_free(&f.p);
}

/*
 * A module found to be an interpreter is a system one (its frames are not
 * growth sites) however often it is interned again: by another process, or
 * after the maps are read again.
 */
static void test_module_system_sticks(void **state)
{
	struct fixture f;
	long app, lib;

	(void)state;
	setup_profile(&f);
	app = profile_module(&f.p, "/opt/app", "abcd");
	assert_false(f.p.modules[app].system);
	f.p.modules[app].system = true;
	assert_int_equal(profile_module(&f.p, "/opt/app", "abcd"), app);
	assert_true(f.p.modules[app].system);
	lib = profile_module(&f.p, "/usr/lib/x86_64-linux-gnu/libc.so.6", "ef01");
	assert_true(f.p.modules[lib].system);
	profile_free(&f.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_at_peak_is_the_last_rise),
		cmocka_unit_test(test_pages_move_and_leave),
		cmocka_unit_test(test_folded_writer),
		cmocka_unit_test(test_module_system_sticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
