// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * loader.c - open, configure, load and attach memtrace's BPF programs, and
 * the few map operations userspace needs (see loader.h).
 *
 * Every program is a BTF tracepoint (tp_btf): they attach without tracefs,
 * which is often unmounted on fresh machines and inside containers. Before
 * loading, each tracepoint is looked up in the kernel's BTF, with the
 * arguments it has on that kernel, so one binary runs from 5.10 on; a kernel
 * that lacks one gets a line naming it rather than a verifier log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "util.h"

/* the skeleton names kernel types for its globals (docs/kernels.md) */
typedef __u32 u32;
typedef __u64 u64;
#include "memtrace.skel.h"
#include "probe.skel.h"

struct mt_tracer {
	struct memtrace_bpf *skel;
	struct mt_kernel kernel; /* what the running kernel gives */
	struct ring_buffer *rb;
	mt_event_fn fn;
	void *ctx;
	__u32 max_procs;
	__u32 next_unused_slot; /* seeding's share of unused_slots, handed over at attach */
};

/*
 * Every program, the tracepoint it needs and what it gives. A tracepoint
 * whose arguments changed between kernels has one program per form
 * (nr_args); the loader loads the one the running kernel's BTF matches. A
 * program with a feature is optional: a kernel without it gets one line
 * naming what is missing, and everything else runs.
 */
enum hook_when { HOOK_ALWAYS, HOOK_EXACT };

static const struct hook {
	const char *program;
	const char *tracepoint; /* as `perf list` names it */
	const char *btf_name;	/* the raw tracepoint's name in BTF; NULL: a classic trace event */
	int nr_args;		/* this form's arguments; 0: any */
	enum hook_when when;
	enum mt_feature feature; /* what is lost without it; 0: memtrace cannot run */
	const char *purpose;	 /* for the error when it is needed */
	/* a feature whose code this program carries: lost if the verifier refuses it */
	enum mt_feature carries;
} hooks[] = {
	{ "on_rss_stat", "kmem:rss_stat", "rss_stat", 0, HOOK_ALWAYS, 0, "resident memory counters",
	  MT_FEATURE_STACKS },
	{ "on_rss_stat_exact", "kmem:rss_stat", NULL, 0, HOOK_EXACT, 0, "--exact", 0 },
	{ "on_sys_exit", "raw_syscalls:sys_exit", "sys_exit", 0, HOOK_ALWAYS, MT_FEATURE_VM, NULL, 0 },
	{ "on_sched_process_fork", "sched:sched_process_fork", "sched_process_fork", 0, HOOK_ALWAYS, 0,
	  "following children", 0 },
	{ "on_sched_process_fork_again", "sched:sched_process_fork", "sched_process_fork", 0,
	  HOOK_ALWAYS, 0, "following children", 0 },
	{ "on_sched_process_exec", "sched:sched_process_exec", "sched_process_exec", 0, HOOK_ALWAYS, 0,
	  "following exec", 0 },
	{ "on_sched_process_exit", "sched:sched_process_exit", "sched_process_exit", 2, HOOK_ALWAYS,
	  MT_FEATURE_EXIT_TIME, NULL, 0 },
	{ "on_sched_process_exit_again", "sched:sched_process_exit", "sched_process_exit", 2,
	  HOOK_ALWAYS, MT_FEATURE_EXIT_TIME, NULL, 0 },
	{ "on_sched_process_exit_after_mm", "sched:sched_process_exit", "sched_process_exit", 1,
	  HOOK_ALWAYS, MT_FEATURE_EXIT_TIME, NULL, 0 },
	{ "on_sched_process_exit_after_mm_again", "sched:sched_process_exit", "sched_process_exit", 1,
	  HOOK_ALWAYS, MT_FEATURE_EXIT_TIME, NULL, 0 },
	/* exits the programs above skipped or, without them, every exit (lifecycle.bpf.c) */
	{ "on_sched_process_free", "sched:sched_process_free", "sched_process_free", 0, HOOK_ALWAYS,
	  0, "process exit", 0 },
	{ "on_cgroup_attach_task", "cgroup:cgroup_attach_task", "cgroup_attach_task", 0, HOOK_ALWAYS,
	  MT_FEATURE_CGROUP_MOVES, NULL, 0 },
	{ "on_mark_victim", "oom:mark_victim", "mark_victim", 2, HOOK_ALWAYS, MT_FEATURE_OOM, NULL, 0 },
	{ "on_mark_victim_pid", "oom:mark_victim", "mark_victim", 1, HOOK_ALWAYS, MT_FEATURE_OOM, NULL,
	  0 },
	{ "on_cgroup_mkdir", "cgroup:cgroup_mkdir", "cgroup_mkdir", 0, HOOK_ALWAYS,
	  MT_FEATURE_CGROUP_NAMES, NULL, 0 },
};
#define NR_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

