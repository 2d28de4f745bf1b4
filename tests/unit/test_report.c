// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_report.c - the aggregation (report.c) driven with hand-made events,
 * and the JSON writer's output read back with json-c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "audit.h"
#include "events.h"
#include "output.h"
#include "report.h"

static struct mt_proc_event proc_event(__u32 type, __u32 pid, __u32 ppid, const char *comm,
				       const char *args, size_t args_len, __u64 t)
{
	struct mt_proc_event e = {};

	e.hdr.type = type;
	e.hdr.pid = pid;
	e.hdr.time_ns = t;
	e.start_ns = t;
	e.ppid = ppid;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	memcpy(e.args, args, args_len);
	e.args_len = args_len;
	return e;
}

static struct mt_exit_event exit_event(__u32 pid, __u64 peak, __u64 t, int status)
{
	struct mt_exit_event e = {};

	e.hdr.type = MT_EV_EXIT;
	e.hdr.pid = pid;
	e.hdr.time_ns = t;
	e.proc.tgid = pid;
	e.proc.flags = MT_PROC_EXITED;
	e.proc.exit_ns = t;
	e.proc.exit_status = status;
	e.proc.rss.peak = peak;
	e.proc.hiwater_rss = peak;
	return e;
}

static void test_fork_exec_exit(void **state)
{
	struct mt_report r;
	struct mt_proc root = { .tgid = 10, .ppid = 1, .start_ns = 100 };
	struct mt_proc_event fork_e = proc_event(MT_EV_FORK, 11, 10, "sh", "", 0, 200);
	struct mt_proc_event exec_e = proc_event(MT_EV_EXEC, 11, 10, "ls", "ls\0-l\0", 6, 300);
	struct mt_exit_event exit_e = exit_event(11, 4096, 400, 3 << 8);
	struct mt_process *p;

	(void)state;
	report_init(&r, 100, true);
	assert_non_null(report_add(&r, &root, "sh -c ls"));
	assert_int_equal(events_handle(&r, &fork_e, sizeof(fork_e)), 0);
	p = report_find_live(&r, 11);
	assert_non_null(p);
	assert_string_equal(p->cmdline, "sh -c ls"); /* the parent's, until exec */
	assert_int_equal(events_handle(&r, &exec_e, sizeof(exec_e)), 0);
	assert_string_equal(p->k.comm, "ls");
	assert_string_equal(p->cmdline, "ls -l");
	assert_int_equal(events_handle(&r, &exit_e, sizeof(exit_e)), 0);
	assert_null(report_find_live(&r, 11));
	assert_true(p->exited);
	assert_int_equal(mt_exit_code(p->k.exit_status), 3);
	assert_int_equal(p->k.start_ns, 200); /* kept from the fork event */
	assert_true(p->vmhwm_known);
	assert_int_equal(r.nr_procs, 2);
	/* the exit adds the process's last row */
	assert_int_equal(r.nr_rows, 1);
	report_free(&r);
}

static void test_pid_reuse_new_record(void **state)
{
	struct mt_report r;
	struct mt_proc_event fork1 = proc_event(MT_EV_FORK, 20, 10, "a", "", 0, 1);
	struct mt_exit_event exit1 = exit_event(20, 100, 2, 0);
	struct mt_proc_event fork2 = proc_event(MT_EV_FORK, 20, 10, "b", "", 0, 3);

	(void)state;
	report_init(&r, 0, false);
	assert_int_equal(events_handle(&r, &fork1, sizeof(fork1)), 0);
	assert_int_equal(events_handle(&r, &exit1, sizeof(exit1)), 0);
	assert_int_equal(events_handle(&r, &fork2, sizeof(fork2)), 0);
	assert_int_equal(r.nr_procs, 2);
	assert_true(r.procs[0]->exited);
	assert_false(r.procs[1]->exited);
	assert_string_equal(report_find_live(&r, 20)->k.comm, "b");
	report_free(&r);
}

