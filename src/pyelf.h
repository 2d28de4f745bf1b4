/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pyelf.h - which of a process's mappings is its CPython (the executable
 * or libpython defining _PyRuntime), and what its ELF file says: where
 * _PyRuntime and Py_Version are, and the eval loop's address ranges, whose
 * native frames ran Python frames (python.h reads the rest from memory).
 */
#ifndef MEMTRACE_PYELF_H
#define MEMTRACE_PYELF_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>

#include "python.h"

/* The interpreter among dwfl's modules: 0, its symbols and module; -ENOENT if none. */
int pyelf_find(Dwfl *dwfl, struct mt_py_symbols *syms, Dwfl_Module **mod);

/*
 * Whether one of dwfl's modules (the executable, after exec) links a
 * libpython: ld.so maps it after exec, so it may not be among them yet.
 */
bool pyelf_links_libpython(Dwfl *dwfl);

#endif /* MEMTRACE_PYELF_H */
