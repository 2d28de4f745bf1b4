// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * output_pprof.c - the growth profile as a gzip-compressed pprof profile
 * (profile.proto, encoded with protobuf-c), readable by pprof, Pyroscope and
 * speedscope. Two values per sample: alloc_space (sampled growth over the
 * run) and inuse_space (in use at the peak, the default view). Each stack's
 * process name is a "comm" label. Locations carry their inlined lines, so
 * no tool needs the binaries again.
 *
 * pprof places locations by address within non-overlapping mappings; module
 * addresses are relative, so each module gets its own 2^40-byte window.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output.h"
#include "profile.pb-c.h"
#include "text.h"
#include "util.h"

#define MT_MODULE_WINDOW (1ull << 40)

/* The profile's string table: every string once, "" at index 0. */
struct strings {
	char **v;
	size_t nr, cap;
	void *index;
};

struct string_entry {
	const char *s;
	int64_t id;
	char *safe; /* s made valid UTF-8 (protobuf strings must be), when it is not */
};

static void free_string_entry(void *e)
{
	free(((struct string_entry *)e)->safe);
	free(e);
}

static int cmp_string(const void *a, const void *b)
{
	return strcmp(((const struct string_entry *)a)->s, ((const struct string_entry *)b)->s);
}

static int64_t string_id(struct strings *t, const char *s)
{
	struct string_entry key = { .s = s }, *e;
	void *node = tfind(&key, &t->index, cmp_string);

	if (node)
		return (*(struct string_entry **)node)->id;
	if (mt_ensure_mem((void **)&t->v, &t->cap, sizeof(*t->v), t->nr + 1))
		return -1;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->s = s; /* the profile's strings outlive the table */
	e->id = t->nr;
	if ((!mt_text_is_safe(s, MT_TEXT_UTF8) && !(e->safe = mt_text_safe_dup(s, MT_TEXT_UTF8))) ||
	    !tsearch(e, &t->index, cmp_string)) {
		free_string_entry(e);
		return -1;
	}
	t->v[t->nr++] = e->safe ? e->safe : (char *)s;
	return e->id;
}

/* Everything the packed message points to, freed at once. */
struct pprof {
	Perftools__Profiles__Profile msg;
	Perftools__Profiles__ValueType types[2], period_type;
	Perftools__Profiles__ValueType *type_ptrs[2];
	Perftools__Profiles__Mapping *mappings, **mapping_ptrs;
	Perftools__Profiles__Function *functions, **function_ptrs;
	Perftools__Profiles__Location *locations, **location_ptrs;
	Perftools__Profiles__Line *lines, **line_ptrs;
	Perftools__Profiles__Sample *samples, **sample_ptrs;
	Perftools__Profiles__Label *labels, **label_ptrs;
	uint64_t *location_ids;
	int64_t *values;
	struct strings strings;
};

static void pprof_free(struct pprof *pp)
{
	tdestroy(pp->strings.index, free_string_entry);
	free(pp->strings.v);
	free(pp->mappings);
	free(pp->mapping_ptrs);
	free(pp->functions);
	free(pp->function_ptrs);
	free(pp->locations);
	free(pp->location_ptrs);
	free(pp->lines);
	free(pp->line_ptrs);
	free(pp->samples);
	free(pp->sample_ptrs);
	free(pp->labels);
	free(pp->label_ptrs);
	free(pp->location_ids);
	free(pp->values);
}

static size_t total_lines(const struct mt_profile *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nr_locations; i++)
		n += p->locations[i].nr_lines;
	return n;
}

static size_t total_frames(const struct mt_profile *p)
{
	size_t i, n = 0;

	for (i = 0; i < p->nr_stacks; i++)
		n += p->stacks[i].nr_locs;
	return n;
}

