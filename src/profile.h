/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * profile.h - which code made memory grow: the symbol tables of a run
 * (modules, functions, locations), the sampled stacks with the bytes each
 * stands for, what was in use at the peak, and the big mappings. Filled from
 * MT_EV_SAMPLE/MT_EV_UNMAP records after unwind.c turned their addresses into
 * locations; read by the folded, pprof, text and JSON writers.
 */
#ifndef MEMTRACE_PROFILE_H
#define MEMTRACE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memtrace.h"

/* An executable or shared library (or a JIT's perf map, or "[unknown]"). */
struct mt_module {
	char *path;	/* these two strings first: profile.c interns modules and functions alike */
	char *build_id; /* hex; "" if none */
	bool system;	/* under /lib or /usr/lib: skipped when naming a growth site */
};

struct mt_function {
	char *name;
	char *file; /* source file; "" if unknown */
};

struct mt_line {
	uint32_t function;
	uint32_t line; /* 0 if unknown */
};

/* One code address, with its inlined frames: lines[0] is the innermost. */
struct mt_location {
	uint32_t module;
	uint64_t address; /* relative to the module (absolute for JIT code) */
	uint32_t nr_lines;
	struct mt_line *lines;
};

struct mt_stack {
	char comm[MT_COMM_LEN]; /* the process: the root of the folded stack */
	uint32_t nr_locs;
	uint32_t *locs; /* innermost first */
	uint64_t alloc_bytes;  /* sampled growth over the whole run */
	uint64_t inuse_bytes;  /* of that, still in use now */
	uint64_t peak_bytes;   /* in use at the traced total's peak */
	uint64_t mapped_bytes; /* mappings of at least --big-bytes */
};

struct mt_profile {
	struct mt_module *modules;
	size_t nr_modules, cap_modules;
	struct mt_function *functions;
	size_t nr_functions, cap_functions;
	struct mt_location *locations;
	size_t nr_locations, cap_locations;
	struct mt_stack *stacks;
	size_t nr_stacks, cap_stacks;
	void *module_index, *function_index, *location_index, *stack_index; /* tsearch trees */
	void *processes; /* sampled pages still mapped, per pid */

	const char *unwind; /* "fp", "dwarf" or "auto" */
	uint64_t sample_bytes, big_bytes;
	uint64_t samples, sampled_bytes; /* growth samples received, and what they stand for */
	uint64_t big_mappings;
	uint64_t inuse_bytes;
	uint64_t peak_rss;	   /* the traced total's peak when in-use was snapshot */
	uint64_t peak_ns;
	uint64_t peak_inuse_bytes; /* sampled bytes in use at that moment */
	bool peak_pending;	   /* the last change was at a new peak: snapshot before the next */
	uint64_t pending_rss, pending_ns;
	uint64_t frames, unknown_frames; /* frames symbolized, and those no module or map knew */
	uint64_t dwarf_stacks, fp_stacks; /* which unwinder gave each stack */
};

int profile_init(struct mt_profile *p, const char *unwind, uint64_t sample_bytes,
		 uint64_t big_bytes);
void profile_free(struct mt_profile *p);

/* Interned symbols; each returns the id, or -ENOMEM. */
long profile_module(struct mt_profile *p, const char *path, const char *build_id);
long profile_function(struct mt_profile *p, const char *name, const char *file);
/* The location of (module, address) if it was symbolized before; -1 otherwise. */
long profile_find_location(struct mt_profile *p, uint32_t module, uint64_t address);
long profile_add_location(struct mt_profile *p, uint32_t module, uint64_t address,
			  const struct mt_line *lines, uint32_t nr_lines);
/* A location named late (JIT code whose perf-map line came after its sample). */
void profile_rename_location(struct mt_profile *p, uint32_t location, uint32_t function);

/*
 * A sample whose stack unwind.c resolved to `locs` (innermost first). A
 * growth sample's memory is the page at `page` when that is known, else
 * somewhere from `near` (a syscall's buffer); 0: unknown, in use until its
 * process exits or execs.
 */
int profile_on_sample(struct mt_profile *p, const struct mt_sample_event *e, uint64_t page,
		      uint64_t near, const char *comm, const uint32_t *locs, uint32_t nr_locs);
/* Pages of e->hdr.pid left [addr, addr+len) (or moved, for mremap). */
int profile_on_unmap(struct mt_profile *p, const struct mt_unmap_event *e);
/* The process exited or exec'd: none of its sampled pages is in use any more. */
void profile_forget_process(struct mt_profile *p, uint32_t pid);
/* Tracing ended: take the at-peak snapshot if the peak was the last thing seen. */
void profile_finish(struct mt_profile *p);

/* Which of a stack's byte counts a listing is about. */
enum mt_stack_value {
	MT_VALUE_GROWTH,  /* alloc_bytes */
	MT_VALUE_AT_PEAK, /* peak_bytes */
	MT_VALUE_MAPPED,  /* mapped_bytes */
};

uint64_t profile_stack_value(const struct mt_stack *s, enum mt_stack_value which);

/* A growth site: the innermost frame in the program's own code. */
struct mt_site {
	uint32_t function;
	uint32_t line;
	uint64_t bytes;
};

/* Growth sites by bytes, largest first. *sites is malloc'd; returns how many, or -ENOMEM. */
long profile_sites(const struct mt_profile *p, enum mt_stack_value which, struct mt_site **sites);

/* The module of Python frames (unwind.c): their function is co_qualname, their file co_filename. */
#define MT_PYTHON_MODULE "[python]"
#define MT_FRAME_LABEL_LEN 512 /* room for a label (longer ones are cut) */

/*
 * How a frame reads in a stack: its function, and for a Python frame
 * "function (file.py:LINE)" (the file's last component); in buf when built.
 */
const char *profile_frame_label(const struct mt_profile *p, const struct mt_location *l,
				const struct mt_line *line, char *buf, size_t size);

/* Is this a system library's path (under /lib or /usr/lib), or a pseudo-module ([vdso])? */
bool profile_is_system_path(const char *path);

/* Is this function an allocator or a copy helper (a growth site is never one)? */
bool profile_is_allocator(const char *function);

/*
 * The line that names a stack's growth site: the innermost frame that is
 * neither in a system library nor an allocator or copy helper.
 */
const struct mt_line *profile_site_line(const struct mt_profile *p, const struct mt_stack *s);

/* Indices of the stacks with bytes of that kind, largest first; *order is malloc'd. */
long profile_sorted_stacks(const struct mt_profile *p, enum mt_stack_value which,
			   uint32_t **order);

#endif /* MEMTRACE_PROFILE_H */
