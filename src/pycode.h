/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pycode.h - CPython code objects as memtrace reads them from a traced
 * process's memory (process_vm_readv): the qualified name, file, first
 * line and line table of the function whose frame a sample holds. Used by
 * python.c when it names a frame and by pyprefetch.c, which reads them
 * ahead, as soon as the BPF side announces them.
 */
#ifndef MEMTRACE_PYCODE_H
#define MEMTRACE_PYCODE_H

#include <stddef.h>
#include <stdint.h>

/* Where an interpreter's code objects, and the str and bytes they point to, keep what is read. */
struct mt_py_code_layout {
	uint32_t filename, qualname, linetable, firstlineno, code_adaptive;
	uint32_t ascii_data;   /* a compact ASCII string's characters */
	uint32_t compact_data; /* a compact non-ASCII string's */
	uint32_t bytes_size, bytes_data;
};

/* A code object read once: its names and line table. */
struct mt_py_code_object {
	uint64_t addr; /* the key: address and check value */
	uint32_t check;
	int firstlineno;
	char *qualname, *filename;
	uint8_t *linetable;
	size_t linetable_len;
};

/* The 8 bytes at off in buf (any alignment). */
uint64_t mt_py_u64_at(const uint8_t *buf, uint32_t off);

/* len bytes of pid's memory at addr; 0, or -1 if not all of them could be read. */
int mt_py_read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len);

/*
 * The code object at addr in pid, read now (malloc'd); NULL if it cannot
 * be, or is no longer the one sampled (its co_firstlineno is not check;
 * check 0: the BPF side could not read it).
 */
struct mt_py_code_object *mt_py_code_read(uint32_t pid, const struct mt_py_code_layout *l,
					  uint64_t addr, uint32_t check);
void mt_py_code_free(void *code);

/* Order of code objects by (address, check), for tsearch trees. */
int mt_py_code_cmp(const void *a, const void *b);

#endif /* MEMTRACE_PYCODE_H */