static int add_value_types(struct pprof *pp)
{
	static const char *const names[2] = { "alloc_space", "inuse_space" };
	int64_t bytes = string_id(&pp->strings, "bytes");
	int i;

	for (i = 0; i < 2; i++) {
		perftools__profiles__value_type__init(&pp->types[i]);
		pp->types[i].type = string_id(&pp->strings, names[i]);
		pp->types[i].unit = bytes;
		pp->type_ptrs[i] = &pp->types[i];
		if (pp->types[i].type < 0)
			return -ENOMEM;
	}
	perftools__profiles__value_type__init(&pp->period_type);
	pp->period_type.type = string_id(&pp->strings, "space");
	pp->period_type.unit = bytes;
	pp->msg.sample_type = pp->type_ptrs;
	pp->msg.n_sample_type = 2;
	pp->msg.period_type = &pp->period_type;
	pp->msg.default_sample_type = pp->types[1].type;
	return bytes < 0 || pp->period_type.type < 0 ? -ENOMEM : 0;
}

static int add_mappings(struct pprof *pp, const struct mt_profile *p)
{
	size_t i;

	pp->mappings = calloc(p->nr_modules + 1, sizeof(*pp->mappings));
	pp->mapping_ptrs = calloc(p->nr_modules + 1, sizeof(*pp->mapping_ptrs));
	if (!pp->mappings || !pp->mapping_ptrs)
		return -ENOMEM;
	for (i = 0; i < p->nr_modules; i++) {
		Perftools__Profiles__Mapping *m = &pp->mappings[i];

		perftools__profiles__mapping__init(m);
		m->id = i + 1;
		m->memory_start = (i + 1) * MT_MODULE_WINDOW;
		m->memory_limit = m->memory_start + MT_MODULE_WINDOW;
		m->filename = string_id(&pp->strings, p->modules[i].path);
		m->build_id = string_id(&pp->strings, p->modules[i].build_id);
		m->has_functions = m->has_filenames = m->has_line_numbers = true;
		m->has_inline_frames = true;
		if (m->filename < 0 || m->build_id < 0)
			return -ENOMEM;
		pp->mapping_ptrs[i] = m;
	}
	pp->msg.mapping = pp->mapping_ptrs;
	pp->msg.n_mapping = p->nr_modules;
	return 0;
}

static int add_functions(struct pprof *pp, const struct mt_profile *p)
{
	size_t i;

	pp->functions = calloc(p->nr_functions + 1, sizeof(*pp->functions));
	pp->function_ptrs = calloc(p->nr_functions + 1, sizeof(*pp->function_ptrs));
	if (!pp->functions || !pp->function_ptrs)
		return -ENOMEM;
	for (i = 0; i < p->nr_functions; i++) {
		Perftools__Profiles__Function *fn = &pp->functions[i];

		perftools__profiles__function__init(fn);
		fn->id = i + 1;
		fn->name = fn->system_name = string_id(&pp->strings, p->functions[i].name);
		fn->filename = string_id(&pp->strings, p->functions[i].file);
		if (fn->name < 0 || fn->filename < 0)
			return -ENOMEM;
		pp->function_ptrs[i] = fn;
	}
	pp->msg.function = pp->function_ptrs;
	pp->msg.n_function = p->nr_functions;
	return 0;
}

static int add_locations(struct pprof *pp, const struct mt_profile *p)
{
	size_t i, j, nr_lines = total_lines(p), line = 0;

	pp->locations = calloc(p->nr_locations + 1, sizeof(*pp->locations));
	pp->location_ptrs = calloc(p->nr_locations + 1, sizeof(*pp->location_ptrs));
	pp->lines = calloc(nr_lines + 1, sizeof(*pp->lines));
	pp->line_ptrs = calloc(nr_lines + 1, sizeof(*pp->line_ptrs));
	if (!pp->locations || !pp->location_ptrs || !pp->lines || !pp->line_ptrs)
		return -ENOMEM;
	for (i = 0; i < p->nr_locations; i++) {
		const struct mt_location *l = &p->locations[i];
		Perftools__Profiles__Location *loc = &pp->locations[i];

		perftools__profiles__location__init(loc);
		loc->id = i + 1;
		loc->mapping_id = l->module + 1;
		loc->address = (l->module + 1) * MT_MODULE_WINDOW + l->address % MT_MODULE_WINDOW;
		loc->line = &pp->line_ptrs[line];
		loc->n_line = l->nr_lines;
		for (j = 0; j < l->nr_lines; j++, line++) {
			perftools__profiles__line__init(&pp->lines[line]);
			pp->lines[line].function_id = l->lines[j].function + 1;
			pp->lines[line].line = l->lines[j].line;
			pp->line_ptrs[line] = &pp->lines[line];
		}
		pp->location_ptrs[i] = loc;
	}
	pp->msg.location = pp->location_ptrs;
	pp->msg.n_location = p->nr_locations;
	return 0;
}