/* the map is read between a fork and its record: one process, not two */
static void test_map_read_before_fork_record(void **state)
{
	struct mt_report r;
	struct mt_proc k = { .tgid = 30, .ppid = 10, .start_ns = 500 };
	struct mt_proc_event fork_e = proc_event(MT_EV_FORK, 30, 10, "a", "", 0, 500);

	(void)state;
	report_init(&r, 0, false);
	assert_int_equal(report_update(&r, &k), 0);
	assert_int_equal(events_handle(&r, &fork_e, sizeof(fork_e)), 0);
	assert_int_equal(r.nr_procs, 1);
	assert_false(r.procs[0]->exited);
	/* a different start: a new process with the pid, the earlier one is gone */
	fork_e.start_ns = 900;
	assert_int_equal(events_handle(&r, &fork_e, sizeof(fork_e)), 0);
	assert_int_equal(r.nr_procs, 2);
	assert_true(r.procs[0]->exited);
	assert_false(r.procs[1]->exited);
	report_free(&r);
}

/*
 * The map is read while an exit record is in flight: the entry is still the
 * BPF side's (it frees it), so the process stays live until the record
 * comes, and is then reported once, with its status. Only an entry whose
 * record was lost is reported from the map.
 */
static void test_map_read_during_exit(void **state)
{
	struct mt_report r;
	struct mt_proc_event fork_e = proc_event(MT_EV_FORK, 40, 10, "a", "", 0, 500);
	struct mt_exit_event exit_e = exit_event(40, 8192, 700, 0);
	struct mt_proc lost = exit_e.proc;

	(void)state;
	report_init(&r, 0, false);
	assert_int_equal(events_handle(&r, &fork_e, sizeof(fork_e)), 0);
	exit_e.proc.start_ns = 500;
	assert_int_equal(report_update(&r, &exit_e.proc), 0);
	assert_false(r.procs[0]->exited);
	assert_int_equal(events_handle(&r, &exit_e, sizeof(exit_e)), 0);
	assert_int_equal(r.nr_procs, 1);
	assert_true(r.procs[0]->exited);

	lost.tgid = 41;
	lost.flags |= MT_PROC_EXIT_LOST;
	assert_int_equal(report_update(&r, &lost), 0);
	assert_int_equal(r.nr_procs, 2);
	assert_true(r.procs[1]->exited);
	report_free(&r);
}

static void test_bad_records_rejected(void **state)
{
	struct mt_report r;
	struct mt_event_header h = { .type = 99 };
	struct mt_event_header row = { .type = MT_EV_ROW };

	(void)state;
	report_init(&r, 0, true);
	assert_int_equal(events_handle(&r, &h, sizeof(h)), -EINVAL);
	assert_int_equal(events_handle(&r, &row, sizeof(row)), -EINVAL); /* too short */
	assert_int_equal(events_handle(&r, &h, 3), -EINVAL);
	report_free(&r);
}

static void test_finish_closes_series(void **state)
{
	struct mt_report r;
	struct mt_proc k = { .tgid = 5, .start_ns = 1 };

	(void)state;
	report_init(&r, 0, true);
	k.rss = (struct mt_rss_track){ .rss = 10, .peak = 50, .peak_ns = 7, .peak_unsent = 1 };
	assert_non_null(report_add(&r, &k, NULL));
	r.group.rss = (struct mt_rss_track){ .rss = 10, .peak = 50, .peak_ns = 7 };
	assert_int_equal(report_finish(&r, 100), 0);
	/* the process's unsent peak, then at the end the group's and the process's (by pid) */
	assert_int_equal(r.nr_rows, 3);
	assert_int_equal(r.rows[0].rss, 50);
	assert_int_equal(r.rows[0].time_ns, 7);
	assert_int_equal(r.rows[1].time_ns, 100);
	assert_int_equal(r.rows[1].pid, 0);
	assert_int_equal(r.rows[2].time_ns, 100);
	assert_int_equal(r.rows[2].pid, 5);
	report_free(&r);
}

