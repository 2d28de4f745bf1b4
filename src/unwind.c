// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * unwind.c - stacks to locations (see unwind.h).
 *
 * Each sampled process gets one Dwfl with its mappings; libdwfl caches the
 * opened ELF files and their CFI per module. Every (module, address) is
 * symbolized once, however many samples name it: the profile's location
 * index is keyed by build id and module-relative address, so the cost grows
 * with distinct addresses, not with events.
 *
 * --unwind auto takes both stacks from the kernel and keeps the DWARF one,
 * continued by the frame-pointer chain from the last address both share:
 * DWARF through code without frame pointers (Debian's libc), frame pointers
 * through code without CFI (JIT code).
 */
#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perfmap.h"
#include "pyelf.h"
#include "pyprefetch.h"
#include "python.h"
#include "symbols.h"
#include "unwind.h"
#include "util.h"

#define MT_MAPS_REREADS 8 /* an address outside every mapping re-reads the maps this often */

/*
 * The address space of an image: a process from exec on, shared with the
 * children it forks until they exec (their mappings are a copy of it).
 */
struct unwind_image {
	int refs;	  /* processes using it */
	uint32_t pid;	  /* whose /proc/PID/maps it was read from */
	Dwfl *dwfl;	  /* NULL: its mappings could not be read */
	bool attached;	  /* dwfl_attach_state done */
	unsigned rereads; /* of /proc/PID/maps, after the first */
	const struct mt_sample_event *sample; /* being unwound */
	struct mt_perf_map jit;
	long jit_module; /* the profile's module for it; -1 until needed */
	struct mt_python *python; /* the CPython it runs; NULL if none (yet) */
	bool python_settled;	  /* found, or one that memtrace does not read */
	int8_t links_libpython;	  /* its executable does: 1; does not: -1; not asked yet: 0 */
};

struct unwind_process {
	uint32_t pid; /* first: the key of the pid table */
	uint32_t parent; /* forked from, not exec'd since: same mappings; 0 if not */
	struct unwind_image *image;
	bool python_walked; /* the BPF side has its interpreter's layout */
};

/*
 * The symbols of one module (profile module id), shared by every process
 * that maps it: its symbol table and DWARF are read once per build id, not
 * once per process (a build runs hundreds of compilers, each a new image).
 */
struct symbol_source {
	bool settled;		    /* opened, or there is no file (the vDSO) */
	struct mt_symbols *symbols; /* NULL: not opened; the process's own module is used */
};

/*
 * A frame in code no ELF symbol names, in a process that writes a perf map:
 * JIT code the runtime had not written its line for when the sample came.
 * Named when tracing ends, from the map as the runtime left it.
 */
struct unnamed_jit {
	uint32_t pid; /* whose perf map */
	uint32_t location;
	uint64_t pc;
};

struct mt_unwinder {
	struct mt_profile *profile;
	void *processes; /* tsearch tree of struct unwind_process by pid */
	long unknown_location;
	struct symbol_source *sources; /* by profile module id */
	size_t nr_sources;
	struct unnamed_jit *unnamed;
	size_t nr_unnamed, cap_unnamed;
	int py_layouts_fd; /* the BPF side's py_procs map; -1: none */
	struct mt_py_prefetch *py_prefetch; /* code objects read as the BPF side announces them */
	long python_module; /* the profile's module of Python frames; -1 until needed */
	long python_cut;    /* the location that says a stack's Python frames go on */
};

/* The process whose files find_elf opens (libdwfl opens them lazily, inside our calls). */
static uint32_t opening_pid;
static char *debuginfo_path;

/*
 * Open a mapped file as the process sees it: through /proc/PID/root, so that
 * a container's libraries are its own; the path itself if that fails.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	char path[PATH_MAX];
	int fd;

	if (name[0] == '/' && opening_pid) {
		snprintf(path, sizeof(path), "/proc/%u/root%s", opening_pid, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			*file_name = strdup(path);
			return fd;
		}
	}
	return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
}

/*
 * A process's own Dwfl only unwinds, from .eh_frame: without separate
 * debuginfo, or every process would decompress libc's .debug_frame where an
 * unwind ends (Debian's libc6-dbg). Symbols come from the shared sources.
 */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod, (void)userdata, (void)modname, (void)base, (void)file_name;
	(void)debuglink_file, (void)debuglink_crc, (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = no_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
	if (*thread_argp)
		return 0;
	*thread_argp = dwfl_arg;
	return dwfl_pid(dwfl);
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = dwfl_arg;
	return true;
}

/* Only the copied stack is readable: an unwind that needs more stops there. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
	const struct mt_sample_event *e = ((struct unwind_image *)dwfl_arg)->sample;
	uint64_t sp = e->regs[MT_REG_SP];

	(void)dwfl;
	if (addr < sp || addr - sp > e->stack_len || e->stack_len - (addr - sp) < sizeof(*result))
		return false;
	memcpy(result, e->stack + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct mt_sample_event *e = ((struct unwind_image *)thread_arg)->sample;

#if defined(__aarch64__)
	/* x0-x30 and sp are DWARF 0-31; pc has no DWARF number of its own */
	if (!dwfl_thread_state_registers(thread, 0, MT_REG_SP + 1, (const Dwarf_Word *)e->regs))
		return false;
	dwfl_thread_state_register_pc(thread, e->regs[MT_REG_IP]);
	return true;
#else
	return dwfl_thread_state_registers(thread, 0, MT_NR_REGS, (const Dwarf_Word *)e->regs);
#endif
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* (Re)read the process's mappings into its Dwfl: 0, or -1 if it is gone. */
static int report_maps(struct unwind_image *img, bool add)
{
	int err;

	if (add)
		dwfl_report_begin_add(img->dwfl);
	else
		dwfl_report_begin(img->dwfl);
	err = dwfl_linux_proc_report(img->dwfl, img->pid);
	dwfl_report_end(img->dwfl, NULL, NULL);
	return err ? -1 : 0;
}

/* The image of pid's mappings now; its dwfl is NULL if they cannot be read. */
static struct unwind_image *new_image(uint32_t pid)
{
	struct unwind_image *img = calloc(1, sizeof(*img));

	if (!img)
		return NULL;
	img->refs = 1;
	img->pid = pid;
	img->jit_module = -1;
	opening_pid = pid;
	img->dwfl = dwfl_begin(&dwfl_callbacks);
	if (img->dwfl && report_maps(img, false)) {
		dwfl_end(img->dwfl);
		img->dwfl = NULL;
	}
	if (img->dwfl)
		img->attached = dwfl_attach_state(img->dwfl, NULL, pid, &thread_callbacks, img);
	perf_map_refresh(&img->jit, pid); /* a JIT runtime's names, if it writes them */
	return img;
}

static struct unwind_image *image_ref(struct unwind_image *img)
{
	img->refs++;
	return img;
}

static void image_unref(struct unwind_image *img)
{
	if (!img || --img->refs > 0)
		return;
	if (img->dwfl)
		dwfl_end(img->dwfl);
	perf_map_free(&img->jit);
	python_free(img->python);
	free(img);
}

static void free_process(void *node)
{
	struct unwind_process *proc = node;

	image_unref(proc->image);
	free(proc);
}

static struct unwind_process *find_process(struct mt_unwinder *u, uint32_t pid, bool create)
{
	return mt_pid_table_get(&u->processes, pid, sizeof(struct unwind_process), create);
}

int unwinder_on_fork(struct mt_unwinder *u, uint32_t child, uint32_t parent)
{
	struct unwind_process *proc;

	if (!find_process(u, parent, true))
		return -ENOMEM;
	unwinder_forget(u, child); /* a reused pid */
	proc = find_process(u, child, true);
	if (!proc)
		return -ENOMEM;
	proc->parent = parent;
	return 0;
}

/*
 * A process's image: its own, its parent's if it was forked and has not
 * exec'd (read once for all the children of a forking server), or read now
 * from /proc (from the parent's maps if the child is already gone: they are
 * the same). The first child's image serves the parent and its siblings too.
 */
static struct unwind_image *image_of(struct mt_unwinder *u, uint32_t pid)
{
	struct unwind_process *proc = find_process(u, pid, true), *parent;
	struct unwind_image *img;

	if (!proc)
		return NULL;
	if (proc->image)
		return proc->image;
	parent = proc->parent ? find_process(u, proc->parent, false) : NULL;
	if (parent && parent->image)
		return proc->image = image_ref(parent->image);
	img = new_image(pid);
	if (img && !img->dwfl && parent) {
		image_unref(img);
		img = new_image(parent->pid);
	}
	if (img && parent)
		parent->image = image_ref(img);
	return proc->image = img;
}

struct mt_unwinder *unwinder_new(struct mt_profile *profile)
{
	struct mt_unwinder *u = calloc(1, sizeof(*u));
	struct mt_line unknown;
	long module, function;

	if (!u)
		return NULL;
	u->profile = profile;
	module = profile_module(profile, "[unknown]", "");
	function = module < 0 ? module : profile_function(profile, "[unknown]", "");
	if (function >= 0) {
		unknown = (struct mt_line){ .function = function };
		u->unknown_location = profile_add_location(profile, module, 0, &unknown, 1);
	}
	if (function < 0 || u->unknown_location < 0) {
		free(u);
		return NULL;
	}
	u->py_layouts_fd = -1;
	u->python_module = -1;
	return u;
}

int unwinder_walk_python(struct mt_unwinder *u, int py_layouts_fd, int py_codes_fd)
{
	struct mt_line cut;
	long function;

	u->python_module = profile_module(u->profile, MT_PYTHON_MODULE, "");
	function = u->python_module < 0 ? u->python_module :
					  profile_function(u->profile, "[more Python frames]", "");
	if (function < 0)
		return function;
	/* the program's own code, where growth sites are (unlike [vdso] or [unknown]) */
	u->profile->modules[u->python_module].system = false;
	cut = (struct mt_line){ .function = function };
	u->python_cut = profile_add_location(u->profile, u->python_module, 0, &cut, 1);
	if (u->python_cut < 0)
		return u->python_cut;
	u->py_prefetch = py_prefetch_start(py_codes_fd);
	if (!u->py_prefetch)
		return -errno;
	u->py_layouts_fd = py_layouts_fd;
	return 0;
}

void unwinder_free(struct mt_unwinder *u)
{
	size_t i;

	if (!u)
		return;
	tdestroy(u->processes, free_process);
	for (i = 0; i < u->nr_sources; i++)
		symbols_free(u->sources[i].symbols);
	free(u->sources);
	free(u->unnamed);
	py_prefetch_stop(u->py_prefetch);
	free(u);
}

void unwinder_forget(struct mt_unwinder *u, uint32_t pid)
{
	struct unwind_process *proc = find_process(u, pid, false);

	if (!proc)
		return;
	/* a layout set from a sample of the image before: the BPF side dropped its own already */
	if (proc->python_walked)
		bpf_map_delete_elem(u->py_layouts_fd, &pid);
	py_prefetch_forget(u->py_prefetch, pid);
	mt_pid_table_remove(&u->processes, pid);
	free_process(proc);
}

static const struct mt_perf_symbol *find_jit(struct unwind_image *img, uint64_t pc)
{
	const struct mt_perf_symbol *sym = perf_map_search(&img->jit, pc);

	if (sym)
		return sym;
	perf_map_refresh(&img->jit, img->pid);
	return perf_map_search(&img->jit, pc);
}

/* The profile's module of the image's perf map (JIT addresses are absolute). */
static long jit_module_of(struct mt_unwinder *u, struct unwind_image *img)
{
	char path[64];

	if (img->jit_module < 0)
		img->jit_module = profile_module(u->profile, perf_map_path(img->pid, path, sizeof(path)),
						 "");
	return img->jit_module;
}

static long jit_location(struct mt_unwinder *u, struct unwind_image *img, uint64_t pc)
{
	const struct mt_perf_symbol *sym;
	struct mt_line line = { 0 };
	long module, loc, function;

	if (img->jit_module >= 0) { /* a frame left unnamed before, or a symbol's start */
		loc = profile_find_location(u->profile, img->jit_module, pc);
		if (loc >= 0)
			return loc;
	}
	sym = find_jit(img, pc);
	if (!sym)
		return -1;
	module = jit_module_of(u, img);
	if (module < 0)
		return module;
	loc = profile_find_location(u->profile, module, sym->start);
	if (loc >= 0)
		return loc;
	function = profile_function(u->profile, sym->name, "");
	if (function < 0)
		return function;
	line.function = function;
	return profile_add_location(u->profile, module, sym->start, &line, 1);
}

/* A location for pc, named "[jit 0x...]" until unwinder_finish() finds its name. */
static long unnamed_jit_location(struct mt_unwinder *u, struct unwind_image *img, uint64_t pc)
{
	struct mt_line line = { 0 };
	long module, function, loc;
	char name[32];

	if (mt_ensure_mem((void **)&u->unnamed, &u->cap_unnamed, sizeof(*u->unnamed),
			  u->nr_unnamed + 1))
		return -ENOMEM;
	module = jit_module_of(u, img);
	if (module < 0)
		return module;
	snprintf(name, sizeof(name), "[jit 0x%" PRIx64 "]", pc);
	function = profile_function(u->profile, name, "");
	if (function < 0)
		return function;
	line.function = function;
	loc = profile_add_location(u->profile, module, pc, &line, 1);
	if (loc < 0)
		return loc;
	u->unnamed[u->nr_unnamed++] = (struct unnamed_jit){ .pid = img->pid, .location = loc, .pc = pc };
	return loc;
}

static int cmp_unnamed(const void *a, const void *b)
{
	const struct unnamed_jit *ua = a, *ub = b;

	return (ua->pid > ub->pid) - (ua->pid < ub->pid);
}

void unwinder_finish(struct mt_unwinder *u)
{
	struct mt_perf_map map = { 0 };
	const struct mt_perf_symbol *sym;
	const struct unnamed_jit *f;
	char path[64];
	long function;
	size_t i;

	if (!u->nr_unnamed)
		return;
	qsort(u->unnamed, u->nr_unnamed, sizeof(*u->unnamed), cmp_unnamed);
	for (i = 0; i < u->nr_unnamed; i++) {
		f = &u->unnamed[i];
		if (!i || f->pid != u->unnamed[i - 1].pid) {
			perf_map_free(&map);
			perf_map_load(&map, perf_map_path(f->pid, path, sizeof(path)));
		}
		sym = perf_map_search(&map, f->pc);
		function = sym ? profile_function(u->profile, sym->name, "") : -1;
		if (function >= 0)
			profile_rename_location(u->profile, f->location, function);
	}
	perf_map_free(&map);
	u->nr_unnamed = 0;
}

/* A path of pid's mappings as the process sees it: without the prefix of its root. */
static const char *path_in_root(uint32_t pid, const char *path)
{
	char link[64], root[PATH_MAX];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/%u/root", pid);
	len = readlink(link, root, sizeof(root) - 1);
	if (len <= 1 || strncmp(path, root, len) || path[len] != '/')
		return path;
	return path + len;
}

/*
 * The profile's module of a process's Dwfl module (remembered in its
 * userdata slot), and the load bias that turns its addresses into file
 * addresses (the same in every process).
 */
static long module_id(struct mt_profile *p, Dwfl_Module *mod, Dwarf_Addr *start, Dwarf_Addr *end,
		      Dwarf_Addr *bias)
{
	const unsigned char *bits;
	const char *name;
	GElf_Addr vaddr;
	void **userdata;
	char hex[2 * 64 + 1] = "";
	long id;
	int len, i;

	name = dwfl_module_info(mod, &userdata, start, end, NULL, NULL, NULL, NULL);
	/* loads the ELF (once per process and module): the bias and build id come from it */
	if (!dwfl_module_getelf(mod, bias))
		*bias = *start;
	if (*userdata)
		return (long)(intptr_t)*userdata - 1;
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	for (i = 0; i < len && i < 64; i++)
		sprintf(hex + 2 * i, "%02x", bits[i]);
	id = profile_module(p, name ? name : "[unknown]", hex);
	if (id < 0)
		return id;
	*userdata = (void *)(intptr_t)(id + 1);
	/* a container's (or chroot's) files: system or not by their path inside it */
	if (name && !p->modules[id].system)
		p->modules[id].system = profile_is_system_path(path_in_root(opening_pid, name));
	return id;
}

/* The module's shared symbols, opened from the file the process maps; NULL if it cannot be. */
static struct mt_symbols *symbols_of(struct mt_unwinder *u, long module, Dwfl_Module *mod)
{
	struct symbol_source *src;
	const char *file = NULL;
	size_t cap = u->nr_sources;

	if ((size_t)module >= u->nr_sources) {
		/* sources are indexed by module: the new ones start empty */
		if (mt_ensure_mem((void **)&u->sources, &cap, sizeof(*u->sources), module + 1))
			return NULL;
		memset(u->sources + u->nr_sources, 0, (cap - u->nr_sources) * sizeof(*u->sources));
		u->nr_sources = cap;
	}
	src = &u->sources[module];
	if (src->settled)
		return src->symbols;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	if (!file) { /* the vDSO: from the process's memory, no file */
		src->settled = true;
		return NULL;
	}
	/*
	 * A file opened through /proc/PID/root of a process that has exited
	 * since fails: it is tried again with the next process that maps it,
	 * or every later one would symbolize through its own Dwfl.
	 */
	src->symbols = symbols_open(u->profile->modules[module].path, file);
	src->settled = src->symbols != NULL;
	return src->symbols;
}

/* The names of one address's frames into the profile's lines; how many, or -errno. */
static int store_names(struct mt_profile *p, const struct mt_frame_name *frames, int nr,
		       struct mt_line *lines)
{
	long function;

	for (int i = 0; i < nr; i++) {
		function = profile_function(p, frames[i].function, frames[i].file);
		if (function < 0)
			return function;
		lines[i] = (struct mt_line){ .function = function, .line = frames[i].line };
	}
	return nr;
}

/*
 * -1: pc is not in the module after all (libdwfl may answer with a
 * neighbour), or, if named_only, no symbol names it. Otherwise an address
 * without a name is module+offset.
 */
static long elf_location(struct mt_unwinder *u, Dwfl_Module *mod, Dwarf_Addr pc, bool named_only)
{
	struct mt_frame_name frames[MT_MAX_INLINED];
	struct mt_line lines[MT_MAX_INLINED];
	struct mt_profile *p = u->profile;
	Dwarf_Addr start, end, bias, addr;
	struct mt_symbols *symbols;
	char name[PATH_MAX + 32];
	long module, loc;
	int nr;

	module = module_id(p, mod, &start, &end, &bias);
	if (module < 0)
		return module;
	if (pc < start || pc >= end)
		return -1;
	addr = pc - bias; /* the file's own address: the same in every process */
	loc = profile_find_location(p, module, addr);
	if (loc >= 0)
		return loc;
	symbols = symbols_of(u, module, mod);
	nr = symbols ? symbols_lookup(symbols, addr, frames) : symbols_lookup_module(mod, pc, frames);
	if (!nr && named_only)
		return -1;
	if (!nr) {
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, p->modules[module].path, addr);
		frames[nr++] = (struct mt_frame_name){ name, "", 0 };
	}
	nr = store_names(p, frames, nr, lines);
	return nr < 0 ? nr : profile_add_location(p, module, addr, lines, nr);
}

