// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * session.c - one run (see session.h): the only user of the loader. The
 * data flows one way: the BPF programs fill the maps and the ring buffer,
 * session_refresh() brings the report up to date from them, the modes show
 * the report while tracing and the writers write it at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "events.h"
#include "loader.h"
#include "output.h"
#include "procfs.h"
#include "seed.h"
#include "session.h"
#include "spawn.h"
#include "unwind.h"
#include "util.h"

#define POLL_MS 50
#define SETTLE_NS (1000 * 1000000ull) /* the longest wait for CMD after a signal */
#define CHECK_NS (200 * 1000000ull) /* without -i: how often -p checks its targets */
#define EXIT_RECORD_NS (2000 * 1000000ull) /* the longest wait for a reaped CMD's exit record */

struct mt_session {
	const struct mt_options *opts;
	const struct mt_mode_ops *ops;
	void *mode;		/* the mode's state */
	struct mt_report report;
	struct mt_tracer *tracer;
	struct mt_cgroups *cgroups; /* NULL: no memory hierarchy; groups keep their ids */
	struct mt_cgroup_scope scope;
	struct mt_child child; /* -- CMD */
	bool child_waiting;    /* forked, not yet released to exec: killed if tracing fails */
	bool child_running;    /* released, not yet reaped */
	int child_status;
	int epoll_fd;
};

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

const struct mt_options *session_options(const struct mt_session *s)
{
	return s->opts;
}

struct mt_report *session_report(struct mt_session *s)
{
	return &s->report;
}

static int refresh_proc(void *ctx, const struct mt_proc *k)
{
	return report_update(ctx, k);
}

static int refresh_cgroup(void *ctx, uint64_t id, const struct mt_group *g)
{
	return report_update_cgroup(ctx, id, g);
}

/*
 * Faults of the processes still running, from the kernel's counters in
 * /proc/PID/stat (BPF takes the final count at exit).
 */
static void refresh_faults(struct mt_report *r)
{
	struct mt_proc_stat stat;
	struct mt_process *p;

	for (size_t i = 0; i < r->nr_procs; i++) {
		p = r->procs[i];
		if (!p->exited && !(p->k.flags & MT_PROC_AWAIT_EXEC) &&
		    procfs_read_stat(p->k.tgid, &stat) == 0 && stat.faults >= p->k.faults_base)
			p->k.faults = stat.faults - p->k.faults_base;
	}
}

int session_refresh(struct mt_session *s)
{
	struct mt_report *r = &s->report;
	int n, err;

	err = mt_tracer__poll(s->tracer, 0);
	if (err < 0)
		return err;
	n = mt_tracer__for_each_proc(s->tracer, refresh_proc, r);
	if (n < 0)
		return n;
	r->map_in_use = n; /* the kernel's map: the processes running now */
	err = mt_tracer__read_group(s->tracer, &r->group);
	if (!err)
		err = mt_tracer__for_each_cgroup(s->tracer, refresh_cgroup, r);
	if (err)
		return err;
	mt_tracer__read_stats(s->tracer, &r->stats);
	refresh_faults(r);
	report_count_cgroups(r);
	r->window = mt_tracer__window(s->tracer);
	r->nr_programs = mt_tracer__program_stats(s->tracer, r->programs, MT_MAX_PROGRAMS);
	return 0;
}

void session_next_window(struct mt_session *s)
{
	mt_tracer__advance_window(s->tracer);
}

/* --cgroup PATH or --container ID to the subtree BPF restricts tracing to. */
static int resolve_scope(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	int err;

	if (!s->cgroups) {
		mt_err("no memory cgroup hierarchy on this host: --cgroup and --container need one");
		return -ENOENT;
	}
	if (opts->scope_cgroup) {
		err = cgroups_scope_from_path(s->cgroups, opts->scope_cgroup, &s->scope);
		if (err)
			mt_err("no memory cgroup '%s': %s", opts->scope_cgroup, strerror(-err));
		return err;
	}
	err = cgroups_scope_from_container(s->cgroups, opts->scope_container, &s->scope);
	if (err == -ENOENT)
		mt_err("no running container matches '%s'", opts->scope_container);
	else if (err == -EEXIST)
		mt_err("'%s' matches several containers: give more of its id",
		       opts->scope_container);
	else if (err)
		mt_err("cannot find container '%s': %s", opts->scope_container, strerror(-err));
	return err;
}

