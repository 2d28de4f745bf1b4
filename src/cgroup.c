// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * cgroup.c - the memory hierarchy, id -> path, memcg figures (see cgroup.h).
 *
 * Mode detection as the field does it: /sys/fs/cgroup is cgroup2 (it has
 * cgroup.controllers) on a unified host; otherwise the memory controller is
 * the v1 "memory" hierarchy (legacy and hybrid hosts, where a cgroup2 mount
 * at unified/ holds no controller). BPF keys groups by the memory
 * controller's cgroup, so the ids are inodes of that hierarchy.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "runtime_state.h"
#include "workload.h"
#include "util.h"

struct cgroup_path {
	uint64_t id;
	char *path;
	struct mt_memcg memcg;	     /* as last read, kept after the cgroup is gone */
	struct mt_runtime_names names; /* from the runtime's state, while it existed */
	bool names_done;	     /* found, or not a container's cgroup */
	unsigned int tries;	     /* a new container's lookups, until names and memcg are read */
};

/*
 * A container created while tracing may be gone before the next refresh: its
 * names and its memcg's figures (its limit) are also read when a process
 * execs, until both are or this many lookups failed (a container whose
 * runtime leaves no state).
 */
#define MAX_TRIES 64

struct mt_cgroups {
	char root[PATH_MAX];
	size_t root_len;
	int version;
	int hierarchy_id; /* of the memory hierarchy, as cgroup_mkdir events name it */
	struct cgroup_path *paths; /* sorted by id */
	size_t nr, cap;
	size_t fresh; /* containers created while tracing still looked up at exec */
};

/* v1: the memory hierarchy's number, the first field of its line in /proc/self/cgroup */
static int memory_hierarchy_id(void)
{
	char line[512];
	int id = -1, n;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -1;
	while (id < 0 && fgets(line, sizeof(line), f)) {
		char controllers[256];

		if (sscanf(line, "%d:%255[^:]:", &n, controllers) == 2 &&
		    (!strcmp(controllers, "memory") || strstr(controllers, "memory,") ||
		     strstr(controllers, ",memory")))
			id = n;
	}
	fclose(f);
	return id;
}

struct mt_cgroups *cgroups_open(void)
{
	struct mt_cgroups *cg = calloc(1, sizeof(*cg));
	const char *root;

	if (!cg)
		return NULL;
	if (!access("/sys/fs/cgroup/cgroup.controllers", F_OK)) {
		root = "/sys/fs/cgroup";
		cg->version = 2;
	} else if (!access("/sys/fs/cgroup/memory/memory.usage_in_bytes", F_OK)) {
		root = "/sys/fs/cgroup/memory";
		cg->version = 1;
	} else {
		free(cg);
		errno = ENOENT;
		return NULL;
	}
	snprintf(cg->root, sizeof(cg->root), "%s", root);
	cg->root_len = strlen(cg->root);
	cg->hierarchy_id = cg->version == 2 ? 0 : memory_hierarchy_id();
	return cg;
}

void cgroups_free(struct mt_cgroups *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->nr; i++)
		free(cg->paths[i].path);
	free(cg->paths);
	free(cg);
}

static int cmp_id(const void *a, const void *b)
{
	const struct cgroup_path *pa = a, *pb = b;

	return (pa->id > pb->id) - (pa->id < pb->id);
}

static struct cgroup_path *find(struct mt_cgroups *cg, uint64_t id)
{
	struct cgroup_path key = { .id = id };

	return cg->nr ? bsearch(&key, cg->paths, cg->nr, sizeof(key), cmp_id) : NULL;
}

/* nftw() has no context argument: the scan in progress */
static struct mt_cgroups *scanning;

/* Remember id -> path (relative to the hierarchy's root); 0 or -1 when out of memory. */
static int remember(struct mt_cgroups *cg, uint64_t id, const char *rel)
{
	if (find(cg, id))
		return 0;
	if (mt_ensure_mem((void **)&cg->paths, &cg->cap, sizeof(*cg->paths), cg->nr + 1))
		return -1;
	memset(&cg->paths[cg->nr], 0, sizeof(cg->paths[cg->nr]));
	cg->paths[cg->nr].id = id;
	cg->paths[cg->nr].path = strdup(*rel ? rel : "/");
	if (!cg->paths[cg->nr].path)
		return -1;
	cg->nr++;
	/* keep it sorted for find(): insertion into the sorted prefix */
	for (size_t i = cg->nr - 1; i > 0 && cg->paths[i - 1].id > cg->paths[i].id; i--) {
		struct cgroup_path t = cg->paths[i];

		cg->paths[i] = cg->paths[i - 1];
		cg->paths[i - 1] = t;
	}
	return 0;
}

static int add_dir(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	return type == FTW_D ? remember(scanning, sb->st_ino, fpath + scanning->root_len) : 0;
}

