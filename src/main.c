// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * main.c - memtrace's modes: `-- CMD` (run and trace a command), `-p PID`
 * (attach to running processes), `-a` and its scopes (every process), and
 * the `top` and `audit` views of -a. All load the BPF side, seed the traced
 * set, attach, poll the ring buffer until the end condition (with a live
 * line or table at each tick), collect the final state from the maps and
 * hand the report to the writers.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "events.h"
#include "loader.h"
#include "options.h"
#include "prometheus.h"
#include "output.h"
#include "procfs.h"
#include "report.h"
#include "seed.h"
#include "spawn.h"
#include "top.h"
#include "util.h"

#define POLL_MS 50

#define CAP_SYS_ADMIN 21
#define CAP_PERFMON 38
#define CAP_BPF 39

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed terminal or ssh session: detach and report like SIGTERM */
	sigaction(SIGHUP, &sa, NULL);
	/* a closed stdout is a write error to report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
}

static bool has_bpf_privileges(void)
{
	struct mt_proc_status st;

	if (procfs_read_status(getpid(), &st))
		return geteuid() == 0;
	return (st.cap_eff & (1ull << CAP_SYS_ADMIN)) ||
	       ((st.cap_eff & (1ull << CAP_BPF)) && (st.cap_eff & (1ull << CAP_PERFMON)));
}

/* The outputs of this run, opened (created) before tracing starts. */
#define MT_MAX_OUTPUTS 8

struct output {
	struct mt_outfile file;
	const struct mt_writer *writer;
};

struct outputs {
	struct output items[MT_MAX_OUTPUTS];
	size_t nr;
};

