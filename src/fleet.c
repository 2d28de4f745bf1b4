// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fleet.c - the fleet-wide audit from Prometheus (see fleet.h). Each figure
 * is one PromQL instant query over the window, grouped by workload or by
 * container; the answers are joined on the grouping labels.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "fleet.h"
#include "options.h"
#include "outfile.h"
#include "util.h"

/* what a query may take: a fleet's 7 days are evaluated in seconds */
#define QUERY_TIMEOUT_S 120
#define MAX_RESPONSE (256u << 20)

/* The series `memtrace serve` exports per container (output_prometheus.c). */
#define PEAK "memtrace_container_interval_peak_rss_bytes"
#define LIMIT "memtrace_container_memory_limit_bytes"
#define OOMS "memtrace_container_oom_kills_total"

static const char *const container_labels[] = { "id", "name", "pod", "namespace", "runtime",
						 "workload", NULL };
static const char *const workload_labels[] = { "workload", NULL };

struct fleet {
	CURL *curl;
	const char *url;
	const char *window;
	double step_s;			/* the quantiles' subquery resolution */
	const char *const *labels;	/* the grouping */
	char by[128];			/* "workload", or "id, name, ..." */
	char selector[64];		/* which containers: those with a workload or a runtime */
	struct mt_audit *a;
};

double fleet_parse_window(const char *window)
{
	static const struct {
		char unit;
		double seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
		      { 'y', 31536000 } };
	const char *p = window;
	double total = 0;

	if (!p || !*p)
		return -1;
	while (*p) {
		char *end;
		unsigned long long n;
		size_t i;

		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		n = strtoull(p, &end, 10);
		if (errno || n > 1000000000ull)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]) && units[i].unit != *end; i++)
			;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		total += n * units[i].seconds;
		p = end + 1;
	}
	return total > 0 ? total : -1;
}