/* Read the maps again for a library loaded after they were read (ld.so runs first): true if read. */
static bool reread_maps(struct unwind_image *img)
{
	if (!img->dwfl || img->rereads >= MT_MAPS_REREADS)
		return false;
	img->rereads++;
	return report_maps(img, true) == 0;
}

/* The location of one address; return addresses are looked up at the call (pc - 1). */
static long location_of(struct mt_unwinder *u, struct unwind_image *img, uint64_t pc,
			bool return_address)
{
	Dwarf_Addr lookup = return_address ? pc - 1 : pc;
	Dwfl_Module *mod = img->dwfl ? dwfl_addrmodule(img->dwfl, lookup) : NULL;
	long loc;

	u->profile->frames++;
	/*
	 * JIT code first when there is a perf map: Node also maps its own
	 * binary high up, which makes libdwfl's module for it span the heap.
	 */
	if (img->jit.size || !mod) {
		loc = jit_location(u, img, lookup);
		if (loc != -1)
			return loc;
	}
	if (!mod && reread_maps(img))
		mod = dwfl_addrmodule(img->dwfl, lookup);
	loc = mod ? elf_location(u, mod, lookup, img->jit.size > 0) : -1;
	if (loc == -1 && img->jit.size > 0)
		return unnamed_jit_location(u, img, lookup);
	if (loc == -1) {
		u->profile->unknown_frames++;
		return u->unknown_location;
	}
	return loc;
}

