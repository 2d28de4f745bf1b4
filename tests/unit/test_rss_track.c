// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_rss_track.c - the peak and timeline rule that the BPF programs run
 * (bpf/rss_track.h), fed known series.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rss_track.h"

#define RES 100

struct step {
	__u64 rss;
	__u32 rows;
};

static void run(const struct step *steps, int n, struct mt_rss_track *t)
{
	int new_peak;

	for (int i = 0; i < n; i++) {
		__u32 rows = mt_track_update(t, steps[i].rss, 1000 + i, RES, &new_peak);

		if (rows != steps[i].rows)
			fail_msg("step %d (rss %llu): rows %u, want %u", i,
				 (unsigned long long)steps[i].rss, rows, steps[i].rows);
	}
}

static void test_growth_rows_every_resolution(void **state)
{
	struct mt_rss_track t = {};
	const struct step steps[] = {
		{ 50, 0 }, { 99, 0 }, { 100, MT_ROW_NOW }, { 150, 0 }, { 210, MT_ROW_NOW },
	};

	(void)state;
	mt_track_init(&t, 0, 0);
	run(steps, 5, &t);
	assert_int_equal(t.peak, 210);
	assert_int_equal(t.peak_ns, 1004);
}

static void test_spike_top_is_sent_once_when_falling(void **state)
{
	struct mt_rss_track t = {};
	const struct step steps[] = {
		{ 100, MT_ROW_NOW }, { 150, 0 },  /* top of the spike, 50 above the last row */
		{ 140, MT_ROW_PEAK }, { 120, 0 }, /* falling: the peak row, once */
		{ 45, MT_ROW_NOW },		  /* 105 below the peak row */
	};

	(void)state;
	mt_track_init(&t, 0, 0);
	run(steps, 5, &t);
	assert_int_equal(t.peak, 150);
	assert_int_equal(t.peak_ns, 1001);
	assert_int_equal(t.peak_unsent, 0);
}

static void test_lower_second_spike_sends_no_peak_row(void **state)
{
	struct mt_rss_track t = {};
	const struct step steps[] = {
		{ 300, MT_ROW_NOW }, { 250, 0 },	/* peak 300 already has its row */
		{ 290, 0 }, { 260, 0 },			/* below the peak: no peak row */
	};

	(void)state;
	mt_track_init(&t, 0, 0);
	run(steps, 4, &t);
	assert_int_equal(t.peak, 300);
}

static void test_unsent_peak_visible_at_end(void **state)
{
	struct mt_rss_track t = {};
	const struct step steps[] = { { 100, MT_ROW_NOW }, { 130, 0 } };

	(void)state;
	mt_track_init(&t, 0, 0);
	run(steps, 2, &t);
	/* the process ends at its peak: userspace writes that row from the state */
	assert_int_equal(t.peak_unsent, 1);
	assert_int_equal(t.peak, 130);
}

static void test_no_timeline_tracks_peak_only(void **state)
{
	struct mt_rss_track t = {};
	int new_peak;

	(void)state;
	mt_track_init(&t, 10, 5);
	assert_int_equal(mt_track_update(&t, 500, 6, 0, &new_peak), 0);
	assert_true(new_peak);
	assert_int_equal(mt_track_update(&t, 20, 7, 0, &new_peak), 0);
	assert_false(new_peak);
	assert_int_equal(t.peak, 500);
	assert_int_equal(t.peak_ns, 6);
	assert_int_equal(t.rss, 20);
	assert_int_equal(t.peak_unsent, 0);
}

/* the live view's peak within an interval, including what held since its start */
static void test_window_peak(void **state)
{
	struct mt_rss_track t = {};
	int new_peak;

	(void)state;
	mt_track_init(&t, 100, 0);
	/* interval 1: up to 500 and down to 50 between two screens */
	mt_track_window(&t, 500, 1);
	mt_track_update(&t, 500, 1, 0, &new_peak);
	mt_track_window(&t, 50, 1);
	mt_track_update(&t, 50, 2, 0, &new_peak);
	assert_int_equal(mt_track_window_peak(&t, 1), 500);
	/* interval 2 starts with a fall from 50 to 40: 50 held at its start */
	mt_track_window(&t, 40, 2);
	mt_track_update(&t, 40, 3, 0, &new_peak);
	assert_int_equal(mt_track_window_peak(&t, 2), 50);
	/* interval 3 without a change: rss held all along */
	assert_int_equal(mt_track_window_peak(&t, 3), 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_peak),
		cmocka_unit_test(test_growth_rows_every_resolution),
		cmocka_unit_test(test_spike_top_is_sent_once_when_falling),
		cmocka_unit_test(test_lower_second_spike_sends_no_peak_row),
		cmocka_unit_test(test_unsent_peak_visible_at_end),
		cmocka_unit_test(test_no_timeline_tracks_peak_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