void cgroups_learn(struct mt_cgroups *cg, uint64_t id, int hierarchy_id, const char *path)
{
	struct mt_container c;
	struct cgroup_path *p;

	if (hierarchy_id != cg->hierarchy_id || path[0] != '/' || find(cg, id) ||
	    remember(cg, id, path))
		return;
	p = find(cg, id);
	if (container_from_cgroup_path(p->path, &c)) {
		p->tries = 1;
		cg->fresh++;
	}
}

static void rescan(struct mt_cgroups *cg)
{
	scanning = cg;
	nftw(cg->root, add_dir, 32, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
}

const char *cgroups_path(struct mt_cgroups *cg, uint64_t id)
{
	struct cgroup_path *p = find(cg, id);

	if (!p) {
		rescan(cg);
		p = find(cg, id);
	}
	return p ? p->path : NULL;
}

/* A cgroup file's text, NUL-terminated; its length, or -errno. */
static ssize_t read_cgroup_file(const char *root, const char *path, const char *file, char *buf,
				size_t size)
{
	char full[PATH_MAX + 64];
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), "%s%s/%s", root, strcmp(path, "/") ? path : "", file);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return n;
}

/* One number from a cgroup file; "max" (v2: no limit) reads as 0. */
static int read_u64_file(const char *root, const char *path, const char *file, uint64_t *v)
{
	char buf[64];
	ssize_t n = read_cgroup_file(root, path, file, buf, sizeof(buf));

	if (n < 0)
		return n;
	*v = strncmp(buf, "max", 3) ? strtoull(buf, NULL, 10) : 0;
	return 0;
}

int cgroups_parse_memory_stat(const char *text, int version, struct mt_memcg *m)
{
	/* v1's total_* count the subtree, like v2's flat keys */
	const char *anon = version == 2 ? "anon" : "total_rss";
	const char *file = version == 2 ? "file" : "total_cache";
	const char *pgfault = version == 2 ? "pgfault" : "total_pgfault";
	const char *line = text, *eol;
	unsigned long long v;
	char key[64];
	int found = 0;

	for (; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		if (!strcmp(key, anon)) {
			m->anon = v;
			found++;
		} else if (!strcmp(key, file)) {
			m->file = v;
			found++;
		} else if (version == 2 && !strcmp(key, "kernel")) {
			m->kernel = v;
		} else if (!strcmp(key, pgfault)) {
			m->pgfault = v;
		}
	}
	return found ? 0 : -EINVAL;
}

/* memory.stat of a cgroup, into m (fields left 0 when absent). */
static void read_memory_stat(const struct mt_cgroups *cg, const char *path, struct mt_memcg *m)
{
	char text[8192];

	if (read_cgroup_file(cg->root, path, "memory.stat", text, sizeof(text)) > 0)
		cgroups_parse_memory_stat(text, cg->version, m);
}

int cgroups_read_memcg(const struct mt_cgroups *cg, const char *path, struct mt_memcg *m)
{
	bool v2 = cg->version == 2;
	int err;

	memset(m, 0, sizeof(*m));
	err = read_u64_file(cg->root, path, v2 ? "memory.current" : "memory.usage_in_bytes",
			    &m->usage);
	if (err)
		return err;
	read_u64_file(cg->root, path, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &m->peak);
	read_u64_file(cg->root, path, v2 ? "memory.max" : "memory.limit_in_bytes", &m->limit);
	/* v1 reports "no limit" as a huge page-rounded number */
	if (m->limit >= (1ull << 62))
		m->limit = 0;
	read_memory_stat(cg, path, m);
	m->stat_usage = m->usage;
	m->known = true;
	return 0;
}

