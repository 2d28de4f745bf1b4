// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * symbols.c - code addresses to names (see symbols.h). A source's function
 * symbols are sorted once: dwfl_module_addrinfo() scans the whole table
 * per call, and a compiler's cc1 has 100,000 of them.
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"

struct mt_symbols {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr bias; /* file address + bias = address in this Dwfl */
	struct mt_elf_symbol *table; /* its function symbols by start */
	size_t nr;
};

static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

const struct mt_elf_symbol *symbols_search(const struct mt_elf_symbol *table, size_t n,
					   uint64_t addr)
{
	size_t lo = 0, hi = n, mid;
	const struct mt_elf_symbol *sym;

	while (lo < hi) { /* the last symbol starting at or before addr */
		mid = (lo + hi) / 2;
		if (table[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	sym = &table[lo - 1];
	/* a symbol of size 0 (assembly) names its start only: it must not swallow what follows */
	return addr - sym->start < (sym->size ? sym->size : 1) ? sym : NULL;
}

static int cmp_symbol(const void *a, const void *b)
{
	const struct mt_elf_symbol *sa = a, *sb = b;

	return (sa->start > sb->start) - (sa->start < sb->start);
}

/* The source's function symbols, sorted once (symtab, or dynsym when stripped). */
static void load_table(struct mt_symbols *s)
{
	int nr = dwfl_module_getsymtab(s->mod), i, type;
	const char *name;
	GElf_Addr addr;
	GElf_Sym sym;

	if (nr <= 0)
		return;
	s->table = calloc(nr, sizeof(*s->table));
	if (!s->table)
		return;
	for (i = 1; i < nr; i++) {
		name = dwfl_module_getsym_info(s->mod, i, &sym, &addr, NULL, NULL, NULL);
		type = GELF_ST_TYPE(sym.st_info);
		if (!name || !*name || !addr || (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		s->table[s->nr++] = (struct mt_elf_symbol){ .start = addr, .size = sym.st_size,
							    .name = name };
	}
	qsort(s->table, s->nr, sizeof(*s->table), cmp_symbol);
}

struct mt_symbols *symbols_open(const char *name, const char *file)
{
	struct mt_symbols *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dwfl = dwfl_begin(&offline_callbacks);
	if (!s->dwfl) {
		free(s);
		return NULL;
	}
	dwfl_report_begin(s->dwfl);
	s->mod = dwfl_report_offline(s->dwfl, name, file, -1);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (!s->mod || !dwfl_module_getelf(s->mod, &s->bias)) {
		symbols_free(s);
		return NULL;
	}
	load_table(s);
	return s;
}

void symbols_free(struct mt_symbols *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s->table);
	free(s);
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

/* The caller's source position of an inlined call. */
static void call_site(Dwarf_Die *cudie, Dwarf_Die *inlined, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Files *files;
	Dwarf_Word index, number;
	size_t nr_files;
	const char *name;

	*file = "";
	*line = 0;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &number) == 0)
		*line = number;
	if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &index) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nr_files) == 0 && index < nr_files) {
		name = dwarf_filesrc(files, index, NULL, NULL);
		if (name)
			*file = name;
	}
}

/*
 * The frames at pc of mod, innermost first: the inlined calls that contain
 * it (from the DWARF scopes) and the function they were inlined into.
 * Without debuginfo: the ELF symbol, from `s`'s sorted table when given.
 */
static int lookup(Dwfl_Module *mod, const struct mt_symbols *s, Dwarf_Addr pc,
		  struct mt_frame_name *frames)
{
	const char *name = NULL, *file = "";
	Dwarf_Die *cudie, *scopes = NULL, innermost;
	const struct mt_elf_symbol *sym;
	Dwarf_Addr bias, off;
	Dwfl_Line *src;
	GElf_Sym elf_sym;
	int nr = 0, nr_scopes, line = 0, tag, i;

	src = dwfl_module_getsrc(mod, pc);
	if (src) {
		file = dwfl_lineinfo(src, NULL, &line, NULL, NULL, NULL);
		if (!file)
			file = "";
	}
	cudie = dwfl_module_addrdie(mod, pc, &bias);
	nr_scopes = cudie ? dwarf_getscopes(cudie, pc - bias, &scopes) : 0;
	if (nr_scopes > 0) {
		/*
		 * dwarf_getscopes() continues an inlined instance with its abstract
		 * definition's scopes; the chain of DIEs that physically contain the
		 * innermost one names the functions it was inlined into.
		 */
		innermost = scopes[0];
		free(scopes);
		scopes = NULL;
		nr_scopes = dwarf_getscopes_die(&innermost, &scopes);
	}
	for (i = 0; i < nr_scopes && nr < MT_MAX_INLINED; i++) {
		tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		name = die_name(&scopes[i]);
		frames[nr++] = (struct mt_frame_name){ name ? name : "??", file, line };
		if (tag == DW_TAG_subprogram)
			break;
		call_site(cudie, &scopes[i], &file, &line);
	}
	free(scopes);
	if (nr)
		return nr;
	if (s) {
		sym = symbols_search(s->table, s->nr, pc);
		name = sym ? sym->name : NULL;
	} else {
		name = dwfl_module_addrinfo(mod, pc, &off, &elf_sym, NULL, NULL, NULL);
	}
	if (!name)
		return 0;
	frames[0] = (struct mt_frame_name){ name, file, line };
	return 1;
}

int symbols_lookup(struct mt_symbols *s, uint64_t file_addr, struct mt_frame_name *frames)
{
	return lookup(s->mod, s, file_addr + s->bias, frames);
}

int symbols_lookup_module(Dwfl_Module *mod, uint64_t pc, struct mt_frame_name *frames)
{
	return lookup(mod, NULL, pc, frames);
}