struct frame_walk {
	uint64_t *pcs;
	int nr;
};

static int collect_frame(Dwfl_Frame *state, void *arg)
{
	struct frame_walk *w = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	w->pcs[w->nr++] = pc;
	return w->nr < MT_MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Is every frame's code in a module? (Return addresses are looked up at the call.) */
static bool all_in_modules(Dwfl *dwfl, const uint64_t *pcs, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!dwfl_addrmodule(dwfl, pcs[i] - (i > 0)))
			return false;
	return true;
}

/* DWARF unwinding from the registers and the stack copy: how many frames. */
static int unwind_dwarf(struct unwind_image *img, const struct mt_sample_event *e, uint64_t *pcs)
{
	struct frame_walk w = { .pcs = pcs };

	if (!img->attached || !(e->flags & MT_SAMPLE_HAS_COPY))
		return 0;
	img->sample = e;
	/* ends with an error at the first frame it cannot unwind: the frames so far stand */
	dwfl_getthread_frames(img->dwfl, e->tid, collect_frame, &w);
	/*
	 * A frame's code is in no module of the image: it was mapped after the
	 * maps were read (ld.so maps libraries after exec, and the first
	 * samples, which read the maps, come during that; a forked child shares
	 * what its parent's first samples read). Without that code's CFI,
	 * libdwfl guessed its caller from the frame pointer, wrongly in code
	 * built without one (libc): read the maps again and unwind again.
	 */
	if (!all_in_modules(img->dwfl, pcs, w.nr) && reread_maps(img)) {
		w.nr = 0;
		dwfl_getthread_frames(img->dwfl, e->tid, collect_frame, &w);
	}
	img->sample = NULL;
	return w.nr;
}

