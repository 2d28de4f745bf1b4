// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * seed.c - what is traced from the first moment (see seed.h): the `--`
 * child, waiting for its exec, and the processes already running, whose
 * memory now (from /proc) is their starting point, in the kernel's maps, in
 * the report and in the sums of the total and of each memory cgroup.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "seed.h"
#include "util.h"

/* CLOCK_MONOTONIC time of a process start given in clock ticks after boot. */
static uint64_t start_time_ns(unsigned long long starttime)
{
	struct timespec boot, mono;
	double started, now_boot;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	started = (double)starttime / sysconf(_SC_CLK_TCK);
	now_boot = boot.tv_sec + boot.tv_nsec / 1e9;
	/* BOOTTIME runs ahead of MONOTONIC by the time spent suspended */
	return (uint64_t)((mono.tv_sec + mono.tv_nsec / 1e9 - (now_boot - started)) * 1e9);
}

/*
 * A running process's starting point, from /proc: its counters now, its
 * fault count (the base for its faults from now on), its start. 0, or -ENOENT
 * (no such process), -EINVAL (a kernel thread), -ESRCH (a zombie), -errno.
 */
static int read_running_process(const struct mt_cgroups *cg, int pid, struct mt_proc *k,
				uint64_t now)
{
	struct mt_proc_status st;
	struct mt_proc_stat stat;
	int err;

	err = procfs_read_stat(pid, &stat);
	if (!err)
		err = procfs_read_status(pid, &st);
	if (err)
		return err;
	if (procfs_is_kernel_thread(&stat))
		return -EINVAL;
	if (!st.has_mm)
		return -ESRCH;
	memset(k, 0, sizeof(*k));
	k->tgid = st.tgid;
	k->ppid = st.ppid;
	k->flags = MT_PROC_ADOPT_MM | MT_PROC_ATTACHED;
	k->faults_base = stat.faults;
	k->maxrss_base = MT_MAXRSS_UNKNOWN; /* its earlier images' marks are not in /proc */
	k->start_ns = start_time_ns(stat.starttime);
	k->counters[MT_FILE] = st.rss_file;
	k->counters[MT_ANON] = st.rss_anon;
	k->counters[MT_SWAP] = st.vm_swap;
	k->counters[MT_SHMEM] = st.rss_shmem;
	memcpy(k->peak_counters, k->counters, sizeof(k->counters));
	k->rss.rss = k->rss.peak = k->rss.last_row_rss = st.rss_file + st.rss_anon + st.rss_shmem;
	k->rss.peak_ns = now;
	k->vm = k->peak_vm = k->vm_at_peak = st.vm_size;
	snprintf(k->comm, sizeof(k->comm), "%s", st.name);
	k->cgroup_id = cg ? cgroups_id_of_pid(cg, pid) : 0;
	return 0;
}

/* The starting sums of the processes seeded: of them all, and per memory cgroup. */
struct seed_sums {
	struct mt_group total;
	struct {
		uint64_t id;
		struct mt_group g;
	} *cgroups;
	size_t nr_cgroups, cap_cgroups;
};

static void sum_add(struct mt_group *g, const struct mt_proc *k)
{
	for (int i = 0; i < MT_NR_COUNTERS; i++) {
		g->counters[i] += k->counters[i];
		g->peak_counters[i] += k->counters[i];
	}
	g->vm += k->vm;
	g->vm_at_peak += k->vm;
}

static int sums_add(struct seed_sums *sums, const struct mt_proc *k)
{
	size_t i;

	sum_add(&sums->total, k);
	if (!k->cgroup_id)
		return 0;
	for (i = 0; i < sums->nr_cgroups && sums->cgroups[i].id != k->cgroup_id; i++)
		;
	if (i == sums->nr_cgroups) {
		if (mt_ensure_mem((void **)&sums->cgroups, &sums->cap_cgroups, sizeof(*sums->cgroups),
				  i + 1))
			return -ENOMEM;
		memset(&sums->cgroups[i], 0, sizeof(sums->cgroups[i]));
		sums->cgroups[i].id = k->cgroup_id;
		sums->nr_cgroups++;
	}
	sum_add(&sums->cgroups[i].g, k);
	return 0;
}

/* A sum's series starts at its sum now. */
static void sum_start(struct mt_group *g, uint64_t now)
{
	g->rss.rss = g->rss.peak = g->rss.last_row_rss =
		g->counters[MT_FILE] + g->counters[MT_ANON] + g->counters[MT_SHMEM];
	g->rss.peak_ns = now;
}

/* Trace a running process from now on: the report, the map and the sums. */
static int seed_process(const struct mt_seed_sink *sink, struct mt_report *r, const struct mt_proc *k,
			struct seed_sums *sums, uint64_t now)
{
	char *cmdline;
	int err;

