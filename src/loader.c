// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loader.c - open, configure, load and attach memtrace's BPF programs, and
 * the few map operations userspace needs (see loader.h).
 *
 * Every program is a BTF tracepoint (tp_btf): they attach without tracefs,
 * which is often unmounted on fresh machines and inside containers. Before
 * loading, each tracepoint is looked up in the kernel's BTF, so a kernel that
 * lacks one gets an error naming it rather than a verifier log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "util.h"

/* the skeleton names kernel types for its globals (KERNEL_FACTS.md) */
typedef __u32 u32;
typedef __u64 u64;
#include "memtrace.skel.h"

struct mt_tracer {
	struct memtrace_bpf *skel;
	struct ring_buffer *rb;
	mt_event_fn fn;
	void *ctx;
	__u32 max_procs;
};

/* What each program needs from the kernel, for error messages. */
static const struct {
	const char *tracepoint; /* as `perf list` names it */
	const char *btf_name;	/* the raw tracepoint's name in BTF */
	const char *purpose;
	bool stacks_only; /* needed only when sampling stacks */
} needed_tracepoints[] = {
	{ "kmem:rss_stat", "rss_stat", "resident memory counters", false },
	{ "raw_syscalls:sys_exit", "sys_exit", "virtual size (brk/mmap/munmap/mremap)", false },
	{ "sched:sched_process_fork", "sched_process_fork", "following children", false },
	{ "sched:sched_process_exec", "sched_process_exec", "following exec", false },
	{ "sched:sched_process_exit", "sched_process_exit", "process exit", false },
	{ "cgroup:cgroup_attach_task", "cgroup_attach_task", "following cgroup moves", false },
	{ "oom:mark_victim", "mark_victim", "OOM kills", false },
	{ "cgroup:cgroup_mkdir", "cgroup_mkdir", "naming short-lived cgroups", false },
	{ "exceptions:page_fault_user", "page_fault_user", "growth stacks (--no-stacks goes without)",
	  true },
};

static bool verbose_libbpf;

/* memtrace reports failures itself, in one line; libbpf's log only with -v */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return verbose_libbpf ? vfprintf(stderr, fmt, ap) : 0;
}

/* A BTF tracepoint exists when the kernel's BTF has its btf_trace_<name> typedef. */
static bool has_tracepoint(const struct btf *vmlinux, const char *btf_name)
{
	char typedef_name[128];

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", btf_name);
	return btf__find_by_name_kind(vmlinux, typedef_name, BTF_KIND_TYPEDEF) > 0;
}

/*
 * The classic event (--exact) attaches through tracefs, which a fresh machine
 * or a container may not have mounted: mount it where libbpf looks.
 */
static int ensure_tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		mt_err("--exact needs tracefs: cannot mount it on /sys/kernel/tracing: %s",
		       strerror(errno));
		return -errno;
	}
	return 0;
}