static int add_samples(struct pprof *pp, const struct mt_profile *p)
{
	size_t i, j, nr = 0, frame = 0;
	int64_t comm_key = string_id(&pp->strings, "comm");

	pp->samples = calloc(p->nr_stacks + 1, sizeof(*pp->samples));
	pp->sample_ptrs = calloc(p->nr_stacks + 1, sizeof(*pp->sample_ptrs));
	pp->labels = calloc(p->nr_stacks + 1, sizeof(*pp->labels));
	pp->label_ptrs = calloc(p->nr_stacks + 1, sizeof(*pp->label_ptrs));
	pp->location_ids = calloc(total_frames(p) + 1, sizeof(*pp->location_ids));
	pp->values = calloc(2 * p->nr_stacks + 1, sizeof(*pp->values));
	if (!pp->samples || !pp->sample_ptrs || !pp->labels || !pp->label_ptrs ||
	    !pp->location_ids || !pp->values || comm_key < 0)
		return -ENOMEM;
	for (i = 0; i < p->nr_stacks; i++) {
		const struct mt_stack *s = &p->stacks[i];
		Perftools__Profiles__Sample *smp = &pp->samples[nr];
		Perftools__Profiles__Label *label = &pp->labels[nr];

		if (!s->alloc_bytes && !s->peak_bytes)
			continue;
		perftools__profiles__sample__init(smp);
		smp->location_id = &pp->location_ids[frame];
		smp->n_location_id = s->nr_locs;
		for (j = 0; j < s->nr_locs; j++)
			pp->location_ids[frame++] = s->locs[j] + 1; /* the leaf first */
		smp->value = &pp->values[2 * nr];
		smp->n_value = 2;
		smp->value[0] = s->alloc_bytes;
		smp->value[1] = s->peak_bytes;
		perftools__profiles__label__init(label);
		label->key = comm_key;
		label->str = string_id(&pp->strings, s->comm);
		if (label->str < 0)
			return -ENOMEM;
		pp->label_ptrs[nr] = label;
		smp->label = &pp->label_ptrs[nr];
		smp->n_label = 1;
		pp->sample_ptrs[nr++] = smp;
	}
	pp->msg.sample = pp->sample_ptrs;
	pp->msg.n_sample = nr;
	return 0;
}

/* gzip `data` into f (pprof files are gzip-compressed protobuf). */
static int write_gzip(FILE *f, const uint8_t *data, size_t len)
{
	unsigned char out[65536];
	z_stream z = { 0 };
	int ret, err = 0;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	z.next_in = (uint8_t *)data;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		ret = deflate(&z, Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		if (fwrite(out, 1, sizeof(out) - z.avail_out, f) != sizeof(out) - z.avail_out) {
			err = -EIO;
			break;
		}
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return err;
}

static int write_pprof(const struct mt_report *r, FILE *f)
{
	const struct mt_profile *p = r->profile;
	struct pprof pp = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if (!p)
		return 0;
	perftools__profiles__profile__init(&pp.msg);
	err = string_id(&pp.strings, "") < 0 ? -ENOMEM : 0;
	if (!err)
		err = add_value_types(&pp);
	if (!err)
		err = add_mappings(&pp, p);
	if (!err)
		err = add_functions(&pp, p);
	if (!err)
		err = add_locations(&pp, p);
	if (!err)
		err = add_samples(&pp, p);
	if (err)
		goto cleanup;
	pp.msg.string_table = pp.strings.v;
	pp.msg.n_string_table = pp.strings.nr;
	pp.msg.period = p->sample_bytes;
	pp.msg.duration_nanos = r->end_ns - r->start_ns;

	len = perftools__profiles__profile__get_packed_size(&pp.msg);
	buf = malloc(len + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	perftools__profiles__profile__pack(&pp.msg, buf);
	err = write_gzip(f, buf, len);
	if (!err && ferror(f))
		err = -EIO;
cleanup:
	free(buf);
	pprof_free(&pp);
	return err;
}

const struct mt_writer mt_writer_pprof = { "pprof", write_pprof };
