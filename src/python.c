// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * python.c - a process's CPython and the names of its frames (see python.h).
 *
 * The offsets come from the interpreter itself from 3.13 on: _PyRuntime
 * starts with _Py_DebugOffsets (cookie "xdebugpy"), a struct of 64-bit
 * offsets whose own layout changes between minor versions; where each
 * needed offset sits in it is tabled below per version (checked against
 * each version's headers: tests/integration/python.sh). 3.11 has no such
 * struct: its offsets are tabled (../shared/PYTHON.md, verified with gdb).
 * 3.12 and free-threaded builds are not read.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pycode.h"
#include "pylinetable.h"
#include "pyprefetch.h"
#include "python.h"

/*
 * Positions (byte offsets) in _Py_DebugOffsets of the offsets memtrace
 * uses, for one minor version (0: the struct has no such field).
 */
struct debug_offsets_layout {
	uint32_t minor;
	uint32_t free_threaded, interpreters_head, threads_head, thread_next, thread_current_frame,
		thread_native_id, frame_previous, frame_executable, frame_instr_ptr, frame_owner,
		code_filename, code_qualname, code_linetable, code_firstlineno, code_adaptive,
		bytes_size, bytes_sval, ascii_size, size;
};

/* From each version's Include/internal/pycore_debug_offsets.h (pycore_runtime.h in 3.13). */
static const struct debug_offsets_layout debug_layouts[] = {
	{ .minor = 13, .free_threaded = 16, .interpreters_head = 40, .threads_head = 72,
	  .thread_next = 168, .thread_current_frame = 184, .thread_native_id = 200,
	  .frame_previous = 232, .frame_executable = 240, .frame_instr_ptr = 248, .frame_owner = 264,
	  .code_filename = 280, .code_qualname = 296, .code_linetable = 304,
	  .code_firstlineno = 312, .code_adaptive = 344, .bytes_size = 520, .bytes_sval = 528,
	  .ascii_size = 0, .size = 584 },
	{ .minor = 14, .free_threaded = 16, .interpreters_head = 40, .threads_head = 72,
	  .thread_next = 192, .thread_current_frame = 208, .thread_native_id = 224,
	  .frame_previous = 256, .frame_executable = 264, .frame_instr_ptr = 272, .frame_owner = 288,
	  .code_filename = 320, .code_qualname = 336, .code_linetable = 344,
	  .code_firstlineno = 352, .code_adaptive = 384, .bytes_size = 600, .bytes_sval = 608,
	  .ascii_size = 640, .size = 760 },
	{ .minor = 15, .free_threaded = 16, .interpreters_head = 40, .threads_head = 72,
	  .thread_next = 192, .thread_current_frame = 208, .thread_native_id = 248,
	  .frame_previous = 320, .frame_executable = 328, .frame_instr_ptr = 336, .frame_owner = 352,
	  .code_filename = 384, .code_qualname = 400, .code_linetable = 408,
	  .code_firstlineno = 416, .code_adaptive = 448, .bytes_size = 696, .bytes_sval = 704,
	  .ascii_size = 736, .size = 888 },
};

struct mt_python {
	uint32_t version;
	struct mt_py_symbols syms;
	struct mt_py_layout layout;
	struct mt_py_code_layout code;
	void *codes; /* tsearch tree of struct mt_py_code_object */
	struct mt_py_prefetch *prefetch; /* code objects read ahead; NULL: none */
};

/* 3.11.x, from a build with DWARF (../shared/PYTHON.md) */
static int layout_3_11(struct mt_python *py)
{
	py->layout = (struct mt_py_layout){
		.interpreters_head = 40,
		.threads_head = 16,
		.thread_next = 8,
		.thread_native_id = 160,
		.thread_frame = 56, /* cframe */
		.cframe_frame = 8,  /* cframe->current_frame */
		.frame_previous = 48,
		.frame_code = 32,
		.frame_instr = 56, /* prev_instr */
		.frame_marker = 68, /* is_entry */
		.code_check = 72,
	};
	py->code = (struct mt_py_code_layout){
		.filename = 112,
		.qualname = 128,
		.linetable = 136,
		.firstlineno = 72,
		.code_adaptive = 184,
		.ascii_data = 48,   /* PyASCIIObject, with wstr */
		.compact_data = 72, /* PyCompactUnicodeObject */
		.bytes_size = 16,
		.bytes_data = 32,
	};
	return 0;
}

/* An offset that must fit the BPF side's 16-bit fields and leave room for what is read there. */
static int offset16(uint64_t v, uint16_t *out)
{
	if (v >= MT_PY_NO_FIELD - 8)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* 3.13+: the offsets the interpreter publishes at the start of _PyRuntime. */
static int layout_from_debug_offsets(struct mt_python *py, uint32_t pid, const char **why)
{
	const struct debug_offsets_layout *d = NULL;
	struct mt_py_layout *l = &py->layout;
	uint8_t buf[1024];
	uint64_t v[11];

	for (size_t i = 0; i < sizeof(debug_layouts) / sizeof(debug_layouts[0]); i++)
		if (debug_layouts[i].minor == MT_PY_MINOR(py->version))
			d = &debug_layouts[i];
	if (!d) {
		*why = "a CPython version memtrace does not read (3.11, 3.13-3.15 are)";
		return -ENOTSUP;
	}
	if (mt_py_read_mem(pid, py->syms.runtime, buf, d->size))
		return -ESRCH;
	if (memcmp(buf, "xdebugpy", 8) || mt_py_u64_at(buf, 8) >> 16 != py->version >> 16) {
		*why = "its _PyRuntime does not start with the debug offsets of its version";
		return -ENOTSUP;
	}
	if (mt_py_u64_at(buf, d->free_threaded)) {
		*why = "a free-threaded CPython build (out of scope)";
		return -ENOTSUP;
	}
	v[0] = mt_py_u64_at(buf, d->interpreters_head);
	v[1] = mt_py_u64_at(buf, d->threads_head);
	v[2] = mt_py_u64_at(buf, d->thread_next);
	v[3] = mt_py_u64_at(buf, d->thread_native_id);
	v[4] = mt_py_u64_at(buf, d->thread_current_frame);
	v[5] = mt_py_u64_at(buf, d->frame_previous);
	v[6] = mt_py_u64_at(buf, d->frame_executable);
	v[7] = mt_py_u64_at(buf, d->frame_instr_ptr);
	v[8] = mt_py_u64_at(buf, d->frame_owner);
	v[9] = mt_py_u64_at(buf, d->code_firstlineno);
	if (offset16(v[0], &l->interpreters_head) || offset16(v[1], &l->threads_head) ||
	    offset16(v[2], &l->thread_next) || offset16(v[3], &l->thread_native_id) ||
	    offset16(v[4], &l->thread_frame) || offset16(v[5], &l->frame_previous) ||
	    offset16(v[6], &l->frame_code) || offset16(v[7], &l->frame_instr) ||
	    offset16(v[8], &l->frame_marker) || offset16(v[9], &l->code_check)) {
		*why = "its debug offsets are out of range";
		return -ENOTSUP;
	}
	l->cframe_frame = MT_PY_NO_FIELD;
	py->code = (struct mt_py_code_layout){
		.filename = mt_py_u64_at(buf, d->code_filename),
		.qualname = mt_py_u64_at(buf, d->code_qualname),
		.linetable = mt_py_u64_at(buf, d->code_linetable),
		.firstlineno = mt_py_u64_at(buf, d->code_firstlineno),
		.code_adaptive = mt_py_u64_at(buf, d->code_adaptive),
		.ascii_data = d->ascii_size ? mt_py_u64_at(buf, d->ascii_size) : 40,
		.bytes_size = mt_py_u64_at(buf, d->bytes_size),
		.bytes_data = mt_py_u64_at(buf, d->bytes_sval),
	};
	/* PyCompactUnicodeObject adds utf8_length and utf8 */
	py->code.compact_data = py->code.ascii_data + 16;
	return 0;
}

struct mt_python *python_open(uint32_t pid, const struct mt_py_symbols *syms, const char **why)
{
	struct mt_python *py = calloc(1, sizeof(*py));
	int err;

	*why = NULL;
	if (!py)
		return NULL;
	py->syms = *syms;
	if (mt_py_read_mem(pid, syms->version, &py->version, sizeof(py->version))) {
		err = -ESRCH;
	} else if (MT_PY_MAJOR(py->version) != 3 || MT_PY_MINOR(py->version) < 11 ||
		   MT_PY_MINOR(py->version) == 12) {
		*why = "a CPython version memtrace does not read (3.11, 3.13-3.15 are)";
		err = -ENOTSUP;
	} else if (MT_PY_MINOR(py->version) == 11) {
		err = layout_3_11(py);
	} else {
		err = layout_from_debug_offsets(py, pid, why);
	}
	if (err) {
		free(py);
		errno = -err;
		return NULL;
	}
	py->layout.runtime = syms->runtime;
	return py;
}

void python_free(struct mt_python *py)
{
	if (!py)
		return;
	tdestroy(py->codes, mt_py_code_free);
	free(py);
}

const struct mt_py_layout *python_layout(const struct mt_python *py)
{
	return &py->layout;
}

uint32_t python_version(const struct mt_python *py)
{
	return py->version;
}

enum mt_py_frame_kind python_frame_kind(const struct mt_python *py, const struct mt_py_frame *f)
{
	if (MT_PY_MINOR(py->version) == 11) /* is_entry */
		return f->marker ? MT_PY_FRAME_ENTRY : MT_PY_FRAME_CODE;
	/* owner: 3 and up is the eval loop's own (3.13: CSTACK; 3.14+: INTERPRETER, CSTACK) */
	return f->marker >= 3 ? MT_PY_FRAME_SHIM : MT_PY_FRAME_CODE;
}

bool python_in_eval(const struct mt_python *py, uint64_t pc)
{
	const struct mt_py_symbols *s = &py->syms;

	return (pc >= s->eval_start && pc < s->eval_end) ||
	       (pc >= s->cold_start && pc < s->cold_end);
}

/*
 * The code object at addr (check: its co_firstlineno then): from the
 * cache, else read ahead (pyprefetch.c), else read now.
 */
static const struct mt_py_code_object *code_of(struct mt_python *py, uint32_t pid,
					       uint64_t addr, uint32_t check)
{
	struct mt_py_code_object key = { .addr = addr, .check = check }, *c, **node;

	node = tfind(&key, &py->codes, mt_py_code_cmp);
	if (node)
		return *node;
	if (!addr)
		return NULL;
	c = py->prefetch ? py_prefetch_take(py->prefetch, pid, addr, check) : NULL;
	if (!c)
		c = mt_py_code_read(pid, &py->code, addr, check);
	if (c && !tsearch(c, &py->codes, mt_py_code_cmp)) {
		mt_py_code_free(c);
		return NULL;
	}
	return c;
}

void python_read_ahead(struct mt_python *py, struct mt_py_prefetch *prefetch, uint32_t pid)
{
	py->prefetch = prefetch;
	py_prefetch_watch(prefetch, pid, &py->code);
}

int python_frame_name(struct mt_python *py, uint32_t pid, const struct mt_py_frame *f,
		      struct mt_py_frame_name *out)
{
	/* 3.14+: a frame's code is a _PyStackRef, whose low bits are tags */
	uint64_t addr = f->code & ~7ull, first_instr = addr + py->code.code_adaptive;
	const struct mt_py_code_object *c = code_of(py, pid, addr, f->check);
	int line;

	if (!c)
		return -ENOENT;
	line = f->instr >= first_instr ?
		       mt_py_line_of(c->linetable, c->linetable_len, c->firstlineno,
				     (uint32_t)(f->instr - first_instr)) :
		       c->firstlineno;
	out->function = c->qualname;
	out->file = c->filename;
	out->line = line > 0 ? line : 0;
	return 0;
}