/* Continue a DWARF stack with the frame-pointer chain after the last address both hold. */
static int splice_fp(uint64_t *pcs, int nr, const struct mt_sample_event *e)
{
	uint32_t i;

	for (i = 0; i < e->nr_ips; i++) {
		if (e->ips[i] != pcs[nr - 1])
			continue;
		for (i++; i < e->nr_ips && nr < MT_MAX_FRAMES; i++)
			pcs[nr++] = e->ips[i];
		break;
	}
	return nr;
}

/*
 * Look for a CPython in the image's modules (again after its maps are read
 * again: libpython comes after exec). Its module counts as a system one: a
 * growth site is then the Python code, not the interpreter's internals.
 */
static void find_python(struct mt_unwinder *u, struct unwind_image *img)
{
	struct mt_py_symbols syms;
	Dwarf_Addr start, end, bias;
	Dwfl_Module *mod;
	const char *why;
	long module;
	int err;

	if (img->python_settled || !img->dwfl || u->py_layouts_fd < 0)
		return;
	err = pyelf_find(img->dwfl, &syms, &mod);
	if (err && !img->links_libpython)
		img->links_libpython = pyelf_links_libpython(img->dwfl) ? 1 : -1;
	/*
	 * ld.so maps the libpython an executable links after exec: the first
	 * samples come before or during that. Read the maps again at once
	 * rather than at a later sample's unknown address (the BPF side walks
	 * no Python frame until this finds the interpreter).
	 */
	if (err && img->links_libpython > 0 && reread_maps(img))
		err = pyelf_find(img->dwfl, &syms, &mod);
	if (err)
		return;
	img->python_settled = true;
	img->python = python_open(img->pid, &syms, &why);
	if (!img->python && why)
		fprintf(stderr, "memtrace: PID %u runs %s: its Python frames are not named\n",
			img->pid, why);
	module = img->python ? module_id(u->profile, mod, &start, &end, &bias) : -1;
	if (module >= 0)
		u->profile->modules[module].system = true;
}

