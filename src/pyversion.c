// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pyversion.c - CPython's version from its ELF files (see pyversion.h):
 * the dynamic (or full) symbol table names Py_Version, and the section
 * holding its address has its 4 bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pyversion.h"

#if defined(__x86_64__)
#define MT_MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MT_MULTIARCH "aarch64-linux-gnu"
#else
#define MT_MULTIARCH "unknown"
#endif

/* The 4 bytes at virtual address addr, from the section that holds them. */
static int read_at_address(Elf *elf, GElf_Addr addr, uint32_t *value)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	Elf_Data *data;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS ||
		    addr < shdr.sh_addr || addr + 4 > shdr.sh_addr + shdr.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || addr - shdr.sh_addr + 4 > data->d_size)
			return -EINVAL;
		memcpy(value, (const char *)data->d_buf + (addr - shdr.sh_addr), 4);
		return 0;
	}
	return -ENOENT;
}

/* Py_Version in elf's symbol tables; -ENOENT if neither has it. */
static int find_py_version(Elf *elf, uint32_t *version)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &shdr) ||
		    (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB) || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (name && !strcmp(name, "Py_Version"))
				return read_at_address(elf, sym.st_value, version);
		}
	}
	return -ENOENT;
}

/* What the dynamic section says of libpython: the DT_NEEDED naming it, the run path. */
struct needs {
	char libpython[256]; /* "libpython3.11.so.1.0"; "" if none */
	char runpath[PATH_MAX];
};

static void read_needs(Elf *elf, struct needs *n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *name;

			if (!gelf_getdyn(data, (int)i, &dyn) ||
			    (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH && dyn.d_tag != DT_RPATH))
				continue;
			name = elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val);
			if (name && dyn.d_tag != DT_NEEDED)
				snprintf(n->runpath, sizeof(n->runpath), "%s", name);
			else if (name && !strncmp(name, "libpython", 9))
				snprintf(n->libpython, sizeof(n->libpython), "%s", name);
		}
	}
}

/* Py_Version of one file, and what it needs when it has none. */
static int version_of_file(const char *path, uint32_t *version, struct needs *needs)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
	} else {
		err = find_py_version(elf, version);
		if (err == -ENOENT && needs)
			read_needs(elf, needs);
	}
	elf_end(elf);
	close(fd);
	return err;
}

/* libpython in one of the colon-separated dirs; $ORIGIN is the executable's directory. */
static int version_in_dirs(const char *root, const char *dirs, const char *origin,
			   const char *libpython, uint32_t *version)
{
	char dir[PATH_MAX], full[2 * PATH_MAX + 256];
	const char *p = dirs;
	int err;

	while (p && *p) {
		size_t len = strcspn(p, ":");

		if (len > 7 && !strncmp(p, "$ORIGIN", 7))
			snprintf(dir, sizeof(dir), "%s%.*s", origin, (int)len - 7, p + 7);
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)len, p);
		snprintf(full, sizeof(full), "%s%s/%s", root, dir, libpython);
		err = version_of_file(full, version, NULL);
		if (!err || (err != -ENOENT && err != -ENOTDIR && err != -EACCES))
			return err;
		p += len + (p[len] == ':');
	}
	return -ENOENT;
}

int mt_py_version(const char *root, const char *path, const char *libdirs, uint32_t *version)
{
	static const char defaults[] = "/lib:/usr/lib:/usr/local/lib:/lib/" MT_MULTIARCH
				       ":/usr/lib/" MT_MULTIARCH;
	struct needs needs = { 0 };
	char full[2 * PATH_MAX], origin[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int err;

	elf_version(EV_CURRENT);
	snprintf(full, sizeof(full), "%s%s", root, path);
	err = version_of_file(full, version, &needs);
	if (err != -ENOENT || !needs.libpython[0])
		return err;
	snprintf(origin, sizeof(origin), "%.*s", slash ? (int)(slash - path) : 0, path);
	/* where the loader looks: the run path, then the system's directories */
	err = version_in_dirs(root, needs.runpath, origin, needs.libpython, version);
	if (err == -ENOENT)
		err = version_in_dirs(root, libdirs, origin, needs.libpython, version);
	if (err == -ENOENT)
		err = version_in_dirs(root, defaults, origin, needs.libpython, version);
	return err;
}
