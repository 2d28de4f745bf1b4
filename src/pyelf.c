// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pyelf.c - where a process's CPython is (see pyelf.h): the symbols of
 * its executable or libpython, and the range of the eval loop that a
 * stripped build leaves unnamed, found from the loop's own jumps and the
 * functions' starts in .eh_frame_hdr.
 */
#include <errno.h>
#include <gelf.h>
#include <string.h>

#include "insn.h"
#include "pyelf.h"

struct python_search {
	struct mt_py_symbols syms;
	Dwfl_Module *mod; /* the module that holds them */
};

/* What a module says of the CPython it holds (if it is an interpreter's executable or libpython). */
static int python_symbols(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			  void *arg)
{
	struct python_search *search = arg;
	struct mt_py_symbols *syms = &search->syms;
	const char *base = strrchr(name, '/');
	const char *sym_name;
	GElf_Addr addr;
	GElf_Sym sym;
	int i, n;

	(void)userdata;
	(void)start;
	base = base ? base + 1 : name;
	if (strncmp(base, "python", 6) && strncmp(base, "libpython", 9))
		return DWARF_CB_OK;
	*syms = (struct mt_py_symbols){ 0 };
	n = dwfl_module_getsymtab(mod);
	for (i = 1; i < n; i++) {
		sym_name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (!sym_name || sym.st_shndx == SHN_UNDEF)
			continue;
		if (!strcmp(sym_name, "_PyRuntime")) {
			syms->runtime = addr;
		} else if (!strcmp(sym_name, "Py_Version")) {
			syms->version = addr;
		} else if (!strcmp(sym_name, "_PyEval_EvalFrameDefault")) {
			syms->eval_start = addr;
			syms->eval_end = addr + sym.st_size;
		} else if (!strcmp(sym_name, "_PyEval_EvalFrameDefault.cold")) {
			syms->cold_start = addr;
			syms->cold_end = addr + sym.st_size;
		}
	}
	if (!syms->runtime || !syms->version || !syms->eval_start)
		return DWARF_CB_OK;
	search->mod = mod;
	return DWARF_CB_ABORT;
}

/* Whether mod's ELF file names a libpython among the libraries it needs (DT_NEEDED). */
static int module_links_libpython(Dwfl_Module *mod, void **userdata, const char *name,
				  Dwarf_Addr start, void *arg)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;
	const char *needed;
	GElf_Shdr shdr;
	Elf_Data *data;
	GElf_Dyn dyn;
	size_t i;

	(void)userdata, (void)name, (void)start;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			if (!gelf_getdyn(data, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
				continue;
			needed = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
			if (needed && !strncmp(needed, "libpython", 9)) {
				*(bool *)arg = true;
				return DWARF_CB_ABORT;
			}
		}
	}
	return DWARF_CB_OK;
}

bool pyelf_links_libpython(Dwfl *dwfl)
{
	bool links = false;

	dwfl_getmodules(dwfl, module_links_libpython, &links, 0);
	return links;
}

#define MT_COLD_MIN_JUMPS 8 /* jumps into a range that make it the function's split-off part */

/*
 * The functions' starts, from .eh_frame_hdr's sorted table (file
 * addresses), and how many of the eval loop's jumps land in each.
 */
struct cold_vote {
	const uint8_t *table; /* .eh_frame_hdr's (start, FDE) pairs, 4-byte each, datarel */
	uint64_t hdr_addr;    /* the section's address: what they are relative to */
	uint32_t count;
	uint64_t bias;
	struct {
		uint32_t index; /* in the table */
		unsigned jumps;
	} ranges[64];
	unsigned nr;
};

static uint64_t fde_start(const struct cold_vote *v, uint32_t i)
{
	int32_t rel;

	memcpy(&rel, v->table + 8 * (size_t)i, sizeof(rel));
	return v->hdr_addr + rel;
}