bool fleet_url_valid(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok;

	ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	     (!strcmp(scheme, "http") || !strcmp(scheme, "https")) && *host;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

struct buffer {
	char *data;
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct buffer *b = ctx;
	size_t n = size * nmemb;
	char *grown;

	if (b->len + n + 1 > MAX_RESPONSE)
		return 0;
	grown = realloc(b->data, b->len + n + 1);
	if (!grown)
		return 0;
	b->data = grown;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Prometheus's own word on a refused query: its "error" field, or the body's start. */
static void say_refused(const struct fleet *f, long status, const char *body)
{
	json_object *root = body ? json_tokener_parse(body) : NULL, *error = NULL;

	if (root && json_object_object_get_ex(root, "error", &error))
		mt_err("Prometheus at %s refused a query (HTTP %ld): %s", f->url, status,
		       json_object_get_string(error));
	else
		mt_err("%s did not answer as Prometheus's API does (HTTP %ld)", f->url, status);
	json_object_put(root);
}

/*
 * Run one instant query; *root is the parsed answer, *result its vector.
 * 0, or -errno after one line on stderr.
 */
static int query(struct fleet *f, const char *promql, json_object **root, json_object **result)
{
	char endpoint[2048], errbuf[CURL_ERROR_SIZE] = "", *escaped, *form;
	struct buffer body = { 0 };
	json_object *data, *status;
	long http = 0;
	CURLcode rc;
	int err = 0;

	*root = NULL;
	escaped = curl_easy_escape(f->curl, promql, 0);
	form = escaped ? malloc(strlen(escaped) + 7) : NULL;
	if (!form) {
		curl_free(escaped);
		return -ENOMEM;
	}
	sprintf(form, "query=%s", escaped);
	curl_free(escaped);
	snprintf(endpoint, sizeof(endpoint), "%s%sapi/v1/query", f->url,
		 f->url[strlen(f->url) - 1] == '/' ? "" : "/");
	curl_easy_setopt(f->curl, CURLOPT_URL, endpoint);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(f->curl);
	free(form);
	if (rc != CURLE_OK) {
		mt_err("cannot query Prometheus at %s: %s", f->url, *errbuf ? errbuf : curl_easy_strerror(rc));
		free(body.data);
		return -EIO;
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &http);
	*root = body.data ? json_tokener_parse(body.data) : NULL;
	if (http != 200 || !*root || !json_object_object_get_ex(*root, "status", &status) ||
	    strcmp(json_object_get_string(status), "success") ||
	    !json_object_object_get_ex(*root, "data", &data) ||
	    !json_object_object_get_ex(data, "result", result) ||
	    !json_object_is_type(*result, json_type_array)) {
		say_refused(f, http, body.data);
		json_object_put(*root);
		*root = NULL;
		err = -EPROTO;
	}
	free(body.data);
	return err;
}

static const char *label_of(json_object *sample, const char *name)
{
	json_object *metric, *v;

	if (!json_object_object_get_ex(sample, "metric", &metric) ||
	    !json_object_object_get_ex(metric, name, &v))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t to_u64(double v)
{
	return isfinite(v) && v > 0 ? (uint64_t)(v + 0.5) : 0;
}

/* The sample's value ("value": [time, "1234"]); NAN if it has none. */
static double value_of(json_object *sample)
{
	json_object *pair, *v;

	if (!json_object_object_get_ex(sample, "value", &pair) ||
	    !json_object_is_type(pair, json_type_array) || json_object_array_length(pair) < 2)
		return NAN;
	v = json_object_array_get_idx(pair, 1);
	return v ? strtod(json_object_get_string(v), NULL) : NAN;
}

static char *dup_label(json_object *sample, const char *name)
{
	const char *v = label_of(sample, name);

	return v && *v ? strdup(v) : NULL;
}

static bool same_group(const struct fleet *f, const struct mt_audit_entry *e, json_object *sample)
{
	const char *values[] = { e->cgroup, e->container_name, e->pod_name, e->namespace_,
				 e->runtime, e->workload };

	for (size_t i = 0; f->labels[i]; i++) {
		/* container_labels' order is values' order; workload_labels is its last */
		const char *mine = f->labels == workload_labels ? e->workload : values[i];
		const char *theirs = label_of(sample, f->labels[i]);

		if (strcmp(mine ? mine : "", theirs ? theirs : ""))
			return false;
	}
	return true;
}

static struct mt_audit_entry *find_entry(const struct fleet *f, json_object *sample)
{
	for (size_t i = 0; i < f->a->n; i++)
		if (same_group(f, &f->a->entries[i], sample))
			return &f->a->entries[i];
	return NULL;
}

/*
 * A container entry from its series' labels: `id` is its cgroup path
 * (cAdvisor's), which says its runtime's id, pod and QoS as on the node.
 */
static int describe_container(json_object *sample, struct mt_audit_entry *e)
{
	struct mt_container c = { 0 };
	char label[300];

	e->cgroup = dup_label(sample, "id");
	e->container_name = dup_label(sample, "name");
	e->pod_name = dup_label(sample, "pod");
	e->namespace_ = dup_label(sample, "namespace");
	e->runtime = dup_label(sample, "runtime");
	if (e->cgroup && container_from_cgroup_path(e->cgroup, &c)) {
		container_label(&c, e->cgroup, 0, label, sizeof(label));
		e->name = c.name[0] ? strdup(c.name) : NULL;
		e->container_id = c.id[0] ? strdup(c.id) : NULL;
		e->pod_uid = c.pod_uid[0] ? strdup(c.pod_uid) : NULL;
		e->qos = c.qos ? strdup(c.qos) : NULL;
	} else {
		snprintf(label, sizeof(label), "%s", e->cgroup ? e->cgroup : "-");
	}
	/* the table names it as the node's memtrace did (its `name` label) */
	if (e->container_name)
		snprintf(label, sizeof(label), "%s", e->container_name);
	e->label = strdup(label);
	return e->label ? 0 : -ENOMEM;
}

/* The entries: one per group that has a peak in the window. */
static int add_entries(struct fleet *f, json_object *result)
{
	size_t n = json_object_array_length(result);
	struct mt_audit *a = f->a;

	a->entries = calloc(n + 1, sizeof(*a->entries));
	if (!a->entries)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *sample = json_object_array_get_idx(result, i);
		struct mt_audit_entry *e = &a->entries[a->n++];

		e->workload = dup_label(sample, "workload");
		if (f->labels == container_labels && describe_container(sample, e))
			return -ENOMEM;
		if (f->labels == workload_labels)
			e->label = strdup(e->workload ? e->workload : "-");
		if (!e->label)
			return -ENOMEM;
		e->peak = to_u64(value_of(sample));
	}
	return 0;
}

enum figure { F_P50, F_P95, F_P99, F_LIMIT, F_OOMS, F_NODES, F_CONTAINERS };

static void set_figure(struct mt_audit_entry *e, enum figure what, double v)
{
	uint64_t u = to_u64(v);

	switch (what) {
	case F_P50: e->p50 = u; break;
	case F_P95: e->p95 = u; break;
	case F_P99: e->p99 = u; break;
	case F_LIMIT: e->limit = u; break;
	case F_OOMS: e->oom_kills = (unsigned int)u; break;
	case F_NODES: e->nodes = u; break;
	case F_CONTAINERS: e->containers = u; break;
	}
}

/* One figure for every entry: the query's answer, joined on the grouping labels. */
static int fill(struct fleet *f, enum figure what, const char *promql)
{
	json_object *root, *result;
	int err = query(f, promql, &root, &result);

	if (err)
		return err;
	for (size_t i = 0; i < json_object_array_length(result); i++) {
		json_object *sample = json_object_array_get_idx(result, i);
		struct mt_audit_entry *e = find_entry(f, sample);

		if (e)
			set_figure(e, what, value_of(sample));
	}
	json_object_put(root);
	return 0;
}

static int run_queries(struct fleet *f)
{
	static const struct {
		enum figure what;
		double q;
	} quantiles[] = { { F_P50, 0.50 }, { F_P95, 0.95 }, { F_P99, 0.99 } };
	const char *by = f->by, *sel = f->selector, *w = f->window;
	char q[2048];
	json_object *root, *result;
	int err;

	/* the largest interval peak: no spike between two scrapes is lost */
	snprintf(q, sizeof(q), "max by (%s) (max_over_time(" PEAK "%s[%s]))", by, sel, w);
	err = query(f, q, &root, &result);
	if (err)
		return err;
	if (!json_object_array_length(result)) {
		mt_err("Prometheus at %s has no %s series of a %s in the last %s: does it scrape "
		       "memtrace serve?", f->url, PEAK,
		       f->labels == workload_labels ? "workload" : "container", w);
		json_object_put(root);
		return -ENODATA;
	}
	err = add_entries(f, result);
	json_object_put(root);
	for (size_t i = 0; i < 3 && !err; i++) {
		snprintf(q, sizeof(q),
			 "quantile_over_time(%g, (max by (%s) (" PEAK "%s))[%s:%.0fs])",
			 quantiles[i].q, by, sel, w, f->step_s);
		err = fill(f, quantiles[i].what, q);
	}
	if (!err) {
		snprintf(q, sizeof(q), "max by (%s) (max_over_time(" LIMIT "%s[%s]))", by, sel, w);
		err = fill(f, F_LIMIT, q);
	}
	if (!err) {
		/*
		 * The kills in the window: a container's counter's growth since the
		 * window's start, or all of it for one that started within the window
		 * (increase() would lose the first kill of a series born at 1).
		 */
		snprintf(q, sizeof(q),
			 "sum by (%s) (clamp_min(max_over_time(" OOMS "%s[%s]) - " OOMS "%s offset %s, 0)"
			 " or max_over_time(" OOMS "%s[%s]))",
			 by, sel, w, sel, w, sel, w);
		err = fill(f, F_OOMS, q);
	}
	if (!err) {
		snprintf(q, sizeof(q),
			 "count by (%s) (count by (%s, instance) (max_over_time(" PEAK "%s[%s])))", by,
			 by, sel, w);
		err = fill(f, F_NODES, q);
	}
	if (!err) {
		snprintf(q, sizeof(q), "count by (%s) (count by (%s, id) (max_over_time(" PEAK "%s[%s])))",
			 by, by, sel, w);
		err = fill(f, F_CONTAINERS, q);
	}
	return err;
}

/* Everything memtrace serve counted as lost over the window, on every node. */
static int lost_events(struct fleet *f)
{
	json_object *root, *result;
	char q[256];
	int err;

	snprintf(q, sizeof(q), "sum(increase(memtrace_lost_events_total[%s]))", f->window);
	err = query(f, q, &root, &result);
	if (!err && json_object_array_length(result))
		f->a->lost_events = to_u64(value_of(json_object_array_get_idx(result, 0)));
	json_object_put(root);
	return err;
}

int fleet_audit(const char *url, const char *window, enum mt_by by, double margin,
		struct mt_audit *a)
{
	struct fleet f = { .url = url, .window = window, .a = a };
	double window_s = fleet_parse_window(window);
	int err;

	*a = (struct mt_audit){ .source = "prometheus", .by = by, .margin = margin,
				.duration_s = window_s };
	f.labels = by == MT_BY_WORKLOAD ? workload_labels : container_labels;
	for (size_t i = 0; f.labels[i]; i++)
		snprintf(f.by + strlen(f.by), sizeof(f.by) - strlen(f.by), "%s%s", i ? ", " : "",
			 f.labels[i]);
	snprintf(f.selector, sizeof(f.selector), "{%s!=\"\"}",
		 by == MT_BY_WORKLOAD ? "workload" : "runtime");
	/* ~10,000 points per series over the window, a second apart at least */
	f.step_s = window_s / 10000 > 1 ? (double)(uint64_t)(window_s / 10000 + 1) : 1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	f.curl = curl_easy_init();
	if (!f.curl) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	curl_easy_setopt(f.curl, CURLOPT_TIMEOUT, (long)QUERY_TIMEOUT_S);
	curl_easy_setopt(f.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f.curl, CURLOPT_USERAGENT, "memtrace");
	err = run_queries(&f);
	if (!err)
		err = lost_events(&f);
	curl_easy_cleanup(f.curl);
	curl_global_cleanup();
	if (err) {
		audit_free(a);
		return err;
	}
	audit_finish(a);
	return 0;
}

int fleet_run(const struct mt_options *opts)
{
	struct mt_outfile json = { 0 };
	struct mt_audit a;
	bool text = !opts->quiet;
	int err;

	if (opts->json_path) {
		err = mt_outfile_open(&json, opts->json_path);
		if (err) {
			mt_err("cannot write %s: %s", opts->json_path, strerror(-err));
			return 1;
		}
		text &= !mt_outfile_is_stdout(&json);
	}
	err = fleet_audit(opts->prometheus, opts->window, opts->by, opts->margin, &a);
	if (!err && text)
		err = audit_write_text(&a, stdout);
	if (opts->json_path) {
		if (!err)
			err = audit_write_json(&a, json.f);
		if (err) {
			mt_outfile_abort(&json);
		} else {
			err = mt_outfile_commit(&json);
			if (err)
				mt_err("cannot write %s: %s", opts->json_path, strerror(-err));
		}
	}
	audit_free(&a);
	return err ? 1 : 0;
}