static void test_json_writer(void **state)
{
	char *argv[] = { "prog", "a\"b\n", NULL };
	struct mt_proc k = { .tgid = 42, .ppid = 1, .start_ns = 1000000000 };
	struct mt_report r;
	json_object *o, *procs, *p, *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	report_init(&r, 1000000000, false);
	r.command = argv;
	r.nr_pids = 1;
	r.pids = (int[]){ 42 };
	r.stats.ringbuf_drops = 2;
	snprintf(k.comm, sizeof(k.comm), "we\"ird\x01");
	k.rss.peak = 123456789;
	k.rss.peak_ns = 1500000000;
	assert_non_null(report_add(&r, &k, "prog a\"b\n"));
	r.group.rss.peak = 123456789;
	r.group.rss.peak_ns = 1500000000;
	r.end_ns = 3000000000;

	f = open_memstream(&buf, &len);
	assert_int_equal(mt_writer_json.write(&r, f), 0);
	fclose(f);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "schema", &v));
	assert_string_equal(json_object_get_string(v), "memtrace.report/1");
	assert_true(json_object_object_get_ex(o, "lost_events", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(o, "peak_time_s", &v));
	assert_true(json_object_get_double(v) == 0.5);
	assert_true(json_object_object_get_ex(o, "duration_s", &v));
	assert_true(json_object_get_double(v) == 2.0);
	assert_true(json_object_object_get_ex(o, "exit_code", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "command", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "a\"b\n");
	assert_true(json_object_object_get_ex(o, "processes", &procs));
	p = json_object_array_get_idx(procs, 0);
	assert_true(json_object_object_get_ex(p, "comm", &v));
	assert_string_equal(json_object_get_string(v), "we\"ird\x01");
	assert_true(json_object_object_get_ex(p, "peak_rss_bytes", &v));
	assert_int_equal(json_object_get_int64(v), 123456789);
	assert_true(json_object_object_get_ex(p, "end_s", &v));
	assert_null(v);
	json_object_put(o);
	free(buf);
	report_free(&r);
}

/*
 * 10 s at 100, 80 s at 200, 10 s at 900: time-weighted, not per row. The
 * rows come out of order (a peak's row is sent late): the report keeps
 * them sorted, and a series is one cgroup's rows only.
 */
static void test_audit_percentiles(void **state)
{
	struct mt_report r;
	struct mt_series s;

	(void)state;
	report_init(&r, 0, true);
	assert_int_equal(report_add_cgroup_row(&r, 7, 0, 100), 0);
	assert_int_equal(report_add_cgroup_row(&r, 7, 90, 900), 0);
	assert_int_equal(report_add_cgroup_row(&r, 8, 50, 5000), 0);
	assert_int_equal(report_add_cgroup_row(&r, 7, 10, 200), 0);
	assert_int_equal(report_series(&r, 0, 7, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(audit_percentile(&s, 100, 0.05), 100);
	assert_int_equal(audit_percentile(&s, 100, 0.50), 200);
	assert_int_equal(audit_percentile(&s, 100, 0.89), 200);
	assert_int_equal(audit_percentile(&s, 100, 0.95), 900);
	assert_int_equal(audit_percentile(&s, 100, 1.0), 900);
	/* a single point holds until the end */
	s.n = 1;
	assert_int_equal(audit_percentile(&s, 100, 0.99), 100);
	s.n = 0;
	assert_int_equal(audit_percentile(&s, 100, 0.5), 0);
	s.n = 3;
	report_series_free(&s);
	/* time at 0 (before the first process, after the last) is not usage */
	assert_int_equal(report_add_cgroup_row(&r, 9, 0, 0), 0);
	assert_int_equal(report_add_cgroup_row(&r, 9, 10, 300), 0);
	assert_int_equal(report_add_cgroup_row(&r, 9, 20, 0), 0);
	assert_int_equal(report_series(&r, 0, 9, &s), 0);
	assert_int_equal(audit_percentile(&s, 100, 0.05), 300);
	report_series_free(&s);
	report_free(&r);
}

static void test_audit_verdicts(void **state)
{
	struct mt_report r;
	struct mt_group g = {};
	struct mt_audit a;

	(void)state;
	report_init(&r, 0, true);
	r.end_ns = 100;
	r.by = MT_BY_CGROUP;
	r.audit_margin = 0.2;
	g.rss.peak = 40;
	assert_int_equal(report_update_cgroup(&r, 1, &g), 0);
	g.rss.peak = 95;
	assert_int_equal(report_update_cgroup(&r, 2, &g), 0);
	g.rss.peak = 70;
	assert_int_equal(report_update_cgroup(&r, 3, &g), 0);
	assert_int_equal(report_update_cgroup(&r, 4, &g), 0);
	for (int i = 0; i < 3; i++)
		r.cgroups[i].memcg = (struct mt_memcg){ .known = true, .limit = 100 };
	assert_int_equal(audit_build(&r, &a), 0);
	assert_int_equal(a.n, 4);
	/* largest peak first */
	assert_string_equal(a.entries[0].verdict, "at-risk");
	assert_int_equal(a.entries[0].suggested, 114);
	assert_string_equal(a.entries[1].verdict, "ok");
	assert_string_equal(a.entries[2].verdict, "no-limit");
	assert_string_equal(a.entries[3].verdict, "over-provisioned");
	audit_free(&a);
	report_free(&r);
}

/*
 * --by workload: a workload's peak is its largest run's, not the sum of its
 * runs; its usage over time is the largest run's at each moment.
 */
static void test_audit_by_workload(void **state)
{
	struct mt_report r;
	struct mt_group g = {};
	struct mt_audit a;

	(void)state;
	report_init(&r, 0, true);
	r.end_ns = 100;
	r.by = MT_BY_WORKLOAD;
	r.audit_margin = 0.5;
	for (int id = 1; id <= 3; id++) {
		g.rss.peak = id * 100;
		assert_int_equal(report_update_cgroup(&r, id, &g), 0);
	}
	snprintf(r.cgroups[0].names.workload, sizeof(r.cgroups[0].names.workload), "shop/web");
	snprintf(r.cgroups[1].names.workload, sizeof(r.cgroups[1].names.workload), "shop/web");
	snprintf(r.cgroups[2].names.workload, sizeof(r.cgroups[2].names.workload), "batch");
	r.cgroups[0].memcg = (struct mt_memcg){ .known = true, .limit = 1000 };
	r.cgroups[1].memcg = (struct mt_memcg){ .known = true, .limit = 400 };
	/* run 1 holds 100 for [0, 50), run 2 holds 200 for [50, 100) */
	assert_int_equal(report_add_cgroup_row(&r, 1, 0, 100), 0);
	assert_int_equal(report_add_cgroup_row(&r, 2, 0, 0), 0);
	assert_int_equal(report_add_cgroup_row(&r, 1, 50, 0), 0);
	assert_int_equal(report_add_cgroup_row(&r, 2, 50, 200), 0);
	assert_int_equal(report_add_cgroup_row(&r, 3, 10, 300), 0);
	assert_int_equal(audit_build(&r, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.entries[0].label, "batch");
	assert_string_equal(a.entries[1].workload, "shop/web");
	assert_int_equal(a.entries[1].peak, 200);
	assert_int_equal(a.entries[1].containers, 2);
	assert_int_equal(a.entries[1].limit, 1000);
	assert_int_equal(a.entries[1].p50, 100);
	assert_int_equal(a.entries[1].p99, 200);
	assert_int_equal(a.entries[1].suggested, 300);
	assert_string_equal(a.entries[1].verdict, "over-provisioned");
	assert_string_equal(a.entries[0].verdict, "no-limit");
	audit_free(&a);
	report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_percentiles),
		cmocka_unit_test(test_audit_by_workload),
		cmocka_unit_test(test_audit_verdicts),
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_pid_reuse_new_record),
		cmocka_unit_test(test_map_read_before_fork_record),
		cmocka_unit_test(test_map_read_during_exit),
		cmocka_unit_test(test_bad_records_rejected),
		cmocka_unit_test(test_finish_closes_series),
		cmocka_unit_test(test_json_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