static int sink_add_proc(void *ctx, const struct mt_proc *k)
{
	return mt_tracer__add_proc(ctx, k);
}

static int sink_set_group(void *ctx, uint64_t cgroup_id, const struct mt_group *g)
{
	return cgroup_id ? mt_tracer__set_cgroup_group(ctx, cgroup_id, g) :
			   mt_tracer__set_group(ctx, g);
}

static struct mt_tracer *open_tracer(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	bool timeline = opts->timeline_path || opts->html_path;
	struct mt_tracer_config cfg = {
		.follow_children = opts->mode == MT_MODE_COMMAND || opts->children,
		.exact = opts->exact,
		.trace_all = opts->mode != MT_MODE_COMMAND && opts->mode != MT_MODE_PIDS,
		.scope_cgroup_id = s->scope.id,
		.scope_level = s->scope.level,
		.cgroup_resolution = opts->mode == MT_MODE_AUDIT ? opts->resolution : 0,
		.resolution = timeline ? opts->resolution : 0,
		.max_procs = opts->max_procs,
		.max_cgroups = opts->max_cgroups,
		.ringbuf_bytes = opts->ringbuf_bytes,
		.verbose = opts->verbose,
		.fail_tracepoint = opts->fail_tracepoint,
		.stacks = opts->stacks ? opts->unwind : 0,
		.sample_bytes = opts->sample_bytes,
		.big_bytes = opts->big_bytes,
	};

	return mt_tracer__open(&cfg, events_handle, &s->report);
}

/*
 * Everything up to the first instruction traced: the command forked and
 * waiting, the cgroups scanned (so that a cgroup removed before the end
 * still has its path), the BPF side loaded, seeded and attached, then the
 * command released. 0, or an exit status after one stderr line (126/127:
 * the command could not run).
 */
static int start_tracing(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	struct mt_report *r = &s->report;
	struct mt_seed_sink sink = { sink_add_proc, sink_set_group, NULL };
	int err, code;

	if (opts->mode == MT_MODE_COMMAND) {
		if (spawn_prepare(&s->child, opts->command, opts->user))
			return 1;
		s->child_waiting = true;
	}
	s->cgroups = cgroups_open();
	if (s->cgroups)
		cgroups_path(s->cgroups, 0);
	r->cgroup_names = s->cgroups;
	if ((opts->scope_cgroup || opts->scope_container) && resolve_scope(s))
		return 1;
	s->tracer = open_tracer(s);
	if (!s->tracer)
		return 1;
	r->kernel = *mt_tracer__kernel(s->tracer);
	if (r->unwinder &&
	    unwinder_walk_python(r->unwinder, mt_tracer__python_layouts_fd(s->tracer),
				 mt_tracer__python_codes_fd(s->tracer))) {
		mt_err("out of memory");
		return 1;
	}
	sink.ctx = s->tracer;
	r->start_ns = mt_now_ns();
	if (opts->mode == MT_MODE_COMMAND) {
		err = seed_command_child(&sink, r, s->child.pid, r->start_ns);
		r->pids = &s->child.pid;
		r->nr_pids = 1;
	} else {
		err = seed_running(&sink, r, s->cgroups, &s->scope, opts->pids,
				   opts->mode == MT_MODE_PIDS ? opts->nr_pids : 0, r->start_ns);
	}
	if (err || mt_tracer__attach(s->tracer))
		return 1;
	if (opts->mode != MT_MODE_COMMAND && (err = mt_tracer__complete_seeds(s->tracer))) {
		mt_err("cannot read the running processes' kernel state: %s", strerror(-err));
		return 1;
	}
	if (opts->mode == MT_MODE_COMMAND) {
		code = spawn_release(&s->child, opts->command[0]);
		s->child_waiting = false;
		s->child_running = !code;
		return code;
	}
	if (!opts->quiet)
		fprintf(stderr, "memtrace: tracing %zu process%s%s (Ctrl-C to stop)\n", r->nr_procs,
			r->nr_procs == 1 ? "" : "es",
			opts->mode == MT_MODE_PIDS ? (opts->children ? " and their new descendants" : "") :
						      " and every new one");
	return 0;
}