static bool verbose_libbpf;
/* the program libbpf last said it could not load (its log names it) */
static char failed_program[64];

/* memtrace reports failures itself, in one line; libbpf's log only with -v */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	char line[256];
	const char *p;

	if (level == LIBBPF_WARN) {
		va_copy(copy, ap);
		vsnprintf(line, sizeof(line), fmt, copy);
		va_end(copy);
		/* "prog 'NAME': failed to load: -22", "prog 'NAME': BEGIN PROG LOAD LOG" */
		p = strstr(line, "prog '");
		if (p && (strstr(p, "failed to load") || strstr(p, "LOAD LOG")))
			sscanf(p, "prog '%63[^']'", failed_program);
	}
	return verbose_libbpf ? vfprintf(stderr, fmt, ap) : 0;
}

/*
 * The arguments of a BTF tracepoint (its btf_trace_<name> typedef: a pointer
 * to a function whose first parameter is the context), or -1 if the kernel
 * has no such tracepoint.
 */
static int tracepoint_args(const struct btf *vmlinux, const char *btf_name)
{
	const struct btf_type *t;
	char typedef_name[128];
	int id;

	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", btf_name);
	id = btf__find_by_name_kind(vmlinux, typedef_name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(vmlinux, btf__resolve_type(vmlinux, id));
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(vmlinux, t->type);
	return t && btf_is_func_proto(t) ? (int)btf_vlen(t) - 1 : -1;
}

/* sizeof(struct name) in the running kernel; 0 if its BTF has no such struct. */
static __u32 struct_size(const struct btf *vmlinux, const char *name)
{
	int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_STRUCT);
	__s64 size = id > 0 ? btf__resolve_size(vmlinux, id) : 0;

	return size > 0 ? size : 0;
}