static void vote_cold(void *ctx, uint64_t target)
{
	struct cold_vote *v = ctx;
	uint64_t addr = target - v->bias;
	uint32_t lo = 0, hi = v->count, i;

	if (!v->count || addr < fde_start(v, 0))
		return;
	while (hi - lo > 1) { /* the last start <= addr */
		uint32_t mid = lo + (hi - lo) / 2;

		if (fde_start(v, mid) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	for (i = 0; i < v->nr && v->ranges[i].index != lo; i++)
		;
	if (i == v->nr && v->nr < sizeof(v->ranges) / sizeof(v->ranges[0]))
		v->ranges[v->nr++].index = lo;
	if (i < v->nr)
		v->ranges[i].jumps++;
}

/* A section of elf by name; NULL if none. */
static Elf_Scn *section_named(Elf *elf, const char *name, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		n = gelf_getshdr(scn, shdr) ? elf_strptr(elf, shstrndx, shdr->sh_name) : NULL;
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* The bytes at file address [addr, addr + len) of elf's sections; NULL if none holds them all. */
static const uint8_t *file_bytes(Elf *elf, uint64_t addr, uint64_t len)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	Elf_Data *data;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS ||
		    addr < shdr.sh_addr || addr + len > shdr.sh_addr + shdr.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || addr + len - shdr.sh_addr > data->d_size)
			return NULL;
		return (const uint8_t *)data->d_buf + (addr - shdr.sh_addr);
	}
	return NULL;
}

/*
 * The eval loop's split-off part when no symbol names it (stripped builds):
 * compilers move rarely run paths (with PGO, whole opcodes: Debian's 3.13
 * runs most of its loop there) to a range of their own, which the function
 * jumps into. It is the function range (one per FDE) that most of its
 * outward jumps land in; tail calls land in other functions now and then.
 */
static void find_eval_cold(Dwfl_Module *mod, struct mt_py_symbols *syms)
{
	struct cold_vote vote = { 0 };
	const uint8_t *hdr, *code;
	Dwarf_Addr bias;
	GElf_Shdr shdr;
	uint32_t count;
	unsigned i, best = 0;
	Elf *elf;

	elf = dwfl_module_getelf(mod, &bias);
	if (!elf || !section_named(elf, ".eh_frame_hdr", &shdr) || shdr.sh_size < 12)
		return;
	hdr = file_bytes(elf, shdr.sh_addr, shdr.sh_size);
	/* version 1; eh_frame_ptr pcrel|sdata4, fde_count udata4, table datarel|sdata4 */
	if (!hdr || hdr[0] != 1 || hdr[1] != 0x1b || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return;
	memcpy(&count, hdr + 8, sizeof(count));
	if (12 + 8 * (uint64_t)count > shdr.sh_size)
		return;
	vote.table = hdr + 12;
	vote.count = count;
	vote.hdr_addr = shdr.sh_addr;
	vote.bias = bias;
	code = file_bytes(elf, syms->eval_start - bias, syms->eval_end - syms->eval_start);
	if (!code || insn_jumps_out(code, syms->eval_end - syms->eval_start, syms->eval_start,
				    vote_cold, &vote))
		return;
	for (i = 0; i < vote.nr; i++) {
		if (vote.ranges[i].jumps >= MT_COLD_MIN_JUMPS &&
		    (!best || vote.ranges[i].jumps > vote.ranges[best - 1].jumps))
			best = i + 1;
	}
	if (!best || vote.ranges[best - 1].index + 1 >= count)
		return;
	syms->cold_start = fde_start(&vote, vote.ranges[best - 1].index) + bias;
	syms->cold_end = fde_start(&vote, vote.ranges[best - 1].index + 1) + bias;
}

int pyelf_find(Dwfl *dwfl, struct mt_py_symbols *syms, Dwfl_Module **mod)
{
	struct python_search search = { 0 };

	dwfl_getmodules(dwfl, python_symbols, &search, 0);
	if (!search.mod)
		return -ENOENT;
	if (!search.syms.cold_start)
		find_eval_cold(search.mod, &search.syms);
	*syms = search.syms;
	*mod = search.mod;
	return 0;
}