/* Let the BPF side walk the process's Python frames from its next sample on. */
static void walk_python(struct mt_unwinder *u, struct unwind_image *img, uint32_t pid)
{
	struct unwind_process *proc = find_process(u, pid, false);

	if (!img->python || !proc || proc->python_walked)
		return;
	python_read_ahead(img->python, u->py_prefetch, pid);
	if (!bpf_map_update_elem(u->py_layouts_fd, &pid, python_layout(img->python), BPF_ANY))
		proc->python_walked = true;
}

/* The location of a Python frame: the profile's "[python]" module, keyed by function and line. */
static long python_location(struct mt_unwinder *u, struct unwind_image *img, uint32_t pid,
			    const struct mt_py_frame *f)
{
	struct mt_profile *p = u->profile;
	struct mt_py_frame_name name;
	struct mt_line line;
	long function, loc;
	uint64_t key;

	p->frames++;
	if (python_frame_name(img->python, pid, f, &name)) {
		p->unknown_frames++;
		return u->unknown_location;
	}
	function = profile_function(p, name.function, name.file);
	if (function < 0)
		return function;
	key = (uint64_t)function << 32 | (uint32_t)name.line;
	loc = profile_find_location(p, u->python_module, key);
	if (loc >= 0)
		return loc;
	line = (struct mt_line){ .function = function, .line = name.line };
	return profile_add_location(p, u->python_module, key, &line, 1);
}