/* Does this kernel have the BPF helper (a value of its enum bpf_func_id)? */
static bool has_helper(const struct btf *vmlinux, const char *name)
{
	int id = btf__find_by_name_kind(vmlinux, "bpf_func_id", BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	const struct btf_enum *v;

	for (int i = 0; t && i < btf_vlen(t); i++) {
		v = btf_enum(t) + i;
		if (!strcmp(btf__name_by_offset(vmlinux, v->name_off), name))
			return true;
	}
	return false;
}

/*
 * The classic event (--exact) attaches through tracefs, which a fresh machine
 * or a container may not have mounted: mount it where libbpf looks.
 */
static bool tracefs_mounted(void)
{
	return !access("/sys/kernel/tracing/events", F_OK) ||
	       !access("/sys/kernel/debug/tracing/events", F_OK);
}

static int ensure_tracefs(void)
{
	if (tracefs_mounted())
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

static bool hook_wanted(const struct hook *h, const struct mt_tracer_config *cfg)
{
	return h->when == HOOK_ALWAYS || (h->when == HOOK_EXACT && cfg->exact);
}

static bool faked_missing(const struct hook *h, const struct mt_tracer_config *cfg)
{
	return cfg->fail_tracepoint && (!strcmp(cfg->fail_tracepoint, h->tracepoint) ||
					(h->btf_name && !strcmp(cfg->fail_tracepoint, h->btf_name)));
}

/* A feature the kernel cannot give: one line, and the rest runs. */
static void lose_feature(struct mt_kernel *k, enum mt_feature f, const char *why)
{
	if (k->missing & f)
		return;
	k->missing |= f;
	mt_err("this kernel %s: no %s (it needs %s)", why, mt_feature_name(f), mt_feature_needs(f));
}

/*
 * Choose the programs to load from what the kernel's BTF says: the form of
 * each tracepoint it has, none for a feature it lacks. 0, or -errno after
 * one line naming a tracepoint memtrace cannot run without.
 */
static int choose_programs(struct bpf_object *obj, const struct btf *vmlinux,
			   const struct mt_tracer_config *cfg, struct mt_kernel *k)
{
	size_t i, j;

	for (i = 0; i < NR_HOOKS; i = j) {
		const struct hook *h = &hooks[i];
		bool found = false;
		int args = -1;

		/* the rows of one tracepoint: its forms */
		for (j = i; j < NR_HOOKS && !strcmp(hooks[j].tracepoint, h->tracepoint) &&
			    hook_wanted(&hooks[j], cfg) == hook_wanted(h, cfg) &&
			    !hooks[j].btf_name == !h->btf_name;
		     j++) {
			struct bpf_program *prog = bpf_object__find_program_by_name(obj, hooks[j].program);
			bool load = hook_wanted(&hooks[j], cfg) && !faked_missing(&hooks[j], cfg) &&
				    !(hooks[j].feature & k->missing);

			if (load && hooks[j].btf_name) {
				args = tracepoint_args(vmlinux, hooks[j].btf_name);
				load = args >= 0 && (!hooks[j].nr_args || hooks[j].nr_args == args);
			} else if (load) {
				load = has_classic_event("kmem", "rss_stat");
			}
			bpf_program__set_autoload(prog, load);
			found |= load;
		}
		if (found || !hook_wanted(h, cfg) || (h->feature & k->missing))
			continue;
		if (h->feature) {
			lose_feature(k, h->feature, args < 0 ? "lacks its tracepoint" :
					"has a form of its tracepoint memtrace does not know");
			continue;
		}
		if (args >= 0)
			mt_err("this kernel's tracepoint %s has %d arguments, a form memtrace does not know "
			       "(needed for %s)", h->tracepoint, args, h->purpose);
		else if (h->btf_name)
			mt_err("this kernel lacks the tracepoint %s (needed for %s)", h->tracepoint,
			       h->purpose);
		else
			mt_err("this kernel lacks the trace event %s (needed for %s)", h->tracepoint,
			       h->purpose);
		return -ENOENT;
	}
	/* 5.10's mark_victim gives a pid: the memcg is read from its files afterwards */
	if (!(k->missing & MT_FEATURE_OOM) &&
	    !bpf_program__autoload(bpf_object__find_program_by_name(obj, "on_mark_victim")))
		k->missing |= MT_FEATURE_OOM_MEMCG;
	return 0;
}

static const struct hook *find_hook(const char *program)
{
	for (size_t i = 0; i < NR_HOOKS; i++) {
		if (!strcmp(hooks[i].program, program))
			return &hooks[i];
	}
	return NULL;
}

/*
 * Whether tracing programs may take a bpf_spin_lock on this kernel (not on
 * 5.10; lock.bpf.h): load the probe program and see. Without privileges
 * the real load fails next, with its own message.
 */
static bool tracing_spin_locks(void)
{
	struct memtrace_probe *probe = memtrace_probe__open_and_load();

	memtrace_probe__destroy(probe);
	return probe != NULL;
}

/* The kernel's release and RSS counting, from uname and its BTF. */
static void describe_kernel(const struct btf *vmlinux, struct mt_kernel *k)
{
	struct utsname u;

	if (!uname(&u))
		snprintf(k->release, sizeof(k->release), "%s", u.release);
	/* before 6.2 the mm's counters are struct mm_rss_stat's atomics */
	k->rss_split = btf__find_by_name_kind(vmlinux, "mm_rss_stat", BTF_KIND_STRUCT) > 0;
}

/* What a probe that needs privileges answered: without them, a failure tells nothing. */
static const char *privileged_answer(bool yes, bool privileged)
{
	return yes ? "yes" : privileged ? "no" : "unknown (needs root)";
}

void mt_tracer__print_features(FILE *f)
{
	bool privileged = geteuid() == 0;
	struct mt_kernel k = { 0 };
	struct btf *vmlinux;
	int args;

	libbpf_set_print(libbpf_print); /* quiet: the answers say it */
	vmlinux = btf__load_vmlinux_btf();
	fprintf(f, "BTF: %s\n", vmlinux ? "yes" : "no (memtrace needs CONFIG_DEBUG_INFO_BTF)");
	fprintf(f, "ring buffer: %s\n",
		privileged_answer(libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0,
				  privileged));
	fprintf(f, "bpf_spin_lock in tracing programs: %s\n",
		!privileged ? "unknown (needs root)" : tracing_spin_locks() ? "yes" : "no (emulated)");
	fprintf(f, "trace event kmem:rss_stat (--exact): %s\n",
		!tracefs_mounted() ? "unknown (tracefs is not mounted; --exact mounts it)" :
		has_classic_event("kmem", "rss_stat") ? "yes" : "no");
	if (!vmlinux)
		return;
	fprintf(f, "bpf_task_pt_regs: %s\n",
		has_helper(vmlinux, "BPF_FUNC_task_pt_regs") ? "yes" :
		"no (user registers read from the kernel stack)");
	describe_kernel(vmlinux, &k);
	fprintf(f, "RSS counters: %s\n",
		k.rss_split ? "split (mm_rss_stat atomics plus per-thread caches, before 6.2)" :
		"percpu (6.2 and later)");
	for (size_t i = 0; i < NR_HOOKS; i++) {
		/* each tracepoint once, with the arguments it has here */
		if (!hooks[i].btf_name || (i && !strcmp(hooks[i - 1].tracepoint, hooks[i].tracepoint)))
			continue;
		args = tracepoint_args(vmlinux, hooks[i].btf_name);
		if (args < 0)
			fprintf(f, "tracepoint %s: no\n", hooks[i].tracepoint);
		else
			fprintf(f, "tracepoint %s: yes, %d argument%s\n", hooks[i].tracepoint, args,
				args == 1 ? "" : "s");
	}
	btf__free(vmlinux);
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

/* Growth is sampled by bytes (sample.bpf.h); mappings this big are recorded unsampled. */
static void configure_sampling(struct memtrace_bpf__rodata *rodata,
			       const struct mt_tracer_config *cfg, const struct btf *vmlinux)
{
	rodata->cfg_sample_bytes = cfg->sample_bytes;
	rodata->cfg_big_bytes = cfg->big_bytes;
	rodata->cfg_has_task_pt_regs = has_helper(vmlinux, "BPF_FUNC_task_pt_regs");
	rodata->cfg_pt_regs_size = struct_size(vmlinux, "pt_regs");
}

static int on_ringbuf_record(void *ctx, void *data, size_t size)
{
	struct mt_tracer *t = ctx;

	return t->fn(t->ctx, data, size);
}

/* Open the skeleton and set what is known before load. NULL on failure (one line said). */
static struct memtrace_bpf *open_skeleton(const struct mt_tracer_config *cfg,
					  const struct btf *vmlinux, struct mt_kernel *k)
{
	struct memtrace_bpf *skel = memtrace_bpf__open();

	if (!skel) {
		mt_err("cannot open the BPF object: %s", strerror(errno));
		return NULL;
	}
	if (choose_programs(skel->obj, vmlinux, cfg, k)) {
		memtrace_bpf__destroy(skel);
		errno = ENOENT;
		return NULL;
	}
	skel->rodata->cfg_page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	skel->rodata->cfg_follow_children = cfg->follow_children;
	skel->rodata->cfg_resolution = cfg->resolution;
	skel->rodata->cfg_cgroup_resolution = cfg->cgroup_resolution;
	skel->rodata->cfg_exact = cfg->exact;
	skel->rodata->cfg_trace_all = cfg->trace_all;
	skel->rodata->cfg_scope_cgroup_id = cfg->scope_cgroup_id;
	skel->rodata->cfg_scope_level = cfg->scope_level;
	skel->rodata->cfg_self_tgid = getpid();
	skel->rodata->cfg_stacks = k->missing & MT_FEATURE_STACKS ? 0 : cfg->stacks;
	skel->rodata->cfg_emulated_locks = k->emulated_locks;
	skel->rodata->cfg_max_procs = cfg->max_procs;
	skel->rodata->cfg_rss_split = k->rss_split;
	if (skel->rodata->cfg_stacks)
		configure_sampling(skel->rodata, cfg, vmlinux);
	bpf_map__set_max_entries(skel->maps.procs, cfg->max_procs + 1);
	bpf_map__set_max_entries(skel->maps.free_slots, cfg->max_procs);
	bpf_map__set_max_entries(skel->maps.proc_slot, read_pid_max());
	bpf_map__set_max_entries(skel->maps.cgroups, cfg->max_cgroups);
	bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_bytes);
	return skel;
}

/*
 * Load, and when the verifier refuses a program that gives an optional
 * feature (a kernel whose BTF looked right but whose verifier is older),
 * say so and load again without it: only a program memtrace cannot run
 * without stops it.
 */
static int load_skeleton(struct mt_tracer *t, const struct mt_tracer_config *cfg,
			 const struct btf *vmlinux)
{
	const struct hook *h;
	int err;

	for (;;) {
		t->skel = open_skeleton(cfg, vmlinux, &t->kernel);
		if (!t->skel)
			return -errno;
		failed_program[0] = '\0';
		err = memtrace_bpf__load(t->skel);
		if (!err)
			return 0;
		h = failed_program[0] ? find_hook(failed_program) : NULL;
		if (err == -EPERM) {
			mt_err("cannot load the BPF programs: %s (memtrace needs root, or CAP_BPF and "
			       "CAP_PERFMON)", strerror(-err));
			return err;
		}
		if (h && h->carries && cfg->stacks && !(t->kernel.missing & h->carries)) {
			/* the stack sampler refused: everything else can still run without it */
			lose_feature(&t->kernel, h->carries, "refused the BPF program");
		} else if (h && h->feature && !(t->kernel.missing & h->feature)) {
			lose_feature(&t->kernel, h->feature, "refused its BPF program");
		} else {
			if (h)
				mt_err("this kernel refused the BPF program for %s (%s): %s (run with -v "
				       "for the verifier's log)", h->purpose ? h->purpose :
				       mt_feature_name(h->feature), h->tracepoint, strerror(-err));
			else
				mt_err("cannot load the BPF programs: %s (run with -v for libbpf's log)",
				       strerror(-err));
			return err;
		}
		memtrace_bpf__destroy(t->skel);
		t->skel = NULL;
	}
}

struct mt_tracer *mt_tracer__open(const struct mt_tracer_config *cfg, mt_event_fn fn, void *ctx)
{
	struct btf *vmlinux;
	struct mt_tracer *t;
	int err;

	verbose_libbpf = cfg->verbose;
	libbpf_set_print(libbpf_print);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		mt_err("this kernel has no BTF (/sys/kernel/btf/vmlinux): memtrace needs "
		       "CONFIG_DEBUG_INFO_BTF=y");
		errno = ENOTSUP;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		btf__free(vmlinux);
		return NULL;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->max_procs = cfg->max_procs;
	describe_kernel(vmlinux, &t->kernel);
	t->kernel.emulated_locks = !tracing_spin_locks();
	err = cfg->exact ? ensure_tracefs() : 0;
	if (!err)
		err = load_skeleton(t, cfg, vmlinux);
	btf__free(vmlinux);
	if (err)
		goto fail;
	t->next_unused_slot = 1; /* slot 0 means "not traced" */
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

const struct mt_kernel *mt_tracer__kernel(const struct mt_tracer *t)
{
	return &t->kernel;
}

int mt_tracer__attach(struct mt_tracer *t)
{
	const struct bpf_object_skeleton *s = t->skel->skeleton;
	struct mt_unused_slots unused = { .next = t->next_unused_slot };
	struct bpf_program *prog;
	struct bpf_link **link;
	__u32 zero = 0;
	int i, err;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.unused_slots), &zero, &unused, 0)) {
		err = -errno;
		mt_err("cannot set up the process map: %s", strerror(errno));
		return err;
	}

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
		    bpf_program__expected_attach_type(prog) == BPF_TRACE_ITER ||
		    (i < s->prog_cnt) != (bpf_program__type(prog) == BPF_PROG_TYPE_TRACEPOINT))
			continue; /* not loaded in this mode, not in this pass, or run once */
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