static int open_output(struct outputs *o, const char *path, const struct mt_writer *writer)
{
	struct output *out = &o->items[o->nr];
	int err;

	if (!path)
		return 0;
	err = mt_outfile_open(&out->file, path);
	if (err) {
		mt_err("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	out->writer = writer;
	o->nr++;
	return 0;
}

static int open_outputs(struct outputs *o, const struct mt_options *opts)
{
	const char *outs[] = { opts->json_path, opts->timeline_path, opts->folded_path,
			       opts->folded_peak_path, opts->pprof_path, opts->html_path };
	bool stdout_taken = false;
	size_t i;
	int err;

	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		stdout_taken |= outs[i] && !strcmp(outs[i], "-");
	memset(o, 0, sizeof(*o));
	err = open_output(o, opts->json_path, opts->audit ? &mt_writer_audit_json : &mt_writer_json);
	if (!err)
		err = open_output(o, opts->timeline_path, &mt_writer_timeline);
	if (!err)
		err = open_output(o, opts->folded_path, &mt_writer_folded);
	if (!err)
		err = open_output(o, opts->folded_peak_path, &mt_writer_folded_peak);
	if (!err)
		err = open_output(o, opts->pprof_path, &mt_writer_pprof);
	if (!err)
		err = open_output(o, opts->html_path, &mt_writer_html);
	/* the text report goes to stdout unless stdout carries a machine format or top's table */
	if (!err && !opts->quiet && !stdout_taken && !opts->top)
		err = open_output(o, "-", opts->audit ? &mt_writer_audit_text : &mt_writer_text);
	return err;
}

static void abort_outputs(struct outputs *o)
{
	size_t i;

	for (i = 0; i < o->nr; i++)
		mt_outfile_abort(&o->items[i].file);
}

/* Write one report and move it into place, or remove the temporary: never half a file. */
static int write_output(struct output *out, const struct mt_report *r)
{
	char *name;
	int err;

	name = strdup(strcmp(out->file.path, "-") ? out->file.path : "stdout");
	err = out->writer->write(r, out->file.f);
	if (err)
		mt_outfile_abort(&out->file);
	else
		err = mt_outfile_commit(&out->file);
	if (err)
		mt_err("cannot write the %s report to %s: %s", out->writer->name,
		       name ? name : "?", strerror(-err));
	free(name);
	return err;
}

/* Every output is attempted, even after one failed; 0 only if all were written. */
static int write_outputs(struct outputs *o, const struct mt_report *r)
{
	bool failed = false;
	size_t i;

	for (i = 0; i < o->nr; i++)
		failed |= write_output(&o->items[i], r) != 0;
	return failed ? -EIO : 0;
}

struct live_state {
	struct mt_report *r;
	uint64_t last_ns;
	uint64_t last_faults;
};

/* The cgroups' groups at one moment: the live table's, a scrape's. */
struct cgroup_snapshots {
	struct mt_cgroup_snapshot *items;
	size_t n;
};

static int collect_cgroup(void *ctx, uint64_t id, const struct mt_group *g)
{
	struct cgroup_snapshots *c = ctx;
	struct mt_cgroup_snapshot *grown = realloc(c->items, (c->n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->items = grown;
	c->items[c->n++] = (struct mt_cgroup_snapshot){ id, *g };
	return 0;
}

/* memtrace top: one table, then the next interval's window peaks start afresh. */
static void top_tick(struct mt_tracer *t, struct mt_top *top, struct mt_report *r,
		     struct mt_cgroups *cg, uint64_t now)
{
	struct cgroup_snapshots c = {};

	mt_tracer__for_each_cgroup(t, collect_cgroup, &c);
	top_render(top, stdout, r, c.items, c.n, mt_tracer__window(t), cg, now);
	mt_tracer__advance_window(t);
	free(c.items);
}

static int refresh_one(void *ctx, const struct mt_proc *k)
{
	return report_update(ctx, k);
}

/* Learn each cgroup's path and memcg figures while it exists: a short-lived container's go soon. */
static int learn_cgroup(void *ctx, uint64_t id, const struct mt_group *g)
{
	(void)g;
	cgroups_memcg(ctx, id);
	return 0;
}

/*
 * Faults of the processes still running, from the kernel's counters in
 * /proc/PID/stat (BPF takes the final count at exit); returns the total over
 * every process traced.
 */
static uint64_t refresh_faults(struct mt_report *r)
{
	struct mt_proc_stat stat;
	struct mt_process *p;
	uint64_t n = 0;

	for (size_t i = 0; i < r->nr_procs; i++) {
		p = r->procs[i];
		if (!p->exited && !(p->k.flags & MT_PROC_AWAIT_EXEC) &&
		    procfs_read_stat(p->k.tgid, &stat) == 0 && stat.faults >= p->k.faults_base)
			p->k.faults = stat.faults - p->k.faults_base;
		n += p->k.faults;
	}
	return n;
}

/* Bring the live processes up to date and print the live line or table. */
static void live_tick(struct mt_tracer *t, struct mt_cgroups *cg, struct mt_top *top,
		      struct live_state *ls, bool print)
{
	struct mt_report *r = ls->r;
	uint64_t now = mt_now_ns(), faults;
	char rss[32], peak[32];
	double dt;

	mt_tracer__for_each_proc(t, refresh_one, r);
	mt_tracer__read_group(t, &r->group);
	if (cg)
		mt_tracer__for_each_cgroup(t, learn_cgroup, cg);
	mt_tracer__read_stats(t, &r->stats);
	faults = refresh_faults(r);
	dt = (now - ls->last_ns) / 1e9;
	if (top)
		top_tick(t, top, r, cg, now);
	else if (print)
		fprintf(stderr, "memtrace: %7.1f s  rss %10s  peak %10s  faults/s %9.0f  lost %llu\n",
			report_seconds(r, now), mt_format_bytes(r->group.rss.rss, rss, sizeof(rss)),
			mt_format_bytes(r->group.rss.peak, peak, sizeof(peak)),
			dt > 0 ? (faults - ls->last_faults) / dt : 0.0,
			(unsigned long long)report_lost_events(r));
	ls->last_ns = now;
	ls->last_faults = faults;
}

/*
 * -p: are all the listed processes gone? One that /proc no longer has sent
 * its exit record before it was reaped: drain the ring buffer first, so
 * that only a process that exited before attach is marked gone without it.
 */
static bool all_targets_gone(struct mt_tracer *t, struct mt_report *r,
			     const struct mt_options *opts)
{
	struct mt_proc_stat stat;
	struct mt_process *p;
	bool all_gone = true, drained = false;

	for (int i = 0; i < opts->nr_pids; i++) {
		if (!report_find_live(r, opts->pids[i]) ||
		    procfs_read_stat(opts->pids[i], &stat) != -ENOENT) {
			all_gone &= !report_find_live(r, opts->pids[i]);
			continue;
		}
		if (!drained) {
			mt_tracer__poll(t, 0);
			drained = true;
		}
		p = report_find_live(r, opts->pids[i]);
		if (p)
			report_mark_gone(r, p, mt_now_ns());
	}
	return all_gone;
}

struct run {
	const struct mt_options *opts;
	struct mt_top *top;	      /* memtrace top; NULL otherwise */
	struct mt_server *server;     /* serve, -a --prometheus: the /metrics endpoint */
	int epoll_fd;		      /* with a server: the ring buffer's and the server's fds */
	bool raw_terminal;	      /* top reads keys: the terminal's mode to restore */
	struct termios saved_terminal;
	struct mt_cgroup_scope scope; /* --cgroup/--container; id 0: none */
	struct mt_tracer *tracer;
	struct mt_cgroups *cgroups; /* NULL: no memory hierarchy; groups keep their ids */
	struct mt_report *report;
	struct mt_child child;
	int child_status;
	bool child_done;
};

/* top: the keys pressed since the last look; false when one asks to quit. */
static bool read_keys(struct mt_top *top)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char key;

	while (poll(&pfd, 1, 0) > 0 && read(STDIN_FILENO, &key, 1) == 1) {
		if (!top_key(top, key))
			return false;
	}
	return true;
}

/* top on a terminal: keys without Enter, no echo; restored at the end. */
static void enter_raw_terminal(struct run *run)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &run->saved_terminal))
		return;
	raw = run->saved_terminal;
	raw.c_lflag &= ~(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	run->raw_terminal = !tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static void leave_raw_terminal(struct run *run)
{
	if (run->raw_terminal)
		tcsetattr(STDIN_FILENO, TCSANOW, &run->saved_terminal);
	run->raw_terminal = false;
}

/* One scrape: everything brought up to date, written, then the next interval starts. */
static char *scrape_metrics(void *ctx, bool openmetrics, size_t *len)
{
	struct mt_program_stats programs[16];
	struct run *run = ctx;
	struct mt_report *r = run->report;
	struct cgroup_snapshots groups = {};
	struct mt_metrics m = {};
	char *body = NULL;
	FILE *f;
	int err;

	mt_tracer__poll(run->tracer, 0);
	mt_tracer__for_each_proc(run->tracer, refresh_one, r);
	mt_tracer__read_group(run->tracer, &r->group);
	mt_tracer__read_stats(run->tracer, &r->stats);
	refresh_faults(r);
	if (mt_tracer__for_each_cgroup(run->tracer, collect_cgroup, &groups) < 0)
		goto out;
	m.report = r;
	m.cgroup_groups = groups.items;
	m.nr_cgroups = groups.n;
	m.cgroups = run->cgroups;
	m.window = mt_tracer__window(run->tracer);
	m.top = run->opts->top_processes;
	m.programs = programs;
	m.nr_programs = mt_tracer__program_stats(run->tracer, programs, 16);
	f = open_memstream(&body, len);
	if (!f)
		goto out;
	err = prometheus_write(f, &m, openmetrics);
	if (fclose(f) || err) {
		free(body);
		body = NULL;
	}
	mt_tracer__advance_window(run->tracer);
out:
	free(groups.items);
	return body;
}

/* With a server: wait for records or requests, then serve both. */
static int poll_serving(struct run *run)
{
	struct epoll_event ev[2];
	int n, err;

	n = epoll_wait(run->epoll_fd, ev, 2, POLL_MS);
	if (n < 0 && errno != EINTR)
		return -errno;
	err = mt_tracer__poll(run->tracer, 0);
	server_run(run->server);
	return err;
}

static int start_server(struct run *run)
{
	struct epoll_event ev = { .events = EPOLLIN };

	run->server = server_start(run->opts->listen, scrape_metrics, run);
	if (!run->server)
		return -1;
	run->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (run->epoll_fd < 0 ||
	    epoll_ctl(run->epoll_fd, EPOLL_CTL_ADD, mt_tracer__epoll_fd(run->tracer), &ev) ||
	    epoll_ctl(run->epoll_fd, EPOLL_CTL_ADD, server_fd(run->server), &ev)) {
		mt_err("cannot wait for requests: %s", strerror(errno));
		return -1;
	}
	if (!run->opts->quiet || run->opts->serve)
		fprintf(stderr, "memtrace: serving http://%s/metrics\n", run->opts->listen);
	return 0;
}

/* Poll until the command exits, the -p processes are gone, -d passes, or a signal. */
static int trace_until_done(struct run *run)
{
	const struct mt_options *opts = run->opts;
	struct mt_report *r = run->report;
	uint64_t interval_ns = opts->interval * 1e9, check_ns = 200 * 1000000ull;
	uint64_t deadline = opts->duration ? r->start_ns + (uint64_t)(opts->duration * 1e9) : 0;
	struct live_state ls = { .r = r, .last_ns = r->start_ns };
	uint64_t next_tick = r->start_ns + (interval_ns ? interval_ns : check_ns), now;
	long iterations = 0;
	int err;

	while (!stop_signal) {
		err = run->server ? poll_serving(run) : mt_tracer__poll(run->tracer, POLL_MS);
		if (err < 0) {
			mt_err("cannot read events: %s", strerror(-err));
			return err;
		}
		if (opts->mode == MT_MODE_COMMAND) {
			pid_t pid = waitpid(run->child.pid, &run->child_status, WNOHANG);

			if (pid == run->child.pid) {
				run->child_done = true;
				break;
			}
		}
		now = mt_now_ns();
		if (deadline && now >= deadline)
			break;
		if (now >= next_tick) {
			live_tick(run->tracer, run->cgroups, run->top, &ls, interval_ns != 0);
			next_tick = now + (interval_ns ? interval_ns : check_ns);
			if (opts->mode == MT_MODE_PIDS && all_targets_gone(run->tracer, r, opts))
				break;
			if (opts->iterations && ++iterations >= opts->iterations)
				break;
		}
		if (run->raw_terminal && !read_keys(run->top))
			break;
	}
	return 0;
}

struct cgroup_ctx {
	struct mt_report *r;
	struct mt_cgroups *cg;
};

static int add_cgroup(void *ctx, uint64_t id, const struct mt_group *g)
{
	struct cgroup_ctx *c = ctx;
	const char *path = c->cg ? cgroups_path(c->cg, id) : NULL;
	const struct mt_memcg *memcg = path ? cgroups_memcg(c->cg, id) : NULL;
	const struct mt_runtime_names *names = path ? cgroups_runtime_names(c->cg, id) : NULL;
	int err;

	err = report_add_cgroup(c->r, id, g, path);
	if (!err && memcg)
		c->r->cgroups[c->r->nr_cgroups - 1].memcg = *memcg;
	if (!err && names)
		c->r->cgroups[c->r->nr_cgroups - 1].names = *names;
	return err;
}

/* Drain what is left and take every process's final state from the maps. */
static int collect_final_state(struct run *run)
{
	struct mt_report *r = run->report;
	struct mt_proc_status st;
	struct mt_process *p;
	struct rusage usage;
	int err;

	err = mt_tracer__poll(run->tracer, 0);
	if (err >= 0)
		err = mt_tracer__for_each_proc(run->tracer, refresh_one, r);
	/* what is still in the kernel's map: the processes running now (soak test's gauge) */
	if (err >= 0)
		r->map_in_use = err;
	if (err >= 0)
		err = mt_tracer__read_group(run->tracer, &r->group);
	if (err >= 0) {
		struct cgroup_ctx c = { r, run->cgroups };

		err = mt_tracer__for_each_cgroup(run->tracer, add_cgroup, &c);
		report_sort_cgroups(r);
	}
	if (err < 0) {
		mt_err("cannot read the final state: %s", strerror(-err));
		return err;
	}
	mt_tracer__read_stats(run->tracer, &r->stats);
	refresh_faults(r);
	if (getrusage(RUSAGE_SELF, &usage) == 0) { /* memtrace's own cost, without CMD's */
		r->self_user_ns = usage.ru_utime.tv_sec * MT_NS_PER_SEC + usage.ru_utime.tv_usec * 1000;
		r->self_sys_ns = usage.ru_stime.tv_sec * MT_NS_PER_SEC + usage.ru_stime.tv_usec * 1000;
		r->self_max_rss = usage.ru_maxrss * 1024ull;
	}
	/* the cross-check for processes that outlive the trace: the kernel's VmHWM now */
	for (size_t i = 0; i < r->nr_procs; i++) {
		p = r->procs[i];
		if (!p->exited && procfs_read_status(p->k.tgid, &st) == 0 && st.has_mm) {
			p->vmhwm = st.vm_hwm;
			p->vmhwm_known = true;
		}
	}
	return report_finish(r, mt_now_ns());
}

/* --cgroup PATH or --container ID to the subtree BPF restricts tracing to. */
static int resolve_scope(struct run *run)
{
	const struct mt_options *opts = run->opts;
	int err;

	if (!run->cgroups) {
		mt_err("no memory cgroup hierarchy on this host: --cgroup and --container need one");
		return -ENOENT;
	}
	if (opts->scope_cgroup) {
		err = cgroups_scope_from_path(run->cgroups, opts->scope_cgroup, &run->scope);
		if (err)
			mt_err("no memory cgroup '%s': %s", opts->scope_cgroup, strerror(-err));
		return err;
	}
	err = cgroups_scope_from_container(run->cgroups, opts->scope_container, &run->scope);
	if (err == -ENOENT)
		mt_err("no running container matches '%s'", opts->scope_container);
	else if (err == -EEXIST)
		mt_err("'%s' matches several containers: give more of its id",
		       opts->scope_container);
	else if (err)
		mt_err("cannot find container '%s': %s", opts->scope_container, strerror(-err));
	return err;
}

static int run_trace(struct run *run, struct outputs *outs)
{
	const struct mt_options *opts = run->opts;
	struct mt_report *r = run->report;
	struct mt_tracer_config cfg = {
		.follow_children = opts->mode == MT_MODE_COMMAND || opts->children,
		.exact = opts->exact,
		.trace_all = opts->mode == MT_MODE_ALL,
		.cgroup_resolution = opts->audit ? opts->resolution : 0,
		.resolution = opts->timeline_path || opts->html_path ? opts->resolution : 0,
		.max_procs = opts->max_procs,
		.max_cgroups = opts->max_cgroups,
		.ringbuf_bytes = opts->ringbuf_bytes,
		.verbose = opts->verbose,
		.fail_tracepoint = opts->fail_tracepoint,
		.stacks = opts->stacks ? opts->unwind : 0,
		.sample_bytes = opts->sample_bytes,
		.big_bytes = opts->big_bytes,
	};
	int err, code;

	if (opts->mode == MT_MODE_COMMAND && spawn_prepare(&run->child, opts->command, opts->user))
		return 1;
	/* scanned now, so that a cgroup removed before the end still has its path */
	run->cgroups = cgroups_open();
	if (run->cgroups)
		cgroups_path(run->cgroups, 0);
	r->cgroup_names = run->cgroups;
	if ((opts->scope_cgroup || opts->scope_container) && resolve_scope(run))
		goto fail;
	cfg.scope_cgroup_id = run->scope.id;
	cfg.scope_level = run->scope.level;
	run->tracer = mt_tracer__open(&cfg, events_handle, r);
	if (!run->tracer)
		goto fail;
	r->kernel = *mt_tracer__kernel(run->tracer);

	r->start_ns = mt_now_ns();
	if (opts->mode == MT_MODE_COMMAND) {
		err = seed_command_child(run->tracer, r, run->child.pid, r->start_ns);
		r->pids = &run->child.pid;
		r->nr_pids = 1;
	} else {
		err = seed_running(run->tracer, r, run->cgroups, &run->scope, opts->pids,
				   opts->mode == MT_MODE_ALL ? 0 : opts->nr_pids, r->start_ns);
	}
	if (err || mt_tracer__attach(run->tracer))
		goto fail;

	if (opts->mode == MT_MODE_COMMAND) {
		code = spawn_release(&run->child, opts->command[0]);
		if (code) {
			mt_tracer__destroy(run->tracer);
			return code;
		}
	} else if (!opts->quiet) {
		fprintf(stderr, "memtrace: tracing %zu process%s%s (Ctrl-C to stop)\n",
			r->nr_procs, r->nr_procs == 1 ? "" : "es",
			opts->mode == MT_MODE_ALL ? " and every new one" :
			opts->children		  ? " and their new descendants" :
						    "");
	}
	if (opts->listen && start_server(run))
		goto fail;
	if (opts->top) {
		run->top = top_new(opts->by, opts->sort, opts->batch);
		if (!run->top)
			goto fail;
		if (!opts->batch)
			enter_raw_terminal(run);
	}
	err = trace_until_done(run);
	leave_raw_terminal(run);
	if (err || collect_final_state(run))
		goto fail;
	mt_tracer__destroy(run->tracer);
	run->tracer = NULL;

	if (run->child_done) {
		r->has_exit_code = true;
		r->exit_code = mt_exit_code(run->child_status);
	}
	if (write_outputs(outs, r))
		return 1;
	/* top and serve: Ctrl-C (or SIGTERM) is how one leaves them */
	if (stop_signal && !opts->top && !opts->serve)
		return 128 + stop_signal;
	return r->has_exit_code ? r->exit_code : 0;
fail:
	if (opts->mode == MT_MODE_COMMAND)
		spawn_cancel(&run->child);
	mt_tracer__destroy(run->tracer);
	return 1;
}

int main(int argc, char **argv)
{
	struct mt_options opts;
	struct mt_report report;
	struct outputs outs;
	struct run run = {};
	int err, code;

	err = options_parse(&opts, argc, argv);
	if (err) {
		options_free(&opts);
		return err > 0 ? 0 : 2;
	}
	if (!has_bpf_privileges()) {
		mt_err("permission denied: tracing needs root, or the capabilities CAP_BPF and CAP_PERFMON");
		options_free(&opts);
		return 1;
	}
	if (open_outputs(&outs, &opts)) {
		abort_outputs(&outs);
		options_free(&opts);
		return 1;
	}
	setup_signals();
	report_init(&report, mt_now_ns(), opts.timeline_path || opts.html_path || opts.audit);
	report.command = opts.mode == MT_MODE_COMMAND ? opts.command : NULL;
	report.pids = opts.pids;
	report.nr_pids = opts.nr_pids;
	report.by = opts.by;
	report.audit_margin = opts.margin;
	report.keep_exited = opts.keep;
	if (opts.stacks &&
	    report_enable_stacks(&report, opts.unwind_name, opts.sample_bytes, opts.big_bytes)) {
		mt_err("out of memory");
		abort_outputs(&outs);
		report_free(&report);
		options_free(&opts);
		return 1;
	}

	run.opts = &opts;
	run.report = &report;
	run.epoll_fd = -1;
	code = run_trace(&run, &outs);
	top_free(run.top);
	server_stop(run.server);
	if (run.epoll_fd >= 0)
		close(run.epoll_fd);
	cgroups_free(run.cgroups);

	abort_outputs(&outs); /* whatever was not committed */
	report_free(&report);
	options_free(&opts);
	return code;
}