static bool has_classic_event(const char *group, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s/id", group, name);
	if (!access(path, R_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s/id", group, name);
	return !access(path, R_OK);
}

static int check_kernel(const struct mt_tracer_config *cfg)
{
	struct btf *vmlinux;
	size_t i;
	int err = 0;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		mt_err("this kernel has no BTF (/sys/kernel/btf/vmlinux): memtrace needs "
		       "CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	for (i = 0; i < sizeof(needed_tracepoints) / sizeof(needed_tracepoints[0]); i++) {
		const char *tp = needed_tracepoints[i].tracepoint;
		const char *btf_name = needed_tracepoints[i].btf_name;
		bool faked = cfg->fail_tracepoint && (strcmp(cfg->fail_tracepoint, tp) == 0 ||
						      strcmp(cfg->fail_tracepoint, btf_name) == 0);

		if (needed_tracepoints[i].stacks_only && !cfg->stacks)
			continue;
		if (faked || !has_tracepoint(vmlinux, btf_name)) {
			mt_err("this kernel lacks the tracepoint %s (needed for %s)", tp,
			       needed_tracepoints[i].purpose);
			err = -ENOENT;
			break;
		}
	}
	btf__free(vmlinux);
	if (err || !cfg->exact)
		return err;
	err = ensure_tracefs();
	if (err)
		return err;
	if ((cfg->fail_tracepoint && !strcmp(cfg->fail_tracepoint, "kmem:rss_stat")) ||
	    !has_classic_event("kmem", "rss_stat")) {
		mt_err("this kernel lacks the trace event kmem:rss_stat (needed for --exact)");
		return -ENOENT;
	}
	return 0;
}

/* Every pid indexes proc_slot: size it to the largest pid the kernel hands out. */
static __u32 read_pid_max(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v >= 1024 && v <= (1ul << 22) ? v : 1u << 22; /* PID_MAX_LIMIT */
}

/* Slot 0 means "not traced"; slots 1..max_procs start free. */
static int fill_free_slots(struct mt_tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.free_slots);

	for (__u32 slot = 1; slot <= t->max_procs; slot++) {
		if (bpf_map_update_elem(fd, NULL, &slot, 0))
			return -errno;
	}
	return 0;
}

/*
 * A fault is sampled with probability page / sample_bytes: the BPF program
 * compares a 32-bit random number with that probability scaled to 2^32, and
 * a sample stands for sample_bytes (a page when sampling every fault).
 */
static void configure_sampling(struct memtrace_bpf__rodata *rodata,
			       const struct mt_tracer_config *cfg)
{
	uint64_t page = sysconf(_SC_PAGESIZE);

	if (cfg->sample_bytes <= page) {
		rodata->cfg_sample_threshold = 1ull << 32;
		rodata->cfg_sample_weight = page;
	} else {
		rodata->cfg_sample_threshold = (page << 32) / cfg->sample_bytes;
		rodata->cfg_sample_weight = cfg->sample_bytes;
	}
	rodata->cfg_big_bytes = cfg->big_bytes;
}

static int on_ringbuf_record(void *ctx, void *data, size_t size)
{
	struct mt_tracer *t = ctx;

	return t->fn(t->ctx, data, size);
}

struct mt_tracer *mt_tracer__open(const struct mt_tracer_config *cfg, mt_event_fn fn, void *ctx)
{
	struct mt_tracer *t;
	int err;

	verbose_libbpf = cfg->verbose;
	libbpf_set_print(libbpf_print);
	err = check_kernel(cfg);
	if (err) {
		errno = -err;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fn = fn;
	t->ctx = ctx;

	t->skel = memtrace_bpf__open();
	if (!t->skel) {
		err = -errno;
		mt_err("cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	t->skel->rodata->cfg_page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	t->skel->rodata->cfg_follow_children = cfg->follow_children;
	t->skel->rodata->cfg_resolution = cfg->resolution;
	t->skel->rodata->cfg_cgroup_resolution = cfg->cgroup_resolution;
	t->skel->rodata->cfg_exact = cfg->exact;
	t->skel->rodata->cfg_trace_all = cfg->trace_all;
	t->skel->rodata->cfg_scope_cgroup_id = cfg->scope_cgroup_id;
	t->skel->rodata->cfg_scope_level = cfg->scope_level;
	t->skel->rodata->cfg_self_tgid = getpid();
	t->skel->rodata->cfg_stacks = cfg->stacks;
	if (cfg->stacks)
		configure_sampling(t->skel->rodata, cfg);
	bpf_program__set_autoload(t->skel->progs.on_rss_stat_exact, cfg->exact);
	bpf_program__set_autoload(t->skel->progs.on_page_fault_user, cfg->stacks != 0);
	t->max_procs = cfg->max_procs;
	bpf_map__set_max_entries(t->skel->maps.procs, cfg->max_procs + 1);
	bpf_map__set_max_entries(t->skel->maps.free_slots, cfg->max_procs);
	bpf_map__set_max_entries(t->skel->maps.proc_slot, read_pid_max());
	bpf_map__set_max_entries(t->skel->maps.cgroups, cfg->max_cgroups);
	bpf_map__set_max_entries(t->skel->maps.events, cfg->ringbuf_bytes);

	err = memtrace_bpf__load(t->skel);
	if (err) {
		mt_err("cannot load the BPF programs: %s%s", strerror(-err),
		       err == -EPERM ? " (memtrace needs root, or CAP_BPF and CAP_PERFMON)" :
				       " (run with -v for libbpf's log)");
		goto fail;
	}
	err = fill_free_slots(t);
	if (err) {
		mt_err("cannot set up the process map: %s", strerror(-err));
		goto fail;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_ringbuf_record, t, NULL);
	if (!t->rb) {
		err = -errno;
		mt_err("cannot set up the ring buffer: %s", strerror(errno));
		goto fail;
	}
	return t;
fail:
	mt_tracer__destroy(t);
	errno = -err;
	return NULL;
}

int mt_tracer__attach(struct mt_tracer *t)
{
	const struct bpf_object_skeleton *s = t->skel->skeleton;
	struct bpf_program *prog;
	struct bpf_link **link;
	int i, err;

	/*
	 * The skeleton's own table: each link lands where memtrace_bpf__destroy()
	 * frees it. Two passes: the classic event (--exact) first, because probes
	 * on one tracepoint run in the order they were registered, and
	 * on_rss_stat reads what on_rss_stat_exact left for the same change.
	 */
	for (i = 0; i < 2 * s->prog_cnt; i++) {
		prog = *s->progs[i % s->prog_cnt].prog;
		link = s->progs[i % s->prog_cnt].link;
		if (!bpf_program__autoload(prog) ||
		    (i < s->prog_cnt) != (bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT))
			continue; /* not loaded in this mode, or not in this pass */
		*link = bpf_program__attach(prog);
		if (!*link) {
			err = -errno;
			mt_err("cannot attach to %s: %s", bpf_program__section_name(prog),
			       strerror(errno));
			return err;
		}
	}
	return 0;
}

void mt_tracer__destroy(struct mt_tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	memtrace_bpf__destroy(t->skel);
	free(t);
}

int mt_tracer__add_proc(struct mt_tracer *t, const struct mt_proc *p)
{
	struct mt_proc_entry entry = { .proc = *p };
	__u32 tgid = p->tgid, slot;

	if (bpf_map_lookup_and_delete_elem(bpf_map__fd(t->skel->maps.free_slots), NULL, &slot))
		return -ENOSPC;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &slot, &entry, 0) ||
	    bpf_map_update_elem(bpf_map__fd(t->skel->maps.proc_slot), &tgid, &slot, 0))
		return -errno;
	return 0;
}

/* An exited process whose exit record was lost is reported: free its slot. */
static void release_slot(struct mt_tracer *t, __u32 slot, __u32 tgid)
{
	struct mt_proc_entry empty = {};
	__u32 published = 0, zero = 0;
	int slot_fd = bpf_map__fd(t->skel->maps.proc_slot);

	/* the pid may already name a new process, with a slot of its own */
	if (!bpf_map_lookup_elem(slot_fd, &tgid, &published) && published == slot)
		bpf_map_update_elem(slot_fd, &tgid, &zero, 0);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.procs), &slot, &empty, 0);
	bpf_map_update_elem(bpf_map__fd(t->skel->maps.free_slots), NULL, &slot, 0);
}

