/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * symbols.h - names of code addresses, from ELF files and their DWARF with
 * elfutils' libdwfl: the function, source file and line, and the functions
 * inlined there, innermost first; the ELF symbol table (or dynsym, when
 * stripped) without debuginfo, found by build id under
 * /usr/lib/debug/.build-id or by debuglink. A symbol source is one module's
 * file, opened once for every process that maps it. Symbolizing returns
 * names; the caller keeps what it needs of them.
 */
#ifndef MEMTRACE_SYMBOLS_H
#define MEMTRACE_SYMBOLS_H

#include <elfutils/libdwfl.h>
#include <stddef.h>
#include <stdint.h>

#define MT_MAX_INLINED 16 /* inlined frames named per address */

/* One frame's name; the strings live as long as the source (or the Dwfl) they came from. */
struct mt_frame_name {
	const char *function;
	const char *file; /* "" if unknown */
	int line;	  /* 0 if unknown */
};

/* An ELF function symbol, in the sorted table symbols_search() looks in. */
struct mt_elf_symbol {
	uint64_t start, size;
	const char *name;
};

/* The symbol of a table sorted by start that contains addr; NULL if none. */
const struct mt_elf_symbol *symbols_search(const struct mt_elf_symbol *table, size_t n,
					   uint64_t addr);

struct mt_symbols;

/*
 * The symbols of `file` (a path this process can open, e.g. through
 * /proc/PID/root), reported to libdwfl as `name`. NULL if it cannot be
 * opened or is not an ELF file.
 */
struct mt_symbols *symbols_open(const char *name, const char *file);
void symbols_free(struct mt_symbols *s);

/*
 * The frames at a file address of the source, innermost first (at most
 * MT_MAX_INLINED); 0 when nothing names it.
 */
int symbols_lookup(struct mt_symbols *s, uint64_t file_addr, struct mt_frame_name *frames);

/* The same from a process's own module (when its file could not be opened apart): pc in it. */
int symbols_lookup_module(Dwfl_Module *mod, uint64_t pc, struct mt_frame_name *frames);

#endif /* MEMTRACE_SYMBOLS_H */