int mt_tracer__complete_seeds(struct mt_tracer *t)
{
	struct bpf_link *link = bpf_program__attach_iter(t->skel->progs.seed_running_task, NULL);
	char buf[64];
	ssize_t n;
	int fd;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		fd = -errno;
		bpf_link__destroy(link);
		return fd;
	}
	/* the program prints nothing: reading to the end runs it over every task */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	bpf_link__destroy(link);
	return n;
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

	/* before attaching: the BPF side takes no slot yet */
	if (bpf_map_lookup_and_delete_elem(bpf_map__fd(t->skel->maps.free_slots), NULL, &slot)) {
		if (t->next_unused_slot > t->max_procs)
			return -ENOSPC;
		slot = t->next_unused_slot++;
	}
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

int mt_tracer__python_layouts_fd(struct mt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.py_procs);
}

int mt_tracer__python_codes_fd(struct mt_tracer *t)
{
	return bpf_map__fd(t->skel->maps.py_code_events);
}

int mt_tracer__epoll_fd(struct mt_tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

size_t mt_tracer__program_stats(struct mt_tracer *t, struct mt_bpf_program *stats, size_t max)
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
		snprintf(stats[nr].name, sizeof(stats[nr].name), "%s", bpf_program__name(prog));
		stats[nr].runs = info.run_cnt;
		stats[nr].run_ns = info.run_time_ns;
		stats[nr++].misses = info.recursion_misses;
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
	s->lock_timeouts = __atomic_load_n(&t->skel->bss->stats.lock_timeouts, __ATOMIC_RELAXED);
	s->regs_unreadable =
		__atomic_load_n(&t->skel->bss->stats.regs_unreadable, __ATOMIC_RELAXED);
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
			if (!err && (entries[i].proc.flags & MT_PROC_EXIT_LOST))
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
