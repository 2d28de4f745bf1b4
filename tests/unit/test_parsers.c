// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_parsers.c - the parsers of untrusted or user-given text: numbers and
 * pid lists (util.c), /proc/PID/status and stat, argv joining (procfs.c),
 * and the command line (options.c), every option of which is documented.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fleet.h"
#include "options.h"
#include "procfs.h"
#include "top.h"
#include "util.h"

static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(mt_parse_u64("42", false, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(mt_parse_u64("4K", true, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(mt_parse_u64("1M", true, &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(mt_parse_u64("2GiB", true, &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(mt_parse_u64("1M", false, &v), -EINVAL);
	assert_int_equal(mt_parse_u64("", true, &v), -EINVAL);
	assert_int_equal(mt_parse_u64("-1", true, &v), -EINVAL);
	assert_int_equal(mt_parse_u64(" 1", true, &v), -EINVAL);
	assert_int_equal(mt_parse_u64("1x", true, &v), -EINVAL);
	assert_int_equal(mt_parse_u64("99999999999999999999", true, &v), -EINVAL);
	assert_int_equal(mt_parse_u64("17000000T", true, &v), -EINVAL); /* overflows when shifted */
}

static void test_parse_seconds(void **state)
{
	double d;

	(void)state;
	assert_int_equal(mt_parse_seconds("0.5", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(mt_parse_seconds("3", &d), 0);
	assert_int_equal(mt_parse_seconds("-1", &d), -EINVAL);
	assert_int_equal(mt_parse_seconds("nan", &d), -EINVAL);
	assert_int_equal(mt_parse_seconds("inf", &d), -EINVAL);
	assert_int_equal(mt_parse_seconds("1s", &d), -EINVAL);
}

static void test_parse_pid_list(void **state)
{
	int *pids, n;

	(void)state;
	assert_int_equal(mt_parse_pid_list("12,34", &pids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[1], 34);
	free(pids);
	assert_int_equal(mt_parse_pid_list("0", &pids, &n), -EINVAL);
	assert_int_equal(mt_parse_pid_list("", &pids, &n), -EINVAL);
	assert_int_equal(mt_parse_pid_list(",", &pids, &n), -EINVAL);
	assert_int_equal(mt_parse_pid_list("1,x", &pids, &n), -EINVAL);
	assert_int_equal(mt_parse_pid_list("4294967297", &pids, &n), -EINVAL);
	/* a pid listed twice is one target */
	assert_int_equal(mt_parse_pid_list("7,8,7", &pids, &n), 0);
	assert_int_equal(n, 2);
	free(pids);
}

static void test_format_bytes(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(mt_format_bytes(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(mt_format_bytes(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(mt_format_bytes(1536, buf, sizeof(buf)), "1.5 KiB");
	assert_string_equal(mt_format_bytes(200ull << 20, buf, sizeof(buf)), "200.0 MiB");
}

static const char status_text[] = "Name:\tmy prog\n"
				  "Umask:\t0022\n"
				  "State:\tS (sleeping)\n"
				  "Tgid:\t4242\n"
				  "Pid:\t4243\n"
				  "PPid:\t1\n"
				  "VmPeak:\t  20000 kB\n"
				  "VmSize:\t  10000 kB\n"
				  "VmHWM:\t    512 kB\n"
				  "VmRSS:\t    400 kB\n"
				  "RssAnon:\t     100 kB\n"
				  "RssFile:\t     250 kB\n"
				  "RssShmem:\t      50 kB\n"
				  "VmSwap:\t       8 kB\n"
				  "CapEff:\t000001ffffffffff\n";

static void test_parse_status(void **state)
{
	struct mt_proc_status st;

	(void)state;
	assert_int_equal(procfs_parse_status(status_text, &st), 0);
	assert_string_equal(st.name, "my prog");
	assert_int_equal(st.tgid, 4242);
	assert_int_equal(st.ppid, 1);
	assert_true(st.has_mm);
	assert_int_equal(st.rss_anon, 100 * 1024);
	assert_int_equal(st.rss_file, 250 * 1024);
	assert_int_equal(st.rss_shmem, 50 * 1024);
	assert_int_equal(st.vm_swap, 8 * 1024);
	assert_int_equal(st.vm_size, 10000 * 1024);
	assert_int_equal(st.vm_peak, 20000 * 1024);
	assert_int_equal(st.vm_hwm, 512 * 1024);
	assert_int_equal(st.cap_eff, 0x1ffffffffffull);
}

static void test_parse_status_zombie_and_garbage(void **state)
{
	struct mt_proc_status st;

	(void)state;
	/* a zombie: no memory lines */
	assert_int_equal(procfs_parse_status("Name:\tz\nTgid:\t7\nPPid:\t1\n", &st), 0);
	assert_false(st.has_mm);
	assert_int_equal(procfs_parse_status("", &st), -EINVAL);
	assert_int_equal(procfs_parse_status("no colon at all", &st), -EINVAL);
	/* a name longer than comm is cut, never overflows */
	assert_int_equal(procfs_parse_status("Name:\taaaaaaaaaaaaaaaaaaaaaaaaaaaa\nTgid:\t1\n", &st), 0);
	assert_int_equal(strlen(st.name), 15);
}

static void test_parse_stat(void **state)
{
	struct mt_proc_stat st;
	/* comm holds ") (" and spaces: only the last ')' ends it */
	const char *text = "123 (a) (b c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
			   "98765 1000000 300 18446744073709551615\n";

	(void)state;
	assert_int_equal(procfs_parse_stat(text, &st), 0);
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.starttime, 98765);
	assert_false(procfs_is_kernel_thread(&st));
	assert_int_equal(procfs_parse_stat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 "
					   "20 0 1 0 5 0 0\n", &st), 0);
	assert_true(procfs_is_kernel_thread(&st));
	assert_int_equal(procfs_parse_stat("1 (x) S 1 2", &st), -EINVAL);
	assert_int_equal(procfs_parse_stat("no paren", &st), -EINVAL);
}

static void test_join_args(void **state)
{
	char *line;

	(void)state;
	line = procfs_join_args("ls\0-l\0/tmp\0", 11);
	assert_string_equal(line, "ls -l /tmp");
	free(line);
	line = procfs_join_args("", 0);
	assert_string_equal(line, "");
	free(line);
}

static int parse(struct mt_options *o, ...)
{
	char *argv[32];
	va_list ap;
	int argc = 0;

	argv[argc++] = "memtrace";
	va_start(ap, o);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0;
	return options_parse(o, argc, argv);
}

static void test_options(void **state)
{
	struct mt_options o;

	(void)state;
	assert_int_equal(parse(&o, "-i", "0", "--json", "-", "--", "ls", "-l", NULL), 0);
	assert_int_equal(o.mode, MT_MODE_COMMAND);
	assert_string_equal(o.command[0], "ls");
	assert_string_equal(o.command[1], "-l");
	assert_true(o.interval == 0);
	assert_string_equal(o.json_path, "-");
	options_free(&o);

	assert_int_equal(parse(&o, "-p", "1,2", "--children", "-d", "2.5", NULL), 0);
	assert_int_equal(o.mode, MT_MODE_PIDS);
	assert_int_equal(o.nr_pids, 2);
	assert_true(o.children);
	assert_true(o.duration == 2.5);
	options_free(&o);

	assert_int_equal(parse(&o, "--resolution", "64K", "true", NULL), 0);
	assert_int_equal(o.resolution, 64 * 1024);
	options_free(&o);

	assert_int_equal(parse(&o, NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "-p", "1", "--", "ls", NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "--max-procs", "1", "ls", NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "-d", "0", "-p", "1", NULL), -EINVAL);
	options_free(&o);
}

/* The output of a shell command, whole (NULL if it failed). */
static char *command_output(const char *cmd)
{
	FILE *p = popen(cmd, "r"), *out;
	char *text = NULL, buf[4096];
	size_t len = 0, n;

	assert_non_null(p);
	out = open_memstream(&text, &len);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		fwrite(buf, 1, n, out);
	fclose(out);
	if (pclose(p)) {
		free(text);
		return NULL;
	}
	return text;
}

/* Does text hold --name as a whole word (not --name-more)? */
static bool has_option(const char *text, const char *name)
{
	char word[64];
	const char *p;
	size_t len;

	len = snprintf(word, sizeof(word), "--%s", name);
	for (p = text; (p = strstr(p, word)); p += len) {
		if (!p[len] || !strchr("abcdefghijklmnopqrstuvwxyz-", p[len]))
			return true;
	}
	return false;
}

/* Every long option the parser accepts is in --help and in the man page as rendered. */
static void test_every_option_documented(void **state)
{
	const char *out = getenv("MEMTRACE_OUTPUT"), *name;
	char *help = NULL, *man, cmd[512];
	size_t len = 0, i;
	FILE *f;

	(void)state;
	f = open_memstream(&help, &len);
	options_usage(f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "LC_ALL=C MANWIDTH=1000 man -P cat -l %s/memtrace.1 2>&1",
		 out ? out : ".output");
	man = command_output(cmd);
	assert_non_null(man);
	for (i = 0; (name = options_long_name(i)); i++) {
		if (!has_option(help, name))
			fail_msg("--%s is not in --help", name);
		if (!has_option(man, name))
			fail_msg("--%s is not in the man page", name);
	}
	assert_true(i > 30);
	free(help);
	free(man);
}

/* Each mode's own defaults, and the options that go with one mode only. */
static void test_option_modes(void **state)
{
	struct mt_options o;

	(void)state;
	assert_int_equal(parse(&o, "serve", NULL), 0);
	assert_int_equal(o.mode, MT_MODE_SERVE);
	assert_true(o.quiet);
	assert_string_equal(o.listen, "127.0.0.1:9464");
	assert_null(o.prometheus);
	assert_false(o.stacks);
	options_free(&o);

	assert_int_equal(parse(&o, "audit", "-d", "5", NULL), 0);
	assert_int_equal(o.by, MT_BY_CONTAINER);
	assert_true(o.margin > 0.19 && o.margin < 0.21);
	options_free(&o);
	assert_int_equal(parse(&o, "audit", "-d", "5", "--by", "process", NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "audit", NULL), -EINVAL); /* no window */
	options_free(&o);

	assert_int_equal(parse(&o, "-p", "1", NULL), 0);
	assert_true(o.stacks); /* -- and -p sample stacks by default */
	assert_int_equal(o.by, MT_BY_PROCESS);
	options_free(&o);
	assert_int_equal(parse(&o, "-a", "--pprof", "p.pb.gz", NULL), 0);
	assert_true(o.stacks); /* a stacks output asks for them */
	options_free(&o);
	assert_int_equal(parse(&o, "-a", "--no-stacks", "--pprof", "p", NULL), -EINVAL);
	options_free(&o);

	/* --listen is serve's, --prometheus -a's: one field each */
	assert_int_equal(parse(&o, "-a", "--prometheus", "127.0.0.1:9000", NULL), 0);
	assert_string_equal(o.prometheus, "127.0.0.1:9000");
	options_free(&o);
	assert_int_equal(parse(&o, "-p", "1", "--listen", "127.0.0.1:9000", NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "serve", "--listen", "localhost:abc", NULL), -EINVAL);
	options_free(&o);
	/* --top is serve's count, top is the subcommand */
	assert_int_equal(parse(&o, "serve", "--top", "3", NULL), 0);
	assert_int_equal(o.top_processes, 3);
	options_free(&o);
	assert_int_equal(parse(&o, "top", "-b", "-n", "2", "--sort", "peak", NULL), 0);
	assert_int_equal(o.mode, MT_MODE_TOP);
	assert_int_equal(o.iterations, 2);
	assert_int_equal(o.sort, MT_SORT_PEAK);
	options_free(&o);
	assert_int_equal(parse(&o, "-b", "--", "ls", NULL), -EINVAL);
	options_free(&o);
	assert_int_equal(parse(&o, "--user", "x", "-a", NULL), -EINVAL);
	options_free(&o);
	/* a scope is -a within a subtree */
	assert_int_equal(parse(&o, "--cgroup", "/x", NULL), 0);
	assert_int_equal(o.mode, MT_MODE_ALL);
	options_free(&o);
	assert_int_equal(parse(&o, "--unwind", "fp", "--", "ls", NULL), 0);
	assert_int_equal(o.unwind, MT_SAMPLE_HAS_FP);
	assert_string_equal(o.unwind_name, "fp");
	options_free(&o);
}

/* audit --window: Prometheus durations, and nothing else */
static void test_fleet_window(void **state)
{
	(void)state;
	assert_true(fleet_parse_window("7d") == 7 * 86400);
	assert_true(fleet_parse_window("1h30m") == 5400);
	assert_true(fleet_parse_window("90s") == 90);
	assert_true(fleet_parse_window("2w") == 14 * 86400);
	assert_true(fleet_parse_window("") < 0);
	assert_true(fleet_parse_window("7") < 0);
	assert_true(fleet_parse_window("d") < 0);
	assert_true(fleet_parse_window("7x") < 0);
	assert_true(fleet_parse_window("-1d") < 0);
	assert_true(fleet_parse_window("0s") < 0);
	assert_true(fleet_parse_window("1d ") < 0);
	assert_true(fleet_url_valid("http://prometheus:9090"));
	assert_true(fleet_url_valid("https://mimir.example/prometheus/"));
	assert_false(fleet_url_valid("prometheus:9090"));
	assert_false(fleet_url_valid("ftp://prometheus"));
	assert_false(fleet_url_valid("http://"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_parse_pid_list),
		cmocka_unit_test(test_format_bytes),
		cmocka_unit_test(test_parse_status),
		cmocka_unit_test(test_parse_status_zombie_and_garbage),
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_join_args),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_option_modes),
		cmocka_unit_test(test_every_option_documented),
		cmocka_unit_test(test_fleet_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