/*
 * Python frames from py_frames[*next] on: those one call of the eval loop
 * ran, up to its entry frame (all that are left if `all`).
 */
static int python_locations(struct mt_unwinder *u, struct unwind_image *img,
			    const struct mt_sample_event *e, uint32_t *next, bool all, uint32_t *locs,
			    int room)
{
	int nr = 0;
	long loc;

	while (*next < e->py_nr_frames && nr < room) {
		const struct mt_py_frame *f = &e->py_frames[(*next)++];
		enum mt_py_frame_kind kind = python_frame_kind(img->python, f);

		if (kind != MT_PY_FRAME_SHIM) {
			loc = python_location(u, img, e->hdr.pid, f);
			if (loc < 0)
				return loc;
			locs[nr++] = loc;
		}
		if (kind != MT_PY_FRAME_CODE && !all)
			break;
	}
	if (all && *next == e->py_nr_frames && (e->flags & MT_SAMPLE_PY_CUT) && nr < room)
		locs[nr++] = u->python_cut;
	return nr;
}

/*
 * The stack's locations, with each native frame of the eval loop replaced
 * by the Python frames that call of it ran (as py-spy's merge_native_stack
 * does): the k-th eval frame from the innermost runs the k-th group of
 * Python frames, ended by an entry frame. The outermost eval frame takes
 * every group left (a native stack cut short); Python frames with no eval
 * frame to stand in for follow the native ones.
 */