int mt_tracer__set_group(struct mt_tracer *t, const struct mt_group *g)
{
	struct mt_group_entry entry = { .group = *g };
	__u32 key = 0;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.group), &key, &entry, BPF_F_LOCK))
		return -errno;
	return 0;
}

int mt_tracer__set_cgroup_group(struct mt_tracer *t, uint64_t id, const struct mt_group *g)
{
	struct mt_group_entry entry = { .group = *g };
	__u64 key = id;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.cgroups), &key, &entry, 0))
		return -errno;
	return 0;
}

int mt_tracer__epoll_fd(struct mt_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

size_t mt_tracer__program_stats(struct mt_tracer *t, struct mt_program_stats *stats, size_t max)
{
	const struct bpf_object_skeleton *s = t->skel->skeleton;
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	size_t nr = 0;
	int i;

	for (i = 0; i < s->prog_cnt && nr < max; i++) {
		struct bpf_program *prog = *s->progs[i].prog;

		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_program__autoload(prog) ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		stats[nr++] = (struct mt_program_stats){ .name = bpf_program__name(prog),
							  .runs = info.run_cnt,
							  .run_ns = info.run_time_ns };
	}
	return nr;
}

int mt_tracer__poll(struct mt_tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	/*
	 * Rows are sent without a wakeup, and the kernel's adaptive wakeup skips
	 * every record behind an unconsumed one, so epoll alone can miss
	 * records: always drain what is there.
	 */
	return ring_buffer__consume(t->rb);
}

int mt_tracer__read_group(struct mt_tracer *t, struct mt_group *g)
{
	struct mt_group_entry entry;
	__u32 key = 0;

	if (bpf_map_lookup_elem_flags(bpf_map__fd(t->skel->maps.group), &key, &entry, BPF_F_LOCK))
		return -errno;
	*g = entry.group;
	return 0;
}

void mt_tracer__read_stats(struct mt_tracer *t, struct mt_stats *s)
{
	/* .bss is mmap'ed: read each counter once */
	s->ringbuf_drops = __atomic_load_n(&t->skel->bss->stats.ringbuf_drops, __ATOMIC_RELAXED);
	s->untracked_procs =
		__atomic_load_n(&t->skel->bss->stats.untracked_procs, __ATOMIC_RELAXED);
	s->exact_misses = __atomic_load_n(&t->skel->bss->stats.exact_misses, __ATOMIC_RELAXED);
	s->cgroups_full = __atomic_load_n(&t->skel->bss->stats.cgroups_full, __ATOMIC_RELAXED);
	s->samples_lost = __atomic_load_n(&t->skel->bss->stats.samples_lost, __ATOMIC_RELAXED);
	s->sampled_bytes_lost =
		__atomic_load_n(&t->skel->bss->stats.sampled_bytes_lost, __ATOMIC_RELAXED);
}

#define BATCH 512

int mt_tracer__for_each_proc(struct mt_tracer *t, int (*fn)(void *ctx, const struct mt_proc *p),
			     void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
	int fd = bpf_map__fd(t->skel->maps.procs);
	struct mt_proc_entry *entries;
	__u32 keys[BATCH], batch, *in = NULL, count, i;
	int err = 0, visited = 0;

	entries = calloc(BATCH, sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	/* one syscall per BATCH entries: the array is read every tick */
	for (bool done = false; !done && !err;) {
		count = BATCH;
		if (bpf_map_lookup_batch(fd, in, &batch, keys, entries, &count, &opts)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true; /* ENOENT: this was the last batch */
		}
		in = &batch;
		for (i = 0; i < count && !err; i++) {
			if (!entries[i].proc.tgid)
				continue; /* a free slot */
			visited++;
			err = fn(ctx, &entries[i].proc);
			if (!err && (entries[i].proc.flags & MT_PROC_EXITED))
				release_slot(t, keys[i], entries[i].proc.tgid);
		}
	}
	free(entries);
	return err ? err : visited;
}

int mt_tracer__for_each_cgroup(struct mt_tracer *t,
			       int (*fn)(void *ctx, uint64_t id, const struct mt_group *g), void *ctx)
{
	int fd = bpf_map__fd(t->skel->maps.cgroups);
	struct mt_group_entry entry;
	__u64 key, next, *prev = NULL;
	int err;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem_flags(fd, &key, &entry, BPF_F_LOCK))
			continue;
		err = fn(ctx, key, &entry.group);
		if (err)
			return err;
	}
	return 0;
}

uint32_t mt_tracer__window(struct mt_tracer *t)
{
	return __atomic_load_n(&t->skel->bss->live_window, __ATOMIC_RELAXED);
}

void mt_tracer__advance_window(struct mt_tracer *t)
{
	__atomic_fetch_add(&t->skel->bss->live_window, 1, __ATOMIC_RELAXED);
}
