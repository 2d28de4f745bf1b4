// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pycode.c - CPython code objects read from a process's memory (see
 * pycode.h): the object's fields at the interpreter's offsets, its str
 * objects (compact ones: every name and file the compiler makes) as UTF-8,
 * its line table's bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pycode.h"

#define MAX_TEXT 4096		 /* bytes of a name or file read */
#define MAX_LINETABLE (1u << 20) /* bytes of a line table read */

int mt_py_read_mem(uint32_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

uint64_t mt_py_u64_at(const uint8_t *buf, uint32_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* Append code point c to out as UTF-8. */
static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18 & 0x07));
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * A str object's text, as UTF-8 (malloc'd); NULL if it cannot be read. Only
 * compact strings (every identifier and file name the compiler makes): the
 * state's bits are interned:2, kind:3, compact:1, ascii:1.
 */
static char *read_str(const struct mt_py_code_layout *l, uint32_t pid, uint64_t addr)
{
	uint8_t head[48], data[MAX_TEXT];
	uint64_t length;
	uint32_t state, kind;
	char *out;
	size_t n = 0;

	if (!addr || mt_py_read_mem(pid, addr, head, sizeof(head)))
		return NULL;
	length = mt_py_u64_at(head, 16);
	memcpy(&state, head + 32, sizeof(state));
	kind = state >> 2 & 7;
	if (!(state & 1u << 5) || (kind != 1 && kind != 2 && kind != 4))
		return NULL;
	if (length > MAX_TEXT / kind)
		length = MAX_TEXT / kind;
	if (mt_py_read_mem(pid, addr + (state & 1u << 6 ? l->ascii_data : l->compact_data),
		     data, length * kind))
		return NULL;
	out = malloc(4 * length + 1);
	if (!out)
		return NULL;
	for (uint64_t i = 0; i < length; i++) {
		uint32_t c = kind == 1 ? data[i] : kind == 2 ? ((uint16_t *)data)[i] :
							   ((uint32_t *)data)[i];
		n += put_utf8(out + n, c > 0x10ffff ? 0xfffd : c);
	}
	out[n] = '\0';
	return out;
}

/* A bytes object's contents (malloc'd), and its length. */
static uint8_t *read_bytes(const struct mt_py_code_layout *l, uint32_t pid, uint64_t addr,
			   size_t *len)
{
	uint64_t size;
	uint8_t *out;

	if (!addr || mt_py_read_mem(pid, addr + l->bytes_size, &size, sizeof(size)) ||
	    size > MAX_LINETABLE)
		return NULL;
	out = malloc(size ? size : 1);
	if (out && mt_py_read_mem(pid, addr + l->bytes_data, out, size)) {
		free(out);
		return NULL;
	}
	*len = size;
	return out;
}

int mt_py_code_cmp(const void *a, const void *b)
{
	const struct mt_py_code_object *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->check < y->check ? -1 : x->check > y->check;
}

struct mt_py_code_object *mt_py_code_read(uint32_t pid, const struct mt_py_code_layout *l,
					  uint64_t addr, uint32_t check)
{
	struct mt_py_code_object *c = calloc(1, sizeof(*c));
	uint64_t filename, qualname, linetable;
	int32_t firstlineno;

	if (!c)
		return NULL;
	c->addr = addr;
	c->check = check;
	/* check 0: the BPF side could not read it (a page not present then) */
	if (mt_py_read_mem(pid, addr + l->firstlineno, &firstlineno, sizeof(firstlineno)) ||
	    (check && (uint32_t)firstlineno != check) || mt_py_read_mem(pid, addr + l->filename, &filename, 8) ||
	    mt_py_read_mem(pid, addr + l->qualname, &qualname, 8) ||
	    mt_py_read_mem(pid, addr + l->linetable, &linetable, 8))
		goto fail;
	c->firstlineno = firstlineno;
	c->qualname = read_str(l, pid, qualname);
	c->filename = read_str(l, pid, filename);
	c->linetable = read_bytes(l, pid, linetable, &c->linetable_len);
	if (c->qualname && c->filename && c->linetable)
		return c;
fail:
	mt_py_code_free(c);
	return NULL;
}

void mt_py_code_free(void *node)
{
	struct mt_py_code_object *c = node;

	free(c->qualname);
	free(c->filename);
	free(c->linetable);
	free(c);
}