/*
 * -p: are all the listed processes gone? One that /proc no longer has sent
 * its exit record before it was reaped: drain the ring buffer first, so
 * that only a process that exited before attach is marked gone without it.
 */
static bool all_targets_gone(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	struct mt_report *r = &s->report;
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
			mt_tracer__poll(s->tracer, 0);
			drained = true;
		}
		p = report_find_live(r, opts->pids[i]);
		if (p)
			report_mark_gone(r, p, mt_now_ns());
	}
	return all_gone;
}

/* -- CMD: has the command exited? */
static bool command_done(struct mt_session *s)
{
	if (!s->child_running || waitpid(s->child.pid, &s->child_status, WNOHANG) != s->child.pid)
		return false;
	s->child_running = false;
	s->report.has_exit_code = true;
	s->report.exit_code = mt_exit_code(s->child_status);
	return true;
}

/*
 * Wait up to POLL_MS for records or the mode's fd, and drain the records.
 * The mode is then given its turn whether its fd woke us or not:
 * libmicrohttpd has timeouts and buffered work of its own to run.
 */
static int wait_events(struct mt_session *s)
{
	struct epoll_event ev[2];

	if (s->epoll_fd < 0)
		return mt_tracer__poll(s->tracer, POLL_MS);
	if (epoll_wait(s->epoll_fd, ev, 2, POLL_MS) < 0 && errno != EINTR)
		return -errno;
	return mt_tracer__poll(s->tracer, 0);
}

static int watch_mode_fd(struct mt_session *s)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = s->ops->fd ? s->ops->fd(s->mode) : -1;

	if (fd < 0)
		return 0;
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, mt_tracer__epoll_fd(s->tracer), &ev) ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		goto fail;
	return 0;
fail:
	mt_err("cannot wait for events: %s", strerror(errno));
	return -1;
}

/*
 * A terminal's Ctrl-C signals CMD and memtrace at once: give CMD a moment to
 * exit of it, and the exits that signal causes a poll to arrive, so that the
 * report says how they ended rather than "running".
 */
static void settle_after_signal(struct mt_session *s)
{
	uint64_t until = mt_now_ns() + SETTLE_NS;

	if (!stop_signal)
		return;
	do {
		if (wait_events(s) < 0 || command_done(s))
			break;
	} while (s->child_running && mt_now_ns() < until);
}

/* Until the command exits, the -p processes are gone, -d passes, a signal, or the mode says. */
static int trace_until_done(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	uint64_t interval_ns = opts->interval * 1e9, tick_ns = interval_ns ? interval_ns : CHECK_NS;
	uint64_t start = s->report.start_ns, now, next_tick = start + tick_ns;
	uint64_t deadline = opts->duration ? start + (uint64_t)(opts->duration * 1e9) : 0;
	int err;

	while (!stop_signal) {
		err = wait_events(s);
		if (err < 0) {
			mt_err("cannot read events: %s", strerror(-err));
			return err;
		}
		if (s->epoll_fd >= 0 && !s->ops->on_fd(s, s->mode))
			break;
		if (command_done(s))
			break;
		now = mt_now_ns();
		if (deadline && now >= deadline)
			break;
		if (now < next_tick)
			continue;
		next_tick = now + tick_ns;
		if (opts->mode == MT_MODE_PIDS && all_targets_gone(s))
			break;
		if (s->ops->tick && (session_refresh(s) || !s->ops->tick(s, s->mode, now)))
			break;
	}
	settle_after_signal(s);
	return 0;
}

/*
 * CMD was reaped: its exit record is in the ring buffer already (the exit
 * program runs before a parent can reap), unless the kernel skipped that
 * program; then the exit is taken when the task is freed, an RCU grace
 * period after the reaping (bpf/lifecycle.bpf.c): wait for it a moment.
 */