static int merge_python(struct mt_unwinder *u, struct unwind_image *img,
			const struct mt_sample_event *e, const uint64_t *pcs, int nr_pcs,
			uint32_t *locs)
{
	int nr = 0, i, evals = 0, seen = 0, n;
	uint32_t next = 0;
	long loc;

	for (i = 0; i < nr_pcs; i++)
		evals += python_in_eval(img->python, pcs[i] - (i > 0));
	for (i = 0; i < nr_pcs; i++) {
		if (next < e->py_nr_frames && python_in_eval(img->python, pcs[i] - (i > 0))) {
			n = python_locations(u, img, e, &next, ++seen == evals, locs + nr,
					     MT_MAX_LOCATIONS - nr);
			if (n < 0)
				return n;
			nr += n;
			continue;
		}
		loc = location_of(u, img, pcs[i], i > 0);
		if (loc < 0)
			return loc;
		locs[nr++] = loc;
	}
	n = python_locations(u, img, e, &next, true, locs + nr, MT_MAX_LOCATIONS - nr);
	return n < 0 ? n : nr + n;
}

int unwinder_resolve(struct mt_unwinder *u, const struct mt_sample_event *e, uint32_t *locs)
{
	struct unwind_image *img = image_of(u, e->hdr.pid);
	uint64_t pcs[MT_MAX_FRAMES];
	long loc;
	int nr, i;

	if (!img)
		return -ENOMEM;
	opening_pid = img->pid;
	if (!img->jit.size) /* a runtime writes its map from its start on, after exec */
		perf_map_refresh(&img->jit, img->pid);
	/* before the slow part (a library's DWARF loaded): the process may not live long */
	find_python(u, img);
	walk_python(u, img, e->hdr.pid);

	nr = unwind_dwarf(img, e, pcs);
	if (nr > 1 && (e->flags & MT_SAMPLE_HAS_FP))
		nr = splice_fp(pcs, nr, e);
	if (nr > 1 || !(e->flags & MT_SAMPLE_HAS_FP)) {
		u->profile->dwarf_stacks++;
	} else {
		nr = e->nr_ips < MT_MAX_FRAMES ? e->nr_ips : MT_MAX_FRAMES;
		memcpy(pcs, e->ips, nr * sizeof(*pcs));
		u->profile->fp_stacks++;
	}
	find_python(u, img); /* its maps may have been read again meanwhile */
	walk_python(u, img, e->hdr.pid);
	if (img->python && e->py_nr_frames)
		return merge_python(u, img, e, pcs, nr, locs);
	if (!nr) {
		locs[0] = u->unknown_location;
		u->profile->unknown_frames++;
		return 1;
	}
	for (i = 0; i < nr; i++) {
		loc = location_of(u, img, pcs[i], i > 0);
		if (loc < 0)
			return loc;
		locs[i] = loc;
	}
	return nr;
}
