// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * serve.c - the HTTP endpoint of `memtrace serve` (see prometheus.h), with
 * libmicrohttpd in the caller's event loop: one thread, so a scrape reads
 * the maps and the report with nothing else touching them.
 *
 * GET or HEAD /metrics is the exposition (OpenMetrics when the Accept header
 * asks for it), / a one-line page; any other path is a 404, any other
 * method a 405. libmicrohttpd bounds the rest: at most 64 connections, 8
 * from one address (more are refused), 2 s without progress, 32 KiB of
 * memory per connection (larger headers get a 431). Slow or idle clients
 * thus cost little, never stall tracing, and cannot hold every connection:
 * a scraper from another address is answered within a poll or two.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prometheus.h"
#include "util.h"

#define MT_MAX_CONNECTIONS 64
#define MT_CONNECTIONS_PER_ADDRESS 8
#define MT_CONNECTION_TIMEOUT_S 2
#define MT_CONNECTION_MEMORY (32 * 1024)

#define TEXT_FORMAT "text/plain; version=0.0.4; charset=utf-8"
#define OPENMETRICS_FORMAT "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct mt_server {
	struct MHD_Daemon *daemon;
	mt_scrape_fn scrape;
	void *ctx;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *type, char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text)
{
	return respond(conn, status, "text/plain; charset=utf-8", (char *)text, strlen(text),
		       MHD_RESPMEM_PERSISTENT);
}

static bool wants_openmetrics(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);

	return accept && strstr(accept, "application/openmetrics-text");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	static const char index_page[] =
		"<html><head><title>memtrace</title></head><body>"
		"<h1>memtrace</h1><p><a href=\"/metrics\">metrics</a></p></body></html>\n";
	struct mt_server *s = cls;
	bool openmetrics;
	size_t len;
	char *body;

	(void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/"))
		return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)index_page,
			       sizeof(index_page) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	openmetrics = wants_openmetrics(conn);
	body = s->scrape(s->ctx, openmetrics, &len);
	if (!body)
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed\n");
	return respond(conn, MHD_HTTP_OK, openmetrics ? OPENMETRICS_FORMAT : TEXT_FORMAT, body, len,
		       MHD_RESPMEM_MUST_FREE);
}

struct mt_server *server_start(const char *listen, mt_scrape_fn scrape, void *ctx)
{
	struct sockaddr_storage addr;
	struct mt_server *s;
	unsigned int flags = MHD_USE_EPOLL;

	if (mt_parse_listen(listen, &addr)) {
		mt_err("invalid listen address '%s' (HOST:PORT, e.g. 127.0.0.1:9464)", listen);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->scrape = scrape;
	s->ctx = ctx;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned int)MT_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				     (unsigned int)MT_CONNECTIONS_PER_ADDRESS, MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)MT_CONNECTION_TIMEOUT_S,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MT_CONNECTION_MEMORY,
				     MHD_OPTION_END);
	if (!s->daemon) {
		mt_err("cannot listen on %s: %s", listen, errno ? strerror(errno) : "failed");
		free(s);
		return NULL;
	}
	return s;
}

int server_fd(struct mt_server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

void server_run(struct mt_server *s)
{
	MHD_run(s->daemon);
}

void server_stop(struct mt_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