static void await_command_exit(struct mt_session *s)
{
	uint64_t until = mt_now_ns() + EXIT_RECORD_NS;

	while (s->opts->mode == MT_MODE_COMMAND && !s->child_running && !s->child_waiting &&
	       report_find_live(&s->report, s->child.pid) && mt_now_ns() < until)
		mt_tracer__poll(s->tracer, POLL_MS);
}

/* Drain what is left and take every process's final state from the maps. */
static int read_final_state(struct mt_session *s)
{
	struct mt_report *r = &s->report;
	struct mt_proc_status st;
	struct rusage usage;
	int err;

	command_done(s); /* the command may have exited during the last poll */
	await_command_exit(s);
	err = session_refresh(s);
	if (err) {
		mt_err("cannot read the final state: %s", strerror(-err));
		return err;
	}
	if (getrusage(RUSAGE_SELF, &usage) == 0) { /* memtrace's own cost, without CMD's */
		r->self_user_ns = usage.ru_utime.tv_sec * MT_NS_PER_SEC + usage.ru_utime.tv_usec * 1000;
		r->self_sys_ns = usage.ru_stime.tv_sec * MT_NS_PER_SEC + usage.ru_stime.tv_usec * 1000;
		r->self_max_rss = usage.ru_maxrss * 1024ull;
	}
	/* the cross-check for processes that outlive the trace: the kernel's VmHWM now */
	for (size_t i = 0; i < r->nr_procs; i++) {
		struct mt_process *p = r->procs[i];

		if (!p->exited && procfs_read_status(p->k.tgid, &st) == 0 && st.has_mm) {
			p->vmhwm = st.vm_hwm;
			p->vmhwm_known = true;
		}
	}
	return report_finish(r, mt_now_ns());
}

static int setup_report(struct mt_session *s)
{
	const struct mt_options *opts = s->opts;
	struct mt_report *r = &s->report;

	report_init(r, mt_now_ns(),
		    opts->timeline_path || opts->html_path || opts->mode == MT_MODE_AUDIT);
	r->command = opts->mode == MT_MODE_COMMAND ? opts->command : NULL;
	r->pids = opts->pids;
	r->nr_pids = opts->mode == MT_MODE_PIDS ? opts->nr_pids : 0;
	r->by = opts->by;
	r->audit_margin = opts->margin;
	r->keep_exited = opts->keep;
	if (opts->stacks &&
	    report_enable_stacks(r, opts->unwind_name, opts->sample_bytes, opts->big_bytes)) {
		mt_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void session_cleanup(struct mt_session *s)
{
	if (s->child_waiting)
		spawn_cancel(&s->child);
	mt_tracer__destroy(s->tracer);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	cgroups_free(s->cgroups);
	report_free(&s->report);
}

int session_run(const struct mt_options *opts, const struct mt_mode_ops *ops)
{
	struct mt_session s = { .opts = opts, .ops = ops, .epoll_fd = -1 };
	struct mt_outputs *outputs;
	int code = 1, err;

	err = outputs_open(opts, &outputs);
	if (err)
		return err == -EINVAL ? 2 : 1; /* two outputs in one file: a usage error */
	setup_signals();
	if (setup_report(&s))
		goto out;
	code = start_tracing(&s);
	if (code)
		goto out;
	code = 1;
	if (ops->start && ops->start(&s, &s.mode))
		goto out;
	err = watch_mode_fd(&s);
	if (!err)
		err = trace_until_done(&s);
	if (ops->stop)
		ops->stop(s.mode);
	if (err || read_final_state(&s))
		goto out;
	mt_tracer__destroy(s.tracer);
	s.tracer = NULL;
	if (outputs_write(outputs, &s.report))
		goto out;
	/* an interrupted trace says so; top and serve end that way */
	if (stop_signal && opts->mode != MT_MODE_TOP && opts->mode != MT_MODE_SERVE)
		code = 128 + stop_signal;
	else
		code = s.report.has_exit_code ? s.report.exit_code : 0;
out:
	session_cleanup(&s);
	outputs_free(outputs);
	return code;
}