int cgroups_parse_proc_cgroup(const char *text, int version, char *path, size_t size)
{
	const char *line = text, *eol, *c1, *c2;

	for (; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		/* "hierarchy-id:controller,list:/path" */
		c1 = memchr(line, ':', eol ? (size_t)(eol - line) : strlen(line));
		if (!c1)
			continue;
		c2 = memchr(c1 + 1, ':', eol ? (size_t)(eol - c1 - 1) : strlen(c1 + 1));
		if (!c2)
			continue;
		if (version == 2) {
			if (!(c1 - line == 1 && line[0] == '0' && c2 == c1 + 1))
				continue;
		} else {
			/* the controller list must hold "memory" as a whole word */
			const char *w = c1 + 1;
			bool found = false;

			while (w < c2 && !found) {
				const char *comma = memchr(w, ',', c2 - w);
				const char *we = comma ? comma : c2;

				found = we - w == 6 && !memcmp(w, "memory", 6);
				w = we + 1;
			}
			if (!found)
				continue;
		}
		size_t n = eol ? (size_t)(eol - c2 - 1) : strlen(c2 + 1);

		if (!n || n >= size)
			return -ENAMETOOLONG;
		memcpy(path, c2 + 1, n);
		path[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

uint64_t cgroups_id_of_pid(const struct mt_cgroups *cg, int pid)
{
	char file[64], text[4096], path[PATH_MAX], full[PATH_MAX + sizeof(cg->root)];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (cgroups_parse_proc_cgroup(text, cg->version, path, sizeof(path)))
		return 0;
	snprintf(full, sizeof(full), "%s%s", cg->root, strcmp(path, "/") ? path : "");
	return stat(full, &st) ? 0 : st.st_ino;
}

/*
 * A container's names and workload, from its runtime's state while it
 * exists (it goes with the container); a unit's or a machine's from its
 * name. Other cgroups are not looked up.
 */
static void learn_names(struct cgroup_path *p)
{
	struct mt_container c;
	bool found;

	if (p->names_done)
		return;
	if (!container_from_cgroup_path(p->path, &c)) {
		p->names_done = true;
		return;
	}
	found = !c.id[0] || !runtime_names_for_cgroup("/run", p->path, &p->names);
	workload_learn(&c, MT_DOCKER_ROOT, &p->names);
	/* a container whose runtime has not written its state yet: again next time */
	p->names_done = found || p->names.workload[0];
}

void cgroups_on_exec(struct mt_cgroups *cg, int pid)
{
	struct cgroup_path *p;
	uint64_t id;

	if (!cg->fresh)
		return;
	id = cgroups_id_of_pid(cg, pid);
	p = id ? find(cg, id) : NULL; /* one it learned while tracing: no rescan */
	if (!p || !p->tries)
		return;
	cgroups_memcg(cg, id);
	if ((p->names_done && p->memcg.known) || ++p->tries > MAX_TRIES) {
		p->tries = 0;
		cg->fresh--;
	}
}

void cgroups_update_memcg(struct mt_memcg *kept, const struct mt_memcg *now)
{
	struct mt_memcg old = *kept;

	*kept = *now;
	if (old.known && old.stat_usage > now->usage) {
		kept->stat_usage = old.stat_usage;
		kept->anon = old.anon;
		kept->file = old.file;
		kept->kernel = old.kernel;
	}
}

const struct mt_memcg *cgroups_memcg(struct mt_cgroups *cg, uint64_t id)
{
	struct cgroup_path *p;
	struct mt_memcg now;

	if (!cgroups_path(cg, id))
		return NULL;
	p = find(cg, id);
	if (!cgroups_read_memcg(cg, p->path, &now))
		cgroups_update_memcg(&p->memcg, &now);
	learn_names(p);
	return p->memcg.known ? &p->memcg : NULL;
}

const struct mt_runtime_names *cgroups_runtime_names(struct mt_cgroups *cg, uint64_t id)
{
	struct cgroup_path *p = cgroups_path(cg, id) ? find(cg, id) : NULL;

	if (!p)
		return NULL;
	learn_names(p);
	return p->names.container[0] || p->names.workload[0] ? &p->names : NULL;
}

static unsigned int depth(const char *path)
{
	unsigned int n = 0;

	for (const char *p = path; *p; p++) {
		if (*p != '/' && (p == path || p[-1] == '/'))
			n++;
	}
	return n;
}

static int fill_scope(const struct mt_cgroups *cg, const char *path, struct mt_cgroup_scope *s)
{
	char full[PATH_MAX + sizeof(cg->root)];
	struct stat st;
	size_t len;

	if (path[0] != '/' || strlen(path) >= sizeof(s->path))
		return -EINVAL;
	snprintf(full, sizeof(full), "%s%s", cg->root, path);
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	snprintf(s->path, sizeof(s->path), "%s", path);
	/* "/a/b/" is "/a/b" */
	len = strlen(s->path);
	while (len > 1 && s->path[len - 1] == '/')
		s->path[--len] = '\0';
	s->id = st.st_ino;
	s->level = depth(s->path);
	return 0;
}

int cgroups_scope_from_path(struct mt_cgroups *cg, const char *path, struct mt_cgroup_scope *s)
{
	return fill_scope(cg, path, s);
}

/* Is `path` strictly below `top`? */
static bool is_below(const char *path, const char *top)
{
	size_t len = strlen(top);

	return !strncmp(path, top, len) && path[len] == '/';
}

int cgroups_scope_from_container(struct mt_cgroups *cg, const char *id, struct mt_cgroup_scope *s)
{
	const char *found = NULL, *path;
	struct mt_container c;
	size_t len = strlen(id);

	if (!len)
		return -EINVAL;
	rescan(cg);
	for (size_t i = 0; i < cg->nr; i++) {
		path = cg->paths[i].path;
		if (!container_from_cgroup_path(path, &c))
			continue;
		if (!(c.id[0] && !strncmp(c.id, id, len)) && !(c.name[0] && !strcmp(c.name, id)))
			continue;
		/* a container's nested cgroups name it too: keep its top one */
		if (!found || is_below(found, path))
			found = path;
		else if (!is_below(path, found))
			return -EEXIST;
	}
	return found ? fill_scope(cg, found, s) : -ENOENT;
}

bool cgroups_in_scope(const struct mt_cgroup_scope *s, const char *path)
{
	size_t len = strlen(s->path);

	if (!path)
		return false;
	if (len == 1) /* "/": everything */
		return true;
	return !strncmp(path, s->path, len) && (path[len] == '\0' || path[len] == '/');
}