	err = sink->add_proc(sink->ctx, k);
	if (err)
		return err;
	cmdline = procfs_read_cmdline(k->tgid);
	if (!report_add(r, k, cmdline)) {
		free(cmdline);
		return -ENOMEM;
	}
	free(cmdline);
	err = sums_add(sums, k);
	return err ? err : report_add_row(r, k->tgid, now, k->rss.rss, k->vm);
}

/* -p: each listed process, or one clear error. A thread's pid becomes its process's. */
static int seed_listed(const struct mt_seed_sink *sink, struct mt_report *r, const struct mt_cgroups *cg,
		       int *pids, int nr_pids, struct seed_sums *sums, uint64_t now)
{
	struct mt_proc k;
	int i, err;

	for (i = 0; i < nr_pids; i++) {
		err = read_running_process(cg, pids[i], &k, now);
		if (err == -ENOENT)
			mt_err("cannot attach to PID %d: no such process", pids[i]);
		else if (err == -EINVAL)
			mt_err("cannot attach to PID %d: it is a kernel thread (no user memory)",
			       pids[i]);
		else if (err == -ESRCH)
			mt_err("cannot attach to PID %d: it has exited (zombie)", pids[i]);
		else if (err)
			mt_err("cannot attach to PID %d: %s", pids[i], strerror(-err));
		if (err)
			return err;
		pids[i] = k.tgid;
		if (report_find_live(r, k.tgid))
			continue; /* listed twice, or a thread of a listed process */
		err = seed_process(sink, r, &k, sums, now);
		if (err) {
			mt_err("cannot trace PID %d: %s", k.tgid, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* -a: every user process now running; those gone meanwhile are skipped. */
static int seed_all(const struct mt_seed_sink *sink, struct mt_report *r, struct mt_cgroups *cg,
		    const struct mt_cgroup_scope *scope, struct seed_sums *sums, uint64_t now)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	struct mt_proc k;
	uint64_t pid;
	int err = 0;

	if (!proc) {
		mt_err("cannot read /proc: %s", strerror(errno));
		return -errno;
	}
	while (!err && (d = readdir(proc))) {
		if (mt_parse_u64(d->d_name, false, &pid) || pid == (uint64_t)getpid() ||
		    read_running_process(cg, pid, &k, now))
			continue;
		if (scope->id && !cgroups_in_scope(scope, cgroups_path(cg, k.cgroup_id)))
			continue;
		err = seed_process(sink, r, &k, sums, now);
		if (err == -ENOSPC) {
			r->untracked_at_start++; /* --max-procs is smaller than the host */
			err = 0;
		}
	}
	closedir(proc);
	if (err)
		mt_err("cannot trace the running processes: %s", strerror(-err));
	return err;
}

int seed_running(const struct mt_seed_sink *sink, struct mt_report *r, struct mt_cgroups *cg,
		 const struct mt_cgroup_scope *scope, int *pids, int nr_pids, uint64_t now)
{
	struct seed_sums sums = {};
	int err;

	err = nr_pids ? seed_listed(sink, r, cg, pids, nr_pids, &sums, now) :
			seed_all(sink, r, cg, scope, &sums, now);
	if (err)
		goto cleanup;
	sum_start(&sums.total, now);
	report_add_row(r, 0, now, sums.total.rss.rss, sums.total.vm);
	err = sink->set_group(sink->ctx, 0, &sums.total);
	for (size_t i = 0; !err && i < sums.nr_cgroups; i++) {
		sum_start(&sums.cgroups[i].g, now);
		err = sink->set_group(sink->ctx, sums.cgroups[i].id, &sums.cgroups[i].g);
		if (!err)
			err = report_add_cgroup_row(r, sums.cgroups[i].id, now,
						    sums.cgroups[i].g.rss.rss);
	}
	if (err)
		mt_err("cannot set up the groups: %s", strerror(-err));
cleanup:
	free(sums.cgroups);
	return err;
}

/* CMD's argv joined: its cmdline until the exec record brings the kernel's. */
static char *join_command(char **argv)
{
	size_t len = 0;
	char *line;

	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	line = malloc(len + 1);
	if (!line)
		return NULL;
	line[0] = '\0';
	for (int i = 0; argv[i]; i++) {
		if (i)
			strcat(line, " ");
		strcat(line, argv[i]);
	}
	return line;
}

int seed_command_child(const struct mt_seed_sink *sink, struct mt_report *r, pid_t pid, uint64_t now)
{
	struct mt_proc k = {};
	char *cmdline;
	int err;

	k.tgid = pid;
	k.ppid = getpid();
	k.flags = MT_PROC_AWAIT_EXEC;
	k.start_ns = now;
	k.rss.peak_ns = now;
	snprintf(k.comm, sizeof(k.comm), "%s", "memtrace");
	cmdline = join_command(r->command);
	if (!report_add(r, &k, cmdline)) {
		free(cmdline);
		return -ENOMEM;
	}
	free(cmdline);
	err = sink->add_proc(sink->ctx, &k);
	if (err)
		mt_err("cannot trace the command: %s", strerror(-err));
	return err;
}

