/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pyprefetch.h - CPython code objects read ahead. The samples are handled
 * in order, each after the DWARF unwinding of those before it (loading a
 * library's debug information can take a second): a short job may be gone
 * by the time its frames are named, and its memory with it. So the BPF
 * side announces each code object a process's samples hold for the first
 * time (py_code_events), and a thread of its own reads it at once, while
 * the process runs; naming a frame later takes it from here.
 */
#ifndef MEMTRACE_PYPREFETCH_H
#define MEMTRACE_PYPREFETCH_H

#include <stdint.h>

#include "pycode.h"

struct mt_py_prefetch;

/* Start the thread on the announcements' ring buffer; NULL with errno on failure. */
struct mt_py_prefetch *py_prefetch_start(int new_codes_fd);
/* Stop it and free what it read. */
void py_prefetch_stop(struct mt_py_prefetch *pf);

/*
 * Read pid's code objects (and its forked children's) with this layout
 * from now on, until py_prefetch_forget(). 0 or -ENOMEM.
 */
int py_prefetch_watch(struct mt_py_prefetch *pf, uint32_t pid, const struct mt_py_code_layout *l);
void py_prefetch_forget(struct mt_py_prefetch *pf, uint32_t pid);

/* The code object read ahead for pid at (addr, check), now the caller's; NULL if none. */
struct mt_py_code_object *py_prefetch_take(struct mt_py_prefetch *pf, uint32_t pid,
					   uint64_t addr, uint32_t check);

#endif /* MEMTRACE_PYPREFETCH_H */
